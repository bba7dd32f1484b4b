//! `vetting.v1.AuditService`.

use tonic::{Request, Response, Status};

use super::convert::{audit_event_out, timestamp_ms, verification_out};
use super::{Writes, principal, run, run_long};
use crate::pb::{self, audit_service_server::AuditService};
use crate::service::Vetting;
use crate::service::audit::AuditFilter;

#[derive(Debug)]
pub struct AuditApi {
    v: Vetting,
}

impl AuditApi {
    pub fn new(v: Vetting) -> Self {
        Self { v }
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        req: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let (events, next) = run(
            &self.v,
            "ListAuditEvents",
            &who.clone(),
            Writes::Reads,
            move |v| {
                let filter = AuditFilter {
                    subject_id: r.subject_id.clone(),
                    organisation: r.organisation.clone(),
                    action: r.action.clone(),
                    from_ms: r
                        .from
                        .as_ref()
                        .map(|t| timestamp_ms("from", t))
                        .transpose()?,
                    to_ms: r.to.as_ref().map(|t| timestamp_ms("to", t)).transpose()?,
                };
                v.list_audit_events(&who, &filter, r.page_size, &r.page_token)
            },
        )
        .await?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: events.iter().map(audit_event_out).collect(),
            next_page_token: next,
        }))
    }

    async fn verify_audit_log(
        &self,
        req: Request<pb::VerifyAuditLogRequest>,
    ) -> Result<Response<pb::VerifyAuditLogResponse>, Status> {
        let who = principal(&req)?;
        let v = run_long(&self.v, "VerifyAuditLog", &who, |v| v.verify_audit_log()).await?;
        Ok(Response::new(verification_out(&v)))
    }
}
