//! The `jwt-harness` command line.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use jwt_harness::backend::{self, Backend};
use jwt_harness::cases::{self, Case};
use jwt_harness::forge::{self, Attackers};
use jwt_harness::judge::{BackendFile, FailOn};
use jwt_harness::oracle::{self, Verdict};
use jwt_harness::policy::{self, Policy};
use jwt_harness::run::{self, Entry, RunConfig};
use jwt_harness::{report, Error};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "jwt-harness",
    version,
    about = "Conformance test harness and fuzzer for JWT validators"
)]
struct Cli {
    /// The project root holding fixtures/ (default: found from the current directory).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the catalog against backends and judge every verdict.
    Run(RunArgs),
    /// List the catalog as expanded over the policies.
    Cases {
        /// Policy files (default: fixtures/policies/*).
        #[arg(long)]
        policy: Vec<PathBuf>,
        /// Output format: text or json.
        #[arg(long, default_value = "text")]
        format: String,
        /// Include the forged tokens.
        #[arg(long)]
        tokens: bool,
        /// The clock for forging (Unix seconds; default: now).
        #[arg(long)]
        now: Option<u64>,
        /// Forge seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Print the reference oracle's verdict on one token as JSON (exit 0 accept, 1 reject).
    Verify {
        /// The policy file.
        #[arg(long)]
        policy: PathBuf,
        /// The clock (Unix seconds; default: now).
        #[arg(long)]
        now: Option<u64>,
        /// The compact token.
        token: String,
    },
    /// Diagnose one token against a policy in plain words.
    Explain {
        /// The policy file.
        #[arg(long)]
        policy: PathBuf,
        /// The clock (Unix seconds; default: now).
        #[arg(long)]
        now: Option<u64>,
        /// A whole Authorization header value instead of a bare token.
        #[arg(long)]
        authorization: Option<String>,
        /// The compact token.
        token: Option<String>,
    },
    /// Write new test-only fixture keys to fixtures/keys (used by `cargo xtask gen-fixtures`).
    #[command(hide = true)]
    GenFixtures,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Policy files (repeatable; default: fixtures/policies/*).
    #[arg(long)]
    policy: Vec<PathBuf>,
    /// Built-in backends (repeatable; default: all built-in).
    #[arg(long)]
    backend: Vec<String>,
    /// Families to run (repeatable; default: all).
    #[arg(long)]
    family: Vec<String>,
    /// Only cases whose id (family/name) matches this glob.
    #[arg(long)]
    case: Option<String>,
    /// text, json, junit, sarif or markdown.
    #[arg(long, default_value = "text")]
    format: String,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// never, broken, critical, high, medium, low (default: any unsafe or broken) or strict.
    #[arg(long, default_value = "low")]
    fail_on: String,
    /// The clock for request-clock backends (Unix seconds; default: now).
    #[arg(long)]
    now: Option<u64>,
    /// Forge seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// List known deviations too.
    #[arg(long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("jwt-harness: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load_policies(root: &std::path::Path, files: &[PathBuf]) -> anyhow::Result<Vec<Policy>> {
    if files.is_empty() {
        Ok(policy::load_defaults(root)?)
    } else {
        files
            .iter()
            .map(|f| Policy::load(f).map_err(anyhow::Error::from))
            .collect()
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let root = cli.root.clone().unwrap_or_else(jwt_harness::project_root);
    match cli.command {
        Command::Run(args) => cmd_run(&root, args),
        Command::Cases {
            policy,
            format,
            tokens,
            now,
            seed,
        } => {
            let policies: Vec<Arc<Policy>> = load_policies(&root, &policy)?
                .into_iter()
                .map(Arc::new)
                .collect();
            let catalog = cases::load_catalog(&root)?;
            let attackers = Attackers::load(&root)?;
            let config = forge::ForgeConfig {
                now: now.unwrap_or_else(run::system_now),
                seed,
            };
            let forged = forge::forge_all(&catalog, &policies, &attackers, &config, &|_| true);
            if format == "json" {
                let items: Vec<_> = forged
                    .instances
                    .iter()
                    .map(|i| {
                        let mut v = serde_json::json!({
                            "id": i.id,
                            "case": i.case.id,
                            "family": i.case.family,
                            "policy": i.policy.name,
                            "description": i.case.description,
                            "expect": i.case.expect.name(),
                            "reason": i.case.reason.map(|r| r.name()),
                            "severity": i.case.severity.map(|s| s.name()),
                            "fixed_clock": i.case.fixed_clock,
                            "now": i.now,
                        });
                        if tokens {
                            v["token"] = serde_json::json!(i.token);
                        }
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for i in &forged.instances {
                    if tokens {
                        println!("{}\t{}", i.id, i.token);
                    } else {
                        println!(
                            "{:50} {:6} {:14} {}",
                            i.id,
                            i.case.expect.name(),
                            i.case.reason.map(|r| r.name()).unwrap_or("-"),
                            i.case.description
                        );
                    }
                }
                eprintln!(
                    "{} cases, {} instances over {} policies",
                    catalog.cases.len(),
                    forged.instances.len(),
                    policies.len()
                );
            }
            for e in &forged.errors {
                eprintln!("forge error: {}: {}", e.id, e.message);
            }
            Ok(if forged.errors.is_empty() { 0 } else { 2 })
        }
        Command::Verify { policy, now, token } => {
            let policy = Policy::load(&policy)?;
            let now = now.unwrap_or_else(run::system_now);
            let v = match oracle::validate(token.trim_end_matches('\n'), &policy, now) {
                Verdict::Accept(_) => {
                    serde_json::json!({"verdict": "accept", "reason": null, "detail": null})
                }
                Verdict::Reject(r, d) => {
                    serde_json::json!({"verdict": "reject", "reason": r.name(), "detail": d})
                }
            };
            println!("{v}");
            Ok(if v["verdict"] == "accept" { 0 } else { 1 })
        }
        Command::Explain {
            policy,
            now,
            authorization,
            token,
        } => {
            let policy = Policy::load(&policy)?;
            let now = now.unwrap_or_else(run::system_now);
            let input = match (authorization, token) {
                (Some(h), None) => jwt_harness::explain::Input::Authorization(h),
                (None, Some(t)) => jwt_harness::explain::Input::Token(t),
                _ => bail!("give either a TOKEN or --authorization VALUE"),
            };
            let diagnosis = jwt_harness::explain::explain(&input, &policy, now);
            print!("{}", diagnosis.render());
            Ok(if diagnosis.accepted() { 0 } else { 1 })
        }
        Command::GenFixtures => {
            let written = jwt_harness::fixtures::generate(&root.join("fixtures/keys"))?;
            println!("wrote {} test-only keys to fixtures/keys", written.len());
            Ok(0)
        }
    }
}

fn cmd_run(root: &std::path::Path, args: RunArgs) -> anyhow::Result<u8> {
    let fail_on = FailOn::parse(&args.fail_on).ok_or_else(|| {
        Error::Config(format!(
            "--fail-on takes never, broken, critical, high, medium, low or strict, not {:?}",
            args.fail_on
        ))
    })?;
    if !["text", "json"].contains(&args.format.as_str()) {
        bail!(Error::Config(format!(
            "--format {} is not available yet (text, json)",
            args.format
        )));
    }
    let policies = load_policies(root, &args.policy)?;
    let catalog = cases::load_catalog(root)?;
    for f in &args.family {
        if !catalog.cases.iter().any(|c| &c.family == f) {
            bail!(Error::Config(format!(
                "no family {f:?}; families: {}",
                catalog.families().join(", ")
            )));
        }
    }
    let attackers = Attackers::load(root)?;
    let names: Vec<String> = if args.backend.is_empty() {
        backend::builtin_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        args.backend.clone()
    };
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    for n in &names {
        backends.push(backend::builtin(n).ok_or_else(|| {
            Error::Config(format!(
                "no built-in backend {n:?}; built in: {}",
                backend::builtin_names().join(", ")
            ))
        })?);
    }
    let mut entries = Vec::new();
    for b in &backends {
        let file = BackendFile::load(root, &b.info().name)?;
        entries.push(Entry {
            backend: b.as_ref(),
            file,
        });
    }
    let families = args.family.clone();
    let glob = args.case.clone();
    let filter = move |c: &Case| {
        (families.is_empty() || families.contains(&c.family))
            && glob
                .as_deref()
                .is_none_or(|g| jwt_harness::judge::glob(g, &c.id))
    };
    let config = RunConfig {
        now: args.now,
        seed: args.seed,
    };
    let report = run::run(&catalog, &policies, &entries, &attackers, &config, &filter);
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&report::to_json(&report))? + "\n",
        _ => report::to_text(&report, args.verbose),
    };
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    if !report.forge_errors.is_empty() {
        return Ok(2);
    }
    Ok(report.exit_code(fail_on) as u8)
}
