//! `onus rules`: the checks onus runs during `onus scan`, their documentation, and `onus rules lint` for check files.

use crate::commands::{Ctx, Failure, Output, Result};
use crate::load;
use onus_checks::Outcome;
use onus_core::catalog::SourceFile;
use onus_core::model::RuleFile;
use onus_core::Diagnostic;
use onus_render::text::wrap_indented;
use onus_render::Format;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The bundled checks, then those of each `--rules DIR`; a check with the same id as a bundled one replaces it.
pub fn load_rules(
    cat: &onus_core::Catalog,
    extra: &[PathBuf],
) -> std::result::Result<Vec<RuleFile>, Failure> {
    let mut files: Vec<SourceFile> = onus_catalog_data::rules()
        .iter()
        .map(|(p, t)| SourceFile::new(format!("<bundled>/rules/{p}"), *t))
        .collect();
    let (mut rules, diags) = onus_checks::load(cat, &files);
    // A bundled check whose control an organization's catalog (`--catalog`) does not have cannot evidence
    // anything there: it is left out rather than failing the run. Every other problem is ours, and fatal.
    let errors: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| d.is_error() && d.code != onus_core::diag::Code::UnknownControl)
        .collect();
    if !errors.is_empty() {
        return Err(Failure::Input(load::InputError(errors)));
    }
    rules.retain(|r| cat.control(&r.control).is_some());
    files.clear();
    for dir in extra {
        files.extend(load::read_yaml_files(dir)?);
    }
    if !files.is_empty() {
        let (own, diags) = onus_checks::load(cat, &files);
        let errors: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
        if !errors.is_empty() {
            return Err(Failure::Input(load::InputError(errors)));
        }
        rules.retain(|r| !own.iter().any(|o| o.id == r.id));
        rules.extend(own);
        rules.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Ok(rules)
}

pub fn list(ctx: &Ctx, id: Option<&str>) -> Result<Output> {
    crate::commands::only(
        ctx,
        &[Format::Table, Format::Markdown, Format::Json],
        "rules",
    )?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let rules = load_rules(&cat, &[])?;
    if let Some(id) = id {
        let Some(r) = rules.iter().find(|r| r.id == id) else {
            let hint = onus_core::diag::suggest(id, rules.iter().map(|r| r.id.as_str()))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| "run `onus rules` for the list".into());
            return Err(Failure::Usage(format!("unknown check `{id}`; {hint}")));
        };
        return Ok(Output::ok(match ctx.format {
            Format::Json => onus_render::json::to_string(r),
            _ => onus_checks::markdown(r),
        }));
    }
    if ctx.format == Format::Json {
        return Ok(Output::ok(onus_render::json::to_string(
            &serde_json::json!({
                "schema_version": onus_core::report::SCHEMA_VERSION,
                "kind": "rules",
                "rules": rules,
            }),
        )));
    }
    let mut out = String::new();
    let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(10) + 2;
    for r in &rules {
        let head = format!("{:<w$}{:<9}{:<32}", r.id, r.severity.as_str(), r.control);
        out.push_str(&onus_render::text::truncate(
            &format!("{head}{}", r.title),
            ctx.width,
        ));
        out.push('\n');
    }
    let _ = writeln!(out, "{} checks; `onus rules ID` documents one", rules.len());
    Ok(Output::ok(out))
}

/// `onus rules lint [DIR]`: load check files and run each on its own fixtures.
pub fn lint(ctx: &Ctx, path: Option<&Path>) -> Result<Output> {
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let files: Vec<SourceFile> = match path {
        Some(p) => load::read_yaml_files(p)?,
        None => onus_catalog_data::rules()
            .iter()
            .map(|(p, t)| SourceFile::new(format!("<bundled>/rules/{p}"), *t))
            .collect(),
    };
    let (rules, diags) = onus_checks::load(&cat, &files);
    let mut out = String::new();
    for d in &diags {
        let _ = writeln!(out, "{d}");
    }
    let mut bad = diags.iter().filter(|d| d.is_error()).count();
    for r in &rules {
        let (fail, pass) = onus_checks::run_fixtures(r);
        if fail != Some(Outcome::Fail) || pass != Some(Outcome::Pass) {
            bad += 1;
            let show = |o: Option<Outcome>| {
                o.map(Outcome::as_str)
                    .unwrap_or("no matching resource (or a parse error)")
            };
            out.push_str(&wrap_indented(
                "",
                &format!(
                    "{}: the fail fixture gives {}, the pass fixture gives {}",
                    r.id,
                    show(fail),
                    show(pass)
                ),
                ctx.width,
            ));
        }
    }
    let _ = writeln!(out, "{} check(s): {bad} problem(s)", rules.len());
    Ok(Output {
        stdout: out,
        stderr: String::new(),
        code: if bad > 0 { 2 } else { 0 },
    })
}
