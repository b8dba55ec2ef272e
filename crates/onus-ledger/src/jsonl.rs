//! The ledger as a JSON-lines file (`.onus/ledger.jsonl`), one entry per line in the form [`crate::export`]
//! writes: the store for teams that keep their history in git, where every append is a reviewable one-line diff.
//!
//! Appends take an exclusive lock on the file for the read-head-then-write step and write the whole line with one
//! `write` call followed by `sync_data`, so concurrent writers serialize and a killed writer leaves at most a torn
//! last line, which [`crate::verify`] reports and [`Store::append`] refuses to build on.

use crate::{jcs, Draft, Entry, Error, Store, GENESIS};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub struct JsonlStore {
    path: PathBuf,
}

impl JsonlStore {
    /// Use the file at `path`, creating it empty on the first append.
    pub fn open(path: &Path) -> JsonlStore {
        JsonlStore {
            path: path.to_path_buf(),
        }
    }

    fn io(&self, what: &str, e: std::io::Error) -> Error {
        Error::Storage(format!("ledger {}: {what}: {e}", self.path.display()))
    }

    fn read_all(&self, f: &mut File) -> Result<String, Error> {
        let mut text = String::new();
        f.seek(SeekFrom::Start(0))
            .and_then(|_| f.read_to_string(&mut text))
            .map_err(|e| self.io("cannot read", e))?;
        Ok(text)
    }

    /// The last entry of `text`, checked to be whole and in sequence (not the whole chain: that is `verify`).
    fn end(&self, text: &str) -> Result<(u64, String), Error> {
        if !text.is_empty() && !text.ends_with('\n') {
            return Err(Error::Storage(format!(
                "ledger {}: its last line is incomplete (a write was cut off); run `onus ledger verify` — nothing was appended",
                self.path.display()
            )));
        }
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        match lines.last() {
            None => Ok((0, GENESIS.to_string())),
            Some(l) => {
                let e: Entry = serde_json::from_str(l).map_err(|x| Error::Malformed {
                    line: lines.len(),
                    message: format!("not a ledger entry: {x}"),
                })?;
                if e.seq != lines.len() as u64 || e.compute_hash() != e.hash {
                    return Err(Error::Storage(format!(
                        "ledger {}: its last entry does not hold; run `onus ledger verify` — nothing was appended",
                        self.path.display()
                    )));
                }
                Ok((e.seq, e.hash))
            }
        }
    }

    fn locked(&self) -> Result<File, Error> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.io("cannot create its folder", e))?;
        }
        let f = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.io("cannot open", e))?;
        f.lock().map_err(|e| self.io("cannot lock", e))?;
        Ok(f)
    }

    fn write_lines(&self, f: &mut File, entries: &[Entry]) -> Result<(), Error> {
        let mut buf = String::new();
        for e in entries {
            buf.push_str(&jcs::to_string(
                &serde_json::to_value(e).unwrap_or(serde_json::Value::Null),
            ));
            buf.push('\n');
        }
        f.write_all(buf.as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| self.io("cannot write", e))
    }
}

impl Store for JsonlStore {
    fn append(&mut self, draft: Draft) -> Result<Entry, Error> {
        let mut f = self.locked()?;
        let text = self.read_all(&mut f)?;
        let (seq, prev) = self.end(&text)?;
        let e = Entry::seal(draft, seq + 1, &prev);
        self.write_lines(&mut f, std::slice::from_ref(&e))?;
        Ok(e)
    }

    fn append_sealed(&mut self, entries: &[Entry]) -> Result<(), Error> {
        let mut f = self.locked()?;
        let text = self.read_all(&mut f)?;
        let end = self.end(&text)?;
        let held: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let new: Vec<Entry> = crate::continuation(entries, end, &mut |seq| {
            Ok(held
                .get(seq as usize - 1)
                .and_then(|l| serde_json::from_str::<Entry>(l).ok())
                .map(|h| h.hash))
        })?
        .into_iter()
        .cloned()
        .collect();
        self.write_lines(&mut f, &new)
    }

    fn scan(&self, f: &mut dyn FnMut(Result<Entry, String>) -> bool) -> Result<(), Error> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.io("cannot read", e)),
        };
        let whole = text.ends_with('\n') || text.is_empty();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for (i, l) in lines.iter().enumerate() {
            let torn = !whole && i + 1 == lines.len();
            let e = if torn {
                Err("the line is incomplete (a write was cut off)".to_string())
            } else {
                serde_json::from_str::<Entry>(l).map_err(|x| format!("not a ledger entry: {x}"))
            };
            if !f(e) {
                break;
            }
        }
        Ok(())
    }

    fn recorded_head(&self) -> Result<(u64, String), Error> {
        // A text file has nothing beside its lines: an anchor (`--expect-head`) is what catches a cut end.
        let mut head = (0, GENESIS.to_string());
        self.scan(&mut |e| {
            if let Ok(e) = e {
                head = (e.seq, e.hash);
            }
            true
        })?;
        Ok(head)
    }
}
