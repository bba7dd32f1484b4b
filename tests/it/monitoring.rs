//! MonitoringService enrolments through a real server: two organisations, retries, paging,
//! validation, and many employers enrolling at once, each call with a deadline.

use std::sync::Arc;
use std::time::Duration;

use tonic::Code;
use vetting::auth::{KeyFile, Role};
use vetting::pb;

use crate::harness::*;

fn enrol_req(given: &str, family: &str, dob: (i32, i32, i32), r: &str) -> pb::EnrolRequest {
    pb::EnrolRequest {
        name: Some(name(given, family)),
        date_of_birth: date(dob.0, dob.1, dob.2),
        employee_ref: format!("E-{r}"),
        request_id: format!("req-{r}"),
        ..Default::default()
    }
}

fn within<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut r = authed(token, msg);
    r.set_timeout(Duration::from_secs(20));
    r
}

/// The audit trail's first 200 events, as the auditor reads them.
async fn audit_events(s: &TestServer) -> Vec<pb::AuditEvent> {
    s.audit()
        .list_audit_events(within(
            &s.keys.auditor.token,
            pb::ListAuditEventsRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events
}

fn second_org(s: &TestServer) -> String {
    KeyFile::in_dir(s.data_dir())
        .create(Role::Checker, "Essex Police", &s.clock)
        .unwrap()
        .1
}

#[tokio::test]
async fn an_enrolment_carries_the_outcome_and_belongs_to_its_organisation_only() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    reg.barred(
        person("Ciarán", "Ó Súilleabháin", (1981, 4, 9)),
        REGISTRAR_ORG,
        true,
    )
    .await;
    let kent = s.keys.checker.token.clone();
    let essex = second_org(&s);
    let mut m = s.monitoring();

    let barred = m
        .enrol(within(
            &kent,
            enrol_req("Ciarán", "Ó Súilleabháin", (1981, 4, 9), "1"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(barred.outcome(), pb::Outcome::Barred);
    assert!(barred.enrolment_id.starts_with("enr_"), "{barred:?}");
    assert_eq!(barred.employee_ref, "E-1");
    let clear = m
        .enrol(within(
            &kent,
            enrol_req("Alice", "Nobody", (1990, 1, 2), "2"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(clear.outcome(), pb::Outcome::Clear);

    // A retry creates nothing; the same request id for someone else is refused.
    let again = m
        .enrol(within(
            &kent,
            enrol_req("Ciarán", "Ó Súilleabháin", (1981, 4, 9), "1"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.enrolment_id, barred.enrolment_id);
    let mut other = enrol_req("Bob", "Other", (1970, 5, 5), "x");
    other.request_id = "req-1".into();
    assert_status(
        m.enrol(within(&kent, other)).await,
        Code::AlreadyExists,
        &["request_id"],
    );

    // Essex's key sees none of Kent's, cannot unenrol them, and may reuse the request id.
    let list = |token: &str| {
        let mut m = s.monitoring();
        let token = token.to_string();
        async move {
            m.list_enrolments(within(
                &token,
                pb::ListEnrolmentsRequest {
                    page_size: 10,
                    page_token: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    assert!(list(&essex).await.enrolments.is_empty());
    assert_status(
        m.unenrol(within(
            &essex,
            pb::UnenrolRequest {
                enrolment_id: barred.enrolment_id.clone(),
            },
        ))
        .await,
        Code::NotFound,
        &["enrolment"],
    );
    let essex_one = m
        .enrol(within(
            &essex,
            enrol_req("Ciarán", "Ó Súilleabháin", (1981, 4, 9), "1"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(essex_one.enrolment_id, barred.enrolment_id);

    let kent_list = list(&kent).await;
    let mut ids: Vec<_> = kent_list
        .enrolments
        .iter()
        .map(|e| e.enrolment_id.clone())
        .collect();
    let mut want = vec![barred.enrolment_id.clone(), clear.enrolment_id.clone()];
    // In enrolment-id order: the enrolment's time to the millisecond, then at random (this
    // server's clock stands still).
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    ids.sort();
    want.sort();
    assert_eq!(ids, want);

    // Unenrolled: gone from the list, a second unenrol is NOT_FOUND, and a retry of the first
    // enrol says what happened rather than enrolling again.
    let gone = m
        .unenrol(within(
            &kent,
            pb::UnenrolRequest {
                enrolment_id: barred.enrolment_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.enrolment_id, barred.enrolment_id);
    let ids: Vec<_> = list(&kent)
        .await
        .enrolments
        .into_iter()
        .map(|e| e.enrolment_id)
        .collect();
    assert_eq!(ids, vec![clear.enrolment_id.clone()]);
    assert_status(
        m.unenrol(within(
            &kent,
            pb::UnenrolRequest {
                enrolment_id: barred.enrolment_id.clone(),
            },
        ))
        .await,
        Code::NotFound,
        &[],
    );
    assert_status(
        m.enrol(within(
            &kent,
            enrol_req("Ciarán", "Ó Súilleabháin", (1981, 4, 9), "1"),
        ))
        .await,
        Code::FailedPrecondition,
        &["unenrolled"],
    );

    // Every enrol and unenrol is on the record, by the organisation that made it.
    let events = audit_events(&s).await;
    let count = |action: &str, org: &str| {
        events
            .iter()
            .filter(|e| e.action == action && e.organisation == org)
            .count()
    };
    assert_eq!(count("enrol", CHECKER_ORG), 2);
    assert_eq!(count("enrol", "Essex Police"), 1);
    assert_eq!(count("unenrol", CHECKER_ORG), 1);
    let enrolled = events
        .iter()
        .find(|e| e.action == "enrol" && e.outcome() == pb::Outcome::Barred)
        .expect("the barred enrolment's event");
    assert_eq!(enrolled.subject_ids.len(), 1);
}

#[tokio::test]
async fn enrolments_are_validated_like_checks_and_paged() {
    let s = TestServer::start().await;
    let tok = s.keys.checker.token.clone();
    let mut m = s.monitoring();
    let mut no_name = enrol_req("A", "B", (1980, 1, 1), "n");
    no_name.name = None;
    assert_status(
        m.enrol(within(&tok, no_name)).await,
        Code::InvalidArgument,
        &["name"],
    );
    let mut bad_date = enrol_req("Ann", "Smith", (1980, 2, 30), "d");
    bad_date.request_id = "req-d".into();
    assert_status(
        m.enrol(within(&tok, bad_date)).await,
        Code::InvalidArgument,
        &["date_of_birth"],
    );
    let mut long_ref = enrol_req("Ann", "Smith", (1980, 2, 3), "l");
    long_ref.employee_ref = "x".repeat(10_000);
    assert_status(
        m.enrol(within(&tok, long_ref)).await,
        Code::InvalidArgument,
        &["employee_ref"],
    );
    assert_status(
        m.unenrol(within(
            &tok,
            pb::UnenrolRequest {
                enrolment_id: "sub_nonsense".into(),
            },
        ))
        .await,
        Code::InvalidArgument,
        &["enrolment_id"],
    );
    assert_status(
        m.list_enrolments(within(
            &tok,
            pb::ListEnrolmentsRequest {
                page_size: 5,
                page_token: "garbage".into(),
            },
        ))
        .await,
        Code::InvalidArgument,
        &["page_token"],
    );

    for i in 0..7 {
        m.enrol(within(
            &tok,
            enrol_req(
                "Worker",
                &format!("Number{i}"),
                (1980, 1, 1 + i),
                &i.to_string(),
            ),
        ))
        .await
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = m
            .list_enrolments(within(
                &tok,
                pb::ListEnrolmentsRequest {
                    page_size: 3,
                    page_token: token.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.enrolments.len() <= 3);
        seen.extend(page.enrolments.into_iter().map(|e| e.employee_ref));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    seen.sort();
    let want: Vec<String> = (0..7).map(|i| format!("E-{i}")).collect();
    assert_eq!(seen, want, "every enrolment once, across the pages");
}

#[tokio::test]
async fn sixteen_employers_enrol_at_once_while_checks_go_on() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    reg.barred(person("Gareth", "Price", (1975, 3, 3)), REGISTRAR_ORG, true)
        .await;
    let tokens: Vec<String> = (0..16)
        .map(|i| {
            KeyFile::in_dir(s.data_dir())
                .create(Role::Checker, &format!("Force {i}"), &s.clock)
                .unwrap()
                .1
        })
        .collect();
    let mut tasks = Vec::new();
    for (i, tok) in tokens.iter().enumerate() {
        let mut m = s.monitoring();
        let tok = tok.clone();
        tasks.push(tokio::spawn(async move {
            let mut barred = 0;
            for j in 0..20 {
                let req = if j == 0 {
                    enrol_req("Gareth", "Price", (1975, 3, 3), &format!("{i}-{j}"))
                } else {
                    enrol_req(
                        "Staff",
                        &format!("Member{i}x{j}"),
                        (1985, 1, 1),
                        &format!("{i}-{j}"),
                    )
                };
                let e = m.enrol(within(&tok, req)).await.unwrap().into_inner();
                barred += usize::from(e.outcome() == pb::Outcome::Barred);
            }
            let list = m
                .list_enrolments(within(
                    &tok,
                    pb::ListEnrolmentsRequest {
                        page_size: 100,
                        page_token: String::new(),
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            (barred, list.enrolments.len())
        }));
    }
    let checker = s.keys.checker.token.clone();
    let mut checks = Vec::new();
    for _ in 0..64 {
        let mut c = s.checks();
        let tok = checker.clone();
        checks.push(tokio::spawn(async move {
            let mut r = authed(&tok, check_req("Gareth", "Price", Some((1975, 3, 3))));
            r.set_timeout(Duration::from_secs(20));
            c.check(r).await.unwrap().into_inner().outcome()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (1, 20));
    }
    for c in checks {
        assert_eq!(c.await.unwrap(), pb::Outcome::Barred);
    }
}

async fn next_alert(stream: &mut tonic::Streaming<pb::Alert>) -> pb::Alert {
    tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("an alert within 20 s")
        .expect("the stream is open")
        .expect("an alert, not the end")
}

fn subscribe(token: &str, after: u64) -> tonic::Request<pb::StreamAlertsRequest> {
    authed(
        token,
        pb::StreamAlertsRequest {
            after_sequence: after,
        },
    )
}

#[tokio::test]
async fn an_enrolled_person_listed_and_unlisted_raises_one_alert_each_for_each_organisation() {
    let s = TestServer::start().await;
    let kent = s.keys.checker.token.clone();
    let essex = second_org(&s);
    let surrey = KeyFile::in_dir(s.data_dir())
        .create(Role::Checker, "Surrey Police", &s.clock)
        .unwrap()
        .1;
    let mut m = s.monitoring();
    let kent_e = m
        .enrol(within(&kent, enrol_req("Anna", "Clark", (1988, 8, 8), "k")))
        .await
        .unwrap()
        .into_inner();
    let essex_e = m
        .enrol(within(
            &essex,
            enrol_req("Anna", "Clark", (1988, 8, 8), "e"),
        ))
        .await
        .unwrap()
        .into_inner();
    m.enrol(within(
        &surrey,
        enrol_req("Other", "Person", (1970, 1, 1), "s"),
    ))
    .await
    .unwrap();
    assert_eq!(kent_e.outcome(), pb::Outcome::Clear);
    let mut kent_stream = m
        .stream_alerts(subscribe(&kent, 0))
        .await
        .unwrap()
        .into_inner();
    let mut essex_stream = m
        .stream_alerts(subscribe(&essex, 0))
        .await
        .unwrap()
        .into_inner();
    let mut surrey_stream = m
        .stream_alerts(subscribe(&surrey, 0))
        .await
        .unwrap()
        .into_inner();

    let mut reg = s.reg();
    let (subject, listing) = reg
        .barred(person("Anna", "Clark", (1988, 8, 8)), REGISTRAR_ORG, true)
        .await;
    let a1 = next_alert(&mut kent_stream).await;
    assert_eq!(a1.sequence, 1);
    assert_eq!(a1.enrolment_id, kent_e.enrolment_id);
    assert_eq!(a1.employee_ref, "E-k");
    assert_eq!(a1.previous_outcome(), pb::Outcome::Clear);
    assert_eq!(a1.outcome(), pb::Outcome::Barred);
    let e1 = next_alert(&mut essex_stream).await;
    assert_eq!(
        (e1.sequence, e1.enrolment_id.as_str()),
        (1, essex_e.enrolment_id.as_str())
    );

    reg.remove_listing(&listing.listing_id).await;
    let a2 = next_alert(&mut kent_stream).await;
    assert_eq!(a2.sequence, 2);
    assert_eq!(a2.previous_outcome(), pb::Outcome::Barred);
    assert_eq!(a2.outcome(), pb::Outcome::Clear);
    assert_eq!(next_alert(&mut essex_stream).await.sequence, 2);

    // The alert's check is on the record, with the subject it rests on.
    let events = audit_events(&s).await;
    let ev = events
        .iter()
        .find(|e| e.check_id == a1.check_id)
        .expect("the alert's audit event");
    assert_eq!(ev.action, "alert");
    assert_eq!(ev.organisation, CHECKER_ORG);
    assert_eq!(ev.subject_ids, vec![subject.subject_id.clone()]);

    // Reconnecting after the first delivers the second only; polling sees the same.
    let mut again = m
        .stream_alerts(subscribe(&kent, 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next_alert(&mut again).await.check_id, a2.check_id);
    let polled = m
        .list_alerts(within(
            &kent,
            pb::ListAlertsRequest {
                after_sequence: 0,
                page_size: 10,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let seqs: Vec<u64> = polled.alerts.iter().map(|a| a.sequence).collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(polled.last_sequence, 2);

    // Surrey's worker was never concerned: nothing arrives.
    let none = tokio::time::timeout(Duration::from_millis(500), surrey_stream.message()).await;
    assert!(none.is_err(), "Surrey got {none:?}");
    let surrey_polled = m
        .list_alerts(within(&surrey, pb::ListAlertsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(surrey_polled.alerts.is_empty());

    // Unenrolled: a later listing raises nothing for Kent, and Essex still hears.
    m.unenrol(within(
        &kent,
        pb::UnenrolRequest {
            enrolment_id: kent_e.enrolment_id.clone(),
        },
    ))
    .await
    .unwrap();
    reg.add_listing(&subject.subject_id, barred_listing(REGISTRAR_ORG, true))
        .await;
    assert_eq!(next_alert(&mut essex_stream).await.sequence, 3);
    let quiet = tokio::time::timeout(Duration::from_millis(500), kent_stream.message()).await;
    assert!(quiet.is_err(), "Kent got {quiet:?}");
}

/// `kill -9` in the middle of a burst of registry changes: after a restart and a reconnect with
/// the last sequence seen, every alert has arrived exactly once, in a gap-free sequence, and
/// what was seen before the kill is what the store kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_a_burst_of_changes_loses_and_repeats_no_alert() {
    use pb::monitoring_service_client::MonitoringServiceClient;
    use pb::registry_service_client::RegistryServiceClient;
    use std::collections::BTreeMap;

    const PEOPLE: usize = 24;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let registrar = key_in(&data, Role::Registrar, REGISTRAR_ORG);
    let checker = key_in(&data, Role::Checker, CHECKER_ORG);
    const FAMILIES: [&str; PEOPLE] = [
        "Abbott",
        "Barker",
        "Cartwright",
        "Dunmore",
        "Ellison",
        "Fairbanks",
        "Gillespie",
        "Hathaway",
        "Ingram",
        "Jarvis",
        "Kettering",
        "Lockwood",
        "Merriman",
        "Northcott",
        "Osborne",
        "Pendleton",
        "Quayle",
        "Rutherford",
        "Stanhope",
        "Trelawney",
        "Underwood",
        "Vickery",
        "Whitmore",
        "Yardley",
    ];
    let person_of = |i: usize| person("Jo", FAMILIES[i], (1950 + i as i32, 1 + (i % 12) as i32, 3));

    let mut server = ChildServer::start(&data, root.path());
    let channel = server.channel().await;
    let mut m = MonitoringServiceClient::new(channel.clone());
    let mut enrolled = BTreeMap::new();
    for i in 0..PEOPLE {
        let p = person_of(i);
        let dob = p.date_of_birth.unwrap();
        let e = m
            .enrol(within(
                &checker.token,
                pb::EnrolRequest {
                    name: p.name.clone(),
                    date_of_birth: Some(dob),
                    employee_ref: format!("E-{i}"),
                    request_id: format!("enrol-{i}"),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        enrolled.insert(e.enrolment_id, i);
    }
    let mut stream = m
        .stream_alerts(subscribe(&checker.token, 0))
        .await
        .unwrap()
        .into_inner();

    // The burst: each person created and barred by one of 8 registrars; the kill once half the
    // listings are acknowledged.
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let mut reg = Reg {
            client: RegistryServiceClient::new(channel.clone()),
            token: registrar.token.clone(),
        };
        let acked = acked.clone();
        writers.spawn(async move {
            for i in (w..PEOPLE).step_by(8) {
                let mut s = person_of(i);
                s.subject_id = String::new();
                let created = reg
                    .client
                    .create_subject(within(
                        &reg.token,
                        pb::CreateSubjectRequest {
                            subject: Some(s),
                            request_id: format!("create-{i}"),
                        },
                    ))
                    .await;
                let Ok(created) = created else { return };
                let l = reg
                    .client
                    .add_listing(within(
                        &reg.token,
                        pb::AddListingRequest {
                            subject_id: created.into_inner().subject_id,
                            listing: Some(barred_listing(REGISTRAR_ORG, true)),
                            request_id: format!("list-{i}"),
                        },
                    ))
                    .await;
                if l.is_err() {
                    return;
                }
                acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
    }
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    while acked.load(std::sync::atomic::Ordering::SeqCst) < PEOPLE / 2 {
        if let Ok(Ok(Some(a))) =
            tokio::time::timeout(Duration::from_millis(20), stream.message()).await
        {
            seen.insert(a.sequence, a.enrolment_id);
        }
    }
    server.child.kill().unwrap();
    assert!(!server.child.wait().unwrap().success());
    while writers.join_next().await.is_some() {}
    drop((stream, m, channel));

    // Restarted: the rest of the burst (retries of the same requests), then a reconnect.
    let server = ChildServer::start(&data, root.path());
    let channel = server.channel().await;
    let mut reg = Reg {
        client: RegistryServiceClient::new(channel.clone()),
        token: registrar.token.clone(),
    };
    for i in 0..PEOPLE {
        let mut s = person_of(i);
        s.subject_id = String::new();
        let created = reg
            .client
            .create_subject(within(
                &reg.token,
                pb::CreateSubjectRequest {
                    subject: Some(s),
                    request_id: format!("create-{i}"),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        reg.client
            .add_listing(within(
                &reg.token,
                pb::AddListingRequest {
                    subject_id: created.subject_id,
                    listing: Some(barred_listing(REGISTRAR_ORG, true)),
                    request_id: format!("list-{i}"),
                },
            ))
            .await
            .unwrap();
    }
    let last = seen.keys().next_back().copied().unwrap_or(0);
    let mut m = MonitoringServiceClient::new(channel.clone());
    let mut stream = m
        .stream_alerts(subscribe(&checker.token, last))
        .await
        .unwrap()
        .into_inner();
    while seen.len() < PEOPLE {
        let a = next_alert(&mut stream).await;
        assert!(
            seen.insert(a.sequence, a.enrolment_id.clone()).is_none(),
            "sequence {} delivered twice",
            a.sequence
        );
        assert_eq!(a.outcome(), pb::Outcome::Barred);
    }
    let quiet = tokio::time::timeout(Duration::from_millis(500), stream.message()).await;
    assert!(quiet.is_err(), "an alert too many: {quiet:?}");
    // Gap-free from 1, one per enrolment, and what was seen before the kill is what was kept.
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        (1..=PEOPLE as u64).collect::<Vec<_>>()
    );
    let mut by_enrolment: Vec<&String> = seen.values().collect();
    by_enrolment.sort();
    by_enrolment.dedup();
    assert_eq!(by_enrolment.len(), PEOPLE);
    let kept = m
        .list_alerts(within(
            &checker.token,
            pb::ListAlertsRequest {
                after_sequence: 0,
                page_size: 100,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for a in &kept.alerts {
        assert_eq!(
            seen.get(&a.sequence),
            Some(&a.enrolment_id),
            "alert {}",
            a.sequence
        );
    }
    assert_eq!(kept.alerts.len(), PEOPLE);
}

#[tokio::test]
async fn a_workforce_enrols_in_one_batch_with_bad_items_answered_in_place() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    reg.barred(
        person("Gwen", "Pritchard", (1983, 9, 9)),
        REGISTRAR_ORG,
        true,
    )
    .await;
    let tok = s.keys.checker.token.clone();
    const N: usize = 300;
    let reqs: Vec<pb::EnrolRequest> = (0..N)
        .map(|i| {
            let mut r = if i == 7 {
                enrol_req("Gwen", "Pritchard", (1983, 9, 9), &i.to_string())
            } else {
                enrol_req(
                    "Staff",
                    &format!("Member{i}"),
                    (1980, 1 + (i % 12) as i32, 5),
                    &i.to_string(),
                )
            };
            if i == 5 {
                r.name = None;
            }
            if i == 10 {
                // The request id of item 9, for someone else.
                r.request_id = "req-9".into();
            }
            r
        })
        .collect();
    let mut req = authed(&tok, tokio_stream::iter(reqs));
    req.set_timeout(Duration::from_secs(60));
    let mut answers = s.monitoring().enrol_batch(req).await.unwrap().into_inner();
    let mut got = Vec::new();
    while let Some(a) = answers.message().await.unwrap() {
        got.push(a);
    }
    assert_eq!(got.len(), N);
    for (i, a) in got.iter().enumerate() {
        assert_eq!(a.employee_ref, format!("E-{i}"), "answers in order");
        match i {
            5 => {
                let e = a.error.as_ref().expect("item 5 refused");
                assert_eq!(e.code, Code::InvalidArgument as i32);
                assert!(e.message.contains("request 5: name"), "{}", e.message);
            }
            10 => {
                let e = a.error.as_ref().expect("item 10 refused");
                assert_eq!(e.code, Code::AlreadyExists as i32);
            }
            _ => {
                let e = a.enrolment.as_ref().expect("enrolled");
                assert!(a.error.is_none());
                let want = if i == 7 {
                    pb::Outcome::Barred
                } else {
                    pb::Outcome::Clear
                };
                assert_eq!(e.outcome(), want, "item {i}");
            }
        }
    }
    let mut total = 0;
    let mut token = String::new();
    loop {
        let page = s
            .monitoring()
            .list_enrolments(within(
                &tok,
                pb::ListEnrolmentsRequest {
                    page_size: 100,
                    page_token: token.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        total += page.enrolments.len();
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(total, N - 2);
}
