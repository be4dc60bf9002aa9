//! The conformance snapshots: one insta snapshot per backend × default policy, a line per case
//! (`id  expect  outcome(reason)  finding`), no volatile values. `cargo xtask conformance` runs
//! this test and fails on any difference; `cargo xtask conformance --update` rewrites them. With
//! `JWT_HARNESS_EXTERNAL` set (`cargo xtask conformance --all`) the external adapters declared in
//! `fixtures/backends/*.toml` run too; without it their snapshots are left alone. With
//! `JWT_HARNESS_ONLY=NAME[,NAME…]` only those backends (and the reference) run.
//!
//! Beyond the snapshots it asserts what must hold whatever they say: nothing is broken (a broken
//! result is a fault of an adapter or the harness, never a deviation), nothing failed to forge,
//! the reference validator has no findings at all, every unsafe, crash or strict finding of a
//! library is explained in its backend file, and no explanation is stale.

use jwt_harness::backend::{self, Backend};
use jwt_harness::judge::Finding;
use jwt_harness::report::snapshot;
use jwt_harness::Suite;
use jwt_harness_tests::NOW;

#[test]
fn verdicts_match_snapshots() {
    let mut backends: Vec<Box<dyn Backend>> = backend::builtin_names()
        .iter()
        .map(|n| backend::builtin(n).expect("built in"))
        .collect();
    // `cargo xtask conformance --all` sets this after installing the adapters under target/.
    if std::env::var_os("JWT_HARNESS_EXTERNAL").is_some() {
        for p in backend::process::declared(&jwt_harness_tests::fixtures()).expect("backend files")
        {
            backends.push(Box::new(p));
        }
    }
    // `JWT_HARNESS_ONLY=a,b` keeps those backends (and the reference) only: for working on one
    // adapter without running, or rewriting the snapshots of, all the others.
    if let Some(only) = std::env::var_os("JWT_HARNESS_ONLY") {
        let only = only.to_string_lossy().into_owned();
        let keep: Vec<&str> = only.split(',').map(str::trim).collect();
        backends.retain(|b| {
            let name = b.info().name;
            name == "reference" || keep.contains(&name.as_str())
        });
    }
    let names: Vec<String> = backends.iter().map(|b| b.info().name).collect();
    let refs: Vec<&dyn Backend> = backends.iter().map(|b| b.as_ref()).collect();
    let report = Suite::defaults()
        .expect("default policies")
        .now(NOW)
        .seed(0)
        .try_run(&refs)
        .expect("run");

    assert!(
        report.forge_errors.is_empty(),
        "forge errors: {:?}",
        report.forge_errors
    );
    assert!(
        report.stale.is_empty(),
        "stale deviations: {:?}",
        report.stale
    );
    let unexplained: Vec<String> = report
        .results
        .iter()
        .filter(|r| match r.finding {
            // A library's crash is explained by its backend file like an unsafe accept; a broken
            // result is never explained (the deviation format has no `broken`).
            Finding::Unsafe | Finding::Crash | Finding::Strict | Finding::Broken => {
                r.known.is_none()
            }
            _ => false,
        })
        .map(|r| format!("{} {} {}", r.finding.name(), r.backend, r.instance_id()))
        .collect();
    assert!(
        unexplained.is_empty(),
        "unexplained findings:\n{}",
        unexplained.join("\n")
    );
    let reference_findings: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.backend == "reference" && r.finding != Finding::Pass)
        .map(|r| format!("{} {}", r.finding.name(), r.instance_id()))
        .collect();
    assert!(
        reference_findings.is_empty(),
        "the reference validator must pass every case with the declared reason:\n{}",
        reference_findings.join("\n")
    );

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for b in &names {
            for p in report.policies() {
                let text = snapshot(&report, b, Some(&p));
                insta::assert_snapshot!(format!("verdicts@{p}__{b}"), text);
            }
        }
    });
}
