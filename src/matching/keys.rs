//! Blocking keys of the candidate index: which exact keys a listed person is filed under and
//! which a check probes, so that every match [`super::compare`] can make is found while each key's
//! posting list stays short at a million listed people.
//!
//! # Key scheme (format version 2)
//! Codes are Double Metaphone primary codes (at most 4 characters) of folded tokens. A person's
//! *name codes* are, over all their names: the code of every family-name form (the joined form and
//! each part of a double-barrelled name), of the first given name and of the full names it is a
//! short form of (Bob gives the codes of Bob and Robert), and, on the index side only, of the other
//! given names. Given and family codes share one namespace, so a given and family name swapped find
//! each other without extra probes. A date `Y-M-D` has three *date pairs*: `ymYYYYMM`, `mdMMDD`,
//! `ydYYYYDD`; any slip confined to one of year, month or day (one digit, two digits swapped, a year
//! apart) leaves one pair equal, and a check with day <= 12 also probes its day-and-month-transposed date.
//!
//! Keys (indexed for a listed person; probed by a check):
//! * `n|<code>|<date pair>`: name codes x date pairs, when the date of birth is complete; probed
//!   with the first-given and family codes x pairs of the date and of its transposition.
//! * `d|<YYYYMMDD>|<letter>`: first letters of the first given name and of the family name, when
//!   the date is complete; probed the same, for the date and its transposition (catches a typo in
//!   both name parts).
//! * `p|<code>|<code>`, `p|<code>|~<abc>`, `p|<code>|^<axy>`: family code x first-given code
//!   (sorted pair), first-given code x first 3 letters, and x first + last 2 letters of each family
//!   form, always indexed; probed only when the check's date is missing or year-only.
//! * `u|...`: the same pairs, indexed only when the person's date is missing or year-only; always
//!   probed.
//! * `id|<tag>|<issuer>|<value>`: each identifier (issuer empty for national schemes), both sides.
//!
//! Posting lists: `n|` keys split a name code (Smith 1.3%, John ~1%) by ~1/365 (`md`) to ~1/720
//! (`ym`), so a common name's list holds tens of people at 1,000,000; `d|` keys split a date
//! (~45 people at 1,000,000) by a letter. Name-only (`p|`) keys pair two codes and are probed only
//! when the check has no full date.

use std::collections::BTreeSet;

use super::{Date, PName, Prepared, dob};

/// Bumped whenever [`index_keys`] changes; the service rebuilds its index when the stored version differs.
pub const INDEX_FORMAT_VERSION: u32 = 2;

/// Longest issuer kept in a key (folded), so a key stays within 64 bytes.
const MAX_KEY_ISSUER: usize = 16;
/// Longest identifier value kept in a key (folded).
const MAX_KEY_VALUE: usize = 32;

fn first_given_codes(n: &PName) -> impl Iterator<Item = &str> {
    n.given
        .first()
        .map(|g| g.code())
        .into_iter()
        .chain(n.nick.iter().map(String::as_str))
        .filter(|c| !c.is_empty())
}

fn family_codes(n: &PName) -> impl Iterator<Item = &str> {
    n.family.iter().map(|f| f.code()).filter(|c| !c.is_empty())
}

/// Name codes a listed person is filed under.
fn index_codes(p: &Prepared) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        out.extend(family_codes(n));
        out.extend(first_given_codes(n));
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
    }
    out
}

/// Name pairs: sorted (family code, first-given code) pairs `a|b` (order-free, so swapped names
/// pair up), and (first-given code, first three letters of a family form) pairs `g|~abc` and
/// (first-given code, first and last two letters) pairs `g|^axy`, which between them survive a
/// slip anywhere but the first letter of a family name, even one that changes its phonetic code.
fn name_pairs(p: &Prepared) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        for g in first_given_codes(n) {
            for f in family_codes(n) {
                let (a, b) = if f <= g { (f, g) } else { (g, f) };
                out.insert(format!("{a}|{b}"));
            }
            for form in &n.family {
                let t = form.text();
                if t.len() >= 3 {
                    let prefix: String = t.chars().take(3).collect();
                    out.insert(format!("{g}|~{prefix}"));
                }
                if t.len() >= 4 {
                    let first = t.get(..1).unwrap_or_default();
                    let last = t.get(t.len() - 2..).unwrap_or_default();
                    out.insert(format!("{g}|^{first}{last}"));
                }
            }
        }
    }
    out
}

/// First letters of the first given name and of the family name of every name.
fn letters(p: &Prepared) -> BTreeSet<char> {
    let mut out = BTreeSet::new();
    for n in &p.names {
        for t in n.given.first().into_iter().chain(n.family.first()) {
            out.extend(t.text().chars().next());
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

fn id_keys(p: &Prepared) -> impl Iterator<Item = String> + '_ {
    p.ids.iter().map(|i| {
        let issuer: String = i.issuer.chars().take(MAX_KEY_ISSUER).collect();
        let value: String = i.value.chars().take(MAX_KEY_VALUE).collect();
        format!("id|{}|{issuer}|{value}", i.scheme.tag())
    })
}

/// Blocking keys of a listed subject: ASCII, no NUL bytes, each at most 64 bytes, deduplicated.
pub fn index_keys(p: &Prepared) -> Vec<String> {
    let mut keys = BTreeSet::new();
    match complete(p.dob) {
        Some(d) => {
            let pairs = date_pairs(d);
            for code in index_codes(p) {
                for pair in &pairs {
                    keys.insert(format!("n|{code}|{pair}"));
                }
            }
            let date = full_date(d);
            for l in letters(p) {
                keys.insert(format!("d|{date}|{l}"));
            }
        }
        None => {
            for pair in name_pairs(p) {
                keys.insert(format!("u|{pair}"));
            }
        }
    }
    for pair in name_pairs(p) {
        keys.insert(format!("p|{pair}"));
    }
    keys.extend(id_keys(p));
    keys.into_iter().collect()
}

/// Keys a check probes (exact lookups), deduplicated.
pub fn query_keys(p: &Prepared) -> Vec<String> {
    let mut keys = BTreeSet::new();
    let pairs = name_pairs(p);
    match complete(p.dob) {
        Some(d) => {
            let dates = probe_dates(d);
            let codes = query_codes(p);
            let ls = letters(p);
            for date in &dates {
                let dp = date_pairs(*date);
                for code in &codes {
                    for pair in &dp {
                        keys.insert(format!("n|{code}|{pair}"));
                    }
                }
                let fd = full_date(*date);
                for l in &ls {
                    keys.insert(format!("d|{fd}|{l}"));
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
                let ic = index_codes(candidate);
                if query_codes(query).iter().any(|c| ic.contains(c)) {
                    return true;
                }
            }
            if dates.contains(&cd) {
                let cl = letters(candidate);
                if letters(query).iter().any(|l| cl.contains(l)) {
                    return true;
                }
            }
            false
        }
        _ => {
            let cp = name_pairs(candidate);
            name_pairs(query).iter().any(|p| cp.contains(p))
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
        assert!(query_keys(&p).len() <= 100, "{}", query_keys(&p).len());
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
