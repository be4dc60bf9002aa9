//! `cargo xtask`: the project's tasks. This file only dispatches; one module per task.

mod bench;
mod catalog;
mod ci;
mod conformance;
mod cve;
mod findings;
mod fuzz;
mod gateways;
mod gateways_start;
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
                           the system-library backends, the adapters/ in other languages and
                           the real gateways of gateways/)
  matrix [--check]         write docs/MATRIX.md and docs/matrix.html from the snapshots
  catalog [--check]        write docs/CATALOG.md from fixtures/cases
  findings [--check]       write docs/FINDINGS.md, the findings register, from fixtures/backends
  cve [--quick]            every fixtures/cve entry: vulnerable release flagged, fixed one clean
                           (--quick: over the entries' families only)
  ci                       everything CI checks: fmt, clippy, tests, package, conformance, cve,
                           the generated docs (matrix, catalog, findings), fuzz smoke
  bench [http|fuzz [SECTION]] throughput figures (release build); http: requests/s against the local
                           strict HAProxy at concurrency 1 and 16, the catalog's wall time, and
                           jwt_tool's rate against it; fuzz: time to find each broken validator,
                           jwt-harness fuzz rates, the differential target's rate
  package                  cargo package the library and test examples/custom-validator against it
  fuzz [TARGET…] [--time S] [--seed-corpus]
                           run the cargo-fuzz targets (all by default; ASan on nightly); crashes
                           are minimized into fixtures/regressions/TARGET/
  gen-fixtures             regenerate the test-only keys in fixtures/keys
  gateways [--update] [NAME…]  real gateways (gateways/) as HTTP targets against tests/gateways/ baselines
  gateways start [NAME…] | gateways stop
                           start the gateways on fixed 127.0.0.1 ports for runs by hand (prints
                           the jwt-harness run --target line for each), or stop them";

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
