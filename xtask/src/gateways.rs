//! `cargo xtask gateways [--update] [NAME…]`: the real gateways of `gateways/` as HTTP targets.
//! It installs them (`gateways/setup.sh`, cached under `target/gateways/`), then runs each
//! backend file that declares a `target` (all of them by default) with `jwt-harness run
//! --backend NAME`: the harness starts the gateway and its JWKS server, checks the baseline
//! (valid token accepted, no token rejected), sends every case of the gateway's policy plus the
//! `transport` family, plays the key-rotation scenarios (`--rotation`: the rs256 policy's 10 s
//! refresh bound), and stops it. The run fails on an unexplained unsafe, crash or broken result,
//! a missed rotation bound the backend file does not explain, and on any verdict that differs
//! from the committed baseline `tests/gateways/NAME.txt`; `--update` rewrites the baselines
//! instead (review the diff).
//!
//! When both `haproxy` and `haproxy-naive` are run, a last step replays the strict config's
//! baseline (`tests/gateways/haproxy.txt`) against the naive config (the loosened one): the run
//! must exit 1 and list at least one changed verdict line that is a new accept (`+ ID reject
//! accept ...`). Baseline comparison skips the `#` lines (the `## NAME @ POLICY` header names the
//! backend); the case lines do not name it.

use crate::util::{cargo_bin, cmd, root, run as run_cmd};
use anyhow::{bail, Result};

/// The backend files of `fixtures/backends/` that declare an HTTP target.
pub fn declared() -> Result<Vec<String>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join("fixtures/backends"))? {
        let path = e?.path();
        if path.extension().and_then(|x| x.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        if text.lines().any(|l| l.trim_start().starts_with("target =")) {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                out.push(stem.to_string());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("start") => return super::gateways_start::start(&args[1..]),
        Some("stop") => return super::gateways_start::stop(),
        _ => {}
    }
    let update = args.iter().any(|a| a == "--update");
    let mut names: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    if let Some(bad) = args
        .iter()
        .find(|a| a.starts_with("--") && *a != "--update")
    {
        bail!("unknown option {bad:?} (gateways takes --update and names)");
    }
    if names.is_empty() {
        names = declared()?;
    }
    if names.is_empty() {
        eprintln!("no backend file declares a target");
        return Ok(());
    }
    let mut setup = vec!["gateways/setup.sh"];
    setup.extend(names.iter().map(String::as_str));
    run_cmd(cmd("bash", &setup))?;
    std::fs::create_dir_all(root().join("tests/gateways"))?;
    std::fs::create_dir_all(root().join("target/gateways"))?;
    let mut failed = Vec::new();
    for name in &names {
        let baseline = format!("tests/gateways/{name}.txt");
        let report = format!("target/gateways/{name}.report.txt");
        let mut a = vec![
            "run",
            "-q",
            "-p",
            "jwt-harness",
            "--",
            "run",
            "--backend",
            name,
            "--baseline",
            &baseline,
            "--out",
            &report,
            "--fail-on",
            "low",
            "--rotation",
        ];
        if update {
            a.push("--update-baseline");
        }
        if let Err(e) = run_cmd(cmd(&cargo_bin(), &a)) {
            eprintln!("{name}: {e:#} (report: {report})");
            failed.push(name.clone());
        }
    }
    if !update && names.iter().any(|n| n == "haproxy") && names.iter().any(|n| n == "haproxy-naive")
    {
        if let Err(e) = loosened_replay() {
            eprintln!("loosened-baseline replay: {e:#}");
            failed.push("haproxy-naive against tests/gateways/haproxy.txt".into());
        }
    }
    if !update && names.iter().any(|n| n == "haproxy-naive") {
        if let Err(e) = by_hand_replay("haproxy-naive") {
            eprintln!("by-hand path (gateways start, run --target): {e:#}");
            failed.push("haproxy-naive started by `cargo xtask gateways start`".into());
        }
    }
    if !failed.is_empty() {
        bail!("gateways failed: {}", failed.join(", "));
    }
    Ok(())
}

/// The path a user takes by hand: `cargo xtask gateways start NAME`, then the printed
/// `jwt-harness run --target …` line with the committed baseline: it must give the same
/// verdicts as `--backend NAME` (exit 0), and the gateway is stopped either way.
fn by_hand_replay(name: &str) -> Result<()> {
    super::gateways_start::start(&[name.to_string()])?;
    let result = (|| -> Result<()> {
        let file = jwt_harness::deviations::BackendFile::load(&root(), name)?;
        let line =
            super::gateways_start::run_line(name, &file, super::gateways_start::port_of(name)?);
        let baseline = format!("tests/gateways/{name}.txt");
        let mut a = vec!["run", "-q", "-p", "jwt-harness", "--"];
        a.extend(line.split_whitespace().skip(1));
        a.extend(["--baseline", &baseline]);
        run_cmd(cmd(&cargo_bin(), &a))
    })();
    let stopped = super::gateways_start::stop();
    result?;
    stopped
}

/// A baseline written by one run, replayed against a gateway whose config was loosened, fails
/// with the changed verdicts listed: the strict HAProxy baseline against the naive config.
fn loosened_replay() -> Result<()> {
    let a = [
        "run",
        "-q",
        "-p",
        "jwt-harness",
        "--",
        "run",
        "--backend",
        "haproxy-naive",
        "--baseline",
        "tests/gateways/haproxy.txt",
        "--out",
        "target/gateways/haproxy-naive.loosened.txt",
    ];
    let c = cmd(&cargo_bin(), &a);
    eprintln!("$ {}", format!("{c:?}").replace('"', ""));
    let out = {
        let mut c = c;
        c.output()?
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    if out.status.code() != Some(1) {
        bail!(
            "expected exit 1 (verdicts differ from the baseline), got {}",
            out.status
        );
    }
    let added = new_accepts(&stderr);
    if added.is_empty() {
        bail!("no changed line of the form `+ ID reject accept ...` in its standard error");
    }
    let alg = added
        .iter()
        .filter(|l| l.contains("alg-confusion/"))
        .count();
    eprintln!(
        "loosened-baseline replay: exit 1, {} new accept(s), {alg} in alg-confusion/",
        added.len()
    );
    // The loosened rule is the alg: HS256 keyed with the key file's path must now pass.
    if alg == 0 {
        bail!("no alg-confusion/ case is a new accept: the loosened alg rule went unnoticed");
    }
    Ok(())
}

/// The `+` lines of a baseline diff (`  + ID EXPECTED OUTCOME FINDING`) whose case was expected
/// rejected and is now accepted.
fn new_accepts(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("+ "))
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 3 && f[1] == "reject" && f[2] == "accept"
        })
        .map(str::to_string)
        .collect()
}
