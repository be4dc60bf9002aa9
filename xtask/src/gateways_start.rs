//! `cargo xtask gateways start [NAME…]` and `cargo xtask gateways stop`: the real gateways of
//! `gateways/` (every backend file with a `target`), started on fixed 127.0.0.1 ports for runs by
//! hand, with the `jwt-harness run --target` line for each printed on standard output.
//!
//! Gateway NAME gets port `18080 + i` (i: its place in the sorted list of declared targets) and
//! its upstream echo `18180 + i`; every gateway fetches its keys from the harness's JWKS server
//! at 127.0.0.1:8089 (`jwks_port`), which `jwt-harness run --target` starts for the run. HAProxy
//! derives its PEM keys from that server when it starts, so `start` serves the policy's keys
//! there meanwhile (`jwt-harness serve-jwks --policy rs256`, stopped when the gateways are up;
//! nothing is started when something already answers on the port). What was started is listed
//! in `target/gateways/started.txt`, which `stop` reads.

use crate::util::{cargo_bin, cmd, root, run as run_cmd};
use anyhow::{bail, Context, Result};
use jwt_harness::deviations::BackendFile;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The JWKS port the started gateways fetch from: the harness's default.
const JWKS_PORT: u16 = 8089;

fn started_list() -> std::path::PathBuf {
    root().join("target/gateways/started.txt")
}

fn fill(words: &[String], port: u16, upstream: u16) -> Vec<String> {
    words
        .iter()
        .map(|w| {
            w.replace("{port}", &port.to_string())
                .replace("{jwks_port}", &JWKS_PORT.to_string())
                .replace("{upstream_port}", &upstream.to_string())
        })
        .collect()
}

fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

fn run_words(words: &[String]) -> Result<()> {
    let Some((program, args)) = words.split_first() else {
        return Ok(());
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut c = cmd(program, &args);
    c.current_dir(root());
    run_cmd(c)
}

/// A JWKS server for the gateways' start (HAProxy reads the key set then), unless one answers.
struct TemporaryJwks(Option<std::process::Child>);

impl TemporaryJwks {
    fn start() -> Result<TemporaryJwks> {
        if answers(JWKS_PORT) {
            return Ok(TemporaryJwks(None));
        }
        // The binary itself, not `cargo run`: killing cargo would leave its child serving.
        run_cmd(cmd(&cargo_bin(), &["build", "-q", "-p", "jwt-harness"]))?;
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| root().join("target"));
        let port = JWKS_PORT.to_string();
        let program = dir.join("debug/jwt-harness");
        let child = std::process::Command::new(&program)
            .args(["serve-jwks", "--policy", "rs256", "--port", &port])
            .current_dir(root())
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("starting jwt-harness serve-jwks")?;
        let deadline = Instant::now() + Duration::from_secs(300);
        while !answers(JWKS_PORT) {
            if Instant::now() > deadline {
                bail!("jwt-harness serve-jwks does not answer on 127.0.0.1:{JWKS_PORT}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(TemporaryJwks(Some(child)))
    }
}

impl Drop for TemporaryJwks {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The `jwt-harness run --target` line that judges a started gateway like `--backend NAME`
/// does: its statuses, its identity header, its backend file's explanations as `--known`.
pub fn run_line(name: &str, file: &BackendFile, port: u16) -> String {
    let mut line = format!(
        "jwt-harness run --target http://127.0.0.1:{port}/ --target-name {name} --policy {}",
        file.policies.first().map_or("rs256", String::as_str)
    );
    if let Some(r) = &file.reject_status {
        line.push_str(&format!(" --reject-status {r}"));
    }
    if let Some(a) = &file.accept_status {
        line.push_str(&format!(" --accept-status {a}"));
    }
    if let Some(i) = &file.identity {
        line.push_str(&format!(" --identity {i}"));
    }
    line.push_str(&format!(" --known fixtures/backends/{name}.toml"));
    line
}

/// The port `start` gives gateway `name`.
pub fn port_of(name: &str) -> Result<u16> {
    let declared = super::gateways::declared()?;
    let i = declared
        .iter()
        .position(|d| d == name)
        .with_context(|| format!("{name}: no backend file with a target"))?;
    Ok(18080 + i as u16)
}

/// Starts `names` and prints how to run each.
pub fn start(names: &[String]) -> Result<()> {
    let declared = super::gateways::declared()?;
    let names: Vec<String> = if names.is_empty() {
        declared.clone()
    } else {
        names.to_vec()
    };
    let mut setup = vec!["gateways/setup.sh"];
    setup.extend(names.iter().map(String::as_str));
    run_cmd(cmd("bash", &setup))?;
    std::fs::create_dir_all(root().join("target/gateways"))?;
    let jwks = TemporaryJwks::start()?;
    let mut list = String::new();
    let mut lines = Vec::new();
    for name in &names {
        if !declared.contains(name) {
            bail!(
                "{name}: no backend file with a target (declared: {})",
                declared.join(", ")
            );
        }
        let file = BackendFile::load(&root(), name)?;
        let port = port_of(name)?;
        let upstream = port + 100;
        run_words(&fill(&file.start, port, upstream))
            .with_context(|| format!("starting {name}"))?;
        list.push_str(&format!("{name} {port} {upstream}\n"));
        std::fs::write(started_list(), &list)?;
        lines.push(run_line(name, &file, port));
    }
    drop(jwks);
    println!("started (stop with: cargo xtask gateways stop); judge each with:");
    for l in lines {
        println!("  {l}");
    }
    Ok(())
}

/// Stops what `start` started.
pub fn stop() -> Result<()> {
    let text = std::fs::read_to_string(started_list()).unwrap_or_default();
    let mut failed = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [name, port, upstream] = f[..] else {
            continue;
        };
        let (Ok(port), Ok(upstream)) = (port.parse(), upstream.parse()) else {
            continue;
        };
        let file = BackendFile::load(&root(), name)?;
        if let Err(e) = run_words(&fill(&file.stop, port, upstream)) {
            eprintln!("{name}: {e:#}");
            failed.push(name.to_string());
        }
    }
    let _ = std::fs::remove_file(started_list());
    if !failed.is_empty() {
        bail!("could not stop: {}", failed.join(", "));
    }
    Ok(())
}
