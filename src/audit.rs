//! The audit trail's events and their hash chain (Data Protection Act 2018 s.62 logging).
//!
//! Each event's hash covers its sequence, time, content and the previous event's hash, so an edit,
//! an insertion or a deletion anywhere breaks the chain at that point. The store keeps the head
//! (last sequence and hash) beside the events, so a truncated tail is caught as well.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::domain::model::{Outcome, Purpose};
use crate::error::{Error, Result};
use crate::ids::{Id, IdKind};
use crate::registry;
use crate::service::Vetting;
use crate::store::StoreError;

/// What happened and who did it: everything of an event but its place in the chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub key_id: String,
    pub organisation: String,
    pub role: String,
    /// e.g. `check`, `create_subject`, `add_listing`.
    pub action: String,
    pub purpose: Option<Purpose>,
    pub client_ref: String,
    pub subject_ids: Vec<String>,
    pub outcome: Option<Outcome>,
    pub check_id: String,
}

impl AuditEntry {
    /// An entry for `action` by `who`.
    pub fn by(who: &Principal, action: &str) -> Self {
        Self {
            key_id: who.key_id.clone(),
            organisation: who.organisation.clone(),
            role: who.role.as_str().to_owned(),
            action: action.to_owned(),
            ..Self::default()
        }
    }
}

/// An event as stored: the entry, sealed into the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub sequence: u64,
    /// Unix time in milliseconds.
    pub at_ms: i64,
    pub entry: AuditEntry,
    /// Hex SHA-256 of the previous event; empty for the first.
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// Seals `entry` as event `sequence`, chained to `prev_hash`.
    pub fn seal(sequence: u64, at_ms: i64, entry: AuditEntry, prev_hash: String) -> Self {
        let hash = chain_hash(sequence, at_ms, &entry, &prev_hash);
        Self {
            sequence,
            at_ms,
            entry,
            prev_hash,
            hash,
        }
    }

    /// True when the stored hash is the hash of the stored content.
    pub fn hash_holds(&self) -> bool {
        chain_hash(self.sequence, self.at_ms, &self.entry, &self.prev_hash) == self.hash
    }
}

fn chain_hash(sequence: u64, at_ms: i64, entry: &AuditEntry, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"vetting.audit.v1\0");
    h.update(sequence.to_be_bytes());
    h.update(at_ms.to_be_bytes());
    // postcard of a plain struct of strings and enums cannot fail; an empty body would still
    // be chained by sequence and time.
    h.update(postcard::to_stdvec(entry).unwrap_or_default());
    h.update(prev_hash.as_bytes());
    hex::encode(h.finalize())
}

/// The result of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub intact: bool,
    pub events_checked: u64,
    /// The first event that does not verify; 0 when intact.
    pub first_bad_sequence: u64,
    pub head_hash: String,
}

/// Walks events in stored order. `events` yields `(sequence in the key, decoded event or None when
/// undecodable)`; `head` is the stored chain head (last sequence, last hash).
pub fn verify(
    events: impl IntoIterator<Item = (u64, Option<AuditEvent>)>,
    head: Option<(u64, String)>,
) -> Verification {
    let mut expected_seq = 1u64;
    let mut prev_hash = String::new();
    let mut checked = 0u64;
    for (key_seq, event) in events {
        checked += 1;
        let ok = event.as_ref().is_some_and(|e| {
            key_seq == expected_seq
                && e.sequence == key_seq
                && e.prev_hash == prev_hash
                && e.hash_holds()
        });
        if !ok {
            return Verification {
                intact: false,
                events_checked: checked,
                first_bad_sequence: expected_seq.min(key_seq),
                head_hash: prev_hash,
            };
        }
        if let Some(e) = event {
            prev_hash = e.hash;
        }
        expected_seq += 1;
    }
    let last = expected_seq - 1;
    let (head_seq, head_hash) = head.unwrap_or((0, String::new()));
    if head_seq != last || head_hash != prev_hash {
        // Events after `last` were removed (or the head was tampered with).
        return Verification {
            intact: false,
            events_checked: checked,
            first_bad_sequence: last + 1,
            head_hash: prev_hash,
        };
    }
    Verification {
        intact: true,
        events_checked: checked,
        first_bad_sequence: 0,
        head_hash: prev_hash,
    }
}

/// Filters of [`Vetting::list_audit_events`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub subject_id: String,
    pub organisation: String,
    /// Unix milliseconds, inclusive.
    pub from_ms: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub to_ms: Option<i64>,
}

impl AuditFilter {
    fn admits(&self, e: &AuditEvent) -> bool {
        (self.subject_id.is_empty() || e.entry.subject_ids.contains(&self.subject_id))
            && (self.organisation.is_empty() || e.entry.organisation == self.organisation)
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
        let size = registry::page_size(page_size)?;
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
            if events.len() == size || scanned == registry::MAX_SCAN {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut prev = String::new();
        (1..=n)
            .map(|s| {
                let e = AuditEvent::seal(
                    s,
                    1000 + s as i64,
                    AuditEntry {
                        action: "check".into(),
                        ..AuditEntry::default()
                    },
                    prev.clone(),
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn walk(events: &[AuditEvent], head: Option<(u64, String)>) -> Verification {
        verify(events.iter().map(|e| (e.sequence, Some(e.clone()))), head)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let c = chain(5);
        let head = Some((5, c[4].hash.clone()));
        let v = walk(&c, head);
        assert!(v.intact);
        assert_eq!(v.events_checked, 5);
        assert_eq!(v.head_hash, c[4].hash);
        assert!(walk(&[], None).intact);
    }

    #[test]
    fn an_edit_is_found_at_its_sequence() {
        let mut c = chain(5);
        let head = Some((5, c[4].hash.clone()));
        c[2].entry.organisation = "someone else".into();
        let v = walk(&c, head);
        assert!(!v.intact);
        assert_eq!(v.first_bad_sequence, 3);
    }

    #[test]
    fn a_deleted_event_is_found() {
        let mut c = chain(5);
        let head = Some((5, c[4].hash.clone()));
        c.remove(1);
        assert_eq!(walk(&c, head.clone()).first_bad_sequence, 2);
        let mut t = chain(5);
        t.pop();
        let v = walk(&t, head);
        assert!(!v.intact);
        assert_eq!(v.first_bad_sequence, 5);
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_link() {
        let mut c = chain(4);
        let head = Some((4, c[3].hash.clone()));
        let forged = AuditEvent::seal(2, c[1].at_ms, AuditEntry::default(), c[1].prev_hash.clone());
        c[1] = forged;
        assert_eq!(walk(&c, head).first_bad_sequence, 3);
    }
}
