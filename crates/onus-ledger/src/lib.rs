//! The ledger: an append-only log of governance events (reviews, attestations, waivers, drills, matrix snapshots),
//! each entry chained to the one before it by SHA-256 over the RFC 8785 canonical JSON of the entry and the
//! previous entry's hash. Any edit, deletion, insertion or reordering of entries breaks the chain at the first
//! entry it touches, and [`verify`] names that entry.
//!
//! Storage sits behind [`Store`]; [`sqlite::SqliteStore`] keeps the log in an embedded SQLite database (WAL mode,
//! versioned migrations). Appends take the database's write lock for the read-head-then-insert step, so concurrent
//! writers (threads or processes) serialize and never fork the chain.

pub mod jcs;
pub mod jsonl;
pub mod sqlite;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// The hash that the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event before it is appended: the ledger adds the sequence number and the hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// When it happened, RFC 3339 in UTC (`2026-11-29T10:00:00Z`).
    pub at: String,
    /// What happened: `review`, `attestation`, `waiver-granted`, `waiver-revoked`, `drill`, `snapshot`,
    /// `evidence-import`, ...
    pub kind: String,
    /// Who recorded it.
    pub actor: String,
    /// The workload it concerns, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// The event's own fields.
    pub data: Value,
}

/// An entry of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    pub at: String,
    pub kind: String,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    pub data: Value,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 (lower-case hex) of the canonical JSON of every field above.
    pub hash: String,
}

impl Entry {
    /// The canonical bytes the hash covers: every field but `hash`.
    pub fn canonical(&self) -> String {
        jcs::to_string(&json!({
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "actor": self.actor,
            "workload": self.workload,
            "data": self.data,
            "prev": self.prev,
        }))
    }

    /// The hash the entry should carry.
    pub fn compute_hash(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }

    /// Seal a draft as entry `seq` after `prev`.
    pub fn seal(d: Draft, seq: u64, prev: &str) -> Entry {
        let mut e = Entry {
            seq,
            at: d.at,
            kind: d.kind,
            actor: d.actor,
            workload: d.workload,
            data: d.data,
            prev: prev.to_string(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }
}

/// SHA-256 (lower-case hex) of the canonical JSON of `v`.
pub fn digest(v: &Value) -> String {
    hex(&Sha256::digest(jcs::to_string(v).as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Why the ledger cannot be used or trusted.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The storage failed (I/O, locking, a database that is not a database).
    Storage(String),
    /// The ledger was written by a newer onus: its schema version is above the ones this build knows.
    NewerSchema { found: i64, known: i64 },
    /// The chain is broken at this entry.
    Broken(Break),
    /// Input (an import file) is malformed at this line.
    Malformed { line: usize, message: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Storage(m) => write!(f, "{m}"),
            Error::NewerSchema { found, known } => write!(
                f,
                "the ledger has schema version {found}, newer than this onus knows ({known}); upgrade onus — the ledger was not changed"
            ),
            Error::Broken(b) => write!(f, "{b}"),
            Error::Malformed { line, message } => write!(f, "line {line}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// The first entry at which the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The sequence number the entry should have (its position, counting from 1).
    pub position: u64,
    /// The sequence number it carries.
    pub seq: u64,
    pub reason: BreakReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// The entry's content does not match its hash: it was edited.
    HashMismatch,
    /// The entry does not point at the entry before it: an entry was removed, inserted or moved before it.
    PrevMismatch,
    /// The sequence numbers skip or repeat: entries were removed, inserted or reordered.
    SeqGap,
    /// The ledger ends before the head it recorded: entries were cut off the end.
    Truncated { head_seq: u64 },
    /// The ledger's head is not the one expected (`--expect-head`).
    UnexpectedHead { expected: String, found: String },
    /// A field could not be read (not JSON, not text).
    Unreadable(String),
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.reason {
            BreakReason::HashMismatch => {
                "its content does not match its hash (the entry was edited)".to_string()
            }
            BreakReason::PrevMismatch => "it does not chain to the entry before it (an entry was removed, inserted or moved)".to_string(),
            BreakReason::SeqGap => format!(
                "it carries sequence number {} where {} was expected (entries were removed, inserted or reordered)",
                self.seq, self.position
            ),
            BreakReason::Truncated { head_seq } => format!(
                "the ledger ends here but recorded {head_seq} entries (entries were cut off the end)"
            ),
            BreakReason::UnexpectedHead { expected, found } => {
                format!("the head hash is {found}, not the expected {expected}")
            }
            BreakReason::Unreadable(m) => format!("it cannot be read: {m}"),
        };
        write!(f, "ledger broken at entry {}: {what}", self.position)
    }
}

/// The storage of a ledger. Implementations must make [`Store::append`] atomic against every other writer: read
/// the head, seal the entry after it, write it, all under one lock or transaction.
pub trait Store {
    /// Seal `draft` after the current head and store it; the sealed entry.
    fn append(&mut self, draft: Draft) -> Result<Entry, Error>;
    /// Store already-sealed entries verbatim (an import), after checking they continue the chain.
    fn append_sealed(&mut self, entries: &[Entry]) -> Result<(), Error>;
    /// Every entry in storage order, given one at a time to `f`; stops early when `f` returns false.
    fn scan(&self, f: &mut dyn FnMut(Result<Entry, String>) -> bool) -> Result<(), Error>;
    /// The head the store recorded beside the entries: (number of entries, hash of the last).
    fn recorded_head(&self) -> Result<(u64, String), Error>;
}

/// Open the ledger at `path`: a JSON-lines file when the name ends in `.jsonl`, else an SQLite database.
pub fn open(path: &std::path::Path) -> Result<Box<dyn Store>, Error> {
    if path.extension().is_some_and(|x| x == "jsonl") {
        Ok(Box::new(jsonl::JsonlStore::open(path)))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open(path)?))
    }
}

/// The entries of an import that a ledger ending at `end` (sequence number, hash) does not hold yet, checked to
/// continue its chain. Entries it already holds must be the very same: `held(seq)` gives the hash it holds there.
pub(crate) fn continuation<'a>(
    entries: &'a [Entry],
    end: (u64, String),
    held: &mut dyn FnMut(u64) -> Result<Option<String>, Error>,
) -> Result<Vec<&'a Entry>, Error> {
    let (mut seq, mut prev) = end;
    let mut new = Vec::new();
    for e in entries {
        if e.seq <= seq {
            if held(e.seq)?.as_deref() != Some(e.hash.as_str()) {
                return Err(Error::Storage(format!(
                    "entry {} of the import differs from entry {} of the ledger: the histories have diverged; nothing was imported",
                    e.seq, e.seq
                )));
            }
            continue;
        }
        if e.seq != seq + 1 || e.prev != prev || e.compute_hash() != e.hash {
            return Err(Error::Storage(format!(
                "entry {} of the import does not continue the ledger (which ends at {seq}); nothing was imported",
                e.seq
            )));
        }
        seq = e.seq;
        prev = e.hash.clone();
        new.push(e);
    }
    Ok(new)
}

/// What [`verify`] found on a sound ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub head: String,
}

/// Walk the whole chain: sequence numbers 1.. without gaps, each entry's hash over its content, each `prev` the
/// hash before it, and the end where the store recorded it. The first entry that fails is the error.
pub fn verify(store: &dyn Store, expect_head: Option<&str>) -> Result<Verified, Error> {
    let mut position = 0u64;
    let mut prev = GENESIS.to_string();
    let mut broken: Option<Break> = None;
    store.scan(&mut |e| {
        position += 1;
        let e = match e {
            Ok(e) => e,
            Err(m) => {
                broken = Some(Break {
                    position,
                    seq: position,
                    reason: BreakReason::Unreadable(m),
                });
                return false;
            }
        };
        let reason = if e.seq != position {
            Some(BreakReason::SeqGap)
        } else if e.compute_hash() != e.hash {
            Some(BreakReason::HashMismatch)
        } else if e.prev != prev {
            Some(BreakReason::PrevMismatch)
        } else {
            None
        };
        if let Some(reason) = reason {
            broken = Some(Break {
                position,
                seq: e.seq,
                reason,
            });
            return false;
        }
        prev = e.hash;
        true
    })?;
    if let Some(b) = broken {
        return Err(Error::Broken(b));
    }
    let (head_seq, head_hash) = store.recorded_head()?;
    if head_seq > position || (head_seq == position && head_seq > 0 && head_hash != prev) {
        return Err(Error::Broken(Break {
            position: position + 1,
            seq: position + 1,
            reason: BreakReason::Truncated { head_seq },
        }));
    }
    if let Some(want) = expect_head {
        if !want.eq_ignore_ascii_case(&prev) {
            return Err(Error::Broken(Break {
                position,
                seq: position,
                reason: BreakReason::UnexpectedHead {
                    expected: want.to_string(),
                    found: prev,
                },
            }));
        }
    }
    Ok(Verified {
        entries: position,
        head: prev,
    })
}

/// Every entry, as JSON lines (one entry per line, fields in canonical order).
pub fn export(store: &dyn Store, out: &mut dyn std::io::Write) -> Result<u64, Error> {
    let mut n = 0;
    let mut err = None;
    store.scan(&mut |e| match e {
        Ok(e) => {
            let line = jcs::to_string(&serde_json::to_value(&e).unwrap_or(Value::Null));
            if let Err(x) = writeln!(out, "{line}") {
                err = Some(Error::Storage(format!("cannot write: {x}")));
                return false;
            }
            n += 1;
            true
        }
        Err(m) => {
            err = Some(Error::Storage(m));
            false
        }
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(n),
    }
}

/// Read JSON lines written by [`export`]. The entries must form a chain from the start; [`Store::append_sealed`]
/// then checks that they continue the store's own.
pub fn parse_export(text: &str) -> Result<Vec<Entry>, Error> {
    let mut out: Vec<Entry> = Vec::new();
    let mut prev = GENESIS.to_string();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e: Entry = serde_json::from_str(line).map_err(|x| Error::Malformed {
            line: i + 1,
            message: format!("not a ledger entry: {x}"),
        })?;
        let position = out.len() as u64 + 1;
        let bad = |m: &str| Error::Malformed {
            line: i + 1,
            message: format!("entry {}: {m}", e.seq),
        };
        if e.seq != position {
            return Err(bad(&format!(
                "sequence number {} where {position} was expected",
                e.seq
            )));
        }
        if e.compute_hash() != e.hash {
            return Err(bad("its content does not match its hash"));
        }
        if e.prev != prev {
            return Err(bad("it does not chain to the line before"));
        }
        prev = e.hash.clone();
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let d = Draft {
            at: "2026-11-29T10:00:00Z".into(),
            kind: "review".into(),
            actor: "ana".into(),
            workload: Some("storefront".into()),
            data: json!({"matrix": "abc", "notes": null}),
        };
        let a = Entry::seal(d.clone(), 1, GENESIS);
        assert_eq!(a.hash, a.compute_hash());
        assert_eq!(a.hash.len(), 64);
        let b = Entry::seal(d.clone(), 1, &"1".repeat(64));
        assert_ne!(a.hash, b.hash, "prev is covered");
        let mut c = a.clone();
        c.actor = "bob".into();
        assert_ne!(c.compute_hash(), a.hash, "actor is covered");
        let mut c = a.clone();
        c.workload = None;
        assert_ne!(c.compute_hash(), a.hash, "workload is covered");
        let mut c = a.clone();
        c.seq = 2;
        assert_ne!(c.compute_hash(), a.hash, "seq is covered");
        // Key order in `data` does not matter: the hash is over the canonical form.
        let mut e = a.clone();
        e.data = serde_json::from_str(r#"{"notes": null, "matrix": "abc"}"#).unwrap();
        assert_eq!(e.compute_hash(), a.hash);
    }

    #[test]
    fn an_export_that_does_not_chain_is_rejected_with_its_line() {
        let d = |k: &str| Draft {
            at: "2026-11-29T10:00:00Z".into(),
            kind: k.into(),
            actor: "ana".into(),
            workload: None,
            data: json!({}),
        };
        let a = Entry::seal(d("a"), 1, GENESIS);
        let b = Entry::seal(d("b"), 2, &a.hash);
        let line = |e: &Entry| serde_json::to_string(e).unwrap();
        let good = format!("{}\n{}\n", line(&a), line(&b));
        assert_eq!(parse_export(&good).unwrap().len(), 2);
        let swapped = format!("{}\n{}\n", line(&b), line(&a));
        assert!(matches!(
            parse_export(&swapped),
            Err(Error::Malformed { line: 1, .. })
        ));
        let mut b2 = b.clone();
        b2.kind = "c".into();
        let edited = format!("{}\n{}\n", line(&a), line(&b2));
        assert!(matches!(
            parse_export(&edited),
            Err(Error::Malformed { line: 2, .. })
        ));
        assert!(matches!(
            parse_export("{not json"),
            Err(Error::Malformed { line: 1, .. })
        ));
    }
}
