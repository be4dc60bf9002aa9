//! Shared helpers of the integration tests: the fixed clock, the project root, and the default
//! policies, catalog and attacker keys of the checkout's `fixtures/`.

use jwt_harness::cases::Catalog;
use jwt_harness::forge::Attackers;
use jwt_harness::policy::Policy;
use jwt_harness::Fixtures;
use std::path::PathBuf;

/// The fixed clock of every deterministic test: 2025-11-28T17:13:20Z.
pub const NOW: u64 = jwt_harness::suite::FIXED_NOW;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The checkout's fixtures.
pub fn fixtures() -> Fixtures {
    Fixtures::Dir(root())
}

/// The default policies.
pub fn default_policies() -> Vec<Policy> {
    fixtures()
        .default_policies()
        .expect("default policies load")
}

/// The catalog.
pub fn catalog() -> Catalog {
    fixtures().catalog().expect("catalog loads")
}

/// The attacker keys.
pub fn attackers() -> Attackers {
    fixtures().attackers().expect("attacker keys load")
}

/// Fuzzes `backend` with `jwt-harness fuzz`'s loop under `policies`, seeded from `seeds`, with
/// no known deviations.
pub fn run_fuzz(
    backend: &dyn jwt_harness::backend::Backend,
    seeds: &Catalog,
    policies: Vec<Policy>,
    config: &jwt_harness::mutate::FuzzConfig,
) -> jwt_harness::mutate::FuzzReport {
    let attackers = attackers();
    let setup = jwt_harness::mutate::FuzzSetup {
        backend,
        file: jwt_harness::deviations::BackendFile::default(),
        catalog: seeds,
        policies: policies.into_iter().map(std::sync::Arc::new).collect(),
        attackers: &attackers,
    };
    jwt_harness::mutate::fuzz(&setup, config, &mut |_| {})
}

/// The catalog families with a case on which `backend` is unsafe under `policy`: what a fuzzer
/// must do without to show that it finds the flaw by itself.
pub fn catching_families(
    backend: &dyn jwt_harness::backend::Backend,
    policy: &Policy,
) -> Vec<String> {
    let report = jwt_harness::Suite::new(policy.clone())
        .now(NOW)
        .without_deviations()
        .run(backend);
    let mut families: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.finding == jwt_harness::judge::Finding::Unsafe)
        .map(|r| r.case.split('/').next().unwrap_or("").to_string())
        .collect();
    families.sort();
    families.dedup();
    families
}
