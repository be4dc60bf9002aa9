//! `cargo xtask conformance [--all] [--update]`: the main job. Runs the backends over the default
//! policies, prints the matrix, and checks the verdict snapshots.
//!
//! Without `--all`: the pure-Rust built-in backends, no set-up needed. With `--all`: also the
//! backends that link system libraries (cargo feature `system-backends`) and the external
//! adapters of `adapters/`, which `adapters/setup.sh` installs under `target/adapters/` first,
//! and the real gateways of `gateways/` as HTTP targets (`cargo xtask gateways`: started on
//! 127.0.0.1, judged, compared with their baselines `tests/gateways/NAME.txt`, stopped).

use crate::util::{cargo_bin, cmd, install_system_packages, run as run_cmd};
use anyhow::{bail, Result};

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let update = args.iter().any(|a| a == "--update");
    let all = args.iter().any(|a| a == "--all");
    if let Some(bad) = args
        .iter()
        .find(|a| !["--update", "--all"].contains(&a.as_str()))
    {
        bail!("unknown argument {bad:?} (conformance takes --all and --update)");
    }
    conformance(all, update, all)
}

/// `conformance --all` as `cargo xtask ci` runs it: every backend's snapshots and the gateways,
/// but the printed matrix of the built-in backends only (the README's main job). The snapshot
/// test runs every backend over the catalog and fails on any unexplained finding, which is
/// what the matrix's exit code checks, so a matrix of every backend would run them all twice.
pub fn ci() -> Result<()> {
    conformance(true, false, false)
}

/// The main job: `all` adds the system-library backends, the adapters and the gateways;
/// `update` rewrites snapshots and baselines; `matrix_all` prints the matrix of every backend
/// rather than of the built-in ones.
fn conformance(all: bool, update: bool, matrix_all: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let mut last = std::time::Instant::now();
    // Each part's time, for CI's budget (`cargo xtask ci` prints the step's total).
    let mut lap = |what: &str| {
        eprintln!(
            "conformance: {what} took {:.0} s",
            last.elapsed().as_secs_f64()
        );
        last = std::time::Instant::now();
    };
    let features: &[&str] = if all {
        install_system_packages()?;
        run_cmd(cmd("bash", &["adapters/setup.sh"]))?;
        // The adapters' protocol hygiene (pipelining, garbage requests, exit on end of input),
        // beyond the verdicts the snapshots hold.
        run_cmd(cmd(
            "target/adapters/venv/bin/python",
            &["adapters/smoke_test.py"],
        ))?;
        lap("set-up (packages, adapters, protocol smoke test)");
        &["--features", "jwt-harness/system-backends"]
    } else {
        &[]
    };
    // The matrix, as a user sees it. Exit 1 here means an unexplained finding.
    let mut run_args = vec!["run", "-q", "-p", "jwt-harness"];
    run_args.extend(features);
    run_args.extend(["--", "run"]);
    if matrix_all {
        run_args.extend(["--backend", "all"]);
    }
    let matrix = run_cmd(cmd(&cargo_bin(), &run_args));
    lap("the matrix");
    // The snapshots: insta fails on any difference unless asked to rewrite.
    let mut test_args = vec!["test", "-q", "-p", "jwt-harness-tests"];
    test_args.extend(features);
    test_args.extend(["--test", "conformance"]);
    let mut test = cmd(&cargo_bin(), &test_args);
    test.env("INSTA_UPDATE", if update { "always" } else { "no" });
    if all {
        test.env("JWT_HARNESS_EXTERNAL", "1");
    }
    if update {
        test.env("INSTA_FORCE_PASS", "1");
    }
    let snapshots = run_cmd(test);
    lap("the snapshots");
    if update {
        eprintln!(
            "snapshots rewritten: review them with `git diff tests/snapshots` before committing"
        );
    }
    let gateways = if all {
        let a: Vec<String> = if update {
            vec!["--update".into()]
        } else {
            Vec::new()
        };
        let g = crate::gateways::run(&a);
        lap("the gateways");
        g
    } else {
        Ok(())
    };
    eprintln!(
        "conformance: {:.0} s in all",
        started.elapsed().as_secs_f64()
    );
    matrix?;
    snapshots?;
    gateways?;
    Ok(())
}
