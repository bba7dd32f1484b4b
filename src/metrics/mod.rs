//! Metrics: the process's one Prometheus recorder, the names and label sets of every series, and
//! the functions the rest of the service calls to count and to time.
//!
//! Recording is a leaf: [`check_answered`], [`refused`], [`timed`] and the gRPC layer
//! ([`grpc`]) use nothing of the service above `core` (and the generated descriptors), so the
//! store, the operations and the API call them without pointing upwards. [`endpoint`] serves
//! `/metrics` and reads the store as each scrape comes in; only [`crate::server`] starts it.
//!
//! Until [`install`] runs (`serve --metrics-listen` calls it) every call here goes to the
//! `metrics` crate's no-op recorder. Once installed, the recorder holds the whole process's
//! series: several servers in one process (the tests) add into the same counters.
//!
//! No label holds anything a caller sent or a record holds: every label value comes from a fixed
//! set (the methods served, the gRPC codes, the outcomes, the refusal reasons, the statuses), and
//! a path that is not a method served is labelled `unknown`, so a hostile client can neither
//! put its bytes into the exposition nor grow the number of series.

pub mod endpoint;
pub mod grpc;

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ::metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::auth::AuthError;
use crate::core::model::Outcome;

/// RPCs started, by `grpc_service`, `grpc_method`, `grpc_type`.
pub const STARTED: &str = "grpc_server_started_total";
/// RPCs finished, by `grpc_service`, `grpc_method`, `grpc_type`, `grpc_code`.
pub const HANDLED: &str = "grpc_server_handled_total";
/// Seconds from an RPC's start to its status, by `grpc_service`, `grpc_method`, `grpc_type`.
pub const HANDLING_SECONDS: &str = "grpc_server_handling_seconds";
/// Messages received, by `grpc_service`, `grpc_method`, `grpc_type`.
pub const MSG_RECEIVED: &str = "grpc_server_msg_received_total";
/// Messages sent, by `grpc_service`, `grpc_method`, `grpc_type`.
pub const MSG_SENT: &str = "grpc_server_msg_sent_total";
/// Streaming RPCs open now, by `grpc_service`, `grpc_method`.
pub const OPEN_STREAMS: &str = "vetting_open_streams";
/// Checks answered, by `outcome`.
pub const CHECKS: &str = "vetting_checks_total";
/// Calls refused before their handler, by `reason`.
pub const REFUSED: &str = "vetting_refused_calls_total";
/// Refused calls left out of the audit trail by its rate limit.
pub const AUDIT_REFUSALS_DROPPED: &str = "vetting_audit_refusals_dropped_total";
/// Subjects in the registry, by `status` (counted in the background; see [`endpoint`]).
pub const REGISTRY_SUBJECTS: &str = "vetting_registry_subjects";
/// Events in the audit chain, those still in the check journal included.
pub const AUDIT_EVENTS: &str = "vetting_audit_events";
/// The registry's data version.
pub const DATA_VERSION: &str = "vetting_data_version";
/// The data version on disk.
pub const DURABLE_VERSION: &str = "vetting_durable_version";
/// Bytes of the store's directory on disk, the check journal included.
pub const STORE_BYTES: &str = "vetting_store_bytes";
/// Seconds of each flush of the store.
pub const FLUSH_SECONDS: &str = "vetting_flush_seconds";
/// Seconds of each sync of the check journal.
pub const JOURNAL_SYNC_SECONDS: &str = "vetting_journal_sync_seconds";
/// 1, with the build's `version`.
pub const BUILD_INFO: &str = "vetting_build_info";
/// When the metrics were installed (at `serve`'s start), in seconds since the Unix epoch.
pub const PROCESS_START: &str = "process_start_time_seconds";

/// Upper bounds of the histograms' buckets, in seconds: 50 µs (an empty call, a journal write)
/// to 30 s (the default request timeout).
pub const SECONDS_BUCKETS: [f64; 18] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The `outcome` label of each [`Outcome`].
pub fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Clear => "clear",
        Outcome::Barred => "barred",
        Outcome::UnderInvestigation => "under_investigation",
        Outcome::Refer => "refer",
    }
}

const OUTCOMES: [Outcome; 4] = [
    Outcome::Clear,
    Outcome::Barred,
    Outcome::UnderInvestigation,
    Outcome::Refer,
];

/// The refusal reasons exported at zero from the start, so that a dashboard sees each series
/// before the first refusal. [`refused`] takes any `&'static str`: a reason is always a
/// constant of the code, never a caller's text.
pub const REFUSAL_REASONS: [&str; 4] = [
    "missing_token",
    "unknown_token",
    "wrong_role",
    "revoked_key",
];

/// Counts a check answered (its audit event recorded) with `outcome`.
pub fn check_answered(outcome: Outcome) {
    counter!(CHECKS, "outcome" => outcome_label(outcome)).increment(1);
}

/// Counts a call refused for `reason` (`missing_token`, `unknown_token`, `revoked_key`,
/// `wrong_role`): a constant, never text from the request.
pub fn refused(reason: &'static str) {
    counter!(REFUSED, "reason" => reason).increment(1);
}

/// Counts the refusal `e` of a bearer token or role; an unreadable key file is the server's
/// fault, not a refusal, and is not counted.
pub fn refused_by(e: &AuthError) {
    let reason = match e {
        AuthError::Missing => "missing_token",
        AuthError::Unknown => "unknown_token",
        AuthError::Revoked | AuthError::RevokedToken { .. } => "revoked_key",
        AuthError::Forbidden { .. } => "wrong_role",
        AuthError::KeyNotFound(_)
        | AuthError::AlreadyRevoked(_)
        | AuthError::BadOrganisation
        | AuthError::ScopesForRole { .. }
        | AuthError::Io { .. }
        | AuthError::Corrupt { .. } => return,
    };
    refused(reason);
}

/// Counts `n` refused calls that the audit trail's rate limit left out.
pub fn audit_refusals_dropped(n: u64) {
    counter!(AUDIT_REFUSALS_DROPPED).increment(n);
}

/// What [`timed`] times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// sled's `Db::flush` ([`FLUSH_SECONDS`]).
    Flush,
    /// The check journal's `fdatasync` ([`JOURNAL_SYNC_SECONDS`]).
    JournalSync,
}

/// Runs `f` and records how long it took, failed or not.
pub fn timed<T>(what: Timing, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let t = f();
    let name = match what {
        Timing::Flush => FLUSH_SECONDS,
        Timing::JournalSync => JOURNAL_SYNC_SECONDS,
    };
    ::metrics::histogram!(name).record(started.elapsed());
    t
}

/// How often the recorder's histograms are drained when nobody scrapes, so that their samples
/// do not pile up between scrapes (the exporter keeps raw samples until then).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder for the whole process, once; later calls return the same
/// handle. `None` when another recorder was installed first (nothing in this crate does).
pub fn install() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(build_and_install).as_ref()
}

fn build_and_install() -> Option<PrometheusHandle> {
    let builder = [HANDLING_SECONDS, FLUSH_SECONDS, JOURNAL_SYNC_SECONDS]
        .into_iter()
        .try_fold(PrometheusBuilder::new(), |b, name| {
            b.set_buckets_for_metric(Matcher::Full(name.to_owned()), &SECONDS_BUCKETS)
        });
    let recorder = match builder {
        Ok(b) => b.build_recorder(),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the metrics recorder");
            return None;
        }
    };
    let handle = recorder.handle();
    if ::metrics::set_global_recorder(recorder).is_err() {
        tracing::error!("another metrics recorder is installed in this process");
        return None;
    }
    describe();
    let upkeep = handle.clone();
    let started = std::thread::Builder::new()
        .name("vetting-metrics".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histograms are drained only by scrapes");
    }
    Some(handle)
}

/// Help text of every series, and the fixed-set series at zero.
fn describe() {
    describe_counter!(STARTED, "RPCs started on the server.");
    describe_counter!(
        HANDLED,
        "RPCs completed on the server, by gRPC status code (CANCELLED: the client went away)."
    );
    describe_histogram!(
        HANDLING_SECONDS,
        Unit::Seconds,
        "Seconds from an RPC's start to its status (for a stream, its whole life)."
    );
    describe_counter!(MSG_RECEIVED, "gRPC messages received from clients.");
    describe_counter!(MSG_SENT, "gRPC messages sent to clients.");
    describe_gauge!(OPEN_STREAMS, "Streaming RPCs open now.");
    describe_counter!(CHECKS, "Checks answered, by outcome.");
    describe_counter!(
        REFUSED,
        "Calls refused before their handler: no token, an unknown or revoked one, the wrong role."
    );
    describe_counter!(
        AUDIT_REFUSALS_DROPPED,
        "Refused calls left out of the audit trail by its per-peer rate limit."
    );
    describe_gauge!(
        REGISTRY_SUBJECTS,
        "Subjects in the registry by status as the registry holds it (recounted at most once a minute, when it changed)."
    );
    describe_gauge!(
        AUDIT_EVENTS,
        "Events in the audit chain, those still in the check journal included."
    );
    describe_gauge!(DATA_VERSION, "The registry's data version.");
    describe_gauge!(DURABLE_VERSION, "The registry's data version on disk.");
    describe_gauge!(
        STORE_BYTES,
        Unit::Bytes,
        "Bytes of the store's directory on disk, the check journal included."
    );
    describe_histogram!(
        FLUSH_SECONDS,
        Unit::Seconds,
        "Seconds of each flush of the store (one per group-commit round or checkpoint)."
    );
    describe_histogram!(
        JOURNAL_SYNC_SECONDS,
        Unit::Seconds,
        "Seconds of each sync of the check journal."
    );
    describe_gauge!(BUILD_INFO, "1, labelled with the build's version.");
    describe_gauge!(
        PROCESS_START,
        Unit::Seconds,
        "When the server started, in seconds since the Unix epoch."
    );
    for o in OUTCOMES {
        counter!(CHECKS, "outcome" => outcome_label(o)).increment(0);
    }
    for r in REFUSAL_REASONS {
        counter!(REFUSED, "reason" => r).increment(0);
    }
    counter!(AUDIT_REFUSALS_DROPPED).increment(0);
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    gauge!(PROCESS_START).set(now);
}
