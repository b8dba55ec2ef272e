use onus_ledger::sqlite::SqliteStore;
use onus_ledger::{export, parse_export, verify, BreakReason, Draft, Error, Store};
use proptest::prelude::*;
use serde_json::json;
use std::path::PathBuf;

fn draft(i: u64) -> Draft {
    Draft {
        at: format!("2026-11-{:02}T10:00:00Z", 1 + i % 28),
        kind: if i.is_multiple_of(2) {
            "review"
        } else {
            "attestation"
        }
        .into(),
        actor: format!("person-{}", i % 3),
        workload: Some(format!("w{}", i % 4)),
        data: json!({"control": "data.backup", "n": i, "link": format!("https://x.example/{i}")}),
    }
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("onus-ledger-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d.join("ledger.db")
}

fn filled(n: u64) -> SqliteStore {
    let mut s = SqliteStore::in_memory().unwrap();
    for i in 1..=n {
        s.append(draft(i)).unwrap();
    }
    s
}

/// Play the attacker: lift the append-only triggers, then run `sql`.
fn tamper(s: &SqliteStore, sql: &str) {
    let c = s.connection();
    c.execute_batch(
        "DROP TRIGGER IF EXISTS entries_append_only_update; DROP TRIGGER IF EXISTS entries_append_only_delete;",
    )
    .unwrap();
    c.execute_batch(sql).unwrap();
}

fn broken_at(s: &SqliteStore) -> (u64, BreakReason) {
    match verify(s, None) {
        Err(Error::Broken(b)) => (b.position, b.reason),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn appends_chain_and_survive_reopening() {
    let path = temp("reopen");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        let a = s.append(draft(1)).unwrap();
        let b = s.append(draft(2)).unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(b.prev, a.hash);
        assert_eq!(a.prev, onus_ledger::GENESIS);
    }
    let s = SqliteStore::open(&path).unwrap();
    let v = verify(&s, None).unwrap();
    assert_eq!(v.entries, 2);
    let mode: String = s
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(verify(&s, Some(&v.head)).is_ok());
    assert!(matches!(
        verify(&s, Some(&"f".repeat(64))),
        Err(Error::Broken(b)) if matches!(b.reason, BreakReason::UnexpectedHead { .. })
    ));
}

#[test]
fn the_triggers_refuse_honest_edits() {
    let s = filled(3);
    let e = s
        .connection()
        .execute("UPDATE entries SET actor = 'x' WHERE seq = 2", []);
    assert!(e.unwrap_err().to_string().contains("append-only"));
    let e = s
        .connection()
        .execute("DELETE FROM entries WHERE seq = 3", []);
    assert!(e.is_err());
    assert!(verify(&s, None).is_ok());
}

#[test]
fn deletion_insertion_and_reordering_are_named() {
    let s = filled(6);
    tamper(&s, "DELETE FROM entries WHERE seq = 3");
    assert_eq!(broken_at(&s), (3, BreakReason::SeqGap));

    let s = filled(6);
    tamper(&s, "DELETE FROM entries WHERE seq = 6");
    assert_eq!(broken_at(&s).0, 6);
    assert!(matches!(
        broken_at(&s).1,
        BreakReason::Truncated { head_seq: 6 }
    ));

    // Removing the end and the recorded head together: only an anchor kept elsewhere can tell.
    let s = filled(6);
    let head = verify(&s, None).unwrap().head;
    tamper(
        &s,
        "DELETE FROM entries WHERE seq = 6; UPDATE head SET seq = 5, hash = (SELECT hash FROM entries WHERE seq = 5);",
    );
    assert!(verify(&s, None).is_ok());
    assert!(verify(&s, Some(&head)).is_err());

    // Renumber to slip a forged entry in at 4: entry 4 no longer chains.
    let s = filled(6);
    tamper(
        &s,
        "UPDATE entries SET seq = seq + 100 WHERE seq >= 4;
         UPDATE entries SET seq = seq - 99 WHERE seq >= 104;
         INSERT INTO entries (seq, at, kind, actor, workload, data, prev, hash)
           SELECT 4, at, kind, 'mallory', workload, data, prev, hash FROM entries WHERE seq = 3;",
    );
    assert_eq!(broken_at(&s).0, 4);

    // Swap two entries' places.
    let s = filled(6);
    tamper(
        &s,
        "UPDATE entries SET seq = 100 WHERE seq = 2; UPDATE entries SET seq = 2 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = 100;",
    );
    assert_eq!(broken_at(&s).0, 2);
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let path = temp("newer");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        s.append(draft(1)).unwrap();
        s.connection()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    match SqliteStore::open(&path) {
        Err(Error::NewerSchema { found: 99, known }) => assert!(known < 99),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_file_that_is_not_a_ledger_is_an_error_not_a_panic() {
    let path = temp("garbage");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        b"this is not a database, just some text that is long enough to have a header",
    )
    .unwrap();
    let e = SqliteStore::open(&path).err().expect("refused");
    assert!(e.to_string().contains("not a database"), "{e}");
    // Truncating a real ledger mid-file.
    let path = temp("truncated");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        for i in 1..=200 {
            s.append(draft(i)).unwrap();
        }
        s.connection()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let outcome = SqliteStore::open(&path).and_then(|s| verify(&s, None));
    assert!(outcome.is_err(), "a truncated ledger verified: {outcome:?}");
}

#[test]
fn concurrent_writers_never_fork_the_chain() {
    let path = temp("concurrent");
    SqliteStore::open(&path).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = SqliteStore::open(&path).unwrap();
                for i in 0..50 {
                    s.append(draft(t * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(verify(&s, None).unwrap().entries, 200);
}

#[test]
fn export_and_import_round_trip_and_refuse_divergence() {
    let s = filled(5);
    let mut out = Vec::new();
    assert_eq!(export(&s, &mut out).unwrap(), 5);
    let text = String::from_utf8(out).unwrap();
    let entries = parse_export(&text).unwrap();
    let mut fresh = SqliteStore::in_memory().unwrap();
    fresh.append_sealed(&entries).unwrap();
    assert_eq!(verify(&fresh, None).unwrap(), verify(&s, None).unwrap());
    // Importing the same history again changes nothing; a diverged one is refused.
    fresh.append_sealed(&entries).unwrap();
    assert_eq!(verify(&fresh, None).unwrap().entries, 5);
    let mut other = SqliteStore::in_memory().unwrap();
    other.append(draft(42)).unwrap();
    let e = other.append_sealed(&entries).unwrap_err();
    assert!(e.to_string().contains("diverged"), "{e}");
    assert_eq!(verify(&other, None).unwrap().entries, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Change one byte of one field of one entry, as someone editing the database by hand would: `verify` names
    /// that entry.
    #[test]
    fn any_single_changed_byte_is_caught_at_its_entry(
        entry in 1u64..=12,
        column in 0usize..7,
        at in any::<prop::sample::Index>(),
        to in b' '..=b'~',
    ) {
        let s = filled(12);
        let cols = ["at", "kind", "actor", "workload", "data", "prev", "hash"];
        let col = cols[column];
        let old: String = s
            .connection()
            .query_row(&format!("SELECT {col} FROM entries WHERE seq = ?1"), [entry as i64], |r| r.get(0))
            .unwrap();
        let mut bytes = old.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != to);
        bytes[i] = to;
        let new = String::from_utf8(bytes).unwrap();
        s.connection()
            .execute_batch("DROP TRIGGER entries_append_only_update")
            .unwrap();
        s.connection()
            .execute(&format!("UPDATE entries SET {col} = ?1 WHERE seq = ?2"), rusqlite::params![new, entry as i64])
            .unwrap();
        match verify(&s, None) {
            Err(Error::Broken(b)) => prop_assert_eq!(b.position, entry, "{} of entry {}: {:?}", col, entry, b.reason),
            other => prop_assert!(false, "edit of {} in entry {} not caught: {:?}", col, entry, other),
        }
    }
}

#[test]
fn the_jsonl_store_chains_serializes_writers_and_reports_a_torn_line() {
    let path = temp("jsonl").with_extension("jsonl");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = onus_ledger::open(&path).unwrap();
                for i in 0..25 {
                    s.append(draft(t * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = onus_ledger::open(&path).unwrap();
    assert_eq!(verify(s.as_ref(), None).unwrap().entries, 100);
    // The file is the export format: importing it into SQLite gives the same head.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut db = SqliteStore::in_memory().unwrap();
    db.append_sealed(&parse_export(&text).unwrap()).unwrap();
    assert_eq!(
        verify(&db, None).unwrap().head,
        verify(s.as_ref(), None).unwrap().head
    );
    // Edit one character of entry 40.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[39] = lines[39].replacen("person-", "persom-", 1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let s = onus_ledger::open(&path).unwrap();
    assert!(matches!(verify(s.as_ref(), None), Err(Error::Broken(b)) if b.position == 40));
    // A write cut off half-way: reported, and nothing is built on it.
    std::fs::write(&path, format!("{}\n{}", lines[0], &lines[1][..30])).unwrap();
    let mut s = onus_ledger::open(&path).unwrap();
    assert!(matches!(
        verify(s.as_ref(), None),
        Err(Error::Broken(b)) if b.position == 2 && matches!(b.reason, BreakReason::Unreadable(_))
    ));
    assert!(s.append(draft(1)).is_err());
}
