//! Upgrades of older store formats, run at open. Each step reads records as the older format
//! wrote them (its own copies of the record types below: the store encodes with postcard, which
//! is not self-describing, so a record type that gains a field reads differently) and writes
//! them as this build does.
//!
//! - 1 → 2: the change log starts: each subject enters it as it stands (a `Baseline` record).
//! - 2 → 3: listings carry their grounds, subjects the sequences of their change records (their
//!   history), change records what a departure recorded. Every change record and every subject
//!   is rewritten, in transactions of [`BATCH`] records, each with a progress mark in `meta`, so
//!   an upgrade cut short (a crash, `kill -9`) resumes where it stopped.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::{META_CHANGE_HEAD, META_FORMAT, StoreError, Trees, decode, decode_u64, encode, keys};
use crate::core::change::{Change, ChangeKind, Rule};
use crate::core::identity::{Date, Identifier, PersonName};
use crate::core::model::{
    EmploymentRole, Investigation, ListKind, Listing, ListingGrounds, ListingState, RemovalReason,
    Subject,
};

/// Records rewritten per transaction.
const BATCH: usize = 1_000;
/// The last change record rewritten by the 2 → 3 upgrade.
const META_UPGRADE_3_CHANGES: &[u8] = b"upgrade_3_changes";
/// The last subject (its id) rewritten by the 2 → 3 upgrade.
const META_UPGRADE_3_SUBJECTS: &[u8] = b"upgrade_3_subjects";

/// A listing as formats 1 and 2 stored it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListingV2 {
    pub listing_id: String,
    pub list: ListKind,
    pub organisation: String,
    pub role: EmploymentRole,
    pub rank: String,
    pub decision_date: Option<Date>,
    pub standards_breached: Vec<String>,
    pub reason: String,
    pub published: bool,
    pub state: ListingState,
    pub removal_reason: Option<RemovalReason>,
    pub removed_on: Option<Date>,
    pub removal_note: String,
    pub investigation_id: String,
}

/// A subject as formats 1 and 2 stored it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SubjectV2 {
    pub subject_id: String,
    pub name: PersonName,
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
    pub listings: Vec<ListingV2>,
    pub investigations: Vec<Investigation>,
    pub revision: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A change record as format 2 stored it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChangeV2 {
    pub sequence: u64,
    pub at_ms: i64,
    pub subject_id: String,
    pub revision: u64,
    pub kind: ChangeKind,
    pub target_id: String,
    pub rule: Option<Rule>,
    pub key_id: String,
    pub organisation: String,
    pub subject: SubjectV2,
}

/// What a format-2 listing's grounds were, where its record says so for certain: the
/// lifecycle rules wrote the listings tied to an investigation (a barred entry on a dismissal
/// after misconduct proceedings; an advisory entry on a resignation or retirement, whose reason
/// they worded). A listing a registrar added is left without grounds: nothing recorded them.
fn grounds_of(l: &ListingV2) -> Option<ListingGrounds> {
    if l.investigation_id.is_empty() {
        return None;
    }
    match l.list {
        ListKind::Barred => Some(ListingGrounds::GrossMisconduct),
        ListKind::Advisory if l.reason.starts_with("resigned while under investigation") => {
            Some(ListingGrounds::ResignedUnderInvestigation)
        }
        ListKind::Advisory if l.reason.starts_with("retired while under investigation") => {
            Some(ListingGrounds::RetiredUnderInvestigation)
        }
        ListKind::Advisory => None,
    }
}

impl ListingV2 {
    fn upgrade(self) -> Listing {
        let grounds = grounds_of(&self);
        Listing {
            listing_id: self.listing_id,
            list: self.list,
            organisation: self.organisation,
            role: self.role,
            rank: self.rank,
            decision_date: self.decision_date,
            standards_breached: self.standards_breached,
            reason: self.reason,
            published: self.published,
            state: self.state,
            removal_reason: self.removal_reason,
            removed_on: self.removed_on,
            removal_note: self.removal_note,
            investigation_id: self.investigation_id,
            grounds,
        }
    }
}

impl SubjectV2 {
    fn upgrade(self, changes: Vec<u64>) -> Subject {
        Subject {
            subject_id: self.subject_id,
            name: self.name,
            other_names: self.other_names,
            date_of_birth: self.date_of_birth,
            identifiers: self.identifiers,
            listings: self.listings.into_iter().map(ListingV2::upgrade).collect(),
            investigations: self.investigations,
            revision: self.revision,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            changes,
        }
    }
}

impl ChangeV2 {
    /// The record in format 3. Departures were not recorded in format 2.
    fn upgrade(self, changes: Vec<u64>) -> Change {
        Change {
            sequence: self.sequence,
            at_ms: self.at_ms,
            subject_id: self.subject_id,
            revision: self.revision,
            kind: self.kind,
            target_id: self.target_id,
            rule: self.rule,
            key_id: self.key_id,
            organisation: self.organisation,
            subject: self.subject.upgrade(changes),
            departure: None,
        }
    }
}

fn format_bytes(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

/// Format 1 had no change log: each subject enters it as it stands (a `Baseline` record, in
/// format 2's encoding), in id order, then the format is raised to 2. Written outside
/// transactions and idempotent (record `n` is always the `n`th subject), so an upgrade cut short
/// is done again whole.
pub(super) fn from_1(db: &sled::Db, t: &Trees) -> Result<(), StoreError> {
    let mut n = 0u64;
    for r in t.subjects.iter() {
        let (_, v) = r?;
        let s: SubjectV2 = decode("subjects", &v)?;
        n += 1;
        let c = ChangeV2 {
            sequence: n,
            at_ms: s.updated_at_ms,
            subject_id: s.subject_id.clone(),
            revision: s.revision,
            kind: ChangeKind::Baseline,
            target_id: String::new(),
            rule: None,
            key_id: String::new(),
            organisation: String::new(),
            subject: s,
        };
        t.changes.insert(keys::u64_key(n), encode(&c)?)?;
    }
    t.meta.insert(META_CHANGE_HEAD, &keys::u64_key(n))?;
    db.flush()?;
    t.meta.insert(META_FORMAT, &format_bytes(2))?;
    db.flush()?;
    tracing::info!(
        subjects = n,
        "store upgraded to format 2: subjects entered in the change log"
    );
    Ok(())
}

fn sled_error(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::from(e),
    }
}

/// Format 2 → 3: the change log first (each record's post-image gains the sequences of its
/// subject's records up to it), then the subjects (each gains all of its own), then the format.
pub(super) fn from_2(db: &sled::Db, t: &Trees) -> Result<(), StoreError> {
    // Each subject's change sequences, oldest first: read back from the records already
    // rewritten when resuming, then from each record as it is rewritten.
    let mut history: HashMap<String, Vec<u64>> = HashMap::new();
    let done = t
        .meta
        .get(META_UPGRADE_3_CHANGES)?
        .map_or(Ok(0), |b| decode_u64("meta", &b))?;
    for r in t.changes.range(..=keys::u64_key(done)) {
        let c: Change = decode("changes", &r?.1)?;
        history.entry(c.subject_id).or_default().push(c.sequence);
    }
    let mut changes = 0u64;
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        for r in t
            .changes
            .range(keys::u64_key(done + changes + 1)..)
            .take(BATCH)
        {
            let (k, v) = r?;
            let old: ChangeV2 = decode("changes", &v)?;
            let seqs = history.entry(old.subject_id.clone()).or_default();
            seqs.push(old.sequence);
            let new = old.upgrade(seqs.clone());
            batch.push((k, encode(&new)?, new.sequence));
        }
        let Some(&(_, _, last)) = batch.last() else {
            break;
        };
        (&t.changes, &t.meta)
            .transaction(|(tc, tm)| {
                for (k, v, _) in &batch {
                    tc.insert(k, v.as_slice())?;
                }
                tm.insert(META_UPGRADE_3_CHANGES, &keys::u64_key(last))?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(sled_error)?;
        changes += batch.len() as u64;
    }
    let mut after = t.meta.get(META_UPGRADE_3_SUBJECTS)?.map(|v| v.to_vec());
    let mut subjects = 0u64;
    loop {
        let range = match &after {
            None => t.subjects.range::<&[u8], _>(..),
            Some(k) => t.subjects.range::<&[u8], _>((
                std::ops::Bound::Excluded(k.as_slice()),
                std::ops::Bound::Unbounded,
            )),
        };
        let mut batch = Vec::with_capacity(BATCH);
        for r in range.take(BATCH) {
            let (k, v) = r?;
            let old: SubjectV2 = decode("subjects", &v)?;
            let seqs = history.remove(&old.subject_id).unwrap_or_default();
            batch.push((k, encode(&old.upgrade(seqs))?));
        }
        let Some((last, _)) = batch.last() else {
            break;
        };
        let last = last.to_vec();
        (&t.subjects, &t.meta)
            .transaction(|(ts, tm)| {
                for (k, v) in &batch {
                    ts.insert(k, v.as_slice())?;
                }
                tm.insert(META_UPGRADE_3_SUBJECTS, last.as_slice())?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(sled_error)?;
        subjects += batch.len() as u64;
        after = Some(last);
    }
    db.flush()?;
    t.meta.insert(META_FORMAT, &format_bytes(3))?;
    t.meta.remove(META_UPGRADE_3_CHANGES)?;
    t.meta.remove(META_UPGRADE_3_SUBJECTS)?;
    db.flush()?;
    tracing::info!(
        changes,
        subjects,
        "store upgraded to format 3: listings' grounds, subjects' histories"
    );
    Ok(())
}
