//! The defects a hostile client found (issue 11), each pinned by a test named after it.

use std::time::Duration;

use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::server::Limits;

use crate::harness::*;
use crate::streams::{batch_request, grpc_frame, raw_call, raw_frame};

/// Bytes that are no protobuf message: field 1 as a length-delimited value longer than the
/// message.
const NOT_PROTOBUF: &[u8] = &[0x0a, 0xff, 0x01, 0x41];

#[test]
fn malformed_protobuf_is_invalid_argument_not_internal() {
    bounded(Duration::from_secs(60), || "stalled".into(), async {
        let s = TestServer::start().await;
        let token = &s.keys.checker.token;
        let unary = raw_call(
            s.addr,
            "/vetting.v1.CheckService/Check",
            token,
            vec![raw_frame(NOT_PROTOBUF)],
        )
        .await;
        assert_eq!(
            unary.grpc_status.as_deref(),
            Some("3"),
            "{:?}",
            unary.grpc_message
        );
        assert!(
            unary.grpc_message.unwrap_or_default().contains("protobuf"),
            "the message says what is wrong"
        );
        // In a batch: the good request before it is answered, the bad one is answered with its
        // error, and the stream (which cannot be read on) ends INVALID_ARGUMENT.
        let batch = raw_call(
            s.addr,
            "/vetting.v1.CheckService/CheckBatch",
            token,
            vec![grpc_frame(&batch_request(0, true)), raw_frame(NOT_PROTOBUF)],
        )
        .await;
        assert_eq!(
            batch.grpc_status.as_deref(),
            Some("3"),
            "{:?}",
            batch.grpc_message
        );
        assert_eq!(
            batch.answers.first().map(|a| a.client_ref.as_str()),
            Some("r0")
        );
        assert!(batch.answers.first().unwrap().error.is_none());
    });
}

#[tokio::test]
async fn an_oversized_message_is_resource_exhausted_not_out_of_range() {
    let s = TestServer::start().await;
    let mut big = check_req("Anna", "Large", None);
    big.client_ref = "x".repeat(Limits::default().max_message_bytes + 1);
    let mut client = s.checks().max_encoding_message_size(64 << 20);
    let err = answer(client.check(authed_within(&s.keys.checker.token, big)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    // And in a stream.
    let mut big = check_req("Anna", "Large", None);
    big.client_ref = "y".repeat(Limits::default().max_message_bytes + 1);
    let r = client
        .check_batch(authed_within(
            &s.keys.checker.token,
            tokio_stream::iter(vec![big]),
        ))
        .await;
    let err = match r {
        Err(e) => e,
        Ok(r) => {
            let mut answers = r.into_inner();
            loop {
                match answers.message().await {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("the batch ended without an error"),
                    Err(e) => break e,
                }
            }
        }
    };
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
}

#[tokio::test]
async fn a_family_name_of_only_an_invisible_character_is_refused() {
    let s = TestServer::start().await;
    for family in ["\u{3164}", "\u{200b}\u{3164}", "\u{ffa0}"] {
        let err = answer(s.checks().check(authed_within(
            &s.keys.checker.token,
            check_req("Anna", family, Some((1980, 1, 1))),
        )))
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{family:?}: {err:?}");
        assert!(err.message().contains("name.family_name"), "{err:?}");
        let err = answer(s.registry().create_subject(authed_within(
            &s.keys.registrar.token,
            pb::CreateSubjectRequest {
                subject: Some(person("Anna", family, (1980, 1, 1))),
                request_id: String::new(),
            },
        )))
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{family:?}: {err:?}");
    }
}

fn run(args: &[&str]) -> std::process::Output {
    vetting_cmd(args).output().unwrap()
}

#[test]
fn serve_with_cache_mb_0_is_a_usage_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--cache-mb",
        "0",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("--cache-mb"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn export_of_a_mistyped_data_dir_fails_and_creates_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let typo = parent.path().join("vetting-dta");
    let out = run(&["export", "--data-dir", typo.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(64),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert!(!typo.exists(), "no store created");
    // An existing directory without a store: refused too, and still without one.
    let out = run(&["export", "--data-dir", parent.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store"));
    assert!(!parent.path().join("store").exists());
    for cmd in ["verify-audit", "reindex"] {
        let out = run(&[cmd, "--data-dir", typo.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(64), "{cmd}");
        assert!(!typo.exists(), "{cmd} created the directory");
    }
}

#[test]
fn keys_create_on_a_mistyped_data_dir_fails_and_creates_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let typo = parent.path().join("vetting-dta");
    let out = run(&[
        "keys",
        "create",
        "--data-dir",
        typo.to_str().unwrap(),
        "--role",
        "checker",
        "--organisation",
        "Kent Police",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(out.stdout.is_empty(), "no token printed");
    assert!(!typo.exists());
    for args in [
        &["keys", "list", "--data-dir"][..],
        &["keys", "revoke", "key_01", "--data-dir"][..],
    ] {
        let mut a = args.to_vec();
        a.push(typo.to_str().unwrap());
        assert_eq!(run(&a).status.code(), Some(64), "{args:?}");
    }
}

#[test]
fn keys_create_with_an_empty_organisation_exits_64() {
    let dir = tempfile::tempdir().unwrap();
    for org in ["", "   "] {
        let out = run(&[
            "keys",
            "create",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--role",
            "checker",
            "--organisation",
            org,
        ]);
        assert_eq!(out.status.code(), Some(64), "{org:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("organisation"));
    }
    assert!(!dir.path().join("keys.jsonl").exists());
}

/// The defect: a health Check during the drain answered UNAVAILABLE (the connection refused),
/// so a load balancer could not tell a server going away from one that failed. For the notice
/// period health answers NOT_SERVING, and calls are still served.
#[tokio::test]
async fn health_during_the_drain_answers_not_serving() {
    let limits = Limits {
        shutdown_grace: Duration::from_secs(5),
        shutdown_notice: Duration::from_secs(3),
        ..Limits::default()
    };
    let mut s =
        TestServer::start_with(tempfile::tempdir().unwrap(), Clock::fixed(NOW_MS), limits).await;
    let health = |channel| async move {
        let mut req = tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        });
        req.set_timeout(CALL_DEADLINE);
        answer(HealthClient::new(channel).check(req)).await
    };
    assert_eq!(
        health(s.channel.clone()).await.unwrap().status(),
        ServingStatus::Serving
    );
    s.begin_shutdown();
    let mut seen = None;
    for _ in 0..50 {
        let status = health(s.channel.clone()).await.unwrap().status();
        if status == ServingStatus::NotServing {
            seen = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, Some(ServingStatus::NotServing));
    // A new connection, as a load balancer's probe makes, is answered too.
    let fresh = connect(s.addr).await;
    assert_eq!(
        health(fresh).await.unwrap().status(),
        ServingStatus::NotServing
    );
    // And calls still in the notice period are served.
    answer(s.checks().check(authed_within(
        &s.keys.checker.token,
        check_req("Anna", "Late", None),
    )))
    .await
    .unwrap();
    s.finish_shutdown().await;
}

/// The deploy unit reloads with SIGHUP (`ExecReload`): without TLS files to reload, the signal's
/// default action ended the server.
#[tokio::test]
async fn sighup_without_tls_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ChildServer::start(dir.path(), dir.path());
    // The handler that logs is in place once the server says it serves.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.log_text().contains("serving") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.signal("-HUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut req = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    req.set_timeout(CALL_DEADLINE);
    let health = answer(HealthClient::new(server.channel().await).check(req))
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        ServingStatus::Serving,
        "{}",
        server.log_text()
    );
    assert!(server.log_text().contains("SIGHUP: nothing to reload"));
    server.signal("-TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
}
