//! Identifiers the server hands out: a short prefix naming the kind, then a ULID.
//!
//! ULIDs sort by creation time, so scans of subjects come out oldest first.

use std::fmt;

use super::validate::Invalid;
use crate::core::clock::Clock;

/// Bytes of an id as the store keys it (a ULID).
pub const ID_LEN: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Subject,
    Listing,
    Investigation,
    Check,
    Key,
    Enrolment,
}

impl IdKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Subject => "sub_",
            Self::Listing => "lst_",
            Self::Investigation => "inv_",
            Self::Check => "chk_",
            Self::Key => "key_",
            Self::Enrolment => "enr_",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::Listing => "listing",
            Self::Investigation => "investigation",
            Self::Check => "check",
            Self::Key => "key",
            Self::Enrolment => "enrolment",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id {
    kind_prefix: &'static str,
    bytes: [u8; ID_LEN],
}

impl Id {
    pub fn new(kind: IdKind, clock: &Clock) -> Self {
        let ms = u64::try_from(clock.now_ms()).unwrap_or(0);
        let ulid = ulid::Ulid::from_parts(ms, rand::random::<u128>());
        Self::from_bytes(kind, ulid.0.to_be_bytes())
    }

    pub fn from_bytes(kind: IdKind, bytes: [u8; ID_LEN]) -> Self {
        Self {
            kind_prefix: kind.prefix(),
            bytes,
        }
    }

    /// Parses an id of `kind` given in request field `field`.
    pub fn parse(kind: IdKind, field: &str, s: &str) -> Result<Self, Invalid> {
        if s.is_empty() {
            return Err(Invalid::new(field, "required"));
        }
        let bad = || Invalid::new(field, format!("not a {} id", kind.noun()));
        let rest = s.strip_prefix(kind.prefix()).ok_or_else(bad)?;
        // 26 base-32 characters hold 130 bits, a ULID 128: past a first character of 7 the
        // ulid crate drops the top bits and reads another id (`8...` as `0...`).
        if !rest.starts_with(|c: char| ('0'..='7').contains(&c)) {
            return Err(bad());
        }
        let ulid = ulid::Ulid::from_string(rest).map_err(|_| bad())?;
        Ok(Self::from_bytes(kind, ulid.0.to_be_bytes()))
    }

    pub fn bytes(&self) -> &[u8; ID_LEN] {
        &self.bytes
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ulid = ulid::Ulid(u128::from_be_bytes(self.bytes));
        write!(f, "{}{}", self.kind_prefix, ulid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_their_kind() {
        let id = Id::new(IdKind::Subject, &Clock::fixed(1_700_000_000_000));
        let s = id.to_string();
        assert!(s.starts_with("sub_"));
        assert_eq!(Id::parse(IdKind::Subject, "f", &s).unwrap(), id);
        let err = Id::parse(IdKind::Listing, "listing_id", &s).unwrap_err();
        assert_eq!(err.to_string(), "listing_id: not a listing id");
        assert!(Id::parse(IdKind::Subject, "f", "sub_nope").is_err());
        assert_eq!(
            Id::parse(IdKind::Subject, "subject_id", "")
                .unwrap_err()
                .to_string(),
            "subject_id: required"
        );
    }

    #[test]
    fn an_id_past_the_largest_ulid_is_refused_not_read_as_another() {
        let largest = "sub_7ZZZZZZZZZZZZZZZZZZZZZZZZZ";
        assert_eq!(
            Id::parse(IdKind::Subject, "f", largest)
                .unwrap()
                .to_string(),
            largest
        );
        for past in ["8", "G", "Z", "z"] {
            let s = format!("sub_{past}ZZZZZZZZZZZZZZZZZZZZZZZZZ");
            assert!(Id::parse(IdKind::Subject, "f", &s).is_err(), "{s}");
        }
    }
}

#[cfg(test)]
mod fuzz {
    //! Ids come back from clients (in requests, page tokens and imported lines): one that is
    //! accepted names the id it spells, and no other.

    use proptest::prelude::*;

    use super::*;

    /// Strings shaped like ids: a kind's prefix (or a near miss), 26 characters of the ULID
    /// alphabet in either case, any first character; sometimes too long or short, or anything.
    fn id_like() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "(sub_|SUB_|sub|lst_)[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}",
            1 => "sub_[0-9A-Za-z]{24,28}",
            1 => "sub_.{0,30}",
            1 => any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn an_accepted_id_reads_back_as_it_was_written(s in id_like()) {
            match Id::parse(IdKind::Subject, "subject_id", &s) {
                Ok(id) => prop_assert!(id.to_string().eq_ignore_ascii_case(&s), "{} read as {}", s, id),
                Err(e) => prop_assert_eq!(e.field, "subject_id"),
            }
        }
    }
}
