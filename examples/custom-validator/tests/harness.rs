//! The team's `cargo test`: the built-in catalog and default policies of the packaged
//! jwt-harness against its own validators.

use custom_validator::{Careful, Naive};
use jwt_harness::judge::Finding;
use jwt_harness::Suite;

const NOW: u64 = 1_764_350_000;

#[test]
fn the_naive_validator_is_caught_accepting_expired_tokens() {
    let report = Suite::defaults()
        .expect("embedded defaults")
        .now(NOW)
        .run(&Naive);
    assert!(
        report.results.len() > 500,
        "{} results",
        report.results.len()
    );
    let unsafe_case = |id: &str| {
        report
            .results
            .iter()
            .any(|r| r.case == id && r.finding == Finding::Unsafe)
    };
    assert!(
        unsafe_case("time/exp-1h-past"),
        "an expired token got in and nobody said so"
    );
    assert!(
        unsafe_case("claims/iss-different"),
        "a token of another issuer got in"
    );
    // What it cannot express (RS256, ES256, EdDSA keys) is unsupported, not passed.
    assert!(report
        .results
        .iter()
        .filter(|r| r.policy == "rs256")
        .all(|r| r.finding == Finding::Unsupported));
}

#[test]
fn the_careful_validator_closes_the_expiry_issuer_and_alg_none_gaps() {
    let report = Suite::defaults()
        .expect("embedded defaults")
        .now(NOW)
        .families(&["time", "claims", "alg-none", "signature"])
        .run(&Careful);
    let unsafe_ids: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.finding == Finding::Unsafe)
        .map(|r| r.instance_id())
        .collect();
    assert!(
        !unsafe_ids
            .iter()
            .any(|id| id.starts_with("time/exp-1h-past")),
        "{unsafe_ids:?}"
    );
    assert!(
        !unsafe_ids.iter().any(|id| id.starts_with("alg-none/")),
        "{unsafe_ids:?}"
    );
    assert!(
        !unsafe_ids
            .iter()
            .any(|id| id.starts_with("claims/iss-different")),
        "{unsafe_ids:?}"
    );
    println!("{}", jwt_harness::report::to_text(&report, false));
}
