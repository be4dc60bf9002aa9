//! The `jwt-harness` command line: flags are parsed here and handed to the library's one
//! pipeline ([`jwt_harness::Suite`]).

use anyhow::bail;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use jwt_harness::backend::Backend;
use jwt_harness::oracle::{self, Verdict};
use jwt_harness::policy::Policy;
use jwt_harness::run;
use jwt_harness::{report, Error, Fixtures, Suite};
use std::path::PathBuf;
use std::process::ExitCode;

mod cmd_fuzz;
mod cmd_run;

/// Listing formats of `cases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    /// One line per instance.
    Text,
    /// A JSON array.
    Json,
}

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

const SERVE_EXAMPLES: &str = "Examples:
  jwt-harness serve-jwks --policy fixtures/policies/rs256.toml        # http://127.0.0.1:8089/.well-known/jwks.json
  jwt-harness serve-jwks --policy auth.toml --port 9000";

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
    #[command(after_help = cmd_run::RUN_EXAMPLES)]
    Run(Box<cmd_run::RunArgs>),
    /// Fuzz one backend with tokens mutated from the catalog, judged by the oracle; findings are
    /// minimized and written as case files (exit 1 on an unexplained unsafe or crash finding).
    #[command(after_help = cmd_fuzz::FUZZ_EXAMPLES)]
    Fuzz(Box<cmd_fuzz::FuzzArgs>),
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
    /// Serve a policy's public keys (and an OpenID discovery document) on 127.0.0.1, for a
    /// gateway under test to fetch; attacker key sets under /attacker/. Runs until interrupted.
    #[command(after_help = SERVE_EXAMPLES)]
    ServeJwks {
        /// The policy file whose public keys to serve (or a default policy's name: rs256).
        #[arg(long)]
        policy: PathBuf,
        /// The port (127.0.0.1 only).
        #[arg(long, default_value_t = jwt_harness::jwks::DEFAULT_PORT)]
        port: u16,
    },
    /// Write new test-only fixture keys to fixtures/keys (used by `cargo xtask gen-fixtures`).
    #[command(hide = true)]
    GenFixtures,
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
            let externals = cmd_run::external_backends(&args, matches.subcommand_matches("run"))?;
            cmd_run::cmd_run(&fixtures, *args, externals)
        }
        Command::Fuzz(args) => cmd_fuzz::cmd_fuzz(&fixtures, *args),
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
        Command::ServeJwks { policy, port } => {
            let policy = fixtures.load_policy(&policy)?;
            let server =
                jwt_harness::jwks::JwksServer::start(&policy, &fixtures.attackers()?, port)
                    .map_err(Error::Config)?;
            println!("serving {} ({} keys; discovery at http://127.0.0.1:{}/.well-known/openid-configuration); Ctrl-C stops",
                server.jwks_url(), policy.keys.len(), server.port());
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
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
