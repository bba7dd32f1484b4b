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
async fn monitoring_is_unimplemented_for_a_checker_and_denied_to_a_registrar() {
    let s = TestServer::start().await;
    let enrol = || pb::EnrolRequest {
        name: Some(name("John", "Smith")),
        date_of_birth: date(1980, 1, 1),
        employee_ref: "E-1".into(),
        ..Default::default()
    };
    assert_status(
        s.monitoring()
            .enrol(authed(&s.keys.checker.token, enrol()))
            .await,
        Code::Unimplemented,
        &["monitoring"],
    );
    assert_status(
        s.monitoring()
            .stream_alerts(authed(
                &s.keys.checker.token,
                pb::StreamAlertsRequest { after_sequence: 0 },
            ))
            .await,
        Code::Unimplemented,
        &[],
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
