//! Helpers shared by the binary's integration tests: the fixed clock and the repository root.

#![allow(dead_code)] // each test file uses its own share of these

use std::path::PathBuf;

/// The fixed clock of every deterministic test (2025-11-28T17:13:20Z).
pub const NOW: u64 = jwt_harness::suite::FIXED_NOW;

/// The repository root (the checkout this crate lives in).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the repository")
        .to_path_buf()
}
