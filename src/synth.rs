//! Placeholder synthetic registry generator (replaced by the real one).
use crate::domain::identity::{Date, Identifier, PersonName};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntheticList { Barred, Advisory, Investigation, Clear }
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntheticRole { PoliceOfficer, SpecialConstable, PoliceStaff, ProbationOfficer, PrisonOfficer }
#[derive(Clone, Debug)]
pub struct SyntheticPerson {
    pub name: PersonName, pub other_names: Vec<PersonName>, pub date_of_birth: Date, pub identifiers: Vec<Identifier>,
    pub list: SyntheticList, pub organisation: String, pub role: SyntheticRole, pub rank: String,
    pub decision_date: Date, pub standards_breached: Vec<String>, pub reason: String, pub published: bool, pub reference: String,
}
pub fn demo_people(n: usize) -> Vec<SyntheticPerson> {
    (0..n).map(|i| SyntheticPerson {
        name: PersonName::new("John", format!("Smith{}", "x".repeat(i % 3))),
        other_names: vec![], date_of_birth: Date::new(1980, 1, 1 + (i % 28) as u8), identifiers: vec![],
        list: [SyntheticList::Barred, SyntheticList::Advisory, SyntheticList::Investigation, SyntheticList::Clear][i % 4],
        organisation: "Kent Police".into(), role: SyntheticRole::PoliceOfficer, rank: "Constable".into(),
        decision_date: Date::new(2022, 3, 4), standards_breached: vec![], reason: "x".into(), published: false, reference: "R1".into(),
    }).collect()
}
