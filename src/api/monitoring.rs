//! `vetting.v1.MonitoringService`: enrolments (`Enrol`, `Unenrol`, `ListEnrolments`), scoped to
//! the caller's organisation. `StreamAlerts` is not built yet and answers `UNIMPLEMENTED`.

use std::pin::Pin;

use futures_util::Stream;
use tonic::{Request, Response, Status};

use super::convert::{date_in, identifiers_in, name_in, outcome_out, timestamp};
use super::{Writes, principal, run};
use crate::pb::{self, monitoring_service_server::MonitoringService};
use crate::service::Vetting;
use crate::service::monitoring::EnrolInput;
use crate::store::EnrolmentRecord;

#[derive(Debug)]
pub struct MonitoringApi {
    v: Vetting,
}

impl MonitoringApi {
    pub fn new(v: Vetting) -> Self {
        Self { v }
    }
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
        principal(&req)?;
        Err(Status::unimplemented(
            "alerts are not built yet: enrolments are kept (Enrol, ListEnrolments), and the \
             alerts derived from the change log come next. Use CheckService.CheckBatch for \
             periodic re-vetting meanwhile.",
        ))
    }
}
