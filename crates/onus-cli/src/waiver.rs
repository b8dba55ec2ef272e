//! `onus waiver grant | revoke | list`: waivers in `.onus/waivers.yaml`, each grant and revocation recorded in the
//! ledger. The file stays the user's: a grant appends a block to its `waivers:` list, a revocation removes exactly
//! that item's lines, and either is undone if the result no longer loads.

use crate::commands::{Ctx, Failure, Output, Result};
use crate::governance;
use crate::load;
use onus_core::diag::Code;
use onus_core::model::Waiver;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum WaiverCommand {
    /// Accept a risk until a date: a check (or every check of a control) on some resources.
    Grant {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// A check id; give this or --control.
        #[arg(long)]
        check: Option<String>,
        /// A control id: every check of that control.
        #[arg(long)]
        control: Option<String>,
        /// A resource address or pattern (`*` matches any run of characters); repeatable; every resource if absent.
        #[arg(long = "resource")]
        resources: Vec<String>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        approver: String,
        /// The last day the waiver applies (YYYY-MM-DD).
        #[arg(long)]
        expires: String,
    },
    /// Remove a waiver from `.onus/waivers.yaml` (by its number in `onus waiver list`).
    Revoke {
        /// The waiver's number in `onus waiver list`.
        number: usize,
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Who revokes it (recorded in the ledger).
        #[arg(long)]
        by: String,
    },
    /// The waivers in `.onus/waivers.yaml`, numbered, with their state.
    List {
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

fn file_of(path: &Path) -> PathBuf {
    governance::project_root(path).join(".onus/waivers.yaml")
}

fn load_waivers(ctx: &Ctx, file: &Path) -> Result<(String, Vec<Waiver>, onus_core::yaml::Spans)> {
    if !file.exists() {
        return Ok((String::new(), Vec::new(), onus_core::yaml::Spans::default()));
    }
    let text = load::read(file)?.text;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let shown = load::display(file);
    let (_, waivers, diags) =
        onus_core::manifest::load_with_waivers(&cat, &[onus_core::SourceFile::new(&shown, &text)]);
    let errors: Vec<_> = diags.into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        return Err(Failure::Input(load::InputError(errors)));
    }
    let (doc, _) = onus_core::yaml::parse_one(&shown, &text);
    let spans = doc.map(|d| d.spans).unwrap_or_default();
    Ok((text, waivers.into_iter().map(|(_, w)| w).collect(), spans))
}

fn write(file: &Path, text: &str) -> Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::Input(load::InputError::one(
                Code::IoError,
                &load::display(dir),
                e.to_string(),
                None,
            ))
        })?;
    }
    std::fs::write(file, text).map_err(|e| {
        Failure::Input(load::InputError::one(
            Code::IoError,
            &load::display(file),
            e.to_string(),
            None,
        ))
    })
}

/// YAML for a scalar: quoted, with JSON's escapes (a JSON string is a YAML double-quoted string).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

pub fn run(ctx: &Ctx, cmd: &WaiverCommand, ledger: Option<&Path>) -> Result<Output> {
    match cmd {
        WaiverCommand::List { path } => {
            let file = file_of(path);
            let (_, waivers, _) = load_waivers(ctx, &file)?;
            let today = crate::clock::today();
            let mut o = String::new();
            for (i, w) in waivers.iter().enumerate() {
                let what = w
                    .check
                    .clone()
                    .or_else(|| w.control.clone().map(|c| format!("control {c}")))
                    .unwrap_or_default();
                let state = if w.expires.as_str() < today.as_str() {
                    "expired"
                } else {
                    "active"
                };
                let _ = writeln!(
                    o,
                    "{:>3}  {state:<8} {what} until {} (approved by {}){}: {}",
                    i + 1,
                    w.expires,
                    w.approver,
                    if w.resources.is_empty() {
                        String::new()
                    } else {
                        format!(" on {}", w.resources.join(", "))
                    },
                    w.reason
                );
            }
            if waivers.is_empty() {
                let _ = writeln!(o, "no waivers in {}", load::display(&file));
            }
            Ok(Output::ok(o))
        }
        WaiverCommand::Grant {
            path,
            check,
            control,
            resources,
            reason,
            approver,
            expires,
        } => {
            if check.is_some() == control.is_some() {
                return Err(Failure::Usage(
                    "give exactly one of --check and --control".into(),
                ));
            }
            if !onus_core::catalog::valid_date(expires) {
                return Err(Failure::Usage(format!(
                    "--expires `{expires}` is not a date (YYYY-MM-DD)"
                )));
            }
            if expires.as_str() < crate::clock::today().as_str() {
                return Err(Failure::Usage(format!(
                    "--expires {expires} is already past"
                )));
            }
            if reason.trim().is_empty() || approver.trim().is_empty() {
                return Err(Failure::Usage("--reason and --approver need values".into()));
            }
            let cat = load::catalog(&ctx.catalog_dirs)?;
            if let Some(c) = control {
                cat.find_control(c)?;
            }
            if let Some(c) = check {
                let rules = crate::rules::load_rules(&cat, &[])?;
                if !c.starts_with("rego:") && !rules.iter().any(|r| &r.id == c) {
                    let hint = onus_core::diag::suggest(c, rules.iter().map(|r| r.id.as_str()))
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(Failure::Usage(format!("unknown check `{c}`{hint}")));
                }
            }
            let file = file_of(path);
            let (old, before, _) = load_waivers(ctx, &file)?;
            let mut text = old.clone();
            if text.trim().is_empty() {
                text = "# Waivers: accepted risks with an approver and an expiry. `onus waiver grant` appends here.\nwaivers:\n".into();
            } else if !text.ends_with('\n') {
                text.push('\n');
            }
            let mut block = String::new();
            match (check, control) {
                (Some(c), _) => {
                    let _ = writeln!(block, "  - check: {}", q(c));
                }
                (_, Some(c)) => {
                    let _ = writeln!(block, "  - control: {}", q(c));
                }
                _ => {}
            }
            if !resources.is_empty() {
                let _ = writeln!(
                    block,
                    "    resources: [{}]",
                    resources
                        .iter()
                        .map(|r| q(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let _ = writeln!(block, "    reason: {}", q(reason.trim()));
            let _ = writeln!(block, "    approver: {}", q(approver.trim()));
            let _ = writeln!(block, "    expires: {expires}");
            text.push_str(&block);
            write(&file, &text)?;
            // The new text must load, with exactly one more waiver; otherwise put the user's file back.
            match load_waivers(ctx, &file) {
                Ok((_, after, _)) if after.len() == before.len() + 1 => {}
                other => {
                    write(&file, &old)?;
                    let why = match other {
                        Err(Failure::Input(e)) => {
                            e.0.iter()
                                .map(|d| d.to_string())
                                .collect::<Vec<_>>()
                                .join("; ")
                        }
                        _ => {
                            "the file's `waivers:` list is not the last block in block style".into()
                        }
                    };
                    return Err(Failure::Usage(format!(
                        "could not append to {} ({why}); add the waiver by hand — the file was left as it was",
                        load::display(&file)
                    )));
                }
            }
            let lp = governance::ledger_path(&governance::project_root(path), ledger);
            let e = governance::open(&lp)?
                .append(onus_ledger::Draft {
                    at: crate::clock::now(),
                    kind: "waiver-granted".into(),
                    actor: approver.trim().to_string(),
                    workload: None,
                    data: json!({"check": check, "control": control, "resources": resources, "reason": reason.trim(), "expires": expires, "file": load::display(&file)}),
                })
                .map_err(|e| Failure::Usage(e.to_string()))?;
            Ok(Output::ok(format!(
                "waiver {} added to {}; ledger entry {}\n",
                before.len() + 1,
                load::display(&file),
                e.seq
            )))
        }
        WaiverCommand::Revoke { path, number, by } => {
            let file = file_of(path);
            let (old, waivers, spans) = load_waivers(ctx, &file)?;
            if *number == 0 || *number > waivers.len() {
                return Err(Failure::Usage(format!(
                    "no waiver {number} in {} (it has {}); see `onus waiver list`",
                    load::display(&file),
                    waivers.len()
                )));
            }
            let i = number - 1;
            let lines: Vec<&str> = old.split_inclusive('\n').collect();
            let start = spans.value(&format!("/waivers/{i}")).line as usize;
            let indent = lines
                .get(start.saturating_sub(1))
                .map(|l| l.len() - l.trim_start().len())
                .unwrap_or(0);
            // The item ends where the next item starts, or at the first line indented no deeper than its dash
            // that is not blank or a comment.
            let end = if i + 1 < waivers.len() {
                spans.value(&format!("/waivers/{}", i + 1)).line as usize - 1
            } else {
                (start..lines.len())
                    .find(|&n| {
                        let l = lines[n];
                        let t = l.trim_start();
                        !t.is_empty() && !t.starts_with('#') && l.len() - t.len() < indent
                    })
                    .unwrap_or(lines.len())
            };
            let mut text: String = lines[..start - 1].concat();
            text.push_str(&lines[end.min(lines.len())..].concat());
            write(&file, &text)?;
            match load_waivers(ctx, &file) {
                Ok((_, after, _)) if after.len() + 1 == waivers.len() => {}
                _ => {
                    write(&file, &old)?;
                    return Err(Failure::Usage(format!(
                        "could not remove waiver {number} from {} cleanly; edit it by hand — the file was left as it was",
                        load::display(&file)
                    )));
                }
            }
            let w = &waivers[i];
            let lp = governance::ledger_path(&governance::project_root(path), ledger);
            let e = governance::open(&lp)?
                .append(onus_ledger::Draft {
                    at: crate::clock::now(),
                    kind: "waiver-revoked".into(),
                    actor: by.clone(),
                    workload: None,
                    data: json!({"check": w.check, "control": w.control, "resources": w.resources, "reason": w.reason, "approver": w.approver, "expires": w.expires}),
                })
                .map_err(|e| Failure::Usage(e.to_string()))?;
            Ok(Output::ok(format!(
                "waiver {number} removed from {}; ledger entry {}\n",
                load::display(&file),
                e.seq
            )))
        }
    }
}
