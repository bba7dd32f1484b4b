//! Nothing is lost: graceful restarts, `kill -9` right after an acknowledged write, SIGTERM;
//! the data dir is locked against a second process; keys made on the command line work at once.

use std::time::Duration;

use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use vetting::auth::Role;
use vetting::core::chain::{AuditEntry, AuditEvent};
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::pb::check_service_client::CheckServiceClient;
use vetting::pb::registry_service_client::RegistryServiceClient;
use vetting::server::Limits;
use vetting::store::journal::encode_record;
use vetting::store::{Store, StoreError};

use crate::harness::*;

#[tokio::test]
async fn a_graceful_restart_keeps_subjects_listings_and_the_audit_chain() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (subject, listing) = reg
        .barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    let inv = reg
        .open(
            &subject.subject_id,
            investigation("Essex Police", (2025, 6, 1)),
        )
        .await;
    let before = reg.get(&subject.subject_id).await;
    let check_before = s
        .checks()
        .check(authed(
            &s.keys.checker.token,
            check_req("John", "Smith", Some((1980, 1, 15))),
        ))
        .await
        .unwrap()
        .into_inner();

    let s = s.restart().await;
    let mut reg = s.reg();
    let after = reg.get(&subject.subject_id).await;
    assert_eq!(after, before);
    assert_eq!(after.listings[0].listing_id, listing.listing_id);
    assert_eq!(
        after.investigations[0].investigation_id,
        inv.investigation_id
    );
    assert_eq!(after.status(), pb::Status::Barred);

    // The candidate index came back too.
    let r = s
        .checks()
        .check(authed(
            &s.keys.checker.token,
            check_req("John", "Smith", Some((1980, 1, 15))),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    assert_eq!(r.data_version, check_before.data_version);

    let v = s
        .audit()
        .verify_audit_log(authed(&s.keys.auditor.token, pb::VerifyAuditLogRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(v.intact, "{v:?}");
    // create, add_listing, open, get, check; get, check after the restart
    assert_eq!(v.events_checked, 7);

    // Writes go on after the restart, and request ids are remembered across it.
    let retry = pb::CreateSubjectRequest {
        subject: Some(person("Ann", "Lee", (1985, 5, 5))),
        request_id: "across-restart".into(),
    };
    let first = reg
        .client
        .create_subject(authed(&reg.token, retry.clone()))
        .await
        .unwrap()
        .into_inner();
    let s = s.restart().await;
    let mut reg = s.reg();
    let again = reg
        .client
        .create_subject(authed(&reg.token, retry))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.subject_id, first.subject_id);
    s.stop().await;
}

#[tokio::test]
async fn health_turns_not_serving_when_shutdown_begins() {
    let limits = Limits {
        shutdown_grace: Duration::from_millis(500),
        shutdown_notice: Duration::ZERO,
        ..Limits::default()
    };
    let mut s =
        TestServer::start_with(tempfile::tempdir().unwrap(), Clock::fixed(NOW_MS), limits).await;
    let mut health = HealthClient::new(s.channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);
    s.begin_shutdown();
    let next = tokio::time::timeout(Duration::from_secs(10), watch.message())
        .await
        .expect("no health change within 10 s of shutdown")
        .unwrap()
        .unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);
    // The open watch is cut after the grace period and the server stops cleanly.
    s.finish_shutdown().await;
}

/// A data dir under a fresh temp dir, with a registrar, a checker and an auditor key.
struct ChildSetup {
    root: tempfile::TempDir,
    registrar: Key,
    checker: Key,
    auditor: Key,
}

impl ChildSetup {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        // Keys before the first start: a fresh install is bootstrapped this way.
        let registrar = key_in(&data, Role::Registrar, REGISTRAR_ORG);
        let checker = key_in(&data, Role::Checker, CHECKER_ORG);
        let auditor = key_in(&data, Role::Auditor, AUDITOR_ORG);
        Self {
            root,
            registrar,
            checker,
            auditor,
        }
    }

    fn data(&self) -> std::path::PathBuf {
        self.root.path().join("data")
    }

    fn serve(&self) -> ChildServer {
        ChildServer::start(&self.data(), self.root.path())
    }

    /// The registrar's registry client on `channel`.
    fn reg(&self, channel: &Channel) -> Reg {
        Reg {
            client: RegistryServiceClient::new(channel.clone()),
            token: self.registrar.token.clone(),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_right_after_an_acknowledged_write_loses_nothing() {
    let setup = ChildSetup::new();
    let mut server = setup.serve();
    let channel = server.channel().await;
    let tok = &setup.registrar.token;
    let (subject, listing) = setup
        .reg(&channel)
        .barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    // The instant the write is acknowledged: SIGKILL, no chance to flush on the way out.
    server.child.kill().unwrap();
    let status = server.child.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status}");
    drop(channel);
    drop(server);

    let server = setup.serve();
    let channel = server.channel().await;
    let got = RegistryServiceClient::new(channel.clone())
        .get_subject(authed(
            tok,
            pb::GetSubjectRequest {
                subject_id: subject.subject_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.name, Some(name("John", "Smith")));
    assert_eq!(got.status(), pb::Status::Barred);
    assert_eq!(got.listings.len(), 1);
    assert_eq!(got.listings[0].listing_id, listing.listing_id);
    assert_eq!(got.listings[0].state(), pb::ListingState::Active);

    let r = CheckServiceClient::new(channel.clone())
        .check(authed(
            &setup.checker.token,
            check_req("John", "Smith", Some((1980, 1, 15))),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.outcome(), pb::Outcome::Barred);

    let v = pb::audit_service_client::AuditServiceClient::new(channel)
        .verify_audit_log(authed(&setup.auditor.token, pb::VerifyAuditLogRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(v.intact, "{v:?}");
    assert_eq!(v.events_checked, 4, "create, add_listing, get, check");
}

/// Checks answered, then SIGKILL at once: after a restart every check is in the audit trail,
/// once, and the chain holds. `extra` goes to the first `serve`.
async fn checks_survive_kill_9(extra: &[&str]) {
    let setup = ChildSetup::new();
    let mut server = ChildServer::start_with(&setup.data(), setup.root.path(), extra);
    let channel = server.channel().await;
    let mut reg = setup.reg(&channel);
    let (subject, _) = reg
        .barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    let mut checks = CheckServiceClient::new(channel.clone());
    let mut check_ids = Vec::new();
    for given in ["John", "Jon", "Johnny", "Ann", "Peter"] {
        let r = checks
            .check(authed(
                &setup.checker.token,
                check_req(given, "Smith", Some((1980, 1, 15))),
            ))
            .await
            .unwrap()
            .into_inner();
        check_ids.push(r.check_id);
    }
    let batch: Vec<_> = ["Zed", "Amy", "Raj"]
        .into_iter()
        .map(|g| check_req(g, "Jones", Some((1990, 2, 3))))
        .collect();
    let mut answers = checks
        .check_batch(authed(&setup.checker.token, tokio_stream::iter(batch)))
        .await
        .unwrap()
        .into_inner();
    while let Some(a) = answers.message().await.unwrap() {
        check_ids.push(a.check_id);
    }
    assert_eq!(check_ids.len(), 8);
    // The instant the last answer is in: SIGKILL, no chance to flush on the way out.
    server.child.kill().unwrap();
    assert!(!server.child.wait().unwrap().success());
    drop((reg, checks, channel, server));

    let server = setup.serve();
    let channel = server.channel().await;
    let mut audit = pb::audit_service_client::AuditServiceClient::new(channel);
    let v = audit
        .verify_audit_log(authed(&setup.auditor.token, pb::VerifyAuditLogRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(v.intact, "{v:?}");
    assert_eq!(v.events_checked, 10, "create, add_listing and eight checks");
    let events = audit
        .list_audit_events(authed(
            &setup.auditor.token,
            pb::ListAuditEventsRequest {
                page_size: 100,
                organisation: CHECKER_ORG.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let audited: Vec<&str> = events.iter().map(|e| e.check_id.as_str()).collect();
    assert_eq!(audited, check_ids, "every answered check, once, in order");
    assert_eq!(events[0].subject_ids, vec![subject.subject_id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_right_after_checks_keeps_their_audit_events() {
    checks_survive_kill_9(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_right_after_checks_keeps_their_audit_events_with_sync_checks() {
    checks_survive_kill_9(&["--sync-checks"]).await;
}

/// Writes `records` as check-journal file `generation` of the store in `data_dir`, as a killed
/// process leaves it.
fn leave_journal(data_dir: &std::path::Path, generation: u64, records: &[u8]) {
    let dir = store_path(data_dir).join("journal");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{generation:020}.log")), records).unwrap();
}

fn check_entry(check_id: &str) -> AuditEntry {
    AuditEntry {
        organisation: CHECKER_ORG.into(),
        action: "check".into(),
        check_id: check_id.into(),
        ..AuditEntry::default()
    }
}

fn stored_check_ids(store: &Store) -> Vec<String> {
    let events: Vec<_> = store.audit_from(1).map(Result::unwrap).collect();
    let v = vetting::core::chain::verify(events.clone(), store.audit_head().unwrap());
    assert!(v.intact, "{v:?}");
    events
        .into_iter()
        .map(|(_, e)| e.unwrap().entry.check_id)
        .collect()
}

#[tokio::test]
async fn a_journal_left_by_a_killed_process_is_replayed_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (third, head_hash) = {
        let store = open_store(dir.path()).await;
        for id in ["c1", "c2", "c3"] {
            store
                .transact::<_, StoreError>(|tx| tx.append_audit(NOW_MS, check_entry(id)))
                .unwrap();
        }
        store.checkpoint().unwrap();
        (
            store.audit_event(3).unwrap().unwrap(),
            store.audit_head().unwrap().unwrap().1,
        )
    };
    // Event 3 reached the store; 4 and 5 did not (their journal records were written by two
    // threads, 5 first); a record cut short (a write that never completed) ends the file.
    let fourth = AuditEvent::seal(4, NOW_MS, check_entry("c4"), head_hash);
    let fifth = AuditEvent::seal(5, NOW_MS, check_entry("c5"), fourth.hash.clone());
    let mut records = Vec::new();
    for e in [&third, &fifth, &fourth] {
        records.extend(encode_record(e).unwrap());
    }
    let cut = encode_record(&AuditEvent::seal(
        6,
        NOW_MS,
        check_entry("c6"),
        fifth.hash.clone(),
    ))
    .unwrap();
    records.extend_from_slice(&cut[..cut.len() - 3]);
    leave_journal(dir.path(), 9, &records);

    let store = open_store(dir.path()).await;
    assert_eq!(stored_check_ids(&store), ["c1", "c2", "c3", "c4", "c5"]);
    assert_eq!(
        store.audit_event(5).unwrap().unwrap(),
        fifth,
        "in place, as sealed"
    );
    drop(store);
    // The same file again, as a crash between a checkpoint's flush and its removal of the
    // file would leave it: its events are in the store, found by sequence and hash.
    leave_journal(dir.path(), 9, &records);
    let store = open_store(dir.path()).await;
    assert_eq!(stored_check_ids(&store).len(), 5, "replayed once");
    let journal = store_path(dir.path()).join("journal");
    let files: Vec<_> = std::fs::read_dir(&journal).unwrap().collect();
    assert_eq!(files.len(), 1, "replayed files removed, one new file");
}

#[tokio::test]
async fn a_check_that_saw_an_unflushed_registry_write_waits_for_its_flush() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let journaled = || {
        vetting::store::journal::Journal::leftover(&store_path(dir.path()), 0)
            .unwrap()
            .events
    };
    // A registry write committed and still waiting for its flush; a check that saw it must
    // not answer before it is durable: a kill would lose the write but keep the answer.
    store
        .transact::<_, StoreError>(|tx| tx.bump_data_version())
        .unwrap();
    let seen = store.data_version().unwrap();
    assert!(store.durable().data_version < seen, "not flushed yet");
    let first = store.record(NOW_MS, check_entry("c1")).unwrap();
    assert_eq!(journaled(), vec![first.clone()], "journaled at once");
    store.durable_at(seen).await.unwrap();
    assert!(store.durable().data_version >= seen);
    // Everything it could have see is on disk now: the next check waits for nothing.
    let second = store.record(NOW_MS, check_entry("c2")).unwrap();
    assert_eq!(journaled(), vec![first, second]);
}

#[tokio::test]
async fn checks_after_a_bulk_import_in_the_same_process_wait_for_nothing() {
    // The import's own flush counts: the benchmark checks right after loading.
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let v = vetting::service::Vetting::new(store, vetting::core::clock::Clock::fixed(NOW_MS));
    let operator = vetting::auth::Principal {
        key_id: "operator".into(),
        organisation: REGISTRAR_ORG.into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let mut import = vetting::transfer::BulkImport::new(&v, &operator);
    import.add(&[person("Ann", "Lee", (1985, 5, 5))]).unwrap();
    import.finish().unwrap();
    let version = v.store.data_version().unwrap();
    assert!(version > 0);
    assert!(v.store.durable().data_version >= version);
    let event = v.store.record(NOW_MS, check_entry("c1")).unwrap();
    let journaled = vetting::store::journal::Journal::leftover(&store_path(dir.path()), 0)
        .unwrap()
        .events;
    assert_eq!(journaled, vec![event]);
}

/// Issue 10's kill -9 loop: a registry write sealed after journaled checks reached the disk
/// (its own flush), the checks (not yet moved into the audit trees) did not; they go back in
/// their own places, as sealed, and the chain holds.
#[tokio::test]
async fn journaled_checks_before_a_flushed_registry_write_go_back_in_their_places() {
    let dir = tempfile::tempdir().unwrap();
    let (second, third) = {
        let store = open_store(dir.path()).await;
        let first = store
            .transact::<_, StoreError>(|tx| tx.append_audit(NOW_MS, AuditEntry::default()))
            .unwrap();
        store.checkpoint().unwrap();
        let second = AuditEvent::seal(2, NOW_MS, check_entry("c2"), first.hash.clone());
        let third = AuditEvent::seal(3, NOW_MS, AuditEntry::default(), second.hash.clone());
        store
            .raw_audit_tree()
            .insert(3u64.to_be_bytes(), third.to_bytes())
            .unwrap();
        store.checkpoint().unwrap();
        (second, third)
    };
    leave_journal(dir.path(), 7, &encode_record(&second).unwrap());
    let store = open_store(dir.path()).await;
    assert_eq!(stored_check_ids(&store), ["", "c2", ""]);
    assert_eq!(store.audit_event(2).unwrap().unwrap(), second, "as sealed");
    assert_eq!(store.audit_event(3).unwrap().unwrap(), third);
}

#[tokio::test]
async fn a_journaled_check_after_a_lost_unanswered_write_takes_its_place_once() {
    let dir = tempfile::tempdir().unwrap();
    let head_hash = {
        let store = open_store(dir.path()).await;
        store
            .transact::<_, StoreError>(|tx| tx.append_audit(NOW_MS, check_entry("c1")))
            .unwrap();
        store.checkpoint().unwrap();
        store.audit_head().unwrap().unwrap().1
    };
    // Event 2 was a registry write lost before its flush (never answered); check 3, chained
    // after it, was answered and journaled.
    let lost = AuditEvent::seal(2, NOW_MS, AuditEntry::default(), head_hash);
    let third = AuditEvent::seal(3, NOW_MS, check_entry("c3"), lost.hash);
    let records = encode_record(&third).unwrap();
    leave_journal(dir.path(), 4, &records);
    let store = open_store(dir.path()).await;
    assert_eq!(stored_check_ids(&store), ["c1", "c3"], "re-chained at 2");
    drop(store);
    // The same file again, as a crash between the replay's flush and the removal of its files
    // would leave it: not replayed twice.
    leave_journal(dir.path(), 4, &records);
    let store = open_store(dir.path()).await;
    assert_eq!(stored_check_ids(&store), ["c1", "c3"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_flushes_and_exits_zero() {
    let setup = ChildSetup::new();
    let mut server = setup.serve();
    let channel = server.channel().await;
    let subject = setup
        .reg(&channel)
        .create(person("Ann", "Lee", (1985, 5, 5)))
        .await;
    drop(channel);
    let pid = server.child.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = server.wait_exit(Duration::from_secs(15));
    let log = server.log_text();
    assert_eq!(status.code(), Some(0), "log:\n{log}");
    // The log went to a file: plain text, no colour codes; it names the RPC but holds no
    // personal data of the request.
    assert!(log.contains("CreateSubject"), "log:\n{log}");
    assert!(!log.contains('\x1b'), "colour codes in a log file:\n{log}");
    for personal in ["Ann", "1985", &setup.registrar.token] {
        assert!(!log.contains(personal), "{personal} logged:\n{log}");
    }
    drop(server);

    let server = setup.serve();
    let got = RegistryServiceClient::new(server.channel().await)
        .get_subject(authed(
            &setup.registrar.token,
            pb::GetSubjectRequest {
                subject_id: subject.subject_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.name, Some(name("Ann", "Lee")));
}

#[tokio::test]
async fn a_second_process_on_a_served_data_dir_fails_with_one_clear_line() {
    let s = TestServer::start().await;
    let out = vetting_cmd(&["reindex", "--data-dir", s.data_dir().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "reindex ran beside a live server");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, got:\n{stderr}");
    assert!(lines[0].contains("in use by another process"), "{stderr}");
    let named = format!("data directory {} is in use", s.data_dir().display());
    assert!(lines[0].contains(&named), "{stderr}");
    assert!(out.stdout.is_empty());
    // The server is unharmed.
    s.registry()
        .list_subjects(authed(
            &s.keys.registrar.token,
            pb::ListSubjectsRequest::default(),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn keys_create_prints_only_a_token_that_a_running_server_accepts() {
    let s = TestServer::start().await;
    let out = vetting_cmd(&[
        "keys",
        "create",
        "--data-dir",
        s.data_dir().to_str().unwrap(),
        "--role",
        "checker",
        "--organisation",
        "Essex Police",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "only the token: {stdout:?}");
    let token = stdout.trim();
    assert!(token.starts_with("vt_"), "{token:?}");
    assert!(!token.contains(' '), "{token:?}");

    let r = s
        .checks()
        .check(authed(token, check_req("John", "Smith", None)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.outcome(), pb::Outcome::Clear);
    // The audit trail names the new key's organisation.
    let events = s
        .audit()
        .list_audit_events(authed(
            &s.keys.auditor.token,
            pb::ListAuditEventsRequest {
                organisation: "Essex Police".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "check");
    assert_eq!(events[0].role, "checker");

    // The same token is refused for what a checker may not do.
    assert_status(
        s.registry()
            .list_subjects(authed(token, pb::ListSubjectsRequest::default()))
            .await,
        Code::PermissionDenied,
        &["checker"],
    );
}

#[tokio::test]
async fn an_outdated_index_is_refused_until_reindex_rebuilds_it() {
    let s = TestServer::start().await;
    let (nadia, nadia_listing) = s
        .reg()
        .barred(
            person("Nadia", "Kowalczyk", (1983, 7, 9)),
            "Kent Police",
            false,
        )
        .await;
    // Someone left as they were: created only, with a retried create's request record.
    let retried = pb::CreateSubjectRequest {
        subject: Some(person("Owen", "Pryce", (1979, 2, 14))),
        request_id: "retry-me".into(),
    };
    let owen = s
        .registry()
        .create_subject(authed(&s.keys.registrar.token, retried.clone()))
        .await
        .unwrap()
        .into_inner();
    let inquiry = s
        .reg()
        .open(&owen.subject_id, investigation("Kent Police", (2025, 6, 1)))
        .await;
    let verify = |s: &TestServer| {
        let mut audit = s.audit();
        let token = s.keys.auditor.token.clone();
        async move {
            audit
                .verify_audit_log(authed(&token, pb::VerifyAuditLogRequest {}))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let get = |s: &TestServer, id: String| {
        let mut registry = s.registry();
        let token = s.keys.registrar.token.clone();
        async move {
            registry
                .get_subject(authed(&token, pb::GetSubjectRequest { subject_id: id }))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let nadia_before = get(&s, nadia.subject_id.clone()).await;
    // The audit trail as the auditor reads it: by subject and by organisation.
    let events = |s: &TestServer, subject_id: &str, organisation: &str| {
        let mut audit = s.audit();
        let token = s.keys.auditor.token.clone();
        let req = pb::ListAuditEventsRequest {
            page_size: 100,
            subject_id: subject_id.into(),
            organisation: organisation.into(),
            ..Default::default()
        };
        async move {
            let events = audit
                .list_audit_events(authed(&token, req))
                .await
                .unwrap()
                .into_inner()
                .events;
            events.into_iter().map(|e| e.hash).collect::<Vec<_>>()
        }
    };
    let of_nadia = events(&s, &nadia.subject_id, "").await;
    let of_org = events(&s, "", REGISTRAR_ORG).await;
    assert!(!of_nadia.is_empty() && !of_org.is_empty());
    // Last, since reads are audited.
    let before = verify(&s).await;
    let dir = s.stop().await;

    // As an older build would have left it: another index format, entries that no longer fit.
    {
        let db = sled::open(store_path(dir.path())).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("index_version", &1u32.to_be_bytes())
            .unwrap();
        db.open_tree("index").unwrap().clear().unwrap();
        db.flush().unwrap();
    }
    let data_dir = dir.path().to_str().unwrap();
    let out = vetting_cmd(&["serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    // The command to run, as it can be pasted: the data directory, not the store inside it.
    let fix = format!("`vetting reindex --data-dir {data_dir}`");
    assert!(stderr.contains(&fix), "{stderr}");

    let out = vetting_cmd(&["reindex", "--data-dir", data_dir])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    // Nadia (barred) and Owen (under investigation).
    assert!(stderr.contains("reindexed 2 listed subjects"), "{stderr}");

    // Rebuilt beside the store and swapped in: nothing of the rebuild is left.
    for left in ["store.reindex", "store.old", "store.reindex.done"] {
        assert!(!dir.path().join(left).exists(), "{left} left behind");
    }

    let s = TestServer::start_in(dir, Clock::fixed(NOW_MS)).await;
    // Everything but the index is as it was: the audit trail (its events and head), the
    // subjects with their listings and revisions, the request records.
    let after = verify(&s).await;
    assert!(after.intact);
    assert_eq!(after.events_checked, before.events_checked);
    assert_eq!(after.head_hash, before.head_hash);
    // Listing Nadia's events is itself audited under her id: one more than were listed.
    let now_of_nadia = events(&s, &nadia.subject_id, "").await;
    assert_eq!(now_of_nadia[..now_of_nadia.len() - 1], of_nadia[..]);
    assert_eq!(events(&s, "", REGISTRAR_ORG).await, of_org);
    assert_eq!(get(&s, nadia.subject_id.clone()).await, nadia_before);
    let again = s
        .registry()
        .create_subject(authed(&s.keys.registrar.token, retried))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.subject_id, owen.subject_id,
        "the retried create made another person"
    );
    let r = s
        .checks()
        .check(authed(
            &s.keys.checker.token,
            check_req("Nadia", "Kowalczyk", Some((1983, 7, 9))),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    // Listings and investigations came across: both can still be ended.
    let mut reg = s.reg();
    let removed = reg.remove_listing(&nadia_listing.listing_id).await;
    assert_eq!(removed.subject_id, nadia.subject_id);
    let closed = reg
        .client
        .close_investigation(authed(
            &reg.token,
            pb::CloseInvestigationRequest {
                investigation_id: inquiry.investigation_id,
                outcome: pb::InvestigationOutcome::NoFurtherAction.into(),
                closed_on: date(2025, 7, 1),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.subject_id, owen.subject_id);
}
