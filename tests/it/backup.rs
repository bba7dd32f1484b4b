//! Issue 14, item 5: `vetting backup --to DIR` takes a consistent copy of a running server (an
//! admin RPC, `AdminService.Backup`), while it serves and writes; a server started on the copy
//! answers as the original did at the backup's data version, and its audit chain verifies.
//! `vetting export --with-audit FILE` carries the audit trail, and `verify-audit --file`
//! verifies it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tonic::Code;
use vetting::api::admin::{BackupClient, BackupReport};
use vetting::pb;
use vetting::pb::admin_service_client::AdminServiceClient;
use vetting::store::backup::registry_at;

use crate::harness::*;

fn client(s: &TestServer, token: &str) -> BackupClient {
    BackupClient {
        url: format!("http://{}", s.addr),
        token: token.to_owned(),
        tls_ca: None,
        tls_identity: None,
        deadline: Duration::from_secs(120),
    }
}

/// `vetting backup` (the binary) against `s` with `token`, into `to`.
async fn backup_cli(s: &TestServer, token: &str, to: &Path) -> std::process::Output {
    let url = format!("http://{}", s.addr);
    let (token, to) = (token.to_owned(), to.to_owned());
    tokio::task::spawn_blocking(move || {
        vetting_cmd(&["backup", "--to", to.to_str().unwrap(), "--server", &url])
            .env("VETTING_TOKEN", token)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// The answer to `req` on `s`, without its check id (which every check has its own of).
async fn answer_of(s: &TestServer, req: &pb::CheckRequest) -> pb::CheckResponse {
    let mut r = s
        .checks()
        .check(authed(&s.keys.checker.token, req.clone()))
        .await
        .unwrap()
        .into_inner();
    r.check_id.clear();
    r
}

/// The subjects of a stopped server's store, by id.
async fn subjects_in(data_dir: &Path) -> BTreeMap<String, vetting::core::model::Subject> {
    let store = open_store(data_dir).await;
    store
        .subjects_from(None)
        .map(|s| s.map(|s| (s.subject_id.clone(), s)))
        .collect::<Result<_, _>>()
        .unwrap()
}

fn manifest(copy: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(copy.join("backup.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn a_backup_of_a_quiet_server_restores_to_the_same_answers() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    reg.barred(
        person("Robert", "Smith", (1980, 3, 14)),
        "Kent Police",
        true,
    )
    .await;
    let advisory = reg.create(person("Ann", "Jones", (1975, 1, 2))).await;
    reg.add_listing(&advisory.subject_id, advisory_listing("Essex Police"))
        .await;
    let investigated = reg.create(person("Carl", "Evans", (1990, 7, 8))).await;
    reg.open(
        &investigated.subject_id,
        investigation("Kent Police", (2025, 5, 1)),
    )
    .await;
    reg.create(person("Dora", "Clear", (1985, 5, 5))).await;
    let retried = pb::CreateSubjectRequest {
        subject: Some(person("Eve", "Retried", (1970, 1, 1))),
        request_id: "quiet-create-1".into(),
    };
    let first = s
        .registry()
        .create_subject(authed(&s.keys.registrar.token, retried.clone()))
        .await
        .unwrap()
        .into_inner();
    let asks = [
        check_req("Robert", "Smith", Some((1980, 3, 14))),
        check_req("Bob", "Smith", Some((1980, 3, 14))),
        check_req("Ann", "Jones", Some((1975, 1, 2))),
        check_req("Carl", "Evans", Some((1990, 7, 8))),
        check_req("Dora", "Clear", Some((1985, 5, 5))),
        check_req("Nobody", "Atall", None),
    ];
    for a in &asks {
        answer_of(&s, a).await;
    }

    // An empty directory is a target too.
    let copy = tempfile::tempdir().unwrap();
    let out = backup_cli(&s, &s.keys.admin.token, copy.path()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = manifest(copy.path());
    let data_version = m["data_version"].as_u64().unwrap();
    assert!(
        stdout.contains(&format!("backup of data version {data_version}")),
        "{stdout}"
    );
    assert_eq!(m["subjects"], 5);
    let c = TestServer::start_in(copy, s.clock.clone()).await;

    // The same answers, naming the backup's data version.
    for a in &asks {
        let (here, there) = (answer_of(&s, a).await, answer_of(&c, a).await);
        assert_eq!(here, there, "{a:?}");
        assert_eq!(there.data_version, data_version);
    }
    assert_eq!(
        all_subjects(&s.channel, &s.keys.registrar.token).await,
        all_subjects(&c.channel, &c.keys.registrar.token).await
    );
    // The original's keys work on the copy (the key file came with it).
    c.checks()
        .check(authed(&s.keys.checker.token, asks[0].clone()))
        .await
        .unwrap();
    // A create retried on the copy finds its first answer and creates nothing.
    let again = c
        .registry()
        .create_subject(authed(&s.keys.registrar.token, retried))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.subject_id, first.subject_id);

    // The chain verifies; its last event before the copy served is the backup, by the admin
    // key, naming the cut.
    let v = verify_audit(&c.channel, &c.keys.auditor.token).await;
    assert!(v.intact, "{v:?}");
    let audit_sequence = m["audit_sequence"].as_u64().unwrap();
    assert!(v.events_checked >= audit_sequence);
    let events = all_audit_events(&c.channel, &c.keys.auditor.token, "Operations").await;
    let backup = events
        .iter()
        .find(|e| e.action == "backup")
        .expect("the backup's own event");
    assert_eq!(backup.sequence, audit_sequence);
    assert_eq!(backup.key_id, s.keys.admin.info.key_id);
    assert!(
        backup
            .client_ref
            .contains(&format!("data_version {data_version}"))
    );

    // Stopped, the two stores hold the same registry, change log and derived trees.
    let (a, b) = (s.stop().await, c.stop().await);
    let (a, b) = (open_store(a.path()).await, open_store(b.path()).await);
    for tree in [
        "subjects",
        "listings",
        "investigations",
        "changes",
        "requests",
        "match_records",
        "index",
    ] {
        assert_eq!(
            a.tree_digest(tree).unwrap(),
            b.tree_digest(tree).unwrap(),
            "tree {tree}"
        );
    }
}

#[tokio::test]
async fn only_an_admin_key_takes_a_backup_and_reflection_lists_the_service() {
    let s = TestServer::start().await;
    for (who, token) in [
        ("checker", &s.keys.checker.token),
        ("registrar", &s.keys.registrar.token),
        ("auditor", &s.keys.auditor.token),
        ("public", &s.keys.public.token),
    ] {
        let r = AdminServiceClient::new(s.channel.clone())
            .backup(authed(token, pb::BackupRequest {}))
            .await;
        assert_status(r, Code::PermissionDenied, &[who]);
    }
    let r = AdminServiceClient::new(s.channel.clone())
        .backup(tonic::Request::new(pb::BackupRequest {}))
        .await;
    assert_status(r, Code::Unauthenticated, &[]);
    // Through the binary: the refusal, and nothing left behind.
    let root = tempfile::tempdir().unwrap();
    let to = root.path().join("copy");
    let out = backup_cli(&s, &s.keys.registrar.token, &to).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PermissionDenied"), "{stderr}");
    assert!(!stderr.contains("incomplete copy"), "{stderr}");
    assert_eq!(std::fs::read_dir(&to).unwrap().count(), 0);

    let mut reflection =
        tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(
            s.channel.clone(),
        );
    let req = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            ),
        ),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let listed = format!("{:?}", answers.message().await.unwrap());
    assert!(listed.contains("vetting.v1.AdminService"), "{listed}");
}

#[tokio::test]
async fn a_target_directory_that_holds_anything_is_refused_and_left_as_it_was() {
    let s = TestServer::start().await;
    let to = tempfile::tempdir().unwrap();
    std::fs::write(to.path().join("notes.txt"), b"mine").unwrap();
    let out = backup_cli(&s, &s.keys.admin.token, to.path()).await;
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not empty"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(to.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("notes.txt")]);
    // Nothing was asked of the server: no backup event.
    let events = all_audit_events(&s.channel, &s.keys.auditor.token, "Operations").await;
    assert!(events.iter().all(|e| e.action != "backup"), "{events:?}");
}

const WRITERS: usize = 16;

/// Registrar calls answered OK before the backup begins, and again after it, at least.
const WRITES_AROUND: u64 = 48;

#[test]
fn a_backup_under_write_load_restores_the_registry_at_its_data_version() {
    let ledger = Arc::new(Ledger::default());
    let load = Load::new(ledger.clone());
    let progress = load.clone();
    bounded(
        Duration::from_secs(240),
        move || progress.tally.to_string(),
        async move {
            // A small message limit: the backup goes out in many chunks of 8 KiB.
            let limits = vetting::server::Limits {
                max_message_bytes: 16 * 1024,
                shutdown_grace: Duration::from_secs(5),
                shutdown_notice: Duration::ZERO,
                ..vetting::server::Limits::default()
            };
            let s = TestServer::start_with(
                tempfile::tempdir().unwrap(),
                vetting::core::clock::Clock::fixed(NOW_MS),
                limits,
            )
            .await;
            let mut workers = JoinSet::new();
            for w in 0..WRITERS {
                let channel = connect(s.addr).await;
                workers.spawn(registrar(
                    load.clone(),
                    channel,
                    s.keys.registrar.token.clone(),
                    "backup".into(),
                    w,
                    None,
                ));
            }
            for w in 0..2 {
                let channel = connect(s.addr).await;
                workers.spawn(checker(
                    load.clone(),
                    channel,
                    s.keys.checker.token.clone(),
                    w,
                ));
            }
            let wait_for = |n: u64| {
                let load = load.clone();
                async move {
                    while load.tally.writes() < n && load.tally.failures().is_empty() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            };
            wait_for(WRITES_AROUND).await;
            // What was acknowledged before the backup began is in it.
            let before: Vec<Acked> = ledger.subjects.lock().unwrap().clone();
            let copy = tempfile::tempdir().unwrap();
            let report: BackupReport = client(&s, &s.keys.admin.token)
                .take(copy.path())
                .await
                .unwrap();
            let writes_then = load.tally.writes();
            wait_for(writes_then + WRITES_AROUND).await;
            load.stop.store(true, std::sync::atomic::Ordering::Relaxed);
            while let Some(r) = tokio::time::timeout(CALL_DEADLINE * 3, workers.join_next())
                .await
                .expect("workers end within their deadlines")
            {
                r.unwrap();
            }
            assert!(
                load.tally.failures().is_empty(),
                "every call answered OK during the backup: {}",
                load.tally
            );

            let c = TestServer::start_in(copy, s.clock.clone()).await;
            let v = verify_audit(&c.channel, &c.keys.auditor.token).await;
            assert!(v.intact, "{v:?}");
            assert!(v.events_checked >= report.audit_sequence);
            // Every person acknowledged before the backup is in the copy; those whose barred
            // listing was acknowledged are barred there, at the backup's data version.
            let mut reg = c.reg();
            for a in &before {
                let got = reg.get(&a.subject_id).await;
                assert_eq!(got.name, a.subject.name);
                if a.listing.is_some() {
                    let n = a.subject.name.clone().unwrap();
                    let mut req = check_req(&n.given_names, &n.family_name, None);
                    req.date_of_birth = a.subject.date_of_birth;
                    let r = answer_of(&c, &req).await;
                    assert_eq!(r.outcome(), pb::Outcome::Barred, "{}", a.subject_id);
                    assert_eq!(r.data_version, report.data_version);
                }
            }
            let (a, b) = (s.stop().await, c.stop().await);
            let original = open_store(a.path()).await;
            assert!(
                original.change_head().unwrap() > report.change_sequence,
                "writes went on after the cut"
            );
            // The copy's registry is the original's change log replayed to the cut.
            let expected = registry_at(&original, report.change_sequence).unwrap();
            drop(original);
            let copied = subjects_in(b.path()).await;
            assert_eq!(copied.len(), expected.len());
            assert!(
                copied == expected,
                "the copy's subjects differ from the cut's"
            );
            assert_eq!(report.subjects, expected.len());
            // The trail up to the cut, event for event.
            let (original, copy) = (open_store(a.path()).await, open_store(b.path()).await);
            assert_eq!(copy.data_version().unwrap(), report.data_version);
            for seq in 1..=report.audit_sequence {
                assert_eq!(
                    original.audit_event(seq).unwrap(),
                    copy.audit_event(seq).unwrap(),
                    "event {seq}"
                );
            }
            eprintln!(
                "backup under {WRITERS} writers: data version {}, {} changes, {} events; {}",
                report.data_version, report.change_sequence, report.audit_sequence, load.tally
            );
        },
    );
}

#[tokio::test]
async fn export_with_audit_writes_a_trail_that_verifies_and_an_edit_is_caught() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    reg.barred(
        person("Robert", "Smith", (1980, 3, 14)),
        "Kent Police",
        true,
    )
    .await;
    reg.create(person("Ann", "Jones", (1975, 1, 2))).await;
    answer_of(&s, &check_req("Robert", "Smith", Some((1980, 3, 14)))).await;
    let dir = s.stop().await;
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let audit = dir.path().join("audit.jsonl");
    let audit_s = audit.to_str().unwrap().to_owned();

    let out = vetting_cmd(&["export", "--data-dir", &data_dir, "--with-audit", &audit_s])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let text = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Create, listing, check: and every line is an AuditEvent as grpcurl prints one.
    assert!(lines.len() >= 3, "{text}");
    assert!(stderr.contains(&format!("exported {} audit events", lines.len())));
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["sequence"], "1");
    assert!(first["hash"].is_string());
    assert!(lines.iter().any(|l| l.contains("\"action\":\"check\"")));

    // The file's chain verifies, ending at the head the export printed; the store's own too.
    let verified = vetting_cmd(&["verify-audit", "--file", &audit_s])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}");
    assert!(
        said.contains(&format!("intact: {} events", lines.len())),
        "{said}"
    );
    let head = said.split("head ").nth(1).unwrap().trim().to_owned();
    assert!(stderr.contains(&head), "{stderr} / {head}");

    // An edit of one event is caught at that event.
    let edited = dir.path().join("edited.jsonl");
    let mut e: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    e["organisation"] = "Someone Else".into();
    let mut out_lines: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out_lines[1] = e.to_string();
    std::fs::write(&edited, out_lines.join("\n") + "\n").unwrap();
    let broken = vetting_cmd(&["verify-audit", "--file", edited.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(1));
    let why = String::from_utf8_lossy(&broken.stderr);
    assert!(why.contains("broken at event 2"), "{why}");

    // An existing file is not overwritten.
    let again = vetting_cmd(&["export", "--data-dir", &data_dir, "--with-audit", &audit_s])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(64));
    assert_eq!(std::fs::read_to_string(&audit).unwrap(), text);
}
