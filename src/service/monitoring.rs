//! Continuous vetting, enrolment: an organisation enrols the people it employs, each with the
//! outcome its key would get for them now; its keys share its enrolments, and no organisation
//! sees, or unenrols, another's. Enrolled details are personal data, kept only while enrolled;
//! every enrol and unenrol is audited in the same transaction as the change.

use serde::Serialize;

use crate::core::chain::AuditEntry;
use crate::core::identity::{Date, Identifier, PersonName};
use crate::core::ids::{Id, IdKind};
use crate::core::model::{Purpose, outcome_of};
use crate::core::principal::Principal;
use crate::core::{paging, validate};
use crate::matching::Strength;
use crate::service::Vetting;
use crate::service::check::CheckInput;
use crate::service::error::{Error, Result};
use crate::store::{EnrolmentRecord, RequestRecord, abort};

/// Who an organisation enrols.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EnrolInput {
    pub name: Option<PersonName>,
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
    /// The employer's own reference for the person (a staff number), echoed in alerts.
    pub employee_ref: String,
}

impl EnrolInput {
    fn as_check(&self) -> CheckInput {
        CheckInput {
            name: self.name.clone(),
            other_names: self.other_names.clone(),
            date_of_birth: self.date_of_birth,
            identifiers: self.identifiers.clone(),
            purpose: Some(Purpose::PeriodicRevetting),
            client_ref: self.employee_ref.clone(),
        }
    }
}

fn fingerprint(input: &EnrolInput) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"enrol");
    h.update(postcard::to_stdvec(input).unwrap_or_default());
    h.finalize().into()
}

fn request_key(who: &Principal, request_id: &str) -> Vec<u8> {
    [
        b"enrol".as_slice(),
        b"\0",
        who.organisation.as_bytes(),
        b"\0",
        request_id.as_bytes(),
    ]
    .concat()
}

/// An enrolment's id parsed, or `NOT_FOUND` phrased the same whether it is malformed, another
/// organisation's, or unknown (an id says nothing of who enrolled it).
fn enrolment_id(id: &str) -> Result<Id> {
    Id::parse(IdKind::Enrolment, "enrolment_id", id).map_err(Error::from)
}

impl Vetting {
    /// Validates an enrolment as a check is validated (and its `employee_ref`).
    pub fn validate_enrolment(&self, e: &EnrolInput) -> Result<()> {
        validate::person_name("name", e.name.as_ref())?;
        validate::other_names("other_names", &e.other_names)?;
        if let Some(d) = &e.date_of_birth {
            validate::date("date_of_birth", d, Some(self.clock.today()))?;
        }
        validate::identifiers("identifiers", &e.identifiers)?;
        validate::short("employee_ref", &e.employee_ref)?;
        Ok(())
    }

    /// Enrols a person for the caller's organisation, with the outcome the caller's key gets for
    /// them now. A retry with the same `request_id` returns the first enrolment and creates
    /// nothing; the same `request_id` with a different person is `ALREADY_EXISTS`.
    pub fn enrol(
        &self,
        who: &Principal,
        input: &EnrolInput,
        request_id: &str,
    ) -> Result<EnrolmentRecord> {
        self.validate_enrolment(input)?;
        validate::request_id("request_id", request_id)?;
        let check = input.as_check();
        let found = self.find(who, &check)?;
        let outcome = outcome_of(
            found
                .matches
                .iter()
                .map(|m| (m.strength == Strength::Strong, m.status)),
        );
        let subject_ids: Vec<String> = found.matches.iter().map(|m| m.subject_id.clone()).collect();
        let key = request_key(who, request_id);
        let fp = fingerprint(input);
        let now = self.clock.now_ms();
        let id = Id::new(IdKind::Enrolment, &self.clock);
        let check_id = Id::new(IdKind::Check, &self.clock).to_string();
        let rec = EnrolmentRecord {
            enrolment_id: id.to_string(),
            organisation: who.organisation.clone(),
            key_id: who.key_id.clone(),
            employee_ref: input.employee_ref.clone(),
            name: input.name.clone().unwrap_or_default(),
            other_names: input.other_names.clone(),
            date_of_birth: input.date_of_birth,
            identifiers: input.identifiers.clone(),
            outcome,
            enrolled_at_ms: now,
        };
        self.store.transact(|tx| {
            if !request_id.is_empty() {
                match tx.request(&key)? {
                    Some(r) if r.fingerprint == fp => {
                        let first = enrolment_id(&r.result_id).map_err(abort)?;
                        // Unenrolled since: the retry answers what the first call did not
                        // leave behind, so it says so rather than enrolling again.
                        return tx.enrolment(&who.organisation, &first)?.ok_or_else(|| {
                            abort(Error::FailedPrecondition(format!(
                                "request_id: the enrolment it made ({first}) has been unenrolled"
                            )))
                        });
                    }
                    Some(_) => {
                        return Err(abort(Error::AlreadyExists(
                            "request_id: already used for a different request".into(),
                        )));
                    }
                    None => tx.put_request(
                        &key,
                        &RequestRecord {
                            fingerprint: fp,
                            result_id: id.to_string(),
                        },
                    )?,
                }
            }
            tx.put_enrolment(&rec)?;
            let mut entry = AuditEntry::by(who, "enrol");
            entry.purpose = Some(Purpose::PeriodicRevetting);
            entry.client_ref = input.employee_ref.clone();
            entry.subject_ids = subject_ids.clone();
            entry.outcome = Some(outcome);
            entry.check_id = check_id.clone();
            tx.append_audit(now, entry)?;
            Ok(rec.clone())
        })
    }

    /// Ends an enrolment of the caller's organisation: its details are removed, the audit event
    /// stays. `NOT_FOUND` for an id that is not the organisation's.
    pub fn unenrol(&self, who: &Principal, enrolment: &str) -> Result<EnrolmentRecord> {
        let id = enrolment_id(enrolment)?;
        let now = self.clock.now_ms();
        self.store.transact(|tx| {
            let rec = tx.enrolment(&who.organisation, &id)?.ok_or_else(|| {
                abort(Error::NotFound {
                    what: "enrolment",
                    id: id.to_string(),
                })
            })?;
            tx.remove_enrolment(&who.organisation, &id)?;
            let mut entry = AuditEntry::by(who, "unenrol");
            entry.client_ref = rec.employee_ref.clone();
            tx.append_audit(now, entry)?;
            Ok(rec)
        })
    }

    /// A page of the caller's organisation's enrolments in enrolment-id order (the time of
    /// enrolment to the millisecond, then the id's random part); audited (a read of
    /// personal data) when it shows any.
    pub fn list_enrolments(
        &self,
        who: &Principal,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<EnrolmentRecord>, String)> {
        let size = paging::page_size(page_size)?;
        let after = if page_token.is_empty() {
            None
        } else {
            let id = page_token
                .strip_prefix("e1.")
                .and_then(|t| Id::parse(IdKind::Enrolment, "page_token", &format!("enr_{t}")).ok())
                .ok_or_else(|| Error::invalid("page_token", "not a token from ListEnrolments"))?;
            Some(id)
        };
        let mut page = self
            .store
            .enrolments_of(&who.organisation, after.as_ref(), size + 1)?;
        let next = if page.len() > size {
            page.truncate(size);
            page.last()
                .map(|e| format!("e1.{}", e.enrolment_id.trim_start_matches("enr_")))
                .unwrap_or_default()
        } else {
            String::new()
        };
        if !page.is_empty() {
            let mut entry = AuditEntry::by(who, "list_enrolments");
            entry.client_ref = format!("{} enrolments", page.len());
            self.store.record(self.clock.now_ms(), entry)?;
        }
        Ok((page, next))
    }
}
