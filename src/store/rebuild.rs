//! `vetting reindex` on a data directory: the store is rebuilt beside the live one
//! (`store.reindex`, by [`Store::rebuild_into`]) and swapped in, so that no old index entry is
//! ever removed (see there why). The swap survives a crash at any step:
//!
//! 1. `store.reindex` is built, flushed, closed and every file of it synced; until then the live
//!    store is untouched, and a `store.reindex` left by a crash is removed by the next reindex
//!    (one that failed removes its own).
//! 2. `store.reindex.done` is written (and the directory synced): from here the swap is decided.
//! 3. `store` is renamed `store.old`, `store.reindex` renamed `store`, `store.old` removed, then
//!    the marker. Every command that opens the store first finishes a swap the marker announces.
//!
//! `reindex.lock` keeps them apart: a reindex holds it from start to end, and opening the store
//! holds it while it looks for the marker and opens, so no server starts half-way through a
//! swap, nor misses a swap decided while it looked.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError, StoreOptions};

const LIVE: &str = "store";
const FRESH: &str = "store.reindex";
const OLD: &str = "store.old";
const DONE: &str = "store.reindex.done";
const LOCK: &str = "reindex.lock";

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(
        "a reindex is running on data directory {0} (or another command is opening its store): \
         wait for it to finish"
    )]
    Busy(PathBuf),
    #[error(
        "data directory {0} holds `store.reindex.done` and `store.old` but neither `store` nor \
         `store.reindex`: a reindex's swap cannot be finished; restore `store` from a backup, or \
         rename `store.old` to `store` and remove the marker to go back to the store as it was \
         before the reindex"
    )]
    Unfinished(PathBuf),
    #[error("data directory {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> RebuildError + '_ {
    move |source| RebuildError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The data directory's reindex lock, held until dropped.
fn lock(data_dir: &Path) -> Result<File, RebuildError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(LOCK))
        .map_err(io_error(data_dir))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(RebuildError::Busy(data_dir.to_owned())),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error(data_dir)(e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), RebuildError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

/// Syncs every file and directory under `dir`, and `dir` itself.
fn sync_all_under(dir: &Path) -> Result<(), RebuildError> {
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.is_dir() {
            sync_all_under(&path)?;
        } else {
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io_error(&path))?;
        }
    }
    sync_dir(dir)
}

/// Finishes a swap that an earlier reindex decided on (its marker is written) but did not
/// finish. Call with the lock held.
fn finish_swap(data_dir: &Path) -> Result<(), RebuildError> {
    let done = data_dir.join(DONE);
    if !done.exists() {
        return Ok(());
    }
    let (live, fresh, old) = (
        data_dir.join(LIVE),
        data_dir.join(FRESH),
        data_dir.join(OLD),
    );
    let err = io_error(data_dir);
    if fresh.exists() {
        if live.exists() {
            if old.exists() {
                std::fs::remove_dir_all(&old).map_err(io_error(data_dir))?;
            }
            std::fs::rename(&live, &old).map_err(io_error(data_dir))?;
        }
        std::fs::rename(&fresh, &live).map_err(io_error(data_dir))?;
        sync_dir(data_dir)?;
    }
    if old.exists() {
        if !live.exists() {
            // Not a state a swap leaves: the old store may be the only one.
            return Err(RebuildError::Unfinished(data_dir.to_owned()));
        }
        std::fs::remove_dir_all(&old).map_err(io_error(data_dir))?;
    }
    std::fs::remove_file(&done).map_err(err)?;
    sync_dir(data_dir)
}

/// Opens the store of `data_dir` (see [`Store::open`]), first finishing a reindex's swap that
/// a crash interrupted. Refuses while a reindex runs on the directory.
pub fn open(data_dir: &Path, opts: StoreOptions) -> Result<Store, RebuildError> {
    // Opening a store in a directory that does not exist yet creates both.
    if !data_dir.try_exists().map_err(io_error(data_dir))? {
        return Ok(Store::open(&data_dir.join(LIVE), opts)?);
    }
    // Exclusive, and the marker looked for only once it is held: a reindex killed after
    // writing its marker must never see its swap skipped by an open that looked before.
    // (Only one process can open the store at a time anyway: sled's own lock.)
    let _lock = lock(data_dir)?;
    finish_swap(data_dir)?;
    Ok(Store::open(&data_dir.join(LIVE), opts)?)
}

/// Rebuilds the candidate index of the store in `data_dir` (beside it, then swapped in).
/// Returns the number of listed subjects indexed.
pub fn reindex(data_dir: &Path, cache_bytes: u64) -> Result<u64, RebuildError> {
    let _lock = lock(data_dir)?;
    finish_swap(data_dir)?;
    let opts = StoreOptions {
        cache_bytes,
        ..StoreOptions::default()
    };
    // Refused while a server runs on the directory (sled's own lock).
    let live = Store::open(
        &data_dir.join(LIVE),
        StoreOptions {
            allow_outdated_index: true,
            ..opts
        },
    )?;
    let fresh_path = data_dir.join(FRESH);
    if fresh_path.exists() {
        // An earlier rebuild that stopped before its end: never swapped in.
        std::fs::remove_dir_all(&fresh_path).map_err(io_error(data_dir))?;
    }
    let built = (|| -> Result<u64, RebuildError> {
        let fresh = Store::open(&fresh_path, opts)?;
        let n = live.rebuild_into(&fresh)?;
        fresh.checkpoint()?;
        drop(fresh);
        // sled syncs its files' contents, not their names: a power cut after the marker must
        // find every file of the new store.
        sync_all_under(&fresh_path)?;
        Ok(n)
    })();
    let n = match built {
        Ok(n) => n,
        Err(e) => {
            // Never swapped in: the space it takes is freed now rather than by the next
            // reindex. The error is the rebuild's, whatever the removal does.
            let _ = std::fs::remove_dir_all(&fresh_path);
            return Err(e);
        }
    };
    live.checkpoint()?;
    drop(live);
    let done = data_dir.join(DONE);
    File::create(&done)
        .and_then(|f| f.sync_all())
        .map_err(io_error(data_dir))?;
    sync_dir(data_dir)?;
    finish_swap(data_dir)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> StoreOptions {
        StoreOptions {
            cache_bytes: 16 << 20,
            ..StoreOptions::default()
        }
    }

    /// A store at `path` whose data version is `v`: enough to tell stores apart.
    fn store_with_version(path: &Path, v: u64) {
        let store = Store::open(path, opts()).unwrap();
        for _ in 0..v {
            store
                .transact::<_, StoreError>(|tx| tx.bump_data_version())
                .unwrap();
        }
        store.checkpoint().unwrap();
    }

    fn version(data_dir: &Path) -> u64 {
        open(data_dir, opts()).unwrap().data_version().unwrap()
    }

    fn left_over(data_dir: &Path) -> Vec<&'static str> {
        [FRESH, OLD, DONE]
            .into_iter()
            .filter(|f| data_dir.join(f).exists())
            .collect()
    }

    #[test]
    fn a_swap_stopped_at_any_step_is_finished_by_the_next_open() {
        // The steps a crash can stop between, as the directory holds them then.
        for step in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            store_with_version(&d.join(FRESH), 7);
            match step {
                // Marker written, nothing renamed.
                0 => store_with_version(&d.join(LIVE), 1),
                // The old store moved aside, the new one not yet in place.
                1 => store_with_version(&d.join(OLD), 1),
                // Both renamed, the old one not yet removed.
                _ => {
                    store_with_version(&d.join(OLD), 1);
                    std::fs::rename(d.join(FRESH), d.join(LIVE)).unwrap();
                }
            }
            File::create(d.join(DONE)).unwrap();
            assert_eq!(version(d), 7, "step {step}");
            assert!(left_over(d).is_empty(), "step {step}: {:?}", left_over(d));
        }
    }

    #[test]
    fn a_rebuild_stopped_before_its_marker_is_never_swapped_in_and_the_next_reindex_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        store_with_version(&d.join(LIVE), 3);
        store_with_version(&d.join(FRESH), 9);
        assert_eq!(version(d), 3);
        reindex(d, 16 << 20).unwrap();
        // The live store's data version is copied; the stray one is gone.
        assert_eq!(version(d), 3);
        assert!(left_over(d).is_empty(), "{:?}", left_over(d));
    }

    #[test]
    fn nothing_opens_the_store_while_a_reindex_holds_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        store_with_version(&d.join(LIVE), 1);
        let held = lock(d).unwrap();
        for e in [
            open(d, opts()).map(|_| ()).unwrap_err(),
            reindex(d, 16 << 20).map(|_| ()).unwrap_err(),
        ] {
            assert!(matches!(e, RebuildError::Busy(_)), "{e:?}");
            assert!(e.to_string().contains("a reindex is running"), "{e}");
        }
        drop(held);
        assert_eq!(version(d), 1);
    }

    #[test]
    fn a_swap_that_cannot_be_finished_keeps_the_old_store_and_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Marker and old store, nothing else: not a state a swap leaves.
        store_with_version(&d.join(OLD), 4);
        File::create(d.join(DONE)).unwrap();
        let e = open(d, opts()).map(|_| ()).unwrap_err();
        assert!(matches!(e, RebuildError::Unfinished(_)), "{e:?}");
        assert!(
            e.to_string().contains("rename `store.old` to `store`"),
            "{e}"
        );
        assert!(d.join(OLD).join("db").exists(), "the old store was removed");
        assert!(!d.join(LIVE).exists(), "an empty store was created");
    }

    /// `sled::open` of a store this process has just closed: sled's own threads can hold its
    /// lock for a moment after the last handle is dropped, so a lock error is retried, for at
    /// most 5 s (as `tests/it/harness.rs` `reopen` does).
    fn sled_reopened(path: &Path) -> sled::Db {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match sled::open(path) {
                Err(e)
                    if crate::store::is_lock_error(&e) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => return other.unwrap(),
            }
        }
    }

    #[test]
    fn a_failed_rebuild_removes_what_it_built() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        store_with_version(&d.join(LIVE), 2);
        // A subject record the rebuild cannot read.
        {
            let db = sled_reopened(&d.join(LIVE));
            db.open_tree("subjects")
                .unwrap()
                .insert("x", "not a subject")
                .unwrap();
            db.flush().unwrap();
        }
        let e = reindex(d, 16 << 20).map(|_| ()).unwrap_err();
        assert!(matches!(e, RebuildError::Store(_)), "{e:?}");
        assert!(left_over(d).is_empty(), "{:?}", left_over(d));
        assert_eq!(version(d), 2);
    }
}
