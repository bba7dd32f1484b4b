//! The integration suite: one binary, the real server on `127.0.0.1:0` (or the real binary as a
//! child process), a temp dir per test.

// A failing test panics: that is how it reports. (`allow-unwrap-in-tests` covers `#[test]`
// functions only, not the helpers around them.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod harness;

mod audit;
mod auth;
mod backup;
mod changelog;
mod checks;
mod crash;
mod defects;
mod demo_data;
mod disclosure;
mod durability;
mod eval;
mod format;
mod fuzz;
mod grpcurl;
mod lifecycle;
mod load;
mod metrics;
mod monitoring;
mod python;
mod registry;
mod streams;
mod tls;
mod transfer;
mod variants;
