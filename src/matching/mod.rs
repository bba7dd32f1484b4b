//! Identity matching (placeholder until the fuzzy matcher lands): exact after folding.

use serde::{Deserialize, Serialize};

pub use crate::domain::identity::{Date, Identifier, IdentifierScheme, PersonName};

pub const INDEX_FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub names: Vec<PersonName>,
    pub date_of_birth: Option<Date>,
    pub identifiers: Vec<Identifier>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    names: Vec<(Vec<String>, String)>,
    dob: Option<Date>,
    ids: Vec<String>,
}

fn fold(s: &str) -> String {
    deunicode::deunicode(s)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Prepared {
    pub fn new(identity: &Identity) -> Prepared {
        Prepared {
            names: identity
                .names
                .iter()
                .map(|n| {
                    (
                        fold(&n.given_names).split(' ').filter(|s| !s.is_empty()).map(String::from).collect(),
                        fold(&n.family_name).replace(' ', ""),
                    )
                })
                .collect(),
            dob: identity.date_of_birth,
            ids: identity
                .identifiers
                .iter()
                .filter(|i| i.scheme.is_national())
                .map(|i| format!("id|{}|{}", i.scheme.tag(), i.normalised_value()))
                .collect(),
        }
    }
}

pub fn index_keys(p: &Prepared) -> Vec<String> {
    let mut k: Vec<String> = p.names.iter().map(|(_, f)| format!("f|{f}")).collect();
    k.extend(p.ids.iter().cloned());
    k.sort();
    k.dedup();
    k
}

pub fn query_keys(p: &Prepared) -> Vec<String> {
    index_keys(p)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    Strong,
    Possible,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub strength: Strength,
    pub score: f64,
    pub reasons: Vec<String>,
    pub matched_name: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchConfig {
    pub strong_threshold: f64,
    pub possible_threshold: f64,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self {
            strong_threshold: 0.9,
            possible_threshold: 0.6,
        }
    }
}

pub fn compare(query: &Prepared, candidate: &Prepared, _config: &MatchConfig) -> Option<Comparison> {
    if let Some(id) = query.ids.iter().find(|i| candidate.ids.contains(i)) {
        return Some(Comparison {
            strength: Strength::Strong,
            score: 1.0,
            reasons: vec![format!("{} matches", id.split('|').nth(1).unwrap_or("identifier"))],
            matched_name: 0,
        });
    }
    for (qg, qf) in &query.names {
        for (i, (cg, cf)) in candidate.names.iter().enumerate() {
            if qf == cf && qg.iter().all(|g| cg.contains(g)) && !qg.is_empty() {
                let dob_ok = match (query.dob, candidate.dob) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                };
                if dob_ok {
                    return Some(Comparison {
                        strength: Strength::Strong,
                        score: 1.0,
                        reasons: vec!["family name exact".into(), "date of birth exact".into()],
                        matched_name: i,
                    });
                }
            }
        }
    }
    None
}
