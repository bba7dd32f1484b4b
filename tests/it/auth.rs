//! Tokens and roles: who may call what; revocation takes effect at once; health and reflection
//! need no token.

use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vetting::auth::KeyFile;
use vetting::pb;

use crate::harness::*;

fn list_req() -> pb::ListSubjectsRequest {
    pb::ListSubjectsRequest {
        page_size: 10,
        page_token: String::new(),
        status: 0,
    }
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_unauthenticated() {
    let s = TestServer::start().await;
    assert_status(
        s.registry()
            .list_subjects(tonic::Request::new(list_req()))
            .await,
        Code::Unauthenticated,
        &["authorization: Bearer"],
    );
    assert_status(
        s.checks()
            .check(tonic::Request::new(check_req("John", "Smith", None)))
            .await,
        Code::Unauthenticated,
        &["bearer token"],
    );
    assert_status(
        s.audit()
            .verify_audit_log(tonic::Request::new(pb::VerifyAuditLogRequest {}))
            .await,
        Code::Unauthenticated,
        &["bearer token"],
    );
    let forged = format!("vt_{}", "0".repeat(64));
    assert_status(
        s.registry()
            .list_subjects(authed(&forged, list_req()))
            .await,
        Code::Unauthenticated,
        &["unknown or revoked"],
    );
    // Another scheme than Bearer is no token at all.
    let mut basic = tonic::Request::new(list_req());
    basic.metadata_mut().insert(
        "authorization",
        format!("Basic {}", s.keys.registrar.token).parse().unwrap(),
    );
    assert_status(
        s.registry().list_subjects(basic).await,
        Code::Unauthenticated,
        &[],
    );
    // The same call with the right token goes through: the refusals above are about the token.
    s.registry()
        .list_subjects(authed(&s.keys.registrar.token, list_req()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_key_may_call_only_its_role_services() {
    let s = TestServer::start().await;
    let k = &s.keys;
    // checker calling the registry
    assert_status(
        s.registry()
            .list_subjects(authed(&k.checker.token, list_req()))
            .await,
        Code::PermissionDenied,
        &["checker"],
    );
    assert_status(
        s.registry()
            .create_subject(authed(
                &k.checker.token,
                pb::CreateSubjectRequest {
                    subject: Some(person("John", "Smith", (1980, 1, 1))),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::PermissionDenied,
        &["checker"],
    );
    // registrar calling checks
    assert_status(
        s.checks()
            .check(authed(&k.registrar.token, check_req("John", "Smith", None)))
            .await,
        Code::PermissionDenied,
        &["registrar"],
    );
    // auditor calling checks
    assert_status(
        s.checks()
            .check(authed(&k.auditor.token, check_req("John", "Smith", None)))
            .await,
        Code::PermissionDenied,
        &["auditor"],
    );
    // checker and registrar calling the audit trail
    for token in [&k.checker.token, &k.registrar.token, &k.public.token] {
        assert_status(
            s.audit()
                .verify_audit_log(authed(token, pb::VerifyAuditLogRequest {}))
                .await,
            Code::PermissionDenied,
            &["may not call"],
        );
    }
    // the public may not read the registry
    assert_status(
        s.registry()
            .list_subjects(authed(&k.public.token, list_req()))
            .await,
        Code::PermissionDenied,
        &["public"],
    );
    // admin: keys on the command line only, no RPC
    let admin = &k.admin.token;
    assert_status(
        s.registry().list_subjects(authed(admin, list_req())).await,
        Code::PermissionDenied,
        &["admin"],
    );
    assert_status(
        s.checks()
            .check(authed(admin, check_req("John", "Smith", None)))
            .await,
        Code::PermissionDenied,
        &["admin"],
    );
    assert_status(
        s.audit()
            .verify_audit_log(authed(admin, pb::VerifyAuditLogRequest {}))
            .await,
        Code::PermissionDenied,
        &["admin"],
    );
    assert_status(
        s.monitoring()
            .list_enrolments(authed(
                admin,
                pb::ListEnrolmentsRequest {
                    page_size: 0,
                    page_token: String::new(),
                },
            ))
            .await,
        Code::PermissionDenied,
        &["admin"],
    );
    // And each role's own service answers.
    s.registry()
        .list_subjects(authed(&k.registrar.token, list_req()))
        .await
        .unwrap();
    s.checks()
        .check(authed(&k.checker.token, check_req("John", "Smith", None)))
        .await
        .unwrap();
    s.checks()
        .check(authed(&k.public.token, check_req("John", "Smith", None)))
        .await
        .unwrap();
    s.audit()
        .verify_audit_log(authed(&k.auditor.token, pb::VerifyAuditLogRequest {}))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_key_revoked_while_the_server_runs_stops_working_on_the_next_call() {
    let s = TestServer::start().await;
    let tok = &s.keys.checker.token;
    s.checks()
        .check(authed(tok, check_req("John", "Smith", None)))
        .await
        .unwrap();
    KeyFile::in_dir(s.data_dir())
        .revoke(&s.keys.checker.info.key_id, &s.clock)
        .unwrap();
    assert_status(
        s.checks()
            .check(authed(tok, check_req("John", "Smith", None)))
            .await,
        Code::Unauthenticated,
        &["revoked"],
    );
    // Other keys are untouched.
    s.checks()
        .check(authed(
            &s.keys.public.token,
            check_req("John", "Smith", None),
        ))
        .await
        .unwrap();
    // A key created while the server runs works at once.
    let fresh = KeyFile::in_dir(s.data_dir())
        .create(vetting::auth::Role::Checker, "Essex Police", &s.clock)
        .unwrap()
        .1;
    s.checks()
        .check(authed(&fresh, check_req("John", "Smith", None)))
        .await
        .unwrap();
}

#[tokio::test]
async fn health_needs_no_token_and_reports_serving() {
    let s = TestServer::start().await;
    let mut health = HealthClient::new(s.channel.clone());
    for service in [
        "",
        "vetting.v1.RegistryService",
        "vetting.v1.CheckService",
        "vetting.v1.AuditService",
    ] {
        let r = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{service:?}");
    }
    assert_status(
        health
            .check(HealthCheckRequest {
                service: "vetting.v1.NoSuchService".into(),
            })
            .await,
        Code::NotFound,
        &[],
    );
}

async fn services_v1(s: &TestServer) -> Vec<String> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut client = ServerReflectionClient::new(s.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let answer = stream.message().await.unwrap().unwrap();
    match answer.message_response {
        Some(MessageResponse::ListServicesResponse(l)) => {
            l.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("not a list of services: {other:?}"),
    }
}

async fn services_v1alpha(s: &TestServer) -> Vec<String> {
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
    let mut client = ServerReflectionClient::new(s.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let answer = stream.message().await.unwrap().unwrap();
    match answer.message_response {
        Some(MessageResponse::ListServicesResponse(l)) => {
            l.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("not a list of services: {other:?}"),
    }
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_the_services_without_a_token() {
    let s = TestServer::start().await;
    for (version, services) in [
        ("v1", services_v1(&s).await),
        ("v1alpha", services_v1alpha(&s).await),
    ] {
        for expected in [
            "vetting.v1.RegistryService",
            "vetting.v1.CheckService",
            "vetting.v1.MonitoringService",
            "vetting.v1.AuditService",
            "grpc.health.v1.Health",
        ] {
            assert!(
                services.iter().any(|s| s == expected),
                "{version}: {expected} missing from {services:?}"
            );
        }
    }
}

#[tokio::test]
async fn reflection_describes_the_check_service() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let s = TestServer::start().await;
    let mut client = ServerReflectionClient::new(s.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "vetting.v1.CheckService".into(),
        )),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let answer = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::FileDescriptorResponse(files)) = answer.message_response else {
        panic!("no file descriptor: {:?}", answer.message_response);
    };
    use prost::Message as _;
    let names: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .map(|b| prost_types::FileDescriptorProto::decode(b.as_slice()).unwrap())
        .flat_map(|f| f.service.into_iter().map(|s| s.name().to_owned()))
        .collect();
    assert!(names.iter().any(|n| n == "CheckService"), "{names:?}");
}

#[tokio::test]
async fn monitoring_serves_a_checker_and_denies_a_registrar() {
    let s = TestServer::start().await;
    let enrol = || pb::EnrolRequest {
        name: Some(name("John", "Smith")),
        date_of_birth: date(1980, 1, 1),
        employee_ref: "E-1".into(),
        ..Default::default()
    };
    let e = s
        .monitoring()
        .enrol(authed(&s.keys.checker.token, enrol()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(e.outcome(), pb::Outcome::Clear);
    assert!(
        s.monitoring()
            .stream_alerts(authed(
                &s.keys.checker.token,
                pb::StreamAlertsRequest { after_sequence: 0 },
            ))
            .await
            .is_ok()
    );
    assert_status(
        s.monitoring()
            .enrol(authed(&s.keys.registrar.token, enrol()))
            .await,
        Code::PermissionDenied,
        &["registrar"],
    );
    assert_status(
        s.monitoring().enrol(tonic::Request::new(enrol())).await,
        Code::Unauthenticated,
        &[],
    );
}

/// The auditor's view of refused calls, oldest first.
async fn refused_calls(s: &TestServer, action: &str) -> Vec<pb::AuditEvent> {
    let mut events = Vec::new();
    let mut token = String::new();
    loop {
        let page = answer(s.audit().list_audit_events(authed_within(
            &s.keys.auditor.token,
            pb::ListAuditEventsRequest {
                page_size: 1000,
                page_token: token,
                action: action.into(),
                ..Default::default()
            },
        )))
        .await
        .unwrap();
        events.extend(page.events);
        if page.next_page_token.is_empty() {
            return events;
        }
        token = page.next_page_token;
    }
}

/// The defect: a missing, wrong or revoked token, or the wrong role, was neither logged nor
/// audited. Each is now an event of its own kind, with the method, the reason, the key when the
/// token named one, and the peer's address; the auditor lists them by action.
#[tokio::test]
async fn refused_calls_are_audited_with_method_reason_key_and_peer() {
    let s = TestServer::start().await;
    let k = &s.keys;
    let _ = s
        .checks()
        .check(tonic::Request::new(check_req("A", "B", None)))
        .await;
    let forged = format!("vt_{}", "1".repeat(64));
    let _ = s
        .checks()
        .check(authed(&forged, check_req("A", "B", None)))
        .await;
    let _ = s
        .registry()
        .list_subjects(authed(&k.checker.token, list_req()))
        .await;
    KeyFile::in_dir(s.data_dir())
        .revoke(&k.public.info.key_id, &s.clock)
        .unwrap();
    let _ = s
        .checks()
        .check(authed(&k.public.token, check_req("A", "B", None)))
        .await;
    let refused = refused_calls(&s, "refused_call").await;
    let seen: Vec<_> = refused
        .iter()
        .map(|e| (e.method.as_str(), e.refusal.as_str(), e.key_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("vetting.v1.CheckService/Check", "missing_token", ""),
            ("vetting.v1.CheckService/Check", "unknown_token", ""),
            (
                "vetting.v1.RegistryService/ListSubjects",
                "wrong_role",
                k.checker.info.key_id.as_str()
            ),
            (
                "vetting.v1.CheckService/Check",
                "revoked_key",
                k.public.info.key_id.as_str()
            ),
        ]
    );
    for e in &refused {
        assert_eq!(e.action, "refused_call");
        assert!(e.peer.starts_with("127.0.0.1:"), "{e:?}");
        assert!(!format!("{e:?}").contains(&forged), "no token in the trail");
    }
    assert_eq!(refused[2].organisation, CHECKER_ORG);
    assert_eq!(refused[2].role, "checker");
    let verified = answer(s.audit().verify_audit_log(authed_within(
        &k.auditor.token,
        pb::VerifyAuditLogRequest {},
    )))
    .await
    .unwrap();
    assert!(verified.intact);
}

/// A made-up method under a real service is named `<service>/unknown` on the record: the
/// caller's path never reaches the trail.
#[tokio::test]
async fn a_refused_call_to_a_made_up_method_is_recorded_without_its_path() {
    let s = TestServer::start().await;
    let mut client = tonic::client::Grpc::new(s.channel.clone());
    client.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/vetting.v1.CheckService/DropTables");
    let r: Result<tonic::Response<pb::CheckResponse>, _> = client
        .unary(
            tonic::Request::new(check_req("A", "B", None)),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await;
    assert_eq!(r.unwrap_err().code(), Code::Unauthenticated);
    let refused = refused_calls(&s, "refused_call").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].method, "vetting.v1.CheckService/unknown");
}

/// A flood of bad tokens cannot grow the audit trail without limit: past a burst, refusals are
/// counted, and the count goes on the record as one summary event (written at least once a
/// minute, and at shutdown).
#[tokio::test]
async fn a_flood_of_bad_tokens_is_recorded_up_to_a_rate_and_then_counted() {
    const FLOOD: usize = 600;
    let s = TestServer::start().await;
    let forged = format!("vt_{}", "2".repeat(64));
    let mut client = s.checks();
    for _ in 0..FLOOD {
        let r = client
            .check(authed(&forged, check_req("A", "B", None)))
            .await;
        assert_eq!(r.unwrap_err().code(), Code::Unauthenticated);
    }
    let one_by_one = refused_calls(&s, "refused_call").await.len();
    assert!(
        (1..=vetting::service::refusals::PEER_BURST as usize + 2).contains(&one_by_one),
        "{one_by_one} refused calls recorded one by one"
    );
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, vetting::core::clock::Clock::fixed(NOW_MS)).await;
    let summaries = refused_calls(&s, "refused_calls_not_recorded").await;
    let counted: u64 = summaries.iter().map(|e| e.refusals_not_recorded).sum();
    assert_eq!(one_by_one as u64 + counted, FLOOD as u64, "{summaries:?}");
    assert!(
        summaries.iter().all(|e| e.peer == "127.0.0.1"),
        "{summaries:?}"
    );
}

/// The scheme of `authorization` is case-insensitive (RFC 9110): `BEARER` was refused while
/// `bearer` was accepted.
#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let s = TestServer::start().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let mut r = tonic::Request::new(check_req("A", "B", None));
        r.metadata_mut().insert(
            "authorization",
            format!("{scheme} {}", s.keys.checker.token)
                .parse()
                .unwrap(),
        );
        answer(s.checks().check(r))
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e:?}"));
    }
}

/// Many clients at once: 32 flooding bad tokens on connections of their own while 16 checkers
/// check. Every good check is answered within its deadline, every bad call is refused, and the
/// trail records the flood up to the rate and counts the rest, to the call.
#[tokio::test]
async fn a_concurrent_flood_of_bad_tokens_neither_stops_checkers_nor_loses_a_count() {
    const FLOODERS: usize = 32;
    const EACH: usize = 25;
    const CHECKERS: usize = 16;
    let s = TestServer::start().await;
    let mut tasks = Vec::new();
    for f in 0..FLOODERS {
        let channel = connect(s.addr).await;
        tasks.push(tokio::spawn(async move {
            let mut c = vetting::pb::check_service_client::CheckServiceClient::new(channel);
            for i in 0..EACH {
                let forged = format!("vt_{f:032}{i:032}");
                let r = answer(c.check(authed_within(&forged, check_req("A", "B", None)))).await;
                assert_eq!(r.unwrap_err().code(), Code::Unauthenticated);
            }
        }));
    }
    for _ in 0..CHECKERS {
        let (channel, token) = (connect(s.addr).await, s.keys.checker.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = vetting::pb::check_service_client::CheckServiceClient::new(channel);
            for _ in 0..EACH {
                answer(c.check(authed_within(&token, check_req("Peter", "Nobody", None))))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let one_by_one = refused_calls(&s, "refused_call").await.len();
    assert!(
        one_by_one <= vetting::service::refusals::PEER_BURST as usize + 2,
        "{one_by_one} recorded one by one from one address"
    );
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, vetting::core::clock::Clock::fixed(NOW_MS)).await;
    let counted: u64 = refused_calls(&s, "refused_calls_not_recorded")
        .await
        .iter()
        .map(|e| e.refusals_not_recorded)
        .sum();
    assert_eq!(one_by_one as u64 + counted, (FLOODERS * EACH) as u64);
}
