//! `onus`: the cloud shared responsibility model as code.

/// mimalloc: scans allocate millions of small values from several threads at once, where it is markedly faster than
/// the system allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod check;
mod clock;
mod commands;
mod formats;
mod governance;
mod incident;
mod init;
mod load;
mod rules;
mod scan;
mod waiver;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "onus", version, about = "Who owns each security control: the provider, you, or both — and can you prove you did your part?", long_about = None)]
struct Cli {
    /// Add or override catalog entries from this folder (repeatable; later folders win).
    #[arg(long, global = true, value_name = "DIR")]
    catalog: Vec<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Fix the clock (UTC): YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; also `ONUS_NOW`. For tests and reproducible
    /// reports.
    #[arg(long, global = true, value_name = "TIME")]
    now: Option<String>,
    /// The ledger to use instead of the project's `.onus/ledger.db` (a `.jsonl` file is a JSON-lines ledger);
    /// also `ONUS_LEDGER`.
    #[arg(long, global = true, value_name = "FILE")]
    ledger: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Table,
    Markdown,
    Csv,
    Json,
    Sarif,
    Junit,
    /// GitHub Actions workflow commands (`::error file=...::`), for `onus check`.
    Github,
}

#[derive(Subcommand)]
enum Command {
    /// The responsibility matrix of every workload in a project.
    Matrix {
        /// A project folder (holding onus.yaml or workloads/*.yaml) or a manifest file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Only this workload.
        #[arg(long, short)]
        workload: Option<String>,
        /// Group the matrix by this framework's requirements (see `onus catalog frameworks`).
        #[arg(long)]
        framework: Option<String>,
        /// Import another scanner's results (SARIF 2.1.0) onto the controls and workloads they concern
        /// (repeatable).
        #[arg(long = "import", value_name = "SARIF")]
        imports: Vec<PathBuf>,
        /// Do not run the checks over the project's infrastructure files (evidence then comes only from imports,
        /// attestations and manifest links).
        #[arg(long)]
        no_checks: bool,
    },
    /// Read Terraform, CloudFormation, Kubernetes, ARM and inventory exports; bind the resources to workloads and
    /// report drift (undeclared services, unowned resources, unmapped types, ...).
    Scan {
        /// The project folder (holding onus.yaml) first, then any more folders or files to scan.
        paths: Vec<PathBuf>,
        /// Skip files matching this glob (repeatable), e.g. `--exclude 'legacy/**'`.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Which findings make the exit code 1.
        #[arg(long, value_enum, default_value_t = FailOnArg::Any)]
        fail_on: FailOnArg,
        /// Also run the checks in this folder of check files (repeatable); same ids replace bundled checks.
        #[arg(long, value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Skip the checks: discovery and drift only.
        #[arg(long)]
        no_checks: bool,
        /// Ignore `# onus:waive CHECK reason="..." until=YYYY-MM-DD` comments in infrastructure files.
        #[arg(long)]
        no_inline_waivers: bool,
        #[command(flatten)]
        policy: scan::PolicyArgs,
    },
    /// The checks `onus scan` runs on infrastructure files, and their documentation.
    Rules {
        /// Document one check.
        id: Option<String>,
        #[command(subcommand)]
        command: Option<RulesCommand>,
    },
    /// One-line answer: who owns a control on a service, and your duty.
    Who {
        /// SERVICE[@VARIANT], e.g. aws:rds or aws:eks@auto-mode.
        service: String,
        /// A control id, e.g. host.os-patching; all controls when absent.
        control: Option<String>,
    },
    /// Duties, insecure defaults, consequences and sources for a service.
    Explain {
        /// SERVICE[@VARIANT]
        service: String,
        /// Only this control.
        #[arg(long, short)]
        control: Option<String>,
    },
    /// One control set across services and clouds.
    Compare {
        /// Two or more SERVICE[@VARIANT].
        #[arg(required = true, num_args = 1..)]
        services: Vec<String>,
        /// Only this control, with both sides' duties.
        #[arg(long, short)]
        control: Option<String>,
    },
    /// Browse and check the catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Write a commented starter manifest for one critical workload.
    Init(init::InitArgs),
    /// The CI gate: missing evidence, failing checks without a waiver, drift, due and overdue reviews, expired
    /// waivers and attestations. Exit 0 when nothing reaches `--fail-on`, 1 when something does, 2 on bad input.
    Check(check::CheckArgs),
    /// Record and check reviews of each workload's matrix.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Evidence for the customer's side of a cell: people's attestations, other scanners' results.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Is it ours or the provider's? The implicated controls, who owns each here, the likely side, and each side's
    /// first steps. Asks on a terminal for what is not given.
    Triage(incident::TriageArgs),
    /// A per-workload incident-response playbook in Markdown, generated from the matrix.
    Playbook {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, short)]
        workload: String,
    },
    /// A tabletop exercise from the workload's own matrix, scored and recorded in the ledger.
    Drill(incident::DrillArgs),
    /// Accepted risks with an approver and an expiry, kept in `.onus/waivers.yaml` and recorded in the ledger.
    Waiver {
        #[command(subcommand)]
        command: waiver::WaiverCommand,
    },
    /// The tamper-evident ledger of reviews, attestations, imports and drills.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// Record that someone reviewed a workload's matrix as it resolves now.
    Record {
        /// The project folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, short)]
        workload: String,
        #[arg(long)]
        reviewer: String,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Every workload's review state (ok, due, overdue) and why. Exit 1 when any is overdue.
    Status {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Do not scan the project's infrastructure files (for undeclared services and expired waivers).
        #[arg(long)]
        no_scan: bool,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Record a person's evidence for one workload's control.
    Attest {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, short)]
        workload: String,
        #[arg(long, short)]
        control: String,
        /// Who attests.
        #[arg(long)]
        by: String,
        /// Where the proof is (a ticket, a document, a dashboard).
        #[arg(long)]
        link: String,
        /// The last day it counts (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<String>,
    },
    /// Import another scanner's SARIF (Checkov, Trivy, tfsec, KICS, ...) into the project's evidence; `onus
    /// matrix` and `onus check` then count it.
    Import {
        /// The SARIF 2.1.0 file.
        file: PathBuf,
        /// The project folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Who imports it (recorded in the ledger).
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Walk the whole chain; name the first entry that was edited, removed, inserted or moved. Exit 1 if any.
    Verify {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The head hash recorded elsewhere (a git tag, a ticket): also catches entries cut off the end.
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
    },
    /// Write every entry as JSON lines to stdout.
    Export {
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Record each workload's resolved matrix as it stands now.
    Snapshot {
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, short)]
        workload: Option<String>,
        /// Who takes it (recorded in the ledger).
        #[arg(long, default_value = "onus")]
        by: String,
    },
    /// Read entries written by `export` and add those the ledger does not hold yet.
    Import {
        file: PathBuf,
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Every service, with provider, model and variants.
    List {
        /// Only this provider (aws, azure, gcp, ...).
        #[arg(long)]
        provider: Option<String>,
    },
    /// One service entry in full.
    Show { service: String },
    /// Check catalog files: the bundled catalog, or the given files and folders on top of it.
    Lint { paths: Vec<PathBuf> },
    /// Counts: services per provider, controls, cells, cells without a source.
    Stats,
    /// The control taxonomy.
    Controls,
    /// The compliance frameworks and how many controls map onto each.
    Frameworks,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check rule files (the bundled ones, or those under DIR): schema, ids, controls, and each check's fixtures.
    Lint { path: Option<PathBuf> },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOnArg {
    /// Any finding: failing checks and every drift finding, unmapped types and unresolved modules included.
    Any,
    /// Failing checks, undeclared services and unowned resources.
    Checks,
    /// Undeclared services and unowned resources: the map no longer matches what is deployed.
    Drift,
    /// Always exit 0 unless an input failed to parse.
    Never,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let format = match cli.format {
        FormatArg::Table => onus_render::Format::Table,
        FormatArg::Markdown => onus_render::Format::Markdown,
        FormatArg::Csv => onus_render::Format::Csv,
        FormatArg::Json => onus_render::Format::Json,
        FormatArg::Sarif => onus_render::Format::Sarif,
        FormatArg::Junit => onus_render::Format::Junit,
        FormatArg::Github => onus_render::Format::Github,
    };
    if let Some(n) = &cli.now {
        if !clock::fix(n) {
            eprintln!("onus: --now `{n}` is not a time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
            return ExitCode::from(2);
        }
    }
    let ledger = cli.ledger.clone();
    let ledger = ledger.as_deref();
    let ctx = commands::Ctx {
        catalog_dirs: cli.catalog,
        format,
        width: terminal_width(),
    };
    let result = match cli.command {
        Command::Matrix {
            path,
            workload,
            framework,
            imports,
            no_checks,
        } => commands::matrix(
            &ctx,
            &path,
            workload.as_deref(),
            framework.as_deref(),
            &imports,
            no_checks,
            ledger,
        ),
        Command::Scan {
            paths,
            exclude,
            fail_on,
            rules,
            no_checks,
            no_inline_waivers,
            policy,
        } => scan::run(
            &ctx,
            &scan::ScanArgs {
                paths,
                exclude,
                rules,
                no_checks,
                no_inline_waivers,
                policies: policy,
                fail_on: match fail_on {
                    FailOnArg::Any => scan::FailOn::Any,
                    FailOnArg::Checks => scan::FailOn::Checks,
                    FailOnArg::Drift => scan::FailOn::Drift,
                    FailOnArg::Never => scan::FailOn::Never,
                },
            },
        ),
        Command::Rules { id, command } => match command {
            Some(RulesCommand::Lint { path }) => rules::lint(&ctx, path.as_deref()),
            None => rules::list(&ctx, id.as_deref()),
        },
        Command::Who { service, control } => commands::who(&ctx, &service, control.as_deref()),
        Command::Explain { service, control } => {
            commands::explain(&ctx, &service, control.as_deref())
        }
        Command::Compare { services, control } => {
            commands::compare(&ctx, &services, control.as_deref())
        }
        Command::Catalog { command } => match command {
            CatalogCommand::List { provider } => commands::catalog_list(&ctx, provider.as_deref()),
            CatalogCommand::Show { service } => commands::catalog_show(&ctx, &service),
            CatalogCommand::Lint { paths } => commands::catalog_lint(&ctx, &paths),
            CatalogCommand::Stats => commands::catalog_stats(&ctx),
            CatalogCommand::Controls => commands::catalog_controls(&ctx),
            CatalogCommand::Frameworks => commands::catalog_frameworks(&ctx),
        },
        Command::Init(args) => init::run(&ctx, &args),
        Command::Check(args) => check::run(&ctx, &args, ledger),
        Command::Triage(args) => incident::run_triage(&ctx, &args, ledger),
        Command::Waiver { command } => waiver::run(&ctx, &command, ledger),
        Command::Playbook { path, workload } => {
            let ctx = commands::Ctx {
                format: if cli.format == FormatArg::Table {
                    onus_render::Format::Markdown
                } else {
                    ctx.format
                },
                ..ctx
            };
            incident::run_playbook(&ctx, &path, &workload, ledger)
        }
        Command::Drill(args) => incident::run_drill(&ctx, &args, ledger),
        Command::Review { command } => match command {
            ReviewCommand::Record {
                path,
                workload,
                reviewer,
                notes,
            } => governance::review_record(
                &ctx,
                &path,
                ledger,
                &workload,
                &reviewer,
                notes.as_deref(),
            ),
            ReviewCommand::Status { path, no_scan } => {
                governance::review_status(&ctx, &path, ledger, !no_scan)
            }
        },
        Command::Evidence { command } => match command {
            EvidenceCommand::Attest {
                path,
                workload,
                control,
                by,
                link,
                expires,
            } => governance::evidence_attest(
                &ctx,
                &path,
                ledger,
                &governance::AttestArgs {
                    workload: &workload,
                    control: &control,
                    by: &by,
                    link: &link,
                    expires: expires.as_deref(),
                },
            ),
            EvidenceCommand::Import { file, path, by } => {
                governance::evidence_import(&ctx, &file, &path, ledger, by.as_deref())
            }
        },
        Command::Ledger { command } => match command {
            LedgerCommand::Verify { path, expect_head } => {
                governance::ledger_verify(&path, ledger, expect_head.as_deref())
            }
            LedgerCommand::Export { path } => governance::ledger_export(&path, ledger),
            LedgerCommand::Snapshot { path, workload, by } => {
                governance::ledger_snapshot(&ctx, &path, ledger, workload.as_deref(), &by)
            }
            LedgerCommand::Import { file, path } => governance::ledger_import(&file, &path, ledger),
        },
    };
    match result {
        Ok(out) => {
            emit(&out.stdout, false);
            emit(&out.stderr, true);
            ExitCode::from(out.code)
        }
        Err(commands::Failure::Input(e)) => {
            let mut text = String::new();
            for d in &e.0 {
                text.push_str(&d.to_string());
                text.push('\n');
            }
            let n = e.0.len();
            text.push_str(&format!(
                "onus: {n} error{} found\n",
                if n == 1 { "" } else { "s" }
            ));
            emit(&text, true);
            ExitCode::from(2)
        }
        Err(commands::Failure::Usage(msg)) => {
            emit(&format!("onus: {msg}\n"), true);
            ExitCode::from(2)
        }
    }
}

/// Write output; a closed pipe (`onus ... | head`) is not an error.
fn emit(text: &str, stderr: bool) {
    if text.is_empty() {
        return;
    }
    let r = if stderr {
        std::io::stderr().lock().write_all(text.as_bytes())
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|_| out.flush())
    };
    if let Err(e) = r {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "onus: cannot write output: {e}");
        }
    }
}

/// The width to fit tables to: the terminal's, else `COLUMNS`, else 80.
fn terminal_width() -> usize {
    if std::io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return (w as usize).clamp(40, 200);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .map(|w| w.clamp(40, 400))
        .unwrap_or(80)
}
