//! The public identity-matching evaluation set (`tests/data/identity-public`, copied from the
//! shared evaluation), scored through the gRPC API as a client would: the registry is recorded
//! through the registry operations, the queries go through `CheckService.CheckBatch`.
//!
//! `VETTING_EVAL_DIR=/path/to/set cargo test --test it eval -- --nocapture` scores another set in
//! the same format instead.
//!
//! Bars (issue 3): every positive flagged, at least 99% of `strong` rows decided as the target's
//! own status, at most 0.5% of negatives flagged. Rows judged mislabelled are listed in
//! `MISLABELLED` with the reason and reported, never dropped silently.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use tokio_stream::StreamExt;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use vetting::auth::{KeyFile, Keys, Principal, Role};
use vetting::core::clock::Clock;
use vetting::core::identity::{Date, Identifier, IdentifierScheme, PersonName};
use vetting::core::model::{EmploymentRole, ListKind};
use vetting::pb::{self, check_service_client::CheckServiceClient};
use vetting::server::{self, Limits};
use vetting::service::Vetting;
use vetting::service::registry::{InvestigationInput, ListingInput, SubjectInput};
use vetting::store::{Store, StoreOptions};

/// Rows of the public set judged mislabelled: (qid, reason). Reported, not dropped.
const MISLABELLED: &[(&str, &str)] = &[];

#[derive(Debug, Deserialize)]
struct Name {
    given_names: String,
    family_name: String,
}

#[derive(Debug, Deserialize)]
struct Row {
    key: String,
    given_names: String,
    family_name: String,
    dob: String,
    previous_names: Vec<Name>,
    ni: Option<String>,
    list: String,
}

#[derive(Debug, Deserialize)]
struct Query {
    qid: String,
    kind: String,
    expect: String,
    target: Option<String>,
    given_names: String,
    family_name: String,
    dob: Option<String>,
    previous_names: Vec<Name>,
    ni: Option<String>,
}

fn date(s: &str) -> Date {
    let mut p = s.split('-').map(|x| x.parse::<i32>().unwrap());
    let (y, m, d) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
    Date::new(y, m as u8, d as u8)
}

/// The set's directory: `tests/data/identity-public`, or `VETTING_EVAL_DIR` to score another set
/// in the same format (the kept-aside one) with the same bars.
fn set_dir() -> String {
    std::env::var("VETTING_EVAL_DIR")
        .unwrap_or_else(|_| format!("{}/tests/data/identity-public", env!("CARGO_MANIFEST_DIR")))
}

fn lines<T: for<'de> Deserialize<'de>>(dir: &str, path: &str) -> Vec<T> {
    let full = format!("{dir}/{path}");
    std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{full}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Records the registry rows; returns each row's expected status ("BARRED" or "UNDER_INVESTIGATION").
fn load(v: &Vetting, rows: &[Row]) -> HashMap<String, pb::Outcome> {
    let who = Principal {
        key_id: "eval-loader".into(),
        organisation: "Evaluation".into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let mut expected = HashMap::new();
    for r in rows {
        let identifiers =
            r.ni.iter()
                .map(|ni| Identifier {
                    scheme: IdentifierScheme::NationalInsuranceNumber,
                    value: ni.clone(),
                    issuer: String::new(),
                })
                .collect();
        let s = v
            .create_subject(
                &who,
                &SubjectInput {
                    name: Some(PersonName::new(&r.given_names, &r.family_name)),
                    other_names: r
                        .previous_names
                        .iter()
                        .map(|n| PersonName::new(&n.given_names, &n.family_name))
                        .collect(),
                    date_of_birth: Some(date(&r.dob)),
                    identifiers,
                },
                "",
            )
            .unwrap_or_else(|e| panic!("row {}: {e}", r.key));
        let listing = |list| ListingInput {
            list: Some(list),
            organisation: "Evaluation Constabulary".into(),
            role: Some(EmploymentRole::PoliceOfficer),
            rank: String::new(),
            decision_date: Some(Date::new(2024, 1, 1)),
            standards_breached: vec![],
            reason: String::new(),
            published: false,
            grounds: None,
        };
        let outcome = match r.list.as_str() {
            "BARRED" => {
                v.add_listing(&who, &s.subject_id, &listing(ListKind::Barred), "")
                    .unwrap();
                pb::Outcome::Barred
            }
            "ADVISORY" => {
                v.add_listing(&who, &s.subject_id, &listing(ListKind::Advisory), "")
                    .unwrap();
                pb::Outcome::UnderInvestigation
            }
            "INVESTIGATION" => {
                v.open_investigation(
                    &who,
                    &s.subject_id,
                    &InvestigationInput {
                        organisation: "Evaluation Constabulary".into(),
                        reference: String::new(),
                        allegation_summary: String::new(),
                        opened_on: Some(Date::new(2025, 1, 1)),
                        role: None,
                    },
                    "",
                )
                .unwrap();
                pb::Outcome::UnderInvestigation
            }
            other => panic!("row {}: unknown list {other}", r.key),
        };
        expected.insert(r.key.clone(), outcome);
    }
    v.store.sync().unwrap();
    expected
}

fn request(q: &Query) -> pb::CheckRequest {
    let name = |g: &str, f: &str| pb::PersonName {
        given_names: g.to_owned(),
        family_name: f.to_owned(),
    };
    pb::CheckRequest {
        name: Some(name(&q.given_names, &q.family_name)),
        other_names: q
            .previous_names
            .iter()
            .map(|n| name(&n.given_names, &n.family_name))
            .collect(),
        date_of_birth: q.dob.as_deref().map(|d| {
            let d = date(d);
            pb::Date {
                year: d.year,
                month: i32::from(d.month),
                day: i32::from(d.day),
            }
        }),
        identifiers: q
            .ni
            .iter()
            .map(|ni| pb::Identifier {
                scheme: pb::IdentifierScheme::NationalInsuranceNumber.into(),
                value: ni.clone(),
                issuer: String::new(),
            })
            .collect(),
        purpose: pb::Purpose::Recruitment.into(),
        client_ref: q.qid.clone(),
    }
}

#[derive(Default)]
struct Tally {
    rows: usize,
    flagged: usize,
    decided: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_identity_set_meets_the_bars() {
    // The public set's bars; another set (VETTING_EVAL_DIR) is held to the kept-aside set's.
    let bars = if std::env::var_os("VETTING_EVAL_DIR").is_some() {
        KEPT_ASIDE_BARS
    } else {
        (1.0, 0.99)
    };
    score_set(&set_dir(), bars).await;
}

/// The bars of the kept-aside set: positives flagged, `strong` rows decided.
const KEPT_ASIDE_BARS: (f64, f64) = (0.99, 0.98);

/// A second set, `tests/data/identity-extra`: 5,000 listed people and about 3,000 checks of 34
/// kinds, written by a generator (`gen.py` beside it) whose author had not seen the matcher.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_identity_set_meets_the_bars() {
    let dir = format!("{}/tests/data/identity-extra", env!("CARGO_MANIFEST_DIR"));
    // Every positive and 99% of strong rows: the set's misses were mended after it first ran
    // (see its README), so it guards against regressions at the public set's bars.
    score_set(&dir, (1.0, 0.99)).await;
}

/// Loads the set in `dir`, runs its checks through `CheckBatch`, prints a table by kind and every
/// row that missed, and asserts the bars `(positives flagged, strong rows decided)` and at most
/// 0.5% of negatives flagged.
async fn score_set(set: &str, (flag_bar, strong_bar): (f64, f64)) {
    let rows: Vec<Row> = lines(set, "registry.jsonl");
    let queries: Vec<Query> = lines(set, "queries.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store"), StoreOptions::default()).unwrap();
    // The set's dates run to the present; a clock in the future of them all.
    let v = Vetting::new(store, Clock::fixed(1_800_000_000_000));
    let loader = v.clone();
    let expected = tokio::task::spawn_blocking(move || load(&loader, &rows))
        .await
        .unwrap();

    let key_file = KeyFile::in_dir(dir.path());
    let (_, token) = key_file
        .create(Role::Checker, "Evaluation", &Clock::System)
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(
        v,
        Arc::new(Keys::new(key_file)),
        listener,
        Limits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = CheckServiceClient::new(channel);
    let mut req = Request::new(tokio_stream::iter(
        queries.iter().map(request).collect::<Vec<_>>(),
    ));
    let bearer: MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    req.metadata_mut().insert("authorization", bearer);
    let mut answers = client.check_batch(req).await.unwrap().into_inner();
    let mut outcomes = HashMap::new();
    while let Some(a) = answers.next().await {
        let a = a.unwrap();
        outcomes.insert(a.client_ref.clone(), a.outcome());
    }
    assert_eq!(outcomes.len(), queries.len(), "one answer per query");

    let mislabelled: HashMap<&str, &str> = MISLABELLED.iter().copied().collect();
    let mut by_kind: BTreeMap<&str, Tally> = BTreeMap::new();
    let (
        mut positives,
        mut missed,
        mut strong_rows,
        mut strong_ok,
        mut undecided,
        mut negatives,
        mut false_alarms,
    ) = (0, Vec::new(), 0, 0, Vec::new(), 0, Vec::new());
    for q in &queries {
        if let Some(reason) = mislabelled.get(q.qid.as_str()) {
            println!("excluded as mislabelled: {} ({}): {reason}", q.qid, q.kind);
            continue;
        }
        let got = outcomes[&q.qid];
        let flagged = got != pb::Outcome::Clear;
        let t = by_kind.entry(q.kind.as_str()).or_default();
        t.rows += 1;
        t.flagged += usize::from(flagged);
        match q.expect.as_str() {
            "clear" => {
                negatives += 1;
                if flagged {
                    false_alarms.push(format!("{} ({}): {got:?}", q.qid, q.kind));
                }
            }
            expect => {
                positives += 1;
                if !flagged {
                    missed.push(format!("{} ({})", q.qid, q.kind));
                }
                let own = expected[q.target.as_deref().unwrap()];
                if got == own {
                    t.decided += 1;
                }
                if expect == "strong" {
                    strong_rows += 1;
                    strong_ok += usize::from(got == own);
                    if got != own {
                        undecided.push(format!("{} ({}): {got:?}", q.qid, q.kind));
                    }
                }
            }
        }
    }
    println!(
        "{:<26} {:>5} {:>8} {:>8}",
        "kind", "rows", "flagged", "decided"
    );
    for (kind, t) in &by_kind {
        println!("{kind:<26} {:>5} {:>8} {:>8}", t.rows, t.flagged, t.decided);
    }
    for (what, rows) in [
        ("missed", &missed),
        ("strong, not decided", &undecided),
        ("false alarm", &false_alarms),
    ] {
        for r in rows.iter() {
            println!("{what}: {r}");
        }
    }
    let strong_rate = strong_ok as f64 / strong_rows as f64;
    let alarm_rate = false_alarms.len() as f64 / negatives as f64;
    println!(
        "positives flagged {}/{positives}; strong decided {strong_ok}/{strong_rows} ({:.1}%); false alarms {}/{negatives} ({:.2}%)",
        positives - missed.len(),
        strong_rate * 100.0,
        false_alarms.len(),
        alarm_rate * 100.0
    );
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    let flag_rate = (positives - missed.len()) as f64 / positives as f64;
    assert!(flag_rate >= flag_bar, "positives missed: {missed:?}");
    assert!(
        strong_rate >= strong_bar,
        "strong rows decided: {strong_rate:.3} < {strong_bar}"
    );
    assert!(alarm_rate <= 0.005, "false alarms: {false_alarms:?}");
}
