//! The README's "Five steps against the example service", run as written: the test reads the one
//! ```sh block under that heading from README.md, checks it is five commands numbered `# 1.` to
//! `# 5.`, and runs it with `bash -e` in the repository root, so the build, the start, the
//! baseline run, its replay and the stop must each exit 0.
//!
//! Three things are rewritten before it runs, so that it can share the machine with other runs
//! and never touches a user's files: the service port `8080` and the JWKS port `8089` become two
//! free ports (whole numbers only: `18080` would stay), and the baseline file
//! `target/example-service-baseline.txt` becomes `target/readme-service-PID.baseline.txt`. The
//! baseline must then hold at least 100 case lines. `CARGO_TARGET_DIR` is removed from the
//! block's environment: the block names `target/debug/` as a fresh clone has it.
//!
//! First the same block runs once with the service's JWKS port pointing where nothing listens:
//! the service then accepts nothing, the harness's preflight exits 2, and so must the block:
//! the test would see a broken service. Whatever happens, the service is stopped at the end.
//! Not ignored: with the workspace built, both runs take about half a minute (step 1 has
//! nothing to do; a cold build of the binaries adds its own time).

use jwt_harness_tests::root;
use std::process::{Command, Output};
use std::time::Instant;

const HEADING: &str = "#### Five steps against the example service";
const BASELINE: &str = "target/example-service-baseline.txt";

/// The ```sh block under the heading.
fn block(readme: &str) -> String {
    let section = readme
        .split_once(HEADING)
        .unwrap_or_else(|| panic!("README.md has no heading {HEADING:?}"))
        .1;
    let start = section
        .find("```sh\n")
        .expect("a ```sh block under the heading")
        + 6;
    let len = section[start..]
        .find("\n```")
        .expect("the ```sh block is closed");
    section[start..start + len + 1].to_string()
}

/// The block's commands: lines that are not comments, with `\` continuations joined.
fn commands(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut continued = false;
    for line in block.lines() {
        let t = line.trim();
        if t.is_empty() || (t.starts_with('#') && !continued) {
            continue;
        }
        if continued {
            out.last_mut().unwrap().push_str(t);
        } else {
            out.push(t.to_string());
        }
        continued = t.ends_with('\\');
    }
    out
}

/// `text` with every whole decimal number equal to `from` replaced by `to`.
fn replace_number(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        out.push_str(if digits == from { to } else { &digits });
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the service on `port` when dropped (a failed step leaves it running otherwise).
struct Stop(u16);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .args(["examples/service/run.sh", "stop", &self.0.to_string()])
            .current_dir(root())
            .output();
    }
}

fn run_block(script: &str) -> Output {
    Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(root())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("bash runs")
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[test]
fn the_five_steps_against_the_example_service_work_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = block(&readme);
    let numbered: Vec<&str> = block
        .lines()
        .filter(|l| l.trim_start().starts_with("# "))
        .collect();
    assert_eq!(numbered.len(), 5, "five numbered comments:\n{block}");
    for (i, l) in numbered.iter().enumerate() {
        assert!(
            l.trim_start().starts_with(&format!("# {}.", i + 1)),
            "comment {} is {l:?}",
            i + 1
        );
    }
    assert_eq!(commands(&block).len(), 5, "five commands:\n{block}");
    for needed in ["8080", "8089", BASELINE, "run.sh start"] {
        assert!(block.contains(needed), "the block names {needed}:\n{block}");
    }

    let (service, jwks) = (free_port(), free_port());
    assert_ne!(service, jwks);
    let (service, jwks) = (service.to_string(), jwks.to_string());
    let baseline = format!("target/readme-service-{}.baseline.txt", std::process::id());
    let path = root().join(&baseline);
    let script = replace_number(&replace_number(&block, "8080", &service), "8089", &jwks)
        .replace(BASELINE, &baseline);
    let _stop = Stop(service.parse().unwrap());

    // The service fetching its keys where nothing listens accepts nothing: preflight, exit 2.
    let dead = free_port().to_string();
    let broken: String = script
        .lines()
        .map(|l| {
            if l.contains("run.sh start") {
                replace_number(l, &jwks, &dead)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let _ = std::fs::remove_file(&path);
    let started = Instant::now();
    let out = run_block(&broken);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a service without keys must fail the preflight (exit 2)\n--- stderr\n{}",
        tail(&out.stderr)
    );
    assert!(
        !path.exists(),
        "no baseline is written after a failed preflight"
    );
    eprintln!(
        "readme_service: broken service exited 2 after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let out = run_block(&script);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "the five steps exited {:?}\n--- script\n{script}\n--- stdout (tail)\n{}\n--- stderr (tail)\n{}",
        out.status.code(),
        tail(&out.stdout),
        tail(&out.stderr)
    );
    let cases = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert!(
        cases >= 100,
        "the baseline holds {cases} case lines:\n{text}"
    );
    eprintln!(
        "readme_service: five steps in {:.1} s, {cases} case lines",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn numbers_are_replaced_whole_and_commands_joined() {
    assert_eq!(
        replace_number("a 8080 18080 8080/ :8080", "8080", "1"),
        "a 1 18080 1/ :1"
    );
    assert_eq!(
        commands("# 1. x\nfoo \\\n  --bar\n# 2. y\nbaz\n"),
        ["foo \\--bar", "baz"]
    );
}
