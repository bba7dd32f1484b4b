//! Load generator: builds a synthetic registry of listed people (British name frequencies, other
//! names, identifiers), then measures checks against it in-process, as the server runs them.
//!
//! ```sh
//! cargo run --release --example bench -- --people 1000000
//! ```
//!
//! Reports load time, store size on disk, resident memory, and the median and p99 server time of
//! `Check` for hits (a listed person, exactly), near misses (a listed person's name with a plainly
//! different date of birth) and strangers (fresh identities): as the server runs it by default
//! (the audit event in the check journal before the answer, the journal checkpointed every
//! second) and as with `--sync-checks` (the store flushed before the answer).

// A measuring tool, not library code: failing loudly on a broken setup is what it should do.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::{Duration, Instant};

use clap::Parser;
use vetting::api::convert;
use vetting::auth::{Principal, Role};
use vetting::core::clock::Clock;
use vetting::core::model::{Outcome, Purpose};
use vetting::pb;
use vetting::service::Vetting;
use vetting::service::check::CheckInput;
use vetting::store::{Store, StoreOptions};
use vetting::transfer::BulkImport;
use vetting_synth::{Generator, SyntheticList, SyntheticPerson};

#[derive(Debug, Parser)]
struct Args {
    /// Listed people to load.
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Checks of each kind (hits, near misses, strangers).
    #[arg(long, default_value_t = 2_000)]
    checks: usize,
    /// Where to build the store (default: a temporary directory, removed at the end).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// With --dir: reuse a store an earlier run with the same --people and --seed loaded, and
    /// measure checks only.
    #[arg(long, requires = "dir")]
    reuse: bool,
    /// sled page cache, in MiB: by default the size the README advises for a million listed
    /// people (the server's default, 512, suits up to about 200,000).
    #[arg(long, default_value_t = 4096)]
    cache_mb: u64,
    /// Subjects per import transaction (as `vetting import` writes them).
    #[arg(long, default_value_t = vetting::transfer::IMPORT_BATCH)]
    batch: usize,
    /// Threads for the throughput phase (checks at once).
    #[arg(long, default_value_t = 8)]
    threads: usize,
    /// Index entries collected before they are written, sorted (as `vetting import` does).
    #[arg(long, default_value_t = vetting::transfer::INDEX_WINDOW)]
    window: usize,
    /// Do not warm the page cache before measuring checks (the server warms it at start).
    #[arg(long)]
    no_warm: bool,
    /// Random seed.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

fn subject_pb(p: &SyntheticPerson) -> pb::Subject {
    let date = |d| convert::date_out(Some(d));
    let mut s = pb::Subject {
        name: Some(convert::name_out(&p.name)),
        other_names: p.other_names.iter().map(convert::name_out).collect(),
        date_of_birth: date(p.date_of_birth),
        identifiers: p.identifiers.iter().map(convert::identifier_out).collect(),
        ..Default::default()
    };
    match p.list {
        SyntheticList::Barred | SyntheticList::Advisory => s.listings.push(pb::Listing {
            list: if p.list == SyntheticList::Barred {
                pb::ListKind::BarredList
            } else {
                pb::ListKind::AdvisoryList
            }
            .into(),
            organisation: p.organisation.clone(),
            role: pb::Role::PoliceOfficer.into(),
            rank: p.rank.clone(),
            decision_date: date(p.decision_date),
            standards_breached: p.standards_breached.clone(),
            reason: p.reason.clone(),
            published: p.published,
            ..Default::default()
        }),
        SyntheticList::Investigation => s.investigations.push(pb::Investigation {
            organisation: p.organisation.clone(),
            reference: p.reference.clone(),
            allegation_summary: p.reason.clone(),
            opened_on: date(p.decision_date),
            ..Default::default()
        }),
        SyntheticList::Clear => {}
    }
    s
}

fn dir_size(p: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(p) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn rss_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Run {
    name: &'static str,
    check: Vec<Duration>,
    again: Vec<Duration>,
    check_flush: Vec<Duration>,
    candidates: Vec<usize>,
    flagged: usize,
    decided: usize,
}

fn main() {
    let args = Args::parse();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    let open = || {
        let store = Store::open(
            &dir.join("store"),
            StoreOptions {
                cache_bytes: args.cache_mb * 1024 * 1024,
                ..StoreOptions::default()
            },
        )
        .expect("open store");
        Vetting::new(store, Clock::System)
    };
    let mut v = open();
    let registrar = Principal {
        key_id: "bench".into(),
        organisation: "Benchmark".into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let checker = Principal {
        key_id: "bench".into(),
        organisation: "Benchmark".into(),
        role: Role::Checker,
        sees: vetting::core::disclosure::Scopes::ALL,
        client_certificate: None,
    };

    // Load.
    let mut generator = Generator::new(args.seed);
    let stride = (args.people / args.checks.max(1)).max(1);
    let mut sample = Vec::with_capacity(args.checks);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(args.batch.max(1));
    let mut import = BulkImport::with_window(&v, &registrar, args.window);
    for i in 0..args.people {
        let p = generator.listed_person();
        if args.reuse {
            if i % stride == 0 && sample.len() < args.checks {
                sample.push(p);
            }
            continue;
        }
        batch.push(subject_pb(&p));
        if batch.len() >= args.batch.max(1) || i + 1 == args.people {
            import.add(&batch).expect("load");
            batch.clear();
        }
        if i % stride == 0 && sample.len() < args.checks {
            sample.push(p);
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!("  loaded {} in {:.1?}", i + 1, started.elapsed());
        }
    }
    import.finish().expect("finish the import");
    let load = started.elapsed();
    if args.reuse {
        println!("reused the store in {}", dir.display());
    } else {
        let size = dir_size(&dir);
        println!(
            "loaded {} listed people in {:.1?} ({:.0} per second); store {:.0} MiB on disk; RSS {:.0} MiB (peak {:.0} MiB)",
            args.people,
            load,
            args.people as f64 / load.as_secs_f64(),
            size as f64 / 1048576.0,
            rss_mib("VmRSS:"),
            rss_mib("VmHWM:")
        );
        // Checks are measured on the store as a server start finds it, not on the load's cache.
        drop(v);
        v = open();
    }

    {
        use vetting::matching::{Identity, Prepared, index_keys, query_keys};
        let prepared: Vec<Prepared> = sample
            .iter()
            .map(|p| {
                Prepared::new(&Identity {
                    names: std::iter::once(p.name.clone())
                        .chain(p.other_names.iter().cloned())
                        .collect(),
                    date_of_birth: Some(p.date_of_birth),
                    identifiers: p.identifiers.clone(),
                })
            })
            .collect();
        let n = prepared.len().max(1) as f64;
        let indexed: usize = prepared.iter().map(|p| index_keys(p).len()).sum();
        let probed: usize = prepared.iter().map(|p| query_keys(p).len()).sum();
        println!(
            "index entries per listed person {:.1}; keys probed per check {:.1}",
            indexed as f64 / n,
            probed as f64 / n
        );
    }

    if !args.no_warm {
        // As the server does at start (beside serving; here before measuring).
        let t = Instant::now();
        let w = v.store.warm_cache(|| false).expect("warm the cache");
        println!(
            "page cache warmed in {:.1?}: {} entries, {:.0} MiB{}; RSS {:.0} MiB",
            t.elapsed(),
            w.entries,
            w.bytes as f64 / 1048576.0,
            if w.complete {
                ""
            } else {
                " (cache full first)"
            },
            rss_mib("VmRSS:")
        );
    }

    // Queries.
    let input = |name: vetting::core::identity::PersonName, dob| CheckInput {
        name: Some(name),
        other_names: vec![],
        date_of_birth: Some(dob),
        identifiers: vec![],
        purpose: Some(Purpose::Recruitment),
        client_ref: String::new(),
    };
    let hits: Vec<(CheckInput, Outcome)> = sample
        .iter()
        .map(|p| {
            let own = match p.list {
                SyntheticList::Barred => Outcome::Barred,
                _ => Outcome::UnderInvestigation,
            };
            (input(p.name.clone(), p.date_of_birth), own)
        })
        .collect();
    let near: Vec<(CheckInput, Outcome)> = sample
        .iter()
        .map(|p| {
            let (n, d) = generator.near_miss(p);
            (input(n, d), Outcome::Clear)
        })
        .collect();
    let strangers: Vec<(CheckInput, Outcome)> = (0..args.checks)
        .map(|_| {
            let (n, d) = generator.stranger();
            (input(n, d), Outcome::Clear)
        })
        .collect();

    // The store's own owner checkpoints the check journal every second, as in the server.
    measure(&args, &v, &checker, &hits, &near, &strangers);
    v.store.checkpoint().expect("checkpoint");
}

fn measure(
    args: &Args,
    v: &Vetting,
    checker: &Principal,
    hits: &[(CheckInput, Outcome)],
    near: &[(CheckInput, Outcome)],
    strangers: &[(CheckInput, Outcome)],
) {
    let mut runs = Vec::new();
    for (name, queries) in [
        ("hits", hits),
        ("near misses", near),
        ("strangers", strangers),
    ] {
        let mut run = Run {
            name,
            check: vec![],
            again: vec![],
            check_flush: vec![],
            candidates: vec![],
            flagged: 0,
            decided: 0,
        };
        for (q, want) in queries.iter() {
            // First: nothing of this check is cached but what the start's warm-up read.
            let t = Instant::now();
            let r = v.check(checker, q).expect("check");
            run.check.push(t.elapsed());
            let t = Instant::now();
            let again = v.check(checker, q).expect("check");
            run.again.push(t.elapsed());
            let t = Instant::now();
            v.check(checker, q).expect("check");
            v.store.sync().expect("flush");
            run.check_flush.push(t.elapsed());
            run.candidates
                .push(v.find(checker, q).expect("find").candidates);
            debug_assert_eq!(r.outcome, again.outcome);
            run.flagged += usize::from(r.outcome != Outcome::Clear);
            run.decided += usize::from(r.outcome == *want);
        }
        runs.push(run);
    }
    println!(
        "\n{:<12} {:>7} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12} {:>9} {:>8}",
        "checks",
        "n",
        "Check p50",
        "Check p99",
        "again p50",
        "again p99",
        "+flush p50",
        "+flush p99",
        "cand mean",
        "flagged"
    );
    for r in &mut runs {
        r.check.sort();
        r.again.sort();
        r.check_flush.sort();
        let mean_cand =
            r.candidates.iter().sum::<usize>() as f64 / r.candidates.len().max(1) as f64;
        println!(
            "{:<12} {:>7} {:>10.1?} {:>10.1?} {:>10.1?} {:>10.1?} {:>12.1?} {:>12.1?} {:>9.1} {:>7.1}%",
            r.name,
            r.check.len(),
            percentile(&r.check, 0.5),
            percentile(&r.check, 0.99),
            percentile(&r.again, 0.5),
            percentile(&r.again, 0.99),
            percentile(&r.check_flush, 0.5),
            percentile(&r.check_flush, 0.99),
            mean_cand,
            100.0 * r.flagged as f64 / r.check.len().max(1) as f64
        );
    }
    if let Some(h) = runs.first() {
        println!(
            "\nhits decided as the person's own status: {}/{}",
            h.decided,
            h.check.len()
        );
    }
    // Throughput: checks from several threads at once, as concurrent `Check` RPCs are; then
    // each flushed before it counts, as with --sync-checks (sled coalesces their flushes).
    let mixed: Vec<CheckInput> = hits
        .iter()
        .chain(near.iter())
        .chain(strangers.iter())
        .map(|(q, _)| q.clone())
        .collect();
    let threads = args.threads.max(1);
    for (mode, flush) in [("journaled", false), ("flushed (--sync-checks)", true)] {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..threads {
                let mixed = &mixed;
                scope.spawn(move || {
                    for q in mixed.iter().skip(t).step_by(threads) {
                        v.check(checker, q).expect("check");
                        if flush {
                            v.store.sync().expect("flush");
                        }
                    }
                });
            }
        });
        let elapsed = started.elapsed();
        println!(
            "throughput, {mode}: {} checks from {threads} threads in {:.1?}: {:.0} checks a second",
            mixed.len(),
            elapsed,
            mixed.len() as f64 / elapsed.as_secs_f64()
        );
    }
    println!(
        "\nCheck = what one Check RPC costs the server, the first time that check is made (nothing of it cached but what the warm-up read): validation, candidate lookup and scoring, the audit event sealed into the chain and its check-journal record (survives kill -9); again = the same check repeated at once; +flush = a repeated Check with the store flushed before the answer (--sync-checks: survives a power cut)"
    );
}
