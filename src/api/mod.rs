//! The gRPC surface: tonic service impls and proto ↔ domain conversions, nothing else.
//!
//! Each handler authenticates through its service's interceptor, opens a span with the caller's
//! key id and organisation (never request contents), runs the operation (on the blocking pool,
//! or in place for a single check: [`Place`]),
//! waits until what it wrote is durable, and maps errors through [`status`].

pub mod admin;
pub mod audit;
pub mod check;
pub mod codec;
pub mod convert;
pub mod monitoring;
pub mod peer;
pub mod registry;
pub mod status;

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Status};
use tracing::Instrument;

use crate::auth::{AuthError, Keys, Principal, Role};
use crate::service::error::Result;
use crate::service::refusals::{Reason, Refusal, Refusals};
use crate::service::{Durability, Vetting};

/// An interceptor that admits callers whose key has one of `allowed` roles, and hands their
/// [`Principal`] to the handler (with the subject of their TLS client certificate, if any).
/// A refused call goes on the record ([`Refusals`]).
pub fn authorizer(
    keys: Arc<Keys>,
    refusals: Arc<Refusals>,
    allowed: &'static [Role],
) -> impl Fn(Request<()>) -> Result<Request<()>, Status> + Clone + Send + Sync + 'static {
    move |mut req: Request<()>| {
        let header = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        match keys.authorize(header, allowed) {
            Ok(mut principal) => {
                principal.client_certificate = client_certificate(&req);
                req.extensions_mut().insert(principal);
                Ok(req)
            }
            Err(e) => {
                crate::metrics::refused_by(&e);
                if let Some(r) = refusal(&req, &e) {
                    refusals.refused(&r);
                }
                Err(e.into())
            }
        }
    }
}

/// The record of a call refused with `e`; `None` for a fault of the server's (the key file
/// unreadable), which is logged as such.
pub fn refusal<T>(req: &Request<T>, e: &AuthError) -> Option<Refusal> {
    let (reason, key) = match e {
        AuthError::Missing => (Reason::MissingToken, None),
        AuthError::Unknown => (Reason::UnknownToken, None),
        AuthError::RevokedToken { key } => (Reason::RevokedKey, Some(&**key)),
        AuthError::Forbidden { key } => (Reason::WrongRole, Some(&**key)),
        // Revoked while a stream was open: the caller is the stream's own.
        AuthError::Revoked => (Reason::RevokedKey, req.extensions().get::<Principal>()),
        _ => return None,
    };
    Some(Refusal {
        reason,
        method: called_method(req),
        peer: req.remote_addr(),
        key_id: key.map(|k| k.key_id.clone()).unwrap_or_default(),
        organisation: key.map(|k| k.organisation.clone()).unwrap_or_default(),
        role: key.map(|k| k.role.as_str().to_owned()).unwrap_or_default(),
        client_certificate: client_certificate(req),
    })
}

/// The subject of the TLS client certificate `req` came with, under mTLS.
fn client_certificate<T>(req: &Request<T>) -> Option<String> {
    req.peer_certs()
        .and_then(|certs| certs.first().map(|c| peer::certificate_subject(c)))
}

/// The method `req` calls, `package.Service/Method` (`.../unknown` for a method the server
/// lacks), as the server's gRPC layer named it from its table of methods served
/// ([`crate::metrics::grpc::method_of`]): never the caller's path.
pub fn called_method<T>(req: &Request<T>) -> String {
    let m = req
        .extensions()
        .get::<crate::metrics::grpc::Method>()
        .copied()
        .unwrap_or_else(|| crate::metrics::grpc::method_of(""));
    format!("{}/{}", m.service, m.method)
}

/// The streams open at once over all connections (CheckBatch; later StreamAlerts), up to a cap:
/// each holds a task, its queued answers and HTTP/2 buffers, so the cap bounds what open streams
/// can cost. A stream over the cap is refused `RESOURCE_EXHAUSTED`.
#[derive(Clone, Debug)]
pub struct Streams {
    open: Arc<tokio::sync::Semaphore>,
    cap: usize,
}

/// A place among the open streams, given back when dropped.
#[derive(Debug)]
pub struct OpenStream(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

impl Streams {
    pub fn new(cap: usize) -> Self {
        Self {
            open: Arc::new(tokio::sync::Semaphore::new(cap)),
            cap,
        }
    }

    /// Takes a place for a stream of `method`, or refuses it when all are taken.
    pub fn open(&self, method: &'static str) -> Result<OpenStream, Status> {
        match self.open.clone().try_acquire_owned() {
            Ok(p) => Ok(OpenStream(p)),
            Err(_) => {
                tracing::warn!(
                    method,
                    cap = self.cap,
                    "stream refused: all stream places taken"
                );
                Err(Status::resource_exhausted(format!(
                    "the server has {} streams open, its limit: retry later, or finish a stream first",
                    self.cap
                )))
            }
        }
    }
}

/// The caller, as the interceptor found it.
pub fn principal<T>(req: &Request<T>) -> Result<Principal, Status> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("missing bearer token"))
}

/// What an operation wrote, and so what must be durable before its answer goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// A registry write: answered once the owner's round covers its commit.
    Yes,
    /// An audited read (its event journaled): answered once the registry is durable up to
    /// the state it read, and, when the store syncs checks, once its event is.
    Reads,
    No,
}

/// Runs `op` on the blocking pool inside a span for `method` and `who`; before answering,
/// waits until what it wrote is durable (see [`Writes`]); logs the status code and duration.
pub async fn run<T: Send + 'static>(
    v: &Vetting,
    method: &'static str,
    who: &Principal,
    writes: Writes,
    op: impl FnOnce(&Vetting) -> Result<T> + Send + 'static,
) -> Result<T, Status> {
    run_waiting(v, method, who, Place::Blocking, move |v| {
        let t = op(v)?;
        let wait = match writes {
            Writes::Yes => Durability::Commit,
            Writes::Reads => Durability::Seen(v.data_version()?),
            Writes::No => Durability::Nothing,
        };
        Ok((t, wait))
    })
    .await
}

/// [`run`] for an operation that reads for a long time and writes nothing ([`Place::Long`]).
pub async fn run_long<T: Send + 'static>(
    v: &Vetting,
    method: &'static str,
    who: &Principal,
    op: impl FnOnce(&Vetting) -> Result<T> + Send + 'static,
) -> Result<T, Status> {
    run_waiting(v, method, who, Place::Long, move |v| {
        op(v).map(|t| (t, Durability::Nothing))
    })
    .await
}

/// Where an operation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// On the blocking pool (at most twice the cores at once): registry writes (which may wait for
    /// sled's transaction lock), scans, batches.
    Blocking,
    /// On the async worker that received the call: one check, about a hundred microseconds of
    /// reads from the page cache and arithmetic, with no transaction. Handing it to another
    /// thread and back cost more than the check (measured: 7,300 against 8,500 to 10,000
    /// checks a second on 2 cores, README's Performance). It can wait a moment: on the
    /// chain's mutex, or on sled's lock while a registry write waits for a flush.
    Inline,
    /// On the blocking pool without a permit: a walk of the whole audit trail, which takes
    /// minutes at scale and must not hold a permit that registry writes wait for.
    Long,
}

/// [`run`] for checks: `op` returns its answer and the data version the answer rests on; the
/// answer waits until the registry is durable up to it (and, when the store syncs checks,
/// until the checks' audit events are).
pub async fn run_check<T: Send + 'static>(
    v: &Vetting,
    method: &'static str,
    who: &Principal,
    place: Place,
    op: impl FnOnce(&Vetting) -> Result<(T, u64)> + Send + 'static,
) -> Result<T, Status> {
    run_waiting(v, method, who, place, move |v| {
        op(v).map(|(t, seen)| (t, Durability::Seen(seen)))
    })
    .await
}

/// Operations running at once on the blocking pool: twice the cores. More would only add
/// threads contending for the same cores (each new one with a fresh allocator heap to fault in);
/// the others wait here, as futures, in the order they came.
fn workers() -> &'static tokio::sync::Semaphore {
    static WORKERS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    WORKERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        tokio::sync::Semaphore::new(cores * 2)
    })
}

async fn run_waiting<T: Send + 'static>(
    v: &Vetting,
    method: &'static str,
    who: &Principal,
    place: Place,
    op: impl FnOnce(&Vetting) -> Result<(T, Durability)> + Send + 'static,
) -> Result<T, Status> {
    let span = tracing::info_span!(
        "rpc",
        method,
        key_id = %who.key_id,
        organisation = %who.organisation,
        client_certificate = who.client_certificate.as_deref(),
    );
    let v = v.clone();
    async move {
        let started = Instant::now();
        let result = match place {
            Place::Inline => op(&v).map_err(Status::from),
            Place::Blocking | Place::Long => {
                let inner = tracing::Span::current();
                let vetting = v.clone();
                let _permit = match place {
                    Place::Long => None,
                    _ => Some(
                        workers()
                            .acquire()
                            .await
                            .map_err(|_| Status::unavailable("the server is shutting down"))?,
                    ),
                };
                tokio::task::spawn_blocking(move || inner.in_scope(|| op(&vetting)))
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "operation task failed");
                        Status::internal("internal error; the operator's log has the details")
                    })?
                    .map_err(Status::from)
            }
        };
        let result = match result {
            Ok((t, wait)) => v
                .until_durable(wait)
                .await
                .map(|()| t)
                .map_err(Status::from),
            Err(s) => Err(s),
        };
        let code = match &result {
            Ok(_) => tonic::Code::Ok,
            Err(s) => s.code(),
        };
        tracing::info!(?code, micros = started.elapsed().as_micros() as u64, "done");
        result
    }
    .instrument(span)
    .await
}

// ---- batch streams (CheckBatch, EnrolBatch) ----

/// The error of a request that could not be read off a batch stream (not protobuf, or over the
/// size limit: tonic's `OUT_OF_RANGE` is gRPC's `RESOURCE_EXHAUSTED`). The stream cannot be
/// read past it.
pub fn unreadable(index: usize, e: &Status) -> Status {
    let code = match e.code() {
        tonic::Code::OutOfRange => tonic::Code::ResourceExhausted,
        c => c,
    };
    Status::new(
        code,
        format!(
            "request {index}: {}; the stream cannot be read past it",
            e.message()
        ),
    )
}

/// Names the batch position in a caller's error.
pub fn prefix(index: usize, e: crate::service::error::Error) -> crate::service::error::Error {
    use crate::service::error::Error;
    match e {
        Error::InvalidArgument { field, problem } => Error::InvalidArgument {
            field: format!("request {index}: {field}"),
            problem,
        },
        other => other,
    }
}

/// A status as a batch answer's `error` field carries it.
pub fn rpc_status(status: &Status) -> crate::pb::rpc::Status {
    crate::pb::rpc::Status {
        code: status.code() as i32,
        message: status.message().to_owned(),
        details: Vec::new(),
    }
}
