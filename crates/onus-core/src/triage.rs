//! Incident triage: from a symptom on part of a workload to the side that most likely owns the cause, with the
//! reasoning, each side's first steps, and what each side answers for. Pure: it takes the resolved matrix (with
//! evidence attached) and the catalog's incident knowledge (`incidents.yaml`).

use crate::model::{Owner, Workload};
use crate::resolve::{EvidenceState, WorkloadMatrix};
use crate::Catalog;
use serde::Serialize;

/// Where the cause most likely lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    Provider,
    Customer,
    Shared,
}

impl Domain {
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Provider => "provider",
            Domain::Customer => "customer",
            Domain::Shared => "shared",
        }
    }
}

/// What the status page says: an event for the service and region, none, or not looked at yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderEvent {
    Yes,
    No,
    Unknown,
}

/// The part of the workload affected: its components (by name), each with its service and variant.
#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    pub component: String,
    pub service: String,
    pub provider: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Implicated {
    pub control: String,
    pub weight: u32,
    pub why: String,
    /// The owner across the affected components (the roll-up rule).
    pub owner: Owner,
    pub provider_duty: Option<String>,
    pub customer_duty: Option<String>,
    /// The workload's evidence for the customer's side of this control.
    pub evidence: EvidenceState,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProviderSteps {
    pub provider: String,
    pub name: String,
    pub status_page: String,
    pub account_health: String,
    pub support_case: String,
    /// The plan the manifest names, or a pointer to the plans.
    pub support_plan: String,
    pub how_to_open: Option<String>,
    pub ask_for: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceStep {
    pub control: String,
    pub collect: String,
    /// When the records this step needs may not exist: the logging control and its evidence state.
    pub gap: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Liability {
    pub provider: String,
    pub provider_failure: String,
    pub customer_failure: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    pub workload: String,
    pub symptom: String,
    pub symptom_title: String,
    pub affected: Vec<Affected>,
    pub provider_event: ProviderEvent,
    pub focus: Option<String>,
    pub likely: Domain,
    /// The provider's share of the weighted evidence, 0..1.
    pub provider_share: f64,
    pub reasoning: Vec<String>,
    pub implicated: Vec<Implicated>,
    pub provider_steps: Vec<ProviderSteps>,
    pub on_call: Option<String>,
    pub runbook: Option<String>,
    pub evidence_steps: Vec<EvidenceStep>,
    pub liability: Vec<Liability>,
    /// What onus could not know (no catalog knowledge for a provider, cells resting on assumptions).
    pub unknowns: Vec<String>,
}

/// What is asked: the symptom, what the status page says, the control suspected, and the controls whose checks
/// fail on the affected resources.
pub struct Question<'a> {
    pub symptom: &'a str,
    pub event: ProviderEvent,
    pub focus: Option<&'a str>,
    pub failing: &'a std::collections::BTreeSet<String>,
}

/// Above this share of the weight the cause is most likely the provider's; below 1 minus it, the customer's.
const DECISIVE: f64 = 0.65;

/// Triage a symptom on some components of a workload. `matrix` carries the evidence already attached; `failing`
/// holds the controls whose checks fail (without a waiver) on the affected components' own resources.
pub fn triage(
    cat: &Catalog,
    w: &Workload,
    matrix: &WorkloadMatrix,
    components: &[usize],
    q: &Question,
) -> Option<Triage> {
    let (symptom, event, focus, failing) = (q.symptom, q.event, q.focus, q.failing);
    let s = cat.incidents.symptoms.get(symptom)?;
    let mut list: Vec<(String, u32, String)> = s
        .controls
        .iter()
        .map(|c| (c.control.clone(), c.weight, c.why.clone()))
        .collect();
    if let Some(f) = focus {
        match list.iter_mut().find(|(c, _, _)| c == f) {
            Some(x) => x.1 = x.1.max(5) * 4,
            None => list.push((f.to_string(), 20, "The control you named.".into())),
        }
    }
    let comps: Vec<&crate::resolve::ComponentMatrix> =
        components.iter().map(|&i| &matrix.components[i]).collect();
    let (mut p, mut c) = (0.0f64, 0.0f64);
    let mut contributions: Vec<(f64, String)> = Vec::new();
    let mut implicated = Vec::new();
    let mut unknowns = Vec::new();
    for (control, weight, why) in &list {
        let Some(ci) = cat.controls.iter().position(|x| &x.id == control) else {
            continue;
        };
        let cells: Vec<&crate::resolve::Cell> = comps.iter().map(|m| &m.cells[ci]).collect();
        let owner = crate::resolve::roll_up(cells.iter().map(|c| c.owner));
        if owner == Owner::NotApplicable {
            continue;
        }
        if cells
            .iter()
            .any(|c| c.basis == crate::resolve::Basis::Assumed)
        {
            unknowns.push(format!(
                "{control}: the owner is assumed, not confirmed by the provider's documentation"
            ));
        }
        let rollup = matrix.rollup.iter().find(|r| &r.control == control);
        let evidence = rollup
            .map(|r| r.evidence_state)
            .unwrap_or(EvidenceState::Missing);
        let wf = f64::from(*weight);
        let provider_factor = match event {
            ProviderEvent::Yes => 3.0,
            ProviderEvent::No => 0.3,
            ProviderEvent::Unknown => 1.0,
        };
        let (dp, mut dc) = match owner {
            Owner::Provider => (wf * provider_factor, 0.0),
            Owner::Customer => (0.0, wf),
            Owner::Shared => (wf / 2.0 * provider_factor, wf / 2.0),
            Owner::NotApplicable => (0.0, 0.0),
        };
        if failing.contains(control) && owner.customer_has_duty() {
            dc += wf;
            contributions.push((
                wf,
                format!("{control}: checks fail on the affected resources, a concrete lead on your side"),
            ));
        }
        p += dp;
        c += dc;
        contributions.push((
            dp.max(dc),
            format!("{control} ({}, weight {weight}): {why}", owner.as_str()),
        ));
        let first = |f: fn(&crate::resolve::Cell) -> Option<&String>| {
            cells.iter().find_map(|c| f(c).cloned())
        };
        implicated.push(Implicated {
            control: control.clone(),
            weight: *weight,
            why: why.clone(),
            owner,
            provider_duty: first(|c| c.provider_duty.as_ref()),
            customer_duty: first(|c| c.customer_duty.as_ref()),
            evidence,
        });
    }
    let share = if p + c > 0.0 { p / (p + c) } else { 0.5 };
    let likely = if share >= DECISIVE {
        Domain::Provider
    } else if share <= 1.0 - DECISIVE {
        Domain::Customer
    } else {
        Domain::Shared
    };
    contributions.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut reasoning: Vec<String> = vec![format!(
        "weighted by who owns each implicated control here, {:.0}% of the evidence points at the provider and {:.0}% at you",
        share * 100.0,
        (1.0 - share) * 100.0
    )];
    match event {
        ProviderEvent::Yes => reasoning.push(
            "the provider's status page reports an event for this service and region: provider-owned controls weigh three times as much".into(),
        ),
        ProviderEvent::No => reasoning.push(
            "the provider's status page reports nothing: provider-owned controls weigh less (a quiet status page is not proof)".into(),
        ),
        ProviderEvent::Unknown => reasoning.push(
            "the provider's status page has not been checked yet: check it first (--provider-event yes|no)".into(),
        ),
    }
    reasoning.extend(contributions.into_iter().take(4).map(|(_, t)| t));

    // Provider steps, one per provider among the affected components.
    let mut providers: Vec<String> = comps.iter().map(|m| m.provider.clone()).collect();
    providers.sort();
    providers.dedup();
    let mut provider_steps = Vec::new();
    let mut liability = Vec::new();
    for pid in &providers {
        let esc = w.escalation.as_ref().and_then(|e| e.providers.get(pid));
        match cat.incidents.providers.get(pid) {
            Some(pi) => {
                provider_steps.push(ProviderSteps {
                    provider: pid.clone(),
                    name: pi.name.clone(),
                    status_page: esc
                        .and_then(|e| e.status_page.clone())
                        .unwrap_or_else(|| pi.status_page.clone()),
                    account_health: pi.account_health.clone(),
                    support_case: pi.support_case.clone(),
                    support_plan: esc
                        .and_then(|e| e.support_plan.clone())
                        .map(|p| format!("{p} (from the manifest)"))
                        .unwrap_or_else(|| {
                            format!("not stated in the manifest; plans: {}", pi.support_plans)
                        }),
                    how_to_open: esc.and_then(|e| e.case.clone()),
                    ask_for: s.ask_provider.clone(),
                });
                let src = |keys: &[String]| -> Vec<String> {
                    keys.iter()
                        .filter_map(|k| cat.incidents.sources.get(k).map(|s| s.url.clone()))
                        .collect()
                };
                let mut sources = src(&pi.provider_failure.sources);
                for u in src(&pi.customer_failure.sources) {
                    if !sources.contains(&u) {
                        sources.push(u);
                    }
                }
                liability.push(Liability {
                    provider: pid.clone(),
                    provider_failure: pi.provider_failure.text.clone(),
                    customer_failure: pi.customer_failure.text.clone(),
                    sources,
                });
            }
            None => {
                let status = comps
                    .iter()
                    .find(|m| &m.provider == pid)
                    .and_then(|m| cat.services.get(&m.service))
                    .and_then(|s| s.status_page.clone());
                unknowns.push(format!(
                    "onus has no escalation or liability knowledge for provider `{pid}`{}",
                    status
                        .map(|u| format!("; its status page: {u}"))
                        .unwrap_or_default()
                ));
            }
        }
    }

    // Your first evidence, and whether the logs it needs exist.
    let mut evidence_steps = Vec::new();
    for i in &implicated {
        if !i.owner.customer_has_duty() && i.owner != Owner::Provider {
            continue;
        }
        let Some(fe) = cat.incidents.evidence.get(&i.control) else {
            continue;
        };
        let gap = fe.needs.as_ref().and_then(|n| {
            let r = matrix.rollup.iter().find(|r| &r.control == n)?;
            match r.evidence_state {
                EvidenceState::Missing | EvidenceState::Failing => Some(format!(
                    "the logs you need may not exist: {n} has no passing evidence in this workload ({})",
                    r.evidence_state.as_str()
                )),
                _ => None,
            }
        });
        evidence_steps.push(EvidenceStep {
            control: i.control.clone(),
            collect: fe.collect.clone(),
            gap,
        });
    }
    let internal = w.escalation.as_ref().and_then(|e| e.internal.as_ref());
    Some(Triage {
        workload: w.name.clone(),
        symptom: symptom.to_string(),
        symptom_title: s.title.clone(),
        affected: comps
            .iter()
            .map(|m| Affected {
                component: m.name.to_string(),
                service: match &m.variant {
                    Some(v) => format!("{}@{v}", m.service),
                    None => m.service.clone(),
                },
                provider: m.provider.clone(),
            })
            .collect(),
        provider_event: event,
        focus: focus.map(str::to_string),
        likely,
        provider_share: (share * 1000.0).round() / 1000.0,
        reasoning,
        implicated,
        provider_steps,
        on_call: internal
            .map(|i| i.on_call.clone())
            .or_else(|| w.owner.on_call.clone()),
        runbook: internal.and_then(|i| i.runbook.clone()),
        evidence_steps,
        liability,
        unknowns,
    })
}
