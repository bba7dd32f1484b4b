//! The service core that the gRPC layer calls: the store, the clock and the matching settings.

use crate::clock::Clock;
use crate::matching::MatchConfig;
use crate::store::Store;

/// Everything a request needs. Cheap to clone (the store is reference-counted).
#[derive(Clone, Debug)]
pub struct Vetting {
    pub store: Store,
    pub clock: Clock,
    pub match_config: MatchConfig,
    /// Most candidates one check may consider; the rest are not scored (and a warning logged).
    pub max_candidates: usize,
    /// Most matches one check returns, strongest first.
    pub max_matches: usize,
}

impl Vetting {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self {
            store,
            clock,
            match_config: MatchConfig::default(),
            max_candidates: 5_000,
            max_matches: 20,
        }
    }
}
