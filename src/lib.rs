//! vetting: is this person barred, or under live investigation?
//!
//! A gRPC service for employers of police officers, police staff and probation and prison staff.
//! Modules, from the wire inwards:
//! - [`api`]: tonic services and proto ↔ domain conversions, nothing else; [`api::status`] is the
//!   one mapping of errors to gRPC statuses.
//! - [`server`]: serving, limits, health, reflection, graceful shutdown.
//! - [`registry`], [`check`], [`audit`]: the operations, in plain Rust, on a [`service::Vetting`].
//! - [`domain`]: records, derived status, validation; no tonic, no prost.
//! - [`matching`]: normalisation, blocking keys and scoring of identities.
//! - [`store`]: sled trees, key encodings, transactions.
//! - [`auth`]: roles, the key file, bearer tokens.
//! - [`cli`]: the command line; [`transfer`]: JSON-lines import and export; [`demo`] and
//!   [`synth`]: synthetic registries.

pub mod api;
pub mod audit;
pub mod auth;
pub mod check;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod error;
pub mod ids;
pub mod matching;
pub mod pb;
pub mod rebuild;
pub mod registry;
pub mod server;
pub mod service;
pub mod store;
pub mod synth;
pub mod transfer;
