//! Where the catalog, the default policies, their test-only keys and the backend files come from.

use std::path::{Path, PathBuf};

/// Finds the project root holding `fixtures/`: `$JWT_HARNESS_ROOT`, the current directory or one
/// of its parents, or the source checkout this binary was built from.
pub fn project_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("JWT_HARNESS_ROOT") {
        return PathBuf::from(dir);
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("fixtures/cases").is_dir() {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}
