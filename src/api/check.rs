//! `vetting.v1.CheckService`.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

use super::convert::{check_in, check_out};
use super::{Place, Streams, prefix, principal, refusal, rpc_status, run_check, unreadable};
use crate::auth::{AuthError, Keys};
use crate::pb::{self, check_service_server::CheckService};
use crate::service::Vetting;
use crate::service::error::Error;
use crate::service::refusals::Refusals;

/// Most requests of a batch checked in one task (and, when the store syncs checks, answered
/// with one flush).
const BATCH_CHUNK: usize = 256;

/// Answers of one batch waiting for the client to read them. A client that stops reading holds
/// at most this many (each a few hundred bytes to a few KiB), then its batch waits.
const ANSWERS_QUEUED: usize = 32;

#[derive(Debug)]
pub struct CheckApi {
    v: Vetting,
    keys: Arc<Keys>,
    refusals: Arc<Refusals>,
    streams: Streams,
    /// Turns true when the shutdown's grace period is over: open batches end then.
    cut: watch::Receiver<bool>,
}

impl CheckApi {
    pub fn new(
        v: Vetting,
        keys: Arc<Keys>,
        refusals: Arc<Refusals>,
        streams: Streams,
        cut: watch::Receiver<bool>,
    ) -> Self {
        Self {
            v,
            keys,
            refusals,
            streams,
            cut,
        }
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::CheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl CheckService for CheckApi {
    async fn check(
        &self,
        req: Request<pb::CheckRequest>,
    ) -> Result<Response<pb::CheckResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let result = run_check(&self.v, "Check", &who.clone(), Place::Inline, move |v| {
            let result = v.check(&who, &check_in(&r)?)?;
            let seen = result.data_version;
            Ok((result, seen))
        })
        .await?;
        Ok(Response::new(check_out(&result)))
    }

    type CheckBatchStream = ResponseStream;

    /// Answers in order, one answer per request. Requests already waiting are taken together (up
    /// to `BATCH_CHUNK`), checked and audited (and, when the store syncs checks, the store flushed
    /// once before their answers go out). A request that cannot be checked (a missing field, a bad
    /// date) gets an answer of its own with `error` set and its `client_ref`, and the batch goes
    /// on. Before each chunk the caller's key is looked up again: a key revoked while the stream
    /// is open ends it `UNAUTHENTICATED`. A fault of the server's ends the stream with its status;
    /// answers before it stand.
    async fn check_batch(
        &self,
        req: Request<Streaming<pb::CheckRequest>>,
    ) -> Result<Response<Self::CheckBatchStream>, Status> {
        let who = principal(&req)?;
        let open = self.streams.open("CheckBatch")?;
        // Kept for the record, should the key be revoked while the stream is open.
        let refusal = refusal(&req, &AuthError::Revoked);
        let refusals = self.refusals.clone();
        let mut incoming = req.into_inner();
        // Boxed: the channel's slots are allocated 32 at a time, and an answer unboxed is a few
        // hundred bytes; an idle stream holds the slots.
        let (tx, rx) = mpsc::channel::<Box<Result<pb::CheckResponse, Status>>>(ANSWERS_QUEUED);
        let v = self.v.clone();
        let keys = self.keys.clone();
        let mut cut = self.cut.clone();
        let span = tracing::info_span!(
            "rpc",
            method = "CheckBatch",
            key_id = %who.key_id,
            organisation = %who.organisation,
            client_certificate = who.client_certificate.as_deref(),
        );
        let cut_tx = tx.clone();
        let batch = async move {
            let _open = open;
            let mut index = 0usize;
            let (mut answered, mut refused) = (0usize, 0usize);
            loop {
                let first = match incoming.next().await {
                    None => break,
                    Some(r) => r,
                };
                let mut chunk = vec![first];
                while chunk.len() < BATCH_CHUNK {
                    match incoming.next().now_or_never() {
                        Some(Some(r)) => chunk.push(r),
                        _ => break,
                    }
                }
                if let Err(e) = keys.still_live(&who) {
                    tracing::warn!(answered, "batch ended: the key is no longer live");
                    crate::metrics::refused_by(&e);
                    if let (AuthError::Revoked, Some(r)) = (&e, &refusal) {
                        refusals.refused(r);
                    }
                    let _ = tx.send(Box::new(Err(Status::from(e)))).await;
                    return;
                }
                // A message that is not a CheckRequest leaves the stream unreadable: it is
                // answered, and then the stream ends with the same error.
                let broken = chunk
                    .iter()
                    .enumerate()
                    .find_map(|(i, r)| r.as_ref().err().map(|e| (i, unreadable(index + i, e))));
                let base = index;
                index += chunk.len();
                let who = who.clone();
                // Boxed: the task of an idle stream keeps its size, which would otherwise be
                // that of the check's whole future.
                let out = Box::pin(run_check(
                    &v,
                    "CheckBatch.chunk",
                    &who.clone(),
                    Place::Blocking,
                    move |v| {
                        let mut seen = 0;
                        let mut answers = Vec::with_capacity(chunk.len());
                        for (i, r) in chunk.into_iter().enumerate() {
                            let (client_ref, answer) = match r {
                                Err(e) => {
                                    answers.push(Ok(refused_out(
                                        String::new(),
                                        &unreadable(base + i, &e),
                                    )));
                                    continue;
                                }
                                Ok(r) => {
                                    let answer = check_in(&r)
                                        .map_err(|e| prefix(base + i, e))
                                        .and_then(|input| {
                                            v.check(&who, &input).map_err(|e| prefix(base + i, e))
                                        });
                                    (r.client_ref, answer)
                                }
                            };
                            match answer {
                                Ok(a) => {
                                    seen = seen.max(a.data_version);
                                    answers.push(Ok(check_out(&a)));
                                }
                                Err(e @ Error::InvalidArgument { .. }) => {
                                    answers.push(Ok(refused_out(client_ref, &Status::from(e))));
                                }
                                Err(e) => {
                                    answers.push(Err(e));
                                    break;
                                }
                            }
                        }
                        Ok((answers, seen))
                    },
                ))
                .await;
                let answers = match out {
                    Ok(a) => a,
                    Err(status) => {
                        let _ = tx.send(Box::new(Err(status))).await;
                        return;
                    }
                };
                for a in answers {
                    let failed = a.is_err();
                    if a.as_ref().is_ok_and(|a| a.error.is_some()) {
                        refused += 1;
                    } else if !failed {
                        answered += 1;
                    }
                    if tx.send(Box::new(a.map_err(Status::from))).await.is_err() {
                        return;
                    }
                    if failed {
                        return;
                    }
                }
                if let Some((_, status)) = broken {
                    let _ = tx.send(Box::new(Err(status))).await;
                    return;
                }
            }
            tracing::info!(answered, refused, "batch done");
        };
        tokio::spawn(
            async move {
                tokio::select! {
                    () = batch => {}
                    () = cut.wait_for(|c| *c).map(drop) => {
                        tracing::warn!("batch cut at the end of the shutdown's grace period");
                        let _ = cut_tx
                            .send(Box::new(Err(Status::unavailable(
                                "the server is shutting down: send the requests not answered again",
                            ))))
                            .await;
                    }
                }
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx).map(|a| *a))))
    }
}

/// The answer to a batch request that could not be checked: its `client_ref` and the error.
fn refused_out(client_ref: String, status: &Status) -> pb::CheckResponse {
    pb::CheckResponse {
        client_ref,
        error: Some(rpc_status(status)),
        ..pb::CheckResponse::default()
    }
}
