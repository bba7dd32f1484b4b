//! Validation of what callers send: every problem names its field.

/// A request field that is wrong: which field (its path in the request, e.g.
/// `subject.name.family_name`) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

use super::identity::{
    Date, Identifier, IdentifierScheme, PersonName, fold_identifier, is_default_ignorable,
};

/// Longest accepted name part, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest accepted free-text field (reasons, summaries, notes), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest accepted short field (organisation, rank, reference, request_id), in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Most other names, identifiers or standards one record may carry.
pub const MAX_REPEATED: usize = 50;

fn check_text(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    if value.chars().count() > max {
        return Err(Invalid::new(field, format!("longer than {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid::new(field, "contains control characters"));
    }
    Ok(())
}

/// Free text: optional, bounded, no control characters.
pub fn text(field: &str, value: &str) -> Result<(), Invalid> {
    check_text(field, value, MAX_TEXT_CHARS)
}

/// A short field such as an organisation or a reference: bounded, single line.
pub fn short(field: &str, value: &str) -> Result<(), Invalid> {
    check_text(field, value, MAX_SHORT_CHARS)?;
    if value.contains('\n') {
        return Err(Invalid::new(field, "must be a single line"));
    }
    Ok(())
}

/// A short field that must be present.
pub fn required(field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid::new(field, "required"));
    }
    short(field, value)
}

fn name_part(field: &str, value: &str) -> Result<(), Invalid> {
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(Invalid::new(
            field,
            format!("longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(field, "contains control characters"));
    }
    if !is_blank(value)
        && !value
            .chars()
            .any(|c| c.is_alphabetic() && !is_default_ignorable(c))
    {
        return Err(Invalid::new(field, "must contain letters"));
    }
    Ok(())
}

/// Nothing a reader would see: only spaces and invisible (default-ignorable) characters, such
/// as U+3164 HANGUL FILLER, which Unicode counts as a letter.
fn is_blank(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_whitespace() || is_default_ignorable(c))
}

/// A person's name: a family name is required, given names may be absent (a mononym).
pub fn person_name(field: &str, name: Option<&PersonName>) -> Result<(), Invalid> {
    let Some(name) = name else {
        return Err(Invalid::new(field, "required"));
    };
    name_part(&format!("{field}.given_names"), &name.given_names)?;
    name_part(&format!("{field}.family_name"), &name.family_name)?;
    if is_blank(&name.family_name) {
        return Err(Invalid::new(format!("{field}.family_name"), "required"));
    }
    Ok(())
}

pub fn other_names(field: &str, names: &[PersonName]) -> Result<(), Invalid> {
    if names.len() > MAX_REPEATED {
        return Err(Invalid::new(
            field,
            format!("at most {MAX_REPEATED} other names"),
        ));
    }
    for (i, n) in names.iter().enumerate() {
        person_name(&format!("{field}[{i}]"), Some(n))?;
    }
    Ok(())
}

/// A calendar date that exists; `today` bounds dates that cannot be in the future.
pub fn date(field: &str, date: &Date, not_after: Option<Date>) -> Result<(), Invalid> {
    date.validate().map_err(|p| Invalid::new(field, p))?;
    if let Some(limit) = not_after
        && *date > limit
    {
        return Err(Invalid::new(field, "is in the future"));
    }
    Ok(())
}

/// A complete date (year, month and day all known) that is not in the future.
pub fn event_date(field: &str, value: Option<&Date>, today: Date) -> Result<Date, Invalid> {
    let Some(d) = value else {
        return Err(Invalid::new(field, "required"));
    };
    date(field, d, Some(today))?;
    if !d.is_complete() {
        return Err(Invalid::new(field, "needs a year, month and day"));
    }
    Ok(*d)
}

/// National insurance number shape: two letters, six digits, and a suffix A to D (which may be
/// left off). HMRC's allocation rules for the prefix (no D, F, I, Q, U, V; never BG, GB, ...) are
/// deliberately not enforced: records come from old files, temporary and administrative numbers,
/// and refusing to record a barred person's number on a prefix rule would only weaken the check.
pub fn is_national_insurance_number(folded: &str) -> bool {
    let b = folded.as_bytes();
    let (prefix, rest) = b.split_at(b.len().min(2));
    let [p1, p2] = prefix else { return false };
    if !p1.is_ascii_uppercase() || !p2.is_ascii_uppercase() {
        return false;
    }
    let (digits, suffix) = rest.split_at(rest.len().min(6));
    digits.len() == 6
        && digits.iter().all(u8::is_ascii_digit)
        && matches!(suffix, [] | [b'A'..=b'D'])
}

/// PNC ID shape: two-digit year, a serial of 1 to 7 digits, a check letter ("04/123456X").
pub fn is_pnc_id(folded: &str) -> bool {
    let b = folded.as_bytes();
    let Some((last, body)) = b.split_last() else {
        return false;
    };
    last.is_ascii_uppercase()
        && (3..=9).contains(&body.len())
        && body.iter().all(u8::is_ascii_digit)
}

pub fn identifier(field: &str, id: &Identifier) -> Result<(), Invalid> {
    let value = fold_identifier(&id.value);
    short(&format!("{field}.value"), &id.value)?;
    if value.is_empty() {
        return Err(Invalid::new(format!("{field}.value"), "required"));
    }
    if value.len() > 32 {
        return Err(Invalid::new(
            format!("{field}.value"),
            "longer than 32 letters and digits",
        ));
    }
    let shape_ok = match id.scheme {
        IdentifierScheme::NationalInsuranceNumber => is_national_insurance_number(&value),
        IdentifierScheme::PncId => is_pnc_id(&value),
        IdentifierScheme::PassportNumber | IdentifierScheme::DrivingLicenceNumber => {
            (5..=20).contains(&value.len())
        }
        IdentifierScheme::WarrantNumber | IdentifierScheme::StaffNumber => true,
    };
    if !shape_ok {
        let expected = match id.scheme {
            IdentifierScheme::NationalInsuranceNumber => {
                "not a national insurance number (two letters, six digits, a letter A to D: QQ123456C)"
            }
            IdentifierScheme::PncId => "not a PNC ID (year, serial, check letter: 04/123456X)",
            _ => "must be 5 to 20 letters and digits",
        };
        return Err(Invalid::new(format!("{field}.value"), expected));
    }
    if !id.scheme.is_national() {
        if fold_identifier(&id.issuer).is_empty() {
            return Err(Invalid::new(
                format!("{field}.issuer"),
                format!("required for a {}", id.scheme.label()),
            ));
        }
        short(&format!("{field}.issuer"), &id.issuer)?;
    }
    Ok(())
}

pub fn identifiers(field: &str, ids: &[Identifier]) -> Result<(), Invalid> {
    if ids.len() > MAX_REPEATED {
        return Err(Invalid::new(
            field,
            format!("at most {MAX_REPEATED} identifiers"),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        identifier(&format!("{field}[{i}]"), id)?;
    }
    Ok(())
}

/// A request_id: optional; when given, at most 200 characters on one line (a UUID is ideal).
pub fn request_id(field: &str, value: &str) -> Result<(), Invalid> {
    short(field, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_insurance_numbers() {
        // Prefixes HMRC never allocates are still recorded (see the function's documentation).
        for ok in [
            "QQ123456C",
            "AB123456",
            "JG103759A",
            "EY196001B",
            "BG895171D",
            "DA123456A",
        ] {
            assert!(is_national_insurance_number(ok), "{ok}");
        }
        for bad in [
            "",
            "Q",
            "QQ12345C",
            "QQ1234567C",
            "A1123456A",
            "QQ123456E",
            "12345678A",
            "AB123456AB",
        ] {
            assert!(!is_national_insurance_number(bad), "{bad}");
        }
    }

    #[test]
    fn pnc_ids() {
        assert!(is_pnc_id(&fold_identifier("04/123456X")));
        assert!(!is_pnc_id("04123456"));
        assert!(!is_pnc_id("X"));
    }

    #[test]
    fn identifier_errors_name_the_field() {
        let id = Identifier {
            scheme: IdentifierScheme::WarrantNumber,
            value: "1234".into(),
            issuer: " ".into(),
        };
        let err = identifier("subject.identifiers[2]", &id).unwrap_err();
        assert_eq!(
            err.to_string(),
            "subject.identifiers[2].issuer: required for a warrant number"
        );
        let ni = Identifier {
            scheme: IdentifierScheme::NationalInsuranceNumber,
            value: "not a number".into(),
            issuer: String::new(),
        };
        assert!(
            identifier("x", &ni)
                .unwrap_err()
                .to_string()
                .starts_with("x.value: not a national insurance number")
        );
    }

    #[test]
    fn names() {
        assert!(person_name("n", Some(&PersonName::new("Ann", "Lee"))).is_ok());
        assert!(person_name("n", Some(&PersonName::new("Madonna", ""))).is_err());
        assert_eq!(
            person_name("n", None).unwrap_err().to_string(),
            "n: required"
        );
        let long = "a".repeat(MAX_NAME_CHARS + 1);
        assert!(person_name("n", Some(&PersonName::new("Ann", long))).is_err());
        assert!(person_name("n", Some(&PersonName::new("Ann", "12345"))).is_err());
        assert!(person_name("n", Some(&PersonName::new("A\u{0}", "Lee"))).is_err());
    }

    /// The defect: a family name made only of U+3164 HANGUL FILLER (a "letter" to Unicode that
    /// shows as nothing) was accepted, giving a record no one could find by name.
    #[test]
    fn a_name_made_only_of_invisible_characters_is_refused() {
        for invisible in [
            "\u{3164}",
            "\u{3164}\u{3164}",
            " \u{200b} ",
            "\u{115f}\u{ffa0}",
            "\u{2060}",
        ] {
            let e = person_name("name", Some(&PersonName::new("Ann", invisible))).unwrap_err();
            assert_eq!(e.field, "name.family_name", "{invisible:?}");
            assert_eq!(e.problem, "required");
            // Invisible given names are no given names (a mononym is allowed).
            assert!(person_name("name", Some(&PersonName::new(invisible, "Smith"))).is_ok());
        }
        let e =
            person_name("name", Some(&PersonName::new("Ann", "\u{3164}-\u{3164}"))).unwrap_err();
        assert!(e.problem.contains("letters"), "{e:?}");
        assert!(person_name("name", Some(&PersonName::new("Ann", "Sm\u{200b}ith"))).is_ok());
    }

    #[test]
    fn dates() {
        let today = Date::new(2026, 11, 22);
        assert!(date("d", &Date::new(2024, 2, 29), Some(today)).is_ok());
        assert!(date("d", &Date::new(2023, 2, 29), Some(today)).is_err());
        assert!(date("d", &Date::new(2027, 1, 1), Some(today)).is_err());
        assert!(date("d", &Date::new(1970, 0, 0), Some(today)).is_ok());
        assert!(date("d", &Date::new(1970, 0, 5), Some(today)).is_err());
        assert!(event_date("d", Some(&Date::new(2020, 5, 0)), today).is_err());
        assert!(event_date("d", None, today).is_err());
    }
}

#[cfg(test)]
mod fuzz {
    //! Validation of any text, names, identifiers and dates: it accepts what keeps its rules,
    //! or returns an `Invalid` naming the field it was given.

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::core::identity::days_in_month;
    use crate::fuzz;

    fn no_controls(s: &str, but: Option<char>) -> bool {
        s.chars().all(|c| !c.is_control() || Some(c) == but)
    }

    fn scheme() -> impl Strategy<Value = IdentifierScheme> {
        prop::sample::select(
            &[
                IdentifierScheme::NationalInsuranceNumber,
                IdentifierScheme::PncId,
                IdentifierScheme::WarrantNumber,
                IdentifierScheme::StaffNumber,
                IdentifierScheme::PassportNumber,
                IdentifierScheme::DrivingLicenceNumber,
            ][..],
        )
    }

    fn identifier_value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z]{2} ?[0-9]{6} ?[A-Da-d]?",
            "[0-9]{2}/[0-9]{1,7}[A-Z]",
            "[A-Z0-9 -]{1,40}",
            fuzz::text()
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn free_and_short_text_is_accepted_within_its_rules_or_refused_naming_its_field(s in fuzz::text()) {
            let chars = s.chars().count();
            match text("listing.reason", &s) {
                Ok(()) => prop_assert!(chars <= MAX_TEXT_CHARS && no_controls(&s, Some('\n'))),
                Err(e) => prop_assert_eq!(e.field, "listing.reason"),
            }
            match short("listing.rank", &s) {
                Ok(()) => prop_assert!(chars <= MAX_SHORT_CHARS && no_controls(&s, None)),
                Err(e) => prop_assert_eq!(e.field, "listing.rank"),
            }
            match required("listing.organisation", &s) {
                Ok(()) => prop_assert!(!s.trim().is_empty() && chars <= MAX_SHORT_CHARS && no_controls(&s, None)),
                Err(e) => prop_assert_eq!(e.field, "listing.organisation"),
            }
            match request_id("request_id", &s) {
                Ok(()) => prop_assert!(chars <= MAX_SHORT_CHARS && no_controls(&s, None)),
                Err(e) => prop_assert_eq!(e.field, "request_id"),
            }
        }

        #[test]
        fn a_name_is_accepted_within_its_rules_or_refused_naming_its_part(given in fuzz::text(), family in fuzz::text()) {
            let name = PersonName::new(given.clone(), family.clone());
            let part_ok = |s: &str| {
                s.chars().count() <= MAX_NAME_CHARS
                    && no_controls(s, None)
                    && (s.chars().all(|c| c.is_whitespace() || is_default_ignorable(c))
                        || s.chars().any(|c| c.is_alphabetic() && !is_default_ignorable(c)))
            };
            match person_name("subject.name", Some(&name)) {
                Ok(()) => prop_assert!(part_ok(&given) && part_ok(&family) && !family.chars().all(|c| c.is_whitespace() || is_default_ignorable(c))),
                Err(e) => prop_assert!(
                    e.field == "subject.name.given_names" || e.field == "subject.name.family_name",
                    "{}", e
                ),
            }
        }

        #[test]
        fn an_identifier_is_accepted_within_its_rules_or_refused_naming_its_part(
            scheme in scheme(),
            value in identifier_value(),
            issuer in fuzz::text(),
        ) {
            let id = Identifier { scheme, value: value.clone(), issuer: issuer.clone() };
            match identifier("identifiers[3]", &id) {
                Ok(()) => {
                    let folded = fold_identifier(&value);
                    prop_assert!(!folded.is_empty() && folded.len() <= 32);
                    prop_assert!(scheme.is_national() || !fold_identifier(&issuer).is_empty());
                }
                Err(e) => prop_assert!(
                    e.field == "identifiers[3].value" || e.field == "identifiers[3].issuer",
                    "{}", e
                ),
            }
        }

        #[test]
        fn a_date_is_accepted_if_it_exists_or_refused_naming_its_field(year in any::<i32>(), month in any::<u8>(), day in any::<u8>(), near in 1840..2210i32) {
            let today = Date::new(2025, 11, 22);
            for d in [Date::new(year, month, day), Date::new(near, month % 14, day % 33)] {
                match date("date_of_birth", &d, Some(today)) {
                    Ok(()) => {
                        prop_assert!((1850..=2200).contains(&d.year) && d <= today);
                        prop_assert!(d.month <= 12 && (d.day == 0 || (d.month > 0 && d.day <= days_in_month(d.year, d.month))));
                    }
                    Err(e) => prop_assert_eq!(e.field, "date_of_birth"),
                }
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn a_list_is_refused_naming_the_list_or_its_entry(
            names in prop_oneof![
                vec((fuzz::text(), fuzz::text()), 0..6),
                vec(("[A-Z][a-z]{1,6}", "[A-Z][a-z]{1,6}"), 49..53),
            ],
            ids in prop_oneof![
                vec((scheme(), identifier_value(), fuzz::text()), 0..6),
                vec((scheme(), "[A-Z]{2}[0-9]{6}", "[A-Z][a-z]{1,6}"), 49..53),
            ],
        ) {
            let names: Vec<PersonName> = names.into_iter().map(|(g, f)| PersonName::new(g, f)).collect();
            let entry = |f: &str, list: &str, len: usize| {
                f == list
                    || f.strip_prefix(list)
                        .and_then(|r| r.strip_prefix('['))
                        .and_then(|r| r.split_once(']'))
                        .is_some_and(|(i, _)| i.parse::<usize>().is_ok_and(|i| i < len))
            };
            if let Err(e) = other_names("other_names", &names) {
                prop_assert!(entry(&e.field, "other_names", names.len()), "{}", e);
            }
            let ids: Vec<Identifier> = ids
                .into_iter()
                .map(|(scheme, value, issuer)| Identifier { scheme, value, issuer })
                .collect();
            if let Err(e) = identifiers("identifiers", &ids) {
                prop_assert!(entry(&e.field, "identifiers", ids.len()), "{}", e);
            }
        }
    }
}
