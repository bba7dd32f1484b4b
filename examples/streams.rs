//! What open streams cost a running server: opens `--streams` CheckBatch streams against a
//! `vetting serve` process, each sending one request and reading its answer, then holds them
//! open and reports the server's resident memory (`VmRSS` of `--pid`) before and after, per
//! stream.
//!
//! ```sh
//! vetting serve --demo --listen 127.0.0.1:50999 --max-streams 5000 &   # note the checker key
//! cargo run --release --example streams -- --addr 127.0.0.1:50999 --token vt_... \
//!     --pid $(pgrep -f 'serve --demo --listen 127.0.0.1:50999') --streams 1000
//! ```
//!
//! Streams are spread over connections of `--per-connection` streams each (100; the server
//! allows 128 calls a connection by default).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use vetting::pb;
use vetting::pb::check_service_client::CheckServiceClient;

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args();
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::main]
async fn main() {
    let addr = arg("--addr").unwrap_or_else(|| "127.0.0.1:50051".into());
    let token = arg("--token")
        .or_else(|| std::env::var("VETTING_TOKEN").ok())
        .unwrap();
    let pid = arg("--pid").unwrap();
    let n: usize = arg("--streams").map_or(1000, |s| s.parse().unwrap());
    let per: usize = arg("--per-connection").map_or(100, |s| s.parse().unwrap());
    let mut channels = Vec::new();
    for _ in 0..n.div_ceil(per) {
        channels.push(
            Channel::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
                .unwrap(),
        );
    }
    // One stream first, so that the runtime's and the connection's first allocations are in
    // the baseline.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(&pid);
    let mut held = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, rx) = mpsc::channel(1);
        let mut req = tonic::Request::new(ReceiverStream::new(rx));
        req.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let mut client = CheckServiceClient::new(channels[i / per].clone());
        let mut answers = client.check_batch(req).await.unwrap().into_inner();
        tx.send(pb::CheckRequest {
            name: Some(pb::PersonName {
                given_names: "Idle".into(),
                family_name: format!("Streamer{i}"),
            }),
            date_of_birth: Some(pb::Date {
                year: 1980,
                month: 1,
                day: 1,
            }),
            purpose: pb::Purpose::PeriodicRevetting.into(),
            client_ref: format!("s{i}"),
            ..Default::default()
        })
        .await
        .unwrap();
        let a = answers.message().await.unwrap().unwrap();
        assert_eq!(a.client_ref, format!("s{i}"));
        held.push((tx, answers));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(&pid);
    println!(
        "{n} open CheckBatch streams (one request answered each): server RSS {before} KiB -> {after} KiB, {:.1} KiB a stream",
        (after.saturating_sub(before)) as f64 / n as f64
    );
    drop(held);
}
