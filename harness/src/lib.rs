//! jwt-harness: a conformance test harness and fuzzer for JWT validators.
//!
//! It forges adversarial tokens from a data catalog ([`cases`]), runs them against pluggable
//! validator backends ([`backend`]), judges each verdict against the case's expectation
//! ([`judge`]) — expectations that the strict reference validator ([`oracle`]) independently
//! agrees with — and reports the findings ([`report`]).
//!
//! Teams test their own validator in `cargo test`:
//!
//! ```no_run
//! use jwt_harness::{Policy, Suite, backend::{Backend, BackendInfo, Clock, Outcome, Validator}};
//!
//! struct MyValidator;
//! impl Backend for MyValidator {
//!     fn info(&self) -> BackendInfo {
//!         BackendInfo { name: "mine".into(), version: "1".into(), clock: Clock::Request }
//!     }
//!     fn prepare(&self, _policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
//!         Err("not written yet".into())
//!     }
//! }
//!
//! let report = Suite::new(Policy::load("auth.toml").unwrap()).run(&MyValidator);
//! report.assert_no_unsafe();
//! println!("{}", report.table());
//! ```

#![deny(missing_docs)]

pub mod backend;
pub mod cases;
pub mod explain;
pub mod fixtures;
pub mod forge;
pub mod fuzzing;
pub mod jose;
pub mod judge;
pub mod oracle;
pub mod policy;
pub mod report;
pub mod run;

pub use policy::Policy;
pub use report::Report;

use std::path::{Path, PathBuf};

/// Errors of the library. Findings are not errors: they are in the [`Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A policy, case file, key file or backend file is invalid (exit code 2).
    Config(String),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Config(m) | Error::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

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

/// The catalog run against one backend under one or more policies: the library entry point.
pub struct Suite {
    policies: Vec<Policy>,
    root: PathBuf,
    config: run::RunConfig,
    families: Vec<String>,
    deviations: bool,
}

impl Suite {
    /// A suite over one policy, with the built-in catalog from the project root.
    pub fn new(policy: Policy) -> Suite {
        Suite::with_policies(vec![policy])
    }

    /// A suite over several policies.
    pub fn with_policies(policies: Vec<Policy>) -> Suite {
        Suite {
            policies,
            root: project_root(),
            config: run::RunConfig::default(),
            families: Vec::new(),
            deviations: true,
        }
    }

    /// A suite over the default policies of `fixtures/policies/`.
    pub fn defaults() -> Result<Suite> {
        let root = project_root();
        Ok(Suite::with_policies(policy::load_defaults(&root)?))
    }

    /// Fixes the clock (Unix seconds).
    pub fn now(mut self, now: u64) -> Suite {
        self.config.now = Some(now);
        self
    }

    /// Sets the forge seed.
    pub fn seed(mut self, seed: u64) -> Suite {
        self.config.seed = seed;
        self
    }

    /// Restricts the run to some families.
    pub fn families(mut self, families: &[&str]) -> Suite {
        self.families = families.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Ignores `fixtures/backends/NAME.toml` (every finding counts).
    pub fn without_deviations(mut self) -> Suite {
        self.deviations = false;
        self
    }

    /// Runs one backend. Configuration errors (a broken catalog or key file) panic with the
    /// message: in `cargo test` that is the useful thing to do.
    pub fn run(&self, backend: &dyn backend::Backend) -> Report {
        self.try_run(&[backend])
            .unwrap_or_else(|e| panic!("jwt-harness: {e}"))
    }

    /// Runs several backends over the same forged tokens.
    pub fn try_run(&self, backends: &[&dyn backend::Backend]) -> Result<Report> {
        let catalog = cases::load_catalog(&self.root)?;
        let attackers = forge::Attackers::load(&self.root)?;
        let mut entries = Vec::new();
        for b in backends {
            let file = if self.deviations {
                judge::BackendFile::load(&self.root, &b.info().name)?
            } else {
                judge::BackendFile::default()
            };
            entries.push(run::Entry { backend: *b, file });
        }
        let families = self.families.clone();
        let filter = move |c: &cases::Case| families.is_empty() || families.contains(&c.family);
        Ok(run::run(
            &catalog,
            &self.policies,
            &entries,
            &attackers,
            &self.config,
            &filter,
        ))
    }
}
