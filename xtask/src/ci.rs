//! `cargo xtask ci`: everything CI checks, in order of cost. It installs what the tests need
//! (Debian packages for the system-library backends and the adapters, cargo-fuzz) itself.

use crate::util::{cargo, install_system_packages};
use anyhow::Result;

/// Runs the task.
pub fn run(_args: &[String]) -> Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    install_system_packages()?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--features",
        "jwt-harness/system-backends",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&[
        "test",
        "--workspace",
        "--features",
        "jwt-harness/system-backends",
    ])?;
    crate::package::run_task(&[])?;
    // With --all, the gateways too (cargo xtask gateways).
    crate::conformance::run(&["--all".to_string()])?;
    crate::cve::run(&[])?;
    let check = ["--check".to_string()];
    crate::matrix::run(&check)?;
    crate::catalog::run(&check)?;
    crate::findings::run(&check)?;
    crate::fuzz::smoke()?;
    Ok(())
}
