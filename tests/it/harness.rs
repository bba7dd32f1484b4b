//! The real server, in-process on `127.0.0.1:0` over a temp dir, or as a child process; keys
//! per role; request and message builders shared by the suites.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic::{Code, Request};

use vetting::auth::{KeyFile, KeyInfo, Keys, Role};
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::pb::audit_service_client::AuditServiceClient;
use vetting::pb::check_service_client::CheckServiceClient;
use vetting::pb::monitoring_service_client::MonitoringServiceClient;
use vetting::pb::registry_service_client::RegistryServiceClient;
use vetting::server::{self, Limits, ServeError};
use vetting::service::Vetting;
use vetting::store::{Store, StoreError, StoreOptions};

/// 2025-11-22T12:00:00Z: the suite's "now". Dates in requests must not be after it.
pub const NOW_MS: i64 = 1_763_812_800_000;

/// A key created through the key file, with its token.
#[derive(Clone, Debug)]
pub struct Key {
    pub info: KeyInfo,
    pub token: String,
}

/// One key per role.
#[derive(Clone, Debug)]
pub struct RoleKeys {
    pub checker: Key,
    pub registrar: Key,
    pub auditor: Key,
    pub admin: Key,
    pub public: Key,
}

pub const CHECKER_ORG: &str = "Kent Police";
pub const REGISTRAR_ORG: &str = "College of Policing";
pub const AUDITOR_ORG: &str = "Information Commissioner's Office";

fn create_key(file: &KeyFile, role: Role, org: &str, clock: &Clock) -> Key {
    let (info, token) = file.create(role, org, clock).unwrap();
    Key { info, token }
}

/// The server, running in this process.
pub struct TestServer {
    /// Where it listens (for clients other than tonic, e.g. grpcurl).
    #[allow(dead_code)]
    pub addr: SocketAddr,
    pub dir: TempDir,
    pub clock: Clock,
    pub keys: RoleKeys,
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

impl TestServer {
    /// A fresh temp dir, the fixed clock at [`NOW_MS`].
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), Clock::fixed(NOW_MS)).await
    }

    /// Serves the store in `dir` (created if new); adds one new key per role to its key file.
    pub async fn start_in(dir: TempDir, clock: Clock) -> Self {
        let limits = Limits {
            shutdown_grace: Duration::from_secs(5),
            shutdown_notice: Duration::ZERO,
            ..Limits::default()
        };
        Self::start_with(dir, clock, limits).await
    }

    /// [`TestServer::start_in`] with the given limits.
    pub async fn start_with(dir: TempDir, clock: Clock, limits: Limits) -> Self {
        Self::serving(dir, clock, limits, None, None).await
    }

    /// [`TestServer::start`] over TLS from `tls`; `channel` is a TLS channel with `client`'s
    /// settings, which connects at its first call (so that a test can start a server its own
    /// client will not trust).
    pub async fn start_tls(tls: vetting::tls::Tls, client: ClientTlsConfig) -> Self {
        let limits = Limits {
            shutdown_grace: Duration::from_secs(5),
            shutdown_notice: Duration::ZERO,
            ..Limits::default()
        };
        let dir = tempfile::tempdir().unwrap();
        Self::serving(dir, Clock::fixed(NOW_MS), limits, Some((tls, client)), None).await
    }

    /// [`TestServer::start_with`], serving metrics on `metrics` too when given.
    pub async fn start_serving(
        dir: TempDir,
        clock: Clock,
        limits: Limits,
        metrics: Option<tokio::net::TcpListener>,
    ) -> Self {
        Self::serving(dir, clock, limits, None, metrics).await
    }

    async fn serving(
        dir: TempDir,
        clock: Clock,
        limits: Limits,
        tls: Option<(vetting::tls::Tls, ClientTlsConfig)>,
        metrics: Option<tokio::net::TcpListener>,
    ) -> Self {
        let store = open_store(dir.path()).await;
        let file = KeyFile::in_dir(dir.path());
        let keys = RoleKeys {
            checker: create_key(&file, Role::Checker, CHECKER_ORG, &clock),
            registrar: create_key(&file, Role::Registrar, REGISTRAR_ORG, &clock),
            auditor: create_key(&file, Role::Auditor, AUDITOR_ORG, &clock),
            admin: create_key(&file, Role::Admin, "Operations", &clock),
            public: create_key(&file, Role::Public, "Public barred-list website", &clock),
        };
        let vetting = Vetting::new(store, clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let (incoming, client) = match tls {
            None => (server::Incoming::Plain(listener), None),
            Some((tls, client)) => (server::Incoming::Tls(listener, tls), Some(client)),
        };
        let task = tokio::spawn(server::serve_on(
            vetting,
            Arc::new(Keys::new(file)),
            incoming,
            metrics,
            limits,
            async {
                let _ = rx.await;
            },
        ));
        // The listener is bound already: connecting cannot race the server's start.
        let channel = match client {
            None => Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap(),
            Some(client) => Channel::from_shared(format!("https://{addr}"))
                .unwrap()
                .tls_config(client)
                .unwrap()
                .connect_timeout(CALL_DEADLINE)
                .connect_lazy(),
        };
        Self {
            addr,
            dir,
            clock,
            keys,
            channel,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// A checker key of `org` in this server's key file that sees `sees` beyond the barred
    /// list, as `keys create --sees` takes it (`""` for the barred list only). The default
    /// checker key ([`RoleKeys::checker`]) is a police force's: it sees everything.
    pub fn checker_key(&self, org: &str, sees: &str) -> Key {
        let (info, token) = KeyFile::in_dir(self.data_dir())
            .create_with(Role::Checker, org, Some(sees.parse().unwrap()), &self.clock)
            .unwrap();
        Key { info, token }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Graceful shutdown: signals the server, waits for it to drain and flush, and hands back
    /// the data dir so a test can start again on it.
    pub async fn stop(mut self) -> TempDir {
        self.shutdown().await;
        let Self { dir, .. } = self;
        dir
    }

    async fn shutdown(&mut self) {
        self.begin_shutdown();
        self.finish_shutdown().await;
    }

    /// Signals shutdown without waiting for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for the server to drain, flush and stop.
    pub async fn finish_shutdown(&mut self) {
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// Stops and starts again on the same dir and clock (new keys).
    pub async fn restart(self) -> Self {
        let clock = self.clock.clone();
        let dir = self.stop().await;
        Self::start_in(dir, clock).await
    }

    pub fn registry(&self) -> RegistryServiceClient<Channel> {
        RegistryServiceClient::new(self.channel.clone())
    }

    pub fn checks(&self) -> CheckServiceClient<Channel> {
        CheckServiceClient::new(self.channel.clone())
    }

    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel.clone())
    }

    pub fn monitoring(&self) -> MonitoringServiceClient<Channel> {
        MonitoringServiceClient::new(self.channel.clone())
    }

    /// A registrar's client and token, for the many registry calls of a test.
    pub fn reg(&self) -> Reg {
        Reg {
            client: self.registry(),
            token: self.keys.registrar.token.clone(),
        }
    }
}

pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("store")
}

/// [`Store::open`] of a store this process has just closed.
///
/// After the last handle is dropped, sled's own background threads can hold the directory's
/// lock for a moment (they finish writing out buffers already made durable); so `Locked` is
/// retried, for at most 5 s. Any other result is returned at once.
pub fn reopen(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match Store::open(path, opts) {
            Err(StoreError::Locked(_)) if Instant::now() < deadline => {
                eprintln!("store still locked after close; retrying");
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Opens the store of `data_dir` as the server does, after a stop in this process (see
/// [`reopen`]).
pub async fn open_store(data_dir: &Path) -> Store {
    let path = store_path(data_dir);
    let opts = StoreOptions {
        temporary: false,
        cache_bytes: 16 * 1024 * 1024,
        ..StoreOptions::default()
    };
    let opened = tokio::task::spawn_blocking(move || reopen(&path, opts))
        .await
        .unwrap();
    opened.unwrap_or_else(|e| panic!("cannot open the store in {}: {e}", data_dir.display()))
}

/// A request carrying `authorization: Bearer <token>`.
pub fn authed<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// Asserts the call failed with `code` and a message containing every one of `words`.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(
    r: Result<T, tonic::Status>,
    code: Code,
    words: &[&str],
) -> tonic::Status {
    let s = match r {
        Ok(v) => panic!("expected {code:?} mentioning {words:?}, got Ok({v:?})"),
        Err(s) => s,
    };
    assert_eq!(s.code(), code, "status {s:?}");
    for w in words {
        assert!(
            s.message().contains(w),
            "expected the message to mention {w:?}: {:?}",
            s.message()
        );
    }
    s
}

// ---- message builders ----

pub fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

pub fn name(given: &str, family: &str) -> pb::PersonName {
    pb::PersonName {
        given_names: given.into(),
        family_name: family.into(),
    }
}

pub fn ni(value: &str) -> pb::Identifier {
    pb::Identifier {
        scheme: pb::IdentifierScheme::NationalInsuranceNumber.into(),
        value: value.into(),
        issuer: String::new(),
    }
}

pub fn person(given: &str, family: &str, dob: (i32, i32, i32)) -> pb::Subject {
    pb::Subject {
        name: Some(name(given, family)),
        date_of_birth: date(dob.0, dob.1, dob.2),
        ..Default::default()
    }
}

pub fn barred_listing(org: &str, published: bool) -> pb::Listing {
    pb::Listing {
        list: pb::ListKind::BarredList.into(),
        organisation: org.into(),
        role: pb::Role::PoliceOfficer.into(),
        rank: "Constable".into(),
        decision_date: date(2024, 3, 1),
        standards_breached: vec!["Honesty and integrity".into()],
        reason: "gross misconduct: dishonesty".into(),
        published,
        ..Default::default()
    }
}

pub fn advisory_listing(org: &str) -> pb::Listing {
    pb::Listing {
        list: pb::ListKind::AdvisoryList.into(),
        organisation: org.into(),
        role: pb::Role::PoliceStaff.into(),
        decision_date: date(2024, 6, 1),
        reason: "resigned during an investigation".into(),
        ..Default::default()
    }
}

pub fn investigation(org: &str, opened: (i32, i32, i32)) -> pb::Investigation {
    pb::Investigation {
        organisation: org.into(),
        reference: "PSD/2025/0042".into(),
        allegation_summary: "abuse of position for a sexual purpose".into(),
        opened_on: date(opened.0, opened.1, opened.2),
        role: pb::Role::PoliceOfficer.into(),
        ..Default::default()
    }
}

pub fn check_req(given: &str, family: &str, dob: Option<(i32, i32, i32)>) -> pb::CheckRequest {
    pb::CheckRequest {
        name: Some(name(given, family)),
        date_of_birth: dob.and_then(|d| date(d.0, d.1, d.2)),
        purpose: pb::Purpose::Recruitment.into(),
        client_ref: format!("applicant {given} {family}"),
        ..Default::default()
    }
}

/// A registrar's view of the registry: terse calls for setting up a test's people.
pub struct Reg {
    pub client: RegistryServiceClient<Channel>,
    pub token: String,
}

impl Reg {
    pub async fn create(&mut self, s: pb::Subject) -> pb::Subject {
        self.client
            .create_subject(authed(
                &self.token,
                pb::CreateSubjectRequest {
                    subject: Some(s),
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn get(&mut self, subject_id: &str) -> pb::Subject {
        self.client
            .get_subject(authed(
                &self.token,
                pb::GetSubjectRequest {
                    subject_id: subject_id.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn add_listing(&mut self, subject_id: &str, l: pb::Listing) -> pb::Listing {
        self.client
            .add_listing(authed(
                &self.token,
                pb::AddListingRequest {
                    subject_id: subject_id.into(),
                    listing: Some(l),
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn remove_listing(&mut self, listing_id: &str) -> pb::Listing {
        self.client
            .remove_listing(authed(
                &self.token,
                pb::RemoveListingRequest {
                    listing_id: listing_id.into(),
                    reason: pb::RemovalReason::AppealAllowed.into(),
                    note: "appeal allowed by the tribunal".into(),
                    removed_on: date(2025, 1, 10),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn open(&mut self, subject_id: &str, i: pb::Investigation) -> pb::Investigation {
        self.client
            .open_investigation(authed(
                &self.token,
                pb::OpenInvestigationRequest {
                    subject_id: subject_id.into(),
                    investigation: Some(i),
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// A barred person (police officer, the given publication flag), created and listed.
    pub async fn barred(
        &mut self,
        s: pb::Subject,
        org: &str,
        published: bool,
    ) -> (pb::Subject, pb::Listing) {
        let s = self.create(s).await;
        let l = self
            .add_listing(&s.subject_id, barred_listing(org, published))
            .await;
        (s, l)
    }
}

// ---- the binary as a child process ----

/// `vetting` with its arguments; output captured.
pub fn vetting_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vetting"));
    c.args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("VETTING_") {
            c.env_remove(k);
        }
    }
    c
}

/// A free port on 127.0.0.1: bound, read and released. (Only for child processes, which take
/// their address on the command line and print it only in their logs.)
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `vetting serve` in a child process.
pub struct ChildServer {
    pub child: Child,
    /// Where it listens (for clients other than tonic, e.g. grpcurl).
    #[allow(dead_code)]
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl ChildServer {
    /// Starts `vetting serve --data-dir DIR` on a free port and waits (at most ~10 s) until the
    /// port accepts connections. Its log goes to `DIR/../serve-<port>.log`.
    pub fn start(data_dir: &Path, log_dir: &Path) -> Self {
        Self::start_with(data_dir, log_dir, &[])
    }

    /// As [`ChildServer::start`], with `extra` arguments to `serve`.
    pub fn start_with(data_dir: &Path, log_dir: &Path, extra: &[&str]) -> Self {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = log_dir.join(format!("serve-{port}.log"));
        let addr_text = addr.to_string();
        let mut args = vec![
            "serve",
            "--listen",
            &addr_text,
            "--data-dir",
            data_dir.to_str().unwrap(),
            "--shutdown-grace-secs",
            "3",
        ];
        if !extra.contains(&"--shutdown-notice-secs") {
            args.extend_from_slice(&["--shutdown-notice-secs", "0"]);
        }
        args.extend_from_slice(extra);
        let child = vetting_cmd(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self { child, addr, log };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "server exited with {status} before listening; log:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "server not listening on {} after 10 s; log:\n{}",
                self.addr,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Sends the child `signal` (`-HUP`, `-TERM`, ...).
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {signal}");
    }

    /// Waits (at most `limit`) for the child to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "server still running after {limit:?}; log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A key in `data_dir`'s key file, created in this process.
pub fn key_in(data_dir: &Path, role: Role, org: &str) -> Key {
    create_key(&KeyFile::in_dir(data_dir), role, org, &Clock::System)
}

// ---- load and crash suites: every call bounded, every test bounded ----

/// The deadline every call of the load and crash suites carries: as its `grpc-timeout`, and
/// on the client side too (see [`answer`]).
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// [`authed`], carrying [`CALL_DEADLINE`] as its `grpc-timeout`.
pub fn authed_within<T>(token: &str, msg: T) -> Request<T> {
    let mut r = authed(token, msg);
    r.set_timeout(CALL_DEADLINE);
    r
}

/// A call's answer, waited for at most [`CALL_DEADLINE`] and 2 s more: `grpc-timeout` only
/// asks the server to give up, so a server that never answers at all fails the call here
/// rather than hanging it.
pub async fn answer<T>(
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, tonic::Status> {
    let limit = CALL_DEADLINE + Duration::from_secs(2);
    match tokio::time::timeout(limit, call).await {
        Ok(r) => r.map(tonic::Response::into_inner),
        Err(_) => Err(tonic::Status::deadline_exceeded(format!(
            "no answer within {limit:?}, not even DEADLINE_EXCEEDED (timed out by the client)"
        ))),
    }
}

/// Runs `test` on a runtime of its own for at most `limit`; a test still running then fails
/// with `stalled()`, which says how far it got. The bound is kept by this thread, not by a
/// tokio timer: a server deadlocked on a runtime's worker threads stops that runtime's timers
/// too. The runtime is then dropped without waiting for its blocking threads (`#[tokio::test]`
/// waits for them, so a store deadlocked under a blocking call would hang the suite).
pub fn bounded<F>(limit: Duration, stalled: impl FnOnce() -> String, test: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let (done, outcome) = std::sync::mpsc::channel();
    let task = rt.spawn(test);
    rt.spawn(async move {
        let _ = done.send(task.await);
    });
    match outcome.recv_timeout(limit) {
        Ok(joined) => {
            rt.shutdown_timeout(Duration::from_secs(1));
            match joined {
                Ok(()) => {}
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("the test's task failed: {e}"),
            }
        }
        Err(_) => {
            let message = stalled();
            rt.shutdown_background();
            panic!(
                "the test was still running after {limit:?} (its calls have a \
                 {CALL_DEADLINE:?} deadline, so it waited outside them, or the client's timers \
                 stalled): {message}"
            );
        }
    }
}

/// A [`TestServer`] on a runtime of its own: a server that blocks its worker threads (a store
/// deadlocked under a synchronous call) then cannot stall the clients' deadlines. Dropped, it
/// drops its runtime without waiting for threads that may never finish.
pub struct IsolatedServer {
    server: Option<TestServer>,
    rt: Option<tokio::runtime::Runtime>,
}

impl IsolatedServer {
    /// [`TestServer::start`], on two worker threads of its own.
    pub async fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("isolated-server")
            .enable_all()
            .build()
            .unwrap();
        let started = tokio::time::timeout(Duration::from_secs(30), rt.spawn(TestServer::start()));
        let Ok(server) = started.await else {
            rt.shutdown_background();
            panic!(
                "the in-process server did not start within 30 s (sled's IO threads and its \
                 concurrency control are process-wide: a store deadlocked by another test of \
                 this binary wedges every store in it)"
            );
        };
        let server = server.unwrap();
        Self {
            server: Some(server),
            rt: Some(rt),
        }
    }

    /// Graceful shutdown, waited for at most 20 s.
    pub async fn stop(mut self) {
        let (Some(server), Some(rt)) = (self.server.take(), self.rt.as_ref()) else {
            return;
        };
        let stopped = rt.spawn(server.stop());
        match tokio::time::timeout(Duration::from_secs(20), stopped).await {
            Ok(dir) => drop(dir.unwrap()),
            Err(_) => panic!("the server did not stop within 20 s of a graceful shutdown"),
        }
    }
}

impl std::ops::Deref for IsolatedServer {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        self.server.as_ref().unwrap()
    }
}

impl Drop for IsolatedServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A channel of its own to `addr` (one connection per simulated client).
pub async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(CALL_DEADLINE)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"))
}

const GIVEN: [&str; 16] = [
    "Aled", "Bethan", "Ciaran", "Delyth", "Emrys", "Ffion", "Gareth", "Heledd", "Iwan", "Lowri",
    "Meirion", "Nerys", "Owain", "Rhian", "Sion", "Tegan",
];
const SYLLABLES: [&str; 16] = [
    "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "ri", "so", "tu", "vy",
];

/// A made-up family name, one per `n` below 65,536, ending in `tail`.
fn coined(n: usize, tail: &str) -> String {
    let mut s: String = (0..4)
        .map(|i| SYLLABLES[(n >> (4 * (3 - i))) & 15])
        .collect();
    s.push_str(tail);
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The `n`th person a load registers: a name of their own, born 1960-1999.
pub fn load_person(n: usize) -> pb::Subject {
    let n32 = i32::try_from(n).unwrap();
    person(
        GIVEN[n % 16],
        &coined(n, "wick"),
        (1960 + n32 % 40, 1 + (n32 / 40) % 12, 1 + (n32 / 480) % 28),
    )
}

/// The `n`th stranger a load checks: nobody registered has their family name, and they were
/// born in the 1930s.
pub fn stranger(n: usize) -> pb::CheckRequest {
    let n32 = i32::try_from(n).unwrap();
    let mut r = check_req(
        GIVEN[n % 16],
        &coined(n, "thorpe"),
        Some((1930 + n32 % 10, 1 + n32 % 12, 1 + n32 % 28)),
    );
    r.client_ref = format!("stranger-{n}");
    r
}

/// A small deterministic generator (xorshift), so that a failing load can be run again alike.
#[derive(Debug)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % u64::try_from(n).unwrap()).unwrap()
    }
}

/// What a load has had answered, for the verdicts and for the message of a test that stalls.
#[derive(Debug)]
pub struct Tally {
    started: Instant,
    pub writes: std::sync::atomic::AtomicU64,
    pub checks: std::sync::atomic::AtomicU64,
    failed: std::sync::atomic::AtomicU64,
    last_answer_ms: std::sync::atomic::AtomicU64,
    failures: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            writes: 0.into(),
            checks: 0.into(),
            failed: 0.into(),
            last_answer_ms: 0.into(),
            failures: std::sync::Mutex::new(Vec::new()),
        })
    }

    fn answered(&self, counter: &std::sync::atomic::AtomicU64) {
        use std::sync::atomic::Ordering::Relaxed;
        counter.fetch_add(1, Relaxed);
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_answer_ms.fetch_max(ms, Relaxed);
    }

    pub fn wrote(&self) {
        self.answered(&self.writes);
    }

    pub fn checked(&self) {
        self.answered(&self.checks);
    }

    /// A call that failed, or answered wrongly; the first 20 are kept for the verdict.
    pub fn fail(&self, what: String) {
        self.failed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut f = self.failures.lock().unwrap();
        if f.len() < 20 {
            f.push(what);
        }
    }

    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().unwrap().clone()
    }

    pub fn writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn checks(&self) -> u64 {
        self.checks.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::sync::atomic::Ordering::Relaxed;
        let last = self.last_answer_ms.load(Relaxed);
        write!(
            f,
            "{} writes and {} checks answered OK, the last {} ms after the load began ({} ms \
             ago); {} calls failed or answered wrongly",
            self.writes(),
            self.checks(),
            last,
            u64::try_from(self.started.elapsed().as_millis())
                .unwrap_or(u64::MAX)
                .saturating_sub(last),
            self.failed.load(Relaxed),
        )?;
        let failures = self.failures();
        if !failures.is_empty() {
            write!(f, "; the first:\n  {}", failures.join("\n  "))?;
        }
        Ok(())
    }
}

/// A subject whose creation was acknowledged (its response arrived OK), with the listing and
/// investigation of it that were acknowledged too.
#[derive(Clone, Debug)]
pub struct Acked {
    pub request_id: String,
    /// As sent.
    pub subject: pb::Subject,
    pub subject_id: String,
    /// Request id, listing as sent, listing id.
    pub listing: Option<(String, pb::Listing, String)>,
    pub investigation_id: Option<String>,
}

/// Everything a load had acknowledged: subjects (with listings and investigations) and the
/// check ids of answered checks.
#[derive(Debug, Default)]
pub struct Ledger {
    pub subjects: std::sync::Mutex<Vec<Acked>>,
    /// Indexes into `subjects` of those whose barred listing was acknowledged.
    pub barred: std::sync::Mutex<Vec<usize>>,
    pub check_ids: std::sync::Mutex<Vec<String>>,
    /// The next person number ([`load_person`]) to register.
    pub next_person: std::sync::atomic::AtomicUsize,
}

/// One load on one server: what it had answered, and whether it should stop.
#[derive(Debug)]
pub struct Load {
    pub tally: Arc<Tally>,
    pub ledger: Arc<Ledger>,
    /// Workers finish their current call and stop.
    pub stop: std::sync::atomic::AtomicBool,
    /// Set just before the server is killed or told to stop: from then on, a failed call is
    /// expected and is neither counted nor a failure.
    pub cut: std::sync::atomic::AtomicBool,
    /// Calls answered OK, by worker ("registrar 3", "checker 0").
    by_worker: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
}

impl Load {
    pub fn new(ledger: Arc<Ledger>) -> Arc<Self> {
        Arc::new(Self {
            tally: Tally::new(),
            ledger,
            stop: false.into(),
            cut: false.into(),
            by_worker: std::sync::Mutex::default(),
        })
    }

    fn answered_by(&self, worker: &str) {
        *self
            .by_worker
            .lock()
            .unwrap()
            .entry(worker.to_owned())
            .or_default() += 1;
    }

    /// Calls answered OK so far, by worker.
    pub fn answered_so_far(&self) -> std::collections::BTreeMap<String, usize> {
        self.by_worker.lock().unwrap().clone()
    }

    /// Those of `workers` that have had no call answered OK since `then` (an
    /// [`Load::answered_so_far`]).
    pub fn silent_since(
        &self,
        workers: &[String],
        then: &std::collections::BTreeMap<String, usize>,
    ) -> Vec<String> {
        let by = self.by_worker.lock().unwrap();
        let count =
            |m: &std::collections::BTreeMap<String, usize>, w: &str| m.get(w).copied().unwrap_or(0);
        workers
            .iter()
            .filter(|w| count(&by, w) <= count(then, w))
            .cloned()
            .collect()
    }

    fn stopping(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn is_cut(&self) -> bool {
        self.cut.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Records a failed call, unless the server was being cut.
    fn failed(&self, what: &str, s: &tonic::Status) {
        if !self.is_cut() {
            self.tally
                .fail(format!("{what}: {:?} {}", s.code(), s.message()));
        }
    }
}

/// A registrar: creates people (each with a unique `request_id` `{tag}-r{worker}-{i}`), adds
/// a barred listing to each and opens an investigation on every fourth, until `load.stop` or
/// `max` people; stops at its first failed call. Returns how many calls it had answered OK.
pub async fn registrar(
    load: Arc<Load>,
    channel: Channel,
    token: String,
    tag: String,
    worker: usize,
    max: Option<usize>,
) -> usize {
    use std::sync::atomic::Ordering::Relaxed;
    let mut client = RegistryServiceClient::new(channel);
    let who = format!("registrar {worker}");
    let mut answered = 0;
    for i in 0.. {
        if load.stopping() || max.is_some_and(|m| i >= m) {
            break;
        }
        let n = load.ledger.next_person.fetch_add(1, Relaxed);
        let request_id = format!("{tag}-r{worker}-{i}");
        let subject = load_person(n);
        let created = answer(client.create_subject(authed_within(
            &token,
            pb::CreateSubjectRequest {
                subject: Some(subject.clone()),
                request_id: request_id.clone(),
            },
        )))
        .await;
        let created = match created {
            Ok(c) => c,
            Err(s) => {
                load.failed(
                    &format!("registrar {worker}: CreateSubject {request_id}"),
                    &s,
                );
                break;
            }
        };
        load.tally.wrote();
        load.answered_by(&who);
        answered += 1;
        let at = {
            let mut subjects = load.ledger.subjects.lock().unwrap();
            subjects.push(Acked {
                request_id: request_id.clone(),
                subject,
                subject_id: created.subject_id.clone(),
                listing: None,
                investigation_id: None,
            });
            subjects.len() - 1
        };

        let listing_request = format!("{request_id}-listing");
        let listing = barred_listing("Kent Police", n.is_multiple_of(2));
        let listed = answer(client.add_listing(authed_within(
            &token,
            pb::AddListingRequest {
                subject_id: created.subject_id.clone(),
                listing: Some(listing.clone()),
                request_id: listing_request.clone(),
            },
        )))
        .await;
        match listed {
            Ok(l) => {
                load.tally.wrote();
                load.answered_by(&who);
                answered += 1;
                load.ledger.subjects.lock().unwrap()[at].listing =
                    Some((listing_request, listing, l.listing_id));
                load.ledger.barred.lock().unwrap().push(at);
            }
            Err(s) => {
                load.failed(
                    &format!("registrar {worker}: AddListing {listing_request}"),
                    &s,
                );
                break;
            }
        }

        if n.is_multiple_of(4) {
            let opened = answer(client.open_investigation(authed_within(
                &token,
                pb::OpenInvestigationRequest {
                    subject_id: created.subject_id.clone(),
                    investigation: Some(investigation("Essex Police", (2025, 6, 1))),
                    request_id: format!("{request_id}-inv"),
                },
            )))
            .await;
            match opened {
                Ok(inv) => {
                    load.tally.wrote();
                    load.answered_by(&who);
                    answered += 1;
                    load.ledger.subjects.lock().unwrap()[at].investigation_id =
                        Some(inv.investigation_id);
                }
                Err(s) => {
                    load.failed(
                        &format!("registrar {worker}: OpenInvestigation {request_id}-inv"),
                        &s,
                    );
                    break;
                }
            }
        }
    }
    answered
}

/// A checker: until `load.stop`, checks people whose barred listing was acknowledged (who
/// must come back `BARRED`, matched) and strangers (who must not), about half each; stops at
/// its first failed call. Returns how many checks it had answered.
pub async fn checker(load: Arc<Load>, channel: Channel, token: String, worker: usize) -> usize {
    let mut client = CheckServiceClient::new(channel);
    let mut dice = Dice::new(1000 + worker as u64);
    let who = format!("checker {worker}");
    let mut answered = 0;
    for i in 0.. {
        if load.stopping() {
            break;
        }
        let listed = {
            let barred = load.ledger.barred.lock().unwrap();
            if barred.is_empty() || dice.below(2) == 0 {
                None
            } else {
                let at = barred[dice.below(barred.len())];
                Some(load.ledger.subjects.lock().unwrap()[at].clone())
            }
        };
        let req = match &listed {
            Some(a) => {
                let n = a.subject.name.clone().unwrap_or_default();
                let mut r = check_req(&n.given_names, &n.family_name, None);
                r.date_of_birth = a.subject.date_of_birth;
                r.client_ref = format!("checker {worker} #{i}");
                r
            }
            None => stranger(worker * 1_000_000 + i),
        };
        let what = format!(
            "checker {worker}: Check of {} {}",
            req.name.as_ref().map_or("", |n| n.given_names.as_str()),
            req.name.as_ref().map_or("", |n| n.family_name.as_str()),
        );
        let r = match answer(client.check(authed_within(&token, req))).await {
            Ok(r) => r,
            Err(s) => {
                load.failed(&what, &s);
                break;
            }
        };
        load.tally.checked();
        load.answered_by(&who);
        answered += 1;
        load.ledger
            .check_ids
            .lock()
            .unwrap()
            .push(r.check_id.clone());
        match &listed {
            Some(a) => {
                if r.outcome() != pb::Outcome::Barred
                    || !r.matches.iter().any(|m| m.subject_id == a.subject_id)
                {
                    load.tally.fail(format!(
                        "{what} ({}, barred, acknowledged): answered {:?} matching {:?}",
                        a.subject_id,
                        r.outcome(),
                        r.matches.iter().map(|m| &m.subject_id).collect::<Vec<_>>()
                    ));
                }
            }
            None => {
                if r.outcome() == pb::Outcome::Barred {
                    load.tally
                        .fail(format!("{what} (a stranger): answered BARRED: {r:?}"));
                }
            }
        }
    }
    answered
}

/// Every subject, paging ListSubjects as a registrar (1000 a page).
pub async fn all_subjects(channel: &Channel, token: &str) -> Vec<pb::Subject> {
    let mut client = RegistryServiceClient::new(channel.clone());
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = answer(client.list_subjects(authed_within(
            token,
            pb::ListSubjectsRequest {
                page_size: 1000,
                page_token: page_token.clone(),
                ..Default::default()
            },
        )))
        .await
        .unwrap_or_else(|s| panic!("ListSubjects after {} subjects: {s:?}", out.len()));
        out.extend(page.subjects);
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

/// Every audit event of callers of `organisation`, paging ListAuditEvents as an auditor.
pub async fn all_audit_events(
    channel: &Channel,
    token: &str,
    organisation: &str,
) -> Vec<pb::AuditEvent> {
    let mut client = AuditServiceClient::new(channel.clone());
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = answer(client.list_audit_events(authed_within(
            token,
            pb::ListAuditEventsRequest {
                page_size: 1000,
                page_token: page_token.clone(),
                organisation: organisation.into(),
                ..Default::default()
            },
        )))
        .await
        .unwrap_or_else(|s| panic!("ListAuditEvents after {} events: {s:?}", out.len()));
        out.extend(page.events);
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

/// VerifyAuditLog as an auditor, with a deadline.
pub async fn verify_audit(channel: &Channel, token: &str) -> pb::VerifyAuditLogResponse {
    answer(
        AuditServiceClient::new(channel.clone())
            .verify_audit_log(authed_within(token, pb::VerifyAuditLogRequest {})),
    )
    .await
    .unwrap()
}

/// Asserts, through gRPC, that everything `ledger` holds as acknowledged is on the server:
/// every subject with its listing and investigation, every answered check's audit event
/// (checks made by callers of [`CHECKER_ORG`]); that retrying up to `retries` acknowledged
/// creates and listings (same request_id, same body) returns the first result and creates
/// nothing; and that the audit chain is intact. Returns the number of subjects on the server.
pub async fn assert_nothing_acknowledged_lost(
    channel: &Channel,
    registrar: &str,
    auditor: &str,
    ledger: &Ledger,
    retries: usize,
) -> usize {
    let acked = ledger.subjects.lock().unwrap().clone();
    let check_ids = ledger.check_ids.lock().unwrap().clone();

    let on_server = all_subjects(channel, registrar).await;
    let by_id: std::collections::HashMap<&str, &pb::Subject> = on_server
        .iter()
        .map(|s| (s.subject_id.as_str(), s))
        .collect();
    let mut lost = Vec::new();
    for a in &acked {
        let Some(s) = by_id.get(a.subject_id.as_str()) else {
            lost.push(format!("subject {} ({})", a.subject_id, a.request_id));
            continue;
        };
        if s.name != a.subject.name || s.date_of_birth != a.subject.date_of_birth {
            lost.push(format!("subject {} is not as created: {s:?}", a.subject_id));
        }
        if let Some((_, _, listing_id)) = &a.listing
            && !s.listings.iter().any(|l| &l.listing_id == listing_id)
        {
            lost.push(format!("listing {listing_id} of {}", a.subject_id));
        }
        if let Some(inv) = &a.investigation_id
            && !s.investigations.iter().any(|i| &i.investigation_id == inv)
        {
            lost.push(format!("investigation {inv} of {}", a.subject_id));
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged subjects (with listings, investigations) lost or changed; the \
         first: {:#?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(10)]
    );

    // Retries of acknowledged writes, spread over the ledger: the first result, nothing new.
    let mut client = RegistryServiceClient::new(channel.clone());
    let step = (acked.len() / retries.max(1)).max(1);
    for a in acked.iter().step_by(step).take(retries) {
        let again = answer(client.create_subject(authed_within(
            registrar,
            pb::CreateSubjectRequest {
                subject: Some(a.subject.clone()),
                request_id: a.request_id.clone(),
            },
        )))
        .await
        .unwrap_or_else(|s| panic!("retried CreateSubject {}: {s:?}", a.request_id));
        assert_eq!(
            again.subject_id, a.subject_id,
            "a retried CreateSubject {} made another person",
            a.request_id
        );
        if let Some((request_id, listing, listing_id)) = &a.listing {
            let again = answer(client.add_listing(authed_within(
                registrar,
                pb::AddListingRequest {
                    subject_id: a.subject_id.clone(),
                    listing: Some(listing.clone()),
                    request_id: request_id.clone(),
                },
            )))
            .await
            .unwrap_or_else(|s| panic!("retried AddListing {request_id}: {s:?}"));
            assert_eq!(
                &again.listing_id, listing_id,
                "a retried AddListing {request_id} made another listing"
            );
        }
    }
    let after = all_subjects(channel, registrar).await;
    assert_eq!(
        after.len(),
        on_server.len(),
        "retried creates made new subjects"
    );
    let listings = |all: &[pb::Subject]| all.iter().map(|s| s.listings.len()).sum::<usize>();
    assert_eq!(
        listings(&after),
        listings(&on_server),
        "retried listings made new listings"
    );

    let audited: std::collections::HashSet<String> =
        all_audit_events(channel, auditor, CHECKER_ORG)
            .await
            .into_iter()
            .map(|e| e.check_id)
            .collect();
    let unaudited: Vec<&String> = check_ids.iter().filter(|c| !audited.contains(*c)).collect();
    assert!(
        unaudited.is_empty(),
        "{} of {} answered checks have no audit event; the first: {:?}",
        unaudited.len(),
        check_ids.len(),
        &unaudited[..unaudited.len().min(10)]
    );

    let v = verify_audit(channel, auditor).await;
    assert!(v.intact, "audit chain broken after the load: {v:?}");
    let writes: usize = acked
        .iter()
        .map(|a| 1 + usize::from(a.listing.is_some()) + usize::from(a.investigation_id.is_some()))
        .sum();
    assert!(
        v.events_checked >= u64::try_from(writes + check_ids.len()).unwrap(),
        "{} events in the chain, fewer than the {writes} acknowledged writes and {} answered \
         checks",
        v.events_checked,
        check_ids.len()
    );
    after.len()
}

impl ChildServer {
    /// Waits without blocking the runtime, at most `limit`, for the child to exit; a child
    /// still running then is killed, and `None` returned.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log_text();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}
