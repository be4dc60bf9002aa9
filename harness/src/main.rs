//! The `jwt-harness` command line.

use anyhow::{bail, Context};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use jwt_harness::backend::{self, Backend};
use jwt_harness::cases::{self, Case};
use jwt_harness::deviations::BackendFile;
use jwt_harness::forge::{self, Attackers};
use jwt_harness::judge::FailOn;
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
    /// Backends: built-in names, NAME for fixtures/backends/NAME.toml with a `command`, or `all`
    /// for every one of both (repeatable; default: all built-in when no --exec is given).
    #[arg(long)]
    backend: Vec<String>,
    /// An external backend speaking PROTOCOL.md: the command line, split like a shell would
    /// (repeatable).
    #[arg(long)]
    exec: Vec<String>,
    /// The name of the preceding --exec backend (default: from its command).
    #[arg(long)]
    name: Vec<String>,
    /// The clock of the preceding --exec backend: `system` (ignores `now`; the default) or
    /// `request` (honours it).
    #[arg(long)]
    clock: Vec<String>,
    /// Seconds an external backend may take per case before the case is broken.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
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
    run::install_panic_hook();
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match dispatch(cli, &matches) {
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

fn dispatch(cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<u8> {
    let root = cli.root.clone().unwrap_or_else(jwt_harness::project_root);
    match cli.command {
        Command::Run(args) => {
            let externals = external_backends(&args, matches.subcommand_matches("run"))?;
            cmd_run(&root, args, externals)
        }
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
                let mut applied: Vec<&str> = forged
                    .instances
                    .iter()
                    .map(|i| i.case.id.as_str())
                    .collect();
                applied.sort();
                applied.dedup();
                eprintln!(
                    "{} cases in the catalog, {} apply to these {} policies: {} tokens",
                    catalog.cases.len(),
                    applied.len(),
                    policies.len(),
                    forged.instances.len()
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
            let written = jwt_harness::keygen::generate(&root.join("fixtures/keys"))?;
            println!("wrote {} test-only keys to fixtures/keys", written.len());
            Ok(0)
        }
    }
}

/// The `--exec` backends, each with the `--name` and `--clock` that follow it.
fn external_backends(
    args: &RunArgs,
    matches: Option<&clap::ArgMatches>,
) -> anyhow::Result<Vec<Box<dyn Backend>>> {
    let indices = |id: &str| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let (execs, names, clocks) = (indices("exec"), indices("name"), indices("clock"));
    let owner = |at: usize| execs.iter().rposition(|&e| e < at);
    for (what, list) in [("--name", &names), ("--clock", &clocks)] {
        if list.iter().any(|&at| owner(at).is_none()) {
            bail!(Error::Config(format!(
                "{what} must follow the --exec it belongs to"
            )));
        }
    }
    let timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.001));
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    for (i, line) in args.exec.iter().enumerate() {
        let command = backend::process::split_command(line)
            .map_err(|e| Error::Config(format!("--exec {line:?}: {e}")))?;
        let pick = |list: &[usize], values: &[String]| {
            list.iter()
                .position(|&at| owner(at) == Some(i))
                .map(|k| values[k].clone())
        };
        let name = pick(&names, &args.name).unwrap_or_else(|| default_name(&command));
        let clock = match pick(&clocks, &args.clock).as_deref().unwrap_or("system") {
            "system" => backend::Clock::System,
            "request" => backend::Clock::Request,
            other => bail!(Error::Config(format!(
                "--clock takes system or request, not {other:?}"
            ))),
        };
        backends.push(Box::new(
            backend::process::Process::new(&name, command, clock).with_timeout(timeout),
        ));
    }
    Ok(backends)
}

/// A backend name from its command: the script or program file stem.
fn default_name(command: &[String]) -> String {
    let word = command
        .iter()
        .rev()
        .find(|w| !w.starts_with('-'))
        .unwrap_or(&command[0]);
    std::path::Path::new(word)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("external")
        .to_string()
}

/// A built-in backend, or an external one declared in fixtures/backends/NAME.toml.
fn named_backend(
    root: &std::path::Path,
    name: &str,
    args: &RunArgs,
) -> anyhow::Result<Box<dyn Backend>> {
    if let Some(b) = backend::builtin(name) {
        return Ok(b);
    }
    let file = BackendFile::load(root, name)?;
    if file.command.is_empty() {
        bail!(Error::Config(format!(
            "no backend {name:?}: not built in ({}) and fixtures/backends/{name}.toml has no command",
            backend::builtin_names().join(", ")
        )));
    }
    let timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.001));
    match backend::process::Process::from_file(name, &file)? {
        Some(p) => Ok(Box::new(p.with_timeout(timeout).in_dir(root))),
        None => unreachable!("the command is not empty"),
    }
}

fn cmd_run(
    root: &std::path::Path,
    args: RunArgs,
    externals: Vec<Box<dyn Backend>>,
) -> anyhow::Result<u8> {
    let fail_on = FailOn::parse(&args.fail_on).ok_or_else(|| {
        Error::Config(format!(
            "--fail-on takes never, broken, critical, high, medium, low or strict, not {:?}",
            args.fail_on
        ))
    })?;
    if !["text", "json", "junit", "sarif", "markdown"].contains(&args.format.as_str()) {
        bail!(Error::Config(format!(
            "--format takes text, json, junit, sarif or markdown, not {:?}",
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
    let builtin = || backend::builtin_names().into_iter().map(str::to_string);
    let mut names: Vec<String> = Vec::new();
    if args.backend.is_empty() && externals.is_empty() {
        names.extend(builtin());
    }
    for n in &args.backend {
        if n == "all" {
            // Every built-in backend and every external one declared in a backend file.
            names.extend(builtin());
            for p in backend::process::declared(root)? {
                names.push(p.info().name);
            }
        } else {
            names.push(n.clone());
        }
    }
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    for n in &names {
        backends.push(named_backend(root, n, &args)?);
    }
    backends.extend(externals);
    let mut seen = std::collections::BTreeSet::new();
    for b in &backends {
        let name = b.info().name;
        if !seen.insert(name.clone()) {
            bail!(Error::Config(format!(
                "two backends are named {name:?}: give one a --name"
            )));
        }
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
                .is_none_or(|g| jwt_harness::deviations::glob(g, &c.id))
    };
    let config = RunConfig {
        now: args.now,
        seed: args.seed,
    };
    let report = run::run(&catalog, &policies, &entries, &attackers, &config, &filter);
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&report::to_json(&report))? + "\n",
        "sarif" => serde_json::to_string_pretty(&report::to_sarif(&report))? + "\n",
        "junit" => report::to_junit(&report),
        "markdown" => report::to_markdown(&report),
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
