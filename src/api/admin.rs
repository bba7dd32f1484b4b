//! `vetting.v1.AdminService` (role `admin`): online backups; and the client `vetting backup`
//! runs, which builds a new data directory from a backup's stream.
//!
//! The server fixes the cut on the blocking pool (a moment under the audit chain's mutex, see
//! [`crate::store::backup`]), waits until everything up to it is on disk, then one blocking
//! task reads the records up to the cut and sends them a chunk at a time through a channel of
//! [`CHUNKS_AHEAD`]: memory is bounded on both sides, and writers and checks go on meanwhile
//! (the reads take no lock they wait for). The task stops when the client goes (the channel
//! closes), when the call's `grpc-timeout` passes (DEADLINE_EXCEEDED), and when a shutdown's
//! grace period is over (UNAVAILABLE).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use super::convert::{timestamp, timestamp_ms};
use super::{Writes, principal, run};
use crate::auth::Keys;
use crate::pb::admin_service_client::AdminServiceClient;
use crate::pb::{self, admin_service_server::AdminService, backup_chunk::Part};
use crate::service::Vetting;
use crate::service::backup::{BackupCopy, Cut};
use crate::service::error::{Error, chain};

/// Chunks a backup stream holds ready, at most (on each side).
pub const CHUNKS_AHEAD: usize = 4;
/// Bytes of records in one chunk, about (a chunk ends after the record that reaches it):
/// well under the 4 MiB message limit.
pub const CHUNK_BYTES: usize = 1 << 20;

#[derive(Debug)]
pub struct AdminApi {
    v: Vetting,
    keys: Arc<Keys>,
    /// One backup at a time.
    busy: Arc<tokio::sync::Semaphore>,
    /// Turns true when a shutdown's grace period is over: a backup still streaming ends then.
    cut: tokio::sync::watch::Receiver<bool>,
    /// Bytes of records in one chunk, about: [`CHUNK_BYTES`], or half the server's message
    /// limit if that is less.
    chunk_bytes: usize,
}

impl AdminApi {
    /// `max_message_bytes`: the server's limit on a message it sends.
    pub fn new(
        v: Vetting,
        keys: Arc<Keys>,
        cut: tokio::sync::watch::Receiver<bool>,
        max_message_bytes: usize,
    ) -> Self {
        Self {
            v,
            keys,
            busy: Arc::new(tokio::sync::Semaphore::new(1)),
            cut,
            chunk_bytes: (max_message_bytes / 2).clamp(1, CHUNK_BYTES),
        }
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    type BackupStream = ReceiverStream<Result<pb::BackupChunk, Status>>;

    async fn backup(
        &self,
        req: Request<pb::BackupRequest>,
    ) -> Result<Response<Self::BackupStream>, Status> {
        let who = principal(&req)?;
        let deadline = grpc_timeout(req.metadata()).map(|d| Instant::now() + d);
        let permit = self.busy.clone().try_acquire_owned().map_err(|_| {
            Status::failed_precondition(
                "a backup is being taken already: wait for it to finish, then try again",
            )
        })?;
        let span = tracing::info_span!(
            "backup",
            key_id = %who.key_id,
            organisation = %who.organisation,
        );
        // Audited, and durable up to the cut, before anything goes out.
        let cut = run(&self.v, "Backup", &who.clone(), Writes::Yes, move |v| {
            v.begin_backup(&who)
        })
        .await?;
        let (tx, rx) = mpsc::channel(CHUNKS_AHEAD);
        let sender = Sender {
            tx,
            deadline,
            cut: self.cut.clone(),
            chunk_bytes: self.chunk_bytes,
        };
        let v = self.v.clone();
        let key_file = self.keys.file().path().to_owned();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(|| {
                let started = Instant::now();
                match send_backup(&v, &cut, &key_file, &sender) {
                    Ok(end) => tracing::info!(
                        data_version = cut.data_version,
                        changes = end.changes,
                        audit_events = end.audit_events,
                        requests = end.requests,
                        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                        "backup sent"
                    ),
                    Err(Stop::Gone) => tracing::warn!("backup abandoned by its client"),
                    Err(Stop::Status(s)) => {
                        tracing::warn!(code = ?s.code(), "backup ended early");
                        let _ = sender.tx.blocking_send(Err(s));
                    }
                }
            });
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// Why a backup stream stopped before its end.
enum Stop {
    /// The client went away.
    Gone,
    /// Ended with this status, sent as the stream's last item.
    Status(Status),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Self::Status(e.into())
    }
}

/// A backup stream's sending end, which checks the call's deadline and the server's shutdown
/// before each chunk.
struct Sender {
    tx: mpsc::Sender<Result<pb::BackupChunk, Status>>,
    deadline: Option<Instant>,
    cut: tokio::sync::watch::Receiver<bool>,
    chunk_bytes: usize,
}

impl Sender {
    fn send(&self, part: Part) -> Result<(), Stop> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Stop::Status(Status::deadline_exceeded(
                "the backup's deadline passed before it was all sent: give it a longer one",
            )));
        }
        if *self.cut.borrow() {
            return Err(Stop::Status(Status::unavailable(
                "the server is shutting down: take the backup again from the next one",
            )));
        }
        let chunk = pb::BackupChunk { part: Some(part) };
        self.tx.blocking_send(Ok(chunk)).map_err(|_| Stop::Gone)
    }

    /// Sends `records` in chunks of about `chunk_bytes`, `wrap`ped; returns how many. Records
    /// that are not `sequenced` are key and value pairs, never split between chunks.
    fn records(
        &self,
        records: impl Iterator<Item = Result<Vec<u8>, Error>>,
        sequenced: bool,
        wrap: fn(pb::StoreRecords) -> Part,
    ) -> Result<u64, Stop> {
        let whole = |n: u64| sequenced || n.is_multiple_of(2);
        let mut n = 0u64;
        let mut batch = pb::StoreRecords {
            first_sequence: u64::from(sequenced),
            records: Vec::new(),
        };
        let mut bytes = 0;
        for r in records {
            let r = r?;
            bytes += r.len();
            batch.records.push(r);
            n += 1;
            if bytes >= self.chunk_bytes && whole(n) {
                let next = pb::StoreRecords {
                    first_sequence: if sequenced { n + 1 } else { 0 },
                    records: Vec::new(),
                };
                self.send(wrap(std::mem::replace(&mut batch, next)))?;
                bytes = 0;
            }
        }
        if !batch.records.is_empty() {
            self.send(wrap(batch))?;
        }
        Ok(n)
    }
}

/// Sends the manifest, the records up to `cut`, the key file and the end.
fn send_backup(
    v: &Vetting,
    cut: &Cut,
    key_file: &Path,
    out: &Sender,
) -> Result<pb::BackupEnd, Stop> {
    out.send(Part::Manifest(pb::BackupManifest {
        data_version: cut.data_version,
        change_sequence: cut.change_seq,
        audit_sequence: cut.audit_seq,
        audit_head_hash: cut.audit_hash.clone(),
        store_format: cut.format,
        taken_at: Some(timestamp(cut.at_ms)),
    }))?;
    let mut end = pb::BackupEnd {
        changes: out.records(v.backup_changes(cut), true, Part::Changes)?,
        audit_events: out.records(v.backup_audit(cut), true, Part::AuditEvents)?,
        ..pb::BackupEnd::default()
    };
    end.requests = out.records(v.backup_requests(), false, Part::Requests)? / 2;
    let keys = key_file_lines(key_file).map_err(|e| {
        tracing::error!(error = %e, "cannot read the key file for a backup");
        Stop::Status(Status::internal(
            "internal error; the operator's log has the details",
        ))
    })?;
    for piece in keys.chunks(out.chunk_bytes) {
        out.send(Part::KeyFile(piece.to_vec()))?;
    }
    end.key_file_bytes = keys.len() as u64;
    out.send(Part::End(end))?;
    Ok(end)
}

/// The key file's complete lines (a line still being appended is left out); nothing when
/// there is no key file.
fn key_file_lines(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(mut bytes) => {
            let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            bytes.truncate(whole);
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The `grpc-timeout` a call came with (`digits` and a unit: H, M, S, m, u, n).
fn grpc_timeout(meta: &tonic::metadata::MetadataMap) -> Option<Duration> {
    let v = meta.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = v.split_at_checked(v.len().checked_sub(1)?)?;
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

// ---- the client: `vetting backup --to DIR` ----

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is not empty: a backup goes into a new or empty directory")]
    NotEmpty(PathBuf),
    #[error("{0}")]
    Usage(String),
    #[error("cannot connect to {url}")]
    Connect {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("the server answered {code:?}: {message}", code = .0.code(), message = .0.message())]
    Refused(Status),
    #[error("the backup stream is not a backup: {0}")]
    Malformed(&'static str),
    #[error("no answer within the deadline ({0:?})")]
    Deadline(Duration),
    #[error("writing the copy")]
    Copy(#[from] Error),
    #[error("writing the copy")]
    Io(#[from] std::io::Error),
}

/// Where and how `vetting backup` connects.
#[derive(Clone, Debug)]
pub struct BackupClient {
    /// `http://host:port` or `https://host:port`.
    pub url: String,
    pub token: String,
    /// PEM CA certificates to trust (for `https`).
    pub tls_ca: Option<PathBuf>,
    /// A PEM client certificate and key (mTLS).
    pub tls_identity: Option<(PathBuf, PathBuf)>,
    /// The whole backup's deadline.
    pub deadline: Duration,
}

/// What a backup written to a directory holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    pub data_version: u64,
    pub change_sequence: u64,
    pub audit_sequence: u64,
    pub audit_head_hash: String,
    pub taken_at_ms: i64,
    pub subjects: usize,
    pub listed_subjects: u64,
    pub request_records: u64,
    pub key_file_bytes: u64,
}

impl BackupClient {
    async fn channel(&self) -> Result<Channel, BackupError> {
        let bad = |m: String| BackupError::Usage(m);
        let mut endpoint = Channel::from_shared(self.url.clone())
            .map_err(|_| bad(format!("--server {} is not a URL", self.url)))?
            .connect_timeout(Duration::from_secs(10));
        if self.tls_ca.is_some() || self.tls_identity.is_some() || self.url.starts_with("https:") {
            crate::tls::install_crypto_provider();
            let mut tls = tonic::transport::ClientTlsConfig::new();
            if let Some(ca) = &self.tls_ca {
                let pem = std::fs::read(ca)
                    .map_err(|e| bad(format!("cannot read {}: {e}", ca.display())))?;
                tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
            }
            if let Some((cert, key)) = &self.tls_identity {
                let read = |p: &PathBuf| {
                    std::fs::read(p).map_err(|e| bad(format!("cannot read {}: {e}", p.display())))
                };
                tls = tls.identity(tonic::transport::Identity::from_pem(
                    read(cert)?,
                    read(key)?,
                ));
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|source| BackupError::Connect {
                    url: self.url.clone(),
                    source,
                })?;
        }
        endpoint
            .connect()
            .await
            .map_err(|source| BackupError::Connect {
                url: self.url.clone(),
                source,
            })
    }

    /// Takes a backup from the server into `to` (new, or an empty directory): a data
    /// directory a server can be started on. Refuses a directory that holds anything. On an
    /// error, `to` holds an incomplete copy that no server opens (its index is marked
    /// incomplete): remove it.
    pub async fn take(&self, to: &Path) -> Result<BackupReport, BackupError> {
        prepare_target(to)?;
        let limit = self.deadline;
        let store_dir = to.join("store");
        match tokio::time::timeout(limit, self.take_into(to, store_dir)).await {
            Ok(r) => r,
            Err(_) => Err(BackupError::Deadline(limit)),
        }
    }

    async fn take_into(&self, to: &Path, store_dir: PathBuf) -> Result<BackupReport, BackupError> {
        let channel = self.channel().await?;
        let mut client = AdminServiceClient::new(channel).max_decoding_message_size(8 << 20);
        let mut req = Request::new(pb::BackupRequest {});
        let bearer = format!("Bearer {}", self.token)
            .parse()
            .map_err(|_| BackupError::Usage("the token is not a valid header value".into()))?;
        req.metadata_mut().insert("authorization", bearer);
        req.set_timeout(self.deadline);
        let mut stream = client
            .backup(req)
            .await
            .map_err(BackupError::Refused)?
            .into_inner();
        // Chunks go to a blocking writer through a bounded channel: the copy's store is
        // written off the runtime, and memory stays bounded.
        let (tx, rx) = mpsc::channel::<pb::BackupChunk>(CHUNKS_AHEAD);
        let to_owned = to.to_owned();
        let writer = tokio::task::spawn_blocking(move || write_copy(&to_owned, &store_dir, rx));
        let received = async {
            while let Some(chunk) = stream.message().await.map_err(BackupError::Refused)? {
                if tx.send(chunk).await.is_err() {
                    // The writer stopped: its error is the one to report.
                    break;
                }
            }
            Ok::<(), BackupError>(())
        }
        .await;
        drop(tx);
        let written = writer
            .await
            .map_err(|e| BackupError::Io(std::io::Error::other(e)))?;
        received?;
        written
    }
}

/// `to` must not exist, or be an empty directory; it is created.
fn prepare_target(to: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(to) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(to.to_owned()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(to)?,
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Builds the copy from the chunks: a store, the key file and `backup.json`.
fn write_copy(
    to: &Path,
    store_dir: &Path,
    mut rx: mpsc::Receiver<pb::BackupChunk>,
) -> Result<BackupReport, BackupError> {
    let Some(pb::BackupChunk {
        part: Some(Part::Manifest(m)),
    }) = rx.blocking_recv()
    else {
        return Err(BackupError::Malformed("it does not begin with a manifest"));
    };
    let taken_at_ms = m
        .taken_at
        .as_ref()
        .and_then(|t| timestamp_ms("taken_at", t).ok())
        .unwrap_or(0);
    let cut = Cut {
        data_version: m.data_version,
        change_seq: m.change_sequence,
        audit_seq: m.audit_sequence,
        audit_hash: m.audit_head_hash.clone(),
        at_ms: taken_at_ms,
        format: m.store_format,
    };
    let mut copy = BackupCopy::create(store_dir, cut)?;
    let mut keys: Vec<u8> = Vec::new();
    let end = loop {
        let Some(chunk) = rx.blocking_recv() else {
            return Err(BackupError::Malformed("it stopped before its end"));
        };
        match chunk.part {
            Some(Part::Changes(r)) => copy.add_changes(&r.records)?,
            Some(Part::AuditEvents(r)) => copy.add_audit(&r.records)?,
            Some(Part::Requests(r)) => copy.add_requests(&r.records)?,
            Some(Part::KeyFile(b)) => keys.extend_from_slice(&b),
            Some(Part::End(end)) => break end,
            Some(Part::Manifest(_)) | None => {
                return Err(BackupError::Malformed(
                    "a second manifest, or an empty chunk",
                ));
            }
        }
    };
    if end.key_file_bytes != keys.len() as u64 {
        return Err(BackupError::Malformed("the key file came short"));
    }
    let copied = copy.finish()?;
    write_private(&to.join("keys.jsonl"), &keys)?;
    let report = BackupReport {
        data_version: m.data_version,
        change_sequence: m.change_sequence,
        audit_sequence: m.audit_sequence,
        audit_head_hash: m.audit_head_hash,
        taken_at_ms,
        subjects: copied.subjects,
        listed_subjects: copied.listed_subjects,
        request_records: copied.request_records,
        key_file_bytes: end.key_file_bytes,
    };
    let manifest = serde_json::json!({
        "data_version": report.data_version,
        "change_sequence": report.change_sequence,
        "audit_sequence": report.audit_sequence,
        "audit_head_hash": report.audit_head_hash,
        "taken_at_ms": report.taken_at_ms,
        "subjects": report.subjects,
        "request_records": report.request_records,
    });
    let mut text = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
    text.push(b'\n');
    write_private(&to.join("backup.json"), &text)?;
    Ok(report)
}

/// Writes `bytes` to a new file readable by its owner only, and syncs it.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// `e` and its sources, for the command line's one line.
pub fn describe(e: &BackupError) -> String {
    chain(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_read_in_every_unit_and_nonsense_is_none() {
        let of = |v: &str| {
            let mut m = tonic::metadata::MetadataMap::new();
            m.insert("grpc-timeout", v.parse().unwrap());
            grpc_timeout(&m)
        };
        assert_eq!(of("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(of("3M"), Some(Duration::from_secs(180)));
        assert_eq!(of("10S"), Some(Duration::from_secs(10)));
        assert_eq!(of("250m"), Some(Duration::from_millis(250)));
        assert_eq!(of("7u"), Some(Duration::from_micros(7)));
        assert_eq!(of("9n"), Some(Duration::from_nanos(9)));
        for bad in ["", "S", "10", "10x", "-1S", "1.5S"] {
            assert_eq!(of(bad), None, "{bad:?}");
        }
        assert_eq!(grpc_timeout(&tonic::metadata::MetadataMap::new()), None);
    }

    #[test]
    fn a_target_with_anything_in_it_is_refused_and_a_new_one_made() {
        let root = tempfile::tempdir().unwrap();
        let new = root.path().join("a/b");
        prepare_target(&new).unwrap();
        assert!(new.is_dir());
        prepare_target(&new).unwrap();
        std::fs::write(new.join("x"), b"").unwrap();
        assert!(matches!(
            prepare_target(&new),
            Err(BackupError::NotEmpty(_))
        ));
    }

    #[test]
    fn only_complete_key_file_lines_are_copied() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path().join("keys.jsonl");
        assert!(key_file_lines(&p).unwrap().is_empty());
        std::fs::write(&p, b"{\"a\":1}\n{\"b\"").unwrap();
        assert_eq!(key_file_lines(&p).unwrap(), b"{\"a\":1}\n");
    }
}
