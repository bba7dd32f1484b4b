//! The change log (issue 10): every registry change, and every lifecycle rule it triggered,
//! appends one record in the change's own transaction, gap-free, with the subject's
//! post-image; replayed into an empty store, the log rebuilds the registry exactly.

use vetting::auth::{Principal, Role};
use vetting::core::change::{ChangeKind, Rule};
use vetting::core::clock::Clock;
use vetting::core::identity::{Date, PersonName};
use vetting::core::model::{
    DepartureKind, EmploymentRole, InvestigationOutcome, ListKind, RemovalReason,
};
use vetting::service::Vetting;
use vetting::service::registry::{InvestigationInput, ListingInput, SubjectInput};
use vetting::store::{Store, StoreOptions};

use crate::harness::*;

fn registrar() -> Principal {
    Principal {
        key_id: "key_registrar".into(),
        organisation: REGISTRAR_ORG.into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    }
}

fn temp_store(dir: &std::path::Path) -> Store {
    Store::open(
        dir,
        StoreOptions {
            cache_bytes: 16 << 20,
            temporary: true,
            ..StoreOptions::default()
        },
    )
    .unwrap()
}

fn subject(given: &str, family: &str) -> SubjectInput {
    SubjectInput {
        name: Some(PersonName {
            given_names: given.into(),
            family_name: family.into(),
        }),
        date_of_birth: Some(Date::new(1980, 2, 3)),
        ..SubjectInput::default()
    }
}

fn listing(list: ListKind, org: &str) -> ListingInput {
    ListingInput {
        list: Some(list),
        organisation: org.into(),
        role: Some(EmploymentRole::PoliceOfficer),
        rank: "Constable".into(),
        decision_date: Some(Date::new(2024, 3, 1)),
        standards_breached: vec![],
        reason: "gross misconduct".into(),
        published: false,
        grounds: None,
    }
}

fn investigation(org: &str) -> InvestigationInput {
    InvestigationInput {
        organisation: org.into(),
        reference: "PSD/1".into(),
        allegation_summary: "abuse of position".into(),
        opened_on: Some(Date::new(2025, 1, 1)),
        role: Some(EmploymentRole::PoliceOfficer),
    }
}

/// A registry with every kind of change and every lifecycle rule in it.
fn every_kind_of_change(v: &Vetting) {
    let who = registrar();
    let org = "Kent Police";
    // Created, updated, advisory listing superseded by a barred one.
    let a = v
        .create_subject(&who, &subject("Ann", "Lee"), "r1")
        .unwrap();
    let a = v
        .update_subject(&who, &a.subject_id, &subject("Anne", "Lee"), a.revision)
        .unwrap();
    v.add_listing(&who, &a.subject_id, &listing(ListKind::Advisory, org), "")
        .unwrap();
    let barred = v
        .add_listing(&who, &a.subject_id, &listing(ListKind::Barred, org), "")
        .unwrap();
    v.remove_listing(
        &who,
        &barred.listing_id,
        Some(RemovalReason::AppealAllowed),
        "appeal allowed",
        Some(Date::new(2025, 2, 1)),
    )
    .unwrap();
    // Investigation, resignation under it (advisory), closed with dismissal (barred, the
    // advisory superseded).
    let b = v.create_subject(&who, &subject("Bob", "Ray"), "").unwrap();
    let i = v
        .open_investigation(&who, &b.subject_id, &investigation(org), "")
        .unwrap();
    v.record_departure(
        &who,
        &b.subject_id,
        Some(DepartureKind::Resigned),
        Some(Date::new(2025, 3, 1)),
        org,
    )
    .unwrap();
    v.close_investigation(
        &who,
        &i.investigation_id,
        Some(InvestigationOutcome::Dismissed),
        Some(Date::new(2025, 4, 1)),
    )
    .unwrap();
    // Resigned under an investigation that then found no case: the advisory entry settled.
    let c = v.create_subject(&who, &subject("Cy", "Moss"), "").unwrap();
    let i = v
        .open_investigation(&who, &c.subject_id, &investigation(org), "")
        .unwrap();
    v.record_departure(
        &who,
        &c.subject_id,
        Some(DepartureKind::Retired),
        Some(Date::new(2025, 3, 1)),
        org,
    )
    .unwrap();
    v.close_investigation(
        &who,
        &i.investigation_id,
        Some(InvestigationOutcome::NoCaseToAnswer),
        Some(Date::new(2025, 4, 1)),
    )
    .unwrap();
    // A refused change (a second close) writes nothing to the log.
    v.close_investigation(
        &who,
        &i.investigation_id,
        Some(InvestigationOutcome::Dismissed),
        Some(Date::new(2025, 4, 2)),
    )
    .unwrap_err();
    // An import.
    let mut import = vetting::transfer::BulkImport::new(v, &who);
    import
        .add(&[
            person("Dee", "Hart", (1990, 1, 1)),
            person("Eve", "Fox", (1991, 1, 1)),
        ])
        .unwrap();
    import.finish().unwrap();
}

#[test]
fn every_change_and_every_rule_it_triggered_is_one_record_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vetting::new(temp_store(dir.path()), Clock::fixed(NOW_MS));
    every_kind_of_change(&v);
    let log: Vec<_> = v.store.changes_from(1).map(Result::unwrap).collect();
    let seqs: Vec<u64> = log.iter().map(|c| c.sequence).collect();
    assert_eq!(
        seqs,
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "gap-free from 1"
    );
    assert_eq!(v.store.change_head().unwrap(), log.len() as u64);
    let kinds: Vec<(ChangeKind, Option<Rule>)> = log.iter().map(|c| (c.kind, c.rule)).collect();
    use ChangeKind::*;
    assert_eq!(
        kinds,
        [
            (SubjectCreated, None),
            (SubjectUpdated, None),
            (ListingAdded, None),
            (ListingAdded, None),
            (ListingRemoved, Some(Rule::AdvisorySupersededByBarred)),
            (ListingRemoved, None),
            (SubjectCreated, None),
            (InvestigationOpened, None),
            (DepartureRecorded, None),
            (ListingAdded, Some(Rule::AdvisoryOnDeparture)),
            (InvestigationClosed, None),
            // In the subject's listing order: the advisory entry, then the new barred one.
            (ListingRemoved, Some(Rule::AdvisorySupersededByBarred)),
            (ListingAdded, Some(Rule::BarredOnDismissal)),
            (SubjectCreated, None),
            (InvestigationOpened, None),
            (DepartureRecorded, None),
            (ListingAdded, Some(Rule::AdvisoryOnDeparture)),
            (InvestigationClosed, None),
            (ListingRemoved, Some(Rule::AdvisorySettledByClosure)),
            (SubjectImported, None),
            (SubjectImported, None),
        ]
    );
    // Each record carries the subject after its write, and the key that made it.
    for c in &log {
        let now = v.store.subjects_from(None).map(Result::unwrap);
        let latest_revision = now
            .filter(|s| s.subject_id == c.subject_id)
            .map(|s| s.revision)
            .next()
            .unwrap();
        assert!(c.revision <= latest_revision);
        assert_eq!(c.subject.revision, c.revision);
        assert_eq!(c.key_id, "key_registrar");
    }
}

#[test]
fn the_log_replayed_into_an_empty_store_rebuilds_the_registry_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vetting::new(temp_store(&dir.path().join("a")), Clock::fixed(NOW_MS));
    every_kind_of_change(&v);
    let replica = temp_store(&dir.path().join("b"));
    for c in v.store.changes_from(1) {
        replica.apply_change(&c.unwrap()).unwrap();
    }
    for tree in [
        "subjects",
        "listings",
        "investigations",
        "match_records",
        "index",
        "changes",
    ] {
        assert_eq!(
            v.store.tree_digest(tree).unwrap(),
            replica.tree_digest(tree).unwrap(),
            "tree {tree}"
        );
    }
    // Out of order or twice: refused, nothing changed.
    let first = v.store.changes_from(1).next().unwrap().unwrap();
    let before = replica.tree_digest("subjects").unwrap();
    replica.apply_change(&first).unwrap_err();
    assert_eq!(replica.tree_digest("subjects").unwrap(), before);
}

#[tokio::test]
async fn a_reader_of_the_log_is_woken_when_a_change_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vetting::new(temp_store(dir.path()), Clock::fixed(NOW_MS));
    let head = v.store.change_head().unwrap();
    let store = v.store.clone();
    let waiter = tokio::spawn(async move { store.wait_for_change(head).await });
    let v2 = v.clone();
    tokio::task::spawn_blocking(move || {
        v2.create_subject(&registrar(), &subject("Fay", "Wood"), "")
            .unwrap()
    })
    .await
    .unwrap();
    // Not woken by a timer: the write's own durability round wakes it.
    v.store.commit_durable().await.unwrap();
    let woke_at = tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
        .await
        .unwrap();
    assert_eq!(woke_at.unwrap().unwrap(), head + 1);
    let durable = v.store.durable_changes_from(head + 1, 10).unwrap();
    assert_eq!(durable.len(), 1);
    assert_eq!(durable[0].kind, ChangeKind::SubjectCreated);
}
