//! Offline cloud inventory exports: an AWS Config configuration snapshot, an Azure Resource Graph query result
//! (`az graph query -q ... --output json`) and a Google Cloud Asset Inventory export (JSON lines, or a JSON array).

use crate::text::{find_json_pair, LineIndex};
use crate::{Input, Mode, Parsed, Resource};
use onus_core::diag::{Code, Diagnostic, Pos};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn parse(input: Input, path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let ix = LineIndex::new(text);
    // Asset Inventory exports are JSON lines; the others are one JSON document.
    let items: Vec<(Value, usize)> = if input == Input::GcpAssetInventory
        && !text.trim_start().starts_with('[')
    {
        let mut v = Vec::new();
        let mut offset = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line) {
                Ok(x) => v.push((x, start)),
                Err(e) => out.diagnostics.push(
                    Diagnostic::new(
                        Code::JsonSyntax,
                        path,
                        Pos {
                            line: i as u32 + 1,
                            col: e.column().max(1) as u32,
                        },
                        format!("invalid JSON line: {e}"),
                    )
                    .with_help("an Asset Inventory export has one JSON object per line"),
                ),
            }
        }
        v
    } else {
        let doc: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                out.diagnostics.push(crate::terraform::json_error(path, &e));
                return out;
            }
        };
        let list = match (&doc, input) {
            (_, Input::AwsConfig) => doc.get("configurationItems").cloned(),
            (Value::Array(_), _) => Some(doc.clone()),
            _ => doc.get("data").cloned(),
        };
        match list {
            Some(Value::Array(a)) => a.into_iter().map(|x| (x, usize::MAX)).collect(),
            _ => {
                out.diagnostics.push(
                    Diagnostic::new(
                        Code::MissingField,
                        path,
                        Pos { line: 1, col: 1 },
                        format!("no resource list in this {} export", input.as_str()),
                    )
                    .with_help("expected `configurationItems` (AWS Config) or `data` (Azure Resource Graph)"),
                );
                return out;
            }
        }
    };
    let mut cursor = 0;
    for (item, offset) in items {
        let (rtype, id, name, tags, provider) = match input {
            Input::AwsConfig => (
                item.get("resourceType")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                item.get("ARN")
                    .or_else(|| item.get("arn"))
                    .or_else(|| item.get("resourceId"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                item.get("resourceName")
                    .or_else(|| item.get("resourceId"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                string_map(item.get("tags")),
                "aws",
            ),
            Input::AzureResourceGraph => (
                item.get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                item.get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                item.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                string_map(item.get("tags")),
                "azure",
            ),
            _ => {
                let id = item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                (
                    item.get("asset_type")
                        .or_else(|| item.get("assetType"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    id.clone(),
                    id.rsplit('/').next().unwrap_or_default().to_string(),
                    string_map(item.pointer("/resource/data/labels")),
                    "gcp",
                )
            }
        };
        if rtype.is_empty() {
            continue;
        }
        let at = if offset != usize::MAX {
            offset
        } else {
            let key = if input == Input::AwsConfig {
                "resourceType"
            } else {
                "type"
            };
            let found = find_json_pair(text, key, &rtype, cursor).unwrap_or(cursor);
            cursor = found + 1;
            found
        };
        let (line, col) = ix.pos(at);
        let mut attributes = BTreeMap::new();
        for key in [
            "awsRegion",
            "availabilityZone",
            "location",
            "resourceGroup",
            "subscriptionId",
            "sku",
            "kind",
        ] {
            if let Some(v) = item.get(key) {
                attributes.insert(key.to_string(), v.clone());
            }
        }
        if let Some(loc) = item.pointer("/resource/location") {
            attributes.insert("location".to_string(), loc.clone());
        }
        out.resources.push(Resource {
            provider: provider.to_string(),
            rtype,
            address: id,
            name,
            mode: Mode::Managed,
            attributes,
            tags,
            file: path.to_string(),
            line,
            col,
            input,
        });
    }
    out
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        // AWS Config also writes tags as [{key, value}] in some exports.
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| {
                let k = t.get("key").or_else(|| t.get("Key"))?.as_str()?;
                let v = t.get("value").or_else(|| t.get("Value"))?.as_str()?;
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}
