//! Who is asking: a key's role and organisation, as requests carry them and the audit trail
//! records them. (The keys themselves, and their tokens, are the `auth` module's.)

use serde::{Deserialize, Serialize};

pub use super::disclosure::Scopes;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Employers: checks and monitoring.
    Checker,
    /// List custodians: the registry.
    Registrar,
    /// Data-protection officers and inspectors: the audit trail.
    Auditor,
    /// Operators: keys (on the command line) and online backups (`AdminService`).
    Admin,
    /// The public barred-list search: checks that see published barred entries only.
    Public,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checker => "checker",
            Self::Registrar => "registrar",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
            Self::Public => "public",
        }
    }
}

/// The caller behind a request, as the audit trail records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub key_id: String,
    pub organisation: String,
    pub role: Role,
    /// What the key may see beyond the barred list (a checker's; other roles' views follow
    /// from their role, see [`super::disclosure::visibility_of`]).
    pub sees: Scopes,
    /// The subject of the TLS client certificate the call came with (RFC 4514, e.g.
    /// `CN=gateway.kent.police.uk,O=Kent Police`), under mTLS; `None` otherwise. Nothing
    /// secret: it names the gateway, as the log and the audit trail show it.
    pub client_certificate: Option<String>,
}
