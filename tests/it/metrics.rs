//! `serve --metrics-listen`: `/metrics` scraped over plain HTTP and parsed as Prometheus' text
//! exposition, after checks, refusals, a bad request, a batch, unknown paths and a cancelled
//! stream.
//!
//! The recorder is one per process and the suite's other servers count into it too, so counts
//! are asserted as at least what this test did; the store's gauges are this server's own (set
//! from its store as the scrape comes in), so they are asserted exactly.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::Code;
use vetting::core::clock::Clock;
use vetting::pb;
use vetting::server::Limits;

use crate::harness::*;

/// One sample line: `name{labels} value`.
#[derive(Clone, Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed exposition: the `# TYPE` of each family and every sample.
#[derive(Debug, Default)]
struct Exposition {
    types: HashMap<String, String>,
    samples: Vec<Sample>,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or_else(|_| panic!("not a value: {s:?}")),
    }
}

/// Parses Prometheus' text format 0.0.4; panics on anything else.
fn parse(text: &str) -> Exposition {
    let mut e = Exposition::default();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(is_name(name), "{line:?}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line:?}"
            );
            assert!(
                e.types.insert(name.into(), kind.into()).is_none(),
                "a family typed twice: {line:?}"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "{line:?}");
        let end = line.find(['{', ' ']).unwrap();
        let (name, mut rest) = line.split_at(end);
        assert!(is_name(name), "{line:?}");
        let mut labels = BTreeMap::new();
        if let Some(r) = rest.strip_prefix('{') {
            let mut chars = r.char_indices();
            let close = loop {
                let (i, c) = chars.next().unwrap();
                if c == '}' {
                    break i;
                }
                if c == ',' {
                    continue;
                }
                // A label: name="value" with \\, \" and \n escapes.
                let mut key = String::from(c);
                for (_, c) in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                assert!(is_name(&key), "label {key:?} in {line:?}");
                assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line:?}");
                let mut value = String::new();
                loop {
                    match chars.next().unwrap().1 {
                        '"' => break,
                        '\\' => match chars.next().unwrap().1 {
                            'n' => value.push('\n'),
                            c => value.push(c),
                        },
                        c => value.push(c),
                    }
                }
                assert!(labels.insert(key, value).is_none(), "{line:?}");
            };
            rest = &r[close + 1..];
        }
        let value = rest.split_whitespace().next().unwrap();
        e.samples.push(Sample {
            name: name.into(),
            labels,
            value: parse_value(value),
        });
    }
    e
}

impl Exposition {
    /// Samples of `name` carrying every one of `labels`.
    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The sum of the samples of `name` carrying `labels`; panics when there are none.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found: Vec<_> = self.matching(name, labels).collect();
        assert!(!found.is_empty(), "no {name} with {labels:?}");
        found.iter().map(|s| s.value).sum()
    }

    /// The one sample of `name` with exactly `labels`.
    fn one(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found: Vec<_> = self
            .matching(name, labels)
            .filter(|s| s.labels.len() == labels.len())
            .collect();
        assert_eq!(found.len(), 1, "{name} with {labels:?}: {found:?}");
        found[0].value
    }

    /// Whether `sample` belongs to a family with a `# TYPE` line (a histogram's `_bucket`,
    /// `_sum` and `_count` to the histogram's).
    fn is_typed(&self, sample: &str) -> bool {
        self.types.contains_key(sample)
            || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
                sample
                    .strip_suffix(suffix)
                    .is_some_and(|base| self.types.get(base).is_some_and(|t| t == "histogram"))
            })
    }
}

/// An HTTP/1.1 request to the metrics listener; the status, the headers (lower-cased names)
/// and the body. The whole exchange has a deadline.
async fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
) -> (u16, HashMap<String, String>, String) {
    let talk = async {
        let mut c = TcpStream::connect(addr).await.unwrap();
        let req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        c.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        c.read_to_end(&mut raw).await.unwrap();
        String::from_utf8(raw).unwrap()
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), talk)
        .await
        .expect("the metrics endpoint answered within 10 s");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap();
    assert!(status.starts_with("HTTP/1.1 "), "{status:?}");
    let code = status[9..12].parse().unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    (code, headers, body.to_owned())
}

async fn scrape(addr: SocketAddr) -> (String, Exposition) {
    let (code, headers, body) = exchange(addr, "GET", "/metrics").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some(vetting::metrics::endpoint::CONTENT_TYPE)
    );
    let e = parse(&body);
    (body, e)
}

/// Scrapes until `ok` holds of a scrape, for at most 5 s; the last scrape either way.
async fn scrape_until(addr: SocketAddr, ok: impl Fn(&Exposition) -> bool) -> (String, Exposition) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (body, e) = scrape(addr).await;
        if ok(&e) || Instant::now() > deadline {
            return (body, e);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A call to `path`, a method this server does not serve, with a deadline.
async fn call_path(
    s: &TestServer,
    token: &str,
    path: &str,
) -> Result<pb::CheckResponse, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(s.channel.clone());
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::try_from(path.to_owned()).unwrap();
    let codec = tonic_prost::ProstCodec::<pb::CheckRequest, pb::CheckResponse>::default();
    answer(grpc.unary(
        authed_within(token, check_req("Eve", "Probe", None)),
        path,
        codec,
    ))
    .await
}

/// A `CheckBatch` on a connection of its own, one request sent and its answer read, the stream
/// left open; dropping what this returns closes the connection under it. (tonic's client keeps
/// a stream whose request side is open, so this speaks HTTP/2 through hyper.)
async fn held_open_batch(addr: SocketAddr, token: &str) -> impl Drop {
    use http_body_util::BodyExt;
    use prost::Message;

    /// The connection's task, and what holds the stream open.
    struct Cut {
        conn: tokio::task::JoinHandle<()>,
        _held: Vec<Box<dyn std::any::Any + Send>>,
    }
    impl Drop for Cut {
        fn drop(&mut self) {
            self.conn.abort();
        }
    }
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<
        Result<http_body::Frame<bytes::Bytes>, std::convert::Infallible>,
    >(4);
    let msg = check_req("Open", "Stream", None).encode_to_vec();
    let mut framed = vec![0];
    framed.extend(u32::try_from(msg.len()).unwrap().to_be_bytes());
    framed.extend(msg);
    tx.send(Ok(http_body::Frame::data(framed.into())))
        .await
        .unwrap();
    let body = http_body_util::StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    let req = http::Request::post(format!("http://{addr}/vetting.v1.CheckService/CheckBatch"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {token}"))
        .body(body)
        .unwrap();
    let mut res = tokio::time::timeout(CALL_DEADLINE, sender.send_request(req))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), 200);
    let answer = tokio::time::timeout(CALL_DEADLINE, res.body_mut().frame())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(answer.is_data(), "{answer:?}");
    Cut {
        conn,
        _held: vec![Box::new(sender), Box::new(res), Box::new(tx)],
    }
}

/// The services and methods served, from the same descriptor sets the server registers.
fn served() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut pool = prost_reflect::DescriptorPool::new();
    for set in [
        pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ] {
        pool.decode_file_descriptor_set(set).unwrap();
    }
    let services = pool.services().map(|s| s.full_name().to_owned()).collect();
    let methods = pool
        .services()
        .flat_map(|s| s.methods().map(|m| m.name().to_owned()).collect::<Vec<_>>())
        .collect();
    (services, methods)
}

const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Every label of every sample is one this server may use, each value from its fixed set.
fn assert_labels_from_fixed_sets(e: &Exposition) {
    let (services, methods) = served();
    for s in &e.samples {
        assert!(e.is_typed(&s.name), "{} has no # TYPE line", s.name);
        for (k, v) in &s.labels {
            let allowed = match k.as_str() {
                "grpc_service" => v == "unknown" || services.contains(v),
                "grpc_method" => v == "unknown" || methods.contains(v),
                "grpc_type" => [
                    "unary",
                    "client_stream",
                    "server_stream",
                    "bidi_stream",
                    "unknown",
                ]
                .contains(&v.as_str()),
                "grpc_code" => CODES.contains(&v.as_str()),
                "outcome" => {
                    ["clear", "barred", "under_investigation", "refer"].contains(&v.as_str())
                }
                "reason" => vetting::metrics::REFUSAL_REASONS.contains(&v.as_str()),
                "status" => ["clear", "barred", "under_investigation"].contains(&v.as_str()),
                "version" => v == env!("CARGO_PKG_VERSION"),
                "le" => v == "+Inf" || v.parse::<f64>().is_ok(),
                _ => false,
            };
            assert!(
                allowed,
                "{}: label {k}={v:?} is not from its fixed set",
                s.name
            );
        }
    }
}

const CHECK: [(&str, &str); 3] = [
    ("grpc_service", "vetting.v1.CheckService"),
    ("grpc_method", "Check"),
    ("grpc_type", "unary"),
];
const BATCH: [(&str, &str); 3] = [
    ("grpc_service", "vetting.v1.CheckService"),
    ("grpc_method", "CheckBatch"),
    ("grpc_type", "bidi_stream"),
];

fn with<'a>(base: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    base.iter().chain(more).copied().collect()
}

/// For every method that has a latency histogram, its `_count` equals its calls handled, and
/// its buckets grow up to `+Inf`, which is the count.
fn histogram_matches_handled(e: &Exposition) -> Result<(), String> {
    let mut handled: BTreeMap<Vec<(String, String)>, f64> = BTreeMap::new();
    for s in e.matching("grpc_server_handled_total", &[]) {
        let key = s
            .labels
            .iter()
            .filter(|(k, _)| *k != "grpc_code")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *handled.entry(key).or_default() += s.value;
    }
    for s in e.matching("grpc_server_handling_seconds_count", &[]) {
        let key: Vec<(String, String)> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let n = handled.get(&key).copied().unwrap_or(0.0);
        if n != s.value {
            return Err(format!("{key:?}: _count {} but handled {n}", s.value));
        }
        let labels: Vec<(&str, &str)> = key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut buckets: Vec<(f64, f64)> = e
            .matching("grpc_server_handling_seconds_bucket", &labels)
            .map(|b| (parse_value(&b.labels["le"]), b.value))
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(buckets.len() >= 18, "{key:?}: {buckets:?}");
        assert_eq!(buckets.first().unwrap().0, 0.000_05, "{key:?}");
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{key:?}: {buckets:?}"
        );
        assert_eq!(
            buckets.last().unwrap(),
            &(f64::INFINITY, s.value),
            "{key:?}"
        );
    }
    Ok(())
}

#[test]
fn metrics_are_scraped_parsed_and_hold_no_personal_data() {
    bounded(
        Duration::from_secs(120),
        || "the metrics test stalled".into(),
        metrics_test(),
    );
}

async fn metrics_test() {
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let maddr = metrics.local_addr().unwrap();
    let limits = Limits {
        shutdown_grace: Duration::from_secs(5),
        shutdown_notice: Duration::ZERO,
        ..Limits::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_serving(dir, Clock::fixed(NOW_MS), limits, Some(metrics)).await;

    // A barred person, one under investigation, one clear.
    let reg = &s.keys.registrar.token;
    let mut registry = s.registry();
    let mut create = async |p: pb::Subject| {
        let req = pb::CreateSubjectRequest {
            subject: Some(p),
            request_id: String::new(),
        };
        answer(registry.create_subject(authed_within(reg, req)))
            .await
            .unwrap()
    };
    let barred = create(person("Horatio", "Blackwood", (1980, 1, 15))).await;
    let investigated = create(person("Ivy", "Stonebridge", (1975, 3, 3))).await;
    create(person("Clement", "Fairweather", (1990, 5, 6))).await;
    let mut registry = s.registry();
    let listing = pb::AddListingRequest {
        subject_id: barred.subject_id.clone(),
        listing: Some(barred_listing("Kent Police", false)),
        request_id: String::new(),
    };
    answer(registry.add_listing(authed_within(reg, listing)))
        .await
        .unwrap();
    let inv = pb::OpenInvestigationRequest {
        subject_id: investigated.subject_id.clone(),
        investigation: Some(investigation("Kent Police", (2025, 5, 1))),
        request_id: String::new(),
    };
    answer(registry.open_investigation(authed_within(reg, inv)))
        .await
        .unwrap();

    // Checks: three clear, one barred, one under investigation.
    let tok = &s.keys.checker.token;
    let mut checks = s.checks();
    let mut outcomes = Vec::new();
    for (g, f, d) in [
        ("Peter", "Nobody", (1991, 2, 3)),
        ("Ann", "Other", (1992, 3, 4)),
        ("Zed", "Last", (1993, 4, 5)),
        ("Horatio", "Blackwood", (1980, 1, 15)),
        ("Ivy", "Stonebridge", (1975, 3, 3)),
    ] {
        let r = answer(checks.check(authed_within(tok, check_req(g, f, Some(d)))))
            .await
            .unwrap();
        outcomes.push(r.outcome());
    }
    use pb::Outcome as O;
    assert_eq!(
        outcomes,
        [
            O::Clear,
            O::Clear,
            O::Clear,
            O::Barred,
            O::UnderInvestigation
        ]
    );

    // Refused: an unknown token, no token, the wrong role; and a request without a purpose.
    let unknown_token = format!("vt_{}", "5ec7e7".repeat(10));
    let r = answer(checks.check(authed_within(
        &unknown_token,
        check_req("Peter", "Nobody", None),
    )))
    .await;
    assert_status(r, Code::Unauthenticated, &[]);
    let mut bare = tonic::Request::new(check_req("Peter", "Nobody", None));
    bare.set_timeout(CALL_DEADLINE);
    assert_status(answer(checks.check(bare)).await, Code::Unauthenticated, &[]);
    let r = answer(checks.check(authed_within(
        &s.keys.auditor.token,
        check_req("Peter", "Nobody", None),
    )))
    .await;
    assert_status(r, Code::PermissionDenied, &[]);
    let mut no_purpose = check_req("Peter", "Nobody", None);
    no_purpose.purpose = pb::Purpose::Unspecified.into();
    let r = answer(checks.check(authed_within(tok, no_purpose))).await;
    assert_status(r, Code::InvalidArgument, &["purpose"]);

    // Paths not served: a hostile client's text must not become a label.
    let smuggled = "Smuggled_vt_c0ffee_Blackwood";
    let r = call_path(&s, tok, &format!("/vetting.v1.CheckService/{smuggled}")).await;
    assert_status(r, Code::Unimplemented, &[]);
    let r = call_path(&s, tok, &format!("/evil.{smuggled}/{smuggled}")).await;
    assert_status(r, Code::Unimplemented, &[]);

    // A batch of five, read to its end.
    let reqs: Vec<_> = (0..5)
        .map(|i| {
            let mut r = check_req("Batch", "Applicant", Some((1990, 1, 1 + i)));
            r.client_ref = format!("row-{i}");
            r
        })
        .collect();
    let mut batch = authed(tok, tokio_stream::iter(reqs));
    batch.set_timeout(CALL_DEADLINE);
    let mut stream = answer(checks.check_batch(batch)).await.unwrap();
    let mut answered = 0;
    while let Some(_a) = tokio::time::timeout(CALL_DEADLINE, stream.message())
        .await
        .unwrap()
        .unwrap()
    {
        answered += 1;
    }
    assert_eq!(answered, 5);

    // A batch held open: counted among the open streams, then its connection cut.
    let cut = held_open_batch(s.addr, tok).await;
    let (_, e) = scrape(maddr).await;
    let open_now = e.sum(
        "vetting_open_streams",
        &[
            ("grpc_service", "vetting.v1.CheckService"),
            ("grpc_method", "CheckBatch"),
        ],
    );
    assert!(open_now >= 1.0, "open streams {open_now}");
    drop(cut);
    let cancelled = with(&BATCH, &[("grpc_code", "CANCELLED")]);
    let (_, e) = scrape_until(maddr, |e| {
        e.matching("grpc_server_handled_total", &cancelled)
            .map(|s| s.value)
            .sum::<f64>()
            >= 1.0
    })
    .await;
    assert!(
        e.sum("grpc_server_handled_total", &cancelled) >= 1.0,
        "a stream whose connection was cut counts as CANCELLED"
    );

    // The scrape every assertion below reads: counts consistent (other servers of the suite
    // may be counting between the reads of one render).
    let (body, e) = scrape_until(maddr, |e| histogram_matches_handled(e).is_ok()).await;
    histogram_matches_handled(&e).unwrap();
    assert_labels_from_fixed_sets(&e);

    for (name, kind) in [
        ("grpc_server_started_total", "counter"),
        ("grpc_server_handled_total", "counter"),
        ("grpc_server_handling_seconds", "histogram"),
        ("grpc_server_msg_received_total", "counter"),
        ("grpc_server_msg_sent_total", "counter"),
        ("vetting_open_streams", "gauge"),
        ("vetting_checks_total", "counter"),
        ("vetting_refused_calls_total", "counter"),
        ("vetting_audit_refusals_dropped_total", "counter"),
        ("vetting_registry_subjects", "gauge"),
        ("vetting_audit_events", "gauge"),
        ("vetting_data_version", "gauge"),
        ("vetting_durable_version", "gauge"),
        ("vetting_store_bytes", "gauge"),
        ("vetting_flush_seconds", "histogram"),
        ("vetting_journal_sync_seconds", "histogram"),
        ("vetting_build_info", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ] {
        assert_eq!(e.types.get(name).map(String::as_str), Some(kind), "{name}");
    }

    // Calls by method and code.
    let handled = |more: &[(&'static str, &'static str)]| {
        e.sum("grpc_server_handled_total", &with(&CHECK, more))
    };
    assert!(handled(&[("grpc_code", "OK")]) >= 5.0);
    assert!(handled(&[("grpc_code", "UNAUTHENTICATED")]) >= 2.0);
    assert!(handled(&[("grpc_code", "PERMISSION_DENIED")]) >= 1.0);
    assert!(handled(&[("grpc_code", "INVALID_ARGUMENT")]) >= 1.0);
    assert!(e.sum("grpc_server_started_total", &CHECK) >= 9.0);
    assert!(e.sum("grpc_server_handling_seconds_count", &CHECK) >= 9.0);
    assert!(e.sum("grpc_server_msg_received_total", &CHECK) >= 5.0);
    assert!(e.sum("grpc_server_msg_sent_total", &CHECK) >= 5.0);
    assert!(
        e.sum(
            "grpc_server_handled_total",
            &with(&BATCH, &[("grpc_code", "OK")])
        ) >= 1.0
    );
    assert!(e.sum("grpc_server_msg_received_total", &BATCH) >= 6.0);
    assert!(e.sum("grpc_server_msg_sent_total", &BATCH) >= 6.0);
    assert!(
        e.sum(
            "grpc_server_handled_total",
            &[
                ("grpc_service", "vetting.v1.CheckService"),
                ("grpc_method", "unknown"),
                ("grpc_code", "UNIMPLEMENTED"),
            ],
        ) >= 1.0
    );
    assert!(
        e.sum(
            "grpc_server_handled_total",
            &[
                ("grpc_service", "unknown"),
                ("grpc_method", "unknown"),
                ("grpc_type", "unknown"),
                ("grpc_code", "UNIMPLEMENTED"),
            ],
        ) >= 1.0
    );

    // Checks by outcome; refusals by reason.
    let outcome = |o| e.one("vetting_checks_total", &[("outcome", o)]);
    assert!(outcome("clear") >= 3.0 + 5.0);
    assert!(outcome("barred") >= 1.0);
    assert!(outcome("under_investigation") >= 1.0);
    assert!(outcome("refer") >= 0.0);
    let refused = |r| e.one("vetting_refused_calls_total", &[("reason", r)]);
    assert!(refused("unknown_token") >= 1.0);
    assert!(refused("missing_token") >= 1.0);
    assert!(refused("wrong_role") >= 1.0);
    assert!(refused("revoked_key") >= 0.0);
    assert!(e.one("vetting_audit_refusals_dropped_total", &[]) >= 0.0);

    // This server's store, exactly.
    let status = |st| e.one("vetting_registry_subjects", &[("status", st)]);
    assert_eq!(status("barred"), 1.0);
    assert_eq!(status("under_investigation"), 1.0);
    assert_eq!(status("clear"), 1.0);
    let data_version = e.one("vetting_data_version", &[]);
    assert!(data_version >= 5.0, "five registry writes: {data_version}");
    assert_eq!(
        e.one("vetting_durable_version", &[]),
        data_version,
        "every write acknowledged is on disk"
    );
    // Five writes, and every check answered (the batches' included): 5 + 5 + 5 + 1.
    assert!(e.one("vetting_audit_events", &[]) >= 16.0);
    assert!(e.one("vetting_store_bytes", &[]) > 0.0);
    assert!(e.one("vetting_flush_seconds_count", &[]) >= 1.0);
    assert!(e.one("vetting_journal_sync_seconds_count", &[]) >= 1.0);
    assert_eq!(
        e.one(
            "vetting_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(e.one("process_start_time_seconds", &[]) > 1.7e9);

    // Nothing a caller sent or a record holds.
    let keys = &s.keys;
    for secret in [
        keys.checker.token.as_str(),
        keys.registrar.token.as_str(),
        keys.auditor.token.as_str(),
        keys.public.token.as_str(),
        keys.admin.token.as_str(),
        unknown_token.as_str(),
        "5ec7e7",
        "c0ffee",
        smuggled,
        "Blackwood",
        "Stonebridge",
        "Fairweather",
        "Horatio",
        "Applicant",
        "row-",
        "Kent Police",
        CHECKER_ORG,
        REGISTRAR_ORG,
        keys.checker.info.key_id.as_str(),
        barred.subject_id.as_str(),
    ] {
        assert!(!body.contains(secret), "the exposition holds {secret:?}");
    }

    // Only GET /metrics.
    let (code, _, _) = exchange(maddr, "GET", "/").await;
    assert_eq!(code, 404);
    let (code, _, _) = exchange(maddr, "GET", "/metrics/../secret").await;
    assert_eq!(code, 404);
    let (code, headers, _) = exchange(maddr, "POST", "/metrics").await;
    assert_eq!(code, 405);
    assert_eq!(headers.get("allow").map(String::as_str), Some("GET, HEAD"));

    // The metrics listener stops with the server.
    s.stop().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match TcpStream::connect(maddr).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            other => {
                assert!(
                    Instant::now() < deadline,
                    "still listening after the stop: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
