//! Scoring one check against one listed person: the explicit rules, weights and thresholds that
//! decide `STRONG`, `POSSIBLE` or no match, and the reasons given for it.
//!
//! # Rules
//! 1. **National identifier** (national insurance number, PNC ID, passport, driving licence) equal
//!    after folding: `STRONG`, score 1, whatever the name and date.
//! 2. **Warrant or staff number** equal with the same issuer: `STRONG` (score 0.97) when the names
//!    broadly agree (the family name or a given name agrees at any level below, in either order);
//!    otherwise `POSSIBLE` (score 0.7): a reused or mistyped force number alone is not decisive.
//! 3. Otherwise both the **family name** and the **given name** must agree, on some pair of names
//!    (the check's name or a declared previous name, against the listed name or a recorded other
//!    name), in the written order or swapped; and the **dates of birth** must not be plainly different.
//!    `score = (0.5 x family + 0.5 x given) x order x date`, where
//!    * family: exact after folding 1.0 (also when one side spells ü, ö, ä, ø, å as ue, oe, ae,
//!      oe, aa: Mueller = Müller, "transliterated"); one part of a double-barrelled name, or the
//!      name without its leading particles (Souza / de Souza) 0.95; one letter apart
//!      (optimal string alignment distance 1, names of 4+ letters, or a letter dropped from a
//!      4-letter name; a leading Mc may be read as Mac) 0.85, or 0.8 against one part; same Double
//!      Metaphone code and Jaro-Winkler >= 0.85 0.8; Jaro-Winkler >= 0.93 on 7+ letters 0.75;
//!      short names (2 or 3 letters) one letter apart (Lee/Lea) 0.75, only with a given name
//!      agreeing at 0.9 or better, no contradicting middle name, and the exact date;
//!    * given (first given name against the first, or a middle name at 0.9 of the value): exact 1.0;
//!      nickname or short form 0.95; transliterated (Bjoern/Björn) 1.0; one letter apart (3+
//!      letters, or a letter dropped from a 3-letter name) 0.85; the name's form in another
//!      language or another spelling of it (Dafydd / David, Seán / John, Kathryn / Catherine:
//!      `data/name-equivalents.csv`; checked after the levels above and below) 0.85, and then
//!      only with the exact or a transposed date, and at most `POSSIBLE`; sounds alike (same
//!      Double Metaphone, Jaro-Winkler >= 0.8) 0.8; an initial that fits 0.7; middle names that
//!      contradict -0.15 (and then only with the exact date, at most `POSSIBLE`), a middle name
//!      the record lacks -0.03, a recorded middle name not given 0; a first name found only among the other
//!      side's middle names while the remaining names contradict: no match; given names run
//!      together (Maryjane / Mary Jane) 0.95; initials written together ("RJ" for Robert James,
//!      all names accounted for, or a vowel-less word such as "Km") 0.7; each first/middle
//!      pairing that agrees is scored with the other names and the best kept;
//!      no given name on one side 0.5;
//!    * order: written 1.0, given and family swapped 0.93;
//!    * date (see [`super::dob`]): exact 1.0; transposed or one digit 0.85; two digits swapped or a
//!      year apart 0.8; missing or year-only 0.75; different: no match.
//! 4. `STRONG` when `score >= strong_threshold` (default 0.95) **and** both dates are complete and
//!    equal, no national identifier of the same scheme contradicts, and both sides give a given
//!    name. So exact names, accents, spacing, Mc/Mac, a dropped middle name, a part of a
//!    double-barrelled name, a nickname, or a previous name, all with the exact date, are `STRONG`;
//!    a typo, swapped names, an initial or an inexact date are at most `POSSIBLE`.
//!    `POSSIBLE` when `score >= possible_threshold` (default 0.6). Below that, no match.
//! 5. The candidate must share an index key with the check ([`super::keys`]), so the index can
//!    never hide a match this function would make.

use strsim::jaro_winkler;

use super::dob::{self, DobRelation};
use super::keys::shares_key;
use super::nicknames::{Equivalence, are_forms, equivalence};
use super::normalise::display;
use super::{AltWhy, Comparison, PName, Prepared, Strength, Tok};

/// Thresholds on the score (see the module documentation for how it is built).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchConfig {
    /// Score at or above which a match with an exact, complete date of birth is `STRONG`.
    pub strong_threshold: f64,
    /// Score at or above which a candidate is a `POSSIBLE` match.
    pub possible_threshold: f64,
}

impl Default for MatchConfig {
    /// `strong_threshold` 0.95: exact or nickname/part-of-name agreement on both name parts with the
    /// exact date. `possible_threshold` 0.6: admits two independent slips (a typo and an inexact
    /// date, or swapped names and a missing date) but not a bare initial with a missing date.
    fn default() -> Self {
        Self {
            strong_threshold: 0.95,
            possible_threshold: 0.6,
        }
    }
}

/// Weight of a name read with given and family names swapped (keeps an otherwise exact match
/// below the default strong threshold: swapped names are referred, not decided).
const SWAPPED: f64 = 0.93;

/// Family score of short family names one letter apart (Lee/Lea): with an exact given name it
/// stays below the strong threshold, and [`compare`] admits it only with the exact date.
const SHORT_FAMILY_TYPO: f64 = 0.75;

/// How two given-name tokens agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TokLevel {
    Initial,
    Sound,
    /// Another romanisation of the same name (Yuriy / Iurii): see [`romanised_alike`].
    Romanised,
    /// Letters a scanner confuses (rn read as m): see [`scanned_alike`].
    Scanned,
    Typo,
    /// Another language's form or another spelling of the name (Dafydd / David).
    Equivalent,
    Form,
    Transliterated,
    Exact,
}

impl TokLevel {
    fn value(self) -> f64 {
        match self {
            Self::Exact | Self::Transliterated => 1.0,
            Self::Form => 0.95,
            Self::Typo | Self::Equivalent | Self::Scanned => 0.85,
            Self::Romanised => ROMANISED,
            Self::Sound => 0.8,
            Self::Initial => 0.7,
        }
    }
}

/// True when `a` and `b` are at most one edit apart (substitution, insertion, deletion or
/// transposition of adjacent characters; optimal string alignment distance <= 1). ASCII input.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let i = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if i == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let rest_equal = short.get(i + 1..) == long.get(i + 1..);
        let swapped = short.get(i) == long.get(i + 1)
            && short.get(i + 1) == long.get(i)
            && short.get(i + 2..) == long.get(i + 2..);
        rest_equal || swapped
    } else {
        short.get(i..) == long.get(i + 1..)
    }
}

/// [`within_one_edit`], also trying a leading `mc` written out as `mac` on either side (a slip in
/// `MacDonald` is one letter from `MacDonald`, though both fold to `mcdonald`).
fn within_one_edit_mc(a: &str, b: &str) -> bool {
    if within_one_edit(a, b) {
        return true;
    }
    let long = |s: &str| s.strip_prefix("mc").map(|r| format!("mac{r}"));
    match (long(a), long(b)) {
        (Some(la), Some(lb)) => within_one_edit(&la, b) || within_one_edit(a, &lb),
        (Some(la), None) => within_one_edit(&la, b),
        (None, Some(lb)) => within_one_edit(a, &lb),
        (None, None) => false,
    }
}

/// How two tokens agree ([`token_level_as_written`]), with a word written in Greek or Cyrillic
/// taken into account: equal to the other side's Latin only by one system's spelling, when the
/// systems disagree (Δημήτριος: dimitrios, dhimitrios, demetrios), is another romanisation
/// (referred, never decided); by the spelling every system gives, a transliteration.
fn token_level(a: &Tok, b: &Tok) -> Option<TokLevel> {
    let level = token_level_as_written(a, b)?;
    if a.script_uncertain(b) && level > TokLevel::Romanised {
        return Some(TokLevel::Romanised);
    }
    if level == TokLevel::Exact && a.written().is_some() != b.written().is_some() {
        return Some(TokLevel::Transliterated);
    }
    Some(level)
}

fn token_level_as_written(a: &Tok, b: &Tok) -> Option<TokLevel> {
    let (x, y) = (a.text(), b.text());
    if x == y {
        return Some(TokLevel::Exact);
    }
    if a.transliterated(b) {
        return Some(TokLevel::Transliterated);
    }
    if x.len() == 1 || y.len() == 1 {
        return (x.chars().next() == y.chars().next()).then_some(TokLevel::Initial);
    }
    if are_forms(x, y) {
        return Some(TokLevel::Form);
    }
    match a.alt_match(b) {
        Some(AltWhy::Script) => return Some(TokLevel::Transliterated),
        Some(AltWhy::Romanised) => return Some(TokLevel::Romanised),
        _ => {}
    }
    // One letter apart: 3+ letters, or a letter dropped from a 3-letter name (Ki/Kim, Ze/Zoe).
    let (short, long) = (x.len().min(y.len()), x.len().max(y.len()));
    if (short >= 3 || (short == 2 && long == 3)) && within_one_edit_mc(x, y) {
        return Some(TokLevel::Typo);
    }
    if scanned_alike(x, y).is_some() {
        return Some(TokLevel::Scanned);
    }
    if !a.code().is_empty()
        && !a.code().starts_with('_')
        && a.code() == b.code()
        && jaro_winkler(x, y) >= 0.8
    {
        return Some(TokLevel::Sound);
    }
    // Last: a pair that is also one letter apart or sounds alike (Alistair / Alastair, Steven /
    // Stephen) keeps that level, and with it the dates it matches with.
    if equivalence(x, y).is_some() {
        return Some(TokLevel::Equivalent);
    }
    if romanised_alike(x, y) {
        return Some(TokLevel::Romanised);
    }
    None
}

/// Value of a name part that agrees only as another romanisation of the same name: with the rest
/// exact it stays below the default strong threshold, and [`compare`] caps it at `POSSIBLE`.
const ROMANISED: f64 = 0.88;

/// The spelling differences between the romanisation systems of Cyrillic, Greek and Arabic
/// names, folded away: `x` is `ks` (Aleksandr / Alexandr), `kh` is `h` (Mikhail / Mihail), `ou`
/// is `u` (Youri / Yuri, the French and Greek habit), `ph` is `f`, `tz` is `ts`; `y` and `j` are
/// `i` (Yuriy / Iurii / Juri, Natalya / Nataliya, Sergey / Sergei); a doubled letter is one
/// (Mariia / Maria, Mohammed / Mohamed); a leading `ie` is `e` (Yevgeny / Evgeny). Two names
/// that fold alike are referred as one name's romanisations, never decided: the systems are
/// real, but so are English pairs they join (Jan / Ian).
fn romanisation_fold(s: &str) -> String {
    let s = s
        .replace('x', "ks")
        .replace("kh", "h")
        .replace("ou", "u")
        .replace("ph", "f")
        .replace("tz", "ts");
    let mut out = String::with_capacity(s.len());
    for ch in s
        .chars()
        .map(|c| if matches!(c, 'y' | 'j') { 'i' } else { c })
    {
        if !out.ends_with(ch) {
            out.push(ch);
        }
    }
    match out.strip_prefix("ie") {
        Some(rest) if !rest.is_empty() => format!("e{rest}"),
        _ => out,
    }
}

/// Two different spellings of 3+ letters that fold alike under [`romanisation_fold`].
fn romanised_alike(x: &str, y: &str) -> bool {
    x != y && x.len() >= 3 && y.len() >= 3 && romanisation_fold(x) == romanisation_fold(y)
}

/// What a scanner or OCR reads one letter group as: `rn` as `m`, `cl` as `d`, `vv` as `w`, `li` as
/// `h`, `ii` as `u`, `ri` as `n`, and the single letters and digits it confuses (`l`, `i` and
/// `1`; `o` and `0`; `s` and `5`; `b` and `8`; `e` and `c`; `g` and `9`; `z` and `2`).
const SCAN_CONFUSIONS: &[(&str, &str)] = &[
    ("rn", "m"),
    ("cl", "d"),
    ("vv", "w"),
    ("li", "h"),
    ("ii", "u"),
    ("ri", "n"),
    ("l", "i"),
    ("l", "1"),
    ("i", "1"),
    ("o", "0"),
    ("s", "5"),
    ("b", "8"),
    ("e", "c"),
    ("g", "9"),
    ("z", "2"),
];

/// At most this many scanner confusions in one name part.
const MAX_SCAN_CONFUSIONS: u8 = 2;

/// The first scanner confusion that turns `x` into `y` (`("m", "rn")`), when the two differ by at
/// most [`MAX_SCAN_CONFUSIONS`] of [`SCAN_CONFUSIONS`] (either way round) and nothing else: a
/// name read from a scanned form. Names of 3+ letters on both sides.
fn scanned_alike(x: &str, y: &str) -> Option<(&'static str, &'static str)> {
    if x == y || x.len() < 3 || y.len() < 3 {
        return None;
    }
    // Depth-first over the two strings: equal letters, or one confusion; the first confusion on
    // a path that ends within the budget is the one reported.
    fn walk(
        a: &[u8],
        b: &[u8],
        budget: u8,
        first: Option<(&'static str, &'static str)>,
    ) -> Option<Option<(&'static str, &'static str)>> {
        if a.is_empty() && b.is_empty() {
            return Some(first);
        }
        if let (Some(p), Some(q)) = (a.first(), b.first())
            && p == q
            && let Some(found) = walk(a.get(1..)?, b.get(1..)?, budget, first)
        {
            return Some(found);
        }
        if budget == 0 {
            return None;
        }
        for (l, r) in SCAN_CONFUSIONS {
            for (from, to) in [(*l, *r), (*r, *l)] {
                if a.starts_with(from.as_bytes())
                    && b.starts_with(to.as_bytes())
                    && let Some(found) = walk(
                        a.get(from.len()..)?,
                        b.get(to.len()..)?,
                        budget - 1,
                        first.or(Some((from, to))),
                    )
                {
                    return Some(found);
                }
            }
        }
        None
    }
    walk(x.as_bytes(), y.as_bytes(), MAX_SCAN_CONFUSIONS, None).flatten()
}

/// [`describe_given`], naming the script a word was written in.
fn describe_tokens(level: TokLevel, q: &Tok, c: &Tok, middle: bool) -> String {
    let what = if middle {
        "a middle name"
    } else {
        "given name"
    };
    let written = q.written().or(c.written());
    match (level, written) {
        (TokLevel::Transliterated | TokLevel::Romanised, Some(w))
            if q.written().is_some() != c.written().is_some() =>
        {
            let latin = if q.written().is_some() { c } else { q };
            let how = if level == TokLevel::Transliterated {
                "transliterated"
            } else {
                "romanised (the systems spell it differently)"
            };
            format!(
                "{what} \"{}\" {how} from the {} \"{}\"",
                display(latin.text()),
                w.script,
                w.word
            )
        }
        _ => describe_given(level, q.text(), c.text(), middle),
    }
}

fn describe_given(level: TokLevel, q: &str, c: &str, middle: bool) -> String {
    let equivalent = equivalence(q, c);
    let (q, c) = (display(q), display(c));
    let what = if middle {
        "a middle name"
    } else {
        "given name"
    };
    match level {
        TokLevel::Exact if middle => format!("given name \"{q}\" matches a middle name"),
        TokLevel::Exact => "given name exact".to_string(),
        TokLevel::Transliterated => format!("{what} transliterated ({q}/{c})"),
        TokLevel::Form => format!("{what} \"{q}\" is a form of \"{c}\""),
        TokLevel::Typo => format!("{what} one letter apart ({q}/{c})"),
        TokLevel::Equivalent => match equivalent {
            Some(Equivalence::FormOf {
                language: "spelling",
            })
            | Some(Equivalence::HasForm {
                language: "spelling",
            }) => format!("{what} \"{q}\" is another spelling of \"{c}\""),
            Some(Equivalence::FormOf { language }) => {
                format!("{what} \"{q}\" is the {language} form of \"{c}\"")
            }
            Some(Equivalence::HasForm { language }) => {
                format!("{what} \"{q}\" is the English form of the {language} \"{c}\"")
            }
            Some(Equivalence::BothFormsOf { name }) => format!(
                "{} \"{q}\" and \"{c}\" are both forms of \"{}\"",
                if middle { "names" } else { "given names" },
                display(name)
            ),
            None => format!("{what} \"{q}\" is another form of \"{c}\""),
        },
        TokLevel::Sound => format!("{what} sounds alike ({q}/{c})"),
        TokLevel::Romanised => {
            format!("{what} another romanisation of the same name ({q}/{c})")
        }
        TokLevel::Scanned => format!("{what} as a scanner misreads it ({q}/{c})"),
        TokLevel::Initial => format!("{what}: initial \"{q}\" fits \"{c}\""),
    }
}

/// Initials written together as one word ("RJ", "NH") against the given names they stand for:
/// a word of two or three letters whose letters are the initials of the other side's given names,
/// all of them, or as many as there are when the word has no vowel ("Km" for "Kim"), so a word
/// that may be a name ("Al", "Ian") is read as initials only when every name is accounted for.
fn initials_together(q: &[Tok], c: &[Tok]) -> Option<String> {
    let [word] = q else { return None };
    let w = word.text();
    if !(2..=3).contains(&w.len()) || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let no_vowel = !w.bytes().any(|b| b"aeiouy".contains(&b));
    if !(c.len() == w.len() || (no_vowel && c.len() < w.len())) {
        return None;
    }
    let fits = w
        .bytes()
        .zip(c.iter())
        .all(|(l, t)| t.text().as_bytes().first() == Some(&l));
    fits.then(|| {
        let names: Vec<String> = c.iter().map(|t| display(t.text())).collect();
        format!(
            "given names: initials \"{}\" fit \"{}\"",
            w.to_ascii_uppercase(),
            names.join(" ")
        )
    })
}

/// Agreement of the given names: score, reasons, whether middle names contradict, and whether
/// the names agree only in a way that is referred, never decided: as one name's forms in two
/// languages or two spellings of it, as two romanisations of it, or through a middle name.
type GivenAgreement = (f64, Vec<String>, bool, bool);

/// Agreement of the given names (see [`GivenAgreement`]).
fn given_agreement(q: &[Tok], c: &[Tok]) -> Option<GivenAgreement> {
    if q.is_empty() || c.is_empty() {
        let why = if q.is_empty() {
            "given name not given"
        } else {
            "no given name on record"
        };
        return Some((0.5, vec![why.to_string()], false, false));
    }
    // The primary pairing: first against first, or either first against a middle name; each
    // that agrees is scored with the other names, and the best kept.
    let mut found = false;
    let mut best: Option<GivenAgreement> = None;
    for (i, qt) in q.iter().enumerate() {
        for (j, ct) in c.iter().enumerate() {
            if i != 0 && j != 0 {
                continue;
            }
            if let Some(level) = token_level(qt, ct) {
                // A middle name carries the given names only as the name itself or a known
                // form of it (a person known by their middle name): one that merely sounds or
                // looks like the other side's first name ("John" / "Paula Joanna") is no evidence.
                let via_middle = i != 0 || j != 0;
                if via_middle
                    && matches!(
                        level,
                        TokLevel::Sound
                            | TokLevel::Typo
                            | TokLevel::Initial
                            | TokLevel::Scanned
                            | TokLevel::Romanised
                    )
                {
                    continue;
                }
                found = true;
                let v = level.value() * if via_middle { 0.9 } else { 1.0 };
                if let Some(m) = given_with_primary(q, c, (v, i, j, level))
                    && best.as_ref().is_none_or(|b| m.0 > b.0)
                {
                    best = Some(m);
                }
            }
        }
    }
    // Given names run together on one side ("Maryjane" / "Mary Jane", "AndreMatthew David" /
    // "Andre Matthew David"): checked even when a pairing agrees, since the run-together word
    // may sound like the first name alone and pair with it at a lower level. Only names of
    // three letters or more count as run together: an initial glued on reproduces another
    // name ("Paul A" / "Paula", "Jo E" / "Joe"), which must stay a weaker pairing.
    let (qa, ca): (String, String) = (
        q.iter().map(Tok::text).collect(),
        c.iter().map(Tok::text).collect(),
    );
    let names = |t: &[Tok]| t.iter().all(|t| t.text().len() >= 3);
    let together_allowed = !found || (names(q) && names(c));
    if together_allowed && qa == ca && (q.len() > 1 || c.len() > 1) {
        let together = (
            0.95,
            vec![format!(
                "given names written together ({}/{})",
                display(&qa),
                display(&ca)
            )],
            false,
            false,
        );
        if best.as_ref().is_none_or(|b| together.0 > b.0) {
            return Some(together);
        }
    }
    if found {
        return best;
    }
    initials_together(q, c)
        .or_else(|| initials_together(c, q))
        .map(|found| (TokLevel::Initial.value(), vec![found], false, false))
}

/// The given names scored with one primary pairing `(value, i, j, level)`: the other names
/// matched up, missing, or contradicting.
fn given_with_primary(
    q: &[Tok],
    c: &[Tok],
    (mut score, bi, bj, level): (f64, usize, usize, TokLevel),
) -> Option<GivenAgreement> {
    let mut conflict = false;
    let mut reasons = Vec::new();
    let (qt, ct) = (q.get(bi)?, c.get(bj)?);
    reasons.push(describe_tokens(level, qt, ct, bi != bj));
    // The other given names.
    let mut c_left: Vec<&Tok> = c
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != bj)
        .map(|(_, t)| t)
        .collect();
    let mut q_unmatched: Vec<&Tok> = Vec::new();
    for (i, qt) in q.iter().enumerate() {
        if i == bi {
            continue;
        }
        match c_left.iter().position(|ct| token_level(qt, ct).is_some()) {
            Some(pos) => {
                c_left.remove(pos);
            }
            None => q_unmatched.push(qt),
        }
    }
    let list = |v: &[&Tok]| {
        v.iter()
            .map(|t| format!("\"{}\"", display(t.text())))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (q_unmatched.is_empty(), c_left.is_empty()) {
        // A first name found only among the other side's middle names, with the remaining names
        // contradicting ("Anna Maria" / "Molly Charles"): two different people.
        (false, false) if bi != bj => return None,
        (false, false) => {
            score -= 0.15;
            conflict = true;
            reasons.push(format!(
                "middle names differ ({} given, {} on record)",
                list(&q_unmatched),
                list(&c_left)
            ));
        }
        (true, false) => reasons.push(format!("middle name {} not given", list(&c_left))),
        (false, true) => {
            score -= 0.03;
            reasons.push(format!("middle name {} not on record", list(&q_unmatched)));
        }
        (true, true) => {}
    }
    // Only forms, romanisations or a middle name: referred, and only with a near date. A middle
    // name never carries a match alone.
    let referred_only =
        matches!(level, TokLevel::Equivalent | TokLevel::Romanised) || bi != 0 || bj != 0;
    Some((score, reasons, conflict, referred_only))
}

/// How the family names agree: score, reason, and what more the agreement needs.
type FamilyAgreement = (f64, String, Needs);

/// What a family name agreement needs from the rest of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    /// Nothing more.
    Nothing,
    /// Short names one letter apart (Lee/Lea), or long names two slips apart (Reyonods /
    /// Reynolds): the given name agreeing at 0.9 or better, no middle-name conflict, and the
    /// exact date of birth.
    GivenAndExactDate,
    /// Another romanisation of the name: the exact or a transposed date; never `STRONG`.
    NearDateReferred,
}

/// True when `x` and `y` are two slips apart (optimal string alignment distance 2), also with a
/// leading `mc` written out as `mac` on either side (a slip in `MacDonald` is counted from
/// `MacDonald`, though it folds to `mcdonald`).
fn two_slips_apart(x: &str, y: &str) -> bool {
    let long = |s: &str| s.strip_prefix("mc").map(|r| format!("mac{r}"));
    let two = |a: &str, b: &str| {
        a.len().min(b.len()) >= TWO_SLIPS_MIN_LEN && strsim::osa_distance(a, b) == 2
    };
    let (lx, ly) = (long(x), long(y));
    two(x, y)
        || lx.as_deref().is_some_and(|lx| two(lx, y))
        || ly.as_deref().is_some_and(|ly| two(x, ly))
        || lx.zip(ly).is_some_and(|(lx, ly)| two(&lx, &ly))
}

/// Family score of long names two slips apart: below any one-slip level.
const TWO_SLIPS: f64 = 0.75;

/// Letters both family names must have for two slips to count (Mc counted as Mac): in a shorter
/// name two slips leave too little of it.
const TWO_SLIPS_MIN_LEN: usize = 7;

/// Family score of a Gaelic or Welsh family name and its anglicised form, or two forms of one
/// Gaelic name (a woman's and a man's): one name, but a form a person chooses, so referred.
const GAELIC_FORM: f64 = 0.9;

/// Agreement of the family names (forms: joined first, then parts): score, reason and what more
/// it needs. Beyond the spelling rules ([`family_agreement_as_written`]): a name written in Greek
/// or Cyrillic against its romanisation, an Arabic or South Asian name's other romanisation
/// (`data/romanisations.csv`), and an Irish, Scottish Gaelic or Welsh name against its
/// anglicised form or another form of it (`data/family-name-forms.csv`). Only a transliteration
/// every system agrees on may decide; the rest are referred with a near date.
fn family_agreement(q: &[Tok], c: &[Tok], shown_q: &str, shown_c: &str) -> Option<FamilyAgreement> {
    let (qj, cj) = (q.first()?, c.first()?);
    let whole = |t: &Tok, shown: &str| {
        if shown.is_empty() {
            display(t.text())
        } else {
            shown.to_string()
        }
    };
    let uncertain = qj.script_uncertain(cj);
    if !uncertain && qj.same(cj) && qj.written().is_none() && cj.written().is_none() {
        return family_agreement_as_written(q, c, shown_q, shown_c);
    }
    for qf in q {
        for cf in c {
            let why = if qf.text() == cf.text() && qf.written().is_some() != cf.written().is_some()
            {
                Some(&AltWhy::Script)
            } else {
                qf.alt_match(cf)
            };
            let (sq, sc) = (whole(qf, shown_q), whole(cf, shown_c));
            match why {
                Some(AltWhy::Script) => {
                    let (written, latin) = if qf.written().is_some() {
                        (qf, &sc)
                    } else {
                        (cf, &sq)
                    };
                    let Some(w) = written.written() else { continue };
                    return Some(if qf.script_uncertain(cf) {
                        (
                            ROMANISED,
                            format!(
                                "family name \"{latin}\" romanised from the {} \"{}\" (the \
                                 systems spell it differently)",
                                w.script, w.word
                            ),
                            Needs::NearDateReferred,
                        )
                    } else {
                        (
                            1.0,
                            format!(
                                "family name \"{latin}\" transliterated from the {} \"{}\"",
                                w.script, w.word
                            ),
                            Needs::Nothing,
                        )
                    });
                }
                Some(AltWhy::Romanised) => {
                    return Some((
                        ROMANISED,
                        format!("family name another romanisation of the same name ({sq}/{sc})"),
                        Needs::NearDateReferred,
                    ));
                }
                Some(AltWhy::Anglicised { language, gaelic }) => {
                    let anglicised = if qf.alts().iter().any(|a| a.text == cf.text()) {
                        sc
                    } else {
                        sq
                    };
                    return Some((
                        GAELIC_FORM,
                        format!(
                            "family name \"{anglicised}\" is an anglicised form of the \
                             {language} \"{gaelic}\""
                        ),
                        Needs::NearDateReferred,
                    ));
                }
                Some(AltWhy::GaelicForm { language, gaelic }) => {
                    return Some((
                        GAELIC_FORM,
                        format!(
                            "family names \"{sq}\" and \"{sc}\" are forms of the {language} \
                             \"{gaelic}\" (a woman's or married form)"
                        ),
                        Needs::NearDateReferred,
                    ));
                }
                Some(AltWhy::Scanned) | None => {}
            }
        }
    }
    let (score, why, needs) = family_agreement_as_written(q, c, shown_q, shown_c)?;
    if uncertain {
        return Some((score.min(ROMANISED), why, Needs::NearDateReferred));
    }
    Some((score, why, needs))
}

/// Agreement of the family names as spelt (forms: joined first, then parts): score and reason.
/// `shown_q` and `shown_c` are the whole family names as written, for reasons.
fn family_agreement_as_written(
    q: &[Tok],
    c: &[Tok],
    shown_q: &str,
    shown_c: &str,
) -> Option<FamilyAgreement> {
    let (qj, cj) = (q.first()?, c.first()?);
    let whole = |t: &Tok, shown: &str| {
        if shown.is_empty() {
            display(t.text())
        } else {
            shown.to_string()
        }
    };
    if qj.text() == cj.text() {
        return Some((1.0, "family name exact".to_string(), Needs::Nothing));
    }
    if qj.transliterated(cj) {
        return Some((
            1.0,
            format!(
                "family name transliterated ({}/{})",
                whole(qj, shown_q),
                whole(cj, shown_c)
            ),
            Needs::Nothing,
        ));
    }
    for (i, qf) in q.iter().enumerate() {
        for (j, cf) in c.iter().enumerate() {
            if qf.same(cf) {
                let (part, of) = if i > 0 && j == 0 {
                    (qf, whole(cj, shown_c))
                } else if j > 0 && i == 0 {
                    (cf, whole(qj, shown_q))
                } else {
                    (
                        qf,
                        format!("{} and {}", whole(qj, shown_q), whole(cj, shown_c)),
                    )
                };
                return Some((
                    0.95,
                    format!(
                        "family name \"{}\" is part of \"{of}\"",
                        display(part.text()),
                    ),
                    Needs::Nothing,
                ));
            }
        }
    }
    // One letter apart needs 4+ letters on both sides, or a letter dropped from a 4+ letter name
    // (Saw/Shaw); two 3-letter names one letter apart (Lee/Lea) are different names.
    let long_enough = |a: &Tok, b: &Tok| {
        let (x, y) = (a.text().len(), b.text().len());
        x.min(y) >= 4 || (x.min(y) == 3 && x.max(y) == 4)
    };
    if long_enough(qj, cj) && within_one_edit_mc(qj.text(), cj.text()) {
        return Some((
            0.85,
            format!(
                "family name one letter apart ({}/{})",
                whole(qj, shown_q),
                whole(cj, shown_c)
            ),
            Needs::Nothing,
        ));
    }
    for qf in q {
        for cf in c {
            if long_enough(qf, cf) && within_one_edit_mc(qf.text(), cf.text()) {
                return Some((
                    0.8,
                    format!(
                        "family name one letter apart from a part ({}/{})",
                        display(qf.text()),
                        display(cf.text())
                    ),
                    Needs::Nothing,
                ));
            }
        }
    }
    for qf in q {
        for cf in c {
            if !qf.code().is_empty()
                && !qf.code().starts_with('_')
                && qf.code() == cf.code()
                && jaro_winkler(qf.text(), cf.text()) >= 0.85
            {
                return Some((
                    0.8,
                    format!(
                        "family name sounds alike ({}/{})",
                        display(qf.text()),
                        display(cf.text())
                    ),
                    Needs::Nothing,
                ));
            }
        }
    }
    if qj.text().len().min(cj.text().len()) >= 7 && jaro_winkler(qj.text(), cj.text()) >= 0.93 {
        return Some((
            0.75,
            format!(
                "family name spelt similarly ({}/{})",
                display(qj.text()),
                display(cj.text())
            ),
            Needs::Nothing,
        ));
    }
    for qf in q {
        for cf in c {
            if let Some((read, as_)) = scanned_alike(qf.text(), cf.text()) {
                return Some((
                    0.85,
                    format!(
                        "family name as a scanner misreads it ({}/{}: \"{read}\" read as \"{as_}\")",
                        display(qf.text()),
                        display(cf.text())
                    ),
                    Needs::Nothing,
                ));
            }
        }
    }
    for qf in q {
        for cf in c {
            if romanised_alike(qf.text(), cf.text()) {
                return Some((
                    ROMANISED,
                    format!(
                        "family name another romanisation of the same name ({}/{})",
                        display(qf.text()),
                        display(cf.text())
                    ),
                    Needs::NearDateReferred,
                ));
            }
        }
    }
    let (x, y) = (qj.text(), cj.text());
    if two_slips_apart(x, y) {
        return Some((
            TWO_SLIPS,
            format!(
                "family name two letters apart ({}/{})",
                whole(qj, shown_q),
                whole(cj, shown_c)
            ),
            Needs::GivenAndExactDate,
        ));
    }
    // Short names (two or three letters) one letter apart: Lee/Lea, Cox/Cx, Ali/Aly. Weak on
    // their own (Lee and Lea are different names); the caller requires the given name and the
    // exact date of birth to agree as well.
    if x.len().min(y.len()) >= 2 && x.len().max(y.len()) == 3 && within_one_edit(x, y) {
        return Some((
            SHORT_FAMILY_TYPO,
            format!(
                "family name one letter apart ({}/{})",
                whole(qj, shown_q),
                whole(cj, shown_c)
            ),
            Needs::GivenAndExactDate,
        ));
    }
    None
}

/// The best agreement found between the names of the two sides.
#[derive(Debug)]
struct NameMatch {
    score: f64,
    reasons: Vec<String>,
    candidate_name: usize,
    /// No given name on one side: caps the match at `POSSIBLE`.
    given_missing: bool,
    /// Middle names contradict: caps at `POSSIBLE`, and needs the exact date.
    middle_conflict: bool,
    /// Short family names only one letter apart (Lee/Lea): needs the exact date.
    short_family: bool,
    /// The given names agree only as one name's forms in two languages, or two spellings of it
    /// (Dafydd / David): needs the exact or a transposed date, and stays `POSSIBLE`.
    equivalent_given: bool,
}

/// The given names without the one at `skip`.
fn without(given: &[Tok], skip: usize) -> Vec<Tok> {
    given
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, t)| t.clone())
        .collect()
}

/// A woman's maiden name given as a middle name: the check's middle name is the family name on
/// record ("Eleanor Dixon" "Reynolds" against "Eleanor" "Dixon"), or a middle name on record is
/// the check's family name. Counts only with the first given name agreeing at 0.9 or better (and,
/// through [`Needs::GivenAndExactDate`], the exact date); always referred.
fn maiden_as_middle(qn: &PName, cn: &PName) -> Option<(FamilyAgreement, GivenAgreement)> {
    let (qf, cf) = (qn.family.first()?, cn.family.first()?);
    let usable = |g: Option<GivenAgreement>| g.filter(|g| !g.3 && !g.2 && g.0 >= 0.9);
    for (k, g) in qn.given.iter().enumerate().skip(1) {
        if g.same(cf)
            && let Some(mut giv) = usable(given_agreement(&without(&qn.given, k), &cn.given))
        {
            giv.3 = true;
            let why = format!(
                "family name on record \"{}\" given as a middle name, with the family name \"{}\" \
                 (a maiden name?)",
                display(cf.text()),
                display(qf.text())
            );
            return Some(((MAIDEN_AS_MIDDLE, why, Needs::GivenAndExactDate), giv));
        }
    }
    for (k, g) in cn.given.iter().enumerate().skip(1) {
        if g.same(qf)
            && let Some(mut giv) = usable(given_agreement(&qn.given, &without(&cn.given, k)))
        {
            giv.3 = true;
            let why = format!(
                "family name \"{}\" is a middle name on record, with the family name \"{}\" \
                 (a maiden name?)",
                display(qf.text()),
                display(cf.text())
            );
            return Some(((MAIDEN_AS_MIDDLE, why, Needs::GivenAndExactDate), giv));
        }
    }
    None
}

/// Family score of a maiden name found as a middle name on the other side.
const MAIDEN_AS_MIDDLE: f64 = 0.8;

/// The name read the other way round: the family forms as given names, the given names as family.
fn swapped(n: &PName) -> (Vec<Tok>, Vec<Tok>) {
    let given: Vec<Tok> = if n.family.len() > 1 {
        n.family.iter().skip(1).cloned().collect()
    } else {
        n.family.clone()
    };
    let mut family: Vec<Tok> = Vec::new();
    if n.given.len() > 1 {
        let joined: String = n.given.iter().map(Tok::text).collect();
        family.push(Tok::new(joined));
    }
    family.extend(n.given.iter().cloned());
    (given, family)
}

/// One name of the check against one of the listed person's. `date_near`: the dates of birth
/// are equal or transposed, which a given name agreeing only as another language's form or
/// another spelling needs.
fn name_pair(
    qn: &PName,
    cn: &PName,
    (qi, cj): (usize, usize),
    swap: bool,
    date_near: bool,
) -> Option<NameMatch> {
    let (fam, giv, order) = if swap {
        let (g, f) = swapped(qn);
        (
            family_agreement(&f, &cn.family, &qn.shown_given, &cn.shown_family)?,
            given_agreement(&g, &cn.given)?,
            SWAPPED,
        )
    } else {
        match family_agreement(&qn.family, &cn.family, &qn.shown_family, &cn.shown_family) {
            Some(fam) => (fam, given_agreement(&qn.given, &cn.given)?, 1.0),
            None => {
                let (fam, giv) = maiden_as_middle(qn, cn)?;
                (fam, giv, 1.0)
            }
        }
    };
    let equivalent_given = giv.3 || fam.2 == Needs::NearDateReferred;
    // One name in two languages is a form a person may use, not a slip; with a date that
    // slipped as well it is mostly chance at a million listed people.
    if equivalent_given && !date_near {
        return None;
    }
    let given_missing = qn.given.is_empty() || cn.given.is_empty();
    let middle_conflict = giv.2;
    let short_family = fam.2 == Needs::GivenAndExactDate;
    if short_family && (given_missing || middle_conflict || giv.0 < 0.9) {
        return None;
    }
    let score = (0.5 * fam.0 + 0.5 * giv.0) * order;
    let mut reasons = vec![fam.1];
    reasons.extend(giv.1);
    if swap {
        reasons.push("given and family names swapped".to_string());
    }
    if qi > 0 {
        reasons.push(format!("declared previous name \"{}\" matches", qn.shown()));
    }
    if cj > 0 {
        reasons.push(format!("matched previous name \"{}\"", cn.shown()));
    }
    Some(NameMatch {
        score,
        reasons,
        candidate_name: cj,
        given_missing,
        middle_conflict,
        short_family,
        equivalent_given,
    })
}

fn best_name(q: &Prepared, c: &Prepared, date_near: bool) -> Option<NameMatch> {
    let mut best: Option<NameMatch> = None;
    for (qi, qn) in q.names.iter().enumerate() {
        for (cj, cn) in c.names.iter().enumerate() {
            let straight = name_pair(qn, cn, (qi, cj), false, date_near);
            let found = match straight {
                Some(m) if m.score >= SWAPPED => Some(m),
                other => {
                    let turned = name_pair(qn, cn, (qi, cj), true, date_near);
                    match (other, turned) {
                        (Some(a), Some(b)) => Some(if b.score > a.score { b } else { a }),
                        (a, b) => a.or(b),
                    }
                }
            };
            if let Some(m) = found {
                // Prefer higher scores; on a tie, the earlier (main) names.
                if best.as_ref().is_none_or(|b| m.score > b.score) {
                    best = Some(m);
                }
            }
        }
    }
    best
}

/// Whether the names broadly agree (a family name or a given name, at any level, either order).
fn names_broadly_agree(q: &Prepared, c: &Prepared) -> bool {
    q.names.iter().any(|qn| {
        c.names.iter().any(|cn| {
            let (sg, sf) = swapped(qn);
            family_agreement(&qn.family, &cn.family, "", "").is_some_and(|f| f.2 == Needs::Nothing)
                || family_agreement(&sf, &cn.family, "", "").is_some_and(|f| f.2 == Needs::Nothing)
                || (!qn.given.is_empty()
                    && !cn.given.is_empty()
                    && given_agreement(&qn.given, &cn.given).is_some())
                || (!sg.is_empty()
                    && !cn.given.is_empty()
                    && given_agreement(&sg, &cn.given).is_some())
        })
    })
}

/// Identifier evidence: (national match, issuer-bound match, contradicting national schemes).
fn identifier_evidence(
    q: &Prepared,
    c: &Prepared,
) -> (Option<String>, Option<String>, Vec<String>) {
    let mut national = None;
    let mut local = None;
    let mut conflicts = Vec::new();
    for qi in &q.ids {
        let same_scheme: Vec<_> = c.ids.iter().filter(|ci| ci.scheme == qi.scheme).collect();
        let equal = same_scheme
            .iter()
            .any(|ci| ci.issuer == qi.issuer && ci.value == qi.value);
        let label = qi.scheme.label();
        if equal {
            if qi.scheme.is_national() {
                national.get_or_insert_with(|| format!("{label} matches"));
            } else {
                local.get_or_insert_with(|| format!("{label} matches (same issuer)"));
            }
        } else if qi.scheme.is_national() && !same_scheme.is_empty() {
            conflicts.push(format!("{label} differs"));
        }
    }
    // A scheme that matched on another value is no contradiction.
    if let Some(n) = &national {
        conflicts.retain(|c| !n.starts_with(c.trim_end_matches(" differs")));
    }
    (national, local, conflicts)
}

/// Compares a check with one listed person. `None` when the candidate is not a match at all.
pub fn compare(query: &Prepared, candidate: &Prepared, config: &MatchConfig) -> Option<Comparison> {
    let rel = dob::relate(query.dob, candidate.dob);
    let (national, local, conflicts) = identifier_evidence(query, candidate);
    let date_near = matches!(rel, DobRelation::Exact | DobRelation::Transposed);
    let name = best_name(query, candidate, date_near);

    if national.is_some() || local.is_some() {
        let mut reasons: Vec<String> = national.iter().chain(local.iter()).cloned().collect();
        let agree = name.is_some() || names_broadly_agree(query, candidate);
        let (strength, score) = if national.is_some() {
            (Strength::Strong, 1.0)
        } else if agree {
            (Strength::Strong, 0.97)
        } else {
            (Strength::Possible, 0.7)
        };
        let matched_name = name.as_ref().map_or(0, |n| n.candidate_name);
        match name {
            Some(n) => reasons.extend(n.reasons),
            None if agree => reasons.push("names partly agree".to_string()),
            None => reasons.push("names do not agree".to_string()),
        }
        reasons.push(dob::describe(rel, query.dob, candidate.dob));
        reasons.extend(conflicts);
        return Some(Comparison {
            strength,
            score,
            reasons,
            matched_name,
        });
    }

    let name = name?;
    let needs_exact_date = name.middle_conflict || name.short_family;
    if rel == DobRelation::Different || (needs_exact_date && rel != DobRelation::Exact) {
        return None;
    }
    let score = (name.score * rel.factor()).clamp(0.0, 1.0);
    if score < config.possible_threshold {
        return None;
    }
    // A given name agreeing only as another language's form or spelling is referred, whatever
    // the thresholds are set to.
    let may_be_strong = rel.allows_strong()
        && conflicts.is_empty()
        && !name.given_missing
        && !name.middle_conflict
        && !name.equivalent_given;
    let strength = if may_be_strong && score >= config.strong_threshold {
        Strength::Strong
    } else {
        Strength::Possible
    };
    if !shares_key(query, candidate) {
        return None;
    }
    let mut reasons = name.reasons;
    reasons.push(dob::describe(rel, query.dob, candidate.dob));
    reasons.extend(conflicts);
    Some(Comparison {
        strength,
        score,
        reasons,
        matched_name: name.candidate_name,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{
        Identifier, IdentifierScheme, Identity, PersonName, index_keys, query_keys,
    };
    use super::*;
    use crate::core::identity::Date;
    use proptest::prelude::*;

    fn person(
        names: &[(&str, &str)],
        dob: Option<Date>,
        ids: &[(IdentifierScheme, &str, &str)],
    ) -> Prepared {
        Prepared::new(&Identity {
            names: names.iter().map(|(g, f)| PersonName::new(*g, *f)).collect(),
            date_of_birth: dob,
            identifiers: ids
                .iter()
                .map(|(s, v, i)| Identifier {
                    scheme: *s,
                    value: (*v).to_string(),
                    issuer: (*i).to_string(),
                })
                .collect(),
        })
    }

    fn d(y: i32, m: u8, day: u8) -> Option<Date> {
        Some(Date::new(y, m, day))
    }

    fn cmp(q: &Prepared, c: &Prepared) -> Option<Comparison> {
        let r = compare(q, c, &MatchConfig::default());
        if r.is_some() {
            let ik = index_keys(c);
            assert!(
                query_keys(q).iter().any(|k| ik.contains(k)),
                "recall contract"
            );
        }
        r
    }

    fn listed() -> Prepared {
        person(&[("Robert Keith", "Smith")], d(1985, 3, 12), &[])
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("smith", "smyth"));
        assert!(within_one_edit("smith", "smth"));
        assert!(within_one_edit("smith", "smiith"));
        assert!(within_one_edit("smith", "msith"));
        assert!(within_one_edit("", "a"));
        assert!(!within_one_edit("smith", "jones"));
        assert!(!within_one_edit("smith", "smithers"));
        assert!(!within_one_edit("abcd", "badc"));
        assert!(within_one_edit_mc("mabdonald", "mcdonald"));
    }

    #[test]
    fn a_given_names_form_in_another_language_is_possible_with_a_near_date_only() {
        let listed = person(&[("Dafydd", "Evans")], d(1980, 3, 4), &[]);
        let m = cmp(&person(&[("David", "Evans")], d(1980, 3, 4), &[]), &listed).unwrap();
        assert_eq!(m.strength, Strength::Possible);
        assert!(
            m.reasons.contains(
                &"given name \"David\" is the English form of the Welsh \"Dafydd\"".into()
            ),
            "{:?}",
            m.reasons
        );
        // Day and month transposed: still found.
        assert!(cmp(&person(&[("David", "Evans")], d(1980, 4, 3), &[]), &listed).is_some());
        // A date one digit away as well: two variations, not matched.
        assert!(cmp(&person(&[("David", "Evans")], d(1980, 3, 5), &[]), &listed).is_none());
        // The other way round, and two forms of one name.
        let sean = person(&[("Seán", "Murphy")], d(1975, 11, 30), &[]);
        let m = cmp(&person(&[("John", "Murphy")], d(1975, 11, 30), &[]), &sean).unwrap();
        assert!(
            m.reasons
                .contains(&"given name \"John\" is the English form of the Irish \"Sean\"".into()),
            "{:?}",
            m.reasons
        );
        let m = cmp(&person(&[("Eoin", "Murphy")], d(1975, 11, 30), &[]), &sean).unwrap();
        assert!(
            m.reasons
                .contains(&"given names \"Eoin\" and \"Sean\" are both forms of \"John\"".into()),
            "{:?}",
            m.reasons
        );
        let m = cmp(
            &person(&[("Kathryn", "Hale")], d(1990, 1, 2), &[]),
            &person(&[("Catherine", "Hale")], d(1990, 1, 2), &[]),
        )
        .unwrap();
        assert!(
            m.reasons
                .contains(&"given name \"Kathryn\" is another spelling of \"Catherine\"".into()),
            "{:?}",
            m.reasons
        );
        // Swapped as well.
        assert!(cmp(&person(&[("Evans", "David")], d(1980, 3, 4), &[]), &listed).is_some());
        // Never STRONG, whatever the threshold.
        let low = MatchConfig {
            strong_threshold: 0.9,
            ..MatchConfig::default()
        };
        let q = person(&[("David", "Evans")], d(1980, 3, 4), &[]);
        assert_eq!(
            compare(&q, &listed, &low).map(|m| m.strength),
            Some(Strength::Possible)
        );
    }

    #[test]
    fn a_pair_in_the_equivalents_table_that_is_also_a_slip_keeps_the_slips_dates() {
        // One letter apart as well as spellings of one name: matched with a slipped date, as
        // any one-letter slip is.
        let listed = person(&[("Alistair", "Reid")], d(1970, 6, 15), &[]);
        let m = cmp(
            &person(&[("Alastair", "Reid")], d(1970, 6, 16), &[]),
            &listed,
        )
        .unwrap();
        assert!(
            m.reasons.iter().any(|r| r.contains("one letter apart")),
            "{:?}",
            m.reasons
        );
        // The first name matched as the other side's middle name decides, not its first name's
        // form in another language.
        let listed = person(&[("Sean John", "Smith")], d(1970, 6, 15), &[]);
        let m = cmp(&person(&[("John", "Smith")], d(1970, 6, 15), &[]), &listed).unwrap();
        assert!(
            m.reasons
                .iter()
                .any(|r| r.contains("matches a middle name")),
            "{:?}",
            m.reasons
        );
    }

    #[test]
    fn given_names_run_together_are_strong_even_when_the_word_sounds_like_the_first() {
        // "anthonyrichard" sounds like "anthony" (same Double Metaphone code); read as a
        // sound-alike first name it was only POSSIBLE, with "richard" missing.
        let listed = person(&[("Anthony Richard", "Francis")], d(1971, 9, 21), &[]);
        for given in ["anthonyrichard", "AnthonyRichard"] {
            let m = cmp(&person(&[(given, "francis")], d(1971, 9, 21), &[]), &listed).unwrap();
            assert_eq!(m.strength, Strength::Strong, "{given}");
            assert!(
                m.reasons.iter().any(|r| r.contains("written together")),
                "{given}: {:?}",
                m.reasons
            );
        }
        let listed = person(&[("Andre Matthew David", "Morris")], d(1981, 9, 28), &[]);
        let m = cmp(
            &person(&[("AndreMatthew David ", "Morris")], d(1981, 9, 28), &[]),
            &listed,
        )
        .unwrap();
        assert_eq!(m.strength, Strength::Strong);
    }

    #[test]
    fn an_initial_glued_onto_a_given_name_is_not_a_run_together_strong_match() {
        // Opposite-sex twins share the family name and the date: "Paul A" is not "Paula".
        for (q, c) in [
            ("Paul A", "Paula"),
            ("Robert A", "Roberta"),
            ("Eric A", "Erica"),
            ("Dan A", "Dana"),
            ("Jo E", "Joe"),
            ("Christophe R", "Christopher"),
            ("J R", "Jr"),
        ] {
            for (a, b) in [(q, c), (c, q)] {
                let m = cmp(
                    &person(&[(a, "Harvey")], d(1990, 4, 4), &[]),
                    &person(&[(b, "Harvey")], d(1990, 4, 4), &[]),
                );
                assert!(
                    m.as_ref().is_none_or(|m| m.strength != Strength::Strong),
                    "{a}/{b}: {m:?}"
                );
            }
        }
    }

    #[test]
    fn british_and_yoruba_short_forms_are_forms() {
        for (short, full) in [
            ("Elsie", "Elizabeth"),
            ("Abi", "Abigail"),
            ("Stevie", "Stephen"),
            ("Al", "Alasdair"),
            ("Terri", "Teresa"),
            ("Seun", "Oluwaseun"),
            ("Peggy", "Margaret"),
            ("Dai", "David"),
        ] {
            let listed = person(&[(full, "Harvey")], d(1964, 2, 2), &[]);
            let m = cmp(&person(&[(short, "Harvey")], d(1964, 2, 2), &[]), &listed)
                .unwrap_or_else(|| panic!("{short}/{full} not matched"));
            assert_eq!(m.strength, Strength::Strong, "{short}/{full}");
            // Either way round, and found through the index from the listed short form too.
            let listed = person(&[(short, "Harvey")], d(1964, 2, 2), &[]);
            assert!(cmp(&person(&[(full, "Harvey")], d(1964, 2, 2), &[]), &listed).is_some());
        }
    }

    #[test]
    fn exact_name_and_date_is_strong() {
        let m = cmp(
            &person(&[("Robert Keith", "Smith")], d(1985, 3, 12), &[]),
            &listed(),
        )
        .unwrap();
        assert_eq!(m.strength, Strength::Strong);
        assert_eq!(m.score, 1.0);
        assert_eq!(
            m.reasons,
            vec![
                "family name exact",
                "given name exact",
                "date of birth exact"
            ]
        );
    }

    /// Issue 12: "John Smith" was referred to "Paula Joanna Smith" born a day apart, because "a
    /// middle name sounds alike (John/Joanna)". A middle name never carries a match alone.
    #[test]
    fn a_middle_name_that_only_sounds_like_the_first_name_carries_nothing() {
        let paula = person(&[("Paula Joanna", "Smith")], d(1971, 6, 14), &[]);
        for dob in [d(1971, 6, 15), d(1971, 6, 14)] {
            let m = cmp(&person(&[("John", "Smith")], dob, &[]), &paula);
            assert!(m.is_none(), "{m:?}");
        }
        // The middle name itself, or a known form of it, still counts (a person known by it).
        let keith = cmp(
            &person(&[("Keith", "Smith")], d(1985, 3, 12), &[]),
            &listed(),
        )
        .unwrap();
        assert!(
            keith
                .reasons
                .iter()
                .any(|r| r.contains("matches a middle name")),
            "{keith:?}"
        );
    }

    /// Issue 12: a middle name never carries a match alone: a person known by a middle name is
    /// referred, not decided.
    #[test]
    fn a_match_through_a_middle_name_is_referred_never_decided() {
        let keith = cmp(
            &person(&[("Keith", "Smith")], d(1985, 3, 12), &[]),
            &listed(),
        )
        .unwrap();
        assert_eq!(keith.strength, Strength::Possible, "{keith:?}");
    }

    /// Issue 12: two slips in a long family name with the exact date are referred; in a short
    /// name, or with a slipped date, they are chance.
    #[test]
    fn two_slips_in_a_long_family_name_with_the_exact_date_are_referred() {
        let reynolds = person(&[("Eleanor", "Reynolds")], d(1979, 2, 3), &[]);
        for typed in ["Reyonods", "Rynolsd", "Renyolds"] {
            let m = cmp(
                &person(&[("Eleanor", typed)], d(1979, 2, 3), &[]),
                &reynolds,
            )
            .unwrap_or_else(|| panic!("{typed}"));
            assert_eq!(m.strength, Strength::Possible);
            assert!(
                m.reasons
                    .iter()
                    .any(|r| r.contains("two letters apart") || r.contains("one letter apart")),
                "{typed}: {m:?}"
            );
        }
        let mitchell = person(&[("Paul", "Mitchell")], d(1980, 1, 1), &[]);
        assert!(
            cmp(
                &person(&[("Paul", "Mtchlel")], d(1980, 1, 1), &[]),
                &mitchell
            )
            .is_some()
        );
        // A date one digit away as well, another given name, or a short name: no match.
        assert!(
            cmp(
                &person(&[("Paul", "Mtchlel")], d(1980, 1, 2), &[]),
                &mitchell
            )
            .is_none()
        );
        assert!(
            cmp(
                &person(&[("Peter", "Mtchlel")], d(1980, 1, 1), &[]),
                &mitchell
            )
            .is_none()
        );
        let jones = person(&[("Paul", "Jones")], d(1980, 1, 1), &[]);
        assert!(cmp(&person(&[("Paul", "Jnoes")], d(1980, 1, 1), &[]), &jones).is_some());
        assert!(cmp(&person(&[("Paul", "Janet")], d(1980, 1, 1), &[]), &jones).is_none());
    }

    /// Issue 12: names read from a scanned form (rn for m, cl for d, vv for w).
    #[test]
    fn names_as_a_scanner_misreads_them_are_referred() {
        assert_eq!(scanned_alike("wiliarns", "wiliams"), Some(("rn", "m")));
        assert_eq!(scanned_alike("darke", "clarke"), Some(("d", "cl")));
        assert_eq!(scanned_alike("vvilliams", "williams"), Some(("vv", "w")));
        assert_eq!(scanned_alike("smith", "jones"), None);
        assert_eq!(scanned_alike("smith", "smith"), None);
        let listed = person(&[("William", "Morrison")], d(1966, 7, 8), &[]);
        for (g, f) in [
            ("Wiliiam", "Morrison"),
            ("Wil1iam", "Mornson"),
            ("VVilliam", "Morrison"),
        ] {
            let m = cmp(&person(&[(g, f)], d(1966, 7, 8), &[]), &listed)
                .unwrap_or_else(|| panic!("{g} {f}"));
            assert_eq!(m.strength, Strength::Possible, "{g} {f}");
        }
        let m = cmp(
            &person(&[("Bemard", "Clark")], d(1966, 7, 8), &[]),
            &person(&[("Bernard", "Clark")], d(1966, 7, 8), &[]),
        )
        .unwrap();
        assert!(m.reasons.iter().any(|r| r.contains("scanner")), "{m:?}");
    }

    /// Issue 12: another romanisation system's spelling of the same name is referred with a near
    /// date, never decided.
    #[test]
    fn another_romanisation_of_a_name_is_referred_with_a_near_date() {
        assert_eq!(romanisation_fold("iurii"), romanisation_fold("yuriy"));
        assert_eq!(romanisation_fold("yevgeny"), romanisation_fold("evgeniy"));
        assert_eq!(
            romanisation_fold("aleksandr"),
            romanisation_fold("alexandr")
        );
        let listed = person(&[("Yuriy", "Tkachenko")], d(1975, 4, 9), &[]);
        for (g, f) in [
            ("Iurii", "Tkachenko"),
            ("Yuri", "Tkachenko"),
            ("Yuriy", "Tkatchenko"),
        ] {
            let m = cmp(&person(&[(g, f)], d(1975, 4, 9), &[]), &listed)
                .unwrap_or_else(|| panic!("{g} {f}"));
            assert_eq!(m.strength, Strength::Possible, "{g} {f}");
        }
        let low = MatchConfig {
            strong_threshold: 0.8,
            ..MatchConfig::default()
        };
        let q = person(&[("Iurii", "Tkachenko")], d(1975, 4, 9), &[]);
        assert_eq!(
            compare(&q, &listed, &low).map(|m| m.strength),
            Some(Strength::Possible)
        );
    }

    /// Issue 12: a maiden name given as a middle name, either way round.
    #[test]
    fn a_maiden_name_given_as_a_middle_name_is_referred_with_the_exact_date() {
        let dixon = person(&[("Eleanor", "Dixon")], d(1982, 9, 30), &[]);
        let m = cmp(
            &person(&[("Eleanor Dixon", "Reynolds")], d(1982, 9, 30), &[]),
            &dixon,
        )
        .unwrap();
        assert_eq!(m.strength, Strength::Possible);
        assert!(m.reasons.iter().any(|r| r.contains("maiden name")), "{m:?}");
        // The other way: listed with her maiden name as a middle name, checked under it.
        let listed = person(&[("Eleanor Dixon", "Reynolds")], d(1982, 9, 30), &[]);
        let m = cmp(
            &person(&[("Eleanor", "Dixon")], d(1982, 9, 30), &[]),
            &listed,
        )
        .unwrap();
        assert_eq!(m.strength, Strength::Possible);
        // Another first name, or another date: not her.
        assert!(
            cmp(
                &person(&[("Margaret Dixon", "Reynolds")], d(1982, 9, 30), &[]),
                &dixon
            )
            .is_none()
        );
        assert!(
            cmp(
                &person(&[("Eleanor Dixon", "Reynolds")], d(1982, 9, 29), &[]),
                &dixon
            )
            .is_none()
        );
    }

    /// Issue 12: post-nominal letters after the family name turned an exact match into a REFER.
    /// The strength and reasons of a check against one listed person, each a name pair.
    fn outcome(q: (&str, &str), c: (&str, &str), qd: Option<Date>) -> Option<(Strength, String)> {
        let (q, c) = (person(&[q], qd, &[]), person(&[c], d(1979, 6, 2), &[]));
        cmp(&q, &c).map(|m| (m.strength, m.reasons.join("; ")))
    }

    #[test]
    fn irish_scottish_and_welsh_family_names_meet_their_anglicised_forms_referred() {
        let exact = d(1979, 6, 2);
        for (q, c) in [
            (("Ciaran", "O'Sullivan"), ("Ciarán", "Ó Súilleabháin")),
            (("Ciarán", "Ó Súilleabháin"), ("Ciaran", "Sullivan")),
            (("Siobhan", "O'Sullivan"), ("Siobhán", "Ní Shúilleabháin")),
            (("Aoife", "Ní Shúilleabháin"), ("Aoife", "Ó Súilleabháin")),
            (("Sean", "McLoughlin"), ("Seán", "Mac Lochlainn")),
            (("Rhodri", "Price"), ("Rhodri", "ap Rhys")),
            (("Owain", "ab Owain"), ("Owain", "Bowen")),
        ] {
            let (strength, why) = outcome(q, c, exact).unwrap_or_else(|| panic!("{q:?} {c:?}"));
            assert_eq!(strength, Strength::Possible, "{q:?} {c:?}: {why}");
            assert!(why.contains("form"), "{why}");
        }
        // Found with the day and month transposed, not with a date that slipped otherwise.
        assert!(
            outcome(
                ("Ciaran", "O'Sullivan"),
                ("Ciarán", "Ó Súilleabháin"),
                d(1979, 2, 6)
            )
            .is_some()
        );
        assert!(
            outcome(
                ("Ciaran", "O'Sullivan"),
                ("Ciarán", "Ó Súilleabháin"),
                d(1979, 6, 3)
            )
            .is_none()
        );
        // Two anglicised forms of one Welsh name are two English names.
        assert!(outcome(("Rhodri", "Price"), ("Rhodri", "Pritchard"), exact).is_none());
        assert!(outcome(("Gareth", "Bevan"), ("Gareth", "Evans"), exact).is_none());
    }

    #[test]
    fn a_name_in_greek_or_cyrillic_meets_its_latin_form() {
        let exact = d(1979, 6, 2);
        // Every system spells Иван Петров alike: decided.
        let (s, why) = outcome(("Иван", "Петров"), ("Ivan", "Petrov"), exact).expect("cyrillic");
        assert_eq!(s, Strength::Strong, "{why}");
        assert!(why.contains("transliterated from the Cyrillic"), "{why}");
        // And the other way round: a registry entry in the script, found by the Latin form.
        let (s, _) = outcome(("Ivan", "Petrov"), ("Иван", "Петров"), exact).expect("both ways");
        assert_eq!(s, Strength::Strong);
        // The systems disagree on Δημήτριος and Юрий: referred.
        for (q, c) in [
            (("Δημήτριος", "Ευαγγέλου"), ("Dimitrios", "Evangelou")),
            (("Dimitrios", "Evangelou"), ("Δημήτριος", "Ευαγγέλου")),
            (("Юрий", "Смирнов"), ("Yuriy", "Smirnov")),
            (("Юрий", "Смирнов"), ("Iurii", "Smirnov")),
            (("Сергій", "Бондаренко"), ("Serhii", "Bondarenko")),
            (("Сергій", "Бондаренко"), ("Sergei", "Bondarenko")),
            (("Юрий", "Смирнов"), ("Yuri", "Smirnov")),
            (("Дмитрий", "Кузнецов"), ("Dmitry", "Kuznetsov")),
            (("Алексей", "Попов"), ("Alexei", "Popov")),
            (("Евгений", "Волков"), ("Yevgeny", "Volkov")),
            (("Ιωάννης", "Παπαδόπουλος"), ("Ioannis", "Papadopoulos")),
            (("Χρήστος", "Οικονόμου"), ("Christos", "Oikonomou")),
        ] {
            let (s, why) = outcome(q, c, exact).unwrap_or_else(|| panic!("{q:?} {c:?}"));
            assert_eq!(s, Strength::Possible, "{q:?} {c:?}: {why}");
            assert!(why.contains("from the"), "{why}");
        }
        assert!(outcome(("Иван", "Петров"), ("Ivan", "Sidorov"), exact).is_none());
    }

    #[test]
    fn arabic_and_south_asian_romanisations_are_referred() {
        let exact = d(1979, 6, 2);
        for (q, c) in [
            (("Zaynab", "Khan"), ("Zeinab", "Khan")),
            (("Yousaf", "Ahmed"), ("Yusuf", "Ahmed")),
            (("Abdur Rahman", "Hussain"), ("Abdulrahman", "Hussain")),
            (("Imran", "Chaudhry"), ("Imran", "Chowdhury")),
        ] {
            let (s, why) = outcome(q, c, exact).unwrap_or_else(|| panic!("{q:?} {c:?}"));
            assert_eq!(s, Strength::Possible, "{q:?} {c:?}: {why}");
        }
    }

    #[test]
    fn post_nominals_after_the_family_name_leave_an_exact_match_strong() {
        for family in ["Smith QPM", "Smith, BEM", "Smith MBE JP"] {
            let m = cmp(
                &person(&[("Robert Keith", family)], d(1985, 3, 12), &[]),
                &listed(),
            )
            .unwrap();
            assert_eq!(m.strength, Strength::Strong, "{family}: {m:?}");
        }
    }

    #[test]
    fn nickname_and_dropped_middle_name_is_strong_with_reasons() {
        let m = cmp(&person(&[("Bob", "SMITH")], d(1985, 3, 12), &[]), &listed()).unwrap();
        assert_eq!(m.strength, Strength::Strong);
        assert!(
            m.reasons
                .contains(&"given name \"Bob\" is a form of \"Robert\"".to_string())
        );
        assert!(
            m.reasons
                .contains(&"middle name \"Keith\" not given".to_string())
        );
    }

    #[test]
    fn family_typo_is_possible() {
        let m = cmp(
            &person(&[("Robert", "Smyth")], d(1985, 3, 12), &[]),
            &listed(),
        )
        .unwrap();
        assert_eq!(m.strength, Strength::Possible);
        assert!(
            m.reasons
                .contains(&"family name one letter apart (Smyth/Smith)".to_string())
        );
    }

    #[test]
    fn swapped_names_are_possible() {
        let m = cmp(
            &person(&[("Smith", "Robert")], d(1985, 3, 12), &[]),
            &listed(),
        )
        .unwrap();
        assert_eq!(m.strength, Strength::Possible);
        assert!(
            m.reasons
                .contains(&"given and family names swapped".to_string())
        );
    }

    #[test]
    fn initial_is_possible() {
        let m = cmp(&person(&[("R.", "Smith")], d(1985, 3, 12), &[]), &listed()).unwrap();
        assert_eq!(m.strength, Strength::Possible);
        assert!(
            m.reasons
                .contains(&"given name: initial \"R\" fits \"Robert\"".to_string())
        );
    }

    #[test]
    fn date_rules() {
        let q = |dob| person(&[("Robert", "Smith")], dob, &[]);
        let transposed = cmp(&q(d(1985, 12, 3)), &listed()).unwrap();
        assert_eq!(transposed.strength, Strength::Possible);
        assert!(
            transposed
                .reasons
                .contains(&"date of birth: day and month transposed".to_string())
        );
        let digit = cmp(&q(d(1985, 3, 13)), &listed()).unwrap();
        assert!(
            digit.reasons.contains(
                &"date of birth: one digit different (1985-03-13/1985-03-12)".to_string()
            )
        );
        let year = cmp(&q(d(1984, 3, 12)), &listed()).unwrap();
        assert!(
            year.reasons
                .contains(&"date of birth: a year apart".to_string())
        );
        let missing = cmp(&q(None), &listed()).unwrap();
        assert_eq!(missing.strength, Strength::Possible);
        assert!(
            missing
                .reasons
                .contains(&"date of birth not given".to_string())
        );
        let year_only = cmp(&q(d(1985, 0, 0)), &listed()).unwrap();
        assert_eq!(year_only.strength, Strength::Possible);
        assert!(cmp(&q(d(1984, 0, 0)), &listed()).is_none());
        assert!(cmp(&q(d(1962, 7, 30)), &listed()).is_none());
    }

    #[test]
    fn contradicting_middle_names_need_the_exact_date() {
        let q = person(&[("Robert Paul", "Smith")], d(1985, 3, 12), &[]);
        assert_eq!(cmp(&q, &listed()).unwrap().strength, Strength::Possible);
        let q2 = person(&[("Robert Paul", "Smith")], d(1985, 3, 13), &[]);
        assert!(cmp(&q2, &listed()).is_none());
    }

    #[test]
    fn other_given_name_same_family_and_date_is_no_match() {
        assert!(
            cmp(
                &person(&[("William", "Smith")], d(1985, 3, 12), &[]),
                &listed()
            )
            .is_none()
        );
        assert!(
            cmp(
                &person(&[("Robert", "Jones")], d(1985, 3, 12), &[]),
                &listed()
            )
            .is_none()
        );
    }

    #[test]
    fn previous_names_on_both_sides() {
        let c = person(
            &[("Jane", "Wilson"), ("Jane", "Hopkins")],
            d(1980, 1, 2),
            &[],
        );
        let m = cmp(&person(&[("Jane", "Hopkins")], d(1980, 1, 2), &[]), &c).unwrap();
        assert_eq!(m.strength, Strength::Strong);
        assert_eq!(m.matched_name, 1);
        assert!(
            m.reasons
                .contains(&"matched previous name \"Jane Hopkins\"".to_string())
        );
        let q = person(&[("Jane", "Doe"), ("Jane", "Wilson")], d(1980, 1, 2), &[]);
        let m = cmp(&q, &c).unwrap();
        assert_eq!(m.strength, Strength::Strong);
        assert!(
            m.reasons
                .contains(&"declared previous name \"Jane Wilson\" matches".to_string())
        );
    }

    #[test]
    fn hyphen_parts_mc_and_o() {
        let c = person(&[("Aimee", "Forster-Hammond")], d(1987, 5, 31), &[]);
        for fam in [
            "Hammond",
            "Forster Hammond",
            "ForsterHammond",
            "forster-hammond",
        ] {
            let m = cmp(&person(&[("Aimee", fam)], d(1987, 5, 31), &[]), &c).unwrap();
            assert_eq!(m.strength, Strength::Strong, "{fam}");
        }
        let c = person(&[("Guy", "MacDonald")], d(1992, 8, 12), &[]);
        assert_eq!(
            cmp(&person(&[("Guy", "Mc Donald")], d(1992, 8, 12), &[]), &c)
                .unwrap()
                .strength,
            Strength::Strong
        );
        let c = person(&[("Sean", "O'Neill")], d(1992, 8, 12), &[]);
        assert_eq!(
            cmp(&person(&[("Seán", "O Neill")], d(1992, 8, 12), &[]), &c)
                .unwrap()
                .strength,
            Strength::Strong
        );
    }

    #[test]
    fn national_identifier_decides_whatever_the_name() {
        use IdentifierScheme::*;
        let c = person(
            &[("Robert", "Smith")],
            d(1985, 3, 12),
            &[(NationalInsuranceNumber, "AB 12 34 56 C", "")],
        );
        let q = person(
            &[("Jane", "Doe")],
            None,
            &[(NationalInsuranceNumber, "ab123456c", "")],
        );
        let m = cmp(&q, &c).unwrap();
        assert_eq!(m.strength, Strength::Strong);
        assert_eq!(
            m.reasons.first().map(String::as_str),
            Some("national insurance number matches")
        );
        // A different national insurance number caps an otherwise exact match.
        let q = person(
            &[("Robert", "Smith")],
            d(1985, 3, 12),
            &[(NationalInsuranceNumber, "ZZ999999Z", "")],
        );
        let m = cmp(&q, &c).unwrap();
        assert_eq!(m.strength, Strength::Possible);
        assert!(
            m.reasons
                .contains(&"national insurance number differs".to_string())
        );
    }

    #[test]
    fn warrant_numbers_need_the_issuer_and_a_name() {
        use IdentifierScheme::*;
        let c = person(
            &[("Robert", "Smith")],
            d(1985, 3, 12),
            &[(WarrantNumber, "1234", "Kent Police")],
        );
        let other_force = person(
            &[("Jane", "Doe")],
            None,
            &[(WarrantNumber, "1234", "Essex Police")],
        );
        assert!(cmp(&other_force, &c).is_none());
        let same_force_other_name = person(
            &[("Jane", "Doe")],
            None,
            &[(WarrantNumber, "1234", "KENT POLICE")],
        );
        assert_eq!(
            cmp(&same_force_other_name, &c).unwrap().strength,
            Strength::Possible
        );
        let same_force_married = person(
            &[("Robert", "Jones")],
            None,
            &[(WarrantNumber, "1234", "Kent Police")],
        );
        assert_eq!(
            cmp(&same_force_married, &c).unwrap().strength,
            Strength::Strong
        );
    }

    fn name_part() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z][a-z]{2,9}",
            Just("Robert".to_string()),
            Just("Bob".to_string()),
            Just("Smith".to_string()),
            Just("O'Neill".to_string()),
            Just("MacDonald".to_string()),
            Just("Müller".to_string()),
            Just("J.".to_string()),
        ]
    }

    fn identity() -> impl Strategy<Value = Identity> {
        (
            prop::collection::vec(
                (
                    name_part(),
                    prop::option::of(name_part()),
                    name_part(),
                    prop::option::of(name_part()),
                ),
                1..3,
            ),
            prop::option::of((1940i32..2005, 0u8..13, 0u8..29)),
            prop::option::of("[A-Z]{2}[0-9]{6}[A-D]"),
        )
            .prop_map(|(names, dob, ni)| Identity {
                names: names
                    .into_iter()
                    .map(|(g, m, f, f2)| {
                        let given = match m {
                            Some(m) => format!("{g} {m}"),
                            None => g,
                        };
                        let family = match f2 {
                            Some(f2) => format!("{f}-{f2}"),
                            None => f,
                        };
                        PersonName::new(given, family)
                    })
                    .collect(),
                date_of_birth: dob.map(|(y, m, d)| {
                    if m == 0 {
                        Date::new(y, 0, 0)
                    } else {
                        Date::new(y, m, d.max(1))
                    }
                }),
                identifiers: ni
                    .into_iter()
                    .map(|v| Identifier {
                        scheme: IdentifierScheme::NationalInsuranceNumber,
                        value: v,
                        issuer: String::new(),
                    })
                    .collect(),
            })
    }

    /// A variant of an identity as someone else might type it.
    fn variant(id: &Identity, how: u8, pos: usize) -> Identity {
        let mut v = id.clone();
        let typo = |s: &str| {
            let mut c: Vec<char> = s.chars().collect();
            if c.len() > 2 {
                let i = 1 + pos % (c.len() - 1);
                match how % 3 {
                    0 => {
                        c.remove(i);
                    }
                    1 => c.insert(i, 'x'),
                    _ => {
                        if let Some(ch) = c.get_mut(i) {
                            *ch = 'q';
                        }
                    }
                }
            }
            c.into_iter().collect::<String>()
        };
        if let Some(n) = v.names.first_mut() {
            match how % 8 {
                0 => n.family_name = typo(&n.family_name),
                1 => n.given_names = typo(&n.given_names),
                2 => std::mem::swap(&mut n.given_names, &mut n.family_name),
                3 => {
                    n.given_names = n
                        .given_names
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string()
                }
                4 => n.given_names = n.given_names.chars().take(1).collect(),
                5 => {
                    n.family_name = n
                        .family_name
                        .split('-')
                        .next_back()
                        .unwrap_or("")
                        .to_string()
                }
                6 => {
                    n.given_names = typo(&n.given_names);
                    n.family_name = typo(&n.family_name);
                }
                _ => n.given_names = "Bob".into(),
            }
        }
        v.date_of_birth = match (how / 8) % 6 {
            0 => v.date_of_birth,
            1 => None,
            2 => v.date_of_birth.map(|d| Date::new(d.year, d.day, d.month)),
            3 => v
                .date_of_birth
                .map(|d| Date::new(d.year + 1, d.month, d.day)),
            4 => v
                .date_of_birth
                .map(|d| Date::new(d.year, d.month, if d.day > 1 { d.day - 1 } else { d.day })),
            _ => v
                .date_of_birth
                .map(|d| Date::new(d.year - 10, d.month, d.day)),
        };
        if how >= 48 {
            v.identifiers.clear();
        }
        v
    }

    proptest! {
        #[test]
        fn everyone_is_found_by_their_own_name(id in identity()) {
            let p = Prepared::new(&id);
            let ik = index_keys(&p);
            prop_assert!(query_keys(&p).iter().any(|k| ik.contains(k)));
            let m = compare(&p, &p, &MatchConfig::default());
            prop_assert!(m.is_some());
            let complete = id.date_of_birth.is_some_and(|d| d.is_complete());
            if complete || !id.identifiers.is_empty() {
                prop_assert_eq!(m.map(|m| m.strength), Some(Strength::Strong));
            }
        }

        #[test]
        fn recall_contract_on_variants(id in identity(), how in 0u8..96, pos in 0usize..20) {
            let c = Prepared::new(&id);
            let q = Prepared::new(&variant(&id, how, pos));
            if compare(&q, &c, &MatchConfig::default()).is_some() {
                let ik = index_keys(&c);
                prop_assert!(query_keys(&q).iter().any(|k| ik.contains(k)));
            }
        }

        #[test]
        fn recall_contract_on_unrelated_pairs(a in identity(), b in identity()) {
            let (q, c) = (Prepared::new(&a), Prepared::new(&b));
            if compare(&q, &c, &MatchConfig::default()).is_some() {
                let ik = index_keys(&c);
                prop_assert!(query_keys(&q).iter().any(|k| ik.contains(k)));
            }
        }

        #[test]
        fn compare_never_panics_and_scores_in_range(a in identity(), s in any::<String>(), t in any::<String>()) {
            let mut b = a.clone();
            b.names.push(PersonName::new(s, t));
            let (q, c) = (Prepared::new(&b), Prepared::new(&a));
            for m in [compare(&q, &c, &MatchConfig::default()), compare(&c, &q, &MatchConfig::default())].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&m.score));
                prop_assert!(!m.reasons.is_empty());
            }
        }
    }
}
