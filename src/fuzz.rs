//! Strategies of hostile input for the property tests of every parser that meets outside bytes
//! (test builds only): text from every plane with the characters that trip parsers up, and proto
//! messages with any strings, any numbers and enum values out of range.

use std::ops::RangeInclusive;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::pb;

/// Characters a hostile or careless client sends: controls, every kind of space, combining
/// marks, right-to-left scripts and bidi controls, zero-width and other default-ignorable
/// characters (fillers, joiners, variation selectors, tags), letters of many scripts in all
/// planes, full-width forms, emoji, private use.
const HOSTILE: &[RangeInclusive<char>] = &[
    '\0'..='\u{1f}',
    ' '..='~',
    ' '..='~',
    '\u{7f}'..='\u{a0}',
    '\u{ad}'..='\u{ad}',
    'À'..='ɏ',
    '\u{2b0}'..='\u{2ff}',
    '\u{300}'..='\u{36f}',
    'Ͱ'..='Ͽ',
    'Ѐ'..='ӿ',
    '\u{591}'..='\u{5f4}',
    '\u{600}'..='\u{6ff}',
    '\u{900}'..='\u{97f}',
    '\u{e00}'..='\u{e7f}',
    '\u{1100}'..='\u{11ff}',
    '\u{1680}'..='\u{1680}',
    '\u{180b}'..='\u{180f}',
    '\u{1e00}'..='\u{1eff}',
    '\u{2000}'..='\u{200f}',
    '\u{2010}'..='\u{2027}',
    '\u{2028}'..='\u{202f}',
    '\u{205f}'..='\u{206f}',
    '\u{2160}'..='\u{2188}',
    '\u{3000}'..='\u{3000}',
    '\u{3040}'..='\u{30ff}',
    '\u{3164}'..='\u{3164}',
    '\u{4e00}'..='\u{4fff}',
    '\u{ac00}'..='\u{ad00}',
    '\u{fb00}'..='\u{fb4f}',
    '\u{fe00}'..='\u{fe0f}',
    '\u{fe20}'..='\u{fe2f}',
    '\u{feff}'..='\u{feff}',
    '\u{ff01}'..='\u{ffa0}',
    '\u{fff9}'..='\u{ffff}',
    '\u{10330}'..='\u{1034a}',
    '\u{1d400}'..='\u{1d7ff}',
    '\u{1e900}'..='\u{1e95f}',
    '\u{1f300}'..='\u{1faff}',
    '\u{20000}'..='\u{2a6df}',
    '\u{30000}'..='\u{3134f}',
    '\u{e0000}'..='\u{e0fff}',
    '\u{f0000}'..='\u{10ffff}',
];

/// Characters that show nothing: default-ignorable code points, joiners, bidi controls,
/// variation selectors, tags, fillers.
pub const INVISIBLE: &[char] = &[
    '\u{ad}',
    '\u{34f}',
    '\u{61c}',
    '\u{115f}',
    '\u{1160}',
    '\u{17b4}',
    '\u{17b5}',
    '\u{180b}',
    '\u{180e}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{200f}',
    '\u{202a}',
    '\u{202e}',
    '\u{2060}',
    '\u{2061}',
    '\u{2064}',
    '\u{2066}',
    '\u{2069}',
    '\u{3164}',
    '\u{fe00}',
    '\u{fe0f}',
    '\u{feff}',
    '\u{ffa0}',
    '\u{1d173}',
    '\u{e0001}',
    '\u{e0041}',
    '\u{e01ef}',
];

pub fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::ranges(HOSTILE.into()),
        1 => proptest::sample::select(INVISIBLE),
    ]
}

/// Text of any kind: hostile characters, any `String`, name-like words, names with invisible
/// characters slipped in, and long runs (about the limits of 200 and 4,000 characters, and past
/// them, up to 5,600).
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => vec(hostile_char(), 0..24).prop_map(String::from_iter),
        2 => any::<String>(),
        2 => "[A-Za-z][a-z]{0,11}([ '-][A-Z][a-z]{1,11}){0,2}",
        1 => ("[A-Za-z]{1,10}", vec(proptest::sample::select(INVISIBLE), 1..4), any::<usize>())
            .prop_map(|(w, inv, at)| {
                let mut s: Vec<char> = w.chars().collect();
                for c in inv {
                    s.insert(at % (s.len() + 1), c);
                }
                s.into_iter().collect()
            }),
        1 => (vec(hostile_char(), 1..8), prop_oneof![1usize..50, 190usize..210, 500usize..700])
            .prop_map(|(c, n)| String::from_iter(c).repeat(n)),
    ]
    .boxed()
}

/// A number as a client may send it: small, near a field's range, or anything.
fn int() -> impl Strategy<Value = i32> {
    prop_oneof![3 => -2..40i32, 2 => 1840..2210i32, 1 => any::<i32>()]
}

/// An enum's raw value: mostly known ones, sometimes out of range.
fn enum_value() -> impl Strategy<Value = i32> {
    prop_oneof![4 => 0..=8i32, 1 => any::<i32>()]
}

pub fn date() -> impl Strategy<Value = Option<pb::Date>> {
    option::weighted(
        0.8,
        (int(), int(), int()).prop_map(|(year, month, day)| pb::Date { year, month, day }),
    )
}

pub fn timestamp() -> impl Strategy<Value = Option<prost_types::Timestamp>> {
    let seconds = prop_oneof![2 => 0..4_000_000_000i64, 1 => any::<i64>()];
    let nanos = prop_oneof![2 => 0..1_000_000_000i32, 1 => any::<i32>()];
    option::of(
        (seconds, nanos).prop_map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
    )
}

pub fn name() -> impl Strategy<Value = pb::PersonName> {
    (text(), text()).prop_map(|(given_names, family_name)| pb::PersonName {
        given_names,
        family_name,
    })
}

/// An id of `prefix`'s kind, most often well formed (any case, any first character).
fn id(prefix: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        2 => "[0-9A-Za-z]{26}".prop_map(move |u| format!("{prefix}{u}")),
        1 => Just(String::new()),
        1 => text(),
    ]
    .boxed()
}

pub fn identifier() -> impl Strategy<Value = pb::Identifier> {
    let value = prop_oneof![
        1 => "[A-Z]{2}[0-9]{6}[A-D]?",
        1 => "[0-9]{2}/[0-9]{1,7}[A-Z]",
        2 => text(),
    ];
    (enum_value(), value, text()).prop_map(|(scheme, value, issuer)| pb::Identifier {
        scheme,
        value,
        issuer,
    })
}

pub fn listing() -> impl Strategy<Value = pb::Listing> {
    (
        (
            id("lst_"),
            enum_value(),
            text(),
            enum_value(),
            text(),
            date(),
        ),
        (vec(text(), 0..3), text(), any::<bool>(), enum_value()),
        (
            enum_value(),
            date(),
            text(),
            id("sub_"),
            id("inv_"),
            enum_value(),
            date(),
        ),
    )
        .prop_map(
            |(
                (listing_id, list, organisation, role, rank, decision_date),
                (standards_breached, reason, published, state),
                (
                    removal_reason,
                    removed_on,
                    removal_note,
                    subject_id,
                    investigation_id,
                    grounds,
                    review_from,
                ),
            )| pb::Listing {
                listing_id,
                list,
                organisation,
                role,
                rank,
                decision_date,
                standards_breached,
                reason,
                published,
                state,
                removal_reason,
                removed_on,
                removal_note,
                subject_id,
                investigation_id,
                grounds,
                review_from,
                publication_ends_on: None,
            },
        )
}

pub fn investigation() -> impl Strategy<Value = pb::Investigation> {
    (
        (id("inv_"), text(), text(), text(), date()),
        (enum_value(), enum_value(), date(), id("sub_"), enum_value()),
    )
        .prop_map(
            |(
                (investigation_id, organisation, reference, allegation_summary, opened_on),
                (state, outcome, closed_on, subject_id, role),
            )| pb::Investigation {
                investigation_id,
                organisation,
                reference,
                allegation_summary,
                opened_on,
                state,
                outcome,
                closed_on,
                subject_id,
                role,
            },
        )
}

pub fn subject() -> impl Strategy<Value = pb::Subject> {
    (
        (
            id("sub_"),
            option::weighted(0.9, name()),
            vec(name(), 0..3),
            date(),
        ),
        (
            vec(identifier(), 0..3),
            vec(listing(), 0..3),
            vec(investigation(), 0..2),
        ),
        (enum_value(), any::<u64>(), timestamp(), timestamp()),
    )
        .prop_map(
            |(
                (subject_id, name, other_names, date_of_birth),
                (identifiers, listings, investigations),
                (status, revision, created_at, updated_at),
            )| pb::Subject {
                subject_id,
                name,
                other_names,
                date_of_birth,
                identifiers,
                listings,
                investigations,
                status,
                revision,
                created_at,
                updated_at,
            },
        )
}

pub fn check_request() -> impl Strategy<Value = pb::CheckRequest> {
    (
        option::weighted(0.9, name()),
        vec(name(), 0..3),
        date(),
        vec(identifier(), 0..3),
        enum_value(),
        text(),
    )
        .prop_map(
            |(name, other_names, date_of_birth, identifiers, purpose, client_ref)| {
                pb::CheckRequest {
                    name,
                    other_names,
                    date_of_birth,
                    identifiers,
                    purpose,
                    client_ref,
                }
            },
        )
}

/// Runs `test` on `cases` values of `strategy` as `proptest!` does (a failure is shrunk, and
/// persisted beside `source_file`), for properties that share state set up once, such as a store.
pub fn check<S: Strategy>(
    source_file: &'static str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = ProptestConfig {
        cases,
        source_file: Some(source_file),
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}\n{runner}");
    }
}

/// 2025-11-22T12:00:00Z: dates in requests must not be after it.
pub const NOW_MS: i64 = 1_763_812_800_000;

pub fn registrar() -> crate::core::principal::Principal {
    crate::core::principal::Principal {
        key_id: "key_fuzz".into(),
        organisation: "College of Policing".into(),
        role: crate::core::principal::Role::Registrar,
        sees: crate::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    }
}

/// A registry in a temp dir with a few listed people, its clock fixed at [`NOW_MS`].
pub fn registry() -> (tempfile::TempDir, crate::service::Vetting) {
    use crate::core::identity::{Date, PersonName};
    use crate::core::model::{EmploymentRole, ListKind};
    use crate::service::registry::{ListingInput, SubjectInput};

    let dir = tempfile::tempdir().unwrap();
    let opts = crate::store::StoreOptions {
        cache_bytes: 16 * 1024 * 1024,
        ..crate::store::StoreOptions::default()
    };
    let store = crate::store::Store::open(&dir.path().join("store"), opts).unwrap();
    let v = crate::service::Vetting::new(store, crate::core::clock::Clock::fixed(NOW_MS));
    let who = registrar();
    for (given, family, dob) in [
        ("Robert", "Smith", Some(Date::new(1985, 3, 12))),
        ("Siobhán", "O'Neill", Some(Date::new(1979, 11, 2))),
        ("Jürgen", "Müller-Lüdenscheidt", None),
        ("Дмитрий", "Иванов", Some(Date::new(1990, 1, 0))),
        ("محمد", "الحسن", Some(Date::new(1968, 7, 30))),
    ] {
        let input = SubjectInput {
            name: Some(PersonName::new(given, family)),
            date_of_birth: dob,
            ..SubjectInput::default()
        };
        let s = v.create_subject(&who, &input, "").unwrap();
        let listing = ListingInput {
            list: Some(ListKind::Barred),
            organisation: "Kent Police".into(),
            role: Some(EmploymentRole::PoliceOfficer),
            rank: "Constable".into(),
            decision_date: Some(Date::new(2024, 3, 1)),
            standards_breached: vec!["Honesty and integrity".into()],
            reason: "gross misconduct".into(),
            published: false,
            grounds: None,
        };
        v.add_listing(&who, &s.subject_id, &listing, "").unwrap();
    }
    (dir, v)
}
