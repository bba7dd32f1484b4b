//! The sled store: one tree per concern, one transaction per request, flushed before answering
//! (a check's audit event goes to the check [`journal`] instead, unless checks are synced).
//!
//! Trees (keys big-endian, see [`keys`]):
//! - `meta`: format version, candidate-index version, data version, audit chain head.
//! - `subjects`: subject id → the subject with its listings and investigations (postcard).
//! - `listings`, `investigations`: listing or investigation id → subject id.
//! - `requests`: `operation, 0, organisation, 0, request_id` → the first answer's id and a
//!   fingerprint of the request (idempotent creates).
//! - `match_records`: subject id → what the matcher needs of a subject that is not clear.
//! - `index`: `blocking key, 0, subject id` → nothing: the candidate index.
//! - `audit`: sequence → event; `audit_by_subject`: `subject id, sequence`; `audit_by_org`:
//!   `organisation, 0, sequence`.
//!
//! Nothing is deleted from `subjects`, `listings`, `investigations` or `audit`. Index entries
//! and match records are derived data: they follow the subject, and `reindex` rebuilds them.

pub mod journal;
pub mod keys;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional, Tree};

use crate::audit::{AuditEntry, AuditEvent};
use crate::domain::model::{Status, Subject, Visibility};
use crate::error::Error;
use crate::ids::{Id, IdKind};
use crate::matching::{self, Identity, Prepared};
use keys::ID_LEN;

/// The on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

const META_FORMAT: &[u8] = b"format_version";
const META_INDEX: &[u8] = b"index_version";
const META_DATA_VERSION: &[u8] = b"data_version";
const META_AUDIT_HEAD: &[u8] = b"audit_head";
/// Present while a bulk write's candidate-index entries are not all in the index yet.
const META_INDEX_INCOMPLETE: &[u8] = b"index_incomplete";
/// The newest check-journal file whose events are in the store (see [`journal`]).
const META_JOURNAL_REPLAYED: &[u8] = b"journal_replayed";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory {0} is in use by another process (is a server running on it?)")]
    Locked(PathBuf),
    #[error(
        "data directory {path} holds store format {found}; this build reads format {FORMAT_VERSION}"
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
    /// Flush the store for every check's audit event before its answer, rather than writing it
    /// to the check journal (see [`journal`]): survives a power cut, costs an fsync a check.
    pub sync_checks: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_bytes: 512 * 1024 * 1024,
            allow_outdated_index: false,
            temporary: false,
            sync_checks: false,
        }
    }
}

/// What the matcher needs of a subject that is not clear, kept beside the candidate index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchRecord {
    pub status: Status,
    /// The status as the public may see it (published barred entries only).
    pub public_status: Status,
    pub prepared: Prepared,
}

impl MatchRecord {
    pub fn status_for(&self, v: Visibility) -> Status {
        match v {
            Visibility::Full => self.status,
            Visibility::PublishedOnly => self.public_status,
        }
    }
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

/// The failure of a step inside a transaction.
pub type TxError = ConflictableTransactionError<Error>;
pub type TxResult<T> = Result<T, TxError>;

/// Aborts the transaction with `e`; nothing it wrote is kept.
pub fn abort(e: impl Into<Error>) -> TxError {
    ConflictableTransactionError::Abort(e.into())
}

fn corrupt(tree: &'static str) -> TxError {
    abort(StoreError::Corrupt { tree })
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
}

/// The vetting store.
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    t: Trees,
    path: PathBuf,
    /// `None` when every check is flushed instead (`sync_checks`).
    journal: Option<std::sync::Arc<journal::Journal>>,
    /// A data version known to be on disk: every registry write up to it has been flushed.
    durable_version: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// sled's page cache, in bytes.
    cache_bytes: u64,
}

/// The data directory a store at `path` (`DATA_DIR/store`) belongs to: what errors name, since
/// it is what the operator passes as `--data-dir`.
fn data_dir_of(path: &Path) -> PathBuf {
    path.parent().unwrap_or(path).to_owned()
}

fn is_lock_error(e: &sled::Error) -> bool {
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

/// Whether the tree named `name` is one of [`REBUILT_TREES`].
fn is_rebuilt(name: &[u8]) -> bool {
    REBUILT_TREES.iter().any(|t| name == t.as_bytes())
}

impl Store {
    /// Opens (or creates) the store at `path`, the `store` directory of a data directory. Fails
    /// with one clear error, naming the data directory, when another process holds it, when it
    /// is of another format, or when its candidate index is outdated. Puts back any check audit
    /// events a killed process left only in the check journal.
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
        };
        let mut store = Self {
            db,
            t,
            path: path.to_owned(),
            journal: None,
            durable_version: Default::default(),
            cache_bytes: opts.cache_bytes,
        };
        store.check_format(opts.allow_outdated_index)?;
        let journal = store.recover_journal()?;
        // What was recovered is on disk.
        store.mark_durable(store.data_version()?);
        if !opts.sync_checks {
            store.journal = Some(std::sync::Arc::new(journal));
        }
        Ok(store)
    }

    fn journal_error(&self, source: std::io::Error) -> StoreError {
        StoreError::Journal {
            path: self.path.join("journal"),
            source,
        }
    }

    /// Puts back the check audit events a killed process left only in its journal, and starts
    /// a new journal.
    fn recover_journal(&self) -> Result<journal::Journal, StoreError> {
        let replayed = self
            .t
            .meta
            .get(META_JOURNAL_REPLAYED)?
            .map_or(Ok(0), |b| decode_u64("meta", &b))?;
        let left =
            journal::Journal::leftover(&self.path, replayed).map_err(|e| self.journal_error(e))?;
        let mut missing = Vec::new();
        for e in left.events {
            let stored = self.audit_event(e.sequence)?;
            if stored.is_none_or(|s| s.hash != e.hash) {
                missing.push(e);
            }
        }
        missing.sort_by_key(|e| e.sequence);
        // Files whose events are all in the store already (a checkpoint cut short) are only
        // removed.
        if !missing.is_empty() {
            let newest = left.generations.iter().copied().max().unwrap_or(replayed);
            self.transact(|tx| {
                for e in &missing {
                    tx.append_audit(e.at_ms, e.entry.clone())?;
                }
                tx.meta
                    .insert(META_JOURNAL_REPLAYED, &newest.to_be_bytes())?;
                Ok(())
            })
            .map_err(|e| match e {
                Error::Store(s) => s,
                _ => StoreError::Corrupt { tree: "audit" },
            })?;
            self.flush_blocking()?;
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
        journal::Journal::start(&self.path, &left.generations, replayed)
            .map_err(|e| self.journal_error(e))
    }

    /// Whether checks' audit events go to the check journal (else the store is flushed for
    /// each, `sync_checks`).
    pub fn journals_checks(&self) -> bool {
        self.journal.is_some()
    }

    /// Makes a check's audit event, committed by [`Store::transact`], survive the process by
    /// appending it to the check journal. Does nothing when the store syncs checks: the caller
    /// flushes the store before answering.
    ///
    /// `seen` is the data version the check's answer rests on: if a registry write up to it may
    /// not be on disk yet (it is still waiting for its own flush), the store is flushed first, so
    /// that no answer outlives, in the audit trail, the registry state it reported.
    pub fn journal_check(&self, event: &AuditEvent, seen: u64) -> Result<(), StoreError> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        if seen > self.durable_version.load(Ordering::Acquire) {
            self.flush_blocking()?;
            return Ok(());
        }
        if let Err(e) = j.append(event) {
            // A full disk or a lost directory: fall back to the flush, and say so.
            tracing::error!(error = %e, "cannot write the check journal; flushing the store instead");
            self.flush_blocking()?;
        }
        Ok(())
    }

    fn mark_durable(&self, version: u64) {
        self.durable_version.fetch_max(version, Ordering::AcqRel);
    }

    /// Ends the current journal file, flushes the store, and removes the journal files whose
    /// events are now on disk in the store. Run every second or so, and at shutdown.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let Some(j) = &self.journal else {
            return self.flush_blocking();
        };
        // The rotation comes before the flush (the flush must cover every record of the file
        // it ends); the flush happens even when the rotation fails.
        let ended = j.rotate();
        self.flush_blocking()?;
        if let Some(g) = ended.map_err(|e| self.journal_error(e))? {
            j.remove_up_to(g).map_err(|e| self.journal_error(e))?;
        }
        Ok(())
    }

    fn check_format(&self, allow_outdated_index: bool) -> Result<(), StoreError> {
        let index_version = matching::INDEX_FORMAT_VERSION;
        match self.t.meta.get(META_FORMAT)? {
            None => {
                let empty = self.t.subjects.is_empty() && self.t.audit.is_empty();
                if !empty {
                    return Err(StoreError::Foreign(data_dir_of(&self.path)));
                }
                self.t
                    .meta
                    .insert(META_FORMAT, &FORMAT_VERSION.to_be_bytes())?;
                self.t
                    .meta
                    .insert(META_INDEX, &index_version.to_be_bytes())?;
                self.db.flush()?;
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Foreign(data_dir_of(&self.path)))?;
                if found != FORMAT_VERSION {
                    return Err(StoreError::FormatMismatch {
                        path: data_dir_of(&self.path),
                        found,
                    });
                }
                let found_index = self
                    .t
                    .meta
                    .get(META_INDEX)?
                    .and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok())
                    .map_or(0, u32::from_be_bytes);
                if found_index != index_version && !allow_outdated_index {
                    return Err(StoreError::IndexOutdated {
                        path: data_dir_of(&self.path),
                        found: found_index,
                        expected: index_version,
                    });
                }
                if self.t.meta.contains_key(META_INDEX_INCOMPLETE)? && !allow_outdated_index {
                    return Err(StoreError::IndexIncomplete(data_dir_of(&self.path)));
                }
            }
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes everything written so far survive a crash of the process.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let version = self.data_version()?;
        self.db.flush_async().await?;
        self.mark_durable(version);
        Ok(())
    }

    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        let version = self.data_version()?;
        self.db.flush()?;
        self.mark_durable(version);
        Ok(())
    }

    /// Runs `f` as one atomic transaction over every tree. `f` may run more than once (on a
    /// conflict), so it must have no effect outside the transaction.
    pub fn transact<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T, Error> {
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
                )| {
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
                    })
                },
            );
        match result {
            Ok(v) => Ok(v),
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
    /// index holds it (`None` when unknown); entries it refuses are passed over unfetched.
    pub fn candidates(
        &self,
        blocking_keys: &[String],
        limit: usize,
        keep: impl Fn(&str, Option<crate::domain::identity::Date>) -> bool,
    ) -> Result<Vec<[u8; ID_LEN]>, StoreError> {
        let mut ids = BTreeSet::new();
        'keys: for k in blocking_keys {
            for entry in self.t.index.scan_prefix(keys::index_prefix(k)) {
                let (key, value) = entry?;
                if !keep(k, keys::index_value_dob(&value)) {
                    continue;
                }
                let id = keys::index_entry_id(&key).ok_or(StoreError::Corrupt { tree: "index" })?;
                ids.insert(id);
                if ids.len() >= limit {
                    break 'keys;
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

    pub fn subject_count(&self) -> usize {
        self.t.subjects.len()
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
            Ok((seq, postcard::from_bytes(&v).ok()))
        })
    }

    pub fn audit_event(&self, seq: u64) -> Result<Option<AuditEvent>, StoreError> {
        self.t
            .audit
            .get(keys::u64_key(seq))?
            .map(|b| decode("audit", &b))
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
        for key in [META_DATA_VERSION, META_AUDIT_HEAD] {
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
        self.flush_blocking()?;
        if self.t.meta.remove(META_INDEX_INCOMPLETE)?.is_some() {
            self.flush_blocking()?;
        }
        Ok(())
    }

    /// Reads what a check reads (the candidate index, the match records, the subjects) and the
    /// subject index of the audit trail, where a check that finds someone writes, from end to
    /// end, so that sled's page cache holds it and the first checks after a start do not wait
    /// for page reads. Asks `stop` before each entry and stops when it says so; stops too
    /// once the keys and values read reach [`WARM_BUDGET`] of the cache. (sled counts a page by
    /// its size in the log, node headers and pending updates included, so the bytes of keys
    /// and values only estimate what the cache holds; reading past its capacity would only push
    /// out what was read first.)
    pub fn warm_cache(&self, stop: impl Fn() -> bool) -> Result<Warmed, StoreError> {
        let budget = self.cache_bytes / WARM_BUDGET.1 * WARM_BUDGET.0;
        let mut warmed = Warmed {
            complete: false,
            entries: 0,
            bytes: 0,
        };
        for tree in [
            &self.t.index,
            &self.t.match_records,
            &self.t.subjects,
            &self.t.audit_by_subject,
        ] {
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
        let value = keys::index_value(rec.prepared.date_of_birth());
        for k in matching::index_keys(&rec.prepared) {
            self.0.push((keys::index_entry(&k, id), value.clone()));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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
        status,
        public_status: s.status_as_seen(Visibility::PublishedOnly),
        prepared: Prepared::new(&identity),
    })
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
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl Tx<'_> {
    pub fn subject(&self, id: &Id) -> TxResult<Option<Subject>> {
        match self.subjects.get(id.bytes())? {
            None => Ok(None),
            Some(b) => decode("subjects", &b).map(Some).map_err(abort),
        }
    }

    /// Writes `new` (whose `subject_id` is `id`), keeping the listing and investigation lookups,
    /// the match record and the candidate index in step with it.
    pub fn put_subject(&self, id: &Id, new: &Subject) -> TxResult<()> {
        let bytes = id.bytes();
        self.put_lookups(bytes, new)?;
        let old: Option<MatchRecord> = match self.match_records.get(bytes)? {
            None => None,
            Some(b) => Some(decode("match_records", &b).map_err(abort)?),
        };
        let new_rec = match_record_of(new);
        let old_keys: BTreeSet<String> = old
            .as_ref()
            .map(|r| matching::index_keys(&r.prepared).into_iter().collect())
            .unwrap_or_default();
        let new_keys: BTreeSet<String> = new_rec
            .as_ref()
            .map(|r| matching::index_keys(&r.prepared).into_iter().collect())
            .unwrap_or_default();
        for k in old_keys.difference(&new_keys) {
            self.index.remove(keys::index_entry(k, bytes))?;
        }
        // Every entry carries the date of birth, so a changed date rewrites them all.
        let value = keys::index_value(new_rec.as_ref().and_then(|r| r.prepared.date_of_birth()));
        let old_value = keys::index_value(old.as_ref().and_then(|r| r.prepared.date_of_birth()));
        for k in &new_keys {
            if value != old_value || !old_keys.contains(k) {
                self.index
                    .insert(keys::index_entry(k, bytes), value.as_slice())?;
            }
        }
        match &new_rec {
            Some(rec) => {
                self.match_records
                    .insert(bytes, encode(rec).map_err(abort)?)?;
            }
            None => {
                self.match_records.remove(bytes)?;
            }
        }
        self.subjects.insert(bytes, encode(new).map_err(abort)?)?;
        Ok(())
    }

    /// Writes a subject new to the store (no record under `id`) like [`Tx::put_subject`], but
    /// leaves its candidate-index entries out: the caller adds them to [`IndexEntries`] with
    /// `rec` (its [`match_record_of`]) and writes them with [`Store::write_index`] once the
    /// transaction has committed. The index is marked incomplete in this transaction, so a
    /// crash before [`Store::index_complete`] leaves a store that refuses to open until
    /// `vetting reindex` rebuilds the index. Half the cost of a bulk import is saved: entries
    /// written outside a transaction are not read first, and go in key order.
    pub fn put_new_subject_unindexed(
        &self,
        id: &Id,
        new: &Subject,
        rec: Option<&MatchRecord>,
    ) -> TxResult<()> {
        let bytes = id.bytes();
        self.put_lookups(bytes, new)?;
        if let Some(rec) = rec {
            self.match_records
                .insert(bytes, encode(rec).map_err(abort)?)?;
        }
        self.subjects.insert(bytes, encode(new).map_err(abort)?)?;
        self.meta.insert(META_INDEX_INCOMPLETE, &[])?;
        Ok(())
    }

    /// The listing and investigation lookups of `new`.
    fn put_lookups(&self, bytes: &[u8; ID_LEN], new: &Subject) -> TxResult<()> {
        for l in &new.listings {
            let lid = Id::parse(IdKind::Listing, "listing_id", &l.listing_id)
                .map_err(|_| corrupt("listings"))?;
            self.listings.insert(lid.bytes(), bytes)?;
        }
        for i in &new.investigations {
            let iid = Id::parse(
                IdKind::Investigation,
                "investigation_id",
                &i.investigation_id,
            )
            .map_err(|_| corrupt("investigations"))?;
            self.investigations.insert(iid.bytes(), bytes)?;
        }
        Ok(())
    }

    /// The subject a listing belongs to.
    pub fn subject_of_listing(&self, listing: &Id) -> TxResult<Option<Id>> {
        self.owner(self.listings, "listings", listing)
    }

    pub fn subject_of_investigation(&self, investigation: &Id) -> TxResult<Option<Id>> {
        self.owner(self.investigations, "investigations", investigation)
    }

    fn owner(&self, tree: &TransactionalTree, name: &'static str, id: &Id) -> TxResult<Option<Id>> {
        match tree.get(id.bytes())? {
            None => Ok(None),
            Some(b) => keys::decode_id(&b)
                .map(|b| Some(Id::from_bytes(IdKind::Subject, b)))
                .ok_or_else(|| corrupt(name)),
        }
    }

    pub fn request(&self, key: &[u8]) -> TxResult<Option<RequestRecord>> {
        match self.requests.get(key)? {
            None => Ok(None),
            Some(b) => decode("requests", &b).map(Some).map_err(abort),
        }
    }

    pub fn put_request(&self, key: &[u8], record: &RequestRecord) -> TxResult<()> {
        self.requests.insert(key, encode(record).map_err(abort)?)?;
        Ok(())
    }

    /// Moves the registry to its next version and returns it.
    pub fn bump_data_version(&self) -> TxResult<u64> {
        let v = match self.meta.get(META_DATA_VERSION)? {
            None => 0,
            Some(b) => decode_u64("meta", &b).map_err(abort)?,
        } + 1;
        self.meta.insert(META_DATA_VERSION, &keys::u64_key(v))?;
        Ok(v)
    }

    /// Appends `entry` to the audit chain at time `at_ms`.
    pub fn append_audit(&self, at_ms: i64, entry: AuditEntry) -> TxResult<AuditEvent> {
        let (last, prev_hash) = match self.meta.get(META_AUDIT_HEAD)? {
            None => (0, String::new()),
            Some(b) => decode::<(u64, String)>("meta", &b).map_err(abort)?,
        };
        let seq = last + 1;
        let event = AuditEvent::seal(seq, at_ms, entry, prev_hash);
        self.audit
            .insert(&keys::u64_key(seq), encode(&event).map_err(abort)?)?;
        for s in &event.entry.subject_ids {
            if let Ok(id) = Id::parse(IdKind::Subject, "subject_id", s) {
                self.audit_by_subject
                    .insert(&keys::id_seq(id.bytes(), seq), &[])?;
            }
        }
        self.audit_by_org
            .insert(keys::text_seq(&event.entry.organisation, seq), &[])?;
        self.meta.insert(
            META_AUDIT_HEAD,
            encode(&(seq, event.hash.clone())).map_err(abort)?,
        )?;
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use sled::IVec;

    use super::*;

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
}
