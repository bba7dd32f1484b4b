//! How two dates of birth relate: exact, day and month transposed, one keystroke apart, a year
//! apart, missing or year-only, or plainly different (no match).

use super::Date;

/// The relation between the query's and the candidate's dates of birth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DobRelation {
    /// Both complete and equal.
    Exact,
    /// Same year, day and month exchanged (12/03 for 03/12).
    Transposed,
    /// Both complete, one digit of `YYYYMMDD` different.
    OneDigit,
    /// Both complete, two adjacent digits of the year, month or day exchanged (1985/1958).
    DigitsSwapped,
    /// Same day and month, years one apart.
    YearApart,
    /// At least one side knows only the year (or year and month), and the years are equal.
    YearOnly,
    /// The query gives no date of birth.
    MissingInQuery,
    /// The listed person has no recorded date of birth.
    MissingOnRecord,
    /// A plainly different date: no match.
    Different,
}

impl DobRelation {
    /// Weight the name score is multiplied by; 0 for a plainly different date.
    pub fn factor(self) -> f64 {
        match self {
            Self::Exact => 1.0,
            Self::Transposed | Self::OneDigit => 0.85,
            Self::DigitsSwapped | Self::YearApart => 0.8,
            Self::YearOnly | Self::MissingInQuery | Self::MissingOnRecord => 0.75,
            Self::Different => 0.0,
        }
    }

    /// Whether a match on this date may be `STRONG` at all (only with both dates complete and equal).
    pub fn allows_strong(self) -> bool {
        self == Self::Exact
    }
}

/// Relates a query's date of birth to a candidate's.
pub fn relate(query: Option<Date>, candidate: Option<Date>) -> DobRelation {
    let (q, c) = match (query, candidate) {
        (None, _) => return DobRelation::MissingInQuery,
        (_, None) => return DobRelation::MissingOnRecord,
        (Some(q), Some(c)) => (q, c),
    };
    if !q.is_complete() || !c.is_complete() {
        return if q.year == c.year {
            DobRelation::YearOnly
        } else {
            DobRelation::Different
        };
    }
    if q == c {
        return DobRelation::Exact;
    }
    if q.year == c.year && q.month == c.day && q.day == c.month {
        return DobRelation::Transposed;
    }
    if q.month == c.month && q.day == c.day && (q.year - c.year).abs() == 1 {
        return DobRelation::YearApart;
    }
    let (a, b) = (digits(q), digits(c));
    let differing = a.iter().zip(b.iter()).filter(|(x, y)| x != y).count();
    if differing == 1 {
        return DobRelation::OneDigit;
    }
    if differing == 2 && adjacent_swap_within_component(&a, &b) {
        return DobRelation::DigitsSwapped;
    }
    DobRelation::Different
}

/// `YYYYMMDD` as 8 digits (years outside 0..=9999 are clamped; they fail validation anyway).
fn digits(d: Date) -> [u8; 8] {
    let y = d.year.clamp(0, 9999) as u32;
    let m = u32::from(d.month);
    let day = u32::from(d.day);
    let n = y * 10_000 + m * 100 + day;
    let mut out = [0u8; 8];
    let mut rest = n;
    for slot in out.iter_mut().rev() {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    out
}

/// Two adjacent digits exchanged, both inside the year (0..4), the month (4..6) or the day (6..8).
fn adjacent_swap_within_component(a: &[u8; 8], b: &[u8; 8]) -> bool {
    const PAIRS: [(usize, usize); 5] = [(0, 1), (1, 2), (2, 3), (4, 5), (6, 7)];
    PAIRS.iter().any(|&(i, j)| {
        let same_elsewhere = a
            .iter()
            .zip(b.iter())
            .enumerate()
            .all(|(k, (x, y))| k == i || k == j || x == y);
        same_elsewhere && a.get(i) == b.get(j) && a.get(j) == b.get(i) && a.get(i) != a.get(j)
    })
}

/// The reason a vetting officer reads for this relation.
pub fn describe(rel: DobRelation, query: Option<Date>, candidate: Option<Date>) -> String {
    let show = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    match rel {
        DobRelation::Exact => "date of birth exact".to_string(),
        DobRelation::Transposed => "date of birth: day and month transposed".to_string(),
        DobRelation::OneDigit => format!(
            "date of birth: one digit different ({}/{})",
            show(query),
            show(candidate)
        ),
        DobRelation::DigitsSwapped => format!(
            "date of birth: two digits swapped ({}/{})",
            show(query),
            show(candidate)
        ),
        DobRelation::YearApart => "date of birth: a year apart".to_string(),
        DobRelation::YearOnly => format!(
            "year of birth matches ({}), full date not known",
            query.map(|d| d.year).unwrap_or_default()
        ),
        DobRelation::MissingInQuery => "date of birth not given".to_string(),
        DobRelation::MissingOnRecord => "date of birth not on record".to_string(),
        DobRelation::Different => format!(
            "date of birth different ({}/{})",
            show(query),
            show(candidate)
        ),
    }
}

/// The day and month exchanged, when that is another valid date (day at most 12, day != month).
pub fn transposed(d: Date) -> Option<Date> {
    if d.is_complete() && d.day <= 12 && d.day != d.month {
        Some(Date::new(d.year, d.day, d.month))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Option<Date> {
        Some(Date::new(y, m, day))
    }

    #[test]
    fn relations() {
        use DobRelation::*;
        assert_eq!(relate(d(1985, 3, 12), d(1985, 3, 12)), Exact);
        assert_eq!(relate(d(1985, 3, 12), d(1985, 12, 3)), Transposed);
        assert_eq!(relate(d(1985, 3, 12), d(1985, 3, 13)), OneDigit);
        assert_eq!(relate(d(1985, 3, 12), d(1975, 3, 12)), OneDigit);
        assert_eq!(relate(d(1985, 3, 12), d(1985, 3, 21)), DigitsSwapped);
        assert_eq!(relate(d(1985, 3, 12), d(1958, 3, 12)), DigitsSwapped);
        assert_eq!(relate(d(1985, 3, 12), d(1986, 3, 12)), YearApart);
        assert_eq!(relate(d(1980, 3, 12), d(1979, 3, 12)), YearApart);
        assert_eq!(relate(None, d(1985, 3, 12)), MissingInQuery);
        assert_eq!(relate(d(1985, 3, 12), None), MissingOnRecord);
        assert_eq!(relate(d(1985, 0, 0), d(1985, 3, 12)), YearOnly);
        assert_eq!(relate(d(1985, 3, 12), d(1985, 0, 0)), YearOnly);
        assert_eq!(relate(d(1984, 0, 0), d(1985, 3, 12)), Different);
        assert_eq!(relate(d(1985, 3, 12), d(1990, 7, 1)), Different);
        assert_eq!(relate(d(1985, 3, 12), d(1985, 4, 13)), Different);
        assert_eq!(relate(d(1985, 3, 12), d(1985, 12, 4)), Different);
    }

    #[test]
    fn only_exact_allows_strong() {
        assert!(DobRelation::Exact.allows_strong());
        assert!(!DobRelation::Transposed.allows_strong());
        assert!(!DobRelation::MissingInQuery.allows_strong());
        assert_eq!(DobRelation::Different.factor(), 0.0);
    }

    #[test]
    fn reasons_read_well() {
        let rel = relate(d(1985, 3, 12), d(1985, 3, 13));
        assert_eq!(
            describe(rel, d(1985, 3, 12), d(1985, 3, 13)),
            "date of birth: one digit different (1985-03-12/1985-03-13)"
        );
        assert_eq!(
            describe(DobRelation::Transposed, None, None),
            "date of birth: day and month transposed"
        );
    }

    #[test]
    fn transposition() {
        assert_eq!(
            transposed(Date::new(1985, 3, 12)),
            Some(Date::new(1985, 12, 3))
        );
        assert_eq!(transposed(Date::new(1985, 3, 13)), None);
        assert_eq!(transposed(Date::new(1985, 3, 3)), None);
        assert_eq!(transposed(Date::new(1985, 0, 0)), None);
    }
}
