//! The registry's records: subjects, listings, investigations, and the enums they use.

use serde::{Deserialize, Serialize};

use super::identity::{Date, Identifier, PersonName};

/// A person's vetting status, derived from listings and investigations (see [`Subject::status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Clear,
    Barred,
    UnderInvestigation,
}

/// The answer to a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Clear,
    Barred,
    UnderInvestigation,
    Refer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ListKind {
    Barred,
    Advisory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EmploymentRole {
    PoliceOfficer,
    SpecialConstable,
    PoliceStaff,
    ProbationOfficer,
    PrisonOfficer,
    Volunteer,
    Other,
}

/// Why a listing exists: for a barred entry, what the dismissal was for (it sets when a review
/// may be sought); for an advisory entry, how the person came to be on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ListingGrounds {
    GrossMisconduct,
    GrossIncompetence,
    ResignedUnderInvestigation,
    RetiredUnderInvestigation,
    AllegationAfterLeaving,
}

impl ListingGrounds {
    /// The list an entry on these grounds belongs to.
    pub fn list(self) -> ListKind {
        match self {
            Self::GrossMisconduct | Self::GrossIncompetence => ListKind::Barred,
            Self::ResignedUnderInvestigation
            | Self::RetiredUnderInvestigation
            | Self::AllegationAfterLeaving => ListKind::Advisory,
        }
    }

    /// Years after the decision from which a barred person may seek a review (the Police
    /// Barred List and Police Advisory List Regulations 2017: 3 for gross incompetence, 5 for
    /// gross misconduct); `None` for advisory grounds.
    pub fn review_after_years(self) -> Option<i32> {
        match self {
            Self::GrossMisconduct => Some(5),
            Self::GrossIncompetence => Some(3),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ListingState {
    Active,
    Removed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RemovalReason {
    AppealAllowed,
    ReviewSuccessful,
    ProceedingsConcluded,
    Superseded,
    EnteredInError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvestigationState {
    Open,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvestigationOutcome {
    NoCaseToAnswer,
    NoFurtherAction,
    MisconductNotProven,
    ProvenNoDismissal,
    Dismissed,
    WouldHaveBeenDismissed,
    Withdrawn,
}

impl InvestigationOutcome {
    /// Outcomes that put the person on the barred list.
    pub fn bars(self) -> bool {
        matches!(self, Self::Dismissed | Self::WouldHaveBeenDismissed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DepartureKind {
    Resigned,
    Retired,
    DismissedOtherwise,
}

/// The lawful reason for a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    Recruitment,
    Transfer,
    PeriodicRevetting,
    ContractorAccess,
    Appointment,
    Other,
}

/// An entry on the barred or advisory list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listing {
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
    /// The investigation whose lifecycle created this listing, if any.
    pub investigation_id: String,
    /// Why the entry exists; `None` for entries recorded before grounds were kept, or by a
    /// client that does not send them.
    pub grounds: Option<ListingGrounds>,
}

impl Listing {
    pub fn is_active(&self) -> bool {
        self.state == ListingState::Active
    }

    /// The earliest date a review of a barred entry may be sought: 3 years after the decision
    /// for gross incompetence, 5 for gross misconduct (a decision on 29 February reaches its
    /// anniversary on 28 February). `None` for advisory entries and entries without grounds.
    pub fn review_from(&self) -> Option<Date> {
        if self.list != ListKind::Barred {
            return None;
        }
        let years = self.grounds?.review_after_years()?;
        self.decision_date?.plus_years(years)
    }
}

/// A misconduct or criminal investigation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Investigation {
    pub investigation_id: String,
    pub organisation: String,
    pub reference: String,
    pub allegation_summary: String,
    pub opened_on: Option<Date>,
    pub state: InvestigationState,
    pub outcome: Option<InvestigationOutcome>,
    pub closed_on: Option<Date>,
    /// The role the person held.
    pub role: EmploymentRole,
}

impl Investigation {
    pub fn is_open(&self) -> bool {
        self.state == InvestigationState::Open
    }
}

/// A person known to the registry, with everything recorded about them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub subject_id: String,
    pub name: PersonName,
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
    pub listings: Vec<Listing>,
    pub investigations: Vec<Investigation>,
    pub revision: u64,
    /// Unix time in milliseconds.
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The change-log sequences of every change to this subject, oldest first: its history
    /// ([`crate::core::change`]), read back without scanning the log.
    pub changes: Vec<u64>,
}

impl Subject {
    /// The derived status: `Barred` if any active barred listing, else `UnderInvestigation` if any
    /// active advisory listing or open investigation, else `Clear`.
    pub fn status(&self) -> Status {
        super::disclosure::status_of(self, super::disclosure::Visibility::Full)
    }

    /// The subject's active listing on `list` reported by `organisation`, if any (there is at
    /// most one: a second is refused).
    pub fn active_listing(&self, list: ListKind, organisation: &str) -> Option<&Listing> {
        self.listings
            .iter()
            .find(|l| l.is_active() && l.list == list && l.organisation == organisation)
    }

    /// Every name the person is known by, the main one first.
    pub fn all_names(&self) -> impl Iterator<Item = &PersonName> {
        std::iter::once(&self.name).chain(self.other_names.iter())
    }
}

/// The outcome rule of the contract, from the strongest evidence found.
pub fn outcome_of(matches: impl IntoIterator<Item = (bool, Status)>) -> Outcome {
    let mut barred = false;
    let mut investigated = false;
    let mut possible = false;
    for (strong, status) in matches {
        match (strong, status) {
            (_, Status::Clear) => {}
            (true, Status::Barred) => barred = true,
            (true, Status::UnderInvestigation) => investigated = true,
            (false, _) => possible = true,
        }
    }
    if barred {
        Outcome::Barred
    } else if investigated {
        Outcome::UnderInvestigation
    } else if possible {
        Outcome::Refer
    } else {
        Outcome::Clear
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A listing from Kent Police of `list`, in `state` (shared with the disclosure tests).
    pub(crate) fn listing(list: ListKind, state: ListingState, published: bool) -> Listing {
        Listing {
            listing_id: "lst_1".into(),
            list,
            organisation: "Kent Police".into(),
            role: EmploymentRole::PoliceOfficer,
            rank: String::new(),
            decision_date: None,
            standards_breached: vec![],
            reason: String::new(),
            published,
            state,
            removal_reason: None,
            removed_on: None,
            removal_note: String::new(),
            investigation_id: String::new(),
            grounds: None,
        }
    }

    /// Ann Lee with `listings`, and one open investigation if asked.
    pub(crate) fn subject(listings: Vec<Listing>, open_investigation: bool) -> Subject {
        let investigations = if open_investigation {
            vec![Investigation {
                investigation_id: "inv_1".into(),
                organisation: "Kent Police".into(),
                reference: String::new(),
                allegation_summary: String::new(),
                opened_on: None,
                state: InvestigationState::Open,
                outcome: None,
                closed_on: None,
                role: EmploymentRole::PoliceOfficer,
            }]
        } else {
            vec![]
        };
        Subject {
            subject_id: "sub_1".into(),
            name: PersonName::new("Ann", "Lee"),
            other_names: vec![],
            date_of_birth: None,
            identifiers: vec![],
            listings,
            investigations,
            revision: 1,
            changes: vec![],
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn status_is_barred_over_everything() {
        let s = subject(
            vec![
                listing(ListKind::Advisory, ListingState::Active, false),
                listing(ListKind::Barred, ListingState::Active, false),
            ],
            true,
        );
        assert_eq!(s.status(), Status::Barred);
    }

    #[test]
    fn removed_listings_do_not_count() {
        let s = subject(
            vec![listing(ListKind::Barred, ListingState::Removed, true)],
            false,
        );
        assert_eq!(s.status(), Status::Clear);
    }

    #[test]
    fn a_review_may_be_sought_three_or_five_years_after_the_decision_by_its_grounds() {
        let mut l = listing(ListKind::Barred, ListingState::Active, false);
        l.decision_date = Some(Date::new(2021, 6, 30));
        assert_eq!(l.review_from(), None, "no grounds, no review date");
        l.grounds = Some(ListingGrounds::GrossMisconduct);
        assert_eq!(l.review_from(), Some(Date::new(2026, 6, 30)));
        l.grounds = Some(ListingGrounds::GrossIncompetence);
        assert_eq!(l.review_from(), Some(Date::new(2024, 6, 30)));
        // 29 February: the anniversary in a year without one is 28 February; with one, 29.
        l.decision_date = Some(Date::new(2024, 2, 29));
        assert_eq!(l.review_from(), Some(Date::new(2027, 2, 28)));
        l.grounds = Some(ListingGrounds::GrossMisconduct);
        assert_eq!(l.review_from(), Some(Date::new(2029, 2, 28)));
        l.decision_date = Some(Date::new(2023, 2, 28));
        assert_eq!(l.review_from(), Some(Date::new(2028, 2, 28)));
        l.decision_date = Some(Date::new(2020, 2, 29));
        l.grounds = Some(ListingGrounds::GrossIncompetence);
        assert_eq!(l.review_from(), Some(Date::new(2023, 2, 28)));
        assert_eq!(
            Date::new(2020, 2, 29).plus_years(4),
            Some(Date::new(2024, 2, 29))
        );
        // A date without its day has no anniversary.
        l.decision_date = Some(Date::new(2020, 2, 0));
        assert_eq!(l.review_from(), None);
        // Advisory entries are never reviewed: they end with the proceedings.
        let mut a = listing(ListKind::Advisory, ListingState::Active, false);
        a.decision_date = Some(Date::new(2021, 6, 30));
        a.grounds = Some(ListingGrounds::ResignedUnderInvestigation);
        assert_eq!(a.review_from(), None);
    }

    #[test]
    fn each_ground_belongs_to_one_list() {
        use ListingGrounds as G;
        for g in [G::GrossMisconduct, G::GrossIncompetence] {
            assert_eq!(g.list(), ListKind::Barred);
            assert!(g.review_after_years().is_some());
        }
        for g in [
            G::ResignedUnderInvestigation,
            G::RetiredUnderInvestigation,
            G::AllegationAfterLeaving,
        ] {
            assert_eq!(g.list(), ListKind::Advisory);
            assert_eq!(g.review_after_years(), None);
        }
    }

    #[test]
    fn advisory_or_open_investigation_is_under_investigation() {
        let a = subject(
            vec![listing(ListKind::Advisory, ListingState::Active, false)],
            false,
        );
        assert_eq!(a.status(), Status::UnderInvestigation);
        assert_eq!(subject(vec![], true).status(), Status::UnderInvestigation);
    }

    #[test]
    fn outcome_rule_follows_the_contract() {
        use Status::*;
        assert_eq!(outcome_of([]), Outcome::Clear);
        assert_eq!(outcome_of([(false, Barred)]), Outcome::Refer);
        assert_eq!(
            outcome_of([(false, Barred), (true, UnderInvestigation)]),
            Outcome::UnderInvestigation
        );
        assert_eq!(
            outcome_of([(true, UnderInvestigation), (true, Barred)]),
            Outcome::Barred
        );
        assert_eq!(outcome_of([(true, Clear)]), Outcome::Clear);
    }
}
