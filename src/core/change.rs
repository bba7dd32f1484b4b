//! The change log's records: one per change to the registry, and one per lifecycle rule a
//! change triggered, each with the subject as it stands after the change (its post-image), so
//! that the log alone rebuilds the registry. The feed that monitoring, backup and read
//! replicas consume.

use serde::{Deserialize, Serialize};

use super::identity::Date;
use super::model::{DepartureKind, ListKind, Listing, ListingState, RemovalReason, Subject};

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    SubjectCreated,
    /// Names, date of birth or identifiers.
    SubjectUpdated,
    /// Came in through `vetting import`.
    SubjectImported,
    ListingAdded,
    ListingRemoved,
    InvestigationOpened,
    InvestigationClosed,
    DepartureRecorded,
    /// The subject as it stood when its store was upgraded to a format with a change log.
    Baseline,
    /// An allegation about a former member of staff, which opens an advisory listing.
    /// (After `Baseline`: the store encodes a variant by its position.)
    AllegationRecorded,
}

/// The lifecycle rule that made a change, when the registry made it by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// A barred listing replaced the organisation's advisory listing.
    AdvisorySupersededByBarred,
    /// An investigation closed with dismissal (or a finding of it) bars the person.
    BarredOnDismissal,
    /// Resigning or retiring under investigation puts the person on the advisory list.
    AdvisoryOnDeparture,
    /// An investigation closed otherwise settles the advisory listing it caused.
    AdvisorySettledByClosure,
}

/// One record of the change log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Gap-free from 1; set by the store as it appends.
    pub sequence: u64,
    /// Unix time in milliseconds.
    pub at_ms: i64,
    pub subject_id: String,
    /// The subject's revision after the change.
    pub revision: u64,
    pub kind: ChangeKind,
    /// The listing or investigation changed; empty for the subject itself.
    pub target_id: String,
    /// Set when a lifecycle rule made this change, as part of the change before it.
    pub rule: Option<Rule>,
    /// The key that made the change, and its organisation.
    pub key_id: String,
    pub organisation: String,
    /// The subject after the change (after the whole write it is part of).
    pub subject: Subject,
    /// What a `DepartureRecorded` change recorded (a departure is kept nowhere else).
    pub departure: Option<Departure>,
}

/// A departure as `RecordDeparture` recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    pub kind: DepartureKind,
    pub left_on: Date,
    pub organisation: String,
}

impl Change {
    /// A subject entering the log as it stands (`sequence` given: upgrades write outside
    /// transactions).
    pub fn baseline(sequence: u64, s: &Subject) -> Self {
        Self {
            sequence,
            at_ms: s.updated_at_ms,
            subject_id: s.subject_id.clone(),
            revision: s.revision,
            kind: ChangeKind::Baseline,
            target_id: String::new(),
            rule: None,
            key_id: String::new(),
            organisation: String::new(),
            subject: s.clone(),
            departure: None,
        }
    }
}

/// The changes lifecycle rules made in a write, found by comparing the subject before and
/// after it: listings the write added or removed other than `primary` (the listing the caller
/// asked for, if any). Each is `(kind, listing id, rule)`.
pub fn rule_changes(
    before: Option<&Subject>,
    after: &Subject,
    primary: &str,
) -> Vec<(ChangeKind, String, Rule)> {
    let was = |id: &str| -> Option<&Listing> {
        before.and_then(|b| b.listings.iter().find(|l| l.listing_id == id))
    };
    let mut out = Vec::new();
    for l in after.listings.iter().filter(|l| l.listing_id != primary) {
        match was(&l.listing_id) {
            None => {
                let rule = match l.list {
                    ListKind::Barred => Rule::BarredOnDismissal,
                    ListKind::Advisory => Rule::AdvisoryOnDeparture,
                };
                out.push((ChangeKind::ListingAdded, l.listing_id.clone(), rule));
            }
            Some(old) if old.state == ListingState::Active && l.state == ListingState::Removed => {
                let rule = match l.removal_reason {
                    Some(RemovalReason::Superseded) => Rule::AdvisorySupersededByBarred,
                    _ => Rule::AdvisorySettledByClosure,
                };
                out.push((ChangeKind::ListingRemoved, l.listing_id.clone(), rule));
            }
            Some(_) => {}
        }
    }
    out
}
