//! gRPC load generator: in one process on one machine, drives real tonic clients over loopback
//! TCP against three targets, one after another, and prints one table.
//!
//! ```sh
//! cargo run --release --example load -- --duration-secs 10
//! cargo run --release --example load -- --phase check --in-flight 128
//! ```
//!
//! 1. `ceiling`: a tonic server on 127.0.0.1:0 whose `CheckService.Check` returns an empty
//!    `CheckResponse` at once (the project's own generated service: same method path, same
//!    request messages and framing, the same TCP_NODELAY listener as the real server; no auth,
//!    no limits layers, no store). It is what tonic, HTTP/2 and this client cost on this machine.
//! 2. `check`: the real server (`vetting::server::serve` on 127.0.0.1:0 over a temp data dir, keys
//!    created through `vetting::auth::KeyFile`, as `tests/it/eval.rs` starts it), holding the
//!    evaluation set's 5,000 people (`tests/data/identity-extra/registry.jsonl`, recorded with
//!    `vetting::transfer::BulkImport` before serving; not measured), driven with that set's
//!    checks (`queries.jsonl`, cycled). Both check-shaped phases use the same client shape:
//!    `--in-flight` callers (64) spread round-robin over `--connections` tonic Channels (4), each
//!    caller sending its next call as soon as the last one answered.
//! 3. `write`: `--writers` concurrent registrars (16), each on its own connection unless
//!    `--writer-connections` says otherwise, each looping CreateSubject, then AddListing
//!    (BARRED_LIST), and every fourth time OpenInvestigation, all with unique request_ids, against
//!    the same server after the check phase. It runs last because it is the phase known to hang
//!    (sled's `flush_async`, spacejam/sled#1308).
//!
//! Every call carries a deadline (`grpc-timeout`, `--deadline-ms`, default 10 s), and the client
//! also gives up on its own 1 s after it (a wedged server cannot hang a caller). Each phase has a
//! warm-up (`--warmup-secs`, 1) that is not counted, then a window of `--duration-secs` (10):
//! the calls *started* in the window are counted; callers start no call after it, and the calls
//! still in flight are waited for until they answer or pass their deadline, so a hung server
//! shows in the `deadline` column instead of vanishing. `ok/s` is the calls answered OK divided
//! by the window; the latency percentiles are of those OK calls. `deadline` counts calls that
//! ended for their deadline: DEADLINE_EXCEEDED from the server, CANCELLED "Timeout expired" (how
//! tonic reports a `grpc-timeout` it enforced itself, on either side), or no answer at all by the
//! deadline plus 1 s (`no answer` in the errors column). `errors by code` lists every failed call;
//! the notes give each code's first message. tonic's deadline bounds the wait for the response's
//! headers, not the reading of its body, so on a busy machine an OK call can take a little longer
//! than its deadline.
//!
//! Clients and servers share the machine's cores (the client and the servers run on separate
//! tokio runtimes, so a stuck server cannot stall the client's timers). No log subscriber is
//! installed, so the server's per-call log lines cost nothing here; the `vetting` binary writes
//! them. At the end the process exits with `std::process::exit`: after a hung write phase, the
//! server's blocking tasks (a store flush or checkpoint waiting on sled) never finish, and
//! dropping a tokio runtime waits for its blocking tasks, so a normal return could hang forever.

// A measuring tool, not library code: failing loudly on a broken setup is what it should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde::Deserialize;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};
use vetting::api::convert;
use vetting::auth::{KeyFile, Keys, Principal, Role};
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::pb::check_service_client::CheckServiceClient;
use vetting::pb::check_service_server::{CheckService, CheckServiceServer};
use vetting::pb::registry_service_client::RegistryServiceClient;
use vetting::server::{self, Limits, ServeError};
use vetting::service::Vetting;
use vetting::store::{Store, StoreOptions};
use vetting::transfer::{BulkImport, IMPORT_BATCH};
use vetting_synth::{Generator, SyntheticPerson};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Phase {
    All,
    Ceiling,
    Check,
    Write,
}

#[derive(Debug, Parser)]
struct Args {
    /// Seconds each phase is measured for, after its warm-up.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Seconds of load before each phase's window, not counted.
    #[arg(long, default_value_t = 1)]
    warmup_secs: u64,
    /// Check calls in flight at once (ceiling and check phases).
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Connections (tonic Channels) the check callers are spread over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Concurrent registrars in the write phase.
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// Connections the writers are spread over (default: one per writer).
    #[arg(long)]
    writer_connections: Option<usize>,
    /// Which phases to run (`all` runs ceiling, check, write, in that order).
    #[arg(long, value_enum, default_value_t = Phase::All)]
    phase: Phase,
    /// Every call's deadline (grpc-timeout), in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    deadline_ms: u64,
    /// The evaluation set: a directory with registry.jsonl and queries.jsonl.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/identity-extra"))]
    set: PathBuf,
}

/// How long after its deadline the client stops waiting for a call by itself.
const GIVE_UP_AFTER: Duration = Duration::from_secs(1);

// ---- the evaluation set ----

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
    given_names: String,
    family_name: String,
    dob: Option<String>,
    previous_names: Vec<Name>,
    ni: Option<String>,
}

fn lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

fn pb_name(given: &str, family: &str) -> pb::PersonName {
    pb::PersonName {
        given_names: given.to_owned(),
        family_name: family.to_owned(),
    }
}

fn pb_date(s: &str) -> pb::Date {
    let mut p = s
        .split('-')
        .map(|x| x.parse::<i32>().expect("a yyyy-mm-dd date"));
    let mut next = || p.next().expect("a yyyy-mm-dd date");
    pb::Date {
        year: next(),
        month: next(),
        day: next(),
    }
}

fn pb_ni(ni: &str) -> pb::Identifier {
    pb::Identifier {
        scheme: pb::IdentifierScheme::NationalInsuranceNumber.into(),
        value: ni.to_owned(),
        issuer: String::new(),
    }
}

/// A registry row as the subject an import records, with its listing or investigation (as
/// `tests/it/eval.rs` records the set, through one bulk import instead of calls).
fn row_subject(r: &Row) -> pb::Subject {
    let mut s = pb::Subject {
        name: Some(pb_name(&r.given_names, &r.family_name)),
        other_names: r
            .previous_names
            .iter()
            .map(|n| pb_name(&n.given_names, &n.family_name))
            .collect(),
        date_of_birth: Some(pb_date(&r.dob)),
        identifiers: r.ni.iter().map(|n| pb_ni(n)).collect(),
        ..Default::default()
    };
    let listing = |list: pb::ListKind| pb::Listing {
        list: list.into(),
        organisation: "Evaluation Constabulary".into(),
        role: pb::Role::PoliceOfficer.into(),
        decision_date: Some(pb_date("2024-01-01")),
        ..Default::default()
    };
    match r.list.as_str() {
        "BARRED" => s.listings.push(listing(pb::ListKind::BarredList)),
        "ADVISORY" => s.listings.push(listing(pb::ListKind::AdvisoryList)),
        "INVESTIGATION" => s.investigations.push(pb::Investigation {
            organisation: "Evaluation Constabulary".into(),
            opened_on: Some(pb_date("2025-01-01")),
            ..Default::default()
        }),
        other => panic!("row {}: unknown list {other}", r.key),
    }
    s
}

fn check_request(q: &Query) -> pb::CheckRequest {
    pb::CheckRequest {
        name: Some(pb_name(&q.given_names, &q.family_name)),
        other_names: q
            .previous_names
            .iter()
            .map(|n| pb_name(&n.given_names, &n.family_name))
            .collect(),
        date_of_birth: q.dob.as_deref().map(pb_date),
        identifiers: q.ni.iter().map(|n| pb_ni(n)).collect(),
        purpose: pb::Purpose::Recruitment.into(),
        client_ref: q.qid.clone(),
    }
}

// ---- tallies ----

/// One phase's (or one method's) counted calls.
#[derive(Debug, Default)]
struct Tally {
    /// Latencies of the calls answered OK, in microseconds.
    ok_us: Vec<u32>,
    /// Failed calls by gRPC code (as i32: `Code` is not `Ord`).
    errors: BTreeMap<i32, u64>,
    /// The first message seen for each code (and whether it was a deadline), for the notes.
    messages: BTreeMap<(i32, bool), String>,
    /// Calls with no answer by their deadline plus [`GIVE_UP_AFTER`].
    no_answer: u64,
    /// Calls that ended for their deadline (see the doc comment at the top).
    deadline: u64,
    /// Check answers whose outcome was not CLEAR.
    flagged: u64,
}

impl Tally {
    fn record<T>(&mut self, took: Duration, r: &Result<T, Option<Status>>) {
        match r {
            Ok(_) => self
                .ok_us
                .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
            Err(Some(s)) => {
                *self.errors.entry(s.code() as i32).or_default() += 1;
                let deadline = s.code() == Code::DeadlineExceeded
                    || (s.code() == Code::Cancelled && s.message().contains("Timeout expired"));
                self.deadline += u64::from(deadline);
                self.messages
                    .entry((s.code() as i32, deadline))
                    .or_insert_with(|| s.message().to_owned());
            }
            Err(None) => {
                self.no_answer += 1;
                self.deadline += 1;
            }
        }
    }

    fn merge(&mut self, other: Self) {
        self.ok_us.extend(other.ok_us);
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        for (k, m) in other.messages {
            self.messages.entry(k).or_insert(m);
        }
        self.no_answer += other.no_answer;
        self.deadline += other.deadline;
        self.flagged += other.flagged;
    }

    fn calls(&self) -> u64 {
        self.ok_us.len() as u64 + self.errors.values().sum::<u64>() + self.no_answer
    }
}

/// The span whose calls are counted: those started at or after `from` and before `to`.
#[derive(Clone, Copy, Debug)]
struct Window {
    from: Instant,
    to: Instant,
}

impl Window {
    fn after_warmup(args: &Args) -> Self {
        let from = Instant::now() + Duration::from_secs(args.warmup_secs);
        Self {
            from,
            to: from + Duration::from_secs(args.duration_secs),
        }
    }

    fn counts(&self, started: Instant) -> bool {
        started >= self.from && started < self.to
    }

    fn secs(&self) -> f64 {
        (self.to - self.from).as_secs_f64()
    }
}

/// Awaits a call, for at most its deadline plus [`GIVE_UP_AFTER`]; `Err(None)` if it gave up.
async fn timed<T>(
    deadline: Duration,
    call: impl Future<Output = Result<Response<T>, Status>>,
) -> (Duration, Result<T, Option<Status>>) {
    let started = Instant::now();
    let r = match tokio::time::timeout(deadline + GIVE_UP_AFTER, call).await {
        Ok(Ok(r)) => Ok(r.into_inner()),
        Ok(Err(s)) => Err(Some(s)),
        Err(_) => Err(None),
    };
    (started.elapsed(), r)
}

fn request<T>(bearer: &MetadataValue<Ascii>, deadline: Duration, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert("authorization", bearer.clone());
    r.set_timeout(deadline);
    r
}

fn bearer(token: &str) -> MetadataValue<Ascii> {
    format!("Bearer {token}").parse().expect("a token is ASCII")
}

async fn connect(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("an address is a URI")
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"))
}

/// Waits for the callers to return, until `limit`; aborts those still running then (they cannot
/// be, unless the client runtime itself is stuck: every call gives up by itself). Returns the
/// callers' results and how many were aborted.
async fn join_until<T>(handles: Vec<JoinHandle<T>>, limit: Instant) -> (Vec<T>, usize) {
    let (mut done, mut aborted) = (Vec::new(), 0);
    for mut h in handles {
        match tokio::time::timeout_at(limit.into(), &mut h).await {
            Ok(Ok(t)) => done.push(t),
            Ok(Err(e)) => panic!("a caller failed: {e}"),
            Err(_) => {
                h.abort();
                aborted += 1;
            }
        }
    }
    (done, aborted)
}

/// How a phase ended.
#[derive(Debug)]
struct Ending {
    /// From the window's end until the last caller returned (or was aborted).
    drained: Duration,
    aborted: usize,
}

// ---- the check-shaped phases ----

/// One check caller: sends the next query as soon as the last one answered, until the window ends.
async fn check_caller(
    mut client: CheckServiceClient<Channel>,
    bearer: MetadataValue<Ascii>,
    queries: Arc<Vec<pb::CheckRequest>>,
    next: Arc<AtomicUsize>,
    window: Window,
    deadline: Duration,
) -> Tally {
    let mut t = Tally::default();
    loop {
        let started = Instant::now();
        if started >= window.to {
            return t;
        }
        let i = next.fetch_add(1, Ordering::Relaxed) % queries.len();
        let req = request(&bearer, deadline, queries[i].clone());
        let (took, r) = timed(deadline, client.check(req)).await;
        if window.counts(started) {
            if let Ok(a) = &r {
                t.flagged += u64::from(a.outcome != pb::Outcome::Clear as i32);
            }
            t.record(took, &r);
        }
    }
}

async fn drive_checks(
    addr: SocketAddr,
    token: &str,
    queries: Arc<Vec<pb::CheckRequest>>,
    args: &Args,
) -> (Tally, Window, Ending) {
    let deadline = Duration::from_millis(args.deadline_ms);
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        channels.push(connect(addr).await);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let window = Window::after_warmup(args);
    let handles = (0..args.in_flight.max(1))
        .map(|i| {
            let client = CheckServiceClient::new(channels[i % channels.len()].clone());
            tokio::spawn(check_caller(
                client,
                bearer(token),
                queries.clone(),
                next.clone(),
                window,
                deadline,
            ))
        })
        .collect();
    let (tallies, aborted) = join_until(handles, window.to + deadline + 2 * GIVE_UP_AFTER).await;
    let drained = Instant::now().saturating_duration_since(window.to);
    let mut total = Tally::default();
    for t in tallies {
        total.merge(t);
    }
    (total, window, Ending { drained, aborted })
}

/// The ceiling: `Check` answered at once with an empty response.
#[derive(Debug)]
struct EmptyCheck;

#[tonic::async_trait]
impl CheckService for EmptyCheck {
    async fn check(
        &self,
        _request: Request<pb::CheckRequest>,
    ) -> Result<Response<pb::CheckResponse>, Status> {
        Ok(Response::new(pb::CheckResponse::default()))
    }

    type CheckBatchStream = tokio_stream::Empty<Result<pb::CheckResponse, Status>>;

    async fn check_batch(
        &self,
        _request: Request<tonic::Streaming<pb::CheckRequest>>,
    ) -> Result<Response<Self::CheckBatchStream>, Status> {
        Err(Status::unimplemented("the ceiling serves Check only"))
    }
}

/// Starts the ceiling server on `rt`; never stopped (idle once its phase is over).
fn start_ceiling(rt: &Runtime) -> SocketAddr {
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        tokio::spawn(
            Server::builder()
                .add_service(CheckServiceServer::new(EmptyCheck))
                .serve_with_incoming(incoming),
        );
        addr
    })
}

// ---- the real server ----

#[derive(Debug)]
struct Vettingd {
    addr: SocketAddr,
    checker: String,
    registrar: String,
    people: usize,
    loaded_in: Duration,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
    /// Kept until the end, then removed.
    dir: tempfile::TempDir,
}

/// Records the set's registry into a fresh store, then serves it on `rt` as the tests do.
fn start_vetting(rt: &Runtime, set: &Path) -> Vettingd {
    let rows: Vec<Row> = lines(&set.join("registry.jsonl"));
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store"), StoreOptions::default()).expect("store");
    let v = Vetting::new(store, Clock::System);
    let loader = Principal {
        key_id: "load-loader".into(),
        organisation: "Load generator".into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let started = Instant::now();
    let subjects: Vec<pb::Subject> = rows.iter().map(row_subject).collect();
    let mut import = BulkImport::new(&v, &loader);
    for batch in subjects.chunks(IMPORT_BATCH) {
        import.add(batch).expect("import the registry");
    }
    import.finish().expect("finish the import");
    let loaded_in = started.elapsed();
    let people = v.store.subject_count();

    let file = KeyFile::in_dir(dir.path());
    let (_, checker) = file
        .create(Role::Checker, "Kent Police", &Clock::System)
        .expect("checker key");
    let (_, registrar) = file
        .create(Role::Registrar, "College of Policing", &Clock::System)
        .expect("registrar key");
    let limits = Limits {
        shutdown_grace: Duration::from_secs(2),
        shutdown_notice: Duration::ZERO,
        ..Limits::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, task) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(server::serve(
            v,
            Arc::new(Keys::new(file)),
            listener,
            limits,
            async {
                let _ = rx.await;
            },
        ));
        (addr, task)
    });
    Vettingd {
        addr,
        checker,
        registrar,
        people,
        loaded_in,
        stop: Some(tx),
        task,
        dir,
    }
}

// ---- the write phase ----

fn person_subject(p: &SyntheticPerson) -> pb::Subject {
    pb::Subject {
        name: Some(convert::name_out(&p.name)),
        other_names: p.other_names.iter().map(convert::name_out).collect(),
        date_of_birth: convert::date_out(Some(p.date_of_birth)),
        identifiers: p.identifiers.iter().map(convert::identifier_out).collect(),
        ..Default::default()
    }
}

fn decision_date(p: &SyntheticPerson) -> Option<pb::Date> {
    let d = p.decision_date;
    Some(pb::Date {
        year: d.year,
        month: i32::from(d.month),
        day: i32::from(d.day),
    })
}

/// One writer's tallies: CreateSubject, AddListing, OpenInvestigation.
#[derive(Debug, Default)]
struct Writes {
    create: Tally,
    listing: Tally,
    investigation: Tally,
}

/// One registrar: CreateSubject, AddListing (barred), every fourth time OpenInvestigation, each
/// with a unique request_id, until the window ends.
async fn writer(
    mut client: RegistryServiceClient<Channel>,
    bearer: MetadataValue<Ascii>,
    id: usize,
    run: u64,
    window: Window,
    deadline: Duration,
) -> Writes {
    let mut w = Writes::default();
    let mut people = Generator::new(run.wrapping_add(id as u64));
    for n in 1u64.. {
        let p = people.listed_person();
        let rid = |what: &str| format!("load-{run:016x}-{id}-{n}-{what}");

        let started = Instant::now();
        if started >= window.to {
            break;
        }
        let req = pb::CreateSubjectRequest {
            subject: Some(person_subject(&p)),
            request_id: rid("create"),
        };
        let (took, r) = timed(
            deadline,
            client.create_subject(request(&bearer, deadline, req)),
        )
        .await;
        if window.counts(started) {
            w.create.record(took, &r);
        }
        let Ok(subject) = r else { continue };

        let started = Instant::now();
        if started >= window.to {
            break;
        }
        let req = pb::AddListingRequest {
            subject_id: subject.subject_id.clone(),
            listing: Some(pb::Listing {
                list: pb::ListKind::BarredList.into(),
                organisation: p.organisation.clone(),
                role: pb::Role::PoliceOfficer.into(),
                rank: p.rank.clone(),
                decision_date: decision_date(&p),
                standards_breached: p.standards_breached.clone(),
                reason: p.reason.clone(),
                published: p.published,
                ..Default::default()
            }),
            request_id: rid("listing"),
        };
        let (took, r) = timed(
            deadline,
            client.add_listing(request(&bearer, deadline, req)),
        )
        .await;
        if window.counts(started) {
            w.listing.record(took, &r);
        }

        if n % 4 != 0 {
            continue;
        }
        let started = Instant::now();
        if started >= window.to {
            break;
        }
        let req = pb::OpenInvestigationRequest {
            subject_id: subject.subject_id,
            investigation: Some(pb::Investigation {
                organisation: p.organisation.clone(),
                reference: format!("LOAD/{id}/{n}"),
                allegation_summary: "load generator: alleged misuse of police systems".into(),
                opened_on: decision_date(&p),
                role: pb::Role::PoliceOfficer.into(),
                ..Default::default()
            }),
            request_id: rid("investigation"),
        };
        let (took, r) = timed(
            deadline,
            client.open_investigation(request(&bearer, deadline, req)),
        )
        .await;
        if window.counts(started) {
            w.investigation.record(took, &r);
        }
    }
    w
}

async fn drive_writes(addr: SocketAddr, token: &str, args: &Args) -> (Writes, Window, Ending) {
    let deadline = Duration::from_millis(args.deadline_ms);
    let writers = args.writers.max(1);
    let mut channels = Vec::new();
    for _ in 0..args.writer_connections.unwrap_or(writers).max(1) {
        channels.push(connect(addr).await);
    }
    let run: u64 = rand::random();
    let window = Window::after_warmup(args);
    let handles = (0..writers)
        .map(|i| {
            let client = RegistryServiceClient::new(channels[i % channels.len()].clone());
            tokio::spawn(writer(client, bearer(token), i, run, window, deadline))
        })
        .collect();
    let (done, aborted) = join_until(handles, window.to + deadline + 2 * GIVE_UP_AFTER).await;
    let drained = Instant::now().saturating_duration_since(window.to);
    let mut total = Writes::default();
    for w in done {
        total.create.merge(w.create);
        total.listing.merge(w.listing);
        total.investigation.merge(w.investigation);
    }
    (total, window, Ending { drained, aborted })
}

// ---- the table ----

fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn micros(us: Option<u32>) -> String {
    match us {
        None => "-".into(),
        Some(us) if us < 1_000 => format!("{us}us"),
        Some(us) if us < 1_000_000 => format!("{:.2}ms", f64::from(us) / 1e3),
        Some(us) => format!("{:.2}s", f64::from(us) / 1e6),
    }
}

fn errors(t: &Tally) -> String {
    let mut parts: Vec<String> = t
        .errors
        .iter()
        .map(|(&code, n)| format!("{:?}:{n}", Code::from_i32(code)))
        .collect();
    if t.no_answer > 0 {
        parts.push(format!("no answer:{}", t.no_answer));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" ")
    }
}

/// A row of the table, its OK rate.
fn row(name: &str, t: &mut Tally, secs: f64) -> f64 {
    t.ok_us.sort_unstable();
    let rate = t.ok_us.len() as f64 / secs;
    println!(
        "{name:<30} {:>8} {:>10.1} {:>9} {:>9} {:>9} {:>9} {:>8}  {}",
        t.calls(),
        rate,
        micros(percentile(&t.ok_us, 0.50)),
        micros(percentile(&t.ok_us, 0.90)),
        micros(percentile(&t.ok_us, 0.99)),
        micros(t.ok_us.last().copied()),
        t.deadline,
        errors(t)
    );
    rate
}

/// One note per kind of failure of a row: its code and the first message seen.
fn message_notes(name: &str, t: &Tally, notes: &mut Vec<String>) {
    for (&(code, deadline), m) in &t.messages {
        notes.push(format!(
            "{name}: {:?}{}, e.g. {m:?}",
            Code::from_i32(code),
            if deadline { " (a deadline)" } else { "" }
        ));
    }
}

fn ending_note(phase: &str, e: &Ending, notes: &mut Vec<String>) {
    notes.push(format!(
        "{phase}: callers returned {:.1?} after the window closed{}",
        e.drained,
        if e.aborted > 0 {
            format!("; {} still running were aborted", e.aborted)
        } else {
            String::new()
        }
    ));
}

fn main() {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let deadline = Duration::from_millis(args.deadline_ms);
    let runs = |p: Phase| args.phase == Phase::All || args.phase == p;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("load-server")
        .enable_all()
        .build()
        .expect("server runtime");
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("load-client")
        .enable_all()
        .build()
        .expect("client runtime");
    let queries: Arc<Vec<pb::CheckRequest>> = Arc::new(
        lines::<Query>(&args.set.join("queries.jsonl"))
            .iter()
            .map(check_request)
            .collect(),
    );
    assert!(!queries.is_empty(), "no queries in {}", args.set.display());
    let phase_secs = args.warmup_secs + args.duration_secs;

    let mut ceiling = None;
    if runs(Phase::Ceiling) {
        let addr = start_ceiling(&server_rt);
        eprintln!("ceiling: empty Check on {addr}, {phase_secs} s");
        ceiling =
            Some(client_rt.block_on(drive_checks(addr, "not-checked", queries.clone(), &args)));
    }

    let mut vettingd = None;
    let (mut check, mut write) = (None, None);
    if runs(Phase::Check) || runs(Phase::Write) {
        eprintln!("recording the registry of {} ...", args.set.display());
        let v = start_vetting(&server_rt, &args.set);
        eprintln!(
            "vetting server on {} with {} people (recorded in {:.1?})",
            v.addr, v.people, v.loaded_in
        );
        if runs(Phase::Check) {
            eprintln!("check: {phase_secs} s");
            check =
                Some(client_rt.block_on(drive_checks(v.addr, &v.checker, queries.clone(), &args)));
        }
        if runs(Phase::Write) {
            eprintln!("write: {phase_secs} s (then up to the deadline for calls in flight)");
            write = Some(client_rt.block_on(drive_writes(v.addr, &v.registrar, &args)));
        }
        vettingd = Some(v);
    }

    println!(
        "\n{:<30} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8}  errors by code",
        "phase", "calls", "ok/s", "p50", "p90", "p99", "max", "deadline"
    );
    let mut notes = Vec::new();
    let mut ceiling_rate = None;
    if let Some((t, w, e)) = &mut ceiling {
        ceiling_rate = Some(row("ceiling: empty Check", t, w.secs()));
        message_notes("ceiling", t, &mut notes);
        ending_note("ceiling", e, &mut notes);
    }
    if let Some((t, w, e)) = &mut check {
        let rate = row("check: CheckService.Check", t, w.secs());
        message_notes("check", t, &mut notes);
        if let Some(c) = ceiling_rate.filter(|&c| c > 0.0) {
            notes.push(format!(
                "check rate / ceiling rate = {:.3} ({rate:.0} / {c:.0} per second)",
                rate / c
            ));
        }
        let ok = t.ok_us.len().max(1) as f64;
        notes.push(format!(
            "check answers not CLEAR: {:.1}% of {}",
            100.0 * t.flagged as f64 / ok,
            t.ok_us.len()
        ));
        ending_note("check", e, &mut notes);
    }
    if let Some((ws, w, e)) = &mut write {
        let secs = w.secs();
        let mut all = Tally::default();
        for (name, t) in [
            ("write: CreateSubject", &mut ws.create),
            ("write: AddListing", &mut ws.listing),
            ("write: OpenInvestigation", &mut ws.investigation),
        ] {
            row(name, t, secs);
            message_notes(name, t, &mut notes);
            all.merge(std::mem::take(t));
        }
        row("write: all acknowledged", &mut all, secs);
        ending_note("write", e, &mut notes);
    }

    println!();
    let writer_connections = args.writer_connections.unwrap_or(args.writers).max(1);
    println!(
        "context: {} people in the registry; {cores} cores (available_parallelism), shared by \
         client and servers in this one process; window {} s after a {} s warm-up per phase; \
         deadline {} ms on every call",
        vettingd
            .as_ref()
            .map_or_else(|| "-".into(), |v| v.people.to_string()),
        args.duration_secs,
        args.warmup_secs,
        deadline.as_millis()
    );
    println!(
        "         checks: {} in flight over {} connections; writes: {} writers over {} connections",
        args.in_flight.max(1),
        args.connections.max(1),
        args.writers.max(1),
        writer_connections
    );
    for n in &notes {
        println!("note: {n}");
    }

    // Stop the real server, for a bounded time: after a hung write phase it may never stop.
    if let Some(mut v) = vettingd {
        if let Some(stop) = v.stop.take() {
            let _ = stop.send(());
        }
        let stopped = server_rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), &mut v.task).await });
        match stopped {
            Ok(Ok(Ok(()))) => println!("note: the vetting server stopped cleanly"),
            Ok(Ok(Err(e))) => println!("note: the vetting server stopped with an error: {e:?}"),
            Ok(Err(e)) => println!("note: the vetting server's task failed: {e}"),
            Err(_) => println!("note: the vetting server had not stopped 5 s after the signal"),
        }
        let path = v.dir.path().to_owned();
        if let Err(e) = v.dir.close() {
            println!("note: could not remove {}: {e}", path.display());
        }
    }
    let _ = std::io::stdout().flush();
    // Not a return: dropping the runtimes waits for their blocking tasks, which a wedged store
    // never finishes (see the doc comment at the top).
    std::process::exit(0);
}
