//! The claims channel: an external validator's accept carries the claims its library returned,
//! and another `sub`, `iss` or `aud` than the token's (read keeping the last duplicate, RFC 7519
//! §4) makes the accept unsafe, in a catalog run and in `jwt-harness fuzz`. The validator is
//! `tests/adapters/first_duplicate.py`: an HMAC validator that checks what a careful one checks
//! but keeps the first of duplicate members.

use jwt_harness::backend::process::Process;
use jwt_harness::backend::Clock;
use jwt_harness::judge::Finding;
use jwt_harness::mutate::FuzzConfig;
use jwt_harness::{Policy, Suite};
use jwt_harness_tests::{catalog, default_policies, root, run_fuzz, NOW};

fn hs256() -> Policy {
    default_policies()
        .into_iter()
        .find(|p| p.name == "hs256")
        .expect("the hs256 policy")
}

fn first_duplicate() -> Process {
    let script = root().join("tests/adapters/first_duplicate.py");
    Process::new(
        "first-duplicate",
        vec!["python3".into(), script.display().to_string()],
        Clock::Request,
    )
}

#[test]
fn a_catalog_run_flags_the_first_of_duplicate_subs_and_nothing_signed_as_is() {
    let report = Suite::new(hs256())
        .now(NOW)
        .families(&["claims", "valid"])
        .without_deviations()
        .run(&first_duplicate());
    let result = |id: &str| {
        report
            .results
            .iter()
            .find(|r| r.instance_id() == id)
            .unwrap_or_else(|| panic!("no result for {id}"))
    };
    // An `either` case: accepting it is allowed, reading the first sub is not.
    let dup = result("claims/claims-duplicate-sub@hs256");
    assert_eq!(dup.finding, Finding::Unsafe, "{dup:?}");
    let note = dup.note.as_deref().unwrap_or_default();
    assert!(
        note.contains("the library returned sub \"user-1\"") && note.contains("\"admin\""),
        "{note}"
    );
    // The benign duplicate aud (another audience first) is read first-wins too, so the
    // validator refuses it for its audience: no accept, nothing to compare.
    let aud = result("claims/claims-duplicate-aud@hs256");
    assert_eq!(aud.outcome.kind(), "reject", "{aud:?}");
    // Every accept of claims signed without duplicates compares equal: no finding made up.
    let baseline = result("valid/baseline@hs256");
    assert!(baseline.finding.is_pass(), "{baseline:?}");
    let accepted_as_signed: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.outcome.kind() == "accept" && !r.instance_id().contains("duplicate"))
        .collect();
    assert!(
        accepted_as_signed.len() > 10,
        "{}",
        accepted_as_signed.len()
    );
    for r in accepted_as_signed {
        assert!(
            r.note
                .as_deref()
                .is_none_or(|n| !n.contains("the library returned")),
            "{}: {:?}",
            r.instance_id(),
            r.note
        );
    }
}

#[test]
fn the_fuzzer_finds_it_without_any_duplicate_case() {
    let mut seeds = catalog();
    seeds.cases.retain(|c| !c.name.contains("duplicate"));
    let config = FuzzConfig {
        seconds: 15.0,
        now: Some(NOW),
        seed: 1,
        ..FuzzConfig::default()
    };
    let report = run_fuzz(&first_duplicate(), &seeds, vec![hs256()], &config);
    let found = report
        .found
        .iter()
        .find(|f| f.outcome.contains("the library returned"));
    assert!(
        found.is_some(),
        "no identity finding in {} execs:\n{}",
        report.stats.execs,
        report.to_text()
    );
    assert_eq!(found.unwrap().finding, Finding::Unsafe);
}
