//! Machine-readable reports. Their JSON shape is versioned by `schema_version` and documented by the schema files
//! under `schemas/` (generated from these types).

use crate::resolve::WorkloadMatrix;
use schemars::JsonSchema;
use serde::Serialize;

/// The version of every JSON document onus prints. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// `onus matrix --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "onus matrix report")]
pub struct MatrixReport {
    /// Always 1 for this shape.
    pub schema_version: u32,
    /// Always `matrix`.
    pub kind: String,
    /// The control ids in taxonomy order; every cell list follows it.
    pub controls: Vec<String>,
    pub workloads: Vec<WorkloadMatrix>,
}

impl MatrixReport {
    pub fn new(controls: Vec<String>, workloads: Vec<WorkloadMatrix>) -> Self {
        MatrixReport {
            schema_version: SCHEMA_VERSION,
            kind: "matrix".to_string(),
            controls,
            workloads,
        }
    }

    pub fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(MatrixReport)).expect("a schema is always JSON")
    }
}

/// One framework requirement and the workload's controls that map onto it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RequirementRow {
    pub requirement: String,
    /// The roll-up of the mapped controls' workload owners (customer if any puts a duty on you).
    pub owner: crate::Owner,
    pub assumed: bool,
    pub controls: Vec<RequirementControl>,
    /// The workload's template requirements that cite this framework requirement.
    pub template_requirements: Vec<crate::resolve::AppliedRequirement>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RequirementControl {
    pub control: String,
    pub owner: crate::Owner,
    pub assumed: bool,
    pub evidence: usize,
    /// Set when a template raised the owner (see `RollupCell::raised_from`).
    pub raised_from: Option<crate::Owner>,
}

/// A workload's matrix grouped by a framework's requirements.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FrameworkWorkload {
    pub name: String,
    pub requirements: Vec<RequirementRow>,
}

/// `onus matrix --framework F --format json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FrameworkReport {
    pub schema_version: u32,
    /// Always `matrix-by-framework`.
    pub kind: String,
    pub framework: crate::model::Framework,
    pub workloads: Vec<FrameworkWorkload>,
}

/// Order requirement ids naturally: `2.2.1` before `10.2.1`, `CC6.1` before `CC6.10`.
pub fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for ch in s.chars() {
        if let Some(d) = ch.to_digit(10) {
            num = Some(num.unwrap_or(0).saturating_mul(10).saturating_add(d as u64));
        } else {
            if let Some(n) = num.take() {
                out.push((std::mem::take(&mut text), n));
            }
            text.push(ch);
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

impl FrameworkReport {
    pub fn new(
        cat: &crate::Catalog,
        framework: &crate::model::Framework,
        workloads: &[WorkloadMatrix],
    ) -> Self {
        let mut by_req: std::collections::BTreeMap<&str, Vec<&str>> =
            std::collections::BTreeMap::new();
        for c in &cat.controls {
            for r in c.frameworks.get(&framework.id).into_iter().flatten() {
                by_req.entry(r.as_str()).or_default().push(c.id.as_str());
            }
        }
        // Requirement ids that only templates cite still get a row.
        for w in workloads {
            for r in w.rollup.iter().flat_map(|r| &r.requirements) {
                for id in r.frameworks.get(&framework.id).into_iter().flatten() {
                    by_req.entry(id.as_str()).or_default();
                }
            }
        }
        let mut reqs: Vec<(&str, Vec<&str>)> = by_req.into_iter().collect();
        reqs.sort_by_key(|(r, _)| natural_key(r));
        let workloads = workloads
            .iter()
            .map(|w| FrameworkWorkload {
                name: w.name.clone(),
                requirements: reqs
                    .iter()
                    .filter_map(|(r, controls)| {
                        let controls: Vec<RequirementControl> = controls
                            .iter()
                            .filter_map(|c| w.rollup.iter().find(|x| x.control == *c))
                            .map(|x| RequirementControl {
                                control: x.control.clone(),
                                owner: x.owner,
                                assumed: x.assumed,
                                evidence: x.evidence.len(),
                                raised_from: x.raised_from,
                            })
                            .collect();
                        let template_requirements: Vec<_> = w
                            .rollup
                            .iter()
                            .flat_map(|x| &x.requirements)
                            .filter(|t| {
                                t.frameworks
                                    .get(&framework.id)
                                    .is_some_and(|ids| ids.iter().any(|i| i == r))
                            })
                            .cloned()
                            .collect();
                        let mut owner = crate::resolve::roll_up(controls.iter().map(|c| c.owner));
                        if !template_requirements.is_empty()
                            && matches!(owner, crate::Owner::Provider | crate::Owner::NotApplicable)
                        {
                            // A template asks something of the customer here.
                            owner = crate::Owner::Shared;
                        }
                        (!controls.is_empty() || !template_requirements.is_empty()).then(|| {
                            RequirementRow {
                                requirement: r.to_string(),
                                owner,
                                assumed: controls.iter().any(|c| c.assumed),
                                controls,
                                template_requirements,
                            }
                        })
                    })
                    .collect(),
            })
            .collect();
        FrameworkReport {
            schema_version: SCHEMA_VERSION,
            kind: "matrix-by-framework".into(),
            framework: framework.clone(),
            workloads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::natural_key;

    #[test]
    fn requirement_ids_sort_naturally() {
        let mut v = vec![
            "10.2.1",
            "2.2.1",
            "CC6.10",
            "CC6.1",
            "164.312(b)",
            "164.308(a)(1)(ii)(A)",
            "A1.2",
        ];
        v.sort_by_key(|s| natural_key(s));
        assert_eq!(
            v,
            [
                "2.2.1",
                "10.2.1",
                "164.308(a)(1)(ii)(A)",
                "164.312(b)",
                "A1.2",
                "CC6.1",
                "CC6.10"
            ]
        );
    }
}
