//! Markdown: a document a team can commit or paste into a wiki; the same cells as every other format.

use crate::{
    cell_mark, evidence_text, requirement_refs, requirement_short, rollup_mark,
    table::rollup_label, LEGEND, ROLLUP_LEGEND,
};
use onus_core::report::MatrixReport;
use std::fmt::Write as _;

/// Escape text for a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

pub fn matrix(report: &MatrixReport) -> String {
    let mut out = String::from("# Responsibility matrix\n");
    for w in &report.workloads {
        let _ = writeln!(out, "\n## {}\n", cell(&w.name));
        let _ = writeln!(
            out,
            "- Classification: {}; risk tier {}",
            w.classification, w.tier
        );
        let _ = writeln!(
            out,
            "- Team: {}{}",
            cell(&w.team),
            w.on_call
                .as_ref()
                .map(|o| format!("; on-call {}", cell(o)))
                .unwrap_or_default()
        );
        if let Some(d) = &w.description {
            let _ = writeln!(out, "- {}", cell(d));
        }
        if !w.templates.is_empty() {
            let _ = writeln!(
                out,
                "- Templates: {}{}",
                w.templates.join(", "),
                w.review_cadence_days
                    .map(|d| format!("; review every {d} days"))
                    .unwrap_or_default()
            );
        }
        out.push_str("\n| Control |");
        for c in &w.components {
            let _ = write!(out, " {} |", cell(&c.name));
        }
        out.push_str(" Workload | Evidence |\n|---|");
        for _ in &w.components {
            out.push_str(":-:|");
        }
        out.push_str("---|---|\n");
        for (ri, r) in w.rollup.iter().enumerate() {
            let _ = write!(out, "| `{}` |", r.control);
            for c in &w.components {
                let _ = write!(out, " {} |", cell_mark(&c.cells[ri]));
            }
            let _ = writeln!(out, " {} | {} |", rollup_mark(r), cell(&evidence_text(r)));
        }
        let _ = writeln!(out, "\n{LEGEND}\n\n{ROLLUP_LEGEND}");
        if w.rollup.iter().any(|r| !r.requirements.is_empty()) {
            out.push_str("\n### Raised by templates\n\n| Control | Owner | Requirement | What to do | Frameworks |\n|---|---|---|---|---|\n");
            for r in &w.rollup {
                for q in &r.requirements {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} | {} |",
                        r.control,
                        rollup_mark(r),
                        cell(&requirement_short(q)),
                        cell(&q.text),
                        cell(&requirement_refs(q))
                    );
                }
            }
        }
        for c in &w.components {
            let svc = match &c.variant {
                Some(v) => format!("{}@{v}", c.service),
                None => c.service.clone(),
            };
            let _ = writeln!(
                out,
                "\n### {} — `{svc}` ({}, {})\n",
                cell(&c.name),
                cell(&c.service_name),
                c.model
            );
            out.push_str("| Control | Owner | Basis | Provider duty | Your duty | Defaults to watch | Evidence | Sources |\n");
            out.push_str("|---|---|---|---|---|---|---|---|\n");
            for (ri, cl) in c.cells.iter().enumerate() {
                let mut your = cl.customer_duty.clone().unwrap_or_default();
                if let Some(r) = &cl.override_reason {
                    let _ = write!(your, " (override: {r})");
                }
                let sources: Vec<String> = cl
                    .sources
                    .iter()
                    .map(|s| format!("[{}]({})", cell(&s.title), s.url))
                    .collect();
                let evidence: Vec<String> = w.rollup[ri]
                    .evidence
                    .iter()
                    .map(|e| format!("<{}>", e.link))
                    .collect();
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
                    cl.control,
                    cl.owner.as_str(),
                    cl.basis.as_str(),
                    cell(cl.provider_duty.as_deref().unwrap_or("")),
                    cell(your.trim()),
                    cell(&cl.defaults.join(" ")),
                    evidence.join(" "),
                    sources.join(" "),
                );
            }
        }
    }
    out
}

pub fn framework(report: &onus_core::report::FrameworkReport) -> String {
    let mut out = format!("# {}\n", cell(&report.framework.name));
    for w in &report.workloads {
        let _ = writeln!(out, "\n## {}\n", cell(&w.name));
        out.push_str("| Requirement | Owner | Controls |\n|---|---|---|\n");
        for r in &w.requirements {
            let controls: Vec<String> = r
                .controls
                .iter()
                .map(|c| format!("`{}` {}", c.control, c.owner.as_str()))
                .collect();
            let mut controls = controls.join(", ");
            for q in &r.template_requirements {
                let _ = write!(
                    controls,
                    "<br>+ {}: {}",
                    requirement_short(q),
                    cell(&q.text)
                );
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&r.requirement),
                rollup_label(r.owner, r.assumed),
                controls
            );
        }
    }
    out
}
