//! `cargo xtask bench`: builds in release mode and prints the throughput figures.
//!
//! `cargo xtask bench fuzz` prints the fuzzing figures instead (`tests/bench_fuzz.rs`: the time
//! to rediscover each deliberately broken validator, `jwt-harness fuzz` rates, the `differential`
//! target's rate).
//!
//! `cargo xtask bench http [ARGS…]` measures an HTTP target instead
//! (`harness/examples/bench_http.rs`): it installs HAProxy when missing (`bash gateways/setup.sh
//! haproxy`), sets up jwt_tool for the baseline under `target/bench-http/` (a venv with its
//! requirements from PyPI; its script from `$JWT_TOOL`, an earlier copy, or a clone, and without
//! one the example measures a stand-in and says so), builds the example and the `jwt-harness`
//! binary in release mode and runs the example with ARGS.

use crate::util::{cargo, cmd, root, run as run_cmd};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// jwt_tool's repository, cloned when no copy is given.
const JWT_TOOL_REPO: &str = "https://github.com/ticarpi/jwt_tool";

/// What jwt_tool 2.2.7 imports (its requirements.txt also lists `cprint`, which it does not
/// import), pinned.
const JWT_TOOL_REQUIREMENTS: &[&str] = &[
    "termcolor==3.3.0",
    "pycryptodomex==3.24.2",
    "requests==2.34.2",
];

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("http") {
        return http(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("fuzz") {
        return fuzz(&args[1..]);
    }
    build_trivial_adapter()?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_release_example("jwt-harness", "bench", &args)
}

/// `cargo run -q --release -p PACKAGE --example EXAMPLE -- ARGS…`.
fn run_release_example(package: &str, example: &str, args: &[&str]) -> Result<()> {
    let mut a = vec![
        "run",
        "-q",
        "--release",
        "-p",
        package,
        "--example",
        example,
        "--",
    ];
    a.extend(args);
    cargo(&a)
}

/// The trivial protocol adapter both benches measure the protocol with (release build).
fn build_trivial_adapter() -> Result<()> {
    cargo(&[
        "build",
        "-q",
        "--release",
        "-p",
        "jwt-harness",
        "--example",
        "trivial_adapter",
    ])
}

/// `bench fuzz [SECTION…]`: the trivial adapter and `tests/bench_fuzz.rs`, release builds side
/// by side; sections (`rediscover`, `rates`, `differential`) narrow the run.
fn fuzz(sections: &[String]) -> Result<()> {
    build_trivial_adapter()?;
    let sections: Vec<&str> = sections.iter().map(String::as_str).collect();
    run_release_example("jwt-harness-tests", "bench_fuzz", &sections)
}

/// `bench http`: HAProxy, jwt_tool, the release builds, then the example.
fn http(args: &[String]) -> Result<()> {
    run_cmd(cmd("bash", &["gateways/setup.sh", "haproxy"]))?;
    let work = root().join("target/bench-http");
    std::fs::create_dir_all(&work)?;
    let python = python_env(&work)?;
    let tool = jwt_tool(&work);
    cargo(&[
        "build",
        "-q",
        "--release",
        "-p",
        "jwt-harness",
        "--bin",
        "jwt-harness",
        "--example",
        "bench_http",
    ])?;
    let python = python.display().to_string();
    let tool = tool.map_or("none".into(), |p| p.display().to_string());
    let mut a = vec!["--python", python.as_str(), "--jwt-tool", tool.as_str()];
    a.extend(args.iter().map(String::as_str));
    run_release_example("jwt-harness", "bench_http", &a)
}

/// A venv under `work` with jwt_tool's requirements (which include `requests`, the stand-in's);
/// its Python.
fn python_env(work: &Path) -> Result<PathBuf> {
    let venv = work.join("venv");
    let python = venv.join("bin/python");
    let stamp = venv.join(".requirements");
    let wanted = JWT_TOOL_REQUIREMENTS.join("\n");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return Ok(python);
    }
    let venv_arg = venv.display().to_string();
    run_cmd(cmd("python3", &["-m", "venv", &venv_arg]))?;
    let mut pip = vec!["-m", "pip", "install", "-q"];
    pip.extend(JWT_TOOL_REQUIREMENTS);
    run_cmd(cmd(&python.display().to_string(), &pip))?;
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// jwt_tool.py: `$JWT_TOOL` (the script or its directory), else `target/bench-http/jwt_tool/`,
/// else a shallow clone there; `None` (with a note) when there is none.
fn jwt_tool(work: &Path) -> Option<PathBuf> {
    if let Some(given) = std::env::var_os("JWT_TOOL") {
        let p = PathBuf::from(given);
        let script = if p.is_dir() { p.join("jwt_tool.py") } else { p };
        if script.is_file() {
            return Some(script);
        }
        eprintln!(
            "bench http: JWT_TOOL={} is not jwt_tool.py",
            script.display()
        );
        return None;
    }
    let dir = work.join("jwt_tool");
    let script = dir.join("jwt_tool.py");
    if script.is_file() {
        return Some(script);
    }
    let dir_arg = dir.display().to_string();
    let mut clone = cmd(
        "git",
        &["clone", "-q", "--depth", "1", JWT_TOOL_REPO, &dir_arg],
    );
    clone.env("GIT_TERMINAL_PROMPT", "0");
    match run_cmd(clone).and_then(|()| {
        if script.is_file() {
            Ok(())
        } else {
            bail!("no jwt_tool.py in the clone")
        }
    }) {
        Ok(()) => Some(script),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!(
                "bench http: jwt_tool unavailable ({e:#}); set JWT_TOOL to a copy of {JWT_TOOL_REPO} to measure it"
            );
            None
        }
    }
}
