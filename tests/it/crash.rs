//! `kill -9` in the middle of writes and checks loses nothing that was acknowledged.
//!
//! Pins issue 10 from the other side: the deadlock of concurrent writes (sled 0.34.7's
//! `flush_async`, sled issue #1308) is to be mended by flushing writes together (group
//! commit), and whatever does the flushing, a write must not be answered before it is on
//! disk, nor a check before its audit event is safe. So the real binary, as a child process,
//! is killed (SIGKILL, no chance to flush on the way out) again and again while registrars
//! and checkers are mid-call; after each restart, through gRPC: every acknowledged subject,
//! listing and investigation is there, retried creates and listings return their first result
//! and make nothing new, every answered check has its audit event, and the chain verifies.
//! Only a call whose answer arrived OK counts as acknowledged; calls cut by the kill fail, as
//! they should, and are not counted.
//!
//! Each life must also go on answering: after its 0.3-1 s of load, every registrar and checker
//! must have one more answer (within the calls' deadline) before the kill, so a server that
//! stalls under concurrent writes fails here with its figures, rather than passing on the
//! little it acknowledged. `VETTING_CRASH_CYCLES` (default 20) sets the number of kills.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use vetting::auth::Role;

use crate::harness::*;

const REGISTRARS: usize = 8;
const CHECKERS: usize = 8;

fn cycles() -> usize {
    std::env::var("VETTING_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

#[test]
fn kill_9_in_the_middle_of_writes_and_checks_loses_nothing_acknowledged() {
    let cycles = cycles();
    let ledger = Arc::new(Ledger::default());
    // Where the test is, for the message of a test that stalls.
    let at: Arc<Mutex<(usize, Option<Arc<Load>>)>> = Arc::default();
    let progress = at.clone();
    bounded(
        Duration::from_secs(60 + 10 * u64::try_from(cycles).unwrap()),
        move || {
            let at = progress.lock().unwrap();
            let load = at.1.as_ref().map(|l| l.tally.to_string());
            format!("in life {}: {}", at.0, load.unwrap_or_default())
        },
        async move {
            let root = tempfile::tempdir().unwrap();
            let data = root.path().join("data");
            let registrar_key = key_in(&data, Role::Registrar, REGISTRAR_ORG);
            let checker_key = key_in(&data, Role::Checker, CHECKER_ORG);
            let auditor_key = key_in(&data, Role::Auditor, AUDITOR_ORG);
            let workers_named: Vec<String> = (0..REGISTRARS)
                .map(|w| format!("registrar {w}"))
                .chain((0..CHECKERS).map(|w| format!("checker {w}")))
                .collect();
            let mut dice = Dice::new(42);
            let started = Instant::now();
            let mut lives = Vec::new();
            for cycle in 0..cycles {
                at.lock().unwrap().0 = cycle;
                let mut server =
                    tokio::task::block_in_place(|| ChildServer::start(&data, root.path()));
                let channel = server.channel().await;
                // What the lives before acknowledged is all here.
                if cycle > 0 {
                    assert_nothing_acknowledged_lost(
                        &channel,
                        &registrar_key.token,
                        &auditor_key.token,
                        &ledger,
                        3,
                    )
                    .await;
                }

                let load = Load::new(ledger.clone());
                at.lock().unwrap().1 = Some(load.clone());
                let mut workers = JoinSet::new();
                for w in 0..REGISTRARS {
                    workers.spawn(registrar(
                        load.clone(),
                        server.channel().await,
                        registrar_key.token.clone(),
                        format!("life{cycle}"),
                        w,
                        None,
                    ));
                }
                for w in 0..CHECKERS {
                    workers.spawn(checker(
                        load.clone(),
                        server.channel().await,
                        checker_key.token.clone(),
                        w,
                    ));
                }
                // A little load, then every worker answered once more (a server that stalled
                // anywhere in the window fails here), then at once the kill.
                let load_began = Instant::now();
                let more = 300 + dice.below(700);
                tokio::time::sleep(Duration::from_millis(more as u64)).await;
                let then = load.answered_so_far();
                let waited = Instant::now();
                loop {
                    let silent = load.silent_since(&workers_named, &then);
                    if silent.is_empty() {
                        break;
                    }
                    assert!(
                        waited.elapsed() < CALL_DEADLINE + Duration::from_secs(3)
                            && load.tally.failures().is_empty(),
                        "life {cycle}: stalled, {silent:?} had no answer in the {:?} after \
                         {more} ms of load: {}. Log's end:\n{}",
                        waited.elapsed(),
                        load.tally,
                        server.log_tail(10)
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }

                // SIGKILL with calls in flight: from here a failed call is expected.
                load.cut.store(true, Ordering::SeqCst);
                server.child.kill().unwrap();
                let status = tokio::task::block_in_place(|| server.child.wait().unwrap());
                assert!(!status.success(), "killed, not exited: {status}");
                load.stop.store(true, Ordering::Relaxed);
                let joined = tokio::time::timeout(CALL_DEADLINE * 2, async {
                    while let Some(r) = workers.join_next().await {
                        r.unwrap();
                    }
                })
                .await;
                assert!(joined.is_ok(), "life {cycle}: workers still running");
                assert!(
                    load.tally.failures().is_empty(),
                    "life {cycle}: calls failed before the kill: {}. Log's end:\n{}",
                    load.tally,
                    server.log_tail(10)
                );
                lives.push((
                    load_began.elapsed(),
                    load.tally.writes(),
                    load.tally.checks(),
                ));
                drop(server);
            }

            at.lock().unwrap().0 = cycles;
            let server = tokio::task::block_in_place(|| ChildServer::start(&data, root.path()));
            let channel = server.channel().await;
            let subjects = assert_nothing_acknowledged_lost(
                &channel,
                &registrar_key.token,
                &auditor_key.token,
                &ledger,
                20,
            )
            .await;
            let acked = ledger.subjects.lock().unwrap().len();
            let checks = ledger.check_ids.lock().unwrap().len();
            eprintln!(
                "{cycles} kills in {:?}: {acked} acknowledged creates ({subjects} subjects on \
                 the server, the rest cut by a kill after their commit), {checks} answered \
                 checks; per life (load time, writes, checks): {lives:?}",
                started.elapsed()
            );
        },
    );
}
