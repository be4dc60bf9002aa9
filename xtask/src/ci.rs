//! `cargo xtask ci`: everything CI checks, in order of cost.

use crate::util::cargo;
use anyhow::Result;

/// Runs the task.
pub fn run(_args: &[String]) -> Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&["test", "--workspace"])?;
    crate::conformance::run(&[])?;
    crate::fuzz::smoke()?;
    Ok(())
}
