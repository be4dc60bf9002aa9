//! `cargo xtask package`: packages the library as crates.io would get it, unpacks the `.crate`
//! under `target/package/`, and runs `cargo test` of `examples/custom-validator`, a crate outside
//! the workspace that depends on that unpacked copy only: the embedded catalog, policies and
//! test-only keys must work from the package, with no file of the checkout to lean on.

use crate::util::{cargo, cmd, root, run};
use anyhow::{Context, Result};

/// Runs the task.
pub fn run_task(_args: &[String]) -> Result<()> {
    cargo(&[
        "package",
        "-p",
        "jwt-harness",
        "--no-verify",
        "--allow-dirty",
        "-q",
    ])?;
    let version = env!("CARGO_PKG_VERSION");
    let out = root().join("target/package");
    let unpacked = out.join(format!("jwt-harness-{version}"));
    if unpacked.exists() {
        std::fs::remove_dir_all(&unpacked)
            .with_context(|| format!("cannot remove {}", unpacked.display()))?;
    }
    let crate_file = format!("target/package/jwt-harness-{version}.crate");
    run(cmd("tar", &["xzf", &crate_file, "-C", "target/package"]))?;
    // The example resolves to the workspace's versions (and so reuses its build artifacts).
    let example = root().join("examples/custom-validator");
    std::fs::copy(root().join("Cargo.lock"), example.join("Cargo.lock"))
        .context("cannot copy Cargo.lock to the example")?;
    let target = root().join("target");
    let mut test = cmd(
        &crate::util::cargo_bin(),
        &[
            "test",
            "--manifest-path",
            "examples/custom-validator/Cargo.toml",
        ],
    );
    test.env("CARGO_TARGET_DIR", &target);
    run(test)
}
