//! Proto ↔ domain conversions. Incoming values are checked for shape here (enum values known,
//! numbers in range); the rules live in `domain::validate`.

use prost_types::Timestamp;

use crate::core::chain::{AuditEvent, Verification};
use crate::core::change::{Change, ChangeKind, Rule};
use crate::core::identity::{Date, Identifier, IdentifierScheme, PersonName};
use crate::core::model::{
    DepartureKind, EmploymentRole, Investigation, InvestigationOutcome, InvestigationState,
    ListKind, Listing, ListingGrounds, ListingState, Outcome, Purpose, RemovalReason, Status,
    Subject,
};
use crate::matching::Strength;
use crate::pb;
use crate::service::check::{CheckInput, CheckResult, MatchView};
use crate::service::error::{Error, Result};
use crate::service::registry::{InvestigationInput, ListingInput, SubjectInput};

pub fn timestamp(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

pub fn timestamp_ms(field: &str, t: &Timestamp) -> Result<i64> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return Err(Error::invalid(field, "nanos must be 0 to 999,999,999"));
    }
    t.seconds
        .checked_mul(1000)
        .and_then(|s| s.checked_add(i64::from(t.nanos / 1_000_000)))
        .ok_or_else(|| Error::invalid(field, "out of range"))
}

/// An optional date: absent, or all zero, means not given.
pub fn date_in(field: &str, d: Option<&pb::Date>) -> Result<Option<Date>> {
    let Some(d) = d else { return Ok(None) };
    if d.year == 0 && d.month == 0 && d.day == 0 {
        return Ok(None);
    }
    let month = u8::try_from(d.month)
        .ok()
        .filter(|m| *m <= 12)
        .ok_or_else(|| {
            Error::invalid(
                format!("{field}.month"),
                "must be 1 to 12, or 0 when unknown",
            )
        })?;
    let day = u8::try_from(d.day)
        .ok()
        .filter(|d| *d <= 31)
        .ok_or_else(|| {
            Error::invalid(format!("{field}.day"), "must be 1 to 31, or 0 when unknown")
        })?;
    Ok(Some(Date::new(d.year, month, day)))
}

pub fn date_out(d: Option<Date>) -> Option<pb::Date> {
    d.map(|d| pb::Date {
        year: d.year,
        month: i32::from(d.month),
        day: i32::from(d.day),
    })
}

pub fn name_in(n: &pb::PersonName) -> PersonName {
    PersonName::new(n.given_names.clone(), n.family_name.clone())
}

pub fn name_out(n: &PersonName) -> pb::PersonName {
    pb::PersonName {
        given_names: n.given_names.clone(),
        family_name: n.family_name.clone(),
    }
}

/// Decodes an enum field: unknown numbers are an error, UNSPECIFIED is `None`.
fn enum_in<P, D>(field: &str, raw: i32, map: impl Fn(P) -> Option<D>) -> Result<Option<D>>
where
    P: TryFrom<i32>,
{
    let p = P::try_from(raw).map_err(|_| Error::invalid(field, format!("unknown value {raw}")))?;
    Ok(map(p))
}

fn scheme_in(s: pb::IdentifierScheme) -> Option<IdentifierScheme> {
    use pb::IdentifierScheme as P;
    match s {
        P::Unspecified => None,
        P::NationalInsuranceNumber => Some(IdentifierScheme::NationalInsuranceNumber),
        P::PncId => Some(IdentifierScheme::PncId),
        P::WarrantNumber => Some(IdentifierScheme::WarrantNumber),
        P::StaffNumber => Some(IdentifierScheme::StaffNumber),
        P::PassportNumber => Some(IdentifierScheme::PassportNumber),
        P::DrivingLicenceNumber => Some(IdentifierScheme::DrivingLicenceNumber),
    }
}

fn scheme_out(s: IdentifierScheme) -> pb::IdentifierScheme {
    use pb::IdentifierScheme as P;
    match s {
        IdentifierScheme::NationalInsuranceNumber => P::NationalInsuranceNumber,
        IdentifierScheme::PncId => P::PncId,
        IdentifierScheme::WarrantNumber => P::WarrantNumber,
        IdentifierScheme::StaffNumber => P::StaffNumber,
        IdentifierScheme::PassportNumber => P::PassportNumber,
        IdentifierScheme::DrivingLicenceNumber => P::DrivingLicenceNumber,
    }
}

pub fn identifiers_in(field: &str, ids: &[pb::Identifier]) -> Result<Vec<Identifier>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let f = format!("{field}[{i}].scheme");
            let scheme =
                enum_in(&f, id.scheme, scheme_in)?.ok_or_else(|| Error::invalid(&f, "required"))?;
            Ok(Identifier {
                scheme,
                value: id.value.clone(),
                issuer: id.issuer.clone(),
            })
        })
        .collect()
}

pub fn identifier_out(id: &Identifier) -> pb::Identifier {
    pb::Identifier {
        scheme: scheme_out(id.scheme).into(),
        value: id.value.clone(),
        issuer: id.issuer.clone(),
    }
}

pub fn status_in(field: &str, raw: i32) -> Result<Option<Status>> {
    enum_in(field, raw, |s: pb::Status| match s {
        pb::Status::Unspecified => None,
        pb::Status::Clear => Some(Status::Clear),
        pb::Status::Barred => Some(Status::Barred),
        pb::Status::UnderInvestigation => Some(Status::UnderInvestigation),
    })
}

pub fn status_out(s: Status) -> pb::Status {
    match s {
        Status::Clear => pb::Status::Clear,
        Status::Barred => pb::Status::Barred,
        Status::UnderInvestigation => pb::Status::UnderInvestigation,
    }
}

pub fn outcome_out(o: Outcome) -> pb::Outcome {
    match o {
        Outcome::Clear => pb::Outcome::Clear,
        Outcome::Barred => pb::Outcome::Barred,
        Outcome::UnderInvestigation => pb::Outcome::UnderInvestigation,
        Outcome::Refer => pb::Outcome::Refer,
    }
}

/// A `Role` field (the employment role, not the key's).
pub fn role_field_in(field: &str, raw: i32) -> Result<Option<EmploymentRole>> {
    enum_in(field, raw, role_in)
}

fn role_in(r: pb::Role) -> Option<EmploymentRole> {
    use pb::Role as P;
    match r {
        P::Unspecified => None,
        P::PoliceOfficer => Some(EmploymentRole::PoliceOfficer),
        P::SpecialConstable => Some(EmploymentRole::SpecialConstable),
        P::PoliceStaff => Some(EmploymentRole::PoliceStaff),
        P::ProbationOfficer => Some(EmploymentRole::ProbationOfficer),
        P::PrisonOfficer => Some(EmploymentRole::PrisonOfficer),
        P::Volunteer => Some(EmploymentRole::Volunteer),
        P::OtherRole => Some(EmploymentRole::Other),
    }
}

fn role_out(r: EmploymentRole) -> pb::Role {
    use pb::Role as P;
    match r {
        EmploymentRole::PoliceOfficer => P::PoliceOfficer,
        EmploymentRole::SpecialConstable => P::SpecialConstable,
        EmploymentRole::PoliceStaff => P::PoliceStaff,
        EmploymentRole::ProbationOfficer => P::ProbationOfficer,
        EmploymentRole::PrisonOfficer => P::PrisonOfficer,
        EmploymentRole::Volunteer => P::Volunteer,
        EmploymentRole::Other => P::OtherRole,
    }
}

pub fn grounds_in(field: &str, raw: i32) -> Result<Option<ListingGrounds>> {
    use pb::ListingGrounds as P;
    enum_in(field, raw, |g: P| match g {
        P::Unspecified => None,
        P::GrossMisconduct => Some(ListingGrounds::GrossMisconduct),
        P::GrossIncompetence => Some(ListingGrounds::GrossIncompetence),
        P::ResignedUnderInvestigation => Some(ListingGrounds::ResignedUnderInvestigation),
        P::RetiredUnderInvestigation => Some(ListingGrounds::RetiredUnderInvestigation),
        P::AllegationAfterLeaving => Some(ListingGrounds::AllegationAfterLeaving),
    })
}

fn grounds_out(g: Option<ListingGrounds>) -> pb::ListingGrounds {
    use pb::ListingGrounds as P;
    match g {
        None => P::Unspecified,
        Some(ListingGrounds::GrossMisconduct) => P::GrossMisconduct,
        Some(ListingGrounds::GrossIncompetence) => P::GrossIncompetence,
        Some(ListingGrounds::ResignedUnderInvestigation) => P::ResignedUnderInvestigation,
        Some(ListingGrounds::RetiredUnderInvestigation) => P::RetiredUnderInvestigation,
        Some(ListingGrounds::AllegationAfterLeaving) => P::AllegationAfterLeaving,
    }
}

fn departure_out(d: DepartureKind) -> pb::DepartureKind {
    match d {
        DepartureKind::Resigned => pb::DepartureKind::Resigned,
        DepartureKind::Retired => pb::DepartureKind::Retired,
        DepartureKind::DismissedOtherwise => pb::DepartureKind::DismissedOtherwise,
    }
}

fn change_kind_out(k: ChangeKind) -> pb::ChangeKind {
    use pb::ChangeKind as P;
    match k {
        ChangeKind::SubjectCreated => P::SubjectCreated,
        ChangeKind::SubjectUpdated => P::SubjectUpdated,
        ChangeKind::SubjectImported => P::SubjectImported,
        ChangeKind::ListingAdded => P::ListingAdded,
        ChangeKind::ListingRemoved => P::ListingRemoved,
        ChangeKind::InvestigationOpened => P::InvestigationOpened,
        ChangeKind::InvestigationClosed => P::InvestigationClosed,
        ChangeKind::DepartureRecorded => P::DepartureRecorded,
        ChangeKind::AllegationRecorded => P::AllegationRecorded,
        ChangeKind::Baseline => P::Baseline,
    }
}

fn rule_out(r: Option<Rule>) -> pb::LifecycleRule {
    use pb::LifecycleRule as P;
    match r {
        None => P::Unspecified,
        Some(Rule::AdvisorySupersededByBarred) => P::AdvisorySupersededByBarred,
        Some(Rule::BarredOnDismissal) => P::BarredOnDismissal,
        Some(Rule::AdvisoryOnDeparture) => P::AdvisoryOnDeparture,
        Some(Rule::AdvisorySettledByClosure) => P::AdvisorySettledByClosure,
    }
}

/// One change-log record as `GetSubjectHistory` shows it: the listing or investigation it
/// changed, as it stood after it, and the whole subject.
pub fn change_out(c: &Change) -> pb::SubjectChange {
    let s = &c.subject;
    let listing = s
        .listings
        .iter()
        .find(|l| !c.target_id.is_empty() && l.listing_id == c.target_id);
    let investigation = s
        .investigations
        .iter()
        .find(|i| !c.target_id.is_empty() && i.investigation_id == c.target_id);
    pb::SubjectChange {
        sequence: c.sequence,
        at: Some(timestamp(c.at_ms)),
        key_id: c.key_id.clone(),
        organisation: c.organisation.clone(),
        kind: change_kind_out(c.kind).into(),
        target_id: c.target_id.clone(),
        rule: rule_out(c.rule).into(),
        revision: c.revision,
        listing: listing.map(|l| listing_out(&s.subject_id, l)),
        investigation: investigation.map(|i| investigation_out(&s.subject_id, i)),
        departure_kind: c
            .departure
            .as_ref()
            .map_or(pb::DepartureKind::Unspecified, |d| departure_out(d.kind))
            .into(),
        left_on: date_out(c.departure.as_ref().map(|d| d.left_on)),
        left_organisation: c
            .departure
            .as_ref()
            .map(|d| d.organisation.clone())
            .unwrap_or_default(),
        subject: Some(subject_out(s)),
    }
}

pub fn removal_reason_in(field: &str, raw: i32) -> Result<Option<RemovalReason>> {
    use pb::RemovalReason as P;
    enum_in(field, raw, |r: P| match r {
        P::Unspecified => None,
        P::AppealAllowed => Some(RemovalReason::AppealAllowed),
        P::ReviewSuccessful => Some(RemovalReason::ReviewSuccessful),
        P::ProceedingsConcluded => Some(RemovalReason::ProceedingsConcluded),
        P::Superseded => Some(RemovalReason::Superseded),
        P::EnteredInError => Some(RemovalReason::EnteredInError),
    })
}

fn removal_reason_out(r: RemovalReason) -> pb::RemovalReason {
    use pb::RemovalReason as P;
    match r {
        RemovalReason::AppealAllowed => P::AppealAllowed,
        RemovalReason::ReviewSuccessful => P::ReviewSuccessful,
        RemovalReason::ProceedingsConcluded => P::ProceedingsConcluded,
        RemovalReason::Superseded => P::Superseded,
        RemovalReason::EnteredInError => P::EnteredInError,
    }
}

pub fn investigation_outcome_in(field: &str, raw: i32) -> Result<Option<InvestigationOutcome>> {
    use pb::InvestigationOutcome as P;
    enum_in(field, raw, |o: P| match o {
        P::Unspecified => None,
        P::NoCaseToAnswer => Some(InvestigationOutcome::NoCaseToAnswer),
        P::NoFurtherAction => Some(InvestigationOutcome::NoFurtherAction),
        P::MisconductNotProven => Some(InvestigationOutcome::MisconductNotProven),
        P::ProvenNoDismissal => Some(InvestigationOutcome::ProvenNoDismissal),
        P::Dismissed => Some(InvestigationOutcome::Dismissed),
        P::WouldHaveBeenDismissed => Some(InvestigationOutcome::WouldHaveBeenDismissed),
        P::Withdrawn => Some(InvestigationOutcome::Withdrawn),
    })
}

fn investigation_outcome_out(o: InvestigationOutcome) -> pb::InvestigationOutcome {
    use pb::InvestigationOutcome as P;
    match o {
        InvestigationOutcome::NoCaseToAnswer => P::NoCaseToAnswer,
        InvestigationOutcome::NoFurtherAction => P::NoFurtherAction,
        InvestigationOutcome::MisconductNotProven => P::MisconductNotProven,
        InvestigationOutcome::ProvenNoDismissal => P::ProvenNoDismissal,
        InvestigationOutcome::Dismissed => P::Dismissed,
        InvestigationOutcome::WouldHaveBeenDismissed => P::WouldHaveBeenDismissed,
        InvestigationOutcome::Withdrawn => P::Withdrawn,
    }
}

pub fn departure_in(field: &str, raw: i32) -> Result<Option<DepartureKind>> {
    use pb::DepartureKind as P;
    enum_in(field, raw, |d: P| match d {
        P::Unspecified => None,
        P::Resigned => Some(DepartureKind::Resigned),
        P::Retired => Some(DepartureKind::Retired),
        P::DismissedOtherwise => Some(DepartureKind::DismissedOtherwise),
    })
}

pub fn purpose_in(field: &str, raw: i32) -> Result<Option<Purpose>> {
    use pb::Purpose as P;
    enum_in(field, raw, |p: P| match p {
        P::Unspecified => None,
        P::Recruitment => Some(Purpose::Recruitment),
        P::Transfer => Some(Purpose::Transfer),
        P::PeriodicRevetting => Some(Purpose::PeriodicRevetting),
        P::ContractorAccess => Some(Purpose::ContractorAccess),
        P::Appointment => Some(Purpose::Appointment),
        P::OtherPurpose => Some(Purpose::Other),
    })
}

fn purpose_out(p: Purpose) -> pb::Purpose {
    use pb::Purpose as P;
    match p {
        Purpose::Recruitment => P::Recruitment,
        Purpose::Transfer => P::Transfer,
        Purpose::PeriodicRevetting => P::PeriodicRevetting,
        Purpose::ContractorAccess => P::ContractorAccess,
        Purpose::Appointment => P::Appointment,
        Purpose::Other => P::OtherPurpose,
    }
}

pub fn subject_in(field: &str, s: &pb::Subject) -> Result<SubjectInput> {
    Ok(SubjectInput {
        name: s.name.as_ref().map(name_in),
        other_names: s.other_names.iter().map(name_in).collect(),
        date_of_birth: date_in(&format!("{field}.date_of_birth"), s.date_of_birth.as_ref())?,
        identifiers: identifiers_in(&format!("{field}.identifiers"), &s.identifiers)?,
    })
}

pub fn listing_in(l: &pb::Listing) -> Result<ListingInput> {
    Ok(ListingInput {
        list: enum_in("listing.list", l.list, |k: pb::ListKind| match k {
            pb::ListKind::Unspecified => None,
            pb::ListKind::BarredList => Some(ListKind::Barred),
            pb::ListKind::AdvisoryList => Some(ListKind::Advisory),
        })?,
        organisation: l.organisation.clone(),
        role: enum_in("listing.role", l.role, role_in)?,
        rank: l.rank.clone(),
        decision_date: date_in("listing.decision_date", l.decision_date.as_ref())?,
        standards_breached: l.standards_breached.clone(),
        reason: l.reason.clone(),
        published: l.published,
        grounds: grounds_in("listing.grounds", l.grounds)?,
    })
}

pub fn investigation_in(i: &pb::Investigation) -> Result<InvestigationInput> {
    Ok(InvestigationInput {
        organisation: i.organisation.clone(),
        reference: i.reference.clone(),
        allegation_summary: i.allegation_summary.clone(),
        opened_on: date_in("investigation.opened_on", i.opened_on.as_ref())?,
        role: enum_in("investigation.role", i.role, role_in)?,
    })
}

pub fn listing_out(subject_id: &str, l: &Listing) -> pb::Listing {
    pb::Listing {
        listing_id: l.listing_id.clone(),
        list: match l.list {
            ListKind::Barred => pb::ListKind::BarredList,
            ListKind::Advisory => pb::ListKind::AdvisoryList,
        }
        .into(),
        organisation: l.organisation.clone(),
        role: role_out(l.role).into(),
        rank: l.rank.clone(),
        decision_date: date_out(l.decision_date),
        standards_breached: l.standards_breached.clone(),
        reason: l.reason.clone(),
        published: l.published,
        state: match l.state {
            ListingState::Active => pb::ListingState::Active,
            ListingState::Removed => pb::ListingState::Removed,
        }
        .into(),
        removal_reason: l
            .removal_reason
            .map_or(pb::RemovalReason::Unspecified, removal_reason_out)
            .into(),
        removed_on: date_out(l.removed_on),
        removal_note: l.removal_note.clone(),
        subject_id: subject_id.to_owned(),
        investigation_id: l.investigation_id.clone(),
        grounds: grounds_out(l.grounds).into(),
        review_from: date_out(l.review_from()),
        publication_ends_on: date_out(crate::core::disclosure::publication_ends_on(l)),
    }
}

pub fn investigation_out(subject_id: &str, i: &Investigation) -> pb::Investigation {
    pb::Investigation {
        investigation_id: i.investigation_id.clone(),
        organisation: i.organisation.clone(),
        reference: i.reference.clone(),
        allegation_summary: i.allegation_summary.clone(),
        opened_on: date_out(i.opened_on),
        state: match i.state {
            InvestigationState::Open => pb::InvestigationState::Open,
            InvestigationState::Closed => pb::InvestigationState::Closed,
        }
        .into(),
        outcome: i
            .outcome
            .map_or(
                pb::InvestigationOutcome::Unspecified,
                investigation_outcome_out,
            )
            .into(),
        closed_on: date_out(i.closed_on),
        subject_id: subject_id.to_owned(),
        role: role_out(i.role).into(),
    }
}

pub fn subject_out(s: &Subject) -> pb::Subject {
    pb::Subject {
        subject_id: s.subject_id.clone(),
        name: Some(name_out(&s.name)),
        other_names: s.other_names.iter().map(name_out).collect(),
        date_of_birth: date_out(s.date_of_birth),
        identifiers: s.identifiers.iter().map(identifier_out).collect(),
        listings: s
            .listings
            .iter()
            .map(|l| listing_out(&s.subject_id, l))
            .collect(),
        investigations: s
            .investigations
            .iter()
            .map(|i| investigation_out(&s.subject_id, i))
            .collect(),
        status: status_out(s.status()).into(),
        revision: s.revision,
        created_at: Some(timestamp(s.created_at_ms)),
        updated_at: Some(timestamp(s.updated_at_ms)),
    }
}

pub fn check_in(c: &pb::CheckRequest) -> Result<CheckInput> {
    Ok(CheckInput {
        name: c.name.as_ref().map(name_in),
        other_names: c.other_names.iter().map(name_in).collect(),
        date_of_birth: date_in("date_of_birth", c.date_of_birth.as_ref())?,
        identifiers: identifiers_in("identifiers", &c.identifiers)?,
        purpose: purpose_in("purpose", c.purpose)?,
        client_ref: c.client_ref.clone(),
    })
}

fn match_out(m: &MatchView) -> pb::Match {
    pb::Match {
        subject_id: m.subject_id.clone(),
        strength: match m.strength {
            Strength::Strong => pb::MatchStrength::Strong,
            Strength::Possible => pb::MatchStrength::Possible,
        }
        .into(),
        score: m.score,
        reasons: m.reasons.clone(),
        matched_name: Some(name_out(&m.matched_name)),
        date_of_birth: date_out(m.date_of_birth),
        status: status_out(m.status).into(),
        listings: m
            .listings
            .iter()
            .map(|l| listing_out(&m.subject_id, l))
            .collect(),
        investigations: m
            .investigations
            .iter()
            .map(|i| investigation_out(&m.subject_id, i))
            .collect(),
    }
}

pub fn check_out(r: &CheckResult) -> pb::CheckResponse {
    pb::CheckResponse {
        check_id: r.check_id.clone(),
        outcome: outcome_out(r.outcome).into(),
        matches: r.matches.iter().map(match_out).collect(),
        data_version: r.data_version,
        checked_at: Some(timestamp(r.checked_at_ms)),
        client_ref: r.client_ref.clone(),
        error: None,
    }
}

pub fn audit_event_out(e: &AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        sequence: e.sequence,
        at: Some(timestamp(e.at_ms)),
        key_id: e.entry.key_id.clone(),
        organisation: e.entry.organisation.clone(),
        role: e.entry.role.clone(),
        action: e.entry.action.clone(),
        purpose: e
            .entry
            .purpose
            .map_or(pb::Purpose::Unspecified, purpose_out)
            .into(),
        client_ref: e.entry.client_ref.clone(),
        subject_ids: e.entry.subject_ids.clone(),
        outcome: e
            .entry
            .outcome
            .map_or(pb::Outcome::Unspecified, outcome_out)
            .into(),
        check_id: e.entry.check_id.clone(),
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
        method: e.entry.context.method.clone(),
        peer: e.entry.context.peer.clone(),
        refusal: e.entry.context.refusal.clone(),
        client_certificate: e.entry.context.client_certificate.clone(),
        refusals_not_recorded: e.entry.context.refusals_not_recorded,
    }
}

pub fn verification_out(v: &Verification) -> pb::VerifyAuditLogResponse {
    pb::VerifyAuditLogResponse {
        intact: v.intact,
        events_checked: v.events_checked,
        first_bad_sequence: v.first_bad_sequence,
        head_hash: v.head_hash.clone(),
    }
}

/// A whole listing record as exported (state and removal kept), for `vetting import`.
pub fn listing_record_in(field: &str, l: &pb::Listing) -> Result<Listing> {
    let input = listing_in(l).map_err(|e| rename(field, e))?;
    let f = |n: &str| format!("{field}.{n}");
    Ok(Listing {
        listing_id: l.listing_id.clone(),
        list: input
            .list
            .ok_or_else(|| Error::invalid(f("list"), "required"))?,
        organisation: input.organisation,
        role: input.role.unwrap_or(EmploymentRole::Other),
        rank: input.rank,
        decision_date: input.decision_date,
        standards_breached: input.standards_breached,
        reason: input.reason,
        published: input.published,
        state: enum_in(&f("state"), l.state, |s: pb::ListingState| match s {
            pb::ListingState::Unspecified | pb::ListingState::Active => Some(ListingState::Active),
            pb::ListingState::Removed => Some(ListingState::Removed),
        })?
        .unwrap_or(ListingState::Active),
        removal_reason: removal_reason_in(&f("removal_reason"), l.removal_reason)?,
        removed_on: date_in(&f("removed_on"), l.removed_on.as_ref())?,
        removal_note: l.removal_note.clone(),
        investigation_id: l.investigation_id.clone(),
        grounds: input.grounds,
    })
}

/// A whole investigation record as exported, for `vetting import`.
pub fn investigation_record_in(field: &str, i: &pb::Investigation) -> Result<Investigation> {
    let input = investigation_in(i).map_err(|e| rename(field, e))?;
    let f = |n: &str| format!("{field}.{n}");
    Ok(Investigation {
        investigation_id: i.investigation_id.clone(),
        organisation: input.organisation,
        reference: input.reference,
        allegation_summary: input.allegation_summary,
        opened_on: input.opened_on,
        state: enum_in(&f("state"), i.state, |s: pb::InvestigationState| match s {
            pb::InvestigationState::Unspecified | pb::InvestigationState::Open => {
                Some(InvestigationState::Open)
            }
            pb::InvestigationState::Closed => Some(InvestigationState::Closed),
        })?
        .unwrap_or(InvestigationState::Open),
        outcome: investigation_outcome_in(&f("outcome"), i.outcome)?,
        closed_on: date_in(&f("closed_on"), i.closed_on.as_ref())?,
        role: input.role.unwrap_or(EmploymentRole::Other),
    })
}

/// Moves an error about `listing.x` or `investigation.x` to `field.x`.
fn rename(field: &str, e: Error) -> Error {
    match e {
        Error::InvalidArgument { field: f, problem } => Error::InvalidArgument {
            field: match f.split_once('.') {
                Some((_, rest)) => format!("{field}.{rest}"),
                None => field.to_owned(),
            },
            problem,
        },
        other => other,
    }
}

#[cfg(test)]
mod fuzz {
    //! Any proto message a client can send converts, or is refused naming the field at fault;
    //! nothing panics.

    use proptest::prelude::*;

    use super::*;
    use crate::fuzz;

    fn field_of(e: &Error) -> &str {
        match e {
            Error::InvalidArgument { field, .. } => field,
            other => panic!("not a client's mistake: {other:?}"),
        }
    }

    /// Whether `field` is `prefix[i]rest` for some index i.
    fn indexed(field: &str, prefix: &str, rest: &str) -> bool {
        field
            .strip_prefix(prefix)
            .and_then(|f| f.strip_prefix('['))
            .and_then(|f| f.split_once(']'))
            .is_some_and(|(i, r)| i.parse::<usize>().is_ok() && r == rest)
    }

    fn is_date_part(field: &str, date: &str) -> bool {
        field
            .strip_prefix(date)
            .is_some_and(|p| p == ".month" || p == ".day")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_check_request_converts_or_names_its_field(req in fuzz::check_request()) {
            match check_in(&req) {
                Ok(c) => {
                    prop_assert_eq!(&c.client_ref, &req.client_ref);
                    prop_assert_eq!(c.other_names.len(), req.other_names.len());
                    prop_assert_eq!(c.identifiers.len(), req.identifiers.len());
                    prop_assert_eq!(c.purpose.is_some(), (1..=6).contains(&req.purpose));
                    if let Some(d) = c.date_of_birth {
                        prop_assert!(d.month <= 12 && d.day <= 31, "{:?}", d);
                    }
                }
                Err(e) => {
                    let f = field_of(&e);
                    prop_assert!(
                        f == "purpose"
                            || is_date_part(f, "date_of_birth")
                            || indexed(f, "identifiers", ".scheme"),
                        "{}", f
                    );
                }
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn any_subject_converts_or_names_its_field(s in fuzz::subject()) {
            if let Err(e) = subject_in("subject", &s) {
                let f = field_of(&e);
                prop_assert!(
                    is_date_part(f, "subject.date_of_birth")
                        || indexed(f, "subject.identifiers", ".scheme"),
                    "{}", f
                );
            }
            for (i, l) in s.listings.iter().enumerate() {
                let at = format!("listings[{i}]");
                if let Err(e) = listing_record_in(&at, l) {
                    let f = field_of(&e);
                    let rest = f.strip_prefix(&at).and_then(|r| r.strip_prefix('.'));
                    prop_assert!(
                        rest.is_some_and(|r| ["list", "role", "state", "removal_reason", "grounds"].contains(&r)
                            || is_date_part(r, "decision_date")
                            || is_date_part(r, "removed_on")),
                        "{}", f
                    );
                }
            }
            for (i, inv) in s.investigations.iter().enumerate() {
                let at = format!("investigations[{i}]");
                if let Err(e) = investigation_record_in(&at, inv) {
                    let f = field_of(&e);
                    let rest = f.strip_prefix(&at).and_then(|r| r.strip_prefix('.'));
                    prop_assert!(
                        rest.is_some_and(|r| ["role", "state", "outcome"].contains(&r)
                            || is_date_part(r, "opened_on")
                            || is_date_part(r, "closed_on")),
                        "{}", f
                    );
                }
            }
        }

        #[test]
        fn any_timestamp_converts_to_its_millisecond_or_is_refused(t in fuzz::timestamp()) {
            let Some(t) = t else { return Ok(()) };
            match timestamp_ms("created_at", &t) {
                Ok(ms) => prop_assert_eq!(
                    timestamp(ms),
                    Timestamp { seconds: t.seconds, nanos: t.nanos / 1_000_000 * 1_000_000 }
                ),
                Err(e) => prop_assert_eq!(field_of(&e), "created_at"),
            }
        }
    }

    /// A check of any request, through conversion and validation, against a small registry:
    /// answered, or refused naming a field of the request.
    #[test]
    fn any_check_request_is_answered_or_refused_naming_a_field() {
        let (_dir, v) = fuzz::registry();
        let checker = crate::core::principal::Principal {
            key_id: "key_fuzz".into(),
            organisation: "Kent Police".into(),
            role: crate::core::principal::Role::Checker,
            sees: crate::core::disclosure::Scopes::ALL,
            client_certificate: None,
        };
        let named = |f: &str| {
            [
                "name",
                "name.given_names",
                "name.family_name",
                "other_names",
            ]
            .contains(&f)
                || indexed(f, "other_names", ".given_names")
                || indexed(f, "other_names", ".family_name")
                || f == "date_of_birth"
                || is_date_part(f, "date_of_birth")
                || f == "identifiers"
                || indexed(f, "identifiers", ".scheme")
                || indexed(f, "identifiers", ".value")
                || indexed(f, "identifiers", ".issuer")
                || f == "client_ref"
                || f == "purpose"
        };
        fuzz::check(file!(), 512, fuzz::check_request(), |req| {
            let input = match check_in(&req) {
                Ok(input) => input,
                Err(e) => {
                    prop_assert!(named(field_of(&e)), "{e}");
                    return Ok(());
                }
            };
            if let Err(e) = v.validate_check(&input) {
                prop_assert!(named(field_of(&e)), "{e}");
                return Ok(());
            }
            let found = v
                .find(&checker, &input)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for m in &found.matches {
                prop_assert!((0.0..=1.0).contains(&m.score) && !m.reasons.is_empty());
            }
            Ok(())
        });
    }
}
