//! Code generated from `proto/` at build time (never committed).
#![allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    missing_debug_implementations
)]

tonic::include_proto!("vetting.v1");

/// The encoded file descriptor set, for reflection and proto3 JSON.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("vetting_descriptor");

pub use check_outcome::Outcome;

/// `google.rpc`: the standard error shape, for errors that are one item of a stream.
pub mod rpc {
    #![allow(
        clippy::all,
        clippy::pedantic,
        missing_docs,
        missing_debug_implementations
    )]
    tonic::include_proto!("google.rpc");
}
