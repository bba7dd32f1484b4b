//! The command line: `serve`, `keys`, `reindex`, `verify-audit`, `import`, `export`, `backup`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::auth::{KeyFile, Keys, Role};
use crate::core::clock::Clock;
use crate::matching::MatchConfig;
use crate::server::{self, Limits};
use crate::service::Vetting;
use crate::service::error::chain;
use crate::store::{Store, StoreOptions};

/// Exit code for bad usage or configuration (BSD sysexits EX_USAGE).
pub const EXIT_USAGE: i32 = 64;
/// The smallest page cache `serve` accepts, in MiB (sled panics with none).
pub const MIN_CACHE_MB: u64 = 16;

/// Exit code for any other failure.
pub const EXIT_FAILURE: i32 = 1;

/// Exit code for an import refused for its bad lines (BSD sysexits EX_DATAERR).
pub const EXIT_DATAERR: i32 = 65;

#[derive(Debug, Parser)]
#[command(
    name = "vetting",
    version,
    about = "Is this person barred, or under live investigation? The vetting gRPC service."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Create, list and revoke API keys (works while a server runs on the same data directory).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Rebuild the candidate index from the subjects (after an upgrade changes its format).
    Reindex(DataDir),
    /// Walk the audit trail's hash chain and report the first broken event (server stopped);
    /// with --file, the chain of an audit trail exported by `export --with-audit`.
    VerifyAudit {
        #[command(flatten)]
        dir: DataDir,
        /// An exported audit trail (JSON lines) to verify instead of the store's.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Import subjects from JSON lines, one `Subject` a line in proto3 JSON (server stopped).
    /// All or nothing: every line is validated first, and any bad line (each is listed, `line
    /// N: field: problem`) means nothing is written (exit code 65). Subjects whose subject_id
    /// is already here are skipped, so an import can be re-run.
    Import {
        #[command(flatten)]
        dir: DataDir,
        /// The JSON lines file; `-` reads standard input.
        file: PathBuf,
    },
    /// Export every subject, with listings and investigations, as JSON lines on stdout (server
    /// stopped); with --with-audit, the audit trail too, into a file of its own.
    Export {
        #[command(flatten)]
        dir: DataDir,
        /// Also write every audit event, in sequence order, as JSON lines of
        /// `vetting.v1.AuditEvent` into FILE (a new file), with the chain's hashes, so that
        /// `vetting verify-audit --file FILE` verifies it.
        #[arg(long, value_name = "FILE")]
        with_audit: Option<PathBuf>,
    },
    /// Take a consistent backup of a RUNNING server into DIR (new or empty), with an admin
    /// key: the registry, the change log and the audit trail up to one cut, the key file. A
    /// server started on DIR (`vetting serve --data-dir DIR`) answers as the original did at
    /// the backup's data version.
    Backup(BackupArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The directory to write the copy to: a new or empty directory.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// The server's URL (`https://...` with --tls-ca).
    #[arg(long, env = "VETTING_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// A file holding the admin key's token (else the VETTING_TOKEN environment variable).
    #[arg(long, env = "VETTING_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// PEM CA certificates to trust for an https server.
    #[arg(long, env = "VETTING_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// A PEM client certificate, for a server that requires mTLS; with --tls-client-key.
    #[arg(
        long,
        env = "VETTING_TLS_CLIENT_CERT",
        value_name = "FILE",
        requires = "tls_client_key"
    )]
    pub tls_client_cert: Option<PathBuf>,
    /// The PEM private key of --tls-client-cert.
    #[arg(
        long,
        env = "VETTING_TLS_CLIENT_KEY",
        value_name = "FILE",
        requires = "tls_client_cert"
    )]
    pub tls_client_key: Option<PathBuf>,
    /// Longest the whole backup may take, in seconds.
    #[arg(long, env = "VETTING_BACKUP_DEADLINE_SECS", default_value_t = 3600)]
    pub deadline_secs: u64,
}

#[derive(Debug, Args)]
pub struct DataDir {
    /// Data directory: the store (`store/`) and the key file (`keys.jsonl`).
    #[arg(long, env = "VETTING_DATA_DIR", default_value = "./vetting-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints its token, alone, on stdout (it is shown only this once).
    Create {
        #[command(flatten)]
        dir: DataDir,
        /// What the key may do.
        #[arg(long, value_enum)]
        role: Role,
        /// The organisation the key belongs to, as the audit trail names it.
        #[arg(long)]
        organisation: String,
        /// What a checker key sees beyond the barred list (which every checker sees): a
        /// comma-separated list of `advisory` (police forces, the Home Office, the IOPC,
        /// HMICFRS), `investigations` (every sector's) or one sector's
        /// `investigations:policing`, `investigations:probation`, `investigations:prisons`.
        /// Without it a checker key sees the barred list only; other roles take none.
        #[arg(long, value_name = "SCOPES")]
        sees: Option<crate::core::disclosure::Scopes>,
    },
    /// List keys (never their tokens).
    List {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Revoke a key; a running server refuses it from its next request.
    Revoke {
        #[command(flatten)]
        dir: DataDir,
        /// The key's id (`key_...`, from `keys list`).
        key_id: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VETTING_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub dir: DataDir,
    /// Serve a throwaway registry of synthetic people, with one key per role printed at start.
    #[arg(long, env = "VETTING_DEMO")]
    pub demo: bool,
    /// Log format: text for people, json for log collectors.
    #[arg(long, env = "VETTING_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "VETTING_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Most requests served at once, over all connections.
    #[arg(long, env = "VETTING_CONCURRENCY_LIMIT", default_value_t = 256)]
    pub concurrency_limit: usize,
    /// Most CheckBatch streams open at once, over all connections; more are refused
    /// RESOURCE_EXHAUSTED.
    #[arg(long, env = "VETTING_MAX_STREAMS", default_value_t = 1024)]
    pub max_streams: usize,
    /// Most calls open at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS);
    /// clients queue the rest.
    #[arg(long, env = "VETTING_MAX_CALLS_PER_CONNECTION", default_value_t = 128)]
    pub max_calls_per_connection: u32,
    /// Longest a unary call may take, in seconds.
    #[arg(long, env = "VETTING_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// At shutdown, how long to go on serving with health NOT_SERVING before draining, in
    /// seconds, so that load balancers and health checks see NOT_SERVING and move away.
    #[arg(long, env = "VETTING_SHUTDOWN_NOTICE_SECS", default_value_t = 2)]
    pub shutdown_notice_secs: u64,
    /// How long in-flight calls may drain at shutdown, in seconds.
    #[arg(long, env = "VETTING_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// sled's page cache, in MiB, warmed at start with what checks read (4096 for a million
    /// listed people).
    #[arg(long, env = "VETTING_CACHE_MB", default_value_t = 512)]
    pub cache_mb: u64,
    /// Flush every check's audit event to disk before answering (survives a power cut, adds an
    /// fsync, 150-300 µs by machine, to each check). By default it goes to the check journal,
    /// which survives the process being killed, and reaches the disk within a second.
    #[arg(long, env = "VETTING_SYNC_CHECKS")]
    pub sync_checks: bool,
    /// Score from which a match is STRONG (decisive).
    #[arg(long, env = "VETTING_MATCH_STRONG_THRESHOLD", default_value_t = MatchConfig::default().strong_threshold)]
    pub match_strong_threshold: f64,
    /// Score from which a match is POSSIBLE (referred to a person).
    #[arg(long, env = "VETTING_MATCH_POSSIBLE_THRESHOLD", default_value_t = MatchConfig::default().possible_threshold)]
    pub match_possible_threshold: f64,
    /// Most candidates one check considers.
    #[arg(long, env = "VETTING_MAX_CANDIDATES", default_value_t = 5_000)]
    pub max_candidates: usize,
    /// Serve TLS with this PEM certificate chain (the server's certificate first); with
    /// --tls-key. Reloaded on SIGHUP and when the file changes.
    #[arg(long, env = "VETTING_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "VETTING_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Require a client certificate signed by a CA in this PEM file (mTLS), as well as the
    /// bearer token. Needs --tls-cert.
    #[arg(long, env = "VETTING_TLS_CLIENT_CA", value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// Allow plaintext on an address other than loopback (only behind a proxy that does TLS).
    #[arg(long, env = "VETTING_INSECURE_PLAINTEXT")]
    pub insecure_plaintext: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics: plain HTTP, without authentication, so
    /// bind it to loopback or an internal network. Off by default.
    #[arg(long, env = "VETTING_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
}

impl ServeArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_message_bytes: self.max_message_bytes,
            concurrency: self.concurrency_limit,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            shutdown_notice: Duration::from_secs(self.shutdown_notice_secs),
            max_streams: self.max_streams,
            max_calls_per_connection: self.max_calls_per_connection,
        }
    }

    /// Plaintext or TLS, by [`crate::tls::transport`]'s rule.
    pub fn transport(&self) -> Result<crate::tls::Transport, crate::tls::TransportError> {
        crate::tls::transport(
            self.listen,
            self.demo,
            self.tls_cert.as_deref(),
            self.tls_key.as_deref(),
            self.tls_client_ca.as_deref(),
            self.insecure_plaintext,
        )
    }

    /// Checks the settings hang together; the message is one line for the operator.
    pub fn validate(&self) -> Result<MatchConfig, String> {
        let (s, p) = (self.match_strong_threshold, self.match_possible_threshold);
        if !(0.0..=1.0).contains(&s) || !(0.0..=1.0).contains(&p) || p > s {
            return Err(format!(
                "match thresholds must satisfy 0 <= possible ({p}) <= strong ({s}) <= 1"
            ));
        }
        if self.max_message_bytes < 1024
            || self.concurrency_limit == 0
            || self.max_candidates == 0
            || self.max_streams == 0
            || self.max_calls_per_connection == 0
        {
            return Err(
                "--max-message-bytes must be at least 1024; --concurrency-limit, --max-candidates, --max-streams and --max-calls-per-connection at least 1"
                    .into(),
            );
        }
        if self.cache_mb < MIN_CACHE_MB {
            return Err(format!(
                "--cache-mb must be at least {MIN_CACHE_MB} (sled cannot run without a page cache)"
            ));
        }
        if self.request_timeout_secs == 0 {
            return Err("--request-timeout-secs must be at least 1".into());
        }
        Ok(MatchConfig {
            strong_threshold: s,
            possible_threshold: p,
        })
    }
}

/// A failure the command line reports as one line, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    fn from_error(e: &dyn std::error::Error) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Self {
            code: EXIT_FAILURE,
            message,
        }
    }
}

pub fn store_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("store")
}

/// Opens the store of `data_dir`, first finishing an import that a crash stopped half-way
/// (until then none of it is visible, and the store opens for nothing else).
fn open_store(data_dir: &Path, opts: StoreOptions) -> Result<Store, Failure> {
    let opts = StoreOptions {
        allow_interrupted_import: true,
        ..opts
    };
    let store = crate::store::rebuild::open(data_dir, opts).map_err(|e| Failure::from_error(&e))?;
    Vetting::new(store.clone(), Clock::System)
        .finish_interrupted_import(&crate::transfer::Progress::on_stderr())
        .map_err(|e| Failure::from_error(&e))?;
    Ok(store)
}

/// The store of `data_dir`, which must hold one already: a command that only reads (export,
/// verify-audit, reindex) must not create an empty store in a mistyped directory and report on
/// it as if all were well.
fn existing_store(data_dir: &Path, opts: StoreOptions) -> Result<Store, Failure> {
    need_store(data_dir)?;
    open_store(data_dir, opts)
}

fn need_store(data_dir: &Path) -> Result<(), Failure> {
    if store_dir(data_dir).is_dir() {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "no store in {} (is --data-dir right? `vetting serve` or `vetting import` makes one)",
            data_dir.display()
        )))
    }
}

/// The key file of `data_dir`, which must exist: `keys` never creates a directory, so that a
/// mistyped --data-dir gets an error rather than a key file the server never reads.
fn key_file(data_dir: &Path) -> Result<KeyFile, Failure> {
    if data_dir.is_dir() {
        Ok(KeyFile::in_dir(data_dir))
    } else {
        Err(Failure::usage(format!(
            "data directory {} does not exist (is --data-dir right? create it, or start `vetting serve` on it once)",
            data_dir.display()
        )))
    }
}

/// An error of `keys`: a bad organisation is the caller's (64), the rest the machine's.
fn key_failure(e: &crate::auth::AuthError) -> Failure {
    match e {
        crate::auth::AuthError::BadOrganisation
        | crate::auth::AuthError::KeyNotFound(_)
        | crate::auth::AuthError::AlreadyRevoked(_)
        | crate::auth::AuthError::ScopesForRole { .. } => Failure::usage(e.to_string()),
        _ => Failure::from_error(e),
    }
}

/// `keys list`'s SEES column: a checker key's scopes (`(before scopes)` marks a key written
/// before scopes existed, which keeps everything), the public's published window, else `all`.
fn sees_column(k: &crate::auth::KeyInfo) -> String {
    match k.role {
        Role::Checker if k.is_legacy_checker() => format!("{} (before scopes)", k.view()),
        Role::Checker => k.view().to_string(),
        Role::Public => "published,5-years".to_owned(),
        Role::Registrar | Role::Auditor | Role::Admin => "all".to_owned(),
    }
}

fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The caller the audit trail names for command-line imports and exports.
fn operator() -> crate::auth::Principal {
    crate::auth::Principal {
        key_id: "command-line".into(),
        organisation: "local operator".into(),
        role: Role::Admin,
        sees: crate::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    }
}

/// A refused import lists its bad lines on stderr, `line N: field: problem`, and exits 65.
fn import_failure(e: &crate::transfer::TransferError) -> Failure {
    match e {
        crate::transfer::TransferError::Refused { listed, more, .. } => {
            let mut err = std::io::stderr().lock();
            for bad in listed {
                let _ = writeln!(err, "{bad}");
            }
            if *more > 0 {
                let _ = writeln!(err, "... and {more} more bad lines");
            }
            Failure {
                code: EXIT_DATAERR,
                message: e.to_string(),
            }
        }
        other => Failure::from_error(other),
    }
}

/// Runs a command other than `serve`.
pub fn run_offline(command: Command) -> Result<(), Failure> {
    let clock = Clock::System;
    match command {
        Command::Serve(_) => Err(Failure::usage("serve runs through run_serve")),
        Command::Keys { command } => match command {
            KeysCommand::Create {
                dir,
                role,
                organisation,
                sees,
            } => {
                let (info, token) = key_file(&dir.data_dir)?
                    .create_with(role, &organisation, sees, &clock)
                    .map_err(|e| key_failure(&e))?;
                let scopes = info.sees.map(|s| format!(", sees {s}")).unwrap_or_default();
                eprintln!(
                    "created {} ({}, {}{scopes}); the token below is shown only once",
                    info.key_id,
                    role.as_str(),
                    info.organisation
                );
                println!("{token}");
                Ok(())
            }
            KeysCommand::List { dir } => {
                let keys = key_file(&dir.data_dir)?
                    .list()
                    .map_err(|e| key_failure(&e))?;
                println!(
                    "{:<30} {:<10} {:<22} {:<22} {:<32} ORGANISATION",
                    "KEY", "ROLE", "CREATED", "REVOKED", "SEES"
                );
                for k in keys {
                    println!(
                        "{:<30} {:<10} {:<22} {:<22} {:<32} {}",
                        k.key_id,
                        k.role.as_str(),
                        format_ms(k.created_at_ms),
                        k.revoked_at_ms.map_or_else(|| "-".to_owned(), format_ms),
                        sees_column(&k),
                        k.organisation
                    );
                }
                Ok(())
            }
            KeysCommand::Revoke { dir, key_id } => {
                let k = key_file(&dir.data_dir)?
                    .revoke(&key_id, &clock)
                    .map_err(|e| key_failure(&e))?;
                eprintln!(
                    "revoked {} ({}, {})",
                    k.key_id,
                    k.role.as_str(),
                    k.organisation
                );
                Ok(())
            }
        },
        Command::Reindex(dir) => {
            need_store(&dir.data_dir)?;
            let n =
                crate::store::rebuild::reindex(&dir.data_dir, StoreOptions::default().cache_bytes)
                    .map_err(|e| Failure::from_error(&e))?;
            eprintln!("reindexed {n} listed subjects");
            Ok(())
        }
        Command::Import { dir, file } => {
            std::fs::create_dir_all(&dir.data_dir).map_err(|e| Failure::from_error(&e))?;
            let v = Vetting::new(open_store(&dir.data_dir, StoreOptions::default())?, clock);
            let progress = crate::transfer::Progress::on_stderr();
            let report = if file.as_os_str() == "-" {
                let stdin = std::io::stdin().lock();
                v.import_lines_with(&operator(), stdin, None, &progress)
            } else {
                let f = std::fs::File::open(&file).map_err(|e| Failure {
                    code: EXIT_USAGE,
                    message: format!("cannot open {}: {e}", file.display()),
                })?;
                let size = f.metadata().ok().map(|m| m.len());
                let input = std::io::BufReader::with_capacity(1 << 20, f);
                v.import_lines_with(&operator(), input, size, &progress)
            }
            .map_err(|e| import_failure(&e))?;
            eprintln!(
                "imported {} subjects ({} already present, skipped)",
                report.created, report.skipped
            );
            Ok(())
        }
        Command::Export { dir, with_audit } => {
            let v = Vetting::new(
                existing_store(&dir.data_dir, StoreOptions::default())?,
                clock,
            );
            let audit_file = with_audit.as_deref().map(create_new).transpose()?;
            let n = v
                .export_lines(std::io::stdout().lock())
                .map_err(|e| Failure::from_error(&e))?;
            v.audit_export(&operator(), n)
                .map_err(|e| Failure::from_error(&e))?;
            eprintln!("exported {n} subjects");
            if let Some(f) = audit_file {
                let events = v
                    .export_audit_lines(std::io::BufWriter::new(f))
                    .map_err(|e| Failure::from_error(&e))?;
                eprintln!("exported {events} audit events");
                if let Some((seq, hash)) =
                    v.store.audit_head().map_err(|e| Failure::from_error(&e))?
                {
                    eprintln!("audit trail head: event {seq}, hash {hash}");
                }
            }
            Ok(())
        }
        Command::Backup(args) => run_backup(&args),
        Command::VerifyAudit { dir, file } => {
            let v = match file {
                Some(f) => crate::transfer::audit::verify_audit_file(&f)
                    .map_err(|e| Failure::from_error(&e))?,
                None => {
                    let store = existing_store(&dir.data_dir, StoreOptions::default())?;
                    Vetting::new(store, clock)
                        .verify_audit_log()
                        .map_err(|e| Failure::from_error(&e))?
                }
            };
            if v.intact {
                println!("intact: {} events, head {}", v.events_checked, v.head_hash);
                Ok(())
            } else {
                Err(Failure {
                    code: EXIT_FAILURE,
                    message: format!(
                        "audit trail broken at event {} ({} events checked)",
                        v.first_bad_sequence, v.events_checked
                    ),
                })
            }
        }
    }
}

/// A new file for an export to write; an existing one is refused, not overwritten.
fn create_new(path: &Path) -> Result<std::fs::File, Failure> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))
}

/// `vetting backup`: a gRPC client of a running server's `AdminService.Backup`.
fn run_backup(args: &BackupArgs) -> Result<(), Failure> {
    let token = match &args.token_file {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", f.display())))?,
        None => std::env::var("VETTING_TOKEN").map_err(|_| {
            Failure::usage("an admin key's token is needed: --token-file FILE or VETTING_TOKEN")
        })?,
    };
    let client = crate::api::admin::BackupClient {
        url: args.server.clone(),
        token: token.trim().to_owned(),
        tls_ca: args.tls_ca.clone(),
        tls_identity: args
            .tls_client_cert
            .clone()
            .zip(args.tls_client_key.clone()),
        deadline: Duration::from_secs(args.deadline_secs.max(1)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::from_error(&e))?;
    match rt.block_on(client.take(&args.to)) {
        Ok(r) => {
            println!(
                "backup of data version {} in {}: change log to {}, audit trail to {} (head {}), {} subjects ({} listed), {} request records",
                r.data_version,
                args.to.display(),
                r.change_sequence,
                r.audit_sequence,
                r.audit_head_hash,
                r.subjects,
                r.listed_subjects,
                r.request_records,
            );
            Ok(())
        }
        Err(
            e @ (crate::api::admin::BackupError::NotEmpty(_)
            | crate::api::admin::BackupError::Usage(_)),
        ) => Err(Failure::usage(e.to_string())),
        Err(e) => {
            let nothing = std::fs::read_dir(&args.to).is_ok_and(|mut d| d.next().is_none());
            let left = if nothing {
                String::new()
            } else {
                format!(
                    "; {} holds an incomplete copy that no server opens: remove it",
                    args.to.display()
                )
            };
            Err(Failure {
                code: EXIT_FAILURE,
                message: format!("backup failed: {}{left}", crate::api::admin::describe(&e)),
            })
        }
    }
}

/// `vetting serve`: opens the store (or a demo one), binds, serves until a signal.
pub async fn run_serve(args: ServeArgs) -> Result<(), Failure> {
    let match_config = args.validate().map_err(Failure::usage)?;
    // SIGHUP reloads the TLS files, or is logged; its default action would end the process.
    // Registered before the listener is bound: tokio keeps a signal's handler for the process's
    // life, so a SIGHUP sent as soon as the port answers finds it.
    if let Err(e) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        return Err(Failure::from_error(&e));
    }
    let tls = match args
        .transport()
        .map_err(|e| Failure::usage(e.to_string()))?
    {
        crate::tls::Transport::Plain { exposed } => {
            if exposed {
                tracing::warn!(
                    listen = %args.listen,
                    "--insecure-plaintext: serving plaintext on an address other than loopback; \
                     tokens and answers cross the network unencrypted unless a proxy in front \
                     does TLS"
                );
            }
            None
        }
        crate::tls::Transport::Tls(files) => {
            crate::tls::install_crypto_provider();
            Some(crate::tls::Tls::load(files).map_err(|e| Failure::usage(chain(&e)))?)
        }
    };
    let clock = Clock::System;
    let demo_dir;
    let data_dir = if args.demo {
        demo_dir = tempfile::Builder::new()
            .prefix("vetting-demo-")
            .tempdir()
            .map_err(|e| Failure::from_error(&e))?;
        demo_dir.path().to_owned()
    } else {
        args.dir.data_dir.clone()
    };
    std::fs::create_dir_all(&data_dir).map_err(|e| Failure {
        code: EXIT_FAILURE,
        message: format!("cannot create data directory {}: {e}", data_dir.display()),
    })?;
    let store = open_store(
        &data_dir,
        StoreOptions {
            cache_bytes: args.cache_mb.saturating_mul(1024 * 1024),
            sync_checks: args.sync_checks,
            ..StoreOptions::default()
        },
    )?;
    let mut vetting = Vetting::new(store, clock.clone());
    vetting.match_config = match_config;
    vetting.max_candidates = args.max_candidates;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(|e| Failure::from_error(&e))?;
    let metrics = match args.metrics_listen {
        Some(a) => Some(
            tokio::net::TcpListener::bind(a)
                .await
                .map_err(|e| Failure::usage(format!("cannot listen for metrics on {a}: {e}")))?,
        ),
        None => None,
    };
    let key_file = KeyFile::in_dir(&data_dir);
    if args.demo {
        let v = vetting.clone();
        let kf = key_file.clone();
        let banner = tokio::task::spawn_blocking(move || crate::demo::seed(&v, &kf, addr))
            .await
            .map_err(|e| Failure::from_error(&e))?
            .map_err(|e| Failure::from_error(&e))?;
        // A closed stdout (the banner's reader gone) must not stop the server.
        let _ = std::io::Write::write_all(
            &mut std::io::stdout().lock(),
            format!("{banner}\n").as_bytes(),
        );
    } else if key_file.list().map(|k| k.is_empty()).unwrap_or(false) {
        tracing::warn!(
            "no API keys yet: create one with `vetting keys create --data-dir {} --role checker --organisation ...`",
            data_dir.display()
        );
    }
    let legacy = key_file.list().map_or(0, |k| {
        k.iter()
            .filter(|k| k.is_legacy_checker() && k.revoked_at_ms.is_none())
            .count()
    });
    if legacy > 0 {
        tracing::warn!(
            legacy,
            "checker keys written before scopes existed keep the full view (advisory entries and every sector's investigations): replace each with `vetting keys create --sees ...` and revoke it (`vetting keys list` marks them)"
        );
    }
    let keys = Arc::new(Keys::new(key_file));
    let incoming = match tls {
        None => server::Incoming::Plain(listener),
        Some(tls) => server::Incoming::Tls(listener, tls),
    };
    server::serve_on(
        vetting,
        keys,
        incoming,
        metrics,
        args.limits(),
        server::termination(),
    )
    .await
    .map_err(|e| Failure::from_error(&e))
}
