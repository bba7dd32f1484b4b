//! Backups of a serving store: the cut, audited as the taking of a backup by its caller. What
//! a cut holds and how a copy is built from it is [`crate::store::backup`]'s.

use std::path::Path;

use crate::core::chain::AuditEntry;
use crate::core::principal::Principal;
use crate::service::Vetting;
use crate::service::error::Result;
pub use crate::store::backup::Cut;
use crate::store::backup::Restore;
use crate::store::{Store, StoreOptions};

impl Vetting {
    /// Fixes a backup's cut. Its audit event (action `backup`, naming the cut in `client_ref`)
    /// is the cut's last: the copy records its own taking.
    pub fn begin_backup(&self, who: &Principal) -> Result<Cut> {
        let at_ms = self.clock.now_ms();
        let cut = self.store.backup_cut(at_ms, |cut| {
            let mut entry = AuditEntry::by(who, "backup");
            entry.client_ref = format!(
                "data_version {}, change_sequence {}, audit_sequence {}",
                cut.data_version, cut.change_seq, cut.audit_seq
            );
            entry
        })?;
        Ok(cut)
    }
}

impl Vetting {
    /// The change-log records of `cut`, as stored, in sequence order.
    pub fn backup_changes(&self, cut: &Cut) -> impl Iterator<Item = Result<Vec<u8>>> + '_ {
        self.store
            .raw_changes(cut.change_seq)
            .map(|r| Ok(r?.to_vec()))
    }

    /// The audit events of `cut`, as stored, in sequence order.
    pub fn backup_audit(&self, cut: &Cut) -> impl Iterator<Item = Result<Vec<u8>>> + '_ {
        self.store.raw_audit(cut.audit_seq).map(|r| Ok(r?.to_vec()))
    }

    /// Every request record, as `key, value, key, value, ...` (the copy keeps those of the
    /// cut: see [`crate::store::backup`]).
    pub fn backup_requests(&self) -> impl Iterator<Item = Result<Vec<u8>>> + '_ {
        self.store.raw_requests().flat_map(|r| match r {
            Ok((k, v)) => vec![Ok(k.to_vec()), Ok(v.to_vec())],
            Err(e) => vec![Err(e.into())],
        })
    }
}

/// A copy being built from a backup's records, in a new store of its own.
#[derive(Debug)]
pub struct BackupCopy {
    store: Store,
    restore: Restore,
}

/// What a finished copy holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copied {
    pub subjects: usize,
    pub listed_subjects: u64,
    pub request_records: u64,
}

impl BackupCopy {
    /// A new store at `store_dir` (which must hold none) for the backup cut at `cut`.
    pub fn create(store_dir: &Path, cut: Cut) -> Result<Self> {
        let store = Store::open(
            store_dir,
            StoreOptions {
                cache_bytes: COPY_CACHE_BYTES,
                ..StoreOptions::default()
            },
        )?;
        let restore = Restore::begin(store.clone(), cut)?;
        Ok(Self { store, restore })
    }

    pub fn add_changes<B: AsRef<[u8]>>(&mut self, records: &[B]) -> Result<()> {
        Ok(self.restore.add_changes(records)?)
    }

    pub fn add_audit<B: AsRef<[u8]>>(&mut self, records: &[B]) -> Result<()> {
        Ok(self.restore.add_audit(records)?)
    }

    pub fn add_requests<B: AsRef<[u8]>>(&mut self, pairs: &[B]) -> Result<()> {
        Ok(self.restore.add_requests(pairs)?)
    }

    /// Completes the copy (see [`Restore::finish`]) and closes its store.
    pub fn finish(self) -> Result<Copied> {
        let request_records = self.restore.requests_kept();
        let listed_subjects = self.restore.finish()?;
        Ok(Copied {
            subjects: self.store.subject_count(),
            listed_subjects,
            request_records,
        })
    }
}

/// The page cache of a copy being built, in bytes.
const COPY_CACHE_BYTES: u64 = 64 << 20;
