//! The key filter: a Bloom filter, in memory, of the blocking keys the candidate index holds,
//! so that a check skips the index lookups that would find nothing (on the evaluation registry,
//! seven of ten; each one a sled iterator made and dropped).
//!
//! Bits are only ever set: a writer sets its keys' bits before (or as) it writes the entries, a
//! key whose entries are all removed stays in the filter (a wasted lookup, never a missed one),
//! and the filter is built by reading the whole index beside the writers. Until that read is
//! done the filter is not consulted, so a key written before the filter existed is never
//! skipped. A false positive costs the lookup it would have cost anyway.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::core::identity::Date;

/// Bits of the filter: 2^28 (32 MiB). With 7 probes a key, about 1% false positives at
/// 29 million distinct keys, the index entries of a million listed people.
const BITS_LOG2: u32 = 28;
const PROBES: u64 = 7;

/// See the module's documentation.
#[derive(Debug)]
pub struct KeyFilter {
    words: Vec<AtomicU64>,
    ready: AtomicBool,
    hasher: std::hash::RandomState,
}

impl Default for KeyFilter {
    fn default() -> Self {
        Self::with_bits_log2(BITS_LOG2)
    }
}

impl KeyFilter {
    fn with_bits_log2(log2: u32) -> Self {
        let words = 1usize << (log2 - 6);
        Self {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            ready: AtomicBool::new(false),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// Two hashes of `key`, combined for each probe (Kirsch and Mitzenmacher).
    fn hashes(&self, key: &[u8]) -> (u64, u64) {
        let mut a = self.hasher.build_hasher();
        a.write(key);
        let h = a.finish();
        (h, h.rotate_left(32) | 1)
    }

    fn probes(&self, key: &[u8]) -> impl Iterator<Item = (usize, u64)> + '_ {
        let (h1, h2) = self.hashes(key);
        let mask = (self.words.len() as u64) * 64 - 1;
        (0..PROBES).map(move |i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) & mask;
            ((bit >> 6) as usize, 1u64 << (bit & 63))
        })
    }

    /// Records that the index holds (or is about to hold) entries under `key`.
    pub fn insert(&self, key: &[u8]) {
        for (word, bit) in self.probes(key) {
            if let Some(w) = self.words.get(word) {
                w.fetch_or(bit, Ordering::Relaxed);
            }
        }
    }

    /// False only when the index certainly holds no entry under `key`. Always true until
    /// the filter is [ready](KeyFilter::set_ready).
    pub fn may_hold(&self, key: &[u8]) -> bool {
        if !self.ready.load(Ordering::Acquire) {
            return true;
        }
        self.probes(key).all(|(word, bit)| {
            self.words
                .get(word)
                .is_none_or(|w| w.load(Ordering::Relaxed) & bit != 0)
        })
    }

    /// Every key of the index is in the filter: checks may consult it.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

/// The key filters of the index: one of every key, for callers who see everything, and one for
/// each kind of view ([`crate::core::disclosure::Audiences`]'s bits: published, barred,
/// advisory, each sector's open investigations) of the keys of subjects that view shows. A
/// check consults the filters of the views its caller has, so a check of someone the caller may
/// not see skips the lookups as a stranger's does, rather than reading index entries it must
/// pass over: that extra work was a timing signal that something hidden was found (see
/// `core::disclosure`).
#[derive(Debug)]
pub struct Filters {
    all: KeyFilter,
    /// The day the public view's filter is kept for ([`Filters::set_today`]), as
    /// [`day_number`]; 0 before it is known.
    today: AtomicU32,
    /// By bit of the audience byte: 0 published, 1 barred, 2 advisory, 3 to 5 the sectors.
    views: [KeyFilter; VIEWS],
}

/// Bits of the audience byte with a filter of their own.
const VIEWS: usize = 6;

/// Bits of each view's filter, by bit: the barred view holds nearly every listed person (2^28,
/// as the filter of every key); the public view, the advisory list and investigations are a
/// small part of the registry (2^26, 8 MiB each).
const VIEW_BITS_LOG2: [u32; VIEWS] = [26, 28, 26, 26, 26, 26];

impl Default for Filters {
    fn default() -> Self {
        Self {
            all: KeyFilter::default(),
            today: AtomicU32::new(0),
            views: VIEW_BITS_LOG2.map(KeyFilter::with_bits_log2),
        }
    }
}

impl Filters {
    /// Records an index entry under `key`, of a subject the views in `audiences` (the index
    /// value's byte) show, the public view up to `public_until`. A byte without its mark (an
    /// older index) counts for every view. An entry whose public window ended before the day
    /// the filter is kept for stays out of the public view's filter (the public view then
    /// skips that key as a stranger's), in every other view's as it should be.
    pub fn insert(&self, key: &[u8], audiences: u8, public_until: Option<Date>) {
        self.all.insert(key);
        let mut views = if audiences & crate::core::disclosure::Audiences::MARK == 0 {
            u8::MAX
        } else {
            audiences
        };
        let today = self.today.load(Ordering::Relaxed);
        if today != 0 && public_until.is_some_and(|end| day_number(end) < today) {
            views &= !crate::core::disclosure::Audiences::PUBLISHED;
        }
        for (bit, f) in self.views.iter().enumerate() {
            if views & (1 << bit) != 0 {
                f.insert(key);
            }
        }
    }

    /// The day the public view's filter is kept for from now on: the service's today, set
    /// before the filter is filled at start. An entry whose window ends while the server runs
    /// stays in the filter until the next start: a lookup made for nothing, never one missed.
    pub fn set_today(&self, today: Date) {
        self.today.store(day_number(today), Ordering::Relaxed);
    }

    /// False only when the index certainly holds no entry under `key` of a subject one of the
    /// views in `views` shows (`None`: any subject). Always true until ready.
    pub fn may_hold(&self, key: &[u8], views: Option<u8>) -> bool {
        match views {
            None => self.all.may_hold(key),
            Some(views) => self
                .views
                .iter()
                .enumerate()
                .any(|(bit, f)| views & (1 << bit) != 0 && f.may_hold(key)),
        }
    }

    pub fn set_ready(&self) {
        self.all.set_ready();
        for f in &self.views {
            f.set_ready();
        }
    }

    pub fn is_ready(&self) -> bool {
        self.all.is_ready()
    }
}

/// A date as a number in date order, never 0 for a real date.
fn day_number(d: Date) -> u32 {
    let year = u32::try_from(d.year.clamp(1, 9999)).unwrap_or(1);
    year << 9 | u32::from(d.month) << 5 | u32::from(d.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_inserted_is_always_held_and_nothing_is_skipped_before_ready() {
        let f = KeyFilter::with_bits_log2(16);
        assert!(
            f.may_hold(b"n|smith|1980"),
            "not ready: every key may be held"
        );
        for i in 0..2000 {
            f.insert(format!("key {i}").as_bytes());
        }
        f.set_ready();
        for i in 0..2000 {
            assert!(f.may_hold(format!("key {i}").as_bytes()));
        }
        let false_positives = (0..10_000)
            .filter(|i| f.may_hold(format!("other {i}").as_bytes()))
            .count();
        // 2,000 keys in 65,536 bits with 7 probes: about 0.01%.
        assert!(false_positives < 100, "{false_positives} false positives");
    }

    #[test]
    fn each_caller_consults_only_the_filters_of_the_views_it_has() {
        use crate::core::disclosure::{Audiences as A, Scopes, Visibility};
        let f = Filters::default();
        let police_case = A::MARK | (1 << 3);
        let probation_case = A::MARK | (2 << 3);
        f.insert(b"n|published", A::MARK | A::PUBLISHED | A::BARRED, None);
        f.insert(b"n|barred", A::MARK | A::BARRED, None);
        f.insert(b"n|advisory", A::MARK | A::ADVISORY, None);
        f.insert(b"n|police", police_case, None);
        f.insert(b"n|probation", probation_case, None);
        f.insert(b"n|older", 1, None);
        f.set_ready();
        let probation: Scopes = "investigations:probation".parse().unwrap();
        let views = |v: Visibility| v.filter_views();
        let held = |v: Visibility| {
            [
                "published",
                "barred",
                "advisory",
                "police",
                "probation",
                "older",
            ]
            .into_iter()
            .filter(|k| f.may_hold(format!("n|{k}").as_bytes(), views(v)))
            .collect::<Vec<_>>()
        };
        let all = [
            "published",
            "barred",
            "advisory",
            "police",
            "probation",
            "older",
        ];
        assert_eq!(held(Visibility::Full), all);
        assert_eq!(held(Visibility::Scoped(Scopes::ALL)), all);
        assert_eq!(
            held(Visibility::Scoped(Scopes::BARRED_ONLY)),
            ["published", "barred", "older"]
        );
        assert_eq!(
            held(Visibility::Scoped(probation)),
            ["published", "barred", "probation", "older"]
        );
        let public = Visibility::Public {
            today: crate::core::identity::Date::new(2025, 1, 1),
        };
        assert_eq!(held(public), ["published", "older"]);
        assert!(!f.may_hold(b"n|stranger", None));
    }
}
