//! Who may see what. One module decides it, at read time, from the records as they are stored:
//! nothing stored says what a caller may see, so a change of these rules (or of time, for
//! rules that depend on it) applies to the next call.
//!
//! Today's rules: the public barred-list search sees only active, published barred entries;
//! every other role sees everything. What a caller may not see never changes their answer.

use serde::{Deserialize, Serialize};

use super::identity::Date;
use super::model::{Investigation, ListKind, Listing, Status, Subject};
use super::principal::Role;

/// What a caller may see of listings and investigations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Police employers, the IOPC, HMICFRS, list custodians: everything.
    Full,
    /// The public barred-list search: published, active barred entries only.
    PublishedOnly,
}

/// What a key of `role` may see in a check.
pub fn visibility_of(role: Role) -> Visibility {
    match role {
        Role::Public => Visibility::PublishedOnly,
        Role::Checker | Role::Registrar | Role::Auditor | Role::Admin => Visibility::Full,
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
    pub open_investigation: bool,
}

impl Facts {
    pub fn of(s: &Subject) -> Self {
        Self {
            listings: s.listings.iter().map(ListingFacts::of).collect(),
            open_investigation: s.investigations.iter().any(Investigation::is_open),
        }
    }

    /// The status as a caller with `v` may see it: `Barred` if any visible active barred
    /// listing, else `UnderInvestigation` if any visible active advisory listing or (where
    /// investigations are visible) an open investigation, else `Clear`. Hidden entries never
    /// change it.
    pub fn status(&self, v: Visibility) -> Status {
        let mut visible = self.listings.iter().filter(|l| l.active && v.shows(l));
        let (mut barred, mut advisory) = (false, false);
        for l in visible.by_ref() {
            match l.list {
                ListKind::Barred => barred = true,
                ListKind::Advisory => advisory = true,
            }
        }
        if barred {
            Status::Barred
        } else if advisory || (v.shows_investigations() && self.open_investigation) {
            Status::UnderInvestigation
        } else {
            Status::Clear
        }
    }
}

impl Visibility {
    fn shows(self, l: &ListingFacts) -> bool {
        match self {
            Self::Full => true,
            Self::PublishedOnly => l.list == ListKind::Barred && l.published && l.active,
        }
    }

    pub fn shows_listing(self, l: &Listing) -> bool {
        self.shows(&ListingFacts::of(l))
    }

    pub fn shows_investigations(self) -> bool {
        self == Self::Full
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
        if self.shows_investigations() {
            s.investigations.clone()
        } else {
            vec![]
        }
    }
}

/// The status of `s` as a caller with `v` may see it (see [`Facts::status`]).
pub fn status_of(s: &Subject, v: Visibility) -> Status {
    Facts::of(s).status(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::ListingState;
    use crate::core::model::tests::{listing, subject};

    #[test]
    fn public_sees_only_published_active_barred_entries() {
        let s = subject(
            vec![
                listing(ListKind::Barred, ListingState::Active, false),
                listing(ListKind::Advisory, ListingState::Active, false),
            ],
            true,
        );
        assert_eq!(status_of(&s, Visibility::PublishedOnly), Status::Clear);
        assert!(Visibility::PublishedOnly.listings_of(&s).is_empty());
        assert!(Visibility::PublishedOnly.investigations_of(&s).is_empty());
        assert_eq!(status_of(&s, Visibility::Full), Status::Barred);
        let p = subject(
            vec![
                listing(ListKind::Barred, ListingState::Active, true),
                listing(ListKind::Barred, ListingState::Removed, true),
            ],
            false,
        );
        assert_eq!(status_of(&p, Visibility::PublishedOnly), Status::Barred);
        assert_eq!(Visibility::PublishedOnly.listings_of(&p).len(), 1);
    }

    #[test]
    fn each_role_has_its_visibility() {
        assert_eq!(visibility_of(Role::Public), Visibility::PublishedOnly);
        for r in [Role::Checker, Role::Registrar, Role::Auditor, Role::Admin] {
            assert_eq!(visibility_of(r), Visibility::Full);
        }
    }
}
