//! The demo registry's data file (`data/demo-people.jsonl`) is what the synthetic generator
//! makes: the binary reads the file, so that it carries none of the generator's tables.
//! `VETTING_WRITE_DEMO_DATA=1 cargo test --test it demo_data` writes it again after a change to
//! the generator.

use vetting::core::model::EmploymentRole;
use vetting::demo::{DEMO_DATA, DEMO_PEOPLE, DemoList, DemoPerson, demo_people};
use vetting_synth::{SyntheticList, SyntheticPerson, SyntheticRole};

fn demo_person(p: SyntheticPerson) -> DemoPerson {
    DemoPerson {
        name: p.name,
        other_names: p.other_names,
        date_of_birth: p.date_of_birth,
        identifiers: p.identifiers,
        list: match p.list {
            SyntheticList::Barred => DemoList::Barred,
            SyntheticList::Advisory => DemoList::Advisory,
            SyntheticList::Investigation => DemoList::Investigation,
            SyntheticList::Clear => DemoList::Clear,
        },
        organisation: p.organisation,
        role: match p.role {
            SyntheticRole::PoliceOfficer => EmploymentRole::PoliceOfficer,
            SyntheticRole::SpecialConstable => EmploymentRole::SpecialConstable,
            SyntheticRole::PoliceStaff => EmploymentRole::PoliceStaff,
            SyntheticRole::ProbationOfficer => EmploymentRole::ProbationOfficer,
            SyntheticRole::PrisonOfficer => EmploymentRole::PrisonOfficer,
        },
        rank: p.rank,
        decision_date: p.decision_date,
        standards_breached: p.standards_breached,
        reason: p.reason,
        published: p.published,
        reference: p.reference,
    }
}

#[test]
fn the_demo_data_file_is_what_the_generator_makes() {
    let made: Vec<DemoPerson> = vetting_synth::demo_people(DEMO_PEOPLE)
        .into_iter()
        .map(demo_person)
        .collect();
    let text: String = made
        .iter()
        .map(|p| serde_json::to_string(p).unwrap() + "\n")
        .collect();
    if std::env::var_os("VETTING_WRITE_DEMO_DATA").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo-people.jsonl");
        std::fs::write(path, &text).unwrap();
        return;
    }
    assert_eq!(demo_people().unwrap(), made);
    assert_eq!(
        DEMO_DATA, text,
        "run with VETTING_WRITE_DEMO_DATA=1 to write it again"
    );
}
