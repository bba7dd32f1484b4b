//! Refused calls on the record (Data Protection Act 2018 s.62: attempted access is what an
//! auditor looks for). Each refused call (no token, an unknown or revoked token, the wrong role)
//! is logged and audited as an event of its own, `refused_call`, at a bounded rate: a flood of
//! bad tokens must not grow the audit trail, or the log, without limit. What the rate leaves out
//! is counted, per peer, and written as one `refused_calls_not_recorded` event a minute while
//! it lasts (and at shutdown).
//!
//! The rate is a token bucket per peer address (a burst of [`PEER_BURST`], then one every
//! [`PEER_REFILL_MS`]), inside one for all peers together ([`ALL_BURST`], [`ALL_REFILL_MS`]).
//! At most [`MAX_PEERS`] peers have buckets of their own; the rest share one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use crate::core::chain::{AuditEntry, CallContext};
use crate::service::Vetting;
use crate::service::error::chain;

/// Refused calls from one peer recorded one by one before the rate applies.
pub const PEER_BURST: f64 = 20.0;
/// Then one a peer every this many milliseconds (ten a minute).
pub const PEER_REFILL_MS: f64 = 6_000.0;
/// Refused calls from all peers recorded one by one before the overall rate applies.
pub const ALL_BURST: f64 = 200.0;
/// Then one every this many milliseconds, over all peers (ten a second).
pub const ALL_REFILL_MS: f64 = 100.0;
/// Peers with a bucket of their own; more share one, so that many addresses cannot grow the
/// table without limit.
pub const MAX_PEERS: usize = 4096;

/// Why a call was refused, as the audit trail and the metrics name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    MissingToken,
    UnknownToken,
    RevokedKey,
    WrongRole,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::UnknownToken => "unknown_token",
            Self::RevokedKey => "revoked_key",
            Self::WrongRole => "wrong_role",
        }
    }
}

/// One refused call.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub reason: Reason,
    /// `package.Service/Method` (or `.../unknown`); never a raw path from the caller.
    pub method: String,
    pub peer: Option<SocketAddr>,
    /// The key, when the token named one (revoked, or of the wrong role).
    pub key_id: String,
    pub organisation: String,
    pub role: String,
    pub client_certificate: Option<String>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
    /// Refused calls not recorded one by one since the last summary.
    dropped: u64,
}

impl Bucket {
    fn full(burst: f64, at_ms: i64) -> Self {
        Self {
            tokens: burst,
            at_ms,
            dropped: 0,
        }
    }

    fn take(&mut self, now_ms: i64, burst: f64, refill_ms: f64) -> bool {
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        self.tokens = (self.tokens + elapsed / refill_ms).min(burst);
        self.at_ms = now_ms;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Where a peer's refusals are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum PeerKey {
    Ip(IpAddr),
    /// No address known, or more peers than [`MAX_PEERS`].
    Others,
}

impl std::fmt::Display for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Others => f.write_str("other peers"),
        }
    }
}

#[derive(Debug, Default)]
struct Limiter {
    all: Option<Bucket>,
    peers: HashMap<PeerKey, Bucket>,
}

/// What happened to one refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Logged and audited.
    Yes,
    /// Over the rate: counted for the next summary.
    Counted,
}

/// The server's record of refused calls. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Refusals {
    vetting: Vetting,
    limiter: Mutex<Limiter>,
}

impl Refusals {
    pub fn new(vetting: Vetting) -> Self {
        Self {
            vetting,
            limiter: Mutex::new(Limiter::default()),
        }
    }

    /// Logs and audits `r`, or counts it when its peer (or everyone) is over the rate.
    pub fn refused(&self, r: &Refusal) -> Recorded {
        let now = self.vetting.clock.now_ms();
        let admitted = {
            let mut l = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
            let key = match r.peer {
                Some(a)
                    if l.peers.len() < MAX_PEERS || l.peers.contains_key(&PeerKey::Ip(a.ip())) =>
                {
                    PeerKey::Ip(a.ip())
                }
                _ => PeerKey::Others,
            };
            let peer = l
                .peers
                .entry(key)
                .or_insert_with(|| Bucket::full(PEER_BURST, now));
            let mine = peer.take(now, PEER_BURST, PEER_REFILL_MS);
            if !mine {
                peer.dropped += 1;
            }
            let all = l.all.get_or_insert_with(|| Bucket::full(ALL_BURST, now));
            let ours = mine && all.take(now, ALL_BURST, ALL_REFILL_MS);
            if mine
                && !ours
                && let Some(peer) = l.peers.get_mut(&key)
            {
                peer.dropped += 1;
            }
            ours
        };
        if !admitted {
            crate::metrics::audit_refusals_dropped(1);
            return Recorded::Counted;
        }
        let peer = r.peer.map(|p| p.to_string()).unwrap_or_default();
        tracing::warn!(
            method = %r.method,
            reason = r.reason.as_str(),
            key_id = %r.key_id,
            peer = %peer,
            "call refused"
        );
        let entry = AuditEntry {
            key_id: r.key_id.clone(),
            organisation: r.organisation.clone(),
            role: r.role.clone(),
            action: "refused_call".into(),
            context: CallContext {
                method: r.method.clone(),
                peer,
                client_certificate: r.client_certificate.clone().unwrap_or_default(),
                refusal: r.reason.as_str().into(),
                refusals_not_recorded: 0,
            },
            ..AuditEntry::default()
        };
        if let Err(e) = self.vetting.store.record(now, entry) {
            tracing::error!(error = %chain(&e), "a refused call could not be audited");
        }
        Recorded::Yes
    }

    /// Writes one `refused_calls_not_recorded` event for each peer whose refusals went over the
    /// rate since the last summary; forgets peers whose buckets are full again. Returns how
    /// many refusals the summaries count.
    pub fn summarise(&self) -> u64 {
        let now = self.vetting.clock.now_ms();
        let due: Vec<(PeerKey, u64)> = {
            let mut l = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
            let due = l
                .peers
                .iter_mut()
                .filter(|(_, b)| b.dropped > 0)
                .map(|(k, b)| (*k, std::mem::take(&mut b.dropped)))
                .collect();
            l.peers.retain(|_, b| {
                let idle = (now - b.at_ms).max(0) as f64;
                b.dropped > 0 || b.tokens + idle / PEER_REFILL_MS < PEER_BURST
            });
            due
        };
        let mut total = 0;
        for (peer, n) in due {
            total += n;
            tracing::warn!(
                peer = %peer,
                not_recorded = n,
                "refused calls over the rate, counted but not recorded one by one"
            );
            let entry = AuditEntry {
                action: "refused_calls_not_recorded".into(),
                context: CallContext {
                    peer: peer.to_string(),
                    refusals_not_recorded: n,
                    ..CallContext::default()
                },
                ..AuditEntry::default()
            };
            if let Err(e) = self.vetting.store.record(now, entry) {
                tracing::error!(error = %chain(&e), "a summary of refused calls could not be audited");
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::Clock;
    use crate::store::{Store, StoreOptions};

    fn refusal(peer: &str, reason: Reason) -> Refusal {
        Refusal {
            reason,
            method: "vetting.v1.CheckService/Check".into(),
            peer: Some(peer.parse().unwrap()),
            key_id: String::new(),
            organisation: String::new(),
            role: String::new(),
            client_certificate: None,
        }
    }

    fn refusals(dir: &std::path::Path, clock: Clock) -> Refusals {
        let store = Store::open(&dir.join("store"), StoreOptions::default()).unwrap();
        Refusals::new(Vetting::new(store, clock))
    }

    fn events_of(r: &Refusals, action: &str) -> Vec<CallContext> {
        r.vetting.store.settle_audit().unwrap();
        r.vetting
            .store
            .audit_from(1)
            .filter_map(|e| e.unwrap().1)
            .filter(|e| e.entry.action == action)
            .map(|e| e.entry.context)
            .collect()
    }

    #[test]
    fn a_flood_from_one_peer_is_recorded_up_to_its_burst_then_summed_up() {
        let dir = tempfile::tempdir().unwrap();
        let r = refusals(dir.path(), Clock::fixed(1_000_000));
        let mut recorded = 0;
        for _ in 0..1000 {
            if r.refused(&refusal("192.0.2.1:5000", Reason::UnknownToken)) == Recorded::Yes {
                recorded += 1;
            }
        }
        assert_eq!(recorded, PEER_BURST as usize);
        // Another peer still has its own burst.
        assert_eq!(
            r.refused(&refusal("192.0.2.2:5000", Reason::MissingToken)),
            Recorded::Yes
        );
        let one_by_one = events_of(&r, "refused_call");
        assert_eq!(one_by_one.len(), PEER_BURST as usize + 1);
        assert_eq!(one_by_one[0].refusal, "unknown_token");
        assert_eq!(one_by_one[0].peer, "192.0.2.1:5000");
        assert_eq!(one_by_one[0].method, "vetting.v1.CheckService/Check");
        assert_eq!(r.summarise(), 1000 - PEER_BURST as u64);
        let summaries = events_of(&r, "refused_calls_not_recorded");
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].peer, "192.0.2.1");
        assert_eq!(summaries[0].refusals_not_recorded, 1000 - PEER_BURST as u64);
        // Nothing more to sum up.
        assert_eq!(r.summarise(), 0);
        assert_eq!(events_of(&r, "refused_calls_not_recorded").len(), 1);
    }

    #[test]
    fn a_peer_is_recorded_again_as_its_bucket_refills() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::fixed(1_000_000);
        let r = refusals(dir.path(), clock.clone());
        for _ in 0..PEER_BURST as usize {
            assert_eq!(
                r.refused(&refusal("192.0.2.1:1", Reason::WrongRole)),
                Recorded::Yes
            );
        }
        assert_eq!(
            r.refused(&refusal("192.0.2.1:1", Reason::WrongRole)),
            Recorded::Counted
        );
        clock.advance_ms(PEER_REFILL_MS as i64);
        assert_eq!(
            r.refused(&refusal("192.0.2.1:2", Reason::WrongRole)),
            Recorded::Yes
        );
        assert_eq!(
            r.refused(&refusal("192.0.2.1:3", Reason::WrongRole)),
            Recorded::Counted
        );
    }

    #[test]
    fn many_peers_cannot_grow_the_trail_past_the_overall_rate() {
        let dir = tempfile::tempdir().unwrap();
        let r = refusals(dir.path(), Clock::fixed(1_000_000));
        let mut recorded = 0u64;
        let mut calls = 0u64;
        for a in 0..=255u8 {
            for b in 0..40u8 {
                calls += 1;
                let peer = format!("10.{a}.{b}.1:9");
                if r.refused(&refusal(&peer, Reason::UnknownToken)) == Recorded::Yes {
                    recorded += 1;
                }
            }
        }
        assert_eq!(recorded, ALL_BURST as u64);
        let l = r.limiter.lock().unwrap();
        assert!(l.peers.len() <= MAX_PEERS + 1, "{} peers", l.peers.len());
        drop(l);
        assert_eq!(
            r.summarise(),
            calls - recorded,
            "every refusal is counted somewhere"
        );
    }
}
