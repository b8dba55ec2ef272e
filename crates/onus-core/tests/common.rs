#![allow(dead_code)]
use onus_core::catalog::{self, Catalog, SourceFile};
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn read_dir(dir: &Path) -> Vec<SourceFile> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                let rel = p
                    .strip_prefix(repo())
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(SourceFile::new(rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

pub fn mini() -> Catalog {
    let (cat, diags) = catalog::build(&[read_dir(&repo().join("tests/fixtures/mini-catalog"))]);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    cat
}

pub fn bundled_files() -> Vec<SourceFile> {
    onus_catalog_data::files()
        .iter()
        .map(|(p, t)| SourceFile::new(format!("catalog/{p}"), *t))
        .collect()
}

pub fn bundled() -> (Catalog, Vec<onus_core::Diagnostic>) {
    catalog::build(&[bundled_files()])
}

/// A small RFC 4180 reader for the reference CSV files under tests/data.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
