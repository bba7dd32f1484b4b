//! Online backup: a consistent cut of a store that goes on serving, read without holding up
//! writers, and a new store built from what the cut holds ([`Restore`]).
//!
//! sled 0.34 has no point-in-time snapshot, and walking trees while writers commit is no
//! consistent cut. But what a copy needs is append-only: the change log (each record carries
//! its subject's post-image, so the log alone rebuilds the registry) and the audit trail, both
//! gap-free from 1. So a cut is two sequences and a data version, read at one instant:
//! [`Store::backup_cut`] reads them under the audit chain's mutex, which every registry
//! transaction holds until it commits (its change records, data version and audit event go
//! in together) and every audited read holds while it seals. Records up to the cut never
//! change afterwards, so they are streamed while writers go on appending after them.
//!
//! Request records (idempotent creates) are written in the transaction of the create they
//! answer and never rewritten: the copy keeps those whose result (subject, listing,
//! investigation) it holds, which are exactly those committed by the cut.
//!
//! Not in a copy: the derived trees (candidate index, match records, listing and
//! investigation lookups), rebuilt from the subjects; and monitoring (enrolments, their index,
//! alerts, the projector's cursor): an enrolment holds a person's details only while they are
//! enrolled and is not append-only, so no cut of it can be read while employers enrol and
//! unenrol. The audit trail keeps every enrolment's event.

use sled::IVec;

use super::{
    FORMAT_VERSION, IndexEntries, META_AUDIT_HEAD, META_CHANGE_HEAD, META_DATA_VERSION,
    META_INDEX_INCOMPLETE, RequestRecord, Store, StoreError, by_org_key, by_subject_keys, decode,
    encode, keys, lock, match_record_of,
};
use crate::core::chain::{AuditEntry, AuditEvent};
use crate::core::change::Change;
use crate::core::ids::{Id, IdKind};
use crate::core::model::Subject;

/// What a backup holds: the registry at `data_version`, which is the change log up to
/// `change_seq`, and the audit trail up to `audit_seq` (whose last event, `audit_hash`, is
/// the backup's own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    pub data_version: u64,
    pub change_seq: u64,
    pub audit_seq: u64,
    pub audit_hash: String,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// The store format of the records.
    pub format: u32,
}

/// Subjects' index entries written at a time while a restore rebuilds the index.
const RESTORE_WINDOW: usize = 200_000;

impl Store {
    /// Fixes a backup's cut and seals its audit event, `entry(cut)`, as the cut's last event,
    /// at one instant: under the audit chain's mutex, so that no registry write is between
    /// its commit and its release, and no audited read is sealing. Every event up to the cut
    /// is in the audit trees when this returns; the caller waits for
    /// [`Store::commit_durable`] before sending any of it, so a copy never holds what a crash
    /// of this store could still lose.
    pub fn backup_cut(
        &self,
        at_ms: i64,
        entry: impl FnOnce(&Cut) -> AuditEntry,
    ) -> Result<Cut, StoreError> {
        let cut = {
            let mut chain = lock(&self.chain.state);
            let mut cut = Cut {
                data_version: self.data_version()?,
                change_seq: self.change_head()?,
                audit_seq: chain.seq + 1,
                audit_hash: String::new(),
                at_ms,
                format: FORMAT_VERSION,
            };
            let event = AuditEvent::seal(cut.audit_seq, at_ms, entry(&cut), chain.hash.clone());
            self.journal
                .append(&event)
                .map_err(|e| self.journal_error(e))?;
            chain.seq = event.sequence;
            chain.hash.clone_from(&event.hash);
            cut.audit_hash.clone_from(&event.hash);
            chain.pending.push(event);
            cut
        };
        self.settle_audit()?;
        Ok(cut)
    }

    /// Change-log records `1..=upto`, as stored.
    pub fn raw_changes(&self, upto: u64) -> impl Iterator<Item = Result<IVec, StoreError>> + '_ {
        self.t
            .changes
            .range(keys::u64_key(1)..=keys::u64_key(upto))
            .map(|r| Ok(r?.1))
    }

    /// Audit events `1..=upto`, as stored.
    pub fn raw_audit(&self, upto: u64) -> impl Iterator<Item = Result<IVec, StoreError>> + '_ {
        self.t
            .audit
            .range(keys::u64_key(1)..=keys::u64_key(upto))
            .map(|r| Ok(r?.1))
    }

    /// Every request record, key and value as stored.
    pub fn raw_requests(&self) -> impl Iterator<Item = Result<(IVec, IVec), StoreError>> + '_ {
        self.t.requests.iter().map(|r| Ok(r?))
    }
}

/// A new store being filled from a backup's records, in the order a backup sends them:
/// changes, audit events, requests; then [`Restore::finish`].
#[derive(Debug)]
pub struct Restore {
    store: Store,
    cut: Cut,
    next_change: u64,
    next_audit: u64,
    last_hash: String,
    requests: u64,
}

impl Restore {
    /// Starts filling `store`, which must be new and empty, with the backup cut at `cut`. The
    /// candidate index is marked incomplete until [`Restore::finish`], so a restore cut short
    /// leaves a store that no server opens as if it were whole.
    pub fn begin(store: Store, cut: Cut) -> Result<Self, StoreError> {
        if cut.format != FORMAT_VERSION {
            return Err(StoreError::FormatMismatch {
                path: super::data_dir_of(store.path()),
                found: cut.format,
            });
        }
        let empty = store.t.subjects.is_empty()
            && store.t.audit.is_empty()
            && store.t.changes.is_empty()
            && store.t.requests.is_empty();
        if !empty {
            return Err(StoreError::Foreign(super::data_dir_of(store.path())));
        }
        store.t.meta.insert(META_INDEX_INCOMPLETE, &[])?;
        Ok(Self {
            store,
            cut,
            next_change: 1,
            next_audit: 1,
            last_hash: String::new(),
            requests: 0,
        })
    }

    /// Adds change-log records, the next ones in sequence: each is appended to the log as it
    /// is, and its post-image becomes the subject (the latest wins: the registry at the cut).
    pub fn add_changes<B: AsRef<[u8]>>(&mut self, records: &[B]) -> Result<(), StoreError> {
        let t = &self.store.t;
        for raw in records {
            let raw = raw.as_ref();
            let c: Change = decode("changes", raw)?;
            if c.sequence != self.next_change || c.sequence > self.cut.change_seq {
                return Err(StoreError::ChangeOutOfOrder {
                    expected: self.next_change,
                    found: c.sequence,
                });
            }
            let id = subject_id(&c.subject)?;
            t.changes.insert(keys::u64_key(c.sequence), raw)?;
            t.subjects.insert(id.bytes(), encode(&c.subject)?)?;
            for l in &c.subject.listings {
                let lid = Id::parse(IdKind::Listing, "listing_id", &l.listing_id)
                    .map_err(|_| StoreError::Corrupt { tree: "changes" })?;
                t.listings.insert(lid.bytes(), id.bytes())?;
            }
            for i in &c.subject.investigations {
                let iid = Id::parse(
                    IdKind::Investigation,
                    "investigation_id",
                    &i.investigation_id,
                )
                .map_err(|_| StoreError::Corrupt { tree: "changes" })?;
                t.investigations.insert(iid.bytes(), id.bytes())?;
            }
            self.next_change += 1;
        }
        Ok(())
    }

    /// Adds audit events, the next ones in sequence, verbatim (their hashes are not
    /// recomputed: the copy's chain verifies exactly as the original's does), with their
    /// index entries.
    pub fn add_audit<B: AsRef<[u8]>>(&mut self, records: &[B]) -> Result<(), StoreError> {
        let t = &self.store.t;
        for raw in records {
            let raw = raw.as_ref();
            let e = AuditEvent::from_bytes(raw).ok_or(StoreError::Corrupt { tree: "audit" })?;
            if e.sequence != self.next_audit || e.sequence > self.cut.audit_seq {
                return Err(StoreError::Corrupt { tree: "audit" });
            }
            for k in by_subject_keys(&e) {
                t.audit_by_subject.insert(k, &[])?;
            }
            t.audit_by_org.insert(by_org_key(&e), &[])?;
            t.audit.insert(keys::u64_key(e.sequence), raw)?;
            self.last_hash = e.hash;
            self.next_audit += 1;
        }
        Ok(())
    }

    /// Adds request records (`key, value, key, value, ...`), keeping those whose result the
    /// copy holds: the creates committed by the cut. Call after every change is added.
    pub fn add_requests<B: AsRef<[u8]>>(&mut self, pairs: &[B]) -> Result<(), StoreError> {
        let t = &self.store.t;
        for pair in pairs.chunks(2) {
            let [k, v] = pair else {
                return Err(StoreError::Corrupt { tree: "requests" });
            };
            let rec: RequestRecord = decode("requests", v.as_ref())?;
            let r = rec.result_id.as_str();
            let held = [
                (IdKind::Subject, &t.subjects),
                (IdKind::Listing, &t.listings),
                (IdKind::Investigation, &t.investigations),
            ]
            .into_iter()
            .find_map(|(kind, tree)| Id::parse(kind, "result_id", r).ok().map(|id| (id, tree)));
            if let Some((id, tree)) = held
                && tree.contains_key(id.bytes())?
            {
                t.requests.insert(k.as_ref(), v.as_ref())?;
                self.requests += 1;
            }
        }
        Ok(())
    }

    /// Request records kept so far.
    pub fn requests_kept(&self) -> u64 {
        self.requests
    }

    /// Checks that every record up to the cut came, writes the heads and the data version,
    /// rebuilds the candidate index and match records from the subjects (as `reindex` does),
    /// and makes it all durable. Returns the number of listed subjects indexed.
    pub fn finish(self) -> Result<u64, StoreError> {
        let Self { store, cut, .. } = &self;
        if self.next_change != cut.change_seq + 1 {
            return Err(StoreError::ChangeOutOfOrder {
                expected: self.next_change,
                found: cut.change_seq,
            });
        }
        if self.next_audit != cut.audit_seq + 1 || self.last_hash != cut.audit_hash {
            return Err(StoreError::Corrupt { tree: "audit" });
        }
        let t = &store.t;
        t.meta
            .insert(META_DATA_VERSION, &keys::u64_key(cut.data_version))?;
        t.meta
            .insert(META_CHANGE_HEAD, &keys::u64_key(cut.change_seq))?;
        if cut.audit_seq > 0 {
            t.meta.insert(
                META_AUDIT_HEAD,
                encode(&(cut.audit_seq, cut.audit_hash.clone()))?,
            )?;
        }
        let mut n = 0;
        let mut entries = IndexEntries::default();
        for r in t.subjects.iter() {
            let (k, v) = r?;
            let s: Subject = decode("subjects", &v)?;
            if let Some(rec) = match_record_of(&s) {
                let bytes: [u8; keys::ID_LEN] =
                    keys::decode_id(&k).ok_or(StoreError::Corrupt { tree: "subjects" })?;
                entries.add(&bytes, &rec);
                t.match_records.insert(bytes, encode(&rec)?)?;
                n += 1;
                if entries.len() >= RESTORE_WINDOW {
                    store.write_index(&mut entries)?;
                }
            }
        }
        store.write_index(&mut entries)?;
        store.index_complete()?;
        store.checkpoint()?;
        Ok(n)
    }
}

fn subject_id(s: &Subject) -> Result<Id, StoreError> {
    Id::parse(IdKind::Subject, "subject_id", &s.subject_id)
        .map_err(|_| StoreError::Corrupt { tree: "changes" })
}

/// The subject ids of the change log up to `upto`, each with its latest post-image: the
/// registry as it stood at that sequence (for tests that compare a copy with its original).
pub fn registry_at(
    store: &Store,
    upto: u64,
) -> Result<std::collections::BTreeMap<String, Subject>, StoreError> {
    let mut out = std::collections::BTreeMap::new();
    for c in store.changes_from(1) {
        let c = c?;
        if c.sequence > upto {
            break;
        }
        out.insert(c.subject_id.clone(), c.subject);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::core::chain::verify;
    use crate::core::change::ChangeKind;
    use crate::core::clock::Clock;
    use crate::core::identity::PersonName;
    use crate::store::StoreOptions;

    fn open(path: &std::path::Path) -> Store {
        Store::open(
            path,
            StoreOptions {
                cache_bytes: 16 << 20,
                ..StoreOptions::default()
            },
        )
        .unwrap()
    }

    fn person(n: usize, revision: u64) -> Subject {
        let id = Id::new(IdKind::Subject, &Clock::fixed(1_700_000_000_000 + n as i64));
        Subject {
            subject_id: id.to_string(),
            name: PersonName::new(format!("Given{n}"), format!("Family{n}")),
            other_names: Vec::new(),
            date_of_birth: None,
            identifiers: Vec::new(),
            listings: Vec::new(),
            investigations: Vec::new(),
            revision,
            created_at_ms: 1,
            updated_at_ms: 1,
            changes: Vec::new(),
        }
    }

    /// One registry write as the service makes one: the subject, a change record, a new data
    /// version and an audit event, in one transaction.
    fn write(store: &Store, s: &Subject) {
        let id = Id::parse(IdKind::Subject, "subject_id", &s.subject_id).unwrap();
        store
            .transact::<_, StoreError>(|tx| {
                tx.put_subject(&id, s)?;
                tx.append_change(Change {
                    sequence: 0,
                    at_ms: 1,
                    subject_id: s.subject_id.clone(),
                    revision: s.revision,
                    kind: ChangeKind::SubjectUpdated,
                    target_id: String::new(),
                    rule: None,
                    key_id: "key".into(),
                    organisation: "Org".into(),
                    subject: s.clone(),
                    departure: None,
                })?;
                tx.bump_data_version()?;
                let entry = AuditEntry {
                    action: "update_subject".into(),
                    subject_ids: vec![s.subject_id.clone()],
                    ..AuditEntry::default()
                };
                tx.append_audit(1, entry)?;
                Ok(())
            })
            .unwrap();
    }

    fn copy_of(from: &Store, cut: &Cut, into: &std::path::Path) -> Store {
        let store = open(into);
        let mut r = Restore::begin(store.clone(), cut.clone()).unwrap();
        let changes: Vec<IVec> = from
            .raw_changes(cut.change_seq)
            .collect::<Result<_, _>>()
            .unwrap();
        for part in changes.chunks(7) {
            r.add_changes(part).unwrap();
        }
        let audit: Vec<IVec> = from
            .raw_audit(cut.audit_seq)
            .collect::<Result<_, _>>()
            .unwrap();
        r.add_audit(&audit).unwrap();
        let pairs: Vec<Vec<u8>> = from
            .raw_requests()
            .flat_map(|p| {
                let (k, v) = p.unwrap();
                [k.to_vec(), v.to_vec()]
            })
            .collect();
        r.add_requests(&pairs).unwrap();
        r.finish().unwrap();
        store
    }

    #[test]
    fn a_cut_taken_while_writers_and_checks_go_on_copies_the_registry_and_trail_at_that_instant() {
        let dir = tempfile::tempdir().unwrap();
        let from = open(&dir.path().join("from"));
        let stop = AtomicBool::new(false);
        let cut = std::thread::scope(|scope| {
            for w in 0..4 {
                let (from, stop) = (&from, &stop);
                scope.spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        // New people, and the same people again with a new revision.
                        let mut s = person(w * 100_000 + n % 50, 1 + n as u64 / 50);
                        s.updated_at_ms = n as i64;
                        write(from, &s);
                        n += 1;
                    }
                });
            }
            {
                let (from, stop) = (&from, &stop);
                scope.spawn(move || {
                    // About one check per write, not a flood that starves the writers.
                    let mut seen = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let head = from.change_head().unwrap();
                        if head == seen {
                            std::thread::yield_now();
                            continue;
                        }
                        seen = head;
                        from.record(
                            1,
                            AuditEntry {
                                action: "check".into(),
                                ..AuditEntry::default()
                            },
                        )
                        .unwrap();
                    }
                });
            }
            while from.change_head().unwrap() < 200 {
                std::thread::yield_now();
            }
            let cut = from
                .backup_cut(2, |cut| AuditEntry {
                    action: "backup".into(),
                    client_ref: format!("data_version {}", cut.data_version),
                    ..AuditEntry::default()
                })
                .unwrap();
            // Writers go on after the cut.
            let past = cut.change_seq + 200;
            while from.change_head().unwrap() < past {
                std::thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
            cut
        });
        from.settle_audit().unwrap();
        assert!(from.change_head().unwrap() > cut.change_seq);
        assert!(from.audit_len() > cut.audit_seq);
        // Each write bumped the data version once and appended one change: at one instant,
        // the two are equal.
        assert_eq!(cut.data_version, cut.change_seq);

        let to = copy_of(&from, &cut, &dir.path().join("to"));
        let expected = registry_at(&from, cut.change_seq).unwrap();
        let copied: std::collections::BTreeMap<String, Subject> = to
            .subjects_from(None)
            .map(|s| s.map(|s| (s.subject_id.clone(), s)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(copied, expected);
        assert_eq!(to.data_version().unwrap(), cut.data_version);
        assert_eq!(to.change_head().unwrap(), cut.change_seq);
        // The trail up to the cut, byte for byte, its last event the backup's own; and it
        // verifies.
        for seq in 1..=cut.audit_seq {
            assert_eq!(
                to.audit_event(seq).unwrap(),
                from.audit_event(seq).unwrap(),
                "event {seq}"
            );
        }
        let last = to.audit_event(cut.audit_seq).unwrap().unwrap();
        assert_eq!(last.entry.action, "backup");
        assert_eq!(last.hash, cut.audit_hash);
        assert!(to.audit_event(cut.audit_seq + 1).unwrap().is_none());
        let v = verify(
            to.audit_from(1).map(Result::unwrap),
            to.audit_head().unwrap(),
        );
        assert!(v.intact, "{v:?}");
        assert_eq!(v.events_checked, cut.audit_seq);
    }

    #[test]
    fn records_out_of_order_or_short_of_the_cut_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let from = open(&dir.path().join("from"));
        for n in 0..5 {
            write(&from, &person(n, 1));
        }
        let cut = from
            .backup_cut(2, |_| AuditEntry {
                action: "backup".into(),
                ..AuditEntry::default()
            })
            .unwrap();
        let changes: Vec<IVec> = from
            .raw_changes(cut.change_seq)
            .map(Result::unwrap)
            .collect();
        let audit: Vec<IVec> = from.raw_audit(cut.audit_seq).map(Result::unwrap).collect();

        let to = open(&dir.path().join("a"));
        let mut r = Restore::begin(to, cut.clone()).unwrap();
        assert!(matches!(
            r.add_changes(&changes[1..]),
            Err(StoreError::ChangeOutOfOrder {
                expected: 1,
                found: 2
            })
        ));
        r.add_changes(&changes[..4]).unwrap();
        r.add_audit(&audit).unwrap();
        assert!(r.finish().is_err(), "a change short of the cut");

        let to = open(&dir.path().join("b"));
        let mut r = Restore::begin(to, cut.clone()).unwrap();
        r.add_changes(&changes).unwrap();
        assert!(r.add_audit(&audit[1..]).is_err());

        // A store that holds anything is not a target.
        assert!(matches!(
            Restore::begin(from.clone(), cut.clone()),
            Err(StoreError::Foreign(_))
        ));
        let other = Cut {
            format: FORMAT_VERSION + 1,
            ..cut
        };
        assert!(matches!(
            Restore::begin(open(&dir.path().join("c")), other),
            Err(StoreError::FormatMismatch { .. })
        ));
    }
}
