//! Store formats: a store written by the previous format (`tests/fixtures/store-format-2`,
//! written through the API by the release before format 3) is upgraded at open, keeps every
//! answer and its audit chain; a store of a newer format is refused in one line.

use std::path::{Path, PathBuf};

use vetting::core::clock::Clock;
use vetting::pb;

use crate::harness::*;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-format-2")
}

/// A copy of the fixture in a temp dir (the fixture itself is never opened: opening upgrades).
fn copy_of_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", fixture().display()))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    for sub in ["store/journal", "store/blobs"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    dir
}

#[tokio::test]
async fn a_format_2_store_is_upgraded_and_answers_as_it_did() {
    let dir = copy_of_fixture();
    let path = dir.path().to_str().unwrap().to_owned();
    // The records are upgraded at open; the candidate index changed format too (it is derived
    // data, rebuilt by a command that takes minutes at a million): the refusal names it.
    let out = vetting_cmd(&["export", "--data-dir", &path])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let command = format!("run `vetting reindex --data-dir {path}`");
    let refusals: Vec<_> = err.lines().filter(|l| l.starts_with("vetting:")).collect();
    assert!(
        refusals.len() == 1 && refusals[0].contains(&command),
        "{err}"
    );
    let out = vetting_cmd(&["reindex", "--data-dir", &path])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = TestServer::start_in(dir, Clock::System).await;
    // Every subject reads back as format 2 exported it, plus the grounds the upgrade could
    // tell for certain (the lifecycle rules' listings) and the review date they give.
    let old: Vec<serde_json::Value> = std::fs::read_to_string(fixture().join("export.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(old.len(), 5);
    let mut reg = t.reg();
    for o in &old {
        let id = o["subjectId"].as_str().unwrap();
        let s = reg.get(id).await;
        assert_eq!(
            s.name.as_ref().unwrap().family_name,
            o["name"]["familyName"]
        );
        assert_eq!(s.revision.to_string(), o["revision"].as_str().unwrap());
        let listings = o["listings"].as_array().map_or(0, Vec::len);
        assert_eq!(s.listings.len(), listings, "{id}");
        for (l, ol) in s
            .listings
            .iter()
            .zip(o["listings"].as_array().into_iter().flatten())
        {
            assert_eq!(l.listing_id, ol["listingId"].as_str().unwrap());
            assert_eq!(l.state().as_str_name(), ol["state"].as_str().unwrap());
            let expected = if l.investigation_id.is_empty() {
                pb::ListingGrounds::Unspecified
            } else if l.list() == pb::ListKind::BarredList {
                pb::ListingGrounds::GrossMisconduct
            } else {
                pb::ListingGrounds::ResignedUnderInvestigation
            };
            assert_eq!(l.grounds(), expected, "{}", l.listing_id);
        }
        // Its history: every change format 2 logged, ending in the subject as it stands.
        let h = reg
            .client
            .get_subject_history(authed(
                &reg.token,
                pb::GetSubjectHistoryRequest {
                    subject_id: id.into(),
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .changes;
        assert!(!h.is_empty(), "{id}");
        assert_eq!(h[0].kind(), pb::ChangeKind::SubjectCreated);
        assert_eq!(h.last().unwrap().subject.as_ref().unwrap(), &s);
    }
    // Checks answer as they did: the barred officer, the resigned-under-investigation one.
    let mut checks = t.checks();
    for (given, family, dob, outcome) in [
        ("Alan", "Smith", (1980, 1, 2), pb::Outcome::Barred),
        (
            "Brenda",
            "ONeill",
            (1975, 7, 14),
            pb::Outcome::UnderInvestigation,
        ),
        ("Carl", "Jones", (1990, 3, 3), pb::Outcome::Barred),
        ("Eve", "Hart", (1985, 3, 3), pb::Outcome::Clear),
    ] {
        let r = checks
            .check(authed(
                &t.keys.checker.token,
                check_req(given, family, Some(dob)),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.outcome(), outcome, "{given} {family}");
    }
    // The audit chain format 2 wrote goes on, intact, with this server's events after it.
    let v = t
        .audit()
        .verify_audit_log(authed(&t.keys.auditor.token, pb::VerifyAuditLogRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(v.intact);
    assert!(v.events_checked > 22, "{}", v.events_checked);
    // Enrolments and alerts came through too (an alert is listed once the projector, started
    // with the server, has passed the change it rests on).
    let tok = key_in(t.data_dir(), vetting::auth::Role::Checker, "Kent Police").token;
    let enrolments = t
        .monitoring()
        .list_enrolments(authed(&tok, pb::ListEnrolmentsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .enrolments;
    assert_eq!(enrolments.len(), 2);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let alerts = t
            .monitoring()
            .list_alerts(authed(&tok, pb::ListAlertsRequest::default()))
            .await
            .unwrap()
            .into_inner();
        if alerts.alerts.len() == 1 {
            assert_eq!(alerts.alerts[0].employee_ref, "E2");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{alerts:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Writes go on as format 3.
    let s = reg.create(person("New", "Person", (1990, 1, 1))).await;
    assert_eq!(s.revision, 1);
    let dir = t.stop().await;
    // Opened again, it is format 3 already: nothing to upgrade, same answers.
    let t = TestServer::start_in(dir, Clock::System).await;
    assert_eq!(t.reg().get(&s.subject_id).await, s);
}

#[test]
fn a_store_of_a_newer_format_is_refused_in_one_line() {
    let dir = copy_of_fixture();
    {
        let db = sled::open(dir.path().join("store")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert("format_version", &99u32.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let out = vetting_cmd(&["export", "--data-dir", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<_> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("format 99"), "{err}");
    assert!(lines[0].contains("newer"), "{err}");
    assert!(out.stdout.is_empty());
}
