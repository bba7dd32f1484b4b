//! The one mapping of errors to gRPC statuses.
//!
//! Callers get a clear message for their own mistakes; internal faults get a generic message and
//! their full chain goes to the log (never with request contents).

use tonic::Status;

use crate::auth::AuthError;
use crate::service::error::{Error, chain};
use crate::store::StoreError;

fn internal(e: &dyn std::error::Error) -> Status {
    tracing::error!(error = %crate::service::error::chain(e), "internal error");
    Status::internal("internal error; the operator's log has the details")
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match &e {
            Error::InvalidArgument { .. } => Status::invalid_argument(e.to_string()),
            Error::NotFound { .. } => Status::not_found(e.to_string()),
            Error::AlreadyExists(m) => Status::already_exists(m.clone()),
            Error::FailedPrecondition(m) => Status::failed_precondition(m.clone()),
            Error::Aborted(m) => Status::aborted(m.clone()),
            Error::Unimplemented(m) => Status::unimplemented(m.clone()),
            Error::KeyFile(_) => internal(&e),
            Error::Store(s) => match s {
                StoreError::Locked(_)
                | StoreError::FormatMismatch { .. }
                | StoreError::Foreign(_)
                | StoreError::IndexOutdated { .. }
                | StoreError::IndexIncomplete(_)
                | StoreError::ImportInterrupted(_)
                | StoreError::IndexWriter
                | StoreError::Corrupt { .. }
                | StoreError::Journal { .. }
                | StoreError::Owner(_)
                | StoreError::ChangeOutOfOrder { .. }
                | StoreError::Sled(_) => internal(&e),
                StoreError::NotDurable => {
                    tracing::error!(error = %chain(&e), "answered UNAVAILABLE: not durable");
                    Status::unavailable(
                        "the store could not confirm that this is on disk: it may or may not have been applied; read it back, or retry with the same request_id",
                    )
                }
            },
        }
    }
}

impl From<AuthError> for Status {
    fn from(e: AuthError) -> Self {
        match &e {
            AuthError::Missing
            | AuthError::Unknown
            | AuthError::Revoked
            | AuthError::RevokedToken { .. } => Status::unauthenticated(e.to_string()),
            AuthError::Forbidden { .. } => Status::permission_denied(e.to_string()),
            AuthError::KeyNotFound(_)
            | AuthError::AlreadyRevoked(_)
            | AuthError::BadOrganisation
            | AuthError::ScopesForRole { .. }
            | AuthError::Io { .. }
            | AuthError::Corrupt { .. } => internal(&e),
        }
    }
}

// tonic answers a message over the size limit OUT_OF_RANGE ("decoded message length too
// large", and likewise for an answer too large to encode); see `size_limit_convention`.
const OUT_OF_RANGE: &str = "11";
const RESOURCE_EXHAUSTED: &str = "8";

fn rewrite(headers: &mut http::HeaderMap) {
    if headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == OUT_OF_RANGE.as_bytes())
    {
        headers.insert(
            "grpc-status",
            http::HeaderValue::from_static(RESOURCE_EXHAUSTED),
        );
    }
}

/// tonic answers a message over the size limit `OUT_OF_RANGE` ("decoded message length too
/// large", and likewise for an answer too large to encode); gRPC's convention, and every other
/// gRPC server, says `RESOURCE_EXHAUSTED`. No handler here answers `OUT_OF_RANGE`, so this
/// layer function of the server (`tower::util::MapResponseLayer`) rewrites that code where tonic
/// puts it: in the headers of a trailers-only answer, or in a stream's trailers.
pub fn size_limit_convention(
    mut res: http::Response<tonic::body::Body>,
) -> http::Response<tonic::body::Body> {
    use http_body_util::BodyExt;
    // A trailers-only answer (every error before a message) carries its status in the headers
    // and has no trailers to rewrite: its body is left as it is.
    if res.headers().contains_key("grpc-status") {
        rewrite(res.headers_mut());
        return res;
    }
    res.map(|body| {
        tonic::body::Body::new(body.map_frame(|frame| match frame.into_trailers() {
            Ok(mut trailers) => {
                rewrite(&mut trailers);
                http_body::Frame::trailers(trailers)
            }
            Err(frame) => frame,
        }))
    })
}
