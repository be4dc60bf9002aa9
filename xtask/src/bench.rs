//! `cargo xtask bench`: builds in release mode and prints the throughput figures.

use crate::util::cargo;
use anyhow::Result;

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    // The trivial protocol adapter the bench measures the protocol with.
    cargo(&[
        "build",
        "-q",
        "--release",
        "-p",
        "jwt-harness",
        "--example",
        "trivial_adapter",
    ])?;
    let mut a = vec![
        "run",
        "-q",
        "--release",
        "-p",
        "jwt-harness",
        "--example",
        "bench",
        "--",
    ];
    a.extend(args.iter().map(String::as_str));
    cargo(&a)
}
