//! Property tests of what the service reads from outside, end to end through the public API:
//! page tokens of ListSubjects and ListAuditEvents (any strings, base64 of any bytes, real
//! tokens mutated), and check journals a killed process left (any bytes, real files cut short or
//! with a bit flipped) replayed by the store's open. Nothing panics; a bad token is refused
//! naming `page_token`; an accepted one starts its page where it says; a damaged journal gives
//! back the records before the damage and the chain stays whole.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use vetting::auth::{Principal, Role};
use vetting::core::chain::AuditEntry;
use vetting::core::clock::Clock;
use vetting::core::identity::PersonName;
use vetting::service::Vetting;
use vetting::service::audit::AuditFilter;
use vetting::service::error::Error;
use vetting::service::registry::SubjectInput;
use vetting::store::journal::encode_record;
use vetting::store::{Store, StoreOptions};

use crate::harness::{NOW_MS, REGISTRAR_ORG, store_path};

/// Runs `test` on `cases` values of `strategy` as `proptest!` does, for properties that share
/// a store set up once.
fn check<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases,
        source_file: Some(file!()),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}\n{runner}");
    }
}

fn fail(e: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{e:?}"))
}

fn options() -> StoreOptions {
    StoreOptions {
        cache_bytes: 16 * 1024 * 1024,
        ..StoreOptions::default()
    }
}

fn registrar() -> Principal {
    Principal {
        key_id: "key_fuzz".into(),
        organisation: REGISTRAR_ORG.into(),
        role: Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    }
}

/// Base64 (RFC 4648, padded), as a client might wrap a token it thinks opaque.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A registry of a dozen people and its audit trail, and the page tokens its lists hand out.
fn registry() -> (tempfile::TempDir, Vetting, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&store_path(dir.path()), options()).unwrap();
    let v = Vetting::new(store, Clock::fixed(NOW_MS));
    let who = registrar();
    for i in 0..12 {
        let input = SubjectInput {
            name: Some(PersonName::new("Alan", format!("Paged{i}"))),
            ..SubjectInput::default()
        };
        v.create_subject(&who, &input, "").unwrap();
    }
    let mut tokens = Vec::new();
    let (mut subjects, mut events) = (String::new(), String::new());
    loop {
        let (_, next) = v.list_subjects(&who, 3, &subjects, None).unwrap();
        let (_, after) = v
            .list_audit_events(&who, &AuditFilter::default(), 3, &events)
            .unwrap();
        tokens.extend([next.clone(), after.clone()]);
        if next.is_empty() {
            break;
        }
        (subjects, events) = (next, after);
    }
    tokens.retain(|t| !t.is_empty());
    (dir, v, tokens)
}

/// The characters of a ULID, either case.
const ULID: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz";

/// Page tokens as clients send them: anything, near misses of both shapes, base64, and real
/// tokens with a character replaced, inserted or removed.
fn token(real: Vec<String>) -> impl Strategy<Value = String> {
    let ulid_char = proptest::sample::select(ULID.chars().collect::<Vec<_>>());
    let mutated = (
        proptest::sample::select(real.clone()),
        any::<Index>(),
        prop_oneof![any::<char>(), ulid_char.clone()],
        0..3u8,
    )
        .prop_map(|(t, at, c, how)| {
            let mut chars: Vec<char> = t.chars().collect();
            let i = at.index(chars.len());
            match how {
                0 => chars[i] = c,
                1 => chars.insert(i, c),
                _ => {
                    chars.remove(i);
                }
            }
            chars.into_iter().collect()
        });
    // The id's most significant character: `s1.` and the ULID's first.
    let first_changed =
        (proptest::sample::select(real.clone()), ulid_char.clone()).prop_map(|(t, c)| {
            let mut chars: Vec<char> = t.chars().collect();
            if let Some(first) = chars.get_mut(3) {
                *first = c;
            }
            chars.into_iter().collect()
        });
    prop_oneof![
        1 => any::<String>(),
        1 => "(s1|a1|S1|s2)?\\.?.{0,30}",
        1 => "s1\\.[0-9A-Za-z]{25,27}",
        2 => "s1\\.[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}",
        2 => "a1\\.[+-]?[0-9]{0,22}",
        1 => (proptest::option::of("(s1|a1)\\."), proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(prefix, b)| prefix.unwrap_or_default() + &base64(&b)),
        1 => proptest::sample::select(real),
        3 => mutated,
        1 => first_changed,
    ]
}

fn refused_naming(e: &Error, field: &str) -> bool {
    matches!(e, Error::InvalidArgument { field: f, .. } if f == field)
}

#[test]
fn any_page_token_is_refused_naming_it_or_starts_its_page_where_it_says() {
    let (_dir, v, real) = registry();
    let who = registrar();
    let (everyone, _) = v.list_subjects(&who, 1000, "", None).unwrap();
    check(1000, (token(real), -3..6i32), |(token, size)| {
        match v.list_subjects(&who, size, &token, None) {
            Ok((page, _)) => {
                prop_assert!(size >= 0);
                let start = match token.strip_prefix("s1.") {
                    _ if token.is_empty() => String::new(),
                    Some(start) => format!("sub_{}", start.to_ascii_uppercase()),
                    None => return Err(fail(format!("{token} accepted"))),
                };
                // The page is the subjects from the id the token spells on.
                let expected: Vec<&String> = everyone
                    .iter()
                    .map(|s| &s.subject_id)
                    .filter(|id| **id >= start)
                    .take(if size == 0 { 100 } else { size as usize })
                    .collect();
                let ids: Vec<&String> = page.iter().map(|s| &s.subject_id).collect();
                prop_assert_eq!(ids, expected, "{}", token);
            }
            Err(e) => prop_assert!(
                refused_naming(&e, if size < 0 { "page_size" } else { "page_token" }),
                "{e:?}"
            ),
        }
        match v.list_audit_events(&who, &AuditFilter::default(), size, &token) {
            Ok((events, _)) => {
                prop_assert!(size >= 0);
                let from = match token.strip_prefix("a1.") {
                    _ if token.is_empty() => Some(1),
                    Some(n) => n.parse::<u64>().ok(),
                    None => None,
                };
                prop_assert!(from.is_some(), "{} accepted", token);
                prop_assert!(events.iter().all(|e| Some(e.sequence) >= from));
            }
            Err(e) => prop_assert!(
                refused_naming(&e, if size < 0 { "page_size" } else { "page_token" }),
                "{e:?}"
            ),
        }
        Ok(())
    });
}

#[test]
fn following_the_tokens_pages_through_everything_once_in_order() {
    let (_dir, v, _) = registry();
    let who = registrar();
    let (everyone, _) = v.list_subjects(&who, 1000, "", None).unwrap();
    check(64, 1..8i32, |size| {
        let (mut seen, mut token) = (Vec::new(), String::new());
        loop {
            let (page, next) = v.list_subjects(&who, size, &token, None).map_err(fail)?;
            seen.extend(page.into_iter().map(|s| s.subject_id));
            if next.is_empty() {
                break;
            }
            token = next;
        }
        let ids: Vec<&String> = everyone.iter().map(|s| &s.subject_id).collect();
        prop_assert_eq!(seen.iter().collect::<Vec<_>>(), ids);
        // The trail grows by one event a page (reading it is audited): its first events (at most
        // 40, so that it does not grow without bound), page after page, without a gap or a repeat.
        let (trail, _) = v
            .list_audit_events(&who, &AuditFilter::default(), 1000, "")
            .map_err(fail)?;
        let want = trail.len().min(40);
        let (mut seqs, mut token) = (Vec::new(), String::new());
        while seqs.len() < want {
            let (events, next) = v
                .list_audit_events(&who, &AuditFilter::default(), size, &token)
                .map_err(fail)?;
            seqs.extend(events.iter().map(|e| e.sequence));
            if next.is_empty() {
                break;
            }
            token = next;
        }
        prop_assert!(seqs.iter().copied().eq(1..=seqs.len() as u64), "{:?}", seqs);
        prop_assert!(seqs.len() >= want, "{} of {}", seqs.len(), want);
        Ok(())
    });
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn check_entry(check_id: &str) -> AuditEntry {
    AuditEntry {
        organisation: "Kent Police".into(),
        action: "check".into(),
        check_id: check_id.into(),
        ..AuditEntry::default()
    }
}

/// A closed store whose trail holds checks c1 to c3; and the journal a process that went on to
/// record c4 to c8 left, as it wrote it (read while the process ran), with where each record ends.
fn store_and_real_journal() -> (tempfile::TempDir, Vec<u8>, Vec<usize>) {
    let base = tempfile::tempdir().unwrap();
    {
        let store = Store::open(&store_path(base.path()), options()).unwrap();
        for id in ["c1", "c2", "c3"] {
            store.record(NOW_MS, check_entry(id)).unwrap();
        }
        store.checkpoint().unwrap();
    }
    let run = tempfile::tempdir().unwrap();
    copy_dir(base.path(), run.path());
    let store = Store::open(&store_path(run.path()), options()).unwrap();
    let mut ends = Vec::new();
    let mut len = 0;
    for id in ["c4", "c5", "c6", "c7", "c8"] {
        let event = store.record(NOW_MS, check_entry(id)).unwrap();
        len += encode_record(&event).unwrap().len();
        ends.push(len);
    }
    let journal = store_path(run.path()).join("journal");
    let bytes = std::fs::read_dir(&journal)
        .unwrap()
        .map(|f| std::fs::read(f.unwrap().path()).unwrap())
        .find(|b| !b.is_empty())
        .unwrap();
    assert_eq!(bytes.len(), len, "the five records, as encoded");
    (base, bytes, ends)
}

/// What is left in the journal directory after a crash.
#[derive(Clone, Debug)]
enum Left {
    Cut(Index),
    Flipped(Index, u8),
    Junk(Vec<u8>),
    RealThenJunk(Vec<u8>),
}

#[test]
fn a_journal_left_damaged_gives_back_its_records_before_the_damage_and_a_whole_chain() {
    let (base, real, ends) = store_and_real_journal();
    let left = prop_oneof![
        2 => any::<Index>().prop_map(Left::Cut),
        2 => (any::<Index>(), 0..8u8).prop_map(|(at, bit)| Left::Flipped(at, bit)),
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Left::Junk),
        1 => proptest::collection::vec(any::<u8>(), 1..40).prop_map(Left::RealThenJunk),
    ];
    check(24, left, |left| {
        let (bytes, kept) = match &left {
            Left::Cut(at) => {
                let cut = at.index(real.len() + 1);
                let kept = ends.iter().filter(|&&end| end <= cut).count();
                (real[..cut].to_vec(), kept)
            }
            Left::Flipped(at, bit) => {
                let mut b = real.clone();
                let at = at.index(b.len());
                b[at] ^= 1 << bit;
                (b, ends.iter().filter(|&&end| end <= at).count())
            }
            Left::Junk(junk) => (junk.clone(), 0),
            Left::RealThenJunk(junk) => ([&real[..], junk].concat(), ends.len()),
        };
        let dir = tempfile::tempdir().map_err(fail)?;
        copy_dir(base.path(), dir.path());
        let journal = store_path(dir.path()).join("journal");
        let file = journal.join(format!("{:020}.log", 1_000));
        std::fs::write(&file, &bytes).map_err(fail)?;

        let store = Store::open(&store_path(dir.path()), options()).map_err(fail)?;
        let events: Vec<_> = store
            .audit_from(1)
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        let verified =
            vetting::core::chain::verify(events.clone(), store.audit_head().map_err(fail)?);
        prop_assert!(verified.intact, "{:?}", verified);
        let ids: Vec<String> = events
            .into_iter()
            .map(|(_, e)| e.map(|e| e.entry.check_id).unwrap_or_default())
            .collect();
        let expected: Vec<String> = (1..=3 + kept).map(|i| format!("c{i}")).collect();
        prop_assert_eq!(ids, expected);
        prop_assert!(!file.exists(), "a replayed file is removed");
        Ok(())
    });
}
