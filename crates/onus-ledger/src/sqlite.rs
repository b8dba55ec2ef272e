//! The ledger in an embedded SQLite database (by default `.onus/ledger.db`): WAL mode, a busy timeout so that
//! concurrent writers wait for each other, and schema migrations numbered by `PRAGMA user_version`.
//!
//! Durability: each append is one transaction (`synchronous = NORMAL` in WAL mode), so an append that returned
//! survives the process being killed at any moment after; a power cut may roll back the last appends, never leave
//! half of one. Triggers refuse `UPDATE` and `DELETE` on entries, so an honest mistake cannot edit history; a
//! deliberate edit (dropping the triggers) is what [`crate::verify`] is for.

use crate::{Draft, Entry, Error, Store, GENESIS};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// The migrations, in order; migration `i` brings the schema to version `i + 1`. Never edit one that has shipped:
/// add the next.
const MIGRATIONS: &[&str] = &[
    // 1: entries and the recorded head.
    "CREATE TABLE entries (
        seq      INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        kind     TEXT NOT NULL,
        actor    TEXT NOT NULL,
        workload TEXT,
        data     TEXT NOT NULL,
        prev     TEXT NOT NULL,
        hash     TEXT NOT NULL
    );
    CREATE INDEX entries_by_workload ON entries (workload, kind);
    CREATE TABLE head (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        seq  INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    INSERT INTO head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;",
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub struct SqliteStore {
    conn: Connection,
    path: String,
}

fn storage(path: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Storage(format!("ledger {path}: {e}"))
}

impl SqliteStore {
    /// Open the ledger at `path`, creating it (and its folder) on first use and migrating an older schema. A
    /// ledger from a newer onus is refused untouched.
    pub fn open(path: &Path) -> Result<SqliteStore, Error> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Storage(format!(
                    "ledger {shown}: cannot create {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let conn = Connection::open(path).map_err(storage(&shown))?;
        let store = SqliteStore { conn, path: shown };
        store.prepare()?;
        Ok(store)
    }

    /// An in-memory ledger, for tests and benchmarks.
    pub fn in_memory() -> Result<SqliteStore, Error> {
        let conn = Connection::open_in_memory().map_err(storage(":memory:"))?;
        let store = SqliteStore {
            conn,
            path: ":memory:".into(),
        };
        store.prepare()?;
        Ok(store)
    }

    fn prepare(&self) -> Result<(), Error> {
        let err = storage(&self.path);
        self.conn
            .busy_timeout(Duration::from_secs(30))
            .map_err(&err)?;
        // Reading the version first also tells a file that is not a database from one that is.
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&err)?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        self.conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .map_err(&err)?;
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(&err)?;
        if version < SCHEMA_VERSION {
            self.migrate()?;
        }
        Ok(())
    }

    fn migrate(&self) -> Result<(), Error> {
        let err = storage(&self.path);
        // Under the write lock, so that two first uses do not both create the tables.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(&err)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&err)?;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            tx.execute_batch(m).map_err(&err)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(&err)?;
        }
        tx.commit().map_err(&err)
    }

    /// The path the ledger was opened from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Raw access for tests that play an attacker editing the database by hand.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn last(tx: &Connection) -> rusqlite::Result<(u64, String)> {
        Ok(tx
            .query_row(
                "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string())))
    }

    fn head(tx: &Connection) -> rusqlite::Result<(u64, String)> {
        tx.query_row("SELECT seq, hash FROM head WHERE id = 1", [], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
        })
    }

    fn insert(tx: &Connection, e: &Entry) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO entries (seq, at, kind, actor, workload, data, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                e.seq as i64,
                e.at,
                e.kind,
                e.actor,
                e.workload,
                crate::jcs::to_string(&e.data),
                e.prev,
                e.hash
            ],
        )?;
        tx.execute(
            "UPDATE head SET seq = ?1, hash = ?2 WHERE id = 1",
            params![e.seq as i64, e.hash],
        )?;
        Ok(())
    }

    /// Check, inside the append's transaction, that the recorded head is the last entry: appending to a ledger
    /// whose end was edited would bury the damage under new entries.
    fn sound_end(path: &str, tx: &Connection) -> Result<(u64, String), Error> {
        let err = storage(path);
        let last = Self::last(tx).map_err(&err)?;
        let head = Self::head(tx).map_err(&err)?;
        if last != head {
            return Err(Error::Storage(format!(
                "ledger {path}: its last entry ({}) is not the head it recorded ({}); run `onus ledger verify` — nothing was appended",
                last.0, head.0
            )));
        }
        Ok(last)
    }
}

impl Store for SqliteStore {
    fn append(&mut self, draft: Draft) -> Result<Entry, Error> {
        let path = self.path.clone();
        let err = storage(&path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let (seq, prev) = Self::sound_end(&path, &tx)?;
        let e = Entry::seal(draft, seq + 1, &prev);
        Self::insert(&tx, &e).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(e)
    }

    fn append_sealed(&mut self, entries: &[Entry]) -> Result<(), Error> {
        let path = self.path.clone();
        let err = storage(&path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let end = Self::sound_end(&path, &tx)?;
        let new = crate::continuation(entries, end, &mut |seq| {
            tx.query_row(
                "SELECT hash FROM entries WHERE seq = ?1",
                [seq as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)
        })?;
        for e in new {
            Self::insert(&tx, e).map_err(&err)?;
        }
        tx.commit().map_err(&err)
    }

    fn scan(&self, f: &mut dyn FnMut(Result<Entry, String>) -> bool) -> Result<(), Error> {
        let err = storage(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, at, kind, actor, workload, data, prev, hash FROM entries ORDER BY seq",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(r) = rows.next().map_err(&err)? {
            let read = || -> Result<Entry, String> {
                let text = |i: usize| -> Result<String, String> {
                    r.get::<_, String>(i).map_err(|e| e.to_string())
                };
                let data = text(5)?;
                Ok(Entry {
                    seq: r.get::<_, i64>(0).map_err(|e| e.to_string())? as u64,
                    at: text(1)?,
                    kind: text(2)?,
                    actor: text(3)?,
                    workload: r.get::<_, Option<String>>(4).map_err(|e| e.to_string())?,
                    data: serde_json::from_str(&data)
                        .map_err(|e| format!("data is not JSON: {e}"))?,
                    prev: text(6)?,
                    hash: text(7)?,
                })
            };
            if !f(read()) {
                break;
            }
        }
        Ok(())
    }

    fn recorded_head(&self) -> Result<(u64, String), Error> {
        Self::head(&self.conn).map_err(storage(&self.path))
    }
}
