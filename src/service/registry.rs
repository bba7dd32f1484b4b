//! Registry operations: recording people, listings and investigations, and the lifecycle rules
//! that the registry applies by itself, each in one atomic write with its audit event.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::core::chain::AuditEntry;
use crate::core::change::{Change, ChangeKind, Departure, rule_changes};
use crate::core::identity::{Date, Identifier, PersonName};
use crate::core::ids::{Id, IdKind};
use crate::core::model::{
    DepartureKind, EmploymentRole, Investigation, InvestigationOutcome, InvestigationState,
    ListKind, Listing, ListingGrounds, ListingState, RemovalReason, Status, Subject,
};
use crate::core::principal::Principal;
use crate::core::{paging, validate};
use crate::service::Vetting;
use crate::service::error::{Error, Result};
use crate::store::{RequestRecord, Tx, abort};

type TxResult<T> = crate::store::TxResult<T, Error>;

/// Who a new or updated subject is.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SubjectInput {
    pub name: Option<PersonName>,
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
}

/// A listing as a registrar reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListingInput {
    pub list: Option<ListKind>,
    pub organisation: String,
    pub role: Option<EmploymentRole>,
    pub rank: String,
    pub decision_date: Option<Date>,
    pub standards_breached: Vec<String>,
    pub reason: String,
    pub published: bool,
    pub grounds: Option<ListingGrounds>,
}

/// An allegation about a former member of staff, as a registrar records it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AllegationInput {
    pub organisation: String,
    pub role: Option<EmploymentRole>,
    pub left_on: Option<Date>,
    pub reported_on: Option<Date>,
    pub allegation_summary: String,
    pub reference: String,
}

/// An investigation as a registrar opens it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvestigationInput {
    pub organisation: String,
    pub reference: String,
    pub allegation_summary: String,
    pub opened_on: Option<Date>,
    pub role: Option<EmploymentRole>,
}

/// The fingerprint of a request, to tell a retry from another request with the same id.
pub(crate) fn fingerprint<T: Serialize>(op: &str, v: &T) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(op.as_bytes());
    h.update(postcard::to_stdvec(v).unwrap_or_default());
    h.finalize().into()
}

/// Where a request id is kept: per operation and organisation.
pub(crate) fn request_key(op: &str, who: &Principal, request_id: &str) -> Vec<u8> {
    [
        op.as_bytes(),
        b"\0",
        who.organisation.as_bytes(),
        b"\0",
        request_id.as_bytes(),
    ]
    .concat()
}

fn not_found(what: &'static str, id: &Id) -> Error {
    Error::NotFound {
        what,
        id: id.to_string(),
    }
}

/// A retried create: returns what the first call made, if this request id was used before.
fn replay(tx: &Tx<'_>, key: &[u8], fp: [u8; 32]) -> TxResult<Option<String>> {
    match tx.request(key)? {
        None => Ok(None),
        Some(r) if r.fingerprint == fp => Ok(Some(r.result_id)),
        Some(_) => Err(abort(Error::AlreadyExists(
            "request_id: already used for a different request".into(),
        ))),
    }
}

impl Vetting {
    /// Validates who a subject is (names, date of birth, identifiers).
    pub fn validate_subject_input(&self, s: &SubjectInput) -> Result<()> {
        validate::person_name("subject.name", s.name.as_ref())?;
        validate::other_names("subject.other_names", &s.other_names)?;
        if let Some(d) = &s.date_of_birth {
            validate::date("subject.date_of_birth", d, Some(self.clock.today()))?;
        }
        Ok(validate::identifiers(
            "subject.identifiers",
            &s.identifiers,
        )?)
    }

    fn load(tx: &Tx<'_>, id: &Id) -> TxResult<Subject> {
        tx.subject(id)?
            .ok_or_else(|| abort(not_found("subject", id)))
    }

    /// Writes a changed subject with its next revision, bumps the data version, appends the
    /// change (`kind`, on `target`: a listing or investigation id, or empty) and each change a
    /// lifecycle rule made with it to the change log, and audits.
    #[allow(clippy::too_many_arguments)]
    fn commit(
        &self,
        tx: &Tx<'_>,
        who: &Principal,
        action: &str,
        (kind, target): (ChangeKind, &str),
        id: &Id,
        s: Subject,
        now: i64,
    ) -> TxResult<Subject> {
        self.commit_with(tx, who, action, (kind, target), id, s, now, None)
    }

    /// [`Self::commit`], with what a departure recorded for its change record.
    #[allow(clippy::too_many_arguments)]
    fn commit_with(
        &self,
        tx: &Tx<'_>,
        who: &Principal,
        action: &str,
        (kind, target): (ChangeKind, &str),
        id: &Id,
        mut s: Subject,
        now: i64,
        departure: Option<Departure>,
    ) -> TxResult<Subject> {
        let before = tx.subject(id)?;
        s.revision += 1;
        s.updated_at_ms = now;
        let rules = rule_changes(before.as_ref(), &s, target);
        // The subject lists its own change records (its history), so it needs their sequences
        // before it is written: this change's, then one for each rule it triggered.
        let first = tx.next_change_sequence()?;
        s.changes
            .extend((0..=rules.len() as u64).map(|i| first + i));
        tx.put_subject(id, &s)?;
        tx.bump_data_version()?;
        let change = |kind, target: &str, rule, departure| Change {
            sequence: 0,
            at_ms: now,
            subject_id: s.subject_id.clone(),
            revision: s.revision,
            kind,
            target_id: target.to_owned(),
            rule,
            key_id: who.key_id.clone(),
            organisation: who.organisation.clone(),
            subject: s.clone(),
            departure,
        };
        tx.append_change(change(kind, target, None, departure.clone()))?;
        for (kind, listing, rule) in rules {
            tx.append_change(change(kind, &listing, Some(rule), None))?;
        }
        let mut entry = AuditEntry::by(who, action);
        entry.subject_ids = vec![s.subject_id.clone()];
        tx.append_audit(now, entry)?;
        Ok(s)
    }

    pub fn create_subject(
        &self,
        who: &Principal,
        input: &SubjectInput,
        request_id: &str,
    ) -> Result<Subject> {
        self.validate_subject_input(input)?;
        validate::request_id("request_id", request_id)?;
        let name = input.name.clone().unwrap_or_default();
        let key = request_key("create_subject", who, request_id);
        let fp = fingerprint("create_subject", input);
        let now = self.clock.now_ms();
        let id = Id::new(IdKind::Subject, &self.clock);
        self.store.transact(|tx| {
            if !request_id.is_empty() {
                if let Some(first) = replay(tx, &key, fp)? {
                    let first = Id::parse(IdKind::Subject, "subject_id", &first).map_err(abort)?;
                    return Self::load(tx, &first);
                }
                tx.put_request(
                    &key,
                    &RequestRecord {
                        fingerprint: fp,
                        result_id: id.to_string(),
                    },
                )?;
            }
            let s = Subject {
                subject_id: id.to_string(),
                name: name.clone(),
                other_names: input.other_names.clone(),
                date_of_birth: input.date_of_birth,
                identifiers: input.identifiers.clone(),
                listings: vec![],
                investigations: vec![],
                revision: 0,
                created_at_ms: now,
                updated_at_ms: now,
                changes: vec![],
            };
            self.commit(
                tx,
                who,
                "create_subject",
                (ChangeKind::SubjectCreated, ""),
                &id,
                s,
                now,
            )
        })
    }

    /// Reads a subject; the read is audited (a consultation of personal data).
    pub fn get_subject(&self, who: &Principal, subject_id: &str) -> Result<Subject> {
        let id = Id::parse(IdKind::Subject, "subject_id", subject_id)?;
        let s = self
            .store
            .subject(&id)?
            .ok_or_else(|| not_found("subject", &id))?;
        let mut entry = AuditEntry::by(who, "get_subject");
        entry.subject_ids = vec![s.subject_id.clone()];
        self.store.record(self.clock.now_ms(), entry)?;
        Ok(s)
    }

    pub fn update_subject(
        &self,
        who: &Principal,
        subject_id: &str,
        input: &SubjectInput,
        expected_revision: u64,
    ) -> Result<Subject> {
        let id = Id::parse(IdKind::Subject, "subject.subject_id", subject_id)?;
        self.validate_subject_input(input)?;
        if expected_revision == 0 {
            return Err(Error::invalid(
                "expected_revision",
                "required: the revision you read",
            ));
        }
        let now = self.clock.now_ms();
        self.store.transact(|tx| {
            let mut s = Self::load(tx, &id)?;
            if s.revision != expected_revision {
                return Err(abort(Error::Aborted(format!(
                    "subject {id} is at revision {}, not {expected_revision}: read it again",
                    s.revision
                ))));
            }
            s.name = input.name.clone().unwrap_or_default();
            s.other_names = input.other_names.clone();
            s.date_of_birth = input.date_of_birth;
            s.identifiers = input.identifiers.clone();
            self.commit(
                tx,
                who,
                "update_subject",
                (ChangeKind::SubjectUpdated, ""),
                &id,
                s,
                now,
            )
        })
    }

    /// A page of subjects in creation order, optionally of one status; audited with the ids shown.
    pub fn list_subjects(
        &self,
        who: &Principal,
        page_size: i32,
        page_token: &str,
        status: Option<Status>,
    ) -> Result<(Vec<Subject>, String)> {
        let size = paging::page_size(page_size)?;
        let start = if page_token.is_empty() {
            None
        } else {
            let id = page_token
                .strip_prefix("s1.")
                .and_then(|t| Id::parse(IdKind::Subject, "page_token", &format!("sub_{t}")).ok())
                .ok_or_else(|| Error::invalid("page_token", "not a token from ListSubjects"))?;
            Some(*id.bytes())
        };
        let mut page = Vec::new();
        let mut next = String::new();
        for (scanned, r) in self.store.subjects_from(start).enumerate() {
            let s = r?;
            if page.len() == size || scanned == paging::MAX_SCAN {
                next = format!("s1.{}", s.subject_id.trim_start_matches("sub_"));
                break;
            }
            if status.is_none_or(|st| s.status() == st) {
                page.push(s);
            }
        }
        if !page.is_empty() {
            let now = self.clock.now_ms();
            let mut entry = AuditEntry::by(who, "list_subjects");
            entry.subject_ids = page.iter().map(|s| s.subject_id.clone()).collect();
            self.store.record(now, entry)?;
        }
        Ok((page, next))
    }

    fn validate_listing(&self, l: &ListingInput) -> Result<(ListKind, EmploymentRole, Date)> {
        let list = l.list.ok_or_else(|| {
            Error::invalid("listing.list", "required: BARRED_LIST or ADVISORY_LIST")
        })?;
        validate::required("listing.organisation", &l.organisation)?;
        let role = l
            .role
            .ok_or_else(|| Error::invalid("listing.role", "required"))?;
        validate::short("listing.rank", &l.rank)?;
        let decided = validate::event_date(
            "listing.decision_date",
            l.decision_date.as_ref(),
            self.clock.today(),
        )?;
        if l.standards_breached.len() > validate::MAX_REPEATED {
            return Err(Error::invalid(
                "listing.standards_breached",
                "too many entries",
            ));
        }
        for (i, s) in l.standards_breached.iter().enumerate() {
            validate::required(&format!("listing.standards_breached[{i}]"), s)?;
        }
        validate::text("listing.reason", &l.reason)?;
        if let Some(g) = l.grounds
            && g.list() != list
        {
            return Err(Error::invalid(
                "listing.grounds",
                match list {
                    ListKind::Barred => {
                        "a barred entry's grounds are GROSS_MISCONDUCT or GROSS_INCOMPETENCE"
                    }
                    ListKind::Advisory => {
                        "an advisory entry's grounds are RESIGNED_UNDER_INVESTIGATION, RETIRED_UNDER_INVESTIGATION or ALLEGATION_AFTER_LEAVING"
                    }
                },
            ));
        }
        if l.published && l.grounds == Some(ListingGrounds::GrossIncompetence) {
            return Err(Error::invalid(
                "listing.published",
                "only dismissals for gross misconduct are published, not for gross incompetence",
            ));
        }
        if l.published {
            if list == ListKind::Advisory {
                return Err(Error::invalid(
                    "listing.published",
                    "advisory entries are never published",
                ));
            }
            if !matches!(
                role,
                EmploymentRole::PoliceOfficer | EmploymentRole::SpecialConstable
            ) {
                return Err(Error::invalid(
                    "listing.published",
                    "only police officers and special constables are published",
                ));
            }
        }
        Ok((list, role, decided))
    }

    /// Adds a listing. A barred listing supersedes the subject's active advisory listings from the
    /// same organisation (the advisory entry is replaced by the barred one).
    pub fn add_listing(
        &self,
        who: &Principal,
        subject_id: &str,
        input: &ListingInput,
        request_id: &str,
    ) -> Result<Listing> {
        let id = Id::parse(IdKind::Subject, "subject_id", subject_id)?;
        let (list, role, decided) = self.validate_listing(input)?;
        validate::request_id("request_id", request_id)?;
        let key = request_key("add_listing", who, request_id);
        let fp = fingerprint("add_listing", &(subject_id, input));
        let now = self.clock.now_ms();
        let listing_id = Id::new(IdKind::Listing, &self.clock);
        self.store.transact(|tx| {
            let mut s = Self::load(tx, &id)?;
            if !request_id.is_empty() {
                if let Some(first) = replay(tx, &key, fp)? {
                    return s
                        .listings
                        .iter()
                        .find(|l| l.listing_id == first)
                        .cloned()
                        .ok_or_else(|| {
                            abort(Error::FailedPrecondition(
                                "request_id: the first listing is gone".into(),
                            ))
                        });
                }
                tx.put_request(
                    &key,
                    &RequestRecord {
                        fingerprint: fp,
                        result_id: listing_id.to_string(),
                    },
                )?;
            }
            after_birth(&s, "listing.decision_date", decided)?;
            let organisation = input.organisation.trim();
            no_active_listing(&s, list, organisation)?;
            let listing = Listing {
                listing_id: listing_id.to_string(),
                list,
                organisation: organisation.to_owned(),
                role,
                rank: input.rank.trim().to_owned(),
                decision_date: Some(decided),
                standards_breached: input
                    .standards_breached
                    .iter()
                    .map(|s| s.trim().to_owned())
                    .collect(),
                reason: input.reason.trim().to_owned(),
                published: input.published,
                state: ListingState::Active,
                removal_reason: None,
                removed_on: None,
                removal_note: String::new(),
                investigation_id: String::new(),
                grounds: input.grounds,
            };
            if list == ListKind::Barred {
                supersede_advisory(&mut s, organisation, decided, &listing.listing_id);
            }
            s.listings.push(listing.clone());
            self.commit(
                tx,
                who,
                "add_listing",
                (ChangeKind::ListingAdded, &listing.listing_id),
                &id,
                s,
                now,
            )?;
            Ok(listing)
        })
    }

    pub fn remove_listing(
        &self,
        who: &Principal,
        listing_id: &str,
        reason: Option<RemovalReason>,
        note: &str,
        removed_on: Option<Date>,
    ) -> Result<(String, Listing)> {
        let lid = Id::parse(IdKind::Listing, "listing_id", listing_id)?;
        let reason = reason.ok_or_else(|| Error::invalid("reason", "required"))?;
        validate::text("note", note)?;
        let removed_on =
            validate::event_date("removed_on", removed_on.as_ref(), self.clock.today())?;
        let now = self.clock.now_ms();
        self.store.transact(|tx| {
            let sid = tx
                .subject_of_listing(&lid)?
                .ok_or_else(|| abort(not_found("listing", &lid)))?;
            let mut s = Self::load(tx, &sid)?;
            let l = s
                .listings
                .iter_mut()
                .find(|l| l.listing_id == listing_id)
                .ok_or_else(|| abort(not_found("listing", &lid)))?;
            if !l.is_active() {
                return Err(abort(Error::FailedPrecondition(format!(
                    "listing {lid} is already removed"
                ))));
            }
            if l.decision_date.is_some_and(|d| removed_on < d) {
                return Err(abort(Error::invalid(
                    "removed_on",
                    "is before the listing's decision date",
                )));
            }
            removal_allowed(l, reason, removed_on).map_err(abort)?;
            l.state = ListingState::Removed;
            l.removal_reason = Some(reason);
            l.removed_on = Some(removed_on);
            l.removal_note = note.trim().to_owned();
            let removed = l.clone();
            let s = self.commit(
                tx,
                who,
                "remove_listing",
                (ChangeKind::ListingRemoved, listing_id),
                &sid,
                s,
                now,
            )?;
            Ok((s.subject_id, removed))
        })
    }

    pub fn open_investigation(
        &self,
        who: &Principal,
        subject_id: &str,
        input: &InvestigationInput,
        request_id: &str,
    ) -> Result<Investigation> {
        let id = Id::parse(IdKind::Subject, "subject_id", subject_id)?;
        validate::required("investigation.organisation", &input.organisation)?;
        validate::short("investigation.reference", &input.reference)?;
        validate::text(
            "investigation.allegation_summary",
            &input.allegation_summary,
        )?;
        let opened = validate::event_date(
            "investigation.opened_on",
            input.opened_on.as_ref(),
            self.clock.today(),
        )?;
        validate::request_id("request_id", request_id)?;
        let key = request_key("open_investigation", who, request_id);
        let fp = fingerprint("open_investigation", &(subject_id, input));
        let now = self.clock.now_ms();
        let inv_id = Id::new(IdKind::Investigation, &self.clock);
        self.store.transact(|tx| {
            let mut s = Self::load(tx, &id)?;
            if !request_id.is_empty() {
                if let Some(first) = replay(tx, &key, fp)? {
                    return s
                        .investigations
                        .iter()
                        .find(|i| i.investigation_id == first)
                        .cloned()
                        .ok_or_else(|| {
                            abort(Error::FailedPrecondition(
                                "request_id: the first investigation is gone".into(),
                            ))
                        });
                }
                tx.put_request(
                    &key,
                    &RequestRecord {
                        fingerprint: fp,
                        result_id: inv_id.to_string(),
                    },
                )?;
            }
            after_birth(&s, "investigation.opened_on", opened)?;
            let inv = Investigation {
                investigation_id: inv_id.to_string(),
                organisation: input.organisation.trim().to_owned(),
                reference: input.reference.trim().to_owned(),
                allegation_summary: input.allegation_summary.trim().to_owned(),
                opened_on: Some(opened),
                state: InvestigationState::Open,
                outcome: None,
                closed_on: None,
                role: input.role.unwrap_or(EmploymentRole::Other),
            };
            s.investigations.push(inv.clone());
            self.commit(
                tx,
                who,
                "open_investigation",
                (ChangeKind::InvestigationOpened, &inv.investigation_id),
                &id,
                s,
                now,
            )?;
            Ok(inv)
        })
    }

    /// Closes an investigation and applies the lifecycle rules: a dismissal (or a finding that the
    /// person would have been dismissed) adds a barred listing and supersedes the organisation's
    /// advisory listings; any other outcome removes the advisory listings this investigation caused.
    pub fn close_investigation(
        &self,
        who: &Principal,
        investigation_id: &str,
        outcome: Option<InvestigationOutcome>,
        closed_on: Option<Date>,
    ) -> Result<(String, Investigation)> {
        let iid = Id::parse(IdKind::Investigation, "investigation_id", investigation_id)?;
        let outcome = outcome.ok_or_else(|| Error::invalid("outcome", "required"))?;
        let closed = validate::event_date("closed_on", closed_on.as_ref(), self.clock.today())?;
        let now = self.clock.now_ms();
        let new_listing_id = Id::new(IdKind::Listing, &self.clock);
        self.store.transact(|tx| {
            let sid = tx
                .subject_of_investigation(&iid)?
                .ok_or_else(|| abort(not_found("investigation", &iid)))?;
            let mut s = Self::load(tx, &sid)?;
            let inv = s
                .investigations
                .iter_mut()
                .find(|i| i.investigation_id == investigation_id)
                .ok_or_else(|| abort(not_found("investigation", &iid)))?;
            if !inv.is_open() {
                return Err(abort(Error::FailedPrecondition(format!(
                    "investigation {iid} is already closed"
                ))));
            }
            if inv.opened_on.is_some_and(|d| closed < d) {
                return Err(abort(Error::invalid(
                    "closed_on",
                    "is before the investigation was opened",
                )));
            }
            inv.state = InvestigationState::Closed;
            inv.outcome = Some(outcome);
            inv.closed_on = Some(closed);
            let inv = inv.clone();
            if outcome.bars() {
                supersede_advisory(
                    &mut s,
                    &inv.organisation,
                    closed,
                    &new_listing_id.to_string(),
                );
                s.listings.push(Listing {
                    listing_id: new_listing_id.to_string(),
                    list: ListKind::Barred,
                    organisation: inv.organisation.clone(),
                    role: inv.role,
                    rank: String::new(),
                    decision_date: Some(closed),
                    standards_breached: vec![],
                    reason: inv.allegation_summary.clone(),
                    published: false,
                    state: ListingState::Active,
                    removal_reason: None,
                    removed_on: None,
                    removal_note: String::new(),
                    investigation_id: inv.investigation_id.clone(),
                    // Misconduct proceedings end in dismissal for gross misconduct; gross
                    // incompetence is a performance procedure's finding, not an investigation's.
                    grounds: Some(ListingGrounds::GrossMisconduct),
                });
            } else {
                for l in s.listings.iter_mut().filter(|l| {
                    l.is_active()
                        && l.list == ListKind::Advisory
                        && l.investigation_id == inv.investigation_id
                }) {
                    l.state = ListingState::Removed;
                    l.removal_reason = Some(RemovalReason::ProceedingsConcluded);
                    l.removed_on = Some(closed);
                    l.removal_note = format!(
                        "investigation {} closed: {}",
                        inv.investigation_id,
                        outcome_words(outcome)
                    );
                }
            }
            let s = self.commit(
                tx,
                who,
                "close_investigation",
                (ChangeKind::InvestigationClosed, investigation_id),
                &sid,
                s,
                now,
            )?;
            Ok((s.subject_id, inv))
        })
    }

    /// Records that the person left an organisation. Resigning or retiring while an investigation
    /// is open adds an advisory listing for that organisation (the "resign to escape the hearing"
    /// case), tied to the investigation so that its outcome later settles the listing.
    pub fn record_departure(
        &self,
        who: &Principal,
        subject_id: &str,
        kind: Option<DepartureKind>,
        left_on: Option<Date>,
        organisation: &str,
    ) -> Result<Subject> {
        let id = Id::parse(IdKind::Subject, "subject_id", subject_id)?;
        let kind = kind.ok_or_else(|| Error::invalid("kind", "required"))?;
        let left = validate::event_date("left_on", left_on.as_ref(), self.clock.today())?;
        validate::required("organisation", organisation)?;
        let organisation = organisation.trim();
        let now = self.clock.now_ms();
        let new_listing_id = Id::new(IdKind::Listing, &self.clock);
        self.store.transact(|tx| {
            let mut s = Self::load(tx, &id)?;
            after_birth(&s, "left_on", left)?;
            if matches!(kind, DepartureKind::Resigned | DepartureKind::Retired) {
                // Prefer the leaving organisation's own investigation, else any open one.
                let open = s
                    .investigations
                    .iter()
                    .filter(|i| i.is_open())
                    .max_by_key(|i| i.organisation == organisation)
                    .cloned();
                let already = s.active_listing(ListKind::Advisory, organisation).is_some();
                if let Some(inv) = open.filter(|_| !already) {
                    s.listings.push(Listing {
                        listing_id: new_listing_id.to_string(),
                        list: ListKind::Advisory,
                        organisation: organisation.to_owned(),
                        role: inv.role,
                        rank: String::new(),
                        decision_date: Some(left),
                        standards_breached: vec![],
                        reason: format!(
                            "{} while under investigation ({}): {}",
                            if kind == DepartureKind::Resigned {
                                "resigned"
                            } else {
                                "retired"
                            },
                            inv.reference,
                            inv.allegation_summary
                        ),
                        published: false,
                        state: ListingState::Active,
                        removal_reason: None,
                        removed_on: None,
                        removal_note: String::new(),
                        investigation_id: inv.investigation_id.clone(),
                        grounds: Some(if kind == DepartureKind::Resigned {
                            ListingGrounds::ResignedUnderInvestigation
                        } else {
                            ListingGrounds::RetiredUnderInvestigation
                        }),
                    });
                }
            }
            self.commit_with(
                tx,
                who,
                "record_departure",
                (ChangeKind::DepartureRecorded, ""),
                &id,
                s,
                now,
                Some(Departure {
                    kind,
                    left_on: left,
                    organisation: organisation.to_owned(),
                }),
            )
        })
    }

    /// Records an allegation about a former member of staff that came to light after they
    /// left: opens an investigation and the advisory listing it causes (grounds
    /// `AllegationAfterLeaving`, decided on the day it was reported), in one write. Closing the
    /// investigation then settles the listing by the lifecycle rules.
    pub fn record_allegation(
        &self,
        who: &Principal,
        subject_id: &str,
        input: &AllegationInput,
        request_id: &str,
    ) -> Result<(Listing, Investigation)> {
        let id = Id::parse(IdKind::Subject, "subject_id", subject_id)?;
        validate::required("organisation", &input.organisation)?;
        let role = input
            .role
            .ok_or_else(|| Error::invalid("role", "required: the role the person held"))?;
        let today = self.clock.today();
        let left = validate::event_date("left_on", input.left_on.as_ref(), today)?;
        let reported = validate::event_date("reported_on", input.reported_on.as_ref(), today)?;
        if reported < left {
            return Err(Error::invalid(
                "reported_on",
                "is before left_on: an allegation made while the person served is an investigation (OpenInvestigation, then RecordDeparture)",
            ));
        }
        validate::required("allegation_summary", &input.allegation_summary)?;
        validate::text("allegation_summary", &input.allegation_summary)?;
        validate::short("reference", &input.reference)?;
        validate::request_id("request_id", request_id)?;
        let key = request_key("record_allegation", who, request_id);
        let fp = fingerprint("record_allegation", &(subject_id, input));
        let now = self.clock.now_ms();
        let inv_id = Id::new(IdKind::Investigation, &self.clock);
        let listing_id = Id::new(IdKind::Listing, &self.clock);
        let organisation = input.organisation.trim();
        self.store.transact(|tx| {
            let mut s = Self::load(tx, &id)?;
            if !request_id.is_empty() {
                if let Some(first) = replay(tx, &key, fp)? {
                    let listing = s.listings.iter().find(|l| l.listing_id == first);
                    let inv = listing.and_then(|l| {
                        s.investigations
                            .iter()
                            .find(|i| i.investigation_id == l.investigation_id)
                    });
                    return match (listing, inv) {
                        (Some(l), Some(i)) => Ok((l.clone(), i.clone())),
                        _ => Err(abort(Error::FailedPrecondition(
                            "request_id: the first allegation is gone".into(),
                        ))),
                    };
                }
                tx.put_request(
                    &key,
                    &RequestRecord {
                        fingerprint: fp,
                        result_id: listing_id.to_string(),
                    },
                )?;
            }
            after_birth(&s, "left_on", left)?;
            no_active_listing(&s, ListKind::Advisory, organisation)?;
            if let Some(barred) = s.active_listing(ListKind::Barred, organisation) {
                return Err(abort(Error::FailedPrecondition(format!(
                    "subject {id} is already barred on {organisation}'s report: {}",
                    barred.listing_id
                ))));
            }
            let inv = Investigation {
                investigation_id: inv_id.to_string(),
                organisation: organisation.to_owned(),
                reference: input.reference.trim().to_owned(),
                allegation_summary: input.allegation_summary.trim().to_owned(),
                opened_on: Some(reported),
                state: InvestigationState::Open,
                outcome: None,
                closed_on: None,
                role,
            };
            let listing = Listing {
                listing_id: listing_id.to_string(),
                list: ListKind::Advisory,
                organisation: organisation.to_owned(),
                role,
                rank: String::new(),
                decision_date: Some(reported),
                standards_breached: vec![],
                reason: format!(
                    "allegation after leaving on {left}: {}",
                    input.allegation_summary.trim()
                ),
                published: false,
                state: ListingState::Active,
                removal_reason: None,
                removed_on: None,
                removal_note: String::new(),
                investigation_id: inv.investigation_id.clone(),
                grounds: Some(ListingGrounds::AllegationAfterLeaving),
            };
            s.investigations.push(inv.clone());
            s.listings.push(listing.clone());
            self.commit(
                tx,
                who,
                "record_allegation",
                (ChangeKind::AllegationRecorded, &listing.listing_id),
                &id,
                s,
                now,
            )?;
            Ok((listing, inv))
        })
    }

    /// A page of a subject's history: its change records, oldest first, each with who made it
    /// and the subject as it stood after it. Audited (it discloses every past state).
    pub fn subject_history(
        &self,
        who: &Principal,
        subject_id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<Change>, String)> {
        let id = Id::parse(IdKind::Subject, "subject_id", subject_id)?;
        let size = paging::page_size(page_size)?;
        let from = if page_token.is_empty() {
            0
        } else {
            page_token
                .strip_prefix("h1.")
                .and_then(|t| t.parse::<u64>().ok())
                .ok_or_else(|| Error::invalid("page_token", "not a token from GetSubjectHistory"))?
        };
        let s = self
            .store
            .subject(&id)?
            .ok_or_else(|| not_found("subject", &id))?;
        let mut page = Vec::new();
        let mut next = String::new();
        for &seq in s.changes.iter().filter(|&&q| q >= from) {
            if page.len() == size {
                next = format!("h1.{seq}");
                break;
            }
            let change = self
                .store
                .change(seq)?
                .ok_or(crate::store::StoreError::Corrupt { tree: "changes" })?;
            page.push(change);
        }
        let mut entry = AuditEntry::by(who, "get_subject_history");
        entry.subject_ids = vec![s.subject_id.clone()];
        self.store.record(self.clock.now_ms(), entry)?;
        Ok((page, next))
    }
}

/// Refuses a second active listing on `list` from `organisation` (`ALREADY_EXISTS`, naming
/// the one there is).
fn no_active_listing(s: &Subject, list: ListKind, organisation: &str) -> TxResult<()> {
    match s.active_listing(list, organisation) {
        Some(dup) => Err(abort(Error::AlreadyExists(format!(
            "subject {} already has an active {} listing from {organisation}: {}",
            s.subject_id,
            list_name(list),
            dup.listing_id
        )))),
        None => Ok(()),
    }
}

/// Refuses a date before the person's date of birth (as far as it is known: a year-only date
/// of birth refuses only earlier years).
fn after_birth(s: &Subject, field: &str, d: Date) -> TxResult<()> {
    let Some(born) = s.date_of_birth else {
        return Ok(());
    };
    let before = match (born.month, born.day) {
        (0, _) => d.year < born.year,
        (m, 0) => (d.year, d.month) < (born.year, m),
        _ => d < born,
    };
    if before {
        return Err(abort(Error::invalid(
            field,
            "is before the person's date of birth",
        )));
    }
    Ok(())
}

/// Whether `reason` may remove listing `l` on `on`: a barred entry goes on appeal, after a
/// successful review (not before its review date), or as entered in error; an advisory entry
/// when proceedings conclude, or as entered in error. `SUPERSEDED` is the registry's own, when a
/// barred entry replaces an advisory one.
fn removal_allowed(l: &Listing, reason: RemovalReason, on: Date) -> Result<()> {
    use RemovalReason as R;
    match (l.list, reason) {
        (_, R::EnteredInError) | (ListKind::Barred, R::AppealAllowed) => Ok(()),
        (ListKind::Advisory, R::ProceedingsConcluded) => Ok(()),
        (ListKind::Barred, R::ReviewSuccessful) => match l.review_from() {
            Some(from) if on < from => Err(Error::FailedPrecondition(format!(
                "reason: a review of listing {} may be sought from {from} (removed_on is {on})",
                l.listing_id
            ))),
            _ => Ok(()),
        },
        (_, R::Superseded) => Err(Error::FailedPrecondition(
            "reason: SUPERSEDED is set by the registry when a barred entry replaces an advisory one (add the barred listing)".into(),
        )),
        (ListKind::Barred, R::ProceedingsConcluded) => Err(Error::FailedPrecondition(format!(
            "reason: barred listing {} is removed on appeal (APPEAL_ALLOWED), after a successful review (REVIEW_SUCCESSFUL) or as ENTERED_IN_ERROR",
            l.listing_id
        ))),
        (ListKind::Advisory, R::AppealAllowed | R::ReviewSuccessful) => {
            Err(Error::FailedPrecondition(format!(
                "reason: advisory listing {} is removed when proceedings conclude (PROCEEDINGS_CONCLUDED) or as ENTERED_IN_ERROR; a barred listing replaces it by itself",
                l.listing_id
            )))
        }
    }
}

/// Marks the subject's active advisory listings from `organisation` as superseded by `by`.
fn supersede_advisory(s: &mut Subject, organisation: &str, on: Date, by: &str) {
    for l in s
        .listings
        .iter_mut()
        .filter(|l| l.is_active() && l.list == ListKind::Advisory && l.organisation == organisation)
    {
        l.state = ListingState::Removed;
        l.removal_reason = Some(RemovalReason::Superseded);
        l.removed_on = Some(on);
        l.removal_note = format!("superseded by barred listing {by}");
    }
}

fn list_name(l: ListKind) -> &'static str {
    match l {
        ListKind::Barred => "barred",
        ListKind::Advisory => "advisory",
    }
}

fn outcome_words(o: InvestigationOutcome) -> &'static str {
    match o {
        InvestigationOutcome::NoCaseToAnswer => "no case to answer",
        InvestigationOutcome::NoFurtherAction => "no further action",
        InvestigationOutcome::MisconductNotProven => "misconduct not proven",
        InvestigationOutcome::ProvenNoDismissal => "proven, no dismissal",
        InvestigationOutcome::Dismissed => "dismissed",
        InvestigationOutcome::WouldHaveBeenDismissed => "would have been dismissed",
        InvestigationOutcome::Withdrawn => "withdrawn",
    }
}
