//! API keys: roles, the key file, and authenticating a bearer token.
//!
//! Keys live in `keys.jsonl` in the data directory, beside the store: an append-only file of
//! `create` and `revoke` records, one JSON object a line. The command line appends to it whether
//! or not a server is running (sled locks the store, not this file), and a running server notices
//! a change by the file's length on the next request, so a revoked key stops working at once.
//! Tokens are 256 random bits, shown once; the file holds only their SHA-256.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::clock::Clock;
use crate::core::ids::{Id, IdKind};
pub use crate::core::principal::{Principal, Role};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send metadata `authorization: Bearer <token>`")]
    Missing,
    #[error("unknown or revoked token")]
    Unknown,
    #[error("role {role} may not call this method")]
    Forbidden { role: &'static str },
    #[error("key {0} not found")]
    KeyNotFound(String),
    #[error("key {0} is already revoked")]
    AlreadyRevoked(String),
    #[error("organisation must be 1 to 200 printable characters")]
    BadOrganisation,
    #[error("key file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("key file {path}, line {line}: not a key record")]
    Corrupt { path: PathBuf, line: usize },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum KeyRecord {
    Create {
        key_id: String,
        role: Role,
        organisation: String,
        token_sha256: String,
        created_at_ms: i64,
    },
    Revoke {
        key_id: String,
        revoked_at_ms: i64,
    },
}

/// A key as `keys list` shows it (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub key_id: String,
    pub role: Role,
    pub organisation: String,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// The key file of a data directory.
#[derive(Clone, Debug)]
pub struct KeyFile {
    path: PathBuf,
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl KeyFile {
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join("keys.jsonl"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: io::Error) -> AuthError {
        AuthError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn append(&self, record: &KeyRecord) -> Result<(), AuthError> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut line = serde_json::to_vec(record).map_err(|e| self.io(e.into()))?;
        line.push(b'\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        // One write of one line: appends of whole lines do not interleave.
        f.write_all(&line).map_err(|e| self.io(e))?;
        f.sync_all().map_err(|e| self.io(e))
    }

    /// Reads every complete record. A last line without its newline is a write in progress and
    /// is left for the next read.
    fn read(&self) -> Result<Vec<KeyRecord>, AuthError> {
        let f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let mut records = Vec::new();
        let mut reader = BufReader::new(f);
        let mut line = String::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(|e| self.io(e))?;
            n += 1;
            if read == 0 || !line.ends_with('\n') {
                break;
            }
            if line.trim().is_empty() {
                continue;
            }
            let record = serde_json::from_str(&line).map_err(|_| AuthError::Corrupt {
                path: self.path.clone(),
                line: n,
            })?;
            records.push(record);
        }
        Ok(records)
    }

    /// Creates a key; returns it and its token, which is not kept anywhere.
    pub fn create(
        &self,
        role: Role,
        organisation: &str,
        clock: &Clock,
    ) -> Result<(KeyInfo, String), AuthError> {
        let organisation = organisation.trim();
        if organisation.is_empty()
            || organisation.chars().count() > 200
            || organisation.chars().any(char::is_control)
        {
            return Err(AuthError::BadOrganisation);
        }
        let secret: [u8; 32] = rand::random();
        let token = format!("vt_{}", hex::encode(secret));
        let key_id = Id::new(IdKind::Key, clock).to_string();
        let created_at_ms = clock.now_ms();
        self.append(&KeyRecord::Create {
            key_id: key_id.clone(),
            role,
            organisation: organisation.to_owned(),
            token_sha256: hex::encode(token_hash(&token)),
            created_at_ms,
        })?;
        let info = KeyInfo {
            key_id,
            role,
            organisation: organisation.to_owned(),
            created_at_ms,
            revoked_at_ms: None,
        };
        Ok((info, token))
    }

    pub fn list(&self) -> Result<Vec<KeyInfo>, AuthError> {
        let mut keys: Vec<KeyInfo> = Vec::new();
        for r in self.read()? {
            match r {
                KeyRecord::Create {
                    key_id,
                    role,
                    organisation,
                    created_at_ms,
                    ..
                } => keys.push(KeyInfo {
                    key_id,
                    role,
                    organisation,
                    created_at_ms,
                    revoked_at_ms: None,
                }),
                KeyRecord::Revoke {
                    key_id,
                    revoked_at_ms,
                } => {
                    if let Some(k) = keys.iter_mut().find(|k| k.key_id == key_id) {
                        k.revoked_at_ms.get_or_insert(revoked_at_ms);
                    }
                }
            }
        }
        Ok(keys)
    }

    pub fn revoke(&self, key_id: &str, clock: &Clock) -> Result<KeyInfo, AuthError> {
        let mut key = self
            .list()?
            .into_iter()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| AuthError::KeyNotFound(key_id.to_owned()))?;
        if key.revoked_at_ms.is_some() {
            return Err(AuthError::AlreadyRevoked(key_id.to_owned()));
        }
        let revoked_at_ms = clock.now_ms();
        self.append(&KeyRecord::Revoke {
            key_id: key_id.to_owned(),
            revoked_at_ms,
        })?;
        key.revoked_at_ms = Some(revoked_at_ms);
        Ok(key)
    }

    /// Live keys by token hash.
    fn live(&self) -> Result<HashMap<[u8; 32], Principal>, AuthError> {
        let mut by_hash = HashMap::new();
        let mut hash_of = HashMap::new();
        for r in self.read()? {
            match r {
                KeyRecord::Create {
                    key_id,
                    role,
                    organisation,
                    token_sha256,
                    ..
                } => {
                    let mut h = [0u8; 32];
                    if hex::decode_to_slice(&token_sha256, &mut h).is_ok() {
                        hash_of.insert(key_id.clone(), h);
                        by_hash.insert(
                            h,
                            Principal {
                                key_id,
                                organisation,
                                role,
                                client_certificate: None,
                            },
                        );
                    }
                }
                KeyRecord::Revoke { key_id, .. } => {
                    if let Some(h) = hash_of.get(&key_id) {
                        by_hash.remove(h);
                    }
                }
            }
        }
        Ok(by_hash)
    }
}

#[derive(Debug, Default)]
struct Cache {
    /// The key file's length when last read; it only grows.
    len: Option<u64>,
    by_hash: HashMap<[u8; 32], Principal>,
}

/// The server's view of the key file: reread whenever the file changes.
#[derive(Debug)]
pub struct Keys {
    file: KeyFile,
    cache: RwLock<Cache>,
}

impl Keys {
    pub fn new(file: KeyFile) -> Self {
        Self {
            file,
            cache: RwLock::new(Cache::default()),
        }
    }

    pub fn file(&self) -> &KeyFile {
        &self.file
    }

    fn refresh(&self) -> Result<(), AuthError> {
        let len = match fs::metadata(self.file.path()) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.file.io(e)),
        };
        let stale = self.cache.read().map(|c| c.len != len).unwrap_or(true);
        if stale {
            let by_hash = self.file.live()?;
            let mut c = self.cache.write().unwrap_or_else(|p| p.into_inner());
            c.by_hash = by_hash;
            c.len = len;
        }
        Ok(())
    }

    /// Authenticates the `authorization` metadata value and checks the role.
    pub fn authorize(
        &self,
        authorization: Option<&str>,
        allowed: &[Role],
    ) -> Result<Principal, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        self.refresh()?;
        let principal = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .by_hash
            .get(&token_hash(token))
            .cloned()
            .ok_or(AuthError::Unknown)?;
        if !allowed.contains(&principal.role) {
            return Err(AuthError::Forbidden {
                role: principal.role.as_str(),
            });
        }
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_works_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::fixed(1_700_000_000_000);
        let file = KeyFile::in_dir(dir.path());
        let keys = Keys::new(file.clone());
        let (info, token) = file.create(Role::Checker, "Kent Police", &clock).unwrap();
        assert!(token.starts_with("vt_") && token.len() == 67);
        let bearer = format!("Bearer {token}");
        let p = keys.authorize(Some(&bearer), &[Role::Checker]).unwrap();
        assert_eq!(p.organisation, "Kent Police");
        assert!(matches!(
            keys.authorize(Some(&bearer), &[Role::Auditor]),
            Err(AuthError::Forbidden { role: "checker" })
        ));
        file.revoke(&info.key_id, &clock).unwrap();
        assert!(matches!(
            keys.authorize(Some(&bearer), &[Role::Checker]),
            Err(AuthError::Unknown)
        ));
        assert!(matches!(
            file.revoke(&info.key_id, &clock),
            Err(AuthError::AlreadyRevoked(_))
        ));
        let listed = file.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].revoked_at_ms, Some(1_700_000_000_000));
    }

    #[test]
    fn the_file_holds_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::in_dir(dir.path());
        let (_, token) = file.create(Role::Admin, "Ops", &Clock::System).unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(!text.contains(&token));
        assert!(!text.contains(token.trim_start_matches("vt_")));
    }

    #[test]
    fn missing_and_unknown_tokens_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new(KeyFile::in_dir(dir.path()));
        assert!(matches!(
            keys.authorize(None, &[Role::Checker]),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            keys.authorize(Some("Basic abc"), &[Role::Checker]),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            keys.authorize(Some("Bearer vt_nope"), &[Role::Checker]),
            Err(AuthError::Unknown)
        ));
    }

    #[test]
    fn a_half_written_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::in_dir(dir.path());
        file.create(Role::Checker, "A", &Clock::System).unwrap();
        let mut f = OpenOptions::new().append(true).open(file.path()).unwrap();
        f.write_all(b"{\"op\":\"create\",\"key_").unwrap();
        assert_eq!(file.list().unwrap().len(), 1);
    }
}
