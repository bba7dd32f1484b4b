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
pub use crate::core::principal::{Principal, Role, Scopes};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send metadata `authorization: Bearer <token>`")]
    Missing,
    #[error("unknown or revoked token")]
    Unknown,
    #[error("the key was revoked while this call was open")]
    Revoked,
    /// A revoked key's token: refused as unknown, recorded with the key.
    #[error("unknown or revoked token")]
    RevokedToken { key: Box<Principal> },
    #[error("role {role} may not call this method", role = key.role.as_str())]
    Forbidden { key: Box<Principal> },
    #[error("key {0} not found")]
    KeyNotFound(String),
    #[error("key {0} is already revoked")]
    AlreadyRevoked(String),
    #[error("organisation must be 1 to 200 printable characters")]
    BadOrganisation,
    #[error("--sees is for checker keys: a {} key's view follows from its role", role.as_str())]
    ScopesForRole { role: Role },
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
        /// A checker key's scopes. Absent on other roles' keys, and on checker keys written
        /// before scopes existed: those keep the view they had, everything (see [`KeyInfo::sees`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sees: Option<Scopes>,
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
    /// The scopes written with the key: `None` for a key of another role, or for a checker key
    /// written before scopes existed (it keeps the full view it had: [`KeyInfo::view`]).
    pub sees: Option<Scopes>,
}

impl KeyInfo {
    /// What the key sees beyond the barred list: its scopes; a checker key written before
    /// scopes existed keeps everything ([`Scopes::ALL`]), as it had; other roles' views follow
    /// from the role (none here).
    pub fn view(&self) -> Scopes {
        scopes_of(self.role, self.sees)
    }

    /// A checker key written before scopes existed.
    pub fn is_legacy_checker(&self) -> bool {
        self.role == Role::Checker && self.sees.is_none()
    }
}

fn scopes_of(role: Role, sees: Option<Scopes>) -> Scopes {
    match role {
        Role::Checker => sees.unwrap_or(Scopes::ALL),
        Role::Registrar | Role::Auditor | Role::Admin | Role::Public => Scopes::BARRED_ONLY,
    }
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
        // Bytes, not text: a line cut short may end inside a character.
        let mut bytes = Vec::new();
        let mut n = 0;
        loop {
            bytes.clear();
            let read = reader
                .read_until(b'\n', &mut bytes)
                .map_err(|e| self.io(e))?;
            n += 1;
            if read == 0 || !bytes.ends_with(b"\n") {
                break;
            }
            let corrupt = || AuthError::Corrupt {
                path: self.path.clone(),
                line: n,
            };
            let line = std::str::from_utf8(&bytes).map_err(|_| corrupt())?;
            if line.trim().is_empty() {
                continue;
            }
            records.push(serde_json::from_str(line).map_err(|_| corrupt())?);
        }
        Ok(records)
    }

    /// Creates a key with its role's widest view (a checker key sees advisory entries and every
    /// sector's investigations, as a police force's does); returns it and its token, which is
    /// not kept anywhere.
    pub fn create(
        &self,
        role: Role,
        organisation: &str,
        clock: &Clock,
    ) -> Result<(KeyInfo, String), AuthError> {
        let sees = (role == Role::Checker).then_some(Scopes::ALL);
        self.create_with(role, organisation, sees, clock)
    }

    /// Creates a key that sees `sees` beyond the barred list (a checker's only: other roles'
    /// views follow from the role). A checker key given no scopes sees the barred list only.
    pub fn create_with(
        &self,
        role: Role,
        organisation: &str,
        sees: Option<Scopes>,
        clock: &Clock,
    ) -> Result<(KeyInfo, String), AuthError> {
        let sees = match role {
            Role::Checker => Some(sees.unwrap_or(Scopes::BARRED_ONLY)),
            _ if sees.is_some() => return Err(AuthError::ScopesForRole { role }),
            _ => None,
        };
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
            sees,
        })?;
        let info = KeyInfo {
            key_id,
            role,
            organisation: organisation.to_owned(),
            created_at_ms,
            revoked_at_ms: None,
            sees,
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
                    sees,
                    ..
                } => keys.push(KeyInfo {
                    key_id,
                    role,
                    organisation,
                    created_at_ms,
                    revoked_at_ms: None,
                    sees,
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

    /// Live keys by token hash, and revoked keys by token hash.
    fn live(&self) -> Result<Live, AuthError> {
        let mut by_hash = HashMap::new();
        let mut revoked = HashMap::new();
        let mut hash_of = HashMap::new();
        let mut scopes = HashMap::new();
        for r in self.read()? {
            match r {
                KeyRecord::Create {
                    key_id,
                    role,
                    organisation,
                    token_sha256,
                    sees,
                    ..
                } => {
                    let mut h = [0u8; 32];
                    let sees = scopes_of(role, sees);
                    if role == Role::Checker {
                        scopes.insert(key_id.clone(), sees);
                    }
                    if hex::decode_to_slice(&token_sha256, &mut h).is_ok() {
                        hash_of.insert(key_id.clone(), h);
                        by_hash.insert(
                            h,
                            Principal {
                                key_id,
                                organisation,
                                role,
                                sees,
                                client_certificate: None,
                            },
                        );
                    }
                }
                KeyRecord::Revoke { key_id, .. } => {
                    if let Some(h) = hash_of.get(&key_id)
                        && let Some(p) = by_hash.remove(h)
                    {
                        revoked.insert(*h, p);
                    }
                }
            }
        }
        Ok(Live {
            by_hash,
            revoked,
            scopes,
        })
    }
}

/// The key file's keys, by token hash.
#[derive(Debug, Default)]
struct Live {
    by_hash: HashMap<[u8; 32], Principal>,
    revoked: HashMap<[u8; 32], Principal>,
    /// Every checker key's scopes, revoked keys' too, by key id.
    scopes: HashMap<String, Scopes>,
}

/// The token of an `authorization` value `Bearer <token>`; the scheme's case does not matter
/// (RFC 9110 section 11.1), nor the spaces around the token.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[derive(Debug, Default)]
struct Cache {
    /// The key file's length when last read; it only grows.
    len: Option<u64>,
    by_hash: HashMap<[u8; 32], Principal>,
    revoked: HashMap<[u8; 32], Principal>,
    /// The live keys' ids.
    live_ids: std::collections::HashSet<String>,
    /// Every checker key's scopes, by key id.
    scopes: HashMap<String, Scopes>,
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
            let live = self.file.live()?;
            let mut c = self.cache.write().unwrap_or_else(|p| p.into_inner());
            c.live_ids = live.by_hash.values().map(|p| p.key_id.clone()).collect();
            c.by_hash = live.by_hash;
            c.revoked = live.revoked;
            c.scopes = live.scopes;
            c.len = len;
        }
        Ok(())
    }

    /// Succeeds while `who`'s key is live: a long call (a batch stream) asks again as it goes, so
    /// that a key revoked meanwhile stops working there too.
    pub fn still_live(&self, who: &Principal) -> Result<(), AuthError> {
        self.refresh()?;
        let c = self.cache.read().unwrap_or_else(|p| p.into_inner());
        if c.live_ids.contains(&who.key_id) {
            Ok(())
        } else {
            Err(AuthError::Revoked)
        }
    }

    /// The scopes of checker key `key_id` as the key file has them now, revoked or not (a
    /// monitoring re-check runs with its enrolling key's); `None` for an unknown key.
    pub fn scopes_of(&self, key_id: &str) -> Result<Option<Scopes>, AuthError> {
        self.refresh()?;
        let c = self.cache.read().unwrap_or_else(|p| p.into_inner());
        Ok(c.scopes.get(key_id).copied())
    }

    /// Authenticates the `authorization` metadata value and checks the role.
    pub fn authorize(
        &self,
        authorization: Option<&str>,
        allowed: &[Role],
    ) -> Result<Principal, AuthError> {
        let token = authorization
            .and_then(bearer_token)
            .ok_or(AuthError::Missing)?;
        self.refresh()?;
        let hash = token_hash(token);
        let principal = {
            let c = self.cache.read().unwrap_or_else(|p| p.into_inner());
            match c.by_hash.get(&hash) {
                Some(p) => p.clone(),
                None => {
                    return Err(match c.revoked.get(&hash) {
                        Some(p) => AuthError::RevokedToken {
                            key: Box::new(p.clone()),
                        },
                        None => AuthError::Unknown,
                    });
                }
            }
        };
        if !allowed.contains(&principal.role) {
            return Err(AuthError::Forbidden {
                key: Box::new(principal),
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
            Err(AuthError::Forbidden { key }) if key.role == Role::Checker
        ));
        file.revoke(&info.key_id, &clock).unwrap();
        assert!(matches!(
            keys.authorize(Some(&bearer), &[Role::Checker]),
            Err(AuthError::RevokedToken { key }) if key.key_id == info.key_id
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
    fn a_key_carries_its_scopes_and_an_old_checker_line_keeps_the_full_view() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::fixed(1_700_000_000_000);
        let file = KeyFile::in_dir(dir.path());
        let keys = Keys::new(file.clone());
        let probation: Scopes = "investigations:probation".parse().unwrap();
        let (unit, unit_token) = file
            .create_with(Role::Checker, "HMPPS vetting", Some(probation), &clock)
            .unwrap();
        let (plain, plain_token) = file
            .create_with(Role::Checker, "Agency", None, &clock)
            .unwrap();
        assert_eq!(
            plain.sees,
            Some(Scopes::BARRED_ONLY),
            "no --sees: barred list only"
        );
        let (_, force_token) = file.create(Role::Checker, "Kent Police", &clock).unwrap();
        assert!(matches!(
            file.create_with(Role::Public, "Website", Some(probation), &clock),
            Err(AuthError::ScopesForRole { role: Role::Public })
        ));
        // A checker line written before scopes existed.
        let mut f = OpenOptions::new().append(true).open(file.path()).unwrap();
        let old = r#"{"op":"create","key_id":"key_01KAKZ0000000000000000000Z","role":"checker","organisation":"Essex Police","token_sha256":"0707070707070707070707070707070707070707070707070707070707070707","created_at_ms":1600000000000}"#;
        writeln!(f, "{old}").unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(
            text.contains(r#""sees":["barred","investigations:probation"]"#),
            "{text}"
        );
        let sees = |t: &str| {
            keys.authorize(Some(&format!("Bearer {t}")), &[Role::Checker])
                .unwrap()
                .sees
        };
        assert_eq!(sees(&unit_token), probation);
        assert_eq!(sees(&plain_token), Scopes::BARRED_ONLY);
        assert_eq!(sees(&force_token), Scopes::ALL);
        let listed = file.list().unwrap();
        let legacy: Vec<_> = listed.iter().filter(|k| k.is_legacy_checker()).collect();
        assert_eq!(legacy.len(), 1);
        assert_eq!(legacy[0].view(), Scopes::ALL);
        assert_eq!(
            keys.scopes_of("key_01KAKZ0000000000000000000Z").unwrap(),
            Some(Scopes::ALL)
        );
        // A revoked key's scopes are still known (its enrolments are re-checked with them).
        file.revoke(&unit.key_id, &clock).unwrap();
        assert_eq!(keys.scopes_of(&unit.key_id).unwrap(), Some(probation));
        assert_eq!(keys.scopes_of("key_nope").unwrap(), None);
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in [
            "Bearer t0k",
            "bearer t0k",
            "BEARER t0k",
            "bEaReR   t0k  ",
            "Bearer\tt0k",
        ] {
            assert_eq!(bearer_token(v), Some("t0k"), "{v:?}");
        }
        for v in ["Bearer", "Bearer   ", "Basic t0k", "t0k", "Bearert0k", ""] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
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

    #[test]
    fn a_half_written_last_line_cut_inside_a_character_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::in_dir(dir.path());
        let (_, token) = file.create(Role::Checker, "A", &Clock::System).unwrap();
        let mut f = OpenOptions::new().append(true).open(file.path()).unwrap();
        // "Société" with its é cut after the first of its two bytes.
        f.write_all(b"{\"op\":\"create\",\"organisation\":\"Soci\xc3")
            .unwrap();
        assert_eq!(file.list().unwrap().len(), 1);
        let keys = Keys::new(file.clone());
        let bearer = format!("Bearer {token}");
        assert!(keys.authorize(Some(&bearer), &[Role::Checker]).is_ok());
        // A whole line that is not UTF-8 is named, as any other bad line.
        f.write_all(b"\n").unwrap();
        assert!(matches!(
            file.list(),
            Err(AuthError::Corrupt { line: 2, .. })
        ));
    }
}

#[cfg(test)]
mod fuzz {
    //! The key file is read on every request after a change, and written by another process:
    //! any contents, a record mutated, a last line half-written (cut anywhere, inside a
    //! character too). Reading never panics; a bad complete line is named; a half-written last
    //! line is left for the next read; no token but a live key's is accepted.

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;
    use serde_json::Value;

    use super::*;
    use crate::fuzz;

    const ROLES: &[Role] = &[
        Role::Checker,
        Role::Registrar,
        Role::Auditor,
        Role::Admin,
        Role::Public,
    ];

    /// An organisation `keys create` accepts, often with letters of several bytes.
    fn organisation() -> impl Strategy<Value = String> {
        prop_oneof![fuzz::text(), "[A-Za-z]{2,9} (Police|Heddlu|Polis)"].prop_map(|o| {
            let o = o.trim();
            if o.is_empty() || o.chars().count() > 200 || o.chars().any(char::is_control) {
                "Société de Police".to_owned()
            } else {
                o.to_owned()
            }
        })
    }

    /// A key file in a fresh directory with a key per organisation, the second revoked: the
    /// file, the tokens, and what it lists.
    fn real_file(orgs: &[String]) -> (tempfile::TempDir, KeyFile, Vec<String>, Vec<KeyInfo>) {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::in_dir(dir.path());
        let clock = Clock::fixed(1_700_000_000_000);
        let mut tokens = Vec::new();
        for (i, org) in orgs.iter().enumerate() {
            let (info, token) = file.create(ROLES[i % ROLES.len()], org, &clock).unwrap();
            if i == 1 {
                file.revoke(&info.key_id, &clock).unwrap();
            }
            tokens.push(token);
        }
        let listed = file.list().unwrap();
        (dir, file, tokens, listed)
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            fuzz::text().prop_map(Value::String),
            prop::sample::select(&["create", "revoke", "checker", "admin", "Create"][..])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::Array),
                vec((fuzz::text(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Any file contents: bytes, lines of text, or lines of JSON.
    fn contents() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            vec(any::<u8>(), 0..400),
            vec(fuzz::text(), 0..5).prop_map(|l| l.join("\n").into_bytes()),
            vec(json_value(), 0..5).prop_map(|l| {
                let lines: Vec<String> = l.iter().map(Value::to_string).collect();
                (lines.join("\n") + "\n").into_bytes()
            }),
        ]
    }

    #[test]
    fn any_key_file_is_read_or_its_bad_line_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::in_dir(dir.path());
        let cases = (contents(), fuzz::text());
        fuzz::check(file!(), 500, cases, |(bytes, token)| {
            fs::write(file.path(), &bytes).unwrap();
            let complete = bytes.iter().filter(|&&b| b == b'\n').count();
            match file.list() {
                Ok(_) => {}
                Err(AuthError::Corrupt { line, .. }) => {
                    prop_assert!(
                        (1..=complete).contains(&line),
                        "line {} of {}",
                        line,
                        complete
                    );
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
            }
            let keys = Keys::new(file.clone());
            for header in [token.clone(), format!("Bearer {token}")] {
                let refused = keys.authorize(Some(&header), ROLES).is_err();
                prop_assert!(refused);
            }
            Ok(())
        });
    }

    #[test]
    fn a_mutated_record_is_read_or_named_by_its_line() {
        let orgs: Vec<String> = ["Kent Police", "Heddlu Dyfed-Powys", "Société de Police"]
            .map(String::from)
            .to_vec();
        let (_dir, file, tokens, _) = real_file(&orgs);
        let text = fs::read_to_string(file.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let cases = (
            any::<Index>(),
            any::<Index>(),
            0..3u8,
            json_value(),
            vec(any::<u8>(), 0..6),
        );
        fuzz::check(file!(), 500, cases, |(which, field, how, value, splice)| {
            let n = which.index(lines.len());
            let mut line = lines[n].as_bytes().to_vec();
            let mut record: serde_json::Map<String, Value> =
                serde_json::from_str(lines[n]).unwrap();
            let key = field
                .get(&record.keys().cloned().collect::<Vec<_>>())
                .clone();
            match how {
                0 => {
                    record.insert(key, value);
                    line = Value::Object(record).to_string().into_bytes();
                }
                1 => {
                    record.remove(&key);
                    line = Value::Object(record).to_string().into_bytes();
                }
                _ => {
                    let at = field.index(line.len());
                    let splice: Vec<u8> = splice.into_iter().filter(|&b| b != b'\n').collect();
                    line.splice(at..(at + 3).min(line.len()), splice);
                }
            }
            let mut bytes = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                bytes.extend(if i == n { &line[..] } else { l.as_bytes() });
                bytes.push(b'\n');
            }
            fs::write(file.path(), &bytes).unwrap();
            match file.list() {
                Ok(_) => {}
                Err(AuthError::Corrupt { line, .. }) => prop_assert_eq!(line, n + 1),
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
            }
            let keys = Keys::new(file.clone());
            for t in &tokens {
                let _ = keys.authorize(Some(&format!("Bearer {t}")), ROLES);
            }
            Ok(())
        });
    }

    #[test]
    fn a_half_written_last_line_is_left_for_the_next_read() {
        let cases = (vec(organisation(), 2..4), organisation(), any::<Index>());
        fuzz::check(file!(), 128, cases, |(orgs, org, cut)| {
            let (_dir, file, tokens, listed) = real_file(&orgs);
            let record = KeyRecord::Create {
                key_id: "key_01KAKZ0000000000000000000Z".into(),
                role: Role::Checker,
                organisation: org,
                token_sha256: hex::encode([7u8; 32]),
                created_at_ms: 1_700_000_000_000,
                sees: None,
            };
            let line = serde_json::to_vec(&record).unwrap();
            let cut = cut.index(line.len());
            let mut f = OpenOptions::new().append(true).open(file.path()).unwrap();
            f.write_all(&line[..cut]).unwrap();
            prop_assert_eq!(
                &file
                    .list()
                    .map_err(|e| TestCaseError::fail(format!("{e:?}")))?,
                &listed
            );
            let keys = Keys::new(file.clone());
            let bearer = format!("Bearer {}", tokens[0]);
            prop_assert!(keys.authorize(Some(&bearer), ROLES).is_ok());
            f.write_all(&line[cut..]).unwrap();
            f.write_all(b"\n").unwrap();
            prop_assert_eq!(
                file.list().unwrap().len(),
                listed.len() + 1,
                "the write completed"
            );
            Ok(())
        });
    }
}
