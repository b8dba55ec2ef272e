//! Resolution: for each component and control, who owns it and why; and the per-workload roll-up.
//!
//! Precedence for one cell: a manifest override, then the selected variant's cell, then the service's cell, then
//! the service model's default, then `assumed` (customer: never guess in the provider's favour).

use crate::catalog::{Catalog, NotFound};
use crate::model::{
    Component, DeclaredOwner, EvidenceLink, Owner, RequirementKind, ServiceEntry, Source, Template,
    Workload,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

/// The provider id whose model sources stand in for a provider that has none of its own.
pub const GENERIC_PROVIDER: &str = "generic";

/// Why a cell has the owner it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The service's catalog entry states it.
    Catalog,
    /// The default of the service's model.
    ServiceModel,
    /// The workload manifest overrides it, with a reason.
    Override,
    /// Nothing from the provider supports it: either nothing is known (customer, the worst case) or a provider-side
    /// model default that the provider has not confirmed.
    Assumed,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Catalog => "catalog",
            Basis::ServiceModel => "service-model",
            Basis::Override => "override",
            Basis::Assumed => "assumed",
        }
    }
}

/// One resolved cell: a control on one service (and variant).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Cell {
    pub control: String,
    pub owner: Owner,
    pub basis: Basis,
    pub provider_duty: Option<String>,
    pub customer_duty: Option<String>,
    pub defaults: Vec<String>,
    pub note: Option<String>,
    pub sources: Vec<Source>,
    /// The variant whose cell this is, when it differs from the service's.
    pub variant: Option<String>,
    pub override_reason: Option<String>,
}

/// Resolve one control for a service, with an optional variant (the service's default variant when `None`).
pub fn resolve_cell(
    cat: &Catalog,
    service: &ServiceEntry,
    variant: Option<&str>,
    control: &str,
) -> Cell {
    let variant = variant.or(service.default_variant.as_deref());
    let from_variant = variant
        .and_then(|v| service.variants.get(v).map(|var| (v, var)))
        .and_then(|(v, var)| var.controls.get(control).map(|c| (Some(v.to_string()), c)));
    let stated = from_variant.or_else(|| service.controls.get(control).map(|c| (None, c)));
    let generic = cat.control(control);
    if let Some((variant, c)) = stated {
        let sources = c
            .sources
            .iter()
            .filter_map(|k| service.sources.get(k).cloned())
            .collect();
        let (basis, note) = match c.owner {
            DeclaredOwner::Unstated => (
                Basis::Assumed,
                Some(
                    format!(
                    "The provider's documentation does not say who owns this; assumed customer. {}",
                    c.note.as_deref().unwrap_or("")
                )
                    .trim_end()
                    .to_string(),
                ),
            ),
            _ => (Basis::Catalog, c.note.clone()),
        };
        let customer_duty = match (c.owner, &c.customer) {
            (DeclaredOwner::Unstated, None) => generic.map(|g| g.duties.customer.clone()),
            (_, d) => d.clone(),
        };
        return Cell {
            control: control.to_string(),
            owner: c.owner.resolved(),
            basis,
            provider_duty: c.provider.clone(),
            customer_duty,
            defaults: c.defaults.clone(),
            note,
            sources,
            variant,
            override_reason: None,
        };
    }
    let model = cat.models.get(&service.model);
    if let (Some(model), Some(g)) = (model, generic) {
        if let Some(owner) = model.defaults.owner_of(control) {
            // The model's split is sourced per provider. A provider with no sources of its own (a generic or
            // little-documented one) gets the generic definition's sources, and every provider-side claim is
            // marked assumed: nothing from that provider confirms it.
            let own = model
                .sources
                .get(&service.provider)
                .filter(|_| service.provider != GENERIC_PROVIDER);
            let provider_side = matches!(owner, Owner::Provider | Owner::Shared);
            let (basis, note) = if own.is_none() && provider_side {
                (
                    Basis::Assumed,
                    format!(
                        "Default of the `{}` service model, assumed: nothing from {} confirms the provider's side. \
                         Ask the provider for its documentation or attestation reports.",
                        service.model, service.provider
                    ),
                )
            } else {
                (
                    Basis::ServiceModel,
                    format!(
                        "Default of the `{}` service model; {} does not state this control.",
                        service.model, service.id
                    ),
                )
            };
            let note = match &service.model_defaults {
                Some(why) => format!("{note} {why}"),
                None => note,
            };
            return Cell {
                control: control.to_string(),
                owner,
                basis,
                provider_duty: provider_side.then(|| g.duties.provider.clone()),
                customer_duty: owner.customer_has_duty().then(|| g.duties.customer.clone()),
                defaults: Vec::new(),
                note: Some(note),
                sources: own
                    .or_else(|| model.sources.get(GENERIC_PROVIDER))
                    .cloned()
                    .unwrap_or_default(),
                variant: None,
                override_reason: None,
            };
        }
    }
    Cell {
        control: control.to_string(),
        owner: Owner::Customer,
        basis: Basis::Assumed,
        provider_duty: None,
        customer_duty: generic.map(|g| g.duties.customer.clone()),
        defaults: Vec::new(),
        note: Some(format!(
            "Nothing in the catalog says who owns this control for {}; assumed customer (worst case).",
            service.id
        )),
        sources: Vec::new(),
        variant: None,
        override_reason: None,
    }
}

/// Every control, in taxonomy order, for one service and variant.
pub fn resolve_service(cat: &Catalog, service: &ServiceEntry, variant: Option<&str>) -> Vec<Cell> {
    cat.controls
        .iter()
        .map(|c| resolve_cell(cat, service, variant, &c.id))
        .collect()
}

/// One component's resolved cells.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ComponentMatrix {
    pub name: Arc<str>,
    pub service: String,
    pub service_name: String,
    pub provider: String,
    pub model: String,
    /// The variant in effect (named by the component, or the service's default).
    pub variant: Option<String>,
    pub notes: Option<String>,
    /// One cell per control, in taxonomy order. Shared between components that resolve alike.
    pub cells: Arc<Vec<Cell>>,
}

/// The roll-up of one control across a workload's components.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RollupCell {
    pub control: String,
    pub owner: Owner,
    /// True when any component's cell for this control is `assumed`.
    pub assumed: bool,
    /// Components that put a duty for this control on the customer (customer or shared).
    pub customer_components: Vec<Arc<str>>,
    pub evidence: Vec<EvidenceLink>,
    /// Templates (`classification:pci`, `tier:1`, `overlay:NAME`) that require evidence of the customer's side.
    pub required_by: Vec<String>,
    /// Stricter requirements the workload's templates put on this control.
    pub requirements: Vec<AppliedRequirement>,
    /// The owner before a template raised it: a control the provider owns outright becomes shared when a template
    /// asks the customer for more than the provider's default (customer-managed keys, longer retention, ...).
    pub raised_from: Option<Owner>,
    /// Open results from other scanners (imported SARIF) that bear on this control in this workload's files.
    pub scanner_findings: Vec<ScannerFinding>,
    /// Passing results imported from other scanners (SARIF `kind: pass`) for this control.
    pub imported_passes: u32,
    /// onus's own check results on this workload's resources for this control.
    pub checks: CheckTally,
    /// People's attestations that are still current (`onus evidence attest`).
    pub attestations: Vec<Attestation>,
    /// What shows the customer's side is done; see [`EvidenceState`].
    pub evidence_state: EvidenceState,
}

/// Counts of check results on one cell, waived failures apart from open ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CheckTally {
    pub pass: u32,
    pub fail: u32,
    pub unknown: u32,
    pub waived: u32,
    /// Rego `warn` results: shown, neither evidence nor a failure.
    #[serde(default)]
    pub warn: u32,
}

/// A person's statement that the customer's side of a control is done, with a link to the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Attestation {
    pub by: String,
    pub link: String,
    /// When it was recorded (RFC 3339, UTC).
    pub at: String,
    /// The last day it counts (YYYY-MM-DD), if it expires.
    pub expires: Option<String>,
}

/// The evidence for the customer's side of one cell, strongest first. A failure outweighs everything; a waiver
/// outweighs passing results on the same cell, since a waived failure is still a failure someone accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceState {
    /// An open failure: an onus check failed without a waiver, or another scanner reported an open result.
    Failing,
    /// Failures exist, each covered by a current waiver.
    Waived,
    /// onus checks ran on the workload's resources for this control and passed.
    Verified,
    /// Another scanner's passing results, imported.
    Imported,
    /// A person attested it (`onus evidence attest`) or the manifest links to the proof.
    Attested,
    /// The customer has a duty here and nothing shows it is done.
    Missing,
    /// The provider owns the control, or it does not apply: nothing for the customer to prove.
    NotRequired,
}

impl EvidenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceState::Failing => "failing",
            EvidenceState::Waived => "waived",
            EvidenceState::Verified => "verified",
            EvidenceState::Imported => "imported",
            EvidenceState::Attested => "attested",
            EvidenceState::Missing => "missing",
            EvidenceState::NotRequired => "not-required",
        }
    }
}

impl RollupCell {
    /// Recompute [`RollupCell::evidence_state`] from the checks, imports, attestations and links on the cell.
    pub fn assess(&mut self) {
        self.evidence_state = if !self.owner.customer_has_duty() {
            EvidenceState::NotRequired
        } else if self.checks.fail > 0 || !self.scanner_findings.is_empty() {
            EvidenceState::Failing
        } else if self.checks.waived > 0 {
            EvidenceState::Waived
        } else if self.checks.pass > 0 {
            EvidenceState::Verified
        } else if self.imported_passes > 0 {
            EvidenceState::Imported
        } else if !self.attestations.is_empty() || !self.evidence.is_empty() {
            EvidenceState::Attested
        } else {
            EvidenceState::Missing
        };
    }
}

/// A result another scanner reported (SARIF), mapped onto a control and a workload.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ScannerFinding {
    pub tool: String,
    pub rule: String,
    /// SARIF level: `error` or `warning`.
    pub level: String,
    pub message: String,
    pub file: String,
    pub line: u32,
}

/// A template requirement as it applies to one workload's control.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AppliedRequirement {
    /// The template it comes from: `classification:NAME`, `tier:N` or `overlay:NAME`.
    pub template: String,
    pub kind: RequirementKind,
    pub value: Option<u32>,
    pub text: String,
    pub frameworks: BTreeMap<String, Vec<String>>,
}

/// A workload's resolved matrix.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WorkloadMatrix {
    pub name: String,
    pub description: Option<String>,
    pub team: String,
    pub on_call: Option<String>,
    pub classification: String,
    pub tier: u8,
    /// The templates that apply, strictest last: `classification:NAME`, `tier:N`, then each `overlay:NAME`.
    pub templates: Vec<String>,
    /// Days between reviews: the manifest's `review.cadence-days`, else the strictest template's.
    pub review_cadence_days: Option<u32>,
    pub components: Vec<ComponentMatrix>,
    pub rollup: Vec<RollupCell>,
}

/// The templates that apply to a workload, labelled, in order: classification, tier, overlays.
pub fn applicable_templates<'c>(cat: &'c Catalog, w: &Workload) -> Vec<(String, &'c Template)> {
    let t = &cat.templates;
    let mut out = Vec::new();
    let class = w.classification.as_str();
    if let Some(x) = t.classifications.get(class) {
        out.push((format!("classification:{class}"), x));
    }
    if let Some(x) = t.tiers.get(&w.tier.to_string()) {
        out.push((format!("tier:{}", w.tier), x));
    }
    for o in &w.overlays {
        if let Some(x) = t.overlays.get(o) {
            out.push((format!("overlay:{o}"), x));
        }
    }
    out
}

/// Every requirement the workload's templates set, with its number (0 where it has none); where templates set
/// the same kind twice, the stricter number.
pub fn workload_requirements(cat: &Catalog, w: &Workload) -> BTreeMap<RequirementKind, u32> {
    let mut out = BTreeMap::new();
    for (_, t) in applicable_templates(cat, w) {
        for r in &t.requirements {
            let n = r.value.unwrap_or(0);
            let e = out.entry(r.kind).or_insert(n);
            // Retention is a floor (more is stricter); the other numbers are intervals (less is stricter).
            *e = match r.kind {
                RequirementKind::LogRetentionDays | RequirementKind::BackupRetentionDays => {
                    (*e).max(n)
                }
                _ => (*e).min(n),
            };
        }
    }
    out
}

/// The roll-up rule (docs/resolution.md): customer if any component makes it wholly the customer's; else shared if
/// any component shares it, or components disagree; provider only if every applicable component says provider;
/// not-applicable if no component applies.
pub fn roll_up(owners: impl IntoIterator<Item = Owner>) -> Owner {
    let (mut provider, mut customer, mut shared) = (false, false, false);
    for o in owners {
        match o {
            Owner::Provider => provider = true,
            Owner::Customer => customer = true,
            Owner::Shared => shared = true,
            Owner::NotApplicable => {}
        }
    }
    if customer {
        Owner::Customer
    } else if shared {
        Owner::Shared
    } else if provider {
        Owner::Provider
    } else {
        Owner::NotApplicable
    }
}

/// Resolves workloads against one catalog, resolving each (service, variant) pair once and sharing its cells.
pub struct Resolver<'c> {
    cat: &'c Catalog,
    cache: HashMap<(&'c str, Option<&'c str>), Arc<Vec<Cell>>>,
}

impl<'c> Resolver<'c> {
    pub fn new(cat: &'c Catalog) -> Self {
        Resolver {
            cat,
            cache: HashMap::new(),
        }
    }

    /// Resolve a workload that has been validated against the catalog (see [`crate::manifest::load`]).
    pub fn workload(&mut self, w: &Workload) -> Result<WorkloadMatrix, NotFound> {
        let mut components = Vec::with_capacity(w.components.len());
        for comp in &w.components {
            components.push(self.component(w, comp)?);
        }
        let templates = applicable_templates(self.cat, w);
        let rollup = self
            .cat
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut owner = roll_up(components.iter().map(|m| m.cells[i].owner));
                let applies = owner != Owner::NotApplicable;
                let requirements: Vec<AppliedRequirement> = templates
                    .iter()
                    .filter(|_| applies)
                    .flat_map(|(label, t)| {
                        t.requirements
                            .iter()
                            .filter(|r| r.control == c.id)
                            .map(|r| AppliedRequirement {
                                template: label.clone(),
                                kind: r.kind,
                                value: r.value,
                                text: r.text.clone(),
                                frameworks: r.frameworks.clone(),
                            })
                    })
                    .collect();
                let mut raised_from = None;
                if owner == Owner::Provider && !requirements.is_empty() {
                    raised_from = Some(owner);
                    owner = Owner::Shared;
                }
                RollupCell {
                    control: c.id.clone(),
                    owner,
                    assumed: components
                        .iter()
                        .any(|m| m.cells[i].basis == Basis::Assumed),
                    customer_components: components
                        .iter()
                        .filter(|m| m.cells[i].owner.customer_has_duty())
                        .map(|m| m.name.clone())
                        .collect(),
                    evidence: w.evidence.get(&c.id).cloned().unwrap_or_default(),
                    required_by: templates
                        .iter()
                        .filter(|(_, t)| applies && t.requires.contains(&c.id))
                        .map(|(l, _)| l.clone())
                        .collect(),
                    requirements,
                    raised_from,
                    scanner_findings: Vec::new(),
                    imported_passes: 0,
                    checks: CheckTally::default(),
                    attestations: Vec::new(),
                    evidence_state: EvidenceState::Missing,
                }
            })
            .collect();
        let mut rollup: Vec<RollupCell> = rollup;
        for c in &mut rollup {
            c.assess();
        }
        let review_cadence_days = w.review.as_ref().and_then(|r| r.cadence_days).or_else(|| {
            templates
                .iter()
                .filter_map(|(_, t)| t.review_cadence_days)
                .min()
        });
        Ok(WorkloadMatrix {
            name: w.name.clone(),
            description: w.description.clone(),
            team: w.owner.team.clone(),
            on_call: w.owner.on_call.clone(),
            classification: w.classification.as_str().to_string(),
            tier: w.tier,
            templates: templates.into_iter().map(|(l, _)| l).collect(),
            review_cadence_days,
            components,
            rollup,
        })
    }

    fn component(&mut self, w: &Workload, comp: &Component) -> Result<ComponentMatrix, NotFound> {
        let cat = self.cat;
        let service = cat.service(&comp.service)?;
        let variant: Option<&'c str> = match &comp.variant {
            Some(v) => Some(cat.variant(service, v)?),
            None => service.default_variant.as_deref(),
        };
        let shared = self
            .cache
            .entry((service.id.as_str(), variant))
            .or_insert_with(|| Arc::new(resolve_service(cat, service, variant)))
            .clone();
        let applies = |o: &crate::model::Override| {
            o.components.is_empty() || o.components.iter().any(|c| c == &comp.name)
        };
        let cells = if w.overrides.values().any(applies) {
            let mut cells = (*shared).clone();
            for cell in &mut cells {
                let Some(o) = w.overrides.get(&cell.control).filter(|o| applies(o)) else {
                    continue;
                };
                cell.owner = o.owner;
                cell.basis = Basis::Override;
                cell.override_reason = Some(o.reason.clone());
                if o.customer.is_some() {
                    cell.customer_duty = o.customer.clone();
                }
                if o.provider.is_some() {
                    cell.provider_duty = o.provider.clone();
                }
                if o.owner.customer_has_duty() && cell.customer_duty.is_none() {
                    cell.customer_duty = cat
                        .control(&cell.control)
                        .map(|g| g.duties.customer.clone());
                }
            }
            Arc::new(cells)
        } else {
            shared
        };
        Ok(ComponentMatrix {
            name: Arc::from(comp.name.as_str()),
            service: service.id.clone(),
            service_name: service.name.clone(),
            provider: service.provider.clone(),
            model: service.model.clone(),
            variant: variant.map(str::to_string),
            notes: comp.notes.clone(),
            cells,
        })
    }
}

/// Resolve one workload (see [`Resolver`] to resolve many with shared work).
pub fn resolve_workload(cat: &Catalog, w: &Workload) -> Result<WorkloadMatrix, NotFound> {
    Resolver::new(cat).workload(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Owner::*;

    #[test]
    fn roll_up_never_favours_the_provider() {
        assert_eq!(roll_up([Provider, Provider]), Provider);
        assert_eq!(roll_up([Provider, Customer]), Customer);
        assert_eq!(roll_up([Provider, Shared]), Shared);
        assert_eq!(roll_up([Shared, Customer, Provider]), Customer);
        assert_eq!(roll_up([NotApplicable, Provider]), Provider);
        assert_eq!(roll_up([NotApplicable]), NotApplicable);
        assert_eq!(roll_up([]), NotApplicable);
    }
}
