//! `onus scan`: find infrastructure files (in parallel, `.gitignore`-aware), parse them, bind the resources to the
//! project's workloads and report drift.

use crate::commands::{Ctx, Failure, Output, Result};
use crate::load;
use onus_core::diag::{Code, Diagnostic, Pos};
use onus_discover::bind::{per_service, FindingCode, ScanReport};
use onus_discover::terraform::{dir_of, resolve_source};
use onus_discover::{detect, Input, Parsed};
use onus_render::text::{pad, wrap_indented};
use onus_render::Format;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Which findings make the run exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any drift finding or failing check.
    Any,
    /// Failing checks and the drift that means the map is wrong.
    Checks,
    /// Only undeclared services and unowned resources (the map is wrong), not unmapped types or modules.
    Drift,
    Never,
}

/// The Rego policies a scan evaluates.
#[derive(Clone, Default, clap::Args)]
pub struct PolicyArgs {
    /// Evaluate the Rego policies (`*.rego`, Conftest's deny/violation/warn convention) in this folder
    /// (repeatable).
    #[arg(long = "policy", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Only the policy packages in this namespace or below it, e.g. `main` or `org.aws` (repeatable; default:
    /// every package, as Conftest's `--all-namespaces`).
    #[arg(long = "namespace", value_name = "PACKAGE", requires = "dirs")]
    pub namespaces: Vec<String>,
}

pub struct ScanArgs {
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    pub rules: Vec<PathBuf>,
    pub no_checks: bool,
    pub no_inline_waivers: bool,
    pub policies: PolicyArgs,
    pub fail_on: FailOn,
}

/// One discovered file, its path relative to the project root.
struct Found {
    rel: String,
    text: String,
    input: Input,
}

/// Walk the paths and read every infrastructure file onus understands. Paths in the result are relative to `root`.
fn discover(
    root: &Path,
    paths: &[PathBuf],
    exclude: &[String],
) -> std::result::Result<(Vec<Found>, Vec<Diagnostic>), Failure> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for e in exclude {
        overrides
            .add(&format!("!{e}"))
            .map_err(|err| Failure::Usage(format!("bad --exclude pattern `{e}`: {err}")))?;
    }
    let overrides = overrides
        .build()
        .map_err(|err| Failure::Usage(format!("bad --exclude pattern: {err}")))?;
    let mut walk = ignore::WalkBuilder::new(&paths[0]);
    for p in &paths[1..] {
        walk.add(p);
    }
    walk.overrides(overrides)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            n != ".terraform" && n != "node_modules" && n != "target"
        });
    let files = Mutex::new(Vec::new());
    let diags = Mutex::new(Vec::new());
    let progress = Progress::new();
    walk.build_parallel().run(|| {
        Box::new(|entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ignore::WalkState::Continue;
            }
            let path = entry.path();
            if !maybe_infra(path) {
                return ignore::WalkState::Continue;
            }
            let rel = relative(root, path);
            match std::fs::read(path) {
                Ok(bytes) => {
                    // Binary files are not infrastructure code.
                    if let Ok(text) = String::from_utf8(bytes) {
                        if let Some(input) = detect(&rel, &text) {
                            progress.tick();
                            files
                                .lock()
                                .expect("not poisoned")
                                .push(Found { rel, text, input });
                        }
                    }
                }
                Err(e) => diags.lock().expect("not poisoned").push(Diagnostic::new(
                    Code::IoError,
                    &rel,
                    Pos::START,
                    format!("cannot read: {e}"),
                )),
            }
            ignore::WalkState::Continue
        })
    });
    progress.done();
    let mut files = files.into_inner().expect("not poisoned");
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((files, diags.into_inner().expect("not poisoned")))
}

/// The `.rego` files under a folder (or the file itself), as (path, text), sorted.
fn rego_files(path: &Path) -> std::result::Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            let entries = std::fs::read_dir(&p).map_err(|e| {
                Failure::Input(load::InputError::one(
                    Code::IoError,
                    &load::display(&p),
                    format!("cannot read: {e}"),
                    None,
                ))
            })?;
            stack.extend(entries.flatten().map(|e| e.path()));
        } else if p.extension().and_then(|e| e.to_str()) == Some("rego")
            && !p.to_string_lossy().ends_with("_test.rego")
        {
            let f = load::read(&p)?;
            out.push((f.path, f.text));
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(Failure::Usage(format!(
            "no .rego files in {}",
            load::display(path)
        )));
    }
    Ok(out)
}

fn maybe_infra(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        ".tf",
        ".tfvars",
        ".tf.json",
        ".tfvars.json",
        ".tfstate",
        ".json",
        ".jsonl",
        ".ndjson",
        ".yaml",
        ".yml",
        ".template",
    ]
    .iter()
    .any(|e| name.ends_with(e))
        && !matches!(name.as_str(), "onus.yaml" | "onus.yml")
}

fn relative(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s = load::display(r);
    s.trim_start_matches("./").to_string()
}

/// A progress line on stderr, only when stderr is a terminal.
struct Progress {
    on: bool,
    n: AtomicUsize,
}

impl Progress {
    fn new() -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
            n: AtomicUsize::new(0),
        }
    }
    fn tick(&self) {
        let n = self.n.fetch_add(1, Ordering::Relaxed) + 1;
        if self.on && n.is_multiple_of(100) {
            eprint!("\rscanning: {n} files");
        }
    }
    fn done(&self) {
        if self.on && self.n.load(Ordering::Relaxed) >= 100 {
            eprint!("\r\x1b[K");
        }
    }
}

/// Parse everything found: Terraform per module directory (local modules followed from their callers), every
/// other file on its own; all in parallel.
fn parse_all(files: &[Found]) -> Parsed {
    let mut tf_dirs: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut others = Vec::new();
    for f in files {
        if f.input == Input::TerraformHcl {
            tf_dirs
                .entry(dir_of(&f.rel))
                .or_default()
                .push((f.rel.clone(), f.text.clone()));
        } else {
            others.push(f);
        }
    }
    // Directories that another directory calls as a local module are evaluated through their callers.
    let mut called: HashSet<String> = HashSet::new();
    for (dir, fs) in &tf_dirs {
        for (_, text) in fs {
            for src in local_sources(text) {
                if let Some(t) = resolve_source(dir, &src) {
                    if t != *dir {
                        called.insert(t);
                    }
                }
            }
        }
    }
    let modules: Vec<(String, Vec<(String, String)>)> = tf_dirs
        .iter()
        .map(|(d, fs)| (d.to_string(), fs.clone()))
        .collect();
    let roots: Vec<&Vec<(String, String)>> = tf_dirs
        .iter()
        .filter(|(d, _)| !called.contains(**d))
        .map(|(_, fs)| fs)
        .collect();
    let mut parsed: Vec<Parsed> = roots
        .par_iter()
        .map(|fs| onus_discover::terraform::parse_dir(fs, &modules))
        .collect();
    parsed.extend(
        others
            .par_iter()
            .map(|f| onus_discover::parse_file(f.input, &f.rel, &f.text))
            .collect::<Vec<_>>(),
    );
    let mut out = Parsed::default();
    for p in parsed {
        out.extend(p);
    }
    out.resources.sort_by(|a, b| {
        (&a.file, a.line, a.col, &a.address).cmp(&(&b.file, b.line, b.col, &b.address))
    });
    out
}

/// `source = "./..."` or `"../..."` values in a Terraform file, found without parsing it.
fn local_sources(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("source") else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(q) = rest.strip_prefix('"') {
            if let Some(end) = q.find('"') {
                let s = &q[..end];
                if s.starts_with("./") || s.starts_with("../") {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// Discover and parse: the number of files read, what they hold, and the problems found (parse errors included).
pub fn collect(
    root: &Path,
    paths: &[PathBuf],
    exclude: &[String],
) -> std::result::Result<(usize, Parsed, Vec<Diagnostic>), Failure> {
    let (n, parsed, diags, _) = collect_with_waivers(root, paths, exclude)?;
    Ok((n, parsed, diags))
}

type Collected = (
    usize,
    Parsed,
    Vec<Diagnostic>,
    Vec<onus_checks::waivers::Inline>,
);

/// [`collect`], and the inline waivers (`# onus:waive ...`) found in the files.
pub fn collect_with_waivers(
    root: &Path,
    paths: &[PathBuf],
    exclude: &[String],
) -> std::result::Result<Collected, Failure> {
    let (files, mut diags) = discover(root, paths, exclude)?;
    let mut parsed = parse_all(&files);
    diags.append(&mut parsed.diagnostics);
    let inline = files
        .iter()
        .filter(|f| f.text.contains("onus:waive"))
        .flat_map(|f| onus_checks::waivers::inline(&f.rel, &f.text))
        .collect();
    Ok((files.len(), parsed, diags, inline))
}

pub fn run(ctx: &Ctx, args: &ScanArgs) -> Result<Output> {
    crate::commands::only(
        ctx,
        &[Format::Table, Format::Json, Format::Sarif, Format::Junit],
        "scan",
    )?;
    let cat = load::catalog(&ctx.catalog_dirs)?;
    let rules = if args.no_checks {
        Vec::new()
    } else {
        crate::rules::load_rules(&cat, &args.rules)?
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            return Err(Failure::Input(load::InputError::one(
                Code::IoError,
                &load::display(p),
                "no such file or folder",
                None,
            )));
        }
    }
    let ev = evaluate(
        &cat,
        &paths,
        &rules,
        &args.exclude,
        &args.policies,
        args.no_inline_waivers,
    )?;
    let Evaluated {
        workloads: _,
        report,
        checks,
        waiver_problems,
        diags,
    } = ev;
    let map_wrong = |f: &onus_discover::Finding| {
        matches!(
            f.code,
            FindingCode::UndeclaredService | FindingCode::UnownedResource
        )
    };
    let check_failed = !waiver_problems.is_empty()
        || checks
            .iter()
            .any(|c| c.outcome == onus_checks::Outcome::Fail && c.waived.is_none());
    let failing = match args.fail_on {
        FailOn::Any => check_failed || !report.findings.is_empty(),
        FailOn::Checks => check_failed || report.findings.iter().any(map_wrong),
        FailOn::Drift => report.findings.iter().any(map_wrong),
        FailOn::Never => false,
    };
    let stdout = match ctx.format {
        Format::Json => {
            let mut v = serde_json::to_value(&report).unwrap_or_default();
            v["checks"] = serde_json::to_value(&checks).unwrap_or_default();
            v["waiver_problems"] = serde_json::to_value(&waiver_problems).unwrap_or_default();
            v["diagnostics"] = serde_json::to_value(&diags).unwrap_or_default();
            onus_render::json::to_string(&v)
        }
        Format::Sarif => crate::formats::sarif(&rules, &checks, &report.findings),
        Format::Junit => crate::formats::junit(&checks, &report.findings),
        _ => {
            let mut out = render(&report, ctx.width);
            render_checks(&mut out, &rules, &checks, ctx.width);
            for p in &waiver_problems {
                out.push_str(&wrap_indented(
                    "",
                    &format!("{}: waiver: {}", p.source, p.message),
                    ctx.width,
                ));
            }
            out
        }
    };
    let mut stderr = String::new();
    for d in &diags {
        let _ = writeln!(stderr, "{d}");
    }
    let code = if diags.iter().any(Diagnostic::is_error) {
        2
    } else if failing {
        1
    } else {
        0
    };
    Ok(Output {
        stdout,
        stderr,
        code,
    })
}

fn render_checks(
    out: &mut String,
    rules: &[onus_core::model::RuleFile],
    checks: &[onus_checks::CheckResult],
    width: usize,
) {
    use onus_checks::Outcome;
    if rules.is_empty() {
        return;
    }
    let count = |o: Outcome| checks.iter().filter(|c| c.outcome == o).count();
    let _ = writeln!(
        out,
        "\nChecks: {} failed, {} unknown until deploy time, {} passed ({} checks)",
        count(Outcome::Fail),
        count(Outcome::Unknown),
        count(Outcome::Pass),
        rules.len()
    );
    let warned = count(Outcome::Warn);
    if warned > 0 {
        let _ = writeln!(
            out,
            "  {warned} policy warning(s), listed; they do not fail the run"
        );
    }
    let waived = checks.iter().filter(|c| c.waived.is_some()).count();
    if waived > 0 {
        let _ = writeln!(
            out,
            "  {waived} result(s) waived (listed with their waiver)"
        );
    }
    let severity: std::collections::HashMap<&str, &str> = rules
        .iter()
        .map(|r| (r.id.as_str(), r.severity.as_str()))
        .collect();
    // A large estate can fail a million times: the lines are wrapped in parallel, then joined in order.
    use rayon::prelude::*;
    let failed: Vec<&onus_checks::CheckResult> = checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
        .collect();
    let blocks: Vec<String> = failed
        .par_chunks(4096)
        .map(|chunk| {
            let mut block = String::new();
            for c in chunk {
                let sev = if c.outcome == Outcome::Warn {
                    "warning"
                } else {
                    severity.get(c.rule.as_str()).copied().unwrap_or("")
                };
                block.push_str(&wrap_indented(
                    "",
                    &format!(
                        "{}:{}:{}: {} [{sev}]: {}: {}",
                        c.file, c.line, c.col, c.rule, c.resource, c.message
                    ),
                    width,
                ));
                if let Some(w) = &c.waived {
                    block.push_str(&wrap_indented(
                        "  waived: ",
                        &format!("{} (until {}, {})", w.reason, w.expires, w.source),
                        width,
                    ));
                }
            }
            block
        })
        .collect();
    out.reserve(blocks.iter().map(String::len).sum());
    for b in blocks {
        out.push_str(&b);
    }
}

fn render(r: &ScanReport, width: usize) -> String {
    let mut out = String::new();
    let n_types: BTreeSet<&str> = r
        .resources
        .iter()
        .map(|x| x.resource.rtype.as_str())
        .collect();
    let _ = writeln!(
        out,
        "{} resources of {} types in {} files",
        r.resources.len(),
        n_types.len(),
        r.files
    );
    let name_w = r
        .workloads
        .iter()
        .flat_map(|w| w.components.iter().map(|c| c.name.len()))
        .chain([14])
        .max()
        .unwrap_or(14);
    let svc_w = r
        .workloads
        .iter()
        .flat_map(|w| w.components.iter().map(|c| c.service.len()))
        .chain([10])
        .max()
        .unwrap_or(10);
    for w in &r.workloads {
        let total: usize = w
            .components
            .iter()
            .map(|c| c.resources.len())
            .sum::<usize>()
            + w.unassigned.len();
        let _ = writeln!(out, "\n{}  ({total} resources)", w.name);
        for c in &w.components {
            let head = format!("  {} {} ", pad(&c.name, name_w), pad(&c.service, svc_w));
            let list = if c.resources.is_empty() {
                "-".to_string()
            } else {
                c.resources.join(", ")
            };
            out.push_str(&wrap_indented(&head, &list, width));
        }
        if !w.unassigned.is_empty() {
            out.push_str(&wrap_indented(
                &format!("  {} {} ", pad("(no component)", name_w), pad("", svc_w)),
                &w.unassigned.join(", "),
                width,
            ));
        }
    }
    let unowned: Vec<&str> = r
        .resources
        .iter()
        .filter(|x| x.workload.is_none())
        .map(|x| x.resource.address.as_str())
        .collect();
    if !unowned.is_empty() && !r.workloads.is_empty() {
        let _ = writeln!(out, "\nno workload  ({} resources)", unowned.len());
    }
    let services = per_service(r);
    if !services.is_empty() {
        let list: Vec<String> = services.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push('\n');
        out.push_str(&wrap_indented("services: ", &list.join(", "), width));
    }
    if r.findings.is_empty() {
        out.push_str("\nNo drift: every resource is mapped and bound.\n");
        return out;
    }
    let _ = writeln!(out, "\nDrift: {} finding(s)", r.findings.len());
    for f in &r.findings {
        let place = if f.file.is_empty() {
            f.workload.clone().unwrap_or_default()
        } else {
            format!("{}:{}:{}", f.file, f.line, f.col)
        };
        out.push_str(&wrap_indented(
            "",
            &format!("{place}: {}: {}", f.code.as_str(), f.message),
            width,
        ));
        out.push_str(&wrap_indented("  help: ", &f.help, width));
    }
    out
}

/// What a scan found: the project's workloads, the bound resources and drift, the check results with waivers
/// applied, waiver problems (expired, unknown check) and every diagnostic.
pub struct Evaluated {
    pub workloads: Vec<onus_core::model::Workload>,
    pub report: onus_discover::ScanReport,
    pub checks: Vec<onus_checks::CheckResult>,
    pub waiver_problems: Vec<onus_checks::waivers::WaiverProblem>,
    pub diags: Vec<Diagnostic>,
}

/// Read the manifest under the first path, discover and parse the infrastructure files under `paths`, run the
/// checks (each resource under its workload's template requirements) and the Rego policies, and apply waivers.
pub fn evaluate(
    cat: &onus_core::Catalog,
    paths: &[PathBuf],
    rules: &[onus_core::model::RuleFile],
    exclude: &[String],
    policies: &PolicyArgs,
    no_inline_waivers: bool,
) -> Result<Evaluated> {
    // The project root: the first path when it is a folder, else its folder.
    let root = if paths[0].is_dir() {
        paths[0].clone()
    } else {
        paths[0].parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let mut manifest = load::manifest_files(&root).unwrap_or_default();
    let waiver_file = root.join(".onus/waivers.yaml");
    if waiver_file.is_file() {
        manifest.push(load::read(&waiver_file)?);
    }
    let (loaded, manifest_waivers, mdiags) = onus_core::manifest::load_with_waivers(cat, &manifest);
    let errors: Vec<Diagnostic> = mdiags.into_iter().filter(Diagnostic::is_error).collect();
    if !errors.is_empty() {
        return Err(Failure::Input(load::InputError(errors)));
    }
    let workloads: Vec<onus_core::model::Workload> =
        loaded.into_iter().map(|w| w.workload).collect();
    let (n_files, parsed, diags, inline) = collect_with_waivers(&root, paths, exclude)?;
    let index = onus_discover::TypeIndex::new(cat);
    let owner = onus_discover::bind::PathOwner::new(&workloads);
    let requirements: Vec<onus_checks::Requirements> = workloads
        .iter()
        .map(|w| onus_core::resolve::workload_requirements(cat, w))
        .collect();
    let mut checks = onus_checks::run_with(rules, &parsed.resources, &|r| {
        owner.find(&r.file).map(|i| requirements[i].clone())
    });
    let mut diags = diags;
    if !policies.dirs.is_empty() {
        let mut files = Vec::new();
        for dir in &policies.dirs {
            files.extend(rego_files(dir)?);
        }
        let known = |c: &str| cat.control(c).is_some();
        let mut policies =
            onus_checks::policies::Policies::load(&files, &known, &policies.namespaces)
                .map_err(|d| Failure::Input(load::InputError(d)))?;
        let context = |r: &onus_discover::Resource| match owner.find(&r.file) {
            Some(i) => serde_json::json!({
                "name": workloads[i].name,
                "classification": workloads[i].classification.as_str(),
                "tier": workloads[i].tier,
                "requirements": requirements[i]
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), serde_json::json!(v)))
                    .collect::<serde_json::Map<_, _>>(),
            }),
            None => serde_json::Value::Null,
        };
        let (results, pdiags) = policies.run(&parsed.resources, &context);
        checks.extend(results);
        diags.extend(pdiags);
    }
    let inline = if no_inline_waivers {
        Vec::new()
    } else {
        inline
    };
    let control_by_id: HashMap<&str, &str> = rules
        .iter()
        .map(|r| (r.id.as_str(), r.control.as_str()))
        .collect();
    let control_of = |id: &str| control_by_id.get(id).map(|c| c.to_string());
    let waiver_problems = onus_checks::waivers::apply(
        &mut checks,
        &manifest_waivers,
        &inline,
        &control_of,
        &crate::clock::today(),
    );
    let report = onus_discover::bind(
        cat,
        &index,
        &workloads,
        parsed.resources,
        &parsed.unresolved_modules,
        n_files,
    );
    Ok(Evaluated {
        workloads,
        report,
        checks,
        waiver_problems,
        diags,
    })
}
