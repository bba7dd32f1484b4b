//! `vetting.v1.RegistryService`.

use tonic::{Request, Response, Status};

use super::convert::{self, investigation_out, listing_out, subject_out};
use super::{Writes, principal, run};
use crate::pb::{self, registry_service_server::RegistryService};
use crate::service::Vetting;
use crate::service::registry::AllegationInput;

#[derive(Debug)]
pub struct RegistryApi {
    v: Vetting,
}

impl RegistryApi {
    pub fn new(v: Vetting) -> Self {
        Self { v }
    }
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    async fn create_subject(
        &self,
        req: Request<pb::CreateSubjectRequest>,
    ) -> Result<Response<pb::Subject>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let s = run(
            &self.v,
            "CreateSubject",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let subject = r.subject.unwrap_or_default();
                let input = convert::subject_in("subject", &subject)?;
                v.create_subject(&who, &input, &r.request_id)
            },
        )
        .await?;
        Ok(Response::new(subject_out(&s)))
    }

    async fn get_subject(
        &self,
        req: Request<pb::GetSubjectRequest>,
    ) -> Result<Response<pb::Subject>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let s = run(
            &self.v,
            "GetSubject",
            &who.clone(),
            Writes::Reads,
            move |v| v.get_subject(&who, &r.subject_id),
        )
        .await?;
        Ok(Response::new(subject_out(&s)))
    }

    async fn update_subject(
        &self,
        req: Request<pb::UpdateSubjectRequest>,
    ) -> Result<Response<pb::Subject>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let s = run(
            &self.v,
            "UpdateSubject",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let subject = r.subject.unwrap_or_default();
                let input = convert::subject_in("subject", &subject)?;
                v.update_subject(&who, &subject.subject_id, &input, r.expected_revision)
            },
        )
        .await?;
        Ok(Response::new(subject_out(&s)))
    }

    async fn list_subjects(
        &self,
        req: Request<pb::ListSubjectsRequest>,
    ) -> Result<Response<pb::ListSubjectsResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let (subjects, next) = run(
            &self.v,
            "ListSubjects",
            &who.clone(),
            Writes::Reads,
            move |v| {
                let status = convert::status_in("status", r.status)?;
                v.list_subjects(&who, r.page_size, &r.page_token, status)
            },
        )
        .await?;
        Ok(Response::new(pb::ListSubjectsResponse {
            subjects: subjects.iter().map(subject_out).collect(),
            next_page_token: next,
        }))
    }

    async fn add_listing(
        &self,
        req: Request<pb::AddListingRequest>,
    ) -> Result<Response<pb::Listing>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let subject_id = r.subject_id.clone();
        let l = run(&self.v, "AddListing", &who.clone(), Writes::Yes, move |v| {
            let input = convert::listing_in(&r.listing.unwrap_or_default())?;
            v.add_listing(&who, &r.subject_id, &input, &r.request_id)
        })
        .await?;
        Ok(Response::new(listing_out(&subject_id, &l)))
    }

    async fn remove_listing(
        &self,
        req: Request<pb::RemoveListingRequest>,
    ) -> Result<Response<pb::Listing>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let (subject_id, l) = run(
            &self.v,
            "RemoveListing",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let reason = convert::removal_reason_in("reason", r.reason)?;
                let removed_on = convert::date_in("removed_on", r.removed_on.as_ref())?;
                v.remove_listing(&who, &r.listing_id, reason, &r.note, removed_on)
            },
        )
        .await?;
        Ok(Response::new(listing_out(&subject_id, &l)))
    }

    async fn open_investigation(
        &self,
        req: Request<pb::OpenInvestigationRequest>,
    ) -> Result<Response<pb::Investigation>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let subject_id = r.subject_id.clone();
        let i = run(
            &self.v,
            "OpenInvestigation",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let input = convert::investigation_in(&r.investigation.unwrap_or_default())?;
                v.open_investigation(&who, &r.subject_id, &input, &r.request_id)
            },
        )
        .await?;
        Ok(Response::new(investigation_out(&subject_id, &i)))
    }

    async fn close_investigation(
        &self,
        req: Request<pb::CloseInvestigationRequest>,
    ) -> Result<Response<pb::Investigation>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let (subject_id, i) = run(
            &self.v,
            "CloseInvestigation",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let outcome = convert::investigation_outcome_in("outcome", r.outcome)?;
                let closed_on = convert::date_in("closed_on", r.closed_on.as_ref())?;
                v.close_investigation(&who, &r.investigation_id, outcome, closed_on)
            },
        )
        .await?;
        Ok(Response::new(investigation_out(&subject_id, &i)))
    }

    async fn record_departure(
        &self,
        req: Request<pb::RecordDepartureRequest>,
    ) -> Result<Response<pb::Subject>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let s = run(
            &self.v,
            "RecordDeparture",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let kind = convert::departure_in("kind", r.kind)?;
                let left_on = convert::date_in("left_on", r.left_on.as_ref())?;
                v.record_departure(&who, &r.subject_id, kind, left_on, &r.organisation)
            },
        )
        .await?;
        Ok(Response::new(subject_out(&s)))
    }

    async fn record_allegation(
        &self,
        req: Request<pb::RecordAllegationRequest>,
    ) -> Result<Response<pb::RecordAllegationResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let subject_id = r.subject_id.clone();
        let (l, i) = run(
            &self.v,
            "RecordAllegation",
            &who.clone(),
            Writes::Yes,
            move |v| {
                let input = AllegationInput {
                    organisation: r.organisation,
                    role: convert::role_field_in("role", r.role)?,
                    left_on: convert::date_in("left_on", r.left_on.as_ref())?,
                    reported_on: convert::date_in("reported_on", r.reported_on.as_ref())?,
                    allegation_summary: r.allegation_summary,
                    reference: r.reference,
                };
                v.record_allegation(&who, &r.subject_id, &input, &r.request_id)
            },
        )
        .await?;
        Ok(Response::new(pb::RecordAllegationResponse {
            listing: Some(listing_out(&subject_id, &l)),
            investigation: Some(investigation_out(&subject_id, &i)),
        }))
    }

    async fn get_subject_history(
        &self,
        req: Request<pb::GetSubjectHistoryRequest>,
    ) -> Result<Response<pb::GetSubjectHistoryResponse>, Status> {
        let who = principal(&req)?;
        let r = req.into_inner();
        let (changes, next) = run(
            &self.v,
            "GetSubjectHistory",
            &who.clone(),
            Writes::Reads,
            move |v| v.subject_history(&who, &r.subject_id, r.page_size, &r.page_token),
        )
        .await?;
        Ok(Response::new(pb::GetSubjectHistoryResponse {
            changes: changes.iter().map(convert::change_out).collect(),
            next_page_token: next,
        }))
    }
}
