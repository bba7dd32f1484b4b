//! The registry's world: identities, records, derived status and validation. No tonic, no prost.

pub mod change;
pub mod identity;
pub mod model;
pub mod validate;
