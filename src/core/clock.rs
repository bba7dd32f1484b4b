//! Time as a parameter: the server reads the wall clock, tests set it.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use crate::core::identity::Date;

#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that only moves when told to: milliseconds since the Unix epoch.
    Fixed(Arc<AtomicI64>),
}

impl Clock {
    pub fn fixed(unix_ms: i64) -> Self {
        Self::Fixed(Arc::new(AtomicI64::new(unix_ms)))
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match self {
            Self::System => {
                let now = time::OffsetDateTime::now_utc();
                i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
            }
            Self::Fixed(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Moves a fixed clock on; does nothing to the system clock.
    pub fn advance_ms(&self, by: i64) {
        if let Self::Fixed(ms) = self {
            ms.fetch_add(by, Ordering::SeqCst);
        }
    }

    /// Today's date (UTC).
    pub fn today(&self) -> Date {
        date_of_ms(self.now_ms())
    }
}

/// The UTC calendar date of a Unix time in milliseconds.
pub fn date_of_ms(ms: i64) -> Date {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Date::new(t.year(), u8::from(t.month()), t.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = Clock::fixed(1_763_769_600_000); // 2025-11-22T00:00:00Z
        assert_eq!(c.today(), Date::new(2025, 11, 22));
        c.advance_ms(86_400_000);
        assert_eq!(c.today(), Date::new(2025, 11, 23));
    }
}
