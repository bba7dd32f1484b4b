//! The audit trail's operations: listing events (itself audited) and verifying the chain.
//! The chain's sealing and verifying rules are [`crate::core::chain`]'s.

use crate::core::chain::{AuditEntry, AuditEvent, Verification, verify};
use crate::core::ids::{Id, IdKind};
use crate::core::paging;
use crate::core::principal::Principal;
use crate::service::Vetting;
use crate::service::error::{Error, Result};
use crate::store::StoreError;

/// Filters of [`Vetting::list_audit_events`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub subject_id: String,
    pub organisation: String,
    /// Only events of this action (`refused_call`, `check`, ...).
    pub action: String,
    /// Unix milliseconds, inclusive.
    pub from_ms: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub to_ms: Option<i64>,
}

impl AuditFilter {
    fn admits(&self, e: &AuditEvent) -> bool {
        (self.subject_id.is_empty() || e.entry.subject_ids.contains(&self.subject_id))
            && (self.organisation.is_empty() || e.entry.organisation == self.organisation)
            && (self.action.is_empty() || e.entry.action == self.action)
            && self.from_ms.is_none_or(|f| e.at_ms >= f)
            && self.to_ms.is_none_or(|t| e.at_ms < t)
    }
}

impl Vetting {
    /// A page of audit events, oldest first. Reading the trail is itself audited.
    pub fn list_audit_events(
        &self,
        who: &Principal,
        filter: &AuditFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<AuditEvent>, String)> {
        let size = paging::page_size(page_size)?;
        let subject = if filter.subject_id.is_empty() {
            None
        } else {
            Some(Id::parse(
                IdKind::Subject,
                "subject_id",
                &filter.subject_id,
            )?)
        };
        let from_seq = if page_token.is_empty() {
            1
        } else {
            page_token
                .strip_prefix("a1.")
                .and_then(|t| t.parse::<u64>().ok())
                .ok_or_else(|| Error::invalid("page_token", "not a token from ListAuditEvents"))?
        };
        // Every event up to the settled head is in the trees; past it, an event sealed earlier
        // may still be on its way, so the listing stops there (a page never skips one).
        let last = self.store.settle_audit()?.map_or(0, |h| h.0);
        let seqs: Box<dyn Iterator<Item = Result<u64, StoreError>>> = match &subject {
            Some(id) => Box::new(self.store.audit_seqs_of_subject(id.bytes(), from_seq)),
            None if !filter.organisation.is_empty() => {
                Box::new(self.store.audit_seqs_of_org(&filter.organisation, from_seq))
            }
            None => Box::new(self.store.audit_from(from_seq).map(|r| r.map(|(s, _)| s))),
        };
        let mut events = Vec::new();
        let mut next = String::new();
        for (scanned, seq) in seqs.enumerate() {
            let seq = seq?;
            if seq > last {
                break;
            }
            if events.len() == size || scanned == paging::MAX_SCAN {
                next = format!("a1.{seq}");
                break;
            }
            let event = self
                .store
                .audit_event(seq)?
                .ok_or(StoreError::Corrupt { tree: "audit" })?;
            if filter.admits(&event) {
                events.push(event);
            }
        }
        let now = self.clock.now_ms();
        let mut entry = AuditEntry::by(who, "list_audit_events");
        entry.subject_ids = subject.iter().map(ToString::to_string).collect();
        self.store.record(now, entry)?;
        Ok((events, next))
    }

    /// Walks the whole chain.
    ///
    /// The chain is walked up to its head as it stood when the walk began (the events sealed
    /// since are the next walk's): checks and writes go on while it runs.
    pub fn verify_audit_log(&self) -> Result<Verification> {
        let head = self.store.settle_audit()?;
        let last = head.as_ref().map_or(0, |h| h.0);
        let mut failure = None;
        let events = self
            .store
            .audit_from(1)
            .map_while(|r| match r {
                Ok(e) => Some(e),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            })
            .take_while(|(seq, _)| *seq <= last);
        let verification = verify(events, head);
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(verification),
        }
    }
}
