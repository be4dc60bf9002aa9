//! Wycheproof's JWS vectors (`fixtures/vectors/json_web_signature_test.json`): the oracle and
//! every built-in backend with a JWS mode agree with each vector or carry a written reason in
//! `fixtures/vectors/json_web_signature_test.toml`, and their verdicts are snapshotted beside
//! the catalog's (`verdicts@wycheproof__BACKEND`), so the matrix shows them as their own family.

use jwt_harness::backend::{self, Backend};
use jwt_harness::judge::Finding;
use jwt_harness::vectors::{self, VectorSet};

#[test]
fn every_disagreement_with_wycheproof_is_explained() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let set = VectorSet::load(
        &root.join("fixtures/vectors/json_web_signature_test.json"),
        None,
    )
    .expect("vector file");
    assert_eq!(set.vectors.len(), 401, "Wycheproof's file has 401 tests");
    let backends: Vec<Box<dyn Backend>> = backend::builtin_names()
        .iter()
        .filter_map(|n| backend::builtin(n))
        .filter(|b| b.supports_jws())
        .collect();
    let refs: Vec<&dyn Backend> = backends.iter().map(|b| b.as_ref()).collect();
    let results = vectors::run(&set, &refs);
    let unexplained: Vec<String> = results
        .iter()
        .filter(|r| !matches!(r.finding, Finding::Pass | Finding::Unsupported) && r.known.is_none())
        .map(|r| format!("{} {} tc {}", r.finding.name(), r.backend, r.tc_id))
        .collect();
    assert!(
        unexplained.is_empty(),
        "unexplained disagreements with Wycheproof:\n{}",
        unexplained.join("\n")
    );
    // No stale explanation: each one still matches a disagreement.
    for e in &set.explained {
        let live = results
            .iter()
            .any(|r| r.backend == e.backend && r.tc_id == e.tc && r.finding.name() == e.finding);
        let backend_ran = results.iter().any(|r| r.backend == e.backend);
        assert!(
            live || !backend_ran,
            "stale explanation: tc {} for {} ({})",
            e.tc,
            e.backend,
            e.finding
        );
    }
    let tally = vectors::tally(&results);
    let oracle = tally.iter().find(|t| t.backend == "reference").unwrap();
    assert_eq!(oracle.unexplained, 0);
    assert_eq!(oracle.agree + oracle.explained, 401);

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for t in &tally {
            let text = vectors::snapshot(&set, &results, &t.backend);
            insta::assert_snapshot!(format!("verdicts@wycheproof__{}", t.backend), text);
        }
    });
}
