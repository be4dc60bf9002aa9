//! `cargo xtask conformance [--update]`: the main job. Runs the built-in backends over the
//! default policies, prints the matrix, and checks the verdict snapshots.

use crate::util::{cargo, cmd, run as run_cmd};
use anyhow::{bail, Result};

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let update = args.iter().any(|a| a == "--update");
    if let Some(bad) = args.iter().find(|a| *a != "--update") {
        bail!("unknown argument {bad:?} (conformance takes --update)");
    }
    // The matrix, as a user sees it. Exit 1 here means an unexplained finding.
    let matrix = run_cmd(cmd(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        &["run", "-q", "-p", "jwt-harness", "--", "run"],
    ));
    // The snapshots: insta fails on any difference unless asked to rewrite.
    let mut test = cmd(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        &[
            "test",
            "-q",
            "-p",
            "jwt-harness-tests",
            "--test",
            "conformance",
        ],
    );
    test.env("INSTA_UPDATE", if update { "always" } else { "no" });
    if update {
        test.env("INSTA_FORCE_PASS", "1");
    }
    let snapshots = run_cmd(test);
    if update {
        cargo(&[
            "test",
            "-q",
            "-p",
            "jwt-harness-tests",
            "--test",
            "conformance",
        ])?;
        eprintln!(
            "snapshots rewritten: review them with `git diff tests/snapshots` before committing"
        );
    }
    matrix?;
    snapshots?;
    Ok(())
}
