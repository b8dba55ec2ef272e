//! Mapping resources onto catalog services, binding them to workload components, and the drift findings.

use crate::{Input, Mode, Resource, UnresolvedModule};
use globset::{Glob, GlobMatcher};
use onus_core::model::{Selector, Workload};
use onus_core::Catalog;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Terraform providers that create nothing in a cloud (random values, files, timers, TLS keys): not drift.
const UTILITY_PROVIDERS: &[&str] = &[
    "random",
    "null",
    "time",
    "tls",
    "local",
    "http",
    "external",
    "archive",
    "template",
    "terraform",
    "cloudinit",
];

/// Resource type -> catalog service id, built from every service's `iac` lists.
#[derive(Debug, Default)]
pub struct TypeIndex {
    exact: HashMap<String, String>,
    /// ARM and Resource Graph types compare without case.
    arm: HashMap<String, String>,
    /// CloudFormation namespaces (`AWS::S3::`) that only one service uses.
    cfn_namespace: HashMap<String, Option<String>>,
}

/// How a resource's type was mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mapping {
    /// The type is listed by the service.
    Exact,
    /// A sub-resource: `aws_s3_bucket_policy` under `aws_s3_bucket`, `AWS::S3::BucketPolicy` in `AWS::S3::`.
    Parent,
    /// Objects inside a Kubernetes cluster: they belong to the cluster's component.
    InCluster,
    /// A utility type that creates nothing in a cloud.
    Utility,
    /// No service lists it.
    Unmapped,
}

impl TypeIndex {
    pub fn new(cat: &Catalog) -> Self {
        let mut ix = TypeIndex::default();
        for (id, s) in &cat.services {
            for t in s
                .iac
                .terraform
                .iter()
                .chain(&s.iac.cloudformation)
                .chain(&s.iac.inventory)
            {
                ix.exact.entry(t.clone()).or_insert_with(|| id.clone());
            }
            for t in &s.iac.arm {
                ix.arm
                    .entry(t.to_ascii_lowercase())
                    .or_insert_with(|| id.clone());
            }
            for t in &s.iac.cloudformation {
                if let Some((ns, _)) = t.rsplit_once("::") {
                    let e = ix
                        .cfn_namespace
                        .entry(format!("{ns}::"))
                        .or_insert_with(|| Some(id.clone()));
                    if e.as_deref() != Some(id.as_str()) {
                        *e = None;
                    }
                }
            }
        }
        ix
    }

    /// The number of distinct resource types the index maps.
    pub fn len(&self) -> usize {
        self.exact.len() + self.arm.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The catalog service a resource belongs to, and how that was decided.
    pub fn service_of(&self, r: &Resource) -> (Option<&str>, Mapping) {
        if r.input == Input::Kubernetes {
            return (None, Mapping::InCluster);
        }
        if let Some(s) = self.exact.get(&r.rtype) {
            return (Some(s), Mapping::Exact);
        }
        match r.input {
            Input::Arm | Input::AzureResourceGraph => {
                let lower = r.rtype.to_ascii_lowercase();
                if let Some(s) = self.arm.get(&lower) {
                    return (Some(s), Mapping::Exact);
                }
                // A child type (`Microsoft.Sql/servers/databases`) belongs to its parent's service.
                let mut t = lower.as_str();
                while let Some((parent, _)) = t.rsplit_once('/') {
                    if let Some(s) = self.arm.get(parent) {
                        return (Some(s), Mapping::Parent);
                    }
                    t = parent;
                }
            }
            Input::Cloudformation | Input::AwsConfig => {
                if let Some((ns, _)) = r.rtype.rsplit_once("::") {
                    if let Some(Some(s)) = self.cfn_namespace.get(&format!("{ns}::")) {
                        return (Some(s), Mapping::Parent);
                    }
                }
            }
            _ => {
                let provider = r.rtype.split('_').next().unwrap_or_default();
                if UTILITY_PROVIDERS.contains(&provider) {
                    return (None, Mapping::Utility);
                }
                // The longest listed type that is a prefix at a `_` boundary: aws_s3_bucket_policy -> aws_s3_bucket.
                let mut t = r.rtype.as_str();
                while let Some((parent, _)) = t.rsplit_once('_') {
                    if !parent.contains('_') {
                        break;
                    }
                    if let Some(s) = self.exact.get(parent) {
                        return (Some(s), Mapping::Parent);
                    }
                    t = parent;
                }
            }
        }
        (None, Mapping::Unmapped)
    }
}

/// The drift finding codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    UndeclaredService,
    UnownedResource,
    AbsentComponent,
    UnmappedType,
    UnresolvedModule,
}

impl FindingCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::UndeclaredService => "undeclared-service",
            FindingCode::UnownedResource => "unowned-resource",
            FindingCode::AbsentComponent => "absent-component",
            FindingCode::UnmappedType => "unmapped-type",
            FindingCode::UnresolvedModule => "unresolved-module",
        }
    }

    pub const ALL: [FindingCode; 5] = [
        FindingCode::UndeclaredService,
        FindingCode::UnownedResource,
        FindingCode::AbsentComponent,
        FindingCode::UnmappedType,
        FindingCode::UnresolvedModule,
    ];

    /// What the code means, for `onus scan --explain` and the docs.
    pub fn description(self) -> &'static str {
        match self {
            FindingCode::UndeclaredService => "A workload's files create a resource of a service the workload does not declare: the map is stale and a review is due.",
            FindingCode::UnownedResource => "A resource that no workload claims: nobody has mapped who owns its controls.",
            FindingCode::AbsentComponent => "A component says where its resources are, but nothing was found there.",
            FindingCode::UnmappedType => "A resource type that no catalog service lists: its controls resolve to customer, assumed.",
            FindingCode::UnresolvedModule => "A Terraform module that onus does not read (registry, git or http source): its resources are not in the scan.",
        }
    }
}

/// One drift finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: FindingCode,
    pub message: String,
    /// What to do about it.
    pub help: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub workload: Option<String>,
    pub component: Option<String>,
    pub resource: Option<String>,
    pub resource_type: Option<String>,
    pub service: Option<String>,
}

/// A resource with where it landed.
#[derive(Debug, Clone, Serialize)]
pub struct BoundResource {
    #[serde(flatten)]
    pub resource: Resource,
    pub service: Option<String>,
    pub mapping: Mapping,
    pub workload: Option<String>,
    pub component: Option<String>,
    /// For an object inside a Kubernetes cluster: the cluster's responsibility controls it bears on (a Service of
    /// type LoadBalancer on network access, a RoleBinding on access policies, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<&'static str>,
}

/// A component and the resources bound to it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentResources {
    pub name: String,
    pub service: String,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadResources {
    pub name: String,
    pub components: Vec<ComponentResources>,
    /// Resources in the workload's paths that no component claims.
    pub unassigned: Vec<String>,
}

/// `onus scan --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    /// Always `scan`.
    pub kind: String,
    pub files: usize,
    pub resources: Vec<BoundResource>,
    pub workloads: Vec<WorkloadResources>,
    pub findings: Vec<Finding>,
}

/// `*` matches any run of characters; everything else literally.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// The address without module prefixes (`module.a.module.b.aws_x.y[0]` -> `aws_x.y[0]`).
fn local_address(address: &str) -> &str {
    let mut a = address;
    while let Some(rest) = a.strip_prefix("module.") {
        match rest.find('.') {
            Some(i) => a = &rest[i + 1..],
            None => break,
        }
    }
    a
}

struct CompiledSelector {
    address: Vec<String>,
    types: Vec<String>,
    tags: Vec<(String, String)>,
    paths: Vec<GlobMatcher>,
}

impl CompiledSelector {
    fn new(s: &Selector) -> Self {
        CompiledSelector {
            address: s.address.clone(),
            types: s.types.clone(),
            tags: s.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            paths: s.paths.iter().filter_map(|p| glob(p)).collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.address.is_empty()
            && self.types.is_empty()
            && self.tags.is_empty()
            && self.paths.is_empty()
    }

    /// Every criterion given must hold; within one criterion, any listed value will do.
    fn matches(&self, r: &Resource) -> bool {
        if self.is_empty() {
            return false;
        }
        let stripped = r.address.split('[').next().unwrap_or(&r.address);
        (self.address.is_empty()
            || self.address.iter().any(|p| {
                wildcard(p, &r.address)
                    || wildcard(p, local_address(&r.address))
                    || wildcard(p, local_address(stripped))
                    || wildcard(p, stripped)
            }))
            && (self.types.is_empty() || self.types.iter().any(|t| t == &r.rtype))
            && self.tags.iter().all(|(k, v)| r.tags.get(k) == Some(v))
            && (self.paths.is_empty() || self.paths.iter().any(|g| g.is_match(&r.file)))
    }
}

/// A path pattern: a glob, or a directory prefix (`infra/db/` or `infra/db`) meaning everything below it.
fn glob(p: &str) -> Option<GlobMatcher> {
    let p = p.trim_start_matches("./");
    let pattern = if p.contains(['*', '?', '[', '{']) {
        p.to_string()
    } else {
        format!("{}/**", p.trim_end_matches('/'))
    };
    Glob::new(&pattern).ok().map(|g| g.compile_matcher())
}

/// Which workload a file belongs to by the workloads' `paths:` (for results that name a file, not a resource).
pub struct PathOwner {
    index: PathIndex,
    globs: Vec<Vec<GlobMatcher>>,
}

impl PathOwner {
    pub fn new(workloads: &[Workload]) -> Self {
        PathOwner {
            index: PathIndex::new(workloads),
            globs: workloads
                .iter()
                .map(|w| w.paths.iter().filter_map(|p| glob(p)).collect())
                .collect(),
        }
    }

    /// The index of the first workload whose paths hold `file` (relative to the project folder).
    pub fn find(&self, file: &str) -> Option<usize> {
        self.index.find(file, &self.globs)
    }
}

/// Which workload's `paths:` hold a file: plain folder prefixes through a map (one lookup per folder level of the
/// file), globs one by one. The first workload in manifest order wins, as with selectors.
struct PathIndex {
    prefixes: HashMap<String, usize>,
    globbed: Vec<usize>,
}

impl PathIndex {
    fn new(workloads: &[Workload]) -> Self {
        let mut prefixes = HashMap::new();
        let mut globbed = Vec::new();
        for (wi, w) in workloads.iter().enumerate() {
            for p in &w.paths {
                if p.contains(['*', '?', '[', '{']) {
                    if globbed.last() != Some(&wi) {
                        globbed.push(wi);
                    }
                } else {
                    let key = p.trim_start_matches("./").trim_end_matches('/').to_string();
                    prefixes.entry(key).or_insert(wi);
                }
            }
        }
        PathIndex { prefixes, globbed }
    }

    fn find(&self, file: &str, globs: &[Vec<GlobMatcher>]) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut dir = file;
        while let Some(i) = dir.rfind('/') {
            dir = &dir[..i];
            if let Some(&wi) = self.prefixes.get(dir) {
                best = Some(best.map_or(wi, |b| b.min(wi)));
            }
        }
        for &wi in &self.globbed {
            if best.is_some_and(|b| b < wi) {
                break;
            }
            if globs[wi].iter().any(|g| g.is_match(file)) {
                best = Some(best.map_or(wi, |b| b.min(wi)));
                break;
            }
        }
        best
    }
}

/// Map every resource, bind it to a workload component, and collect the drift findings. Resource file paths and
/// selector paths are compared as given: pass both relative to the project root.
pub fn bind(
    cat: &Catalog,
    index: &TypeIndex,
    workloads: &[Workload],
    resources: Vec<Resource>,
    unresolved: &[UnresolvedModule],
    files: usize,
) -> ScanReport {
    let selectors: Vec<Vec<CompiledSelector>> = workloads
        .iter()
        .map(|w| {
            w.components
                .iter()
                .map(|c| CompiledSelector::new(&c.select.clone().unwrap_or_default()))
                .collect()
        })
        .collect();
    let wpaths: Vec<Vec<GlobMatcher>> = workloads
        .iter()
        .map(|w| w.paths.iter().filter_map(|p| glob(p)).collect())
        .collect();
    let owner_of_path = PathIndex::new(workloads);
    // Only components that select something are tried, so that a large estate with few selectors stays linear.
    let active: Vec<(usize, usize)> = selectors
        .iter()
        .enumerate()
        .flat_map(|(wi, sels)| {
            sels.iter()
                .enumerate()
                .filter(|(_, s)| !s.is_empty())
                .map(move |(ci, _)| (wi, ci))
        })
        .collect();
    let service_id = |s: &str| cat.service(s).map(|x| x.id.clone()).ok();
    let comp_services: Vec<Vec<Option<String>>> = workloads
        .iter()
        .map(|w| {
            w.components
                .iter()
                .map(|c| service_id(&c.service))
                .collect()
        })
        .collect();
    let mut findings = Vec::new();
    let mut bound = Vec::with_capacity(resources.len());
    let mut hits: Vec<Vec<Vec<String>>> = workloads
        .iter()
        .map(|w| vec![Vec::new(); w.components.len()])
        .collect();
    let mut unassigned: Vec<Vec<String>> = vec![Vec::new(); workloads.len()];

    for r in resources {
        let (service, mapping) = index.service_of(&r);
        let service = service.map(str::to_string);
        let mut place: Option<(usize, Option<usize>)> = active
            .iter()
            .find(|(wi, ci)| selectors[*wi][*ci].matches(&r))
            .map(|(wi, ci)| (*wi, Some(*ci)));
        if place.is_none() {
            if let Some(wi) = owner_of_path.find(&r.file, &wpaths) {
                // The first component of the same service, or for in-cluster objects the first cluster.
                let ci = match (&service, mapping) {
                    (_, Mapping::InCluster) => workloads[wi]
                        .components
                        .iter()
                        .position(|c| cat.service(&c.service).is_ok_and(|s| s.model == "caas")),
                    (Some(sid), _) => comp_services[wi]
                        .iter()
                        .position(|c| c.as_deref() == Some(sid)),
                    _ => None,
                };
                place = Some((wi, ci));
            }
        }
        let managed = r.mode == Mode::Managed;
        let here = |code: FindingCode, message: String, help: String, wi: Option<usize>| Finding {
            code,
            message,
            help,
            file: r.file.clone(),
            line: r.line,
            col: r.col,
            workload: wi.map(|i| workloads[i].name.clone()),
            component: None,
            resource: Some(r.address.clone()),
            resource_type: Some(r.rtype.clone()),
            service: service.clone(),
        };
        if managed && mapping == Mapping::Unmapped {
            findings.push(here(
                FindingCode::UnmappedType,
                format!("`{}` ({}) is of type `{}`, which no catalog service lists", r.address, r.input.as_str(), r.rtype),
                "its controls resolve to customer, assumed; add the type to a service's `iac` list (your own catalog: `onus --catalog DIR`)".into(),
                place.map(|p| p.0),
            ));
        }
        match place {
            Some((wi, Some(ci))) => hits[wi][ci].push(r.address.clone()),
            Some((wi, None)) => {
                unassigned[wi].push(r.address.clone());
                if managed {
                    if let (Some(sid), Mapping::Exact | Mapping::Parent) = (&service, mapping) {
                        findings.push(here(
                            FindingCode::UndeclaredService,
                            format!(
                                "`{}` creates `{sid}`, which workload `{}` does not declare",
                                r.address, workloads[wi].name
                            ),
                            format!(
                                "add a component with `service: {sid}` to `{}` (or move the resource out of its paths), then review the workload's matrix",
                                workloads[wi].name
                            ),
                            Some(wi),
                        ));
                    }
                }
            }
            None => {
                if managed
                    && !workloads.is_empty()
                    && matches!(
                        mapping,
                        Mapping::Exact | Mapping::Parent | Mapping::InCluster
                    )
                {
                    findings.push(here(
                        FindingCode::UnownedResource,
                        format!("`{}` belongs to no workload", r.address),
                        "add it to a component's `select:` or put its directory under a workload's `paths:`".into(),
                        None,
                    ));
                }
            }
        }
        let controls = if mapping == Mapping::InCluster {
            crate::kubernetes::controls_of(r.rtype.trim_start_matches("kubernetes:")).to_vec()
        } else {
            Vec::new()
        };
        bound.push(BoundResource {
            controls,
            service,
            mapping,
            workload: place.map(|p| workloads[p.0].name.clone()),
            component: place
                .and_then(|(wi, ci)| ci.map(|c| workloads[wi].components[c].name.clone())),
            resource: r,
        });
    }

    for (wi, w) in workloads.iter().enumerate() {
        for (ci, c) in w.components.iter().enumerate() {
            let sel = c.select.clone().unwrap_or_default();
            if hits[wi][ci].is_empty() && (!sel.paths.is_empty() || !sel.address.is_empty()) {
                findings.push(Finding {
                    code: FindingCode::AbsentComponent,
                    message: format!(
                        "component `{}` of `{}` selects resources, but none were found",
                        c.name, w.name
                    ),
                    help: "check the selector's addresses and paths, or remove the component if it is gone".into(),
                    file: String::new(),
                    line: 0,
                    col: 0,
                    workload: Some(w.name.clone()),
                    component: Some(c.name.clone()),
                    resource: None,
                    resource_type: None,
                    service: comp_services[wi][ci].clone(),
                });
            }
        }
    }
    for m in unresolved {
        findings.push(Finding {
            code: FindingCode::UnresolvedModule,
            message: format!("module `{}` comes from `{}`, which onus does not fetch", m.address, m.source),
            help: "scan `terraform show -json` of a plan to see the module's resources, or vendor the module locally".into(),
            file: m.file.clone(),
            line: m.line,
            col: m.col,
            workload: owner_of_path.find(&m.file, &wpaths).map(|i| workloads[i].name.clone()),
            component: None,
            resource: Some(m.address.clone()),
            resource_type: None,
            service: None,
        });
    }
    findings
        .sort_by(|a, b| (&a.file, a.line, a.col, a.code).cmp(&(&b.file, b.line, b.col, b.code)));
    let workloads = workloads
        .iter()
        .enumerate()
        .map(|(wi, w)| WorkloadResources {
            name: w.name.clone(),
            components: w
                .components
                .iter()
                .enumerate()
                .map(|(ci, c)| ComponentResources {
                    name: c.name.clone(),
                    service: comp_services[wi][ci]
                        .clone()
                        .unwrap_or_else(|| c.service.clone()),
                    resources: std::mem::take(&mut hits[wi][ci]),
                })
                .collect(),
            unassigned: std::mem::take(&mut unassigned[wi]),
        })
        .collect();
    ScanReport {
        schema_version: onus_core::report::SCHEMA_VERSION,
        kind: "scan".into(),
        files,
        resources: bound,
        workloads,
        findings,
    }
}

/// Count resources per service across the report, for summaries.
pub fn per_service(report: &ScanReport) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in &report.resources {
        let key = match (&r.service, r.mapping) {
            (Some(s), _) => s.clone(),
            (None, Mapping::InCluster) => "(in-cluster)".into(),
            (None, Mapping::Utility) => "(utility)".into(),
            (None, _) => "(unmapped)".into(),
        };
        *m.entry(key).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("aws_db_instance.*", "aws_db_instance.orders"));
        assert!(wildcard("*", "x"));
        assert!(wildcard("a*c*e", "abcde"));
        assert!(!wildcard("a*c*e", "abde"));
        assert!(!wildcard("ab*ba", "aba"));
        assert!(wildcard("exact", "exact"));
        assert_eq!(local_address("module.a.module.b.aws_x.y[0]"), "aws_x.y[0]");
    }
}
