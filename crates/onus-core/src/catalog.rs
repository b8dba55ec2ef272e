//! The catalog: controls, service models and services, built from YAML sources in layers (the bundled catalog, then
//! an organization's own) and validated as a whole. Pure: it takes file names and texts, never reads a disk.

use crate::diag::{suggest, Code, Diagnostic, Pos};
use crate::doc::{self, Doc, Kind};
use crate::model::{
    CatalogCell, Control, ControlSet, DeclaredOwner, Framework, IncidentSet, Layer, ModelSet,
    ScannerMap, ScannerRule, ServiceEntry, ServiceModel, Template, TemplateSet,
};
use crate::yaml::Spans;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The canonical service ids that the bundled catalog always carries (DESIGN.md); aliases may resolve to them.
pub const CANONICAL_SERVICES: &[&str] = &[
    "aws:ec2",
    "aws:rds",
    "aws:s3",
    "aws:lambda",
    "aws:ecs",
    "aws:eks",
    "aws:elastic-beanstalk",
    "aws:dynamodb",
    "aws:kms",
    "aws:cloudtrail",
    "aws:api-gateway",
    "aws:iam",
    "azure:virtual-machines",
    "azure:app-service",
    "azure:sql-database",
    "azure:functions",
    "azure:aks",
    "azure:blob-storage",
    "azure:key-vault",
    "azure:entra-id",
    "azure:monitor",
    "gcp:compute-engine",
    "gcp:cloud-run",
    "gcp:cloud-sql",
    "gcp:gke",
    "gcp:cloud-storage",
    "gcp:cloud-functions",
    "gcp:bigquery",
    "gcp:cloud-audit-logs",
];

/// One input file: a name to show in diagnostics and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }

    /// Whether the file's parent folder is named `dir`.
    fn in_dir(&self, dir: &str) -> bool {
        self.path.rsplit(['/', '\\']).nth(1) == Some(dir)
    }
}

/// A validated catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub frameworks: Vec<Framework>,
    pub layers: Vec<Layer>,
    pub controls: Vec<Control>,
    pub models: BTreeMap<String, ServiceModel>,
    pub services: BTreeMap<String, ServiceEntry>,
    /// Where each service was defined.
    pub origins: BTreeMap<String, String>,
    /// Classification, tier and overlay templates, with `extends` already folded in.
    pub templates: TemplateSet,
    /// Third-party scanners' rule ids mapped onto controls (`third-party/<tool>.yaml`).
    pub scanners: Vec<ScannerMap>,
    /// Symptoms, provider escalation and liability, first evidence (`incidents.yaml`).
    pub incidents: IncidentSet,
    names: HashMap<String, String>,
    control_index: HashMap<String, usize>,
}

/// A parsed `SERVICE[@VARIANT]` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub service: String,
    pub variant: Option<String>,
}

impl ServiceRef {
    pub fn parse(s: &str) -> ServiceRef {
        match s.split_once('@') {
            Some((svc, var)) => ServiceRef {
                service: svc.trim().to_string(),
                variant: Some(var.trim().to_string()),
            },
            None => ServiceRef {
                service: s.trim().to_string(),
                variant: None,
            },
        }
    }
}

/// Why a name did not resolve, with a suggestion when one is close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    pub what: &'static str,
    pub name: String,
    pub suggestion: Option<String>,
    pub valid: Vec<String>,
}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.name)?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        } else if !self.valid.is_empty() && self.valid.len() <= 12 {
            write!(f, "; expected one of: {}", self.valid.join(", "))?;
        }
        Ok(())
    }
}

impl Catalog {
    /// The controls in taxonomy order.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.control_index.get(id).map(|&i| &self.controls[i])
    }

    /// The mapping of a third-party rule id: first in the map of the tool whose SARIF driver is `driver`, then in
    /// any map (rule ids of the well-known scanners do not collide).
    pub fn scanner_rule(&self, driver: &str, rule_id: &str) -> Option<(&ScannerMap, &ScannerRule)> {
        let id = normalize_rule_id(rule_id);
        let find = |m: &'_ ScannerMap| -> Option<usize> {
            m.rules.iter().position(|r| normalize_rule_id(&r.id) == id)
        };
        let by_driver = self.scanners.iter().find(|m| {
            m.drivers
                .iter()
                .any(|d| d.eq_ignore_ascii_case(driver.trim()))
        });
        by_driver
            .and_then(|m| find(m).map(|i| (m, &m.rules[i])))
            .or_else(|| {
                self.scanners
                    .iter()
                    .find_map(|m| find(m).map(|i| (m, &m.rules[i])))
            })
    }

    pub fn control_ids(&self) -> impl Iterator<Item = &str> {
        self.controls.iter().map(|c| c.id.as_str())
    }

    pub fn find_control(&self, id: &str) -> Result<&Control, NotFound> {
        self.control(id).ok_or_else(|| NotFound {
            what: "control",
            name: id.to_string(),
            suggestion: suggest(id, self.control_ids()).map(str::to_string),
            valid: Vec::new(),
        })
    }

    /// A service by id or alias, case-insensitively.
    pub fn service(&self, name: &str) -> Result<&ServiceEntry, NotFound> {
        let key = name.trim().to_ascii_lowercase();
        if let Some(id) = self.names.get(&key) {
            return Ok(&self.services[id]);
        }
        Err(NotFound {
            what: "service",
            name: name.to_string(),
            suggestion: suggest(&key, self.services.keys().map(String::as_str))
                .or_else(|| {
                    suggest(&key, self.names.keys().map(String::as_str))
                        .and_then(|alias| self.names.get(alias).map(String::as_str))
                })
                .map(str::to_string),
            valid: Vec::new(),
        })
    }

    /// Check a variant name against a service.
    pub fn variant<'a>(
        &self,
        service: &'a ServiceEntry,
        variant: &str,
    ) -> Result<&'a str, NotFound> {
        match service.variants.get_key_value(variant) {
            Some((k, _)) => Ok(k.as_str()),
            None => Err(NotFound {
                what: "variant",
                name: format!("{}@{variant}", service.id),
                suggestion: suggest(variant, service.variants.keys().map(String::as_str))
                    .map(|v| format!("{}@{v}", service.id)),
                valid: service
                    .variants
                    .keys()
                    .map(|v| format!("{}@{v}", service.id))
                    .collect(),
            }),
        }
    }

    pub fn providers(&self) -> Vec<String> {
        let mut p: Vec<String> = self.services.values().map(|s| s.provider.clone()).collect();
        p.sort();
        p.dedup();
        p
    }
}

/// Build a catalog from layers of files: the first is the base (must hold `controls.yaml` and `models.yaml`), each
/// later layer adds services, controls and models, and replaces services that have the same id.
pub fn build(layers: &[Vec<SourceFile>]) -> (Catalog, Vec<Diagnostic>) {
    build_as_of(layers, None)
}

/// [`build`], and also warn about sources last checked more than 18 months before `today` (YYYY-MM-DD).
pub fn build_as_of(layers: &[Vec<SourceFile>], today: Option<&str>) -> (Catalog, Vec<Diagnostic>) {
    let today = today.and_then(parse_date);
    let mut diags = Vec::new();
    let mut cat = Catalog::default();
    let mut control_docs: Vec<Doc<ControlSet>> = Vec::new();
    let mut model_docs: Vec<Doc<ModelSet>> = Vec::new();
    let mut template_docs: Vec<Doc<TemplateSet>> = Vec::new();
    let mut service_layers: Vec<Vec<Doc<ServiceEntry>>> = Vec::new();
    let mut scanner_docs: Vec<Doc<ScannerMap>> = Vec::new();
    let mut incident_docs: Vec<Doc<IncidentSet>> = Vec::new();

    for layer in layers {
        let mut services = Vec::new();
        for f in layer {
            match f.file_name() {
                "controls.yaml" | "controls.yml" => {
                    let (d, ds) = doc::load::<ControlSet>(Kind::Controls, &f.path, &f.text);
                    diags.extend(ds);
                    control_docs.extend(d);
                }
                "models.yaml" | "models.yml" => {
                    let (d, ds) = doc::load::<ModelSet>(Kind::Models, &f.path, &f.text);
                    diags.extend(ds);
                    model_docs.extend(d);
                }
                "templates.yaml" | "templates.yml" => {
                    let (d, ds) = doc::load::<TemplateSet>(Kind::Templates, &f.path, &f.text);
                    diags.extend(ds);
                    template_docs.extend(d);
                }
                "incidents.yaml" | "incidents.yml" => {
                    let (d, ds) = doc::load::<IncidentSet>(Kind::Incidents, &f.path, &f.text);
                    diags.extend(ds);
                    incident_docs.extend(d);
                }
                _ if f.in_dir("third-party") => {
                    let (d, ds) = doc::load::<ScannerMap>(Kind::ScannerMap, &f.path, &f.text);
                    diags.extend(ds);
                    scanner_docs.extend(d);
                }
                _ => {
                    let (d, ds) = doc::load::<ServiceEntry>(Kind::Service, &f.path, &f.text);
                    diags.extend(ds);
                    services.extend(d);
                }
            }
        }
        service_layers.push(services);
    }

    // Controls: ids unique, layers known.
    let mut control_pos: HashMap<String, (String, Pos)> = HashMap::new();
    for d in &control_docs {
        for f in &d.value.frameworks {
            if !cat.frameworks.iter().any(|x| x.id == f.id) {
                cat.frameworks.push(f.clone());
            }
        }
        for l in &d.value.layers {
            if !cat.layers.iter().any(|x| x.id == l.id) {
                cat.layers.push(l.clone());
            }
        }
    }
    for d in &control_docs {
        for (i, c) in d.value.controls.iter().enumerate() {
            let ptr = format!("/controls/{i}/id");
            let pos = d.spans.value(&ptr);
            if !valid_control_id(&c.id) {
                diags.push(
                    Diagnostic::new(Code::InvalidId, &d.file, pos, format!("invalid control id `{}`", c.id))
                        .with_help("control ids are `<layer>.<name>` in lower-case kebab-case, e.g. `data.backup`"),
                );
            }
            if let Some((f, p)) = control_pos.get(&c.id) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        &d.file,
                        pos,
                        format!("control `{}` is defined twice", c.id),
                    )
                    .with_help(format!("first defined at {f}:{}:{}", p.line, p.col)),
                );
                continue;
            }
            if !cat.layers.iter().any(|l| l.id == c.layer) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        &d.file,
                        d.spans.value(&format!("/controls/{i}/layer")),
                        format!("unknown layer `{}`", c.layer),
                    )
                    .with_help(format!(
                        "layers are: {}",
                        cat.layers
                            .iter()
                            .map(|l| l.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
            for fw in c.frameworks.keys() {
                if !cat.frameworks.iter().any(|f| &f.id == fw) {
                    let d2 = Diagnostic::new(
                        Code::InvalidValue,
                        &d.file,
                        d.spans.key(&format!("/controls/{i}/frameworks/{fw}")),
                        format!("control `{}` maps to undeclared framework `{fw}`", c.id),
                    );
                    diags.push(
                        match suggest(fw, cat.frameworks.iter().map(|f| f.id.as_str())) {
                            Some(s) => d2.with_help(format!("did you mean `{s}`?")),
                            None => {
                                d2.with_help("declare it under `frameworks:` with id, name and url")
                            }
                        },
                    );
                }
            }
            control_pos.insert(c.id.clone(), (d.file.clone(), pos));
            cat.control_index.insert(c.id.clone(), cat.controls.len());
            cat.controls.push(c.clone());
        }
    }

    // Models: every listed control exists and appears once.
    for d in &model_docs {
        for (mid, m) in &d.value.models {
            let mut seen: HashMap<&str, &str> = HashMap::new();
            for (owner, list) in m.defaults.lists() {
                for (i, c) in list.iter().enumerate() {
                    let ptr = format!("/models/{mid}/defaults/{owner}/{i}");
                    if cat.control(c).is_none() {
                        diags.push(unknown_control(&cat, &d.file, d.spans.value(&ptr), c));
                    }
                    if let Some(prev) = seen.insert(c, owner) {
                        diags.push(Diagnostic::new(
                            Code::DuplicateId,
                            &d.file,
                            d.spans.value(&ptr),
                            format!("model `{mid}` lists `{c}` under both `{prev}` and `{owner}`"),
                        ));
                    }
                }
            }
            for (provider, list) in &m.sources {
                for (i, s) in list.iter().enumerate() {
                    let ptr = format!("/models/{mid}/sources/{provider}/{i}");
                    check_source(
                        &mut diags, &d.file, &d.spans, &ptr, &s.url, &s.checked, today,
                    );
                }
            }
            cat.models.insert(mid.clone(), m.clone());
        }
    }

    // Templates: later files replace earlier templates of the same name; then `extends` is folded in.
    let mut raw = TemplateSet::default();
    for d in &template_docs {
        validate_templates(&cat, d, &mut diags);
        for (section, into) in [
            (&d.value.classifications, &mut raw.classifications),
            (&d.value.tiers, &mut raw.tiers),
            (&d.value.overlays, &mut raw.overlays),
        ] {
            for (k, t) in section {
                into.insert(k.clone(), t.clone());
            }
        }
    }
    cat.templates = TemplateSet {
        classifications: flatten_templates(&raw.classifications),
        tiers: flatten_templates(&raw.tiers),
        overlays: flatten_templates(&raw.overlays),
    };

    // Services, layer by layer.
    for (layer_no, services) in service_layers.iter().enumerate() {
        let mut in_layer: HashMap<String, (String, Pos)> = HashMap::new();
        for d in services {
            validate_service(&cat, d, &mut diags, today);
            let id = d.value.id.to_ascii_lowercase();
            let pos = d.spans.value("/id");
            if let Some((f, p)) = in_layer.get(&id) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateId,
                        &d.file,
                        pos,
                        format!("service `{id}` is defined twice"),
                    )
                    .with_help(format!("first defined at {f}:{}:{}", p.line, p.col)),
                );
                continue;
            }
            in_layer.insert(id.clone(), (d.file.clone(), pos));
            if layer_no > 0 {
                if let Some(old) = cat.services.remove(&id) {
                    for a in &old.aliases {
                        cat.names.remove(&a.to_ascii_lowercase());
                    }
                }
            }
            cat.origins.insert(id.clone(), d.file.clone());
            cat.services.insert(id.clone(), d.value.clone());
        }
        // Names (ids and aliases) must be unambiguous across the whole catalog.
        for d in services {
            let id = d.value.id.to_ascii_lowercase();
            if cat.origins.get(&id) != Some(&d.file) {
                continue;
            }
            cat.names.insert(id.clone(), id.clone());
        }
        for d in services {
            let id = d.value.id.to_ascii_lowercase();
            if cat.origins.get(&id) != Some(&d.file) {
                continue;
            }
            for (i, a) in d.value.aliases.iter().enumerate() {
                let key = a.to_ascii_lowercase();
                match cat.names.get(&key) {
                    Some(other) if other != &id => diags.push(Diagnostic::new(
                        Code::DuplicateId,
                        &d.file,
                        d.spans.value(&format!("/aliases/{i}")),
                        format!("alias `{a}` of `{id}` is already a name of `{other}`"),
                    )),
                    _ => {
                        cat.names.insert(key, id.clone());
                    }
                }
            }
        }
    }

    // Incident knowledge: later files replace earlier symptoms and providers of the same id.
    for d in &incident_docs {
        validate_incidents(&cat, d, &mut diags, today);
        let v = &d.value;
        cat.incidents.symptoms.extend(v.symptoms.clone());
        cat.incidents.providers.extend(v.providers.clone());
        cat.incidents.evidence.extend(v.evidence.clone());
        cat.incidents.sources.extend(v.sources.clone());
    }

    // Third-party rule maps, validated once every service is known; a later file for the same tool replaces it.
    for d in &scanner_docs {
        validate_scanner_map(&cat, d, &mut diags, today);
        let tool = d.value.tool.to_ascii_lowercase();
        cat.scanners.retain(|m| m.tool.to_ascii_lowercase() != tool);
        cat.scanners.push(d.value.clone());
    }
    (cat, diags)
}

fn validate_incidents(
    cat: &Catalog,
    d: &Doc<IncidentSet>,
    diags: &mut Vec<Diagnostic>,
    today: Option<(i32, u32, u32)>,
) {
    let v = &d.value;
    for (key, s) in &v.sources {
        check_source(
            diags,
            &d.file,
            &d.spans,
            &format!("/sources/{key}"),
            &s.url,
            &s.checked,
            today,
        );
    }
    for (id, s) in &v.symptoms {
        for (i, c) in s.controls.iter().enumerate() {
            let ptr = format!("/symptoms/{id}/controls/{i}");
            if cat.control(&c.control).is_none() {
                diags.push(unknown_control(
                    cat,
                    &d.file,
                    d.spans.value(&format!("{ptr}/control")),
                    &c.control,
                ));
            }
            if !(1..=5).contains(&c.weight) {
                diags.push(Diagnostic::new(
                    Code::InvalidValue,
                    &d.file,
                    d.spans.value(&format!("{ptr}/weight")),
                    format!("weight {} is outside 1..5", c.weight),
                ));
            }
        }
    }
    for (pid, p) in &v.providers {
        for (side, l) in [
            ("provider-failure", &p.provider_failure),
            ("customer-failure", &p.customer_failure),
        ] {
            for (i, k) in l.sources.iter().enumerate() {
                if !v.sources.contains_key(k) {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            &d.file,
                            d.spans
                                .value(&format!("/providers/{pid}/{side}/sources/{i}")),
                            format!("source `{k}` is not declared under `sources`"),
                        )
                        .with_help("declare it with url, title and checked"),
                    );
                }
            }
        }
    }
    for (c, e) in &v.evidence {
        if cat.control(c).is_none() {
            diags.push(unknown_control(
                cat,
                &d.file,
                d.spans.key(&format!("/evidence/{c}")),
                c,
            ));
        }
        if let Some(n) = &e.needs {
            if cat.control(n).is_none() {
                diags.push(unknown_control(
                    cat,
                    &d.file,
                    d.spans.value(&format!("/evidence/{c}/needs")),
                    n,
                ));
            }
        }
    }
}

fn validate_scanner_map(
    cat: &Catalog,
    d: &Doc<ScannerMap>,
    diags: &mut Vec<Diagnostic>,
    today: Option<(i32, u32, u32)>,
) {
    check_source(
        diags,
        &d.file,
        &d.spans,
        "",
        &d.value.docs,
        &d.value.checked,
        today,
    );
    if parse_date(&d.value.checked).is_none() {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                &d.file,
                d.spans.value("/checked"),
                format!("`checked` is `{}`, not a date", d.value.checked),
            )
            .with_help("write the date as YYYY-MM-DD"),
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, r) in d.value.rules.iter().enumerate() {
        if cat.control(&r.control).is_none() {
            let pos = d.spans.value(&format!("/rules/{i}/control"));
            diags.push(unknown_control(cat, &d.file, pos, &r.control));
        }
        if let Some(svc) = &r.service {
            if !cat.services.contains_key(&svc.to_ascii_lowercase()) {
                diags.push(Diagnostic::new(
                    Code::UnknownService,
                    &d.file,
                    d.spans.value(&format!("/rules/{i}/service")),
                    format!("unknown service `{svc}`"),
                ));
            }
        }
        if let Some(first) = seen.insert(normalize_rule_id(&r.id), i) {
            let p = d.spans.value(&format!("/rules/{first}/id"));
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    &d.file,
                    d.spans.value(&format!("/rules/{i}/id")),
                    format!("rule `{}` is mapped twice", r.id),
                )
                .with_help(format!("first mapped at {}:{}:{}", d.file, p.line, p.col)),
            );
        }
    }
}

/// Rule ids compare without case and without Trivy's `AVD-` prefix, which its newer releases dropped.
pub fn normalize_rule_id(id: &str) -> String {
    let id = id.trim().to_ascii_uppercase();
    match id.strip_prefix("AVD-") {
        Some(rest) => rest.to_string(),
        None => id,
    }
}

/// Fold each template's `extends` chain into it (parents' requirements first). Cycles and unknown parents are
/// reported by [`validate_templates`]; here they simply stop the chain.
fn flatten_templates(section: &BTreeMap<String, Template>) -> BTreeMap<String, Template> {
    section
        .iter()
        .map(|(k, t)| {
            let mut chain = vec![t];
            let mut seen: HashSet<&str> = HashSet::from([k.as_str()]);
            let mut cur = t;
            while let Some(p) = cur.extends.as_deref() {
                match section.get(p) {
                    Some(parent) if seen.insert(p) => {
                        chain.push(parent);
                        cur = parent;
                    }
                    _ => break,
                }
            }
            let mut flat = t.clone();
            flat.requires.clear();
            flat.requirements.clear();
            flat.review_cadence_days = chain.iter().find_map(|t| t.review_cadence_days);
            for t in chain.iter().rev() {
                for c in &t.requires {
                    if !flat.requires.contains(c) {
                        flat.requires.push(c.clone());
                    }
                }
                for r in &t.requirements {
                    // A child's requirement of the same control and kind replaces its parent's.
                    flat.requirements
                        .retain(|x| !(x.control == r.control && x.kind == r.kind));
                    flat.requirements.push(r.clone());
                }
            }
            (k.clone(), flat)
        })
        .collect()
}

/// The classifications a workload can declare (model::Classification).
const CLASSIFICATIONS: &[&str] = &["public", "internal", "confidential", "pii", "phi", "pci"];

fn validate_templates(cat: &Catalog, d: &Doc<TemplateSet>, diags: &mut Vec<Diagnostic>) {
    let file = d.file.as_str();
    for (section, map) in [
        ("classifications", &d.value.classifications),
        ("tiers", &d.value.tiers),
        ("overlays", &d.value.overlays),
    ] {
        for (name, t) in map {
            let base = format!("/{section}/{name}");
            let bad_key = match section {
                "classifications" => !CLASSIFICATIONS.contains(&name.as_str()),
                "tiers" => !matches!(name.as_str(), "1" | "2" | "3" | "4"),
                _ => !kebab(name),
            };
            if bad_key {
                let help = match section {
                    "classifications" => {
                        format!("classifications are: {}", CLASSIFICATIONS.join(", "))
                    }
                    "tiers" => "tiers are \"1\" (most critical) to \"4\"".to_string(),
                    _ => "overlay names are lower-case kebab-case".to_string(),
                };
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        file,
                        d.spans.key(&base),
                        format!("`{name}` is not a valid key under `{section}`"),
                    )
                    .with_help(help),
                );
            }
            if let Some(p) = &t.extends {
                let mut cur = p.as_str();
                let mut steps = 0;
                let problem = loop {
                    if cur == name {
                        break Some(format!("template `{name}` extends itself through `{p}`"));
                    }
                    match map.get(cur) {
                        None => break Some(format!("template `{name}` extends unknown `{cur}`")),
                        Some(next) => match next.extends.as_deref() {
                            Some(n) if steps < map.len() => {
                                cur = n;
                                steps += 1;
                            }
                            _ => break None,
                        },
                    }
                };
                if let Some(msg) = problem {
                    let d2 = Diagnostic::new(
                        Code::UnknownTemplate,
                        file,
                        d.spans.value(&format!("{base}/extends")),
                        msg,
                    );
                    diags.push(match suggest(p, map.keys().map(String::as_str)) {
                        Some(s) if s != name && s != p => {
                            d2.with_help(format!("did you mean `{s}`?"))
                        }
                        _ => {
                            d2.with_help(format!("`extends` names another entry under `{section}`"))
                        }
                    });
                }
            }
            for (i, c) in t.requires.iter().enumerate() {
                if cat.control(c).is_none() {
                    diags.push(unknown_control(
                        cat,
                        file,
                        d.spans.value(&format!("{base}/requires/{i}")),
                        c,
                    ));
                }
            }
            for (i, r) in t.requirements.iter().enumerate() {
                let ptr = format!("{base}/requirements/{i}");
                if cat.control(&r.control).is_none() {
                    diags.push(unknown_control(
                        cat,
                        file,
                        d.spans.value(&format!("{ptr}/control")),
                        &r.control,
                    ));
                }
                match (r.kind.takes_days(), r.value) {
                    (true, None) | (true, Some(0)) => diags.push(
                        Diagnostic::new(
                            Code::MissingField,
                            file,
                            d.spans.value(&format!("{ptr}/kind")),
                            format!(
                                "requirement `{}` needs a `value`: a number of days, at least 1",
                                r.kind.as_str()
                            ),
                        )
                        .with_help("e.g. `value: 365`"),
                    ),
                    (false, Some(_)) => diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            file,
                            d.spans.value(&format!("{ptr}/value")),
                            format!("requirement `{}` takes no `value`", r.kind.as_str()),
                        )
                        .with_help("only the `*-days` kinds take a number of days"),
                    ),
                    _ => {}
                }
                for fw in r.frameworks.keys() {
                    if !cat.frameworks.iter().any(|f| &f.id == fw) {
                        let d2 = Diagnostic::new(
                            Code::InvalidValue,
                            file,
                            d.spans.key(&format!("{ptr}/frameworks/{fw}")),
                            format!("unknown framework `{fw}`"),
                        );
                        diags.push(
                            match suggest(fw, cat.frameworks.iter().map(|f| f.id.as_str())) {
                                Some(s) => d2.with_help(format!("did you mean `{s}`?")),
                                None => d2.with_help("run `onus catalog frameworks` for the list"),
                            },
                        );
                    }
                }
            }
        }
    }
}

fn valid_control_id(id: &str) -> bool {
    let Some((layer, name)) = id.split_once('.') else {
        return false;
    };
    kebab(layer) && kebab(name)
}

fn kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(crate) fn unknown_control(cat: &Catalog, file: &str, pos: Pos, id: &str) -> Diagnostic {
    let d = Diagnostic::new(
        Code::UnknownControl,
        file,
        pos,
        format!("unknown control `{id}`"),
    );
    match suggest(id, cat.control_ids()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help("run `onus catalog controls` for the list of control ids"),
    }
}

/// Is `s` a real calendar date written YYYY-MM-DD?
pub fn valid_date(s: &str) -> bool {
    parse_date(s).is_some()
}

/// Parse YYYY-MM-DD into (year, month, day) when it is a real date.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (d >= 1 && d <= days).then_some((y, m, d))
}

/// Sources checked longer ago than this many months draw a `stale-source` warning.
pub const STALE_AFTER_MONTHS: i32 = 18;

fn check_source(
    diags: &mut Vec<Diagnostic>,
    file: &str,
    spans: &Spans,
    ptr: &str,
    url: &str,
    checked: &str,
    today: Option<(i32, u32, u32)>,
) {
    if let (Some(c), Some(t)) = (parse_date(checked), today) {
        let months = (t.0 - c.0) * 12 + t.1 as i32 - c.1 as i32 - i32::from(t.2 < c.2);
        let pos = spans.value(&format!("{ptr}/checked"));
        if c > t {
            diags.push(
                Diagnostic::new(
                    Code::StaleSource,
                    file,
                    pos,
                    format!("source `{url}` was checked on {checked}, a date still to come"),
                )
                .with_help("write the date the page was actually read"),
            );
        } else if months >= STALE_AFTER_MONTHS {
            diags.push(
                Diagnostic::new(
                    Code::StaleSource,
                    file,
                    pos,
                    format!("source `{url}` was last checked {months} months ago ({checked})"),
                )
                .with_help("re-read the page, confirm or correct the cells that cite it, and update `checked`"),
            );
        }
    }
    if !url.starts_with("https://") {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                file,
                spans.value(&format!("{ptr}/url")),
                format!("source url `{url}` is not an https:// address"),
            )
            .with_help("cite the provider's own documentation page"),
        );
    }
    if !valid_date(checked) {
        diags.push(
            Diagnostic::new(
                Code::InvalidDate,
                file,
                spans.value(&format!("{ptr}/checked")),
                format!("`{checked}` is not a date"),
            )
            .with_help("write the date the page was checked as YYYY-MM-DD"),
        );
    }
}

fn validate_service(
    cat: &Catalog,
    d: &Doc<ServiceEntry>,
    diags: &mut Vec<Diagnostic>,
    today: Option<(i32, u32, u32)>,
) {
    let s = &d.value;
    let file = d.file.as_str();
    // Id form and agreement with provider and file name.
    let id_pos = d.spans.value("/id");
    match s.id.split_once(':') {
        Some((prov, slug)) if kebab(prov) && kebab(slug) => {
            if prov != s.provider {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidId,
                        file,
                        id_pos,
                        format!(
                            "id `{}` does not start with its provider `{}`",
                            s.id, s.provider
                        ),
                    )
                    .with_help(format!("use `{}:{slug}`", s.provider)),
                );
            }
            let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let stem = stem
                .strip_suffix(".yaml")
                .or_else(|| stem.strip_suffix(".yml"))
                .unwrap_or(stem);
            if stem != slug {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidId,
                        file,
                        id_pos,
                        format!("id `{}` does not match its file name `{stem}`", s.id),
                    )
                    .with_help(format!(
                        "name the file `{slug}.yaml`, or the id `{prov}:{stem}`"
                    )),
                );
            }
        }
        _ => diags.push(
            Diagnostic::new(
                Code::InvalidId,
                file,
                id_pos,
                format!("invalid service id `{}`", s.id),
            )
            .with_help(
                "service ids are `<provider>:<slug>` in lower-case kebab-case, e.g. `aws:rds`",
            ),
        ),
    }
    if !cat.models.contains_key(&s.model) {
        let d2 = Diagnostic::new(
            Code::UnknownModel,
            file,
            d.spans.value("/model"),
            format!("unknown service model `{}`", s.model),
        );
        diags.push(
            match suggest(&s.model, cat.models.keys().map(String::as_str)) {
                Some(m) => d2.with_help(format!("did you mean `{m}`?")),
                None => d2.with_help(format!(
                    "models are: {}",
                    cat.models.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            },
        );
    }
    if s.sources.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::MissingSource,
                file,
                d.spans.key("/sources"),
                format!("service `{}` cites no source", s.id),
            )
            .with_help("add the provider pages that support its cells under `sources:`"),
        );
    }
    for (key, src) in &s.sources {
        check_source(
            diags,
            file,
            &d.spans,
            &format!("/sources/{key}"),
            &src.url,
            &src.checked,
            today,
        );
    }
    let mut used: HashSet<&str> = HashSet::new();
    validate_cells(cat, d, "/controls", &s.controls, &mut used, diags);
    for (vid, v) in &s.variants {
        if !kebab(vid) {
            diags.push(Diagnostic::new(
                Code::InvalidId,
                file,
                d.spans.key(&format!("/variants/{vid}")),
                format!("variant id `{vid}` is not kebab-case"),
            ));
        }
        validate_cells(
            cat,
            d,
            &format!("/variants/{vid}/controls"),
            &v.controls,
            &mut used,
            diags,
        );
    }
    if let Some(dv) = &s.default_variant {
        if !s.variants.contains_key(dv) {
            let d2 = Diagnostic::new(
                Code::UnknownVariant,
                file,
                d.spans.value("/default-variant"),
                format!("default variant `{dv}` is not declared"),
            );
            diags.push(match suggest(dv, s.variants.keys().map(String::as_str)) {
                Some(v) => d2.with_help(format!("did you mean `{v}`?")),
                None => d2.with_help("declare it under `variants:`"),
            });
        }
    }
    for key in s.sources.keys() {
        if !used.contains(key.as_str()) {
            diags.push(Diagnostic::new(
                Code::UnusedSource,
                file,
                d.spans.key(&format!("/sources/{key}")),
                format!("source `{key}` is not cited by any cell"),
            ));
        }
    }
    let missing: Vec<&str> = cat
        .control_ids()
        .filter(|c| !s.controls.contains_key(*c))
        .collect();
    let says_why = s
        .model_defaults
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    if !missing.is_empty() && !cat.controls.is_empty() && !says_why {
        diags.push(
            Diagnostic::new(
                Code::IncompleteService,
                file,
                d.spans.key("/controls"),
                format!(
                    "`{}` does not state {} control(s): {}",
                    s.id,
                    missing.len(),
                    if missing.len() > 4 {
                        format!("{} and {} more", missing[..4].join(", "), missing.len() - 4)
                    } else {
                        missing.join(", ")
                    }
                ),
            )
            .with_help(format!("the `{}` model's defaults apply to them", s.model)),
        );
    }
}

fn validate_cells<'a>(
    cat: &Catalog,
    d: &'a Doc<ServiceEntry>,
    base: &str,
    cells: &'a BTreeMap<String, CatalogCell>,
    used: &mut HashSet<&'a str>,
    diags: &mut Vec<Diagnostic>,
) {
    let file = d.file.as_str();
    for (cid, cell) in cells {
        let ptr = format!("{base}/{}", crate::yaml::escape(cid));
        if cat.control(cid).is_none() {
            diags.push(unknown_control(cat, file, d.spans.key(&ptr), cid));
        }
        let blank = |o: &Option<String>| o.as_deref().is_none_or(|t| t.trim().is_empty());
        let need: &[(&str, bool)] = match cell.owner {
            DeclaredOwner::Provider => &[("provider", blank(&cell.provider))],
            DeclaredOwner::Customer => &[("customer", blank(&cell.customer))],
            DeclaredOwner::Shared => &[
                ("provider", blank(&cell.provider)),
                ("customer", blank(&cell.customer)),
            ],
            DeclaredOwner::NotApplicable | DeclaredOwner::Unstated => {
                &[("note", blank(&cell.note))]
            }
        };
        for (field, missing) in need {
            if *missing {
                let owner = serde_json::to_value(cell.owner)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                diags.push(
                    Diagnostic::new(
                        Code::MissingDuty,
                        file,
                        d.spans.value(&format!("{ptr}/owner")),
                        format!("`{cid}` is `{owner}` but has no `{field}` text"),
                    )
                    .with_help(match *field {
                        "note" => {
                            "say why (not-applicable) or what was looked for (unstated)".to_string()
                        }
                        f => format!("state the {f}'s duty in one sentence"),
                    }),
                );
            }
        }
        if cell.sources.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::MissingSource,
                    file,
                    d.spans.value(&format!("{ptr}/sources")),
                    format!("`{cid}` cites no source"),
                )
                .with_help("cite at least one key of the entry's `sources`"),
            );
        }
        for (i, key) in cell.sources.iter().enumerate() {
            if d.value.sources.contains_key(key) {
                used.insert(key.as_str());
            } else {
                let d2 = Diagnostic::new(
                    Code::UnknownSource,
                    file,
                    d.spans.value(&format!("{ptr}/sources/{i}")),
                    format!("`{cid}` cites `{key}`, which `sources` does not define"),
                );
                diags.push(
                    match suggest(key, d.value.sources.keys().map(String::as_str)) {
                        Some(s) => d2.with_help(format!("did you mean `{s}`?")),
                        None => d2.with_help("add it under `sources:` with url, title and checked"),
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_for_real() {
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2026-13-01"));
        assert!(!valid_date("26-11-28"));
    }

    #[test]
    fn service_refs_parse() {
        assert_eq!(
            ServiceRef::parse("aws:eks@auto-mode"),
            ServiceRef {
                service: "aws:eks".into(),
                variant: Some("auto-mode".into())
            }
        );
        assert_eq!(ServiceRef::parse("rds").variant, None);
    }
}
