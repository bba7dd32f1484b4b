//! Disclosure by who is asking (issue 14, item 3, and the public 5-year window of item 1), through
//! the API: one key of each kind checks the same people; what a key may not see changes neither
//! its answer nor the answer's size; alerts follow the enrolling key's scopes.

use std::collections::BTreeMap;
use std::time::Duration;

use prost::Message;
use vetting::pb;

use crate::harness::*;

const DAY_MS: i64 = 86_400_000;

fn within<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut r = authed(token, msg);
    r.set_timeout(Duration::from_secs(20));
    r
}

fn investigation_as(org: &str, role: pb::Role, reference: &str) -> pb::Investigation {
    pb::Investigation {
        role: role.into(),
        reference: reference.into(),
        ..investigation(org, (2025, 9, 1))
    }
}

fn barred_on(org: &str, published: bool, decided: (i32, i32, i32)) -> pb::Listing {
    pb::Listing {
        decision_date: date(decided.0, decided.1, decided.2),
        ..barred_listing(org, published)
    }
}

/// The people every kind of key checks, by a short name: (given, family, date of birth).
/// A calendar date as (year, month, day).
type Ymd = (i32, i32, i32);
/// A listing's kind and its `publication_ends_on`.
type Shown = (pb::ListKind, Option<Ymd>);

const PEOPLE: [(&str, &str, &str, Ymd); 8] = [
    ("recent", "Robert", "Recent", (1980, 1, 2)),
    ("old", "Olive", "Oldfield", (1971, 3, 4)),
    ("staff", "Stella", "Staffer", (1982, 5, 6)),
    ("advisory", "Adam", "Advisor", (1983, 7, 8)),
    ("police", "Paula", "Policer", (1984, 9, 10)),
    ("probation", "Priya", "Probyn", (1985, 11, 12)),
    ("prison", "Percy", "Prisoner", (1986, 1, 13)),
    ("mixed", "Mick", "Mixture", (1987, 2, 14)),
];

/// Records the people; returns each one's subject id, and the mixed person's investigations'
/// ids by sector.
async fn record_people(s: &TestServer) -> (BTreeMap<&'static str, String>, [String; 3]) {
    let mut reg = s.reg();
    let mut ids = BTreeMap::new();
    for (key, given, family, dob) in PEOPLE {
        let subject = reg.create(person(given, family, dob)).await;
        ids.insert(key, subject.subject_id);
    }
    let id = |k: &str| ids[k].clone();
    reg.add_listing(&id("recent"), barred_on("Kent Police", true, (2024, 3, 1)))
        .await;
    // Decided six years before the suite's today (2025-11-22): its publication ended in 2024.
    reg.add_listing(&id("old"), barred_on("Kent Police", true, (2019, 1, 10)))
        .await;
    let mut staff = barred_on("Essex Police", false, (2025, 2, 3));
    staff.role = pb::Role::PoliceStaff.into();
    reg.add_listing(&id("staff"), staff).await;
    reg.add_listing(&id("advisory"), advisory_listing("Essex Police"))
        .await;
    reg.open(
        &id("police"),
        investigation_as("Kent Police", pb::Role::PoliceOfficer, "PSD/1"),
    )
    .await;
    reg.open(
        &id("probation"),
        investigation_as("HMPPS", pb::Role::ProbationOfficer, "CCU/1"),
    )
    .await;
    reg.open(
        &id("prison"),
        investigation_as("HMPPS", pb::Role::PrisonOfficer, "CCU/2"),
    )
    .await;
    // Barred (published, recent), on the advisory list, and under investigation in each sector.
    reg.add_listing(&id("mixed"), barred_on("Kent Police", true, (2024, 3, 1)))
        .await;
    reg.add_listing(&id("mixed"), advisory_listing("Surrey Police"))
        .await;
    let mut mixed_inv = Vec::new();
    for (role, r) in [
        (pb::Role::PoliceOfficer, "PSD/2"),
        (pb::Role::ProbationOfficer, "CCU/3"),
        (pb::Role::PrisonOfficer, "CCU/4"),
    ] {
        let i = reg
            .open(&id("mixed"), investigation_as("Kent Police", role, r))
            .await;
        mixed_inv.push(i.investigation_id);
    }
    let mixed_inv: [String; 3] = mixed_inv.try_into().unwrap();
    (ids, mixed_inv)
}

fn request(key: &str) -> pb::CheckRequest {
    let (_, given, family, dob) = PEOPLE.iter().find(|p| p.0 == key).unwrap();
    check_req(given, family, Some(*dob))
}

async fn check(s: &TestServer, token: &str, req: pb::CheckRequest) -> pb::CheckResponse {
    s.checks()
        .check(within(token, req))
        .await
        .unwrap()
        .into_inner()
}

/// What one answer shows: its outcome, and per match its status, listing kinds (with their
/// `publication_ends_on`) and investigation references.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    outcome: pb::Outcome,
    statuses: Vec<pb::Status>,
    listings: Vec<Shown>,
    investigations: Vec<String>,
}

fn seen(r: &pb::CheckResponse) -> Seen {
    Seen {
        outcome: r.outcome(),
        statuses: r.matches.iter().map(pb::Match::status).collect(),
        listings: r
            .matches
            .iter()
            .flat_map(|m| &m.listings)
            .map(|l| {
                (
                    l.list(),
                    l.publication_ends_on
                        .as_ref()
                        .map(|d| (d.year, d.month, d.day)),
                )
            })
            .collect(),
        investigations: r
            .matches
            .iter()
            .flat_map(|m| &m.investigations)
            .map(|i| i.reference.clone())
            .collect(),
    }
}

fn expect(outcome: pb::Outcome, listings: &[Shown], investigations: &[&str]) -> Seen {
    let status = match outcome {
        pb::Outcome::Barred => vec![pb::Status::Barred],
        pb::Outcome::UnderInvestigation => vec![pb::Status::UnderInvestigation],
        _ => vec![],
    };
    Seen {
        outcome,
        statuses: status,
        listings: listings.to_vec(),
        investigations: investigations.iter().map(|s| s.to_string()).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_kind_of_key_sees_the_same_people_as_its_scopes_allow() {
    use pb::ListKind::{AdvisoryList as A, BarredList as B};
    use pb::Outcome::{Barred, Clear, UnderInvestigation as Ui};
    let s = TestServer::start().await;
    let (_, _) = record_people(&s).await;
    let force = s.keys.checker.clone();
    let probation = s.checker_key("Probation vetting unit", "investigations:probation");
    let prisons = s.checker_key("Prison vetting unit", "investigations:prisons");
    let agency = s.checker_key("Recruitment agency", "");
    let public = s.keys.public.clone();
    let keys = [
        ("force", &force),
        ("probation", &probation),
        ("prisons", &prisons),
        ("barred-only", &agency),
        ("public", &public),
    ];
    let recent = (B, Some((2029, 3, 1)));
    let old = (B, Some((2024, 1, 10)));
    let staff = (B, None);
    let advisory = (A, None);
    // person -> what each key (in the order above) sees.
    let want: Vec<(&str, [Seen; 5])> = vec![
        (
            "recent",
            [0, 1, 2, 3, 4].map(|_| expect(Barred, &[recent], &[])),
        ),
        (
            "old",
            [
                expect(Barred, &[old], &[]),
                expect(Barred, &[old], &[]),
                expect(Barred, &[old], &[]),
                expect(Barred, &[old], &[]),
                expect(Clear, &[], &[]),
            ],
        ),
        (
            "staff",
            [
                expect(Barred, &[staff], &[]),
                expect(Barred, &[staff], &[]),
                expect(Barred, &[staff], &[]),
                expect(Barred, &[staff], &[]),
                expect(Clear, &[], &[]),
            ],
        ),
        (
            "advisory",
            [
                expect(Ui, &[advisory], &[]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
            ],
        ),
        (
            "police",
            [
                expect(Ui, &[], &["PSD/1"]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
            ],
        ),
        (
            "probation",
            [
                expect(Ui, &[], &["CCU/1"]),
                expect(Ui, &[], &["CCU/1"]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
            ],
        ),
        (
            "prison",
            [
                expect(Ui, &[], &["CCU/2"]),
                expect(Clear, &[], &[]),
                expect(Ui, &[], &["CCU/2"]),
                expect(Clear, &[], &[]),
                expect(Clear, &[], &[]),
            ],
        ),
        (
            "mixed",
            [
                expect(Barred, &[recent, advisory], &["PSD/2", "CCU/3", "CCU/4"]),
                expect(Barred, &[recent], &["CCU/3"]),
                expect(Barred, &[recent], &["CCU/4"]),
                expect(Barred, &[recent], &[]),
                expect(Barred, &[recent], &[]),
            ],
        ),
    ];
    // Every key checks every person at once, each call with its deadline.
    let mut calls = tokio::task::JoinSet::new();
    for (person, _) in &want {
        for (k, (kind, key)) in keys.iter().enumerate() {
            let (person, kind, token) = (*person, *kind, key.token.clone());
            let mut client = s.checks();
            calls.spawn(async move {
                let r = client
                    .check(within(&token, request(person)))
                    .await
                    .unwrap()
                    .into_inner();
                (person, k, kind, r)
            });
        }
    }
    let mut answered = 0;
    while let Some(done) = calls.join_next().await {
        let (person, k, kind, r) = done.unwrap();
        let wanted = &want.iter().find(|w| w.0 == person).unwrap().1[k];
        assert_eq!(&seen(&r), wanted, "{kind} checking {person}");
        answered += 1;
    }
    assert_eq!(answered, 40);

    // The registrar's view has every entry, each published one with its publication's end.
    let mut reg = s.reg();
    let ids = reg
        .client
        .list_subjects(authed(
            &reg.token,
            pb::ListSubjectsRequest {
                page_size: 20,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut ends: Vec<Option<i32>> = ids
        .subjects
        .iter()
        .flat_map(|s| &s.listings)
        .map(|l| l.publication_ends_on.as_ref().map(|d| d.year))
        .collect();
    ends.sort();
    // recent, old, mixed's barred entry; staff's unpublished one and two advisory entries.
    assert_eq!(
        ends,
        vec![None, None, None, Some(2024), Some(2029), Some(2029)]
    );
}

#[tokio::test]
async fn a_published_entry_leaves_the_public_view_the_day_after_its_publication_ends() {
    let s = TestServer::start().await;
    record_people(&s).await;
    let public = s.keys.public.token.clone();
    let r = check(&s, &public, request("recent")).await;
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    let end = r.matches[0].listings[0].publication_ends_on.unwrap();
    assert_eq!((end.year, end.month, end.day), (2029, 3, 1));
    // To noon on 2029-03-01, the last day: still shown.
    let last_day_noon = 1_867_060_800_000; // 2029-03-01T12:00:00Z
    s.clock.advance_ms(last_day_noon - NOW_MS);
    assert_eq!(
        check(&s, &public, request("recent")).await.outcome(),
        pb::Outcome::Barred
    );
    s.clock.advance_ms(DAY_MS);
    let r = check(&s, &public, request("recent")).await;
    assert_eq!(r.outcome(), pb::Outcome::Clear);
    assert!(r.matches.is_empty());
    // The mixed person, decided the same day, likewise; a police force still sees both.
    assert_eq!(
        check(&s, &public, request("mixed")).await.outcome(),
        pb::Outcome::Clear
    );
    let force = s.keys.checker.token.clone();
    assert_eq!(
        check(&s, &force, request("recent")).await.outcome(),
        pb::Outcome::Barred
    );
}

/// Two checks answered on the same clock and data version: the one of a person the key may not
/// see at all, and the one of a stranger whose names and date have the same lengths.
#[tokio::test]
async fn a_hidden_record_changes_neither_the_answer_nor_its_size() {
    let s = TestServer::start().await;
    let (ids, _) = record_people(&s).await;
    let mut reg = s.reg();
    // Mixed's twin: barred the same way, nothing else, names of the same lengths, the same date.
    let twin = reg.create(person("Ivor", "Jumbled", (1987, 2, 14))).await;
    reg.add_listing(
        &twin.subject_id,
        barred_on("Kent Police", true, (2024, 3, 1)),
    )
    .await;
    let agency = s.checker_key("Recruitment agency", "");
    let public = s.keys.public.token.clone();
    let other = |given: &str, family: &str, dob| check_req(given, family, Some(dob));
    let cases = [
        // (key, a person it may not see at all (or only in part), a stranger (or the twin) of
        // the same shape)
        (
            &agency.token,
            request("police"),
            other("Zelda", "Quimbly", (1990, 9, 10)),
        ),
        (
            &agency.token,
            request("advisory"),
            other("Yuri", "Quimbly", (1990, 7, 8)),
        ),
        (
            &agency.token,
            request("probation"),
            other("Zelda", "Quimby", (1990, 11, 12)),
        ),
        (
            &agency.token,
            request("prison"),
            other("Zelda", "Quimbley", (1990, 1, 13)),
        ),
        (
            &agency.token,
            request("mixed"),
            other("Ivor", "Jumbled", (1987, 2, 14)),
        ),
        (
            &public,
            request("old"),
            other("Zelda", "Quimbley", (1990, 3, 4)),
        ),
        (
            &public,
            request("staff"),
            other("Xavier", "Quimbly", (1990, 5, 6)),
        ),
        (
            &public,
            request("advisory"),
            other("Yuri", "Quimbly", (1990, 7, 8)),
        ),
        (
            &public,
            request("mixed"),
            other("Ivor", "Jumbled", (1987, 2, 14)),
        ),
    ];
    for (token, hidden, other) in cases {
        let a = check(&s, token, hidden.clone()).await;
        let b = check(&s, token, other.clone()).await;
        assert_eq!(a.outcome(), b.outcome(), "{hidden:?}");
        assert_eq!(a.matches.len(), b.matches.len(), "{hidden:?}");
        assert_eq!(a.data_version, b.data_version);
        assert_eq!(a.checked_at, b.checked_at, "the fixed clock");
        for (x, y) in a.matches.iter().zip(&b.matches) {
            assert_eq!(x.reasons, y.reasons, "{hidden:?}");
            assert_eq!(x.strength, y.strength);
            assert_eq!(x.listings.len(), y.listings.len());
            assert!(x.investigations.is_empty() && y.investigations.is_empty());
        }
        // client_ref echoes the names: the same length by construction.
        assert_eq!(hidden.client_ref.len(), other.client_ref.len());
        assert_eq!(a.encoded_len(), b.encoded_len(), "{hidden:?}\n{a:?}\n{b:?}");
    }

    // The audit trail names only what the key was shown, and which key asked.
    let hidden = check(&s, &agency.token, request("police")).await;
    let events = s
        .audit()
        .list_audit_events(within(
            &s.keys.auditor.token,
            pb::ListAuditEventsRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let ev = events
        .iter()
        .find(|e| e.check_id == hidden.check_id)
        .unwrap();
    assert_eq!(ev.key_id, agency.info.key_id);
    assert!(ev.subject_ids.is_empty(), "{ev:?}");
    assert!(!ids["police"].is_empty());
}

async fn next_alert(stream: &mut tonic::Streaming<pb::Alert>) -> pb::Alert {
    tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("an alert within 20 s")
        .expect("the stream is open")
        .expect("an alert, not the end")
}

/// Three organisations enrol the same officer: a police force (everything), a probation unit
/// (its sector's investigations) and an agency (the barred list). A police investigation
/// alerts the force only; a probation one the probation unit (the force's outcome is already
/// UNDER_INVESTIGATION); the barring all three, the agency's first alert going from CLEAR: it
/// was never told of either investigation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_follow_the_enrolling_keys_scopes() {
    let s = TestServer::start().await;
    let force = s.keys.checker.token.clone();
    let probation = s
        .checker_key("Probation vetting unit", "investigations:probation")
        .token;
    let agency = s.checker_key("Recruitment agency", "").token;
    let mut m = s.monitoring();
    let mut streams = Vec::new();
    for (i, token) in [&force, &probation, &agency].into_iter().enumerate() {
        let e = m
            .enrol(within(
                token,
                pb::EnrolRequest {
                    name: Some(name("Dana", "Dual")),
                    date_of_birth: date(1979, 4, 4),
                    employee_ref: format!("E-{i}"),
                    request_id: format!("enrol-{i}"),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(e.outcome(), pb::Outcome::Clear);
        let stream = m
            .stream_alerts(authed(token, pb::StreamAlertsRequest { after_sequence: 0 }))
            .await
            .unwrap()
            .into_inner();
        streams.push(stream);
    }
    let mut reg = s.reg();
    let subject = reg.create(person("Dana", "Dual", (1979, 4, 4))).await;
    reg.open(
        &subject.subject_id,
        investigation_as("Kent Police", pb::Role::PoliceOfficer, "PSD/9"),
    )
    .await;
    let f1 = next_alert(&mut streams[0]).await;
    assert_eq!(
        (f1.sequence, f1.previous_outcome(), f1.outcome()),
        (1, pb::Outcome::Clear, pb::Outcome::UnderInvestigation)
    );
    reg.open(
        &subject.subject_id,
        investigation_as("HMPPS", pb::Role::ProbationOfficer, "CCU/9"),
    )
    .await;
    let p1 = next_alert(&mut streams[1]).await;
    assert_eq!(
        (p1.sequence, p1.previous_outcome(), p1.outcome()),
        (1, pb::Outcome::Clear, pb::Outcome::UnderInvestigation)
    );
    reg.add_listing(
        &subject.subject_id,
        barred_on("Kent Police", true, (2025, 10, 1)),
    )
    .await;
    let f2 = next_alert(&mut streams[0]).await;
    assert_eq!(
        (f2.sequence, f2.previous_outcome(), f2.outcome()),
        (2, pb::Outcome::UnderInvestigation, pb::Outcome::Barred)
    );
    let p2 = next_alert(&mut streams[1]).await;
    assert_eq!(
        (p2.sequence, p2.previous_outcome(), p2.outcome()),
        (2, pb::Outcome::UnderInvestigation, pb::Outcome::Barred)
    );
    let a1 = next_alert(&mut streams[2]).await;
    assert_eq!(
        (a1.sequence, a1.previous_outcome(), a1.outcome()),
        (1, pb::Outcome::Clear, pb::Outcome::Barred),
        "the agency heard of neither investigation"
    );
}
