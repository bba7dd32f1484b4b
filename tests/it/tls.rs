//! TLS and mTLS through a real server, in-process and as the binary, with certificates made
//! here (rcgen): the right CA, a wrong one, plaintext on the TLS port; under mTLS no client
//! certificate, another CA's, an expired one, a good one (whose subject reaches the call's log
//! span); reloads on a file change and on SIGHUP while a stream stays open, and a reload that
//! fails; the `--insecure-plaintext` rule and the TLS flags' usage errors; grpcurl with
//! `-cacert`, `-cert`, `-key` (`#[ignore]`d like the other grpcurl tests).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use vetting::auth::Role;
use vetting::pb;
use vetting::pb::check_service_client::CheckServiceClient;
use vetting::tls::{Tls, TlsFiles};

use crate::harness::{
    CALL_DEADLINE, ChildServer, TestServer, answer, authed_within, bounded, check_req, key_in,
    vetting_cmd,
};

// ---- certificates ----

/// A certificate authority made for one test.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

/// A certificate and its private key, in PEM.
struct Pair {
    cert: String,
    key: String,
}

fn dn(entries: &[(DnType, &str)]) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    for (t, v) in entries {
        d.push(t.clone(), *v);
    }
    d
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(&[(DnType::CommonName, name)]);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self { params, key, pem }
    }

    fn sign(&self, params: &CertificateParams) -> Pair {
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Pair {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    fn server(&self) -> Pair {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name = dn(&[(DnType::CommonName, "vetting test server")]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(&params)
    }

    /// A client certificate, valid from `not_before` to `not_after` days from now.
    fn client_valid(&self, cn: &str, org: &str, not_before: i64, not_after: i64) -> Pair {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name =
            dn(&[(DnType::OrganizationName, org), (DnType::CommonName, cn)]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(not_before);
        params.not_after = now + time::Duration::days(not_after);
        self.sign(&params)
    }

    fn client(&self, cn: &str, org: &str) -> Pair {
        self.client_valid(cn, org, -1, 365)
    }
}

fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem).unwrap();
    path
}

/// Replaces `path` as a rotation does: a new file renamed over the old.
fn replace(path: &Path, pem: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, pem).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The server's files in `dir`: `server.pem`, `server.key`, and `clients-ca.pem` if `clients`.
fn server_files(dir: &Path, server: &Pair, clients: Option<&Ca>) -> TlsFiles {
    TlsFiles {
        cert: write(dir, "server.pem", &server.cert),
        key: write(dir, "server.key", &server.key),
        client_ca: clients.map(|ca| write(dir, "clients-ca.pem", &ca.pem)),
    }
}

// ---- clients ----

/// A client that trusts `ca` for the name `localhost`, presenting `identity` if given.
fn client(ca: &Ca, identity: Option<&Pair>) -> ClientTlsConfig {
    let c = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&ca.pem))
        .domain_name("localhost");
    match identity {
        Some(p) => c.identity(Identity::from_pem(&p.cert, &p.key)),
        None => c,
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(e) = source {
        s.push_str(": ");
        s.push_str(&e.to_string());
        source = e.source();
    }
    s
}

/// A new connection to `addr` with `config`, within [`CALL_DEADLINE`].
async fn connect(addr: SocketAddr, config: ClientTlsConfig) -> Result<Channel, String> {
    let endpoint = Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(config)
        .unwrap()
        .connect_timeout(CALL_DEADLINE);
    match tokio::time::timeout(CALL_DEADLINE, endpoint.connect()).await {
        Ok(r) => r.map_err(|e| chain(&e)),
        Err(_) => Err("no connection within the deadline".into()),
    }
}

async fn health(channel: Channel) -> Result<ServingStatus, tonic::Status> {
    let mut req = tonic::Request::new(HealthCheckRequest::default());
    req.set_timeout(CALL_DEADLINE);
    let r = answer(HealthClient::new(channel).check(req)).await?;
    Ok(r.status())
}

/// A new connection with `config`, and a health check over it: `Err` says which failed.
async fn attempt(addr: SocketAddr, config: ClientTlsConfig) -> Result<(), String> {
    let channel = connect(addr, config).await?;
    match health(channel).await {
        Ok(ServingStatus::Serving) => Ok(()),
        Ok(other) => Err(format!("health {other:?}")),
        Err(s) => Err(format!("{:?}: {}: {}", s.code(), s.message(), chain(&s))),
    }
}

/// `attempt` must fail, promptly; returns what the client saw. (Under mTLS the client may see
/// the server's alert, or only the connection closing after it: a TLS 1.3 client finishes its
/// side of the handshake before the server has judged its certificate. So each test that
/// expects a refusal also shows the same server admitting a client with a good certificate.)
async fn refused(addr: SocketAddr, config: ClientTlsConfig, why: &str) -> String {
    match attempt(addr, config).await {
        Ok(()) => panic!("{why}: the server admitted the connection"),
        // Refused at once, not left to time out.
        Err(e) if e.contains("DeadlineExceeded") || e.contains("within the deadline") => {
            panic!("{why}: no answer rather than a refusal: {e}")
        }
        Err(e) => e,
    }
}

/// Retries `attempt` until it succeeds (a reload polled or signalled), for at most 15 s.
async fn until_admitted(addr: SocketAddr, config: impl Fn() -> ClientTlsConfig, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match attempt(addr, config()).await {
            Ok(()) => return,
            Err(e) => assert!(
                Instant::now() < deadline,
                "{what}: still refused after 15 s: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn check(
    channel: Channel,
    token: &str,
    family: &str,
) -> Result<pb::CheckResponse, tonic::Status> {
    let mut c = CheckServiceClient::new(channel);
    answer(c.check(authed_within(
        token,
        check_req("Ann", family, Some((1980, 1, 2))),
    )))
    .await
}

/// A `CheckBatch` stream held open: a request in, its answer out.
struct OpenBatch {
    tx: tokio::sync::mpsc::Sender<pb::CheckRequest>,
    answers: tonic::Streaming<pb::CheckResponse>,
}

impl OpenBatch {
    async fn open(channel: Channel, token: &str) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut c = CheckServiceClient::new(channel);
        let mut req = tonic::Request::new(ReceiverStream::new(rx));
        req.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let answers = answer(c.check_batch(req)).await.unwrap();
        Self { tx, answers }
    }

    /// Sends one request and waits (bounded) for its answer.
    async fn round(&mut self, family: &str) {
        self.tx
            .send(check_req("Ann", family, Some((1980, 1, 2))))
            .await
            .unwrap();
        let got = tokio::time::timeout(CALL_DEADLINE, self.answers.message())
            .await
            .expect("an answer on the open stream within the deadline")
            .expect("the open stream keeps working")
            .expect("an answer, not the stream's end");
        assert_eq!(got.client_ref, format!("applicant Ann {family}"));
        assert_eq!(got.outcome(), pb::Outcome::Clear);
    }

    async fn close(mut self) {
        drop(self.tx);
        let end = tokio::time::timeout(CALL_DEADLINE, self.answers.message())
            .await
            .expect("the stream ends within the deadline");
        assert!(matches!(end, Ok(None)), "the stream ends cleanly: {end:?}");
    }
}

fn tls_server_test(
    limit_secs: u64,
    name: &'static str,
    test: impl std::future::Future<Output = ()> + Send + 'static,
) {
    bounded(
        Duration::from_secs(limit_secs),
        move || name.to_owned(),
        test,
    );
}

// ---- in-process: TLS ----

#[test]
fn tls_with_the_right_ca_serves_health_and_a_check() {
    tls_server_test(60, "tls with the right CA", async {
        let certs = tempfile::tempdir().unwrap();
        let ca = Ca::new("Vetting Test CA");
        let s = tls_server(certs.path(), &ca).await;
        assert_serving(&s).await;
        let r = check(s.channel.clone(), &s.keys.checker.token, "Nobody")
            .await
            .unwrap();
        assert_eq!(r.outcome(), pb::Outcome::Clear);
        // The token still decides: no token is refused over TLS as over plaintext.
        let mut c = CheckServiceClient::new(s.channel.clone());
        let mut req = tonic::Request::new(check_req("Ann", "Nobody", None));
        req.set_timeout(CALL_DEADLINE);
        let refused = answer(c.check(req)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
        s.stop().await;
    });
}

#[test]
fn tls_client_that_does_not_trust_the_server_certificate_fails() {
    tls_server_test(60, "tls wrong CA", async {
        let certs = tempfile::tempdir().unwrap();
        let (ca, other) = (Ca::new("Vetting Test CA"), Ca::new("Someone Else's CA"));
        let s = tls_server(certs.path(), &ca).await;
        let e = refused(s.addr, client(&other, None), "a client trusting another CA").await;
        assert!(e.contains("UnknownIssuer"), "{e}");
        // The server is unharmed.
        assert_serving(&s).await;
        s.stop().await;
    });
}

#[test]
fn tls_port_refuses_a_plaintext_client() {
    tls_server_test(60, "tls plaintext client", async {
        let certs = tempfile::tempdir().unwrap();
        let ca = Ca::new("Vetting Test CA");
        let s = tls_server(certs.path(), &ca).await;

        // A gRPC client speaking plaintext HTTP/2 gets no answer.
        let plain = Endpoint::from_shared(format!("http://{}", s.addr))
            .unwrap()
            .connect_timeout(CALL_DEADLINE)
            .connect_lazy();
        let e = health(plain).await.unwrap_err();
        assert_ne!(e.code(), tonic::Code::Ok);
        assert_ne!(
            e.code(),
            tonic::Code::DeadlineExceeded,
            "refused at once, not left hanging: {e:?}"
        );

        // On the wire: the HTTP/2 preface gets a TLS alert record (content type 21) or nothing,
        // and the connection is closed; never an HTTP/2 frame.
        let mut raw = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        raw.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        let mut reply = Vec::new();
        let read = tokio::time::timeout(CALL_DEADLINE, raw.read_to_end(&mut reply)).await;
        assert!(read.is_ok(), "the server closes the connection");
        assert!(
            reply.is_empty() || reply[0] == 21,
            "a TLS alert or nothing: {reply:?}"
        );

        // TLS clients are still served.
        assert_serving(&s).await;
        s.stop().await;
    });
}

#[test]
fn tls_silent_clients_neither_block_the_accept_loop_nor_take_every_slot() {
    tls_server_test(60, "tls silent clients", async {
        let certs = tempfile::tempdir().unwrap();
        let ca = Ca::new("Vetting Test CA");
        let s = tls_server(certs.path(), &ca).await;

        // Connections that never say a word: handshakes wait in tasks of their own, and new
        // clients are served meanwhile.
        let mut silent = Vec::new();
        for _ in 0..16 {
            silent.push(tokio::net::TcpStream::connect(s.addr).await.unwrap());
        }
        attempt(s.addr, client(&ca, None)).await.unwrap();

        // Up to the limit per address; past it, this address's new connections are closed
        // at once, without a handshake.
        while silent.len() < vetting::tls::MAX_HANDSHAKES_PER_PEER {
            silent.push(tokio::net::TcpStream::connect(s.addr).await.unwrap());
        }
        let mut over = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        over.write_all(&[22, 3, 1]).await.unwrap();
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(CALL_DEADLINE, over.read(&mut buf))
            .await
            .expect("closed at once, not left to the handshake timeout");
        assert!(matches!(read, Ok(0) | Err(_)), "closed: {read:?}");

        // Once they go, their slots are free again.
        drop(silent);
        until_admitted(
            s.addr,
            || client(&ca, None),
            "a client after the silent ones left",
        )
        .await;
        s.stop().await;
    });
}

// ---- in-process: mTLS ----

/// A server requiring client certificates from `clients`; its certificate from `ca`.
/// A TLS server (no client certificates) with `ca`'s server certificate, and a client that
/// trusts `ca`.
async fn tls_server(certs: &Path, ca: &Ca) -> TestServer {
    let tls = Tls::load_with(
        server_files(certs, &ca.server(), None),
        Duration::from_secs(3600),
        false,
    )
    .unwrap();
    TestServer::start_tls(tls, client(ca, None)).await
}

/// The server answers health SERVING on its own channel.
async fn assert_serving(s: &TestServer) {
    assert_eq!(
        health(s.channel.clone()).await.unwrap(),
        ServingStatus::Serving
    );
}

async fn mtls_server(certs: &Path, ca: &Ca, clients: &Ca, gateway: &Pair) -> TestServer {
    let tls = Tls::load_with(
        server_files(certs, &ca.server(), Some(clients)),
        Duration::from_secs(3600),
        false,
    )
    .unwrap();
    assert!(tls.mutual());
    TestServer::start_tls(tls, client(ca, Some(gateway))).await
}

#[test]
fn tls_mtls_admits_a_client_certificate_from_the_client_ca() {
    tls_server_test(60, "mtls good client", async {
        let certs = tempfile::tempdir().unwrap();
        let (ca, clients) = (Ca::new("Vetting Test CA"), Ca::new("Force Gateways CA"));
        let gateway = clients.client("gateway.kent.police.uk", "Kent Police");
        let s = mtls_server(certs.path(), &ca, &clients, &gateway).await;
        assert_serving(&s).await;
        let r = check(s.channel.clone(), &s.keys.checker.token, "Nobody")
            .await
            .unwrap();
        assert_eq!(r.outcome(), pb::Outcome::Clear);
        // The certificate does not replace the token.
        let mut c = CheckServiceClient::new(s.channel.clone());
        let mut req = tonic::Request::new(check_req("Ann", "Nobody", None));
        req.set_timeout(CALL_DEADLINE);
        assert_eq!(
            answer(c.check(req)).await.unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
        // The certificate's subject is on the audit event of each call: the check, and the
        // refused call without a token.
        let events = answer(
            vetting::pb::audit_service_client::AuditServiceClient::new(s.channel.clone())
                .list_audit_events(authed_within(
                    &s.keys.auditor.token,
                    pb::ListAuditEventsRequest {
                        page_size: 100,
                        ..Default::default()
                    },
                )),
        )
        .await
        .unwrap()
        .events;
        for action in ["check", "refused_call"] {
            let e = events
                .iter()
                .find(|e| e.action == action)
                .unwrap_or_else(|| panic!("no {action} event: {events:?}"));
            assert!(
                e.client_certificate.contains("CN=gateway.kent.police.uk"),
                "{action}: {:?}",
                e.client_certificate
            );
        }
        s.stop().await;
    });
}

#[test]
fn tls_mtls_refuses_no_certificate_another_cas_and_an_expired_one() {
    tls_server_test(60, "mtls refusals", async {
        let certs = tempfile::tempdir().unwrap();
        let (ca, clients) = (Ca::new("Vetting Test CA"), Ca::new("Force Gateways CA"));
        let gateway = clients.client("gateway.kent.police.uk", "Kent Police");
        let s = mtls_server(certs.path(), &ca, &clients, &gateway).await;

        refused(s.addr, client(&ca, None), "no client certificate").await;
        // Another CA of the same name: the signature is what counts, not the issuer's name.
        let stranger = Ca::new("Force Gateways CA").client("gateway.kent.police.uk", "Kent Police");
        refused(
            s.addr,
            client(&ca, Some(&stranger)),
            "a certificate from another CA",
        )
        .await;
        let expired = clients.client_valid("gateway.kent.police.uk", "Kent Police", -30, -1);
        refused(
            s.addr,
            client(&ca, Some(&expired)),
            "an expired certificate",
        )
        .await;
        let early = clients.client_valid("gateway.kent.police.uk", "Kent Police", 1, 30);
        refused(
            s.addr,
            client(&ca, Some(&early)),
            "a certificate not yet valid",
        )
        .await;

        // The good one is still admitted, on a connection of its own.
        attempt(s.addr, client(&ca, Some(&gateway))).await.unwrap();
        s.stop().await;
    });
}

// ---- in-process: reload on a file change ----

#[test]
fn tls_reload_on_a_file_change_keeps_the_open_stream() {
    tls_server_test(90, "tls reload on change", async {
        let certs = tempfile::tempdir().unwrap();
        let ca = Ca::new("Vetting Test CA 1");
        let files = server_files(certs.path(), &ca.server(), None);
        let tls = Tls::load_with(files.clone(), Duration::from_millis(100), false).unwrap();
        let s = TestServer::start_tls(tls, client(&ca, None)).await;
        let token = s.keys.checker.token.clone();
        let mut batch = OpenBatch::open(s.channel.clone(), &token).await;
        batch.round("Before").await;

        // New material from a new CA, as a rotation writes it.
        let ca2 = Ca::new("Vetting Test CA 2");
        let next = ca2.server();
        replace(&files.key, &next.key);
        replace(&files.cert, &next.cert);
        until_admitted(
            s.addr,
            || client(&ca2, None),
            "a client trusting only the new CA",
        )
        .await;
        let e = refused(
            s.addr,
            client(&ca, None),
            "a new connection trusting only the old CA",
        )
        .await;
        assert!(e.contains("UnknownIssuer"), "{e}");

        // The connection opened before keeps its session: the stream and unary calls go on.
        batch.round("After").await;
        let r = check(s.channel.clone(), &token, "After").await.unwrap();
        assert_eq!(r.outcome(), pb::Outcome::Clear);
        batch.close().await;
        s.stop().await;
    });
}

// ---- the binary: flags, SIGHUP, the log ----

fn kill(signal: &str, pid: u32) {
    let ok = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {signal} {pid}");
}

/// Waits (at most 15 s) until the child's log contains `text`.
async fn until_logged(server: &ChildServer, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = server.log_text();
        if log.contains(text) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "not logged within 15 s: {text:?}; log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn tls_mtls_through_the_binary_subject_in_the_log_and_sighup_reloads() {
    tls_server_test(120, "mtls binary with SIGHUP", async {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let token = key_in(&data, Role::Checker, "Kent Police").token;
        let (ca, clients) = (Ca::new("Vetting Test CA 1"), Ca::new("Force Gateways CA"));
        let gateway = clients.client("gateway.kent.police.uk", "Kent Police");
        let files = server_files(tmp.path(), &ca.server(), Some(&clients));
        let mut server = ChildServer::start_with(
            &data,
            tmp.path(),
            &[
                "--tls-cert",
                files.cert.to_str().unwrap(),
                "--tls-key",
                files.key.to_str().unwrap(),
                "--tls-client-ca",
                files.client_ca.as_deref().unwrap().to_str().unwrap(),
            ],
        );
        let addr = server.addr;
        let channel = connect(addr, client(&ca, Some(&gateway))).await.unwrap();
        let r = check(channel.clone(), &token, "Nobody").await.unwrap();
        assert_eq!(r.outcome(), pb::Outcome::Clear);
        // The call's span names the certificate's subject (what the audit event will record).
        let log = server.log_text();
        let line = log
            .lines()
            .find(|l| l.contains("method=\"Check\"") && l.contains("done"))
            .unwrap_or_else(|| panic!("no Check line in the log:\n{log}"));
        assert!(
            line.contains("client_certificate=\"CN=gateway.kent.police.uk,O=Kent Police\""),
            "{line}"
        );
        assert!(log.contains("transport=\"mTLS\""), "{log}");
        refused(addr, client(&ca, None), "no client certificate").await;

        let mut batch = OpenBatch::open(channel.clone(), &token).await;
        batch.round("Before").await;

        // SIGHUP with a key that does not match: refused, the file named, the key not shown.
        let stray = KeyPair::generate().unwrap().serialize_pem();
        replace(&files.key, &stray);
        kill("-HUP", server.child.id());
        let log = until_logged(&server, "TLS reload failed").await;
        let failed = log
            .lines()
            .find(|l| l.contains("TLS reload failed"))
            .unwrap();
        assert!(failed.contains(files.key.to_str().unwrap()), "{failed}");
        assert!(failed.contains("does not match"), "{failed}");
        for secret in stray.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!log.contains(secret), "the key's bytes are in the log");
        }
        attempt(addr, client(&ca, Some(&gateway))).await.unwrap();

        // SIGHUP with a new CA's certificate and its key: new connections get it.
        let ca2 = Ca::new("Vetting Test CA 2");
        let next = ca2.server();
        replace(&files.key, &next.key);
        replace(&files.cert, &next.cert);
        kill("-HUP", server.child.id());
        until_admitted(
            addr,
            || client(&ca2, Some(&gateway)),
            "a client trusting only the new CA",
        )
        .await;
        refused(
            addr,
            client(&ca, Some(&gateway)),
            "a client trusting only the old CA",
        )
        .await;

        // The stream and the connection opened before go on.
        batch.round("After").await;
        check(channel.clone(), &token, "After").await.unwrap();
        batch.close().await;

        kill("-TERM", server.child.id());
        let status = server
            .exit_within(Duration::from_secs(20))
            .await
            .expect("exits after SIGTERM");
        assert!(status.success(), "{status}; log:\n{}", server.log_tail(20));
    });
}

/// `vetting serve ARGS` that must exit 64 at once; returns its stderr.
fn usage_error(args: &[&str]) -> String {
    let out = vetting_cmd(args).stdin(Stdio::null()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(64), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn tls_plaintext_on_a_non_loopback_address_needs_insecure_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    let err = usage_error(&["serve", "--listen", "0.0.0.0:0", "--data-dir", d]);
    assert!(
        err.contains("--insecure-plaintext") && err.contains("--tls-cert"),
        "{err}"
    );
    assert!(!data.exists(), "nothing created before the refusal");
    // The same from the environment.
    let out = vetting_cmd(&["serve", "--data-dir", d])
        .env("VETTING_LISTEN", "[::]:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));

    bounded(
        Duration::from_secs(60),
        || "insecure plaintext".into(),
        async move {
            let port = crate::harness::free_port();
            let listen = format!("0.0.0.0:{port}");
            std::fs::create_dir_all(&data).unwrap();
            let token = key_in(&data, Role::Checker, "Kent Police").token;
            let log = tmp.path().join("insecure.log");
            let mut child = vetting_cmd(&[
                "serve",
                "--listen",
                &listen,
                "--data-dir",
                data.to_str().unwrap(),
            ])
            .env("VETTING_INSECURE_PLAINTEXT", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let deadline = Instant::now() + Duration::from_secs(15);
            let channel = loop {
                if let Ok(Ok(c)) = tokio::time::timeout(
                    Duration::from_secs(2),
                    Endpoint::from_shared(format!("http://{addr}"))
                        .unwrap()
                        .connect(),
                )
                .await
                {
                    break c;
                }
                assert!(
                    child.try_wait().unwrap().is_none(),
                    "exited: {}",
                    std::fs::read_to_string(&log).unwrap()
                );
                assert!(Instant::now() < deadline, "not listening");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            check(channel, &token, "Nobody").await.unwrap();
            let text = std::fs::read_to_string(&log).unwrap();
            assert!(
                text.contains("WARN") && text.contains("--insecure-plaintext"),
                "{text}"
            );
            kill("-TERM", child.id());
            let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
                .await
                .unwrap();
            assert!(status.success());
        },
    );
}

#[test]
fn tls_flags_usage_errors_name_the_flag_or_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("data");
    let d = d.to_str().unwrap();
    let ca = Ca::new("Vetting Test CA");
    let files = server_files(tmp.path(), &ca.server(), Some(&ca));
    let (cert, key, client_ca) = (
        files.cert.to_str().unwrap(),
        files.key.to_str().unwrap(),
        files.client_ca.as_deref().unwrap().to_str().unwrap(),
    );
    let serve = |extra: &[&str]| {
        let mut a = vec!["serve", "--listen", "127.0.0.1:0", "--data-dir", d];
        a.extend_from_slice(extra);
        usage_error(&a)
    };

    let e = serve(&["--tls-client-ca", client_ca]);
    assert!(e.contains("--tls-client-ca needs --tls-cert"), "{e}");
    let e = serve(&["--tls-cert", cert]);
    assert!(e.contains("--tls-key"), "{e}");
    let e = serve(&["--demo", "--tls-cert", cert, "--tls-key", key]);
    assert!(e.contains("--demo"), "{e}");

    let missing = tmp.path().join("missing.pem");
    let e = serve(&["--tls-cert", missing.to_str().unwrap(), "--tls-key", key]);
    assert!(
        e.contains("cannot read") && e.contains("missing.pem"),
        "{e}"
    );

    let junk = write(tmp.path(), "junk.pem", "not PEM at all\n");
    let e = serve(&["--tls-cert", junk.to_str().unwrap(), "--tls-key", key]);
    assert!(e.contains("junk.pem") && e.contains("certificate"), "{e}");
    let e = serve(&["--tls-cert", cert, "--tls-key", junk.to_str().unwrap()]);
    assert!(e.contains("junk.pem") && e.contains("private key"), "{e}");
    let e = serve(&[
        "--tls-cert",
        cert,
        "--tls-key",
        key,
        "--tls-client-ca",
        junk.to_str().unwrap(),
    ]);
    assert!(e.contains("junk.pem"), "{e}");

    let stray = KeyPair::generate().unwrap().serialize_pem();
    let other_key = write(tmp.path(), "other.key", &stray);
    let e = serve(&["--tls-cert", cert, "--tls-key", other_key.to_str().unwrap()]);
    assert!(
        e.contains("other.key") && e.contains("does not match"),
        "{e}"
    );
    for secret in stray.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!e.contains(secret), "the key's bytes are in the message");
    }
    assert!(!Path::new(d).exists(), "nothing created before the refusal");
}

// ---- grpcurl ----

fn grpcurl(
    tls: &[&str],
    addr: SocketAddr,
    token: Option<&str>,
    args: &[&str],
    body: Option<&str>,
) -> std::process::Output {
    let mut cmd = Command::new(crate::grpcurl::grpcurl_path());
    cmd.args(tls)
        .args(["-connect-timeout", "5", "-max-time", "10"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("authorization: Bearer {t}")]);
    }
    if let Some(b) = body {
        cmd.args(["-d", b]);
    }
    cmd.arg(addr.to_string()).args(args);
    cmd.stdin(Stdio::null()).output().unwrap()
}

#[test]
#[ignore = "needs grpcurl: run scripts/test.sh"]
fn tls_grpcurl_with_cacert_cert_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let token = key_in(&data, Role::Checker, "Kent Police").token;
    let (ca, clients) = (Ca::new("Vetting Test CA"), Ca::new("Force Gateways CA"));
    let gateway = clients.client("gateway.kent.police.uk", "Kent Police");
    let files = server_files(tmp.path(), &ca.server(), Some(&clients));
    let ca_pem = write(tmp.path(), "ca.pem", &ca.pem);
    let gw_cert = write(tmp.path(), "gateway.pem", &gateway.cert);
    let gw_key = write(tmp.path(), "gateway.key", &gateway.key);
    let server = ChildServer::start_with(
        &data,
        tmp.path(),
        &[
            "--tls-cert",
            files.cert.to_str().unwrap(),
            "--tls-key",
            files.key.to_str().unwrap(),
            "--tls-client-ca",
            files.client_ca.as_deref().unwrap().to_str().unwrap(),
        ],
    );
    let mtls = [
        "-cacert",
        ca_pem.to_str().unwrap(),
        "-cert",
        gw_cert.to_str().unwrap(),
        "-key",
        gw_key.to_str().unwrap(),
    ];
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "grpcurl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    // Reflection (v1alpha, as grpcurl 1.8.6 speaks it) and health over mTLS.
    let services = ok(grpcurl(&mtls, server.addr, None, &["list"], None));
    assert!(services.contains("vetting.v1.CheckService"), "{services}");
    let h = ok(grpcurl(
        &mtls,
        server.addr,
        None,
        &["grpc.health.v1.Health/Check"],
        None,
    ));
    assert!(h.contains("SERVING"), "{h}");

    let body = r#"{"name": {"given_names": "Ann", "family_name": "Nobody"},
                   "purpose": "RECRUITMENT", "client_ref": "grpcurl-tls"}"#;
    let answer = ok(grpcurl(
        &mtls,
        server.addr,
        Some(&token),
        &["vetting.v1.CheckService/Check"],
        Some(body),
    ));
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["outcome"], "CLEAR", "{answer}");
    assert_eq!(v["clientRef"], "grpcurl-tls", "{answer}");
    let log = server.log_text();
    assert!(
        log.contains("client_certificate=\"CN=gateway.kent.police.uk,O=Kent Police\""),
        "{log}"
    );

    // Without the client certificate, without trusting the CA, or in plaintext: refused.
    let no_cert = ["-cacert", ca_pem.to_str().unwrap()];
    let out = grpcurl(
        &no_cert,
        server.addr,
        None,
        &["grpc.health.v1.Health/Check"],
        None,
    );
    assert!(
        !out.status.success(),
        "no client certificate must be refused"
    );
    let out = grpcurl(
        &mtls[2..],
        server.addr,
        None,
        &["grpc.health.v1.Health/Check"],
        None,
    );
    assert!(
        !out.status.success(),
        "an untrusted server certificate must be refused"
    );
    let out = grpcurl(
        &["-plaintext"],
        server.addr,
        None,
        &["grpc.health.v1.Health/Check"],
        None,
    );
    assert!(!out.status.success(), "plaintext must be refused");
}
