//! TLS and mTLS for `serve`: the PEM files, loaded at start and reloaded on SIGHUP or when
//! they change on disk; handshakes off the accept loop, each with a timeout; the rule for when
//! plaintext may be served.
//!
//! A reload builds a whole new rustls `ServerConfig` (certificate, key, client CA, ALPN `h2`)
//! and swaps it in; each handshake takes the one current when it starts. Connections already
//! open keep the session they have. A fresh config also means a fresh session cache: a client
//! cannot resume, under a replaced client CA, a session that the old CA admitted (rustls does
//! not verify the client certificate again on resumption).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::{Stream, StreamExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::server::TlsStream;
use tonic::transport::server::TcpIncoming;

use crate::service::error::chain;

/// Longest a client may take over its handshake before its connection is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most handshakes in progress at once, in all and from one IP address; connections beyond
/// are closed at once. (One gateway opens a few connections; thousands of slow handshakes from
/// one address are an attack, and must not hold every slot for the timeout's length.)
pub const MAX_HANDSHAKES: usize = 4096;
pub const MAX_HANDSHAKES_PER_PEER: usize = 64;
/// How often the files' modification time, length and inode are compared with the last load's.
pub const POLL_EVERY: Duration = Duration::from_secs(5);

/// Installs ring as the process's rustls crypto provider (`vetting serve` does it once, at
/// start; a second call changes nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The PEM files TLS is served from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate chain, its own certificate first.
    pub cert: PathBuf,
    /// The private key of `cert` (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// When set, clients must present a certificate signed by one of these CAs (mTLS).
    pub client_ca: Option<PathBuf>,
}

/// What `serve` listens with, as decided from the command line by [`transport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Plaintext; `exposed` when the address is not loopback (allowed only with
    /// `--insecure-plaintext`, and warned about).
    Plain {
        exposed: bool,
    },
    Tls(TlsFiles),
}

/// Why the command line's TLS flags do not hang together; `Display` is the one line the
/// operator sees.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error(
        "--tls-client-ca needs --tls-cert and --tls-key: mTLS is TLS that also asks clients for a certificate"
    )]
    ClientCaWithoutCert,
    #[error("--tls-cert and --tls-key go together: give both")]
    HalfAPair,
    #[error("--demo serves plaintext on loopback: drop the --tls-* flags, or --demo")]
    DemoWithTls,
    #[error("--insecure-plaintext and --tls-cert contradict each other: drop one")]
    InsecureWithTls,
    #[error(
        "refusing to serve plaintext on {0}, which is not a loopback address: give --tls-cert and \
         --tls-key (see the README's TLS section), or --insecure-plaintext if a TLS proxy in front \
         does the encryption"
    )]
    PlaintextExposed(SocketAddr),
}

/// The rule: TLS when a certificate and key are given; otherwise plaintext, which on an
/// address other than loopback needs `insecure_plaintext`. `--demo` is plaintext only.
pub fn transport(
    listen: SocketAddr,
    demo: bool,
    cert: Option<&Path>,
    key: Option<&Path>,
    client_ca: Option<&Path>,
    insecure_plaintext: bool,
) -> Result<Transport, TransportError> {
    let any_tls = cert.is_some() || key.is_some() || client_ca.is_some();
    if demo && any_tls {
        return Err(TransportError::DemoWithTls);
    }
    match (cert, key) {
        (Some(cert), Some(key)) => {
            if insecure_plaintext {
                return Err(TransportError::InsecureWithTls);
            }
            Ok(Transport::Tls(TlsFiles {
                cert: cert.to_owned(),
                key: key.to_owned(),
                client_ca: client_ca.map(Path::to_owned),
            }))
        }
        (None, None) if client_ca.is_some() => Err(TransportError::ClientCaWithoutCert),
        (None, None) => {
            let exposed = !listen.ip().to_canonical().is_loopback();
            if exposed && !insecure_plaintext {
                return Err(TransportError::PlaintextExposed(listen));
            }
            Ok(Transport::Plain { exposed })
        }
        _ => Err(TransportError::HalfAPair),
    }
}

/// A PEM file that could not be used. Messages name the file, never its contents.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: no PEM certificate in it", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: not a valid PEM certificate file", path.display())]
    BadCertificate { path: PathBuf },
    /// The key file's parse error is not kept: its text could quote the file.
    #[error("{}: no valid PEM private key in it (PKCS#8, PKCS#1 or SEC1)", path.display())]
    BadKey { path: PathBuf },
    #[error("{}: the private key does not match the certificate in {}", key.display(), cert.display())]
    KeyMismatch { key: PathBuf, cert: PathBuf },
    #[error("{}: unusable", path.display())]
    Unusable {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("{}: no usable CA certificate", path.display())]
    ClientCa {
        path: PathBuf,
        #[source]
        source: rustls::server::VerifierBuilderError,
    },
}

/// The current TLS material, swapped whole on a reload. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Tls {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<ServerConfig>>,
    poll_every: Duration,
    sighup: bool,
}

impl Tls {
    /// Loads `files`; reloads on SIGHUP and when they change ([`POLL_EVERY`]).
    pub fn load(files: TlsFiles) -> Result<Self, TlsError> {
        Self::load_with(files, POLL_EVERY, true)
    }

    /// [`Tls::load`], polling the files every `poll_every`, and on SIGHUP only if `sighup` (a
    /// test in a process that other tests share leaves the signal alone).
    pub fn load_with(
        files: TlsFiles,
        poll_every: Duration,
        sighup: bool,
    ) -> Result<Self, TlsError> {
        // The process's provider when `serve` installed one; ring otherwise (in tests).
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let (config, loaded) = build(&files, &provider)?;
        log_loaded(&files, &loaded, "start");
        Ok(Self {
            inner: Arc::new(Inner {
                files,
                provider,
                current: RwLock::new(config),
                poll_every,
                sighup,
            }),
        })
    }

    /// Whether clients must present a certificate.
    pub fn mutual(&self) -> bool {
        self.inner.files.client_ca.is_some()
    }

    /// Reads the files again; on success new handshakes use them, on failure the material in
    /// use stays.
    fn reload(&self, trigger: &'static str) -> Result<(), TlsError> {
        let (config, loaded) = build(&self.inner.files, &self.inner.provider)?;
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        log_loaded(&self.inner.files, &loaded, trigger);
        Ok(())
    }

    fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(
            self.inner
                .current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        )
    }

    /// The TLS connections made over `tcp`: each handshake in a task of its own, bounded by
    /// [`HANDSHAKE_TIMEOUT`] and [`MAX_HANDSHAKES`]; failed handshakes are logged at debug and
    /// dropped. While the stream lives, the files are watched; dropping it (the server stops
    /// accepting) stops the watch and the handshakes in progress.
    pub fn incoming(
        self,
        tcp: TcpIncoming,
    ) -> impl Stream<Item = io::Result<TlsStream<TcpStream>>> + Send + 'static {
        // Listening for SIGHUP from here on, before the first connection is accepted: a
        // SIGHUP that came before would end the process (the signal's default).
        let hup = self.inner.sighup.then(listen_for_sighup).flatten();
        let watch = AbortOnDrop(tokio::spawn(watch(self.clone(), hup)));
        let state = Accepting {
            tls: self,
            tcp,
            handshakes: JoinSet::new(),
            by_peer: HashMap::new(),
            over_cap: RateLimited::new(Duration::from_secs(10)),
            _watch: watch,
        };
        futures_util::stream::unfold(state, |mut s| async move {
            let next = s.next().await?;
            Some((next, s))
        })
    }
}

/// A handshake's peer and outcome.
type Handshake = (Option<SocketAddr>, io::Result<TlsStream<TcpStream>>);

struct Accepting {
    tls: Tls,
    tcp: TcpIncoming,
    handshakes: JoinSet<Handshake>,
    /// Handshakes in progress by peer address.
    by_peer: HashMap<IpAddr, usize>,
    over_cap: RateLimited,
    _watch: AbortOnDrop,
}

impl Accepting {
    /// The next completed handshake, or an accept error for tonic to judge; `None` once the
    /// listener is closed.
    async fn next(&mut self) -> Option<io::Result<TlsStream<TcpStream>>> {
        loop {
            tokio::select! {
                accepted = self.tcp.next() => match accepted? {
                    Ok(tcp) => self.start(tcp),
                    Err(e) => return Some(Err(e)),
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    let (peer, outcome) = match done {
                        Ok(done) => done,
                        Err(e) => {
                            tracing::error!(error = %e, "a TLS handshake task failed");
                            continue;
                        }
                    };
                    if let Some(ip) = peer.map(|p| p.ip())
                        && let Some(n) = self.by_peer.get_mut(&ip)
                    {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            self.by_peer.remove(&ip);
                        }
                    }
                    match outcome {
                        Ok(tls) => return Some(Ok(tls)),
                        // What the client sent is not logged: the error names what was wrong.
                        Err(e) => tracing::debug!(
                            peer = peer.map(tracing::field::display),
                            error = %e,
                            "TLS handshake failed; connection closed"
                        ),
                    }
                }
            }
        }
    }

    fn start(&mut self, tcp: TcpStream) {
        let peer = tcp.peer_addr().ok();
        let from_peer = peer.and_then(|p| self.by_peer.get(&p.ip()).copied());
        if self.handshakes.len() >= MAX_HANDSHAKES
            || from_peer.is_some_and(|n| n >= MAX_HANDSHAKES_PER_PEER)
        {
            // Dropped: the connection closes without a word.
            if let Some(dropped) = self.over_cap.allow() {
                tracing::warn!(
                    peer = peer.map(tracing::field::display),
                    limit = MAX_HANDSHAKES,
                    per_peer = MAX_HANDSHAKES_PER_PEER,
                    dropped,
                    "too many TLS handshakes in progress: new connections closed at once"
                );
            }
            return;
        }
        if let Some(p) = peer {
            *self.by_peer.entry(p.ip()).or_default() += 1;
        }
        let acceptor = self.tls.acceptor();
        self.handshakes.spawn(async move {
            let outcome = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            {
                Ok(r) => r,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "handshake timed out",
                )),
            };
            (peer, outcome)
        });
    }
}

/// A log line at most once per `every`; counts what it held back.
struct RateLimited {
    every: Duration,
    last: Option<Instant>,
    held: u64,
}

impl RateLimited {
    fn new(every: Duration) -> Self {
        Self {
            every,
            last: None,
            held: 0,
        }
    }

    /// `Some(events since the last line)` when a line may be logged now.
    fn allow(&mut self) -> Option<u64> {
        self.held += 1;
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < self.every)
        {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What identifies a file's version without reading it: modification time, length, inode.
/// `None` for a file that cannot be read (it may be being replaced).
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamps(files: &TlsFiles) -> [Stamp; 3] {
    let stamp = |p: &Path| {
        let m = std::fs::metadata(p).ok()?;
        Some((
            m.modified().ok()?,
            m.len(),
            std::os::unix::fs::MetadataExt::ino(&m),
        ))
    };
    [
        stamp(&files.cert),
        stamp(&files.key),
        files.client_ca.as_deref().and_then(stamp),
    ]
}

fn listen_for_sighup() -> Option<tokio::signal::unix::Signal> {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGHUP: TLS files reload only when they change");
            None
        }
    }
}

/// Reloads on SIGHUP, and when a file's stamp changes; a failed reload is logged and the
/// material in use stays (it is tried again when a file changes again, or on SIGHUP).
async fn watch(tls: Tls, mut hup: Option<tokio::signal::unix::Signal>) {
    let mut seen = stamps(&tls.inner.files);
    let mut tick = tokio::time::interval(tls.inner.poll_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        let trigger = tokio::select! {
            _ = tick.tick() => {
                let now = stamps(&tls.inner.files);
                if now == seen {
                    continue;
                }
                seen = now;
                "file changed"
            }
            Some(()) = async {
                match hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                seen = stamps(&tls.inner.files);
                "SIGHUP"
            }
        };
        if let Err(e) = tls.reload(trigger) {
            tracing::error!(
                trigger,
                error = %chain(&e),
                "TLS reload failed: the certificate and key in use stay in use"
            );
        }
    }
}

/// What a load found, for the log.
struct Loaded {
    subject: String,
    not_after: Option<time::OffsetDateTime>,
    client_cas: usize,
}

fn log_loaded(files: &TlsFiles, loaded: &Loaded, trigger: &'static str) {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let not_after = loaded.not_after.and_then(|t| t.format(rfc3339).ok());
    tracing::info!(
        trigger,
        cert = %files.cert.display(),
        subject = %loaded.subject,
        not_after = not_after.as_deref().unwrap_or("unknown"),
        client_cas = loaded.client_cas,
        "TLS certificate loaded; new handshakes use it"
    );
    if loaded
        .not_after
        .is_some_and(|t| t < time::OffsetDateTime::now_utc())
    {
        tracing::warn!(cert = %files.cert.display(), "the server certificate has expired: clients will refuse it");
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TlsError::BadCertificate {
            path: path.to_owned(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn build(
    files: &TlsFiles,
    provider: &Arc<CryptoProvider>,
) -> Result<(Arc<ServerConfig>, Loaded), TlsError> {
    let chain = certificates(&files.cert)?;
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?).map_err(|_| TlsError::BadKey {
        path: files.key.clone(),
    })?;
    let (subject, not_after) = chain
        .first()
        .and_then(|c| x509_parser::parse_x509_certificate(c).ok())
        .map(|(_, c)| {
            (
                crate::api::peer::rfc4514(c.subject()),
                Some(c.validity().not_after.to_datetime()),
            )
        })
        .ok_or_else(|| TlsError::BadCertificate {
            path: files.cert.clone(),
        })?;
    let (verifier, client_cas) = match &files.client_ca {
        None => (WebPkiClientVerifier::no_client_auth(), 0),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for ca in certificates(path)? {
                roots.add(ca).map_err(|source| TlsError::Unusable {
                    path: path.clone(),
                    source,
                })?;
            }
            let n = roots.len();
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|source| TlsError::ClientCa {
                        path: path.clone(),
                        source,
                    })?;
            (verifier, n)
        }
    };
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|source| TlsError::Unusable {
            path: files.cert.clone(),
            source,
        })?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
                key: files.key.clone(),
                cert: files.cert.clone(),
            },
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
                TlsError::Unusable {
                    path: files.cert.clone(),
                    source: e,
                }
            }
            // The key did not load (an unsupported kind, or corrupt). rustls's message names
            // the kinds it tried, not the bytes; still, the key's error is not passed on.
            _ => TlsError::BadKey {
                path: files.key.clone(),
            },
        })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((
        Arc::new(config),
        Loaded {
            subject,
            not_after,
            client_cas,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn rule(
        listen: &str,
        demo: bool,
        tls: (bool, bool, bool),
        insecure: bool,
    ) -> Result<Transport, TransportError> {
        let (cert, key, ca) = (Path::new("c.pem"), Path::new("k.pem"), Path::new("ca.pem"));
        transport(
            addr(listen),
            demo,
            tls.0.then_some(cert),
            tls.1.then_some(key),
            tls.2.then_some(ca),
            insecure,
        )
    }

    #[test]
    fn plaintext_on_loopback_needs_nothing() {
        for a in [
            "127.0.0.1:50051",
            "127.8.9.10:1",
            "[::1]:50051",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert_eq!(
                rule(a, false, (false, false, false), false),
                Ok(Transport::Plain { exposed: false }),
                "{a}"
            );
        }
        assert_eq!(
            rule("127.0.0.1:0", true, (false, false, false), false),
            Ok(Transport::Plain { exposed: false })
        );
    }

    #[test]
    fn plaintext_elsewhere_needs_insecure_plaintext() {
        for a in [
            "0.0.0.0:50051",
            "[::]:50051",
            "10.1.2.3:50051",
            "[::ffff:10.0.0.1]:1",
        ] {
            assert_eq!(
                rule(a, false, (false, false, false), false),
                Err(TransportError::PlaintextExposed(addr(a))),
                "{a}"
            );
            assert_eq!(
                rule(a, false, (false, false, false), true),
                Ok(Transport::Plain { exposed: true }),
                "{a}"
            );
        }
        // The demo is no exception.
        assert!(rule("0.0.0.0:0", true, (false, false, false), false).is_err());
    }

    #[test]
    fn tls_flags_hang_together() {
        assert_eq!(
            rule("0.0.0.0:1", false, (true, true, true), false),
            Ok(Transport::Tls(TlsFiles {
                cert: "c.pem".into(),
                key: "k.pem".into(),
                client_ca: Some("ca.pem".into()),
            }))
        );
        assert!(matches!(
            rule("0.0.0.0:1", false, (true, true, false), false),
            Ok(Transport::Tls(TlsFiles {
                client_ca: None,
                ..
            }))
        ));
        assert_eq!(
            rule("127.0.0.1:1", false, (false, false, true), false),
            Err(TransportError::ClientCaWithoutCert)
        );
        assert_eq!(
            rule("127.0.0.1:1", false, (true, false, false), false),
            Err(TransportError::HalfAPair)
        );
        assert_eq!(
            rule("127.0.0.1:1", false, (false, true, true), false),
            Err(TransportError::HalfAPair)
        );
        assert_eq!(
            rule("127.0.0.1:1", true, (true, true, false), false),
            Err(TransportError::DemoWithTls)
        );
        assert_eq!(
            rule("0.0.0.0:1", false, (true, true, false), true),
            Err(TransportError::InsecureWithTls)
        );
    }

    #[test]
    fn messages_are_one_line_and_say_what_to_do() {
        let e = rule("0.0.0.0:50051", false, (false, false, false), false).unwrap_err();
        let m = e.to_string();
        assert!(!m.contains('\n'), "{m}");
        assert!(
            m.contains("--tls-cert") && m.contains("--insecure-plaintext"),
            "{m}"
        );
        assert!(m.contains("0.0.0.0:50051"), "{m}");
    }

    #[test]
    fn at_most_one_line_per_period_and_a_count_of_the_rest() {
        let mut r = RateLimited::new(Duration::from_secs(3600));
        assert_eq!(r.allow(), Some(1));
        assert_eq!(r.allow(), None);
        assert_eq!(r.allow(), None);
        r.last = Instant::now().checked_sub(Duration::from_secs(7200));
        assert_eq!(r.allow(), Some(3));
    }
}
