//! The audit trail: one event per registry write and per check, filters and paging, and the
//! hash chain catching an edited or deleted event in the store.

use prost_types::Timestamp;
use tonic::Code;
use vetting::core::chain::AuditEvent;
use vetting::pb;
use vetting::store::{Store, keys};

use crate::harness::*;

fn list(page_size: i32) -> pb::ListAuditEventsRequest {
    pb::ListAuditEventsRequest {
        page_size,
        ..Default::default()
    }
}

async fn events(s: &TestServer, req: pb::ListAuditEventsRequest) -> pb::ListAuditEventsResponse {
    s.audit()
        .list_audit_events(authed(&s.keys.auditor.token, req))
        .await
        .unwrap()
        .into_inner()
}

async fn all_events(s: &TestServer) -> Vec<pb::AuditEvent> {
    events(s, list(1000)).await.events
}

async fn verify(s: &TestServer) -> pb::VerifyAuditLogResponse {
    s.audit()
        .verify_audit_log(authed(&s.keys.auditor.token, pb::VerifyAuditLogRequest {}))
        .await
        .unwrap()
        .into_inner()
}

fn ts(ms: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: ms / 1000,
        nanos: 0,
    })
}

#[tokio::test]
async fn every_registry_write_and_check_appends_an_event() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let subject = reg.create(person("John", "Smith", (1980, 1, 15))).await;
    let sid = subject.subject_id.clone();
    let listing = reg
        .add_listing(&sid, barred_listing("Kent Police", false))
        .await;
    let inv = reg
        .open(&sid, investigation("Kent Police", (2025, 6, 1)))
        .await;
    reg.client
        .close_investigation(authed(
            &reg.token,
            pb::CloseInvestigationRequest {
                investigation_id: inv.investigation_id,
                outcome: pb::InvestigationOutcome::NoFurtherAction.into(),
                closed_on: date(2025, 7, 1),
            },
        ))
        .await
        .unwrap();
    reg.remove_listing(&listing.listing_id).await;
    let current = reg.get(&sid).await;
    reg.client
        .update_subject(authed(
            &reg.token,
            pb::UpdateSubjectRequest {
                subject: Some(current),
                expected_revision: 5,
            },
        ))
        .await
        .unwrap();
    // The barred listing is removed, so list him again to get a match.
    reg.add_listing(&sid, barred_listing("Essex Police", false))
        .await;
    let mut req = check_req("John", "Smith", Some((1980, 1, 15)));
    req.client_ref = "HR-77".into();
    req.purpose = pb::Purpose::Transfer.into();
    let answer = s
        .checks()
        .check(authed(&s.keys.checker.token, req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.outcome(), pb::Outcome::Barred);

    let all = all_events(&s).await;
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "create_subject",
            "add_listing",
            "open_investigation",
            "close_investigation",
            "remove_listing",
            "get_subject",
            "update_subject",
            "add_listing",
            "check",
        ]
    );
    let sequences: Vec<u64> = all.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=9).collect::<Vec<_>>());
    for e in &all[..8] {
        assert_eq!(e.key_id, s.keys.registrar.info.key_id, "{}", e.action);
        assert_eq!(e.organisation, REGISTRAR_ORG);
        assert_eq!(e.role, "registrar");
        assert_eq!(e.subject_ids, vec![sid.clone()], "{}", e.action);
        assert_eq!(e.at.unwrap().seconds, NOW_MS / 1000);
        assert!(e.check_id.is_empty());
    }
    let c = &all[8];
    assert_eq!(c.key_id, s.keys.checker.info.key_id);
    assert_eq!(c.organisation, CHECKER_ORG);
    assert_eq!(c.role, "checker");
    assert_eq!(c.purpose(), pb::Purpose::Transfer);
    assert_eq!(c.outcome(), pb::Outcome::Barred);
    assert_eq!(c.check_id, answer.check_id);
    assert_eq!(c.client_ref, "HR-77");
    assert_eq!(c.subject_ids, vec![sid.clone()]);
    // The chain links each event to the one before.
    assert!(all[0].prev_hash.is_empty());
    for w in all.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
        assert_eq!(w[0].hash.len(), 64);
    }
}

#[tokio::test]
async fn a_clear_check_is_audited_with_its_outcome() {
    let s = TestServer::start().await;
    let r = s
        .checks()
        .check(authed(
            &s.keys.public.token,
            check_req("Peter", "Nobody", Some((1991, 2, 3))),
        ))
        .await
        .unwrap()
        .into_inner();
    let all = all_events(&s).await;
    assert_eq!(all.len(), 1);
    let e = &all[0];
    assert_eq!(e.action, "check");
    assert_eq!(e.role, "public");
    assert_eq!(e.outcome(), pb::Outcome::Clear);
    assert_eq!(e.purpose(), pb::Purpose::Recruitment);
    assert_eq!(e.check_id, r.check_id);
    assert_eq!(e.client_ref, "applicant Peter Nobody");
    assert!(e.subject_ids.is_empty());
}

#[tokio::test]
async fn events_are_filtered_by_subject_organisation_and_time_and_paged() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let t0 = s.clock.now_ms();
    let a = reg.create(person("Ann", "Lee", (1985, 5, 5))).await; // seq 1 at t0
    s.clock.advance_ms(60_000);
    let b = reg.create(person("Bo", "Ray", (1986, 6, 6))).await; // seq 2 at t0+1m
    s.clock.advance_ms(60_000);
    reg.add_listing(&a.subject_id, barred_listing("Kent Police", false))
        .await; // seq 3 at t0+2m
    s.clock.advance_ms(60_000);
    s.checks()
        .check(authed(
            &s.keys.checker.token,
            check_req("Ann", "Lee", Some((1985, 5, 5))),
        ))
        .await
        .unwrap(); // seq 4 at t0+3m, names a
    s.clock.advance_ms(60_000);
    reg.add_listing(&b.subject_id, advisory_listing("Kent Police"))
        .await; // seq 5 at t0+4m
    s.clock.advance_ms(60_000);

    let seqs =
        |r: &pb::ListAuditEventsResponse| r.events.iter().map(|e| e.sequence).collect::<Vec<_>>();

    let r = events(
        &s,
        pb::ListAuditEventsRequest {
            subject_id: a.subject_id.clone(),
            ..list(0)
        },
    )
    .await;
    assert_eq!(seqs(&r), vec![1, 3, 4]);
    assert!(
        r.events
            .iter()
            .all(|e| e.subject_ids.contains(&a.subject_id))
    );

    let r = events(
        &s,
        pb::ListAuditEventsRequest {
            organisation: CHECKER_ORG.into(),
            ..list(0)
        },
    )
    .await;
    assert_eq!(seqs(&r), vec![4]);
    assert_eq!(r.events[0].action, "check");

    let r = events(
        &s,
        pb::ListAuditEventsRequest {
            from: ts(t0 + 60_000),
            to: ts(t0 + 180_000),
            ..list(0)
        },
    )
    .await;
    assert_eq!(seqs(&r), vec![2, 3], "from inclusive, to exclusive");

    let r = events(
        &s,
        pb::ListAuditEventsRequest {
            subject_id: b.subject_id.clone(),
            from: ts(t0 + 120_000),
            ..list(0)
        },
    )
    .await;
    assert_eq!(seqs(&r), vec![5]);

    // Paging: 2 at a time over everything so far (5 events, plus one per listing call).
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let r = events(
            &s,
            pb::ListAuditEventsRequest {
                page_token: token,
                to: ts(t0 + 300_000),
                ..list(2)
            },
        )
        .await;
        assert!(r.events.len() <= 2);
        seen.extend(seqs(&r));
        pages += 1;
        assert!(pages < 20, "paging does not end");
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);

    let mut client = s.audit();
    let tok = &s.keys.auditor.token;
    assert_status(
        client
            .list_audit_events(authed(
                tok,
                pb::ListAuditEventsRequest {
                    page_token: "nonsense".into(),
                    ..list(0)
                },
            ))
            .await,
        Code::InvalidArgument,
        &["page_token"],
    );
    assert_status(
        client
            .list_audit_events(authed(
                tok,
                pb::ListAuditEventsRequest {
                    subject_id: "not-an-id".into(),
                    ..list(0)
                },
            ))
            .await,
        Code::InvalidArgument,
        &["subject_id"],
    );
    assert_status(
        client.list_audit_events(authed(tok, list(-5))).await,
        Code::InvalidArgument,
        &["page_size"],
    );
}

/// A few events of every kind; returns how many.
async fn some_history(s: &TestServer) -> u64 {
    let mut reg = s.reg();
    let (subject, _) = reg
        .barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    reg.open(
        &subject.subject_id,
        investigation("Kent Police", (2025, 6, 1)),
    )
    .await;
    s.checks()
        .check(authed(
            &s.keys.checker.token,
            check_req("John", "Smith", Some((1980, 1, 15))),
        ))
        .await
        .unwrap();
    4
}

#[tokio::test]
async fn an_untouched_log_verifies_with_every_event_checked() {
    let s = TestServer::start().await;
    let empty = verify(&s).await;
    assert!(empty.intact);
    assert_eq!(empty.events_checked, 0);
    let n = some_history(&s).await;
    let listed = all_events(&s).await; // itself audited: one more event
    assert_eq!(listed.len() as u64, n);
    let v = verify(&s).await;
    assert!(v.intact, "{v:?}");
    assert_eq!(v.events_checked, n + 1);
    assert_eq!(v.first_bad_sequence, 0);
    assert_eq!(v.head_hash.len(), 64);
    // The head is the last event's hash: the listing call's own event, which follows `listed`.
    let last = all_events(&s).await;
    assert_eq!(last[n as usize].hash, v.head_hash);
}

/// Stops the server, lets `tamper` change the raw audit tree, and starts again on the same dir.
async fn tamper_offline(s: TestServer, tamper: impl FnOnce(&Store)) -> TestServer {
    let clock = s.clock.clone();
    let dir = s.stop().await;
    {
        let store = open_store(dir.path()).await;
        tamper(&store);
        store.sync().unwrap();
    }
    TestServer::start_in(dir, clock).await
}

#[tokio::test]
async fn an_edited_event_fails_verification_at_its_sequence() {
    let s = TestServer::start().await;
    let n = some_history(&s).await;
    assert!(verify(&s).await.intact);
    let s = tamper_offline(s, |store| {
        let tree = store.raw_audit_tree();
        let key = keys::u64_key(2);
        let bytes = tree.get(key).unwrap().unwrap();
        let mut event = AuditEvent::from_bytes(&bytes).unwrap();
        assert_eq!(event.sequence, 2);
        assert_eq!(event.entry.organisation, REGISTRAR_ORG);
        event.entry.organisation = "Someone Else".into();
        tree.insert(key, event.to_bytes()).unwrap();
    })
    .await;
    let v = verify(&s).await;
    assert!(!v.intact, "{v:?}");
    assert_eq!(v.first_bad_sequence, 2);
    assert!(v.events_checked <= n);
}

#[tokio::test]
async fn an_edit_that_rehashes_its_event_is_still_caught_by_the_next_link() {
    let s = TestServer::start().await;
    some_history(&s).await;
    let s = tamper_offline(s, |store| {
        let tree = store.raw_audit_tree();
        let key = keys::u64_key(3);
        let old = AuditEvent::from_bytes(&tree.get(key).unwrap().unwrap()).unwrap();
        let mut entry = old.entry.clone();
        entry.subject_ids.clear();
        let forged = AuditEvent::seal(old.sequence, old.at_ms, entry, old.prev_hash.clone());
        tree.insert(key, forged.to_bytes()).unwrap();
    })
    .await;
    let v = verify(&s).await;
    assert!(!v.intact);
    assert_eq!(v.first_bad_sequence, 4);
}

#[tokio::test]
async fn a_deleted_last_event_is_detected() {
    let s = TestServer::start().await;
    let n = some_history(&s).await;
    let s = tamper_offline(s, |store| {
        let removed = store.raw_audit_tree().remove(keys::u64_key(n)).unwrap();
        assert!(removed.is_some());
    })
    .await;
    let v = verify(&s).await;
    assert!(!v.intact, "{v:?}");
    assert_eq!(v.first_bad_sequence, n);
    assert_eq!(v.events_checked, n - 1);
}

#[tokio::test]
async fn a_deleted_middle_event_is_detected() {
    let s = TestServer::start().await;
    some_history(&s).await;
    let s = tamper_offline(s, |store| {
        store.raw_audit_tree().remove(keys::u64_key(2)).unwrap();
    })
    .await;
    let v = verify(&s).await;
    assert!(!v.intact);
    assert_eq!(v.first_bad_sequence, 2);
}
