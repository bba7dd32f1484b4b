//! Under load, every call gets an answer, and SIGTERM still stops the server.
//!
//! Pins issue 10: with eight or more registrars writing at once, the server stopped answering
//! altogether. Every registry write awaited sled 0.34.7's `flush_async` before its answer,
//! and concurrent `flush_async` calls lose their wake-up (sled issue #1308), so the writes
//! that were waiting, and the checks that waited behind them, never answered; SIGTERM then
//! hung the shutdown too. These tests are written from what a client sees through gRPC:
//! every call carries a deadline ([`CALL_DEADLINE`]) and every test a bound, so a stall fails
//! with the figures of how far the load got, rather than hanging the suite.
//!
//! `VETTING_LOAD_SECS` (default 5) sets how long the mixed load runs.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use vetting::auth::Role;
use vetting::pb;
use vetting::pb::check_service_client::CheckServiceClient;

use crate::harness::*;

/// How long the mixed load runs: `VETTING_LOAD_SECS`, 5 s by default.
fn load_secs() -> u64 {
    std::env::var("VETTING_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

/// Waits for every worker, at most `limit` (each call has its deadline, so they end within
/// it even if the server never answers); returns what each had answered.
async fn join_all(workers: &mut JoinSet<usize>, limit: Duration, tally: &Tally) -> Vec<usize> {
    let mut answered = Vec::new();
    let joined = tokio::time::timeout(limit, async {
        while let Some(r) = workers.join_next().await {
            answered.push(r.unwrap());
        }
    })
    .await;
    assert!(
        joined.is_ok(),
        "{} workers still running {limit:?} after the load ended: {tally}",
        workers.len()
    );
    answered
}

const REGISTRARS_ALONE: usize = 16;
const PEOPLE_EACH: usize = 40;

#[test]
fn sixteen_concurrent_registrars_all_get_answers() {
    let ledger = Arc::new(Ledger::default());
    let load = Load::new(ledger.clone());
    let progress = load.clone();
    bounded(
        Duration::from_secs(120),
        move || progress.tally.to_string(),
        async move {
            let s = IsolatedServer::start().await;
            let started = Instant::now();
            let mut workers = JoinSet::new();
            for w in 0..REGISTRARS_ALONE {
                let channel = connect(s.addr).await;
                workers.spawn(registrar(
                    load.clone(),
                    channel,
                    s.keys.registrar.token.clone(),
                    "sixteen".into(),
                    w,
                    Some(PEOPLE_EACH),
                ));
            }
            join_all(&mut workers, CALL_DEADLINE * 3, &load.tally).await;
            let took = started.elapsed();
            let failures = load.tally.failures();
            assert!(
                failures.is_empty(),
                "{REGISTRARS_ALONE} registrars creating {PEOPLE_EACH} people each: not every \
                 call was answered OK ({took:?}): {}",
                load.tally
            );
            eprintln!("{REGISTRARS_ALONE} registrars: {} in {took:?}", load.tally);

            let channel = connect(s.addr).await;
            let subjects = all_subjects(&channel, &s.keys.registrar.token).await;
            assert_eq!(subjects.len(), REGISTRARS_ALONE * PEOPLE_EACH);
            assert!(
                subjects.iter().all(|x| x.status() == pb::Status::Barred),
                "every person has an acknowledged barred listing"
            );
            let opened = subjects
                .iter()
                .filter(|x| !x.investigations.is_empty())
                .count();
            assert_eq!(opened, REGISTRARS_ALONE * PEOPLE_EACH / 4);
            // Everything: subjects, listings, investigations, retries, the chain.
            assert_nothing_acknowledged_lost(
                &channel,
                &s.keys.registrar.token,
                &s.keys.auditor.token,
                &ledger,
                10,
            )
            .await;
            let v = verify_audit(&channel, &s.keys.auditor.token).await;
            let writes = REGISTRARS_ALONE * PEOPLE_EACH * 2 + opened;
            assert!(v.intact, "{v:?}");
            assert!(
                v.events_checked >= u64::try_from(writes).unwrap(),
                "{} events for {writes} writes",
                v.events_checked
            );
            s.stop().await;
        },
    );
}

const REGISTRARS: usize = 32;
const CHECKERS: usize = 32;

#[test]
fn registrars_and_checkers_together_all_get_answers_and_the_chain_verifies() {
    let secs = load_secs();
    let ledger = Arc::new(Ledger::default());
    let load = Load::new(ledger.clone());
    let progress = load.clone();
    bounded(
        Duration::from_secs(secs + 90),
        move || progress.tally.to_string(),
        async move {
            let s = IsolatedServer::start().await;
            let mut workers = JoinSet::new();
            for w in 0..REGISTRARS {
                let channel = connect(s.addr).await;
                workers.spawn(registrar(
                    load.clone(),
                    channel,
                    s.keys.registrar.token.clone(),
                    "mixed".into(),
                    w,
                    None,
                ));
            }
            for w in 0..CHECKERS {
                let channel = connect(s.addr).await;
                workers.spawn(checker(
                    load.clone(),
                    channel,
                    s.keys.checker.token.clone(),
                    w,
                ));
            }
            tokio::time::sleep(Duration::from_secs(secs)).await;
            load.stop.store(true, Ordering::Relaxed);
            let answered = join_all(&mut workers, CALL_DEADLINE * 2, &load.tally).await;
            assert!(
                load.tally.failures().is_empty(),
                "{REGISTRARS} registrars and {CHECKERS} checkers for {secs} s: not every call \
                 was answered OK: {}",
                load.tally
            );
            assert!(
                answered.iter().all(|&n| n > 0),
                "a worker had no answer in {secs} s: {answered:?}; {}",
                load.tally
            );
            eprintln!(
                "{REGISTRARS} registrars and {CHECKERS} checkers for {secs} s: {}",
                load.tally
            );
            let on_server = assert_nothing_acknowledged_lost(
                &connect(s.addr).await,
                &s.keys.registrar.token,
                &s.keys.auditor.token,
                &ledger,
                20,
            )
            .await;
            // Nothing was cut: every create that was made was answered.
            assert_eq!(on_server, ledger.subjects.lock().unwrap().len());
            s.stop().await;
        },
    );
}

/// SIGTERM mid-load, with `hold_batch` a CheckBatch stream held open (one answered request,
/// then a client that never ends it): the child exits 0 within its grace period (3 s) and a
/// few seconds, and what it acknowledged is there after a restart.
fn sigterm_under_load(hold_batch: bool) {
    // What ChildServer gives `--shutdown-grace-secs`.
    const GRACE_SECS: u64 = 3;
    // Of each kind: enough that the old write path deadlocked within the load, most times.
    const LOAD_WORKERS: usize = 16;
    let ledger = Arc::new(Ledger::default());
    let load = Load::new(ledger.clone());
    let progress = load.clone();
    bounded(
        Duration::from_secs(90),
        move || progress.tally.to_string(),
        async move {
            let root = tempfile::tempdir().unwrap();
            let data = root.path().join("data");
            let registrar_key = key_in(&data, Role::Registrar, REGISTRAR_ORG);
            let checker_key = key_in(&data, Role::Checker, CHECKER_ORG);
            let auditor_key = key_in(&data, Role::Auditor, AUDITOR_ORG);
            let mut server = tokio::task::block_in_place(|| ChildServer::start(&data, root.path()));

            // Opened before the load; its sender is kept (never dropped, never ended) until the
            // child is gone.
            let mut held = None;
            if hold_batch {
                let (tx, rx) = tokio::sync::mpsc::channel(4);
                tx.send(stranger(7)).await.unwrap();
                let mut answers = answer(
                    CheckServiceClient::new(server.channel().await).check_batch(authed_within(
                        &checker_key.token,
                        tokio_stream::wrappers::ReceiverStream::new(rx),
                    )),
                )
                .await
                .unwrap();
                let first = tokio::time::timeout(CALL_DEADLINE, answers.message())
                    .await
                    .unwrap_or_else(|_| {
                        panic!("the batch's first answer did not come in: {}", load.tally)
                    })
                    .unwrap()
                    .unwrap();
                assert_eq!(first.client_ref, "stranger-7");
                ledger.check_ids.lock().unwrap().push(first.check_id);
                held = Some((tx, answers));
            }
            let mut workers = JoinSet::new();
            for w in 0..LOAD_WORKERS {
                workers.spawn(registrar(
                    load.clone(),
                    server.channel().await,
                    registrar_key.token.clone(),
                    "sigterm".into(),
                    w,
                    None,
                ));
                workers.spawn(checker(
                    load.clone(),
                    server.channel().await,
                    checker_key.token.clone(),
                    w,
                ));
            }
            tokio::time::sleep(Duration::from_millis(2000)).await;
            let before = load.tally.to_string();

            // The load goes on through the drain: calls failing from now on are expected.
            load.cut.store(true, Ordering::SeqCst);
            let pid = server.child.id().to_string();
            let kill = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap();
            assert!(kill.success());
            let sent = Instant::now();
            let limit = Duration::from_secs(GRACE_SECS + 5);
            let Some(status) = server.exit_within(limit).await else {
                panic!(
                    "SIGTERM mid-load{}: still running {limit:?} later (grace {GRACE_SECS} s), \
                     killed. Load at the signal: {before}. Log's end:\n{}",
                    if hold_batch {
                        ", a CheckBatch held open"
                    } else {
                        ""
                    },
                    server.log_tail(15)
                );
            };
            let took = sent.elapsed();
            assert_eq!(
                status.code(),
                Some(0),
                "exit after SIGTERM, {took:?} after the signal; log's end:\n{}",
                server.log_tail(15)
            );
            eprintln!("SIGTERM mid-load: exited 0 in {took:?}; load at the signal: {before}");
            load.stop.store(true, Ordering::Relaxed);
            drop(held);
            join_all(&mut workers, CALL_DEADLINE * 2, &load.tally).await;
            assert!(
                load.tally.failures().is_empty(),
                "calls failed before the signal: {}",
                load.tally
            );
            assert!(
                load.tally.writes() > 0 && load.tally.checks() > 0,
                "nothing answered in 2 s of load: {}",
                load.tally
            );
            drop(server);

            // A graceful stop loses nothing acknowledged either.
            let server = tokio::task::block_in_place(|| ChildServer::start(&data, root.path()));
            let channel = server.channel().await;
            assert_nothing_acknowledged_lost(
                &channel,
                &registrar_key.token,
                &auditor_key.token,
                &ledger,
                10,
            )
            .await;
        },
    );
}

#[test]
fn sigterm_under_load_exits_zero_within_the_grace_period() {
    sigterm_under_load(false);
}

#[test]
fn sigterm_with_a_check_batch_held_open_still_exits_zero_within_the_grace_period() {
    sigterm_under_load(true);
}
