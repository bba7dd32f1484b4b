//! Continuous vetting under load: a registry of `--people` listed people, `--enrolled` people
//! enrolled across `--orgs` organisations; measures enrol throughput, the cost an enrolled
//! workforce adds to a registry write (against a twin of the registry with no one enrolled,
//! written in turn), and the delay from an acknowledged registry write to its
//! alert being deliverable, under a steady `--rate` of changes a second. In-process, as the
//! server runs it (the projector task, durable alerts only).
//!
//! ```sh
//! cargo run --release --example monitor -- --people 1000000 --enrolled 100000
//! ```

// A measuring tool, not library code: failing loudly on a broken setup is what it should do.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use vetting::api::convert;
use vetting::auth::{Principal, Role};
use vetting::core::clock::Clock;
use vetting::core::model::{EmploymentRole, ListKind};
use vetting::pb;
use vetting::service::Vetting;
use vetting::service::monitoring::EnrolInput;
use vetting::service::registry::{ListingInput, SubjectInput};
use vetting::store::{Store, StoreOptions};
use vetting::transfer::BulkImport;
use vetting_synth::{Generator, SyntheticList, SyntheticPerson};

#[derive(Debug, Parser)]
struct Args {
    /// Listed people in the registry.
    #[arg(long, default_value_t = 100_000)]
    people: usize,
    /// People enrolled, spread over the organisations.
    #[arg(long, default_value_t = 100_000)]
    enrolled: usize,
    #[arg(long, default_value_t = 20)]
    orgs: usize,
    /// Registry changes a second in the alert-delay phase.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// Changes (each raising one alert) in the alert-delay phase.
    #[arg(long, default_value_t = 1000)]
    changes: usize,
    /// Registry writes timed for the write-cost comparison.
    #[arg(long, default_value_t = 400)]
    writes: usize,
    /// Threads enrolling at once.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    #[arg(long, default_value_t = 4096)]
    cache_mb: u64,
    /// Seconds to let the server settle before the alert-delay phase (default: as long as
    /// warming the cache took, and 2 more).
    #[arg(long)]
    settle: Option<u64>,
    #[arg(long, default_value_t = 2027)]
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
    if p.list != SyntheticList::Clear {
        s.listings.push(pb::Listing {
            list: pb::ListKind::BarredList.into(),
            organisation: p.organisation.clone(),
            role: pb::Role::PoliceOfficer.into(),
            rank: p.rank.clone(),
            decision_date: date(p.decision_date),
            standards_breached: p.standards_breached.clone(),
            reason: p.reason.clone(),
            published: p.published,
            ..Default::default()
        });
    }
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn subject_input(p: &SyntheticPerson) -> SubjectInput {
    SubjectInput {
        name: Some(p.name.clone()),
        other_names: vec![],
        date_of_birth: Some(p.date_of_birth),
        identifiers: vec![],
    }
}

fn barred() -> ListingInput {
    ListingInput {
        list: Some(ListKind::Barred),
        organisation: "Kent Police".into(),
        role: Some(EmploymentRole::PoliceOfficer),
        rank: "Constable".into(),
        decision_date: Some(vetting::core::identity::Date::new(2025, 6, 2)),
        standards_breached: vec!["honesty and integrity".into()],
        reason: "Dishonesty".into(),
        published: true,
        grounds: Some(vetting::core::model::ListingGrounds::GrossMisconduct),
    }
}

/// Waits until the projector has read the whole change log.
async fn caught_up(v: &Vetting) {
    loop {
        let head = v.store.change_head().expect("head");
        if *v.alerts.borrow() >= head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One registry write, acknowledged (durable): a fresh subject created, then a barred listing
/// added to it; the latency of each.
async fn timed_write(v: &Vetting, who: &Principal, p: &SyntheticPerson) -> (Duration, Duration) {
    let t = Instant::now();
    let (vv, w, input) = (v.clone(), who.clone(), subject_input(p));
    let s = tokio::task::spawn_blocking(move || vv.create_subject(&w, &input, ""))
        .await
        .expect("task")
        .expect("create");
    v.store.commit_durable().await.expect("durable");
    let created = t.elapsed();
    let t = Instant::now();
    let (vv, w) = (v.clone(), who.clone());
    tokio::task::spawn_blocking(move || vv.add_listing(&w, &s.subject_id, &barred(), ""))
        .await
        .expect("task")
        .expect("listing");
    v.store.commit_durable().await.expect("durable");
    (created, t.elapsed())
}

/// `n` writes ([`timed_write`]) to each of `a` and `b` in turn, each going first every other
/// time, so that the machine's noise falls on both alike: each one's create and listing
/// latencies, sorted.
async fn twin_writes(
    a: &Vetting,
    b: &Vetting,
    who: &Principal,
    g: &mut Generator,
    n: usize,
) -> [Vec<Duration>; 4] {
    let mut out: [Vec<Duration>; 4] = Default::default();
    for i in 0..n {
        let (p, q) = (
            g.person(SyntheticList::Clear),
            g.person(SyntheticList::Clear),
        );
        let (ra, rb) = if i % 2 == 0 {
            let ra = timed_write(a, who, &p).await;
            (ra, timed_write(b, who, &q).await)
        } else {
            let rb = timed_write(b, who, &q).await;
            (timed_write(a, who, &p).await, rb)
        };
        out[0].push(ra.0);
        out[1].push(ra.1);
        out[2].push(rb.0);
        out[3].push(rb.1);
    }
    for v in &mut out {
        v.sort();
    }
    out
}

/// Copies directory `from` to `to`, recursively (a closed store, to make its twin).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = Args::parse();
    let tmp = tempfile::tempdir().expect("temp dir");
    let open = |dir: &str| {
        let store = Store::open(
            &tmp.path().join(dir),
            StoreOptions {
                cache_bytes: args.cache_mb * 1024 * 1024,
                ..StoreOptions::default()
            },
        )
        .expect("open store");
        Vetting::new(store, Clock::System)
    };
    let v = open("store");
    let registrar = Principal {
        key_id: "bench".into(),
        organisation: "Benchmark".into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let checkers: Vec<Principal> = (0..args.orgs)
        .map(|i| Principal {
            key_id: format!("key{i}"),
            organisation: format!("Force {i}"),
            role: Role::Checker,
            sees: vetting::core::disclosure::Scopes::ALL,
            client_certificate: None,
        })
        .collect();

    let mut g = Generator::new(args.seed);
    let started = Instant::now();
    let mut import = BulkImport::with_window(&v, &registrar, vetting::transfer::INDEX_WINDOW);
    let mut batch = Vec::new();
    for i in 0..args.people {
        batch.push(subject_pb(&g.listed_person()));
        if batch.len() >= vetting::transfer::IMPORT_BATCH || i + 1 == args.people {
            import.add(&batch).expect("load");
            batch.clear();
        }
    }
    import.finish().expect("finish");
    println!(
        "loaded {} listed people in {:.1?}",
        args.people,
        started.elapsed()
    );

    // The registry's twin, for the write-cost comparison: the same store, copied while
    // closed; no one is ever enrolled in it.
    drop(v);
    let t = Instant::now();
    copy_dir(&tmp.path().join("store"), &tmp.path().join("twin"));
    println!("copied the store to its twin in {:.1?}", t.elapsed());
    let (v, twin) = (open("store"), open("twin"));
    let t = Instant::now();
    for s in [&v.store, &twin.store] {
        s.warm_cache_on(Some(v.clock.today()), || false)
            .expect("warm");
    }
    let warm_up = t.elapsed() / 2;
    println!("warmed each store's page cache in {warm_up:.1?}");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let projector = tokio::spawn(v.clone().run_projector(stop_rx.clone()));
    let twin_projector = tokio::spawn(twin.clone().run_projector(stop_rx));
    let t = Instant::now();
    caught_up(&v).await;
    caught_up(&twin).await;
    println!(
        "projectors read the import's change log in {:.1?}",
        t.elapsed()
    );

    // Enrol: the workforce, spread over the organisations, from several threads at once.
    let people: Vec<SyntheticPerson> = (0..args.enrolled)
        .map(|_| g.person(SyntheticList::Clear))
        .collect();
    let people = Arc::new(people);
    let t = Instant::now();
    let mut handles = Vec::new();
    for th in 0..args.threads {
        let (v, people, checkers) = (v.clone(), people.clone(), checkers.clone());
        let threads = args.threads;
        handles.push(std::thread::spawn(move || {
            // As EnrolBatch does: 64 at a time, one transaction each; every organisation's
            // workforce enrolled by its own key.
            let orgs = checkers.len();
            for org in (th..orgs).step_by(threads) {
                let mine: Vec<usize> = (org..people.len()).step_by(orgs).collect();
                for chunk in mine.chunks(64) {
                    let items: Vec<(EnrolInput, String)> = chunk
                        .iter()
                        .map(|&i| {
                            let p = &people[i];
                            (
                                EnrolInput {
                                    name: Some(p.name.clone()),
                                    date_of_birth: Some(p.date_of_birth),
                                    employee_ref: format!("E{i}"),
                                    ..Default::default()
                                },
                                String::new(),
                            )
                        })
                        .collect();
                    for r in v.enrol_many(&checkers[org], &items).expect("enrol") {
                        r.expect("enrolled");
                    }
                }
            }
        }));
    }
    for h in handles {
        h.join().expect("enroller");
    }
    v.store.commit_durable().await.expect("durable");
    let enrol_time = t.elapsed();
    println!(
        "enrolled {} across {} organisations in {:.1?}: {:.0} a second ({} threads, 64 a transaction, flushed at the end)",
        args.enrolled,
        args.orgs,
        enrol_time,
        args.enrolled as f64 / enrol_time.as_secs_f64(),
        args.threads
    );
    caught_up(&v).await;

    // Registry writes to the store with the workforce enrolled and to its twin with none, in
    // turn, each with its projector running.
    let [with_create, with_listing, none_create, none_listing] =
        twin_writes(&v, &twin, &registrar, &mut g, args.writes).await;
    for (what, with, none) in [
        ("create a subject", &with_create, &none_create),
        ("add a barred listing", &with_listing, &none_listing),
    ] {
        let (w50, n50) = (percentile(with, 0.5), percentile(none, 0.5));
        println!(
            "registry write, acknowledged (durable), {what}: p50 {:.0?} / p99 {:.0?} with none enrolled; p50 {:.0?} / p99 {:.0?} with {} enrolled ({:+.1}% at p50); {} of each, in turn",
            n50,
            percentile(none, 0.99),
            w50,
            percentile(with, 0.99),
            args.enrolled,
            (w50.as_secs_f64() / n50.as_secs_f64() - 1.0) * 100.0,
            args.writes
        );
    }
    drop(twin);

    // Alert delay, through gRPC: the in-process projector stops and the server starts on the
    // same store (with its own projector, as `vetting serve` runs it); one `StreamAlerts`
    // subscriber an organisation, over HTTP/2 on loopback, notes when each alert arrives, while
    // enrolled people are recorded and barred at a steady rate.
    stop_tx.send_replace(true);
    let _ = projector.await;
    let _ = twin_projector.await;
    let key_file = vetting::auth::KeyFile::in_dir(tmp.path());
    let tokens: Vec<String> = checkers
        .iter()
        .map(|c| {
            key_file
                .create(Role::Checker, &c.organisation, &Clock::System)
                .expect("key")
                .1
        })
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (server_stop, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vetting::server::serve_on(
        v.clone(),
        Arc::new(vetting::auth::Keys::new(key_file)),
        vetting::server::Incoming::Plain(listener),
        None,
        vetting::server::Limits {
            shutdown_notice: Duration::ZERO,
            ..vetting::server::Limits::default()
        },
        async {
            let _ = server_stopped.await;
        },
    ));
    // The server warms the page cache again as it starts, beside serving (as `vetting serve`
    // does): the delay is measured in the steady state after it, unless `--settle 0`.
    let settle = args
        .settle
        .map_or(warm_up + Duration::from_secs(2), Duration::from_secs);
    tokio::time::sleep(settle).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let acked: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut subs = tokio::task::JoinSet::new();
    for token in &tokens {
        let mut client =
            pb::monitoring_service_client::MonitoringServiceClient::new(channel.clone());
        let mut req = tonic::Request::new(pb::StreamAlertsRequest { after_sequence: 0 });
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let mut stream = client
            .stream_alerts(req)
            .await
            .expect("subscribe")
            .into_inner();
        let arrived = arrived.clone();
        subs.spawn(async move {
            while let Ok(Some(a)) = stream.message().await {
                arrived
                    .lock()
                    .expect("lock")
                    .insert(a.employee_ref, Instant::now());
            }
        });
    }
    let every = Duration::from_secs_f64(1.0 / args.rate as f64);
    let mut tick = tokio::time::interval(every);
    let t = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..args.changes.min(people.len()) {
        tick.tick().await;
        let (v, reg, acked) = (v.clone(), registrar.clone(), acked.clone());
        let p = people[i].clone();
        writers.spawn(async move {
            let vv = v.clone();
            tokio::task::spawn_blocking(move || {
                let s = vv.create_subject(&reg, &subject_input(&p), "")?;
                vv.add_listing(&reg, &s.subject_id, &barred(), "")
            })
            .await
            .expect("task")
            .expect("write");
            v.store.commit_durable().await.expect("durable");
            acked
                .lock()
                .expect("lock")
                .insert(format!("E{i}"), Instant::now());
        });
    }
    while writers.join_next().await.is_some() {}
    let offered = t.elapsed();
    let want = acked.lock().expect("lock").len();
    let until = Instant::now() + Duration::from_secs(60);
    while arrived.lock().expect("lock").len() < want && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acked = acked.lock().expect("lock").clone();
    let arrived = arrived.lock().expect("lock").clone();
    // Each arrived alert's delay, with when its write was acknowledged.
    let timed: Vec<(Instant, Duration)> = acked
        .iter()
        .filter_map(|(r, a)| {
            arrived
                .get(r)
                .map(|b| (*a, b.saturating_duration_since(*a)))
        })
        .collect();
    let mut delays: Vec<Duration> = timed.iter().map(|&(_, d)| d).collect();
    // The worst delay in each second of the offer: a stall shows where it fell.
    let mut worst = vec![Duration::ZERO; offered.as_secs() as usize + 1];
    for &(a, d) in &timed {
        if let Some(w) = worst.get_mut(a.saturating_duration_since(t).as_secs() as usize) {
            *w = (*w).max(d);
        }
    }
    println!(
        "worst alert delay in each second of the offer: {}",
        worst
            .iter()
            .map(|d| format!("{:.1?}", d))
            .collect::<Vec<_>>()
            .join(", ")
    );
    delays.sort();
    println!(
        "alert delay (acknowledged registry write to the alert arriving at a StreamAlerts subscriber over gRPC): {} changes at {}/s (offered in {:.1?}): median {:.1?}, p99 {:.1?}, max {:.1?}; {} alerts of {} arrived",
        acked.len(),
        args.rate,
        offered,
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or_default(),
        arrived.len(),
        acked.len()
    );
    let _ = server_stop.send(());
    subs.abort_all();
    let _ = server.await;
}
