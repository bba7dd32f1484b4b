//! Does what a public key may not see change how long its check takes? Times `Vetting::check`
//! (server time, in process, no network) for a public key, interleaving checks of people on the
//! advisory list only (hidden from the public) with checks of strangers, and prints the medians.
//!
//! ```sh
//! cargo run --release --example timing -- --people 100000 --calls 2000 --runs 4
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use vetting::api::convert::check_in;
use vetting::auth::{Principal, Role};
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::service::Vetting;
use vetting::store::{Store, StoreOptions};
use vetting::transfer::BulkImport;

fn arg(name: &str, default: usize) -> usize {
    let mut args = std::env::args();
    while let Some(a) = args.next() {
        if a == name {
            return args.next().unwrap().parse().unwrap();
        }
    }
    default
}

fn name_and_date(given: &str, family: &str, day: i32) -> (pb::PersonName, pb::Date) {
    (
        pb::PersonName {
            given_names: given.into(),
            family_name: family.into(),
        },
        pb::Date {
            year: 1979,
            month: 4,
            day,
        },
    )
}

fn person(given: &str, family: &str, day: i32) -> pb::Subject {
    let (name, date) = name_and_date(given, family, day);
    pb::Subject {
        name: Some(name),
        date_of_birth: Some(date),
        ..Default::default()
    }
}

fn request(given: &str, family: &str, day: i32) -> pb::CheckRequest {
    let (name, date) = name_and_date(given, family, day);
    pb::CheckRequest {
        name: Some(name),
        date_of_birth: Some(date),
        purpose: pb::Purpose::Recruitment.into(),
        ..Default::default()
    }
}

fn median(v: &mut [u128]) -> f64 {
    v.sort_unstable();
    v[v.len() / 2] as f64 / 1000.0
}

/// Made-up family names, unlike any the generator makes: `Qx` and a number spelt in letters.
fn made_up(i: usize) -> String {
    let letters: String = i
        .to_string()
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect();
    format!("Qx{letters}vor")
}

/// A given name of each person's own, so that no two share a blocking key.
fn given(i: usize) -> String {
    let letters: String = i
        .to_string()
        .bytes()
        .map(|d| char::from(b'k' + (d - b'0')))
        .collect();
    format!("Ann{letters}e")
}

fn main() {
    let people = arg("--people", 100_000);
    let calls = arg("--calls", 2000);
    let runs = arg("--runs", 4);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store"), StoreOptions::default()).unwrap();
    let v = Vetting::new(store, Clock::System);
    let registrar = Principal {
        key_id: "timing".into(),
        organisation: "Timing".into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let public = Principal {
        role: Role::Public,
        ..registrar.clone()
    };
    let mut import = BulkImport::new(&v, &registrar);
    let mut batch = Vec::new();
    // Published barred people, whom the public sees.
    for i in 0..people {
        let mut s = person("Shown", &made_up(1_000_000 + i), 1 + (i % 28) as i32);
        s.date_of_birth = Some(pb::Date {
            year: 1950 + (i % 50) as i32,
            month: 1 + (i % 12) as i32,
            day: 1 + (i % 28) as i32,
        });
        s.listings.push(pb::Listing {
            list: pb::ListKind::BarredList.into(),
            organisation: "Timing Police".into(),
            role: pb::Role::PoliceOfficer.into(),
            decision_date: Some(pb::Date {
                year: 2024,
                month: 3,
                day: 1,
            }),
            reason: "gross misconduct".into(),
            published: true,
            ..Default::default()
        });
        batch.push(s);
        if batch.len() == 1000 {
            import.add(&batch).unwrap();
            batch.clear();
        }
    }
    // People on the advisory list only: a public key may not see them.
    for i in 0..calls {
        let mut s = person(&given(i), &made_up(i), 1 + (i % 28) as i32);
        s.listings.push(pb::Listing {
            list: pb::ListKind::AdvisoryList.into(),
            organisation: "Timing Police".into(),
            role: pb::Role::PoliceStaff.into(),
            decision_date: Some(pb::Date {
                year: 2024,
                month: 6,
                day: 1,
            }),
            reason: "resigned during an investigation".into(),
            ..Default::default()
        });
        batch.push(s);
    }
    import.add(&batch).unwrap();
    import.finish().unwrap();
    v.store.warm_cache(|| false).unwrap();
    let hidden: Vec<_> = (0..calls)
        .map(|i| check_in(&request(&given(i), &made_up(i), 1 + (i % 28) as i32)).unwrap())
        .collect();
    let strangers: Vec<_> = (0..calls)
        .map(|i| {
            check_in(&request(
                &given(calls + i),
                &made_up(calls + i),
                1 + (i % 28) as i32,
            ))
            .unwrap()
        })
        .collect();
    println!(
        "{people} listed people, {calls} advisory-only; public key; Vetting::check server time"
    );
    for run in 1..=runs {
        let (mut h, mut s) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
        for i in 0..calls {
            let t = Instant::now();
            let a = v.check(&public, &hidden[i]).unwrap();
            h.push(t.elapsed().as_nanos());
            assert!(a.matches.is_empty(), "the public sees no advisory entry");
            let t = Instant::now();
            let b = v.check(&public, &strangers[i]).unwrap();
            s.push(t.elapsed().as_nanos());
            assert!(b.matches.is_empty());
        }
        let (mh, ms) = (median(&mut h), median(&mut s));
        println!(
            "run {run}: median hidden {mh:.1} µs, stranger {ms:.1} µs, difference {:+.1} µs",
            mh - ms
        );
    }
}
