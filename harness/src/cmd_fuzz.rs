//! `jwt-harness fuzz`: the harness's own mutation fuzzer ([`jwt_harness::mutate`]) against one
//! backend (built-in, `--exec` or `--target`), with a progress line, the findings written as
//! case files under `--out`, and exit 1 on an unexplained unsafe or crash finding.

use anyhow::{bail, Context};
use clap::ValueEnum;
use jwt_harness::backend::{self, Backend};
use jwt_harness::deviations::BackendFile;
use jwt_harness::mutate::{self, FuzzConfig, FuzzSetup};
use jwt_harness::{Error, Fixtures, Suite};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) const FUZZ_EXAMPLES: &str = "Examples:
  jwt-harness fuzz --backend jsonwebtoken --policy fixtures/policies/hs256.toml --time 60
  jwt-harness fuzz --exec \"python3 my_adapter.py\" --clock request --out fuzz-findings/
  jwt-harness fuzz --target http://127.0.0.1:8080/api --policy auth.toml --time 600 --seed 7

Replay what it wrote: `jwt-harness run --cases fuzz-findings/ --backend NAME`.";

/// The clock of an `--exec` backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FuzzClock {
    /// It reads the system clock and ignores the request's `now`.
    System,
    /// It validates at the request's `now`.
    Request,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("under_test").required(true).args(["backend", "exec", "target"])))]
pub(crate) struct FuzzArgs {
    /// Policy files (repeatable; default: fixtures/policies/*).
    #[arg(long)]
    policy: Vec<PathBuf>,
    /// The backend: a built-in name, or NAME for fixtures/backends/NAME.toml with a `command` or
    /// a `target` (a gateway it starts).
    #[arg(long)]
    backend: Option<String>,
    /// An external backend speaking docs/PROTOCOL.md: its command line, split like a shell would.
    #[arg(long)]
    exec: Option<String>,
    /// The name of the --exec backend (default: from its command).
    #[arg(long, requires = "exec")]
    name: Option<String>,
    /// The clock of the --exec backend.
    #[arg(long, value_enum, requires = "exec", default_value_t = FuzzClock::System)]
    clock: FuzzClock,
    /// An HTTP target (a service or gateway) enforcing the one --policy given.
    #[arg(long)]
    target: Option<String>,
    /// The statuses that mean the --target accepted the token.
    #[arg(long, default_value = "200-299")]
    accept_status: String,
    /// The statuses that mean it rejected it (any other status is broken).
    #[arg(long, default_value = "401,403")]
    reject_status: String,
    /// The port of the JWKS server started for a --target (127.0.0.1 only).
    #[arg(long, default_value_t = jwt_harness::jwks::DEFAULT_PORT)]
    jwks_port: u16,
    /// How long to fuzz, in seconds.
    #[arg(long, default_value_t = 60.0)]
    time: f64,
    /// Stop after this many executions.
    #[arg(long)]
    execs: Option<u64>,
    /// The generator's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where findings are written, as case files in the catalog's format.
    #[arg(long, default_value = "fuzz-findings")]
    out: PathBuf,
    /// Seed from the case files of this directory instead of the built-in catalog.
    #[arg(long)]
    cases: Option<PathBuf>,
    /// Known deviations of the backend, in the backend-file format (repeatable).
    #[arg(long)]
    known: Vec<PathBuf>,
    /// Also record rejects of tokens the oracle accepts (strict findings).
    #[arg(long)]
    strict: bool,
    /// Stop at the first unexplained unsafe or crash finding.
    #[arg(long)]
    stop_on_finding: bool,
    /// The clock for a request-clock backend (Unix seconds; default: now).
    #[arg(long)]
    now: Option<u64>,
    /// Seconds an external backend or target may take per token.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
}

/// The backend under test, its backend file, and the JWKS server a target needs.
type UnderTest = (
    Box<dyn Backend>,
    BackendFile,
    Option<Arc<jwt_harness::jwks::JwksServer>>,
);

fn under_test(fixtures: &Fixtures, args: &FuzzArgs, suite: &Suite) -> anyhow::Result<UnderTest> {
    let timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.001));
    if let Some(name) = &args.backend {
        let file = fixtures.backend_file(name)?;
        if backend::builtin(name).is_none() && file.target.is_some() {
            // A gateway its backend file starts: the JWKS server serves its first policy.
            let policies = suite.policies()?;
            let policy = policies
                .iter()
                .find(|p| file.policies.first() == Some(&p.name))
                .or(policies.first())
                .ok_or_else(|| Error::Config("no policy".into()))?;
            let server = jwks_server(fixtures, policy, args.jwks_port)?;
            let root = fixtures.root().ok_or_else(|| {
                Error::Config("a backend-file target starts from a checkout: give --root".into())
            })?;
            let target = jwt_harness::target::from_file(name, &file, root, &server, timeout)?;
            preflight(fixtures, policy, &target)?;
            return Ok((Box::new(target), file, Some(server)));
        }
        let b = backend::by_name(name, fixtures, timeout)?;
        return Ok((b, file, None));
    }
    if let Some(line) = &args.exec {
        let command = backend::process::split_command(line)
            .map_err(|e| Error::Config(format!("--exec {line:?}: {e}")))?;
        let name = args.name.clone().unwrap_or_else(|| {
            let word = command.iter().rev().find(|w| !w.starts_with('-'));
            word.and_then(|w| std::path::Path::new(w).file_stem())
                .and_then(|s| s.to_str())
                .unwrap_or("external")
                .to_string()
        });
        let clock = match args.clock {
            FuzzClock::Request => backend::Clock::Request,
            FuzzClock::System => backend::Clock::System,
        };
        let p = backend::process::Process::new(&name, command, clock).with_timeout(timeout);
        let file = fixtures.backend_file(&name)?;
        return Ok((Box::new(p), file, None));
    }
    let Some(url) = &args.target else {
        bail!(Error::Config("give --backend, --exec or --target".into()));
    };
    use backend::http::{HttpTarget, StatusSet, TargetConfig};
    let policies = suite.policies()?;
    let [policy] = policies.as_slice() else {
        bail!(Error::Config(
            "--target needs the one --policy its configuration enforces".into()
        ));
    };
    let server = jwks_server(fixtures, policy, args.jwks_port)?;
    let mut config = TargetConfig::new(url);
    config.timeout = timeout;
    config.accept = StatusSet::parse(&args.accept_status)
        .map_err(|e| Error::Config(format!("--accept-status: {e}")))?;
    config.reject = StatusSet::parse(&args.reject_status)
        .map_err(|e| Error::Config(format!("--reject-status: {e}")))?;
    let target = HttpTarget::new("target", config)
        .map_err(|e| Error::Config(format!("--target {url}: {e}")))?
        .with_policies(vec![policy.name.clone()])
        .with_jwks_server(server.clone());
    preflight(fixtures, policy, &target)?;
    Ok((Box::new(target), BackendFile::default(), Some(server)))
}

/// The JWKS server a target fetches the policy's keys from (attacker keys under /attacker/).
fn jwks_server(
    fixtures: &Fixtures,
    policy: &jwt_harness::Policy,
    port: u16,
) -> anyhow::Result<Arc<jwt_harness::jwks::JwksServer>> {
    let server = jwt_harness::jwks::JwksServer::start(policy, &fixtures.attackers()?, port)
        .map_err(Error::Config)?;
    Ok(Arc::new(server))
}

/// The target must accept the policy's valid token and refuse a request without one (exit 2).
fn preflight(
    fixtures: &Fixtures,
    policy: &jwt_harness::Policy,
    target: &backend::http::HttpTarget,
) -> anyhow::Result<()> {
    let forged = Suite::with_policies(vec![policy.clone()])
        .fixtures(fixtures.clone())
        .cases("valid/baseline")
        .forge_at(jwt_harness::run::system_now())?;
    let valid = forged.instances.first().ok_or_else(|| {
        Error::Config("the policy has no valid token to check the target with".into())
    })?;
    target
        .preflight(&valid.token)
        .map_err(|e| Error::Config(format!("the target is misconfigured: {e}")))?;
    Ok(())
}

pub(crate) fn cmd_fuzz(fixtures: &Fixtures, args: FuzzArgs) -> anyhow::Result<u8> {
    let suite = Suite::from_policy_files(fixtures, &args.policy)?;
    let catalog = match &args.cases {
        Some(dir) => jwt_harness::cases::load_dir(dir)?,
        None => suite.catalog()?,
    };
    let (backend, mut file, server) = under_test(fixtures, &args, &suite)?;
    for path in &args.known {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let extra = BackendFile::parse(&path.display().to_string(), &text)?;
        file.deviations.extend(extra.deviations);
        file.unchecked.extend(extra.unchecked);
    }
    let wanted = backend.policies();
    let policies: Vec<Arc<jwt_harness::Policy>> = suite
        .policies()?
        .into_iter()
        .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(&p.name)))
        .map(Arc::new)
        .collect();
    let attackers = fixtures.attackers()?;
    let setup = FuzzSetup {
        backend: backend.as_ref(),
        file,
        catalog: &catalog,
        policies,
        attackers: &attackers,
    };
    let config = FuzzConfig {
        seconds: args.time,
        max_execs: args.execs,
        seed: args.seed,
        now: args.now,
        out: Some(args.out.clone()),
        strict: args.strict,
        batch: if backend.pipelined() { 512 } else { 256 },
        stop_on_finding: args.stop_on_finding,
    };
    let name = backend.info().name;
    let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let mut last_line = std::time::Instant::now();
    let mut progress = |s: &mutate::Stats| {
        let line = mutate::progress_line(&name, s);
        if terminal {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        } else if last_line.elapsed().as_secs() >= 10 {
            last_line = std::time::Instant::now();
            eprintln!("{line}");
        }
    };
    let report = mutate::fuzz(&setup, &config, &mut progress);
    if terminal {
        eprintln!();
    }
    // Fetches after the last batch's poll: made late, by an input no longer known.
    let late = backend.take_fetches();
    drop(server);
    print!("{}", report.to_text());
    for f in &late {
        println!(
            "UNSAFE: the target fetched the attacker URL {} after its token was judged (not attributed to an input)",
            f.path
        );
    }
    if report.found.iter().any(|f| f.written.is_some()) {
        println!(
            "replay: jwt-harness run --cases {} --backend {name}",
            args.out.display()
        );
    }
    if let Some(why) = report.nothing_judged() {
        eprintln!("jwt-harness fuzz: nothing was judged against {name}: {why}");
    }
    Ok(report.exit_code().max(u8::from(!late.is_empty())))
}
