//! The commands: each loads what it needs, asks the core, and hands the result to a renderer.

use crate::load::{self, InputError};
use onus_core::catalog::{self, Catalog, ServiceRef};
use onus_core::diag::Diagnostic;
use onus_core::model::ServiceEntry;
use onus_core::report::{FrameworkReport, MatrixReport, SCHEMA_VERSION};
use onus_core::resolve::{self, Basis, Cell};
use onus_core::Owner;
use onus_render::table::Grid;
use onus_render::text::{pad, truncate, width, wrap_indented};
use onus_render::{cell_mark, csv, json, markdown, table, Format, LEGEND};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub struct Ctx {
    pub catalog_dirs: Vec<PathBuf>,
    pub format: Format,
    pub width: usize,
}

pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Output {
    pub fn ok(stdout: String) -> Self {
        Output {
            stdout,
            stderr: String::new(),
            code: 0,
        }
    }
}

pub enum Failure {
    Input(InputError),
    Usage(String),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

impl From<catalog::NotFound> for Failure {
    fn from(e: catalog::NotFound) -> Self {
        Failure::Usage(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// A JSON document of `kind`, with the schema version every document carries (docs/json.md).
pub fn document(kind: &str, value: impl serde::Serialize) -> String {
    let mut v = serde_json::to_value(value).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("schema_version".into(), json!(SCHEMA_VERSION));
        o.insert("kind".into(), json!(kind));
    }
    onus_render::json::to_string(&v)
}

pub fn only(ctx: &Ctx, allowed: &[Format], command: &str) -> Result<()> {
    if allowed.contains(&ctx.format) {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "`{command}` does not print that format; use {}",
            allowed
                .iter()
                .map(|f| format!("{f:?}").to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

/// Resolve `SERVICE[@VARIANT]` against the catalog.
fn service_ref<'c>(cat: &'c Catalog, s: &str) -> Result<(&'c ServiceEntry, Option<String>)> {
    let r = ServiceRef::parse(s);
    let svc = cat.service(&r.service)?;
    let variant = match &r.variant {
        Some(v) => Some(cat.variant(svc, v)?.to_string()),
        None => svc.default_variant.clone(),
    };
    Ok((svc, variant))
}

fn label(svc: &ServiceEntry, variant: &Option<String>) -> String {
    match variant {
        Some(v) => format!("{}@{v}", svc.id),
        None => svc.id.clone(),
    }
}

// ---------------------------------------------------------------------------------------------------------------

pub fn matrix(
    ctx: &Ctx,
    path: &Path,
    only_workload: Option<&str>,
    framework: Option<&str>,
    imports: &[PathBuf],
    no_checks: bool,
    ledger: Option<&Path>,
) -> Result<Output> {
    only(
        ctx,
        &[Format::Table, Format::Markdown, Format::Csv, Format::Json],
        "matrix",
    )?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let framework = match framework {
        None => None,
        Some(f) => Some(cat.frameworks.iter().find(|x| x.id == f).ok_or_else(|| {
            let ids: Vec<&str> = cat.frameworks.iter().map(|x| x.id.as_str()).collect();
            let hint = onus_core::diag::suggest(f, ids.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("frameworks: {}", ids.join(", ")));
            Failure::Usage(format!("unknown framework `{f}`; {hint}"))
        })?),
    };
    let loaded = load::workloads(&cat, path)?;
    if let Some(name) = only_workload {
        if !loaded.iter().any(|w| w.workload.name == name) {
            let names: Vec<&str> = loaded.iter().map(|w| w.workload.name.as_str()).collect();
            let hint = onus_core::diag::suggest(name, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("workloads: {}", names.join(", ")));
            return Err(Failure::Usage(format!("unknown workload `{name}`; {hint}")));
        }
    }
    let mut resolver = resolve::Resolver::new(&cat);
    let mut workloads = Vec::new();
    for w in loaded
        .iter()
        .filter(|w| only_workload.is_none_or(|n| w.workload.name == n))
    {
        workloads.push(resolver.workload(&w.workload)?);
    }
    let mut stderr = String::new();
    let project: Vec<onus_core::model::Workload> =
        loaded.iter().map(|w| w.workload.clone()).collect();
    let root = crate::governance::project_root(path);
    if !no_checks {
        stderr.push_str(&attach_checks(&cat, &root, &mut workloads)?);
    }
    let ledger = crate::governance::entries(&crate::governance::ledger_path(&root, ledger))?;
    crate::governance::attach_attestations(&ledger, &mut workloads);
    let mut imports = imports.to_vec();
    imports.extend(stored_evidence(&root)?);
    if !imports.is_empty() {
        stderr.push_str(&import_sarif(
            &cat,
            path,
            &project,
            &imports,
            &mut workloads,
        )?);
    }
    for w in &mut workloads {
        for c in &mut w.rollup {
            c.assess();
        }
    }
    if let Some(fw) = framework {
        let report = FrameworkReport::new(&cat, fw, &workloads);
        return Ok(Output::ok(match ctx.format {
            Format::Table => table::framework(&report, ctx.width),
            Format::Markdown => markdown::framework(&report),
            Format::Csv => csv::framework(&report),
            // `only` above admits no other format.
            _ => json::to_string(&report),
        }));
    }
    let report = MatrixReport::new(cat.control_ids().map(str::to_string).collect(), workloads);
    let stdout = match ctx.format {
        Format::Table => table::matrix(&report, ctx.width),
        Format::Markdown => markdown::matrix(&report),
        Format::Csv => csv::matrix(&report),
        _ => json::to_string(&report),
    };
    Ok(Output {
        stdout,
        stderr,
        code: 0,
    })
}

/// Where `onus evidence import` keeps the SARIF logs it accepted.
pub const EVIDENCE_DIR: &str = ".onus/evidence";

/// The SARIF logs stored under the project's `.onus/evidence/`, in name order.
pub fn stored_evidence(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join(EVIDENCE_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sarif" || x == "json"))
        .collect();
    out.sort();
    Ok(out)
}

/// Run the checks over the project's infrastructure files and count each result on its workload's cell. Returns
/// the problems met on the way (files that do not parse), for stderr: the matrix stands without them.
fn attach_checks(
    cat: &Catalog,
    root: &Path,
    matrices: &mut [onus_core::WorkloadMatrix],
) -> Result<String> {
    let rules = crate::rules::load_rules(cat, &[])?;
    let ev = crate::scan::evaluate(
        cat,
        &[root.to_path_buf()],
        &rules,
        &[],
        &crate::scan::PolicyArgs::default(),
        false,
    )?;
    tally_checks(&ev, matrices);
    let mut note = String::new();
    for d in ev.diags.iter().filter(|d| d.is_error()) {
        let _ = writeln!(note, "{d}");
    }
    if !note.is_empty() {
        note.push_str(
            "(the checks skipped the files above; their cells show what the rest proves)\n",
        );
    }
    Ok(note)
}

/// Count each check result on its workload's cell.
pub fn tally_checks(ev: &crate::scan::Evaluated, matrices: &mut [onus_core::WorkloadMatrix]) {
    let owner = onus_discover::bind::PathOwner::new(&ev.workloads);
    for r in &ev.checks {
        let Some(wi) = owner.find(&r.file) else {
            continue;
        };
        let name = &ev.workloads[wi].name;
        let Some(m) = matrices.iter_mut().find(|m| &m.name == name) else {
            continue;
        };
        let Some(cell) = m.rollup.iter_mut().find(|c| c.control == r.control) else {
            continue;
        };
        let t = &mut cell.checks;
        match (r.outcome, r.waived.is_some()) {
            (onus_checks::Outcome::Fail, true) => t.waived += 1,
            (onus_checks::Outcome::Fail, false) => t.fail += 1,
            (onus_checks::Outcome::Pass, _) => t.pass += 1,
            (onus_checks::Outcome::Unknown, _) => t.unknown += 1,
            (onus_checks::Outcome::Warn, _) => t.warn += 1,
        }
    }
}

/// Attach other scanners' open results to the workloads and controls they concern; returns a note on what could
/// not be placed.
pub fn import_sarif(
    cat: &Catalog,
    project: &Path,
    workloads: &[onus_core::model::Workload],
    imports: &[PathBuf],
    matrices: &mut [onus_core::WorkloadMatrix],
) -> Result<String> {
    let checks = crate::rules::load_rules(cat, &[])?;
    let owner = onus_discover::bind::PathOwner::new(workloads);
    let root = std::fs::canonicalize(if project.is_file() {
        project.parent().unwrap_or(project)
    } else {
        project
    })
    .unwrap_or_else(|_| project.to_path_buf());
    let mut note = String::new();
    for file in imports {
        let f = load::read(file)?;
        let results = onus_checks::sarif_import::parse(cat, &checks, &f.path, &f.text)
            .map_err(|d| Failure::Input(load::InputError(vec![d])))?;
        let (mut no_control, mut no_workload, mut placed) = (0, 0, 0);
        let mut passes = 0;
        for r in results {
            let Some(control) = &r.control else {
                no_control += 1;
                continue;
            };
            let rel = match std::path::Path::new(&r.file).strip_prefix(&root) {
                Ok(p) => load::display(p),
                Err(_) => r.file.clone(),
            };
            let Some(wi) = owner.find(&rel) else {
                no_workload += 1;
                continue;
            };
            let name = &workloads[wi].name;
            if let Some(m) = matrices.iter_mut().find(|m| &m.name == name) {
                if let Some(cell) = m.rollup.iter_mut().find(|c| &c.control == control) {
                    if r.passed {
                        cell.imported_passes += 1;
                        passes += 1;
                        continue;
                    }
                    cell.scanner_findings
                        .push(onus_core::resolve::ScannerFinding {
                            tool: r.tool.clone(),
                            rule: r.rule.clone(),
                            level: r.level.clone(),
                            message: r.message.clone(),
                            file: rel,
                            line: r.line,
                        });
                    placed += 1;
                }
            }
        }
        let _ = writeln!(
            note,
            "{}: {placed} open and {passes} passing result(s) placed on workload controls; {no_control} not mapped to a control, {no_workload} outside every workload's paths",
            f.path
        );
    }
    Ok(note)
}

// ---------------------------------------------------------------------------------------------------------------

fn who_line(svc: &ServiceEntry, cell: &Cell) -> String {
    let mut s = cell.owner.as_str().to_string();
    if cell.basis != Basis::Catalog {
        let _ = write!(s, " ({})", cell.basis.as_str());
    }
    s.push_str(" — ");
    let provider = match svc.provider.as_str() {
        "aws" => "AWS".to_string(),
        "azure" => "Microsoft".to_string(),
        "gcp" => "Google".to_string(),
        other => other.to_uppercase(),
    };
    let mut parts = Vec::new();
    if let Some(p) = &cell.provider_duty {
        if cell.owner != Owner::Customer {
            parts.push(format!("{provider}: {}", p.trim_end_matches('.')));
        }
    }
    match (&cell.customer_duty, cell.owner) {
        (Some(c), _) => parts.push(format!("you: {}", c.trim_end_matches('.'))),
        (None, Owner::Provider) => {
            parts.push("you: nothing beyond trusting the provider's attestations".into())
        }
        (None, _) => {}
    }
    if parts.is_empty() {
        if let Some(n) = &cell.note {
            parts.push(n.trim_end_matches('.').to_string());
        }
    }
    s.push_str(&parts.join("; "));
    s
}

fn cell_json(cell: &Cell) -> serde_json::Value {
    serde_json::to_value(cell).unwrap_or_default()
}

pub fn who(ctx: &Ctx, service: &str, control: Option<&str>) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "who")?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let (svc, variant) = service_ref(&cat, service)?;
    let cells: Vec<Cell> = match control {
        Some(c) => vec![resolve::resolve_cell(
            &cat,
            svc,
            variant.as_deref(),
            &cat.find_control(c)?.id,
        )],
        None => resolve::resolve_service(&cat, svc, variant.as_deref()),
    };
    let out = match ctx.format {
        Format::Json => json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "who",
            "service": svc.id,
            "variant": variant,
            "cells": cells.iter().map(cell_json).collect::<Vec<_>>(),
        })),
        _ if control.is_some() => format!("{}\n", who_line(svc, &cells[0])),
        _ => {
            let mut out = format!("{} ({}, {})\n", label(svc, &variant), svc.name, svc.model);
            let cw = cat.control_ids().map(width).max().unwrap_or(0) + 2;
            for c in &cells {
                let line = format!("{}{}", pad(&c.control, cw), who_line(svc, c));
                out.push_str(&truncate(&line, ctx.width));
                out.push('\n');
            }
            out
        }
    };
    Ok(Output::ok(out))
}

// ---------------------------------------------------------------------------------------------------------------

pub fn explain(ctx: &Ctx, service: &str, control: Option<&str>) -> Result<Output> {
    only(
        ctx,
        &[Format::Table, Format::Json, Format::Markdown],
        "explain",
    )?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let (svc, variant) = service_ref(&cat, service)?;
    let ids: Vec<String> = match control {
        Some(c) => vec![cat.find_control(c)?.id.clone()],
        None => cat.control_ids().map(str::to_string).collect(),
    };
    let cells: Vec<Cell> = ids
        .iter()
        .map(|c| resolve::resolve_cell(&cat, svc, variant.as_deref(), c))
        .collect();
    if ctx.format == Format::Json {
        let explained: Vec<serde_json::Value> = cells
            .iter()
            .map(|c| {
                let g = cat.control(&c.control);
                let mut v = cell_json(c);
                v["title"] = json!(g.map(|g| g.title.clone()));
                v["question"] = json!(g.map(|g| g.question.clone()));
                v["consequence"] = json!(g.map(|g| g.consequence.clone()));
                v
            })
            .collect();
        return Ok(Output::ok(json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "explain",
            "service": svc.id,
            "name": svc.name,
            "provider": svc.provider,
            "model": svc.model,
            "category": svc.category,
            "variant": variant,
            "variants": svc.variants.keys().collect::<Vec<_>>(),
            "description": svc.description,
            "cells": explained,
        }))));
    }
    let md = ctx.format == Format::Markdown;
    let w = ctx.width;
    let mut out = String::new();
    if md {
        let _ = writeln!(out, "# {} — `{}`\n", svc.name, label(svc, &variant));
    } else {
        let _ = writeln!(out, "{} — {}", label(svc, &variant), svc.name);
    }
    let _ = writeln!(out, "model {}, category {}", svc.model, svc.category);
    if let Some(d) = &svc.description {
        out.push_str(&wrap_indented("", d, w));
    }
    if !svc.variants.is_empty() {
        let vs: Vec<String> = svc
            .variants
            .iter()
            .map(|(k, v)| {
                let mark = if variant.as_deref() == Some(k) {
                    " (selected)"
                } else {
                    ""
                };
                format!("{}@{k}{mark}: {}", svc.id, v.name)
            })
            .collect();
        out.push_str(&wrap_indented("variants: ", &vs.join("; "), w));
        if ServiceRef::parse(service).variant.is_none() && svc.default_variant.is_some() {
            out.push_str(&wrap_indented(
                "",
                "No variant named: the default (the worst case for you) is shown.",
                w,
            ));
        }
    }
    for c in &cells {
        let g = cat.control(&c.control);
        out.push('\n');
        let title = g.map(|g| g.title.as_str()).unwrap_or("");
        let mut head = format!("{} — {} — {}", c.control, title, c.owner.as_str());
        if c.basis != Basis::Catalog {
            let _ = write!(head, " ({})", c.basis.as_str());
        }
        if md {
            let _ = writeln!(out, "## {head}\n");
        } else {
            let _ = writeln!(out, "{head}");
        }
        let bullet = if md { "- " } else { "  " };
        if let Some(p) = &c.provider_duty {
            out.push_str(&wrap_indented(&format!("{bullet}provider: "), p, w));
        }
        if let Some(p) = &c.customer_duty {
            out.push_str(&wrap_indented(&format!("{bullet}you: "), p, w));
        }
        for d in &c.defaults {
            out.push_str(&wrap_indented(&format!("{bullet}default: "), d, w));
        }
        if let Some(n) = &c.note {
            out.push_str(&wrap_indented(&format!("{bullet}note: "), n, w));
        }
        if let Some(v) = &c.variant {
            out.push_str(&wrap_indented(
                &format!("{bullet}variant: "),
                &format!("stated by the `{v}` variant"),
                w,
            ));
        }
        if let Some(g) = g {
            out.push_str(&wrap_indented(&format!("{bullet}ask: "), &g.question, w));
            out.push_str(&wrap_indented(
                &format!("{bullet}if neglected: "),
                &g.consequence,
                w,
            ));
        }
        for s in &c.sources {
            out.push_str(&wrap_indented(
                &format!("{bullet}source: "),
                &format!("{} <{}> (checked {})", s.title, s.url, s.checked),
                w,
            ));
        }
    }
    Ok(Output::ok(out))
}

// ---------------------------------------------------------------------------------------------------------------

pub fn compare(ctx: &Ctx, services: &[String], control: Option<&str>) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "compare")?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let mut resolved = Vec::new();
    for s in services {
        let (svc, variant) = service_ref(&cat, s)?;
        resolved.push((svc, variant));
    }
    let ids: Vec<String> = match control {
        Some(c) => vec![cat.find_control(c)?.id.clone()],
        None => cat.control_ids().map(str::to_string).collect(),
    };
    let columns: Vec<Vec<Cell>> = resolved
        .iter()
        .map(|(svc, v)| {
            ids.iter()
                .map(|c| resolve::resolve_cell(&cat, svc, v.as_deref(), c))
                .collect()
        })
        .collect();
    if ctx.format == Format::Json {
        return Ok(Output::ok(json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "compare",
            "controls": ids,
            "services": resolved.iter().zip(&columns).map(|((svc, v), cells)| json!({
                "service": svc.id,
                "variant": v,
                "provider": svc.provider,
                "model": svc.model,
                "cells": cells.iter().map(cell_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }))));
    }
    let mut out = String::new();
    if control.is_some() {
        for ((svc, v), cells) in resolved.iter().zip(&columns) {
            let _ = writeln!(out, "{}", label(svc, v));
            out.push_str(&wrap_indented("  ", &who_line(svc, &cells[0]), ctx.width));
        }
        return Ok(Output::ok(out));
    }
    let grid = Grid {
        row_header: "CONTROL",
        rows: ids.clone(),
        columns: resolved.iter().map(|(s, v)| label(s, v)).collect(),
        marks: (0..ids.len())
            .map(|ri| columns.iter().map(|col| cell_mark(&col[ri])).collect())
            .collect(),
        summary: None,
    };
    out.push_str(&grid.render(ctx.width));
    out.push_str(&wrap_indented("", LEGEND, ctx.width));
    Ok(Output::ok(out))
}

// ---------------------------------------------------------------------------------------------------------------

pub fn catalog_list(ctx: &Ctx, provider: Option<&str>) -> Result<Output> {
    only(
        ctx,
        &[Format::Table, Format::Json, Format::Csv],
        "catalog list",
    )?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    if let Some(p) = provider {
        let providers = cat.providers();
        if !providers.iter().any(|x| x == p) {
            return Err(Failure::Usage(format!(
                "unknown provider `{p}`; providers: {}",
                providers.join(", ")
            )));
        }
    }
    let services: Vec<&ServiceEntry> = cat
        .services
        .values()
        .filter(|s| provider.is_none_or(|p| s.provider == p))
        .collect();
    let out = match ctx.format {
        Format::Json => json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "catalog-list",
            "services": services.iter().map(|s| json!({
                "id": s.id,
                "name": s.name,
                "provider": s.provider,
                "model": s.model,
                "category": s.category,
                "aliases": s.aliases,
                "variants": s.variants.keys().collect::<Vec<_>>(),
                "default_variant": s.default_variant,
            })).collect::<Vec<_>>(),
        })),
        Format::Csv => {
            let mut out = String::from("id,name,provider,model,category,variants\r\n");
            for s in &services {
                let vs = s.variants.keys().cloned().collect::<Vec<_>>().join(" ");
                let row = [
                    s.id.as_str(),
                    &s.name,
                    &s.provider,
                    &s.model,
                    &s.category,
                    &vs,
                ];
                out.push_str(
                    &row.iter()
                        .map(|f| csv::field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push_str("\r\n");
            }
            out
        }
        _ => {
            let idw = services.iter().map(|s| width(&s.id)).max().unwrap_or(2) + 2;
            let mut out = format!("{}{:<11}{:<15}NAME\n", pad("ID", idw), "MODEL", "CATEGORY");
            for s in &services {
                let mut name = s.name.clone();
                if !s.variants.is_empty() {
                    let _ = write!(
                        name,
                        " [{}]",
                        s.variants.keys().cloned().collect::<Vec<_>>().join(", ")
                    );
                }
                let line = format!("{}{:<11}{:<15}{name}", pad(&s.id, idw), s.model, s.category);
                out.push_str(&truncate(&line, ctx.width));
                out.push('\n');
            }
            let _ = writeln!(out, "{} services", services.len());
            out
        }
    };
    Ok(Output::ok(out))
}

pub fn catalog_show(ctx: &Ctx, service: &str) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "catalog show")?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let svc = cat.service(&ServiceRef::parse(service).service)?;
    if ctx.format == Format::Json {
        let mut v = serde_json::to_value(svc).unwrap_or_default();
        v["schema_version"] = json!(SCHEMA_VERSION);
        v["kind"] = json!("catalog-entry");
        return Ok(Output::ok(json::to_string(&v)));
    }
    let w = ctx.width;
    let mut out = format!("{} — {}\n", svc.id, svc.name);
    let _ = writeln!(
        out,
        "provider {}, model {}, category {}",
        svc.provider, svc.model, svc.category
    );
    if let Some(o) = cat.origins.get(&svc.id) {
        let _ = writeln!(out, "defined in {o}");
    }
    if !svc.aliases.is_empty() {
        out.push_str(&wrap_indented("aliases: ", &svc.aliases.join(", "), w));
    }
    if let Some(d) = &svc.description {
        out.push_str(&wrap_indented("", d, w));
    }
    for (k, types) in [
        ("terraform", &svc.iac.terraform),
        ("cloudformation", &svc.iac.cloudformation),
        ("arm", &svc.iac.arm),
        ("inventory", &svc.iac.inventory),
    ] {
        if !types.is_empty() {
            out.push_str(&wrap_indented(&format!("{k}: "), &types.join(", "), w));
        }
    }
    for (k, v) in &svc.variants {
        let dflt = if svc.default_variant.as_deref() == Some(k) {
            ", default"
        } else {
            ""
        };
        out.push_str(&wrap_indented(
            &format!("variant {k}: "),
            &format!("{} ({} cell(s) differ{dflt})", v.name, v.controls.len()),
            w,
        ));
    }
    let mut by_owner: BTreeMap<&str, usize> = BTreeMap::new();
    for c in svc.controls.values() {
        *by_owner.entry(c.owner.resolved().as_str()).or_default() += 1;
    }
    let counts: Vec<String> = by_owner.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        out,
        "cells stated: {} of {} ({})",
        svc.controls.len(),
        cat.controls.len(),
        counts.join(", ")
    );
    let _ = writeln!(out, "sources:");
    for (k, s) in &svc.sources {
        out.push_str(&wrap_indented(
            &format!("  {k}: "),
            &format!("{} <{}> (checked {})", s.title, s.url, s.checked),
            w,
        ));
    }
    out.push_str("\nRun `onus explain ");
    out.push_str(&svc.id);
    out.push_str("` for every cell.\n");
    Ok(Output::ok(out))
}

pub fn catalog_lint(ctx: &Ctx, paths: &[PathBuf]) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "catalog lint")?;
    let mut layers = vec![load::bundled()];
    for dir in &ctx.catalog_dirs {
        load::push_layer(&mut layers, load::read_yaml_files(dir)?);
    }
    let mut linted_files = 0;
    if paths.is_empty() {
        linted_files += layers.iter().map(Vec::len).sum::<usize>();
    } else {
        let mut layer = Vec::new();
        for p in paths {
            layer.extend(load::read_yaml_files(p)?);
        }
        linted_files += layer.len();
        load::push_layer(&mut layers, layer);
    }
    let (_, diags) = catalog::build_as_of(&layers, Some(&crate::clock::today()));
    // When linting given files, report only on them: the bundled catalog has its own test.
    let diags: Vec<Diagnostic> = if paths.is_empty() {
        diags
    } else {
        diags
            .into_iter()
            .filter(|d| !d.file.starts_with("<bundled>"))
            .collect()
    };
    let mut diags = diags;
    diags.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let code = if errors > 0 { 2 } else { 0 };
    if ctx.format == Format::Json {
        return Ok(Output {
            stdout: json::to_string(&json!({
                "schema_version": SCHEMA_VERSION,
                "kind": "catalog-lint",
                "files": linted_files,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diags,
            })),
            stderr: String::new(),
            code,
        });
    }
    let mut out = String::new();
    for d in &diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{linted_files} file(s) checked: {errors} error(s), {warnings} warning(s)"
    );
    Ok(Output {
        stdout: out,
        stderr: String::new(),
        code,
    })
}

/// Counts over the whole catalog; `cells_without_source` counts resolved cells (every service x every control,
/// base and variants) that carry no source.
pub fn catalog_stats(ctx: &Ctx) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "catalog stats")?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let mut per_provider: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_model: BTreeMap<&str, usize> = BTreeMap::new();
    let mut owners: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bases: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut cells, mut unsourced, mut variants, mut defaults) = (0usize, 0usize, 0usize, 0usize);
    let mut unsourced_list = Vec::new();
    // provider -> owner or "assumed" -> cells
    let mut by_provider: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for s in cat.services.values() {
        *per_provider.entry(&s.provider).or_default() += 1;
        *per_model.entry(&s.model).or_default() += 1;
        variants += s.variants.len();
        let mut selections: Vec<Option<&str>> = vec![None];
        selections.extend(s.variants.keys().map(|k| Some(k.as_str())));
        for sel in selections {
            for c in resolve::resolve_service(&cat, s, sel.or(Some(""))) {
                cells += 1;
                *owners.entry(c.owner.as_str()).or_default() += 1;
                *bases.entry(c.basis.as_str()).or_default() += 1;
                let p = by_provider.entry(&s.provider).or_default();
                *p.entry(c.owner.as_str()).or_default() += 1;
                if c.basis == Basis::Assumed {
                    *p.entry("assumed").or_default() += 1;
                }
                defaults += c.defaults.len();
                if c.sources.is_empty() {
                    unsourced += 1;
                    unsourced_list.push(format!(
                        "{}{} {}",
                        s.id,
                        sel.map(|v| format!("@{v}")).unwrap_or_default(),
                        c.control
                    ));
                }
            }
        }
    }
    let assumed = bases.get("assumed").copied().unwrap_or(0);
    let fully_mapped = cat
        .controls
        .iter()
        .filter(|c| {
            cat.frameworks
                .iter()
                .all(|f| c.frameworks.get(&f.id).is_some_and(|ids| !ids.is_empty()))
        })
        .count();
    let t = &cat.templates;
    if ctx.format == Format::Json {
        return Ok(Output::ok(json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "catalog-stats",
            "cells_by_provider": by_provider,
            "cells_assumed": assumed,
            "frameworks": cat.frameworks.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            "controls_mapped_to_every_framework": fully_mapped,
            "templates": {
                "classifications": t.classifications.len(),
                "tiers": t.tiers.len(),
                "overlays": t.overlays.len(),
            },
            "services": cat.services.len(),
            "providers": per_provider,
            "models": per_model,
            "variants": variants,
            "controls": cat.controls.len(),
            "cells": cells,
            "cells_by_owner": owners,
            "cells_by_basis": bases,
            "cells_without_source": unsourced,
            "defaults_recorded": defaults,
        }))));
    }
    let mut out = String::new();
    let prov: Vec<String> = per_provider
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        out,
        "services              {} ({})",
        cat.services.len(),
        prov.join(", ")
    );
    let models: Vec<String> = per_model.iter().map(|(k, v)| format!("{k} {v}")).collect();
    out.push_str(&wrap_indented(
        "models                ",
        &models.join(", "),
        ctx.width,
    ));
    let _ = writeln!(out, "variants              {variants}");
    let _ = writeln!(out, "controls              {}", cat.controls.len());
    let _ = writeln!(
        out,
        "cells                 {cells} (every service and variant x every control)"
    );
    let o: Vec<String> = owners.iter().map(|(k, v)| format!("{k} {v}")).collect();
    out.push_str(&wrap_indented(
        "  by owner            ",
        &o.join(", "),
        ctx.width,
    ));
    let b: Vec<String> = bases.iter().map(|(k, v)| format!("{k} {v}")).collect();
    out.push_str(&wrap_indented(
        "  by basis            ",
        &b.join(", "),
        ctx.width,
    ));
    let _ = writeln!(out, "  resting on assumed  {assumed}");
    for (p, counts) in &by_provider {
        let c: Vec<String> = [
            "provider",
            "shared",
            "customer",
            "not-applicable",
            "assumed",
        ]
        .iter()
        .map(|k| format!("{k} {}", counts.get(k).copied().unwrap_or(0)))
        .collect();
        out.push_str(&wrap_indented(
            &format!("  {p:<20}"),
            &c.join(", "),
            ctx.width,
        ));
    }
    out.push_str(&wrap_indented(
        "frameworks            ",
        &format!(
            "{} ({}); {fully_mapped} of {} controls mapped to all",
            cat.frameworks.len(),
            cat.frameworks
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cat.controls.len()
        ),
        ctx.width,
    ));
    let _ = writeln!(
        out,
        "templates             {} classifications, {} tiers, {} overlays",
        t.classifications.len(),
        t.tiers.len(),
        t.overlays.len()
    );
    let _ = writeln!(out, "cells without source  {unsourced}");
    for u in unsourced_list.iter().take(20) {
        let _ = writeln!(out, "  {u}");
    }
    let _ = writeln!(out, "defaults recorded     {defaults}");
    Ok(Output::ok(out))
}

pub fn catalog_controls(ctx: &Ctx) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "catalog controls")?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    if ctx.format == Format::Json {
        return Ok(Output::ok(json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "controls",
            "layers": cat.layers,
            "controls": cat.controls,
        }))));
    }
    let idw = cat.control_ids().map(width).max().unwrap_or(0) + 2;
    let mut out = String::new();
    for c in &cat.controls {
        out.push_str(&truncate(
            &format!("{}{}", pad(&c.id, idw), c.title),
            ctx.width,
        ));
        out.push('\n');
    }
    let _ = writeln!(out, "{} controls", cat.controls.len());
    Ok(Output::ok(out))
}

pub fn catalog_frameworks(ctx: &Ctx) -> Result<Output> {
    only(ctx, &[Format::Table, Format::Json], "catalog frameworks")?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let rows: Vec<(&onus_core::model::Framework, usize, usize)> = cat
        .frameworks
        .iter()
        .map(|f| {
            let mapped = cat
                .controls
                .iter()
                .filter(|c| c.frameworks.get(&f.id).is_some_and(|v| !v.is_empty()))
                .count();
            let mut reqs: Vec<&String> = cat
                .controls
                .iter()
                .flat_map(|c| c.frameworks.get(&f.id).into_iter().flatten())
                .collect();
            reqs.sort();
            reqs.dedup();
            (f, mapped, reqs.len())
        })
        .collect();
    if ctx.format == Format::Json {
        return Ok(Output::ok(json::to_string(&json!({
            "schema_version": SCHEMA_VERSION,
            "kind": "frameworks",
            "controls": cat.controls.len(),
            "frameworks": rows.iter().map(|(f, mapped, reqs)| json!({
                "id": f.id, "name": f.name, "url": f.url,
                "controls_mapped": mapped, "requirements": reqs,
            })).collect::<Vec<_>>(),
        }))));
    }
    let idw = rows.iter().map(|(f, _, _)| width(&f.id)).max().unwrap_or(2) + 2;
    let mut out = format!(
        "{}{:<10}{:<14}NAME\n",
        pad("ID", idw),
        "CONTROLS",
        "REQUIREMENTS"
    );
    for (f, mapped, reqs) in &rows {
        let line = format!(
            "{}{:<10}{:<14}{}",
            pad(&f.id, idw),
            format!("{mapped}/{}", cat.controls.len()),
            reqs,
            f.name
        );
        out.push_str(&truncate(&line, ctx.width));
        out.push('\n');
    }
    Ok(Output::ok(out))
}
