//! Nicknames and short forms of given names (Bob ~ Robert), from the embedded public table
//! (`data/nicknames.csv`, Apache-2.0) and its British additions (`data/nicknames-gb.csv`); and
//! given names' forms in other languages and other spellings (`data/name-equivalents.csv`).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::normalise::{normalise_name_part, phonetic};

const US_TABLE: &str = include_str!("../../data/nicknames.csv");
const GB_TABLE: &str = include_str!("../../data/nicknames-gb.csv");

/// For each short form, the full names it is a form of, and their phonetic codes.
#[derive(Debug, Default)]
struct Table {
    formals: HashMap<String, Vec<String>>,
    codes: HashMap<String, Vec<String>>,
}

static TABLE: LazyLock<Table> = LazyLock::new(build);

fn build() -> Table {
    let mut formals: HashMap<String, Vec<String>> = HashMap::new();
    for line in US_TABLE.lines().chain(GB_TABLE.lines()) {
        let mut cols = line.split(',');
        let (Some(full), Some(rel), Some(short)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        if rel.trim() != "has_nickname" {
            continue;
        }
        let full = normalise_name_part(full).replace(' ', "");
        let short = normalise_name_part(short).replace(' ', "");
        if full.is_empty() || short.is_empty() || full == short {
            continue;
        }
        let entry = formals.entry(short).or_default();
        if !entry.contains(&full) {
            entry.push(full);
        }
    }
    for fulls in formals.values_mut() {
        fulls.sort();
    }
    let codes = formals
        .iter()
        .map(|(short, fulls)| (short.clone(), other_codes(short, fulls.iter())))
        .collect();
    Table { formals, codes }
}

/// The phonetic codes of `names`, sorted, without repeats and without `token`'s own code: what
/// the index adds to a given name for the names it stands for.
fn other_codes<'a>(token: &str, names: impl Iterator<Item = &'a String>) -> Vec<String> {
    let own = phonetic(token);
    let mut c: Vec<String> = names
        .map(|n| phonetic(n))
        .filter(|c| !c.is_empty() && *c != own)
        .collect();
    c.sort();
    c.dedup();
    c
}

/// Phonetic codes of the full names that `token` (folded) is a short form of, excluding the
/// token's own code; empty when it is no known short form.
pub fn formal_codes(token: &str) -> &'static [String] {
    TABLE.codes.get(token).map(Vec::as_slice).unwrap_or(&[])
}

fn formals(token: &str) -> &'static [String] {
    TABLE.formals.get(token).map(Vec::as_slice).unwrap_or(&[])
}

/// True when two different folded given names are forms of one another: one is a recorded short
/// form of the other, or both are recorded short forms of the same full name (Bob, Bobby ~ Robert).
/// Chains are not followed (the table links full names to one another, so Robert would reach William).
/// Pairs are only as good as the table: it holds some odd ones (Aaron ~ Erin).
pub fn are_forms(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let (fa, fb) = (formals(a), formals(b));
    // A shared full name must be longer than both: the table also lists some rows the other way
    // round ("bill has_nickname robert"), which would otherwise make Robert a form of William.
    let longer = |f: &String| f.len() > a.len() && f.len() > b.len();
    fa.iter().any(|f| f == b)
        || fb.iter().any(|f| f == a)
        || fa.iter().any(|f| longer(f) && fb.contains(f))
}

const EQUIVALENTS_TABLE: &str = include_str!("../../data/name-equivalents.csv");

/// Given names' forms in other languages (Dafydd ~ David, Seán ~ John, Piotr ~ Peter) and other
/// spellings of one name (Kathryn ~ Catherine), from `data/name-equivalents.csv`
/// (`name,form,language`, `spelling` for another spelling): for each form, the names it is a
/// form of with the language, and their phonetic codes.
#[derive(Debug, Default)]
struct Equivalents {
    /// For each form: the names it is a form of, each with its languages ("Italian or Spanish").
    names: HashMap<String, Vec<(String, String)>>,
    codes: HashMap<String, Vec<String>>,
}

static EQUIVALENTS: LazyLock<Equivalents> = LazyLock::new(build_equivalents);

fn build_equivalents() -> Equivalents {
    let mut names: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for line in EQUIVALENTS_TABLE.lines().skip(1) {
        let mut cols = line.split(',');
        let (Some(name), Some(form), Some(language)) = (cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        let name = normalise_name_part(name).replace(' ', "");
        let form = normalise_name_part(form).replace(' ', "");
        if name.is_empty() || form.is_empty() || name == form {
            continue;
        }
        let language = language.trim();
        let entry = names.entry(form).or_default();
        match entry.iter_mut().find(|(n, _)| *n == name) {
            Some((_, languages)) if !languages.split(" or ").any(|l| l == language) => {
                languages.push_str(" or ");
                languages.push_str(language);
            }
            Some(_) => {}
            None => entry.push((name, language.to_string())),
        }
    }
    let codes = names
        .iter()
        .map(|(form, of)| (form.clone(), other_codes(form, of.iter().map(|(n, _)| n))))
        .collect();
    Equivalents { names, codes }
}

/// Phonetic codes of the names that `token` (folded) is another language's form or another
/// spelling of, excluding the token's own code; empty when it is none.
pub fn equivalent_codes(token: &str) -> &'static [String] {
    EQUIVALENTS
        .codes
        .get(token)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// How two different folded given names are one name in two languages, or two spellings of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Equivalence {
    /// The first is the form in `language` of the second (`spelling`: another spelling).
    FormOf { language: &'static str },
    /// The second is the form in `language` of the first.
    HasForm { language: &'static str },
    /// Both are forms of the same name in one language, or spellings of it (Seán and Eoin of
    /// John). Forms in different languages are not linked through the name they share: Jean,
    /// Jan and Ian are forms of John, and names of their own in Britain.
    BothFormsOf { name: &'static str },
}

/// The [`Equivalence`] of two different folded given names, if the table knows one.
pub fn equivalence(a: &str, b: &str) -> Option<Equivalence> {
    if a == b {
        return None;
    }
    let of = |t: &str| -> &'static [(String, String)] {
        EQUIVALENTS.names.get(t).map(Vec::as_slice).unwrap_or(&[])
    };
    let (oa, ob) = (of(a), of(b));
    if let Some((_, language)) = oa.iter().find(|(n, _)| n == b) {
        return Some(Equivalence::FormOf {
            language: language.as_str(),
        });
    }
    if let Some((_, language)) = ob.iter().find(|(n, _)| n == a) {
        return Some(Equivalence::HasForm {
            language: language.as_str(),
        });
    }
    let shared = |la: &str, lb: &str| {
        la.split(" or ")
            .any(|l| l == "spelling" || lb.split(" or ").any(|m| m == l || m == "spelling"))
    };
    oa.iter()
        .find(|(n, la)| ob.iter().any(|(m, lb)| m == n && shared(la, lb)))
        .map(|(name, _)| Equivalence::BothFormsOf { name })
}

/// Number of short forms known (for tests and diagnostics).
pub fn known_short_forms() -> usize {
    TABLE.formals.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pairs_are_forms() {
        for (a, b) in [
            ("bob", "robert"),
            ("bill", "william"),
            ("peggy", "margaret"),
            ("jim", "james"),
            ("bobby", "bob"),
            ("alf", "alfred"),
            ("ted", "edward"),
            ("ned", "edward"),
            ("harry", "henry"),
            ("hal", "henry"),
            ("kit", "christopher"),
            ("sandy", "alexander"),
            ("gaz", "gary"),
            ("del", "derek"),
            ("nige", "nigel"),
            ("baz", "barry"),
            ("kev", "kevin"),
            ("tel", "terence"),
            ("mo", "maureen"),
            ("jen", "jennifer"),
            ("liz", "elizabeth"),
            ("becky", "rebecca"),
            ("jo", "josephine"),
            ("charlie", "charlotte"),
            ("katie", "katherine"),
        ] {
            assert!(are_forms(a, b), "{a} ~ {b}");
            assert!(are_forms(b, a), "{b} ~ {a}");
        }
    }

    #[test]
    fn unrelated_names_are_not_forms() {
        assert!(!are_forms("robert", "william"));
        assert!(!are_forms("john", "john"));
        assert!(!are_forms("zzz", "robert"));
        assert!(!are_forms("elizabeth", "louis"));
        assert!(!are_forms("tracy", "terence"));
        assert!(!are_forms("carl", "caroline"));
        assert!(known_short_forms() > 1000);
    }

    #[test]
    fn forms_in_other_languages_and_other_spellings_are_equivalent_both_ways() {
        use Equivalence::*;
        for (form, name, language) in [
            ("dafydd", "david", "Welsh"),
            ("sean", "john", "Irish"),
            ("iain", "john", "Scottish Gaelic"),
            ("piotr", "peter", "Polish"),
            ("yusuf", "joseph", "Arabic"),
            ("kathryn", "catherine", "spelling"),
        ] {
            assert_eq!(equivalence(form, name), Some(FormOf { language }), "{form}");
            assert_eq!(
                equivalence(name, form),
                Some(HasForm { language }),
                "{form}"
            );
            // The index files the form under the name's code too (unless they sound alike).
            let code = phonetic(name);
            assert!(
                phonetic(form) == code || equivalent_codes(form).contains(&code),
                "{form}"
            );
        }
        assert_eq!(
            equivalence("sean", "eoin"),
            Some(BothFormsOf { name: "john" })
        );
        // Forms in different languages are not linked through the name they share.
        assert_eq!(equivalence("sean", "iain"), None);
        assert_eq!(equivalence("jan", "ian"), None);
        // A form in several languages says so.
        assert_eq!(
            equivalence("antonio", "anthony"),
            Some(FormOf {
                language: "Italian or Spanish"
            })
        );
        assert_eq!(equivalence("david", "john"), None);
        assert_eq!(equivalence("dafydd", "dafydd"), None);
        assert!(equivalent_codes("david").is_empty());
        assert!(equivalent_codes("sean").contains(&phonetic("john")));
        // Short forms stay in the nickname table, where they are forms (and may be STRONG).
        assert!(are_forms("liam", "william"));
    }

    #[test]
    fn formal_codes_exclude_own_code() {
        assert!(formal_codes("bob").contains(&phonetic("robert")));
        assert!(formal_codes("robertxyz").is_empty());
    }
}
