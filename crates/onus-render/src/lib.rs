//! Renderers: one file per output format, each turning the core's data into text. No I/O here: every function
//! returns a `String` for the CLI to print.

pub mod csv;
pub mod json;
pub mod markdown;
pub mod table;
pub mod text;

use onus_core::resolve::{AppliedRequirement, Basis, Cell, RollupCell};
use onus_core::Owner;

/// The output formats a command can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Csv,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards (`onus scan`).
    Sarif,
    /// JUnit XML, for CI test reports (`onus scan`).
    Junit,
    /// GitHub Actions workflow commands, one annotation per finding (`onus check`).
    Github,
}

/// A one-letter code for an owner, as in the matrix grid.
pub fn owner_letter(o: Owner) -> char {
    match o {
        Owner::Provider => 'P',
        Owner::Customer => 'C',
        Owner::Shared => 'S',
        Owner::NotApplicable => '-',
    }
}

/// A cell's grid mark: owner letter plus a marker for how it was resolved.
pub fn cell_mark(c: &Cell) -> String {
    let mut s = owner_letter(c.owner).to_string();
    match c.basis {
        Basis::Catalog => {}
        Basis::ServiceModel => s.push('~'),
        Basis::Override => s.push('!'),
        Basis::Assumed => s.push('*'),
    }
    s
}

pub const LEGEND: &str =
    "P provider · C customer · S shared · - not applicable · ~ model default · ! override · * assumed (not confirmed by the provider: verify)";

/// A workload roll-up label: the owner, `*` when any component's cell was assumed, `+` when a template raises the
/// bar on the control, `^` when that made a provider-owned control shared.
pub fn rollup_mark(r: &RollupCell) -> String {
    let mut s = r.owner.as_str().to_string();
    if r.assumed {
        s.push('*');
    }
    if r.raised_from.is_some() {
        s.push('^');
    } else if !r.requirements.is_empty() {
        s.push('+');
    }
    if !r.scanner_findings.is_empty() {
        s.push('#');
    }
    s
}

/// The evidence on a workload's cell in a few words: `verified (3 checks pass)`, `failing (1 check fails, 2
/// imported results)`, `missing`.
pub fn evidence_text(r: &RollupCell) -> String {
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let t = &r.checks;
    let mut parts = Vec::new();
    if t.fail > 0 {
        parts.push(plural(t.fail, "check fails", "checks fail"));
    }
    if t.waived > 0 {
        parts.push(plural(t.waived, "waived failure", "waived failures"));
    }
    if t.pass > 0 {
        parts.push(plural(t.pass, "check passes", "checks pass"));
    }
    if t.unknown > 0 {
        parts.push(plural(t.unknown, "check unknown", "checks unknown"));
    }
    let open = r.scanner_findings.len() as u32;
    if open > 0 {
        parts.push(plural(
            open,
            "imported open result",
            "imported open results",
        ));
    }
    if r.imported_passes > 0 {
        parts.push(plural(
            r.imported_passes,
            "imported pass",
            "imported passes",
        ));
    }
    if !r.attestations.is_empty() {
        parts.push(plural(
            r.attestations.len() as u32,
            "attestation",
            "attestations",
        ));
    }
    if !r.evidence.is_empty() {
        parts.push(plural(
            r.evidence.len() as u32,
            "evidence link",
            "evidence links",
        ));
    }
    let state = r.evidence_state.as_str();
    if parts.is_empty() {
        state.to_string()
    } else {
        format!("{state} ({})", parts.join(", "))
    }
}

pub const ROLLUP_LEGEND: &str =
    "WORKLOAD: * assumed · + a template raises the bar · ^ a template made a provider-owned control shared · # open results imported from another scanner";

/// A template requirement in a few words: `classification:pci log-retention-days=365`.
pub fn requirement_short(r: &AppliedRequirement) -> String {
    match r.value {
        Some(v) => format!("{} {}={v}", r.template, r.kind.as_str()),
        None => format!("{} {}", r.template, r.kind.as_str()),
    }
}

/// The framework ids a requirement cites, e.g. `pci-dss-4.0 3.6.1, 3.7.1`.
pub fn requirement_refs(r: &AppliedRequirement) -> String {
    r.frameworks
        .iter()
        .map(|(f, ids)| format!("{f} {}", ids.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}
