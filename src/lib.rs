//! vetting: is this person barred, or under live investigation?
//!
//! A gRPC service for employers of police officers, police staff and probation and prison staff.
//! Modules, from the leaf outwards; each imports only those above it:
//! - [`core`]: ids, records, validation, lifecycle rules' records, the audit chain's seal and
//!   verify, who is asking and what they may see. No sled, no tonic, no prost.
//! - [`matching`]: normalisation, blocking keys and scoring of identities.
//! - [`store`]: sled trees, key encodings, transactions, the durability owner, the check
//!   journal, the change log, reindexing. Generic over the caller's error.
//! - [`service`]: the operations in plain Rust on a [`service::Vetting`] (registry, checks,
//!   audit), and their error.
//! - [`auth`]: the key file and bearer tokens.
//! - [`api`]: tonic services and proto ↔ domain conversions, nothing else; [`api::status`] is
//!   the one mapping of errors to gRPC statuses. Never the store directly.
//! - [`transfer`]: JSON-lines import and export, beside `api`: the proto's JSON mapping.
//! - [`metrics`]: the Prometheus recorder and what every layer counts (a leaf: `store`,
//!   `service` and `api` call it); its `/metrics` endpoint reads the store and `server` starts it.
//! - [`server`]: serving, limits, health, reflection, graceful shutdown; [`tls`]: TLS and
//!   mTLS, the files' reloads, the plaintext rule; [`demo`]: the demo registry of `serve --demo`.
//! - [`cli`]: the command line.

pub mod api;
pub mod auth;
pub mod cli;
pub mod core;
pub mod demo;
pub mod matching;
pub mod metrics;
pub mod pb;
pub mod server;
pub mod service;
pub mod store;
pub mod tls;
pub mod transfer;

/// Strategies of hostile input for the property tests (test builds only).
#[cfg(test)]
mod fuzz;
