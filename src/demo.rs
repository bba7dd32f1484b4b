//! `serve --demo`: fills a throwaway store with synthetic people in every status, through the
//! same registry operations a registrar uses, and makes one key per role.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::auth::{KeyFile, Principal, Role, Scopes};
use crate::core::disclosure::{Sector, Sectors};
use crate::core::identity::{Date, Identifier, PersonName};
use crate::core::model::{
    DepartureKind, EmploymentRole, InvestigationOutcome, ListKind, ListingGrounds,
};
use crate::service::Vetting;
use crate::service::error::Error;
use crate::service::registry::{InvestigationInput, ListingInput, SubjectInput};
use serde::{Deserialize, Serialize};

/// How many synthetic people the demo registry holds (the lines of [`DEMO_DATA`]).
pub const DEMO_PEOPLE: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo registry")]
    Registry(#[from] Error),
    #[error("demo keys")]
    Keys(#[from] crate::auth::AuthError),
    #[error("demo data, line {0}")]
    Data(usize, #[source] serde_json::Error),
}

/// Which list a demo person is on (`Clear`: a closed case that left no status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DemoList {
    Barred,
    Advisory,
    Investigation,
    Clear,
}

/// One synthetic person of the demo registry and the one entry they carry, as
/// `data/demo-people.jsonl` holds them (written from the synthetic generator of the
/// `vetting-synth` workspace member; a test keeps the two in step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoPerson {
    pub name: PersonName,
    pub other_names: Vec<PersonName>,
    pub date_of_birth: Date,
    pub identifiers: Vec<Identifier>,
    pub list: DemoList,
    pub organisation: String,
    pub role: EmploymentRole,
    pub rank: String,
    pub decision_date: Date,
    pub standards_breached: Vec<String>,
    pub reason: String,
    pub published: bool,
    pub reference: String,
}

/// The demo registry's people, one JSON object a line.
pub const DEMO_DATA: &str = include_str!("../data/demo-people.jsonl");

/// The demo registry's people.
pub fn demo_people() -> Result<Vec<DemoPerson>, DemoError> {
    DEMO_DATA
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| DemoError::Data(i + 1, e)))
        .collect()
}

/// Records one synthetic person the way a list custodian would; returns their subject id.
pub fn record(v: &Vetting, who: &Principal, p: &DemoPerson) -> Result<String, Error> {
    let s = v.create_subject(
        who,
        &SubjectInput {
            name: Some(p.name.clone()),
            other_names: p.other_names.clone(),
            date_of_birth: Some(p.date_of_birth),
            identifiers: p.identifiers.clone(),
        },
        "",
    )?;
    let id = s.subject_id;
    let role = p.role;
    let investigation = || InvestigationInput {
        organisation: p.organisation.clone(),
        reference: p.reference.clone(),
        allegation_summary: p.reason.clone(),
        opened_on: Some(p.decision_date),
        role: Some(role),
    };
    match p.list {
        DemoList::Barred => {
            v.add_listing(
                who,
                &id,
                &ListingInput {
                    list: Some(ListKind::Barred),
                    organisation: p.organisation.clone(),
                    role: Some(role),
                    rank: p.rank.clone(),
                    decision_date: Some(p.decision_date),
                    standards_breached: p.standards_breached.clone(),
                    reason: p.reason.clone(),
                    published: p.published,
                    grounds: Some(ListingGrounds::GrossMisconduct),
                },
                "",
            )?;
        }
        DemoList::Advisory => {
            // The "resign to escape the hearing" case, through the lifecycle rule.
            v.open_investigation(who, &id, &investigation(), "")?;
            v.record_departure(
                who,
                &id,
                Some(DepartureKind::Resigned),
                Some(p.decision_date),
                &p.organisation,
            )?;
        }
        DemoList::Investigation => {
            v.open_investigation(who, &id, &investigation(), "")?;
        }
        DemoList::Clear => {
            // A closed case leaves history but no status.
            let inv = v.open_investigation(who, &id, &investigation(), "")?;
            v.close_investigation(
                who,
                &inv.investigation_id,
                Some(InvestigationOutcome::NoCaseToAnswer),
                Some(p.decision_date),
            )?;
        }
    }
    Ok(id)
}

/// Seeds the demo registry and keys; returns the banner to print.
pub fn seed(v: &Vetting, keys: &KeyFile, addr: SocketAddr) -> Result<String, DemoError> {
    let loader = Principal {
        key_id: "demo-loader".into(),
        organisation: "College of Policing (demo)".into(),
        role: Role::Registrar,
        sees: crate::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let people = demo_people()?;
    for p in &people {
        record(v, &loader, p)?;
    }
    v.store.sync().map_err(Error::from)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vetting demo: {} synthetic people in a throwaway store (deleted at exit), serving on {addr}\n",
        people.len()
    );
    let _ = writeln!(out, "Keys (one per role; shown only now):");
    let mut checker = String::new();
    let mut registrar = String::new();
    let mut auditor = String::new();
    let probation = Scopes {
        advisory: false,
        investigations: Sectors::NONE.with(Sector::Probation),
    };
    for (role, org, sees) in [
        (Role::Checker, "Kent Police (demo)", Some(Scopes::ALL)),
        (
            Role::Checker,
            "Probation vetting unit (demo)",
            Some(probation),
        ),
        (Role::Registrar, "College of Policing (demo)", None),
        (
            Role::Auditor,
            "Information Commissioner's Office (demo)",
            None,
        ),
        (Role::Admin, "Operations (demo)", None),
        (Role::Public, "Public barred-list search (demo)", None),
    ] {
        let (info, token) = keys.create_with(role, org, sees, &v.clock)?;
        let sees = info.sees.map(|s| format!("; sees {s}")).unwrap_or_default();
        let _ = writeln!(out, "  {:<10} {token}  ({org}{sees})", role.as_str());
        match role {
            Role::Checker if !checker.is_empty() => {}
            Role::Checker => checker = token,
            Role::Registrar => registrar = token,
            Role::Auditor => auditor = token,
            Role::Admin | Role::Public => {}
        }
    }
    let _ = writeln!(
        out,
        "\nTry (grpcurl speaks to the server through reflection):"
    );
    let _ = writeln!(
        out,
        "  export CHECKER={checker} REGISTRAR={registrar} AUDITOR={auditor}"
    );
    let _ = writeln!(out, "  grpcurl -plaintext {addr} list");
    if let Some(p) = people.iter().find(|p| p.list == DemoList::Barred) {
        let d = p.date_of_birth;
        let _ = writeln!(
            out,
            "  grpcurl -plaintext -H \"authorization: Bearer $CHECKER\" -d '{{\"name\":{{\"given_names\":\"{}\",\"family_name\":\"{}\"}},\"date_of_birth\":{{\"year\":{},\"month\":{},\"day\":{}}},\"purpose\":\"RECRUITMENT\"}}' {addr} vetting.v1.CheckService/Check",
            p.name.given_names.replace('\'', "'\\''"),
            p.name.family_name.replace('\'', "'\\''"),
            d.year,
            d.month,
            d.day
        );
    }
    let _ = writeln!(
        out,
        "  grpcurl -plaintext -H \"authorization: Bearer $REGISTRAR\" -d '{{\"page_size\":5,\"status\":\"BARRED\"}}' {addr} vetting.v1.RegistryService/ListSubjects"
    );
    let _ = writeln!(
        out,
        "  grpcurl -plaintext -H \"authorization: Bearer $AUDITOR\" {addr} vetting.v1.AuditService/VerifyAuditLog"
    );
    Ok(out)
}
