//! The lists as the law keeps them, through the API: grounds and review dates, allegations
//! after leaving, every lifecycle transition, the transitions that are refused (and change
//! nothing), and a subject's history read back.

use std::time::Duration;

use tonic::Code;
use vetting::pb;

use crate::harness::*;

fn grounded(list: pb::ListKind, grounds: pb::ListingGrounds, published: bool) -> pb::Listing {
    pb::Listing {
        list: list.into(),
        organisation: "Kent Police".into(),
        role: pb::Role::PoliceOfficer.into(),
        decision_date: date(2020, 2, 29),
        reason: "dishonesty".into(),
        published,
        grounds: grounds.into(),
        ..Default::default()
    }
}

async fn add(
    t: &TestServer,
    subject_id: &str,
    l: pb::Listing,
) -> Result<pb::Listing, tonic::Status> {
    t.registry()
        .add_listing(authed_within(
            &t.keys.registrar.token,
            pb::AddListingRequest {
                subject_id: subject_id.into(),
                listing: Some(l),
                request_id: String::new(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn remove(
    t: &TestServer,
    listing_id: &str,
    reason: pb::RemovalReason,
    on: (i32, i32, i32),
) -> Result<pb::Listing, tonic::Status> {
    t.registry()
        .remove_listing(authed_within(
            &t.keys.registrar.token,
            pb::RemoveListingRequest {
                listing_id: listing_id.into(),
                reason: reason.into(),
                note: "test".into(),
                removed_on: date(on.0, on.1, on.2),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn close(
    t: &TestServer,
    investigation_id: &str,
    outcome: pb::InvestigationOutcome,
    on: (i32, i32, i32),
) -> Result<pb::Investigation, tonic::Status> {
    t.registry()
        .close_investigation(authed_within(
            &t.keys.registrar.token,
            pb::CloseInvestigationRequest {
                investigation_id: investigation_id.into(),
                outcome: outcome.into(),
                closed_on: date(on.0, on.1, on.2),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

fn allegation(subject_id: &str, request_id: &str) -> pb::RecordAllegationRequest {
    pb::RecordAllegationRequest {
        subject_id: subject_id.into(),
        organisation: "Essex Police".into(),
        role: pb::Role::PoliceOfficer.into(),
        left_on: date(2023, 4, 30),
        reported_on: date(2025, 2, 14),
        allegation_summary: "corrupt relationship with an informant".into(),
        reference: "PSD/2025/7".into(),
        request_id: request_id.into(),
    }
}

async fn allege(
    t: &TestServer,
    r: pb::RecordAllegationRequest,
) -> Result<pb::RecordAllegationResponse, tonic::Status> {
    t.registry()
        .record_allegation(authed_within(&t.keys.registrar.token, r))
        .await
        .map(tonic::Response::into_inner)
}

async fn history(t: &TestServer, token: &str, subject_id: &str) -> Vec<pb::SubjectChange> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = t
            .registry()
            .get_subject_history(authed_within(
                token,
                pb::GetSubjectHistoryRequest {
                    subject_id: subject_id.into(),
                    page_size: 2,
                    page_token,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.changes.len() <= 2);
        out.extend(page.changes);
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn a_barred_entry_carries_its_grounds_and_the_date_a_review_may_be_sought() {
    let t = TestServer::start().await;
    let mut reg = t.reg();
    let s = reg.create(person("Ann", "Lee", (1980, 1, 2))).await;
    let gm = add(
        &t,
        &s.subject_id,
        grounded(
            pb::ListKind::BarredList,
            pb::ListingGrounds::GrossMisconduct,
            true,
        ),
    )
    .await
    .unwrap();
    assert_eq!(gm.grounds(), pb::ListingGrounds::GrossMisconduct);
    // 29 February 2020 + 5 years: the anniversary is 28 February 2025.
    assert_eq!(gm.review_from, date(2025, 2, 28));
    let s2 = reg.create(person("Bob", "Hale", (1981, 1, 2))).await;
    let mut gi = grounded(
        pb::ListKind::BarredList,
        pb::ListingGrounds::GrossIncompetence,
        false,
    );
    gi.decision_date = date(2024, 3, 1);
    let gi = add(&t, &s2.subject_id, gi).await.unwrap();
    assert_eq!(gi.review_from, date(2027, 3, 1));
    // The review date is kept on every read, not only in the answer to the write.
    let read = reg.get(&s.subject_id).await;
    assert_eq!(read.listings[0].review_from, date(2025, 2, 28));
    // Without grounds nothing says when a review may be sought.
    let s3 = reg.create(person("Cal", "Moss", (1982, 1, 2))).await;
    let none = add(&t, &s3.subject_id, barred_listing("Kent Police", false))
        .await
        .unwrap();
    assert_eq!(none.grounds(), pb::ListingGrounds::Unspecified);
    assert_eq!(none.review_from, None);
    // An advisory entry never has a review date.
    let s4 = reg.create(person("Dee", "Noon", (1983, 1, 2))).await;
    let adv = add(
        &t,
        &s4.subject_id,
        grounded(
            pb::ListKind::AdvisoryList,
            pb::ListingGrounds::ResignedUnderInvestigation,
            false,
        ),
    )
    .await
    .unwrap();
    assert_eq!(adv.review_from, None);
}

#[tokio::test]
async fn grounds_must_fit_the_list_and_only_gross_misconduct_is_published() {
    let t = TestServer::start().await;
    let mut reg = t.reg();
    let s = reg.create(person("Ann", "Lee", (1980, 1, 2))).await;
    let before = reg.get(&s.subject_id).await;
    for (l, field) in [
        (
            grounded(
                pb::ListKind::BarredList,
                pb::ListingGrounds::AllegationAfterLeaving,
                false,
            ),
            "listing.grounds",
        ),
        (
            grounded(
                pb::ListKind::AdvisoryList,
                pb::ListingGrounds::GrossMisconduct,
                false,
            ),
            "listing.grounds",
        ),
        (
            grounded(
                pb::ListKind::BarredList,
                pb::ListingGrounds::GrossIncompetence,
                true,
            ),
            "listing.published",
        ),
        (
            pb::Listing {
                grounds: 99,
                ..barred_listing("Kent Police", false)
            },
            "listing.grounds",
        ),
    ] {
        assert_status(
            add(&t, &s.subject_id, l).await,
            Code::InvalidArgument,
            &[field],
        );
    }
    assert_eq!(reg.get(&s.subject_id).await.revision, before.revision);
}

#[tokio::test]
async fn every_lifecycle_transition_sets_its_grounds() {
    let t = TestServer::start().await;
    let mut reg = t.reg();
    // Resigning under investigation: advisory, RESIGNED_UNDER_INVESTIGATION; then dismissed at
    // a hearing after leaving: barred, GROSS_MISCONDUCT, the advisory entry superseded.
    let s = reg.create(person("Ann", "Lee", (1980, 1, 2))).await;
    let inv = reg
        .open(&s.subject_id, investigation("Kent Police", (2024, 1, 5)))
        .await;
    let after = t
        .registry()
        .record_departure(authed_within(
            &t.keys.registrar.token,
            pb::RecordDepartureRequest {
                subject_id: s.subject_id.clone(),
                kind: pb::DepartureKind::Retired.into(),
                left_on: date(2024, 2, 1),
                organisation: "Kent Police".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.listings.len(), 1);
    assert_eq!(
        after.listings[0].grounds(),
        pb::ListingGrounds::RetiredUnderInvestigation
    );
    close(
        &t,
        &inv.investigation_id,
        pb::InvestigationOutcome::WouldHaveBeenDismissed,
        (2024, 9, 1),
    )
    .await
    .unwrap();
    let s = reg.get(&s.subject_id).await;
    let barred = s
        .listings
        .iter()
        .find(|l| l.list() == pb::ListKind::BarredList)
        .unwrap();
    assert_eq!(barred.grounds(), pb::ListingGrounds::GrossMisconduct);
    assert_eq!(barred.review_from, date(2029, 9, 1));
    let advisory = s
        .listings
        .iter()
        .find(|l| l.list() == pb::ListKind::AdvisoryList)
        .unwrap();
    assert_eq!(advisory.state(), pb::ListingState::Removed);
    assert_eq!(advisory.removal_reason(), pb::RemovalReason::Superseded);
    assert_eq!(s.status(), pb::Status::Barred);
}

#[tokio::test]
async fn an_allegation_after_leaving_opens_an_advisory_entry_that_its_outcome_settles() {
    let t = TestServer::start().await;
    let mut reg = t.reg();
    let s = reg.create(person("Ann", "Lee", (1980, 1, 2))).await;
    let r = allege(&t, allegation(&s.subject_id, "a-1")).await.unwrap();
    let (l, i) = (r.listing.unwrap(), r.investigation.unwrap());
    assert_eq!(l.list(), pb::ListKind::AdvisoryList);
    assert_eq!(l.grounds(), pb::ListingGrounds::AllegationAfterLeaving);
    assert_eq!(l.decision_date, date(2025, 2, 14));
    assert_eq!(l.investigation_id, i.investigation_id);
    assert_eq!(i.state(), pb::InvestigationState::Open);
    assert_eq!(
        reg.get(&s.subject_id).await.status(),
        pb::Status::UnderInvestigation
    );
    // A retry answers with the first result and writes nothing.
    let revision = reg.get(&s.subject_id).await.revision;
    let again = allege(&t, allegation(&s.subject_id, "a-1")).await.unwrap();
    assert_eq!(again.listing.unwrap().listing_id, l.listing_id);
    assert_eq!(reg.get(&s.subject_id).await.revision, revision);
    // A second one from the same force while the first is active is a duplicate.
    assert_status(
        allege(&t, allegation(&s.subject_id, "a-2")).await,
        Code::AlreadyExists,
        &["advisory", &l.listing_id],
    );
    // Proceedings end without a dismissal finding: the advisory entry is removed.
    close(
        &t,
        &i.investigation_id,
        pb::InvestigationOutcome::MisconductNotProven,
        (2025, 6, 1),
    )
    .await
    .unwrap();
    let s = reg.get(&s.subject_id).await;
    assert_eq!(s.listings[0].state(), pb::ListingState::Removed);
    assert_eq!(
        s.listings[0].removal_reason(),
        pb::RemovalReason::ProceedingsConcluded
    );
    assert_eq!(s.status(), pb::Status::Clear);
    // An allegation made while the person served is an investigation, not this.
    let mut early = allegation(&s.subject_id, "");
    early.reported_on = date(2023, 1, 1);
    assert_status(
        allege(&t, early).await,
        Code::InvalidArgument,
        &["reported_on"],
    );
    let mut missing = allegation(&s.subject_id, "");
    missing.role = 0;
    assert_status(allege(&t, missing).await, Code::InvalidArgument, &["role"]);
    let mut future = allegation(&s.subject_id, "");
    future.reported_on = date(2031, 1, 1);
    assert_status(
        allege(&t, future).await,
        Code::InvalidArgument,
        &["reported_on"],
    );
}

#[tokio::test]
async fn refused_transitions_change_nothing() {
    let t = TestServer::start().await;
    let mut reg = t.reg();
    let s = reg.create(person("Ann", "Lee", (1980, 1, 2))).await;
    let mut l = grounded(
        pb::ListKind::BarredList,
        pb::ListingGrounds::GrossMisconduct,
        false,
    );
    l.decision_date = date(2022, 5, 1);
    let barred = add(&t, &s.subject_id, l).await.unwrap();
    let inv = reg
        .open(&s.subject_id, investigation("Essex Police", (2024, 1, 5)))
        .await;
    close(
        &t,
        &inv.investigation_id,
        pb::InvestigationOutcome::NoCaseToAnswer,
        (2024, 3, 1),
    )
    .await
    .unwrap();
    let before = reg.get(&s.subject_id).await;
    let history_before = history(&t, &t.keys.registrar.token, &s.subject_id)
        .await
        .len();

    // Closing a closed investigation.
    assert_status(
        close(
            &t,
            &inv.investigation_id,
            pb::InvestigationOutcome::Dismissed,
            (2024, 4, 1),
        )
        .await,
        Code::FailedPrecondition,
        &["already closed"],
    );
    // A review before the review date (5 years after 2022-05-01).
    assert_status(
        remove(
            &t,
            &barred.listing_id,
            pb::RemovalReason::ReviewSuccessful,
            (2025, 1, 1),
        )
        .await,
        Code::FailedPrecondition,
        &["2027-05-01"],
    );
    // A barred entry does not end with "proceedings concluded", nor by hand as superseded.
    for reason in [
        pb::RemovalReason::ProceedingsConcluded,
        pb::RemovalReason::Superseded,
    ] {
        assert_status(
            remove(&t, &barred.listing_id, reason, (2025, 1, 1)).await,
            Code::FailedPrecondition,
            &["reason"],
        );
    }
    // A decision dated before the person was born, or in the future.
    let mut unborn = barred_listing("Essex Police", false);
    unborn.decision_date = date(1979, 12, 31);
    assert_status(
        add(&t, &s.subject_id, unborn).await,
        Code::InvalidArgument,
        &["listing.decision_date", "birth"],
    );
    let mut future = barred_listing("Essex Police", false);
    future.decision_date = date(2030, 1, 1);
    assert_status(
        add(&t, &s.subject_id, future).await,
        Code::InvalidArgument,
        &["listing.decision_date"],
    );
    assert_status(
        t.registry()
            .open_investigation(authed_within(
                &t.keys.registrar.token,
                pb::OpenInvestigationRequest {
                    subject_id: s.subject_id.clone(),
                    investigation: Some(investigation("Essex Police", (1970, 1, 1))),
                    request_id: String::new(),
                },
            ))
            .await,
        Code::InvalidArgument,
        &["investigation.opened_on", "birth"],
    );
    // Removing a removed listing.
    remove(
        &t,
        &barred.listing_id,
        pb::RemovalReason::AppealAllowed,
        (2025, 1, 1),
    )
    .await
    .unwrap();
    let removed = reg.get(&s.subject_id).await;
    assert_status(
        remove(
            &t,
            &barred.listing_id,
            pb::RemovalReason::AppealAllowed,
            (2025, 2, 1),
        )
        .await,
        Code::FailedPrecondition,
        &["already removed"],
    );
    // Nothing the refusals touched changed: one revision and one history record, the appeal's.
    let after = reg.get(&s.subject_id).await;
    assert_eq!(after, removed);
    assert_eq!(after.revision, before.revision + 1);
    assert_eq!(
        history(&t, &t.keys.registrar.token, &s.subject_id)
            .await
            .len(),
        history_before + 1
    );

    // An advisory entry is not removed on appeal or review.
    let s2 = reg.create(person("Bob", "Hale", (1981, 1, 2))).await;
    let adv = add(&t, &s2.subject_id, advisory_listing("Kent Police"))
        .await
        .unwrap();
    for reason in [
        pb::RemovalReason::AppealAllowed,
        pb::RemovalReason::ReviewSuccessful,
    ] {
        assert_status(
            remove(&t, &adv.listing_id, reason, (2025, 1, 1)).await,
            Code::FailedPrecondition,
            &["PROCEEDINGS_CONCLUDED"],
        );
    }
    remove(
        &t,
        &adv.listing_id,
        pb::RemovalReason::ProceedingsConcluded,
        (2025, 1, 1),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_subjects_history_has_every_state_with_when_and_which_key() {
    let t = TestServer::start().await;
    let mut reg = t.reg();
    let other = key_in(
        t.data_dir(),
        vetting::auth::Role::Registrar,
        "Kent Police PSD",
    );
    let s = reg.create(person("Ann", "Lee", (1980, 1, 2))).await;
    let inv = reg
        .open(&s.subject_id, investigation("Kent Police", (2024, 1, 5)))
        .await;
    t.registry()
        .record_departure(authed_within(
            &other.token,
            pb::RecordDepartureRequest {
                subject_id: s.subject_id.clone(),
                kind: pb::DepartureKind::Resigned.into(),
                left_on: date(2024, 2, 1),
                organisation: "Kent Police".into(),
            },
        ))
        .await
        .unwrap();
    close(
        &t,
        &inv.investigation_id,
        pb::InvestigationOutcome::Dismissed,
        (2024, 9, 1),
    )
    .await
    .unwrap();
    let h = history(&t, &t.keys.registrar.token, &s.subject_id).await;
    let kinds: Vec<_> = h.iter().map(|c| (c.kind(), c.rule())).collect();
    use pb::ChangeKind as K;
    use pb::LifecycleRule as R;
    assert_eq!(
        kinds,
        [
            (K::SubjectCreated, R::Unspecified),
            (K::InvestigationOpened, R::Unspecified),
            (K::DepartureRecorded, R::Unspecified),
            (K::ListingAdded, R::AdvisoryOnDeparture),
            (K::InvestigationClosed, R::Unspecified),
            (K::ListingRemoved, R::AdvisorySupersededByBarred),
            (K::ListingAdded, R::BarredOnDismissal),
        ]
    );
    // Gap-free in the subject's own order, and each with its key.
    assert!(h.windows(2).all(|w| w[0].sequence < w[1].sequence));
    assert_eq!(h[2].key_id, other.info.key_id);
    assert_eq!(h[2].organisation, "Kent Police PSD");
    assert_eq!(h[0].key_id, t.keys.registrar.info.key_id);
    assert_eq!(h[2].departure_kind(), pb::DepartureKind::Resigned);
    assert_eq!(h[2].left_on, date(2024, 2, 1));
    assert_eq!(h[2].left_organisation, "Kent Police");
    // The investigation as it stood at each of its changes.
    assert_eq!(
        h[1].investigation.as_ref().unwrap().state(),
        pb::InvestigationState::Open
    );
    assert_eq!(
        h[4].investigation.as_ref().unwrap().state(),
        pb::InvestigationState::Closed
    );
    // The advisory listing: active when added, removed when superseded.
    let adv = h[3].listing.as_ref().unwrap();
    assert_eq!(adv.state(), pb::ListingState::Active);
    assert_eq!(h[5].target_id, adv.listing_id);
    assert_eq!(
        h[5].listing.as_ref().unwrap().state(),
        pb::ListingState::Removed
    );
    assert_eq!(
        h[6].listing.as_ref().unwrap().grounds(),
        pb::ListingGrounds::GrossMisconduct
    );
    // Each record's subject is the subject as it stood then.
    let statuses: Vec<_> = h
        .iter()
        .map(|c| c.subject.as_ref().unwrap().status())
        .collect();
    assert_eq!(statuses[0], pb::Status::Clear);
    assert_eq!(statuses[1], pb::Status::UnderInvestigation);
    assert_eq!(statuses[6], pb::Status::Barred);
    assert_eq!(
        h.last().unwrap().subject.as_ref().unwrap(),
        &reg.get(&s.subject_id).await
    );

    // Only registrars read it; a bad token or id is refused; the read is audited.
    assert_status(
        t.registry()
            .get_subject_history(authed_within(
                &t.keys.checker.token,
                pb::GetSubjectHistoryRequest {
                    subject_id: s.subject_id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        Code::PermissionDenied,
        &[],
    );
    for (req, code, field) in [
        (
            pb::GetSubjectHistoryRequest {
                subject_id: s.subject_id.clone(),
                page_token: "nope".into(),
                ..Default::default()
            },
            Code::InvalidArgument,
            "page_token",
        ),
        (
            pb::GetSubjectHistoryRequest {
                subject_id: "sub_01M8VPNEZ70APVZ8NWYTV78WYQ".into(),
                ..Default::default()
            },
            Code::NotFound,
            "sub_01M8VPNEZ70APVZ8NWYTV78WYQ",
        ),
    ] {
        assert_status(
            t.registry()
                .get_subject_history(authed_within(&t.keys.registrar.token, req))
                .await,
            code,
            &[field],
        );
    }
    let events = t
        .audit()
        .list_audit_events(authed_within(
            &t.keys.auditor.token,
            pb::ListAuditEventsRequest {
                subject_id: s.subject_id.clone(),
                page_size: 1000,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(events.iter().any(|e| e.action == "get_subject_history"));
}

const FAMILIES: [&str; 16] = [
    "Adams", "Baker", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Irving", "Jones",
    "Khan", "Lewis", "Morgan", "Nash", "Owen", "Price",
];

#[tokio::test]
async fn sixteen_registrars_at_once_each_find_their_own_history_whole() {
    let t = TestServer::start().await;
    let mut tasks = Vec::new();
    for n in 0..16 {
        let mut reg = t.reg();
        let client = t.registry();
        let token = t.keys.registrar.token.clone();
        tasks.push(tokio::spawn(async move {
            let s = reg
                .create(person("Writer", FAMILIES[n as usize], (1980, 1, 1 + n)))
                .await;
            let mut ids = Vec::new();
            for k in 0..4 {
                let r = answer(client.clone().record_allegation(authed_within(
                    &token,
                    pb::RecordAllegationRequest {
                        organisation: format!("Force {k}"),
                        ..allegation(&s.subject_id, &format!("w{n}-{k}"))
                    },
                )))
                .await
                .unwrap();
                ids.push(r.listing.unwrap().listing_id);
            }
            (s.subject_id, ids)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.push(
            tokio::time::timeout(Duration::from_secs(60), task)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    for (subject_id, ids) in all {
        let h = history(&t, &t.keys.registrar.token, &subject_id).await;
        assert_eq!(h.len(), 5, "created and four allegations");
        let targets: Vec<_> = h[1..].iter().map(|c| c.target_id.clone()).collect();
        assert_eq!(targets, ids);
        assert!(
            h.iter()
                .all(|c| c.subject.as_ref().unwrap().subject_id == subject_id)
        );
    }
}
