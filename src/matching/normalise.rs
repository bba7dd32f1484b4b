//! Folding of names to comparable ASCII tokens: case, spacing, accents, transliteration,
//! apostrophes, Mc/Mac, hyphenated and double-barrelled family names, and phonetic codes.

use std::sync::LazyLock;

use rphonetic::{DoubleMetaphone, Encoder};
use unicode_normalization::UnicodeNormalization;

use crate::core::identity::is_default_ignorable;

/// At most this many given-name tokens are kept (a fifth given name adds nothing but cost).
pub const MAX_GIVEN_TOKENS: usize = 4;
/// At most this many parts of a family name are kept.
pub const MAX_FAMILY_PARTS: usize = 4;
/// Tokens are cut to this many characters (bounds the cost of edit distances).
pub const MAX_TOKEN_LEN: usize = 32;

/// Particles that are never a family name on their own ("de la Cruz", "van der Berg", "O Neill").
const PARTICLES: &[&str] = &[
    "o", "mc", "mac", "de", "da", "di", "du", "la", "le", "van", "von", "der", "den", "del", "dos",
    "das", "st", "al", "el", "bin", "ibn", "ap", "ab", "y",
];

/// Titles typed before a name ("Mr John"); dropped from the front of the given names.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "rev", "revd", "sir", "dame", "prof",
];

/// Generational suffixes and post-nominal letters typed after a name ("Smith Jnr", "Reynolds
/// QPM", "Patel MBE JP"); dropped from the end of either field. The post-nominals are the
/// honours, decorations, police and fire service medals and offices of the UK's order of wear
/// (the Cabinet Office's honours list, and the College of Policing's for QPM/KPM), and the
/// common degrees and professional letters; two-letter ones that are also family names (Ma, Ba)
/// are left out, and `MC` (the Military Cross) is left out because `Mc` leads a name.
const SUFFIXES: &[&str] = &[
    "jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", // generations
    "vc", "gc", "kg", "kt", "ch", "gcb", "kcb", "dcb", "cb", "gcmg", "kcmg", "dcmg", "cmg", "gcvo",
    "kcvo", "dcvo", "cvo", "lvo", "mvo", "gbe", "kbe", "dbe", "cbe", "obe", "mbe", "bem", "dso",
    "dsc", "dfc", "afc", "cgm", "gm", "qgm", "kgm", "qpm", "kpm", "qfsm", "kfsm", "qam", "kam",
    "rrc", "td", "vr", "jp", "dl", "qc", "kc", "mp", "msp", "ms", "mla", "phd", "dphil", "msc",
    "bsc", "llb", "llm", "frs", "fcpa", "fca", "aca",
];

/// Particles that belong to the name they lead and are never dropped from it.
const GLUED: &[&str] = &["o", "mc", "mac", "st"];

static DOUBLE_METAPHONE: LazyLock<DoubleMetaphone> = LazyLock::new(DoubleMetaphone::default);

/// Folds one name field (given names or family name) to lower-case ASCII words separated by single
/// spaces: invisible characters dropped (zero-width spaces and joiners, soft hyphens, bidi
/// controls, fillers: [`is_default_ignorable`]), Unicode compatibility forms composed, accents
/// dropped and other scripts transliterated (deunicode), apostrophes removed so that the parts
/// they join stay together (`O'Neill` to `oneill`), every other non-alphanumeric character
/// (hyphen, dot, comma, space) a word break. Idempotent, and total on any input.
pub fn normalise_name_part(s: &str) -> String {
    let visible = |c: &char| !is_default_ignorable(*c);
    let composed: String = s.chars().filter(visible).nfkc().filter(visible).collect();
    let ascii = deunicode::deunicode_with_tofu(&composed, " ");
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch.to_ascii_lowercase());
        } else if matches!(ch, '\'' | '`' | '\u{b4}') {
            // An apostrophe joins: O'Neill, D'Arcy.
        } else {
            pending_space = true;
        }
    }
    out
}

/// The field with ü, ö, ä, ø and å (either case) spelt as the digraphs ue, oe, ae, oe and aa, as
/// German and Scandinavian names are written without them (Müller = Mueller); `None` when it has
/// none of them. [`normalise_name_part`] folds them to u, o, a, o, a, so a name has both spellings.
pub fn digraphs(s: &str) -> Option<String> {
    let composed: String = s.nfc().collect();
    let mut changed = false;
    let mut out = String::with_capacity(composed.len() + 4);
    for ch in composed.chars() {
        let rep = match ch {
            'ü' | 'Ü' => "ue",
            'ö' | 'Ö' | 'ø' | 'Ø' => "oe",
            'ä' | 'Ä' => "ae",
            'å' | 'Å' => "aa",
            _ => {
                out.push(ch);
                continue;
            }
        };
        changed = true;
        out.push_str(rep);
    }
    changed.then_some(out)
}

/// Drops titles from the front and suffixes from the end of a list of folded words, keeping at
/// least one word.
fn strip_noise(words: &mut Vec<&str>, titles: bool) {
    while titles && words.len() > 1 && words.first().is_some_and(|w| TITLES.contains(w)) {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(w)) {
        words.pop();
    }
}

/// `mac` followed by at least three letters becomes `mc` (MacDonald = McDonald); applied to every
/// token on both sides, so the only effect is to make the two spellings equal.
pub fn mac_to_mc(token: &str) -> String {
    match token.strip_prefix("mac") {
        Some(rest) if rest.len() >= 3 => format!("mc{rest}"),
        _ => token.to_string(),
    }
}

fn cut(token: &str) -> String {
    token.chars().take(MAX_TOKEN_LEN).collect()
}

/// The given-name tokens of a given-names field, folded, in order (at most [`MAX_GIVEN_TOKENS`]).
/// A title in front ("Mr", "Dr") and a suffix at the end ("Jnr") are dropped.
pub fn given_tokens(given_names: &str) -> Vec<String> {
    let folded = normalise_name_part(given_names);
    let mut words: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    strip_noise(&mut words, true);
    words
        .into_iter()
        .take(MAX_GIVEN_TOKENS)
        .map(|t| cut(&mac_to_mc(t)))
        .collect()
}

/// The forms a family name is compared and indexed under: first the whole name joined without
/// spaces, hyphens or apostrophes (`O Neill` = `O'Neill` = `oneill`, `Mac Donald` = `mcdonald`),
/// then, for a double-barrelled or hyphenated name with at least two real parts, each part alone
/// (`Forster-Hammond`: `forsterhammond`, `forster`, `hammond`), or, for a name led by particles
/// that stand apart, the name without them (`de Souza`: `desouza`, `souza`). Particles (`de`, `van`, `o`...) and
/// parts shorter than three letters are never forms on their own. A generational suffix at the
/// end ("Smith Jnr") is dropped. Empty when the field is empty.
pub fn family_forms(family_name: &str) -> Vec<String> {
    let folded = normalise_name_part(family_name);
    let mut words: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    strip_noise(&mut words, false);
    // Saint leading a name is written St as often as not (St John, Saint John, St. John).
    let last = words.len().saturating_sub(1);
    let parts: Vec<String> = words
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            if w == "saint" && i == 0 && last > 0 {
                "st"
            } else {
                w
            }
        })
        .map(mac_to_mc)
        .collect();
    if parts.is_empty() {
        return Vec::new();
    }
    let joined = cut(&mac_to_mc(&parts.concat()));
    let real: Vec<String> = parts
        .iter()
        .filter(|p| p.len() >= 3 && !PARTICLES.contains(&p.as_str()))
        .take(MAX_FAMILY_PARTS)
        .map(|p| cut(p))
        .collect();
    let mut forms = vec![joined];
    if real.len() >= 2 {
        for p in real {
            if !forms.contains(&p) {
                forms.push(p);
            }
        }
    } else {
        // A name led by particles that stand apart (de Souza, van der Merwe, ap Gruffudd): the
        // name without them. O, Mc and Mac are part of the name (O'Neill, McDonald).
        let lead = parts
            .iter()
            .take_while(|p| PARTICLES.contains(&p.as_str()) && !GLUED.contains(&p.as_str()))
            .count();
        let core = cut(&parts.get(lead..).unwrap_or_default().concat());
        if lead > 0 && core.len() >= 3 && !forms.contains(&core) {
            forms.push(core);
        }
    }
    forms
}

/// Primary Double Metaphone code (at most 4 characters) of a folded token. Where that is empty (an
/// initial, a token of digits or silent letters) the code is `_` and the token's first three
/// characters, so that every token can be keyed; empty only for an empty token.
pub fn phonetic(token: &str) -> String {
    if token.is_empty() {
        return String::new();
    }
    let code = if token.len() < 2 {
        String::new()
    } else {
        DOUBLE_METAPHONE.encode(token)
    };
    if code.is_empty() {
        format!("_{}", token.chars().take(3).collect::<String>())
    } else {
        code
    }
}

/// A folded token for display in reasons: first letter upper-case (`smyth` to `Smyth`).
pub fn display(token: &str) -> String {
    let mut chars = token.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_spacing_accents_and_apostrophes() {
        assert_eq!(normalise_name_part("  JODIE   Martyn "), "jodie martyn");
        assert_eq!(normalise_name_part("Lefèvre"), "lefevre");
        assert_eq!(normalise_name_part("Wiśniewski"), "wisniewski");
        assert_eq!(normalise_name_part("Müller"), "muller");
        assert_eq!(normalise_name_part("O'Neill"), "oneill");
        assert_eq!(normalise_name_part("O\u{2019}Neill"), "oneill");
        assert_eq!(normalise_name_part("J."), "j");
        assert_eq!(normalise_name_part("Forster-Hammond"), "forster hammond");
        assert_eq!(normalise_name_part("Ｓｍｉｔｈ"), "smith");
        assert_eq!(normalise_name_part("Дмитрий"), "dmitrii");
        assert_eq!(normalise_name_part(""), "");
        assert_eq!(normalise_name_part("-- '' .."), "");
    }

    #[test]
    fn invisible_characters_inside_a_name_neither_split_it_nor_add_letters() {
        // A zero-width space (pasted from a web page) split John into `jo hn`; a tag character
        // likewise; Khmer's invisible inherent vowels were spelt `a`.
        assert_eq!(normalise_name_part("Jo\u{200b}hn"), "john");
        assert_eq!(normalise_name_part("Sm\u{e0041}ith\u{feff}"), "smith");
        assert_eq!(normalise_name_part("O\u{17b4}'Neill\u{180e}"), "oneill");
        assert_eq!(
            given_tokens("Jo\u{200b}hn\u{ad} Keith"),
            vec!["john", "keith"]
        );
        assert_eq!(normalise_name_part("\u{3164}"), "");
    }

    #[test]
    fn family_forms_cover_apostrophes_mc_and_hyphens() {
        assert_eq!(family_forms("O'Neill"), vec!["oneill"]);
        assert_eq!(family_forms("O Neill"), vec!["oneill"]);
        assert_eq!(family_forms("ONeill"), vec!["oneill"]);
        assert_eq!(family_forms("McDonald"), vec!["mcdonald"]);
        assert_eq!(family_forms("MacDonald"), vec!["mcdonald"]);
        assert_eq!(family_forms("Mc Donald"), vec!["mcdonald"]);
        assert_eq!(family_forms("Mac Donald"), vec!["mcdonald"]);
        assert_eq!(family_forms("Mack"), vec!["mack"]);
        for saint in ["St John", "St. John", "Saint John", "Saint-John", "StJohn"] {
            assert_eq!(family_forms(saint), vec!["stjohn"], "{saint}");
        }
        assert_eq!(family_forms("Saint"), vec!["saint"]);
        assert_eq!(
            family_forms("Forster-Hammond"),
            vec!["forsterhammond", "forster", "hammond"]
        );
        assert_eq!(
            family_forms("Bonham Carter"),
            vec!["bonhamcarter", "bonham", "carter"]
        );
        assert_eq!(family_forms("van der Berg"), vec!["vanderberg", "berg"]);
        assert_eq!(family_forms("de Souza"), vec!["desouza", "souza"]);
        assert_eq!(family_forms("St John"), vec!["stjohn"]);
        assert_eq!(family_forms("Ó Briain"), vec!["obriain"]);
        assert!(family_forms(" - ").is_empty());
    }

    #[test]
    fn titles_suffixes_and_digraphs() {
        assert_eq!(given_tokens("Mr. John"), vec!["john"]);
        assert_eq!(given_tokens("Dr John Keith Jnr"), vec!["john", "keith"]);
        assert_eq!(given_tokens("Miss"), vec!["miss"]);
        assert_eq!(family_forms("Smith, Jr."), vec!["smith"]);
        assert_eq!(family_forms("Jr"), vec!["jr"]);
        // Post-nominal letters turned an exact name into a REFER (issue 12).
        for listed in [
            "Reynolds QPM",
            "Reynolds, QPM",
            "Reynolds BEM",
            "Reynolds MBE JP",
            "Reynolds OBE QPM DL",
        ] {
            assert_eq!(family_forms(listed), family_forms("Reynolds"), "{listed}");
        }
        assert_eq!(family_forms("QPM"), vec!["qpm"], "a lone word is the name");
        assert_eq!(family_forms("Ma"), vec!["ma"]);
        assert_eq!(digraphs("Müller").as_deref(), Some("Mueller"));
        assert_eq!(digraphs("Ødegård").as_deref(), Some("oedegaard"));
        assert_eq!(digraphs("Smith"), None);
    }

    #[test]
    fn given_tokens_split_and_cap() {
        assert_eq!(given_tokens("John  Keith"), vec!["john", "keith"]);
        assert_eq!(given_tokens("Mary-Jane"), vec!["mary", "jane"]);
        assert_eq!(given_tokens("J. K."), vec!["j", "k"]);
        assert_eq!(given_tokens("a b c d e f").len(), MAX_GIVEN_TOKENS);
    }

    #[test]
    fn phonetic_codes() {
        assert_eq!(phonetic("smith"), phonetic("smyth"));
        assert_eq!(phonetic("j"), "_j");
        assert_eq!(phonetic(""), "");
        assert!(phonetic("robert").len() <= 4);
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent_and_total(s in any::<String>()) {
            let once = normalise_name_part(&s);
            prop_assert_eq!(normalise_name_part(&once), once.clone());
            prop_assert!(once.bytes().all(|b| b == b' ' || b.is_ascii_lowercase() || b.is_ascii_digit()));
            let _ = family_forms(&s);
            let _ = given_tokens(&s);
        }

        #[test]
        fn normalisation_is_idempotent_on_name_like_text(s in "[ -~À-ſЀ-ӿ’´`ー-ヿ]{0,40}") {
            let once = normalise_name_part(&s);
            prop_assert_eq!(normalise_name_part(&once), once.clone());
            for f in family_forms(&s) { prop_assert!(!f.is_empty() && f.len() <= MAX_TOKEN_LEN); }
        }
    }
}

#[cfg(test)]
mod fuzz {
    //! Names from outside, of any Unicode: every plane, combining marks, right-to-left
    //! scripts, zero-width and other invisible characters, very long runs, unusual spaces.

    use proptest::prelude::*;

    use super::*;
    use crate::fuzz;

    fn is_word(w: &str) -> bool {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }

    /// A name of a few plain words.
    fn plain_name() -> impl Strategy<Value = String> {
        "[A-Z][a-z]{2,9}( [A-Z][a-z]{2,9}){0,2}"
    }

    /// `name` with invisible characters slipped in at any places.
    fn with_invisible(name: &str, slips: &[(char, prop::sample::Index)]) -> String {
        let mut chars: Vec<char> = name.chars().collect();
        for (c, at) in slips {
            chars.insert(at.index(chars.len() + 1), *c);
        }
        chars.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn folding_any_text_is_idempotent_and_gives_single_spaced_ascii_words(s in fuzz::text()) {
            let once = normalise_name_part(&s);
            prop_assert_eq!(normalise_name_part(&once), once.clone());
            prop_assert!(once.is_empty() || once.split(' ').all(is_word), "{:?}", once);
            prop_assert_eq!(normalise_name_part(&s), once, "deterministic");
        }

        #[test]
        fn tokens_forms_and_codes_of_any_text_are_bounded_ascii(s in fuzz::text()) {
            let given = given_tokens(&s);
            prop_assert!(given.len() <= MAX_GIVEN_TOKENS);
            let forms = family_forms(&s);
            prop_assert!(forms.len() <= MAX_FAMILY_PARTS + 1);
            for t in given.iter().chain(&forms) {
                prop_assert!(is_word(t) && t.chars().count() <= MAX_TOKEN_LEN, "{:?}", t);
                let code = phonetic(t);
                prop_assert!(!code.is_empty() && code.len() <= 4 && code.is_ascii(), "{:?}: {:?}", t, code);
            }
            if let Some(d) = digraphs(&s) {
                prop_assert!(family_forms(&d).len() <= MAX_FAMILY_PARTS + 1);
            }
        }

        #[test]
        fn invisible_characters_in_a_name_change_nothing(
            name in plain_name(),
            slips in prop::collection::vec((prop::sample::select(fuzz::INVISIBLE), any::<prop::sample::Index>()), 1..4),
        ) {
            let written = with_invisible(&name, &slips);
            prop_assert_eq!(normalise_name_part(&written), normalise_name_part(&name), "{:?}", written);
            prop_assert_eq!(given_tokens(&written), given_tokens(&name));
            prop_assert_eq!(family_forms(&written), family_forms(&name));
        }
    }

    /// A family name that validation accepts has something to match on, unless it is written
    /// in letters the transliteration does not know (CJK Extensions B to H, cuneiform, Tangut;
    /// alif and ayin fold to an apostrophe): those are issue 12's to match. Names made only of
    /// invisible characters (U+3164 HANGUL FILLER, ...) were accepted and folded to nothing; they
    /// are refused.
    #[test]
    fn a_family_name_validation_accepts_has_a_form_to_match_on() {
        use crate::core::identity::PersonName;
        use crate::core::validate::person_name;
        fuzz::check(file!(), 2000, fuzz::text(), |family| {
            let name = PersonName::new("", family.clone());
            let known = family.chars().filter(|c| c.is_alphabetic()).all(|c| {
                c.is_ascii()
                    || !deunicode::deunicode_char(c).unwrap_or("").trim().is_empty()
                        && deunicode::deunicode_char(c)
                            .is_some_and(|t| t.chars().any(|x| x.is_ascii_alphabetic()))
            });
            if known && person_name("name", Some(&name)).is_ok() {
                prop_assert!(!family_forms(&family).is_empty(), "{:?}", family);
            }
            Ok(())
        });
    }
}
