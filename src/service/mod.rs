//! The operations, in plain Rust: what the gRPC layer (and the command line) calls. Each
//! validates its input, applies the rules of [`crate::core`] and writes through the store in
//! one transaction with its audit event.
//!
//! - [`registry`]: recording people, listings, investigations; the lifecycle rules.
//! - [`check`]: finding who an applicant may be, deciding the outcome, auditing it.
//! - [`audit`]: reading and verifying the audit trail.
//! - [`backup`]: the cut of an online backup, audited.
//! - [`error`]: the operations' error.

pub mod audit;
pub mod backup;
pub mod check;
pub mod error;
pub mod monitoring;
#[cfg(test)]
mod projector_tests;
pub mod refusals;
pub mod registry;

use crate::core::clock::Clock;
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
    /// The alert projector's cursor once durable: alerts raised by change-log records up to it
    /// survive any crash, and are the ones streamed. Subscribers wait on it.
    pub alerts: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// The server's keys: a monitoring re-check sees what its enrolling key's scopes allow now
    /// ([`Vetting::enrolling_view`]). Set by the server; without it (a library user) re-checks
    /// see the barred list only.
    pub keys: Option<std::sync::Arc<crate::auth::Keys>>,
}

/// What must be durable before an answer goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Nothing was written.
    Nothing,
    /// A registry write: everything committed before now.
    Commit,
    /// A journaled audit event (a check, an audited read) whose answer rests on the registry
    /// at this data version: the registry up to it (an answer must not outlive the state it
    /// reported), and, when the store syncs checks, the event itself.
    Seen(u64),
}

impl Vetting {
    /// Waits until what `d` names is on disk; the writers waiting at once share one flush.
    pub async fn until_durable(&self, d: Durability) -> crate::service::error::Result<()> {
        let store = &self.store;
        match d {
            Durability::Nothing => Ok(()),
            Durability::Commit => Ok(store.commit_durable().await?),
            Durability::Seen(_) if store.syncs_checks() => Ok(store.commit_durable().await?),
            Durability::Seen(v) => Ok(store.durable_at(v).await?),
        }
    }

    /// Runs the alert projector until `stop` turns true: each durable change-log record is
    /// projected once ([`Vetting::project_changes`]); once its alerts are durable, subscribers
    /// are woken. Woken itself by the store's durability notices (no polling but a slow
    /// heartbeat that retries after an error).
    pub async fn run_projector(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut durable = self.store.subscribe_durable();
        loop {
            if *stop.borrow() {
                return;
            }
            let v = self.clone();
            let step = tokio::task::spawn_blocking(move || {
                let r = v.project_changes();
                (r, v.store.projector_cursor())
            })
            .await;
            let mut more = false;
            match step {
                Ok((Ok((read, raised)), Ok(cursor))) => {
                    more = read == monitoring::PROJECT_BATCH;
                    if read > 0 {
                        if raised > 0 {
                            tracing::info!(raised, "alerts raised");
                        }
                        match self.store.commit_durable().await {
                            Ok(()) => {
                                self.alerts.send_if_modified(|c| {
                                    let changed = *c != cursor;
                                    *c = cursor;
                                    changed
                                });
                            }
                            Err(e) => {
                                tracing::warn!(error = %error::chain(&e), "alert projector: not durable")
                            }
                        }
                    }
                }
                Ok((Err(e), _)) => tracing::warn!(error = %error::chain(&e), "alert projector"),
                Ok((_, Err(e))) => tracing::warn!(error = %error::chain(&e), "alert projector"),
                Err(e) => tracing::warn!(error = %e, "alert projector task"),
            }
            if more {
                continue;
            }
            tokio::select! {
                r = durable.changed() => if r.is_err() { return },
                _ = stop.changed() => {},
                () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {},
            }
        }
    }

    /// The registry's version now.
    pub fn data_version(&self) -> crate::service::error::Result<u64> {
        Ok(self.store.data_version()?)
    }

    pub fn new(store: Store, clock: Clock) -> Self {
        // What the store holds when it opens is durable.
        let cursor = store.projector_cursor().unwrap_or(0);
        Self {
            alerts: std::sync::Arc::new(tokio::sync::watch::Sender::new(cursor)),
            store,
            clock,
            match_config: MatchConfig::default(),
            max_candidates: 5_000,
            max_matches: 20,
            keys: None,
        }
    }
}
