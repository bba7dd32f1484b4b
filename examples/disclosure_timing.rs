//! Does what a key may not see change how long its check takes? Two registries, the same but
//! for the records a key may not see: A holds them, B does not. The same checks (of the hidden
//! people, and of strangers of the same shape recorded in neither) are timed against both,
//! interleaved (`Vetting::check` server time, in process, no network): the strangers' A−B
//! difference is the noise between two stores, the hidden people's A−B difference what the
//! hidden records cost. Median and p99 of each, for:
//!
//! - a barred-list-only checker key, people with an open police investigation only;
//! - a probation unit's key (`investigations:probation`), the same people;
//! - the public key, people whose published entry was decided in 2019 (past the window).
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

/// A registry of `people` published, recently barred people whom every key sees (a family name
/// of each of the others' is among them: the same blocking keys but for the given name), and,
/// when `hidden`, `calls` people under a police investigation only (numbers from 0) and `calls`
/// barred in 2019 (published, past the public window; numbers from `OLWEN * calls`).
fn registry(dir: &std::path::Path, people: usize, calls: usize, hidden: bool) -> Vetting {
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    let v = Vetting::new(store, Clock::System);
    // As the server does at start, before any write: the key filters are kept for today, so an
    // entry past its public window stays out of the public view's.
    v.store
        .warm_cache_on(Some(v.clock.today()), || false)
        .unwrap();
    let registrar = registrar();
    let mut import = BulkImport::new(&v, &registrar);
    let mut batch = Vec::new();
    let mut flush = |batch: &mut Vec<pb::Subject>, force: bool| {
        if force || batch.len() == 1000 {
            import.add(batch).unwrap();
            batch.clear();
        }
    };
    for i in 0..people {
        batch.push(pb::Subject {
            name: Some(name("Shown", i)),
            date_of_birth: dob(i),
            listings: vec![barred((2024, 3, 1))],
            ..Default::default()
        });
        flush(&mut batch, false);
    }
    for i in (0..calls).filter(|_| hidden) {
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
        // Other numbers than the investigated people's: the checkers see these people, who
        // must not be candidates in their checks of the investigated.
        batch.push(pb::Subject {
            name: Some(name("Olwen", OLWEN * calls + i)),
            date_of_birth: dob(OLWEN * calls + i),
            listings: vec![barred((2019, 1, 10))],
            ..Default::default()
        });
        flush(&mut batch, false);
    }
    flush(&mut batch, true);
    import.finish().unwrap();
    // And its cache warmed, as after a start.
    v.store
        .warm_cache_on(Some(v.clock.today()), || false)
        .unwrap();
    v
}

/// Where the numbers of the people barred in 2019 start, in `calls`: after the strangers'.
const OLWEN: usize = 2;

fn registrar() -> Principal {
    Principal {
        key_id: "timing".into(),
        organisation: "Timing".into(),
        role: Role::Registrar,
        sees: Scopes::BARRED_ONLY,
        client_certificate: None,
    }
}

/// Times each of `queries` against `a` and `b`, in turn; the A−B difference of the medians.
fn compare(
    who: &Principal,
    a: &Vetting,
    b: &Vetting,
    queries: &[vetting::service::check::CheckInput],
) -> (f64, f64, f64, f64) {
    let (mut ta, mut tb) = (
        Vec::with_capacity(queries.len()),
        Vec::with_capacity(queries.len()),
    );
    for (i, q) in queries.iter().enumerate() {
        // Each goes first every other time: neither store is always the warmer.
        let mut order = [(a, &mut ta), (b, &mut tb)];
        if i % 2 == 1 {
            order.reverse();
        }
        for (v, times) in order {
            let t = Instant::now();
            let answer = v.check(who, q).unwrap();
            times.push(t.elapsed().as_nanos());
            assert!(
                answer.matches.is_empty(),
                "a hidden record was shown: {:?} for {:?}",
                answer.matches,
                q.name
            );
        }
    }
    (
        percentile(&mut ta, 0.5),
        percentile(&mut ta, 0.99),
        percentile(&mut tb, 0.5),
        percentile(&mut tb, 0.99),
    )
}

fn main() {
    let people = arg("--people", 100_000);
    let calls = arg("--calls", 2000);
    let runs = arg("--runs", 3);
    let dir = tempfile::tempdir().unwrap();
    let a = registry(&dir.path().join("a"), people, calls, true);
    let b = registry(&dir.path().join("b"), people, calls, false);
    let checker = |sees: &str| Principal {
        role: Role::Checker,
        sees: sees.parse().unwrap(),
        ..registrar()
    };
    let public = Principal {
        role: Role::Public,
        ..registrar()
    };
    // (what, who asks, the hidden people's given name, where their numbers start)
    let scenarios = [
        (
            "barred-only checker, open police investigation",
            checker(""),
            "Hidden",
            0,
        ),
        (
            "probation unit (investigations:probation), open police investigation",
            checker("investigations:probation"),
            "Hidden",
            0,
        ),
        (
            "public, published entry decided 2019-01-10",
            public,
            "Olwen",
            OLWEN * calls,
        ),
    ];
    println!(
        "{people} listed people; registry A also holds {calls} people the key may not see, B does not; \
         each query timed against A and B in turn; Vetting::check server time (µs)"
    );
    for (what, who, given, from) in &scenarios {
        let hidden: Vec<_> = (0..calls).map(|i| request(given, from + i)).collect();
        // Strangers of the same shape, recorded in neither: the noise between the two stores.
        let strangers: Vec<_> = (0..calls).map(|i| request(given, calls + i)).collect();
        println!("{what}:");
        // Once untimed: both stores' pages for these checks in the cache, as in a server
        // that has been answering.
        compare(who, &a, &b, &hidden);
        compare(who, &a, &b, &strangers);
        for run in 1..=runs {
            let (ha, ha99, hb, hb99) = compare(who, &a, &b, &hidden);
            let (sa, _, sb, _) = compare(who, &a, &b, &strangers);
            println!(
                "  run {run}: hidden people: A median {ha:.1} p99 {ha99:.1}, B median {hb:.1} p99 {hb99:.1}, \
                 A−B {:+.1}; strangers A−B {:+.1}",
                ha - hb,
                sa - sb
            );
        }
    }
}
