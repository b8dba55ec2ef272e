//! Resolution: for each component and control, who owns it and why; and the per-workload roll-up.
//!
//! Precedence for one cell: a manifest override, then the selected variant's cell, then the service's cell, then
//! the service model's default, then `assumed` (customer: never guess in the provider's favour).

use crate::catalog::{Catalog, NotFound};
use crate::model::{Component, DeclaredOwner, EvidenceLink, Owner, ServiceEntry, Source, Workload};
use schemars::JsonSchema;
use serde::Serialize;

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
    /// Nothing known: customer, the worst case.
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
    pub evidence: Vec<EvidenceLink>,
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
            evidence: Vec::new(),
        };
    }
    let model = cat.models.get(&service.model);
    if let (Some(model), Some(g)) = (model, generic) {
        if let Some(owner) = model.defaults.owner_of(control) {
            return Cell {
                control: control.to_string(),
                owner,
                basis: Basis::ServiceModel,
                provider_duty: matches!(owner, Owner::Provider | Owner::Shared)
                    .then(|| g.duties.provider.clone()),
                customer_duty: owner.customer_has_duty().then(|| g.duties.customer.clone()),
                defaults: Vec::new(),
                note: Some(format!(
                    "Default of the `{}` service model; {} does not state this control.",
                    service.model, service.id
                )),
                sources: model
                    .sources
                    .get(&service.provider)
                    .cloned()
                    .unwrap_or_default(),
                variant: None,
                override_reason: None,
                evidence: Vec::new(),
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
        evidence: Vec::new(),
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
    pub name: String,
    pub service: String,
    pub service_name: String,
    pub provider: String,
    pub model: String,
    /// The variant in effect (named by the component, or the service's default).
    pub variant: Option<String>,
    pub notes: Option<String>,
    pub cells: Vec<Cell>,
}

/// The roll-up of one control across a workload's components.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RollupCell {
    pub control: String,
    pub owner: Owner,
    /// True when any component's cell for this control is `assumed`.
    pub assumed: bool,
    /// Components that put a duty for this control on the customer (customer or shared).
    pub customer_components: Vec<String>,
    pub evidence: Vec<EvidenceLink>,
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
    pub components: Vec<ComponentMatrix>,
    pub rollup: Vec<RollupCell>,
}

/// The roll-up rule (docs/resolution.md): customer if any component makes it wholly the customer's; else shared if
/// any component shares it, or components disagree; provider only if every applicable component says provider;
/// not-applicable if no component applies.
pub fn roll_up(owners: impl IntoIterator<Item = Owner>) -> Owner {
    let (mut p, mut c, mut s, mut any) = (false, false, false, false);
    for o in owners {
        any = true;
        match o {
            Owner::Provider => p = true,
            Owner::Customer => c = true,
            Owner::Shared => s = true,
            Owner::NotApplicable => {}
        }
    }
    match (c, s, p) {
        (true, _, _) => Owner::Customer,
        (false, true, _) => Owner::Shared,
        (false, false, true) => Owner::Provider,
        _ if any => Owner::NotApplicable,
        _ => Owner::NotApplicable,
    }
}

/// Resolve a workload that has been validated against the catalog (see [`crate::manifest::validate`]).
pub fn resolve_workload(cat: &Catalog, w: &Workload) -> Result<WorkloadMatrix, NotFound> {
    let mut components = Vec::with_capacity(w.components.len());
    for comp in &w.components {
        components.push(resolve_component(cat, w, comp)?);
    }
    let rollup = cat
        .controls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let owners = components.iter().map(|m| m.cells[i].owner);
            RollupCell {
                control: c.id.clone(),
                owner: roll_up(owners),
                assumed: components
                    .iter()
                    .any(|m| m.cells[i].basis == Basis::Assumed),
                customer_components: components
                    .iter()
                    .filter(|m| m.cells[i].owner.customer_has_duty())
                    .map(|m| m.name.clone())
                    .collect(),
                evidence: w.evidence.get(&c.id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    Ok(WorkloadMatrix {
        name: w.name.clone(),
        description: w.description.clone(),
        team: w.owner.team.clone(),
        on_call: w.owner.on_call.clone(),
        classification: w.classification.as_str().to_string(),
        tier: w.tier,
        components,
        rollup,
    })
}

fn resolve_component(
    cat: &Catalog,
    w: &Workload,
    comp: &Component,
) -> Result<ComponentMatrix, NotFound> {
    let service = cat.service(&comp.service)?;
    let variant = match &comp.variant {
        Some(v) => Some(cat.variant(service, v)?.to_string()),
        None => service.default_variant.clone(),
    };
    let mut cells = resolve_service(cat, service, variant.as_deref());
    for cell in &mut cells {
        if let Some(o) = w.overrides.get(&cell.control) {
            if o.components.is_empty() || o.components.iter().any(|c| c == &comp.name) {
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
        }
        if let Some(ev) = w.evidence.get(&cell.control) {
            cell.evidence = ev.clone();
        }
    }
    Ok(ComponentMatrix {
        name: comp.name.clone(),
        service: service.id.clone(),
        service_name: service.name.clone(),
        provider: service.provider.clone(),
        model: service.model.clone(),
        variant,
        notes: comp.notes.clone(),
        cells,
    })
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
