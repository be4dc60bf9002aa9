//! Running commands from the repository root.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

/// A command run from the root.
pub fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).current_dir(root());
    c
}

/// Runs a command and fails unless it exits 0.
pub fn run(mut c: Command) -> Result<()> {
    let shown = format!("{c:?}");
    eprintln!("$ {}", shown.replace('"', ""));
    let status = c
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{} failed with {status}", shown.replace('"', ""));
    }
    Ok(())
}

/// Runs cargo with arguments and fails unless it exits 0.
pub fn cargo(args: &[&str]) -> Result<()> {
    run(cmd(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        args,
    ))
}
