//! `vetting import` and `vetting export`: JSON lines, one `Subject` a line in proto3 JSON (the
//! shape grpcurl prints), with listings and investigations.

pub mod audit;

use std::io::{BufRead, Write};
use std::sync::mpsc::SyncSender;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};

use crate::api::convert;
use crate::core::chain::AuditEntry;
use crate::core::change::{Change, ChangeKind};
use crate::core::ids::{Id, IdKind};
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
    #[error("the vetting.v1.Subject message is missing from the descriptor set")]
    NoSubject,
    #[error(transparent)]
    Service(#[from] Error),
}

/// Proto3 JSON for `vetting.v1.Subject`, through the compiled descriptors.
#[derive(Debug)]
pub struct SubjectJson {
    desc: MessageDescriptor,
}

impl SubjectJson {
    pub fn new() -> Result<Self, TransferError> {
        let pool = DescriptorPool::decode(pb::FILE_DESCRIPTOR_SET)?;
        let desc = pool
            .get_message_by_name("vetting.v1.Subject")
            .ok_or(TransferError::NoSubject)?;
        Ok(Self { desc })
    }

    pub fn to_line(&self, s: &pb::Subject) -> Result<String, String> {
        let dm = DynamicMessage::decode(self.desc.clone(), s.encode_to_vec().as_slice())
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        dm.serialize_with_options(&mut ser, &SerializeOptions::new())
            .map_err(|e| e.to_string())?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    pub fn from_line(&self, line: &str) -> Result<pb::Subject, String> {
        let mut de = serde_json::Deserializer::from_str(line);
        let dm =
            DynamicMessage::deserialize(self.desc.clone(), &mut de).map_err(|e| e.to_string())?;
        pb::Subject::decode(dm.encode_to_vec().as_slice()).map_err(|e| e.to_string())
    }
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: u64,
    /// Lines whose subject_id is already in the registry (an import can be re-run).
    pub skipped: u64,
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
    let mut entry = AuditEntry::by(who, "import_subject");
    entry.subject_ids = vec![s.subject_id.clone()];
    tx.append_audit(now, entry)?;
    Ok(true)
}

/// Parsed batches waiting for the writer, at most.
const PARSED_AHEAD: usize = 4;

/// A batch of parsed subjects and the line each came from; or why parsing stopped.
type Parsed = Result<(Vec<pb::Subject>, Vec<usize>), TransferError>;

/// Parses `input` into batches of [`IMPORT_BATCH`] and sends them; at a bad line (or a read
/// error), sends the lines before it, then the error, and stops. Stops too when the receiver
/// is gone.
fn parse_lines(json: &SubjectJson, input: impl BufRead, out: &SyncSender<Parsed>) {
    let mut batch: Vec<pb::Subject> = Vec::with_capacity(IMPORT_BATCH);
    let mut lines: Vec<usize> = Vec::with_capacity(IMPORT_BATCH);
    for (n, line) in input.lines().enumerate() {
        let parsed = line
            .map_err(|e| match e.kind() {
                // Text that is not UTF-8 is a bad line like any other.
                std::io::ErrorKind::InvalidData => TransferError::Line {
                    line: n + 1,
                    message: "not UTF-8".into(),
                },
                _ => TransferError::from(e),
            })
            .and_then(|line| {
                if line.trim().is_empty() {
                    return Ok(None);
                }
                json.from_line(&line)
                    .map(Some)
                    .map_err(|message| TransferError::Line {
                        line: n + 1,
                        message,
                    })
            });
        match parsed {
            Ok(None) => {}
            Ok(Some(p)) => {
                batch.push(p);
                lines.push(n + 1);
            }
            Err(e) => {
                let _ = out
                    .send(Ok((std::mem::take(&mut batch), std::mem::take(&mut lines))))
                    .and_then(|()| out.send(Err(e)));
                return;
            }
        }
        if batch.len() >= IMPORT_BATCH {
            let full = (
                std::mem::replace(&mut batch, Vec::with_capacity(IMPORT_BATCH)),
                std::mem::replace(&mut lines, Vec::with_capacity(IMPORT_BATCH)),
            );
            if out.send(Ok(full)).is_err() {
                return;
            }
        }
    }
    let _ = out.send(Ok((batch, lines)));
}

/// One batch of [`Vetting::import_lines`]; when a record in it is refused, imports the batch one
/// subject at a time to name the bad line and keep the ones before it.
fn import_batch(
    import: &mut BulkImport<'_>,
    batch: &[pb::Subject],
    lines: &[usize],
    report: &mut ImportReport,
) -> Result<(), TransferError> {
    if batch.is_empty() {
        return Ok(());
    }
    match import.add(batch) {
        Ok(created) => {
            report.created += created as u64;
            report.skipped += (batch.len() - created) as u64;
            return Ok(());
        }
        Err(e @ Error::Store(_)) => return Err(e.into()),
        Err(_) => {}
    }
    for (p, line) in batch.iter().zip(lines) {
        match import.add(std::slice::from_ref(p)) {
            Ok(1) => report.created += 1,
            Ok(_) => report.skipped += 1,
            Err(e @ Error::Store(_)) => return Err(e.into()),
            Err(e) => {
                return Err(TransferError::Line {
                    line: *line,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Subjects written per transaction by [`Vetting::import_lines`].
pub const IMPORT_BATCH: usize = 512;

/// Candidate-index entries a [`BulkImport`] collects before it writes them, sorted, to the
/// index: about 140,000 listed people's worth (~500 MiB). The larger the window, the more
/// entries land beside one another in the index, and sled inserts neighbours faster.
pub const INDEX_WINDOW: usize = 4_000_000;

/// A bulk import into a store no server is using, batch by batch. One at a time: the mark that
/// the index is incomplete is one flag, and a check made while entries are pending would not
/// see them (`vetting import` holds the store's lock, so no server can be reading it).
///
/// Each batch is one transaction: its subjects, lookups, match records and audit events, all
/// or none. One transaction for many subjects pays sled's per-transaction cost once. The
/// candidate-index entries (most of the writes) are left out of the transactions, collected,
/// and written in key order every [`INDEX_WINDOW`] entries and by [`BulkImport::finish`]; until
/// `finish` returns, the index is marked incomplete, so an import that stops half-way (a crash,
/// a kill, a full disk) leaves a store that refuses to open until `vetting reindex` (see
/// [`crate::store::Tx::put_new_subject_unindexed`]).
#[derive(Debug)]
pub struct BulkImport<'a> {
    v: &'a Vetting,
    who: &'a Principal,
    pending: IndexEntries,
    window: usize,
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
            writing: None,
        }
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
            let rec = match_record_of(&s);
            records.push((id, s, rec));
        }
        let now = v.clock.now_ms();
        let who = self.who;
        let created = v.store.transact(|tx| {
            let mut created = Vec::new();
            for (i, r) in records.iter().enumerate() {
                if import_in(tx, who, now, r)? {
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
        if self.pending.len() >= self.window {
            // One window written at a time, beside the transactions: the two use the cores
            // better together than one after the other.
            self.wait_for_writer()?;
            let mut entries = std::mem::take(&mut self.pending);
            let store = v.store.clone();
            self.writing = Some(std::thread::spawn(move || store.write_index(&mut entries)));
        }
        Ok(created.len())
    }

    /// Writes the index entries still waiting, makes everything durable and marks the index
    /// complete. Until it returns, the store will not open for serving.
    pub fn finish(mut self) -> Result<()> {
        self.wait_for_writer()?;
        self.v.store.write_index(&mut self.pending)?;
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
    /// Imports JSON lines from `input`, [`IMPORT_BATCH`] subjects to a transaction; stops at the
    /// first bad line, naming it (the lines before it stay imported).
    ///
    /// Lines are parsed on a second thread, a few batches ahead of the writes (parsing proto3
    /// JSON costs about 36 µs a line). On two cores this measured no faster, since the index
    /// writers already use both; it pays where there are more.
    pub fn import_lines(
        &self,
        who: &Principal,
        input: impl BufRead + Send,
    ) -> Result<ImportReport, TransferError> {
        let json = SubjectJson::new()?;
        let (parsed_tx, parsed) = std::sync::mpsc::sync_channel(PARSED_AHEAD);
        std::thread::scope(|scope| {
            scope.spawn(move || parse_lines(&json, input, &parsed_tx));
            let mut report = ImportReport::default();
            let mut failure = None;
            let mut import = BulkImport::new(self, who);
            // Ends when the parser has sent everything, or (the receiver dropped on a break)
            // makes the parser stop at its next batch.
            for batch in parsed {
                let imported = batch.and_then(|(subjects, lines)| {
                    import_batch(&mut import, &subjects, &lines, &mut report)
                });
                if let Err(e) = imported {
                    failure = Some(e);
                    break;
                }
            }
            // What was imported before a refused line stays, indexed and durable. After a store
            // failure nothing more is written: the index stays marked incomplete, for a reindex.
            if let Some(TransferError::Service(e @ Error::Store(_))) = failure {
                return Err(e.into());
            }
            import.finish()?;
            match failure {
                Some(e) => Err(e),
                None => Ok(report),
            }
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
    fn a_line_that_is_not_utf8_is_named_by_its_number() {
        let (_dir, v) = fuzz::registry();
        let count = v.store.subject_count();
        let mut input = good_line("First").into_bytes();
        input.extend(b"\n{\"name\":{\"familyName\":\"Sm\xffth\"}}\n");
        input.extend(good_line("Third").into_bytes());
        match v.import_lines(&fuzz::registrar(), Cursor::new(input)) {
            Err(TransferError::Line { line: 2, message }) => assert_eq!(message, "not UTF-8"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            v.store.subject_count(),
            count + 1,
            "the line before it stays"
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

    /// Good lines, then any line, then good lines: the import stops at the line (naming it)
    /// unless it imports, keeps every line before it, and writes nothing of it or after it.
    #[test]
    fn an_import_stops_at_a_bad_line_and_keeps_exactly_the_lines_before_it() {
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
                Err(TransferError::Line { line, .. }) => {
                    prop_assert_eq!(line, before + 1);
                    prop_assert_eq!(written, before as u64);
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
            }
            Ok(())
        });
    }
}
