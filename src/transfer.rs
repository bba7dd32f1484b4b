//! `vetting import` and `vetting export`: JSON lines, one `Subject` a line in proto3 JSON (the
//! shape grpcurl prints), with listings and investigations. An import is all or nothing: every
//! line is validated before anything is written (see [`Vetting::import_lines_with`]).

pub mod audit;

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::convert;
use crate::core::chain::AuditEntry;
use crate::core::change::{Change, ChangeKind};
use crate::core::ids::{ID_LEN, Id, IdKind};
use crate::core::model::{InvestigationState, ListingState, Subject};
use crate::core::principal::Principal;
use crate::pb;
use crate::service::Vetting;
use crate::service::error::{Error, Result};
use crate::service::registry::SubjectInput;
use crate::store::{IndexEntries, MatchRecord, StoreError, abort, match_record_of};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("reading or writing")]
    Io(#[from] std::io::Error),
    #[error("descriptor set")]
    Descriptor(#[from] prost_reflect::DescriptorError),
    #[error("the {0} message is missing from the descriptor set")]
    NoMessage(&'static str),
    #[error(transparent)]
    Service(#[from] Error),
    /// Lines refused by the validation pass: the first [`MAX_LISTED`], and how many more.
    #[error("{} of {lines} lines refused; nothing was imported", listed.len() as u64 + more)]
    Refused {
        listed: Vec<BadLine>,
        more: u64,
        lines: u64,
    },
    #[error("import spool {path}")]
    Spool {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the import spool {0} is missing or does not hold what its import wrote; the import cannot be finished (keep the spool with the store; restore the data directory from a backup)"
    )]
    SpoolDamaged(PathBuf),
}

/// A message that `vetting` writes and reads as JSON lines: its full name in the compiled
/// descriptors.
pub trait JsonLine: Message + Default {
    const FULL_NAME: &'static str;
}

impl JsonLine for pb::Subject {
    const FULL_NAME: &'static str = "vetting.v1.Subject";
}

/// Proto3 JSON for a message `M` (one line of an export), through the compiled descriptors.
#[derive(Debug)]
pub struct ProtoJson<M> {
    desc: MessageDescriptor,
    message: std::marker::PhantomData<fn() -> M>,
}

/// Proto3 JSON for `vetting.v1.Subject`.
pub type SubjectJson = ProtoJson<pb::Subject>;

impl<M: JsonLine> ProtoJson<M> {
    pub fn new() -> Result<Self, TransferError> {
        let pool = DescriptorPool::decode(pb::FILE_DESCRIPTOR_SET)?;
        let desc = pool
            .get_message_by_name(M::FULL_NAME)
            .ok_or(TransferError::NoMessage(M::FULL_NAME))?;
        Ok(Self {
            desc,
            message: std::marker::PhantomData,
        })
    }

    pub fn to_line(&self, m: &M) -> Result<String, String> {
        let dm = DynamicMessage::decode(self.desc.clone(), m.encode_to_vec().as_slice())
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        dm.serialize_with_options(&mut ser, &SerializeOptions::new())
            .map_err(|e| e.to_string())?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    pub fn from_line(&self, line: &str) -> Result<M, String> {
        let mut de = serde_json::Deserializer::from_str(line);
        let dm =
            DynamicMessage::deserialize(self.desc.clone(), &mut de).map_err(|e| e.to_string())?;
        M::decode(dm.encode_to_vec().as_slice()).map_err(|e| e.to_string())
    }
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    /// Lines whose subject_id is already in the registry (an import can be re-run).
    pub skipped: u64,
}

/// A line an import refused: its number (from 1), the field at fault (`json` when the line is
/// not a `Subject` in proto3 JSON at all) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.problem)
    }
}

impl BadLine {
    fn new(line: u64, field: &str, problem: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_owned(),
            problem: problem.into(),
        }
    }

    /// A record refused by the registry's rules, its field named as in the line (the rules
    /// name a subject's fields `subject.…`).
    fn of(line: u64, e: Error) -> Self {
        match e {
            Error::InvalidArgument { field, problem } => {
                let field = field.strip_prefix("subject.").unwrap_or(&field).to_owned();
                Self {
                    line,
                    field,
                    problem,
                }
            }
            other => Self::new(line, "subject", other.to_string()),
        }
    }
}

/// Bad lines a refused import lists at most; the rest are counted.
pub const MAX_LISTED: usize = 100;

/// The longest line an import reads, in bytes (tonic's message limit): a longer one is a bad
/// line, and is never held in memory whole.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// The file of the data directory that holds a validated import, from its validation until its
/// last write (see [`Vetting::import_lines_with`]).
pub const SPOOL_FILE: &str = "import.spool";

/// Subjects written per transaction by [`Vetting::import_lines`].
pub const IMPORT_BATCH: usize = 512;

/// Candidate-index entries a [`BulkImport`] collects before it writes them, sorted, to the
/// index: about 140,000 listed people's worth (~500 MiB). The larger the window, the more
/// entries land beside one another in the index, and sled inserts neighbours faster.
pub const INDEX_WINDOW: usize = 4_000_000;

/// How often an import logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Progress of an import: a bar on stderr when it is a terminal, and a plain line in the log
/// (counts only) every `LOG_EVERY` and at the end of each pass.
pub struct Progress {
    bar: ProgressBar,
    phase: Cell<&'static str>,
    last_log: Cell<Instant>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("phase", &self.phase.get())
            .finish_non_exhaustive()
    }
}

impl Progress {
    /// Logs only (tests, and commands whose stderr is not a terminal).
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
            phase: Cell::new(""),
            last_log: Cell::new(Instant::now()),
        }
    }

    /// A bar on stderr if it is a terminal; logs only otherwise.
    pub fn on_stderr() -> Self {
        let mut p = Self::hidden();
        if std::io::stderr().is_terminal() {
            p.bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        }
        p
    }

    fn start(&self, phase: &'static str, total: Option<u64>, template: &str) {
        self.phase.set(phase);
        self.last_log.set(Instant::now());
        self.bar.reset();
        self.bar.set_length(total.unwrap_or(0));
        if total.is_none() {
            self.bar.unset_length();
        }
        self.bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        self.bar.set_message(phase);
        self.bar.set_position(0);
        self.log(0, 0, total);
    }

    /// `lines` read (or subjects written) so far, `position` the bar's position.
    fn at(&self, position: u64, lines: u64, total: Option<u64>) {
        self.bar.set_position(position);
        if lines.is_multiple_of(1024) && self.last_log.get().elapsed() >= LOG_EVERY {
            self.last_log.set(Instant::now());
            self.log(position, lines, total);
        }
    }

    fn end(&self, position: u64, lines: u64, total: Option<u64>) {
        self.bar.set_position(position);
        self.bar.finish_and_clear();
        self.log(position, lines, total);
    }

    fn log(&self, position: u64, lines: u64, total: Option<u64>) {
        let total = total.map_or_else(|| "unknown".to_owned(), |t| t.to_string());
        self.bar.suspend(|| match self.phase.get() {
            "writing" => tracing::info!(subjects = position, of = %total, "import: writing"),
            phase => tracing::info!(lines, bytes = position, of = %total, "import: {phase}"),
        });
    }
}

/// One validated subject in the spool: its line, and the record as it will be written (ids
/// assigned), so that the write pass and a finish after a crash write exactly the same.
#[derive(Debug, Serialize, Deserialize)]
struct Spooled {
    line: u64,
    subject: Subject,
}

/// What an import being written needs to be finished after a crash, kept in the store's meta
/// tree from before its first write until its last ([`crate::store::Store::begin_import`]).
#[derive(Debug, Serialize, Deserialize)]
struct ImportMark {
    /// Subjects in the spool, its length in bytes and its SHA-256.
    records: u64,
    bytes: u64,
    digest: [u8; 32],
    /// Lines already in the registry, skipped.
    skipped: u64,
    /// The import's one audit event, written with its last write.
    entry: AuditEntry,
}

/// The spool file, written record by record: a big-endian `u32` length, then the postcard
/// encoding of a [`Spooled`].
struct SpoolWriter {
    path: PathBuf,
    out: BufWriter<File>,
    digest: Sha256,
    bytes: u64,
}

impl SpoolWriter {
    fn create(path: &Path) -> Result<Self, TransferError> {
        let file = File::create(path).map_err(spool_error(path))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 20, file),
            digest: Sha256::new(),
            bytes: 0,
        })
    }

    fn write(&mut self, rec: &Spooled) -> Result<(), TransferError> {
        let body = postcard::to_allocvec(rec)
            .map_err(|e| spool_error(&self.path)(std::io::Error::other(e)))?;
        let len = u32::try_from(body.len())
            .map_err(|e| spool_error(&self.path)(std::io::Error::other(e)))?
            .to_be_bytes();
        for part in [&len[..], &body] {
            self.out.write_all(part).map_err(spool_error(&self.path))?;
            self.digest.update(part);
            self.bytes += part.len() as u64;
        }
        Ok(())
    }

    /// Makes the spool durable (the file and its name); its length and digest.
    fn finish(self) -> Result<(u64, [u8; 32]), TransferError> {
        let path = self.path;
        let file = self
            .out
            .into_inner()
            .map_err(|e| spool_error(&path)(e.into_error()))?;
        file.sync_all().map_err(spool_error(&path))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(spool_error(dir))?;
        }
        Ok((self.bytes, self.digest.finalize().into()))
    }
}

/// Reads a spool back, hashing what it reads.
struct SpoolReader {
    path: PathBuf,
    input: BufReader<File>,
    digest: Sha256,
    records: u64,
}

impl SpoolReader {
    fn open(path: &Path, mark: &ImportMark) -> Result<Self, TransferError> {
        let damaged = || TransferError::SpoolDamaged(path.to_owned());
        let file = File::open(path).map_err(|_| damaged())?;
        if file.metadata().map_err(spool_error(path))?.len() != mark.bytes {
            return Err(damaged());
        }
        Ok(Self {
            path: path.to_owned(),
            input: BufReader::with_capacity(1 << 20, file),
            digest: Sha256::new(),
            records: 0,
        })
    }

    fn next(&mut self) -> Result<Option<Spooled>, TransferError> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(spool_error(&self.path)(e)),
        }
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        self.input
            .read_exact(&mut body)
            .map_err(|_| TransferError::SpoolDamaged(self.path.clone()))?;
        self.digest.update(len);
        self.digest.update(&body);
        self.records += 1;
        postcard::from_bytes(&body)
            .map(Some)
            .map_err(|_| TransferError::SpoolDamaged(self.path.clone()))
    }

    /// Whether what was read is what the mark says was written.
    fn matches(self, mark: &ImportMark) -> bool {
        let digest: [u8; 32] = self.digest.finalize().into();
        self.records == mark.records && digest == mark.digest
    }
}

fn spool_error(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Spool {
        path: path.to_owned(),
        source,
    }
}

/// Reads one line into `buf` (without its newline), at most `max` bytes of it: the rest of a
/// longer line is read and dropped. Returns the bytes consumed and whether the line was cut, or
/// `None` at the end of the input.
fn read_line_capped(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<(u64, bool)>> {
    let mut consumed = 0u64;
    let mut cut = false;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed > 0).then_some((consumed, cut)));
        }
        let (chunk, newline) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (available.get(..i).unwrap_or_default(), true),
            None => (available, false),
        };
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            cut = true;
        }
        buf.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        let used = chunk.len() + usize::from(newline);
        input.consume(used);
        consumed += used as u64;
        if newline {
            return Ok(Some((consumed, cut)));
        }
    }
}

/// What the validation pass made of one line.
enum Line {
    Blank,
    /// Its subject_id is in the registry already: skipped.
    Present,
    New(Box<Subject>),
    Bad(BadLine),
}

/// The ids an import's lines name, each with the line that named it first: a second line naming
/// one is refused. 16 bytes of id and 8 of line a name (about 40 MB a million with the map's
/// overhead), never the subjects.
#[derive(Debug, Default)]
struct Seen {
    subjects: HashMap<[u8; ID_LEN], u64>,
    listings: HashMap<[u8; ID_LEN], u64>,
    investigations: HashMap<[u8; ID_LEN], u64>,
}

fn first_use(
    seen: &mut HashMap<[u8; ID_LEN], u64>,
    id: &Id,
    line: u64,
    field: &str,
) -> Result<(), BadLine> {
    match seen.entry(*id.bytes()) {
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(line);
            Ok(())
        }
        std::collections::hash_map::Entry::Occupied(e) => Err(BadLine::new(
            line,
            field,
            format!("{id} is also on line {}", e.get()),
        )),
    }
}

/// What the validation pass found.
#[derive(Debug, Default)]
struct Validated {
    /// Lines that were not blank.
    lines: u64,
    records: u64,
    skipped: u64,
    bad: u64,
    listed: Vec<BadLine>,
    bytes: u64,
    digest: [u8; 32],
}

fn record_in(p: &pb::Subject, v: &Vetting) -> Result<(Subject, Option<Id>)> {
    let input: SubjectInput = convert::subject_in("subject", p)?;
    v.validate_subject_input(&input)?;
    let id = if p.subject_id.is_empty() {
        None
    } else {
        Some(Id::parse(IdKind::Subject, "subject_id", &p.subject_id)?)
    };
    let mut listings = Vec::with_capacity(p.listings.len());
    for (i, l) in p.listings.iter().enumerate() {
        let mut rec = convert::listing_record_in(&format!("listings[{i}]"), l)?;
        if rec.listing_id.is_empty() {
            rec.listing_id = Id::new(IdKind::Listing, &v.clock).to_string();
        } else {
            Id::parse(
                IdKind::Listing,
                &format!("listings[{i}].listing_id"),
                &rec.listing_id,
            )?;
        }
        listings.push(rec);
    }
    let mut investigations = Vec::with_capacity(p.investigations.len());
    for (i, inv) in p.investigations.iter().enumerate() {
        let mut rec = convert::investigation_record_in(&format!("investigations[{i}]"), inv)?;
        if rec.investigation_id.is_empty() {
            rec.investigation_id = Id::new(IdKind::Investigation, &v.clock).to_string();
        } else {
            Id::parse(
                IdKind::Investigation,
                &format!("investigations[{i}].investigation_id"),
                &rec.investigation_id,
            )?;
        }
        investigations.push(rec);
    }
    let now = v.clock.now_ms();
    let created = p
        .created_at
        .as_ref()
        .map(|t| convert::timestamp_ms("created_at", t))
        .transpose()?;
    let s = Subject {
        subject_id: String::new(),
        name: input.name.unwrap_or_default(),
        other_names: input.other_names,
        date_of_birth: input.date_of_birth,
        identifiers: input.identifiers,
        listings,
        investigations,
        revision: p.revision.max(1),
        created_at_ms: created.unwrap_or(now),
        updated_at_ms: now,
        changes: vec![],
    };
    check_states(&s)?;
    Ok((s, id))
}

/// One imported subject's writes, inside the batch's transaction; its index entries are left to
/// the caller. False when a subject with its id is already here.
fn import_in(
    tx: &crate::store::Tx<'_>,
    who: &Principal,
    now: i64,
    audit_each: bool,
    (id, s, rec): &(Id, Subject, Option<MatchRecord>),
) -> crate::store::TxResult<bool, Error> {
    if tx.subject(id)?.is_some() {
        return Ok(false);
    }
    for l in &s.listings {
        let lid = Id::parse(IdKind::Listing, "listing_id", &l.listing_id).map_err(abort)?;
        if tx.subject_of_listing(&lid)?.is_some() {
            return Err(abort(Error::AlreadyExists(format!(
                "listing {lid} already belongs to another subject"
            ))));
        }
    }
    for i in &s.investigations {
        let iid = Id::parse(
            IdKind::Investigation,
            "investigation_id",
            &i.investigation_id,
        )
        .map_err(abort)?;
        if tx.subject_of_investigation(&iid)?.is_some() {
            return Err(abort(Error::AlreadyExists(format!(
                "investigation {iid} already belongs to another subject"
            ))));
        }
    }
    // The subject's history starts with its import record.
    let mut s = s.clone();
    s.changes = vec![tx.next_change_sequence()?];
    let s = &s;
    tx.put_new_subject_unindexed(id, s, rec.as_ref())?;
    tx.append_change(Change {
        sequence: 0,
        at_ms: now,
        subject_id: s.subject_id.clone(),
        revision: s.revision,
        kind: ChangeKind::SubjectImported,
        target_id: String::new(),
        rule: None,
        key_id: who.key_id.clone(),
        organisation: who.organisation.clone(),
        subject: s.clone(),
        departure: None,
    })?;
    if audit_each {
        let mut entry = AuditEntry::by(who, "import_subject");
        entry.subject_ids = vec![s.subject_id.clone()];
        tx.append_audit(now, entry)?;
    }
    Ok(true)
}

/// A bulk import into a store no server is using, batch by batch. One at a time: the mark that
/// the index is incomplete is one flag, and a check made while entries are pending would not
/// see them (`vetting import` holds the store's lock, so no server can be reading it).
///
/// Each batch is one transaction: its subjects, lookups, match records, change-log records and
/// (unless `BulkImport::one_event`) an audit event each, all or none. One transaction for
/// many subjects pays sled's per-transaction cost once. The candidate-index entries (most of
/// the writes) are left out of the transactions, collected, and written in key order every
/// [`INDEX_WINDOW`] entries and by [`BulkImport::finish`]; until `finish` returns, the index is
/// marked incomplete, so an import that stops half-way (a crash, a kill, a full disk) leaves a
/// store that refuses to open until `vetting reindex` (see
/// [`crate::store::Tx::put_new_subject_unindexed`]). `vetting import` goes further, all or
/// nothing: see [`Vetting::import_lines_with`].
#[derive(Debug)]
pub struct BulkImport<'a> {
    v: &'a Vetting,
    who: &'a Principal,
    pending: IndexEntries,
    window: usize,
    /// An audit event per subject (false: the caller records one for the whole import).
    audit_each: bool,
    /// The previous window's entries, being written while the next batches' transactions run.
    writing: Option<std::thread::JoinHandle<Result<(), StoreError>>>,
}

impl<'a> BulkImport<'a> {
    pub fn new(v: &'a Vetting, who: &'a Principal) -> Self {
        Self::with_window(v, who, INDEX_WINDOW)
    }

    /// Writes collected index entries whenever `window` of them are waiting.
    pub fn with_window(v: &'a Vetting, who: &'a Principal, window: usize) -> Self {
        Self {
            v,
            who,
            pending: IndexEntries::default(),
            window,
            audit_each: true,
            writing: None,
        }
    }

    /// Writes no audit event per subject: the caller records one for the whole import.
    fn one_event(mut self) -> Self {
        self.audit_each = false;
        self
    }

    /// Waits for the window being written, if any; its error, if it failed.
    fn wait_for_writer(&mut self) -> Result<(), StoreError> {
        match self.writing.take() {
            None => Ok(()),
            Some(h) => h.join().unwrap_or(Err(StoreError::IndexWriter)),
        }
    }

    /// Imports a batch of subjects in one transaction: all of them or none (a bad record is
    /// reported and nothing of the batch is written). Returns how many were created; subjects
    /// whose subject_id is already here (or earlier in the batch) are skipped.
    pub fn add(&mut self, batch: &[pb::Subject]) -> Result<usize> {
        let v = self.v;
        let mut records = Vec::with_capacity(batch.len());
        for p in batch {
            let (mut s, id) = record_in(p, v)?;
            let id = id.unwrap_or_else(|| Id::new(IdKind::Subject, &v.clock));
            s.subject_id = id.to_string();
            records.push(s);
        }
        self.add_records(records)
    }

    /// [`BulkImport::add`] for records already validated, their ids set.
    fn add_records(&mut self, subjects: Vec<Subject>) -> Result<usize> {
        let v = self.v;
        let mut records = Vec::with_capacity(subjects.len());
        for s in subjects {
            let id = Id::parse(IdKind::Subject, "subject_id", &s.subject_id)?;
            let rec = match_record_of(&s);
            records.push((id, s, rec));
        }
        let now = v.clock.now_ms();
        let (who, audit_each) = (self.who, self.audit_each);
        let created = v.store.transact(|tx| {
            let mut created = Vec::new();
            for (i, r) in records.iter().enumerate() {
                if import_in(tx, who, now, audit_each, r)? {
                    created.push(i);
                }
            }
            if !created.is_empty() {
                tx.bump_data_version()?;
            }
            Ok(created)
        })?;
        for (id, _, rec) in created.iter().filter_map(|&i| records.get(i)) {
            if let Some(rec) = rec {
                self.pending.add(id.bytes(), rec);
            }
        }
        self.write_window_if_full()?;
        Ok(created.len())
    }

    /// Collects again the index entries of a subject written before a crash (they may not all
    /// be in the index; writing one twice is harmless).
    fn add_written(&mut self, id: &Id) -> Result<()> {
        if let Some(rec) = self.v.store.match_record(id.bytes())? {
            self.pending.add(id.bytes(), &rec);
        }
        self.write_window_if_full()?;
        Ok(())
    }

    fn write_window_if_full(&mut self) -> Result<(), StoreError> {
        if self.pending.len() >= self.window {
            // One window written at a time, beside the transactions: the two use the cores
            // better together than one after the other.
            self.wait_for_writer()?;
            let mut entries = std::mem::take(&mut self.pending);
            let store = self.v.store.clone();
            self.writing = Some(std::thread::spawn(move || store.write_index(&mut entries)));
        }
        Ok(())
    }

    /// Writes every index entry still waiting; the index stays marked incomplete.
    fn write_pending(&mut self) -> Result<(), StoreError> {
        self.wait_for_writer()?;
        self.v.store.write_index(&mut self.pending)
    }

    /// Writes the index entries still waiting, makes everything durable and marks the index
    /// complete. Until it returns, the store will not open for serving.
    pub fn finish(mut self) -> Result<()> {
        self.write_pending()?;
        self.v.store.index_complete()?;
        Ok(())
    }
}

impl Drop for BulkImport<'_> {
    /// An import given up on (an error) still waits for its window being written: nothing
    /// writes to the store behind the caller's back. The index stays marked incomplete.
    fn drop(&mut self) {
        let _ = self.wait_for_writer();
    }
}

impl Vetting {
    /// [`Vetting::import_lines_with`], without a progress bar or a known size.
    pub fn import_lines(
        &self,
        who: &Principal,
        input: impl BufRead,
    ) -> Result<ImportReport, TransferError> {
        self.import_lines_with(who, input, None, &Progress::hidden())
    }

    /// Imports JSON lines from `input` (`size` bytes, if known, for the progress bar), all or
    /// nothing, in two passes over it:
    ///
    /// 1. Every line is read once and validated: a `Subject` in proto3 JSON, its fields by the
    ///    registry's rules, its subject_id, listing_ids and investigation_ids each named on one
    ///    line only, and (for a subject not already here) its listing and investigation ids
    ///    not already recorded. Subjects whose subject_id is here already are skipped. The
    ///    records to write, with their ids assigned, go to the spool ([`SPOOL_FILE`], in the
    ///    data directory), so the input (standard input too) is read only once and memory
    ///    holds one line and the ids seen, never the subjects. Any bad line: every one is
    ///    reported ([`TransferError::Refused`], the first [`MAX_LISTED`] named) and nothing
    ///    is written.
    /// 2. The spool is made durable and the store marked ([`crate::store::Store::begin_import`]);
    ///    from the mark on, the store refuses to open for anything but finishing the import.
    ///    The spool's records are written [`IMPORT_BATCH`] to a transaction, with their
    ///    change-log records, then the candidate index; then one transaction writes the
    ///    import's one audit event and lifts the mark, and everything becomes visible at once.
    ///
    /// Killed in pass 2, the import is finished by the next command that opens the store
    /// ([`Vetting::finish_interrupted_import`]), from the spool: the records already written
    /// are recognised by their ids, the rest written, the index entries of all written again.
    pub fn import_lines_with(
        &self,
        who: &Principal,
        input: impl BufRead,
        size: Option<u64>,
        progress: &Progress,
    ) -> Result<ImportReport, TransferError> {
        let mark = self.validate_and_mark(who, input, size, progress)?;
        self.write_spool(&mark, progress, None)
    }

    /// Pass 1 of [`Vetting::import_lines_with`], then the mark: from here the import is
    /// decided, and finished from its spool after a crash.
    fn validate_and_mark(
        &self,
        who: &Principal,
        input: impl BufRead,
        size: Option<u64>,
        progress: &Progress,
    ) -> Result<ImportMark, TransferError> {
        self.finish_interrupted_import(progress)?;
        let path = self.spool_path();
        let found = self
            .validate_lines(input, &path, size, progress)
            .inspect_err(|_| {
                // Refused, or the input or the spool failed: nothing of it is kept.
                let _ = std::fs::remove_file(&path);
            })?;
        let mut entry = AuditEntry::by(who, "import");
        entry.client_ref = format!(
            "{} lines: {} subjects imported, {} already present (skipped)",
            found.lines, found.records, found.skipped
        );
        let mark = ImportMark {
            records: found.records,
            bytes: found.bytes,
            digest: found.digest,
            skipped: found.skipped,
            entry,
        };
        let encoded = postcard::to_allocvec(&mark)
            .map_err(|e| spool_error(&path)(std::io::Error::other(e)))?;
        self.store.begin_import(&encoded).map_err(Error::from)?;
        Ok(mark)
    }

    /// Finishes an import that a crash (or a failure of the machine: a full disk) stopped in
    /// its write pass, from its spool; `None` when there is none. Every command that opens the
    /// store calls it first. A spool left by an import stopped before its write pass is
    /// removed.
    pub fn finish_interrupted_import(
        &self,
        progress: &Progress,
    ) -> Result<Option<ImportReport>, TransferError> {
        let path = self.spool_path();
        match self.store.import_mark().map_err(Error::from)? {
            None => {
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        tracing::info!("removed the spool of an import that never began writing")
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(spool_error(&path)(e)),
                }
                Ok(None)
            }
            Some(bytes) => {
                let mark: ImportMark = postcard::from_bytes(&bytes)
                    .map_err(|_| TransferError::SpoolDamaged(path.clone()))?;
                tracing::warn!(
                    subjects = mark.records,
                    "an import stopped before it finished; finishing it"
                );
                let report = self.write_spool(&mark, progress, None)?;
                tracing::info!(
                    created = report.created,
                    skipped = report.skipped,
                    "the interrupted import is finished"
                );
                Ok(Some(report))
            }
        }
    }

    fn spool_path(&self) -> PathBuf {
        let store = self.store.path();
        store.parent().unwrap_or(store).join(SPOOL_FILE)
    }

    /// Pass 1 of [`Vetting::import_lines_with`].
    fn validate_lines(
        &self,
        mut input: impl BufRead,
        path: &Path,
        size: Option<u64>,
        progress: &Progress,
    ) -> Result<Validated, TransferError> {
        let json = SubjectJson::new()?;
        let mut spool = SpoolWriter::create(path)?;
        let mut seen = Seen::default();
        let mut found = Validated::default();
        let mut buf = Vec::new();
        let (mut n, mut read) = (0u64, 0u64);
        progress.start(
            "validating",
            size,
            if size.is_some() {
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({eta})"
            } else {
                "{spinner} {msg} {bytes}"
            },
        );
        loop {
            buf.clear();
            let Some((consumed, cut)) = read_line_capped(&mut input, &mut buf, MAX_LINE_BYTES)?
            else {
                break;
            };
            n += 1;
            read += consumed;
            progress.at(read, n, size);
            let line = if cut {
                Line::Bad(BadLine::new(
                    n,
                    "json",
                    format!("longer than {MAX_LINE_BYTES} bytes"),
                ))
            } else {
                self.check_line(&json, &buf, n, &mut seen)?
            };
            match line {
                Line::Blank => continue,
                Line::Present => found.skipped += 1,
                Line::New(subject) => {
                    found.records += 1;
                    // After a bad line nothing will be written: the spool is not worth writing.
                    if found.bad == 0 {
                        spool.write(&Spooled {
                            line: n,
                            subject: *subject,
                        })?;
                    }
                }
                Line::Bad(bad) => {
                    found.bad += 1;
                    if found.listed.len() < MAX_LISTED {
                        found.listed.push(bad);
                    }
                }
            }
            found.lines += 1;
        }
        progress.end(read, n, size);
        if found.bad > 0 {
            drop(spool);
            return Err(TransferError::Refused {
                more: found.bad - found.listed.len() as u64,
                listed: found.listed,
                lines: found.lines,
            });
        }
        (found.bytes, found.digest) = spool.finish()?;
        Ok(found)
    }

    /// Validates line `n` (see [`Vetting::import_lines_with`]).
    fn check_line(
        &self,
        json: &SubjectJson,
        buf: &[u8],
        n: u64,
        seen: &mut Seen,
    ) -> Result<Line, TransferError> {
        let Ok(text) = std::str::from_utf8(buf) else {
            return Ok(Line::Bad(BadLine::new(n, "json", "not UTF-8")));
        };
        if text.trim().is_empty() {
            return Ok(Line::Blank);
        }
        let p = match json.from_line(text) {
            Ok(p) => p,
            Err(problem) => return Ok(Line::Bad(BadLine::new(n, "json", problem))),
        };
        let (mut s, id) = match record_in(&p, self) {
            Ok(r) => r,
            Err(e @ Error::Store(_)) => return Err(e.into()),
            Err(e) => return Ok(Line::Bad(BadLine::of(n, e))),
        };
        if let Some(id) = &id {
            if let Err(bad) = first_use(&mut seen.subjects, id, n, "subject_id") {
                return Ok(Line::Bad(bad));
            }
            if self.store.subject(id).map_err(Error::from)?.is_some() {
                return Ok(Line::Present);
            }
        }
        for (i, (l, named)) in s.listings.iter().zip(&p.listings).enumerate() {
            if named.listing_id.is_empty() {
                continue;
            }
            let field = format!("listings[{i}].listing_id");
            let lid = Id::parse(IdKind::Listing, &field, &l.listing_id).map_err(Error::from)?;
            if let Err(bad) = first_use(&mut seen.listings, &lid, n, &field) {
                return Ok(Line::Bad(bad));
            }
            if self.store.has_listing(&lid).map_err(Error::from)? {
                return Ok(Line::Bad(BadLine::new(
                    n,
                    &field,
                    format!("{lid} already belongs to another subject"),
                )));
            }
        }
        for (i, (inv, named)) in s.investigations.iter().zip(&p.investigations).enumerate() {
            if named.investigation_id.is_empty() {
                continue;
            }
            let field = format!("investigations[{i}].investigation_id");
            let iid = Id::parse(IdKind::Investigation, &field, &inv.investigation_id)
                .map_err(Error::from)?;
            if let Err(bad) = first_use(&mut seen.investigations, &iid, n, &field) {
                return Ok(Line::Bad(bad));
            }
            if self.store.has_investigation(&iid).map_err(Error::from)? {
                return Ok(Line::Bad(BadLine::new(
                    n,
                    &field,
                    format!("{iid} already belongs to another subject"),
                )));
            }
        }
        let id = id.unwrap_or_else(|| Id::new(IdKind::Subject, &self.clock));
        s.subject_id = id.to_string();
        Ok(Line::New(Box::new(s)))
    }

    /// Pass 2 of [`Vetting::import_lines_with`], the store marked: writes the spool's records
    /// (those not written before a crash), the index, then the audit event with the end of the
    /// mark. `stop_after` batches, it returns as a kill would leave it (tests).
    fn write_spool(
        &self,
        mark: &ImportMark,
        progress: &Progress,
        stop_after: Option<usize>,
    ) -> Result<ImportReport, TransferError> {
        let path = self.spool_path();
        let mut spool = SpoolReader::open(&path, mark)?;
        let who = Principal {
            key_id: mark.entry.key_id.clone(),
            organisation: mark.entry.organisation.clone(),
            role: crate::core::principal::Role::Admin,
            sees: crate::core::disclosure::Scopes::BARRED_ONLY,
            client_certificate: None,
        };
        let mut import = BulkImport::new(self, &who).one_event();
        progress.start(
            "writing",
            Some(mark.records),
            "{spinner} {msg} [{bar:30}] {pos}/{len} subjects ({eta})",
        );
        let (mut done, mut batches) = (0u64, 0usize);
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        loop {
            let next = spool.next()?;
            let end = next.is_none();
            if let Some(rec) = next {
                // Written before a crash: only its index entries again.
                let id = Id::parse(IdKind::Subject, "subject_id", &rec.subject.subject_id)
                    .map_err(Error::from)?;
                if self.store.subject(&id).map_err(Error::from)?.is_some() {
                    import.add_written(&id)?;
                    done += 1;
                } else {
                    batch.push(rec.subject);
                }
            }
            if batch.len() >= IMPORT_BATCH || (end && !batch.is_empty()) {
                done += batch.len() as u64;
                import.add_records(std::mem::take(&mut batch))?;
                batches += 1;
                if stop_after.is_some_and(|s| batches >= s) {
                    return Ok(ImportReport::default());
                }
            }
            progress.at(done, done, Some(mark.records));
            if end {
                break;
            }
        }
        if !spool.matches(mark) {
            return Err(TransferError::SpoolDamaged(path));
        }
        import.write_pending().map_err(Error::from)?;
        drop(import);
        self.store.sync().map_err(Error::from)?;
        let now = self.clock.now_ms();
        self.store.transact::<_, Error>(|tx| {
            tx.end_import()?;
            tx.append_audit(now, mark.entry.clone())?;
            Ok(())
        })?;
        self.store.sync().map_err(Error::from)?;
        progress.end(done, done, Some(mark.records));
        if let Err(e) = std::fs::remove_file(&path) {
            // Harmless: the next import removes it.
            tracing::warn!(error = %e, "cannot remove the import's spool");
        }
        Ok(ImportReport {
            created: mark.records,
            skipped: mark.skipped,
        })
    }

    /// Records an export of `count` subjects in the audit trail.
    pub fn audit_export(&self, who: &Principal, count: u64) -> Result<()> {
        let now = self.clock.now_ms();
        let mut entry = AuditEntry::by(who, "export");
        entry.client_ref = format!("{count} subjects");
        self.store.record(now, entry)?;
        self.store.sync()?;
        Ok(())
    }

    /// Writes every subject as a JSON line; returns how many.
    pub fn export_lines(&self, mut out: impl Write) -> Result<u64, TransferError> {
        let json = SubjectJson::new()?;
        let mut n = 0;
        for s in self.store.subjects_from(None) {
            let s = s.map_err(Error::from)?;
            let line = json
                .to_line(&convert::subject_out(&s))
                .map_err(|message| TransferError::Line { line: 0, message })?;
            writeln!(out, "{line}")?;
            n += 1;
        }
        out.flush()?;
        Ok(n)
    }
}

/// States that imported records may carry: any, but a removed listing needs its reason.
pub fn check_states(s: &Subject) -> Result<()> {
    for (i, l) in s.listings.iter().enumerate() {
        if l.state == ListingState::Removed && l.removal_reason.is_none() {
            return Err(Error::invalid(
                format!("listings[{i}].removal_reason"),
                "required for a removed listing",
            ));
        }
    }
    for (i, inv) in s.investigations.iter().enumerate() {
        if inv.state == InvestigationState::Closed && inv.outcome.is_none() {
            return Err(Error::invalid(
                format!("investigations[{i}].outcome"),
                "required for a closed investigation",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod fuzz {
    //! `vetting import` reads lines from outside: any bytes, any JSON, JSON nested deep, numbers
    //! too large for any field, text that is not UTF-8, valid JSON of the wrong shape, and valid
    //! subjects with a field mutated. Each line becomes a subject or an error naming it, nothing
    //! panics, and an import that stops keeps exactly the lines before the bad one.

    use std::io::Cursor;

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};
    use serde_json::Value;

    use super::*;
    use crate::fuzz;

    /// A subject as an export writes it: other names, an identifier, an active and a removed
    /// listing, an open and a closed investigation, a revision and a creation time.
    fn good_line(family: &str) -> String {
        let family = serde_json::to_string(family).unwrap();
        format!(
            r#"{{"name":{{"givenNames":"Alan","familyName":{family}}},"otherNames":[{{"givenNames":"Al","familyName":"Smyth"}}],"dateOfBirth":{{"year":1980,"month":1,"day":2}},"identifiers":[{{"scheme":"NATIONAL_INSURANCE_NUMBER","value":"QQ123456C"}}],"listings":[{{"list":"BARRED_LIST","organisation":"Kent Police","role":"POLICE_OFFICER","rank":"Constable","decisionDate":{{"year":2024,"month":5,"day":1}},"standardsBreached":["Honesty and integrity"],"reason":"Dishonesty"}},{{"list":"ADVISORY_LIST","organisation":"Essex Police","role":"POLICE_STAFF","decisionDate":{{"year":2023,"month":1,"day":9}},"state":"REMOVED","removalReason":"APPEAL_ALLOWED","removedOn":{{"year":2024,"month":2,"day":1}}}}],"investigations":[{{"organisation":"Kent Police","reference":"PSD/1","allegationSummary":"abuse of position","openedOn":{{"year":2025,"month":1,"day":3}},"role":"POLICE_OFFICER"}},{{"organisation":"Kent Police","reference":"PSD/2","openedOn":{{"year":2022,"month":1,"day":3}},"state":"CLOSED","outcome":"NO_CASE_TO_ANSWER","closedOn":{{"year":2022,"month":6,"day":3}}}}],"revision":"3","createdAt":"2024-05-01T10:00:00Z"}}"#
        )
    }

    const FIELDS: &[&str] = &[
        "subjectId",
        "subject_id",
        "name",
        "givenNames",
        "given_names",
        "familyName",
        "family_name",
        "otherNames",
        "dateOfBirth",
        "year",
        "month",
        "day",
        "identifiers",
        "scheme",
        "value",
        "issuer",
        "listings",
        "listingId",
        "list",
        "organisation",
        "role",
        "rank",
        "decisionDate",
        "standardsBreached",
        "reason",
        "published",
        "state",
        "removalReason",
        "removedOn",
        "removalNote",
        "investigationId",
        "investigations",
        "reference",
        "allegationSummary",
        "openedOn",
        "outcome",
        "closedOn",
        "status",
        "revision",
        "createdAt",
        "updatedAt",
        "@type",
        "seconds",
        "nanos",
    ];

    const ENUM_NAMES: &[&str] = &[
        "NATIONAL_INSURANCE_NUMBER",
        "PNC_ID",
        "WARRANT_NUMBER",
        "IDENTIFIER_SCHEME_UNSPECIFIED",
        "BARRED",
        "CLEAR",
        "POLICE_OFFICER",
        "OTHER_ROLE",
        "ROLE_UNSPECIFIED",
        "BARRED_LIST",
        "ADVISORY_LIST",
        "LIST_KIND_UNSPECIFIED",
        "ACTIVE",
        "REMOVED",
        "APPEAL_ALLOWED",
        "ENTERED_IN_ERROR",
        "OPEN",
        "CLOSED",
        "NO_CASE_TO_ANSWER",
        "DISMISSED",
        "RECRUITMENT",
        "STRONG",
        "barred_list",
        "",
    ];

    /// A JSON scalar as text: literals, integers of every width and far beyond, floats with
    /// huge exponents, strings of hostile text, escapes (lone surrogates, bad ones), enum
    /// names, timestamps of every shape.
    fn scalar() -> BoxedStrategy<String> {
        prop_oneof![
            select(&["null", "true", "false", "-0", "0", "1.0", "1.5", "-1", "NaN", "\"NaN\"", "\"Infinity\"", "\"-0\"", "\"1e3\"", "\"0x10\""][..])
                .prop_map(String::from),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| format!("\"{n}\"")),
            any::<f64>().prop_map(|x| x.to_string()),
            "-?[1-9][0-9]{18,400}",
            "-?[0-9]{1,3}(\\.[0-9]{0,3})?[eE][+-]?[0-9]{1,6}",
            fuzz::text().prop_map(|s| serde_json::to_string(&s).unwrap()),
            "\"(\\\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\\\[^u]|[a-z])*\"",
            select(ENUM_NAMES).prop_map(|s| format!("\"{s}\"")),
            "\"[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})?\"",
        ]
        .boxed()
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![4 => select(FIELDS).prop_map(String::from), 1 => fuzz::text()]
    }

    /// JSON text of any shape, keys mostly the proto's field names.
    fn json_text() -> impl Strategy<Value = String> {
        scalar().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
                vec((key(), inner), 0..6).prop_map(|kv| {
                    let fields: Vec<String> = kv
                        .iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
                        .collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    /// Nesting far past any parser's depth, bare or inside a real field.
    fn deep() -> impl Strategy<Value = String> {
        let open_close = select(
            &[
                ("[", "]"),
                ("{\"a\":", "}"),
                ("{\"name\":", "}"),
                ("{\"listings\":[", "]}"),
            ][..],
        );
        (
            open_close,
            prop_oneof![3 => 1usize..300, 1 => 300usize..50_000],
            any::<bool>(),
        )
            .prop_map(|((open, close), n, in_field)| {
                let nested = format!("{}1{}", open.repeat(n), close.repeat(n));
                if in_field {
                    format!("{{\"name\":{{\"givenNames\":{nested}}}}}")
                } else {
                    nested
                }
            })
    }

    /// Every JSON path in `v`, as the pointer `serde_json::Value::pointer_mut` takes.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    pointers(x, format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    pointers(x, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    /// A valid subject line with one value replaced by any JSON text (valid or not), removed,
    /// or its key renamed.
    fn mutated_line() -> impl Strategy<Value = String> {
        (any::<Index>(), json_text(), 0..3u8, key()).prop_map(|(at, replacement, how, renamed)| {
            const MARK: &str = "\u{1}MUTATION\u{1}";
            let mut v: Value = serde_json::from_str(&good_line("Mutated")).unwrap();
            let mut all = Vec::new();
            pointers(&v, String::new(), &mut all);
            let pointer = at.get(&all).clone();
            let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", ""));
            match (how, v.pointer_mut(parent)) {
                (1, Some(Value::Object(m))) => {
                    m.remove(last);
                }
                (2, Some(Value::Object(m))) => {
                    if let Some(x) = m.remove(last) {
                        m.insert(renamed, x);
                    }
                }
                _ => {
                    if let Some(x) = v.pointer_mut(&pointer) {
                        *x = Value::String(MARK.into());
                    }
                }
            }
            v.to_string()
                .replace(&serde_json::to_string(MARK).unwrap(), &replacement)
        })
    }

    /// Any line of text `vetting import` might be given.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => mutated_line(),
            2 => json_text(),
            1 => deep(),
            1 => fuzz::text(),
            1 => Just(good_line("Good")),
        ]
    }

    /// Any bytes of one line (no newline): a line of text, arbitrary bytes, or a valid subject
    /// with bytes spliced in (invalid UTF-8 included) or cut short.
    fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            2 => line().prop_map(String::into_bytes),
            1 => vec(any::<u8>(), 0..200),
            2 => (any::<Index>(), any::<Index>(), vec(any::<u8>(), 0..8)).prop_map(|(a, b, ins)| {
                let mut bytes = good_line("Spliced").into_bytes();
                let (a, b) = (a.index(bytes.len()), b.index(bytes.len()));
                bytes.splice(a.min(b)..a.max(b).min(a.min(b) + 4), ins);
                bytes
            }),
            1 => any::<Index>().prop_map(|at| {
                let bytes = good_line("Cut").into_bytes();
                bytes[..at.index(bytes.len())].to_vec()
            }),
        ]
        .prop_map(|mut b| {
            for x in &mut b {
                if *x == b'\n' {
                    *x = b' ';
                }
            }
            b
        })
    }

    fn field_of(e: &Error) -> Option<&str> {
        match e {
            Error::InvalidArgument { field, .. } => Some(field),
            _ => None,
        }
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named_by_its_number_and_nothing_is_written() {
        let (_dir, v) = fuzz::registry();
        let count = v.store.subject_count();
        let mut input = good_line("First").into_bytes();
        input.extend(b"\n{\"name\":{\"familyName\":\"Sm\xffth\"}}\n");
        input.extend(good_line("Third").into_bytes());
        match v.import_lines(&fuzz::registrar(), Cursor::new(input)) {
            Err(TransferError::Refused {
                listed,
                more: 0,
                lines: 3,
            }) => {
                assert_eq!(listed, vec![BadLine::new(2, "json", "not UTF-8")]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            v.store.subject_count(),
            count,
            "the line before it is not written"
        );
    }

    #[test]
    fn the_good_line_imports() {
        let (_dir, v) = fuzz::registry();
        let p = SubjectJson::new()
            .unwrap()
            .from_line(&good_line("Good"))
            .unwrap();
        let (s, id) = record_in(&p, &v).unwrap();
        assert_eq!((s.listings.len(), s.investigations.len(), id), (2, 2, None));
    }

    /// Any line parses to a subject or an error; a subject parsed reads back from its own JSON
    /// unchanged, and becomes a record or an error naming the field at fault.
    #[test]
    fn any_line_parses_or_is_refused_naming_a_field() {
        let (_dir, v) = fuzz::registry();
        let json = SubjectJson::new().unwrap();
        fuzz::check(file!(), 1000, line(), |line| {
            let Ok(p) = json.from_line(&line) else {
                return Ok(());
            };
            let again = json.to_line(&p).map_err(TestCaseError::fail)?;
            prop_assert_eq!(json.from_line(&again), Ok(p.clone()));
            if let Err(e) = record_in(&p, &v) {
                prop_assert!(field_of(&e).is_some_and(|f| !f.is_empty()), "{:?}", e);
            }
            Ok(())
        });
    }

    /// Good lines, then any line, then good lines: the import writes every line, or (the line
    /// refused, named by its number) none of them.
    #[test]
    fn an_import_with_any_bad_line_writes_nothing() {
        let (_dir, v) = fuzz::registry();
        let who = fuzz::registrar();
        let cases = (0..4usize, line_bytes(), 0..3usize);
        fuzz::check(file!(), 128, cases, |(before, odd, after)| {
            let mut input = Vec::new();
            for i in 0..before {
                input.extend(good_line(&format!("Before{i}")).into_bytes());
                input.push(b'\n');
            }
            input.extend(&odd);
            for i in 0..after {
                input.push(b'\n');
                input.extend(good_line(&format!("After{i}")).into_bytes());
            }
            let blank = std::str::from_utf8(&odd).is_ok_and(|s| s.trim().is_empty());
            let count = v.store.subject_count();
            let result = v.import_lines(&who, Cursor::new(input));
            let written = (v.store.subject_count() - count) as u64;
            match result {
                Ok(report) => {
                    prop_assert_eq!(report.created, written);
                    let lines = before + after + usize::from(!blank);
                    prop_assert_eq!((report.created + report.skipped) as usize, lines);
                }
                Err(TransferError::Refused { listed, more, .. }) => {
                    let lines: Vec<u64> = listed.iter().map(|b| b.line).collect();
                    prop_assert_eq!(lines, vec![before as u64 + 1]);
                    prop_assert_eq!(more, 0);
                    prop_assert_eq!(written, 0);
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod all_or_nothing {
    //! `vetting import` validates every line before it writes any, names every bad line with
    //! its field, refuses ids named twice, reads its input once, records one audit event, and
    //! is finished from its spool after a crash in its write pass.

    use std::io::Cursor;

    use serde_json::{Value, json};

    use super::*;
    use crate::core::clock::Clock;
    use crate::fuzz;
    use crate::store::{Store, StoreOptions};

    /// A listed person, `i` in their family name and date of birth, with no ids.
    fn person(i: usize) -> Value {
        json!({
            "name": {"givenNames": "Alan", "familyName": format!("Imported{i}")},
            "dateOfBirth": {"year": 1980, "month": 1, "day": 1 + i % 28},
            "listings": [{"list": "BARRED_LIST", "organisation": "Kent Police",
                "role": "POLICE_OFFICER", "decisionDate": {"year": 2024, "month": 5, "day": 1},
                "reason": "Dishonesty"}],
            "investigations": [{"organisation": "Kent Police", "reference": format!("PSD/{i}"),
                "openedOn": {"year": 2025, "month": 1, "day": 3}}],
        })
    }

    /// An id of `kind` made from `i` (the same in every run).
    fn id(kind: IdKind, i: usize) -> String {
        let mut b = [0u8; ID_LEN];
        b[8..].copy_from_slice(&(i as u64).to_be_bytes());
        b[0] = 1;
        Id::from_bytes(kind, b).to_string()
    }

    /// [`person`] `i` with its subject, listing and investigation ids given.
    fn person_with_ids(i: usize) -> Value {
        let mut v = person(i);
        v["subjectId"] = id(IdKind::Subject, i).into();
        v["listings"][0]["listingId"] = id(IdKind::Listing, i).into();
        v["investigations"][0]["investigationId"] = id(IdKind::Investigation, i).into();
        v
    }

    fn lines(values: &[Value]) -> Cursor<Vec<u8>> {
        let text: Vec<String> = values.iter().map(Value::to_string).collect();
        Cursor::new((text.join("\n") + "\n").into_bytes())
    }

    fn refused(r: Result<ImportReport, TransferError>) -> (Vec<(u64, String)>, u64, u64) {
        match r {
            Err(TransferError::Refused {
                listed,
                more,
                lines,
            }) => (
                listed.into_iter().map(|b| (b.line, b.field)).collect(),
                more,
                lines,
            ),
            other => panic!("not refused: {other:?}"),
        }
    }

    /// What an import could have changed.
    fn state(v: &Vetting) -> (usize, u64, u64, u64) {
        (
            v.store.subject_count(),
            v.store.audit_len(),
            v.store.change_head().unwrap(),
            v.store.data_version().unwrap(),
        )
    }

    #[test]
    fn a_bad_line_2_means_nothing_is_written() {
        let (_dir, v) = fuzz::registry();
        let before = state(&v);
        let mut bad = person(2);
        bad["dateOfBirth"]["month"] = 13.into();
        let r = v.import_lines(&fuzz::registrar(), lines(&[person(1), bad, person(3)]));
        assert_eq!(
            refused(r),
            (vec![(2, "date_of_birth.month".to_owned())], 0, 3)
        );
        assert_eq!(
            state(&v),
            before,
            "line 1 is not written, nor anything else"
        );
        assert!(!v.spool_path().exists(), "the spool is removed");
    }

    #[test]
    fn every_bad_line_is_named_with_its_field() {
        let (_dir, v) = fuzz::registry();
        let before = state(&v);
        let mut month = person(2);
        month["dateOfBirth"]["month"] = 13.into();
        let mut list = person(5);
        list["listings"][0]["list"] = "LIST_KIND_UNSPECIFIED".into();
        let mut removed = person(6);
        removed["listings"][0]["state"] = "REMOVED".into();
        let mut closed = person(7);
        closed["investigations"][0]["state"] = "CLOSED".into();
        let mut subject_id = person(8);
        subject_id["subjectId"] = "not-an-id".into();
        let mut text: Vec<String> = [person(1), month, person(3)]
            .iter()
            .map(Value::to_string)
            .collect();
        text.push("{not json".into());
        text.extend(
            [list, removed, closed, subject_id]
                .iter()
                .map(Value::to_string),
        );
        let input = Cursor::new(text.join("\n").into_bytes());
        let (listed, more, n) = refused(v.import_lines(&fuzz::registrar(), input));
        let expected = [
            (2, "date_of_birth.month"),
            (4, "json"),
            (5, "listings[0].list"),
            (6, "listings[0].removal_reason"),
            (7, "investigations[0].outcome"),
            (8, "subject_id"),
        ];
        let expected: Vec<(u64, String)> = expected
            .iter()
            .map(|(l, f)| (*l, (*f).to_owned()))
            .collect();
        assert_eq!((listed, more, n), (expected, 0, 8));
        assert_eq!(state(&v), before);
    }

    #[test]
    fn the_bad_lines_listed_are_capped_and_the_rest_counted() {
        let (_dir, v) = fuzz::registry();
        let mut values = vec![person(0)];
        values.extend((1..=150).map(|i| {
            let mut bad = person(i);
            bad["name"]["familyName"] = "".into();
            bad
        }));
        let r = v.import_lines(&fuzz::registrar(), lines(&values));
        let message = r.as_ref().map(|_| ()).unwrap_err().to_string();
        assert_eq!(message, "150 of 151 lines refused; nothing was imported");
        let (listed, more, n) = refused(r);
        assert_eq!((listed.len(), more, n), (MAX_LISTED, 50, 151));
        assert_eq!(listed[0], (2, "name.family_name".to_owned()));
        assert_eq!(listed[99].0, 101);
    }

    #[test]
    fn ids_named_on_two_lines_are_refused() {
        let (_dir, v) = fuzz::registry();
        let before = state(&v);
        let mut same_subject = person_with_ids(3);
        same_subject["subjectId"] = id(IdKind::Subject, 1).into();
        let mut same_listing = person_with_ids(4);
        same_listing["listings"][0]["listingId"] = id(IdKind::Listing, 2).into();
        let mut same_investigation = person_with_ids(5);
        same_investigation["investigations"][0]["investigationId"] =
            id(IdKind::Investigation, 1).into();
        // Twice on one line is twice too.
        let mut twice = person_with_ids(6);
        let l = twice["listings"][0].clone();
        twice["listings"].as_array_mut().unwrap().push(l);
        let values = [
            person_with_ids(1),
            person_with_ids(2),
            same_subject,
            same_listing,
            same_investigation,
            twice,
        ];
        let r = v.import_lines(&fuzz::registrar(), lines(&values));
        let Err(TransferError::Refused { listed, .. }) = r else {
            panic!("{r:?}")
        };
        let got: Vec<String> = listed.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                format!(
                    "line 3: subject_id: {} is also on line 1",
                    id(IdKind::Subject, 1)
                ),
                format!(
                    "line 4: listings[0].listing_id: {} is also on line 2",
                    id(IdKind::Listing, 2)
                ),
                format!(
                    "line 5: investigations[0].investigation_id: {} is also on line 1",
                    id(IdKind::Investigation, 1)
                ),
                format!(
                    "line 6: listings[1].listing_id: {} is also on line 6",
                    id(IdKind::Listing, 6)
                ),
            ]
        );
        assert_eq!(state(&v), before);
    }

    #[test]
    fn a_listing_or_investigation_id_of_another_subject_is_refused() {
        let (_dir, v) = fuzz::registry();
        let who = fuzz::registrar();
        let report = v.import_lines(&who, lines(&[person_with_ids(1)])).unwrap();
        assert_eq!(
            report,
            ImportReport {
                created: 1,
                skipped: 0
            }
        );
        let before = state(&v);
        // A new subject that names person 1's listing; another, person 1's investigation.
        let mut listing = person_with_ids(2);
        listing["listings"][0]["listingId"] = id(IdKind::Listing, 1).into();
        let mut investigation = person_with_ids(3);
        investigation["investigations"][0]["investigationId"] = id(IdKind::Investigation, 1).into();
        let r = v.import_lines(&who, lines(&[listing, investigation]));
        assert_eq!(
            refused(r).0,
            vec![
                (1, "listings[0].listing_id".to_owned()),
                (2, "investigations[0].investigation_id".to_owned())
            ]
        );
        assert_eq!(state(&v), before);
    }

    #[test]
    fn a_rerun_skips_what_is_there_and_counts_it() {
        let (_dir, v) = fuzz::registry();
        let who = fuzz::registrar();
        let values: Vec<Value> = (0..5).map(person_with_ids).collect();
        let first = v.import_lines(&who, lines(&values)).unwrap();
        assert_eq!(
            first,
            ImportReport {
                created: 5,
                skipped: 0
            }
        );
        let before = state(&v);
        let again = v.import_lines(&who, lines(&values)).unwrap();
        assert_eq!(
            again,
            ImportReport {
                created: 0,
                skipped: 5
            }
        );
        let after = state(&v);
        assert_eq!(
            (after.0, after.2),
            (before.0, before.2),
            "nothing new written"
        );
        assert_eq!(after.1, before.1 + 1, "the re-run is audited too");
    }

    #[test]
    fn an_import_is_one_audit_event_by_the_operator() {
        let (_dir, v) = fuzz::registry();
        let who = fuzz::registrar();
        let before = state(&v);
        let n = IMPORT_BATCH + 88;
        let values: Vec<Value> = (0..n).map(person).collect();
        let report = v.import_lines(&who, lines(&values)).unwrap();
        assert_eq!(
            report,
            ImportReport {
                created: n as u64,
                skipped: 0
            }
        );
        let after = state(&v);
        assert_eq!(after.0, before.0 + n);
        assert_eq!(after.1, before.1 + 1, "one audit event");
        assert_eq!(
            after.2,
            before.2 + n as u64,
            "a change-log record a subject"
        );
        v.store.settle_audit().unwrap();
        let (_, last) = v.store.audit_from(after.1).next().unwrap().unwrap();
        let e = last.unwrap().entry;
        assert_eq!(
            (e.action.as_str(), e.key_id.as_str()),
            ("import", "key_fuzz")
        );
        assert_eq!(
            e.client_ref,
            format!("{n} lines: {n} subjects imported, 0 already present (skipped)")
        );
        assert!(v.verify_audit_log().unwrap().intact);
    }

    /// Standard input, read once: a reader that fails if read again after its end.
    #[test]
    fn the_input_is_read_once_and_spooled() {
        struct Once {
            data: Cursor<Vec<u8>>,
            ended: bool,
        }
        impl Read for Once {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                assert!(!self.ended, "read again after its end");
                let n = self.data.read(buf)?;
                self.ended = n == 0;
                Ok(n)
            }
        }
        let (_dir, v) = fuzz::registry();
        let values: Vec<Value> = (0..IMPORT_BATCH * 2 + 1).map(person).collect();
        let input = Once {
            data: lines(&values),
            ended: false,
        };
        let report = v
            .import_lines(&fuzz::registrar(), BufReader::with_capacity(64, input))
            .unwrap();
        assert_eq!(report.created, values.len() as u64);
        assert!(!v.spool_path().exists(), "the spool is removed at the end");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_holding_it() {
        let mut input = Cursor::new(b"ab\ncdefgh\n\nij".to_vec());
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some((consumed, cut)) = read_line_capped(&mut input, &mut buf, 4).unwrap() {
            got.push((String::from_utf8(buf.clone()).unwrap(), consumed, cut));
            buf.clear();
        }
        let want = [
            ("ab", 3, false),
            ("cdef", 7, true),
            ("", 1, false),
            ("ij", 2, false),
        ];
        let want: Vec<(String, u64, bool)> = want
            .iter()
            .map(|(s, n, c)| ((*s).to_owned(), *n, *c))
            .collect();
        assert_eq!(got, want);
    }

    fn empty_registry(dir: &Path) -> Vetting {
        let opts = StoreOptions {
            cache_bytes: 16 * 1024 * 1024,
            ..StoreOptions::default()
        };
        let store = Store::open(&dir.join("store"), opts).unwrap();
        Vetting::new(store, Clock::fixed(fuzz::NOW_MS))
    }

    /// The trees an import writes, as digests.
    fn digests(v: &Vetting) -> Vec<[u8; 32]> {
        v.store.settle_audit().unwrap();
        [
            "subjects",
            "listings",
            "investigations",
            "match_records",
            "index",
            "changes",
            "audit",
        ]
        .iter()
        .map(|t| v.store.tree_digest(t).unwrap())
        .collect()
    }

    /// Killed after its first batch: the store refuses to open for anything but finishing it,
    /// and once finished holds exactly what an import never interrupted holds.
    #[test]
    fn an_import_stopped_in_its_write_pass_is_finished_at_the_next_open() {
        let who = fuzz::registrar();
        let n = IMPORT_BATCH * 2 + 50;
        let values: Vec<Value> = (0..n).map(person_with_ids).collect();

        let whole = tempfile::tempdir().unwrap();
        let v = empty_registry(whole.path());
        v.import_lines(&who, lines(&values)).unwrap();
        let expected = digests(&v);
        drop(v);

        let dir = tempfile::tempdir().unwrap();
        let v = empty_registry(dir.path());
        let progress = Progress::hidden();
        let mark = v
            .validate_and_mark(&who, lines(&values), None, &progress)
            .unwrap();
        v.write_spool(&mark, &progress, Some(1)).unwrap();
        assert_eq!(v.store.subject_count(), IMPORT_BATCH, "one batch written");
        drop(v);

        let path = dir.path().join("store");
        match Store::open(&path, StoreOptions::default()) {
            Err(e @ StoreError::ImportInterrupted(_)) => {
                assert!(e.to_string().contains("none of it is visible"), "{e}");
            }
            other => panic!("opened a store with an import half-written: {other:?}"),
        }
        let opts = StoreOptions {
            allow_interrupted_import: true,
            ..StoreOptions::default()
        };
        let v = Vetting::new(
            Store::open(&path, opts).unwrap(),
            Clock::fixed(fuzz::NOW_MS),
        );
        let report = v.finish_interrupted_import(&progress).unwrap();
        assert_eq!(
            report,
            Some(ImportReport {
                created: n as u64,
                skipped: 0
            })
        );
        assert_eq!(digests(&v), expected, "the same as an import never stopped");
        assert!(!v.spool_path().exists());
        assert_eq!(v.finish_interrupted_import(&progress).unwrap(), None);
        drop(v);
        Store::open(&path, StoreOptions::default()).unwrap();
    }

    /// A spool that is not what the mark says is never written from.
    #[test]
    fn a_damaged_spool_is_refused_and_the_store_stays_marked() {
        let who = fuzz::registrar();
        let dir = tempfile::tempdir().unwrap();
        let v = empty_registry(dir.path());
        let progress = Progress::hidden();
        let values: Vec<Value> = (0..3).map(person_with_ids).collect();
        let mark = v
            .validate_and_mark(&who, lines(&values), None, &progress)
            .unwrap();
        let mut bytes = std::fs::read(v.spool_path()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(v.spool_path(), bytes).unwrap();
        match v.write_spool(&mark, &progress, None) {
            Err(TransferError::SpoolDamaged(_)) => {}
            other => panic!("{other:?}"),
        }
        assert!(v.store.import_mark().unwrap().is_some(), "still marked");
    }
}
