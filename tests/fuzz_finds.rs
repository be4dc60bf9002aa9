//! The fuzzer finds what the catalog would, without the catalog: each deliberately broken
//! validator of `flawed.rs` tested here is fuzzed with every family that catches it removed from
//! the seeds, must be found within 60 s, and the case file the fuzzer writes must reproduce the
//! finding through the path `jwt-harness run --cases DIR` takes (`Suite::with_catalog`). The
//! unmodified oracle, fuzzed for 20 s under every default policy, must give no finding at all.

#[allow(dead_code)]
mod flawed;

use flawed::{Flaw, Flawed};
use jwt_harness::backend::reference::Reference;
use jwt_harness::cases::Attacker;
use jwt_harness::judge::Finding;
use jwt_harness::mutate::FuzzConfig;
use jwt_harness::{Policy, Suite};
use jwt_harness_tests::{catalog, catching_families, default_policies, run_fuzz, NOW};
use std::path::PathBuf;

/// A fresh output directory for one test.
fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jwt-harness-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn policy(name: &str) -> Policy {
    default_policies()
        .into_iter()
        .find(|p| p.name == name)
        .expect("a default policy")
}

/// Fuzzes a flaw with every family that catches it removed, and replays what was written.
fn finds(flaw: Flaw, policy_name: &str, class: Attacker) {
    let policy = policy(policy_name);
    let removed = catching_families(&Flawed(flaw), &policy);
    assert!(!removed.is_empty(), "the catalog does not catch {flaw:?}");
    let mut seeds = catalog();
    seeds.cases.retain(|c| !removed.contains(&c.family));
    let out = out_dir(&format!("{flaw:?}").to_lowercase());
    let config = FuzzConfig {
        seconds: 60.0,
        now: Some(NOW),
        seed: 1,
        out: Some(out.clone()),
        stop_on_finding: true,
        ..FuzzConfig::default()
    };
    let started = std::time::Instant::now();
    let report = run_fuzz(&Flawed(flaw), &seeds, vec![policy.clone()], &config);
    let found: Vec<_> = report.found.iter().filter(|f| f.fails()).collect();
    assert!(
        !found.is_empty(),
        "{flaw:?} not found in {:.0} s ({} execs) without {removed:?}",
        started.elapsed().as_secs_f64(),
        report.stats.execs
    );
    eprintln!(
        "{flaw:?}: found in {:.1} s, {} execs, without {removed:?}:\n{}",
        started.elapsed().as_secs_f64(),
        report.stats.execs,
        report.to_text()
    );
    assert!(
        found.iter().any(|f| f.attacker <= class),
        "{flaw:?}: found only by a weaker attacker class than {class:?}"
    );
    assert!(
        found.iter().all(|f| f.written.is_some()),
        "{}",
        report.to_text()
    );
    // Replayed as `run --cases DIR` does: the written cases load, the flawed validator is unsafe
    // on them, and the oracle itself passes every one (its expectation is the oracle's).
    let replay = Suite::new(policy.clone())
        .with_catalog(&out)
        .now(NOW)
        .without_deviations();
    let flawed = replay.run(&Flawed(flaw));
    let unsafe_ids: Vec<String> = flawed
        .results
        .iter()
        .filter(|r| r.finding == Finding::Unsafe)
        .map(|r| r.instance_id())
        .collect();
    assert!(
        !unsafe_ids.is_empty(),
        "the written cases do not reproduce {flaw:?}:\n{}",
        std::fs::read_dir(&out)
            .map(|d| d
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .collect::<Vec<_>>()
                .join("\n"))
            .unwrap_or_default()
    );
    let oracle = replay.run(&Reference);
    assert!(oracle.results.iter().all(|r| r.finding.is_pass()));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn finds_crit_ignored_without_header_injection() {
    finds(Flaw::CritIgnored, "hs256", Attacker::Issuer);
}

#[test]
fn finds_a_non_numeric_exp_skipped_without_the_time_family() {
    finds(Flaw::ExpSkippedWhenNotNumber, "hs256", Attacker::Issuer);
}

#[test]
fn finds_alg_none_accepted_without_the_alg_none_family() {
    finds(Flaw::AlgNoneAccepted, "hs256", Attacker::Anyone);
}

#[test]
fn finds_psychic_ecdsa_without_the_signature_families() {
    finds(Flaw::PsychicEcdsa, "es256", Attacker::Anyone);
}

#[test]
fn finds_a_kid_read_as_a_file_path_without_key_selection() {
    finds(Flaw::KidAsFilePath, "hs256", Attacker::Anyone);
}

#[test]
fn the_oracle_itself_gives_no_finding() {
    let out = out_dir("reference");
    let config = FuzzConfig {
        seconds: 20.0,
        now: Some(NOW),
        out: Some(out.clone()),
        strict: true,
        ..FuzzConfig::default()
    };
    let report = run_fuzz(&Reference, &catalog(), default_policies(), &config);
    assert!(report.found.is_empty(), "{}", report.to_text());
    assert_eq!(report.stats.broken, 0);
    assert_eq!(report.exit_code(), 0);
    assert!(report.stats.execs > 1000, "{}", report.to_text());
    assert_eq!(report.policies.len(), 9, "{}", report.to_text());
    assert!(
        report.policies.iter().all(|p| p.execs > 0),
        "{}",
        report.to_text()
    );
    assert!(!out.exists(), "a case file was written for the oracle");
}
