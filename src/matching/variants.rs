//! The other spellings a token is known by ([`super::Alt`]), attached when an identity is
//! prepared: romanisations of a word written in Greek or Cyrillic, the canonical spelling of an
//! Arabic or South Asian name, the anglicised forms of an Irish, Scottish Gaelic or Welsh family
//! name, and the letters a scanner misreads. Their codes join the token's in the candidate keys
//! (see [`super::keys`]), and the scorer reads them (see [`super::score`]).

use super::script::{self, Romanised};
use super::{AltWhy, Tok, Written};

/// Letter groups a scanner reads as one letter, undone for the index: `rn` read for `m`, `cl`
/// for `d`, `vv` for `w` (the three that change a name's sound and so its phonetic code).
const SCANNED: &[(&str, &str)] = &[("rn", "m"), ("cl", "d"), ("vv", "w")];

/// At most this many romanisations of one script word are kept as spellings.
const MAX_SCRIPT_ALTS: usize = script::MAX_FORMS;

/// Attaches the other spellings to a name part's tokens. `romanised`: the part's words that were
/// written in Greek or Cyrillic, with their romanisations; `family`: the tokens are family-name
/// forms (joined form first), whose Gaelic and Welsh forms are looked up from `folded_family`
/// (the family name folded with its spaces, as the table's rules need them).
pub(super) fn attach(
    toks: &mut [Tok],
    romanised: &[(String, Romanised)],
    family: bool,
    folded_family: &str,
) {
    for t in toks.iter_mut() {
        if let Some((word, r)) = romanised.iter().find(|(_, r)| r.standard == t.text()) {
            t.4 = Some(Written {
                script: r.script.label().to_string(),
                word: word.clone(),
                one_to_one: r.one_to_one,
            });
            for f in r.forms.iter().take(MAX_SCRIPT_ALTS) {
                t.add_alt(f.clone(), AltWhy::Script);
            }
        }
        romanisations(t);
        for (from, to) in SCANNED {
            if t.text().contains(from) {
                let read = t.text().replace(from, to);
                t.add_alt(read, AltWhy::Scanned);
            }
        }
    }
    if !family {
        // A compound given name written in two or three words (Abdur Rahman, Abd al-Rahman):
        // its canonical spelling goes with the first word.
        for k in [3usize, 2] {
            let Some(words) = toks.get(..k) else { continue };
            let joined: String = words.iter().map(Tok::text).collect();
            let keys: Vec<String> = script::romanisation_groups(&joined)
                .iter()
                .filter_map(script::group_key)
                .collect();
            if let Some(first) = toks.first_mut() {
                for key in keys {
                    first.add_alt(key, AltWhy::Romanised);
                }
            }
        }
        return;
    }
    if let Some(joined) = toks.first_mut() {
        for g in script::gaelic_name(folded_family) {
            let (language, gaelic) = (g.language.to_string(), g.gaelic.to_string());
            joined.add_alt(
                g.form_key.clone(),
                AltWhy::GaelicForm {
                    language: language.clone(),
                    gaelic: gaelic.clone(),
                },
            );
            for a in g.anglicised {
                joined.add_alt(
                    a,
                    AltWhy::Anglicised {
                        language: language.clone(),
                        gaelic: gaelic.clone(),
                    },
                );
            }
        }
    }
}

/// The canonical spellings of the romanisation groups a token is in.
fn romanisations(t: &mut Tok) {
    let keys: Vec<String> = script::romanisation_groups(t.text())
        .iter()
        .filter_map(script::group_key)
        .collect();
    for key in keys {
        t.add_alt(key, AltWhy::Romanised);
    }
}
