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
