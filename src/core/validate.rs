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

use super::identity::{Date, Identifier, IdentifierScheme, PersonName, fold_identifier};

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
    if !value.trim().is_empty() && !value.chars().any(char::is_alphabetic) {
        return Err(Invalid::new(field, "must contain letters"));
    }
    Ok(())
}

/// A person's name: a family name is required, given names may be absent (a mononym).
pub fn person_name(field: &str, name: Option<&PersonName>) -> Result<(), Invalid> {
    let Some(name) = name else {
        return Err(Invalid::new(field, "required"));
    };
    name_part(&format!("{field}.given_names"), &name.given_names)?;
    name_part(&format!("{field}.family_name"), &name.family_name)?;
    if name.family_name.trim().is_empty() {
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
