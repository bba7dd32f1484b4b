//! `vetting import` and `vetting export` through the real binary: batches larger than one
//! transaction, re-runs that skip what is there, an import with bad lines that names each of
//! them and writes nothing (a server started afterwards sees nothing of it), one audit event
//! an import, and an import killed while writing that the next command finishes.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn vetting(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vetting"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// One subject a line, in proto3 JSON as a custodian's export would have it.
fn line(i: usize) -> String {
    format!(
        r#"{{"name": {{"givenNames": "Alan", "familyName": "Imported{i}"}}, "dateOfBirth": {{"year": 1980, "month": 1, "day": {day}}}, "listings": [{{"list": "BARRED_LIST", "organisation": "Kent Police", "role": "POLICE_OFFICER", "decisionDate": {{"year": 2024, "month": 5, "day": 1}}, "reason": "Dishonesty"}}]}}"#,
        day = 1 + i % 28
    )
}

/// What a checker finds for `name` born on `date_of_birth`.
fn find(
    v: &vetting::service::Vetting,
    name: vetting::core::identity::PersonName,
    date_of_birth: Option<vetting::core::identity::Date>,
) -> vetting::service::check::Found {
    let checker = vetting::auth::Principal {
        key_id: "test".into(),
        organisation: "Kent Police".into(),
        role: vetting::auth::Role::Checker,
        sees: vetting::core::disclosure::Scopes::ALL,
        client_certificate: None,
    };
    let input = vetting::service::check::CheckInput {
        name: Some(name),
        date_of_birth,
        purpose: Some(vetting::core::model::Purpose::Recruitment),
        ..Default::default()
    };
    v.find(&checker, &input).unwrap()
}

/// A check for the person of [`line`] `i` finds them, strongly, as barred.
fn assert_found(v: &vetting::service::Vetting, i: usize) {
    use vetting::core::identity::{Date, PersonName};
    let found = find(
        v,
        PersonName::new("Alan", format!("Imported{i}")),
        Some(Date::new(1980, 1, 1 + (i % 28) as u8)),
    );
    let family = format!("Imported{i}");
    let m = found
        .matches
        .iter()
        .find(|m| m.matched_name.family_name == family)
        .unwrap_or_else(|| panic!("imported person {i} not found"));
    assert_eq!(m.strength, vetting::matching::Strength::Strong);
    assert_eq!(m.status, vetting::core::model::Status::Barred);
}

fn export(data: &Path) -> Vec<Value> {
    let out = vetting(&["export"], data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn import_export_round_trip_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // More than one import transaction's worth.
    let n = vetting::transfer::IMPORT_BATCH + 100;
    let file = dir.path().join("in.jsonl");
    let text: Vec<String> = (0..n).map(line).collect();
    std::fs::write(&file, text.join("\n") + "\n").unwrap();

    let out = vetting(&["import", file.to_str().unwrap()], &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("imported {n} subjects (0 already present")),
        "{stderr}"
    );
    let first = export(&data);
    assert_eq!(first.len(), n);
    let families: std::collections::BTreeSet<&str> = first
        .iter()
        .map(|s| s["name"]["familyName"].as_str().unwrap())
        .collect();
    assert_eq!(families.len(), n, "every subject exported once");
    assert!(
        first
            .iter()
            .all(|s| s["listings"][0]["list"] == "BARRED_LIST" && s["subjectId"].is_string())
    );

    // The export imports into a second store as the same subjects, and a re-run skips them all.
    let exported = dir.path().join("export.jsonl");
    let lines: Vec<String> = first.iter().map(Value::to_string).collect();
    std::fs::write(&exported, lines.join("\n")).unwrap();
    let copy = dir.path().join("copy");
    for expect in [
        format!("imported {n} subjects (0 already present"),
        format!("imported 0 subjects ({n} already present"),
    ] {
        let out = vetting(&["import", exported.to_str().unwrap()], &copy);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.contains(&expect), "{stderr}");
    }
    let ids = |v: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = v.iter().map(|s| s["subjectId"].to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&export(&copy)), ids(&first));

    // The audit trail holds one event per import and stays intact.
    let out = vetting(&["verify-audit"], &copy);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `vetting import` with `input` on standard input.
fn import_stdin(data: &Path, input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vetting"))
        .args(["import", "-", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// What a server started on `data` serves: its subjects (as a registrar) and the import events
/// of the command line's operator (as an auditor).
fn served(
    data: &Path,
    log_dir: &Path,
) -> (Vec<vetting::pb::Subject>, Vec<vetting::pb::AuditEvent>) {
    use crate::harness::*;
    use vetting::auth::Role;
    let registrar = key_in(data, Role::Registrar, REGISTRAR_ORG);
    let auditor = key_in(data, Role::Auditor, AUDITOR_ORG);
    let server = ChildServer::start(data, log_dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let channel = server.channel().await;
        let subjects = all_subjects(&channel, &registrar.token).await;
        let imports = all_audit_events(&channel, &auditor.token, "local operator")
            .await
            .into_iter()
            .filter(|e| e.action.starts_with("import"))
            .collect();
        assert!(verify_audit(&channel, &auditor.token).await.intact);
        (subjects, imports)
    })
}

#[test]
fn a_bad_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("in.jsonl");
    let bad_date = line(2).replace(r#""month": 1"#, r#""month": 13"#);
    let bad_list = line(4).replace("BARRED_LIST", "NO_SUCH_LIST");
    std::fs::write(
        &file,
        [
            line(0),
            line(1),
            bad_date,
            line(3),
            bad_list,
            "{not json".into(),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    let out = vetting(&["import", file.to_str().unwrap()], &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    let named: Vec<&str> = stderr.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(named.len(), 3, "{stderr}");
    assert!(
        named[0].starts_with("line 3: date_of_birth.month: "),
        "{stderr}"
    );
    assert!(named[1].starts_with("line 5: json: "), "{stderr}");
    assert!(named[2].starts_with("line 6: json: "), "{stderr}");
    assert!(
        stderr.contains("vetting: 3 of 6 lines refused; nothing was imported"),
        "{stderr}"
    );
    assert!(export(&data).is_empty(), "line 1 is not written");

    // The same on standard input.
    let text = std::fs::read_to_string(&file).unwrap();
    let out = import_stdin(&data, &text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(stderr.contains("line 3: date_of_birth.month: "), "{stderr}");

    // A server started afterwards sees nothing of either: no subject, no import event.
    let (subjects, imports) = served(&data, dir.path());
    assert!(subjects.is_empty(), "{subjects:?}");
    assert!(imports.is_empty(), "{imports:?}");
    assert!(!data.join(vetting::transfer::SPOOL_FILE).exists());
}

#[test]
fn an_import_is_one_audit_event_by_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let n = vetting::transfer::IMPORT_BATCH * 2 + 1;
    let text: Vec<String> = (0..n).map(line).collect();
    let out = import_stdin(&data, &(text.join("\n") + "\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("imported {n} subjects (0 already present")),
        "{stderr}"
    );

    let (subjects, imports) = served(&data, dir.path());
    assert_eq!(subjects.len(), n);
    assert_eq!(imports.len(), 1, "{imports:?}");
    let e = &imports[0];
    assert_eq!(
        (e.action.as_str(), e.key_id.as_str()),
        ("import", "command-line")
    );
    assert_eq!(
        e.client_ref,
        format!("{n} lines: {n} subjects imported, 0 already present (skipped)")
    );
}

/// `kill -9` while the import writes: the store opens for nothing else until the import is
/// finished, and the next command finishes it, from its spool: every subject once, one audit
/// event, the chain intact.
#[test]
fn an_import_killed_while_writing_is_finished_by_the_next_command() {
    use std::io::BufRead;
    use vetting::store::{StoreError, StoreOptions};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("in.jsonl");
    let n = 4000;
    std::fs::write(&file, (0..n).map(line).collect::<Vec<_>>().join("\n")).unwrap();
    let mut child = crate::harness::vetting_cmd(&["import", "--data-dir"])
        .arg(&data)
        .arg(&file)
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The log line that opens the write pass comes after the mark is durable.
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for l in stderr.lines() {
        let l = l.unwrap();
        let writing = l.contains("import: writing");
        seen.push(l);
        if writing {
            break;
        }
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.contains("import: writing")),
        "{seen:?}"
    );

    let path = data.join("store");
    let interrupted = match crate::harness::reopen(&path, StoreOptions::default()) {
        Err(e @ StoreError::ImportInterrupted(_)) => {
            assert!(e.to_string().contains("vetting serve"), "{e}");
            true
        }
        // The kill came after the end (a fast machine): all of it is there.
        Ok(store) => {
            assert_eq!(store.subject_count(), n, "killed with {status}");
            false
        }
        Err(e) => panic!("{e}"),
    };
    eprintln!("killed in the write pass: {interrupted}");
    if interrupted {
        let out = vetting(&["reindex"], &data);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "a reindex must not make half an import visible"
        );
        assert!(stderr.contains("none of it is visible"), "{stderr}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_vetting"))
        .args(["export", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.contains("finishing it"), interrupted, "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), n);

    let (subjects, imports) = served(&data, dir.path());
    let families: std::collections::BTreeSet<String> = subjects
        .iter()
        .map(|s| s.name.as_ref().unwrap().family_name.clone())
        .collect();
    assert_eq!(
        (subjects.len(), families.len()),
        (n, n),
        "each subject once"
    );
    assert_eq!(imports.len(), 1, "{imports:?}");
    // Every one is indexed, those written before the kill too.
    let store = crate::harness::reopen(&path, StoreOptions::default()).unwrap();
    let v = vetting::service::Vetting::new(store, vetting::core::clock::Clock::System);
    for i in [0, 1, n / 2, n - 1] {
        assert_found(&v, i);
    }
}

/// A bulk import writes a batch's index entries after the batch's transaction. A crash between
/// the two must not leave a store that answers `CLEAR` for people whose entries are missing: the
/// transaction marks the index incomplete, and the store refuses to open until a reindex.
#[test]
fn a_bulk_write_stopped_before_its_index_entries_is_refused_until_reindex() {
    use vetting::core::clock::Clock;
    use vetting::core::ids::{Id, IdKind};
    use vetting::store::{Store, StoreError, StoreOptions};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("in.jsonl");
    std::fs::write(&file, (0..3).map(line).collect::<Vec<_>>().join("\n")).unwrap();
    let out = vetting(&["import", file.to_str().unwrap()], &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A completed import opens as usual, and every imported person is found by a check.
    let path = data.join("store");
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let v = vetting::service::Vetting::new(store.clone(), Clock::System);
    for i in 0..3 {
        assert_found(&v, i);
    }
    drop(v);
    // The transaction of a further bulk write commits; the process dies before its entries.
    let mut s = store.subjects_from(None).next().unwrap().unwrap();
    // A listed person (so with index entries to lose): the first one's identity and listing,
    // under new ids.
    for l in &mut s.listings {
        l.listing_id = Id::new(IdKind::Listing, &Clock::System).to_string();
    }
    let id = Id::new(IdKind::Subject, &Clock::System);
    s.subject_id = id.to_string();
    let rec = vetting::store::match_record_of(&s);
    assert!(rec.is_some(), "the crash-left subject must be listed");
    store
        .transact::<_, StoreError>(|tx| tx.put_new_subject_unindexed(&id, &s, rec.as_ref()))
        .unwrap();
    store.sync().unwrap();
    drop(store);

    match crate::harness::reopen(&path, StoreOptions::default()) {
        Err(e @ StoreError::IndexIncomplete(_)) => {
            assert!(e.to_string().contains("vetting reindex"), "{e}")
        }
        other => panic!("opened an incomplete index: {other:?}"),
    }
    let out = vetting(&["serve", "--listen", "127.0.0.1:0"], &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("incomplete"), "{stderr}");

    let out = vetting(&["reindex"], &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("reindexed 4 listed subjects"), "{stderr}");
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(store.subject_count(), 4);
    // The subject the crash left unindexed is found again, beside the one it copies.
    let v = vetting::service::Vetting::new(store, Clock::System);
    for i in 0..3 {
        assert_found(&v, i);
    }
    let family = s.name.family_name.clone();
    let same = |m: &&vetting::service::check::MatchView| m.matched_name.family_name == family;
    let found = find(&v, s.name.clone(), s.date_of_birth);
    assert_eq!(found.matches.iter().filter(same).count(), 2);
    assert!(found.matches.iter().any(|m| m.subject_id == s.subject_id));
}

/// A bulk import writes its index entries window by window, and the last ones when it finishes:
/// every person is found, whichever write their entries went in.
#[test]
fn a_bulk_import_indexes_every_window() {
    use vetting::core::clock::Clock;
    use vetting::store::{Store, StoreOptions};
    use vetting::transfer::{BulkImport, SubjectJson};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store"), StoreOptions::default()).unwrap();
    let v = vetting::service::Vetting::new(store, Clock::System);
    let registrar = vetting::auth::Principal {
        key_id: "test".into(),
        organisation: "College of Policing".into(),
        role: vetting::auth::Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let json = SubjectJson::new().unwrap();
    // About two people's entries to a window, three people to a batch.
    let mut import = BulkImport::with_window(&v, &registrar, 50);
    let people: Vec<usize> = (0..20).collect();
    for chunk in people.chunks(3) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&i| json.from_line(&line(i)).unwrap())
            .collect();
        assert_eq!(import.add(&batch).unwrap(), batch.len());
    }
    import.finish().unwrap();
    for i in people {
        assert_found(&v, i);
    }
}

/// The page-cache warm-up the server runs at start reads every entry a check reads (index
/// entries, match records, subjects), stops as soon as it is told to, and stops once it has read
/// three quarters of what the cache holds.
#[test]
fn the_cache_warm_up_reads_what_checks_read_within_the_cache() {
    use std::cell::Cell;
    use vetting::core::clock::Clock;
    use vetting::store::{Store, StoreOptions, match_record_of};
    use vetting::transfer::{BulkImport, SubjectJson};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let v = vetting::service::Vetting::new(store.clone(), Clock::System);
    let registrar = vetting::auth::Principal {
        key_id: "test".into(),
        organisation: "College of Policing".into(),
        role: vetting::auth::Role::Registrar,
        sees: vetting::core::disclosure::Scopes::BARRED_ONLY,
        client_certificate: None,
    };
    let json = SubjectJson::new().unwrap();
    let batch: Vec<_> = (0..12).map(|i| json.from_line(&line(i)).unwrap()).collect();
    let mut import = BulkImport::new(&v, &registrar);
    import.add(&batch).unwrap();
    import.finish().unwrap();
    drop(v);

    let index_entries: usize = store
        .subjects_from(None)
        .map(|s| match_record_of(&s.unwrap()).unwrap())
        .map(|rec| vetting::matching::index_keys(&rec.prepared).len())
        .sum();
    let all = store.warm_cache(|| false).unwrap();
    assert!(all.complete);
    // Each person's index entries, match record, subject record and the audit trail's entry
    // for their import event (one event a person: created with the listing).
    assert_eq!(all.entries, index_entries as u64 + 3 * 12);

    // Told to stop after ten entries, half-way through the index.
    let asked = Cell::new(0);
    let stopped = store
        .warm_cache(|| {
            asked.set(asked.get() + 1);
            asked.get() > 10
        })
        .unwrap();
    assert!(!stopped.complete);
    assert_eq!(stopped.entries, 10);
    drop(store);

    let cache_bytes = all.bytes / 3;
    let small = crate::harness::reopen(
        &path,
        StoreOptions {
            cache_bytes,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let part = small.warm_cache(|| false).unwrap();
    assert!(!part.complete);
    // The index is read to its end whatever the budget (its keys fill the key filter), and
    // nothing after it once the budget is passed.
    let budget = cache_bytes / 4 * 3;
    assert!(part.bytes >= budget, "{part:?}, budget {budget}");
    assert_eq!(part.entries, index_entries as u64, "{part:?}");
    assert!(small.key_filter_ready());
}
