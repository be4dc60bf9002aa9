//! Helpers the tasks share: the repository root, running commands from it, the cargo binary, and
//! installing the Debian packages the system-library backends need.

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
    run(cmd(&cargo_bin(), args))
}

/// The cargo that runs this task (`$CARGO`), else `cargo` from the PATH.
pub fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Debian packages the system-library backends need (OpenSSL headers, pkg-config). The adapters
/// in other languages install their own under `target/adapters/` (see adapters/setup.sh).
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
    run(cmd("apt-get", &["update", "-qq"]))?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    let mut c = cmd("apt-get", &args);
    c.env("DEBIAN_FRONTEND", "noninteractive");
    run(c)
}

/// Writes generated files, or with `check` fails when one differs from what is on disk (CI's
/// staleness check). `task` names the xtask that regenerates them.
pub fn write_or_check(targets: &[(PathBuf, String)], check: bool, task: &str) -> Result<()> {
    for (path, want) in targets {
        if check {
            let have = std::fs::read_to_string(path).unwrap_or_default();
            if &have != want {
                bail!(
                    "{} is stale: run `cargo xtask {task}` and commit it",
                    path.display()
                );
            }
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, want)?;
            eprintln!("wrote {}", path.display());
        }
    }
    if check {
        let names: Vec<String> = targets
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        eprintln!("up to date: {}", names.join(", "));
    }
    Ok(())
}
