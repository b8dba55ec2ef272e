//! CSV: one row per cell, safe to open in a spreadsheet (formula-looking cells are neutralised).

use onus_core::report::MatrixReport;

/// Quote one field (RFC 4180) and neutralise spreadsheet formulas: a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return gets a leading apostrophe (OWASP's guidance on CSV injection).
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub const HEADER: &[&str] = &[
    "workload",
    "component",
    "service",
    "variant",
    "control",
    "owner",
    "basis",
    "provider_duty",
    "customer_duty",
    "defaults",
    "override_reason",
    "evidence",
    "sources",
    "workload_owner",
    "template_requirements",
    "evidence_state",
];

fn template_requirements(list: &[onus_core::resolve::AppliedRequirement]) -> String {
    list.iter()
        .map(crate::requirement_short)
        .collect::<Vec<_>>()
        .join(" | ")
}

pub fn matrix(report: &MatrixReport) -> String {
    let mut out = HEADER.join(",");
    out.push_str("\r\n");
    for w in &report.workloads {
        for c in &w.components {
            for (ri, cl) in c.cells.iter().enumerate() {
                let row = [
                    w.name.as_str(),
                    &c.name,
                    c.service.as_str(),
                    c.variant.as_deref().unwrap_or(""),
                    cl.control.as_str(),
                    cl.owner.as_str(),
                    cl.basis.as_str(),
                    cl.provider_duty.as_deref().unwrap_or(""),
                    cl.customer_duty.as_deref().unwrap_or(""),
                    &cl.defaults.join(" | "),
                    cl.override_reason.as_deref().unwrap_or(""),
                    &w.rollup[ri]
                        .evidence
                        .iter()
                        .map(|e| e.link.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    &cl.sources
                        .iter()
                        .map(|s| s.url.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    &crate::rollup_mark(&w.rollup[ri]),
                    &template_requirements(&w.rollup[ri].requirements),
                    w.rollup[ri].evidence_state.as_str(),
                ];
                out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
                out.push_str("\r\n");
            }
        }
    }
    out
}

pub fn framework(report: &onus_core::report::FrameworkReport) -> String {
    let mut out = String::from("workload,framework,requirement,requirement_owner,control,control_owner,assumed,evidence,template_requirements\r\n");
    for w in &report.workloads {
        for r in &w.requirements {
            let templates = template_requirements(&r.template_requirements);
            let none = onus_core::report::RequirementControl {
                control: String::new(),
                owner: r.owner,
                assumed: false,
                evidence: 0,
                raised_from: None,
            };
            let controls: Vec<&onus_core::report::RequirementControl> = if r.controls.is_empty() {
                vec![&none]
            } else {
                r.controls.iter().collect()
            };
            for c in controls {
                let row = [
                    w.name.as_str(),
                    report.framework.id.as_str(),
                    r.requirement.as_str(),
                    r.owner.as_str(),
                    c.control.as_str(),
                    if c.control.is_empty() {
                        ""
                    } else {
                        c.owner.as_str()
                    },
                    if c.assumed { "true" } else { "false" },
                    &c.evidence.to_string(),
                    &templates,
                ];
                out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
                out.push_str("\r\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn formulas_are_neutralised_and_quotes_escaped() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("plain"), "plain");
    }
}
