//! `vetting.v1.CheckService`.

use std::pin::Pin;

use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

use super::convert::{check_in, check_out};
use super::{Place, principal, run_check};
use crate::pb::{self, check_service_server::CheckService};
use crate::service::Vetting;
use crate::service::error::Error;

/// Most requests of a batch checked in one task (and, when the store syncs checks, answered
/// with one flush).
const BATCH_CHUNK: usize = 256;

#[derive(Debug)]
pub struct CheckApi {
    v: Vetting,
    /// Turns true when the shutdown's grace period is over: open batches end then.
    cut: watch::Receiver<bool>,
}

impl CheckApi {
    pub fn new(v: Vetting, cut: watch::Receiver<bool>) -> Self {
        Self { v, cut }
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

    /// Answers in order. Requests already waiting are taken together (up to `BATCH_CHUNK`),
    /// checked and audited (and, when the store syncs checks, the store flushed once before
    /// their answers go out). A bad request ends the stream with an error naming its position;
    /// answers before it stand.
    async fn check_batch(
        &self,
        req: Request<Streaming<pb::CheckRequest>>,
    ) -> Result<Response<Self::CheckBatchStream>, Status> {
        let who = principal(&req)?;
        let mut incoming = req.into_inner();
        let (tx, rx) = mpsc::channel(BATCH_CHUNK);
        let v = self.v.clone();
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
            let mut index = 0usize;
            let mut answered = 0usize;
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
                let base = index;
                index += chunk.len();
                let who = who.clone();
                let out = run_check(
                    &v,
                    "CheckBatch.chunk",
                    &who.clone(),
                    Place::Blocking,
                    move |v| {
                        let mut seen = 0;
                        let mut answers = Vec::with_capacity(chunk.len());
                        for (i, r) in chunk.into_iter().enumerate() {
                            let answer = r
                                .map_err(|e| {
                                    Error::invalid(
                                        format!("request {}", base + i),
                                        e.message().to_owned(),
                                    )
                                })
                                .and_then(|r| {
                                    let input = check_in(&r).map_err(|e| prefix(base + i, e))?;
                                    v.check(&who, &input).map_err(|e| prefix(base + i, e))
                                });
                            match answer {
                                Ok(a) => {
                                    seen = seen.max(a.data_version);
                                    answers.push(Ok(check_out(&a)));
                                }
                                Err(e) => {
                                    answers.push(Err(e));
                                    break;
                                }
                            }
                        }
                        Ok((answers, seen))
                    },
                )
                .await;
                let answers = match out {
                    Ok(a) => a,
                    Err(status) => {
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                };
                for a in answers {
                    let failed = a.is_err();
                    if tx.send(a.map_err(Status::from)).await.is_err() {
                        return;
                    }
                    if failed {
                        return;
                    }
                    answered += 1;
                }
            }
            tracing::info!(answered, "batch done");
        };
        tokio::spawn(
            async move {
                tokio::select! {
                    () = batch => {}
                    () = cut.wait_for(|c| *c).map(drop) => {
                        tracing::warn!("batch cut at the end of the shutdown's grace period");
                        let _ = cut_tx
                            .send(Err(Status::unavailable(
                                "the server is shutting down: send the requests not answered again",
                            )))
                            .await;
                    }
                }
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// Names the batch position in a caller's error.
fn prefix(index: usize, e: Error) -> Error {
    match e {
        Error::InvalidArgument { field, problem } => Error::InvalidArgument {
            field: format!("request {index}: {field}"),
            problem,
        },
        other => other,
    }
}
