//! The leaf of the crate: what the service is about, with no storage and no wire format (no
//! sled, no tonic, no prost). Everything else imports it; it imports nothing of theirs.
//!
//! - [`identity`], [`model`]: people, listings, investigations, derived status.
//! - [`ids`]: typed ids; [`clock`]: time as a parameter.
//! - [`validate`]: what a well-formed request holds ([`validate::Invalid`] names the field).
//! - [`change`]: the change log's records and the lifecycle rules they name.
//! - [`chain`]: the audit trail's events, sealed into a hash chain and verified.
//! - [`principal`]: who is asking; [`disclosure`]: what they may see, decided at read time.
//! - [`paging`]: page sizes of list calls.

pub mod chain;
pub mod change;
pub mod clock;
pub mod disclosure;
pub mod identity;
pub mod ids;
pub mod model;
pub mod paging;
pub mod principal;
pub mod validate;
