//! Terraform's machine-readable output: `terraform show -json` of a plan or of state, and the state file itself
//! (`.tfstate`, format version 4), child modules included.

use crate::terraform::{json_error, tags_of};
use crate::text::{find_json_pair, LineIndex};
use crate::{terraform_provider, Input, Mode, Parsed, Resource};
use onus_core::diag::{Code, Diagnostic, Pos};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn parse(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.diagnostics.push(json_error(path, &e));
            return out;
        }
    };
    let ix = LineIndex::new(text);
    let mut found: Vec<Resource> = Vec::new();
    let at = |address: &str, name: &str| {
        find_json_pair(text, "address", address, 0)
            .or_else(|| text.find(&format!("\"{name}\"")))
            .unwrap_or(0)
    };
    let emit = |found: &mut Vec<Resource>,
                input: Input,
                r: &Value,
                attrs: Option<&Value>,
                address: String| {
        let rtype = r.get("type").and_then(Value::as_str).unwrap_or_default();
        let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
        let mode = if r.get("mode").and_then(Value::as_str) == Some("data") {
            Mode::Data
        } else {
            Mode::Managed
        };
        let attributes: BTreeMap<String, Value> = attrs
            .and_then(Value::as_object)
            .map(|m| m.clone().into_iter().collect())
            .unwrap_or_default();
        let (line, col) = ix.pos(at(&address, name));
        let tags = tags_of(&attributes);
        found.push(Resource {
            provider: terraform_provider(rtype),
            rtype: rtype.to_string(),
            address,
            name: name.to_string(),
            mode,
            attributes,
            tags,
            file: path.to_string(),
            line,
            col,
            input,
        });
    };

    let bad = |msg: &str| {
        Diagnostic::new(
            Code::InvalidValue,
            path,
            Pos { line: 1, col: 1 },
            msg.to_string(),
        )
        .with_help("expected `terraform show -json` output (plan or state) or a .tfstate file")
    };
    if let Some(fv) = v.get("format_version") {
        let Some(fv) = fv.as_str() else {
            out.diagnostics
                .push(bad("`format_version` is not a string"));
            return out;
        };
        let major = fv.split('.').next().and_then(|m| m.parse::<u32>().ok());
        if major != Some(0) && major != Some(1) {
            out.diagnostics.push(bad(&format!(
                "unsupported Terraform JSON format version `{fv}` (onus reads 0.x and 1.x)"
            )));
            return out;
        }
        let (input, root) = if let Some(p) = v.get("planned_values") {
            (Input::TerraformPlan, p.get("root_module"))
        } else {
            (
                Input::TerraformState,
                v.get("values").and_then(|x| x.get("root_module")),
            )
        };
        let mut stack: Vec<&Value> = root.into_iter().collect();
        while let Some(m) = stack.pop() {
            for r in m
                .get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let address = r
                    .get("address")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                emit(&mut found, input, r, r.get("values"), address);
            }
            stack.extend(
                m.get("child_modules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
        // A plan that only deletes has no planned values for those resources; resource_changes still names them.
        if input == Input::TerraformPlan {
            let known: std::collections::HashSet<String> =
                found.iter().map(|r| r.address.clone()).collect();
            for rc in v
                .get("resource_changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let address = rc
                    .get("address")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let deleting = rc
                    .pointer("/change/actions")
                    .and_then(Value::as_array)
                    .is_some_and(|a| {
                        a.iter().any(|x| x == "delete") && !a.iter().any(|x| x == "create")
                    });
                if !known.contains(address) && !deleting && !address.is_empty() {
                    emit(
                        &mut found,
                        input,
                        rc,
                        rc.pointer("/change/after"),
                        address.to_string(),
                    );
                }
            }
        }
        out.resources = found;
        return out;
    }
    if v.get("version").and_then(Value::as_u64) == Some(4) && v.get("resources").is_some() {
        for r in v
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let rtype = r.get("type").and_then(Value::as_str).unwrap_or_default();
            let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
            let module = r
                .get("module")
                .and_then(Value::as_str)
                .map(|m| format!("{m}."))
                .unwrap_or_default();
            let data = if r.get("mode").and_then(Value::as_str) == Some("data") {
                "data."
            } else {
                ""
            };
            let base = format!("{module}{data}{rtype}.{name}");
            for inst in r
                .get("instances")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let address = match inst.get("index_key") {
                    Some(Value::Number(n)) => format!("{base}[{n}]"),
                    Some(Value::String(s)) => {
                        format!("{base}[{}]", serde_json::to_string(s).unwrap_or_default())
                    }
                    _ => base.clone(),
                };
                emit(
                    &mut found,
                    Input::TerraformState,
                    r,
                    inst.get("attributes"),
                    address,
                );
            }
        }
        out.resources = found;
        return out;
    }
    out.diagnostics.push(bad(
        "not a Terraform plan or state: no `format_version`, and not a version 4 state file",
    ));
    out
}
