//! End-to-end tests of the `jwt-harness` binary: exit codes, formats, and one-line errors on bad
//! input.

mod common;
use common::{root, NOW};

use std::process::{Command, Output};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jwt-harness"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn reference_run_is_clean_and_reports_json() {
    let now = NOW.to_string();
    let out = harness(&[
        "run",
        "--backend",
        "reference",
        "--now",
        &now,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["report_version"], 2);
    let s = &report["summary"];
    for class in ["anyone", "holder", "issuer"] {
        assert_eq!(s["unsafe_by_attacker"][class], 0, "{s}");
    }
    assert!(s["cases"].as_u64().unwrap() >= 250, "{s}");
    assert_eq!(s["unsafe"], 0);
    assert_eq!(s["broken"], 0);
    let row = &report["results"][0];
    for field in [
        "backend", "policy", "case", "family", "expect", "outcome", "reason", "finding",
        "severity", "attacker",
    ] {
        assert!(row.get(field).is_some(), "result lacks {field}");
    }
}

#[test]
fn same_clock_and_seed_give_identical_reports() {
    // Every built-in backend of this build, the system-clock ones included: their tokens are
    // forged at the wall clock, which moves between the two runs (hence the pause), so their
    // messages must not quote it as such. The cache is off: both runs forge.
    let now = NOW.to_string();
    let args = ["run", "--now", &now, "--seed", "3", "--format", "json"];
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_jwt-harness"))
            .args(args)
            .current_dir(root())
            .env("JWT_HARNESS_CACHE", "off")
            .output()
            .expect("the binary runs");
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            text(&out.stderr)
        );
        out.stdout
    };
    let a = run();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = run();
    let report: serde_json::Value = serde_json::from_slice(&a).expect("JSON report");
    assert!(report["results"].as_array().unwrap().len() > 2000);
    if a != b {
        let (a, b) = (text(&a), text(&b));
        let first = a
            .lines()
            .zip(b.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("{x}\n{y}"));
        panic!("two runs differ: {first:?}");
    }
    let tokens = |seed: &str| harness(&["cases", "--tokens", "--now", &now, "--seed", seed]).stdout;
    assert_eq!(tokens("3"), tokens("3"));
    assert_ne!(tokens("3"), tokens("4"), "the seed changes PSS salts");
}

#[test]
fn verify_agrees_with_the_catalog_tokens() {
    let now = NOW.to_string();
    let out = harness(&[
        "cases",
        "--tokens",
        "--format",
        "json",
        "--now",
        &now,
        "--policy",
        "fixtures/policies/rs256.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut checked = 0;
    for item in items
        .iter()
        .filter(|i| i["family"] == "alg-none" || i["family"] == "valid")
        .take(25)
    {
        let token = item["token"].as_str().unwrap();
        let v = harness(&[
            "verify",
            "--policy",
            "fixtures/policies/rs256.toml",
            "--now",
            &now,
            token,
        ]);
        let verdict: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        match item["expect"].as_str().unwrap() {
            "accept" => assert_eq!(
                (v.status.code(), &verdict["verdict"]),
                (Some(0), &"accept".into()),
                "{}",
                item["id"]
            ),
            "reject" => assert_eq!(
                (v.status.code(), &verdict["verdict"]),
                (Some(1), &"reject".into()),
                "{}",
                item["id"]
            ),
            _ => {}
        }
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("jwt-harness-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_policy = dir.join("bad.toml");
    std::fs::write(&bad_policy, "algorithms = [\"none\"]\njwks = \"x.json\"\n").unwrap();
    let garbage_keys = dir.join("garbage.toml");
    std::fs::write(dir.join("garbage.json"), "{not json").unwrap();
    std::fs::write(
        &garbage_keys,
        "algorithms = [\"HS256\"]\njwks = \"garbage.json\"\n",
    )
    .unwrap();
    let unknown_field = dir.join("typo.toml");
    std::fs::write(&unknown_field, "algorithm = [\"HS256\"]\n").unwrap();
    for (args, needle) in [
        (
            vec!["run", "--policy", bad_policy.to_str().unwrap()],
            "none",
        ),
        (
            vec!["run", "--policy", garbage_keys.to_str().unwrap()],
            "not JSON",
        ),
        (
            vec!["run", "--policy", unknown_field.to_str().unwrap()],
            "algorithm",
        ),
        (vec!["run", "--policy", "/nonexistent.toml"], "cannot read"),
        (vec!["run", "--fail-on", "sometimes"], "--fail-on"),
        (vec!["run", "--backend", "nosuch"], "nosuch"),
        (vec!["run", "--family", "nosuch"], "nosuch"),
        (vec!["run", "--bogus-flag"], "bogus"),
    ] {
        let out = harness(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_rejects_garbage_without_panicking() {
    for token in [
        "",
        "abc",
        "....",
        "a.b.c",
        "\u{feff}x.y.z",
        &"A.".repeat(50_000),
    ] {
        let out = harness(&["verify", "--policy", "fixtures/policies/hs256.toml", token]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{token:?}: {}",
            text(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["verdict"], "reject");
        assert_eq!(v["reason"], "malformed");
    }
}

#[test]
fn fail_on_controls_the_exit_code() {
    // jsonwebtoken has known, explained deviations: they never fail a run.
    let out = harness(&[
        "run",
        "--backend",
        "jsonwebtoken",
        "--family",
        "time",
        "--fail-on",
        "low",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = harness(&[
        "run",
        "--backend",
        "reference",
        "--fail-on",
        "never",
        "--family",
        "signature",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn every_subcommand_help_ends_with_examples() {
    for sub in ["run", "cases", "verify", "explain", "serve-jwks"] {
        let out = harness(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        let examples = help
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("{sub} --help has no examples"));
        let n = examples
            .lines()
            .filter(|l| l.trim_start().starts_with("jwt-harness "))
            .count();
        assert!((2..=3).contains(&n), "{sub} --help shows {n} examples");
    }
    // Bad values are usage errors (exit 2) naming what is allowed.
    let out = harness(&["run", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("json"), "{}", text(&out.stderr));
}

#[test]
fn fuzzing_an_adapter_that_never_answers_is_a_configuration_error() {
    // `true` exits at once without a word: every verdict is broken, nothing is judged.
    let out_dir =
        std::env::temp_dir().join(format!("jwt-harness-fuzz-broken-{}", std::process::id()));
    let out = harness(&[
        "fuzz",
        "--exec",
        "true",
        "--policy",
        "hs256",
        "--time",
        "3",
        "--out",
        &out_dir.to_string_lossy(),
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing was judged"), "{err}");
    let _ = std::fs::remove_dir_all(&out_dir);
}
