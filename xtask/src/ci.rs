//! `cargo xtask ci`: everything CI checks, in order of cost. It installs what the tests need
//! (Debian packages for the system-library backends and the adapters, cargo-fuzz) itself, and
//! ends with the time each step took (CI's budget is about 30 minutes).

use crate::util::{cargo, install_system_packages};
use anyhow::Result;
use std::time::Instant;

/// Runs the task.
pub fn run(_args: &[String]) -> Result<()> {
    let mut times: Vec<(&str, f64)> = Vec::new();
    let result = steps(&mut times);
    eprintln!("cargo xtask ci: time per step");
    for (step, s) in &times {
        eprintln!("  {step:<34} {:>6.0} s", s);
    }
    eprintln!(
        "  {:<34} {:>6.0} s",
        "total",
        times.iter().map(|(_, s)| s).sum::<f64>()
    );
    result
}

/// Runs one step and records how long it took (also when it failed).
fn timed(
    times: &mut Vec<(&'static str, f64)>,
    step: &'static str,
    f: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let t = Instant::now();
    let r = f();
    times.push((step, t.elapsed().as_secs_f64()));
    r
}

fn steps(times: &mut Vec<(&'static str, f64)>) -> Result<()> {
    timed(times, "fmt", || cargo(&["fmt", "--all", "--check"]))?;
    timed(times, "system packages", install_system_packages)?;
    timed(times, "clippy", || {
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            "jwt-harness/system-backends",
            "--",
            "-D",
            "warnings",
        ])
    })?;
    timed(times, "tests", || {
        cargo(&[
            "test",
            "--workspace",
            "--features",
            "jwt-harness/system-backends",
        ])
    })?;
    timed(times, "package", || crate::package::run_task(&[]))?;
    // With --all, the adapters and the gateways too (cargo xtask gateways); the printed matrix
    // is the built-in backends' (every backend's verdicts are the snapshot test's).
    timed(times, "conformance --all", crate::conformance::ci)?;
    timed(times, "cve --quick", || {
        crate::cve::run(&["--quick".to_string()])
    })?;
    let check = ["--check".to_string()];
    timed(times, "generated docs", || {
        crate::matrix::run(&check)?;
        crate::catalog::run(&check)?;
        crate::findings::run(&check)
    })?;
    timed(times, "fuzz smoke", crate::fuzz::smoke)?;
    Ok(())
}
