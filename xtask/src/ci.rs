//! `cargo xtask ci`: everything CI checks, in order of cost. It installs what the tests need
//! (Debian packages for the system-library backends and the adapters, cargo-fuzz) itself.

use crate::util::{cargo, cmd, run as run_cmd};
use anyhow::Result;

/// Debian packages the `--all` conformance run needs: OpenSSL headers for the system-library
/// backends; Go, golang-jwt, libjwt and jansson for the adapters (see adapters/setup.sh).
const PACKAGES: &[&str] = &["libssl-dev", "pkg-config"];

/// Installs the missing Debian packages (CI runs as root; elsewhere this needs sudo rights).
pub fn install_system_packages() -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !cmd("dpkg", &["-s", p])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run_cmd(cmd("apt-get", &["update", "-qq"]))?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    let mut c = cmd("apt-get", &args);
    c.env("DEBIAN_FRONTEND", "noninteractive");
    run_cmd(c)
}

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
    crate::conformance::run(&["--all".to_string()])?;
    crate::matrix::run(&["--check".to_string()])?;
    crate::fuzz::smoke()?;
    Ok(())
}
