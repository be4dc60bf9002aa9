//! `cargo xtask`: the project's tasks. This file only dispatches; one module per task.

mod bench;
mod catalog;
mod ci;
mod conformance;
mod cve;
mod findings;
mod fuzz;
mod gateways;
mod matrix;
mod package;
mod snapshots;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  conformance [--all] [--update]
                           run the backends over the default policies, print the matrix, compare
                           the verdicts with tests/snapshots (--update rewrites them; --all adds
                           the system-library backends and the adapters/ in other languages)
  matrix [--check]         write docs/MATRIX.md and docs/matrix.html from the snapshots
  catalog [--check]        write docs/CATALOG.md from fixtures/cases
  findings [--check]       write docs/FINDINGS.md, the findings register, from fixtures/backends
  cve                      every fixtures/cve entry: vulnerable release flagged, fixed one clean
  ci                       everything CI checks: fmt, clippy, tests, package, conformance, cve,
                           the generated docs (matrix, catalog, findings), fuzz smoke
  bench                    throughput figures (release build)
  package                  cargo package the library and test examples/custom-validator against it
  fuzz [TARGET] [--seconds N]  run the cargo-fuzz targets (all by default)
  gen-fixtures             regenerate the test-only keys in fixtures/keys
  gateways [--update] [NAME…]  real gateways (gateways/) as HTTP targets against tests/gateways/ baselines";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match args.first().map(String::as_str) {
        Some("conformance") => conformance::run(rest),
        Some("ci") => ci::run(rest),
        Some("bench") => bench::run(rest),
        Some("fuzz") => fuzz::run(rest),
        Some("matrix") => matrix::run(rest),
        Some("catalog") => catalog::run(rest),
        Some("findings") => findings::run(rest),
        Some("cve") => cve::run(rest),
        Some("gateways") => gateways::run(rest),
        Some("package") => package::run_task(rest),
        Some("gen-fixtures") => {
            util::cargo(&["run", "-q", "-p", "jwt-harness", "--", "gen-fixtures"])
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
