//! The check journal: a check's audit event, written to a plain file before the answer goes out.
//!
//! A check writes nothing but its audit event, and takes no sled transaction for it: the event
//! is sealed into the audit chain in memory ([`crate::store::Store::record`]) and appended to
//! this journal with one `write`, under the chain's mutex, so the journal holds events in chain
//! order. From then on it is in the kernel's page cache, so it survives the process being killed
//! (`kill -9`, a panic, the OOM killer) the instant after the answer: the journal is the
//! event's write-ahead record. The durability owner moves journaled events into the audit trees
//! in batches, syncs this file in every round before it flushes sled, and checkpoints every
//! second. Only a power cut or a kernel crash before the next round can lose an event;
//! `--sync-checks` makes each check wait for that round.
//!
//! A checkpoint starts a new journal file, moves every event waiting into the store and flushes
//! sled (so every event in the older files is on disk in the store), then removes the older
//! files. At open, the events of any files left (a process that was killed) are put back into
//! the store where they are missing (see `Tx::restore_event`), in one transaction that also
//! records the newest file replayed, so a replay is never applied twice.
//!
//! Files: `journal/<generation, 20 digits>.log`, records of `length (u32 LE), the first 8 bytes
//! of the SHA-256 of the payload, payload (the postcard-encoded event)`. A record cut short or
//! damaged ends the file's replay: its write never completed, so its check was never answered.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::core::chain::AuditEvent;

/// The journal's directory, inside the store's.
pub const DIR: &str = "journal";
const EXT: &str = "log";
const HEADER: usize = 12;

/// The open journal: the file checks append to, and its generation.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    current: Mutex<Current>,
}

#[derive(Debug)]
struct Current {
    /// Shared so that a sync runs without holding the lock appends take.
    file: std::sync::Arc<File>,
    generation: u64,
    records: u64,
    /// Bytes written: a failed write is cut back to this.
    len: u64,
    /// A failed write could not be cut back: nothing more goes in this file.
    broken: bool,
}

impl Current {
    fn new(file: File, generation: u64) -> Self {
        Self {
            file: std::sync::Arc::new(file),
            generation,
            records: 0,
            len: 0,
            broken: false,
        }
    }
}

/// What a replay found: the events of the files left after a given generation, and the
/// generations of all the files left.
#[derive(Debug, Default)]
pub struct Leftover {
    pub events: Vec<AuditEvent>,
    pub generations: Vec<u64>,
    /// Records cut short or damaged (each ends its file's replay).
    pub damaged: usize,
}

fn checksum(payload: &[u8]) -> [u8; 8] {
    let digest = Sha256::digest(payload);
    let mut out = [0u8; 8];
    out.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    out
}

/// One record, ready for a single `write`.
pub fn encode_record(event: &AuditEvent) -> io::Result<Vec<u8>> {
    let payload = event.to_bytes();
    let len = u32::try_from(payload.len()).map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The events of one file's bytes, up to the first record cut short or damaged; and whether
/// there was one.
pub fn decode_records(mut bytes: &[u8]) -> (Vec<AuditEvent>, bool) {
    let mut events = Vec::new();
    while !bytes.is_empty() {
        let Some((header, rest)) = bytes.split_at_checked(HEADER) else {
            return (events, true);
        };
        let Some((len, sum)) = header.split_first_chunk::<4>() else {
            return (events, true);
        };
        let len = u32::from_le_bytes(*len) as usize;
        let Some((payload, rest)) = rest.split_at_checked(len) else {
            return (events, true);
        };
        if checksum(payload) != sum {
            return (events, true);
        }
        match AuditEvent::from_bytes(payload).ok_or(()) {
            Ok(e) => events.push(e),
            Err(_) => return (events, true),
        }
        bytes = rest;
    }
    (events, false)
}

fn file_of(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("{generation:020}.{EXT}"))
}

/// The generation of a journal file, by its name exactly as [`file_of`] writes it; other files
/// are not the journal's.
fn generation_of(path: &Path) -> Option<u64> {
    let generation: u64 = path.file_stem()?.to_str()?.parse().ok()?;
    (file_of(path.parent()?, generation) == path).then_some(generation)
}

/// The generations of the journal files in `dir`, oldest first.
fn generations(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        if let Some(g) = generation_of(&entry?.path()) {
            out.push(g);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The generation after `generation`.
fn next_after(generation: u64) -> io::Result<u64> {
    generation
        .checked_add(1)
        .ok_or_else(|| io::Error::other("journal generations exhausted"))
}

fn create(dir: &Path, generation: u64) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(file_of(dir, generation))
}

impl Journal {
    /// The files a previous process left in `store_dir`'s journal, read (those after generation
    /// `after`) but not removed.
    pub fn leftover(store_dir: &Path, after: u64) -> io::Result<Leftover> {
        let dir = store_dir.join(DIR);
        if !dir.exists() {
            return Ok(Leftover::default());
        }
        let mut out = Leftover::default();
        for g in generations(&dir)? {
            if g > after {
                let (events, damaged) = decode_records(&fs::read(file_of(&dir, g))?);
                out.events.extend(events);
                out.damaged += usize::from(damaged);
            }
            out.generations.push(g);
        }
        Ok(out)
    }

    /// Removes the files of `generations` and starts a new journal file after all of them and
    /// after `after`.
    pub fn start(store_dir: &Path, generations: &[u64], after: u64) -> io::Result<Self> {
        let dir = store_dir.join(DIR);
        fs::create_dir_all(&dir)?;
        for g in generations {
            remove(&dir, *g)?;
        }
        let newest = generations.iter().copied().max().unwrap_or(0).max(after);
        let generation = next_after(newest)?;
        let file = create(&dir, generation)?;
        File::open(&dir)?.sync_all()?;
        Ok(Self {
            dir,
            current: Mutex::new(Current::new(file, generation)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `event` with one `write`: when this returns, the event survives the process.
    pub fn append(&self, event: &AuditEvent) -> io::Result<()> {
        let record = encode_record(event)?;
        let mut current = self.lock();
        if current.broken {
            return Err(io::Error::other(
                "the journal file is broken until the next checkpoint",
            ));
        }
        if let Err(e) = (&*current.file).write_all(&record) {
            // Part of the record may be in the file: cut it off, or records after it would be
            // unreadable.
            let len = current.len;
            if current.file.set_len(len).is_err() {
                current.broken = true;
            }
            return Err(e);
        }
        current.len += record.len() as u64;
        current.records += 1;
        Ok(())
    }

    /// Makes every record appended so far survive a power cut (`fdatasync` of the current
    /// file; the events of files ended earlier are in the store, flushed by the checkpoint that
    /// ended them, before any later round).
    pub fn sync(&self) -> io::Result<()> {
        let file = {
            let current = self.lock();
            if current.records == 0 {
                return Ok(());
            }
            current.file.clone()
        };
        file.sync_data()
    }

    /// Starts a new file if the current one holds anything; returns the generation of the file
    /// it ends, to be removed once the store is flushed.
    pub fn rotate(&self) -> io::Result<Option<u64>> {
        let mut current = self.lock();
        if current.records == 0 && !current.broken {
            return Ok(None);
        }
        let next = next_after(current.generation)?;
        let file = create(&self.dir, next)?;
        let ended = std::mem::replace(&mut *current, Current::new(file, next));
        Ok(Some(ended.generation))
    }

    /// Makes the names of the files created so far survive a power cut (an `fsync` of the
    /// journal's directory). Called by the checkpoint after a rotation, outside the chain's
    /// lock, before the round that flushes.
    pub fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }

    /// Removes the files up to `generation` (the store holds their events on disk).
    pub fn remove_up_to(&self, generation: u64) -> io::Result<()> {
        for g in generations(&self.dir)? {
            if g <= generation {
                remove(&self.dir, g)?;
            }
        }
        Ok(())
    }
}

fn remove(dir: &Path, generation: u64) -> io::Result<()> {
    match fs::remove_file(file_of(dir, generation)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::chain::AuditEntry;

    fn event(seq: u64) -> AuditEvent {
        let entry = AuditEntry {
            action: "check".into(),
            check_id: format!("chk_{seq}"),
            ..AuditEntry::default()
        };
        AuditEvent::seal(seq, 1_700_000_000_000 + seq as i64, entry, String::new())
    }

    #[test]
    fn only_files_named_as_the_journal_names_them_are_its_own() {
        let dir = Path::new("/data/store/journal");
        assert_eq!(generation_of(&file_of(dir, 42)), Some(42));
        for other in ["42.log", "00000000000000000042.tmp", "notes.log", "x"] {
            assert_eq!(generation_of(&dir.join(other)), None, "{other}");
        }
    }

    #[test]
    fn records_read_back_in_order() {
        let mut bytes = Vec::new();
        for s in 1..=3 {
            bytes.extend(encode_record(&event(s)).unwrap());
        }
        let (events, damaged) = decode_records(&bytes);
        assert!(!damaged);
        assert_eq!(events, vec![event(1), event(2), event(3)]);
    }

    #[test]
    fn a_record_cut_short_or_damaged_ends_the_replay_there() {
        let mut bytes = encode_record(&event(1)).unwrap();
        let second = encode_record(&event(2)).unwrap();
        for cut in 1..second.len() {
            let mut b = bytes.clone();
            b.extend_from_slice(&second[..cut]);
            assert_eq!(decode_records(&b), (vec![event(1)], true), "cut at {cut}");
        }
        let mut flipped = second.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        bytes.extend(flipped);
        bytes.extend(encode_record(&event(3)).unwrap());
        assert_eq!(decode_records(&bytes), (vec![event(1)], true));
    }

    #[test]
    fn rotation_keeps_appends_in_the_new_file_and_removes_only_ended_ones() {
        let root = tempfile::tempdir().unwrap();
        let j = Journal::start(root.path(), &[], 0).unwrap();
        assert_eq!(j.rotate().unwrap(), None, "an empty file is not ended");
        j.append(&event(1)).unwrap();
        let ended = j.rotate().unwrap();
        assert_eq!(ended, Some(1));
        j.append(&event(2)).unwrap();
        j.remove_up_to(1).unwrap();
        let left = Journal::leftover(root.path(), 0).unwrap();
        assert_eq!(left.events, vec![event(2)]);
        assert_eq!(left.generations, vec![2]);
        assert!(
            Journal::leftover(root.path(), 2).unwrap().events.is_empty(),
            "files up to the replayed mark are not read"
        );
        drop(j);
        let j = Journal::start(root.path(), &left.generations, 7).unwrap();
        j.append(&event(3)).unwrap();
        let left = Journal::leftover(root.path(), 0).unwrap();
        assert_eq!(left.events, vec![event(3)]);
        assert_eq!(left.generations, vec![8], "after the replayed mark");
    }
}

#[cfg(test)]
mod fuzz {
    //! A journal file is read back after a crash: any bytes, a real file cut anywhere or with
    //! a bit flipped anywhere, and forged records with a valid checksum. Reading never panics;
    //! it gives back the records before the first one cut short or damaged, and says so.

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;
    use crate::core::chain::AuditEntry;
    use crate::fuzz;

    fn events() -> impl Strategy<Value = Vec<AuditEvent>> {
        let entry = (
            fuzz::text(),
            fuzz::text(),
            vec(fuzz::text(), 0..3),
            fuzz::text(),
        )
            .prop_map(
                |(organisation, client_ref, subject_ids, check_id)| AuditEntry {
                    action: "check".into(),
                    organisation,
                    client_ref,
                    subject_ids,
                    check_id,
                    ..AuditEntry::default()
                },
            );
        (vec(entry, 1..6), any::<u64>(), any::<i64>()).prop_map(|(entries, first, at_ms)| {
            let mut prev = String::new();
            let mut out = Vec::new();
            for (i, entry) in entries.into_iter().enumerate() {
                let e = AuditEvent::seal(first.wrapping_add(i as u64), at_ms, entry, prev);
                prev = e.hash.clone();
                out.push(e);
            }
            out
        })
    }

    /// The records of `events`, and where each one ends.
    fn journal_of(events: &[AuditEvent]) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for e in events {
            bytes.extend(encode_record(e).unwrap());
            ends.push(bytes.len());
        }
        (bytes, ends)
    }

    /// A record around `payload`, its checksum right.
    fn forged(payload: &[u8]) -> Vec<u8> {
        let mut out = (payload.len() as u32).to_le_bytes().to_vec();
        out.extend(checksum(payload));
        out.extend(payload);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_bytes_read_as_whole_records_or_a_damaged_end(bytes in vec(any::<u8>(), 0..600)) {
            let (events, damaged) = decode_records(&bytes);
            if !damaged {
                prop_assert_eq!(journal_of(&events).0, bytes);
            }
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn forged_records_with_a_valid_checksum_never_panic(
            payloads in vec(vec(any::<u8>(), 0..200), 1..4),
            real in events(),
        ) {
            // Arbitrary payloads, and real ones with a byte changed behind a fixed checksum.
            let mut bytes = Vec::new();
            for (p, e) in payloads.iter().zip(&real) {
                bytes.extend(forged(p));
                let mut payload = e.to_bytes();
                if let Some(b) = payload.get_mut(p.len() % 7) {
                    *b = b.wrapping_add(p.first().copied().unwrap_or(1));
                }
                bytes.extend(forged(&payload));
            }
            let (events, _) = decode_records(&bytes);
            prop_assert!(events.len() <= 2 * payloads.len());
        }

        #[test]
        fn a_real_journal_cut_anywhere_reads_back_the_records_before_the_cut(
            events in events(),
            cut in any::<Index>(),
        ) {
            let (bytes, ends) = journal_of(&events);
            let cut = cut.index(bytes.len() + 1);
            let whole = ends.iter().filter(|&&end| end <= cut).count();
            let (read, damaged) = decode_records(&bytes[..cut]);
            prop_assert_eq!(&read[..], &events[..whole]);
            prop_assert_eq!(damaged, cut != 0 && !ends.contains(&cut));
        }

        #[test]
        fn a_bit_flipped_anywhere_ends_the_replay_at_its_record(
            events in events(),
            at in any::<Index>(),
            bit in 0..8u8,
        ) {
            let (mut bytes, ends) = journal_of(&events);
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
            let hit = ends.iter().filter(|&&end| end <= at).count();
            let (read, damaged) = decode_records(&bytes);
            prop_assert_eq!(&read[..], &events[..hit]);
            prop_assert!(damaged);
        }
    }

    /// Any bytes as a file left in the journal directory, beside real ones: the leftover is
    /// read without a panic, and the real files' events are all there.
    #[test]
    fn any_file_left_in_the_journal_is_read_without_a_panic() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(DIR);
        fs::create_dir_all(&dir).unwrap();
        let cases = (vec(any::<u8>(), 0..400), events(), 1..50u64);
        fuzz::check(file!(), 256, cases, |(junk, real, g)| {
            let (bytes, _) = journal_of(&real);
            fs::write(file_of(&dir, g), &junk).unwrap();
            fs::write(file_of(&dir, 100), &bytes).unwrap();
            let left = Journal::leftover(root.path(), 0).unwrap();
            prop_assert!(left.events.ends_with(&real));
            prop_assert_eq!(left.generations, vec![g, 100]);
            fs::remove_file(file_of(&dir, g)).unwrap();
            Ok(())
        });
    }
}
