//! `vetting.v1.MonitoringService`: not built yet; every method answers UNIMPLEMENTED.

use std::pin::Pin;

use futures_util::Stream;
use tonic::{Request, Response, Status};

use super::principal;
use crate::pb::{self, monitoring_service_server::MonitoringService};

#[derive(Debug, Default)]
pub struct MonitoringApi;

fn later<T>() -> Result<T, Status> {
    Err(Status::unimplemented(
        "continuous monitoring (enrolments and durable alerts) is not built yet; \
         it is planned as the follow-up to the identity matcher. Use CheckService.CheckBatch \
         for periodic re-vetting meanwhile.",
    ))
}

#[tonic::async_trait]
impl MonitoringService for MonitoringApi {
    async fn enrol(
        &self,
        req: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::Enrolment>, Status> {
        principal(&req)?;
        later()
    }

    async fn unenrol(
        &self,
        req: Request<pb::UnenrolRequest>,
    ) -> Result<Response<pb::Enrolment>, Status> {
        principal(&req)?;
        later()
    }

    async fn list_enrolments(
        &self,
        req: Request<pb::ListEnrolmentsRequest>,
    ) -> Result<Response<pb::ListEnrolmentsResponse>, Status> {
        principal(&req)?;
        later()
    }

    type StreamAlertsStream = Pin<Box<dyn Stream<Item = Result<pb::Alert, Status>> + Send>>;

    async fn stream_alerts(
        &self,
        req: Request<pb::StreamAlertsRequest>,
    ) -> Result<Response<Self::StreamAlertsStream>, Status> {
        principal(&req)?;
        later()
    }
}
