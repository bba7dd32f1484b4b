//! The service's error type: what went wrong, in terms a caller can act on.
//!
//! `api::status` is the one place that turns these into `tonic::Status`.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something wrong; `field` is its path in the request, e.g. `subject.name.family_name`.
    #[error("{field}: {problem}")]
    InvalidArgument { field: String, problem: String },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    Aborted(String),
    #[error("{0}")]
    Unimplemented(String),
    #[error("store")]
    Store(#[from] StoreError),
    /// The key file could not be read (a re-check looks up its enrolling key's scopes there).
    #[error("key file")]
    KeyFile(#[from] crate::auth::AuthError),
}

/// `e` and its sources, `outer: inner: ...`, for the log (thiserror's messages name only their
/// own level).
pub use crate::store::owner::chain;

impl From<crate::core::validate::Invalid> for Error {
    fn from(e: crate::core::validate::Invalid) -> Self {
        Self::InvalidArgument {
            field: e.field,
            problem: e.problem,
        }
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
