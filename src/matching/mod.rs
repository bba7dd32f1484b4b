//! Identity matching: normalised, precomputed identities ([`Prepared`]), the blocking keys of the
//! candidate index ([`index_keys`], [`query_keys`]), and the scored, explained comparison of a
//! check against one listed person ([`compare`]).
//!
//! # How a check is answered
//! 1. The check's identity is [`Prepared`] once; every listed person's `Prepared` is stored.
//! 2. [`query_keys`] gives a few dozen exact keys; the store looks each up in the index written
//!    from [`index_keys`] and fetches the candidates (a bounded number, whatever the registry size).
//! 3. [`compare`] scores each candidate and says why; `None` means "not this person".
//!
//! The key scheme is documented in [`keys`]; the scoring rules and weights in [`score`]; date of
//! birth rules in [`dob`]; name folding in [`normalise`]; nicknames in [`nicknames`].
//!
//! Recall contract (property-tested): whenever `compare(q, c)` is `Some`, `query_keys(q)` and
//! `index_keys(c)` share a key. [`compare`] enforces it by checking the same key facets itself,
//! so the index can never hide a match the comparison would make.

pub mod dob;
pub mod keys;
pub mod nicknames;
pub mod normalise;
pub mod score;
pub mod script;
mod variants;

use serde::{Deserialize, Serialize};

pub use crate::core::identity::{Date, Identifier, IdentifierScheme, PersonName};
pub use keys::{INDEX_FORMAT_VERSION, index_keys, is_identifier_key, query_keys};
pub use normalise::normalise_name_part;
pub use score::{MatchConfig, compare};

/// What is known of one person on either side of a check. `names[0]` is the main name; the rest
/// are other names (previous names, aliases).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
}

/// How sure a match is: `Strong` decides the outcome on its own; `Possible` is referred to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    Strong,
    Possible,
}

/// The result of comparing a check with one listed person.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub strength: Strength,
    /// 0..=1; see [`score`] for how it is built.
    pub score: f64,
    /// Every piece of evidence, in words a vetting officer understands. Personal data: never log.
    pub reasons: Vec<String>,
    /// Index into the candidate's names of the name that matched (0 when only an identifier did).
    pub matched_name: usize,
}

/// A folded token with its phonetic code and, when the name as written had a letter with more
/// than one ASCII spelling (ü, ö, ä, ø, å), the token with that letter spelt as a digraph
/// (`Müller`: `muller`, alternative `mueller`); its other spellings ([`Alt`]); and, for a word
/// written in Greek or Cyrillic, where it came from ([`Written`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Tok(String, String, Option<String>, Vec<Alt>, Option<Written>);

/// Another spelling a token is known by, with its phonetic code (which the index files it under
/// too) and why it is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Alt {
    text: String,
    code: String,
    why: AltWhy,
}

/// Why a spelling is another form of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum AltWhy {
    /// Another system's (or a common habit's) romanisation of the word as written in Greek or
    /// Cyrillic (see [`script::romanise`]).
    Script,
    /// The canonical spelling of the Arabic or South Asian name the token is a romanisation of
    /// (`data/romanisations.csv`): two tokens with the same canonical spelling are one name.
    Romanised,
    /// The token with the letter groups a scanner misreads replaced (rn as m, cl as d, vv as w),
    /// so the index finds the name as it was meant: for candidate keys only.
    Scanned,
    /// An anglicised form of the Irish, Scottish Gaelic or Welsh family name the token is
    /// (`data/family-name-forms.csv`), with the language and that name as the table writes it.
    Anglicised { language: String, gaelic: String },
    /// The standard masculine form of the Gaelic or Welsh family name the token is a female,
    /// married or lenited form of (Ní Shúilleabháin: Ó Súilleabháin).
    GaelicForm { language: String, gaelic: String },
}

/// A token that was written in another script: which, the word as written, and whether every
/// romanisation system agrees on its Latin spelling (only then can a match through it decide).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Written {
    script: String,
    word: String,
    one_to_one: bool,
}

impl Tok {
    fn new(text: String) -> Tok {
        let code = normalise::phonetic(&text);
        Tok(text, code, None, Vec::new(), None)
    }
    fn with_alt(text: String, alt: Option<String>) -> Tok {
        let code = normalise::phonetic(&text);
        let alt = alt.filter(|a| *a != text);
        Tok(text, code, alt, Vec::new(), None)
    }
    fn text(&self) -> &str {
        &self.0
    }
    fn code(&self) -> &str {
        &self.1
    }
    /// Other spellings of the token.
    fn alts(&self) -> &[Alt] {
        &self.3
    }
    /// Where a token written in another script came from.
    fn written(&self) -> Option<&Written> {
        self.4.as_ref()
    }
    /// Adds another spelling, unless it is the token itself or already known.
    fn add_alt(&mut self, text: String, why: AltWhy) {
        if text.is_empty() || text == self.0 || self.3.iter().any(|a| a.text == text) {
            return;
        }
        let code = normalise::phonetic(&text);
        self.3.push(Alt { text, code, why });
    }
    /// The same token, or the same once one side's ü, ö, ä, ø or å is spelt as a digraph.
    fn same(&self, other: &Tok) -> bool {
        self.0 == other.0 || self.transliterated(other)
    }
    /// Equal only through digraph spellings (Mueller or Muller for Müller; Odegaard, Oedegard or
    /// Odegard for Ødegård, each letter either way), not as folded.
    fn transliterated(&self, other: &Tok) -> bool {
        let spelt = |t: &Tok, written: &str| {
            t.2.as_deref()
                .is_some_and(|alt| between(&t.0, written, alt))
        };
        self.0 != other.0
            && (spelt(self, &other.0)
                || spelt(other, &self.0)
                || (self.2.is_some() && self.2 == other.2))
    }
    /// How this token and `other` agree through a known other spelling: one's spelling is the
    /// other token, or (romanisations) both have the same canonical spelling. Scanned spellings
    /// are left to the scorer's own rule.
    fn alt_match<'a>(&'a self, other: &'a Tok) -> Option<&'a AltWhy> {
        let one_way = |a: &Tok, b: &Tok| -> Option<usize> {
            a.3.iter()
                .position(|x| x.text == b.0 && x.why != AltWhy::Scanned)
        };
        if let Some(i) = one_way(self, other) {
            return self.3.get(i).map(|a| &a.why);
        }
        if let Some(i) = one_way(other, self) {
            return other.3.get(i).map(|a| &a.why);
        }
        self.3
            .iter()
            .find(|a| {
                matches!(a.why, AltWhy::Romanised | AltWhy::GaelicForm { .. })
                    && other.3.iter().any(|b| b.why == a.why && b.text == a.text)
            })
            .map(|a| &a.why)
    }
    /// True when a match between this token and `other` rests on a romanisation of a word written
    /// in another script that the systems do not agree on: such a match is referred, never
    /// decided. Two tokens both written in the script compare as written.
    fn script_uncertain(&self, other: &Tok) -> bool {
        match (self.written(), other.written()) {
            (Some(w), None) | (None, Some(w)) => !w.one_to_one,
            _ => false,
        }
    }
}

/// True when `a` is a subsequence of `b`.
fn subsequence(a: &str, b: &str) -> bool {
    let mut rest = b.chars();
    a.chars().all(|x| rest.any(|y| y == x))
}

/// True when `written` lies between the folded form and its all-digraph alternative: some of the
/// letters spelt as digraphs, the others folded (the alternative only inserts letters).
fn between(folded: &str, written: &str, alt: &str) -> bool {
    (folded.len()..=alt.len()).contains(&written.len())
        && subsequence(folded, written)
        && subsequence(written, alt)
}

/// Tokens with their digraph alternatives, when the alternative folding gives as many tokens.
fn toks(plain: Vec<String>, alt: Option<Vec<String>>) -> Vec<Tok> {
    match alt {
        Some(alt) if alt.len() == plain.len() => plain
            .into_iter()
            .zip(alt)
            .map(|(t, a)| Tok::with_alt(t, Some(a)))
            .collect(),
        _ => plain.into_iter().map(Tok::new).collect(),
    }
}

/// One name, folded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PName {
    /// Given-name tokens in order.
    given: Vec<Tok>,
    /// Family-name forms: the joined form first, then the parts of a double-barrelled name.
    family: Vec<Tok>,
    /// Phonetic codes of the full names the first given name is a short form of, and of the
    /// names it is another language's form or another spelling of.
    nick: Vec<String>,
    /// The given names as written (whitespace collapsed), for reasons.
    shown_given: String,
    /// The family name as written (whitespace collapsed), for reasons.
    shown_family: String,
}

/// An identifier, folded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PId {
    scheme: IdentifierScheme,
    /// Folded issuer; empty for national schemes.
    issuer: String,
    value: String,
}

/// Normalised, precomputed form of an [`Identity`], cheap to compare. Serde-serialisable (the
/// service stores it per listed subject); typically 50 to 120 bytes in postcard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    names: Vec<PName>,
    dob: Option<Date>,
    ids: Vec<PId>,
}

/// At most this many names per identity are used (main name first).
pub const MAX_NAMES: usize = 8;
/// At most this many identifiers per identity are used.
pub const MAX_IDENTIFIERS: usize = 8;

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PName {
    fn shown(&self) -> String {
        collapse(&format!("{} {}", self.shown_given, self.shown_family))
    }
}

impl Prepared {
    /// Folds and precomputes an identity. Names with neither a given nor a family name, repeated
    /// names and identifiers with an empty value are dropped.
    pub fn new(identity: &Identity) -> Prepared {
        let mut names: Vec<PName> = Vec::new();
        for n in &identity.names {
            if names.len() >= MAX_NAMES {
                break;
            }
            let (given_latin, given_script) = script::latin_field(&n.given_names);
            let (family_latin, family_script) = script::latin_field(&n.family_name);
            let mut given = toks(
                normalise::given_tokens(&given_latin),
                normalise::digraphs(&given_latin).map(|s| normalise::given_tokens(&s)),
            );
            let mut family = toks(
                normalise::family_forms(&family_latin),
                normalise::digraphs(&family_latin).map(|s| normalise::family_forms(&s)),
            );
            variants::attach(&mut given, &given_script, false, "");
            variants::attach(
                &mut family,
                &family_script,
                true,
                &normalise_name_part(&family_latin),
            );
            if given.is_empty() && family.is_empty() {
                continue;
            }
            if names.iter().any(|p| p.given == given && p.family == family) {
                continue;
            }
            let nick = given
                .first()
                .map(|g| {
                    let mut codes: Vec<String> = nicknames::formal_codes(g.text())
                        .iter()
                        .chain(nicknames::equivalent_codes(g.text()))
                        .cloned()
                        .collect();
                    codes.sort();
                    codes.dedup();
                    codes
                })
                .unwrap_or_default();
            names.push(PName {
                given,
                family,
                nick,
                shown_given: collapse(&n.given_names),
                shown_family: collapse(&n.family_name),
            });
        }
        let mut ids: Vec<PId> = Vec::new();
        for i in &identity.identifiers {
            let value = i.normalised_value();
            if value.is_empty() || ids.len() >= MAX_IDENTIFIERS {
                continue;
            }
            let id = PId {
                scheme: i.scheme,
                issuer: i.normalised_issuer(),
                value,
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Prepared {
            names,
            dob: identity.date_of_birth,
            ids,
        }
    }

    /// The date of birth as given.
    pub fn date_of_birth(&self) -> Option<Date> {
        self.dob
    }

    /// Number of usable names kept.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_drops_empty_and_repeated_names_and_ids() {
        let p = Prepared::new(&Identity {
            names: vec![
                PersonName::new("Robert", "Smith"),
                PersonName::new(" ", "-"),
                PersonName::new("ROBERT", "smith"),
            ],
            date_of_birth: Some(Date::new(1985, 3, 12)),
            identifiers: vec![Identifier {
                scheme: IdentifierScheme::NationalInsuranceNumber,
                value: " - ".into(),
                issuer: String::new(),
            }],
        });
        assert_eq!(p.name_count(), 1);
        assert!(p.ids.is_empty());
        assert_eq!(p.date_of_birth(), Some(Date::new(1985, 3, 12)));
    }
}
