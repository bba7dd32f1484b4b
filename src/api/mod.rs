//! The gRPC surface: tonic service impls and proto ↔ domain conversions, nothing else.
//!
//! Each handler authenticates through its service's interceptor, opens a span with the caller's
//! key id and organisation (never request contents), runs the operation off the async runtime,
//! flushes the store when it wrote, and maps errors through [`status`].

pub mod audit;
pub mod check;
pub mod convert;
pub mod monitoring;
pub mod registry;
pub mod status;

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Status};
use tracing::Instrument;

use crate::auth::{Keys, Principal, Role};
use crate::error::Result;
use crate::service::Vetting;

/// An interceptor that admits callers whose key has one of `allowed` roles, and hands their
/// [`Principal`] to the handler.
pub fn authorizer(
    keys: Arc<Keys>,
    allowed: &'static [Role],
) -> impl Fn(Request<()>) -> Result<Request<()>, Status> + Clone + Send + Sync + 'static {
    move |mut req: Request<()>| {
        let header = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let principal = keys.authorize(header, allowed)?;
        req.extensions_mut().insert(principal);
        Ok(req)
    }
}

/// The caller, as the interceptor found it.
pub fn principal<T>(req: &Request<T>) -> Result<Principal, Status> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("missing bearer token"))
}

/// Whether an operation wrote to the store (and so must be flushed before answering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    Yes,
    /// Only checks' audit events: in the check journal already, unless the store syncs checks.
    Checks,
    No,
}

impl Writes {
    fn flush(self, store: &crate::store::Store) -> bool {
        match self {
            Self::Yes => true,
            Self::Checks => !store.journals_checks(),
            Self::No => false,
        }
    }
}

/// Runs `op` on the blocking pool inside a span for `method` and `who`, flushes the store if
/// it wrote, and logs the status code and duration.
pub async fn run<T: Send + 'static>(
    v: &Vetting,
    method: &'static str,
    who: &Principal,
    writes: Writes,
    op: impl FnOnce(&Vetting) -> Result<T> + Send + 'static,
) -> Result<T, Status> {
    let span = tracing::info_span!(
        "rpc",
        method,
        key_id = %who.key_id,
        organisation = %who.organisation,
    );
    let v = v.clone();
    async move {
        let started = Instant::now();
        let store = v.store.clone();
        let inner = tracing::Span::current();
        let result = tokio::task::spawn_blocking(move || inner.in_scope(|| op(&v)))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "operation task failed");
                Status::internal("internal error; the operator's log has the details")
            })?
            .map_err(Status::from);
        let result = match result {
            Ok(t) if writes.flush(&store) => match store.flush().await {
                Ok(()) => Ok(t),
                Err(e) => Err(Status::from(crate::error::Error::from(e))),
            },
            other => other,
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
