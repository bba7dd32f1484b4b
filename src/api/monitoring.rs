//! `vetting.v1.MonitoringService`: enrolments (`Enrol`, `Unenrol`, `ListEnrolments`) and
//! alerts (`StreamAlerts`, `ListAlerts`), scoped to the caller's organisation.

use std::pin::Pin;

use futures_util::Stream;
use futures_util::{FutureExt, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use super::convert::{date_in, identifiers_in, name_in, outcome_out, timestamp};
use super::{Streams, Writes, prefix, principal, rpc_status, run, unreadable};
use crate::auth::Keys;
use crate::pb::{self, monitoring_service_server::MonitoringService};
use crate::service::Vetting;
use crate::service::error::Error;
use crate::service::monitoring::EnrolInput;
use crate::store::AlertRecord;
use crate::store::EnrolmentRecord;

#[derive(Debug)]
pub struct MonitoringApi {
    v: Vetting,
    keys: Arc<Keys>,
    streams: Streams,
    /// Turns true when the server starts draining: open alert streams end then (a client
    /// reconnects to another server, or this one when it is back, with its last sequence).
    drain: watch::Receiver<bool>,
}

impl MonitoringApi {
    pub fn new(
        v: Vetting,
        keys: Arc<Keys>,
        streams: Streams,
        drain: watch::Receiver<bool>,
    ) -> Self {
        Self {
            v,
            keys,
            streams,
            drain,
        }
    }
}

/// Resolves once the server drains.
async fn drained(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|d| *d).await.is_err() {
        // The server is gone: as good as drained.
    }
}

/// Requests of an `EnrolBatch` taken together: enrolled in one go, flushed once.
const BATCH_CHUNK: usize = 64;

/// The answer to a batch item that could not be enrolled.
fn refused(employee_ref: String, e: Error) -> pb::EnrolBatchResponse {
    pb::EnrolBatchResponse {
        enrolment: None,
        error: Some(rpc_status(&Status::from(e))),
        employee_ref,
    }
}

/// Alerts read from the store at once for a stream.
const STREAM_READ: usize = 64;
/// Alerts queued for one subscriber: a slow one holds this many, and no one else up.
const STREAM_QUEUE: usize = 16;
/// How often an idle stream checks that its key is still live.
const KEY_RECHECK: Duration = Duration::from_secs(5);

fn alert_out(a: &AlertRecord) -> pb::Alert {
    pb::Alert {
        sequence: a.sequence,
        enrolment_id: a.enrolment_id.clone(),
        employee_ref: a.employee_ref.clone(),
        previous_outcome: outcome_out(a.previous_outcome).into(),
        outcome: outcome_out(a.outcome).into(),
        check_id: a.check_id.clone(),
        raised_at: Some(timestamp(a.raised_at_ms)),
    }
}

/// The durable alerts of `org` after `after`: those raised by change-log records the projector
/// has made durable.
fn durable_alerts(
    v: &Vetting,
    org: &str,
    after: u64,
    limit: usize,
) -> Result<Vec<AlertRecord>, Status> {
    let durable = *v.alerts.borrow();
    let mut page = v
        .store
        .alerts_of(org, after, limit)
        .map_err(|e| Status::from(Error::from(e)))?;
    if let Some(cut) = page.iter().position(|a| a.change_sequence > durable) {
        page.truncate(cut);
    }
    Ok(page)
}

fn enrolment_out(e: &EnrolmentRecord) -> pb::Enrolment {
    pb::Enrolment {
        enrolment_id: e.enrolment_id.clone(),
        employee_ref: e.employee_ref.clone(),
        outcome: outcome_out(e.outcome).into(),
        enrolled_at: Some(timestamp(e.enrolled_at_ms)),
    }
}

fn enrol_in(r: &pb::EnrolRequest) -> crate::service::error::Result<EnrolInput> {
    Ok(EnrolInput {
        name: r.name.as_ref().map(name_in),
        other_names: r.other_names.iter().map(name_in).collect(),
        date_of_birth: date_in("date_of_birth", r.date_of_birth.as_ref())?,
        identifiers: identifiers_in("identifiers", &r.identifiers)?,
        employee_ref: r.employee_ref.clone(),
    })
}

#[tonic::async_trait]
impl MonitoringService for MonitoringApi {
    async fn enrol(
        &self,
        req: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::Enrolment>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let e = run(&self.v, "Enrol", &who.clone(), Writes::Yes, move |v| {
            v.enrol(&who, &enrol_in(&r)?, &r.request_id)
        })
        .await?;
        Ok(Response::new(enrolment_out(&e)))
    }

    type EnrolBatchStream =
        Pin<Box<dyn Stream<Item = Result<pb::EnrolBatchResponse, Status>> + Send>>;

    /// Answers in order, one answer per request: requests already waiting are taken together
    /// (up to 64), enrolled, and answered once the store is flushed for all of
    /// them. A request that cannot be enrolled gets an answer with `error`; a fault of the
    /// server's, an unreadable message or a key revoked meanwhile ends the stream with its
    /// status (answers before it stand).
    async fn enrol_batch(
        &self,
        req: Request<Streaming<pb::EnrolRequest>>,
    ) -> Result<Response<Self::EnrolBatchStream>, Status> {
        let who = principal(&req)?;
        let open = self.streams.open("EnrolBatch")?;
        let mut incoming = req.into_inner();
        let (tx, rx) = mpsc::channel::<Result<pb::EnrolBatchResponse, Status>>(BATCH_CHUNK);
        let (v, keys) = (self.v.clone(), self.keys.clone());
        let span = tracing::info_span!(
            "rpc",
            method = "EnrolBatch",
            key_id = %who.key_id,
            organisation = %who.organisation,
        );
        let task = async move {
            let _open = open;
            let (mut index, mut enrolled) = (0usize, 0usize);
            while let Some(first) = incoming.next().await {
                let mut chunk = vec![first];
                while chunk.len() < BATCH_CHUNK {
                    match incoming.next().now_or_never() {
                        Some(Some(r)) => chunk.push(r),
                        _ => break,
                    }
                }
                if let Err(e) = keys.still_live(&who) {
                    let _ = tx.send(Err(Status::from(e))).await;
                    return;
                }
                let base = index;
                index += chunk.len();
                let (v2, who2) = (v.clone(), who.clone());
                let answers = tokio::task::spawn_blocking(move || {
                    // Read and converted one by one, then enrolled together, one transaction.
                    let mut out: Vec<Result<pb::EnrolBatchResponse, Status>> =
                        Vec::with_capacity(chunk.len());
                    let mut items: Vec<(usize, String)> = Vec::new();
                    let mut batch: Vec<(EnrolInput, String)> = Vec::new();
                    let mut broken = None;
                    for (i, r) in chunk.into_iter().enumerate() {
                        let r = match r {
                            Ok(r) => r,
                            Err(e) => {
                                broken = Some(unreadable(base + i, &e));
                                break;
                            }
                        };
                        match enrol_in(&r) {
                            Ok(input) => {
                                items.push((i, r.employee_ref.clone()));
                                batch.push((input, r.request_id.clone()));
                                out.push(Ok(pb::EnrolBatchResponse::default()));
                            }
                            Err(e) => out.push(Ok(refused(r.employee_ref, prefix(base + i, e)))),
                        }
                    }
                    match v2.enrol_many(&who2, &batch) {
                        Err(e) => return vec![Err(Status::from(e))],
                        Ok(results) => {
                            for ((i, employee_ref), r) in items.into_iter().zip(results) {
                                let answer = match r {
                                    Ok(e) => pb::EnrolBatchResponse {
                                        enrolment: Some(enrolment_out(&e)),
                                        error: None,
                                        employee_ref,
                                    },
                                    Err(e) => refused(employee_ref, prefix(base + i, e)),
                                };
                                if let Some(slot) = out.get_mut(i) {
                                    *slot = Ok(answer);
                                }
                            }
                        }
                    }
                    out.extend(broken.map(Err));
                    out
                })
                .await
                .unwrap_or_else(|_| vec![Err(Status::internal("enrolment failed"))]);
                if let Err(e) = v.store.commit_durable().await {
                    let _ = tx.send(Err(Status::from(Error::from(e)))).await;
                    return;
                }
                for a in answers {
                    let end = a.is_err();
                    enrolled += usize::from(a.as_ref().is_ok_and(|a| a.error.is_none()));
                    if tx.send(a).await.is_err() || end {
                        return;
                    }
                }
            }
            tracing::info!(enrolled, requests = index, "enrol batch finished");
        };
        tokio::spawn(tracing::Instrument::instrument(task, span));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn unenrol(
        &self,
        req: Request<pb::UnenrolRequest>,
    ) -> Result<Response<pb::Enrolment>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let e = run(&self.v, "Unenrol", &who.clone(), Writes::Yes, move |v| {
            v.unenrol(&who, &r.enrolment_id)
        })
        .await?;
        Ok(Response::new(enrolment_out(&e)))
    }

    async fn list_enrolments(
        &self,
        req: Request<pb::ListEnrolmentsRequest>,
    ) -> Result<Response<pb::ListEnrolmentsResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let (page, next) = run(
            &self.v,
            "ListEnrolments",
            &who.clone(),
            Writes::Reads,
            move |v| v.list_enrolments(&who, r.page_size, &r.page_token),
        )
        .await?;
        Ok(Response::new(pb::ListEnrolmentsResponse {
            enrolments: page.iter().map(enrolment_out).collect(),
            next_page_token: next,
        }))
    }

    type StreamAlertsStream = Pin<Box<dyn Stream<Item = Result<pb::Alert, Status>> + Send>>;

    async fn stream_alerts(
        &self,
        req: Request<pb::StreamAlertsRequest>,
    ) -> Result<Response<Self::StreamAlertsStream>, Status> {
        let who = principal(&req)?;
        let open = self.streams.open("StreamAlerts")?;
        let mut after = req.into_inner().after_sequence;
        let (tx, rx) = mpsc::channel::<Result<pb::Alert, Status>>(STREAM_QUEUE);
        let (v, keys) = (self.v.clone(), self.keys.clone());
        let mut raised = self.v.alerts.subscribe();
        let mut drain = self.drain.clone();
        let span = tracing::info_span!(
            "rpc",
            method = "StreamAlerts",
            key_id = %who.key_id,
            organisation = %who.organisation,
        );
        let task = async move {
            let _open = open;
            let mut delivered = 0u64;
            loop {
                if let Err(e) = keys.still_live(&who) {
                    let _ = tx.send(Err(Status::from(e))).await;
                    return;
                }
                raised.borrow_and_update();
                let page = {
                    let (v, org) = (v.clone(), who.organisation.clone());
                    match tokio::task::spawn_blocking(move || {
                        durable_alerts(&v, &org, after, STREAM_READ)
                    })
                    .await
                    {
                        Ok(r) => r,
                        Err(_) => Err(Status::internal("alert read failed")),
                    }
                };
                let page = match page {
                    Ok(p) => p,
                    Err(s) => {
                        let _ = tx.send(Err(s)).await;
                        return;
                    }
                };
                let full = page.len() == STREAM_READ;
                for a in &page {
                    tokio::select! {
                        r = tx.send(Ok(alert_out(a))) => if r.is_err() { return },
                        () = drained(&mut drain) => return,
                    }
                    after = a.sequence;
                    delivered += 1;
                }
                if !page.is_empty() {
                    tracing::debug!(delivered, "alerts delivered");
                }
                if full {
                    continue;
                }
                tokio::select! {
                    r = raised.changed() => if r.is_err() { return },
                    () = drained(&mut drain) => {
                        let _ = tx
                            .send(Err(Status::unavailable(
                                "server shutting down: reconnect with after_sequence = the last \
                                 sequence seen",
                            )))
                            .await;
                        return;
                    }
                    () = tokio::time::sleep(KEY_RECHECK) => {},
                    () = tx.closed() => return,
                }
            }
        };
        tokio::spawn(tracing::Instrument::instrument(task, span));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn list_alerts(
        &self,
        req: Request<pb::ListAlertsRequest>,
    ) -> Result<Response<pb::ListAlertsResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let size = crate::core::paging::page_size(r.page_size)
            .map_err(|e| Status::from(Error::from(e)))?;
        let v = self.v.clone();
        let org = who.organisation.clone();
        let page =
            tokio::task::spawn_blocking(move || durable_alerts(&v, &org, r.after_sequence, size))
                .await
                .map_err(|_| Status::internal("alert read failed"))??;
        Ok(Response::new(pb::ListAlertsResponse {
            last_sequence: page.last().map_or(r.after_sequence, |a| a.sequence),
            alerts: page.iter().map(alert_out).collect(),
        }))
    }
}
