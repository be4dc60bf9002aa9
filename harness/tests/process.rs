//! The external protocol's failure modes: an adapter that crashes, hangs, prints garbage, answers
//! with a wrong id, prints a 10 MB line or exits early makes exactly that case `broken`, is
//! restarted, and the run goes on with every other case answered.

mod common;
use common::{root, NOW};

use jwt_harness::backend::process::Process;
use jwt_harness::backend::Clock;
use jwt_harness::judge::Finding;
use jwt_harness::{Policy, Report, Suite};
use std::time::Duration;

const TARGET: &str = "alg-none/none-uppercase@hs256";

/// The hs256 policy.
fn hs256() -> Policy {
    Policy::load(root().join("fixtures/policies/hs256.toml")).unwrap()
}

/// `misbehave.py MODE TARGET` as a backend.
fn misbehave(mode: &str, target: &str) -> Process {
    let script = root().join("tests/adapters/misbehave.py");
    Process::new(
        "misbehave",
        vec![
            "python3".into(),
            script.display().to_string(),
            mode.into(),
            target.into(),
        ],
        Clock::Request,
    )
}

fn run(mode: &str) -> Report {
    let backend = misbehave(mode, TARGET).with_timeout(Duration::from_millis(1500));
    Suite::new(hs256())
        .now(NOW)
        .families(&["alg-none"])
        .without_deviations()
        .run(&backend)
}

/// Asserts that only the target case is broken, with a detail containing `needle`.
fn only_target_broken(mode: &str, needle: &str) {
    let report = run(mode);
    assert!(
        report.results.len() > 20,
        "{mode}: only {} results",
        report.results.len()
    );
    let broken: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.finding == Finding::Broken)
        .collect();
    assert_eq!(
        broken.len(),
        1,
        "{mode}: broken {:?}",
        broken
            .iter()
            .map(|r| (r.instance_id(), r.detail()))
            .collect::<Vec<_>>()
    );
    assert_eq!(broken[0].instance_id(), TARGET);
    assert!(
        broken[0].detail().contains(needle),
        "{mode}: {}",
        broken[0].detail()
    );
    // Every other case was answered by the (restarted) adapter.
    assert!(report
        .results
        .iter()
        .filter(|r| r.instance_id() != TARGET)
        .all(|r| r.detail() == "misbehave rejects everything"));
    assert_eq!(report.exit_code(jwt_harness::judge::FailOn::Broken), 1);
}

#[test]
fn a_well_behaved_adapter_answers_everything() {
    let report = run("ok");
    assert!(report.results.iter().all(|r| r.finding != Finding::Broken));
}

#[test]
fn crash() {
    only_target_broken("crash", "deliberate crash");
}

#[test]
fn hang() {
    only_target_broken("hang", "no answer within 1.5 s");
}

#[test]
fn garbage() {
    only_target_broken("garbage", "not JSON");
}

#[test]
fn wrong_id() {
    only_target_broken("wrong-id", "expected \"alg-none/none-uppercase@hs256\"");
}

#[test]
fn huge_line() {
    only_target_broken("huge", "over the 1048576-byte limit");
}

#[test]
fn early_exit() {
    only_target_broken("exit", "exited (exit status: 0) before answering");
}

#[test]
fn a_missing_program_is_broken_not_a_crash() {
    let policy = hs256();
    let backend = Process::new(
        "nothing",
        vec!["/nonexistent/adapter".into()],
        Clock::Request,
    );
    let report = Suite::new(policy)
        .now(NOW)
        .families(&["alg-none"])
        .without_deviations()
        .run(&backend);
    assert!(report.results.iter().all(|r| r.finding == Finding::Broken));
    assert!(report.results[0].detail().contains("cannot start"));
}

/// The resource cases of the hs256 policy, run against `misbehave.py MODE`.
fn resource_run(mode: &str, time_bound: Duration) -> Report {
    let backend = misbehave(mode, "-").with_resource_time_bound(time_bound);
    Suite::new(hs256())
        .now(NOW)
        .cases("encoding/*")
        .without_deviations()
        .run(&backend)
}

fn outcome_of<'r>(report: &'r Report, id: &str) -> &'r jwt_harness::report::ResultRow {
    report
        .results
        .iter()
        .find(|r| r.instance_id() == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

#[cfg(target_os = "linux")]
#[test]
fn the_memory_bound_catches_an_adapter_that_allocates_far_beyond_the_token() {
    let report = resource_run("hog", Duration::from_secs(20));
    // 16 MiB of dots: 480 MiB allocated, none for the control (16 MiB of `a`): over the bound
    // of 128 MiB beyond the control.
    let hog = outcome_of(&report, "encoding/only-dots-16mib@hs256");
    assert_eq!(hog.finding, Finding::Crash, "{}", hog.detail());
    assert!(
        hog.detail()
            .contains("resource bound: resident memory grew by")
            && hog
                .detail()
                .contains("more than for a token of the same length without the attack"),
        "{}",
        hog.detail()
    );
    // A 1 MiB token without dots costs the hog nothing: the answer stands.
    let small = outcome_of(&report, "encoding/token-1mib@hs256");
    assert_eq!(small.finding, Finding::Reason, "{}", small.detail());
    // The other encoding cases ran pipelined, as usual.
    assert!(report.results.len() > 50);
    assert!(report
        .results
        .iter()
        .filter(|r| r.instance_id() != "encoding/only-dots-16mib@hs256")
        .all(|r| r.finding != Finding::Crash && r.finding != Finding::Broken));
}

#[test]
fn a_well_behaved_adapter_stays_within_the_bounds() {
    let report = resource_run("ok", Duration::from_secs(20));
    let dots = outcome_of(&report, "encoding/only-dots-16mib@hs256");
    assert_eq!(dots.finding, Finding::Reason, "{}", dots.detail());
    assert!(report
        .results
        .iter()
        .all(|r| r.finding != Finding::Crash && r.finding != Finding::Broken));
}

#[test]
fn the_time_bound_makes_a_hang_on_a_resource_case_a_crash() {
    let report = resource_run("sleepy", Duration::from_millis(1500));
    let dots = outcome_of(&report, "encoding/only-dots-16mib@hs256");
    assert_eq!(dots.finding, Finding::Crash, "{}", dots.detail());
    assert!(
        dots.detail().contains("no answer within 1.5 s"),
        "{}",
        dots.detail()
    );
}
