//! `onus check`: the CI gate. One pass over the project gathers every reason the responsibility map is not in
//! order — cells a template requires that have no evidence, failing checks without a waiver, drift, reviews due or
//! overdue, expired waivers and attestations — and renders them for people (table), machines (json), code-scanning
//! (sarif), CI test reports (junit) or GitHub Actions annotations (github).

use crate::commands::{Ctx, Output, Result};
use crate::governance::{self, ReviewState};
use onus_core::resolve::EvidenceState;
use onus_discover::bind::FindingCode;
use onus_render::text::wrap_indented;
use onus_render::Format;
use serde::Serialize;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The project folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The lowest level that fails the gate (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Skip files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also run the checks in this folder of check files (repeatable).
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub policy: crate::scan::PolicyArgs,
    /// Ignore `# onus:waive` comments in infrastructure files.
    #[arg(long)]
    pub no_inline_waivers: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum FailOn {
    /// Errors and warnings fail.
    Warning,
    /// Errors fail (failing checks, missing evidence, undeclared services, unowned resources, overdue reviews,
    /// expired waivers).
    Error,
    /// Report only; exit 0 unless the input is bad.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One reason the gate is not green.
#[derive(Debug, Clone, Serialize)]
pub struct GateFinding {
    /// `failed-check`, `missing-evidence`, a drift code, `review-overdue`, `review-due`, `expired-waiver`,
    /// `expired-attestation`, `unknown-check`, `policy-warning`.
    pub code: String,
    pub level: Level,
    /// The check id for `failed-check`, `unknown-check` and `policy-warning`; otherwise the code.
    pub rule: String,
    pub message: String,
    pub help: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub workload: Option<String>,
    pub control: Option<String>,
}

impl GateFinding {
    /// A finding about a workload as a whole, pointed at the top of its manifest file; its rule is its code.
    fn on_workload(
        code: &str,
        level: Level,
        message: String,
        help: String,
        file: &str,
        workload: &str,
        control: Option<String>,
    ) -> Self {
        GateFinding {
            code: code.into(),
            level,
            rule: code.into(),
            message,
            help,
            file: tidy(file),
            line: 1,
            col: 1,
            workload: Some(workload.to_string()),
            control,
        }
    }
}

pub fn run(ctx: &Ctx, args: &CheckArgs, ledger: Option<&Path>) -> Result<Output> {
    crate::commands::only(
        ctx,
        &[
            Format::Table,
            Format::Json,
            Format::Sarif,
            Format::Junit,
            Format::Github,
        ],
        "check",
    )?;
    let scan = crate::incident::ScanOptions {
        rules: &args.rules,
        exclude: &args.exclude,
        policy: Some(&args.policy),
        no_inline_waivers: args.no_inline_waivers,
    };
    let (p, ev, entries, rules) = crate::incident::evidenced_with(ctx, &args.path, ledger, &scan)?;
    let mut out: Vec<GateFinding> = Vec::new();

    // Failing and unknown checks.
    let title = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| (r.title.clone(), r.remediation.trim().to_string()))
    };
    let workload_of = {
        let owner = onus_discover::bind::PathOwner::new(&ev.workloads);
        move |file: &str| owner.find(file).map(|i| ev.workloads[i].name.clone())
    };
    for c in &ev.checks {
        let (level, code) = match (c.outcome, &c.waived) {
            (onus_checks::Outcome::Fail, None) => (Level::Error, "failed-check"),
            (onus_checks::Outcome::Unknown, _) => (Level::Warning, "unknown-check"),
            (onus_checks::Outcome::Warn, _) => (Level::Warning, "policy-warning"),
            _ => continue,
        };
        let (t, fix) = title(&c.rule).unwrap_or_else(|| (c.rule.clone(), String::new()));
        out.push(GateFinding {
            code: code.into(),
            level,
            rule: c.rule.clone(),
            message: format!("{} {}: {t} ({})", c.resource_type, c.resource, c.message),
            help: fix,
            file: c.file.clone(),
            line: c.line,
            col: c.col,
            workload: workload_of(&c.file),
            control: Some(c.control.clone()),
        });
    }

    // Missing evidence where a template requires it.
    for (m, lw) in p.matrices.iter().zip(&p.loaded) {
        for c in &m.rollup {
            if c.evidence_state == EvidenceState::Missing && !c.required_by.is_empty() {
                out.push(GateFinding::on_workload(
                    "missing-evidence",
                    Level::Error,
                    format!(
                        "{}: {} is {} and required by {}, but nothing shows your side is done",
                        m.name,
                        c.control,
                        c.owner.as_str(),
                        c.required_by.join(", ")
                    ),
                    format!(
                        "add a check that covers it, import a scanner's results (`onus evidence import`), or attest it: `onus evidence attest --workload {} --control {} --by NAME --link URL`",
                        m.name, c.control
                    ),
                    &lw.file,
                    &m.name,
                    Some(c.control.clone()),
                ));
            }
        }
    }

    // Drift.
    for f in &ev.report.findings {
        let level = match f.code {
            FindingCode::UndeclaredService | FindingCode::UnownedResource => Level::Error,
            _ => Level::Warning,
        };
        out.push(GateFinding {
            code: f.code.as_str().into(),
            level,
            rule: f.code.as_str().into(),
            message: f.message.clone(),
            help: f.help.clone(),
            file: f.file.clone(),
            line: f.line,
            col: f.col,
            workload: f.workload.clone(),
            control: None,
        });
    }

    // Waivers that expired or are malformed.
    for pr in &ev.waiver_problems {
        let (file, line) = match pr.source.rsplit_once(':') {
            Some((f, l)) if l.bytes().all(|b| b.is_ascii_digit()) => {
                (f.to_string(), l.parse().unwrap_or(1))
            }
            _ => (pr.source.clone(), 1),
        };
        out.push(GateFinding {
            code: "expired-waiver".into(),
            level: Level::Error,
            rule: "expired-waiver".into(),
            message: pr.message.clone(),
            help: "renew the waiver with a new expiry and approver, or fix what it covered".into(),
            workload: workload_of(&file),
            file,
            line,
            col: 1,
            control: None,
        });
    }

    // Reviews (expired attestations are among their reasons).
    let problems = governance::waiver_problems_by_workload(&p, &ev.waiver_problems);
    let states = governance::review_states(&p, &entries, &ev.report.findings, &problems);
    for s in &states {
        for r in &s.reasons {
            // Drift and waivers are reported above in their own right.
            if r.text.contains("undeclared service") || r.text.contains("waiver") {
                continue;
            }
            let (code, level) = if r.text.contains("attestation") {
                ("expired-attestation", Level::Warning)
            } else if r.state == ReviewState::Overdue {
                ("review-overdue", Level::Error)
            } else {
                ("review-due", Level::Warning)
            };
            out.push(GateFinding::on_workload(
                code,
                level,
                format!("{}: {}", s.workload, r.text),
                format!(
                    "review the matrix (`onus matrix --workload {}`) and record it: `onus review record --workload {} --reviewer NAME`",
                    s.workload, s.workload
                ),
                &s.file,
                &s.workload,
                None,
            ));
        }
    }

    out.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.message.cmp(&b.message))
    });
    let worst = out.iter().map(|f| f.level).max();
    let failing = match args.fail_on {
        FailOn::Never => false,
        FailOn::Error => worst == Some(Level::Error),
        FailOn::Warning => worst.is_some(),
    };
    let stdout = match ctx.format {
        Format::Json => crate::commands::document(
            "check",
            json!({
                "passed": !failing,
                "errors": out.iter().filter(|f| f.level == Level::Error).count(),
                "warnings": out.iter().filter(|f| f.level == Level::Warning).count(),
                "findings": out,
                "reviews": states,
            }),
        ),
        Format::Sarif => sarif(&out),
        Format::Junit => junit(&out),
        Format::Github => github(&out),
        _ => table(&out, failing, ctx.width),
    };
    let mut stderr = String::new();
    for d in ev.diags.iter().filter(|d| d.is_error()) {
        let _ = writeln!(stderr, "{d}");
    }
    let code = if ev.diags.iter().any(|d| d.is_error()) {
        2
    } else {
        u8::from(failing)
    };
    Ok(Output {
        stdout,
        stderr,
        code,
    })
}

/// A manifest path as the user would write it: without a leading `./`.
fn tidy(path: &str) -> String {
    path.strip_prefix("./").unwrap_or(path).to_string()
}

fn table(findings: &[GateFinding], failing: bool, width: usize) -> String {
    let mut out = String::new();
    let mut last = "";
    for f in findings {
        if f.code != last {
            let n = findings.iter().filter(|x| x.code == f.code).count();
            let _ = writeln!(out, "\n{} ({n}, {})", f.code, f.level.as_str());
            last = &f.code;
        }
        let loc = if f.line > 0 {
            format!("{}:{}", f.file, f.line)
        } else {
            f.file.clone()
        };
        out.push_str(&wrap_indented(
            "  ",
            &format!("{loc}  {}", f.message),
            width,
        ));
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.len() - errors;
    let _ = writeln!(
        out,
        "\n{}: {errors} error(s), {warnings} warning(s)",
        if failing {
            "check failed"
        } else {
            "check passed"
        }
    );
    out.trim_start().to_string()
}

/// GitHub Actions workflow commands: one annotation per finding, with the file and line where there is one.
fn github(findings: &[GateFinding]) -> String {
    // Workflow-command values escape %, CR and LF; property values also `:` and `,`.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for f in findings {
        let mut props = vec![format!("title={}", prop(&format!("onus {}", f.rule)))];
        if !f.file.is_empty() {
            props.insert(0, format!("file={}", prop(&f.file)));
            if f.line > 0 {
                props.insert(1, format!("line={}", f.line));
                props.insert(2, format!("col={}", f.col.max(1)));
            }
        }
        let _ = writeln!(
            out,
            "::{} {}::{}",
            f.level.as_str(),
            props.join(","),
            data(&format!("{} — {}", f.message, f.help))
        );
    }
    out
}

fn sarif(findings: &[GateFinding]) -> String {
    let mut rules: Vec<String> = findings.iter().map(|f| f.rule.clone()).collect();
    rules.sort();
    rules.dedup();
    let descriptors: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let f = findings
                .iter()
                .find(|f| &f.rule == r)
                .expect("a finding per rule");
            json!({
                "id": r,
                "name": r,
                "shortDescription": {"text": format!("onus {}", f.code)},
                "help": {"text": f.help},
                "defaultConfiguration": {"level": f.level.as_str()},
                "properties": {"tags": [f.code]},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut region = json!({});
            if f.line > 0 {
                region = json!({"startLine": f.line, "startColumn": f.col.max(1)});
            }
            let fingerprint = onus_ledger::digest(&json!([
                f.code, f.rule, f.file, f.workload, f.control, f.message
            ]));
            let mut r = json!({
                "ruleId": f.rule,
                "ruleIndex": rules.iter().position(|x| x == &f.rule).unwrap_or(0),
                "level": f.level.as_str(),
                "message": {"text": f.message},
                "partialFingerprints": {"onusFinding/v1": &fingerprint[..32]},
                "properties": {"code": f.code, "workload": f.workload, "control": f.control},
            });
            if !f.file.is_empty() {
                let mut phys = json!({"artifactLocation": {"uri": f.file}});
                if f.line > 0 {
                    phys["region"] = region;
                }
                r["locations"] = json!([{"physicalLocation": phys}]);
            }
            r
        })
        .collect();
    onus_render::json::to_string(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "onus",
                "informationUri": "https://github.com/onus-dev/onus",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }},
            "results": results,
        }],
    }))
}

fn junit(findings: &[GateFinding]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.dedup();
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"onus check\" tests=\"{}\" failures=\"{errors}\">\n",
        findings.len().max(1)
    );
    if findings.is_empty() {
        out.push_str("  <testsuite name=\"onus check\" tests=\"1\" failures=\"0\">\n    <testcase classname=\"onus\" name=\"responsibility map in order\"/>\n  </testsuite>\n");
    }
    let mut seen = std::collections::BTreeSet::new();
    for code in codes {
        if !seen.insert(code) {
            continue;
        }
        let group: Vec<&GateFinding> = findings.iter().filter(|f| f.code == code).collect();
        let fails = group.iter().filter(|f| f.level == Level::Error).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">",
            esc(code),
            group.len()
        );
        for f in group {
            let name = format!("{} {}:{}", f.rule, f.file, f.line);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
                esc(code),
                esc(&name),
                esc(&f.file)
            );
            if f.level == Level::Error {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    esc(&f.message),
                    esc(code),
                    esc(&f.help)
                );
            } else {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    esc(&format!("warning: {}", f.message))
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
