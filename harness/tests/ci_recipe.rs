//! The README's CI recipe, `examples/ci/jwt-ci.sh`, run as a user's CI would run it: against a
//! clean backend it exits 0 and leaves the text, SARIF and JUnit reports; against a validator that
//! accepts everything it exits 1 with the findings in the SARIF report; misused, it exits 2.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn recipe(out: &Path, env: &[(&str, &str)]) -> i32 {
    let mut c = Command::new("bash");
    c.arg(root().join("examples/ci/jwt-ci.sh"))
        .current_dir(root())
        .env("JWT_HARNESS", env!("CARGO_BIN_EXE_jwt-harness"))
        .env("JWT_OUT", out)
        .env_remove("JWT_TARGET")
        .env_remove("JWT_EXEC")
        .env_remove("JWT_BACKEND");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("bash runs");
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    o.status.code().unwrap_or(-1)
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jwt-harness-ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sarif_results(out: &Path) -> usize {
    let text = std::fs::read_to_string(out.join("jwt.sarif")).expect("SARIF written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    v["runs"][0]["results"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_clean_backend_passes_with_all_three_reports() {
    let dir = scratch("clean");
    let code = recipe(
        &dir,
        &[
            ("JWT_BACKEND", "reference"),
            ("JWT_POLICY", "hs256"),
            ("JWT_FUZZ_SECONDS", "2"),
        ],
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    assert!(text.contains("0 unsafe"), "{text}");
    assert_eq!(sarif_results(&dir), 0);
    let junit = std::fs::read_to_string(dir.join("jwt.junit.xml")).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
}

#[test]
fn a_validator_that_accepts_everything_fails_with_findings_in_sarif() {
    let dir = scratch("accept-all");
    let adapter = dir.join("accept_all.py");
    std::fs::write(
        &adapter,
        "import json, sys\nfor line in sys.stdin:\n    \
         print(json.dumps({'id': json.loads(line).get('id'), 'verdict': 'accept'}), flush=True)\n",
    )
    .unwrap();
    let exec = format!("python3 {}", adapter.display());
    let code = recipe(
        &dir,
        &[
            ("JWT_EXEC", exec.as_str()),
            ("JWT_POLICY", "hs256"),
            ("JWT_FUZZ_SECONDS", "0"),
        ],
    );
    assert_eq!(code, 1);
    assert!(sarif_results(&dir) > 10);
}

#[test]
fn a_misused_recipe_is_a_configuration_error() {
    let dir = scratch("misused");
    assert_eq!(recipe(&dir, &[]), 2);
    assert_eq!(
        recipe(&dir, &[("JWT_TARGET", "http://127.0.0.1:9/")]),
        2,
        "a target without a policy"
    );
}
