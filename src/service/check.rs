//! Checks: find listed people who may be the applicant, decide the outcome, audit the disclosure.

use std::cmp::Ordering;

use crate::core::chain::AuditEntry;
use crate::core::identity::{Date, Identifier, PersonName};
use crate::core::ids::{Id, IdKind};
use crate::core::model::{Investigation, Listing, Outcome, Purpose, Status, outcome_of};
use crate::core::principal::Principal;
use crate::core::{disclosure, validate};
use crate::matching::dob::DobRelation;
use crate::matching::{self, Identity, Prepared, Strength};
use crate::service::Vetting;
use crate::service::error::{Error, Result};

/// What an employer asks about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckInput {
    pub name: Option<PersonName>,
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
    pub purpose: Option<Purpose>,
    pub client_ref: String,
}

/// One listed person who may be the applicant, as far as the caller may see them.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchView {
    pub subject_id: String,
    pub strength: Strength,
    pub score: f64,
    pub reasons: Vec<String>,
    pub matched_name: PersonName,
    pub date_of_birth: Option<Date>,
    pub status: Status,
    pub listings: Vec<Listing>,
    pub investigations: Vec<Investigation>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    pub check_id: String,
    pub outcome: Outcome,
    pub matches: Vec<MatchView>,
    pub data_version: u64,
    pub checked_at_ms: i64,
    pub client_ref: String,
}

/// The candidate search and scoring of a check, before it is audited.
#[derive(Clone, Debug)]
pub struct Found {
    pub matches: Vec<MatchView>,
    pub data_version: u64,
    /// Candidates fetched from the index.
    pub candidates: usize,
}

impl Vetting {
    pub fn validate_check(&self, c: &CheckInput) -> Result<Purpose> {
        validate::person_name("name", c.name.as_ref())?;
        validate::other_names("other_names", &c.other_names)?;
        if let Some(d) = &c.date_of_birth {
            validate::date("date_of_birth", d, Some(self.clock.today()))?;
        }
        validate::identifiers("identifiers", &c.identifiers)?;
        validate::short("client_ref", &c.client_ref)?;
        c.purpose.ok_or_else(|| {
            Error::invalid(
                "purpose",
                "required: the lawful reason for the check (RECRUITMENT, TRANSFER, PERIODIC_REVETTING, ...)",
            )
        })
    }

    /// Finds and scores the listed people who may be the applicant, as `who` may see them
    /// today. Reads only; retried while registry writes land in between, so the result is of
    /// one data version.
    pub fn find(&self, who: &Principal, c: &CheckInput) -> Result<Found> {
        let visibility = disclosure::visibility_of(who, self.clock.today());
        self.find_as(visibility, c)
    }

    /// [`Vetting::find`] for a caller who sees `visibility`. What it may not see plays no part:
    /// a subject it sees as clear is passed over in the index unfetched (as a stranger is), is
    /// never scored, and fills no candidate or match slot; a match shows only the listings and
    /// investigations it may see.
    pub fn find_as(&self, visibility: disclosure::Visibility, c: &CheckInput) -> Result<Found> {
        let identity = Identity {
            names: c.name.iter().chain(c.other_names.iter()).cloned().collect(),
            date_of_birth: c.date_of_birth,
            identifiers: c.identifiers.clone(),
        };
        let query = Prepared::new(&identity);
        let keys = matching::query_keys(&query);
        // A candidate whose date of birth is plainly different cannot match on names (`compare`
        // refuses it), so the index's copy of the date rules it out unfetched; identifier keys
        // are exempt, as an identifier match ignores the date. (A date missing on either side
        // is never `Different`.)
        let query_dob = query.date_of_birth();
        let keep = |key: &str, dob| {
            matching::is_identifier_key(key)
                || matching::dob::relate(query_dob, dob) != DobRelation::Different
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let version = self.store.data_version()?;
            let ids = self
                .store
                .candidates_for(&keys, self.max_candidates, visibility, keep)?;
            if ids.len() >= self.max_candidates {
                tracing::warn!(
                    limit = self.max_candidates,
                    "check reached the candidate limit"
                );
            }
            let mut scored = Vec::new();
            for id in &ids {
                let Some(rec) = self.store.match_record(id)? else {
                    continue;
                };
                let status = rec.status_for(visibility);
                if status == Status::Clear {
                    continue;
                }
                if let Some(cmp) = matching::compare(&query, &rec.prepared, &self.match_config) {
                    scored.push((*id, status, cmp));
                }
            }
            scored.sort_by(|a, b| {
                (a.2.strength != Strength::Strong)
                    .cmp(&(b.2.strength != Strength::Strong))
                    .then(b.2.score.partial_cmp(&a.2.score).unwrap_or(Ordering::Equal))
            });
            scored.truncate(self.max_matches);
            let mut matches = Vec::with_capacity(scored.len());
            for (id, status, cmp) in scored {
                let sid = Id::from_bytes(IdKind::Subject, id);
                let Some(s) = self.store.subject(&sid)? else {
                    continue;
                };
                let matched_name = s
                    .all_names()
                    .nth(cmp.matched_name)
                    .cloned()
                    .unwrap_or_else(|| s.name.clone());
                matches.push(MatchView {
                    subject_id: s.subject_id.clone(),
                    strength: cmp.strength,
                    score: cmp.score,
                    reasons: cmp.reasons,
                    matched_name,
                    date_of_birth: s.date_of_birth,
                    status,
                    listings: visibility.listings_of(&s),
                    investigations: visibility.investigations_of(&s),
                });
            }
            let now = self.store.data_version()?;
            if now == version || attempt >= 3 {
                // After the last attempt the answer may rest on writes up to `now`: that is
                // the version it waits to be durable.
                return Ok(Found {
                    matches,
                    data_version: now,
                    candidates: ids.len(),
                });
            }
        }
    }

    /// A whole check: validate, find, decide, and audit. When this returns, the audit event is
    /// in the check journal and survives the process being killed. Before answering, the caller
    /// waits until the registry is durable up to the result's `data_version` (an answer must
    /// not outlive the state it reported), and, when the store syncs checks, for the owner's
    /// next round ([`super::Durability::Seen`]).
    pub fn check(&self, who: &Principal, c: &CheckInput) -> Result<CheckResult> {
        let purpose = self.validate_check(c)?;
        let found = self.find(who, c)?;
        let outcome = outcome_of(
            found
                .matches
                .iter()
                .map(|m| (m.strength == Strength::Strong, m.status)),
        );
        let check_id = Id::new(IdKind::Check, &self.clock).to_string();
        let now = self.clock.now_ms();
        let mut entry = AuditEntry::by(who, "check");
        entry.purpose = Some(purpose);
        entry.client_ref = c.client_ref.clone();
        entry.subject_ids = found.matches.iter().map(|m| m.subject_id.clone()).collect();
        entry.outcome = Some(outcome);
        entry.check_id = check_id.clone();
        self.store.record(now, entry)?;
        crate::metrics::check_answered(outcome);
        Ok(CheckResult {
            check_id,
            outcome,
            matches: found.matches,
            data_version: found.data_version,
            checked_at_ms: now,
            client_ref: c.client_ref.clone(),
        })
    }
}
