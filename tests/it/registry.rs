//! RegistryService: records, validation, idempotency, revisions, paging, listings,
//! investigations and the lifecycle rules of the contract.

use std::collections::BTreeSet;

use tonic::Code;
use vetting::pb;

use crate::harness::*;

const UNKNOWN_SUBJECT: &str = "sub_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const UNKNOWN_LISTING: &str = "lst_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const UNKNOWN_INVESTIGATION: &str = "inv_01ARZ3NDEKTSV4RRFFQ69G5FAV";

fn create_req(s: pb::Subject, request_id: &str) -> pb::CreateSubjectRequest {
    pb::CreateSubjectRequest {
        subject: Some(s),
        request_id: request_id.into(),
    }
}

async fn count_subjects(s: &TestServer) -> usize {
    let mut client = s.registry();
    let mut n = 0;
    let mut token = String::new();
    loop {
        let page = client
            .list_subjects(authed(
                &s.keys.registrar.token,
                pb::ListSubjectsRequest {
                    page_size: 1000,
                    page_token: token,
                    status: 0,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        n += page.subjects.len();
        if page.next_page_token.is_empty() {
            return n;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn create_then_get_round_trips_with_server_set_fields() {
    let s = TestServer::start().await;
    let mut client = s.registry();
    let mut subject = person("Mary Anne", "O'Brien", (1980, 4, 12));
    subject.other_names = vec![name("Mary", "Walsh")];
    subject.identifiers = vec![
        ni("AB 12 34 56 C"),
        pb::Identifier {
            scheme: pb::IdentifierScheme::WarrantNumber.into(),
            value: "4471".into(),
            issuer: "Kent Police".into(),
        },
    ];
    // Server-set fields sent by the client are ignored.
    subject.subject_id = "sub_mine".into();
    subject.revision = 42;
    subject.status = pb::Status::Barred.into();
    let created = client
        .create_subject(authed(&s.keys.registrar.token, create_req(subject, "")))
        .await
        .unwrap()
        .into_inner();
    assert!(
        created.subject_id.starts_with("sub_"),
        "{}",
        created.subject_id
    );
    assert_ne!(created.subject_id, "sub_mine");
    assert_eq!(created.revision, 1);
    assert_eq!(created.status(), pb::Status::Clear);
    let at = created.created_at.unwrap();
    assert_eq!(at.seconds, NOW_MS / 1000);
    assert_eq!(created.updated_at, Some(at));
    assert!(created.listings.is_empty() && created.investigations.is_empty());

    let got = s
        .registry()
        .get_subject(authed(
            &s.keys.registrar.token,
            pb::GetSubjectRequest {
                subject_id: created.subject_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);
    assert_eq!(got.name, Some(name("Mary Anne", "O'Brien")));
    assert_eq!(got.other_names, vec![name("Mary", "Walsh")]);
    assert_eq!(got.date_of_birth, date(1980, 4, 12));
    assert_eq!(got.identifiers.len(), 2);
    assert_eq!(got.identifiers[1].issuer, "Kent Police");
}

/// Each bad subject, and the words its INVALID_ARGUMENT message must contain.
fn bad_subjects() -> Vec<(&'static str, pb::Subject, Vec<&'static str>)> {
    let good = person("John", "Smith", (1980, 1, 1));
    let with = |f: &dyn Fn(&mut pb::Subject)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    vec![
        (
            "missing name",
            with(&|s| s.name = None),
            vec!["subject.name", "required"],
        ),
        (
            "empty family name",
            with(&|s| s.name = Some(name("John", "  "))),
            vec!["subject.name.family_name"],
        ),
        (
            "29 February in a common year",
            with(&|s| s.date_of_birth = date(2023, 2, 29)),
            vec!["subject.date_of_birth", "day"],
        ),
        (
            "date of birth in the future",
            with(&|s| s.date_of_birth = date(2030, 5, 1)),
            vec!["subject.date_of_birth", "future"],
        ),
        (
            "the day after the clock's today",
            with(&|s| s.date_of_birth = date(2025, 11, 23)),
            vec!["subject.date_of_birth", "future"],
        ),
        (
            "month 13",
            with(&|s| s.date_of_birth = date(1980, 13, 1)),
            vec!["subject.date_of_birth.month"],
        ),
        (
            "identifier without a scheme",
            with(&|s| {
                s.identifiers = vec![pb::Identifier {
                    scheme: pb::IdentifierScheme::Unspecified.into(),
                    value: "AB123456C".into(),
                    issuer: String::new(),
                }]
            }),
            vec!["subject.identifiers[0].scheme"],
        ),
        (
            "identifier with an unknown scheme number",
            with(&|s| {
                s.identifiers = vec![pb::Identifier {
                    scheme: 77,
                    value: "AB123456C".into(),
                    issuer: String::new(),
                }]
            }),
            vec!["subject.identifiers[0].scheme", "77"],
        ),
        (
            "national insurance number of the wrong shape",
            with(&|s| s.identifiers = vec![ni("AB12345")]),
            vec!["subject.identifiers[0].value", "national insurance"],
        ),
        (
            "warrant number without its issuer",
            with(&|s| {
                s.identifiers = vec![
                    ni("AB123456C"),
                    pb::Identifier {
                        scheme: pb::IdentifierScheme::WarrantNumber.into(),
                        value: "4471".into(),
                        issuer: String::new(),
                    },
                ]
            }),
            vec!["subject.identifiers[1].issuer"],
        ),
        (
            "other name without a family name",
            with(&|s| s.other_names = vec![name("Jack", "")]),
            vec!["subject.other_names[0].family_name"],
        ),
        (
            "a name of digits only",
            with(&|s| s.name = Some(name("John", "12345"))),
            vec!["subject.name.family_name", "letters"],
        ),
    ]
}

#[tokio::test]
async fn bad_subjects_are_invalid_argument_naming_the_field() {
    let s = TestServer::start().await;
    let mut client = s.registry();
    for (what, subject, words) in bad_subjects() {
        let r = client
            .create_subject(authed(&s.keys.registrar.token, create_req(subject, "")))
            .await;
        let status = r.expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        for w in words {
            assert!(
                status.message().contains(w),
                "{what}: expected {w:?} in {:?}",
                status.message()
            );
        }
    }
    assert_eq!(count_subjects(&s).await, 0, "no bad subject was stored");
}

#[tokio::test]
async fn list_subjects_rejects_bad_status_page_size_and_token() {
    let s = TestServer::start().await;
    let mut client = s.registry();
    let tok = &s.keys.registrar.token;
    let list = |page_size, page_token: &str, status| pb::ListSubjectsRequest {
        page_size,
        page_token: page_token.into(),
        status,
    };
    assert_status(
        client.list_subjects(authed(tok, list(0, "", 99))).await,
        Code::InvalidArgument,
        &["status", "99"],
    );
    assert_status(
        client.list_subjects(authed(tok, list(-1, "", 0))).await,
        Code::InvalidArgument,
        &["page_size"],
    );
    assert_status(
        client
            .list_subjects(authed(tok, list(10, "garbage", 0)))
            .await,
        Code::InvalidArgument,
        &["page_token"],
    );
}

#[tokio::test]
async fn unknown_ids_are_not_found_and_malformed_ids_invalid() {
    let s = TestServer::start().await;
    let mut client = s.registry();
    let tok = &s.keys.registrar.token;
    let get = |id: &str| {
        authed(
            tok,
            pb::GetSubjectRequest {
                subject_id: id.into(),
            },
        )
    };
    assert_status(
        client.get_subject(get(UNKNOWN_SUBJECT)).await,
        Code::NotFound,
        &["subject", UNKNOWN_SUBJECT],
    );
    for bad in [
        "",
        "sub_nope",
        "lst_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    ] {
        assert_status(
            client.get_subject(get(bad)).await,
            Code::InvalidArgument,
            &["subject_id"],
        );
    }

    let remove = |id: &str| {
        authed(
            tok,
            pb::RemoveListingRequest {
                listing_id: id.into(),
                reason: pb::RemovalReason::AppealAllowed.into(),
                note: String::new(),
                removed_on: date(2025, 1, 1),
            },
        )
    };
    assert_status(
        client.remove_listing(remove(UNKNOWN_LISTING)).await,
        Code::NotFound,
        &["listing", UNKNOWN_LISTING],
    );
    assert_status(
        client.remove_listing(remove(UNKNOWN_SUBJECT)).await,
        Code::InvalidArgument,
        &["listing_id"],
    );

    let close = |id: &str| {
        authed(
            tok,
            pb::CloseInvestigationRequest {
                investigation_id: id.into(),
                outcome: pb::InvestigationOutcome::NoCaseToAnswer.into(),
                closed_on: date(2025, 1, 1),
            },
        )
    };
    assert_status(
        client
            .close_investigation(close(UNKNOWN_INVESTIGATION))
            .await,
        Code::NotFound,
        &["investigation", UNKNOWN_INVESTIGATION],
    );
    assert_status(
        client.close_investigation(close("inv_?")).await,
        Code::InvalidArgument,
        &["investigation_id"],
    );

    assert_status(
        client
            .add_listing(authed(
                tok,
                pb::AddListingRequest {
                    subject_id: UNKNOWN_SUBJECT.into(),
                    listing: Some(barred_listing("Kent Police", false)),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::NotFound,
        &["subject", UNKNOWN_SUBJECT],
    );
    assert_status(
        client
            .open_investigation(authed(
                tok,
                pb::OpenInvestigationRequest {
                    subject_id: UNKNOWN_SUBJECT.into(),
                    investigation: Some(investigation("Kent Police", (2025, 1, 1))),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::NotFound,
        &["subject", UNKNOWN_SUBJECT],
    );
    assert_status(
        client
            .record_departure(authed(
                tok,
                pb::RecordDepartureRequest {
                    subject_id: "x".into(),
                    kind: pb::DepartureKind::Resigned.into(),
                    left_on: date(2025, 1, 1),
                    organisation: "Kent Police".into(),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["subject_id"],
    );
}

#[tokio::test]
async fn a_retried_request_id_returns_the_first_subject_and_creates_nothing() {
    let s = TestServer::start().await;
    let mut client = s.registry();
    let tok = &s.keys.registrar.token;
    let subject = person("John", "Smith", (1980, 1, 1));
    let first = client
        .create_subject(authed(tok, create_req(subject.clone(), "req-7f3a")))
        .await
        .unwrap()
        .into_inner();
    s.clock.advance_ms(60_000);
    let again = client
        .create_subject(authed(tok, create_req(subject.clone(), "req-7f3a")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.subject_id, first.subject_id);
    assert_eq!(again.revision, 1);
    assert_eq!(count_subjects(&s).await, 1);

    let mut other = subject.clone();
    other.name = Some(name("Jane", "Smith"));
    assert_status(
        client
            .create_subject(authed(tok, create_req(other, "req-7f3a")))
            .await,
        Code::AlreadyExists,
        &["request_id"],
    );
    assert_eq!(count_subjects(&s).await, 1);

    // A different request id is a different subject.
    let third = client
        .create_subject(authed(tok, create_req(subject, "req-other")))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(third.subject_id, first.subject_id);
    assert_eq!(count_subjects(&s).await, 2);
}

#[tokio::test]
async fn a_retried_add_listing_returns_the_first_listing() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let subject = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let req = || {
        authed(
            &s.keys.registrar.token,
            pb::AddListingRequest {
                subject_id: subject.subject_id.clone(),
                listing: Some(barred_listing("Kent Police", false)),
                request_id: "add-1".into(),
            },
        )
    };
    let first = reg.client.add_listing(req()).await.unwrap().into_inner();
    let again = reg.client.add_listing(req()).await.unwrap().into_inner();
    assert_eq!(again.listing_id, first.listing_id);
    assert_eq!(reg.get(&subject.subject_id).await.listings.len(), 1);
}

#[tokio::test]
async fn update_subject_checks_the_revision() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let created = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let update = |rev: u64, given: &str| {
        let mut subject = created.clone();
        subject.name = Some(name(given, "Smith"));
        subject.other_names = vec![name("Johnny", "Smith")];
        authed(
            &s.keys.registrar.token,
            pb::UpdateSubjectRequest {
                subject: Some(subject),
                expected_revision: rev,
            },
        )
    };
    assert_status(
        reg.client.update_subject(update(0, "Jon")).await,
        Code::InvalidArgument,
        &["expected_revision"],
    );
    assert_status(
        reg.client.update_subject(update(7, "Jon")).await,
        Code::Aborted,
        &["revision 1", "not 7"],
    );
    s.clock.advance_ms(1_000);
    let updated = reg
        .client
        .update_subject(update(1, "Jon"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.subject_id, created.subject_id);
    assert_eq!(updated.name, Some(name("Jon", "Smith")));
    assert_eq!(updated.other_names, vec![name("Johnny", "Smith")]);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(
        updated.updated_at.unwrap().seconds,
        created.updated_at.unwrap().seconds + 1
    );
    // The revision read before the update is stale now.
    assert_status(
        reg.client.update_subject(update(1, "Jonathan")).await,
        Code::Aborted,
        &["revision 2"],
    );
    let got = reg.get(&created.subject_id).await;
    assert_eq!(got.name, Some(name("Jon", "Smith")));
    // Bad input is refused before the revision is looked at.
    let mut bad = created.clone();
    bad.date_of_birth = date(1980, 2, 30);
    assert_status(
        reg.client
            .update_subject(authed(
                &s.keys.registrar.token,
                pb::UpdateSubjectRequest {
                    subject: Some(bad),
                    expected_revision: 2,
                },
            ))
            .await,
        Code::InvalidArgument,
        &["subject.date_of_birth"],
    );
}

#[tokio::test]
async fn list_subjects_pages_through_everyone_once_and_filters_by_status() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let mut all = BTreeSet::new();
    let mut barred = BTreeSet::new();
    for (i, family) in ["Ash", "Birch", "Cedar", "Damson", "Elm"]
        .iter()
        .enumerate()
    {
        s.clock.advance_ms(10);
        let subject = reg.create(person("Sam", family, (1980, 1, 1))).await;
        if i % 2 == 0 {
            reg.add_listing(&subject.subject_id, barred_listing("Kent Police", false))
                .await;
            barred.insert(subject.subject_id.clone());
        }
        all.insert(subject.subject_id);
    }

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = Vec::new();
    loop {
        let page = reg
            .client
            .list_subjects(authed(
                &reg.token,
                pb::ListSubjectsRequest {
                    page_size: 2,
                    page_token: token,
                    status: 0,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        pages.push(page.subjects.len());
        seen.extend(page.subjects.into_iter().map(|s| s.subject_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(pages, vec![2, 2, 1]);
    assert_eq!(seen.len(), 5, "no duplicates: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), all);

    let page = reg
        .client
        .list_subjects(authed(
            &reg.token,
            pb::ListSubjectsRequest {
                page_size: 0,
                page_token: String::new(),
                status: pb::Status::Barred.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(page.next_page_token.is_empty());
    assert!(
        page.subjects
            .iter()
            .all(|s| s.status() == pb::Status::Barred)
    );
    let ids: BTreeSet<_> = page.subjects.into_iter().map(|s| s.subject_id).collect();
    assert_eq!(ids, barred);
}

#[tokio::test]
async fn a_barred_listing_bars_the_subject_and_cannot_be_duplicated() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let subject = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let l = reg
        .add_listing(&subject.subject_id, barred_listing("Kent Police", true))
        .await;
    assert!(l.listing_id.starts_with("lst_"), "{}", l.listing_id);
    assert_eq!(l.list(), pb::ListKind::BarredList);
    assert_eq!(l.state(), pb::ListingState::Active);
    assert_eq!(l.organisation, "Kent Police");
    assert_eq!(l.decision_date, date(2024, 3, 1));
    assert!(l.published);
    assert_eq!(l.subject_id, subject.subject_id);

    let got = reg.get(&subject.subject_id).await;
    assert_eq!(got.status(), pb::Status::Barred);
    assert_eq!(got.revision, 2);
    assert_eq!(got.listings.len(), 1);
    assert_eq!(got.listings[0].listing_id, l.listing_id);

    let add = |listing| {
        authed(
            &s.keys.registrar.token,
            pb::AddListingRequest {
                subject_id: subject.subject_id.clone(),
                listing: Some(listing),
                request_id: String::new(),
            },
        )
    };
    assert_status(
        reg.client
            .add_listing(add(barred_listing("Kent Police", false)))
            .await,
        Code::AlreadyExists,
        &["Kent Police", &l.listing_id],
    );
    // Another force's listing of the same person is a separate entry.
    reg.client
        .add_listing(add(barred_listing("Essex Police", false)))
        .await
        .unwrap();

    let mut published_advisory = advisory_listing("Kent Police");
    published_advisory.published = true;
    assert_status(
        reg.client.add_listing(add(published_advisory)).await,
        Code::InvalidArgument,
        &["listing.published"],
    );
    let mut published_staff = barred_listing("Surrey Police", true);
    published_staff.role = pb::Role::PoliceStaff.into();
    assert_status(
        reg.client.add_listing(add(published_staff)).await,
        Code::InvalidArgument,
        &["listing.published"],
    );
    let mut no_list = barred_listing("Surrey Police", false);
    no_list.list = 0;
    assert_status(
        reg.client.add_listing(add(no_list)).await,
        Code::InvalidArgument,
        &["listing.list"],
    );
    let mut future = barred_listing("Surrey Police", false);
    future.decision_date = date(2026, 1, 1);
    assert_status(
        reg.client.add_listing(add(future)).await,
        Code::InvalidArgument,
        &["listing.decision_date", "future"],
    );
    let no_org = barred_listing(" ", false);
    assert_status(
        reg.client.add_listing(add(no_org)).await,
        Code::InvalidArgument,
        &["listing.organisation"],
    );
    assert_eq!(reg.get(&subject.subject_id).await.listings.len(), 2);
}

#[tokio::test]
async fn removing_a_listing_keeps_it_as_removed_and_clears_the_subject() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (subject, l) = reg
        .barred(person("John", "Smith", (1980, 1, 1)), "Kent Police", false)
        .await;
    let removed = reg.remove_listing(&l.listing_id).await;
    assert_eq!(removed.listing_id, l.listing_id);
    assert_eq!(removed.state(), pb::ListingState::Removed);
    assert_eq!(removed.removal_reason(), pb::RemovalReason::AppealAllowed);
    assert_eq!(removed.removal_note, "appeal allowed by the tribunal");
    assert_eq!(removed.removed_on, date(2025, 1, 10));

    let got = reg.get(&subject.subject_id).await;
    assert_eq!(got.status(), pb::Status::Clear);
    assert_eq!(got.listings, vec![removed.clone()], "nothing is deleted");

    let again = pb::RemoveListingRequest {
        listing_id: l.listing_id.clone(),
        reason: pb::RemovalReason::ReviewSuccessful.into(),
        note: String::new(),
        removed_on: date(2025, 2, 1),
    };
    assert_status(
        reg.client
            .remove_listing(authed(&reg.token, again.clone()))
            .await,
        Code::FailedPrecondition,
        &[&l.listing_id, "already removed"],
    );
    assert_status(
        reg.client
            .remove_listing(authed(
                &reg.token,
                pb::RemoveListingRequest {
                    reason: 0,
                    ..again.clone()
                },
            ))
            .await,
        Code::InvalidArgument,
        &["reason"],
    );
    assert_status(
        reg.client
            .remove_listing(authed(
                &reg.token,
                pb::RemoveListingRequest {
                    removed_on: None,
                    ..again
                },
            ))
            .await,
        Code::InvalidArgument,
        &["removed_on"],
    );
}

#[tokio::test]
async fn a_removal_before_the_decision_is_invalid() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (subject, l) = reg
        .barred(person("John", "Smith", (1980, 1, 1)), "Kent Police", false)
        .await;
    assert_status(
        reg.client
            .remove_listing(authed(
                &reg.token,
                pb::RemoveListingRequest {
                    listing_id: l.listing_id.clone(),
                    reason: pb::RemovalReason::EnteredInError.into(),
                    note: String::new(),
                    removed_on: date(2024, 2, 1),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["removed_on", "decision date"],
    );
    assert_eq!(
        reg.get(&subject.subject_id).await.status(),
        pb::Status::Barred
    );
}

#[tokio::test]
async fn an_open_investigation_puts_the_subject_under_investigation() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let subject = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let inv = reg
        .open(
            &subject.subject_id,
            investigation("Kent Police", (2025, 6, 1)),
        )
        .await;
    assert!(
        inv.investigation_id.starts_with("inv_"),
        "{}",
        inv.investigation_id
    );
    assert_eq!(inv.state(), pb::InvestigationState::Open);
    assert_eq!(inv.outcome(), pb::InvestigationOutcome::Unspecified);
    assert_eq!(inv.opened_on, date(2025, 6, 1));
    assert_eq!(inv.subject_id, subject.subject_id);
    let got = reg.get(&subject.subject_id).await;
    assert_eq!(got.status(), pb::Status::UnderInvestigation);
    assert_eq!(got.investigations, vec![inv]);

    let mut no_org = investigation("", (2025, 6, 1));
    no_org.organisation.clear();
    assert_status(
        reg.client
            .open_investigation(authed(
                &reg.token,
                pb::OpenInvestigationRequest {
                    subject_id: subject.subject_id.clone(),
                    investigation: Some(no_org),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["investigation.organisation"],
    );
    assert_status(
        reg.client
            .open_investigation(authed(
                &reg.token,
                pb::OpenInvestigationRequest {
                    subject_id: subject.subject_id.clone(),
                    investigation: Some(investigation("Kent Police", (2025, 6, 31))),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["investigation.opened_on"],
    );
}

async fn close(
    reg: &mut Reg,
    investigation_id: &str,
    outcome: pb::InvestigationOutcome,
    closed_on: (i32, i32, i32),
) -> Result<pb::Investigation, tonic::Status> {
    reg.client
        .close_investigation(authed(
            &reg.token,
            pb::CloseInvestigationRequest {
                investigation_id: investigation_id.into(),
                outcome: outcome.into(),
                closed_on: date(closed_on.0, closed_on.1, closed_on.2),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn resign(reg: &mut Reg, subject_id: &str, org: &str) -> pb::Subject {
    reg.client
        .record_departure(authed(
            &reg.token,
            pb::RecordDepartureRequest {
                subject_id: subject_id.into(),
                kind: pb::DepartureKind::Resigned.into(),
                left_on: date(2025, 7, 1),
                organisation: org.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// A subject under investigation by Kent Police who then resigned from it.
async fn resigned_under_investigation(
    reg: &mut Reg,
) -> (pb::Subject, pb::Investigation, pb::Listing) {
    let subject = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let inv = reg
        .open(
            &subject.subject_id,
            investigation("Kent Police", (2025, 6, 1)),
        )
        .await;
    let after = resign(reg, &subject.subject_id, "Kent Police").await;
    assert_eq!(after.status(), pb::Status::UnderInvestigation);
    assert_eq!(after.listings.len(), 1, "{:?}", after.listings);
    let advisory = after.listings[0].clone();
    assert_eq!(advisory.list(), pb::ListKind::AdvisoryList);
    assert_eq!(advisory.state(), pb::ListingState::Active);
    assert_eq!(advisory.organisation, "Kent Police");
    assert_eq!(advisory.investigation_id, inv.investigation_id);
    assert!(!advisory.published);
    (after, inv, advisory)
}

#[tokio::test]
async fn resigning_under_investigation_then_no_case_to_answer_clears_the_advisory_entry() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (subject, inv, advisory) = resigned_under_investigation(&mut reg).await;
    let closed = close(
        &mut reg,
        &inv.investigation_id,
        pb::InvestigationOutcome::NoCaseToAnswer,
        (2025, 9, 1),
    )
    .await
    .unwrap();
    assert_eq!(closed.state(), pb::InvestigationState::Closed);
    assert_eq!(closed.outcome(), pb::InvestigationOutcome::NoCaseToAnswer);
    assert_eq!(closed.closed_on, date(2025, 9, 1));

    let got = reg.get(&subject.subject_id).await;
    assert_eq!(got.status(), pb::Status::Clear);
    assert_eq!(
        got.listings.len(),
        1,
        "no listing added: {:?}",
        got.listings
    );
    let l = &got.listings[0];
    assert_eq!(l.listing_id, advisory.listing_id);
    assert_eq!(l.state(), pb::ListingState::Removed);
    assert_eq!(l.removal_reason(), pb::RemovalReason::ProceedingsConcluded);
    assert_eq!(l.removed_on, date(2025, 9, 1));
}

#[tokio::test]
async fn resigning_under_investigation_then_dismissal_replaces_advisory_with_barred() {
    for outcome in [
        pb::InvestigationOutcome::Dismissed,
        pb::InvestigationOutcome::WouldHaveBeenDismissed,
    ] {
        let s = TestServer::start().await;
        let mut reg = s.reg();
        let (subject, inv, advisory) = resigned_under_investigation(&mut reg).await;
        let closed = close(&mut reg, &inv.investigation_id, outcome, (2025, 10, 15))
            .await
            .unwrap();
        assert_eq!(closed.outcome(), outcome);

        let got = reg.get(&subject.subject_id).await;
        assert_eq!(got.status(), pb::Status::Barred, "{outcome:?}");
        assert_eq!(got.listings.len(), 2, "{outcome:?}: {:?}", got.listings);
        let old = got
            .listings
            .iter()
            .find(|l| l.listing_id == advisory.listing_id)
            .unwrap();
        assert_eq!(old.state(), pb::ListingState::Removed);
        assert_eq!(old.removal_reason(), pb::RemovalReason::Superseded);
        assert_eq!(old.removed_on, date(2025, 10, 15));
        let new = got
            .listings
            .iter()
            .find(|l| l.listing_id != advisory.listing_id)
            .unwrap();
        assert!(new.listing_id.starts_with("lst_"));
        assert_eq!(new.list(), pb::ListKind::BarredList);
        assert_eq!(new.state(), pb::ListingState::Active);
        assert_eq!(new.organisation, "Kent Police");
        assert_eq!(new.decision_date, date(2025, 10, 15));
        assert!(!new.published, "published only by a registrar's decision");

        // Once closed, it stays closed.
        assert_status(
            close(
                &mut reg,
                &inv.investigation_id,
                pb::InvestigationOutcome::Withdrawn,
                (2025, 10, 16),
            )
            .await,
            Code::FailedPrecondition,
            &[&inv.investigation_id, "already closed"],
        );
        assert_eq!(reg.get(&subject.subject_id).await.listings.len(), 2);
    }
}

#[tokio::test]
async fn a_dismissal_without_departure_bars_and_other_outcomes_clear() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let a = reg.create(person("Ann", "Lee", (1985, 5, 5))).await;
    let inv = reg
        .open(&a.subject_id, investigation("Essex Police", (2025, 1, 2)))
        .await;
    close(
        &mut reg,
        &inv.investigation_id,
        pb::InvestigationOutcome::Dismissed,
        (2025, 3, 3),
    )
    .await
    .unwrap();
    let got = reg.get(&a.subject_id).await;
    assert_eq!(got.status(), pb::Status::Barred);
    assert_eq!(got.listings.len(), 1);
    assert_eq!(got.listings[0].organisation, "Essex Police");

    let b = reg.create(person("Bo", "Ray", (1985, 5, 5))).await;
    let inv = reg
        .open(&b.subject_id, investigation("Essex Police", (2025, 1, 2)))
        .await;
    close(
        &mut reg,
        &inv.investigation_id,
        pb::InvestigationOutcome::ProvenNoDismissal,
        (2025, 3, 3),
    )
    .await
    .unwrap();
    let got = reg.get(&b.subject_id).await;
    assert_eq!(got.status(), pb::Status::Clear);
    assert!(got.listings.is_empty());
}

#[tokio::test]
async fn closing_before_opening_or_without_an_outcome_is_invalid() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let subject = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let inv = reg
        .open(
            &subject.subject_id,
            investigation("Kent Police", (2025, 6, 1)),
        )
        .await;
    assert_status(
        close(
            &mut reg,
            &inv.investigation_id,
            pb::InvestigationOutcome::NoCaseToAnswer,
            (2025, 5, 31),
        )
        .await,
        Code::InvalidArgument,
        &["closed_on", "before"],
    );
    assert_status(
        close(
            &mut reg,
            &inv.investigation_id,
            pb::InvestigationOutcome::Unspecified,
            (2025, 6, 2),
        )
        .await,
        Code::InvalidArgument,
        &["outcome"],
    );
    assert_status(
        close(
            &mut reg,
            &inv.investigation_id,
            pb::InvestigationOutcome::NoCaseToAnswer,
            (2026, 1, 1),
        )
        .await,
        Code::InvalidArgument,
        &["closed_on", "future"],
    );
    let got = reg.get(&subject.subject_id).await;
    assert_eq!(got.status(), pb::Status::UnderInvestigation, "still open");
    assert_eq!(got.investigations[0].state(), pb::InvestigationState::Open);
}

#[tokio::test]
async fn departure_without_an_open_investigation_adds_nothing() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let subject = reg.create(person("John", "Smith", (1980, 1, 1))).await;
    let after = resign(&mut reg, &subject.subject_id, "Kent Police").await;
    assert!(after.listings.is_empty());
    assert_eq!(after.status(), pb::Status::Clear);
    assert_eq!(after.revision, 2);
    assert_status(
        reg.client
            .record_departure(authed(
                &reg.token,
                pb::RecordDepartureRequest {
                    subject_id: subject.subject_id.clone(),
                    kind: pb::DepartureKind::Unspecified.into(),
                    left_on: date(2025, 7, 1),
                    organisation: "Kent Police".into(),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["kind"],
    );
    assert_status(
        reg.client
            .record_departure(authed(
                &reg.token,
                pb::RecordDepartureRequest {
                    subject_id: subject.subject_id.clone(),
                    kind: pb::DepartureKind::Retired.into(),
                    left_on: date(2025, 7, 1),
                    organisation: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["organisation"],
    );
}
