//! The human-readable table format: fits the terminal width and reads well in 80 columns.

use crate::text::{pad, width, wrap_indented};
use crate::{cell_mark, requirement_refs, requirement_short, rollup_mark, LEGEND, ROLLUP_LEGEND};
use onus_core::report::MatrixReport;
use onus_core::resolve::WorkloadMatrix;
use onus_core::Owner;
use std::fmt::Write as _;

/// A grid of marks: one row per control, one column per label, and an optional summary column.
pub struct Grid<'a> {
    pub row_header: &'a str,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// marks[row][column]
    pub marks: Vec<Vec<String>>,
    pub summary: Option<(&'a str, Vec<String>)>,
}

impl Grid<'_> {
    /// Render within `total` columns. When the labelled columns do not fit, they are numbered and a key is printed.
    pub fn render(&self, total: usize) -> String {
        let row_w = self
            .rows
            .iter()
            .map(|r| width(r))
            .chain([width(self.row_header)])
            .max()
            .unwrap_or(0)
            + 2;
        let sum_w = self
            .summary
            .as_ref()
            .map(|(h, v)| {
                v.iter()
                    .map(|s| width(s))
                    .chain([width(h)])
                    .max()
                    .unwrap_or(0)
                    + 3
            })
            .unwrap_or(0);
        let named: Vec<usize> = self.columns.iter().map(|c| width(c).max(3) + 1).collect();
        let fits = row_w + named.iter().sum::<usize>() + sum_w <= total;
        let (labels, widths): (Vec<String>, Vec<usize>) = if fits {
            (self.columns.clone(), named)
        } else {
            let labels: Vec<String> = (1..=self.columns.len()).map(|i| i.to_string()).collect();
            let widths = labels.iter().map(|l| width(l).max(3) + 1).collect();
            (labels, widths)
        };
        let mut out = String::new();
        if !fits {
            for (i, c) in self.columns.iter().enumerate() {
                let _ = writeln!(out, "  {:>2}  {c}", i + 1);
            }
            out.push('\n');
        }
        let mut header = pad(self.row_header, row_w);
        for (l, w) in labels.iter().zip(&widths) {
            header.push_str(&pad(l, *w));
        }
        if let Some((h, _)) = &self.summary {
            header.push_str("│ ");
            header.push_str(h);
        }
        out.push_str(header.trim_end());
        out.push('\n');
        for (ri, row) in self.rows.iter().enumerate() {
            let mut line = pad(row, row_w);
            for (ci, w) in widths.iter().enumerate() {
                line.push_str(&pad(
                    self.marks[ri].get(ci).map(String::as_str).unwrap_or(""),
                    *w,
                ));
            }
            if let Some((_, v)) = &self.summary {
                line.push_str("│ ");
                line.push_str(v.get(ri).map(String::as_str).unwrap_or(""));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The roll-up owner label, with `*` when any component's cell was assumed.
pub fn rollup_label(owner: Owner, assumed: bool) -> String {
    let mut s = owner.as_str().to_string();
    if assumed {
        s.push('*');
    }
    s
}

/// Render a matrix report for people.
pub fn matrix(report: &MatrixReport, total: usize) -> String {
    let mut out = String::new();
    for (i, w) in report.workloads.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        workload(&mut out, w, total);
    }
    if report.workloads.is_empty() {
        out.push_str("No workloads.\n");
    }
    out
}

fn workload(out: &mut String, w: &WorkloadMatrix, total: usize) {
    let _ = writeln!(out, "{}  ({}, tier {})", w.name, w.classification, w.tier);
    if !w.templates.is_empty() {
        let mut t = format!("templates {}", w.templates.join(", "));
        if let Some(d) = w.review_cadence_days {
            let _ = write!(t, "; review every {d} days");
        }
        out.push_str(&wrap_indented("  ", &t, total));
    }
    let mut who = format!("team {}", w.team);
    if let Some(oc) = &w.on_call {
        let _ = write!(who, ", on-call {oc}");
    }
    out.push_str(&wrap_indented("  ", &who, total));
    if let Some(d) = &w.description {
        out.push_str(&wrap_indented("  ", d, total));
    }
    out.push('\n');
    for c in &w.components {
        let svc = match &c.variant {
            Some(v) => format!("{}@{v}", c.service),
            None => c.service.clone(),
        };
        out.push_str(&wrap_indented(
            &format!("  {:<14} ", c.name),
            &format!("{svc} ({}, {})", c.service_name, c.model),
            total,
        ));
    }
    out.push('\n');
    let grid = Grid {
        row_header: "CONTROL",
        rows: w.rollup.iter().map(|r| r.control.clone()).collect(),
        columns: w.components.iter().map(|c| c.name.to_string()).collect(),
        marks: (0..w.rollup.len())
            .map(|ri| {
                w.components
                    .iter()
                    .map(|c| cell_mark(&c.cells[ri]))
                    .collect()
            })
            .collect(),
        summary: Some(("WORKLOAD", w.rollup.iter().map(rollup_mark).collect())),
    };
    out.push_str(&grid.render(total));
    out.push_str(&wrap_indented("", LEGEND, total));
    out.push_str(&wrap_indented("", ROLLUP_LEGEND, total));
    out.push('\n');

    let yours: Vec<_> = w
        .rollup
        .iter()
        .enumerate()
        .filter(|(_, r)| r.owner.customer_has_duty())
        .collect();
    let mut states: Vec<(onus_core::resolve::EvidenceState, usize)> = Vec::new();
    for (_, r) in &yours {
        match states.iter_mut().find(|(s, _)| *s == r.evidence_state) {
            Some((_, n)) => *n += 1,
            None => states.push((r.evidence_state, 1)),
        }
    }
    states.sort();
    out.push_str(&wrap_indented(
        "",
        &format!(
            "Your duties: {} of {} controls put work on you (evidence: {})",
            yours.len(),
            w.rollup.len(),
            states
                .iter()
                .map(|(s, n)| format!("{n} {}", s.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        total,
    ));
    for (ri, r) in yours {
        let mut ev = crate::evidence_text(r);
        if !r.required_by.is_empty() {
            let _ = write!(ev, "; required by {}", r.required_by.join(", "));
        }
        out.push_str(&wrap_indented(
            "  ",
            &format!("{} [{}; {}]", r.control, rollup_mark(r), ev),
            total,
        ));
        for q in &r.requirements {
            let refs = requirement_refs(q);
            let head = if refs.is_empty() {
                requirement_short(q)
            } else {
                format!("{} ({refs})", requirement_short(q))
            };
            out.push_str(&wrap_indented("    + ", &head, total));
            out.push_str(&wrap_indented("        ", &q.text, total));
        }
        for f in &r.scanner_findings {
            out.push_str(&wrap_indented(
                "    # ",
                &format!(
                    "{} {} ({}) at {}:{}: {}",
                    f.tool, f.rule, f.level, f.file, f.line, f.message
                ),
                total,
            ));
        }
        for c in &w.components {
            let cell = &c.cells[ri];
            if !cell.owner.customer_has_duty() {
                continue;
            }
            let duty = cell.customer_duty.as_deref().unwrap_or("(no duty stated)");
            out.push_str(&wrap_indented(&format!("    {}: ", c.name), duty, total));
            if let Some(reason) = &cell.override_reason {
                out.push_str(&wrap_indented("      override: ", reason, total));
            }
            for d in &cell.defaults {
                out.push_str(&wrap_indented("      default: ", d, total));
            }
        }
    }
}

/// A matrix grouped by a framework's requirements, for people.
pub fn framework(report: &onus_core::report::FrameworkReport, total: usize) -> String {
    let mut out = String::new();
    for (i, w) in report.workloads.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{} — {}", w.name, report.framework.name);
        let rw = w
            .requirements
            .iter()
            .map(|r| width(&r.requirement))
            .max()
            .unwrap_or(0)
            .max(11)
            + 2;
        let _ = writeln!(out, "{}{:<11}CONTROLS", pad("REQUIREMENT", rw), "OWNER");
        for r in &w.requirements {
            let controls: Vec<String> = r
                .controls
                .iter()
                .map(|c| format!("{} {}", c.control, crate::owner_letter(c.owner)))
                .collect();
            let prefix = format!(
                "{}{:<11}",
                pad(&r.requirement, rw),
                rollup_label(r.owner, r.assumed)
            );
            out.push_str(&wrap_indented(&prefix, &controls.join(", "), total));
            for q in &r.template_requirements {
                let _ = writeln!(out, "{}+ {}", " ".repeat(rw), requirement_short(q));
                out.push_str(&wrap_indented(&" ".repeat(rw + 4), &q.text, total));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_numbers_columns_when_they_do_not_fit() {
        let g = Grid {
            row_header: "CONTROL",
            rows: vec!["a.b".into()],
            columns: vec![
                "a-very-long-component-name".into(),
                "another-long-component-name".into(),
            ],
            marks: vec![vec!["P".into(), "C".into()]],
            summary: Some(("WORKLOAD", vec!["customer".into()])),
        };
        let wide = g.render(200);
        assert!(wide.contains("a-very-long-component-name another-long-component-name"));
        let narrow = g.render(40);
        assert!(narrow.contains("   1  a-very-long-component-name"));
        assert!(narrow.lines().all(|l| width(l) <= 40), "{narrow}");
    }
}
