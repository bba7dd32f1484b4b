//! Who a person is: names, date of birth, identifiers, and their validation.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar date; `month` or `day` of 0 means unknown (a year-only date of birth).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub const fn new(year: i32, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }

    /// True when year, month and day are all known.
    pub fn is_complete(&self) -> bool {
        self.month != 0 && self.day != 0
    }

    /// Checks that the date is a real calendar date (unknown parts allowed as 0, but a known day
    /// needs a known month), with a year between 1850 and 2200.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(1850..=2200).contains(&self.year) {
            return Err("year must be between 1850 and 2200");
        }
        if self.month > 12 {
            return Err("month must be 1 to 12, or 0 when unknown");
        }
        if self.month == 0 {
            return if self.day == 0 {
                Ok(())
            } else {
                Err("a day needs a month")
            };
        }
        if self.day == 0 {
            return Ok(());
        }
        if self.day > days_in_month(self.year, self.month) {
            return Err("day does not exist in that month");
        }
        Ok(())
    }

    /// The same day `years` later; 29 February becomes 28 February in a year that has none
    /// (the anniversary the law counts). `None` for a date with an unknown month or day.
    pub fn plus_years(&self, years: i32) -> Option<Date> {
        if !self.is_complete() {
            return None;
        }
        let year = self.year.checked_add(years)?;
        let day = self.day.min(days_in_month(year, self.month));
        Some(Date::new(year, self.month, day))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.month, self.day) {
            (0, _) => write!(f, "{:04}", self.year),
            (m, 0) => write!(f, "{:04}-{m:02}", self.year),
            (m, d) => write!(f, "{:04}-{m:02}-{d:02}", self.year),
        }
    }
}

/// Days in a month of the proleptic Gregorian calendar; 0 for a month outside 1..=12.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// A person's name: given names space-separated, then the family name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    pub given_names: String,
    pub family_name: String,
}

impl PersonName {
    pub fn new(given_names: impl Into<String>, family_name: impl Into<String>) -> Self {
        Self {
            given_names: given_names.into(),
            family_name: family_name.into(),
        }
    }
}

/// Which register an identifier belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IdentifierScheme {
    NationalInsuranceNumber,
    PncId,
    WarrantNumber,
    StaffNumber,
    PassportNumber,
    DrivingLicenceNumber,
}

impl IdentifierScheme {
    /// National identifiers are unique across the country; the others only within their issuer.
    pub fn is_national(self) -> bool {
        !matches!(self, Self::WarrantNumber | Self::StaffNumber)
    }

    /// A short stable tag, used in index keys.
    pub fn tag(self) -> &'static str {
        match self {
            Self::NationalInsuranceNumber => "ni",
            Self::PncId => "pnc",
            Self::WarrantNumber => "warrant",
            Self::StaffNumber => "staff",
            Self::PassportNumber => "passport",
            Self::DrivingLicenceNumber => "dl",
        }
    }

    /// How a vetting officer names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::NationalInsuranceNumber => "national insurance number",
            Self::PncId => "PNC ID",
            Self::WarrantNumber => "warrant number",
            Self::StaffNumber => "staff number",
            Self::PassportNumber => "passport number",
            Self::DrivingLicenceNumber => "driving licence number",
        }
    }
}

/// An identifier of a person, as given (see [`Identifier::normalised_value`] for comparison).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    pub scheme: IdentifierScheme,
    pub value: String,
    /// The issuing force or service; required for warrant and staff numbers.
    pub issuer: String,
}

impl Identifier {
    /// The value with case, spaces and punctuation folded: ASCII upper-case letters and digits only.
    pub fn normalised_value(&self) -> String {
        fold_identifier(&self.value)
    }

    /// The issuer folded the same way (empty for national schemes, where it plays no part).
    pub fn normalised_issuer(&self) -> String {
        if self.scheme.is_national() {
            String::new()
        } else {
            fold_identifier(&self.issuer)
        }
    }
}

/// Whether `c` is a Default_Ignorable_Code_Point of Unicode (15.1, `DerivedCoreProperties.txt`):
/// a character that shows nothing where it is not supported. Soft hyphen, combining grapheme
/// joiner, zero-width space and joiners, bidi marks and controls, word joiner and invisible
/// operators, Hangul and Khmer fillers, Mongolian variation selectors and vowel separator,
/// variation selectors, byte order mark, tags.
pub fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Folds an identifier value or issuer to ASCII upper-case letters and digits.
pub fn fold_identifier(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}
