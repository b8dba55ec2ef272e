//! Kubernetes manifests: multi-document YAML, `List` kinds, Helm-rendered output. Each object becomes a resource of
//! type `kubernetes:<Kind>`; its address is `<namespace>/<Kind>/<name>` (`<Kind>/<name>` without a namespace).

use crate::{Input, Mode, Parsed, Resource};
use onus_core::yaml;
use serde_json::Value;
use std::collections::BTreeMap;

/// The responsibility controls an in-cluster object bears on, by kind: what the cluster's owner must get right when
/// the object is there. Kinds not listed bear on `runtime.configuration`.
pub fn controls_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod" => &[
            "app.code-security",
            "app.dependencies",
            "app.vulnerability-scanning",
            "runtime.configuration",
        ],
        "Service" | "Ingress" | "Gateway" | "HTTPRoute" | "NetworkPolicy" => {
            &["network.access-control", "network.encryption-in-transit"]
        }
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" | "ServiceAccount" => {
            &["identity.access-policies", "identity.access-review"]
        }
        "Secret" => &["identity.credentials", "data.encryption-at-rest"],
        "PersistentVolumeClaim" | "PersistentVolume" | "StorageClass" => {
            &["data.encryption-at-rest", "data.backup"]
        }
        _ => &["runtime.configuration"],
    }
}

pub fn parse(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let (docs, diags) = yaml::parse_all(path, text);
    out.diagnostics
        .extend(diags.into_iter().filter(|d| d.is_error()));
    for d in docs {
        let root_pos = d.spans.value("");
        let mut objects: Vec<(&Value, String)> = Vec::new();
        if d.value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
        {
            for (i, item) in d
                .value
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                objects.push((item, format!("/items/{i}")));
            }
        } else if d.value.is_object() {
            objects.push((&d.value, String::new()));
        }
        for (obj, ptr) in objects {
            let (Some(kind), Some(_api)) = (
                obj.get("kind").and_then(Value::as_str),
                obj.get("apiVersion").and_then(Value::as_str),
            ) else {
                continue;
            };
            let meta = obj.get("metadata");
            let name = meta
                .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let namespace = meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let labels: BTreeMap<String, String> = meta
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let mut attributes = BTreeMap::new();
            for key in [
                "apiVersion",
                "metadata",
                "spec",
                "type",
                "rules",
                "subjects",
                "roleRef",
                "automountServiceAccountToken",
            ] {
                if let Some(v) = obj.get(key) {
                    attributes.insert(key.to_string(), v.clone());
                }
            }
            let pos = if ptr.is_empty() {
                root_pos
            } else {
                d.spans.value(&ptr)
            };
            out.resources.push(Resource {
                provider: "kubernetes".to_string(),
                rtype: format!("kubernetes:{kind}"),
                address: if namespace.is_empty() {
                    format!("{kind}/{name}")
                } else {
                    format!("{namespace}/{kind}/{name}")
                },
                name,
                mode: Mode::Managed,
                attributes,
                tags: labels,
                file: path.to_string(),
                line: pos.line,
                col: pos.col,
                input: Input::Kubernetes,
            });
        }
    }
    out
}
