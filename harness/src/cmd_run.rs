//! `jwt-harness run`: its flags, the backends they name (built-in, `--exec`, backend files,
//! HTTP targets with the in-process JWKS server), the run itself and its verdict baseline.

use anyhow::{bail, Context};
use clap::ValueEnum;
use jwt_harness::backend::{self, Backend};
use jwt_harness::cases::{Attacker, Severity};
use jwt_harness::judge::FailOn;
use jwt_harness::{report, Error, Fixtures, Suite};
use std::path::PathBuf;

#[path = "cmd_targets.rs"]
mod targets;
pub(crate) use targets::targets;

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

pub(crate) const RUN_EXAMPLES: &str = "Examples:
  jwt-harness run --backend jsonwebtoken --family alg-confusion --format json --out report.json
  jwt-harness run --exec \"python3 my_adapter.py\" --name mine --clock request --policy auth.toml
  jwt-harness run --target http://127.0.0.1:8080/api --policy auth.toml --baseline jwt-baseline.txt";

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// Policy files, or default policies by name (`rs256`) (repeatable; default: every default policy).
    #[arg(long)]
    policy: Vec<PathBuf>,
    /// Backends: built-in names, NAME for fixtures/backends/NAME.toml with a `command`, or `all`
    /// for every one of both (repeatable; default: all built-in when no --exec or --target is given).
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
    /// Seconds an external backend or target may take per case before the case is broken.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// An HTTP target: a service or gateway URL, one request per case (repeatable). Give the
    /// --policy its configuration enforces; its JWKS URL can be the harness's own (--jwks-port).
    #[arg(long)]
    target: Vec<String>,
    /// The name of the preceding --target in reports (default: target, target-2, ...).
    #[arg(long)]
    target_name: Vec<String>,
    /// The HTTP method of --target requests.
    #[arg(long, default_value = "GET")]
    method: String,
    /// An extra header for --target requests, `Name: value` (repeatable).
    #[arg(long)]
    header: Vec<String>,
    /// The statuses that mean a --target accepted the token.
    #[arg(long, default_value = "200-299")]
    accept_status: String,
    /// The statuses that mean a --target rejected it (any other status is broken).
    #[arg(long, default_value = "401,403")]
    reject_status: String,
    /// Where a --target's upstream receives the caller's identity, checked on every accept:
    /// `sub:HEADER` (the sub claim) or `payload:HEADER` (the payload, base64url); the upstream
    /// must answer with the JSON of gateways/echo.py.
    #[arg(long)]
    identity: Option<String>,
    /// Requests in flight at once, per target.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The port of the harness's JWKS server, started for runs with a target: the policy's keys
    /// at /.well-known/jwks.json, attacker keys under /attacker/ (127.0.0.1 only).
    #[arg(long, default_value_t = jwt_harness::jwks::DEFAULT_PORT)]
    jwks_port: u16,
    /// A verdict baseline kept in your repository: the run fails (exit 1) on any change.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write the run's verdicts to --baseline instead of comparing.
    #[arg(long, requires = "baseline")]
    update_baseline: bool,
    /// Known deviations of the run's targets, in the backend-file format, kept outside the
    /// harness's tree (repeatable).
    #[arg(long)]
    known: Vec<PathBuf>,
    /// Also play the key-rotation scenarios against each target (the policy's
    /// `max_key_refresh_s` is the bound; exit 1 when a target misses it).
    #[arg(long)]
    rotation: bool,
    /// With --rotation: also targets whose key cache lives over a minute (their backend file's
    /// `key_refresh_s`, e.g. mod_auth_openidc's 300 s): about six times that long.
    #[arg(long, requires = "rotation")]
    slow_rotation: bool,
    /// Families to run (repeatable; default: all).
    #[arg(long)]
    family: Vec<String>,
    /// Only cases whose id (family/name) matches this glob.
    #[arg(long)]
    case: Option<String>,
    /// Run the case files of DIR (catalog format, as `fuzz` writes) instead of the catalog.
    #[arg(long)]
    cases: Option<PathBuf>,
    /// The report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write a SARIF report here (for code scanning), whatever --format says.
    #[arg(long)]
    sarif: Option<PathBuf>,
    /// Also write a JUnit XML report here (for a CI's test tab), whatever --format says.
    #[arg(long)]
    junit: Option<PathBuf>,
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

/// The `--exec` backends, each with the `--name` and `--clock` that follow it.
pub(crate) fn external_backends(
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

pub(crate) fn cmd_run(
    fixtures: &Fixtures,
    args: RunArgs,
    externals: Vec<Box<dyn Backend>>,
) -> anyhow::Result<u8> {
    let timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.001));
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    if args.backend.is_empty() && externals.is_empty() && args.target.is_empty() {
        backends.extend(
            backend::builtin_names()
                .into_iter()
                .filter_map(backend::builtin),
        );
    }
    let targets = crate::cmd_run::targets(fixtures, &args, timeout)?;
    for n in &args.backend {
        if n == "all" {
            backends.extend(backend::all(fixtures, timeout)?);
        } else if !targets.names.contains(n) {
            backends.push(backend::by_name(n, fixtures, timeout)?);
        }
    }
    backends.extend(externals);
    let target_names = targets.names.clone();
    backends.extend(
        targets
            .backends
            .into_iter()
            .map(|t| Box::new(t) as Box<dyn Backend>),
    );
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
    if let Some(dir) = &args.cases {
        suite = suite.with_catalog(dir);
    }
    for path in &args.known {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = jwt_harness::deviations::BackendFile::parse(&path.display().to_string(), &text)?;
        for name in &target_names {
            suite = suite.known(name, file.clone());
        }
    }
    let refs: Vec<&dyn Backend> = backends.iter().map(|b| b.as_ref()).collect();
    let report = suite.try_run(&refs)?;
    drop(targets.server);
    let rotation_failed = targets.rotation_failed;
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
    if let Some(path) = &args.sarif {
        let sarif = serde_json::to_string_pretty(&report::to_sarif(&report))? + "\n";
        std::fs::write(path, sarif).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report::to_junit(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !report.forge_errors.is_empty() {
        return Ok(2);
    }
    let mut code = report.exit_code(args.fail_on.into()) as u8;
    if rotation_failed {
        code = code.max(1);
    }
    match (&args.baseline, args.update_baseline) {
        (Some(path), true) => {
            std::fs::write(path, jwt_harness::target::baseline_text(&report))
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("jwt-harness: wrote the verdict baseline {}", path.display());
            Ok(code)
        }
        (Some(path), false) => {
            let old = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "cannot read the baseline {} (write it with --update-baseline)",
                    path.display()
                )
            })?;
            let diff = jwt_harness::target::baseline_diff(
                &old,
                &jwt_harness::target::baseline_text(&report),
            );
            if diff.is_empty() {
                eprintln!(
                    "jwt-harness: verdicts match the baseline {}",
                    path.display()
                );
                return Ok(code);
            }
            eprintln!(
                "jwt-harness: {} verdict lines differ from the baseline {} (- baseline, + this run):",
                diff.len(),
                path.display()
            );
            for l in &diff {
                eprintln!("  {l}");
            }
            Ok(code.max(1))
        }
        (None, _) => Ok(code),
    }
}
