//! Compiles `proto/` with the pure-Rust `protox`, so a machine with no `protoc` builds the crate.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "proto/vetting/v1/types.proto",
    "proto/vetting/v1/registry.proto",
    "proto/vetting/v1/check.proto",
    "proto/vetting/v1/monitoring.proto",
    "proto/vetting/v1/audit.proto",
    "proto/vetting/v1/admin.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out.join("vetting_descriptor.bin"), fds.encode_to_vec())?;
    // `google.rpc.Status` on its own, at `crate::pb::rpc`: the vetting code refers to it there.
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .compile_fds(protox::compile(
            ["proto/google/rpc/status.proto"],
            ["proto"],
        )?)?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .extern_path(".google.rpc", "crate::pb::rpc")
        .codec_path("crate::api::codec::VettingCodec")
        .compile_fds(fds)?;
    Ok(())
}
