//! Discovery: infrastructure files to normalized [`Resource`]s, mapped onto the catalog and bound to workloads.
//!
//! Pure like `onus-core`: every parser takes file names and texts and returns resources and diagnostics; the CLI
//! walks the disk. Nothing here makes a network request: remote Terraform modules are reported, never fetched.

pub mod arm;
pub mod bind;
pub mod cloudformation;
pub mod inventory;
pub mod kubernetes;
pub mod terraform;
mod text;
pub mod tfjson;

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use bind::{bind, Finding, FindingCode, ScanReport, TypeIndex};

/// The kind of input a resource came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    TerraformHcl,
    TerraformPlan,
    TerraformState,
    Cloudformation,
    Kubernetes,
    Arm,
    AwsConfig,
    AzureResourceGraph,
    GcpAssetInventory,
}

impl Input {
    pub fn as_str(self) -> &'static str {
        match self {
            Input::TerraformHcl => "terraform-hcl",
            Input::TerraformPlan => "terraform-plan",
            Input::TerraformState => "terraform-state",
            Input::Cloudformation => "cloudformation",
            Input::Kubernetes => "kubernetes",
            Input::Arm => "arm",
            Input::AwsConfig => "aws-config",
            Input::AzureResourceGraph => "azure-resource-graph",
            Input::GcpAssetInventory => "gcp-asset-inventory",
        }
    }
}

/// One infrastructure resource, whatever file it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// `aws`, `azure`, `gcp`, `kubernetes`, or the Terraform provider prefix for others.
    pub provider: String,
    /// The type as the input writes it: `aws_db_instance`, `AWS::RDS::DBInstance`, `Microsoft.Sql/servers`,
    /// `kubernetes:Deployment`, `sqladmin.googleapis.com/Instance`.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The address or id: `module.db.aws_db_instance.main[0]`, a CloudFormation logical id, an ARM resource name
    /// expression, a Kubernetes `namespace/Kind/name`, a cloud resource id.
    pub address: String,
    pub name: String,
    /// `managed` for resources, `data` for Terraform data sources.
    pub mode: Mode,
    /// Attribute values; a value onus could not resolve is `{"$unknown": "<expression>"}`.
    pub attributes: BTreeMap<String, Value>,
    pub tags: BTreeMap<String, String>,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub input: Input,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Managed,
    Data,
}

/// A Terraform module call whose source onus does not read (registry, git, http, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnresolvedModule {
    /// `module.name`, with its parents' prefix.
    pub address: String,
    pub source: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
}

/// What parsing a set of files produced.
#[derive(Debug, Default, Clone)]
pub struct Parsed {
    pub resources: Vec<Resource>,
    pub unresolved_modules: Vec<UnresolvedModule>,
    pub diagnostics: Vec<onus_core::Diagnostic>,
}

impl Parsed {
    pub fn extend(&mut self, other: Parsed) {
        self.resources.extend(other.resources);
        self.unresolved_modules.extend(other.unresolved_modules);
        self.diagnostics.extend(other.diagnostics);
    }
}

/// The marker for a value onus could not resolve.
pub fn unknown(expr: &str) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("$unknown".into(), Value::String(expr.trim().to_string()));
    Value::Object(m)
}

/// Is this value (or anything in it) unresolved?
pub fn is_unknown(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("$unknown") || m.values().any(is_unknown),
        Value::Array(a) => a.iter().any(is_unknown),
        _ => false,
    }
}

/// The provider a Terraform resource type belongs to.
pub fn terraform_provider(rtype: &str) -> String {
    let prefix = rtype.split('_').next().unwrap_or(rtype);
    match prefix {
        "aws" => "aws",
        "azurerm" | "azuread" | "azapi" => "azure",
        "google" => "gcp",
        "kubernetes" | "helm" => "kubernetes",
        other => other,
    }
    .to_string()
}

/// What kind of file this is, judged by name and a look at its content; `None` for files onus does not read.
pub fn detect(path: &str, text: &str) -> Option<Input> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tf") || lower.ends_with(".tfvars") {
        return Some(Input::TerraformHcl);
    }
    if lower.ends_with(".tf.json") || lower.ends_with(".tfvars.json") {
        return Some(Input::TerraformHcl);
    }
    if lower.ends_with(".tfstate") || lower.ends_with(".tfstate.backup") {
        return Some(Input::TerraformState);
    }
    let head: String = text.chars().take(4096).collect();
    if lower.ends_with(".json") || lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        if head.contains("\"configurationItems\"") {
            return Some(Input::AwsConfig);
        }
        if head.contains("\"asset_type\"") || head.contains("\"assetType\"") {
            return Some(Input::GcpAssetInventory);
        }
        if head.contains("deploymentTemplate.json") || head.contains("\"contentVersion\"") {
            return Some(Input::Arm);
        }
        if head.contains("\"AWSTemplateFormatVersion\"")
            || text.contains("\"AWS::") && head.contains("\"Resources\"")
        {
            return Some(Input::Cloudformation);
        }
        if head.contains("\"format_version\"") || head.contains("\"terraform_version\"") {
            return Some(
                if head.contains("\"planned_values\"")
                    || head.contains("\"resource_changes\"")
                    || text.contains("\"planned_values\"")
                {
                    Input::TerraformPlan
                } else {
                    Input::TerraformState
                },
            );
        }
        let lower_head = head.to_ascii_lowercase().replace(": \"", ":\"");
        if lower_head.contains("\"type\":\"microsoft.") && lower_head.contains("\"/subscriptions/")
        {
            return Some(Input::AzureResourceGraph);
        }
        return None;
    }
    if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".template") {
        let cfn = head.contains("AWSTemplateFormatVersion")
            || head.contains("AWS::Serverless")
            || ["Type: AWS::", "Type: \"AWS::", "Type: 'AWS::"]
                .iter()
                .any(|n| text.contains(n));
        if cfn {
            return Some(Input::Cloudformation);
        }
        if head.contains("apiVersion:") && head.contains("kind:") {
            return Some(Input::Kubernetes);
        }
    }
    None
}

/// Parse one file that is not Terraform HCL (HCL is read per module directory: see [`terraform`]).
pub fn parse_file(input: Input, path: &str, text: &str) -> Parsed {
    match input {
        Input::TerraformHcl => terraform::parse_dir(&[(path.to_string(), text.to_string())], &[]),
        Input::TerraformPlan | Input::TerraformState => tfjson::parse(path, text),
        Input::Cloudformation => cloudformation::parse(path, text),
        Input::Kubernetes => kubernetes::parse(path, text),
        Input::Arm => arm::parse(path, text),
        Input::AwsConfig | Input::AzureResourceGraph | Input::GcpAssetInventory => {
            inventory::parse(input, path, text)
        }
    }
}
