//! Incident response: `onus triage`, `onus playbook` and `onus drill`, all driven by the workload's resolved matrix
//! with its evidence.

use crate::commands::{Ctx, Failure, Output, Result};
use crate::governance::{self, Project};
use onus_core::resolve::EvidenceState;
use onus_core::triage::{self, Domain, ProviderEvent, Triage};
use onus_core::Owner;
use onus_render::text::wrap_indented;
use onus_render::Format;
use serde_json::json;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// What a scan for evidence reads beyond the defaults: more check folders, excluded paths, Rego policies.
#[derive(Default)]
pub struct ScanOptions<'a> {
    pub rules: &'a [PathBuf],
    pub exclude: &'a [String],
    pub policy: Option<&'a crate::scan::PolicyArgs>,
    pub no_inline_waivers: bool,
}

type Evidenced = (
    Project,
    crate::scan::Evaluated,
    Vec<onus_ledger::Entry>,
    Vec<onus_core::model::RuleFile>,
);

/// The project with every kind of evidence on its cells: the checks over its infrastructure files, the ledger's
/// attestations and the stored scanner imports. Also the scan, for callers that need the bound resources.
pub fn evidenced(
    ctx: &Ctx,
    path: &Path,
    ledger: Option<&Path>,
) -> Result<(Project, crate::scan::Evaluated, Vec<onus_ledger::Entry>)> {
    let (p, ev, entries, _) = evidenced_with(ctx, path, ledger, &ScanOptions::default())?;
    Ok((p, ev, entries))
}

/// [`evidenced`], with the scan's options; also the checks that ran.
pub fn evidenced_with(
    ctx: &Ctx,
    path: &Path,
    ledger: Option<&Path>,
    o: &ScanOptions,
) -> Result<Evidenced> {
    let mut p = governance::project(ctx, path)?;
    let rules = crate::rules::load_rules(&p.cat, o.rules)?;
    let ev = crate::scan::evaluate(
        &p.cat,
        std::slice::from_ref(&p.root),
        &rules,
        o.exclude,
        o.policy.unwrap_or(&crate::scan::PolicyArgs::default()),
        o.no_inline_waivers,
    )?;
    let entries = governance::entries(&governance::ledger_path(&p.root, ledger))?;
    crate::commands::tally_checks(&ev, &mut p.matrices);
    governance::attach_attestations(&entries, &mut p.matrices);
    let stored = crate::commands::stored_evidence(&p.root)?;
    if !stored.is_empty() {
        let workloads: Vec<onus_core::model::Workload> =
            p.loaded.iter().map(|w| w.workload.clone()).collect();
        crate::commands::import_sarif(&p.cat, &p.root, &workloads, &stored, &mut p.matrices)?;
    }
    for m in &mut p.matrices {
        for c in &mut m.rollup {
            c.assess();
        }
    }
    Ok((p, ev, entries, rules))
}

#[derive(clap::Args)]
pub struct TriageArgs {
    /// The project folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, short)]
    pub workload: Option<String>,
    /// The affected component (by its name in the manifest).
    #[arg(long)]
    pub component: Option<String>,
    /// The affected resource, by its address in the infrastructure files (`aws_db_instance.orders`).
    #[arg(long)]
    pub resource: Option<String>,
    /// The affected service (`aws:rds`): every component of the workload that uses it.
    #[arg(long)]
    pub service: Option<String>,
    /// outage, latency, data-exposure, unauthorized-access, credential-compromise, data-loss, misconfiguration,
    /// provider-vulnerability, unexpected-cost.
    #[arg(long)]
    pub symptom: Option<String>,
    /// What the provider's status page says for the service and region.
    #[arg(long, value_enum, default_value_t = EventArg::Unknown)]
    pub provider_event: EventArg,
    /// The control you suspect (e.g. host.os-patching for an unpatched kernel): it weighs most.
    #[arg(long)]
    pub control: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventArg {
    Yes,
    No,
    Unknown,
}

fn prompt(question: &str, choices: &[String]) -> Option<String> {
    let mut err = std::io::stderr();
    let _ = writeln!(err, "{question}");
    for (i, c) in choices.iter().enumerate() {
        let _ = writeln!(err, "  {}) {c}", i + 1);
    }
    let _ = write!(err, "> ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    match line.parse::<usize>() {
        Ok(n) if n >= 1 && n <= choices.len() => Some(choices[n - 1].clone()),
        _ => Some(line.to_string()),
    }
}

/// A flag's value; else, on a terminal, the answer to `question`; else a usage error listing the valid values.
fn given_or_asked(
    given: &Option<String>,
    interactive: bool,
    question: &str,
    flag: &str,
    valid: &[String],
) -> Result<String> {
    match (given, interactive) {
        (Some(v), _) => Ok(v.clone()),
        (None, true) => {
            prompt(question, valid).ok_or_else(|| Failure::Usage(format!("no {flag} given")))
        }
        (None, false) => Err(Failure::Usage(format!(
            "--{flag} is required; {flag}s: {}",
            valid.join(", ")
        ))),
    }
}

fn unknown(what: &str, name: &str, valid: &[String]) -> Failure {
    let hint = onus_core::diag::suggest(name, valid.iter().map(String::as_str))
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| format!("valid: {}", valid.join(", ")));
    Failure::Usage(format!("unknown {what} `{name}`; {hint}"))
}

pub fn run_triage(ctx: &Ctx, a: &TriageArgs, ledger: Option<&Path>) -> Result<Output> {
    crate::commands::only(ctx, &[Format::Table, Format::Json], "triage")?;
    let (p, ev, _) = evidenced(ctx, &a.path, ledger)?;
    let interactive = std::io::stdin().is_terminal() && ctx.format == Format::Table;
    let names: Vec<String> = p.matrices.iter().map(|m| m.name.clone()).collect();
    let workload = given_or_asked(
        &a.workload,
        interactive,
        "Which workload is affected?",
        "workload",
        &names,
    )?;
    let wi = p
        .matrices
        .iter()
        .position(|m| m.name == workload)
        .ok_or_else(|| unknown("workload", &workload, &names))?;
    let m = &p.matrices[wi];
    let symptoms: Vec<String> = p.cat.incidents.symptoms.keys().cloned().collect();
    let symptom = given_or_asked(
        &a.symptom,
        interactive,
        "What is happening?",
        "symptom",
        &symptoms,
    )?;
    if !symptoms.contains(&symptom) {
        return Err(unknown("symptom", &symptom, &symptoms));
    }
    let comp_names: Vec<String> = m.components.iter().map(|c| c.name.to_string()).collect();
    let mut component = a.component.clone();
    if interactive && component.is_none() && a.resource.is_none() && a.service.is_none() {
        let mut choices = comp_names.clone();
        choices.push("all".into());
        component = prompt("Which component? (enter for all)", &choices).filter(|c| c != "all");
    }
    let components: Vec<usize> = if let Some(c) = &component {
        vec![comp_names
            .iter()
            .position(|n| n == c)
            .ok_or_else(|| unknown("component", c, &comp_names))?]
    } else if let Some(addr) = &a.resource {
        let mine: Vec<&onus_discover::bind::BoundResource> = ev
            .report
            .resources
            .iter()
            .filter(|r| r.workload.as_deref() == Some(workload.as_str()))
            .collect();
        let r = mine
            .iter()
            .find(|r| &r.resource.address == addr)
            .ok_or_else(|| {
                let valid: Vec<String> = mine.iter().map(|r| r.resource.address.clone()).collect();
                unknown("resource", addr, &valid)
            })?;
        let comp = r.component.clone().ok_or_else(|| {
            Failure::Usage(format!(
                "resource `{addr}` belongs to workload {workload} but to none of its components"
            ))
        })?;
        vec![comp_names.iter().position(|n| n == &comp).unwrap_or(0)]
    } else if let Some(s) = &a.service {
        let svc = p.cat.service(s)?.id.clone();
        let found: Vec<usize> = m
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.service == svc)
            .map(|(i, _)| i)
            .collect();
        if found.is_empty() {
            let mut valid: Vec<String> = m.components.iter().map(|c| c.service.clone()).collect();
            valid.dedup();
            return Err(unknown("service for this workload", s, &valid));
        }
        found
    } else {
        (0..m.components.len()).collect()
    };
    let focus = match &a.control {
        Some(c) => Some(p.cat.find_control(c)?.id.clone()),
        None => None,
    };
    let event = match a.provider_event {
        EventArg::Yes => ProviderEvent::Yes,
        EventArg::No => ProviderEvent::No,
        EventArg::Unknown => ProviderEvent::Unknown,
    };
    let failing = failing_on(
        &ev,
        &workload,
        &components
            .iter()
            .map(|&i| m.components[i].name.to_string())
            .collect::<Vec<_>>(),
    );
    let t = triage::triage(
        &p.cat,
        &p.loaded[wi].workload,
        m,
        &components,
        &triage::Question {
            symptom: &symptom,
            event,
            focus: focus.as_deref(),
            failing: &failing,
        },
    )
    .ok_or_else(|| unknown("symptom", &symptom, &symptoms))?;
    Ok(Output::ok(match ctx.format {
        Format::Json => crate::commands::document("triage", &t),
        _ => render_triage(&t, ctx.width),
    }))
}

fn render_triage(t: &Triage, width: usize) -> String {
    let mut o = String::new();
    let affected: Vec<String> = t
        .affected
        .iter()
        .map(|a| format!("{} ({})", a.component, a.service))
        .collect();
    let _ = writeln!(
        o,
        "{}: {} on {}",
        t.workload,
        t.symptom_title,
        affected.join(", ")
    );
    let verdict = match t.likely {
        Domain::Provider => "most likely the PROVIDER's domain",
        Domain::Customer => "most likely YOUR domain",
        Domain::Shared => "SHARED: look on both sides",
    };
    let _ = writeln!(o, "\n=> {verdict}");
    for r in &t.reasoning {
        o.push_str(&wrap_indented("   - ", r, width));
    }
    o.push_str("\nImplicated controls\n");
    for i in &t.implicated {
        let ev = if i.owner.customer_has_duty() {
            format!("; evidence {}", i.evidence.as_str())
        } else {
            String::new()
        };
        o.push_str(&wrap_indented(
            "  ",
            &format!("{} [{}{ev}] {}", i.control, i.owner.as_str(), i.why),
            width,
        ));
    }
    for s in &t.provider_steps {
        let _ = writeln!(o, "\nProvider side ({})", s.name);
        o.push_str(&wrap_indented("  status page     ", &s.status_page, width));
        o.push_str(&wrap_indented(
            "  account health  ",
            &s.account_health,
            width,
        ));
        o.push_str(&wrap_indented("  open a case     ", &s.support_case, width));
        if let Some(h) = &s.how_to_open {
            o.push_str(&wrap_indented("                  ", h, width));
        }
        o.push_str(&wrap_indented("  support plan    ", &s.support_plan, width));
        o.push_str(&wrap_indented("  ask for         ", &s.ask_for, width));
    }
    o.push_str("\nYour side\n");
    o.push_str(&wrap_indented(
        "  on call         ",
        t.on_call
            .as_deref()
            .unwrap_or("(no on-call contact in the manifest)"),
        width,
    ));
    if let Some(r) = &t.runbook {
        o.push_str(&wrap_indented("  runbook         ", r, width));
    }
    for e in &t.evidence_steps {
        o.push_str(&wrap_indented(
            &format!("  {:<16}", e.control),
            &e.collect,
            width,
        ));
        if let Some(g) = &e.gap {
            o.push_str(&wrap_indented("                  ! ", g, width));
        }
    }
    for l in &t.liability {
        let _ = writeln!(o, "\nWho answers for what ({})", l.provider);
        o.push_str(&wrap_indented(
            "  provider-side failure: ",
            &l.provider_failure,
            width,
        ));
        o.push_str(&wrap_indented(
            "  customer-side failure: ",
            &l.customer_failure,
            width,
        ));
        for s in &l.sources {
            o.push_str(&wrap_indented("  source: ", s, width));
        }
    }
    if !t.unknowns.is_empty() {
        o.push_str("\nWhat onus cannot know\n");
        for u in &t.unknowns {
            o.push_str(&wrap_indented("  ? ", u, width));
        }
    }
    o
}

// ---------------------------------------------------------------------------------------------------------------
// onus playbook

pub fn run_playbook(
    ctx: &Ctx,
    path: &Path,
    workload: &str,
    ledger: Option<&Path>,
) -> Result<Output> {
    crate::commands::only(
        ctx,
        &[Format::Markdown, Format::Table, Format::Json],
        "playbook",
    )?;
    let (p, _, _) = evidenced(ctx, path, ledger)?;
    let wi = p
        .matrices
        .iter()
        .position(|m| m.name == workload)
        .ok_or_else(|| {
            unknown(
                "workload",
                workload,
                &p.matrices
                    .iter()
                    .map(|m| m.name.clone())
                    .collect::<Vec<_>>(),
            )
        })?;
    let m = &p.matrices[wi];
    let w = &p.loaded[wi].workload;
    if ctx.format == Format::Json {
        return Ok(Output::ok(crate::commands::document(
            "playbook",
            playbook_json(&p, wi),
        )));
    }
    let mut o = String::new();
    let _ = writeln!(o, "# Incident playbook: {}\n", m.name);
    let _ = writeln!(
        o,
        "Generated by `onus playbook` from the workload's resolved responsibility matrix on {}; regenerate it, do not edit it.\n",
        crate::clock::today()
    );
    let _ = writeln!(
        o,
        "- Classification {}, tier {}; team {}; on call: {}",
        m.classification,
        m.tier,
        m.team,
        w.escalation
            .as_ref()
            .and_then(|e| e.internal.as_ref())
            .map(|i| i.on_call.clone())
            .or_else(|| m.on_call.clone())
            .unwrap_or_else(|| "(not stated)".into())
    );
    if let Some(r) = w
        .escalation
        .as_ref()
        .and_then(|e| e.internal.as_ref())
        .and_then(|i| i.runbook.clone())
    {
        let _ = writeln!(o, "- Runbook: <{r}>");
    }
    o.push_str("\n## 1. Decide whose problem it is\n\n");
    o.push_str("1. Check the provider's status page and your account's health view for the service and region (links per component below).\n");
    o.push_str("2. Run `onus triage --workload ");
    o.push_str(&m.name);
    o.push_str(" --component NAME --symptom KIND --provider-event yes|no`: it weighs the implicated controls by who owns them here.\n");
    o.push_str("3. Provider-side: open a case (below) and work on mitigation on your side (failover, degrade gracefully). Your side: collect the evidence below before it ages out.\n");
    o.push_str("\n## 2. Components\n\n| Component | Service | Provider status | Open a case | Support plan |\n|---|---|---|---|---|\n");
    for c in &m.components {
        let pi = p.cat.incidents.providers.get(&c.provider);
        let esc = w
            .escalation
            .as_ref()
            .and_then(|e| e.providers.get(&c.provider));
        let svc = match &c.variant {
            Some(v) => format!("`{}@{v}`", c.service),
            None => format!("`{}`", c.service),
        };
        let status = esc
            .and_then(|e| e.status_page.clone())
            .or_else(|| pi.map(|p| p.status_page.clone()))
            .or_else(|| {
                p.cat
                    .services
                    .get(&c.service)
                    .and_then(|s| s.status_page.clone())
            })
            .unwrap_or_else(|| "(unknown)".into());
        let case = esc
            .and_then(|e| e.case.clone())
            .or_else(|| pi.map(|p| p.support_case.clone()))
            .unwrap_or_else(|| "(unknown)".into());
        let plan = esc
            .and_then(|e| e.support_plan.clone())
            .unwrap_or_else(|| "(not stated)".into());
        let _ = writeln!(o, "| {} | {svc} | {status} | {case} | {plan} |", c.name);
    }
    // What to collect first when a control is implicated (catalog/incidents.yaml).
    let first_evidence = |control: &str| {
        p.cat
            .incidents
            .evidence
            .get(control)
            .map(|e| e.collect.clone())
            .unwrap_or_default()
    };
    o.push_str("\n## 3. Log sources\n\nWhether the logs an investigation needs exist, from the evidence onus has for each logging control.\n\n| Control | Owner | Evidence | What it holds |\n|---|---|---|---|\n");
    for r in m
        .rollup
        .iter()
        .filter(|r| r.control.starts_with("logging."))
    {
        let what = first_evidence(&r.control);
        let state = match r.evidence_state {
            EvidenceState::Verified | EvidenceState::Attested | EvidenceState::Imported => {
                format!("{} — enabled", r.evidence_state.as_str())
            }
            EvidenceState::NotRequired => "the provider's".into(),
            s => format!("**{}** — may not exist", s.as_str()),
        };
        let _ = writeln!(
            o,
            "| `{}` | {} | {state} | {what} |",
            r.control,
            r.owner.as_str()
        );
    }
    o.push_str("\n## 4. Your controls\n\nThe controls where the customer has a duty in this workload, and the first evidence to collect when one is implicated.\n\n| Control | Owner | Evidence | First evidence |\n|---|---|---|---|\n");
    for r in m.rollup.iter().filter(|r| r.owner.customer_has_duty()) {
        let first = first_evidence(&r.control);
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {first} |",
            r.control,
            r.owner.as_str(),
            r.evidence_state.as_str()
        );
    }
    o.push_str("\n## 5. Who answers for what\n\n");
    let mut providers: Vec<&String> = m.components.iter().map(|c| &c.provider).collect();
    providers.sort();
    providers.dedup();
    for pid in providers {
        if let Some(pi) = p.cat.incidents.providers.get(pid) {
            let _ = writeln!(
                o,
                "- **{}**, provider-side failure: {}",
                pi.name, pi.provider_failure.text
            );
            let _ = writeln!(
                o,
                "- **{}**, customer-side failure: {}",
                pi.name, pi.customer_failure.text
            );
        }
    }
    Ok(Output::ok(o))
}

fn playbook_json(p: &Project, wi: usize) -> serde_json::Value {
    let m = &p.matrices[wi];
    json!({
        "workload": m.name,
        "components": m.components.iter().map(|c| json!({
            "name": c.name.to_string(),
            "service": c.service,
            "variant": c.variant,
            "provider": c.provider,
            "status_page": p.cat.incidents.providers.get(&c.provider).map(|x| x.status_page.clone()),
            "support_case": p.cat.incidents.providers.get(&c.provider).map(|x| x.support_case.clone()),
        })).collect::<Vec<_>>(),
        "logs": m.rollup.iter().filter(|r| r.control.starts_with("logging.")).map(|r| json!({
            "control": r.control, "owner": r.owner.as_str(), "evidence": r.evidence_state.as_str(),
        })).collect::<Vec<_>>(),
        "your_controls": m.rollup.iter().filter(|r| r.owner.customer_has_duty()).map(|r| json!({
            "control": r.control, "owner": r.owner.as_str(), "evidence": r.evidence_state.as_str(),
        })).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// onus drill

#[derive(clap::Args)]
pub struct DrillArgs {
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[arg(long, short)]
    pub workload: String,
    /// The scenario's seed: the same seed gives the same scenario.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scripted answers (YAML or JSON: `who: customer|provider|shared`, `first-check: CONTROL`).
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Who ran the drill (recorded in the ledger).
    #[arg(long, default_value = "onus drill")]
    pub by: String,
}

/// A small deterministic generator (SplitMix64), so that a seed always gives the same scenario.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn run_drill(ctx: &Ctx, a: &DrillArgs, ledger: Option<&Path>) -> Result<Output> {
    crate::commands::only(ctx, &[Format::Table, Format::Json], "drill")?;
    let (p, ev, _) = evidenced(ctx, &a.path, ledger)?;
    let names: Vec<String> = p.matrices.iter().map(|m| m.name.clone()).collect();
    let wi = p
        .matrices
        .iter()
        .position(|m| m.name == a.workload)
        .ok_or_else(|| unknown("workload", &a.workload, &names))?;
    let m = &p.matrices[wi];
    if m.components.is_empty() {
        return Err(Failure::Usage(format!(
            "workload {} has no components to drill on",
            m.name
        )));
    }
    let mut st = a.seed;
    let ci = (splitmix(&mut st) % m.components.len() as u64) as usize;
    let symptoms: Vec<&String> = p.cat.incidents.symptoms.keys().collect();
    let symptom = symptoms[(splitmix(&mut st) % symptoms.len() as u64) as usize].clone();
    let failing = failing_on(&ev, &m.name, &[m.components[ci].name.to_string()]);
    let t = triage::triage(
        &p.cat,
        &p.loaded[wi].workload,
        m,
        &[ci],
        &triage::Question {
            symptom: &symptom,
            event: ProviderEvent::Unknown,
            focus: None,
            failing: &failing,
        },
    )
    .ok_or_else(|| Failure::Usage("no incident knowledge in the catalog".into()))?;
    let component = m.components[ci].name.to_string();
    let question = format!(
        "Drill for {}: {} on component `{component}` ({}). The status page has not been checked yet.",
        m.name, t.symptom_title, t.affected[0].service
    );
    // The answers: scripted, or asked on a terminal.
    let (who, first) = match &a.answers {
        Some(f) => {
            let file = crate::load::read(f)?;
            let (doc, diags) = onus_core::yaml::parse_one(&file.path, &file.text);
            if let Some(d) = diags.into_iter().find(|d| d.is_error()) {
                return Err(Failure::Input(crate::load::InputError(vec![d])));
            }
            let v = doc.map(|d| d.value);
            let get = |k: &str| v.as_ref().and_then(|v| v.get(k)).and_then(|x| x.as_str()).map(str::to_string);
            (
                get("who").unwrap_or_default(),
                get("first-check").or_else(|| get("first_check")).unwrap_or_default(),
            )
        }
        None if std::io::stdin().is_terminal() => {
            let _ = writeln!(std::io::stderr(), "{question}");
            let who = prompt("Who acts first?", &["customer".into(), "provider".into(), "shared".into()]).unwrap_or_default();
            let controls: Vec<String> = t.implicated.iter().map(|i| i.control.clone()).collect();
            let first = prompt("What do you check first?", &controls).unwrap_or_default();
            (who, first)
        }
        None => {
            return Err(Failure::Usage(format!(
                "{question}\nanswer on a terminal, or pass --answers FILE with `who:` and `first-check:`"
            )))
        }
    };
    // Scoring against the matrix: the side (2 points; 1 for `shared` when the answer names one side of a shared
    // call), and a first check the symptom implicates on your side (1 point) or at all (half credit rounded down).
    let expected = t.likely.as_str();
    let who_points = if who == expected {
        2
    } else if expected == "shared" || who == "shared" {
        1
    } else {
        0
    };
    let mine: Vec<&str> = t
        .implicated
        .iter()
        .filter(|i| i.owner.customer_has_duty() || i.owner == Owner::Provider)
        .map(|i| i.control.as_str())
        .collect();
    let first_points = u32::from(mine.contains(&first.as_str()));
    let score = who_points + first_points;
    let best: Vec<&str> = t
        .implicated
        .iter()
        .filter(|i| i.owner.customer_has_duty())
        .take(2)
        .map(|i| i.control.as_str())
        .collect();
    let lp = governance::ledger_path(&p.root, ledger);
    let mut store = governance::open(&lp)?;
    let e = store
        .append(onus_ledger::Draft {
            at: crate::clock::now(),
            kind: "drill".into(),
            actor: a.by.clone(),
            workload: Some(m.name.clone()),
            data: json!({
                "seed": a.seed,
                "component": component,
                "symptom": symptom,
                "expected": {"who": expected, "first-check": mine},
                "answers": {"who": who, "first-check": first},
                "score": score,
                "out_of": 3,
            }),
        })
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let out = match ctx.format {
        Format::Json => crate::commands::document(
            "drill",
            json!({
                "workload": m.name, "seed": a.seed, "component": component, "symptom": symptom,
                "expected": {"who": expected, "first_checks": mine}, "answers": {"who": who, "first_check": first},
                "score": score, "out_of": 3, "ledger_entry": e.seq,
            }),
        ),
        _ => {
            let mut o = String::new();
            o.push_str(&wrap_indented("", &question, ctx.width));
            let _ = writeln!(o, "\nYou said: {who} acts first, checking {first}.");
            let _ = writeln!(
                o,
                "The matrix says: {expected} ({:.0}% of the weight on the provider); your first checks: {}.",
                t.provider_share * 100.0,
                if best.is_empty() {
                    "none of the implicated controls is yours here".to_string()
                } else {
                    best.join(", ")
                }
            );
            let _ = writeln!(
                o,
                "Score {score}/3. Recorded as ledger entry {} of {}.",
                e.seq,
                crate::load::display(&lp)
            );
            o
        }
    };
    Ok(Output::ok(out))
}

/// The controls whose checks fail without a waiver on the resources bound to these components of the workload.
fn failing_on(
    ev: &crate::scan::Evaluated,
    workload: &str,
    components: &[String],
) -> std::collections::BTreeSet<String> {
    let mine: std::collections::HashSet<&str> = ev
        .report
        .resources
        .iter()
        .filter(|r| {
            r.workload.as_deref() == Some(workload)
                && r.component.as_ref().is_some_and(|c| components.contains(c))
        })
        .map(|r| r.resource.address.as_str())
        .collect();
    ev.checks
        .iter()
        .filter(|c| {
            c.outcome == onus_checks::Outcome::Fail
                && c.waived.is_none()
                && mine.contains(c.resource.as_str())
        })
        .map(|c| c.control.clone())
        .collect()
}

/// The last drill of each workload, for `onus review status`.
pub fn last_drill<'a>(
    entries: &'a [onus_ledger::Entry],
    workload: &str,
) -> Option<&'a onus_ledger::Entry> {
    entries
        .iter()
        .rev()
        .find(|e| e.kind == "drill" && e.workload.as_deref() == Some(workload))
}
