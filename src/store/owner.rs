//! The one owner of durability: a thread of its own that flushes the store for every writer
//! (group commit), moves journaled audit events into the audit trees in batches, and
//! checkpoints the check journal.
//!
//! A writer commits its transaction (in memory), takes a ticket ([`Shared::request`]) and waits
//! until the published [`Durable`] mark covers it. The owner reads the last ticket handed out,
//! then the data version and the change-log head, syncs the check journal and flushes sled once
//! (blocking `Db::flush`, never `flush_async`: sled #1308 deadlocks its own IO pool under
//! concurrent flushes), and publishes the mark: every write committed before its ticket was
//! taken is on disk, however many writers shared the round.
//!
//! The mark is published on a `tokio::sync::watch` (async waiters, and whoever follows the
//! change log) and under the owner's mutex with a condvar (blocking waiters: import, export,
//! reindex, the demo). A round that fails is published as failed: the waiters of its tickets get
//! an error rather than waiting for ever; the next round tries again.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// How often the check journal is checkpointed: its events moved into the store, the store
/// flushed, the files ended removed.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// How often journaled audit events waiting in memory are moved into the audit trees when no
/// writer asks for a round, and how many waiting make the owner move them at once.
pub const MOVE_EVERY: Duration = Duration::from_millis(100);
pub const MOVE_AT: usize = 1024;

/// What is on disk: every ticket up to `ticket`, the registry up to `data_version`, the change
/// log up to `change_seq`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    pub ticket: u64,
    pub data_version: u64,
    pub change_seq: u64,
    /// Tickets up to this one were in a round that failed (and no later round has covered
    /// them yet).
    pub failed_through: u64,
    /// The owner has stopped: nothing more will become durable.
    pub stopped: bool,
}

impl Durable {
    /// Whether ticket `t` is settled: `Some(true)` durable, `Some(false)` failed or never
    /// going to be, `None` still waiting.
    fn settles(&self, t: u64) -> Option<bool> {
        if self.ticket >= t {
            Some(true)
        } else if self.failed_through >= t || self.stopped {
            Some(false)
        } else {
            None
        }
    }
}

#[derive(Debug, Default)]
struct Requests {
    /// The last ticket handed out.
    requested: u64,
    checkpoints_requested: u64,
    checkpoints_done: u64,
    /// Audit events are waiting to be moved.
    move_wanted: bool,
    stop: bool,
    durable: Durable,
}

/// What writers and the owner share.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<Requests>,
    /// Wakes the owner.
    wake: Condvar,
    /// Wakes blocking waiters when a mark is published.
    published: Condvar,
    watch: watch::Sender<Durable>,
}

/// What a round of the owner did, as the store reports it.
#[derive(Clone, Copy, Debug)]
pub struct RoundResult {
    pub data_version: u64,
    pub change_seq: u64,
}

/// The work the owner does on the store.
pub trait Work: Send + 'static {
    type Error: std::error::Error;
    /// Flushes the store (and syncs the check journal): everything committed before the call
    /// is on disk when it returns.
    fn flush_round(&self) -> Result<RoundResult, Self::Error>;
    /// A checkpoint: ends the journal file, moves its events into the store, flushes, removes
    /// the files ended.
    fn checkpoint_round(&self) -> Result<RoundResult, Self::Error>;
    /// Moves journaled events waiting in memory into the audit trees (no flush).
    fn move_events(&self) -> Result<(), Self::Error>;
}

fn lock(m: &Mutex<Requests>) -> MutexGuard<'_, Requests> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn new(start: Durable) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Requests {
                durable: start,
                ..Requests::default()
            }),
            wake: Condvar::new(),
            published: Condvar::new(),
            watch: watch::Sender::new(start),
        })
    }

    /// A ticket for a round that starts after now: everything the caller committed before
    /// this call will be on disk once the mark covers it.
    pub fn request(&self) -> u64 {
        let mut g = lock(&self.state);
        g.requested += 1;
        let t = g.requested;
        drop(g);
        self.wake.notify_one();
        t
    }

    /// Asks the owner to move the audit events waiting in memory.
    pub fn want_move(&self) {
        let mut g = lock(&self.state);
        if !g.move_wanted {
            g.move_wanted = true;
            drop(g);
            self.wake.notify_one();
        }
    }

    /// The mark last published.
    pub fn durable(&self) -> Durable {
        *self.watch.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<Durable> {
        self.watch.subscribe()
    }

    /// Waits until ticket `t` is durable; false when its round failed or the owner stopped.
    pub async fn wait(&self, t: u64) -> bool {
        let mut rx = self.watch.subscribe();
        match rx.wait_for(|d| d.settles(t).is_some()).await {
            Ok(d) => d.settles(t) == Some(true),
            Err(_) => false,
        }
    }

    /// [`Shared::wait`] for threads that may block.
    pub fn wait_blocking(&self, t: u64) -> bool {
        let mut g = lock(&self.state);
        loop {
            if let Some(ok) = g.durable.settles(t) {
                return ok;
            }
            g = self.published.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Asks for a checkpoint and waits for it (blocking); false when it failed.
    pub fn checkpoint_blocking(&self) -> bool {
        let mut g = lock(&self.state);
        // Asked together: the checkpoint's round covers the ticket.
        g.requested += 1;
        let t = g.requested;
        g.checkpoints_requested += 1;
        let n = g.checkpoints_requested;
        self.wake.notify_one();
        loop {
            if g.checkpoints_done >= n || g.stop || g.durable.stopped {
                return g.durable.settles(t) == Some(true);
            }
            g = self.published.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn publish(&self, g: &mut MutexGuard<'_, Requests>, d: Durable) {
        g.durable = d;
        self.watch.send_replace(d);
        self.published.notify_all();
    }
}

/// The owner's thread; stopped (with a last checkpoint) and joined when dropped.
#[derive(Debug)]
pub struct Owner {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Owner {
    /// Starts the owner's thread on `work`.
    pub fn start<W: Work>(shared: Arc<Shared>, work: W) -> std::io::Result<Self> {
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("vetting-durability".into())
            .spawn(move || run(&s, &work))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        {
            let mut g = lock(&self.shared.state);
            g.stop = true;
        }
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `e` and its sources, `outer: inner: ...`, for the log.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// What the owner does next.
enum Next {
    Flush,
    Checkpoint,
    Move,
    Stop,
}

/// Publishes the owner as stopped when its thread ends however it ends (a panic in sled
/// included), so that no waiter waits for ever on a round that will never come.
struct Stopped<'a>(&'a Shared);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        let mut g = lock(&self.0.state);
        if !g.durable.stopped {
            if std::thread::panicking() {
                tracing::error!(
                    "the store's durability thread failed: nothing more is made durable; stop the server"
                );
            }
            let mut d = g.durable;
            d.stopped = true;
            self.0.publish(&mut g, d);
        }
    }
}

fn run<W: Work>(shared: &Shared, work: &W) {
    let _stopped = Stopped(shared);
    let mut last_checkpoint = Instant::now();
    let mut last_move = Instant::now();
    loop {
        let (next, target, checkpoint_n) = {
            let mut g = lock(&shared.state);
            loop {
                let now = Instant::now();
                if g.stop {
                    break (Next::Stop, g.requested, g.checkpoints_requested);
                }
                if g.checkpoints_requested > g.checkpoints_done
                    || now.duration_since(last_checkpoint) >= CHECKPOINT_EVERY
                {
                    break (Next::Checkpoint, g.requested, g.checkpoints_requested);
                }
                if g.requested > g.durable.ticket.max(g.durable.failed_through) {
                    break (Next::Flush, g.requested, g.checkpoints_requested);
                }
                if g.move_wanted || now.duration_since(last_move) >= MOVE_EVERY {
                    g.move_wanted = false;
                    break (Next::Move, g.requested, g.checkpoints_requested);
                }
                let until = (last_checkpoint + CHECKPOINT_EVERY).min(last_move + MOVE_EVERY);
                let wait = until.saturating_duration_since(now);
                g = shared
                    .wake
                    .wait_timeout(g, wait)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        };
        let result = match next {
            Next::Move => {
                last_move = Instant::now();
                if let Err(e) = work.move_events() {
                    tracing::error!(error = %chain(&e), "moving journaled audit events into the store failed");
                }
                continue;
            }
            Next::Flush => work.flush_round(),
            Next::Checkpoint | Next::Stop => {
                last_checkpoint = Instant::now();
                last_move = last_checkpoint;
                work.checkpoint_round()
            }
        };
        let stop = matches!(next, Next::Stop);
        let mut g = lock(&shared.state);
        let mut d = g.durable;
        match result {
            Ok(r) => {
                d.ticket = d.ticket.max(target);
                d.data_version = d.data_version.max(r.data_version);
                d.change_seq = d.change_seq.max(r.change_seq);
            }
            Err(e) => {
                tracing::error!(error = %chain(&e), "flushing the store failed; the writes waiting for it are answered with an error");
                d.failed_through = d.failed_through.max(target);
            }
        }
        if matches!(next, Next::Checkpoint | Next::Stop) {
            g.checkpoints_done = g.checkpoints_done.max(checkpoint_n);
        }
        d.stopped = stop;
        shared.publish(&mut g, d);
        if stop {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Counts rounds; the "data version" is what writers committed before the round began.
    #[derive(Clone, Default)]
    struct Counting {
        committed: Arc<AtomicU64>,
        rounds: Arc<AtomicU64>,
        fail: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Work for Counting {
        type Error = std::io::Error;
        fn flush_round(&self) -> Result<RoundResult, std::io::Error> {
            let v = self.committed.load(Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            self.rounds.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(std::io::Error::other("disk full"));
            }
            Ok(RoundResult {
                data_version: v,
                change_seq: v,
            })
        }
        fn checkpoint_round(&self) -> Result<RoundResult, std::io::Error> {
            self.flush_round()
        }
        fn move_events(&self) -> Result<(), std::io::Error> {
            Ok(())
        }
    }

    #[test]
    fn concurrent_writers_share_rounds_and_each_sees_its_commit_durable() {
        let work = Counting::default();
        let shared = Shared::new(Durable::default());
        let owner = Owner::start(shared.clone(), work.clone()).unwrap();
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let mine = work.committed.fetch_add(1, Ordering::SeqCst) + 1;
                        let t = shared.request();
                        assert!(shared.wait_blocking(t));
                        assert!(shared.durable().data_version >= mine);
                    }
                });
            }
        });
        let rounds = work.rounds.load(Ordering::SeqCst);
        assert!(rounds < 800, "16 writers x 50 writes took {rounds} rounds");
        drop(owner);
        assert!(shared.durable().stopped);
    }

    #[test]
    fn a_failed_round_answers_its_waiters_and_the_next_round_recovers() {
        let work = Counting::default();
        let shared = Shared::new(Durable::default());
        let _owner = Owner::start(shared.clone(), work.clone()).unwrap();
        work.fail.store(true, Ordering::SeqCst);
        let t = shared.request();
        assert!(!shared.wait_blocking(t));
        work.fail.store(false, Ordering::SeqCst);
        let t = shared.request();
        assert!(shared.wait_blocking(t));
    }

    /// sled 0.34 has asserts of its own: a flush that panics must not leave writers (or a
    /// shutdown's checkpoint) waiting for ever.
    #[test]
    #[allow(clippy::panic)]
    fn an_owner_that_panics_answers_every_waiter_and_the_checkpoint() {
        struct Panics;
        impl Work for Panics {
            type Error = std::io::Error;
            fn flush_round(&self) -> Result<RoundResult, std::io::Error> {
                panic!("an assert inside sled");
            }
            fn checkpoint_round(&self) -> Result<RoundResult, std::io::Error> {
                self.flush_round()
            }
            fn move_events(&self) -> Result<(), std::io::Error> {
                Ok(())
            }
        }
        let shared = Shared::new(Durable::default());
        let _owner = Owner::start(shared.clone(), Panics).unwrap();
        let t = shared.request();
        assert!(!shared.wait_blocking(t));
        assert!(shared.durable().stopped);
        assert!(!shared.checkpoint_blocking());
    }

    #[tokio::test]
    async fn async_waiters_are_woken_and_a_stopped_owner_answers_them() {
        let work = Counting::default();
        let shared = Shared::new(Durable::default());
        let owner = Owner::start(shared.clone(), work).unwrap();
        let t = shared.request();
        assert!(shared.wait(t).await);
        drop(owner);
        // Never covered: the owner stopped.
        let t = {
            let mut g = lock(&shared.state);
            g.requested += 1;
            g.requested
        };
        assert!(!shared.wait(t).await);
        assert!(shared.checkpoint_blocking() || shared.durable().stopped);
    }
}
