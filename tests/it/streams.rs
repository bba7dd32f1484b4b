//! Streams that behave: a CheckBatch sent at full speed finishes, bad requests are answered and
//! passed over, a revoked key ends an open stream, and open streams are capped.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use vetting::auth::KeyFile;
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::server::Limits;

use crate::harness::*;

/// The gRPC frame of one message: flag, length, bytes.
pub fn grpc_frame(m: &impl Message) -> Bytes {
    raw_frame(&m.encode_to_vec())
}

/// The gRPC frame of `body`, whatever it holds.
pub fn raw_frame(body: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(body.len() + 5);
    b.put_u8(0);
    b.put_u32(u32::try_from(body.len()).unwrap());
    b.put_slice(body);
    b.freeze()
}

pub fn batch_request(i: usize, valid: bool) -> pb::CheckRequest {
    let mut r = stranger(i);
    r.client_ref = format!("r{i}");
    if !valid {
        r.purpose = 0;
    }
    r
}

/// What a raw HTTP/2 client saw of a CheckBatch.
pub struct Seen {
    pub answers: Vec<pb::CheckResponse>,
    pub grpc_status: Option<String>,
    pub grpc_message: Option<String>,
    pub error: Option<String>,
}

/// A CheckBatch sent the way grpcurl and grpcio send one: every request in a DATA frame of its
/// own, as fast as the connection takes them (h2 queues what the window does not yet allow),
/// with the answers read as they come. tonic's own client packs many requests into one frame,
/// which hides what small frames do to the server.
async fn raw_batch(addr: std::net::SocketAddr, token: &str, requests: Vec<Bytes>) -> Seen {
    raw_call(addr, "/vetting.v1.CheckService/CheckBatch", token, requests).await
}

/// A call to `path` with `frames` as the request body, each in a DATA frame of its own.
pub async fn raw_call(
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    requests: Vec<Bytes>,
) -> Seen {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    let conn_task = tokio::spawn(async move { conn.await.map_err(|e| e.to_string()) });
    let mut client = client.ready().await.unwrap();
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap();
    let (response, mut send) = client.send_request(req, false).unwrap();
    let sender = tokio::spawn(async move {
        for frame in requests {
            send.send_data(frame, false).map_err(|e| e.to_string())?;
        }
        send.send_data(Bytes::new(), true)
            .map_err(|e| e.to_string())
    });
    let mut seen = Seen {
        answers: Vec::new(),
        grpc_status: None,
        grpc_message: None,
        error: None,
    };
    let response = match response.await {
        Ok(r) => r,
        Err(e) => {
            seen.error = Some(e.to_string());
            return seen;
        }
    };
    if let Some(s) = response.headers().get("grpc-status") {
        seen.grpc_status = Some(s.to_str().unwrap().to_owned());
        seen.grpc_message = response
            .headers()
            .get("grpc-message")
            .map(|m| m.to_str().unwrap().to_owned());
        return seen;
    }
    let mut body = response.into_body();
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.data().await {
        match chunk {
            Ok(c) => {
                let _ = body.flow_control().release_capacity(c.len());
                buf.extend_from_slice(&c);
            }
            Err(e) => {
                seen.error = Some(e.to_string());
                break;
            }
        }
        while buf.len() >= 5 {
            let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
            if buf.len() < 5 + len {
                break;
            }
            buf.advance(5);
            let msg = buf.split_to(len);
            seen.answers
                .push(pb::CheckResponse::decode(msg.freeze()).unwrap());
        }
    }
    if seen.error.is_none() {
        match body.trailers().await {
            Ok(Some(t)) => {
                seen.grpc_status = t.get("grpc-status").map(|s| s.to_str().unwrap().to_owned());
            }
            Ok(None) => {}
            Err(e) => seen.error = Some(e.to_string()),
        }
    }
    if let Ok(Err(e)) = sender.await {
        seen.error.get_or_insert(format!("sending: {e}"));
    }
    conn_task.abort();
    seen
}

/// The defect: 10,000 requests sent at full speed, each in a frame of its own, ended with the
/// connection closed by h2's GOAWAY ENHANCE_YOUR_CALM "too_many_data_frames" after a few hundred
/// answers (hyper's 1 MiB stream window let the client queue more small frames than h2's
/// budget for them). Every hundredth request is bad: it gets its own answer and the batch goes on.
#[test]
fn a_batch_sent_at_full_speed_in_small_frames_is_answered_to_the_end() {
    const N: usize = 30_000;
    bounded(
        Duration::from_secs(240),
        || "the batch did not finish".into(),
        async {
            let s = TestServer::start().await;
            let frames: Vec<Bytes> = (0..N)
                .map(|i| grpc_frame(&batch_request(i, i % 100 != 99)))
                .collect();
            let seen = raw_batch(s.addr, &s.keys.checker.token, frames).await;
            assert_eq!(seen.error, None, "after {} answers", seen.answers.len());
            assert_eq!(seen.grpc_status.as_deref(), Some("0"));
            assert_eq!(seen.answers.len(), N);
            for (i, a) in seen.answers.iter().enumerate() {
                assert_eq!(a.client_ref, format!("r{i}"), "in order");
                if i % 100 == 99 {
                    let e = a
                        .error
                        .as_ref()
                        .unwrap_or_else(|| panic!("request {i}: {a:?}"));
                    assert_eq!(e.code, Code::InvalidArgument as i32);
                    assert!(
                        e.message.contains(&format!("request {i}: purpose")),
                        "{e:?}"
                    );
                } else {
                    assert!(a.error.is_none(), "request {i}: {a:?}");
                    assert_eq!(a.outcome(), pb::Outcome::Clear, "request {i}");
                }
            }
        },
    );
}

/// The defect: a CheckBatch opened before `keys revoke` went on answering, with match details,
/// while unary calls were refused at once.
#[tokio::test]
async fn a_key_revoked_while_its_batch_is_open_ends_the_batch_unauthenticated() {
    let s = TestServer::start().await;
    let (tx, rx) = mpsc::channel(4);
    let mut answers = s
        .checks()
        .check_batch(authed_within(
            &s.keys.checker.token,
            ReceiverStream::new(rx),
        ))
        .await
        .unwrap()
        .into_inner();
    tx.send(batch_request(0, true)).await.unwrap();
    let first = tokio::time::timeout(CALL_DEADLINE, answers.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.client_ref, "r0");
    KeyFile::in_dir(s.data_dir())
        .revoke(&s.keys.checker.info.key_id, &Clock::fixed(NOW_MS))
        .unwrap();
    tx.send(batch_request(1, true)).await.unwrap();
    let end = tokio::time::timeout(CALL_DEADLINE, answers.message())
        .await
        .unwrap();
    let err = end.expect_err("the batch must end, not answer request 1");
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    assert!(err.message().contains("revoked"), "{err:?}");
}

/// Open streams hold a task and buffers each: over the cap, a new one is refused
/// RESOURCE_EXHAUSTED at once (not queued), and a place freed is usable again.
#[tokio::test]
async fn streams_over_the_cap_are_refused_resource_exhausted() {
    let limits = Limits {
        max_streams: 2,
        shutdown_grace: Duration::from_secs(5),
        shutdown_notice: Duration::ZERO,
        ..Limits::default()
    };
    let s =
        TestServer::start_with(tempfile::tempdir().unwrap(), Clock::fixed(NOW_MS), limits).await;
    let mut held = Vec::new();
    for i in 0..2 {
        let (tx, rx) = mpsc::channel(1);
        let mut answers = s
            .checks()
            .check_batch(authed_within(
                &s.keys.checker.token,
                ReceiverStream::new(rx),
            ))
            .await
            .unwrap()
            .into_inner();
        tx.send(batch_request(i, true)).await.unwrap();
        let a = tokio::time::timeout(CALL_DEADLINE, answers.message())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(a.client_ref, format!("r{i}"));
        held.push((tx, answers));
    }
    let over = s
        .checks()
        .check_batch(authed_within(
            &s.keys.checker.token,
            tokio_stream::iter(vec![batch_request(9, true)]),
        ))
        .await;
    let err = match over {
        Err(e) => e,
        Ok(r) => r.into_inner().next().await.unwrap().unwrap_err(),
    };
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    // Closing one stream frees its place.
    let (tx, mut answers) = held.pop().unwrap();
    drop(tx);
    assert!(
        tokio::time::timeout(CALL_DEADLINE, answers.message())
            .await
            .unwrap()
            .unwrap()
            .is_none()
    );
    let mut place = None;
    for _ in 0..50 {
        let r = s
            .checks()
            .check_batch(authed_within(
                &s.keys.checker.token,
                tokio_stream::iter(vec![batch_request(10, true)]),
            ))
            .await;
        match r {
            Ok(r) => {
                let answers: Vec<_> = r.into_inner().collect().await;
                if answers.iter().all(Result::is_ok) {
                    place = Some(answers.len());
                    break;
                }
            }
            Err(e) => assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(place, Some(1), "the freed place was not given back");
}
