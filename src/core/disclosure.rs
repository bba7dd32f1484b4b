//! Who may see what. One module decides it, at read time, from the records as they are stored
//! and the caller's key: nothing stored says what a caller may see, so a change of these rules
//! (or of the date, for the public window) applies to the next call.
//!
//! The rules (domain notes: `shared/spec/domain.md`):
//! - Every checker sees the barred list (active and removed entries).
//! - The advisory list only with the `advisory` scope: it is shared with police forces, the
//!   Home Office, the IOPC and HMICFRS, not with probation or prison vetting units.
//! - Investigations only with an `investigations` scope: all sectors (`investigations`), or one
//!   sector's (`investigations:policing`, `investigations:probation`, `investigations:prisons`),
//!   an investigation's sector being that of the role the person held ([`Sector::of_role`]).
//! - The public barred-list search: active barred entries marked `published`, and only up to
//!   the day [`PUBLICATION_YEARS`] after the decision (the College publishes them for five
//!   years); every published entry says when its publication ends ([`publication_ends_on`]).
//! - List custodians, auditors, operators: everything.
//!
//! What a caller may not see never changes their answer: a hidden record counts for nothing in
//! a status, is never a match, never fills a candidate slot and is never in a response. Nor does
//! it cost the check any time: the candidate index files each entry on the [`Shelf`] of each kind
//! of view that shows its subject, and a check reads only its caller's shelves, so it never reads
//! a hidden person's entry, not even to pass it over.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::identity::{Date, days_in_month};
use super::model::{EmploymentRole, Investigation, ListKind, Listing, Status, Subject};
use super::principal::{Principal, Role};

/// How long the College publishes a barred entry: five years from the decision.
pub const PUBLICATION_YEARS: i32 = 5;

/// The service an investigation concerns, by the role the person held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sector {
    /// Police officers, specials, staff, volunteers (and any other role).
    Policing,
    /// Probation officers (HMPPS).
    Probation,
    /// Prison officers (HMPPS).
    Prisons,
}

impl Sector {
    pub const ALL: [Sector; 3] = [Self::Policing, Self::Probation, Self::Prisons];

    /// `PROBATION_OFFICER` is probation, `PRISON_OFFICER` prisons, every other role policing.
    pub fn of_role(r: EmploymentRole) -> Self {
        match r {
            EmploymentRole::ProbationOfficer => Self::Probation,
            EmploymentRole::PrisonOfficer => Self::Prisons,
            EmploymentRole::PoliceOfficer
            | EmploymentRole::SpecialConstable
            | EmploymentRole::PoliceStaff
            | EmploymentRole::Volunteer
            | EmploymentRole::Other => Self::Policing,
        }
    }

    pub fn of(i: &Investigation) -> Self {
        Self::of_role(i.role)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Policing => "policing",
            Self::Probation => "probation",
            Self::Prisons => "prisons",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Policing => 1,
            Self::Probation => 2,
            Self::Prisons => 4,
        }
    }
}

/// A set of sectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sectors(u8);

impl Sectors {
    pub const NONE: Self = Self(0);
    pub const ALL: Self = Self(7);

    pub fn with(self, s: Sector) -> Self {
        Self(self.0 | s.bit())
    }

    pub fn contains(self, s: Sector) -> bool {
        self.0 & s.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 & Self::ALL.0 == 0
    }

    fn meets(self, other: Self) -> bool {
        self.0 & other.0 & Self::ALL.0 != 0
    }
}

/// What a checker key may see beyond the barred list, which every checker sees. Written in the
/// key file and given to `keys create --sees` as a comma-separated list of scope names:
/// `barred` (nothing more: the same as no scope), `advisory`, `investigations` (every sector),
/// `investigations:policing`, `investigations:probation`, `investigations:prisons`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes {
    pub advisory: bool,
    pub investigations: Sectors,
}

/// A scope name that is not one of [`Scopes`]'.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scope {0:?}: use barred, advisory, investigations, investigations:policing, investigations:probation or investigations:prisons"
)]
pub struct UnknownScope(pub String);

impl Scopes {
    /// The barred list only: a new checker key's view unless granted more.
    pub const BARRED_ONLY: Self = Self {
        advisory: false,
        investigations: Sectors::NONE,
    };
    /// Police forces, the Home Office, the IOPC, HMICFRS: advisory entries and every sector's
    /// investigations.
    pub const ALL: Self = Self {
        advisory: true,
        investigations: Sectors::ALL,
    };

    /// Parses one scope name into `self`.
    fn add(mut self, name: &str) -> Result<Self, UnknownScope> {
        match name.trim().to_ascii_lowercase().as_str() {
            "barred" => {}
            "advisory" => self.advisory = true,
            "investigations" => self.investigations = Sectors::ALL,
            other => {
                let sector = other
                    .strip_prefix("investigations:")
                    .and_then(|s| Sector::ALL.into_iter().find(|x| x.as_str() == s))
                    .ok_or_else(|| UnknownScope(name.trim().to_owned()))?;
                self.investigations = self.investigations.with(sector);
            }
        }
        Ok(self)
    }

    /// Scopes from names (`["advisory", "investigations:probation"]`).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownScope> {
        names
            .into_iter()
            .try_fold(Self::BARRED_ONLY, |s, name| s.add(name))
    }

    /// The scope names, canonical and in a fixed order; `barred` first, always.
    pub fn names(self) -> Vec<&'static str> {
        let mut v = vec!["barred"];
        if self.advisory {
            v.push("advisory");
        }
        if self.investigations == Sectors::ALL {
            v.push("investigations");
        } else {
            for s in Sector::ALL {
                if self.investigations.contains(s) {
                    v.push(match s {
                        Sector::Policing => "investigations:policing",
                        Sector::Probation => "investigations:probation",
                        Sector::Prisons => "investigations:prisons",
                    });
                }
            }
        }
        v
    }
}

impl std::str::FromStr for Scopes {
    type Err = UnknownScope;

    /// A comma-separated list of scope names (`advisory,investigations`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_names(s.split(',').filter(|n| !n.trim().is_empty()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

impl Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        Self::from_names(names.iter().map(String::as_str)).map_err(serde::de::Error::custom)
    }
}

/// What a caller may see of listings and investigations. Small and `Copy`: a check, a
/// monitoring re-check and the metrics endpoint each take one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// List custodians, auditors, operators (and the metrics endpoint): everything.
    Full,
    /// A checker: the barred list, and what its key's scopes add.
    Scoped(Scopes),
    /// The public barred-list search on `today`: active, published barred entries within
    /// their publication window.
    Public { today: Date },
}

/// What `who`'s key may see in a check made on `today`.
pub fn visibility_of(who: &Principal, today: Date) -> Visibility {
    match who.role {
        Role::Public => Visibility::Public { today },
        Role::Checker => Visibility::Scoped(who.sees),
        Role::Registrar | Role::Auditor | Role::Admin => Visibility::Full,
    }
}

/// The last day the public view shows a published barred entry decided on `decision`: the
/// fifth anniversary of the decision (so the entry is shown five years, and on that day). A
/// decision on 29 February ends on 28 February, five years on (never a leap year), so no entry
/// is shown longer than five years. A decision date with an unknown day (or month) is taken
/// as the earliest it could be, so publication never outlasts five years.
pub fn publication_end(decision: Date) -> Date {
    let year = decision.year.saturating_add(PUBLICATION_YEARS);
    let month = decision.month.clamp(1, 12);
    let day = decision.day.max(1).min(days_in_month(year, month));
    Date::new(year, month, day)
}

/// When a listing's publication ends, for a listing marked `published` with a decision date
/// (`None` otherwise): set on the listing in every view that shows it.
pub fn publication_ends_on(l: &Listing) -> Option<Date> {
    if l.list == ListKind::Barred && l.published {
        l.decision_date.map(publication_end)
    } else {
        None
    }
}

/// What disclosure needs to know of one listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingFacts {
    pub list: ListKind,
    pub active: bool,
    pub published: bool,
    pub decision_date: Option<Date>,
}

impl ListingFacts {
    pub fn of(l: &Listing) -> Self {
        Self {
            list: l.list,
            active: l.is_active(),
            published: l.published,
            decision_date: l.decision_date,
        }
    }
}

/// What disclosure needs to know of a subject's records: the candidate index keeps it beside
/// each listed person, so a check decides what its caller may see without reading the subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub listings: Vec<ListingFacts>,
    /// The sectors of the subject's open investigations.
    pub open_investigations: Sectors,
}

impl Facts {
    pub fn of(s: &Subject) -> Self {
        Self {
            listings: s.listings.iter().map(ListingFacts::of).collect(),
            open_investigations: s
                .investigations
                .iter()
                .filter(|i| i.is_open())
                .fold(Sectors::NONE, |acc, i| acc.with(Sector::of(i))),
        }
    }

    /// The status as a caller with `v` may see it: `Barred` if any visible active barred
    /// listing, else `UnderInvestigation` if any visible active advisory listing or visible
    /// open investigation, else `Clear`. Hidden entries never change it.
    pub fn status(&self, v: Visibility) -> Status {
        let (mut barred, mut advisory) = (false, false);
        for l in self.listings.iter().filter(|l| l.active && v.shows(l)) {
            match l.list {
                ListKind::Barred => barred = true,
                ListKind::Advisory => advisory = true,
            }
        }
        if barred {
            Status::Barred
        } else if advisory || v.sectors().meets(self.open_investigations) {
            Status::UnderInvestigation
        } else {
            Status::Clear
        }
    }

    /// The last day the public view shows the subject (the latest end of its active, published
    /// barred entries' windows); `None` when it never does.
    pub fn public_until(&self) -> Option<Date> {
        self.listings
            .iter()
            .filter(|l| l.active && l.published && l.list == ListKind::Barred)
            .filter_map(|l| l.decision_date.map(publication_end))
            .max()
    }

    /// Which kinds of view show the subject as not clear, whatever the date: what the candidate
    /// index keeps with each entry.
    pub fn audiences(&self) -> Audiences {
        let mut a = Audiences::MARK | (self.open_investigations.0 << 3);
        for l in self.listings.iter().filter(|l| l.active) {
            a |= match (l.list, l.published) {
                (ListKind::Barred, true) => Audiences::PUBLISHED | Audiences::BARRED,
                (ListKind::Barred, false) => Audiences::BARRED,
                (ListKind::Advisory, _) => Audiences::ADVISORY,
            };
        }
        Audiences(a)
    }
}

/// Which views show a subject as not clear, as one byte of the candidate index (so a check
/// passes over an entry its caller may not see without fetching it, as it would a stranger's).
/// Bit 0: an active published barred entry (the public view, before its date window); bit 1:
/// an active barred entry; bit 2: an active advisory entry; bits 3 to 5: an open investigation
/// in policing, probation, prisons; bit 7: set, to tell this byte from an older index's
/// published flag (0 or 1), which says nothing of the other views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audiences(pub u8);

impl Audiences {
    pub const PUBLISHED: u8 = 1;
    pub const BARRED: u8 = 2;
    pub const ADVISORY: u8 = 4;
    pub const MARK: u8 = 0x80;
    /// In the candidate index's byte only: the last day of the public view follows.
    pub const PUBLIC_UNTIL: u8 = 0x40;

    /// Whether the public view may show the subject (on some date).
    pub fn published(self) -> bool {
        self.0 & Self::PUBLISHED != 0
    }
}

impl Visibility {
    /// The investigations' sectors this caller sees.
    fn sectors(self) -> Sectors {
        match self {
            Self::Full => Sectors::ALL,
            Self::Scoped(s) => s.investigations,
            Self::Public { .. } => Sectors::NONE,
        }
    }

    fn shows(self, l: &ListingFacts) -> bool {
        match self {
            Self::Full => true,
            Self::Scoped(s) => match l.list {
                ListKind::Barred => true,
                ListKind::Advisory => s.advisory,
            },
            Self::Public { today } => {
                l.list == ListKind::Barred
                    && l.published
                    && l.active
                    && l.decision_date.is_some_and(|d| today <= publication_end(d))
            }
        }
    }

    /// False only when a subject the index describes with `a` (and, for the public view,
    /// `public_until`: the last day it shows the subject) is certainly clear to this caller: the
    /// check passes its entries over unfetched.
    pub fn may_show(self, a: Audiences, public_until: Option<Date>) -> bool {
        if a.0 & Audiences::MARK == 0 {
            // An older index's flag: it knows only the public view.
            return !matches!(self, Self::Public { .. }) || a.0 != 0;
        }
        match self {
            Self::Full => a.0 & !Audiences::MARK != 0,
            Self::Scoped(s) => {
                a.0 & Audiences::BARRED != 0
                    || (s.advisory && a.0 & Audiences::ADVISORY != 0)
                    || s.investigations.meets(Sectors((a.0 >> 3) & Sectors::ALL.0))
            }
            Self::Public { today } => a.published() && public_until.is_none_or(|end| today <= end),
        }
    }

    /// The [`Audiences`] bits whose key filters a check by this caller consults (a key no
    /// subject the caller may see is filed under is then skipped as a stranger's is, not read
    /// and passed over: the work, and so the time, must not tell that something hidden was
    /// found); `None` for the filter of every key, when the caller sees every kind of entry.
    pub fn filter_views(self) -> Option<u8> {
        match self {
            Self::Full => None,
            Self::Scoped(s)
                if s.advisory && s.investigations.0 & Sectors::ALL.0 == Sectors::ALL.0 =>
            {
                None
            }
            Self::Scoped(s) => Some(
                Audiences::BARRED
                    | if s.advisory { Audiences::ADVISORY } else { 0 }
                    | ((s.investigations.0 & Sectors::ALL.0) << 3),
            ),
            Self::Public { .. } => Some(Audiences::PUBLISHED),
        }
    }

    /// Whether the public view's shortcuts (its own key filter) apply.
    pub fn is_public(self) -> bool {
        matches!(self, Self::Public { .. })
    }

    pub fn shows_listing(self, l: &Listing) -> bool {
        self.shows(&ListingFacts::of(l))
    }

    pub fn shows_investigation(self, i: &Investigation) -> bool {
        self.sectors().contains(Sector::of(i))
    }

    /// The listings of `s` this caller may see.
    pub fn listings_of(self, s: &Subject) -> Vec<Listing> {
        s.listings
            .iter()
            .filter(|l| self.shows_listing(l))
            .cloned()
            .collect()
    }

    /// The investigations of `s` this caller may see.
    pub fn investigations_of(self, s: &Subject) -> Vec<Investigation> {
        s.investigations
            .iter()
            .filter(|i| self.shows_investigation(i))
            .cloned()
            .collect()
    }
}

/// A part of the candidate index. A subject's entries are filed on the shelves of the views
/// that show it ([`Audiences::shelves`]) and a check reads only the shelves of its caller's
/// views ([`Visibility::shelves`]), so an entry of a subject the caller may not see is never
/// read, not even to be passed over: reading it is work, and work is time, which must not tell
/// the caller that something hidden was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shelf {
    /// The shelf's byte, first in each of its entries: the [`Audiences`] bit it files (1 the
    /// barred list, 2 the advisory list, 3 to 5 the sectors' investigations).
    pub tag: u8,
    /// The [`Audiences`] bit whose key filter says whether the shelf may hold a blocking key
    /// for this caller: the public view's own (bit 0) on the barred shelf.
    pub filter_bit: u8,
    /// The first last-day-of-publication the caller reads on the shelf (entries of the barred
    /// shelf are ordered by it within a blocking key, unpublished first, as 0): the public
    /// view's today, so it never reads an entry past its window; `None` for every entry.
    pub published_from: Option<Date>,
}

impl Shelf {
    /// The barred shelf's tag.
    pub const BARRED: u8 = 1;
    const ADVISORY: u8 = 2;
    const FIRST_SECTOR: u8 = 3;

    fn of(tag: u8) -> Self {
        Self {
            tag,
            filter_bit: tag,
            published_from: None,
        }
    }
}

impl Audiences {
    /// The shelves a subject these views show is filed on: the barred shelf alone for a
    /// subject with an active barred entry (every caller but the public reads it, and the
    /// public reads its published part), else the advisory shelf and each sector's of its
    /// open investigations. Nothing for a subject no view shows.
    pub fn shelves(self) -> impl Iterator<Item = u8> {
        let a = if self.0 & Self::MARK == 0 { 0 } else { self.0 };
        let tags: &'static [u8] = if a & Self::BARRED != 0 {
            &[Shelf::BARRED]
        } else {
            &[Shelf::ADVISORY, 3, 4, 5]
        };
        tags.iter().copied().filter(move |t| a & (1 << t) != 0)
    }
}

impl Visibility {
    /// The shelves of the candidate index this caller reads, in order (see [`Shelf`]).
    pub fn shelves(self) -> Vec<Shelf> {
        let sectors = self.sectors();
        let mut out = Vec::with_capacity(5);
        match self {
            Self::Public { today } => out.push(Shelf {
                filter_bit: 0,
                published_from: Some(today),
                ..Shelf::of(Shelf::BARRED)
            }),
            Self::Full | Self::Scoped(_) => {
                out.push(Shelf::of(Shelf::BARRED));
                if matches!(
                    self,
                    Self::Full | Self::Scoped(Scopes { advisory: true, .. })
                ) {
                    out.push(Shelf::of(Shelf::ADVISORY));
                }
                for (s, tag) in Sector::ALL.into_iter().zip(Shelf::FIRST_SECTOR..) {
                    if sectors.contains(s) {
                        out.push(Shelf::of(tag));
                    }
                }
            }
        }
        out
    }
}

/// The status of `s` as a caller with `v` may see it (see [`Facts::status`]).
pub fn status_of(s: &Subject, v: Visibility) -> Status {
    Facts::of(s).status(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::tests::{listing, subject};
    use crate::core::model::{InvestigationState, ListingState};

    const TODAY: Date = Date::new(2026, 3, 1);
    const PUBLIC: Visibility = Visibility::Public { today: TODAY };

    fn scoped(s: &str) -> Visibility {
        Visibility::Scoped(s.parse().unwrap())
    }

    fn dated(list: ListKind, published: bool, decided: Date) -> Listing {
        let mut l = listing(list, ListingState::Active, published);
        l.decision_date = Some(decided);
        l
    }

    /// A subject with one open investigation of a person who held `role`.
    fn investigated(role: EmploymentRole) -> Subject {
        let mut s = subject(vec![], true);
        s.investigations[0].role = role;
        s
    }

    /// Every kind of caller, for the shelf rules.
    fn every_caller() -> Vec<Visibility> {
        let mut v = vec![Visibility::Full, PUBLIC];
        for advisory in [false, true] {
            for sectors in 0..8 {
                v.push(Visibility::Scoped(Scopes {
                    advisory,
                    investigations: Sectors(sectors),
                }));
            }
        }
        v
    }

    #[test]
    fn a_caller_reads_a_shelf_holding_a_subject_exactly_when_it_may_see_the_subject() {
        let (before, after) = (Date::new(2026, 2, 28), Date::new(2026, 3, 2));
        for bits in 0u8..64 {
            // A published entry is a barred entry.
            if bits & Audiences::PUBLISHED != 0 && bits & Audiences::BARRED == 0 {
                continue;
            }
            let a = Audiences(Audiences::MARK | bits);
            let shelves: Vec<u8> = a.shelves().collect();
            assert!(
                bits == 0 || !shelves.is_empty(),
                "{bits:#b}: a subject some view shows is on a shelf"
            );
            let windows = if a.published() {
                vec![Some(before), Some(TODAY), Some(after)]
            } else {
                vec![None]
            };
            for until in windows {
                for v in every_caller() {
                    // What the candidate search reads: an entry on a shelf of the caller's,
                    // at or after where it starts reading (the barred shelf's order is the
                    // last public day; 0, before every day, when there is none).
                    let read = v.shelves().iter().any(|s| {
                        shelves.contains(&s.tag)
                            && s.published_from
                                .is_none_or(|from| until.is_some_and(|u| u >= from))
                    });
                    assert_eq!(
                        read,
                        v.may_show(a, until),
                        "{v:?} and a subject of {bits:#b}, public until {until:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn public_sees_only_published_active_barred_entries() {
        let recent = Date::new(2024, 5, 2);
        let s = subject(
            vec![
                dated(ListKind::Barred, false, recent),
                dated(ListKind::Advisory, false, recent),
            ],
            true,
        );
        assert_eq!(status_of(&s, PUBLIC), Status::Clear);
        assert!(PUBLIC.listings_of(&s).is_empty());
        assert!(PUBLIC.investigations_of(&s).is_empty());
        assert_eq!(status_of(&s, Visibility::Full), Status::Barred);
        let mut removed = dated(ListKind::Barred, true, recent);
        removed.state = ListingState::Removed;
        let p = subject(vec![dated(ListKind::Barred, true, recent), removed], false);
        assert_eq!(status_of(&p, PUBLIC), Status::Barred);
        assert_eq!(PUBLIC.listings_of(&p).len(), 1);
    }

    #[test]
    fn public_sees_a_published_entry_for_five_years_to_the_day() {
        let decided = Date::new(2021, 3, 1);
        let s = subject(vec![dated(ListKind::Barred, true, decided)], false);
        let on = |today| status_of(&s, Visibility::Public { today });
        assert_eq!(
            on(Date::new(2021, 3, 1)),
            Status::Barred,
            "the decision day"
        );
        assert_eq!(on(Date::new(2026, 2, 28)), Status::Barred);
        assert_eq!(on(Date::new(2026, 3, 1)), Status::Barred, "the last day");
        assert_eq!(on(Date::new(2026, 3, 2)), Status::Clear, "the day after");
        assert_eq!(on(Date::new(2032, 1, 1)), Status::Clear);
        // Whoever else asks sees it whatever its age.
        assert_eq!(status_of(&s, scoped("barred")), Status::Barred);
        let old = subject(
            vec![dated(ListKind::Barred, true, Date::new(2012, 6, 1))],
            false,
        );
        assert_eq!(status_of(&old, PUBLIC), Status::Clear);
        assert!(PUBLIC.listings_of(&old).is_empty());
        assert_eq!(scoped("barred").listings_of(&old).len(), 1);
    }

    #[test]
    fn a_published_entry_without_a_decision_date_is_not_public() {
        let s = subject(
            vec![listing(ListKind::Barred, ListingState::Active, true)],
            false,
        );
        assert_eq!(status_of(&s, PUBLIC), Status::Clear);
        assert_eq!(status_of(&s, Visibility::Full), Status::Barred);
    }

    #[test]
    fn publication_ends_on_the_fifth_anniversary() {
        assert_eq!(
            publication_end(Date::new(2023, 5, 2)),
            Date::new(2028, 5, 2)
        );
        assert_eq!(
            publication_end(Date::new(2020, 2, 29)),
            Date::new(2025, 2, 28)
        );
        assert_eq!(
            publication_end(Date::new(2019, 2, 28)),
            Date::new(2024, 2, 28)
        );
        assert_eq!(
            publication_end(Date::new(2021, 12, 31)),
            Date::new(2026, 12, 31)
        );
        // Unknown parts: the earliest the decision could have been.
        assert_eq!(
            publication_end(Date::new(2021, 7, 0)),
            Date::new(2026, 7, 1)
        );
        assert_eq!(
            publication_end(Date::new(2021, 0, 0)),
            Date::new(2026, 1, 1)
        );
        // A 29 February decision is public on 28 February five years on, not on 1 March.
        let s = subject(
            vec![dated(ListKind::Barred, true, Date::new(2020, 2, 29))],
            false,
        );
        let on = |today| status_of(&s, Visibility::Public { today });
        assert_eq!(on(Date::new(2025, 2, 28)), Status::Barred);
        assert_eq!(on(Date::new(2025, 3, 1)), Status::Clear);
    }

    #[test]
    fn publication_ends_on_is_set_on_published_barred_entries_only() {
        let d = Date::new(2023, 5, 2);
        assert_eq!(
            publication_ends_on(&dated(ListKind::Barred, true, d)),
            Some(Date::new(2028, 5, 2))
        );
        assert_eq!(
            publication_ends_on(&dated(ListKind::Barred, false, d)),
            None
        );
        assert_eq!(
            publication_ends_on(&listing(ListKind::Barred, ListingState::Active, true)),
            None
        );
        // Set on a removed published entry too (the registry's and full views show it).
        let mut removed = dated(ListKind::Barred, true, d);
        removed.state = ListingState::Removed;
        assert_eq!(publication_ends_on(&removed), Some(Date::new(2028, 5, 2)));
    }

    #[test]
    fn every_checker_sees_the_barred_list() {
        let mut removed = dated(ListKind::Barred, false, Date::new(2010, 1, 1));
        removed.state = ListingState::Removed;
        let s = subject(
            vec![
                dated(ListKind::Barred, false, Date::new(2010, 1, 1)),
                removed,
            ],
            false,
        );
        for v in ["", "barred", "advisory", "investigations:prisons"] {
            assert_eq!(status_of(&s, scoped(v)), Status::Barred, "{v:?}");
            assert_eq!(scoped(v).listings_of(&s).len(), 2, "{v:?}");
        }
    }

    #[test]
    fn advisory_entries_only_with_the_advisory_scope() {
        let s = subject(
            vec![listing(ListKind::Advisory, ListingState::Active, false)],
            false,
        );
        assert_eq!(
            status_of(&s, scoped("advisory")),
            Status::UnderInvestigation
        );
        assert_eq!(scoped("advisory").listings_of(&s).len(), 1);
        for v in ["barred", "investigations", "investigations:probation"] {
            assert_eq!(status_of(&s, scoped(v)), Status::Clear, "{v:?}");
            assert!(scoped(v).listings_of(&s).is_empty(), "{v:?}");
        }
        // Hidden advisory entries change nothing of a barred person's view.
        let b = subject(
            vec![
                listing(ListKind::Advisory, ListingState::Active, false),
                listing(ListKind::Barred, ListingState::Active, false),
            ],
            false,
        );
        assert_eq!(scoped("barred").listings_of(&b).len(), 1);
        assert_eq!(scoped("barred").listings_of(&b)[0].list, ListKind::Barred);
    }

    #[test]
    fn an_investigation_belongs_to_the_sector_of_the_role_held() {
        use EmploymentRole::*;
        assert_eq!(Sector::of_role(ProbationOfficer), Sector::Probation);
        assert_eq!(Sector::of_role(PrisonOfficer), Sector::Prisons);
        for r in [
            PoliceOfficer,
            SpecialConstable,
            PoliceStaff,
            Volunteer,
            Other,
        ] {
            assert_eq!(Sector::of_role(r), Sector::Policing, "{r:?}");
        }
    }

    #[test]
    fn investigations_by_sector_scope() {
        use EmploymentRole::*;
        let cases = [
            (PoliceOfficer, "investigations:policing"),
            (ProbationOfficer, "investigations:probation"),
            (PrisonOfficer, "investigations:prisons"),
        ];
        for (role, own) in cases {
            let s = investigated(role);
            for v in ["investigations", own, "advisory,investigations"] {
                assert_eq!(status_of(&s, scoped(v)), Status::UnderInvestigation, "{v}");
                assert_eq!(scoped(v).investigations_of(&s).len(), 1, "{v}");
            }
            for (_, other) in cases.iter().filter(|(r, _)| *r != role) {
                assert_eq!(
                    status_of(&s, scoped(other)),
                    Status::Clear,
                    "{role:?} {other}"
                );
                assert!(scoped(other).investigations_of(&s).is_empty());
            }
            for v in ["barred", "advisory"] {
                assert_eq!(status_of(&s, scoped(v)), Status::Clear, "{v}");
            }
            assert_eq!(status_of(&s, PUBLIC), Status::Clear);
            assert_eq!(status_of(&s, Visibility::Full), Status::UnderInvestigation);
        }
        // A closed investigation is shown to its sector (history) but counts for nothing.
        let mut closed = investigated(ProbationOfficer);
        closed.investigations[0].state = InvestigationState::Closed;
        let v = scoped("investigations:probation");
        assert_eq!(status_of(&closed, v), Status::Clear);
        assert_eq!(v.investigations_of(&closed).len(), 1);
        assert!(
            scoped("investigations:prisons")
                .investigations_of(&closed)
                .is_empty()
        );
    }

    #[test]
    fn each_role_has_its_visibility() {
        let who = |role, sees| Principal {
            key_id: "key_1".into(),
            organisation: "HMPPS".into(),
            role,
            sees,
            client_certificate: None,
        };
        let probation: Scopes = "investigations:probation".parse().unwrap();
        assert_eq!(
            visibility_of(&who(Role::Public, Scopes::ALL), TODAY),
            PUBLIC
        );
        assert_eq!(
            visibility_of(&who(Role::Checker, probation), TODAY),
            Visibility::Scoped(probation)
        );
        for r in [Role::Registrar, Role::Auditor, Role::Admin] {
            assert_eq!(
                visibility_of(&who(r, Scopes::BARRED_ONLY), TODAY),
                Visibility::Full
            );
        }
    }

    #[test]
    fn scopes_parse_and_print_in_one_canonical_form() {
        let s: Scopes = "advisory, investigations".parse().unwrap();
        assert_eq!(s, Scopes::ALL);
        assert_eq!(s.to_string(), "barred,advisory,investigations");
        let s: Scopes = "investigations:policing,investigations:probation,investigations:prisons"
            .parse()
            .unwrap();
        assert_eq!(s.investigations, Sectors::ALL);
        let p: Scopes = "Investigations:Probation".parse().unwrap();
        assert_eq!(p.to_string(), "barred,investigations:probation");
        assert_eq!("".parse::<Scopes>().unwrap(), Scopes::BARRED_ONLY);
        assert_eq!("barred".parse::<Scopes>().unwrap(), Scopes::BARRED_ONLY);
        assert_eq!(
            "advisory,investigations:police".parse::<Scopes>(),
            Err(UnknownScope("investigations:police".into()))
        );
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"["barred","investigations:probation"]"#);
        assert_eq!(serde_json::from_str::<Scopes>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Scopes>(r#"["everything"]"#).is_err());
    }

    #[test]
    fn the_index_byte_lets_a_check_pass_over_what_its_caller_may_not_see() {
        use EmploymentRole::*;
        let decided = Date::new(2024, 1, 1);
        let people = [
            subject(vec![dated(ListKind::Barred, true, decided)], false),
            subject(vec![dated(ListKind::Barred, false, decided)], false),
            subject(vec![dated(ListKind::Advisory, false, decided)], false),
            investigated(PoliceOfficer),
            investigated(ProbationOfficer),
            investigated(PrisonOfficer),
        ];
        let views = [
            Visibility::Full,
            PUBLIC,
            scoped("barred"),
            scoped("advisory"),
            scoped("advisory,investigations"),
            scoped("investigations:policing"),
            scoped("investigations:probation"),
            scoped("investigations:prisons"),
        ];
        for s in &people {
            let f = Facts::of(s);
            for v in views {
                // Never passes over what the caller sees; passes over all it does not.
                assert_eq!(
                    v.may_show(f.audiences(), f.public_until()),
                    f.status(v) != Status::Clear,
                    "{v:?} {f:?}"
                );
            }
        }
        // An older index's flag byte passes over nothing but the public's unpublished.
        for v in views {
            assert!(v.may_show(Audiences(1), None));
            assert_eq!(v.may_show(Audiences(0), None), !v.is_public());
        }
    }
}
