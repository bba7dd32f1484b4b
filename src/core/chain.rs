//! The audit trail's events and their hash chain (Data Protection Act 2018 s.62 logging): how
//! an event is sealed into the chain and how a chain is verified. No storage here.
//!
//! Each event's hash covers its sequence, time, content and the previous event's hash, so an edit,
//! an insertion or a deletion anywhere breaks the chain at that point. The store keeps the head
//! (last sequence and hash) beside the events, so a truncated tail is caught as well.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{Outcome, Purpose};
use super::principal::Principal;

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
    /// How the call reached the server, where that matters to an auditor. Kept out of the
    /// entry's encoding (events before it existed keep their hashes): it is stored after the
    /// event's hash and chained only when set (see [`AuditEvent::to_bytes`]).
    #[serde(skip)]
    pub context: CallContext,
}

/// How a call reached the server: set on refused calls (method, reason, peer) and, under mTLS,
/// the client certificate's subject on every event of the call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallContext {
    /// `package.Service/Method`, or `package.Service/unknown` for a method the server lacks.
    pub method: String,
    /// The peer's address as the server saw it (`ip:port`).
    pub peer: String,
    /// The subject of the client's TLS certificate, under mTLS.
    pub client_certificate: String,
    /// Why the call was refused (`missing_token`, `unknown_token`, `revoked_key`,
    /// `wrong_role`); empty for calls that were served.
    pub refusal: String,
    /// For a summary of refused calls not recorded one by one: how many.
    pub refusals_not_recorded: u64,
}

impl CallContext {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl AuditEntry {
    /// An entry for `action` by `who`.
    pub fn by(who: &Principal, action: &str) -> Self {
        Self {
            key_id: who.key_id.clone(),
            organisation: who.organisation.clone(),
            role: who.role.as_str().to_owned(),
            action: action.to_owned(),
            context: CallContext {
                client_certificate: who.client_certificate.clone().unwrap_or_default(),
                ..CallContext::default()
            },
            ..Self::default()
        }
    }
}

/// An event as stored: the entry, sealed into the chain.
#[derive(Clone, Debug, PartialEq)]
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

    /// The stored encoding: postcard of the event as it was before call contexts existed, then
    /// the context. Events stored before then end where the context would begin, so they fail
    /// the full decoding and are read by the older one (see [`AuditEvent::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = StoredRef {
            sequence: self.sequence,
            at_ms: self.at_ms,
            entry: &self.entry,
            prev_hash: &self.prev_hash,
            hash: &self.hash,
            context: &self.entry.context,
        };
        // postcard of plain strings, numbers and enums into a Vec cannot fail.
        postcard::to_stdvec(&stored).unwrap_or_default()
    }

    /// Decodes [`AuditEvent::to_bytes`], or an event stored before contexts; `None` when
    /// the bytes are neither.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if let Ok(s) = postcard::from_bytes::<Stored>(b) {
            let mut entry = s.entry;
            entry.context = s.context;
            return Some(Self {
                sequence: s.sequence,
                at_ms: s.at_ms,
                entry,
                prev_hash: s.prev_hash,
                hash: s.hash,
            });
        }
        let s = postcard::from_bytes::<StoredBefore>(b).ok()?;
        Some(Self {
            sequence: s.sequence,
            at_ms: s.at_ms,
            entry: s.entry,
            prev_hash: s.prev_hash,
            hash: s.hash,
        })
    }
}

#[derive(Serialize)]
struct StoredRef<'a> {
    sequence: u64,
    at_ms: i64,
    entry: &'a AuditEntry,
    prev_hash: &'a str,
    hash: &'a str,
    context: &'a CallContext,
}

#[derive(Deserialize)]
struct Stored {
    sequence: u64,
    at_ms: i64,
    entry: AuditEntry,
    prev_hash: String,
    hash: String,
    context: CallContext,
}

/// The layout of events stored before call contexts.
#[derive(Deserialize)]
struct StoredBefore {
    sequence: u64,
    at_ms: i64,
    entry: AuditEntry,
    prev_hash: String,
    hash: String,
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
    // Chained only when set, so that the events sealed before contexts existed verify.
    if !entry.context.is_empty() {
        h.update(b"\0context\0");
        h.update(postcard::to_stdvec(&entry.context).unwrap_or_default());
    }
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
    fn an_event_stored_before_contexts_reads_back_and_verifies() {
        #[derive(Serialize)]
        struct Before<'a> {
            sequence: u64,
            at_ms: i64,
            entry: &'a AuditEntry,
            prev_hash: &'a str,
            hash: &'a str,
        }
        let e = chain(1).remove(0);
        let old = postcard::to_stdvec(&Before {
            sequence: e.sequence,
            at_ms: e.at_ms,
            entry: &e.entry,
            prev_hash: &e.prev_hash,
            hash: &e.hash,
        })
        .unwrap();
        let read = AuditEvent::from_bytes(&old).unwrap();
        assert_eq!(read, e);
        assert!(read.hash_holds());
        assert_eq!(AuditEvent::from_bytes(&e.to_bytes()).unwrap(), e);
    }

    #[test]
    fn a_context_is_stored_and_chained() {
        let mut entry = AuditEntry {
            action: "refused_call".into(),
            ..AuditEntry::default()
        };
        entry.context.method = "vetting.v1.CheckService/Check".into();
        entry.context.refusal = "unknown_token".into();
        entry.context.peer = "192.0.2.7:40000".into();
        let e = AuditEvent::seal(1, 5, entry, String::new());
        let read = AuditEvent::from_bytes(&e.to_bytes()).unwrap();
        assert_eq!(read, e);
        assert!(read.hash_holds());
        let mut edited = read.clone();
        edited.entry.context.peer = "198.51.100.1:1".into();
        assert!(!edited.hash_holds(), "the context is covered by the hash");
        let mut dropped = read;
        dropped.entry.context = CallContext::default();
        assert!(
            !dropped.hash_holds(),
            "removing the context breaks the hash"
        );
        assert!(AuditEvent::from_bytes(b"\x01").is_none());
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
