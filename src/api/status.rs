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
            Error::Store(s) => match s {
                StoreError::Locked(_)
                | StoreError::FormatMismatch { .. }
                | StoreError::Foreign(_)
                | StoreError::IndexOutdated { .. }
                | StoreError::IndexIncomplete(_)
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
            | AuthError::Io { .. }
            | AuthError::Corrupt { .. } => internal(&e),
        }
    }
}
