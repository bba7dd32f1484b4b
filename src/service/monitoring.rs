//! Continuous vetting, enrolment: an organisation enrols the people it employs, each with the
//! outcome its key would get for them now; its keys share its enrolments, and no organisation
//! sees, or unenrols, another's. Enrolled details are personal data, kept only while enrolled;
//! every enrol and unenrol is audited in the same transaction as the change.

use serde::Serialize;

use crate::core::chain::AuditEntry;
use crate::core::change::Change;
use crate::core::disclosure::{Scopes, Visibility};
use crate::core::identity::{Date, Identifier, PersonName};
use crate::core::ids::{Id, IdKind};
use crate::core::model::{Outcome, Purpose, outcome_of};
use crate::core::principal::Principal;
use crate::core::principal::Role;
use crate::core::{paging, validate};
use crate::matching::Strength;
use crate::service::Vetting;
use crate::service::check::CheckInput;
use crate::service::error::{Error, Result};
use crate::service::registry::{fingerprint, request_key};
use crate::store::{AlertRecord, EnrolmentRecord, EnrolmentWrite, RequestRecord, abort};

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
        self.enrol_many(who, &[(input.clone(), request_id.to_string())])?
            .pop()
            .unwrap_or_else(|| Err(Error::FailedPrecondition("nothing enrolled".into())))
    }

    /// Enrols several people in one transaction (one audit event each): each gets its own
    /// result, in order, as [`Vetting::enrol`] would give it. An item refused (invalid, a
    /// reused request id) changes nothing and does not stop the others; a fault of the store
    /// fails them all.
    pub fn enrol_many(
        &self,
        who: &Principal,
        items: &[(EnrolInput, String)],
    ) -> Result<Vec<Result<EnrolmentRecord>>> {
        struct Prepared {
            rec: EnrolmentRecord,
            write: EnrolmentWrite,
            key: Vec<u8>,
            fp: [u8; 32],
            request_id: String,
            check_id: String,
            version: u64,
        }
        let now = self.clock.now_ms();
        let mut slots: Vec<Option<Result<EnrolmentRecord>>> = Vec::with_capacity(items.len());
        let mut ready: Vec<(usize, Prepared)> = Vec::new();
        for (i, (input, request_id)) in items.iter().enumerate() {
            let checked = self
                .validate_enrolment(input)
                .and_then(|()| Ok(validate::request_id("request_id", request_id)?))
                .and_then(|()| self.find(who, &input.as_check()));
            let found = match checked {
                Ok(f) => f,
                Err(e @ Error::Store(_)) => return Err(e),
                Err(e) => {
                    slots.push(Some(Err(e)));
                    continue;
                }
            };
            let outcome = outcome_of(
                found
                    .matches
                    .iter()
                    .map(|m| (m.strength == Strength::Strong, m.status)),
            );
            let id = Id::new(IdKind::Enrolment, &self.clock);
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
                matched: found.matches.iter().map(|m| m.subject_id.clone()).collect(),
                enrolled_at_ms: now,
            };
            let write = EnrolmentWrite::of(&rec)?;
            slots.push(None);
            ready.push((
                i,
                Prepared {
                    write,
                    rec,
                    key: request_key("enrol", who, request_id),
                    fp: fingerprint("enrol", input),
                    request_id: request_id.clone(),
                    check_id: Id::new(IdKind::Check, &self.clock).to_string(),
                    version: found.data_version,
                },
            ));
        }
        let written: Vec<(usize, Result<(EnrolmentRecord, bool)>)> =
            self.store.transact::<_, Error>(|tx| {
                let mut out = Vec::with_capacity(ready.len());
                for (i, p) in &ready {
                    if !p.request_id.is_empty() {
                        match tx.request(&p.key)? {
                            Some(r) if r.fingerprint == p.fp => {
                                let first = enrolment_id(&r.result_id).map_err(abort)?;
                                // Unenrolled since: the retry says so rather than enrolling again.
                                out.push((
                                    *i,
                                    tx.enrolment(&who.organisation, &first)?
                                        .map(|e| (e, false))
                                        .ok_or_else(|| {
                                            Error::FailedPrecondition(format!(
                                                "request_id: the enrolment it made ({first}) has \
                                             been unenrolled"
                                            ))
                                        }),
                                ));
                                continue;
                            }
                            Some(_) => {
                                out.push((
                                    *i,
                                    Err(Error::AlreadyExists(
                                        "request_id: already used for a different request".into(),
                                    )),
                                ));
                                continue;
                            }
                            None => tx.put_request(
                                &p.key,
                                &RequestRecord {
                                    fingerprint: p.fp,
                                    result_id: p.rec.enrolment_id.clone(),
                                },
                            )?,
                        }
                    }
                    tx.write_enrolment(&p.write)?;
                    let entry = AuditEntry {
                        purpose: Some(Purpose::PeriodicRevetting),
                        client_ref: p.rec.employee_ref.clone(),
                        subject_ids: p.rec.matched.clone(),
                        outcome: Some(p.rec.outcome),
                        check_id: p.check_id.clone(),
                        ..AuditEntry::by(who, "enrol")
                    };
                    tx.append_audit(now, entry)?;
                    out.push((*i, Ok((p.rec.clone(), true))));
                }
                Ok(out)
            })?;
        let version_now = self.store.data_version()?;
        for (k, (i, r)) in written.into_iter().enumerate() {
            let r = match r {
                Ok((rec, new)) => {
                    // The check and the commit raced a registry write: re-check once.
                    if new && ready.get(k).is_some_and(|(_, p)| p.version != version_now) {
                        self.reconcile(&rec)?;
                    }
                    Ok(rec)
                }
                Err(e) => Err(e),
            };
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(r);
            }
        }
        Ok(slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(Error::FailedPrecondition("not enrolled".into()))))
            .collect())
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
            tx.remove_enrolment(&rec)?;
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

/// Most change-log records the projector reads at once.
pub const PROJECT_BATCH: usize = 256;

impl Vetting {
    /// What a re-check of an enrolment made by checker key `key_id` may see: that key's scopes
    /// in the key file now. A key revoked since keeps its scopes for the enrolments it made
    /// (the organisation keeps its enrolments when it replaces a key; its alerts neither widen
    /// nor narrow, so no outcome changes for that alone); a key the key file does not know, or
    /// no key file at all, sees the barred list only, as every checker does.
    pub fn enrolling_view(&self, key_id: &str) -> Result<Visibility> {
        let scopes = match &self.keys {
            Some(keys) => keys.scopes_of(key_id)?.unwrap_or_else(|| {
                tracing::warn!(
                    key_id,
                    "re-check of an enrolment by a key the key file does not know: barred list only"
                );
                Scopes::BARRED_ONLY
            }),
            None => Scopes::BARRED_ONLY,
        };
        Ok(Visibility::Scoped(scopes))
    }

    /// The outcome an enrolment's key gets for the person now, and the subjects it rests on.
    fn recheck(&self, rec: &EnrolmentRecord) -> Result<(Outcome, Vec<String>)> {
        let visibility = self.enrolling_view(&rec.key_id)?;
        let input = EnrolInput {
            name: Some(rec.name.clone()),
            other_names: rec.other_names.clone(),
            date_of_birth: rec.date_of_birth,
            identifiers: rec.identifiers.clone(),
            employee_ref: rec.employee_ref.clone(),
        }
        .as_check();
        let found = self.find_as(visibility, &input)?;
        let outcome = outcome_of(
            found
                .matches
                .iter()
                .map(|m| (m.strength == Strength::Strong, m.status)),
        );
        Ok((
            outcome,
            found.matches.iter().map(|m| m.subject_id.clone()).collect(),
        ))
    }

    /// The alert projector's step: reads the durable change log after its cursor (at most
    /// [`PROJECT_BATCH`] records) and, for each record, re-checks every enrolment the change may
    /// concern (found through the enrolment index: filed under a key the subject is now indexed
    /// under, or resting on the subject), raising one alert
    /// for each whose outcome changed. Each record's alerts, the enrolments' new outcomes, their
    /// audit events and the cursor are one transaction, so a crash at any instant neither loses
    /// nor repeats an alert. Returns the records read and the alerts raised.
    pub fn project_changes(&self) -> Result<(usize, usize)> {
        let cursor = self.store.projector_cursor()?;
        let changes = self.store.durable_changes_from(cursor + 1, PROJECT_BATCH)?;
        let mut raised = 0;
        // Records that concern no enrolment move the cursor once, at the end of the batch (a
        // crash before that only has them read again, which raises nothing twice: an alert is
        // written with the enrolment's new outcome).
        let mut idle_upto = None;
        for change in &changes {
            match self.project_one(change)? {
                None => idle_upto = Some(change.sequence),
                Some(n) => {
                    raised += n;
                    idle_upto = None;
                }
            }
        }
        if let Some(seq) = idle_upto {
            self.store.transact(|tx| {
                if tx.projector_cursor()? < seq {
                    tx.set_projector_cursor(seq)?;
                }
                Ok::<_, crate::store::TxError<Error>>(())
            })?;
        }
        Ok((changes.len(), raised))
    }

    /// One change-log record. The enrolments it may concern: those filed under a key the
    /// subject is now indexed under (it may match them now), and those whose outcome rests on
    /// the subject (it may no longer match them: a name or date changed, a listing removed).
    fn project_one(&self, change: &Change) -> Result<Option<usize>> {
        // A subject clear now is in no one's candidates: only the enrolments resting on it
        // may move.
        let now = crate::store::match_record_of(&change.subject);
        let keys = now
            .as_ref()
            .map(|r| crate::matching::index_keys(&r.prepared))
            .unwrap_or_default();
        // As a check of the enrolled person passes over this subject when their dates plainly
        // differ (but for identifier keys), the change passes over the enrolment.
        let subject_dob = now.as_ref().and_then(|r| r.prepared.date_of_birth());
        let keep = |key: &str, dob| {
            crate::matching::is_identifier_key(key)
                || crate::matching::dob::relate(dob, subject_dob)
                    != crate::matching::dob::DobRelation::Different
        };
        let touched = self
            .store
            .enrolments_touched(&keys, &change.subject_id, keep)?;
        let mut updates = Vec::new();
        for rec in touched {
            // This change moves only this subject: an enrolment it neither matched before nor
            // matches now keeps its outcome, and is spared a whole check.
            if !rec.matched.contains(&change.subject_id) && !self.may_match(&rec, now.as_ref())? {
                continue;
            }
            let (outcome, matched) = self.recheck(&rec)?;
            if outcome != rec.outcome || matched != rec.matched {
                updates.push((rec, outcome, matched));
            }
        }
        if updates.is_empty() {
            return Ok(None);
        }
        let seq = change.sequence;
        self.store
            .transact(|tx| {
                if tx.projector_cursor()? >= seq {
                    return Ok(0);
                }
                let raised = self.apply_rechecks(tx, &updates, seq)?;
                tx.set_projector_cursor(seq)?;
                Ok(raised)
            })
            .map(Some)
    }

    /// Whether a listed person with match record `subject` (`None`: clear) is a match for
    /// enrolment `rec`, as its key may see them: the one comparison a check of `rec` would make
    /// of them.
    fn may_match(
        &self,
        rec: &EnrolmentRecord,
        subject: Option<&crate::store::MatchRecord>,
    ) -> Result<bool> {
        let Some(subject) = subject else {
            return Ok(false);
        };
        let visibility = self.enrolling_view(&rec.key_id)?;
        if subject.status_for(visibility) == crate::core::model::Status::Clear {
            return Ok(false);
        }
        let identity = crate::matching::Identity {
            names: std::iter::once(&rec.name)
                .chain(&rec.other_names)
                .cloned()
                .collect(),
            date_of_birth: rec.date_of_birth,
            identifiers: rec.identifiers.clone(),
        };
        let query = crate::matching::Prepared::new(&identity);
        Ok(crate::matching::compare(&query, &subject.prepared, &self.match_config).is_some())
    }

    /// Writes re-checked outcomes: each enrolment as it stands now (skipped if unenrolled
    /// meanwhile) gets its new outcome and matches, and, when the outcome changed, an alert
    /// (raised by change-log record `change_seq`) with its audit event. Returns the alerts.
    fn apply_rechecks(
        &self,
        tx: &crate::store::Tx<'_>,
        updates: &[(EnrolmentRecord, Outcome, Vec<String>)],
        change_seq: u64,
    ) -> crate::store::TxResult<usize, Error> {
        let now = self.clock.now_ms();
        let mut raised = 0;
        for (rec, outcome, matched) in updates {
            let id = enrolment_id(&rec.enrolment_id).map_err(abort)?;
            let Some(current) = tx.enrolment(&rec.organisation, &id)? else {
                continue;
            };
            tx.recheck_enrolment(&current, *outcome, matched)?;
            if current.outcome == *outcome {
                continue;
            }
            let check_id = Id::new(IdKind::Check, &self.clock).to_string();
            let entry = AuditEntry {
                key_id: rec.key_id.clone(),
                organisation: rec.organisation.clone(),
                role: Role::Checker.as_str().to_owned(),
                action: "alert".to_owned(),
                purpose: Some(Purpose::PeriodicRevetting),
                client_ref: rec.employee_ref.clone(),
                subject_ids: matched.clone(),
                outcome: Some(*outcome),
                check_id: check_id.clone(),
                ..AuditEntry::default()
            };
            tx.append_audit(now, entry)?;
            tx.append_alert(
                &rec.organisation,
                AlertRecord {
                    sequence: 0,
                    enrolment_id: rec.enrolment_id.clone(),
                    employee_ref: rec.employee_ref.clone(),
                    previous_outcome: current.outcome,
                    outcome: *outcome,
                    check_id,
                    raised_at_ms: now,
                    change_sequence: change_seq,
                },
            )?;
            raised += 1;
        }
        Ok(raised)
    }

    /// Closes the window between an enrolment's check and its commit: a registry change that
    /// landed in between was projected before the enrolment was in the index, so the enrolment
    /// is re-checked once against the registry as it is now, and alerted if its outcome moved.
    fn reconcile(&self, rec: &EnrolmentRecord) -> Result<usize> {
        let (outcome, matched) = self.recheck(rec)?;
        if outcome == rec.outcome && matched == rec.matched {
            return Ok(0);
        }
        let head = self.store.change_head()?;
        let updates = [(rec.clone(), outcome, matched)];
        self.store
            .transact(|tx| self.apply_rechecks(tx, &updates, head))
    }

    /// An organisation's alerts after `after`, at most `limit` (see [`crate::core::paging`]).
    pub fn alerts(&self, who: &Principal, after: u64, limit: usize) -> Result<Vec<AlertRecord>> {
        Ok(self.store.alerts_of(&who.organisation, after, limit)?)
    }
}
