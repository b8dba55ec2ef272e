//! `onus init`: a commented starter manifest for one critical workload, from flags or a short prompt.

use crate::commands::{Ctx, Failure, Output};
use crate::load;
use clap::Args;
use onus_core::catalog::{Catalog, ServiceRef};
use onus_core::diag::Code;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Args)]
pub struct InitArgs {
    /// The project folder to write onus.yaml into.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The workload's name.
    #[arg(long)]
    name: Option<String>,
    /// The owning team.
    #[arg(long)]
    team: Option<String>,
    /// The on-call contact (a pager rotation, a channel).
    #[arg(long)]
    on_call: Option<String>,
    /// public, internal, confidential, pii, phi or pci.
    #[arg(long)]
    classification: Option<String>,
    /// Risk tier, 1 (most critical) to 4.
    #[arg(long)]
    tier: Option<u8>,
    /// A component: SERVICE[@VARIANT] or NAME=SERVICE[@VARIANT] (repeatable).
    #[arg(long = "service", value_name = "SERVICE")]
    services: Vec<String>,
    /// Propose workloads from the infrastructure files under this folder: one workload per top-level folder, one
    /// component per service found there (edit the result).
    #[arg(long, value_name = "IAC_DIR")]
    from: Option<PathBuf>,
    /// Overwrite an existing onus.yaml.
    #[arg(long)]
    force: bool,
}

const CLASSES: [&str; 6] = ["public", "internal", "confidential", "pii", "phi", "pci"];

fn ask(prompt: &str, default: &str) -> String {
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt} [{default}]: ");
    let _ = err.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    let line = line.trim();
    if line.is_empty() {
        default.to_string()
    } else {
        line.to_string()
    }
}

pub fn run(ctx: &Ctx, a: &InitArgs) -> Result<Output, Failure> {
    let cat = load::catalog(&ctx.catalog_dirs)?;
    if let Some(from) = &a.from {
        return from_iac(&cat, a, from);
    }
    let interactive =
        a.services.is_empty() && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let name = a.name.clone().unwrap_or_else(|| {
        if interactive {
            ask("Workload name", "storefront")
        } else {
            "my-workload".into()
        }
    });
    let team = a.team.clone().unwrap_or_else(|| {
        if interactive {
            ask("Owning team", "platform")
        } else {
            "my-team".into()
        }
    });
    let on_call = a.on_call.clone().unwrap_or_else(|| {
        if interactive {
            ask("On-call contact", "#oncall")
        } else {
            "#oncall".into()
        }
    });
    let classification = a.classification.clone().unwrap_or_else(|| {
        if interactive {
            ask(
                "Classification (public, internal, confidential, pii, phi, pci)",
                "confidential",
            )
        } else {
            "confidential".into()
        }
    });
    if !CLASSES.contains(&classification.as_str()) {
        return Err(Failure::Usage(format!(
            "unknown classification `{classification}`; expected one of: {}",
            CLASSES.join(", ")
        )));
    }
    let tier = match a.tier {
        Some(t) => t,
        None if interactive => ask("Risk tier (1 = most critical)", "1")
            .parse()
            .unwrap_or(0),
        None => 1,
    };
    if !(1..=4).contains(&tier) {
        return Err(Failure::Usage("the risk tier must be 1, 2, 3 or 4".into()));
    }
    let mut specs = a.services.clone();
    if specs.is_empty() && interactive {
        let answer = ask(
            "Services it uses, comma-separated (e.g. aws:ec2, aws:rds, aws:s3)",
            "aws:rds",
        );
        specs = answer
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if specs.is_empty() {
        return Err(Failure::Usage("name the workload's services with --service SERVICE (repeatable), or run `onus init` on a terminal".into()));
    }
    let components = components(&cat, &specs)?;
    let target = a.path.join("onus.yaml");
    if target.exists() && !a.force {
        return Err(Failure::Input(load::InputError::one(
            Code::IoError,
            &load::display(&target),
            "already exists; not overwritten",
            Some("pass --force to replace it, or edit it".into()),
        )));
    }
    let text = render(
        &cat,
        &name,
        &team,
        &on_call,
        &classification,
        tier,
        &components,
    );
    std::fs::create_dir_all(&a.path)
        .and_then(|_| std::fs::write(&target, &text))
        .map_err(|e| {
            Failure::Input(load::InputError::one(
                Code::IoError,
                &load::display(&target),
                format!("cannot write: {e}"),
                None,
            ))
        })?;
    Ok(Output {
        stdout: String::new(),
        stderr: format!(
            "wrote {} with {} component(s); next: `onus matrix {}`\n",
            load::display(&target),
            components.len(),
            load::display(&a.path)
        ),
        code: 0,
    })
}

struct Comp {
    name: String,
    service: String,
    variant: Option<String>,
    variants: Vec<String>,
    title: String,
}

fn components(cat: &Catalog, specs: &[String]) -> Result<Vec<Comp>, Failure> {
    let mut out: Vec<Comp> = Vec::new();
    for spec in specs {
        let (name, svc) = match spec.split_once('=') {
            Some((n, s)) => (Some(n.trim().to_string()), s),
            None => (None, spec.as_str()),
        };
        let r = ServiceRef::parse(svc);
        let entry = cat.service(&r.service)?;
        let variant = match &r.variant {
            Some(v) => Some(cat.variant(entry, v)?.to_string()),
            None => None,
        };
        let slug = entry
            .id
            .split_once(':')
            .map(|(_, s)| s)
            .unwrap_or(&entry.id)
            .to_string();
        let mut name = name.unwrap_or(slug);
        let base = name.clone();
        let mut n = 2;
        while out.iter().any(|c| c.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        out.push(Comp {
            name,
            service: entry.id.clone(),
            variant,
            variants: entry.variants.keys().cloned().collect(),
            title: entry.name.clone(),
        });
    }
    Ok(out)
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn render(
    cat: &Catalog,
    name: &str,
    team: &str,
    on_call: &str,
    class: &str,
    tier: u8,
    comps: &[Comp],
) -> String {
    let mut providers: Vec<String> = comps
        .iter()
        .filter_map(|c| c.service.split(':').next().map(str::to_string))
        .collect();
    providers.sort();
    providers.dedup();
    let mut o = String::new();
    o.push_str("# onus workload manifest. Start with one critical workload; add more under `workloads:` or in workloads/*.yaml.\n");
    o.push_str("# `onus matrix` resolves who owns every control for each component; `onus explain SERVICE` says why.\n");
    o.push_str("workloads:\n");
    let _ = writeln!(o, "  - name: {}", yaml_str(name));
    o.push_str("    description: \"What this workload does, in one sentence.\"\n");
    let _ = writeln!(
        o,
        "    owner: {{team: {}, on-call: {}}}",
        yaml_str(team),
        yaml_str(on_call)
    );
    o.push_str("    # public | internal | confidential | pii | phi | pci\n");
    let _ = writeln!(o, "    classification: {class}");
    o.push_str("    # 1 is the most critical; it sets the review cadence.\n");
    let _ = writeln!(o, "    tier: {tier}");
    o.push_str("    components:\n");
    for c in comps {
        let _ = writeln!(o, "      - name: {}", yaml_str(&c.name));
        let _ = writeln!(o, "        service: {}  # {}", c.service, c.title);
        match (&c.variant, c.variants.is_empty()) {
            (Some(v), _) => {
                let _ = writeln!(o, "        variant: {v}");
            }
            (None, false) => {
                let _ = writeln!(
                    o,
                    "        # variant: one of {} (unset: the worst case for you)",
                    c.variants.join(", ")
                );
            }
            _ => {}
        }
        o.push_str("        # select: {address: [\"aws_db_instance.orders\"], tags: {app: shop}}  # resources, for discovery\n");
    }
    let example = cat
        .controls
        .iter()
        .find(|c| c.id == "logging.audit")
        .map(|c| c.id.as_str())
        .unwrap_or("logging.audit");
    o.push_str("    # Departures from the catalog, each with a reason:\n");
    o.push_str("    # overrides:\n");
    let _ = writeln!(o, "    #   {example}: {{owner: customer, reason: \"The central security team runs the organization trail\"}}");
    o.push_str("    # Evidence that your side of a control is done:\n");
    o.push_str("    # evidence:\n");
    o.push_str("    #   data.backup: [{link: \"https://wiki.example.com/runbooks/backups\", description: \"Nightly backup job\"}]\n");
    o.push_str("    escalation:\n");
    o.push_str("      providers:\n");
    for p in &providers {
        let _ = writeln!(o, "        {p}: {{support-plan: \"\", case: \"How to open a case with {p} support\", status-page: \"\"}}");
    }
    if providers.is_empty() {
        o.push_str("        {}\n");
    }
    let _ = writeln!(o, "      internal: {{on-call: {}}}", yaml_str(on_call));
    o.push_str("    review:\n");
    o.push_str("      cadence-days: 90\n");
    o.push_str("      # last-review: 2026-01-31\n");
    o
}

/// `onus init --from DIR`: a manifest proposed from what a scan of DIR finds.
fn from_iac(cat: &Catalog, a: &InitArgs, from: &std::path::Path) -> Result<Output, Failure> {
    if !from.is_dir() {
        return Err(Failure::Input(load::InputError::one(
            Code::IoError,
            &load::display(from),
            "not a folder",
            None,
        )));
    }
    let (n_files, parsed, diags) = crate::scan::collect(from, &[from.to_path_buf()], &[])?;
    if diags.iter().any(onus_core::Diagnostic::is_error) {
        return Err(Failure::Input(load::InputError(
            diags
                .into_iter()
                .filter(onus_core::Diagnostic::is_error)
                .collect(),
        )));
    }
    let index = onus_discover::TypeIndex::new(cat);
    // The folder of DIR as the manifest will see it: relative to the project folder when it is inside it.
    let base = std::fs::canonicalize(from).unwrap_or_else(|_| from.to_path_buf());
    let project = std::fs::canonicalize(&a.path).unwrap_or_else(|_| a.path.clone());
    let prefix = base
        .strip_prefix(&project)
        .map(load::display)
        .unwrap_or_else(|_| load::display(from));
    let prefix = prefix.trim_end_matches('/').to_string();
    let root_name = base
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "infra".into());
    // group -> service -> resource addresses; group -> unmapped types
    let mut groups: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, Vec<String>>,
    > = Default::default();
    let mut unmapped: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for r in &parsed.resources {
        if r.mode != onus_discover::Mode::Managed {
            continue;
        }
        let group = match r.file.split_once('/') {
            Some((top, _)) => top.to_string(),
            None => String::new(),
        };
        match index.service_of(r) {
            (Some(svc), _) => groups
                .entry(group)
                .or_default()
                .entry(svc.to_string())
                .or_default()
                .push(r.address.clone()),
            (None, onus_discover::bind::Mapping::Unmapped) => {
                unmapped.entry(group).or_default().insert(r.rtype.clone());
            }
            _ => {}
        }
    }
    if groups.is_empty() {
        return Err(Failure::Usage(format!(
            "found no resources of a known service in {} ({n_files} infrastructure files)",
            load::display(from)
        )));
    }
    let target = a.path.join("onus.yaml");
    if target.exists() && !a.force {
        return Err(Failure::Input(load::InputError::one(
            Code::IoError,
            &load::display(&target),
            "already exists; not overwritten",
            Some("pass --force to replace it, or write the proposal elsewhere".into()),
        )));
    }
    let team = a.team.clone().unwrap_or_else(|| "my-team".into());
    let class = a
        .classification
        .clone()
        .unwrap_or_else(|| "confidential".into());
    if !CLASSES.contains(&class.as_str()) {
        return Err(Failure::Usage(format!(
            "unknown classification `{class}`; expected one of: {}",
            CLASSES.join(", ")
        )));
    }
    let tier = a.tier.unwrap_or(2);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Proposed by `onus init --from {}` from {n_files} infrastructure files: one workload per folder, one\n\
         # component per service found there. Check each workload's owner, classification and tier, merge or split\n\
         # workloads as your teams own them, then run `onus scan` to see what is still unmapped.",
        load::display(from)
    );
    o.push_str("workloads:\n");
    for (group, services) in &groups {
        let name = if group.is_empty() {
            root_name.clone()
        } else {
            group.clone()
        };
        let path = match (prefix.is_empty(), group.is_empty()) {
            (true, true) => ".".to_string(),
            (true, false) => format!("{group}/"),
            (false, true) => format!("{prefix}/"),
            (false, false) => format!("{prefix}/{group}/"),
        };
        let _ = writeln!(o, "  - name: {}", yaml_str(&slug(&name)));
        let _ = writeln!(o, "    owner: {{team: {}}}", yaml_str(&team));
        let _ = writeln!(o, "    classification: {class}");
        let _ = writeln!(o, "    tier: {tier}");
        if group.is_empty() {
            let _ = writeln!(o, "    # paths: [{}]  # everything under the scanned folder; narrow it to this workload's files", yaml_str(&path));
        } else {
            let _ = writeln!(o, "    paths: [{}]", yaml_str(&path));
        }
        o.push_str("    components:\n");
        let mut used: Vec<String> = Vec::new();
        for (svc, addresses) in services {
            let entry = cat.service(svc)?;
            let mut cname = svc
                .split_once(':')
                .map(|(_, s)| s)
                .unwrap_or(svc)
                .to_string();
            if used.contains(&cname) {
                cname = svc.replace(':', "-");
            }
            used.push(cname.clone());
            let shown: Vec<&str> = addresses.iter().take(3).map(String::as_str).collect();
            let more = addresses.len().saturating_sub(3);
            let _ = writeln!(o, "      - name: {}", yaml_str(&cname));
            let _ = writeln!(
                o,
                "        service: {svc}  # {}; {}{}",
                entry.name,
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
            if !entry.variants.is_empty() {
                let _ = writeln!(
                    o,
                    "        # variant: one of {} (unset: the worst case for you)",
                    entry
                        .variants
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        if let Some(types) = unmapped.get(group) {
            let _ = writeln!(
                o,
                "    # Types no catalog service lists (their controls resolve to customer, assumed): {}",
                types.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    std::fs::create_dir_all(&a.path)
        .and_then(|_| std::fs::write(&target, &o))
        .map_err(|e| {
            Failure::Input(load::InputError::one(
                Code::IoError,
                &load::display(&target),
                format!("cannot write: {e}"),
                None,
            ))
        })?;
    Ok(Output {
        stdout: String::new(),
        stderr: format!(
            "wrote {} with {} workload(s) proposed from {}; next: edit it, then `onus scan {}`\n",
            load::display(&target),
            groups.len(),
            load::display(from),
            load::display(&a.path)
        ),
        code: 0,
    })
}

/// A workload name from a folder name: lower-case kebab-case.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "workload".into()
    } else {
        out
    }
}
