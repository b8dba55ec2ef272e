//! The data model: the file types users and catalog authors write (controls, service models, service entries,
//! workload manifests). Each derives a JSON Schema; `schemas/` holds the generated files.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who owns a control, as resolved.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    Provider,
    Customer,
    Shared,
    NotApplicable,
}

impl Owner {
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Provider => "provider",
            Owner::Customer => "customer",
            Owner::Shared => "shared",
            Owner::NotApplicable => "not-applicable",
        }
    }

    /// Does the customer have a duty for this control?
    pub fn customer_has_duty(self) -> bool {
        matches!(self, Owner::Customer | Owner::Shared)
    }
}

/// Who owns a control, as a catalog entry states it. `unstated` means the provider's documentation does not say; it
/// resolves to customer, flagged `assumed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeclaredOwner {
    Provider,
    Customer,
    Shared,
    NotApplicable,
    Unstated,
}

impl DeclaredOwner {
    pub fn resolved(self) -> Owner {
        match self {
            DeclaredOwner::Provider => Owner::Provider,
            DeclaredOwner::Customer | DeclaredOwner::Unstated => Owner::Customer,
            DeclaredOwner::Shared => Owner::Shared,
            DeclaredOwner::NotApplicable => Owner::NotApplicable,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// controls.yaml

/// The control taxonomy file (`catalog/controls.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus control set")]
pub struct ControlSet {
    /// The compliance frameworks that controls map onto.
    #[serde(default)]
    pub frameworks: Vec<Framework>,
    /// The layers, bottom to top; every control names one.
    pub layers: Vec<Layer>,
    pub controls: Vec<Control>,
}

/// A compliance framework (NIST SP 800-53, PCI DSS, ...).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Layer {
    pub id: String,
    pub title: String,
}

/// A provider-neutral security duty.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Control {
    /// A stable dotted id, e.g. `data.encryption-at-rest`. Never renamed.
    pub id: String,
    pub layer: String,
    pub title: String,
    pub description: String,
    /// The question that tells the owner: "who would fix this if it broke?"
    pub question: String,
    /// What goes wrong, concretely, when nobody does it.
    pub consequence: String,
    /// Generic duties, used where a cell comes from a service-model default.
    pub duties: Duties,
    /// Framework requirement ids, by framework id (e.g. `nist-800-53-r5: [SC-28]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub frameworks: BTreeMap<String, Vec<String>>,
}

/// What each side does for a control, in general terms.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Duties {
    pub provider: String,
    pub customer: String,
}

// ---------------------------------------------------------------------------------------------------------------
// models.yaml

/// The service-model file (`catalog/models.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus service models")]
pub struct ModelSet {
    pub models: BTreeMap<String, ServiceModel>,
}

/// A service model (iaas, paas, ...) and its default owner per control.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServiceModel {
    pub name: String,
    pub description: String,
    /// The providers' pages that describe this model, by provider id.
    pub sources: BTreeMap<String, Vec<Source>>,
    /// Default owners: each control id listed under exactly one owner.
    pub defaults: ModelDefaults,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ModelDefaults {
    #[serde(default)]
    pub provider: Vec<String>,
    #[serde(default)]
    pub shared: Vec<String>,
    #[serde(default)]
    pub customer: Vec<String>,
    #[serde(default)]
    pub not_applicable: Vec<String>,
}

impl ModelDefaults {
    pub fn owner_of(&self, control: &str) -> Option<Owner> {
        let has = |v: &Vec<String>| v.iter().any(|c| c == control);
        if has(&self.customer) {
            Some(Owner::Customer)
        } else if has(&self.shared) {
            Some(Owner::Shared)
        } else if has(&self.provider) {
            Some(Owner::Provider)
        } else if has(&self.not_applicable) {
            Some(Owner::NotApplicable)
        } else {
            None
        }
    }

    pub fn lists(&self) -> [(&'static str, &Vec<String>); 4] {
        [
            ("provider", &self.provider),
            ("shared", &self.shared),
            ("customer", &self.customer),
            ("not-applicable", &self.not_applicable),
        ]
    }
}

/// A provider page that supports a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Source {
    pub url: String,
    pub title: String,
    /// The date someone read the page and confirmed the claim, YYYY-MM-DD.
    pub checked: String,
}

// ---------------------------------------------------------------------------------------------------------------
// catalog/<provider>/<slug>.yaml

/// A catalog entry: one cloud service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus catalog entry")]
pub struct ServiceEntry {
    /// `<provider>:<slug>`, slug in kebab-case.
    pub id: String,
    pub name: String,
    pub provider: String,
    /// A model id from models.yaml.
    pub model: String,
    pub category: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_page: Option<String>,
    #[serde(default)]
    pub iac: IacTypes,
    /// Every page the cells cite, by a short key.
    pub sources: BTreeMap<String, Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_variant: Option<String>,
    /// Why the service model's defaults apply to every control this entry does not state (e.g. a generic or
    /// little-documented provider). With it, an entry may state fewer than all controls without a warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_defaults: Option<String>,
    #[serde(default)]
    pub controls: BTreeMap<String, CatalogCell>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, Variant>,
}

/// Infrastructure-as-code resource types that create a service.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct IacTypes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terraform: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cloudformation: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arm: Vec<String>,
    /// Cloud inventory export types (AWS Config, Azure Resource Graph, Google Cloud Asset Inventory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventory: Vec<String>,
}

/// One control as a service states it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CatalogCell {
    pub owner: DeclaredOwner,
    /// The provider's duty (required for provider and shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The customer's duty (required for customer and shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Insecure or surprising defaults to watch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<String>,
    /// Why (required for not-applicable and unstated), or any caveat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Keys of the entry's `sources`; at least one.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A way of using a service that moves the line.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only the cells that differ from the service's.
    #[serde(default)]
    pub controls: BTreeMap<String, CatalogCell>,
}

// ---------------------------------------------------------------------------------------------------------------
// onus.yaml / workloads/*.yaml

/// A workload manifest file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus workload manifest")]
pub struct ManifestFile {
    #[serde(default)]
    pub workloads: Vec<Workload>,
    /// Accepted exceptions to checks, each with a reason, an approver and an expiry date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
}

/// An accepted exception: a check (or every check of a control) does not count against the resources named, until
/// the expiry date. Waived results are still counted and listed; an expired waiver is itself a finding.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Waiver {
    /// A check id (`aws-rds-multi-az`); give this or `control`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// A control id: every check of that control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// Resource addresses or ids it covers (`*` matches any run of characters); every resource when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    pub reason: String,
    /// Who accepted the risk.
    pub approver: String,
    /// YYYY-MM-DD; after this day the waiver no longer applies and is reported.
    pub expires: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    Public,
    Internal,
    Confidential,
    Pii,
    Phi,
    Pci,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Public => "public",
            Classification::Internal => "internal",
            Classification::Confidential => "confidential",
            Classification::Pii => "pii",
            Classification::Phi => "phi",
            Classification::Pci => "pci",
        }
    }
}

/// A workload: a set of components that one team owns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub owner: OwnerTeam,
    pub classification: Classification,
    /// Risk tier: 1 is the most critical.
    #[schemars(range(min = 1, max = 4))]
    pub tier: u8,
    pub components: Vec<Component>,
    /// Per-control departures from the catalog, each with a reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<String, Override>,
    /// Evidence that the customer's side of a control is done, by control id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, Vec<EvidenceLink>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewPolicy>,
    /// Everything under these paths belongs to this workload (for discovery).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Regulatory overlays from the catalog's templates (e.g. `hsm-key-custody`, `data-residency-eu`), applied on
    /// top of the classification and tier templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OwnerTeam {
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_call: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Component {
    pub name: String,
    /// A catalog service id or alias, e.g. `aws:rds`.
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Selector>,
}

/// Which infrastructure resources make up a component (used by discovery).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Selector {
    /// Resource addresses or ids; `*` matches any run of characters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<String>,
    /// Resource types (e.g. `aws_db_instance`, `AWS::RDS::DBInstance`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// Tags or labels that must all match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Path globs of the files the resources are declared in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

/// A per-control departure from the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Override {
    pub owner: Owner,
    /// Why: mandatory (an override without one is an error), and shown wherever the cell is.
    #[serde(default)]
    pub reason: String,
    /// The components it applies to; all of the workload's when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// The duty that now falls on the customer, if it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EvidenceLink {
    pub link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Escalation {
    /// Per provider id (`aws`, `azure`, `gcp`).
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderEscalation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<InternalEscalation>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProviderEscalation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_plan: Option<String>,
    /// How to open a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_page: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct InternalEscalation {
    pub on_call: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ReviewPolicy {
    /// Days between reviews; the tier's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence_days: Option<u32>,
    /// The date of the last review, YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_review: Option<String>,
}

/// `templates.yaml`: what a data classification, a risk tier or a regulatory overlay asks of a workload.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus templates")]
pub struct TemplateSet {
    /// One template per data classification: public, internal, confidential, pii, phi, pci.
    #[serde(default)]
    pub classifications: BTreeMap<String, Template>,
    /// One template per risk tier, keyed "1" (most critical) to "4".
    #[serde(default)]
    pub tiers: BTreeMap<String, Template>,
    /// Regulatory overlays a workload opts into by name.
    #[serde(default)]
    pub overlays: BTreeMap<String, Template>,
}

/// A set of requirements that raise the bar above the provider's baseline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub description: String,
    /// Another template of the same section whose `requires` and `requirements` this one inherits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Days between reviews of a workload this template applies to (tiers set it; the strictest applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_cadence_days: Option<u32>,
    /// Controls whose customer side must be evidenced for a workload this template applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Stricter requirements, each on one control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<Requirement>,
}

/// One stricter requirement on one control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Requirement {
    pub control: String,
    pub kind: RequirementKind,
    /// The number of days for the `*-days` kinds (at least / at most, as the kind says); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u32>,
    /// What the customer must do, in a sentence.
    pub text: String,
    /// Framework requirement ids this comes from, by framework id (e.g. `pci-dss-4.0: ["3.6.1"]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub frameworks: BTreeMap<String, Vec<String>>,
}

/// The kinds of requirement a template can state; each has a fixed meaning a check can test.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementKind {
    /// Data is encrypted with keys the customer manages (not provider-managed keys).
    CustomerManagedKeys,
    /// Key material is held in a dedicated or single-tenant HSM under the customer's control.
    DedicatedHsm,
    /// Multi-factor authentication for every human with access.
    MfaRequired,
    /// Every connection is encrypted (TLS 1.2 or later), including inside the network.
    EncryptionInTransit,
    /// The service is reachable only over private networking (no public endpoint).
    PrivateNetworkOnly,
    /// Data and its backups stay in approved regions.
    DataResidency,
    /// The workload survives the loss of a zone (multi-zone or multi-region design).
    MultiZone,
    /// Logs are kept at least `value` days.
    LogRetentionDays,
    /// Backups are kept at least `value` days.
    BackupRetentionDays,
    /// A restore is tested at least every `value` days.
    RestoreTestDays,
    /// Access is reviewed at least every `value` days.
    AccessReviewDays,
    /// Vulnerability scans run at least every `value` days.
    VulnerabilityScanDays,
    /// Keys are rotated at least every `value` days.
    KeyRotationDays,
}

impl RequirementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementKind::CustomerManagedKeys => "customer-managed-keys",
            RequirementKind::DedicatedHsm => "dedicated-hsm",
            RequirementKind::MfaRequired => "mfa-required",
            RequirementKind::EncryptionInTransit => "encryption-in-transit",
            RequirementKind::PrivateNetworkOnly => "private-network-only",
            RequirementKind::DataResidency => "data-residency",
            RequirementKind::MultiZone => "multi-zone",
            RequirementKind::LogRetentionDays => "log-retention-days",
            RequirementKind::BackupRetentionDays => "backup-retention-days",
            RequirementKind::RestoreTestDays => "restore-test-days",
            RequirementKind::AccessReviewDays => "access-review-days",
            RequirementKind::VulnerabilityScanDays => "vulnerability-scan-days",
            RequirementKind::KeyRotationDays => "key-rotation-days",
        }
    }

    /// Does this kind take a number of days?
    pub fn takes_days(self) -> bool {
        self.as_str().ends_with("-days")
    }
}

/// A built-in or organization check (`rules/**/*.yaml`): a condition on resources of given types that gives (or
/// withholds) evidence for one control. Evaluated by `onus scan`; documented by `onus rules ID`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus check")]
pub struct RuleFile {
    /// `<provider>-<what>` in kebab-case, e.g. `aws-s3-block-public-acls`; unique.
    pub id: String,
    pub title: String,
    /// The control whose customer side this check tests.
    pub control: String,
    pub severity: RuleSeverity,
    /// Why it matters: the risk in a sentence or two.
    pub description: String,
    /// What to change.
    pub remediation: String,
    /// Provider documentation pages that support the check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Which resources it applies to.
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    /// Every assertion must hold for the resource to pass.
    pub assert: Vec<Assertion>,
    /// A failing and a passing example in the input's own syntax; the test suite runs both.
    pub fixtures: RuleFixtures,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSeverity {
    Low,
    Medium,
    High,
    Critical,
}

impl RuleSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleSeverity::Low => "low",
            RuleSeverity::Medium => "medium",
            RuleSeverity::High => "high",
            RuleSeverity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RuleMatch {
    /// Resource types as the input writes them (`aws_s3_bucket`, `AWS::S3::Bucket`, `kubernetes:Deployment`).
    pub types: Vec<String>,
    /// Only when these attributes have these values (e.g. `{engine: postgres}`); a scope, not an assertion.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, serde_json::Value>,
    /// Only in workloads whose templates ask for this requirement (e.g. `customer-managed-keys` for a pci
    /// workload); elsewhere the check does not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<RequirementKind>,
}

/// One condition on an attribute. `attribute` is a dotted path; `[]` steps into every element of a list
/// (`ingress[].cidr_blocks`). Exactly one operator is given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Assertion {
    pub attribute: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub none_of: Option<Vec<serde_json::Value>>,
    /// `true`: the attribute must be set (to anything but null); `false`: it must not be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    /// At least the value the workload's templates set for this requirement (`backup-retention-days`,
    /// `log-retention-days`); the assertion holds trivially where no template sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least_requirement: Option<RequirementKind>,
    /// The string or list must contain this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<serde_json::Value>,
    /// The string or list must not contain this value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_contains: Option<serde_json::Value>,
    /// What an absent attribute means: `fail` (the default: the provider default is the insecure one), `pass`
    /// (the default is the secure one), or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_absent: Option<AbsentMeans>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AbsentMeans {
    Fail,
    Pass,
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RuleFixtures {
    /// The syntax of the examples: terraform, cloudformation, kubernetes or arm.
    pub input: String,
    /// A configuration the check fails on.
    pub fail: String,
    /// The same configuration fixed.
    pub pass: String,
    /// The template requirements the fixtures run under, for checks that depend on them (e.g.
    /// `{customer-managed-keys: 0, backup-retention-days: 35}`; the value matters only for numeric ones).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requirements: BTreeMap<RequirementKind, u32>,
}

/// How one third-party scanner's rule ids map onto onus controls (`catalog/third-party/<tool>.yaml`), so that its
/// SARIF results count as imported evidence for the cells they test.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ScannerMap {
    /// A short lower-case id for the tool, e.g. `checkov`.
    pub tool: String,
    /// The tool's display name.
    pub name: String,
    /// The `runs[].tool.driver.name` values of the tool's SARIF output, compared without case.
    pub drivers: Vec<String>,
    /// The tool's own index of its rules, where the ids and titles below can be checked.
    pub docs: String,
    /// The date someone last compared the ids below with the tool's index (YYYY-MM-DD).
    pub checked: String,
    /// One mapping per rule id.
    pub rules: Vec<ScannerRule>,
}

/// One third-party rule id and the onus control its results evidence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ScannerRule {
    /// The rule id exactly as the tool reports it (`CKV_AWS_18`, `AVD-AWS-0089`, a KICS query UUID).
    pub id: String,
    /// The onus control id.
    pub control: String,
    /// The tool's own title for the rule, so a reviewer can check the mapping.
    pub title: String,
    /// The onus service id the rule is about, when it is about one service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// catalog/incidents.yaml

/// `incidents.yaml`: what each kind of symptom implicates, where each provider reports its own failures and takes
/// cases, what each side is liable for, and the first evidence to collect per control.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(title = "onus incident knowledge")]
pub struct IncidentSet {
    /// Per symptom kind (`outage`, `latency`, `data-exposure`, ...).
    pub symptoms: BTreeMap<String, Symptom>,
    /// Per provider id (`aws`, `azure`, `gcp`, ...).
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderIncident>,
    /// Per control: the first evidence the customer collects when the control is implicated.
    #[serde(default)]
    pub evidence: BTreeMap<String, FirstEvidence>,
    /// The pages the provider entries cite, by key.
    #[serde(default)]
    pub sources: BTreeMap<String, Source>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Symptom {
    pub title: String,
    /// The controls whose failure most often produces this symptom, most telling first.
    pub controls: Vec<ImplicatedControl>,
    /// What to ask the provider for when a case is opened.
    pub ask_provider: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ImplicatedControl {
    pub control: String,
    /// How strongly the symptom points at this control, 1 (possible) to 5 (the usual cause).
    pub weight: u32,
    /// How a failure of this control shows up as the symptom.
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProviderIncident {
    pub name: String,
    /// The public status page.
    pub status_page: String,
    /// The signed-in, account-specific health view.
    pub account_health: String,
    /// Where a support case is opened.
    pub support_case: String,
    /// The support plans and their response times.
    pub support_plans: String,
    /// What the provider answers for when the cause is on its side.
    pub provider_failure: Liability,
    /// What the customer answers for when the cause is on its side.
    pub customer_failure: Liability,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Liability {
    pub text: String,
    /// Keys into `sources`.
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FirstEvidence {
    /// What to collect first, in a sentence.
    pub collect: String,
    /// The logging control whose evidence says whether those records exist at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<String>,
}
