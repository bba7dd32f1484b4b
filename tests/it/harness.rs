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
use tonic::transport::Channel;
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
            ..Limits::default()
        };
        Self::start_with(dir, clock, limits).await
    }

    /// [`TestServer::start_in`] with the given limits.
    pub async fn start_with(dir: TempDir, clock: Clock, limits: Limits) -> Self {
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
        let task = tokio::spawn(server::serve(
            vetting,
            Arc::new(Keys::new(file)),
            listener,
            limits,
            async {
                let _ = rx.await;
            },
        ));
        // The listener is bound already: connecting cannot race the server's start.
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
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
