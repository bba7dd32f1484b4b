//! The `/metrics` endpoint: Prometheus' text exposition over plain HTTP/1.1, on a listener of its
//! own (`serve --metrics-listen`), with the store's gauges read as each scrape comes in.
//!
//! It has no TLS and no authentication: bind it to loopback or to an internal network that only
//! the Prometheus server reaches. What it shows is counts and timings, never a name, a token or
//! an identifier.
//!
//! A scrape reads what is cheap on the blocking pool (the data and durable versions, the audit
//! chain's length, the store's size on disk), sets those gauges and renders the recorder.
//! Counting the registry's subjects by status walks every subject and match record, which grows
//! with the registry: it is recounted in the background, when the registry changed and the last
//! count began at least [`RECOUNT_EVERY`] ago, and a scrape waits for it at most
//! [`RECOUNT_WAIT`] (the series keep the last count meanwhile).
//!
//! The store's gauges are set by each scrape from its own store just before it renders: in a
//! process with several servers (the tests), a scrape shows its own server's store, unless
//! another endpoint's scrape runs at the same instant.

use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::metrics::gauge;
use bytes::Bytes;
use http::{Method as HttpMethod, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::{AUDIT_EVENTS, DATA_VERSION, DURABLE_VERSION, REGISTRY_SUBJECTS, STORE_BYTES};
use crate::core::disclosure::Visibility;
use crate::core::model::Status;
use crate::store::{Store, StoreError};

/// The shortest time between two counts of the registry's subjects.
pub const RECOUNT_EVERY: Duration = Duration::from_secs(60);
/// How long a scrape waits for a count it started.
pub const RECOUNT_WAIT: Duration = Duration::from_secs(2);
/// Scrapers connected at once; more are closed at once.
const MAX_CONNECTIONS: usize = 16;
/// How long a connection may take to send a request's headers (and stay idle between requests).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The content type of Prometheus' text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("another metrics recorder is installed in this process")]
    Recorder,
}

/// The running endpoint; stopped (its listener closed, its connections cut) when dropped.
#[derive(Debug)]
pub struct Endpoint {
    task: JoinHandle<()>,
    stop: Arc<AtomicBool>,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.abort();
    }
}

/// Installs the recorder (once per process) and serves `/metrics` on `listener`, with the
/// gauges of `store`, until the returned [`Endpoint`] is dropped.
pub fn start(listener: TcpListener, store: Store) -> Result<Endpoint, EndpointError> {
    let handle = super::install().ok_or(EndpointError::Recorder)?;
    let stop = Arc::new(AtomicBool::new(false));
    let gauges = Arc::new(Gauges {
        store,
        stop: stop.clone(),
        counts: Mutex::new(Counts::default()),
    });
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving metrics at /metrics");
    }
    let task = tokio::spawn(accept(listener, gauges, handle));
    Ok(Endpoint { task, stop })
}

async fn accept(listener: TcpListener, gauges: Arc<Gauges>, handle: &'static PrometheusHandle) {
    // Dropped with this task: its connections end with it.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin.
                tracing::warn!(error = %e, "cannot accept a metrics connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if connections.len() >= MAX_CONNECTIONS {
            continue;
        }
        let gauges = gauges.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| respond(req, gauges.clone(), handle));
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(error = %e, "metrics connection ended");
            }
        });
    }
}

async fn respond(
    req: Request<Incoming>,
    gauges: Arc<Gauges>,
    handle: &'static PrometheusHandle,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/metrics" {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            "not found: metrics are at /metrics\n",
        ));
    }
    if req.method() != HttpMethod::GET && req.method() != HttpMethod::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n");
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    gauges.refresh().await;
    let mut r = Response::new(Full::new(Bytes::from(handle.render())));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(CONTENT_TYPE),
    );
    Ok(r)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The registry's subjects by status, as the registry holds them (every entry seen).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Subjects {
    clear: u64,
    barred: u64,
    under_investigation: u64,
}

#[derive(Debug, Default)]
struct Counts {
    last: Option<Subjects>,
    /// The data version the last count began at.
    counted_at_version: Option<u64>,
    began: Option<Instant>,
    /// The count running now, if any: turns true when it ends.
    running: Option<watch::Receiver<bool>>,
}

/// What a scrape reads of the store.
#[derive(Debug)]
struct Gauges {
    store: Store,
    /// Set when the endpoint stops: a count still running gives up.
    stop: Arc<AtomicBool>,
    counts: Mutex<Counts>,
}

/// The cheap readings of one scrape.
#[derive(Debug)]
struct Readings {
    data_version: u64,
    durable_version: u64,
    audit_events: u64,
    store_bytes: u64,
}

impl Gauges {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the store's gauges for the scrape under way.
    async fn refresh(self: &Arc<Self>) {
        let me = self.clone();
        let read = tokio::task::spawn_blocking(move || me.read()).await;
        let data_version = match read {
            Ok(Ok(r)) => {
                gauge!(DATA_VERSION).set(r.data_version as f64);
                gauge!(DURABLE_VERSION).set(r.durable_version as f64);
                gauge!(AUDIT_EVENTS).set(r.audit_events as f64);
                gauge!(STORE_BYTES).set(r.store_bytes as f64);
                Some(r.data_version)
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %crate::service::error::chain(&e), "cannot read the store's gauges for a scrape");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "the task reading the store's gauges failed");
                None
            }
        };
        if let Some(mut done) = data_version.and_then(|v| self.recount_if_due(v)) {
            let _ = tokio::time::timeout(RECOUNT_WAIT, done.wait_for(|d| *d)).await;
        }
        if let Some(s) = self.counts().last {
            gauge!(REGISTRY_SUBJECTS, "status" => "clear").set(s.clear as f64);
            gauge!(REGISTRY_SUBJECTS, "status" => "barred").set(s.barred as f64);
            gauge!(REGISTRY_SUBJECTS, "status" => "under_investigation")
                .set(s.under_investigation as f64);
        }
    }

    fn read(&self) -> Result<Readings, StoreError> {
        Ok(Readings {
            data_version: self.store.data_version()?,
            durable_version: self.store.durable().data_version,
            audit_events: self.store.audit_len(),
            store_bytes: bytes_under(self.store.path()),
        })
    }

    /// Starts a count of the subjects when one is due (see the module's documentation), and
    /// returns what to wait on for its end: the count running, if any.
    fn recount_if_due(self: &Arc<Self>, data_version: u64) -> Option<watch::Receiver<bool>> {
        let mut c = self.counts();
        if let Some(running) = &c.running {
            return Some(running.clone());
        }
        let changed = c.counted_at_version != Some(data_version);
        let rested = c.began.is_none_or(|t| t.elapsed() >= RECOUNT_EVERY);
        if !(changed && rested) {
            return None;
        }
        let (ended, done) = watch::channel(false);
        c.running = Some(done.clone());
        c.began = Some(Instant::now());
        c.counted_at_version = Some(data_version);
        drop(c);
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let counted = count_subjects(&me.store, &me.stop);
            let mut c = me.counts();
            match counted {
                Ok(Some(s)) => c.last = Some(s),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %crate::service::error::chain(&e), "cannot count the registry's subjects");
                }
            }
            c.running = None;
            drop(c);
            ended.send_replace(true);
        });
        Some(done)
    }
}

/// Counts the subjects by status; `None` when `stop` was set part of the way.
fn count_subjects(store: &Store, stop: &AtomicBool) -> Result<Option<Subjects>, StoreError> {
    let mut s = Subjects::default();
    for (i, facts) in store.listed_facts().enumerate() {
        if i % 4096 == 0 && stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        match facts?.status(Visibility::Full) {
            Status::Barred => s.barred += 1,
            Status::UnderInvestigation => s.under_investigation += 1,
            Status::Clear => {}
        }
    }
    let all = store.subject_count() as u64;
    s.clear = all.saturating_sub(s.barred + s.under_investigation);
    Ok(Some(s))
}

/// Bytes of the files under `dir`, recursively; what cannot be read counts nothing.
fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => bytes_under(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}
