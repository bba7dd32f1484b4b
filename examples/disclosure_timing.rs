//! Does what a key may not see change how long its check takes? Times `Vetting::check` (server
//! time, in process, no network), interleaving checks of people the key may not see with checks
//! of comparable strangers (the same given name, a family name of the same shape that a shown
//! person has too, dates of the same spread), and prints median and p99 of each:
//!
//! - a barred-list-only checker key, people with an open police investigation only;
//! - a probation unit's key (`investigations:probation`), the same people;
//! - the public key, people whose published entry was decided six years ago (past the window).
//!
//! ```sh
//! cargo run --release --example disclosure_timing -- --people 100000 --calls 2000 --runs 3
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
use vetting::auth::{Principal, Role, Scopes};
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

fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

/// A name made of a number spelt in letters from `base`: no two people share a blocking key.
fn spelt(prefix: &str, base: u8, i: usize, suffix: &str) -> String {
    let letters: String = i
        .to_string()
        .bytes()
        .map(|d| char::from(base + (d - b'0')))
        .collect();
    format!("{prefix}{letters}{suffix}")
}

/// Person `i` of a group: its own given name (no two groups' people sound alike), a family name
/// of the person's own.
fn name(given: &str, i: usize) -> pb::PersonName {
    pb::PersonName {
        given_names: given.into(),
        family_name: spelt("Qx", b'a', i, "vor"),
    }
}

fn dob(i: usize) -> Option<pb::Date> {
    date(
        1950 + (i % 50) as i32,
        1 + (i % 12) as i32,
        1 + (i % 28) as i32,
    )
}

fn barred(decided: (i32, i32, i32)) -> pb::Listing {
    pb::Listing {
        list: pb::ListKind::BarredList.into(),
        organisation: "Timing Police".into(),
        role: pb::Role::PoliceOfficer.into(),
        decision_date: date(decided.0, decided.1, decided.2),
        reason: "gross misconduct".into(),
        published: true,
        ..Default::default()
    }
}

fn request(given: &str, i: usize) -> vetting::service::check::CheckInput {
    check_in(&pb::CheckRequest {
        name: Some(name(given, i)),
        date_of_birth: dob(i),
        purpose: pb::Purpose::Recruitment.into(),
        ..Default::default()
    })
    .unwrap()
}

fn percentile(v: &mut [u128], p: f64) -> f64 {
    v.sort_unstable();
    let at = ((v.len() as f64 * p) as usize).min(v.len() - 1);
    v[at] as f64 / 1000.0
}

fn main() {
    let people = arg("--people", 100_000);
    let calls = arg("--calls", 2000);
    let runs = arg("--runs", 3);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store"), StoreOptions::default()).unwrap();
    let v = Vetting::new(store, Clock::System);
    let registrar = Principal {
        key_id: "timing".into(),
        organisation: "Timing".into(),
        role: Role::Registrar,
        sees: Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let checker = |sees: &str| Principal {
        role: Role::Checker,
        sees: sees.parse().unwrap(),
        ..registrar.clone()
    };
    let mut import = BulkImport::new(&v, &registrar);
    let mut batch = Vec::new();
    let mut flush = |batch: &mut Vec<pb::Subject>, force: bool| {
        if force || batch.len() == 1000 {
            import.add(batch).unwrap();
            batch.clear();
        }
    };
    // A registry of published, recently barred people, whom every key sees (a family name of
    // each of the others' is among them: the same blocking keys but for the given name).
    for i in 0..people {
        batch.push(pb::Subject {
            name: Some(name("Shown", i)),
            date_of_birth: dob(i),
            listings: vec![barred((2024, 3, 1))],
            ..Default::default()
        });
        flush(&mut batch, false);
    }
    // `calls` people under a police investigation only, and `calls` barred in 2019 (published,
    // past the public window); then as many strangers of each shape, never recorded.
    for i in 0..calls {
        batch.push(pb::Subject {
            name: Some(name("Hidden", i)),
            date_of_birth: dob(i),
            investigations: vec![pb::Investigation {
                organisation: "Timing Police".into(),
                reference: "PSD/1".into(),
                opened_on: date(2025, 9, 1),
                role: pb::Role::PoliceOfficer.into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        flush(&mut batch, false);
        batch.push(pb::Subject {
            name: Some(name("Olwen", i)),
            date_of_birth: dob(i),
            listings: vec![barred((2019, 1, 10))],
            ..Default::default()
        });
        flush(&mut batch, false);
    }
    flush(&mut batch, true);
    import.finish().unwrap();
    // As the server warms it at start: on today, so entries past their window stay out of the
    // public filter.
    v.store
        .warm_cache_on(Some(v.clock.today()), || false)
        .unwrap();

    let public = Principal {
        role: Role::Public,
        ..registrar.clone()
    };
    // (what, who asks, the hidden people's given name, the strangers')
    let scenarios = [
        (
            "barred-only checker, open police investigation",
            checker(""),
            "Hidden",
            "Hidden",
        ),
        (
            "probation unit (investigations:probation), open police investigation",
            checker("investigations:probation"),
            "Hidden",
            "Hidden",
        ),
        (
            "public, published entry decided 2019-01-10",
            public,
            "Olwen",
            "Olwen",
        ),
    ];
    println!(
        "{people} listed people; {calls} hidden and {calls} strangers a run, interleaved; Vetting::check server time (µs)"
    );
    for (what, who, hidden, stranger) in &scenarios {
        let hidden: Vec<_> = (0..calls).map(|i| request(hidden, i)).collect();
        // The strangers have the hidden people's given name and a family name of the same
        // shape, one a shown person has too (the next `calls` numbers, never recorded under
        // that given name): the same work but for the hidden record.
        let strangers: Vec<_> = (0..calls).map(|i| request(stranger, calls + i)).collect();
        println!("{what}:");
        for run in 1..=runs {
            let (mut h, mut s) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
            for i in 0..calls {
                let t = Instant::now();
                let a = v.check(who, &hidden[i]).unwrap();
                h.push(t.elapsed().as_nanos());
                assert!(
                    a.matches.is_empty(),
                    "a hidden record was shown: {:?} for {:?}",
                    a.matches,
                    hidden[i].name
                );
                let t = Instant::now();
                let b = v.check(who, &strangers[i]).unwrap();
                s.push(t.elapsed().as_nanos());
                assert!(b.matches.is_empty());
            }
            let (mh, ms) = (percentile(&mut h, 0.5), percentile(&mut s, 0.5));
            let (ph, ps) = (percentile(&mut h, 0.99), percentile(&mut s, 0.99));
            println!(
                "  run {run}: hidden median {mh:.1} p99 {ph:.1}; stranger median {ms:.1} p99 {ps:.1}; median difference {:+.1}",
                mh - ms
            );
        }
    }
}
