//! CheckService: outcomes per status, normalisation, identifiers, other names, what the public
//! may see, batches, and the data version.

use futures_util::StreamExt;
use tonic::Code;
use vetting::pb;

use crate::harness::*;

async fn check(s: &TestServer, token: &str, req: pb::CheckRequest) -> pb::CheckResponse {
    s.checks()
        .check(authed(token, req))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_barred_person_checked_by_name_and_date_of_birth_is_barred() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (subject, listing) = reg
        .barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    let mut req = check_req("John", "Smith", Some((1980, 1, 15)));
    req.client_ref = "HR-2025-0193".into();
    let r = check(&s, &s.keys.checker.token, req).await;
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    assert!(r.check_id.starts_with("chk_"), "{}", r.check_id);
    assert_eq!(r.client_ref, "HR-2025-0193");
    assert!(r.data_version > 0);
    assert_eq!(r.checked_at.unwrap().seconds, NOW_MS / 1000);
    assert_eq!(r.matches.len(), 1, "{:?}", r.matches);
    let m = &r.matches[0];
    assert_eq!(m.subject_id, subject.subject_id);
    assert_eq!(m.strength(), pb::MatchStrength::Strong);
    assert_eq!(m.status(), pb::Status::Barred);
    assert!(m.score > 0.0 && m.score <= 1.0, "{}", m.score);
    assert!(!m.reasons.is_empty());
    assert!(m.reasons.iter().all(|r| !r.trim().is_empty()));
    assert_eq!(m.matched_name, Some(name("John", "Smith")));
    assert_eq!(m.date_of_birth, date(1980, 1, 15));
    assert_eq!(m.listings.len(), 1);
    assert_eq!(m.listings[0].listing_id, listing.listing_id);
}

#[tokio::test]
async fn under_investigation_advisory_and_clear_people_get_their_outcomes() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let investigated = reg.create(person("Ivy", "Stone", (1975, 3, 3))).await;
    let inv = reg
        .open(
            &investigated.subject_id,
            investigation("Kent Police", (2025, 5, 1)),
        )
        .await;
    let advised = reg.create(person("Alan", "Marsh", (1970, 8, 9))).await;
    reg.add_listing(&advised.subject_id, advisory_listing("Dorset Police"))
        .await;
    let (_, l) = reg
        .barred(person("Clara", "Wood", (1990, 12, 1)), "Kent Police", false)
        .await;
    reg.remove_listing(&l.listing_id).await;

    let tok = &s.keys.checker.token;
    let r = check(&s, tok, check_req("Ivy", "Stone", Some((1975, 3, 3)))).await;
    assert_eq!(r.outcome(), pb::Outcome::UnderInvestigation);
    assert_eq!(r.matches.len(), 1);
    assert_eq!(r.matches[0].subject_id, investigated.subject_id);
    assert_eq!(r.matches[0].strength(), pb::MatchStrength::Strong);
    assert_eq!(r.matches[0].status(), pb::Status::UnderInvestigation);
    assert_eq!(r.matches[0].investigations.len(), 1);
    assert_eq!(
        r.matches[0].investigations[0].investigation_id,
        inv.investigation_id
    );

    let r = check(&s, tok, check_req("Alan", "Marsh", Some((1970, 8, 9)))).await;
    assert_eq!(r.outcome(), pb::Outcome::UnderInvestigation);
    assert_eq!(r.matches.len(), 1);
    assert_eq!(r.matches[0].subject_id, advised.subject_id);
    assert_eq!(r.matches[0].listings[0].list(), pb::ListKind::AdvisoryList);

    // Listed once, removed on appeal: clear people are never matched.
    let r = check(&s, tok, check_req("Clara", "Wood", Some((1990, 12, 1)))).await;
    assert_eq!(r.outcome(), pb::Outcome::Clear);
    assert!(r.matches.is_empty(), "{:?}", r.matches);

    let r = check(&s, tok, check_req("Peter", "Nobody", Some((1991, 2, 3)))).await;
    assert_eq!(r.outcome(), pb::Outcome::Clear);
    assert!(r.matches.is_empty());
    assert!(r.check_id.starts_with("chk_"));
}

#[tokio::test]
async fn case_accents_and_spacing_do_not_hide_a_barred_person() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (john, _) = reg
        .barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    let (zoe, _) = reg
        .barred(
            person("Zoë", "Brontë-Hall", (1988, 7, 4)),
            "Kent Police",
            false,
        )
        .await;
    let (middle, _) = reg
        .barred(
            person("Sarah Jane", "Connor", (1984, 5, 13)),
            "Kent Police",
            false,
        )
        .await;
    let tok = &s.keys.checker.token;
    for (given, family, dob, expect) in [
        ("  joHN   ", "  SMITH ", (1980, 1, 15), &john),
        ("JOHN", "smith", (1980, 1, 15), &john),
        ("Zoe", "Bronte-Hall", (1988, 7, 4), &zoe),
        ("zoë", "BRONTË HALL", (1988, 7, 4), &zoe),
        ("Sarah", "Connor", (1984, 5, 13), &middle),
        ("sarah  jane", "CONNOR", (1984, 5, 13), &middle),
    ] {
        let r = check(&s, tok, check_req(given, family, Some(dob))).await;
        assert_eq!(
            r.outcome(),
            pb::Outcome::Barred,
            "{given:?} {family:?}: {:?}",
            r.matches
        );
        let m = r
            .matches
            .iter()
            .find(|m| m.subject_id == expect.subject_id)
            .unwrap_or_else(|| panic!("{given:?} {family:?} did not match {:?}", expect.name));
        assert_eq!(
            m.strength(),
            pb::MatchStrength::Strong,
            "{given:?} {family:?}"
        );
    }
}

#[tokio::test]
async fn a_national_insurance_number_match_is_strong_whatever_the_name() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let mut subject = person("John", "Smith", (1980, 1, 15));
    subject.identifiers = vec![ni("AB123456C")];
    let (subject, _) = reg.barred(subject, "Kent Police", false).await;
    let mut req = check_req("Jonathan", "Smythe-Jones", Some((1979, 6, 30)));
    req.identifiers = vec![ni("ab 12 34 56 c")];
    let r = check(&s, &s.keys.checker.token, req).await;
    assert_eq!(r.outcome(), pb::Outcome::Barred, "{:?}", r.matches);
    let m = &r.matches[0];
    assert_eq!(m.subject_id, subject.subject_id);
    assert_eq!(m.strength(), pb::MatchStrength::Strong);
    assert!(
        m.reasons
            .iter()
            .any(|r| r.to_lowercase().contains("national insurance")),
        "a reason should name the national insurance number: {:?}",
        m.reasons
    );

    // A different number on the same different name matches nobody.
    let mut req = check_req("Jonathan", "Smythe-Jones", Some((1979, 6, 30)));
    req.identifiers = vec![ni("AB654321C")];
    let r = check(&s, &s.keys.checker.token, req).await;
    assert_eq!(r.outcome(), pb::Outcome::Clear, "{:?}", r.matches);
}

#[tokio::test]
async fn a_person_is_found_under_a_recorded_other_name() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let mut subject = person("Karen", "Holt", (1982, 2, 2));
    subject.other_names = vec![name("Karen", "Miles")];
    let (subject, _) = reg.barred(subject, "Kent Police", false).await;
    let r = check(
        &s,
        &s.keys.checker.token,
        check_req("Karen", "Miles", Some((1982, 2, 2))),
    )
    .await;
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    assert_eq!(r.matches[0].subject_id, subject.subject_id);
    assert_eq!(r.matches[0].matched_name, Some(name("Karen", "Miles")));

    // And the other way round: the applicant declares a former name.
    let mut req = check_req("Karen", "Newman", Some((1982, 2, 2)));
    req.other_names = vec![name("Karen", "Holt")];
    let r = check(&s, &s.keys.checker.token, req).await;
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    assert_eq!(r.matches[0].subject_id, subject.subject_id);
}

#[tokio::test]
async fn bad_check_requests_are_invalid_argument_naming_the_field() {
    let s = TestServer::start().await;
    let mut client = s.checks();
    let tok = &s.keys.checker.token;
    let mut no_purpose = check_req("John", "Smith", Some((1980, 1, 1)));
    no_purpose.purpose = 0;
    assert_status(
        client.check(authed(tok, no_purpose)).await,
        Code::InvalidArgument,
        &["purpose", "required"],
    );
    let mut unknown_purpose = check_req("John", "Smith", Some((1980, 1, 1)));
    unknown_purpose.purpose = 42;
    assert_status(
        client.check(authed(tok, unknown_purpose)).await,
        Code::InvalidArgument,
        &["purpose", "42"],
    );
    let mut no_name = check_req("John", "Smith", Some((1980, 1, 1)));
    no_name.name = None;
    assert_status(
        client.check(authed(tok, no_name)).await,
        Code::InvalidArgument,
        &["name", "required"],
    );
    assert_status(
        client
            .check(authed(tok, check_req("John", "Smith", Some((1980, 2, 30)))))
            .await,
        Code::InvalidArgument,
        &["date_of_birth"],
    );
    let mut bad_ni = check_req("John", "Smith", None);
    bad_ni.identifiers = vec![ni("12345678")];
    assert_status(
        client.check(authed(tok, bad_ni)).await,
        Code::InvalidArgument,
        &["identifiers[0].value"],
    );
}

#[tokio::test]
async fn the_public_sees_only_published_barred_entries() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let investigated = reg.create(person("Ivy", "Stone", (1975, 3, 3))).await;
    reg.open(
        &investigated.subject_id,
        investigation("Kent Police", (2025, 5, 1)),
    )
    .await;
    let advised = reg.create(person("Alan", "Marsh", (1970, 8, 9))).await;
    reg.add_listing(&advised.subject_id, advisory_listing("Dorset Police"))
        .await;
    let (unpublished, _) = reg
        .barred(person("Uma", "Quiet", (1981, 1, 1)), "Kent Police", false)
        .await;
    // Published barred entry, plus an advisory entry and an investigation the public must not see.
    let (published, shown) = reg
        .barred(person("Paul", "Public", (1979, 9, 9)), "Kent Police", true)
        .await;
    reg.add_listing(&published.subject_id, advisory_listing("Essex Police"))
        .await;
    reg.open(
        &published.subject_id,
        investigation("Essex Police", (2025, 2, 1)),
    )
    .await;

    let public = &s.keys.public.token;
    let checker = &s.keys.checker.token;
    for (who, subject) in [
        (("Ivy", "Stone", (1975, 3, 3)), &investigated),
        (("Alan", "Marsh", (1970, 8, 9)), &advised),
        (("Uma", "Quiet", (1981, 1, 1)), &unpublished),
    ] {
        let (g, f, d) = who;
        let r = check(&s, public, check_req(g, f, Some(d))).await;
        assert_eq!(r.outcome(), pb::Outcome::Clear, "{g} {f} for the public");
        assert!(
            r.matches.iter().all(|m| m.subject_id != subject.subject_id),
            "{g} {f} must not be shown to the public: {:?}",
            r.matches
        );
        // The same question from an employer is not clear: the test itself can fail.
        let r = check(&s, checker, check_req(g, f, Some(d))).await;
        assert_ne!(r.outcome(), pb::Outcome::Clear, "{g} {f} for a checker");
    }

    let r = check(&s, public, check_req("Paul", "Public", Some((1979, 9, 9)))).await;
    assert_eq!(r.outcome(), pb::Outcome::Barred);
    assert_eq!(r.matches.len(), 1);
    let m = &r.matches[0];
    assert_eq!(m.subject_id, published.subject_id);
    assert_eq!(m.status(), pb::Status::Barred);
    assert_eq!(
        m.listings.iter().map(|l| &l.listing_id).collect::<Vec<_>>(),
        vec![&shown.listing_id],
        "only the published barred listing"
    );
    assert!(m.investigations.is_empty(), "{:?}", m.investigations);

    let r = check(&s, checker, check_req("Paul", "Public", Some((1979, 9, 9)))).await;
    assert_eq!(r.matches[0].listings.len(), 2);
    assert_eq!(r.matches[0].investigations.len(), 1);
}

fn batch_req(
    token: &str,
    reqs: Vec<pb::CheckRequest>,
) -> tonic::Request<tokio_stream::Iter<std::vec::IntoIter<pb::CheckRequest>>> {
    authed(token, tokio_stream::iter(reqs))
}

#[tokio::test]
async fn check_batch_answers_each_request_in_order() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    reg.barred(person("John", "Smith", (1980, 1, 15)), "Kent Police", false)
        .await;
    let people = [
        ("Peter", "Nobody", (1991, 2, 3)),
        ("John", "Smith", (1980, 1, 15)),
        ("Ann", "Other", (1992, 3, 4)),
        ("JOHN", "SMITH", (1980, 1, 15)),
        ("Zed", "Last", (1993, 4, 5)),
    ];
    let reqs: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, (g, f, d))| {
            let mut r = check_req(g, f, Some(*d));
            r.client_ref = format!("row-{i}");
            r
        })
        .collect();
    let mut stream = s
        .checks()
        .check_batch(batch_req(&s.keys.checker.token, reqs))
        .await
        .unwrap()
        .into_inner();
    let mut answers = Vec::new();
    while let Some(a) = stream.message().await.unwrap() {
        answers.push(a);
    }
    assert_eq!(answers.len(), 5);
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.client_ref, format!("row-{i}"));
        assert!(a.check_id.starts_with("chk_"));
        let expected = if i == 1 || i == 3 {
            pb::Outcome::Barred
        } else {
            pb::Outcome::Clear
        };
        assert_eq!(a.outcome(), expected, "row {i}");
    }
    let ids: std::collections::BTreeSet<_> = answers.iter().map(|a| &a.check_id).collect();
    assert_eq!(ids.len(), 5, "one check id each");
}

#[tokio::test]
async fn a_bad_request_in_a_batch_gets_its_own_error_answer_and_the_batch_goes_on() {
    let s = TestServer::start().await;
    let mut reqs: Vec<_> = (0..5)
        .map(|i| {
            let mut r = check_req("Peter", "Nobody", Some((1991, 2, 3)));
            r.client_ref = format!("row-{i}");
            r
        })
        .collect();
    reqs[2].purpose = 0;
    reqs[4].date_of_birth = Some(pb::Date {
        year: 1991,
        month: 2,
        day: 30,
    });
    let answers: Vec<_> = s
        .checks()
        .check_batch(batch_req(&s.keys.checker.token, reqs))
        .await
        .unwrap()
        .into_inner()
        .map(|a| a.unwrap())
        .collect()
        .await;
    let refs: Vec<_> = answers.iter().map(|a| a.client_ref.as_str()).collect();
    assert_eq!(refs, ["row-0", "row-1", "row-2", "row-3", "row-4"]);
    for i in [0, 1, 3] {
        assert!(answers[i].error.is_none(), "{:?}", answers[i]);
        assert_eq!(answers[i].outcome(), pb::Outcome::Clear);
        assert!(!answers[i].check_id.is_empty());
    }
    for (i, field) in [(2, "purpose"), (4, "date_of_birth")] {
        let e = answers[i].error.as_ref().expect("an error answer");
        assert_eq!(e.code, Code::InvalidArgument as i32, "{e:?}");
        assert!(e.message.contains(&format!("request {i}")), "{e:?}");
        assert!(e.message.contains(field), "{e:?}");
        assert!(answers[i].check_id.is_empty() && answers[i].matches.is_empty());
    }
}

#[tokio::test]
async fn the_data_version_moves_with_registry_writes_only() {
    let s = TestServer::start().await;
    let tok = &s.keys.checker.token;
    let mut reg = s.reg();
    reg.create(person("Early", "Bird", (1980, 1, 1))).await;
    let v1 = check(&s, tok, check_req("Peter", "Nobody", None))
        .await
        .data_version;
    let v1_again = check(&s, tok, check_req("Peter", "Nobody", None))
        .await
        .data_version;
    assert_eq!(v1, v1_again, "a check is not a registry write");
    reg.barred(
        person("Peter", "Nobody", (1980, 1, 1)),
        "Kent Police",
        false,
    )
    .await;
    let r = check(&s, tok, check_req("Peter", "Nobody", Some((1980, 1, 1)))).await;
    assert!(r.data_version > v1, "{} after {v1}", r.data_version);
    assert_eq!(r.outcome(), pb::Outcome::Barred);
}

#[tokio::test]
async fn a_corrected_date_of_birth_is_what_checks_find() {
    let s = TestServer::start().await;
    let mut reg = s.reg();
    let (subject, _) = reg
        .barred(
            person("Dana", "Whitlock", (1980, 1, 15)),
            "Kent Police",
            false,
        )
        .await;
    let mut corrected = reg.get(&subject.subject_id).await;
    corrected.date_of_birth = date(1975, 6, 20);
    let revision = corrected.revision;
    reg.client
        .update_subject(authed(
            &s.keys.registrar.token,
            pb::UpdateSubjectRequest {
                subject: Some(corrected),
                expected_revision: revision,
            },
        ))
        .await
        .unwrap();
    let checker = &s.keys.checker.token;
    for (dob, expect) in [
        ((1975, 6, 20), pb::Outcome::Barred),
        // One digit away from the corrected date: still referred.
        ((1975, 6, 21), pb::Outcome::Refer),
        // Only the year: found under its name-only keys, whose entries carry the new date.
        ((1975, 0, 0), pb::Outcome::Refer),
        // The old date is plainly different from the corrected one.
        ((1980, 1, 15), pb::Outcome::Clear),
    ] {
        let r = check(&s, checker, check_req("Dana", "Whitlock", Some(dob))).await;
        assert_eq!(r.outcome(), expect, "{dob:?}: {:?}", r.matches);
    }
}

/// The timing defect: a public check of someone on the advisory list only read the index
/// entries it then passed over, 6 to 15 µs more than a stranger's (2,000 interleaved calls).
/// Now the keys of subjects the public view does not show are not in the filter a public check
/// consults, and their entries are passed over unfetched: the same lookups as for a stranger.
#[tokio::test]
async fn a_public_check_of_a_hidden_person_reads_what_a_strangers_does() {
    use vetting::api::convert::{listing_in, subject_in};
    use vetting::matching::{Identity, Prepared, query_keys};
    let dir = tempfile::tempdir().unwrap();
    let v = vetting::service::Vetting::new(
        open_store(dir.path()).await,
        vetting::core::clock::Clock::fixed(NOW_MS),
    );
    let registrar = vetting::auth::Principal {
        key_id: "key_test".into(),
        organisation: REGISTRAR_ORG.into(),
        role: vetting::auth::Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let listed = |p: pb::Subject, l: pb::Listing| {
        let s = v
            .create_subject(&registrar, &subject_in("subject", &p).unwrap(), "")
            .unwrap();
        v.add_listing(&registrar, &s.subject_id, &listing_in(&l).unwrap(), "")
            .unwrap();
        s
    };
    let person_ = || person("Wynford", "Quennell", (1977, 5, 6));
    let hidden = listed(person_(), advisory_listing("Gwent Police"));
    v.store.warm_cache(|| false).unwrap();
    let identity = Identity {
        names: vec![hidden.name.clone()],
        date_of_birth: hidden.date_of_birth,
        identifiers: Vec::new(),
    };
    let keys = query_keys(&Prepared::new(&identity));
    let found = |published_only| {
        v.store
            .candidates(&keys, 100, published_only, |_, _| true)
            .unwrap()
    };
    assert_eq!(
        found(false).len(),
        1,
        "a checker who sees everything finds it"
    );
    assert!(
        found(true).is_empty(),
        "the public view finds nothing, as for a stranger"
    );
    // Once the public may see someone under the same keys, it finds that one only.
    let shown = listed(person_(), barred_listing("Dyfed-Powys Police", true));
    let public = found(true);
    assert_eq!(public.len(), 1);
    assert_eq!(found(false).len(), 2);
    assert_eq!(
        vetting::core::ids::Id::from_bytes(vetting::core::ids::IdKind::Subject, public[0])
            .to_string(),
        shown.subject_id
    );
}
