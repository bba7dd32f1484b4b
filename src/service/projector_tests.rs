//! The alert projector, one kind of registry change at a time: each change that alters the
//! outcome an enrolled person gets raises exactly one alert with the previous and the new
//! outcome; a change that alters nothing raises none; reading the log again raises nothing
//! twice.

use std::sync::Arc;

use crate::auth::{KeyFile, Keys};
use crate::core::clock::Clock;
use crate::core::disclosure::Scopes;
use crate::core::identity::{Date, Identifier, IdentifierScheme, PersonName};
use crate::core::model::{
    DepartureKind, EmploymentRole, InvestigationOutcome, ListKind, ListingGrounds, Outcome,
    RemovalReason,
};
use crate::core::principal::{Principal, Role};
use crate::service::Vetting;
use crate::service::monitoring::EnrolInput;
use crate::service::registry::{AllegationInput, InvestigationInput, ListingInput, SubjectInput};
use crate::store::{Store, StoreOptions};

/// 2025-11-22T12:00:00Z.
const NOW_MS: i64 = 1_763_812_800_000;

fn who(role: Role, org: &str) -> Principal {
    Principal {
        key_id: format!("key_{}", org.len()),
        organisation: org.into(),
        role,
        sees: crate::core::disclosure::Scopes::ALL,
        client_certificate: None,
    }
}

/// A checker key of `org` seeing `sees`, made in `file` (the projector re-checks with the
/// enrolling key's scopes as the key file has them).
fn checker_key(file: &KeyFile, org: &str, sees: Scopes) -> Principal {
    let (info, _) = file
        .create_with(Role::Checker, org, Some(sees), &Clock::fixed(NOW_MS))
        .unwrap();
    Principal {
        key_id: info.key_id,
        organisation: org.into(),
        role: Role::Checker,
        sees,
        client_certificate: None,
    }
}

struct World {
    dir: tempfile::TempDir,
    v: Vetting,
    registrar: Principal,
    employer: Principal,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions {
            cache_bytes: 16 * 1024 * 1024,
            ..StoreOptions::default()
        };
        let store = Store::open(&dir.path().join("store"), opts).unwrap();
        let file = KeyFile::in_dir(dir.path());
        let employer = checker_key(&file, "Kent Police", Scopes::ALL);
        let mut v = Vetting::new(store, Clock::fixed(NOW_MS));
        v.keys = Some(Arc::new(Keys::new(file)));
        Self {
            dir,
            v,
            registrar: who(Role::Registrar, "College of Policing"),
            employer,
        }
    }

    fn key_file(&self) -> KeyFile {
        KeyFile::in_dir(self.dir.path())
    }

    fn enrol(&self, given: &str, family: &str, dob: Date) -> String {
        let e = EnrolInput {
            name: Some(PersonName::new(given, family)),
            date_of_birth: Some(dob),
            employee_ref: format!("E-{family}"),
            ..EnrolInput::default()
        };
        self.v.enrol(&self.employer, &e, "").unwrap().enrolment_id
    }

    fn subject(&self, given: &str, family: &str, dob: Date) -> String {
        let input = SubjectInput {
            name: Some(PersonName::new(given, family)),
            date_of_birth: Some(dob),
            ..SubjectInput::default()
        };
        self.v
            .create_subject(&self.registrar, &input, "")
            .unwrap()
            .subject_id
    }

    fn bar(&self, subject_id: &str) -> String {
        let l = ListingInput {
            list: Some(ListKind::Barred),
            organisation: "Essex Police".into(),
            role: Some(EmploymentRole::PoliceOfficer),
            rank: String::new(),
            decision_date: Some(Date::new(2024, 3, 1)),
            standards_breached: vec![],
            reason: "dishonesty".into(),
            published: false,
            grounds: Some(ListingGrounds::GrossMisconduct),
        };
        self.v
            .add_listing(&self.registrar, subject_id, &l, "")
            .unwrap()
            .listing_id
    }

    fn open(&self, subject_id: &str) -> String {
        let i = InvestigationInput {
            organisation: "Essex Police".into(),
            reference: "PSD/1".into(),
            allegation_summary: "abuse of position".into(),
            opened_on: Some(Date::new(2025, 1, 5)),
            role: Some(EmploymentRole::PoliceOfficer),
        };
        self.v
            .open_investigation(&self.registrar, subject_id, &i, "")
            .unwrap()
            .investigation_id
    }

    fn close(&self, investigation_id: &str, outcome: InvestigationOutcome, on: Date) {
        self.v
            .close_investigation(&self.registrar, investigation_id, Some(outcome), Some(on))
            .unwrap();
    }

    /// The person resigns from Essex Police on 1 February 2025.
    fn resign(&self, subject_id: &str) {
        self.v
            .record_departure(
                &self.registrar,
                subject_id,
                Some(DepartureKind::Resigned),
                Some(Date::new(2025, 2, 1)),
                "Essex Police",
            )
            .unwrap();
    }

    /// Makes what was written durable and runs the projector over all of it; the alerts
    /// raised since the last step, as `(enrolment, previous, new)`.
    fn step(&self, seen: &mut u64) -> Vec<(String, Outcome, Outcome)> {
        self.v.store.sync().unwrap();
        while self.v.project_changes().unwrap().0 > 0 {}
        let alerts = self.v.alerts(&self.employer, *seen, 1000).unwrap();
        if let Some(a) = alerts.last() {
            *seen = a.sequence;
        }
        alerts
            .into_iter()
            .map(|a| (a.enrolment_id, a.previous_outcome, a.outcome))
            .collect()
    }
}

const DOB: Date = Date::new(1984, 6, 15);

#[test]
fn a_listing_added_and_removed_each_raise_one_alert() {
    let w = World::new();
    let mut seen = 0;
    let e = w.enrol("Ann", "Lee", DOB);
    let s = w.subject("Ann", "Lee", DOB);
    assert_eq!(w.step(&mut seen), [], "a clear subject changes nothing");
    let l = w.bar(&s);
    assert_eq!(
        w.step(&mut seen),
        [(e.clone(), Outcome::Clear, Outcome::Barred)]
    );
    w.v.remove_listing(
        &w.registrar,
        &l,
        Some(RemovalReason::AppealAllowed),
        "",
        Some(Date::new(2025, 1, 1)),
    )
    .unwrap();
    assert_eq!(w.step(&mut seen), [(e, Outcome::Barred, Outcome::Clear)]);
    // Reading the whole log again (the cursor set back by hand) raises nothing twice.
    w.v.store
        .transact(|tx| {
            tx.set_projector_cursor(0)?;
            Ok::<_, crate::store::TxError<crate::service::error::Error>>(())
        })
        .unwrap();
    assert_eq!(w.step(&mut seen), []);
}

#[test]
fn an_investigation_opened_and_closed_each_raise_one_alert() {
    let w = World::new();
    let mut seen = 0;
    let e = w.enrol("Ann", "Lee", DOB);
    let s = w.subject("Ann", "Lee", DOB);
    let i = w.open(&s);
    assert_eq!(
        w.step(&mut seen),
        [(e.clone(), Outcome::Clear, Outcome::UnderInvestigation)]
    );
    w.close(
        &i,
        InvestigationOutcome::NoCaseToAnswer,
        Date::new(2025, 6, 1),
    );
    assert_eq!(
        w.step(&mut seen),
        [(e, Outcome::UnderInvestigation, Outcome::Clear)]
    );
}

#[test]
fn a_departure_under_investigation_then_a_dismissal_finding_bar() {
    let w = World::new();
    let mut seen = 0;
    let e = w.enrol("Ann", "Lee", DOB);
    let s = w.subject("Ann", "Lee", DOB);
    let i = w.open(&s);
    assert_eq!(w.step(&mut seen).len(), 1);
    // Resigning under investigation adds an advisory entry: still under investigation, so
    // the outcome is the same and nothing is raised.
    w.resign(&s);
    assert_eq!(w.step(&mut seen), []);
    w.close(
        &i,
        InvestigationOutcome::WouldHaveBeenDismissed,
        Date::new(2025, 9, 1),
    );
    assert_eq!(
        w.step(&mut seen),
        [(e, Outcome::UnderInvestigation, Outcome::Barred)]
    );
}

#[test]
fn an_allegation_after_leaving_raises_an_alert() {
    let w = World::new();
    let mut seen = 0;
    let e = w.enrol("Ann", "Lee", DOB);
    let s = w.subject("Ann", "Lee", DOB);
    let a = AllegationInput {
        organisation: "Essex Police".into(),
        role: Some(EmploymentRole::PoliceOfficer),
        left_on: Some(Date::new(2023, 1, 1)),
        reported_on: Some(Date::new(2025, 1, 1)),
        allegation_summary: "corruption".into(),
        reference: String::new(),
    };
    w.v.record_allegation(&w.registrar, &s, &a, "").unwrap();
    assert_eq!(
        w.step(&mut seen),
        [(e, Outcome::Clear, Outcome::UnderInvestigation)]
    );
}

#[test]
fn a_listed_subjects_name_date_or_identifier_changed_to_or_from_an_enrolled_person() {
    let w = World::new();
    let mut seen = 0;
    let e = w.enrol("Ann", "Lee", DOB);
    // Listed under another name: nothing.
    let s = w.subject("Beatrice", "Crane", DOB);
    w.bar(&s);
    assert_eq!(w.step(&mut seen), []);
    let update = |given: &str, family: &str, dob: Date, ids: Vec<Identifier>| {
        let current = w
            .v
            .store
            .subject(
                &crate::core::ids::Id::parse(crate::core::ids::IdKind::Subject, "subject_id", &s)
                    .unwrap(),
            )
            .unwrap()
            .unwrap();
        let input = SubjectInput {
            name: Some(PersonName::new(given, family)),
            date_of_birth: Some(dob),
            identifiers: ids,
            ..SubjectInput::default()
        };
        w.v.update_subject(&w.registrar, &s, &input, current.revision)
            .unwrap();
    };
    // The registrar corrects the listed person's name to the enrolled one's: barred.
    update("Ann", "Lee", DOB, vec![]);
    assert_eq!(
        w.step(&mut seen),
        [(e.clone(), Outcome::Clear, Outcome::Barred)]
    );
    // Then the date of birth, plainly another person's: clear again (the enrolment rested on
    // this subject, so it is found though its keys no longer meet).
    update("Ann", "Lee", Date::new(1950, 1, 1), vec![]);
    assert_eq!(
        w.step(&mut seen),
        [(e.clone(), Outcome::Barred, Outcome::Clear)]
    );
    // An enrolled person's national insurance number recorded on a listed subject of another
    // name is decisive.
    let e2 = {
        let input = EnrolInput {
            name: Some(PersonName::new("Carl", "Dunn")),
            date_of_birth: Some(Date::new(1990, 2, 2)),
            identifiers: vec![Identifier {
                scheme: IdentifierScheme::NationalInsuranceNumber,
                value: "QQ123456C".into(),
                issuer: String::new(),
            }],
            employee_ref: "E-Dunn".into(),
            ..EnrolInput::default()
        };
        w.v.enrol(&w.employer, &input, "").unwrap().enrolment_id
    };
    update(
        "Ann",
        "Lee",
        Date::new(1950, 1, 1),
        vec![Identifier {
            scheme: IdentifierScheme::NationalInsuranceNumber,
            value: "QQ 12 34 56 C".into(),
            issuer: String::new(),
        }],
    );
    assert_eq!(w.step(&mut seen), [(e2, Outcome::Clear, Outcome::Barred)]);
}

#[test]
fn each_organisation_hears_of_its_own_enrolment_once() {
    let w = World::new();
    let mut seen = 0;
    let e = w.enrol("Ann", "Lee", DOB);
    let other = checker_key(&w.key_file(), "Probation Service North", Scopes::ALL);
    let input = EnrolInput {
        name: Some(PersonName::new("Ann", "Lee")),
        date_of_birth: Some(DOB),
        employee_ref: "P-1".into(),
        ..EnrolInput::default()
    };
    let theirs = w.v.enrol(&other, &input, "").unwrap();
    let s = w.subject("Ann", "Lee", DOB);
    w.bar(&s);
    // Each organisation hears of its own enrolment, once.
    assert_eq!(w.step(&mut seen), [(e, Outcome::Clear, Outcome::Barred)]);
    let their_alerts = w.v.alerts(&other, 0, 100).unwrap();
    assert_eq!(their_alerts.len(), 1);
    assert_eq!(their_alerts[0].enrolment_id, theirs.enrolment_id);
}

#[test]
fn an_organisation_is_never_alerted_by_what_its_key_may_not_see() {
    let w = World::new();
    let mut seen = 0;
    let file = w.key_file();
    // A recruitment agency (barred list only) and a probation unit (probation investigations),
    // beside the police force, all enrolled on one police officer.
    let agency = checker_key(&file, "Agency", Scopes::BARRED_ONLY);
    let probation: Scopes = "investigations:probation".parse().unwrap();
    let unit = checker_key(&file, "Probation North", probation);
    let enrol = |p: &Principal| {
        let e = EnrolInput {
            name: Some(PersonName::new("Ann", "Lee")),
            date_of_birth: Some(DOB),
            employee_ref: "E-1".into(),
            ..EnrolInput::default()
        };
        w.v.enrol(p, &e, "").unwrap().enrolment_id
    };
    let force = enrol(&w.employer);
    let (agency_e, unit_e) = (enrol(&agency), enrol(&unit));
    let s = w.subject("Ann", "Lee", DOB);
    // A police investigation: only the force hears of it.
    let i = w.open(&s);
    assert_eq!(
        w.step(&mut seen),
        [(force.clone(), Outcome::Clear, Outcome::UnderInvestigation)]
    );
    assert!(w.v.alerts(&agency, 0, 10).unwrap().is_empty());
    assert!(w.v.alerts(&unit, 0, 10).unwrap().is_empty());
    // Resigning under it: an advisory entry, which neither the agency nor the unit may see.
    w.resign(&s);
    w.step(&mut seen);
    assert!(w.v.alerts(&agency, 0, 10).unwrap().is_empty());
    assert!(w.v.alerts(&unit, 0, 10).unwrap().is_empty());
    // Barred: everyone hears of it, each from what it saw before.
    w.close(&i, InvestigationOutcome::Dismissed, Date::new(2025, 9, 1));
    assert_eq!(
        w.step(&mut seen),
        [(force, Outcome::UnderInvestigation, Outcome::Barred)]
    );
    for (p, e) in [(&agency, agency_e), (&unit, unit_e)] {
        let a = w.v.alerts(p, 0, 10).unwrap();
        assert_eq!(a.len(), 1, "{}", p.organisation);
        assert_eq!(
            (
                a[0].enrolment_id.clone(),
                a[0].previous_outcome,
                a[0].outcome
            ),
            (e, Outcome::Clear, Outcome::Barred)
        );
    }
}

#[test]
fn a_change_passes_over_an_enrolment_born_on_a_plainly_different_day_unfetched() {
    use crate::matching::dob::{DobRelation, relate};
    let w = World::new();
    let mut seen = 0;
    let same = w.enrol("Olwen", "Pritchard", DOB);
    // The same day and month, 33 years apart: filed under the subject's day-and-month key.
    let other = w.enrol("Olwen", "Pritchard", Date::new(1951, 6, 15));
    w.step(&mut seen);
    let s = w.subject("Olwen", "Pritchard", DOB);
    w.bar(&s);
    let subject =
        w.v.store
            .subject(
                &crate::core::ids::Id::parse(crate::core::ids::IdKind::Subject, "subject_id", &s)
                    .unwrap(),
            )
            .unwrap()
            .unwrap();
    let rec = crate::store::match_record_of(&subject).unwrap();
    let keys = crate::matching::index_keys(&rec.prepared);
    let touched = |keep: &dyn Fn(&str, Option<Date>) -> bool| -> Vec<String> {
        w.v.store
            .enrolments_touched(&keys, &s, keep)
            .unwrap()
            .into_iter()
            .map(|e| e.enrolment_id)
            .collect()
    };
    // Both are filed under the subject's keys...
    let all = touched(&|_, _| true);
    assert!(all.contains(&same) && all.contains(&other), "{all:?}");
    // ...and the entries hold each one's date, so the projector's rule, a check's, passes the
    // one born in 1951 over without fetching it.
    let kept = touched(&|k, dob| {
        crate::matching::is_identifier_key(k) || relate(dob, Some(DOB)) != DobRelation::Different
    });
    assert_eq!(kept, std::slice::from_ref(&same));
    assert_eq!(
        w.step(&mut seen),
        [(same, Outcome::Clear, Outcome::Barred)],
        "one alert, for the person born that day"
    );
}
