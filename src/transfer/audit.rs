//! `vetting export --with-audit FILE`: the audit trail as JSON lines, one `vetting.v1.AuditEvent`
//! a line in proto3 JSON (the shape `ListAuditEvents` has through grpcurl), in sequence order,
//! with the chain's hashes; and `vetting verify-audit --file FILE`, which walks such a file's
//! chain as `VerifyAuditLog` walks the store's.

use std::io::{BufRead, Write};

use super::TransferError;
use crate::api::convert::{self, audit_event_out};
use crate::core::chain::{AuditEntry, AuditEvent, CallContext, Verification, verify};
use crate::core::model::Outcome;
use crate::pb;
use crate::service::Vetting;
use crate::service::error::Error;

impl super::JsonLine for pb::AuditEvent {
    const FULL_NAME: &'static str = "vetting.v1.AuditEvent";
}

/// Proto3 JSON for `vetting.v1.AuditEvent`.
pub type AuditJson = super::ProtoJson<pb::AuditEvent>;

/// The event a line of the export describes, as it was sealed (so its hash can be checked).
pub fn audit_event_in(e: &pb::AuditEvent) -> Result<AuditEvent, Error> {
    let outcome = match pb::Outcome::try_from(e.outcome) {
        Ok(pb::Outcome::Unspecified) => None,
        Ok(pb::Outcome::Clear) => Some(Outcome::Clear),
        Ok(pb::Outcome::Barred) => Some(Outcome::Barred),
        Ok(pb::Outcome::UnderInvestigation) => Some(Outcome::UnderInvestigation),
        Ok(pb::Outcome::Refer) => Some(Outcome::Refer),
        Err(_) => return Err(Error::invalid("outcome", "not an Outcome")),
    };
    let at_ms = match &e.at {
        Some(t) => convert::timestamp_ms("at", t)?,
        None => return Err(Error::invalid("at", "required")),
    };
    Ok(AuditEvent {
        sequence: e.sequence,
        at_ms,
        entry: AuditEntry {
            key_id: e.key_id.clone(),
            organisation: e.organisation.clone(),
            role: e.role.clone(),
            action: e.action.clone(),
            purpose: convert::purpose_in("purpose", e.purpose)?,
            client_ref: e.client_ref.clone(),
            subject_ids: e.subject_ids.clone(),
            outcome,
            check_id: e.check_id.clone(),
            context: CallContext {
                method: e.method.clone(),
                peer: e.peer.clone(),
                client_certificate: e.client_certificate.clone(),
                refusal: e.refusal.clone(),
                refusals_not_recorded: e.refusals_not_recorded,
            },
        },
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
    })
}

impl Vetting {
    /// Writes every audit event, in sequence order, as a JSON line; returns how many. The
    /// chain is written up to its head as it stood when called (settled first, so the events
    /// of answered checks are in it).
    pub fn export_audit_lines(&self, mut out: impl Write) -> Result<u64, TransferError> {
        let json = AuditJson::new()?;
        let head = self.store.settle_audit().map_err(Error::from)?;
        let last = head.map_or(0, |h| h.0);
        let mut n = 0;
        for r in self.store.audit_from(1) {
            let (seq, event) = r.map_err(Error::from)?;
            if seq > last {
                break;
            }
            let event = event.ok_or(Error::Store(crate::store::StoreError::Corrupt {
                tree: "audit",
            }))?;
            let line = json
                .to_line(&audit_event_out(&event))
                .map_err(|message| TransferError::Line { line: 0, message })?;
            writeln!(out, "{line}")?;
            n += 1;
        }
        out.flush()?;
        Ok(n)
    }
}

/// Walks the chain of an audit trail exported to `path`, reading it twice (once for its last
/// event, then the walk) in bounded memory. The head it is checked against is the file's last
/// event: a file cut short after a whole line verifies, so compare the head with the one the
/// export printed.
pub fn verify_audit_file(path: &std::path::Path) -> Result<Verification, TransferError> {
    let json = AuditJson::new()?;
    let open = || std::fs::File::open(path).map(std::io::BufReader::new);
    let mut last = None;
    for (n, line) in open()?.lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            last = Some((n, line));
        }
    }
    let head = match last {
        None => None,
        Some((n, line)) => {
            let e = read_line(&json, n, &line)?;
            Some((e.sequence, e.hash))
        }
    };
    let mut failure = None;
    let events = open()?
        .lines()
        .enumerate()
        .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map_while(|(n, line)| {
            match line
                .map_err(TransferError::from)
                .and_then(|line| read_line(&json, n, &line))
            {
                Ok(e) => Some((e.sequence, Some(e))),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            }
        });
    let verification = verify(events, head);
    match failure {
        Some(e) => Err(e),
        None => Ok(verification),
    }
}

/// Line `n` (from 0) of an export, as the event it records.
fn read_line(json: &AuditJson, n: usize, line: &str) -> Result<AuditEvent, TransferError> {
    let bad = |message: String| TransferError::Line {
        line: n + 1,
        message,
    };
    let e = json.from_line(line).map_err(bad)?;
    audit_event_in(&e).map_err(|e| bad(e.to_string()))
}
