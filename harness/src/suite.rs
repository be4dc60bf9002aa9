//! [`Suite`]: the catalog run against backends under policies, the one pipeline behind the library
//! API and the `run` command.

use crate::deviations::BackendFile;
use crate::error::Result;
use crate::fixtures::project_root;
use crate::policy::{self, Policy};
use crate::report::Report;
use crate::{backend, cases, forge, run};
use std::path::PathBuf;

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
                BackendFile::load(&self.root, &b.info().name)?
            } else {
                BackendFile::default()
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
