//! `cargo xtask fuzz [TARGET] [--seconds N]`: runs the cargo-fuzz targets of `fuzz/`, seeded from
//! `fuzz/seeds/TARGET/`. Crashes land in `fuzz/artifacts/TARGET/`: copy each into
//! `fixtures/regressions/` (named `TARGET-…`) so `tests/regressions.rs` replays it.

use crate::util::{cmd, root, run as run_cmd};
use anyhow::{bail, Result};

/// The targets, each a few lines in `fuzz/fuzz_targets/` calling `jwt_harness::fuzzing`.
pub const TARGETS: [&str; 4] = ["oracle_token", "base64url", "json_object", "case_file"];

fn ensure_cargo_fuzz() -> Result<()> {
    let have = cmd("cargo", &["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !have {
        run_cmd(cmd("cargo", &["install", "--locked", "cargo-fuzz"]))?;
    }
    Ok(())
}

fn fuzz_one(target: &str, seconds: u64) -> Result<()> {
    let corpus = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    let seeds = format!("seeds/{target}");
    let corpus_arg = format!("corpus/{target}");
    let time = format!("-max_total_time={seconds}");
    // `-s none` runs on the stable toolchain without a sanitizer: fast, and enough to find panics.
    let mut c = cmd(
        "cargo",
        &[
            "fuzz",
            "run",
            "-s",
            "none",
            target,
            &corpus_arg,
            &seeds,
            "--",
            &time,
            "-rss_limit_mb=2048",
        ],
    );
    c.current_dir(root().join("fuzz"));
    run_cmd(c)
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = 60;
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--seconds takes a number"))?
            }
            t if TARGETS.contains(&t) => targets.push(t.to_string()),
            other => bail!(
                "unknown fuzz target or flag {other:?}; targets: {}",
                TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|s| s.to_string()).collect();
    }
    ensure_cargo_fuzz()?;
    for t in &targets {
        fuzz_one(t, seconds)?;
    }
    Ok(())
}

/// A short run of every target, for CI.
pub fn smoke() -> Result<()> {
    ensure_cargo_fuzz()?;
    for t in TARGETS {
        fuzz_one(t, 15)?;
    }
    Ok(())
}
