//! The `jwt-harness` command line: flags are parsed here and handed to the library's one
//! pipeline ([`jwt_harness::Suite`]).

use anyhow::{bail, Context};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use jwt_harness::backend::{self, Backend};
use jwt_harness::cases::{Attacker, Severity};
use jwt_harness::judge::FailOn;
use jwt_harness::oracle::{self, Verdict};
use jwt_harness::policy::Policy;
use jwt_harness::run;
use jwt_harness::{report, Error, Fixtures, Suite};
use std::path::PathBuf;
use std::process::ExitCode;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The matrix and findings, for people.
    Text,
    /// Report schema of docs/DESIGN.md.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// Markdown, for pull-request comments.
    Markdown,
}

/// Listing formats of `cases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    /// One line per instance.
    Text,
    /// A JSON array.
    Json,
}

/// The clock of an `--exec` backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClockArg {
    /// It reads the system clock and ignores the request's `now`.
    System,
    /// It validates at the request's `now`.
    Request,
}

/// What fails a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOnArg {
    /// Nothing.
    Never,
    /// Broken results only.
    Broken,
    /// Broken, and unsafe and crash findings of critical severity.
    Critical,
    /// Broken, and unsafe and crash findings of high severity or more.
    High,
    /// Broken, and unsafe and crash findings of medium severity or more.
    Medium,
    /// Broken, and every unsafe and crash finding.
    Low,
    /// Broken, and unsafe and crash findings anyone can trigger (no key, no token).
    Anyone,
    /// Broken, and unsafe and crash findings anyone or a holder of one genuine token can trigger.
    Holder,
    /// Broken, and unsafe and crash findings of every attacker class.
    Issuer,
    /// Broken, unsafe and strict findings.
    Strict,
}

impl From<FailOnArg> for FailOn {
    fn from(a: FailOnArg) -> FailOn {
        match a {
            FailOnArg::Never => FailOn::Never,
            FailOnArg::Broken => FailOn::Broken,
            FailOnArg::Critical => FailOn::Unsafe(Severity::Critical),
            FailOnArg::High => FailOn::Unsafe(Severity::High),
            FailOnArg::Medium => FailOn::Unsafe(Severity::Medium),
            FailOnArg::Low => FailOn::Unsafe(Severity::Low),
            FailOnArg::Anyone => FailOn::Attacker(Attacker::Anyone),
            FailOnArg::Holder => FailOn::Attacker(Attacker::Holder),
            FailOnArg::Issuer => FailOn::Attacker(Attacker::Issuer),
            FailOnArg::Strict => FailOn::Strict,
        }
    }
}

const RUN_EXAMPLES: &str = "Examples:
  jwt-harness run                                   # built-in backends, default policies
  jwt-harness run --backend jsonwebtoken --family alg-confusion --format json --out report.json
  jwt-harness run --exec \"python3 my_adapter.py\" --name mine --clock request --policy auth.toml";

const CASES_EXAMPLES: &str = "Examples:
  jwt-harness cases                                 # every case under the default policies
  jwt-harness cases --policy auth.toml --format json
  jwt-harness cases --now 1764350000 --tokens       # the forged tokens themselves";

const VERIFY_EXAMPLES: &str = "Examples:
  jwt-harness verify --policy fixtures/policies/rs256.toml eyJhbGciOi...
  jwt-harness verify --policy auth.toml --now 1764350000 \"$TOKEN\"";

const VECTORS_EXAMPLES: &str = "Examples:
  jwt-harness vectors fixtures/vectors/json_web_signature_test.json
  jwt-harness vectors --backend josekit -v fixtures/vectors/json_web_signature_test.json";

const EXPLAIN_EXAMPLES: &str = "Examples:
  jwt-harness explain --policy auth.toml \"$TOKEN\"
  jwt-harness explain --policy auth.toml --authorization \"Bearer $TOKEN\"
  jwt-harness explain --policy fixtures/policies/rs256.toml --now 1764350000 eyJhbGciOi...";

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
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// List the catalog as expanded over the policies.
    #[command(after_help = CASES_EXAMPLES)]
    Cases {
        /// Policy files (default: fixtures/policies/*).
        #[arg(long)]
        policy: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
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
    #[command(after_help = VERIFY_EXAMPLES)]
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
    #[command(after_help = EXPLAIN_EXAMPLES)]
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
    /// Judge Wycheproof's JSON Web Signature vectors with the oracle and the built-in backends
    /// that verify a bare JWS (exit 1 on an unexplained disagreement).
    #[command(after_help = VECTORS_EXAMPLES)]
    Vectors {
        /// The vector file (Wycheproof's json_web_signature_test.json format).
        file: PathBuf,
        /// The explanation file (default: NAME.toml beside NAME.json).
        #[arg(long)]
        explain: Option<PathBuf>,
        /// Built-in backends to run besides the oracle (default: every one with a JWS mode).
        #[arg(long)]
        backend: Vec<String>,
        /// List every disagreement, explained ones included.
        #[arg(long, short)]
        verbose: bool,
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
    /// An external backend speaking docs/PROTOCOL.md: the command line, split like a shell would
    /// (repeatable).
    #[arg(long)]
    exec: Vec<String>,
    /// The name of the preceding --exec backend (default: from its command).
    #[arg(long)]
    name: Vec<String>,
    /// The clock of the preceding --exec backend: `system` (ignores `now`; the default) or
    /// `request` (honours it).
    #[arg(long, value_enum)]
    clock: Vec<ClockArg>,
    /// Seconds an external backend may take per case before the case is broken.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Families to run (repeatable; default: all).
    #[arg(long)]
    family: Vec<String>,
    /// Only cases whose id (family/name) matches this glob.
    #[arg(long)]
    case: Option<String>,
    /// The report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// What fails the run (exit 1): `low` is every unexplained unsafe, crash or broken result.
    #[arg(long, value_enum, default_value_t = FailOnArg::Low)]
    fail_on: FailOnArg,
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
    jwt_harness::isolate::install_panic_hook();
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

/// The policy files given, or `None` for the default policies of the fixtures.
fn dispatch(cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<u8> {
    let fixtures = match &cli.root {
        Some(root) => Fixtures::Dir(root.clone()),
        None => Fixtures::find(),
    };
    match cli.command {
        Command::Run(args) => {
            let externals = external_backends(&args, matches.subcommand_matches("run"))?;
            cmd_run(&fixtures, args, externals)
        }
        Command::Cases {
            policy,
            format,
            tokens,
            now,
            seed,
        } => cmd_cases(&fixtures, &policy, format, tokens, now, seed),
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
        Command::Vectors {
            file,
            explain,
            backend,
            verbose,
        } => cmd_vectors(&file, explain.as_deref(), &backend, verbose),
        Command::GenFixtures => {
            let Some(root) = fixtures.root() else {
                bail!(Error::Config(
                    "gen-fixtures writes into a checkout's fixtures/keys: run it there or give --root".into()
                ));
            };
            let written = jwt_harness::keygen::generate(&root.join("fixtures/keys"))?;
            println!("wrote {} test-only keys to fixtures/keys", written.len());
            Ok(0)
        }
    }
}

fn cmd_vectors(
    file: &std::path::Path,
    explain: Option<&std::path::Path>,
    names: &[String],
    verbose: bool,
) -> anyhow::Result<u8> {
    use jwt_harness::vectors;
    let set = vectors::VectorSet::load(file, explain)?;
    let backends = vectors::backends(names)?;
    let refs: Vec<&dyn Backend> = backends.iter().map(|b| b.as_ref()).collect();
    let results = vectors::run(&set, &refs);
    print!("{}", vectors::to_text(&set, &results, verbose));
    let clean = vectors::tally(&results).iter().all(|t| t.unexplained == 0);
    Ok(if clean { 0 } else { 1 })
}

fn cmd_cases(
    fixtures: &Fixtures,
    policy: &[PathBuf],
    format: ListFormat,
    tokens: bool,
    now: Option<u64>,
    seed: u64,
) -> anyhow::Result<u8> {
    let suite = Suite::from_policy_files(fixtures, policy)?.seed(seed);
    let catalog = suite.catalog()?;
    let policies = suite.policies()?;
    let forged = suite.forge_at(now.unwrap_or_else(run::system_now))?;
    match format {
        ListFormat::Json => {
            let items = report::instances_json(&forged, tokens);
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        ListFormat::Text => {
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
                "{} cases in the catalog, {} apply to these {} policies: {} tokens",
                catalog.cases.len(),
                forged.distinct_cases(),
                policies.len(),
                forged.instances.len()
            );
        }
    }
    for e in &forged.errors {
        eprintln!("forge error: {}: {}", e.id, e.message);
    }
    Ok(if forged.errors.is_empty() { 0 } else { 2 })
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
        let position = |list: &[usize]| list.iter().position(|&at| owner(at) == Some(i));
        let name = position(&names)
            .map(|k| args.name[k].clone())
            .unwrap_or_else(|| default_name(&command));
        let clock = match position(&clocks).map(|k| args.clock[k]) {
            Some(ClockArg::Request) => backend::Clock::Request,
            Some(ClockArg::System) | None => backend::Clock::System,
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

fn cmd_run(
    fixtures: &Fixtures,
    args: RunArgs,
    externals: Vec<Box<dyn Backend>>,
) -> anyhow::Result<u8> {
    let timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.001));
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    if args.backend.is_empty() && externals.is_empty() {
        backends.extend(
            backend::builtin_names()
                .into_iter()
                .filter_map(backend::builtin),
        );
    }
    for n in &args.backend {
        if n == "all" {
            backends.extend(backend::all(fixtures, timeout)?);
        } else {
            backends.push(backend::by_name(n, fixtures, timeout)?);
        }
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
    let families: Vec<&str> = args.family.iter().map(String::as_str).collect();
    let mut suite = Suite::from_policy_files(fixtures, &args.policy)?
        .seed(args.seed)
        .families(&families)
        .progress(true);
    if let Some(now) = args.now {
        suite = suite.now(now);
    }
    if let Some(glob) = &args.case {
        suite = suite.cases(glob);
    }
    let refs: Vec<&dyn Backend> = backends.iter().map(|b| b.as_ref()).collect();
    let report = suite.try_run(&refs)?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report::to_json(&report))? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&report::to_sarif(&report))? + "\n",
        Format::Junit => report::to_junit(&report),
        Format::Markdown => report::to_markdown(&report),
        Format::Text => match &args.out {
            Some(_) => report::to_text(&report, args.verbose),
            None => report::to_text_width(&report, args.verbose, report::terminal_width()),
        },
    };
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    if !report.forge_errors.is_empty() {
        return Ok(2);
    }
    Ok(report.exit_code(args.fail_on.into()) as u8)
}
