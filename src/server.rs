//! Serving: the services with their roles, health and reflection, limits, graceful shutdown;
//! over plaintext or TLS ([`crate::tls`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::api::admin::AdminApi;
use crate::api::audit::AuditApi;
use crate::api::check::CheckApi;
use crate::api::monitoring::MonitoringApi;
use crate::api::registry::RegistryApi;
use crate::api::{Streams, authorizer};
use crate::auth::{Keys, Role};
use crate::pb::{
    self, admin_service_server::AdminServiceServer, audit_service_server::AuditServiceServer,
    check_service_server::CheckServiceServer, monitoring_service_server::MonitoringServiceServer,
    registry_service_server::RegistryServiceServer,
};
use crate::service::Vetting;
use crate::service::error::chain;
use crate::service::refusals::Refusals;

/// Limits and timings of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// Most requests served at once, over all connections.
    pub concurrency: usize,
    /// Longest a unary call may take.
    pub request_timeout: Duration,
    /// How long in-flight calls may drain at shutdown before they are cut.
    pub shutdown_grace: Duration,
    /// How long the server goes on serving at shutdown, health answering NOT_SERVING, before
    /// it drains (so that health checks see NOT_SERVING, not a refused connection).
    pub shutdown_notice: Duration,
    /// Most streams (CheckBatch) open at once, over all connections.
    pub max_streams: usize,
    /// Most calls open at once on one connection (HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`).
    pub max_calls_per_connection: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 4 * 1024 * 1024,
            concurrency: 256,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            shutdown_notice: Duration::from_secs(2),
            max_streams: 1024,
            max_calls_per_connection: 128,
        }
    }
}

const SERVICES: [&str; 5] = [
    "vetting.v1.RegistryService",
    "vetting.v1.CheckService",
    "vetting.v1.MonitoringService",
    "vetting.v1.AuditService",
    "vetting.v1.AdminService",
];

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("transport")]
    Transport(#[from] tonic::transport::Error),
    #[error("listener")]
    Io(#[from] std::io::Error),
    #[error("store")]
    Store(#[from] crate::store::StoreError),
    #[error("metrics")]
    Metrics(#[from] crate::metrics::endpoint::EndpointError),
}

/// What `serve_on` accepts connections on.
#[derive(Debug)]
pub enum Incoming {
    Plain(TcpListener),
    /// TLS (mTLS when `Tls` has a client CA), its files watched while serving.
    Tls(TcpListener, crate::tls::Tls),
}

/// Serves plaintext on `listener`: [`serve_on`].
pub async fn serve(
    vetting: Vetting,
    keys: Arc<Keys>,
    listener: TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_with_metrics(vetting, keys, listener, None, limits, shutdown).await
}

/// [`serve`], and Prometheus metrics at `/metrics` on `metrics` (plain HTTP) until it returns.
pub async fn serve_with_metrics(
    vetting: Vetting,
    keys: Arc<Keys>,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_on(
        vetting,
        keys,
        Incoming::Plain(listener),
        metrics,
        limits,
        shutdown,
    )
    .await
}

/// Serves on `incoming` until `shutdown` resolves (and Prometheus metrics at `/metrics` on
/// `metrics`, plain HTTP, until it returns); then reports NOT_SERVING, drains in-flight calls for
/// at most `limits.shutdown_grace`, and flushes the store.
pub async fn serve_on(
    vetting: Vetting,
    keys: Arc<Keys>,
    incoming: Incoming,
    metrics: Option<TcpListener>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (listener, tls) = match incoming {
        Incoming::Plain(l) => (l, None),
        Incoming::Tls(l, tls) => (l, Some(tls)),
    };
    let addr: SocketAddr = listener.local_addr()?;
    // Stopped when this returns.
    let _metrics = metrics
        .map(|l| crate::metrics::endpoint::start(l, vetting.store.clone()))
        .transpose()?;
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    for s in SERVICES {
        reporter.set_service_status(s, ServingStatus::Serving).await;
    }
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let max = limits.max_message_bytes;
    let refusals = Arc::new(Refusals::new(vetting.clone()));
    // Set when the grace period is over: open streams end then, not when their clients do.
    let (cut, cut_rx) = tokio::sync::watch::channel(false);
    // Set when the drain begins: alert streams, which never end of themselves, end then.
    let (drain, drain_rx) = tokio::sync::watch::channel(false);
    // Stopped when serving ends, however it ends.
    let (projector_stop, projector_stop_rx) = tokio::sync::watch::channel(false);
    let mut vetting = vetting;
    vetting.keys = Some(keys.clone());
    let projector = tokio::spawn(vetting.clone().run_projector(projector_stop_rx));
    let registry = InterceptedService::new(
        RegistryServiceServer::new(RegistryApi::new(vetting.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max),
        authorizer(keys.clone(), refusals.clone(), &[Role::Registrar]),
    );
    let check = InterceptedService::new(
        CheckServiceServer::new(CheckApi::new(
            vetting.clone(),
            keys.clone(),
            refusals.clone(),
            Streams::new(limits.max_streams),
            cut_rx.clone(),
        ))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max),
        authorizer(
            keys.clone(),
            refusals.clone(),
            &[Role::Checker, Role::Public],
        ),
    );
    let monitoring = InterceptedService::new(
        MonitoringServiceServer::new(MonitoringApi::new(
            vetting.clone(),
            keys.clone(),
            Streams::new(limits.max_streams),
            drain_rx.clone(),
        ))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max),
        authorizer(keys.clone(), refusals.clone(), &[Role::Checker]),
    );
    let audit = InterceptedService::new(
        AuditServiceServer::new(AuditApi::new(vetting.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(max),
        authorizer(keys.clone(), refusals.clone(), &[Role::Auditor]),
    );
    let admin = InterceptedService::new(
        AdminServiceServer::new(AdminApi::new(
            vetting.clone(),
            keys.clone(),
            cut_rx.clone(),
            max,
        ))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max),
        authorizer(keys, refusals.clone(), &[Role::Admin]),
    );

    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let router = Server::builder()
        .timeout(limits.request_timeout)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_concurrent_streams(limits.max_calls_per_connection)
        // Outside the limit: a call's time includes its wait for a permit. It also names the
        // call for the interceptors (`api::called_method`).
        .layer(crate::metrics::grpc::GrpcMetricsLayer)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.concurrency,
        ))
        .layer(tower::util::MapResponseLayer::new(
            crate::api::status::size_limit_convention,
        ))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(registry)
        .add_service(check)
        .add_service(monitoring)
        .add_service(audit)
        .add_service(admin);
    let stopped = async {
        let _ = stop_rx.await;
    };
    let transport = match &tls {
        None => "plaintext",
        Some(t) if t.mutual() => "mTLS",
        Some(_) => "TLS",
    };
    // Without TLS there is nothing to reload, but SIGHUP (systemd's `ExecReload`) must not end
    // the process, as its default action would.
    let hangups = match tls {
        // Registered here, not in the task: a SIGHUP after "serving" is logged is seen.
        None => tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .ok()
            .map(|mut hup| {
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        tracing::info!("SIGHUP: nothing to reload (no TLS files)");
                    }
                })
            }),
        Some(_) => None,
    };
    let server = match tls {
        None => router
            .serve_with_incoming_shutdown(incoming, stopped)
            .boxed(),
        Some(tls) => router
            .serve_with_incoming_shutdown(tls.incoming(incoming), stopped)
            .boxed(),
    };
    // Stopped however `serve` returns, so that the runtime does not wait for it at exit.
    let stop_warming = SetOnDrop(Arc::new(AtomicBool::new(false)));
    let warming = {
        let (store, stop) = (vetting.store.clone(), stop_warming.0.clone());
        let today = vetting.clock.today();
        tokio::task::spawn_blocking(move || warm_cache(&store, today, &stop))
    };
    // Refused calls over the rate are summed up once a minute (and once more at the end).
    let summaries = {
        let refusals = refusals.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(REFUSAL_SUMMARY_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                refusals.summarise();
            }
        })
    };
    tracing::info!(%addr, transport, "serving");
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r?,
        () = shutdown => {
            tracing::info!(
                notice_ms = u64::try_from(limits.shutdown_notice.as_millis()).unwrap_or(u64::MAX),
                "shutting down: NOT_SERVING, still serving for the notice period, then draining"
            );
            stop_warming.0.store(true, Ordering::Relaxed);
            reporter.set_service_status("", ServingStatus::NotServing).await;
            for s in SERVICES {
                reporter.set_service_status(s, ServingStatus::NotServing).await;
            }
            // Health checkers and load balancers see NOT_SERVING (rather than connections
            // refused) and send new calls elsewhere; calls that still come are served.
            let noticed = tokio::select! {
                r = &mut server => Some(r),
                () = tokio::time::sleep(limits.shutdown_notice) => None,
            };
            if let Some(r) = noticed {
                r?;
            }
            let _ = stop_tx.send(());
            drain.send_replace(true);
            match tokio::time::timeout(limits.shutdown_grace, &mut server).await {
                Ok(r) => r?,
                Err(_) => {
                    tracing::warn!(
                        grace_secs = limits.shutdown_grace.as_secs(),
                        "calls still open after the grace period are cut"
                    );
                    cut.send_replace(true);
                    // The cut streams' last messages go out; connections that still do not
                    // close are dropped with the server.
                    if let Ok(r) = tokio::time::timeout(CUT_GRACE, &mut server).await {
                        r?;
                    }
                }
            }
        }
    }
    summaries.abort();
    projector_stop.send_replace(true);
    let _ = tokio::time::timeout(CUT_GRACE, projector).await;
    if let Some(h) = hangups {
        h.abort();
    }
    refusals.summarise();
    drop(stop_warming);
    if let Err(e) = warming.await {
        tracing::error!(error = %e, "the page-cache warm-up task failed");
    }
    let store = vetting.store.clone();
    tokio::task::spawn_blocking(move || store.checkpoint())
        .await
        .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
    tracing::info!("store flushed; stopped");
    Ok(())
}

/// HTTP/2 flow-control windows. h2 (0.4.16 and later) closes a connection with GOAWAY
/// `ENHANCE_YOUR_CALM` "too_many_data_frames" when the small DATA frames it holds unread cost more
/// than half the connection window (each frame under 256 bytes costs 256 less its length). A batch
/// client sends each request (about 80 bytes) in a frame of its own; with hyper's default 1 MiB
/// stream window, a client that sends faster than checks run filled the window with about 12,000
/// frames, three times the budget. A 16 KiB stream window stops the sender at about 200 frames
/// (40 KiB of budget of 512 KiB), so a connection can hold a dozen stalled batches.
const STREAM_WINDOW: u32 = 16 * 1024;
const CONNECTION_WINDOW: u32 = 1024 * 1024;

/// How often refused calls over the rate are written up as one summary event per peer.
const REFUSAL_SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// How long the connections of cut streams have to close before they are dropped.
const CUT_GRACE: Duration = Duration::from_secs(1);

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Fills sled's page cache with what checks read, beside serving, and says how it went: the
/// first checks after a start otherwise wait for page reads (their lookups took twice as long at
/// a million listed people; see the README's Performance).
fn warm_cache(store: &crate::store::Store, today: crate::core::identity::Date, stop: &AtomicBool) {
    let started = std::time::Instant::now();
    match store.warm_cache_on(Some(today), || stop.load(Ordering::Relaxed)) {
        Ok(w) if w.complete => tracing::info!(
            entries = w.entries,
            mib = w.bytes >> 20,
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "page cache warmed with what checks read and write"
        ),
        Ok(_) if stop.load(Ordering::Relaxed) => {}
        Ok(w) => tracing::warn!(
            mib = w.bytes >> 20,
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "the page cache filled (by estimate) before all that checks read was in it: checks \
             will wait for page reads; raise --cache-mb (see the README's Performance)"
        ),
        Err(e) => tracing::warn!(error = %chain(&e), "warming the page cache failed"),
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn termination() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = term => {}
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                tracing::error!(error = %e, "cannot listen for SIGINT");
                std::future::pending::<()>().await;
            }
        }
    }
}
