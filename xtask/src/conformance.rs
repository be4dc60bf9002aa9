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
    let features: &[&str] = if all {
        install_system_packages()?;
        run_cmd(cmd("bash", &["adapters/setup.sh"]))?;
        // The adapters' protocol hygiene (pipelining, garbage requests, exit on end of input),
        // beyond the verdicts the snapshots hold.
        run_cmd(cmd(
            "target/adapters/venv/bin/python",
            &["adapters/smoke_test.py"],
        ))?;
        &["--features", "jwt-harness/system-backends"]
    } else {
        &[]
    };
    // The matrix, as a user sees it. Exit 1 here means an unexplained finding.
    let mut run_args = vec!["run", "-q", "-p", "jwt-harness"];
    run_args.extend(features);
    run_args.extend(["--", "run"]);
    if all {
        run_args.extend(["--backend", "all"]);
    }
    let matrix = run_cmd(cmd(&cargo_bin(), &run_args));
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
        crate::gateways::run(&a)
    } else {
        Ok(())
    };
    matrix?;
    snapshots?;
    gateways?;
    Ok(())
}
