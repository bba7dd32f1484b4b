//! The sled store: one tree per concern, one transaction per registry write, made durable by
//! one owner ([`owner`]) before any answer that rests on it.
//!
//! Trees (keys big-endian, see [`keys`]):
//! - `meta`: format version, candidate-index version, data version, audit chain head,
//!   change-log head.
//! - `subjects`: subject id → the subject with its listings and investigations (postcard).
//! - `listings`, `investigations`: listing or investigation id → subject id.
//! - `requests`: `operation, 0, organisation, 0, request_id` → the first answer's id and a
//!   fingerprint of the request (idempotent creates).
//! - `match_records`: subject id → what the matcher needs of a subject that is not clear.
//! - `index`: `blocking key, 0, subject id` → nothing: the candidate index.
//! - `audit`: sequence → event; `audit_by_subject`: `subject id, sequence`; `audit_by_org`:
//!   `organisation, 0, sequence`.
//! - `changes`: sequence → [`Change`]: the ordered change log of the registry, one record per
//!   change (and per lifecycle rule a change triggered), each with the subject's post-image,
//!   written in the transaction of the change. Gap-free from 1.
//!
//! The audit chain's head lives in memory, under one short mutex. A registry write seals its
//! audit event in its transaction, holding that mutex until it commits, so the chain order is
//! the commit order. A check (and any other read that is audited) seals its event under the
//! mutex and appends it to the check [`journal`], then answers: it takes no sled transaction
//! and so not sled's process-wide transaction lock. The owner moves journaled events into the
//! audit trees in batches; readers of the audit trail settle them first
//! ([`Store::settle_audit`]).
//!
//! Nothing is deleted from `subjects`, `listings`, `investigations`, `audit` or `changes`.
//! Index entries and match records are derived data: they follow the subject, and `reindex`
//! rebuilds them.

pub mod backup;
pub mod filter;
pub mod journal;
pub mod keys;
pub mod owner;
pub mod rebuild;
mod upgrade;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional, Tree};

use crate::core::chain::{AuditEntry, AuditEvent};
use crate::core::change::Change;
use crate::core::disclosure::{Facts, Visibility};
use crate::core::ids::{Id, IdKind};
use crate::core::model::{Status, Subject};
use crate::matching::{self, Identity, Prepared};
use crate::metrics::{self, Timing};
use keys::ID_LEN;
pub use owner::Durable;

/// The on-disk format this build reads and writes. 2: the change log (`changes`). 3: listings'
/// grounds, subjects' change sequences (their history), departures in the change log. Older
/// stores are upgraded at open (`store::upgrade`); a newer one is refused.
pub const FORMAT_VERSION: u32 = 3;

const META_FORMAT: &[u8] = b"format_version";
const META_INDEX: &[u8] = b"index_version";
const META_DATA_VERSION: &[u8] = b"data_version";
const META_AUDIT_HEAD: &[u8] = b"audit_head";
const META_CHANGE_HEAD: &[u8] = b"change_head";
/// Present while a bulk write's candidate-index entries are not all in the index yet.
const META_INDEX_INCOMPLETE: &[u8] = b"index_incomplete";
/// The newest check-journal file whose events are in the store (see [`journal`]).
const META_JOURNAL_REPLAYED: &[u8] = b"journal_replayed";
/// Present while an all-or-nothing import is being written: what the importer needs to finish
/// it (opaque to the store, see [`Store::begin_import`]).
const META_IMPORT: &[u8] = b"import_in_progress";

/// Journaled audit events moved into the audit trees per transaction.
const MOVE_BATCH: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory {0} is in use by another process (is a server running on it?)")]
    Locked(PathBuf),
    #[error(
        "data directory {path} holds store format {found}, written by a newer vetting; this build reads formats 1 to {FORMAT_VERSION}: run the newer release on it (or restore a backup taken by this one)"
    )]
    FormatMismatch { path: PathBuf, found: u32 },
    #[error("data directory {0} holds data that is not a vetting store")]
    Foreign(PathBuf),
    #[error(
        "the candidate index in {path} is format {found}, this build uses {expected}: run `vetting reindex --data-dir {path}`"
    )]
    IndexOutdated {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "the candidate index in {0} is incomplete (a bulk import stopped before it finished): run `vetting reindex --data-dir {0}`"
    )]
    IndexIncomplete(PathBuf),
    #[error(
        "an import into data directory {0} stopped before it finished, and none of it is visible: `vetting serve`, `vetting import` or `vetting export` on the directory finishes it first"
    )]
    ImportInterrupted(PathBuf),
    #[error("a thread writing the candidate index failed")]
    IndexWriter,
    #[error("corrupt record in tree {tree}")]
    Corrupt { tree: &'static str },
    #[error("check journal in {path}")]
    Journal {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("change-log record {found} applied where {expected} was due")]
    ChangeOutOfOrder { expected: u64, found: u64 },
    #[error("the store could not be flushed (the operator's log has the cause)")]
    NotDurable,
    #[error("cannot start the store's durability thread")]
    Owner(#[source] std::io::Error),
    #[error("sled")]
    Sled(#[from] sled::Error),
}

/// Tuning for [`Store::open`].
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// sled's page cache, in bytes.
    pub cache_bytes: u64,
    /// Open a store whose candidate index is of another format (to rebuild it).
    pub allow_outdated_index: bool,
    /// Remove the store when dropped (tests, the demo).
    pub temporary: bool,
    /// Make every check's audit event durable (journal synced, store flushed, in the owner's
    /// next round) before its answer, rather than only in the kernel's page cache: survives a
    /// power cut, costs a shared fsync.
    pub sync_checks: bool,
    /// Open a store marked by an import that did not finish (to finish it, see
    /// [`Store::begin_import`]); otherwise such a store is refused.
    pub allow_interrupted_import: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_bytes: 512 * 1024 * 1024,
            allow_outdated_index: false,
            temporary: false,
            sync_checks: false,
            allow_interrupted_import: false,
        }
    }
}

/// What the matcher needs of a subject that is not clear, kept beside the candidate index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchRecord {
    /// What disclosure needs of the subject's records, to decide at read time what the caller
    /// may see ([`crate::core::disclosure`]).
    pub facts: Facts,
    pub prepared: Prepared,
}

impl MatchRecord {
    /// The status as a caller with `v` may see it.
    pub fn status_for(&self, v: Visibility) -> Status {
        self.facts.status(v)
    }

    /// Whether the public view may show this subject (on some date).
    pub fn published(&self) -> bool {
        self.facts.audiences().published()
    }
}

/// One enrolled person of one organisation: what it enrolled (personal data, kept only while
/// enrolled) and the outcome its key saw last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentRecord {
    pub enrolment_id: String,
    pub organisation: String,
    /// The key that enrolled the person.
    pub key_id: String,
    pub employee_ref: String,
    pub name: crate::core::identity::PersonName,
    pub other_names: Vec<crate::core::identity::PersonName>,
    pub date_of_birth: Option<crate::core::identity::Date>,
    pub identifiers: Vec<crate::core::identity::Identifier>,
    pub outcome: crate::core::model::Outcome,
    /// The listed subjects that outcome rests on.
    pub matched: Vec<String>,
    pub enrolled_at_ms: i64,
}

/// The fixed-width prefix of an organisation's enrolments: the first 16 bytes of the SHA-256 of
/// its name, so that no name can run into another's keys.
fn org_prefix(organisation: &str) -> [u8; 16] {
    use sha2::Digest;
    let h = sha2::Sha256::digest(organisation.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(h.get(..16).unwrap_or(&[0u8; 16]));
    out
}

/// One alert as stored (see `MonitoringService.StreamAlerts`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Per organisation, gap-free from 1.
    pub sequence: u64,
    pub enrolment_id: String,
    pub employee_ref: String,
    pub previous_outcome: crate::core::model::Outcome,
    pub outcome: crate::core::model::Outcome,
    /// The re-check whose audit event says why.
    pub check_id: String,
    pub raised_at_ms: i64,
    /// The change-log record that raised it.
    pub change_sequence: u64,
}

/// Meta key of the alert projector's cursor (the last change-log sequence it has read).
const META_PROJECTOR: &[u8] = b"projector_cursor";
/// Meta key prefix of each organisation's last alert sequence.
const META_ALERT_SEQ: &[u8] = b"alert_seq/";

/// The head of an enrolment-index entry: `k` and a blocking key, or `s` and a subject id, then
/// a NUL; the enrolment's own key follows.
fn index_head(kind: u8, value: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(value.len() + 2);
    v.push(kind);
    v.extend_from_slice(value.as_bytes());
    v.push(0);
    v
}

fn enrolment_key_of(rec: &EnrolmentRecord) -> Result<Vec<u8>, StoreError> {
    let id = Id::parse(IdKind::Enrolment, "enrolment_id", &rec.enrolment_id)
        .map_err(|_| StoreError::Corrupt { tree: "enrolments" })?;
    Ok(enrolment_key(&rec.organisation, &id))
}

/// The enrolment's index entries: under each key a check of the person probes
/// ([`matching::query_keys`]: a listed subject whose [`matching::index_keys`] share one may be
/// them), and under each subject its outcome rests on. The value of an entry under a blocking
/// key is the person's date of birth as the candidate index keeps it ([`keys::index_value`]'s
/// date, nothing when unknown): a change of a listed subject whose date plainly differs passes
/// the enrolment over unfetched, as a check passes over that subject. Entries written before
/// the date was kept have no value: never passed over.
fn enrolment_index_entries(rec: &EnrolmentRecord, key: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let dob = keys::dob_value(rec.date_of_birth);
    enrolment_index_keys(rec, key)
        .into_iter()
        .map(|k| {
            let v = if k.first() == Some(&b'k') {
                dob.clone()
            } else {
                Vec::new()
            };
            (k, v)
        })
        .collect()
}

/// The keys of [`enrolment_index_entries`].
fn enrolment_index_keys(rec: &EnrolmentRecord, key: &[u8]) -> Vec<Vec<u8>> {
    let identity = Identity {
        names: std::iter::once(rec.name.clone())
            .chain(rec.other_names.iter().cloned())
            .collect(),
        date_of_birth: rec.date_of_birth,
        identifiers: rec.identifiers.clone(),
    };
    let prepared = Prepared::new(&identity);
    matching::query_keys(&prepared)
        .iter()
        .map(|k| [index_head(b'k', k).as_slice(), key].concat())
        .chain(rec.matched.iter().map(|s| subject_entry_key(s, key)))
        .collect()
}

/// The key of an enrolment's entry under a listed subject its outcome rests on.
fn subject_entry_key(subject_id: &str, key: &[u8]) -> Vec<u8> {
    [index_head(b's', subject_id).as_slice(), key].concat()
}

/// A new enrolment as it will be written: its key, its encoding and its index entries, worked
/// out before its transaction. The matcher's keys are the dearest part of the write, and a
/// transaction holds sled's one transaction lock while its closure runs, so enrolments worked
/// out by several threads at once commit one after another doing no more than the writes.
#[derive(Clone, Debug)]
pub struct EnrolmentWrite {
    key: Vec<u8>,
    bytes: Vec<u8>,
    index: Vec<(Vec<u8>, Vec<u8>)>,
}

impl EnrolmentWrite {
    pub fn of(rec: &EnrolmentRecord) -> Result<Self, StoreError> {
        let key = enrolment_key_of(rec)?;
        Ok(EnrolmentWrite {
            index: enrolment_index_entries(rec, &key),
            bytes: encode(rec)?,
            key,
        })
    }
}

fn enrolment_key(organisation: &str, id: &Id) -> Vec<u8> {
    [org_prefix(organisation).as_slice(), id.bytes().as_slice()].concat()
}

/// What a retried create finds: the first answer's id and the request's fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub fingerprint: [u8; 32],
    pub result_id: String,
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_stdvec(v).map_err(|_| StoreError::Corrupt { tree: "encode" })
}

fn decode<T: DeserializeOwned>(tree: &'static str, b: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(b).map_err(|_| StoreError::Corrupt { tree })
}

fn decode_u64(tree: &'static str, b: &[u8]) -> Result<u64, StoreError> {
    keys::decode_u64(b).ok_or(StoreError::Corrupt { tree })
}

/// The failure of a step inside a transaction, in the caller's error type `E`.
pub type TxError<E> = ConflictableTransactionError<E>;
pub type TxResult<T, E> = Result<T, TxError<E>>;

/// Aborts the transaction with `e`; nothing it wrote is kept.
pub fn abort<E>(e: impl Into<E>) -> TxError<E> {
    ConflictableTransactionError::Abort(e.into())
}

fn corrupt<E: From<StoreError>>(tree: &'static str) -> TxError<E> {
    abort(StoreError::Corrupt { tree })
}

fn store_abort<E: From<StoreError>>(e: StoreError) -> TxError<E> {
    abort(e)
}

#[derive(Clone, Debug)]
struct Trees {
    meta: Tree,
    subjects: Tree,
    listings: Tree,
    investigations: Tree,
    requests: Tree,
    match_records: Tree,
    index: Tree,
    audit: Tree,
    audit_by_subject: Tree,
    audit_by_org: Tree,
    changes: Tree,
    enrolments: Tree,
    enrolment_keys: Tree,
    alerts: Tree,
}

/// The audit chain as it stands in memory: its head, and the journaled events sealed but not
/// yet moved into the audit trees.
#[derive(Debug, Default)]
struct ChainState {
    seq: u64,
    hash: String,
    pending: Vec<AuditEvent>,
}

#[derive(Debug, Default)]
struct Chain {
    state: Mutex<ChainState>,
    /// Held while events are moved, so a reader that settles sees every one of them.
    mover: Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The vetting store. Cheap to clone; the last clone dropped stops the owner (after a last
/// checkpoint) and closes the store.
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    t: Trees,
    path: PathBuf,
    journal: Arc<journal::Journal>,
    chain: Arc<Chain>,
    durability: Arc<owner::Shared>,
    /// The owner's thread; `None` in the owner's own copy.
    owner: Option<Arc<owner::Owner>>,
    sync_checks: bool,
    /// sled's page cache, in bytes.
    cache_bytes: u64,
    /// The blocking keys the candidate index holds (see [`filter`]).
    filter: Arc<filter::Filters>,
}

/// The data directory a store at `path` (`DATA_DIR/store`) belongs to: what errors name, since
/// it is what the operator passes as `--data-dir`.
fn data_dir_of(path: &Path) -> PathBuf {
    path.parent().unwrap_or(path).to_owned()
}

pub(crate) fn is_lock_error(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock")
        }
        _ => false,
    }
}

/// The trees [`Store::rebuild_into`] does not copy: the derived ones it rebuilds, and `meta`,
/// of which it copies the keys that describe the data (a new store writes its own format).
const REBUILT_TREES: [&str; 3] = ["index", "match_records", "meta"];

/// The keys of `meta` that describe the data, copied by [`Store::rebuild_into`].
const DATA_META: [&[u8]; 3] = [META_DATA_VERSION, META_AUDIT_HEAD, META_CHANGE_HEAD];

/// Whether the tree named `name` is one of [`REBUILT_TREES`].
fn is_rebuilt(name: &[u8]) -> bool {
    REBUILT_TREES.iter().any(|t| name == t.as_bytes())
}

impl Store {
    /// Opens (or creates) the store at `path`, the `store` directory of a data directory. Fails
    /// with one clear error, naming the data directory, when another process holds it, when it
    /// is of another format, or when its candidate index is outdated. Puts back any audit
    /// events a killed process left only in the check journal, then starts the owner.
    pub fn open(path: &Path, opts: StoreOptions) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(opts.cache_bytes)
            .temporary(opts.temporary)
            .open()
            .map_err(|e| {
                if is_lock_error(&e) {
                    StoreError::Locked(data_dir_of(path))
                } else {
                    StoreError::Sled(e)
                }
            })?;
        let open = |name: &str| db.open_tree(name);
        let t = Trees {
            meta: open("meta")?,
            subjects: open("subjects")?,
            listings: open("listings")?,
            investigations: open("investigations")?,
            requests: open("requests")?,
            match_records: open("match_records")?,
            index: open("index")?,
            audit: open("audit")?,
            audit_by_subject: open("audit_by_subject")?,
            audit_by_org: open("audit_by_org")?,
            changes: open("changes")?,
            enrolments: open("enrolments")?,
            enrolment_keys: open("enrolment_keys")?,
            alerts: open("alerts")?,
        };
        if t.meta.contains_key(META_IMPORT)? && !opts.allow_interrupted_import {
            return Err(StoreError::ImportInterrupted(data_dir_of(path)));
        }
        check_format(&db, &t, path, opts.allow_outdated_index)?;
        let journal_error = |source| StoreError::Journal {
            path: path.join(journal::DIR),
            source,
        };
        // The files a killed process left, replayed below; the new file comes after them all.
        let replayed = t
            .meta
            .get(META_JOURNAL_REPLAYED)?
            .map_or(Ok(0), |b| decode_u64("meta", &b))?;
        let left = journal::Journal::leftover(path, replayed).map_err(journal_error)?;
        let newest = left.generations.iter().copied().max().unwrap_or(0);
        let journal =
            journal::Journal::start(path, &[], newest.max(replayed)).map_err(journal_error)?;
        let mut store = Self {
            db,
            t,
            path: path.to_owned(),
            journal: Arc::new(journal),
            chain: Arc::default(),
            durability: owner::Shared::new(Durable::default()),
            owner: None,
            sync_checks: opts.sync_checks,
            cache_bytes: opts.cache_bytes,
            filter: Arc::default(),
        };
        store.load_chain_head()?;
        store.recover_journal(left, replayed)?;
        // What was recovered is on disk.
        let start = Durable {
            data_version: store.data_version()?,
            change_seq: store.change_head()?,
            ..Durable::default()
        };
        store.durability = owner::Shared::new(start);
        let work = store.clone();
        let owner =
            owner::Owner::start(store.durability.clone(), work).map_err(StoreError::Owner)?;
        store.owner = Some(Arc::new(owner));
        Ok(store)
    }

    /// Sets the chain head in memory: the stored one, or the last event in the tree where that
    /// is further on (its move ended before it raised the stored head). An event that does not
    /// decode is left to verification to report.
    fn load_chain_head(&self) -> Result<(), StoreError> {
        let stored = self.audit_head()?.unwrap_or((0, String::new()));
        let last = match self.t.audit.last()? {
            None => None,
            Some((k, v)) => {
                let seq = decode_u64("audit", &k)?;
                AuditEvent::from_bytes(&v)
                    .ok_or(())
                    .ok()
                    .map(|e| (seq, e.hash))
            }
        };
        let (seq, hash) = match last {
            Some(l) if l.0 > stored.0 => l,
            _ => stored,
        };
        let mut c = lock(&self.chain.state);
        c.seq = seq;
        c.hash = hash;
        Ok(())
    }

    fn journal_error(&self, source: std::io::Error) -> StoreError {
        StoreError::Journal {
            path: self.path.join(journal::DIR),
            source,
        }
    }

    /// Puts back the audit events a killed process left only in its journal, and removes their
    /// files (see [`Tx::restore_event`]).
    fn recover_journal(&self, left: journal::Leftover, replayed: u64) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        for e in left.events {
            match self.audit_event(e.sequence)? {
                // Moved before the process ended; its index entries may not all be.
                Some(s) if s.hash == e.hash => self.put_event_plain(&e)?,
                _ => missing.push(e),
            }
        }
        missing.sort_by_key(|e| e.sequence);
        missing.dedup_by(|a, b| a.sequence == b.sequence && a.hash == b.hash);
        // Files whose events are all in the store already (a checkpoint cut short) are only
        // removed.
        if !missing.is_empty() {
            let newest = left.generations.iter().copied().max().unwrap_or(replayed);
            self.transact::<_, StoreError>(|tx| {
                for e in &missing {
                    tx.restore_event(e)?;
                }
                // The stored head is the chain's end, whichever event that now is.
                let head = tx.head.borrow().clone();
                tx.meta
                    .insert(META_AUDIT_HEAD, encode(&head).map_err(store_abort)?)?;
                tx.meta
                    .insert(META_JOURNAL_REPLAYED, &newest.to_be_bytes())?;
                Ok(())
            })?;
            self.db.flush()?;
            tracing::info!(
                restored = missing.len(),
                files = left.generations.len(),
                "check journal replayed"
            );
        }
        if left.damaged > 0 {
            tracing::warn!(
                files = left.damaged,
                "check journal files ended in a record cut short (writes never completed, their checks never answered)"
            );
        }
        // Their events are in the store, on disk (the index entries put again too): the files
        // go.
        if let Some(&newest) = left.generations.iter().max() {
            self.db.flush()?;
            self.journal
                .remove_up_to(newest)
                .map_err(|e| self.journal_error(e))?;
        }
        self.load_chain_head()
    }

    /// Whether every check's audit event is made durable before its answer (`--sync-checks`).
    pub fn syncs_checks(&self) -> bool {
        self.sync_checks
    }

    /// Seals `entry` into the audit chain at time `at_ms` and appends it to the check journal,
    /// without a sled transaction: how a check (or another audited read) records what it
    /// disclosed. When this returns the event survives the process being killed; it is moved
    /// into the audit trees by the owner, or by the next reader of the audit trail.
    ///
    /// If the journal cannot be written (a full disk, a lost directory), the event goes into
    /// the audit trees in a transaction and the store is flushed before this returns.
    pub fn record(&self, at_ms: i64, entry: AuditEntry) -> Result<AuditEvent, StoreError> {
        let mut chain = lock(&self.chain.state);
        let event = AuditEvent::seal(chain.seq + 1, at_ms, entry, chain.hash.clone());
        match self.journal.append(&event) {
            Ok(()) => {
                chain.seq = event.sequence;
                chain.hash.clone_from(&event.hash);
                chain.pending.push(event.clone());
                let waiting = chain.pending.len();
                drop(chain);
                if waiting >= owner::MOVE_AT {
                    self.durability.want_move();
                }
                Ok(event)
            }
            Err(e) => {
                drop(chain);
                tracing::error!(error = %e, "cannot write the check journal; writing the event to the store and flushing instead");
                let entry = event.entry;
                let event =
                    self.transact::<_, StoreError>(|tx| tx.append_audit(at_ms, entry.clone()))?;
                self.sync()?;
                Ok(event)
            }
        }
    }

    /// Moves every journaled audit event waiting in memory into the audit trees, and returns
    /// the chain's head as it stood when called: every event up to it is in the audit trees
    /// when this returns (`None` while the chain is empty). Readers of the audit trail call it
    /// first, so they see every answered check, and read up to the head it returns.
    pub fn settle_audit(&self) -> Result<Option<(u64, String)>, StoreError> {
        let _moving = lock(&self.chain.mover);
        let mut head = None;
        loop {
            let batch: Vec<AuditEvent> = {
                let mut c = lock(&self.chain.state);
                if head.is_none() && c.seq > 0 {
                    head = Some((c.seq, c.hash.clone()));
                }
                let n = c.pending.len().min(MOVE_BATCH);
                c.pending.drain(..n).collect()
            };
            if batch.is_empty() {
                return Ok(head);
            }
            if let Err(e) = self.write_events(&batch) {
                // Still in the journal; put back to be moved by the next try.
                let mut c = lock(&self.chain.state);
                c.pending.splice(0..0, batch);
                return Err(e);
            }
        }
    }

    /// Writes sealed events into the audit trees, raising the stored chain head if the last
    /// of them is past it. Plain inserts, not a transaction: this is the bulk of a busy
    /// server's writes, and sled's transactions cost several times more per key. Each event's
    /// index entries go in before the event, so an event in the tree has them; a crash part of
    /// the way leaves the events in the check journal, and the next open puts them (and their
    /// index entries) in again.
    fn write_events(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        for e in events {
            self.put_event_plain(e)?;
        }
        if let Some(last) = events.last() {
            let head = encode(&(last.sequence, last.hash.clone()))?;
            self.t.meta.fetch_and_update(META_AUDIT_HEAD, |old| {
                let newer = old
                    .and_then(|b| postcard::from_bytes::<(u64, String)>(b).ok())
                    .is_some_and(|(seq, _)| seq >= last.sequence);
                match old {
                    Some(b) if newer => Some(b.to_vec()),
                    _ => Some(head.clone()),
                }
            })?;
        }
        Ok(())
    }

    /// One event and its index entries, outside a transaction (see [`Store::write_events`]).
    fn put_event_plain(&self, e: &AuditEvent) -> Result<(), StoreError> {
        for k in by_subject_keys(e) {
            self.t.audit_by_subject.insert(k, &[])?;
        }
        self.t.audit_by_org.insert(by_org_key(e), &[])?;
        self.t
            .audit
            .insert(keys::u64_key(e.sequence), e.to_bytes())?;
        Ok(())
    }

    /// The mark of what is on disk, as last published by the owner.
    pub fn durable(&self) -> Durable {
        self.durability.durable()
    }

    /// Follows the owner's marks: a change-log reader waits on it for records past its own.
    pub fn subscribe_durable(&self) -> tokio::sync::watch::Receiver<Durable> {
        self.durability.subscribe()
    }

    /// Waits until everything committed before this call is on disk (group commit: the
    /// writers waiting at once share one flush).
    pub async fn commit_durable(&self) -> Result<(), StoreError> {
        let t = self.durability.request();
        if self.durability.wait(t).await {
            Ok(())
        } else {
            Err(StoreError::NotDurable)
        }
    }

    /// Waits until the registry is on disk up to `data_version`; at once if it is.
    pub async fn durable_at(&self, data_version: u64) -> Result<(), StoreError> {
        if self.durable().data_version >= data_version {
            return Ok(());
        }
        self.commit_durable().await
    }

    /// [`Store::commit_durable`] for threads that may block (import, export, reindex).
    pub fn sync(&self) -> Result<(), StoreError> {
        let t = self.durability.request();
        if self.durability.wait_blocking(t) {
            Ok(())
        } else {
            Err(StoreError::NotDurable)
        }
    }

    /// Asks the owner for a checkpoint and waits for it: every journaled event moved into the
    /// store, the store flushed, the journal files ended removed.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        if self.durability.checkpoint_blocking() {
            Ok(())
        } else {
            Err(StoreError::NotDurable)
        }
    }

    /// One round of the owner: everything committed before it began, and every event in the
    /// check journal, is on disk when it returns.
    fn flush_round(&self) -> Result<owner::RoundResult, StoreError> {
        let data_version = self.data_version()?;
        let change_seq = self.change_head()?;
        metrics::timed(Timing::JournalSync, || self.journal.sync())
            .map_err(|e| self.journal_error(e))?;
        metrics::timed(Timing::Flush, || self.db.flush())?;
        Ok(owner::RoundResult {
            data_version,
            change_seq,
        })
    }

    /// Ends the current journal file, moves its events into the store and flushes it, then
    /// removes the files ended.
    ///
    /// Its result is the flush's: a rotation or a removal that fails is logged (the files stay,
    /// to be removed by a later checkpoint or replayed harmlessly at the next open), not
    /// reported to the writers waiting, whose writes the flush made durable.
    fn checkpoint_round(&self) -> Result<owner::RoundResult, StoreError> {
        // Rotated under the chain's lock (a new file made, nothing synced): every event sealed
        // before is in the file it ends.
        let ended = {
            let _c = lock(&self.chain.state);
            self.journal.rotate()
        };
        if matches!(ended, Ok(Some(_)))
            && let Err(e) = self.journal.sync_dir()
        {
            tracing::error!(error = %owner::chain(&self.journal_error(e)), "cannot sync the check journal's directory");
        }
        // Moved and flushed even when the rotation failed.
        self.settle_audit()?;
        let r = self.flush_round()?;
        match ended {
            Ok(None) => {}
            Ok(Some(g)) => {
                if let Err(e) = self.journal.remove_up_to(g) {
                    tracing::error!(error = %owner::chain(&self.journal_error(e)), "cannot remove check journal files the store holds");
                }
            }
            Err(e) => {
                tracing::error!(error = %owner::chain(&self.journal_error(e)), "cannot start a new check journal file");
            }
        }
        Ok(r)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` as one atomic transaction over every tree, holding the audit chain's head so
    /// that an event `f` appends takes its place in the chain in commit order. `f` may run more
    /// than once (on a conflict), so it must have no effect outside the transaction. The caller
    /// waits for [`Store::commit_durable`] before acknowledging what it wrote.
    pub fn transact<T, E: From<StoreError>>(
        &self,
        f: impl Fn(&Tx<'_>) -> TxResult<T, E>,
    ) -> Result<T, E> {
        let mut chain = lock(&self.chain.state);
        let start = (chain.seq, chain.hash.clone());
        let head = RefCell::new(start.clone());
        let t = &self.t;
        let result = (
            &t.meta,
            &t.subjects,
            &t.listings,
            &t.investigations,
            &t.requests,
            &t.match_records,
            &t.index,
            &t.audit,
            &t.audit_by_subject,
            &t.audit_by_org,
            &t.changes,
            &t.enrolments,
            &t.enrolment_keys,
            &t.alerts,
        )
            .transaction(
                |(
                    meta,
                    subjects,
                    listings,
                    investigations,
                    requests,
                    match_records,
                    index,
                    audit,
                    audit_by_subject,
                    audit_by_org,
                    changes,
                    enrolments,
                    enrolment_keys,
                    alerts,
                )| {
                    head.replace(start.clone());
                    f(&Tx {
                        meta,
                        subjects,
                        listings,
                        investigations,
                        requests,
                        match_records,
                        index,
                        audit,
                        audit_by_subject,
                        audit_by_org,
                        changes,
                        enrolments,
                        enrolment_keys,
                        alerts,
                        filter: &self.filter,
                        head: &head,
                    })
                },
            );
        match result {
            Ok(v) => {
                let (seq, hash) = head.into_inner();
                chain.seq = seq;
                chain.hash = hash;
                Ok(v)
            }
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(StoreError::Sled(e).into()),
        }
    }
    // ---- reads outside transactions ----

    pub fn subject(&self, id: &Id) -> Result<Option<Subject>, StoreError> {
        self.t
            .subjects
            .get(id.bytes())?
            .map(|b| decode("subjects", &b))
            .transpose()
    }

    /// The registry's version: it changes with every registry write.
    pub fn data_version(&self) -> Result<u64, StoreError> {
        self.t
            .meta
            .get(META_DATA_VERSION)?
            .map_or(Ok(0), |b| decode_u64("meta", &b))
    }

    /// Subject ids under any of `blocking_keys`, each once, at most `limit`. `keep(key, dob)` is
    /// asked of every entry with the blocking key and the listed person's date of birth as the
    /// index holds it (`None` when unknown); entries it refuses are passed over unfetched. For a
    /// `published_only` caller (the public view), keys and entries of subjects that view does not
    /// show are passed over as if absent: the same work as for a stranger.
    pub fn candidates(
        &self,
        blocking_keys: &[String],
        limit: usize,
        published_only: bool,
        keep: impl Fn(&str, Option<crate::core::identity::Date>) -> bool,
    ) -> Result<Vec<[u8; ID_LEN]>, StoreError> {
        let v = if published_only {
            // The index knows nothing of dates: any day will do.
            Visibility::Public {
                today: crate::core::identity::Date::new(1970, 1, 1),
            }
        } else {
            Visibility::Full
        };
        self.candidates_for(blocking_keys, limit, v, keep)
    }

    /// [`Store::candidates`] for a caller with `v`: entries of subjects that `v` shows as clear
    /// are passed over unfetched, and fill no candidate slot (a hidden record must not crowd out
    /// one the caller sees).
    pub fn candidates_for(
        &self,
        blocking_keys: &[String],
        limit: usize,
        v: Visibility,
        keep: impl Fn(&str, Option<crate::core::identity::Date>) -> bool,
    ) -> Result<Vec<[u8; ID_LEN]>, StoreError> {
        let views = v.filter_views();
        let shelves = v.shelves();
        let mut ids = BTreeSet::new();
        'keys: for k in blocking_keys {
            let prefix = keys::index_prefix(k);
            // A caller of every view probes the filter of every key first: most keys of a
            // check are held by no one, and one probe then spares five.
            if views.is_none() && !self.filter.may_hold(&prefix, None) {
                continue;
            }
            for shelf in &shelves {
                if !self.filter.may_hold(&prefix, Some(1 << shelf.filter_bit)) {
                    continue;
                }
                let (start, end) = keys::index_shelf_range(shelf.tag, k, shelf.published_from);
                for entry in self.t.index.range(start..end) {
                    let (key, value) = entry?;
                    // Always true of an entry on a shelf the caller reads: a guard, not a
                    // filter (see `core::disclosure::Shelf`).
                    if !v.may_show(
                        keys::index_value_audiences(&value),
                        keys::index_value_public_until(&value),
                    ) {
                        continue;
                    }
                    if !keep(k, keys::index_value_dob(&value)) {
                        continue;
                    }
                    let id =
                        keys::index_entry_id(&key).ok_or(StoreError::Corrupt { tree: "index" })?;
                    ids.insert(id);
                    if ids.len() >= limit {
                        break 'keys;
                    }
                }
            }
        }
        Ok(ids.into_iter().collect())
    }

    pub fn match_record(&self, id: &[u8; ID_LEN]) -> Result<Option<MatchRecord>, StoreError> {
        self.t
            .match_records
            .get(id)?
            .map(|b| decode("match_records", &b))
            .transpose()
    }

    /// Subjects in id (creation) order, from `start` inclusive.
    pub fn subjects_from(
        &self,
        start: Option<[u8; ID_LEN]>,
    ) -> impl Iterator<Item = Result<Subject, StoreError>> + '_ {
        let start = start.unwrap_or([0; ID_LEN]);
        self.t
            .subjects
            .range(start..)
            .map(|r| decode("subjects", &r?.1))
    }

    /// An organisation's enrolments in enrolment-id order (time of enrolment), from the one after `after` (an
    /// enrolment id, or none from the start), at most `limit`.
    pub fn enrolments_of(
        &self,
        organisation: &str,
        after: Option<&Id>,
        limit: usize,
    ) -> Result<Vec<EnrolmentRecord>, StoreError> {
        let prefix = org_prefix(organisation);
        let start = match after {
            Some(id) => {
                let mut k = enrolment_key(organisation, id);
                k.push(0);
                k
            }
            None => prefix.to_vec(),
        };
        let mut out = Vec::new();
        for r in self.t.enrolments.range(start..) {
            let (k, v) = r?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            out.push(decode("enrolments", &v)?);
        }
        Ok(out)
    }

    /// The enrolments (organisation prefix and id, as stored) filed under any of `keys` (the keys
    /// a listed subject is indexed under) or resting on `subject_id`, each once. `keep(key,
    /// dob)` is asked of every entry under a key, with the enrolled person's date of birth as
    /// the entry holds it (`None` when unknown); an entry it refuses is passed over unfetched.
    pub fn enrolments_touched(
        &self,
        keys: &[String],
        subject_id: &str,
        keep: impl Fn(&str, Option<crate::core::identity::Date>) -> bool,
    ) -> Result<Vec<EnrolmentRecord>, StoreError> {
        let mut found: BTreeSet<Vec<u8>> = BTreeSet::new();
        let heads = keys
            .iter()
            .map(|k| (Some(k), index_head(b'k', k)))
            .chain(std::iter::once((None, index_head(b's', subject_id))));
        for (key, head) in heads {
            for r in self.t.enrolment_keys.scan_prefix(&head) {
                let (k, v) = r?;
                if let Some(key) = key
                    && !keep(key, keys::index_value_dob(&v))
                {
                    continue;
                }
                if let Some(tail) = k.get(head.len()..) {
                    found.insert(tail.to_vec());
                }
            }
        }
        let mut out = Vec::with_capacity(found.len());
        for key in found {
            if let Some(v) = self.t.enrolments.get(&key)? {
                out.push(decode("enrolments", &v)?);
            }
        }
        Ok(out)
    }

    /// An organisation's alerts after sequence `after`, in order, at most `limit`.
    pub fn alerts_of(
        &self,
        organisation: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        let prefix = org_prefix(organisation);
        let start = [prefix.as_slice(), &after.saturating_add(1).to_be_bytes()].concat();
        let mut out = Vec::new();
        for r in self.t.alerts.range(start..) {
            let (k, v) = r?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            out.push(decode("alerts", &v)?);
        }
        Ok(out)
    }

    /// How far the alert projector has read the change log.
    pub fn projector_cursor(&self) -> Result<u64, StoreError> {
        match self.t.meta.get(META_PROJECTOR)? {
            None => Ok(0),
            Some(b) => decode_u64("meta", &b),
        }
    }

    pub fn subject_count(&self) -> usize {
        self.t.subjects.len()
    }

    /// What disclosure needs of each subject that is not clear (its match record's facts), in
    /// id order: a walk of every listed person, for counts.
    pub fn listed_facts(&self) -> impl Iterator<Item = Result<Facts, StoreError>> + '_ {
        self.t
            .match_records
            .iter()
            .values()
            .map(|r| decode::<MatchRecord>("match_records", &r?).map(|m| m.facts))
    }

    /// Events in the audit chain, those still in the check journal included.
    pub fn audit_len(&self) -> u64 {
        lock(&self.chain.state).seq
    }

    /// Audit events in sequence order from `from` inclusive: `(sequence in key, event or None when
    /// undecodable)`.
    pub fn audit_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Option<AuditEvent>), StoreError>> + '_ {
        self.t.audit.range(keys::u64_key(from)..).map(|r| {
            let (k, v) = r?;
            let seq = decode_u64("audit", &k)?;
            Ok((seq, AuditEvent::from_bytes(&v)))
        })
    }

    pub fn audit_event(&self, seq: u64) -> Result<Option<AuditEvent>, StoreError> {
        self.t
            .audit
            .get(keys::u64_key(seq))?
            .map(|b| AuditEvent::from_bytes(&b).ok_or(StoreError::Corrupt { tree: "audit" }))
            .transpose()
    }

    /// Sequences of the events naming subject `id`, from `from` inclusive.
    pub fn audit_seqs_of_subject(
        &self,
        id: &[u8; ID_LEN],
        from: u64,
    ) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
        let end = keys::id_seq(id, u64::MAX);
        self.t
            .audit_by_subject
            .range(keys::id_seq(id, from)..=end)
            .map(|r| {
                keys::trailing_seq(&r?.0).ok_or(StoreError::Corrupt {
                    tree: "audit_by_subject",
                })
            })
    }

    /// Sequences of the events by callers of `organisation`, from `from` inclusive.
    pub fn audit_seqs_of_org(
        &self,
        organisation: &str,
        from: u64,
    ) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
        let end = keys::text_seq(organisation, u64::MAX);
        self.t
            .audit_by_org
            .range(keys::text_seq(organisation, from)..=end)
            .map(|r| {
                keys::trailing_seq(&r?.0).ok_or(StoreError::Corrupt {
                    tree: "audit_by_org",
                })
            })
    }

    /// The chain head: last sequence and its hash.
    pub fn audit_head(&self) -> Result<Option<(u64, String)>, StoreError> {
        self.t
            .meta
            .get(META_AUDIT_HEAD)?
            .map(|b| decode("meta", &b))
            .transpose()
    }

    /// The change log's last sequence (0 when empty).
    pub fn change_head(&self) -> Result<u64, StoreError> {
        self.t
            .meta
            .get(META_CHANGE_HEAD)?
            .map_or(Ok(0), |b| decode_u64("meta", &b))
    }

    /// One change-log record.
    pub fn change(&self, sequence: u64) -> Result<Option<Change>, StoreError> {
        self.t
            .changes
            .get(keys::u64_key(sequence))?
            .map(|v| decode("changes", &v))
            .transpose()
    }

    /// Change-log records in sequence order from `from` inclusive. Records past
    /// [`Store::durable`]'s `change_seq` are committed but may not survive a crash yet: a
    /// reader that feeds others stops at that mark (see [`Store::durable_changes_from`]).
    pub fn changes_from(&self, from: u64) -> impl Iterator<Item = Result<Change, StoreError>> + '_ {
        self.t
            .changes
            .range(keys::u64_key(from)..)
            .map(|r| decode("changes", &r?.1))
    }

    /// Change-log records from `from` inclusive up to the durable mark, at most `limit`.
    pub fn durable_changes_from(&self, from: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let upto = self.durable().change_seq;
        let mut out = Vec::new();
        for c in self.changes_from(from) {
            let c = c?;
            if c.sequence > upto || out.len() >= limit {
                break;
            }
            out.push(c);
        }
        Ok(out)
    }

    /// Waits until the change log holds, on disk, a record after `after`; returns the durable
    /// head then. Woken by the owner's marks, not polled.
    pub async fn wait_for_change(&self, after: u64) -> Result<u64, StoreError> {
        let mut rx = self.subscribe_durable();
        let d = rx
            .wait_for(|d| d.change_seq > after || d.stopped)
            .await
            .map_err(|_| StoreError::NotDurable)?;
        if d.change_seq > after {
            Ok(d.change_seq)
        } else {
            Err(StoreError::NotDurable)
        }
    }

    /// Copies this store into `to`, a new, empty store, with the candidate index and match
    /// records rebuilt from the subjects in the current format: how `vetting reindex` rebuilds
    /// an index, for a new index format or after an interrupted bulk import. Everything else
    /// (subjects, listings, investigations, request records, the audit trail and its head, the
    /// data version) is copied as it is. Returns the number of listed subjects indexed.
    ///
    /// Not in place: that would remove every old index entry first, and sled 0.34 checks each
    /// page it frees against all those freed before (`PageCache::free`), so removing a large
    /// tree takes time quadratic in its size (at a million listed people, `Tree::clear` of the
    /// index ran for 16 minutes without finishing; `drop_tree` ran out of memory).
    ///
    /// `to` is marked as having an incomplete index until everything is written and flushed.
    pub fn rebuild_into(&self, to: &Store) -> Result<u64, StoreError> {
        self.settle_audit()?;
        to.t.meta.insert(META_INDEX_INCOMPLETE, &[])?;
        // Every tree but those rebuilt here and `meta` is copied, by name: a tree added later
        // cannot be forgotten.
        for name in self.db.tree_names() {
            if is_rebuilt(&name) {
                continue;
            }
            let (from, into) = (self.db.open_tree(&name)?, to.db.open_tree(&name)?);
            for r in from.iter() {
                let (k, v) = r?;
                into.insert(k, v)?;
            }
        }
        for key in DATA_META {
            if let Some(v) = self.t.meta.get(key)? {
                to.t.meta.insert(key, v)?;
            }
        }
        let mut n = 0;
        let mut entries = IndexEntries::default();
        for r in to.t.subjects.iter() {
            let (_, v) = r?;
            let s: Subject = decode("subjects", &v)?;
            if let Some(rec) = match_record_of(&s) {
                let id = Id::parse(IdKind::Subject, "subject_id", &s.subject_id)
                    .map_err(|_| StoreError::Corrupt { tree: "subjects" })?;
                entries.add(id.bytes(), &rec);
                to.t.match_records.insert(id.bytes(), encode(&rec)?)?;
                n += 1;
                if entries.len() >= REINDEX_WINDOW {
                    to.write_index(&mut entries)?;
                }
            }
        }
        to.write_index(&mut entries)?;
        to.t.meta
            .insert(META_INDEX, &matching::INDEX_FORMAT_VERSION.to_be_bytes())?;
        to.index_complete()?;
        Ok(n)
    }

    /// Writes index entries left out of a transaction by [`Tx::put_new_subject_unindexed`] and
    /// empties `entries`. They go in key order, split into one run of neighbouring keys per
    /// core, written at once: sled inserts neighbours faster, and its tree takes concurrent
    /// writers. The index stays marked incomplete until [`Store::index_complete`].
    pub fn write_index(&self, entries: &mut IndexEntries) -> Result<(), StoreError> {
        entries.0.sort_unstable();
        let insert_all = |run: &[(Vec<u8>, Vec<u8>)]| -> Result<(), StoreError> {
            for (k, v) in run {
                if let Some(prefix) = keys::index_entry_prefix(k) {
                    self.filter.insert(
                        prefix,
                        keys::index_value_audiences(v).0,
                        keys::index_value_public_until(v),
                    );
                }
                self.t.index.insert(k.as_slice(), v.as_slice())?;
            }
            Ok(())
        };
        let writers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let run = entries.0.len().div_ceil(writers).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = entries
                .0
                .chunks(run)
                .map(|c| scope.spawn(move || insert_all(c)))
                .collect();
            // Every writer is joined before the first failure is returned (a writer left
            // unjoined that panicked would make the scope panic). A writer that failed wrote an
            // unknown part of its run: the index stays marked incomplete.
            let results: Vec<_> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(StoreError::IndexWriter)))
                .collect();
            results.into_iter().collect::<Result<(), StoreError>>()
        })?;
        entries.0.clear();
        Ok(())
    }

    /// Makes everything written durable, then lifts the mark that the candidate index is
    /// incomplete (set by [`Tx::put_new_subject_unindexed`]). Call it once every entry left
    /// out of the transactions is written by [`Store::write_index`].
    pub fn index_complete(&self) -> Result<(), StoreError> {
        self.sync()?;
        if self.t.meta.remove(META_INDEX_INCOMPLETE)?.is_some() {
            self.sync()?;
        }
        Ok(())
    }

    /// Marks the store as holding an import being written, with `mark` (what the importer needs
    /// to finish it), durably. While marked, the store refuses to open unless
    /// [`StoreOptions::allow_interrupted_import`], so nothing of the import is seen before
    /// [`Tx::end_import`] commits.
    pub fn begin_import(&self, mark: &[u8]) -> Result<(), StoreError> {
        self.t.meta.insert(META_IMPORT, mark)?;
        self.sync()
    }

    /// The mark of an import being written, if any (see [`Store::begin_import`]).
    pub fn import_mark(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.t.meta.get(META_IMPORT)?.map(|v| v.to_vec()))
    }

    /// Whether a listing with this id is recorded (under any subject).
    pub fn has_listing(&self, id: &Id) -> Result<bool, StoreError> {
        Ok(self.t.listings.contains_key(id.bytes())?)
    }

    /// Whether an investigation with this id is recorded (under any subject).
    pub fn has_investigation(&self, id: &Id) -> Result<bool, StoreError> {
        Ok(self.t.investigations.contains_key(id.bytes())?)
    }

    /// Reads what a check reads (the candidate index, the match records, the subjects) and the
    /// subject index of the audit trail, where a check that finds someone writes, from end to
    /// end, so that sled's page cache holds it and the first checks after a start do not wait
    /// for page reads; the index's keys fill the key filter ([`filter`]), which checks consult
    /// once all of them are in. Asks `stop` before each entry and stops when it says so; after
    /// the index, stops too once the keys and values read reach [`WARM_BUDGET`] of the cache. (sled counts a page by
    /// its size in the log, node headers and pending updates included, so the bytes of keys
    /// and values only estimate what the cache holds; reading past its capacity would only push
    /// out what was read first.)
    pub fn warm_cache(&self, stop: impl Fn() -> bool) -> Result<Warmed, StoreError> {
        self.warm_cache_on(None, stop)
    }

    /// [`Store::warm_cache`], on `today` when known: a published entry whose public window
    /// ended before it then stays out of the public view's key filter, so that a public check of
    /// that person skips the index as a stranger's does (the index itself does not know the
    /// date). An entry whose window ends while the server runs stays in the filter until the
    /// next start: a lookup made for nothing, never one missed.
    pub fn warm_cache_on(
        &self,
        today: Option<crate::core::identity::Date>,
        stop: impl Fn() -> bool,
    ) -> Result<Warmed, StoreError> {
        let budget = self.cache_bytes / WARM_BUDGET.1 * WARM_BUDGET.0;
        let mut warmed = Warmed {
            complete: false,
            entries: 0,
            bytes: 0,
        };
        // The index is read to its end whatever the budget: its keys fill the key filter.
        if let Some(today) = today {
            self.filter.set_today(today);
        }
        for r in self.t.index.iter() {
            if stop() {
                return Ok(warmed);
            }
            let (k, v) = r?;
            if let Some(prefix) = keys::index_entry_prefix(&k) {
                self.filter.insert(
                    prefix,
                    keys::index_value_audiences(&v).0,
                    keys::index_value_public_until(&v),
                );
            }
            warmed.entries += 1;
            warmed.bytes += (k.len() + v.len()) as u64;
        }
        self.filter.set_ready();
        for tree in [
            &self.t.match_records,
            &self.t.subjects,
            &self.t.audit_by_subject,
        ] {
            if warmed.bytes >= budget {
                return Ok(warmed);
            }
            for r in tree.iter() {
                if stop() {
                    return Ok(warmed);
                }
                let (k, v) = r?;
                warmed.entries += 1;
                warmed.bytes += (k.len() + v.len()) as u64;
                if warmed.bytes >= budget {
                    return Ok(warmed);
                }
            }
        }
        warmed.complete = true;
        Ok(warmed)
    }

    /// Whether checks consult the key filter yet (the warm-up has read the whole index).
    pub fn key_filter_ready(&self) -> bool {
        self.filter.is_ready()
    }

    /// Applies a change-log record read from another store (a replica, a restore, a test of
    /// the log): the subject takes the record's post-image, with its lookups, match record and
    /// index entries, and the record is appended to this store's log at its own sequence.
    /// Records come in order from 1, each once; any other is refused and changes nothing.
    pub fn apply_change(&self, c: &Change) -> Result<(), StoreError> {
        let id = Id::parse(IdKind::Subject, "subject_id", &c.subject_id)
            .map_err(|_| StoreError::Corrupt { tree: "changes" })?;
        self.transact::<_, StoreError>(|tx| {
            let next = match tx.meta.get(META_CHANGE_HEAD)? {
                None => 0,
                Some(b) => decode_u64("meta", &b).map_err(store_abort)?,
            } + 1;
            if c.sequence != next {
                return Err(abort(StoreError::ChangeOutOfOrder {
                    expected: next,
                    found: c.sequence,
                }));
            }
            tx.put_subject(&id, &c.subject)?;
            tx.bump_data_version()?;
            tx.append_change(c.clone())?;
            Ok(())
        })
    }

    /// A digest of every key and value of the tree named `name`, for tests that compare two
    /// stores.
    #[doc(hidden)]
    pub fn tree_digest(&self, name: &str) -> Result<[u8; 32], StoreError> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for r in self.db.open_tree(name)?.iter() {
            let (k, v) = r?;
            h.update((k.len() as u64).to_be_bytes());
            h.update(&k);
            h.update((v.len() as u64).to_be_bytes());
            h.update(&v);
        }
        Ok(h.finalize().into())
    }

    /// The raw audit tree, for tests that tamper with it.
    #[doc(hidden)]
    pub fn raw_audit_tree(&self) -> &Tree {
        &self.t.audit
    }
}

/// The share of the page cache [`Store::warm_cache`] fills at most, as (numerator,
/// denominator): three quarters, leaving room for what its estimate misses.
pub const WARM_BUDGET: (u64, u64) = (3, 4);

/// What [`Store::warm_cache`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Warmed {
    /// Everything a check reads was read; false when stopped, or when the cache was (by
    /// estimate) full first.
    pub complete: bool,
    /// Entries read.
    pub entries: u64,
    /// Bytes of keys and values read.
    pub bytes: u64,
}

/// Subjects' candidate-index entries (entry key, value) waiting to be written after their
/// transaction, by [`Store::write_index`].
#[derive(Debug, Default)]
pub struct IndexEntries(Vec<(Vec<u8>, Vec<u8>)>);

impl IndexEntries {
    /// Adds the entries of subject `id`, whose match record is `rec`.
    pub fn add(&mut self, id: &[u8; ID_LEN], rec: &MatchRecord) {
        let value = index_value_of(rec);
        for k in index_entries_of(id, rec) {
            self.0.push((k, value.clone()));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The value of each of a subject's candidate-index entries ([`keys::index_value`]).
fn index_value_of(rec: &MatchRecord) -> Vec<u8> {
    keys::index_value(
        rec.prepared.date_of_birth(),
        rec.facts.audiences().0,
        rec.facts.public_until(),
    )
}

/// The candidate-index entries of subject `id`, whose match record is `rec`: one under each of
/// its blocking keys on each shelf its views file it on ([`crate::core::disclosure::Shelf`]).
fn index_entries_of(id: &[u8; ID_LEN], rec: &MatchRecord) -> BTreeSet<Vec<u8>> {
    let audiences = rec.facts.audiences();
    let order = audiences
        .published()
        .then(|| rec.facts.public_until())
        .flatten();
    let blocking = matching::index_keys(&rec.prepared);
    audiences
        .shelves()
        .flat_map(|shelf| {
            // The public view reads the barred shelf by the last day it shows an entry.
            let order = order.filter(|_| shelf == crate::core::disclosure::Shelf::BARRED);
            blocking
                .iter()
                .map(move |k| keys::index_entry(shelf, k, order, id))
        })
        .collect()
}

/// Index entries [`Store::reindex`] sorts and writes at a time (about 100 MiB).
const REINDEX_WINDOW: usize = 2_000_000;

/// The matcher's view of a subject, or None when it is clear (clear people are never matched).
pub fn match_record_of(s: &Subject) -> Option<MatchRecord> {
    let status = s.status();
    if status == Status::Clear {
        return None;
    }
    let identity = Identity {
        names: s.all_names().cloned().collect(),
        date_of_birth: s.date_of_birth,
        identifiers: s.identifiers.clone(),
    };
    Some(MatchRecord {
        facts: Facts::of(s),
        prepared: Prepared::new(&identity),
    })
}

fn check_format(
    db: &sled::Db,
    t: &Trees,
    path: &Path,
    allow_outdated_index: bool,
) -> Result<(), StoreError> {
    let index_version = matching::INDEX_FORMAT_VERSION;
    match t.meta.get(META_FORMAT)? {
        None => {
            let empty = t.subjects.is_empty() && t.audit.is_empty();
            if !empty {
                return Err(StoreError::Foreign(data_dir_of(path)));
            }
            t.meta.insert(META_FORMAT, &FORMAT_VERSION.to_be_bytes())?;
            t.meta.insert(META_INDEX, &index_version.to_be_bytes())?;
            db.flush()?;
        }
        Some(v) => {
            let mut found = <[u8; 4]>::try_from(v.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Foreign(data_dir_of(path)))?;
            if found == 0 {
                return Err(StoreError::Foreign(data_dir_of(path)));
            }
            if found == 1 {
                upgrade::from_1(db, t)?;
                found = 2;
            }
            if found == 2 {
                upgrade::from_2(db, t)?;
                found = 3;
            }
            if found != FORMAT_VERSION {
                return Err(StoreError::FormatMismatch {
                    path: data_dir_of(path),
                    found,
                });
            }
            let found_index = t
                .meta
                .get(META_INDEX)?
                .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
                .map_or(0, u32::from_be_bytes);
            if found_index != index_version && !allow_outdated_index {
                return Err(StoreError::IndexOutdated {
                    path: data_dir_of(path),
                    found: found_index,
                    expected: index_version,
                });
            }
            // An import being finished leaves the index incomplete until its end.
            if t.meta.contains_key(META_INDEX_INCOMPLETE)?
                && !allow_outdated_index
                && !t.meta.contains_key(META_IMPORT)?
            {
                return Err(StoreError::IndexIncomplete(data_dir_of(path)));
            }
        }
    }
    Ok(())
}

/// Every tree, inside one transaction.
pub struct Tx<'a> {
    meta: &'a TransactionalTree,
    subjects: &'a TransactionalTree,
    listings: &'a TransactionalTree,
    investigations: &'a TransactionalTree,
    requests: &'a TransactionalTree,
    match_records: &'a TransactionalTree,
    index: &'a TransactionalTree,
    audit: &'a TransactionalTree,
    audit_by_subject: &'a TransactionalTree,
    audit_by_org: &'a TransactionalTree,
    changes: &'a TransactionalTree,
    enrolments: &'a TransactionalTree,
    enrolment_keys: &'a TransactionalTree,
    alerts: &'a TransactionalTree,
    filter: &'a filter::Filters,
    /// The audit chain's head as this attempt of the transaction moves it.
    head: &'a RefCell<(u64, String)>,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl Tx<'_> {
    // Every step is generic over the caller's error `E`, which carries the store's.
    pub fn subject<E: From<StoreError>>(&self, id: &Id) -> TxResult<Option<Subject>, E> {
        match self.subjects.get(id.bytes())? {
            None => Ok(None),
            Some(b) => decode("subjects", &b).map(Some).map_err(store_abort),
        }
    }

    /// Writes `new` (whose `subject_id` is `id`), keeping the listing and investigation lookups,
    /// the match record and the candidate index in step with it.
    pub fn put_subject<E: From<StoreError>>(&self, id: &Id, new: &Subject) -> TxResult<(), E> {
        let bytes = id.bytes();
        self.put_lookups(bytes, new)?;
        let old: Option<MatchRecord> = match self.match_records.get(bytes)? {
            None => None,
            Some(b) => Some(decode("match_records", &b).map_err(store_abort)?),
        };
        let new_rec = match_record_of(new);
        let entries =
            |r: Option<&MatchRecord>| r.map(|r| index_entries_of(bytes, r)).unwrap_or_default();
        let (old_entries, new_entries) = (entries(old.as_ref()), entries(new_rec.as_ref()));
        for k in old_entries.difference(&new_entries) {
            self.index.remove(k.as_slice())?;
        }
        // Every entry carries the date of birth, so a changed date rewrites them all.
        let value = new_rec.as_ref().map(index_value_of).unwrap_or_default();
        let old_value = old.as_ref().map(index_value_of).unwrap_or_default();
        let audiences = keys::index_value_audiences(&value).0;
        let public_until = keys::index_value_public_until(&value);
        for k in &new_entries {
            // Before the entry: a check that finds the entry has passed the filter. (A
            // transaction tried again, or aborted, leaves a bit set: a wasted lookup at most.)
            if let Some(prefix) = keys::index_entry_prefix(k) {
                self.filter.insert(prefix, audiences, public_until);
            }
            if value != old_value || !old_entries.contains(k) {
                self.index.insert(k.as_slice(), value.as_slice())?;
            }
        }
        match &new_rec {
            Some(rec) => {
                self.match_records
                    .insert(bytes, encode(rec).map_err(store_abort)?)?;
            }
            None => {
                self.match_records.remove(bytes)?;
            }
        }
        self.subjects
            .insert(bytes, encode(new).map_err(store_abort)?)?;
        Ok(())
    }

    /// Writes a subject new to the store (no record under `id`) like [`Tx::put_subject`], but
    /// leaves its candidate-index entries out: the caller adds them to [`IndexEntries`] with
    /// `rec` (its [`match_record_of`]) and writes them with [`Store::write_index`] once the
    /// transaction has committed. The index is marked incomplete in this transaction, so a
    /// crash before [`Store::index_complete`] leaves a store that refuses to open until
    /// `vetting reindex` rebuilds the index. Half the cost of a bulk import is saved: entries
    /// written outside a transaction are not read first, and go in key order.
    pub fn put_new_subject_unindexed<E: From<StoreError>>(
        &self,
        id: &Id,
        new: &Subject,
        rec: Option<&MatchRecord>,
    ) -> TxResult<(), E> {
        let bytes = id.bytes();
        self.put_lookups(bytes, new)?;
        if let Some(rec) = rec {
            self.match_records
                .insert(bytes, encode(rec).map_err(store_abort)?)?;
        }
        self.subjects
            .insert(bytes, encode(new).map_err(store_abort)?)?;
        self.meta.insert(META_INDEX_INCOMPLETE, &[])?;
        Ok(())
    }

    /// The listing and investigation lookups of `new`.
    fn put_lookups<E: From<StoreError>>(
        &self,
        bytes: &[u8; ID_LEN],
        new: &Subject,
    ) -> TxResult<(), E> {
        for l in &new.listings {
            let lid = Id::parse(IdKind::Listing, "listing_id", &l.listing_id)
                .map_err(|_| corrupt::<E>("listings"))?;
            self.listings.insert(lid.bytes(), bytes)?;
        }
        for i in &new.investigations {
            let iid = Id::parse(
                IdKind::Investigation,
                "investigation_id",
                &i.investigation_id,
            )
            .map_err(|_| corrupt::<E>("investigations"))?;
            self.investigations.insert(iid.bytes(), bytes)?;
        }
        Ok(())
    }

    /// The subject a listing belongs to.
    pub fn subject_of_listing<E: From<StoreError>>(&self, listing: &Id) -> TxResult<Option<Id>, E> {
        self.owner(self.listings, "listings", listing)
    }

    pub fn subject_of_investigation<E: From<StoreError>>(
        &self,
        investigation: &Id,
    ) -> TxResult<Option<Id>, E> {
        self.owner(self.investigations, "investigations", investigation)
    }

    fn owner<E: From<StoreError>>(
        &self,
        tree: &TransactionalTree,
        name: &'static str,
        id: &Id,
    ) -> TxResult<Option<Id>, E> {
        match tree.get(id.bytes())? {
            None => Ok(None),
            Some(b) => keys::decode_id(&b)
                .map(|b| Some(Id::from_bytes(IdKind::Subject, b)))
                .ok_or_else(|| corrupt::<E>(name)),
        }
    }

    pub fn request<E: From<StoreError>>(&self, key: &[u8]) -> TxResult<Option<RequestRecord>, E> {
        match self.requests.get(key)? {
            None => Ok(None),
            Some(b) => decode("requests", &b).map(Some).map_err(store_abort),
        }
    }

    pub fn put_request<E: From<StoreError>>(
        &self,
        key: &[u8],
        record: &RequestRecord,
    ) -> TxResult<(), E> {
        self.requests
            .insert(key, encode(record).map_err(store_abort)?)?;
        Ok(())
    }

    /// An organisation's enrolment, by its id.
    pub fn enrolment<E: From<StoreError>>(
        &self,
        organisation: &str,
        id: &Id,
    ) -> TxResult<Option<EnrolmentRecord>, E> {
        match self.enrolments.get(enrolment_key(organisation, id))? {
            None => Ok(None),
            Some(b) => decode("enrolments", &b).map(Some).map_err(store_abort),
        }
    }

    /// Records a re-check of enrolment `current` (as it stands): its new outcome and the
    /// subjects that rests on. Its details are unchanged, so its entries under blocking keys
    /// stay as they are and only those under the subjects move (the matcher's keys are not
    /// worked out again).
    pub fn recheck_enrolment<E: From<StoreError>>(
        &self,
        current: &EnrolmentRecord,
        outcome: crate::core::model::Outcome,
        matched: &[String],
    ) -> TxResult<(), E> {
        let key = enrolment_key_of(current).map_err(store_abort)?;
        for s in current.matched.iter().filter(|s| !matched.contains(s)) {
            self.enrolment_keys.remove(subject_entry_key(s, &key))?;
        }
        for s in matched.iter().filter(|s| !current.matched.contains(s)) {
            self.enrolment_keys
                .insert(subject_entry_key(s, &key), &[][..])?;
        }
        let rec = EnrolmentRecord {
            outcome,
            matched: matched.to_vec(),
            ..current.clone()
        };
        self.enrolments
            .insert(key, encode(&rec).map_err(store_abort)?)?;
        Ok(())
    }

    /// Writes a new enrolment worked out beforehand (see [`EnrolmentWrite`]).
    pub fn write_enrolment<E: From<StoreError>>(&self, w: &EnrolmentWrite) -> TxResult<(), E> {
        for (k, v) in &w.index {
            self.enrolment_keys.insert(k.as_slice(), v.as_slice())?;
        }
        self.enrolments
            .insert(w.key.as_slice(), w.bytes.as_slice())?;
        Ok(())
    }

    fn unindex_enrolment<E: From<StoreError>>(&self, rec: &EnrolmentRecord) -> TxResult<(), E> {
        let key = enrolment_key_of(rec).map_err(store_abort)?;
        for k in enrolment_index_keys(rec, &key) {
            self.enrolment_keys.remove(k)?;
        }
        Ok(())
    }

    /// Removes an enrolment's record and its index entries (its details are kept only while
    /// enrolled).
    pub fn remove_enrolment<E: From<StoreError>>(&self, rec: &EnrolmentRecord) -> TxResult<(), E> {
        self.unindex_enrolment(rec)?;
        self.enrolments
            .remove(enrolment_key_of(rec).map_err(store_abort)?)?;
        Ok(())
    }

    /// How far the alert projector has read the change log (0: nothing yet).
    pub fn projector_cursor<E: From<StoreError>>(&self) -> TxResult<u64, E> {
        match self.meta.get(META_PROJECTOR)? {
            None => Ok(0),
            Some(b) => decode_u64("meta", &b).map_err(store_abort),
        }
    }

    pub fn set_projector_cursor<E: From<StoreError>>(&self, seq: u64) -> TxResult<(), E> {
        self.meta.insert(META_PROJECTOR, &seq.to_be_bytes())?;
        Ok(())
    }

    /// Appends an alert for its organisation with the organisation's next sequence (gap-free,
    /// from 1), and returns it.
    pub fn append_alert<E: From<StoreError>>(
        &self,
        organisation: &str,
        mut alert: AlertRecord,
    ) -> TxResult<AlertRecord, E> {
        let prefix = org_prefix(organisation);
        let counter = [META_ALERT_SEQ, prefix.as_slice()].concat();
        let last = match self.meta.get(&counter)? {
            None => 0,
            Some(b) => decode_u64("meta", &b).map_err(store_abort)?,
        };
        alert.sequence = last + 1;
        self.meta.insert(counter, &alert.sequence.to_be_bytes())?;
        self.alerts.insert(
            [prefix.as_slice(), &alert.sequence.to_be_bytes()].concat(),
            encode(&alert).map_err(store_abort)?,
        )?;
        Ok(alert)
    }

    /// Moves the registry to its next version and returns it.
    pub fn bump_data_version<E: From<StoreError>>(&self) -> TxResult<u64, E> {
        let v = match self.meta.get(META_DATA_VERSION)? {
            None => 0,
            Some(b) => decode_u64("meta", &b).map_err(store_abort)?,
        } + 1;
        self.meta.insert(META_DATA_VERSION, &keys::u64_key(v))?;
        Ok(v)
    }

    /// Appends `entry` to the audit chain at time `at_ms`, after the head this transaction
    /// holds (see [`Store::transact`]).
    pub fn append_audit<E: From<StoreError>>(
        &self,
        at_ms: i64,
        entry: AuditEntry,
    ) -> TxResult<AuditEvent, E> {
        let (last, prev_hash) = self.head.borrow().clone();
        let event = AuditEvent::seal(last + 1, at_ms, entry, prev_hash);
        put_event(self.audit, self.audit_by_subject, self.audit_by_org, &event)?;
        self.meta.insert(
            META_AUDIT_HEAD,
            encode(&(event.sequence, event.hash.clone())).map_err(store_abort)?,
        )?;
        self.head.replace((event.sequence, event.hash.clone()));
        Ok(event)
    }

    /// Puts back an audit event found only in the check journal after a crash, in sequence
    /// order. It goes in at its own place, as sealed, when that place is free and its
    /// predecessor there is the event it was sealed after: the usual case, a check sealed
    /// between registry writes that reached the disk before it was moved. Otherwise a registry
    /// write before it was lost in the crash (committed, never made durable, never
    /// acknowledged) and the events after it have nothing to chain to: the event is sealed
    /// again at the chain's end, so the chain has no gap. (Nothing can follow such a gap in
    /// the tree: sled recovers a prefix of its writes, and every write after the lost one came
    /// after it.)
    fn restore_event<E: From<StoreError>>(&self, e: &AuditEvent) -> TxResult<(), E> {
        let hash_at = |seq: u64| -> TxResult<Option<String>, E> {
            match self.audit.get(keys::u64_key(seq))? {
                None => Ok(None),
                Some(b) => Ok(AuditEvent::from_bytes(&b).map(|e| e.hash)),
            }
        };
        let free = self.audit.get(keys::u64_key(e.sequence))?.is_none();
        let after = match e.sequence.checked_sub(1) {
            None | Some(0) => Some(String::new()),
            Some(prev) => hash_at(prev)?,
        };
        if free && after.as_deref() == Some(e.prev_hash.as_str()) {
            put_event(self.audit, self.audit_by_subject, self.audit_by_org, e)?;
            let (head, _) = self.head.borrow().clone();
            if e.sequence > head {
                self.meta.insert(
                    META_AUDIT_HEAD,
                    encode(&(e.sequence, e.hash.clone())).map_err(store_abort)?,
                )?;
                self.head.replace((e.sequence, e.hash.clone()));
            }
            Ok(())
        } else {
            self.append_audit(e.at_ms, e.entry.clone()).map(|_| ())
        }
    }

    /// Ends an import begun by [`Store::begin_import`]: lifts its mark and the mark that the
    /// candidate index is incomplete. The caller has written (and synced) every index entry
    /// first; the import becomes visible when this transaction commits.
    pub fn end_import<E: From<StoreError>>(&self) -> TxResult<(), E> {
        self.meta.remove(META_IMPORT)?;
        self.meta.remove(META_INDEX_INCOMPLETE)?;
        Ok(())
    }

    /// Appends `change` to the change log as its next record (its `sequence` is set here) and
    /// returns the sequence.
    /// The sequence the next [`Tx::append_change`] will give its record.
    pub fn next_change_sequence<E: From<StoreError>>(&self) -> TxResult<u64, E> {
        Ok(match self.meta.get(META_CHANGE_HEAD)? {
            None => 0,
            Some(b) => decode_u64("meta", &b).map_err(store_abort)?,
        } + 1)
    }

    pub fn append_change<E: From<StoreError>>(&self, mut change: Change) -> TxResult<u64, E> {
        let seq = match self.meta.get(META_CHANGE_HEAD)? {
            None => 0,
            Some(b) => decode_u64("meta", &b).map_err(store_abort)?,
        } + 1;
        change.sequence = seq;
        self.changes
            .insert(&keys::u64_key(seq), encode(&change).map_err(store_abort)?)?;
        self.meta.insert(META_CHANGE_HEAD, &keys::u64_key(seq))?;
        Ok(seq)
    }
}

/// Writes `event` and its index entries into the audit trees of a transaction.
fn put_event<E>(
    audit: &TransactionalTree,
    by_subject: &TransactionalTree,
    by_org: &TransactionalTree,
    event: &AuditEvent,
) -> TxResult<(), E>
where
    E: From<StoreError>,
{
    audit.insert(&keys::u64_key(event.sequence), event.to_bytes())?;
    for k in by_subject_keys(event) {
        by_subject.insert(&k, &[])?;
    }
    by_org.insert(by_org_key(event), &[])?;
    Ok(())
}

/// The keys of `event` in `audit_by_subject`: one for each subject it names.
fn by_subject_keys(event: &AuditEvent) -> impl Iterator<Item = [u8; ID_LEN + 8]> + '_ {
    event.entry.subject_ids.iter().filter_map(|s| {
        Id::parse(IdKind::Subject, "subject_id", s)
            .ok()
            .map(|id| keys::id_seq(id.bytes(), event.sequence))
    })
}

/// The key of `event` in `audit_by_org`.
fn by_org_key(event: &AuditEvent) -> Vec<u8> {
    keys::text_seq(&event.entry.organisation, event.sequence)
}

impl owner::Work for Store {
    type Error = StoreError;

    fn flush_round(&self) -> Result<owner::RoundResult, StoreError> {
        Store::flush_round(self)
    }

    fn checkpoint_round(&self) -> Result<owner::RoundResult, StoreError> {
        Store::checkpoint_round(self)
    }

    fn move_events(&self) -> Result<(), StoreError> {
        self.settle_audit().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_published_entry_past_its_window_stays_out_of_the_public_filter_from_the_start() {
        use crate::core::identity::{Date, PersonName};
        use crate::core::model::{EmploymentRole, ListKind, ListingGrounds};
        use crate::service::registry::{ListingInput, SubjectInput};
        let (_dir, v) = crate::fuzz::registry();
        let who = crate::fuzz::registrar();
        let listed = |given: &str, family: &str, decided: Date| {
            let input = SubjectInput {
                name: Some(PersonName::new(given, family)),
                date_of_birth: Some(Date::new(1977, 7, 7)),
                ..SubjectInput::default()
            };
            let s = v.create_subject(&who, &input, "").unwrap();
            let l = ListingInput {
                list: Some(ListKind::Barred),
                organisation: "Kent Police".into(),
                role: Some(EmploymentRole::PoliceOfficer),
                rank: String::new(),
                decision_date: Some(decided),
                standards_breached: vec![],
                reason: "dishonesty".into(),
                published: true,
                grounds: Some(ListingGrounds::GrossMisconduct),
            };
            v.add_listing(&who, &s.subject_id, &l, "").unwrap();
            let identity = Identity {
                names: vec![PersonName::new(given, family)],
                date_of_birth: Some(Date::new(1977, 7, 7)),
                identifiers: vec![],
            };
            matching::index_keys(&Prepared::new(&identity))
        };
        let old = listed("Olwen", "Quarrington", Date::new(2019, 1, 10));
        let recent = listed("Tegwen", "Pennington", Date::new(2024, 1, 10));
        // Opened again, as a server starts: the filters are built by the warm-up.
        let path = v.store.path.clone();
        let today = v.clock.today();
        drop(v);
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        store.warm_cache_on(Some(today), || false).unwrap();
        let public = Visibility::Public { today }.filter_views();
        let held = |keys: &[String], views| {
            keys.iter()
                .filter(|k| store.filter.may_hold(&keys::index_prefix(k), views))
                .count()
        };
        assert_eq!(
            held(&old, public),
            0,
            "past its window: skipped as a stranger's"
        );
        assert_eq!(held(&recent, public), recent.len());
        // Every other view still finds both.
        assert_eq!(held(&old, None), old.len());
        // Warmed on a day the old entry was still public, it is in the public filter.
        let store2 = {
            drop(store);
            Store::open(&path, StoreOptions::default()).unwrap()
        };
        store2
            .warm_cache_on(Some(Date::new(2023, 1, 1)), || false)
            .unwrap();
        assert_eq!(
            old.iter()
                .filter(|k| store2.filter.may_hold(&keys::index_prefix(k), public))
                .count(),
            old.len()
        );
    }

    use sled::IVec;

    use super::*;
    /// Subjects of every kind written through the service, each under its own family name:
    /// (that name, the subject's id, the index keys of its name).
    fn one_of_each_kind(
        v: &crate::service::Vetting,
    ) -> Vec<(&'static str, [u8; ID_LEN], Vec<String>)> {
        use crate::core::identity::{Date, PersonName};
        use crate::core::model::{EmploymentRole, ListKind, ListingGrounds};
        use crate::service::registry::{InvestigationInput, ListingInput, SubjectInput};
        let who = crate::fuzz::registrar();
        let listing = |list, published, decided| ListingInput {
            list: Some(list),
            organisation: "Kent Police".into(),
            role: Some(EmploymentRole::PoliceOfficer),
            rank: String::new(),
            decision_date: Some(decided),
            standards_breached: vec![],
            reason: "dishonesty".into(),
            published,
            grounds: (list == ListKind::Barred).then_some(ListingGrounds::GrossMisconduct),
        };
        let case = |role| InvestigationInput {
            organisation: "Kent Police".into(),
            reference: "PSD/1".into(),
            allegation_summary: String::new(),
            opened_on: Some(Date::new(2025, 9, 1)),
            role: Some(role),
        };
        let (recent, old) = (Date::new(2024, 1, 10), Date::new(2019, 1, 10));
        let kinds: Vec<(&str, Vec<ListingInput>, Vec<InvestigationInput>)> = vec![
            (
                "Published",
                vec![listing(ListKind::Barred, true, recent)],
                vec![],
            ),
            (
                "Expired",
                vec![listing(ListKind::Barred, true, old)],
                vec![],
            ),
            (
                "Unpublished",
                vec![listing(ListKind::Barred, false, recent)],
                vec![],
            ),
            (
                "Advisory",
                vec![listing(ListKind::Advisory, false, recent)],
                vec![],
            ),
            ("Police", vec![], vec![case(EmploymentRole::PoliceOfficer)]),
            ("Prison", vec![], vec![case(EmploymentRole::PrisonOfficer)]),
            (
                "Advisoryprobation",
                vec![listing(ListKind::Advisory, false, recent)],
                vec![case(EmploymentRole::ProbationOfficer)],
            ),
            (
                "Barredpolice",
                vec![listing(ListKind::Barred, false, recent)],
                vec![case(EmploymentRole::PoliceOfficer)],
            ),
        ];
        kinds
            .into_iter()
            .zip(1961..)
            .map(|((family, listings, cases), born)| {
                // Born in a year of its own: no key is shared with another kind.
                let dob = Date::new(born, 7, 7);
                let name = PersonName::new("Olwen", family);
                let input = SubjectInput {
                    name: Some(name.clone()),
                    date_of_birth: Some(dob),
                    ..SubjectInput::default()
                };
                let s = v.create_subject(&who, &input, "").unwrap();
                for l in &listings {
                    v.add_listing(&who, &s.subject_id, l, "").unwrap();
                }
                for c in &cases {
                    v.open_investigation(&who, &s.subject_id, c, "").unwrap();
                }
                let identity = Identity {
                    names: vec![name],
                    date_of_birth: Some(dob),
                    identifiers: vec![],
                };
                let id = Id::parse(IdKind::Subject, "subject_id", &s.subject_id).unwrap();
                (
                    family,
                    *id.bytes(),
                    matching::index_keys(&Prepared::new(&identity)),
                )
            })
            .collect()
    }

    #[test]
    fn the_shelves_a_caller_reads_hold_exactly_the_subjects_it_may_see() {
        use crate::core::disclosure::Scopes;
        let (_dir, v) = crate::fuzz::registry();
        let people = one_of_each_kind(&v);
        let today = v.clock.today();
        let mut callers = vec![Visibility::Full, Visibility::Public { today }];
        for sees in [
            "barred",
            "advisory",
            "investigations",
            "investigations:probation",
            "advisory,investigations:prisons",
        ] {
            callers.push(Visibility::Scoped(sees.parse::<Scopes>().unwrap()));
        }
        for v_ in callers {
            for (family, id, keys) in &people {
                let rec = v.store.match_record(id).unwrap().unwrap();
                let may_see = v_.may_show(rec.facts.audiences(), rec.facts.public_until());
                // Read the ranges as a check by this caller does, counting every entry of
                // this subject: all its keys when it may see it, none when it may not.
                let mut read = 0;
                for k in keys {
                    for shelf in v_.shelves() {
                        let (start, end) =
                            keys::index_shelf_range(shelf.tag, k, shelf.published_from);
                        read += v
                            .store
                            .t
                            .index
                            .range(start..end)
                            .filter(|e| keys::index_entry_id(&e.as_ref().unwrap().0) == Some(*id))
                            .count();
                    }
                }
                if may_see {
                    assert!(read >= keys.len(), "{v_:?} reads {family} under every key");
                } else {
                    assert_eq!(read, 0, "{v_:?} reads no entry of {family}, hidden from it");
                }
            }
        }
    }

    #[test]
    fn an_entry_written_past_its_window_while_serving_stays_out_of_the_public_filter() {
        let (_dir, v) = crate::fuzz::registry();
        let today = v.clock.today();
        // As the server does at start, before any write.
        v.store.warm_cache_on(Some(today), || false).unwrap();
        let people: std::collections::HashMap<_, _> = one_of_each_kind(&v)
            .into_iter()
            .map(|(family, _, keys)| (family, keys))
            .collect();
        let public = Visibility::Public { today }.filter_views();
        let held = |family: &str, views| {
            people[family]
                .iter()
                .filter(|k| v.store.filter.may_hold(&keys::index_prefix(k), views))
                .count()
        };
        assert_eq!(held("Expired", public), 0, "skipped as a stranger's");
        assert_eq!(held("Published", public), people["Published"].len());
        let barred = Visibility::Scoped(crate::core::disclosure::Scopes::BARRED_ONLY);
        assert_eq!(
            held("Expired", barred.filter_views()),
            people["Expired"].len(),
            "every checker sees it"
        );
    }

    fn open_at(path: &Path) -> Store {
        let opts = StoreOptions {
            cache_bytes: 16 << 20,
            ..StoreOptions::default()
        };
        Store::open(path, opts).unwrap()
    }

    fn contents(t: &Tree) -> Vec<(IVec, IVec)> {
        t.iter().map(Result::unwrap).collect()
    }

    #[test]
    fn a_rebuild_copies_every_tree_it_does_not_rebuild_and_the_data_keys_of_meta() {
        let dir = tempfile::tempdir().unwrap();
        let from = open_at(&dir.path().join("from"));
        // A tree a later version might add, beside today's.
        from.db.open_tree("added_later").unwrap();
        let names = from.db.tree_names();
        for name in &names {
            // Subjects are decoded to be indexed: this test leaves them to the others.
            if is_rebuilt(name) || name == b"subjects" {
                continue;
            }
            let t = from.db.open_tree(name).unwrap();
            t.insert(
                b"key of "
                    .iter()
                    .chain(name.iter())
                    .copied()
                    .collect::<Vec<_>>(),
                &b"v"[..],
            )
            .unwrap();
        }
        from.t
            .meta
            .insert(META_DATA_VERSION, &7u64.to_be_bytes())
            .unwrap();
        from.t.meta.insert(META_AUDIT_HEAD, &b"head"[..]).unwrap();

        let to = open_at(&dir.path().join("to"));
        assert_eq!(from.rebuild_into(&to).unwrap(), 0);
        let mut copied = 0;
        for name in &names {
            if is_rebuilt(name) {
                continue;
            }
            let (a, b) = (
                from.db.open_tree(name).unwrap(),
                to.db.open_tree(name).unwrap(),
            );
            assert_eq!(
                contents(&a),
                contents(&b),
                "tree {:?}",
                String::from_utf8_lossy(name)
            );
            copied += usize::from(!a.is_empty());
        }
        // Every tree but `subjects` held something to copy.
        assert_eq!(copied, names.len() - REBUILT_TREES.len() - 1);
        for key in [META_DATA_VERSION, META_AUDIT_HEAD] {
            assert_eq!(from.t.meta.get(key).unwrap(), to.t.meta.get(key).unwrap());
        }
        assert!(to.t.meta.get(META_INDEX_INCOMPLETE).unwrap().is_none());
    }

    /// The projector's write of a re-checked enrolment changes only the entries under the
    /// subjects it rests on: what the index holds after it is what a whole write of the new
    /// record would leave.
    #[test]
    fn a_rechecked_enrolment_is_indexed_as_if_written_whole() {
        use crate::core::identity::{Date, PersonName};
        use crate::core::model::Outcome;
        let (_dir, v) = crate::fuzz::registry();
        let clock = crate::core::clock::Clock::System;
        let held = |store: &Store| -> Vec<(Vec<u8>, Vec<u8>)> {
            store
                .t
                .enrolment_keys
                .iter()
                .map(|r| {
                    let (k, v) = r.unwrap();
                    (k.to_vec(), v.to_vec())
                })
                .collect()
        };
        let whole = |rec: &EnrolmentRecord| {
            let mut e = enrolment_index_entries(rec, &enrolment_key_of(rec).unwrap());
            e.sort();
            e
        };
        let first = EnrolmentRecord {
            enrolment_id: Id::new(IdKind::Enrolment, &clock).to_string(),
            organisation: "Kent Police".into(),
            key_id: "key_1".into(),
            employee_ref: "E1".into(),
            name: PersonName::new("Olwen", "Quarrington"),
            other_names: vec![],
            date_of_birth: Some(Date::new(1977, 7, 7)),
            identifiers: vec![],
            outcome: Outcome::Clear,
            matched: vec!["sub_a".into(), "sub_b".into()],
            enrolled_at_ms: 1,
        };
        let write = EnrolmentWrite::of(&first).unwrap();
        v.store
            .transact::<_, StoreError>(|tx| tx.write_enrolment(&write))
            .unwrap();
        assert_eq!(held(&v.store), whole(&first));
        let matched: Vec<String> = vec!["sub_b".into(), "sub_c".into()];
        v.store
            .transact::<_, StoreError>(|tx| tx.recheck_enrolment(&first, Outcome::Barred, &matched))
            .unwrap();
        let rechecked = EnrolmentRecord {
            outcome: Outcome::Barred,
            matched,
            ..first.clone()
        };
        assert_eq!(held(&v.store), whole(&rechecked));
        let id = Id::parse(IdKind::Enrolment, "enrolment_id", &first.enrolment_id).unwrap();
        let stored = v
            .store
            .transact::<_, StoreError>(|tx| tx.enrolment(&first.organisation, &id))
            .unwrap();
        assert_eq!(stored, Some(rechecked));
    }
}
