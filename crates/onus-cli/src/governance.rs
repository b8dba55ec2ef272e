//! Governance over time: the ledger (`onus ledger`), reviews (`onus review`) and evidence (`onus evidence`).
//!
//! The ledger of a project lives at `.onus/ledger.db` (SQLite), or `.onus/ledger.jsonl` when that file exists and
//! the database does not (a history kept in git); `ONUS_LEDGER` or `--ledger` names another.

use crate::commands::{Ctx, Failure, Output, Result};
use crate::load::{self, InputError};
use onus_core::diag::Code;
use onus_core::resolve::{Attestation, WorkloadMatrix};
use onus_core::Catalog;
use onus_ledger::{Draft, Entry, Store};
use onus_render::text::wrap_indented;
use onus_render::Format;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Days a change to a workload's matrix may go unreviewed, counted from the last review, before the review is
/// overdue rather than due.
pub const CHANGE_GRACE_DAYS: i64 = 14;
/// Days before the cadence runs out that a review shows as due.
pub const DUE_SOON_DAYS: i64 = 14;
/// The cadence when neither the manifest nor a template sets one.
pub const DEFAULT_CADENCE_DAYS: u32 = 90;

/// The project folder of a path: the folder, or a manifest file's folder.
pub fn project_root(path: &Path) -> PathBuf {
    if path.is_file() {
        path.parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        path.to_path_buf()
    }
}

/// Where the project's ledger is.
pub fn ledger_path(root: &Path, explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Ok(p) = std::env::var("ONUS_LEDGER") {
        if !p.is_empty() {
            return PathBuf::from(p);
        }
    }
    let db = root.join(".onus/ledger.db");
    let jsonl = root.join(".onus/ledger.jsonl");
    if !db.exists() && jsonl.exists() {
        jsonl
    } else {
        db
    }
}

fn ledger_error(path: &Path, e: onus_ledger::Error) -> Failure {
    let line = match &e {
        onus_ledger::Error::Malformed { line, .. } => *line as u32,
        _ => 1,
    };
    Failure::Input(InputError(vec![onus_core::diag::Diagnostic::new(
        Code::InvalidValue,
        &load::display(path),
        onus_core::diag::Pos { line, col: 1 },
        e.to_string(),
    )]))
}

/// Open the ledger for reading and writing.
pub fn open(path: &Path) -> Result<Box<dyn Store>> {
    onus_ledger::open(path).map_err(|e| ledger_error(path, e))
}

/// Every entry of the ledger, or none when it does not exist yet. Reading never creates it.
pub fn entries(path: &Path) -> Result<Vec<Entry>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let store = open(path)?;
    let mut out = Vec::new();
    let mut bad = None;
    store
        .scan(&mut |e| match e {
            Ok(e) => {
                out.push(e);
                true
            }
            Err(m) => {
                bad = Some(m);
                false
            }
        })
        .map_err(|e| ledger_error(path, e))?;
    if let Some(m) = bad {
        return Err(ledger_error(
            path,
            onus_ledger::Error::Storage(format!(
                "entry {} cannot be read ({m}); run `onus ledger verify`",
                out.len() + 1
            )),
        ));
    }
    Ok(out)
}

fn append(path: &Path, draft: Draft) -> Result<Entry> {
    let mut store = open(path)?;
    store.append(draft).map_err(|e| ledger_error(path, e))
}

// ---------------------------------------------------------------------------------------------------------------
// The project: catalog, workloads and their matrices.

pub struct Project {
    pub cat: Catalog,
    pub root: PathBuf,
    pub loaded: Vec<onus_core::manifest::LoadedWorkload>,
    pub matrices: Vec<WorkloadMatrix>,
}

pub fn project(ctx: &Ctx, path: &Path) -> Result<Project> {
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let loaded = load::workloads(&cat, path)?;
    let mut resolver = onus_core::resolve::Resolver::new(&cat);
    let mut matrices = Vec::new();
    for w in &loaded {
        matrices.push(resolver.workload(&w.workload)?);
    }
    drop(resolver);
    Ok(Project {
        root: project_root(path),
        cat,
        loaded,
        matrices,
    })
}

impl Project {
    pub fn workload(&self, name: &str) -> Result<&WorkloadMatrix> {
        self.matrices
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.matrices.iter().map(|m| m.name.as_str()).collect();
                let hint = onus_core::diag::suggest(name, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("workloads: {}", names.join(", ")));
                Failure::Usage(format!("unknown workload `{name}`; {hint}"))
            })
    }
}

/// What a review signs off: each component's service and variant, each cell's owner and basis, and the
/// requirements the templates set. Evidence is not part of it: it changes with every scan.
pub fn snapshot(m: &WorkloadMatrix) -> Value {
    let mut components = serde_json::Map::new();
    let mut cells = serde_json::Map::new();
    for c in &m.components {
        let svc = match &c.variant {
            Some(v) => format!("{}@{v}", c.service),
            None => c.service.clone(),
        };
        components.insert(c.name.to_string(), json!(svc));
        for cell in c.cells.iter() {
            let mut v = cell.owner.as_str().to_string();
            if cell.basis != onus_core::resolve::Basis::Catalog {
                v = format!("{v} ({})", cell.basis.as_str());
            }
            cells.insert(format!("{}/{}", c.name, cell.control), json!(v));
        }
    }
    let mut requirements = serde_json::Map::new();
    for r in &m.rollup {
        if !r.requirements.is_empty() {
            let list: Vec<String> = r
                .requirements
                .iter()
                .map(onus_render::requirement_short)
                .collect();
            requirements.insert(r.control.clone(), json!(list));
        }
    }
    json!({
        "classification": m.classification,
        "tier": m.tier,
        "components": components,
        "cells": cells,
        "requirements": requirements,
    })
}

/// The SHA-256 of a snapshot's canonical JSON.
pub fn digest(v: &Value) -> String {
    onus_ledger::digest(v)
}

/// What changed between a reviewed snapshot and now, in words, most telling first.
pub fn changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["classification", "tier"] {
        if old.get(key) != new.get(key) {
            out.push(format!(
                "{key} changed from {} to {}",
                old.get(key).unwrap_or(&Value::Null),
                new.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    let map = |v: &Value, k: &str| -> BTreeMap<String, String> {
        v.get(k)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (oc, nc) = (map(old, "components"), map(new, "components"));
    for (name, svc) in &nc {
        match oc.get(name) {
            None => out.push(format!("component `{name}` ({svc}) was added")),
            Some(was) if was != svc => {
                out.push(format!("component `{name}` moved from {was} to {svc}"))
            }
            _ => {}
        }
    }
    for (name, svc) in &oc {
        if !nc.contains_key(name) {
            out.push(format!("component `{name}` ({svc}) was removed"));
        }
    }
    let (ol, nl) = (map(old, "cells"), map(new, "cells"));
    let mut moved = Vec::new();
    for (k, v) in &nl {
        let comp = k.split('/').next().unwrap_or("");
        if let Some(was) = ol.get(k) {
            if was != v && oc.get(comp) == nc.get(comp) {
                moved.push(format!("{k}: {was} → {v}"));
            }
        }
    }
    const SHOWN: usize = 6;
    let extra = moved.len().saturating_sub(SHOWN);
    out.extend(moved.into_iter().take(SHOWN));
    if extra > 0 {
        out.push(format!("and {extra} more cell(s) changed owner or basis"));
    }
    let (or, nr) = (map(old, "requirements"), map(new, "requirements"));
    if or != nr {
        out.push("the templates' requirements changed".into());
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// onus ledger

pub fn ledger_verify(
    path: &Path,
    explicit: Option<&Path>,
    expect_head: Option<&str>,
) -> Result<Output> {
    let lp = ledger_path(&project_root(path), explicit);
    if !lp.exists() {
        return Err(Failure::Input(InputError::one(
            Code::IoError,
            &load::display(&lp),
            "no ledger here yet (it is created by the first `onus review record` or `onus evidence attest`)",
            None,
        )));
    }
    let store = open(&lp)?;
    match onus_ledger::verify(store.as_ref(), expect_head) {
        Ok(v) => Ok(Output::ok(format!(
            "{}: {} entries, chain intact\nhead {}\n",
            load::display(&lp),
            v.entries,
            v.head
        ))),
        Err(onus_ledger::Error::Broken(b)) => Ok(Output {
            stdout: String::new(),
            stderr: format!("{}: {b}\n", load::display(&lp)),
            code: 1,
        }),
        Err(e) => Err(ledger_error(&lp, e)),
    }
}

pub fn ledger_export(path: &Path, explicit: Option<&Path>) -> Result<Output> {
    let lp = ledger_path(&project_root(path), explicit);
    let mut out = Vec::new();
    if lp.exists() {
        let store = open(&lp)?;
        onus_ledger::export(store.as_ref(), &mut out).map_err(|e| ledger_error(&lp, e))?;
    }
    Ok(Output::ok(String::from_utf8_lossy(&out).into_owned()))
}

pub fn ledger_import(file: &Path, path: &Path, explicit: Option<&Path>) -> Result<Output> {
    let f = load::read(file)?;
    let entries = onus_ledger::parse_export(&f.text).map_err(|e| ledger_error(file, e))?;
    let lp = ledger_path(&project_root(path), explicit);
    let before = entries_count(&lp)?;
    let mut store = open(&lp)?;
    store
        .append_sealed(&entries)
        .map_err(|e| ledger_error(&lp, e))?;
    let after = entries_count(&lp)?;
    Ok(Output::ok(format!(
        "{}: {} entries read, {} new, ledger {} now holds {after}\n",
        f.path,
        entries.len(),
        after - before,
        load::display(&lp)
    )))
}

fn entries_count(lp: &Path) -> Result<usize> {
    Ok(entries(lp)?.len())
}

/// Record each workload's resolved matrix as it stands (`snapshot` entries), so that later changes can be dated.
pub fn ledger_snapshot(
    ctx: &Ctx,
    path: &Path,
    explicit: Option<&Path>,
    only: Option<&str>,
    by: &str,
) -> Result<Output> {
    let p = project(ctx, path)?;
    if let Some(w) = only {
        p.workload(w)?;
    }
    let lp = ledger_path(&p.root, explicit);
    let mut store = open(&lp)?;
    let mut out = String::new();
    for m in p
        .matrices
        .iter()
        .filter(|m| only.is_none_or(|w| m.name == w))
    {
        let snap = snapshot(m);
        let hash = digest(&snap);
        let e = store
            .append(Draft {
                at: crate::clock::now(),
                kind: "snapshot".into(),
                actor: by.to_string(),
                workload: Some(m.name.clone()),
                data: json!({"matrix": hash, "snapshot": snap}),
            })
            .map_err(|e| ledger_error(&lp, e))?;
        let _ = writeln!(out, "{}: matrix {hash}, ledger entry {}", m.name, e.seq);
    }
    Ok(Output::ok(out))
}

// ---------------------------------------------------------------------------------------------------------------
// onus review

pub fn review_record(
    ctx: &Ctx,
    path: &Path,
    explicit: Option<&Path>,
    workload: &str,
    reviewer: &str,
    notes: Option<&str>,
) -> Result<Output> {
    if reviewer.trim().is_empty() {
        return Err(Failure::Usage("--reviewer needs a name".into()));
    }
    let p = project(ctx, path)?;
    let m = p.workload(workload)?;
    let snap = snapshot(m);
    let hash = digest(&snap);
    let lp = ledger_path(&p.root, explicit);
    let e = append(
        &lp,
        Draft {
            at: crate::clock::now(),
            kind: "review".into(),
            actor: reviewer.trim().to_string(),
            workload: Some(workload.to_string()),
            data: json!({"matrix": hash, "snapshot": snap, "notes": notes}),
        },
    )?;
    let cadence = m.review_cadence_days.unwrap_or(DEFAULT_CADENCE_DAYS);
    let next = crate::clock::add_days(&e.at, i64::from(cadence)).unwrap_or_default();
    Ok(Output::ok(format!(
        "recorded review of {workload} by {} as entry {} of {}\nmatrix {hash}\nnext review due by {next} ({cadence}-day cadence)\n",
        e.actor,
        e.seq,
        load::display(&lp)
    )))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewState {
    Ok,
    Due,
    Overdue,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Ok => "ok",
            ReviewState::Due => "due",
            ReviewState::Overdue => "overdue",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Reason {
    pub state: ReviewState,
    pub text: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkloadReview {
    pub workload: String,
    pub state: ReviewState,
    pub cadence_days: u32,
    pub last_review: Option<String>,
    pub reviewer: Option<String>,
    pub next_due: Option<String>,
    pub reasons: Vec<Reason>,
    /// The manifest file that declares the workload.
    pub file: String,
}

/// The review state of every workload: cadence, matrix changes since the last review, undeclared services found
/// by a scan, expired waivers and expired attestations.
pub fn review_states(
    p: &Project,
    ledger: &[Entry],
    drift: &[onus_discover::Finding],
    waiver_problems: &[(Option<String>, String)],
) -> Vec<WorkloadReview> {
    let today = crate::clock::today();
    let now_days = crate::clock::days(&today).unwrap_or(0);
    let mut out = Vec::new();
    for (m, lw) in p.matrices.iter().zip(&p.loaded) {
        let cadence = m.review_cadence_days.unwrap_or(DEFAULT_CADENCE_DAYS);
        let mut reasons = Vec::new();
        let last = ledger
            .iter()
            .rev()
            .find(|e| e.kind == "review" && e.workload.as_deref() == Some(m.name.as_str()));
        let manifest_last = lw
            .workload
            .review
            .as_ref()
            .and_then(|r| r.last_review.clone());
        let (last_date, reviewer) = match (last, &manifest_last) {
            (Some(e), _) => (
                Some(e.at[..10.min(e.at.len())].to_string()),
                Some(e.actor.clone()),
            ),
            (None, Some(d)) => (Some(d.clone()), None),
            (None, None) => (None, None),
        };
        let next_due = last_date
            .as_deref()
            .and_then(|d| crate::clock::add_days(d, i64::from(cadence)));
        match (&last_date, &next_due) {
            (None, _) => reasons.push(Reason {
                state: ReviewState::Overdue,
                text: "never reviewed: record one with `onus review record`".into(),
            }),
            (Some(d), Some(next)) => {
                let left = crate::clock::days(next).unwrap_or(0) - now_days;
                if left < 0 {
                    reasons.push(Reason {
                        state: ReviewState::Overdue,
                        text: format!(
                            "last reviewed {d}; the {cadence}-day cadence ran out on {next} ({} days ago)",
                            -left
                        ),
                    });
                } else if left <= DUE_SOON_DAYS {
                    reasons.push(Reason {
                        state: ReviewState::Due,
                        text: format!("the {cadence}-day cadence runs out on {next}"),
                    });
                }
            }
            _ => {}
        }
        // The matrix moved since the review that signed it off.
        if let Some(e) = last {
            let now_snap = snapshot(m);
            let was = e.data.get("matrix").and_then(Value::as_str).unwrap_or("");
            if was != digest(&now_snap) {
                let since = crate::clock::days(&e.at).map(|d| now_days - d).unwrap_or(0);
                let state = if since > CHANGE_GRACE_DAYS {
                    ReviewState::Overdue
                } else {
                    ReviewState::Due
                };
                let what = match e.data.get("snapshot") {
                    Some(old) => changes(old, &now_snap),
                    None => Vec::new(),
                };
                let what = if what.is_empty() {
                    "the resolved matrix changed".to_string()
                } else {
                    what.join("; ")
                };
                reasons.push(Reason {
                    state,
                    text: format!(
                        "the matrix changed since the review of {}: {what}{}",
                        &e.at[..10.min(e.at.len())],
                        if state == ReviewState::Overdue {
                            format!(" (unreviewed for more than {CHANGE_GRACE_DAYS} days)")
                        } else {
                            String::new()
                        }
                    ),
                });
            }
        }
        for f in drift.iter().filter(|f| {
            f.code == onus_discover::FindingCode::UndeclaredService
                && f.workload.as_deref() == Some(m.name.as_str())
        }) {
            reasons.push(Reason {
                state: ReviewState::Due,
                text: format!(
                    "a scan found an undeclared service at {}:{}: {}",
                    f.file, f.line, f.message
                ),
            });
        }
        for (w, msg) in waiver_problems {
            if w.as_deref() == Some(m.name.as_str()) {
                reasons.push(Reason {
                    state: ReviewState::Due,
                    text: msg.clone(),
                });
            }
        }
        // Drills: one per cadence, like reviews.
        match crate::incident::last_drill(ledger, &m.name) {
            None => reasons.push(Reason {
                state: ReviewState::Due,
                text: format!(
                    "no drill recorded: run `onus drill --workload {}` (one every {cadence} days)",
                    m.name
                ),
            }),
            Some(e) => {
                let age = crate::clock::days(&e.at).map(|d| now_days - d).unwrap_or(0);
                if age > i64::from(cadence) {
                    reasons.push(Reason {
                        state: ReviewState::Due,
                        text: format!(
                            "the last drill was on {} ({age} days ago), past the {cadence}-day cadence",
                            &e.at[..10.min(e.at.len())]
                        ),
                    });
                }
            }
        }
        for a in expired_attestations(ledger, &m.name, &today) {
            reasons.push(Reason {
                state: ReviewState::Due,
                text: a,
            });
        }
        let state = reasons
            .iter()
            .map(|r| r.state)
            .max()
            .unwrap_or(ReviewState::Ok);
        out.push(WorkloadReview {
            workload: m.name.clone(),
            state,
            cadence_days: cadence,
            last_review: last_date,
            reviewer,
            next_due,
            reasons,
            file: lw.file.clone(),
        });
    }
    out
}

/// The latest attestation per control of a workload, and whether it still counts on `today`.
fn latest_attestations<'a>(ledger: &'a [Entry], workload: &str) -> BTreeMap<String, &'a Entry> {
    let mut latest = BTreeMap::new();
    for e in ledger {
        if e.kind == "attestation" && e.workload.as_deref() == Some(workload) {
            if let Some(c) = e.data.get("control").and_then(Value::as_str) {
                latest.insert(c.to_string(), e);
            }
        }
    }
    latest
}

fn expires_of(e: &Entry) -> Option<&str> {
    e.data.get("expires").and_then(Value::as_str)
}

fn expired_attestations(ledger: &[Entry], workload: &str, today: &str) -> Vec<String> {
    latest_attestations(ledger, workload)
        .into_iter()
        .filter_map(|(c, e)| {
            let exp = expires_of(e)?;
            (exp < today).then(|| {
                format!(
                    "the attestation of {c} by {} expired on {exp}: it no longer counts as evidence",
                    e.actor
                )
            })
        })
        .collect()
}

/// Put the current attestations of the ledger on the workloads' cells.
pub fn attach_attestations(ledger: &[Entry], matrices: &mut [WorkloadMatrix]) {
    let today = crate::clock::today();
    for m in matrices {
        for (control, e) in latest_attestations(ledger, &m.name) {
            if expires_of(e).is_some_and(|x| x < today.as_str()) {
                continue;
            }
            if let Some(cell) = m.rollup.iter_mut().find(|c| c.control == control) {
                cell.attestations.push(Attestation {
                    by: e.actor.clone(),
                    link: e
                        .data
                        .get("link")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    at: e.at.clone(),
                    expires: expires_of(e).map(str::to_string),
                });
            }
        }
    }
}

/// Waiver problems (expired, malformed) with the workload each concerns: the workloads declared in the manifest
/// file that holds the waiver, or the workload whose paths hold the file with the inline waiver.
pub fn waiver_problems_by_workload(
    p: &Project,
    problems: &[onus_checks::waivers::WaiverProblem],
) -> Vec<(Option<String>, String)> {
    let workloads: Vec<onus_core::model::Workload> =
        p.loaded.iter().map(|w| w.workload.clone()).collect();
    let owner = onus_discover::bind::PathOwner::new(&workloads);
    let mut out = Vec::new();
    for pr in problems {
        let file = pr
            .source
            .rsplit_once(':')
            .map_or(pr.source.as_str(), |(f, l)| {
                if l.bytes().all(|b| b.is_ascii_digit()) {
                    f
                } else {
                    pr.source.as_str()
                }
            });
        let by_manifest: Vec<&str> = p
            .loaded
            .iter()
            .filter(|w| {
                w.file == file || w.file.ends_with(&format!("/{file}")) || file.ends_with(&w.file)
            })
            .map(|w| w.workload.name.as_str())
            .collect();
        let text = format!("{}: {}", pr.source, pr.message);
        if by_manifest.is_empty() {
            let w = owner.find(file).map(|i| workloads[i].name.clone());
            out.push((w, text));
        } else {
            for w in by_manifest {
                out.push((Some(w.to_string()), text.clone()));
            }
        }
    }
    out
}

pub fn review_status(
    ctx: &Ctx,
    path: &Path,
    explicit: Option<&Path>,
    scan: bool,
) -> Result<Output> {
    crate::commands::only(ctx, &[Format::Table, Format::Json], "review status")?;
    let p = project(ctx, path)?;
    let ledger = entries(&ledger_path(&p.root, explicit))?;
    let (drift, problems) = if scan {
        let rules = crate::rules::load_rules(&p.cat, &[])?;
        let ev = crate::scan::evaluate(
            &p.cat,
            std::slice::from_ref(&p.root),
            &rules,
            &[],
            &crate::scan::PolicyArgs::default(),
            false,
        )?;
        let problems = waiver_problems_by_workload(&p, &ev.waiver_problems);
        (ev.report.findings, problems)
    } else {
        (Vec::new(), Vec::new())
    };
    let states = review_states(&p, &ledger, &drift, &problems);
    let code = u8::from(states.iter().any(|s| s.state == ReviewState::Overdue));
    let stdout = match ctx.format {
        Format::Json => crate::commands::document(
            "review-status",
            json!({"today": crate::clock::today(), "workloads": states}),
        ),
        _ => {
            let mut out = String::new();
            for s in &states {
                let _ = writeln!(
                    out,
                    "{:<8} {}  (last review {}{}; every {} days{})",
                    s.state.as_str(),
                    s.workload,
                    s.last_review.as_deref().unwrap_or("never"),
                    s.reviewer
                        .as_deref()
                        .map(|r| format!(" by {r}"))
                        .unwrap_or_default(),
                    s.cadence_days,
                    s.next_due
                        .as_deref()
                        .map(|d| format!("; next by {d}"))
                        .unwrap_or_default()
                );
                for r in &s.reasons {
                    out.push_str(&wrap_indented(
                        &format!("  {:<8} ", r.state.as_str()),
                        &r.text,
                        ctx.width,
                    ));
                }
            }
            out
        }
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        code,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// onus evidence

pub struct AttestArgs<'a> {
    pub workload: &'a str,
    pub control: &'a str,
    pub by: &'a str,
    pub link: &'a str,
    pub expires: Option<&'a str>,
}

pub fn evidence_attest(
    ctx: &Ctx,
    path: &Path,
    explicit: Option<&Path>,
    a: &AttestArgs,
) -> Result<Output> {
    let p = project(ctx, path)?;
    let m = p.workload(a.workload)?;
    let control = p.cat.find_control(a.control)?.id.clone();
    if a.by.trim().is_empty() || a.link.trim().is_empty() {
        return Err(Failure::Usage("--by and --link need values".into()));
    }
    if let Some(d) = a.expires {
        if !onus_core::catalog::valid_date(d) {
            return Err(Failure::Usage(format!(
                "--expires `{d}` is not a date (YYYY-MM-DD)"
            )));
        }
        if d < crate::clock::today().as_str() {
            return Err(Failure::Usage(format!("--expires {d} is already past")));
        }
    }
    let cell = m.rollup.iter().find(|c| c.control == control);
    let note = match cell {
        Some(c) if !c.owner.customer_has_duty() => format!(
            "note: {control} is {} for {}: nothing of yours to prove there, but the attestation is recorded\n",
            c.owner.as_str(),
            a.workload
        ),
        _ => String::new(),
    };
    let lp = ledger_path(&p.root, explicit);
    let e = append(
        &lp,
        Draft {
            at: crate::clock::now(),
            kind: "attestation".into(),
            actor: a.by.trim().to_string(),
            workload: Some(a.workload.to_string()),
            data: json!({"control": control, "link": a.link.trim(), "expires": a.expires}),
        },
    )?;
    Ok(Output {
        stdout: format!(
            "recorded attestation of {control} for {} by {} as entry {} of {}{}\n",
            a.workload,
            e.actor,
            e.seq,
            load::display(&lp),
            a.expires
                .map(|d| format!("; counts until {d}"))
                .unwrap_or_default()
        ),
        stderr: note,
        code: 0,
    })
}

pub fn evidence_import(
    ctx: &Ctx,
    file: &Path,
    path: &Path,
    explicit: Option<&Path>,
    by: Option<&str>,
) -> Result<Output> {
    let p = project(ctx, path)?;
    let f = load::read(file)?;
    let checks = crate::rules::load_rules(&p.cat, &[])?;
    let results = onus_checks::sarif_import::parse(&p.cat, &checks, &f.path, &f.text)
        .map_err(|d| Failure::Input(InputError(vec![d])))?;
    // Keep the log in the project, under a name that does not clobber an earlier, different import.
    let dir = p.root.join(crate::commands::EVIDENCE_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| {
        Failure::Input(InputError::one(
            Code::IoError,
            &load::display(&dir),
            e.to_string(),
            None,
        ))
    })?;
    let hash = onus_ledger::digest(&Value::String(f.text.clone()));
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let target = dir.join(format!("{stem}-{}.sarif", &hash[..12]));
    let already = target.exists();
    if !already {
        std::fs::write(&target, &f.text).map_err(|e| {
            Failure::Input(InputError::one(
                Code::IoError,
                &load::display(&target),
                e.to_string(),
                None,
            ))
        })?;
    }
    let mut per_control: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unmapped: BTreeSet<String> = BTreeSet::new();
    let mut via: BTreeMap<&str, usize> = BTreeMap::new();
    let mut tools: BTreeSet<String> = BTreeSet::new();
    for r in &results {
        tools.insert(r.tool.clone());
        match &r.control {
            Some(c) => {
                let e = per_control.entry(c.clone()).or_default();
                if r.passed {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
                *via.entry(r.via.unwrap_or("?")).or_default() += 1;
            }
            None => {
                unmapped.insert(r.rule.clone());
            }
        }
    }
    let mut out = String::new();
    if already {
        let _ = writeln!(
            out,
            "{} was already imported as {}",
            f.path,
            load::display(&target)
        );
    } else {
        let lp = ledger_path(&p.root, explicit);
        let e = append(
            &lp,
            Draft {
                at: crate::clock::now(),
                kind: "evidence-import".into(),
                actor: by.unwrap_or("onus").to_string(),
                workload: None,
                data: json!({
                    "file": load::display(&target),
                    "sha256": hash,
                    "tools": tools,
                    "results": results.len(),
                    "mapped": results.len() - unmapped.len(),
                }),
            },
        )?;
        let _ = writeln!(
            out,
            "imported {} ({} result(s) from {}) as {}; ledger entry {}",
            f.path,
            results.len(),
            tools.into_iter().collect::<Vec<_>>().join(", "),
            load::display(&target),
            e.seq
        );
    }
    for (c, (open, pass)) in &per_control {
        let _ = writeln!(out, "  {c:<32} {open} open, {pass} passing");
    }
    if !via.is_empty() {
        let _ = writeln!(
            out,
            "  mapped by: {}",
            via.iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !unmapped.is_empty() {
        let list: Vec<&str> = unmapped.iter().map(String::as_str).take(12).collect();
        let _ = writeln!(
            out,
            "  {} rule(s) map to no control: {}{}",
            unmapped.len(),
            list.join(", "),
            if unmapped.len() > 12 { ", ..." } else { "" }
        );
    }
    out.push_str("`onus matrix` now counts these results on the cells they concern.\n");
    Ok(Output::ok(out))
}
