//! Blocking keys of the candidate index: which exact keys a listed person is filed under and
//! which a check probes, so that every match [`super::compare`] can make is found while each key's
//! posting list stays short at a million listed people.
//!
//! # Key scheme (format version 9)
//! Codes are Double Metaphone primary codes (at most 4 characters) of folded tokens. A person's
//! *name codes* are, over all their names: the code of every family-name form (the joined form and
//! each part of a double-barrelled name, and of their other spellings: a Greek or Cyrillic word's
//! romanisations by each system, an Arabic or South Asian name's canonical spelling, a Gaelic or
//! Welsh family name's anglicised forms, see [`super::script`]), of the first given name (and its
//! other spellings) and of the full names it is a
//! short form, another language's form or another spelling of (Bob gives the codes of Bob and
//! Robert, Dafydd those of Dafydd and David), and, on the index side only, of the other
//! given names. Given and family codes share one namespace, so a given and family name swapped find
//! each other without extra probes. A date `Y-M-D` has three *date pairs*: `ymYYYYMM`, `mdMMDD`,
//! `ydYYYYDD`; any slip confined to one of year, month or day (one digit, two digits swapped, a year
//! apart) leaves one pair equal, and a check with day <= 12 also probes its day-and-month-transposed date.
//!
//! Keys (indexed for a listed person; probed by a check):
//! * `n|<a>+<b>|<date pair>`: sorted (given code, family code) pairs of each name x date pairs,
//!   when the date of birth is complete (the index also pairs the other given names' codes);
//!   probed with the first given name's codes x the family codes, for the date and its
//!   transposition. Both name parts keep their sound and one date part may slip.
//! * `f|<code>|<YYYYMMDD>`: every name code, and the codes of the first given name and family
//!   name read with a scanner's misreadings undone (rn as m, cl as d, vv as w), x the full date; probed with the check's codes for
//!   the date and its transposition. One name part may be anything (a typo that changes its
//!   sound, an initial), with the date exact or transposed.
//! * `d|<YYYYMMDD>|<ab>`: the sorted first letters of the first given name and of the family
//!   name x the full date, probed the same (a typo in both name parts, first letters intact).
//! * `p|<code>|<code>`, `p|<code>|~<abc>`, `p|<code>|^<axy>`, `p|<code>|$<xyz>`: family code x
//!   first-given code (sorted pair); first-given code x spellings of each family form (first 3
//!   letters, first + last 2, last 3, first 2 + last); family code x the same spellings of the
//!   first given name.
//!   Always indexed; probed only when the check's date is missing or year-only. One slip in either
//!   name leaves one of them equal.
//! * `u|...`: the same pairs, indexed only when the person's date is missing or year-only; always
//!   probed, by a check with a full date only with the core pairs (the code pair, and the family
//!   spellings first 3 letters and first + last 2).
//! * `id|<tag>|<issuer>|<value>`: each identifier (issuer empty for national schemes), both sides.
//!
//! Posting lists at 1,000,000 listed people: a code pair (John Smith, ~200 people) split by a
//! date pair holds about one person; a single code (Smith, ~13,000) split by a full date about
//! one; a date (~60 people) split by a letter pair well under one. So a check with a full date
//! fetches a handful of candidates. Slips in a name part *and* in the date (other than a
//! transposition) are found only when both name parts keep their sound: two independent slips
//! in a registry of a million are mostly chance, and referring them all would flood vetting
//! officers. Name-only (`p|`, `u|`) keys pair a code with spellings and are probed when the
//! check has no full date (and `u|` for listed people without one).

use std::collections::BTreeSet;

use super::{AltWhy, Date, PName, Prepared, Tok, dob};

/// Bumped whenever [`index_keys`] changes, including the nickname tables it reads (format 6:
/// given names' forms in other languages and other spellings, and Liam for William; format 7: match
/// records carry disclosure facts, not a status per viewer; format 8: names folded without their
/// invisible characters, see [`super::normalise::normalise_name_part`]; format 9: the codes of
/// tokens' other spellings, see below, and names in Greek and Cyrillic keyed by their Latin form;
/// format 10: match records carry open investigations' sectors, and index entries which views
/// show the subject, `core::disclosure::Audiences`); a store
/// whose index is of another version refuses to open until `vetting reindex` rebuilds it.
/// 11: index entries of a subject the public view shows end with the last day it does; 12:
/// entries are filed on the shelves of the views that show the subject, see
/// `core::disclosure::Shelf`.
pub const INDEX_FORMAT_VERSION: u32 = 12;

/// Longest issuer kept in a key (folded), so a key stays within 64 bytes.
const MAX_KEY_ISSUER: usize = 16;
/// Longest identifier value kept in a key (folded).
const MAX_KEY_VALUE: usize = 32;

/// Codes of a token's other spellings: romanisations, canonical spellings and Gaelic and Welsh
/// forms (`scanned` false), or only the spellings with a scanner's misreadings undone (`true`).
fn alt_codes(t: &Tok, scanned: bool) -> impl Iterator<Item = &str> {
    t.alts()
        .iter()
        .filter(move |a| (a.why == AltWhy::Scanned) == scanned)
        .map(|a| a.code.as_str())
}

fn first_given_codes(n: &PName) -> impl Iterator<Item = &str> {
    n.given
        .first()
        .map(|g| g.code())
        .into_iter()
        .chain(
            n.given
                .first()
                .into_iter()
                .flat_map(|g| alt_codes(g, false)),
        )
        .chain(n.nick.iter().map(String::as_str))
        .filter(|c| !c.is_empty())
}

fn family_codes(n: &PName) -> impl Iterator<Item = &str> {
    n.family
        .iter()
        .flat_map(|f| std::iter::once(f.code()).chain(alt_codes(f, false)))
        .filter(|c| !c.is_empty())
}

/// Codes of the name parts as a scanner may have misread them (the `f|` keys only: with the
/// exact date, so that two misread parts are found, while a misreading with a slipped date is
/// left to the other keys' rules).
fn scanned_codes(n: &PName) -> impl Iterator<Item = &str> {
    n.given
        .first()
        .into_iter()
        .chain(n.family.iter())
        .flat_map(|t| alt_codes(t, true))
        .filter(|c| !c.is_empty())
}

/// Name codes a listed person is filed under.
fn index_codes(p: &Prepared) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        out.extend(family_codes(n));
        out.extend(first_given_codes(n));
        out.extend(scanned_codes(n));
        out.extend(
            n.given
                .iter()
                .skip(1)
                .map(|g| g.code())
                .filter(|c| !c.is_empty()),
        );
    }
    out
}

/// Name codes a check probes.
fn query_codes(p: &Prepared) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        out.extend(family_codes(n));
        out.extend(first_given_codes(n));
        out.extend(scanned_codes(n));
    }
    out
}

/// Spellings of a folded name (3+ letters) of which one survives almost any one slip: the first
/// three letters `~abc`, the first and last two `^axy`, the last three `$xyz`, and the first two
/// and the last `%abz`, and for a four-letter name its letters sorted `=abcd`. Between them they
/// miss only some slips in a three-letter name (about 0.6% of single slips in British names).
/// With `all` false, only the first three letters and (4+ letters) the first and last two.
fn spellings(t: &str, all: bool, out: &mut Vec<String>) {
    let n = t.len();
    if n < 3 || !t.is_ascii() {
        return;
    }
    let part = |r: std::ops::Range<usize>| t.get(r).unwrap_or_default();
    out.push(format!("~{}", part(0..3)));
    if all || n >= 4 {
        out.push(format!("^{}{}", part(0..1), part(n - 2..n)));
    }
    if all {
        out.push(format!("${}", part(n - 3..n)));
        out.push(format!("%{}{}", part(0..2), part(n - 1..n)));
        if n == 4 {
            // Letters exchanged in a four-letter name (Itna/Tina) keep its letters.
            let mut sorted: Vec<u8> = t.bytes().collect();
            sorted.sort_unstable();
            out.push(format!("={}", String::from_utf8_lossy(&sorted)));
        }
    }
}

/// Name pairs: sorted (family code, first-given code) pairs `a|b` (order-free, so swapped names
/// pair up); (first-given code, spelling of a family form) pairs `g|~abc`, `g|^axy`, `g|$xyz`;
/// and (family code, spelling of the first given name) pairs in the same form. One slip in
/// either name, even one that changes its phonetic code, almost always leaves a pair equal.
///
/// With `all` false, the *core* pairs only: the code pairs and the first-given code x the first
/// three letters and the first and last two letters of each family form. A check with a full
/// date probes only these for listed people without one (`u|`), which keeps the probe count of
/// an ordinary check low.
fn name_pairs(p: &Prepared, all: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut sp = Vec::new();
    for n in &p.names {
        for g in first_given_codes(n) {
            for f in family_codes(n) {
                let (a, b) = if f <= g { (f, g) } else { (g, f) };
                out.insert(format!("{a}|{b}"));
            }
            sp.clear();
            for form in &n.family {
                spellings(form.text(), all, &mut sp);
            }
            for s in &sp {
                out.insert(format!("{g}|{s}"));
            }
        }
        sp.clear();
        if let (true, Some(g)) = (all, n.given.first()) {
            spellings(g.text(), true, &mut sp);
        }
        for f in family_codes(n) {
            for s in &sp {
                out.insert(format!("{f}|{s}"));
            }
        }
    }
    out
}

/// Sorted pairs of the first letters of the first given name and of the family name, per name
/// (order-free, so swapped names pair up).
fn letter_pairs(p: &Prepared) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        let first = |t: Option<&super::Tok>| t.and_then(|t| t.text().chars().next());
        if let (Some(a), Some(b)) = (first(n.given.first()), first(n.family.first())) {
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            out.insert(format!("{a}{b}"));
        }
    }
    out
}

/// Sorted (given code, family code) pairs `a+b`, per name (order-free, so swapped names pair
/// up). The given codes are those of the first given name and the full names it is a short form
/// of, and, on the index side (`index_side`), of the other given names too.
fn code_pairs(p: &Prepared, index_side: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        let middle = n
            .given
            .iter()
            .skip(1)
            .map(|g| g.code())
            .filter(|c| index_side && !c.is_empty());
        for g in first_given_codes(n).chain(middle) {
            for f in family_codes(n) {
                let (a, b) = if f <= g { (f, g) } else { (g, f) };
                out.insert(format!("{a}+{b}"));
            }
        }
    }
    out
}

fn date_pairs(d: Date) -> [String; 3] {
    [
        format!("ym{:04}{:02}", d.year, d.month),
        format!("md{:02}{:02}", d.month, d.day),
        format!("yd{:04}{:02}", d.year, d.day),
    ]
}

fn full_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year, d.month, d.day)
}

fn complete(d: Option<Date>) -> Option<Date> {
    d.filter(Date::is_complete)
}

/// The dates a check probes: its own and, if valid, the day-and-month transposition.
fn probe_dates(d: Date) -> Vec<Date> {
    let mut v = vec![d];
    v.extend(dob::transposed(d));
    v
}

/// The prefix of identifier keys.
const ID_KEY_PREFIX: &str = "id|";

fn id_keys(p: &Prepared) -> impl Iterator<Item = String> + '_ {
    p.ids.iter().map(|i| {
        let issuer: String = i.issuer.chars().take(MAX_KEY_ISSUER).collect();
        let value: String = i.value.chars().take(MAX_KEY_VALUE).collect();
        format!("{ID_KEY_PREFIX}{}|{issuer}|{value}", i.scheme.tag())
    })
}

/// Whether a blocking key is an identifier's: a match on it stands whatever the date of birth.
pub fn is_identifier_key(key: &str) -> bool {
    key.starts_with(ID_KEY_PREFIX)
}

/// Blocking keys of a listed subject: ASCII, no NUL bytes, each at most 64 bytes, deduplicated.
pub fn index_keys(p: &Prepared) -> Vec<String> {
    let mut keys = BTreeSet::new();
    match complete(p.dob) {
        Some(d) => {
            let pairs = date_pairs(d);
            for cp in code_pairs(p, true) {
                for pair in &pairs {
                    keys.insert(format!("n|{cp}|{pair}"));
                }
            }
            let date = full_date(d);
            for code in index_codes(p) {
                keys.insert(format!("f|{code}|{date}"));
            }
            for lp in letter_pairs(p) {
                keys.insert(format!("d|{date}|{lp}"));
            }
        }
        None => {
            for pair in name_pairs(p, true) {
                keys.insert(format!("u|{pair}"));
            }
        }
    }
    for pair in name_pairs(p, true) {
        keys.insert(format!("p|{pair}"));
    }
    keys.extend(id_keys(p));
    keys.into_iter().collect()
}

/// Keys a check probes (exact lookups), deduplicated.
pub fn query_keys(p: &Prepared) -> Vec<String> {
    let mut keys = BTreeSet::new();
    let complete_date = complete(p.dob).is_some();
    // Without a full date every pair is probed (`p|` and `u|`); with one, only the core pairs
    // for listed people without a date (`u|`).
    let pairs = name_pairs(p, !complete_date);
    match complete(p.dob) {
        Some(d) => {
            let cps = code_pairs(p, false);
            let codes = query_codes(p);
            let lps = letter_pairs(p);
            for date in probe_dates(d) {
                for cp in &cps {
                    for pair in &date_pairs(date) {
                        keys.insert(format!("n|{cp}|{pair}"));
                    }
                }
                let fd = full_date(date);
                for code in &codes {
                    keys.insert(format!("f|{code}|{fd}"));
                }
                for lp in &lps {
                    keys.insert(format!("d|{fd}|{lp}"));
                }
            }
        }
        None => {
            for pair in &pairs {
                keys.insert(format!("p|{pair}"));
            }
        }
    }
    for pair in &pairs {
        keys.insert(format!("u|{pair}"));
    }
    keys.extend(id_keys(p));
    keys.into_iter().collect()
}

/// True when `query_keys(query)` and `index_keys(candidate)` share a key, computed from the same
/// facets without building the keys. [`super::compare`] requires it, which makes the recall
/// contract hold by construction.
pub(super) fn shares_key(query: &Prepared, candidate: &Prepared) -> bool {
    if id_keys(query).any(|q| id_keys(candidate).any(|c| c == q)) {
        return true;
    }
    match (complete(query.dob), complete(candidate.dob)) {
        (Some(qd), Some(cd)) => {
            let dates = probe_dates(qd);
            let cpairs = date_pairs(cd);
            let pair_shared = dates
                .iter()
                .any(|d| date_pairs(*d).iter().any(|p| cpairs.contains(p)));
            if pair_shared {
                let ic = code_pairs(candidate, true);
                if code_pairs(query, false).iter().any(|c| ic.contains(c)) {
                    return true;
                }
            }
            if dates.contains(&cd) {
                let ic = index_codes(candidate);
                if query_codes(query).iter().any(|c| ic.contains(c)) {
                    return true;
                }
                let cl = letter_pairs(candidate);
                if letter_pairs(query).iter().any(|l| cl.contains(l)) {
                    return true;
                }
            }
            false
        }
        (qd, _) => {
            let cp = name_pairs(candidate, true);
            name_pairs(query, qd.is_none())
                .iter()
                .any(|p| cp.contains(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Identifier, IdentifierScheme, Identity, PersonName};
    use super::*;

    fn prep(given: &str, family: &str, dob: Option<Date>) -> Prepared {
        Prepared::new(&Identity {
            names: vec![PersonName::new(given, family)],
            date_of_birth: dob,
            identifiers: vec![],
        })
    }

    fn shared(q: &Prepared, c: &Prepared) -> bool {
        let ik = index_keys(c);
        query_keys(q).iter().any(|k| ik.contains(k))
    }

    #[test]
    fn keys_are_ascii_short_and_deduplicated() {
        let p = Prepared::new(&Identity {
            names: vec![
                PersonName::new("Robert James", "Forster-Hammond"),
                PersonName::new("Bob", "Smith"),
            ],
            date_of_birth: Some(Date::new(1985, 3, 12)),
            identifiers: vec![Identifier {
                scheme: IdentifierScheme::WarrantNumber,
                value: "x".repeat(100),
                issuer: "Metropolitan Police Service of the United Kingdom".into(),
            }],
        });
        for keys in [index_keys(&p), query_keys(&p)] {
            let mut sorted = keys.clone();
            sorted.dedup();
            assert_eq!(sorted.len(), keys.len());
            for k in &keys {
                assert!(k.is_ascii() && !k.contains('\0') && k.len() <= 64, "{k}");
            }
        }
        // Two names, a double-barrelled family name, a short form and a transposable date: the
        // most a realistic check probes.
        assert!(query_keys(&p).len() <= 128, "{}", query_keys(&p).len());
    }

    #[test]
    fn typical_check_probes_few_keys() {
        let p = prep("Robert", "Smith", Some(Date::new(1985, 3, 12)));
        let n = query_keys(&p).len();
        assert!(n <= 40, "{n}");
    }

    #[test]
    fn swapped_names_share_keys() {
        let q = prep("Smith", "Robert", Some(Date::new(1985, 3, 12)));
        let c = prep("Robert", "Smith", Some(Date::new(1985, 3, 12)));
        assert!(shared(&q, &c));
        assert!(shares_key(&q, &c));
    }

    #[test]
    fn transposed_date_shares_keys_and_other_date_does_not() {
        let c = prep("Robert", "Smith", Some(Date::new(1985, 3, 12)));
        let q = prep("Robert", "Smith", Some(Date::new(1985, 12, 3)));
        assert!(shared(&q, &c));
        let far = prep("Robert", "Smith", Some(Date::new(1962, 7, 30)));
        assert!(!shared(&far, &c));
        assert!(!shares_key(&far, &c));
    }

    #[test]
    fn missing_dates_use_name_pairs() {
        let c = prep("Robert", "Smith", Some(Date::new(1985, 3, 12)));
        let q = prep("Bob", "Smith", None);
        assert!(shared(&q, &c));
        let c2 = prep("Robert", "Smith", None);
        let q2 = prep("Robert", "Smith", Some(Date::new(1985, 3, 12)));
        assert!(shared(&q2, &c2));
        assert!(shares_key(&q2, &c2));
    }

    #[test]
    fn a_slip_in_a_name_part_and_the_date_is_found_only_while_the_name_keeps_its_sound() {
        let c = prep("Robert", "Smith", Some(Date::new(1985, 3, 14)));
        // Smyth sounds as Smith: found with a year one digit out.
        let q = prep("Robert", "Smyth", Some(Date::new(1986, 3, 14)));
        assert!(shared(&q, &c) && shares_key(&q, &c));
        // Smitj does not: found with the exact date, or the transposed one...
        let q = prep("Robert", "Smitj", Some(Date::new(1985, 3, 14)));
        assert!(shared(&q, &c) && shares_key(&q, &c));
        let c2 = prep("Robert", "Smith", Some(Date::new(1985, 12, 3)));
        let q2 = prep("Robert", "Smitj", Some(Date::new(1985, 3, 12)));
        assert!(shared(&q2, &c2) && shares_key(&q2, &c2));
        // ...but not with another date slip as well: at a million listed people two independent
        // slips are mostly chance (see the module documentation).
        let q = prep("Robert", "Smitj", Some(Date::new(1986, 3, 14)));
        assert!(!shared(&q, &c) && !shares_key(&q, &c));
    }

    #[test]
    fn identifier_keys_are_recognised_and_name_keys_are_not() {
        let with_ids = Prepared::new(&Identity {
            names: vec![],
            date_of_birth: None,
            identifiers: vec![
                Identifier {
                    scheme: IdentifierScheme::NationalInsuranceNumber,
                    value: "QQ123456C".into(),
                    issuer: String::new(),
                },
                Identifier {
                    scheme: IdentifierScheme::WarrantNumber,
                    value: "4521".into(),
                    issuer: "Kent Police".into(),
                },
            ],
        });
        let id_keys = index_keys(&with_ids);
        assert_eq!(id_keys.len(), 2);
        assert!(id_keys.iter().all(|k| is_identifier_key(k)), "{id_keys:?}");
        let name_keys = index_keys(&prep("Robert", "Smith", Some(Date::new(1980, 3, 14))));
        assert!(!name_keys.is_empty());
        assert!(
            name_keys.iter().all(|k| !is_identifier_key(k)),
            "{name_keys:?}"
        );
    }

    #[test]
    fn shares_key_agrees_with_keys() {
        let people = [
            prep("Robert", "Smith", Some(Date::new(1985, 3, 12))),
            prep("Bob", "Smyth", Some(Date::new(1985, 12, 3))),
            prep("J", "Smith", Some(Date::new(1985, 3, 12))),
            prep("Jane", "Forster-Hammond", None),
            prep("Jane", "Hammond", Some(Date::new(1985, 0, 0))),
            prep("Smith", "Robert", Some(Date::new(1986, 3, 12))),
            prep("", "Smith", Some(Date::new(1985, 3, 12))),
        ];
        for q in &people {
            for c in &people {
                assert_eq!(shared(q, c), shares_key(q, c), "{q:?} {c:?}");
            }
        }
    }
}

#[cfg(test)]
mod fuzz {
    //! The matcher's input side with names of any Unicode: keys are the same however often
    //! they are computed and after the prepared form is stored, and keep their documented shape.

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::super::{Identifier, IdentifierScheme, Identity, MatchConfig, PersonName, compare};
    use super::*;
    use crate::fuzz;

    fn valid_date() -> impl Strategy<Value = Option<Date>> {
        proptest::option::of(
            (1850..=2200i32, 0..=12u8, 0..=31u8)
                .prop_map(|(y, m, d)| Date::new(y, m, d))
                .prop_filter("a real date", |d| d.validate().is_ok()),
        )
    }

    fn identity() -> impl Strategy<Value = Identity> {
        let scheme = prop::sample::select(
            &[
                IdentifierScheme::NationalInsuranceNumber,
                IdentifierScheme::PncId,
                IdentifierScheme::WarrantNumber,
                IdentifierScheme::StaffNumber,
                IdentifierScheme::PassportNumber,
                IdentifierScheme::DrivingLicenceNumber,
            ][..],
        );
        (
            vec((fuzz::text(), fuzz::text()), 0..4),
            valid_date(),
            vec((scheme, fuzz::text(), fuzz::text()), 0..3),
        )
            .prop_map(|(names, date_of_birth, ids)| Identity {
                names: names
                    .into_iter()
                    .map(|(g, f)| PersonName::new(g, f))
                    .collect(),
                date_of_birth,
                identifiers: ids
                    .into_iter()
                    .map(|(scheme, value, issuer)| Identifier {
                        scheme,
                        value,
                        issuer,
                    })
                    .collect(),
            })
    }

    fn shaped(keys: &[String]) -> Result<(), TestCaseError> {
        for pair in keys.windows(2) {
            prop_assert!(pair[0] < pair[1], "sorted and deduplicated");
        }
        for k in keys {
            prop_assert!(
                k.is_ascii() && !k.contains('\0') && k.len() <= 64,
                "{:?}",
                k
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn blocking_keys_of_any_identity_are_deterministic_short_ascii(id in identity()) {
            let p = Prepared::new(&id);
            prop_assert_eq!(&Prepared::new(&id), &p);
            let stored: Prepared = postcard::from_bytes(&postcard::to_stdvec(&p).unwrap()).unwrap();
            let (index, query) = (index_keys(&p), query_keys(&p));
            shaped(&index)?;
            shaped(&query)?;
            prop_assert_eq!(index_keys(&stored), index);
            prop_assert_eq!(query_keys(&stored), query);
        }

        #[test]
        fn any_match_of_any_names_is_found_through_the_index(
            a in identity(),
            b in identity(),
            extra in (fuzz::text(), fuzz::text()),
        ) {
            let mut q = b.clone();
            q.names.extend(a.names.iter().take(1).cloned());
            q.names.push(PersonName::new(extra.0, extra.1));
            let (q, c) = (Prepared::new(&q), Prepared::new(&a));
            if compare(&q, &c, &MatchConfig::default()).is_some() {
                let ik = index_keys(&c);
                prop_assert!(query_keys(&q).iter().any(|k| ik.contains(k)));
                prop_assert!(shares_key(&q, &c));
            }
        }
    }
}
