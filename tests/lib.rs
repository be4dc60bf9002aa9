//! Shared helpers of the integration tests: the fixed clock, the project root, and loading the
//! default policies and catalog once.

use jwt_harness::cases::{self, Catalog};
use jwt_harness::forge::Attackers;
use jwt_harness::policy::{self, Policy};
use std::path::PathBuf;

/// The fixed clock of every deterministic test: 2025-11-28T17:13:20Z.
pub const NOW: u64 = 1_764_350_000;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The default policies.
pub fn default_policies() -> Vec<Policy> {
    policy::load_defaults(&root()).expect("default policies load")
}

/// The catalog.
pub fn catalog() -> Catalog {
    cases::load_catalog(&root()).expect("catalog loads")
}

/// The attacker keys.
pub fn attackers() -> Attackers {
    Attackers::load(&root()).expect("attacker keys load")
}
