//! The gRPC layer: a tower [`Layer`] on the server that counts and times every call by service,
//! method, kind and status code, with the series names of Prometheus' own gRPC exporters
//! (go-grpc-prometheus): [`STARTED`], [`HANDLED`], [`HANDLING_SECONDS`], [`MSG_RECEIVED`],
//! [`MSG_SENT`], and [`OPEN_STREAMS`].
//!
//! The method comes from the request's path, `/package.Service/Method`, looked up in the table
//! of the methods this server serves (built once from the descriptor sets of its protos); any
//! other path is labelled `unknown`, never with its text. The status comes from the response's
//! headers when it has no body (a trailers-only response: every error before a message, such as
//! a refused token or an unknown method), otherwise from its trailers: the response body is
//! wrapped, so a stream is counted when its body ends, with the code of its trailers. A call whose
//! response (or body) is dropped before its status, because the client went away or the request
//! timed out, is counted `CANCELLED`. The call's [`Method`] goes into the request's extensions,
//! where the interceptors find it for their logs and the audit trail. Messages are counted by their 5-byte gRPC prefixes, in
//! both directions and for every kind of call.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use ::metrics::{Counter, Gauge, counter, gauge, histogram};
use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::Code;
use tower::{Layer, Service};

use super::{HANDLED, HANDLING_SECONDS, MSG_RECEIVED, MSG_SENT, OPEN_STREAMS, STARTED};

/// The label of anything not in the table of methods served.
pub const UNKNOWN: &str = "unknown";

/// What kind of call a method is: the `grpc_type` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Unary,
    ClientStream,
    ServerStream,
    BidiStream,
    /// Not a method served.
    Unknown,
}

impl Kind {
    fn of(client_streaming: bool, server_streaming: bool) -> Self {
        match (client_streaming, server_streaming) {
            (false, false) => Self::Unary,
            (true, false) => Self::ClientStream,
            (false, true) => Self::ServerStream,
            (true, true) => Self::BidiStream,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unary => "unary",
            Self::ClientStream => "client_stream",
            Self::ServerStream => "server_stream",
            Self::BidiStream => "bidi_stream",
            Self::Unknown => UNKNOWN,
        }
    }

    fn is_stream(self) -> bool {
        matches!(
            self,
            Self::ClientStream | Self::ServerStream | Self::BidiStream
        )
    }
}

/// The labels of one call, from the table of methods served (never from the request's bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Method {
    pub service: &'static str,
    pub method: &'static str,
    pub kind: Kind,
}

const UNKNOWN_METHOD: Method = Method {
    service: UNKNOWN,
    method: UNKNOWN,
    kind: Kind::Unknown,
};

/// The methods served, by service and method name.
#[derive(Debug, Default)]
struct Table {
    services: HashMap<String, HashMap<String, Kind>>,
}

impl Table {
    /// Every service of the descriptor sets the server registers for reflection: its own
    /// protos, health, and reflection itself.
    fn served() -> Self {
        let mut pool = prost_reflect::DescriptorPool::new();
        for set in [
            crate::pb::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ] {
            if let Err(e) = pool.decode_file_descriptor_set(set) {
                tracing::error!(error = %e, "a descriptor set does not decode: its methods are counted as unknown");
            }
        }
        let services = pool
            .services()
            .map(|s| {
                let methods = s
                    .methods()
                    .map(|m| {
                        let kind = Kind::of(m.is_client_streaming(), m.is_server_streaming());
                        (m.name().to_owned(), kind)
                    })
                    .collect();
                (s.full_name().to_owned(), methods)
            })
            .collect();
        Self { services }
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::served)
}

/// The labels of a request for `path`: a method served, or `unknown` (a service served keeps
/// its name; an unknown one is `unknown` too).
pub fn method_of(path: &str) -> Method {
    let Some((service, method)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return UNKNOWN_METHOD;
    };
    let Some((service, methods)) = table().services.get_key_value(service) else {
        return UNKNOWN_METHOD;
    };
    match methods.get_key_value(method) {
        Some((method, kind)) => Method {
            service,
            method,
            kind: *kind,
        },
        None => Method {
            service,
            ..UNKNOWN_METHOD
        },
    }
}

/// The `grpc_code` label of `c`, as gRPC's own names spell it.
pub fn code_label(c: Code) -> &'static str {
    match c {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The `grpc-status` of a header or trailer map; a value that is not a code is `UNKNOWN`.
fn status_in(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|v| Code::from_bytes(v.as_bytes()))
}

/// Adds [`GrpcMetrics`] to every service of a server.
#[derive(Clone, Copy, Debug, Default)]
pub struct GrpcMetricsLayer;

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> GrpcMetrics<S> {
        GrpcMetrics { inner }
    }
}

/// Counts and times the calls to `inner` (see the module's documentation).
#[derive(Clone, Debug)]
pub struct GrpcMetrics<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcMetrics<S>
where
    S: Service<Request<Counted<ReqBody>>, Response = Response<ResBody>>,
    ReqBody: Body<Data = Bytes>,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<Metered<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let method = method_of(req.uri().path());
        // The one naming of the call: the interceptors read it for logs and the audit trail.
        req.extensions_mut().insert(method);
        let call = Call::start(method);
        let received = counter!(
            MSG_RECEIVED,
            "grpc_service" => method.service,
            "grpc_method" => method.method,
            "grpc_type" => method.kind.as_str(),
        );
        let req = req.map(|inner| Counted {
            inner,
            framing: Framing::default(),
            messages: received,
        });
        ResponseFuture {
            inner: self.inner.call(req),
            call: Some(call),
        }
    }
}

/// One call from its start to its status; a call dropped unfinished counts as `CANCELLED`.
#[derive(Debug)]
struct Call {
    method: Method,
    started: Instant,
    sent: Counter,
    /// The [`OPEN_STREAMS`] gauge a stream added itself to.
    open: Option<Gauge>,
    done: bool,
}

impl Call {
    fn start(method: Method) -> Self {
        let (service, name, kind) = (method.service, method.method, method.kind.as_str());
        counter!(STARTED, "grpc_service" => service, "grpc_method" => name, "grpc_type" => kind)
            .increment(1);
        let open = method.kind.is_stream().then(|| {
            let g = gauge!(OPEN_STREAMS, "grpc_service" => service, "grpc_method" => name);
            g.increment(1.0);
            g
        });
        Self {
            method,
            started: Instant::now(),
            sent: counter!(MSG_SENT, "grpc_service" => service, "grpc_method" => name, "grpc_type" => kind),
            open,
            done: false,
        }
    }

    fn finish(mut self, code: Code) {
        self.record(code);
    }

    fn record(&mut self, code: Code) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let m = self.method;
        let (service, name, kind) = (m.service, m.method, m.kind.as_str());
        histogram!(HANDLING_SECONDS, "grpc_service" => service, "grpc_method" => name, "grpc_type" => kind)
            .record(self.started.elapsed());
        counter!(
            HANDLED,
            "grpc_service" => service,
            "grpc_method" => name,
            "grpc_type" => kind,
            "grpc_code" => code_label(code),
        )
        .increment(1);
        if let Some(g) = self.open.take() {
            g.decrement(1.0);
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.record(Code::Cancelled);
    }
}

pin_project_lite::pin_project! {
    /// The response of a [`GrpcMetrics`] call.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<Metered<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut call = this.call.take();
        Poll::Ready(match result {
            Ok(res) => {
                // A trailers-only response: its status is in its headers, and its body is empty.
                if let Some(code) = status_in(res.headers())
                    && let Some(c) = call.take()
                {
                    c.finish(code);
                }
                Ok(res.map(|inner| Metered {
                    inner,
                    call,
                    framing: Framing::default(),
                }))
            }
            Err(e) => {
                if let Some(c) = call {
                    c.finish(Code::Unknown);
                }
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that counts its messages and its call's status, from its trailers.
    pub struct Metered<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
        framing: Framing,
    }
}

impl<B: Body<Data = Bytes>> Body for Metered<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        match &frame {
            Some(Ok(f)) => {
                if let Some(data) = f.data_ref() {
                    let n = this.framing.feed(data);
                    if let Some(c) = this.call.as_ref()
                        && n > 0
                    {
                        c.sent.increment(n);
                    }
                } else if let Some(trailers) = f.trailers_ref()
                    && let Some(c) = this.call.take()
                {
                    c.finish(status_in(trailers).unwrap_or(Code::Unknown));
                }
            }
            // Ended without a status: what a gRPC client reads as UNKNOWN.
            Some(Err(_)) | None => {
                if let Some(c) = this.call.take() {
                    c.finish(Code::Unknown);
                }
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project_lite::pin_project! {
    /// A request body that counts its messages.
    pub struct Counted<B> {
        #[pin]
        inner: B,
        framing: Framing,
        messages: Counter,
    }
}

impl<B: Body<Data = Bytes>> Body for Counted<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(Ok(f)) = &frame
            && let Some(data) = f.data_ref()
        {
            let n = this.framing.feed(data);
            if n > 0 {
                this.messages.increment(n);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// gRPC's length-prefixed framing: each message is a flag byte, a 4-byte big-endian length,
/// and that many bytes. HTTP/2 data frames cut it anywhere.
const PREFIX: usize = 5;

/// Where a body is in gRPC's framing, across its data frames.
#[derive(Debug, Default)]
struct Framing {
    prefix: [u8; PREFIX],
    /// Bytes of the current prefix read so far.
    have: usize,
    /// Bytes of the current message still to come.
    remaining: u64,
}

impl Framing {
    /// Reads `data`; returns how many messages began in it (their prefix completed).
    fn feed(&mut self, mut data: &[u8]) -> u64 {
        let mut messages = 0;
        while !data.is_empty() {
            if self.remaining > 0 {
                let n = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                data = data.get(n..).unwrap_or_default();
                self.remaining -= n as u64;
                continue;
            }
            let n = (PREFIX - self.have).min(data.len());
            let Some((head, rest)) = data.split_at_checked(n) else {
                break;
            };
            if let Some(into) = self.prefix.get_mut(self.have..self.have + n) {
                into.copy_from_slice(head);
            }
            self.have += n;
            data = rest;
            if self.have == PREFIX {
                let [_, a, b, c, d] = self.prefix;
                self.remaining = u64::from(u32::from_be_bytes([a, b, c, d]));
                self.have = 0;
                messages += 1;
            }
        }
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_label_the_methods_served_by_their_own_names() {
        let m = method_of("/vetting.v1.CheckService/Check");
        assert_eq!(
            m,
            Method {
                service: "vetting.v1.CheckService",
                method: "Check",
                kind: Kind::Unary
            }
        );
        assert_eq!(
            method_of("/vetting.v1.CheckService/CheckBatch").kind,
            Kind::BidiStream
        );
        assert_eq!(
            method_of("/vetting.v1.MonitoringService/StreamAlerts").kind,
            Kind::ServerStream
        );
        assert_eq!(
            method_of("/grpc.health.v1.Health/Watch").kind,
            Kind::ServerStream
        );
        assert_eq!(
            method_of("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo").kind,
            Kind::BidiStream
        );
        assert_eq!(
            method_of("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo").kind,
            Kind::BidiStream
        );
    }

    #[test]
    fn metrics_label_every_path_not_served_unknown_never_with_its_text() {
        // A method the service does not have keeps the service's name, from the table.
        assert_eq!(
            method_of("/vetting.v1.CheckService/vt_0123456789abcdef"),
            Method {
                service: "vetting.v1.CheckService",
                method: UNKNOWN,
                kind: Kind::Unknown
            }
        );
        let long = format!("/{}/{}", "a".repeat(10_000), "b".repeat(10_000));
        for path in [
            "",
            "/",
            "//",
            "/vetting.v1.CheckService",
            "vetting.v1.CheckService/Check",
            "/vetting.v1.CheckService/Check/extra",
            "/vetting.v1.checkservice/Check",
            "/evil.Service/Check",
            "/Smith John 1980-01-01/Check",
            "/vetting.v1.CheckService/Check%00",
            &long,
        ] {
            let m = method_of(path);
            assert!(
                m.method == UNKNOWN && m.kind == Kind::Unknown,
                "{path:?} -> {m:?}"
            );
            assert!(
                m.service == UNKNOWN || m.service == "vetting.v1.CheckService",
                "{path:?} -> {m:?}"
            );
        }
    }

    #[test]
    fn metrics_name_every_code_as_grpc_does() {
        assert_eq!(code_label(Code::Ok), "OK");
        assert_eq!(code_label(Code::Unauthenticated), "UNAUTHENTICATED");
        let mut h = HeaderMap::new();
        assert_eq!(status_in(&h), None);
        h.insert("grpc-status", "3".parse().unwrap());
        assert_eq!(status_in(&h), Some(Code::InvalidArgument));
        h.insert("grpc-status", "not a code".parse().unwrap());
        assert_eq!(status_in(&h), Some(Code::Unknown));
    }

    fn message(len: u32) -> Vec<u8> {
        let mut m = vec![0];
        m.extend(len.to_be_bytes());
        m.extend(std::iter::repeat_n(7u8, len as usize));
        m
    }

    #[test]
    fn metrics_count_messages_however_frames_cut_them() {
        let stream: Vec<u8> = [message(3), message(0), message(300), message(1)].concat();
        for cut in 1..=stream.len() {
            let mut f = Framing::default();
            let n: u64 = stream.chunks(cut).map(|c| f.feed(c)).sum();
            assert_eq!(n, 4, "chunks of {cut}");
            assert_eq!((f.have, f.remaining), (0, 0));
        }
        // A prefix cut after its flag byte, then the rest.
        let mut f = Framing::default();
        let m = message(2);
        assert_eq!(f.feed(&m[..1]), 0);
        assert_eq!(f.feed(&m[1..]), 1);
    }
}
