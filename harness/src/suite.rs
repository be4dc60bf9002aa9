//! [`Suite`]: the catalog run against backends under policies. The one pipeline behind the library
//! API and the `run` command: the catalog, the policies, the attacker keys and the backend files
//! come from one [`Fixtures`] source, tokens are planned, forged (through the cache when the
//! clock is fixed) and handed to [`crate::run::run`].

use crate::backend::Backend;
use crate::cases::{self, Case, Catalog};
use crate::deviations::{glob, BackendFile};
use crate::error::{Error, Result};
use crate::fixtures::Fixtures;
use crate::forge::{self, CacheStatus, ForgeConfig, Forged};
use crate::policy::Policy;
use crate::report::Report;
use crate::run::{self, Progress, RunConfig};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The fixed clock of the project's deterministic tests and benchmarks: 2025-11-28T17:13:20Z.
pub const FIXED_NOW: u64 = 1_764_350_000;

/// Where forged tokens are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cache {
    /// `$JWT_HARNESS_CACHE` (empty or `off`: no cache), else
    /// `$CARGO_TARGET_DIR/jwt-harness/forge-cache`, else `target/jwt-harness/forge-cache` in the
    /// project directory; none for the embedded fixtures.
    Auto,
    /// No cache.
    Off,
    /// This directory.
    Dir(PathBuf),
}

/// The catalog, policies and attacker keys of a run, read once.
struct Inputs {
    catalog: Catalog,
    policies: Vec<Arc<Policy>>,
    attackers: forge::Attackers,
}

/// The catalog run against backends under one or more policies: the library entry point.
pub struct Suite {
    policies: Option<Vec<Policy>>,
    fixtures: Fixtures,
    catalog_dir: Option<PathBuf>,
    config: RunConfig,
    families: Vec<String>,
    case_glob: Option<String>,
    deviations: bool,
    progress: bool,
    cache: Cache,
    last_cache: Mutex<CacheStatus>,
    /// Backend files from outside the fixtures (`--known FILE`), by backend name.
    known: Vec<(String, BackendFile)>,
}

impl Suite {
    fn make(policies: Option<Vec<Policy>>) -> Suite {
        Suite {
            policies,
            fixtures: Fixtures::Embedded,
            catalog_dir: None,
            config: RunConfig::default(),
            families: Vec::new(),
            case_glob: None,
            deviations: true,
            progress: false,
            cache: Cache::Auto,
            last_cache: Mutex::new(CacheStatus::Off),
            known: Vec::new(),
        }
    }

    /// A suite over one policy, with the built-in catalog.
    pub fn new(policy: Policy) -> Suite {
        Suite::with_policies(vec![policy])
    }

    /// A suite over several policies.
    pub fn with_policies(policies: Vec<Policy>) -> Suite {
        Suite::make(Some(policies))
    }

    /// A suite over the policies of these files, or the default ones when there is none, with
    /// these fixtures; every policy is loaded now, so a bad file is an error here.
    pub fn from_policy_files(
        fixtures: &crate::fixtures::Fixtures,
        files: &[std::path::PathBuf],
    ) -> Result<Suite> {
        let suite = if files.is_empty() {
            Suite::defaults()?
        } else {
            Suite::with_policies(
                files
                    .iter()
                    .map(|f| fixtures.load_policy(f))
                    .collect::<Result<_>>()?,
            )
        };
        let suite = suite.fixtures(fixtures.clone());
        suite.policies()?;
        Ok(suite)
    }

    /// A suite over the default policies (`hs256`, `rs256`, `es256`, `eddsa`, `mixed`, `hs-all`,
    /// `es-all`, `rsa-all`, `at-jwt`) and the
    /// built-in catalog, both embedded in the crate: works wherever the crate is installed.
    /// The `Result` is for the fixtures [`Suite::fixtures`] may switch to; the embedded ones load.
    pub fn defaults() -> Result<Suite> {
        let suite = Suite::make(None);
        suite.policies()?;
        Ok(suite)
    }

    /// Reads the catalog, the default policies, attacker keys and backend files from `fixtures`
    /// instead of the embedded copy (the command line uses the project directory it runs in).
    pub fn fixtures(mut self, fixtures: Fixtures) -> Suite {
        self.fixtures = fixtures;
        self
    }

    /// Uses the case files of `dir` (a project's own cases, in the catalog format) instead of the
    /// built-in catalog.
    pub fn with_catalog(mut self, dir: impl AsRef<Path>) -> Suite {
        self.catalog_dir = Some(dir.as_ref().to_path_buf());
        self
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

    /// Restricts the run to some families; an unknown name makes the run fail.
    pub fn families(mut self, families: &[&str]) -> Suite {
        self.families = families.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Restricts the run to the cases whose id (`family/name`) matches a glob (`*`, `?`).
    pub fn cases(mut self, glob: &str) -> Suite {
        self.case_glob = Some(glob.to_string());
        self
    }

    /// Ignores the backend files (every finding counts).
    pub fn without_deviations(mut self) -> Suite {
        self.deviations = false;
        self
    }

    /// Shows a progress bar on a terminal (see [`crate::progress`]).
    pub fn progress(mut self, on: bool) -> Suite {
        self.progress = on;
        self
    }

    /// Where forged tokens are cached (default [`Cache::Auto`]; only runs with a fixed clock
    /// use a cache).
    pub fn cache(mut self, cache: Cache) -> Suite {
        self.cache = cache;
        self
    }

    /// What the cache did in the last forge.
    pub fn cache_status(&self) -> CacheStatus {
        self.last_cache
            .lock()
            .map(|s| s.clone())
            .unwrap_or(CacheStatus::Off)
    }

    /// The policies: the given ones, else the defaults of the fixtures.
    pub fn policies(&self) -> Result<Vec<Policy>> {
        match &self.policies {
            Some(p) => Ok(p.clone()),
            None => self.fixtures.default_policies(),
        }
    }

    /// The catalog: a case directory given to [`Suite::with_catalog`], else the fixtures'.
    pub fn catalog(&self) -> Result<Catalog> {
        match &self.catalog_dir {
            Some(dir) => cases::load_dir(dir),
            None => self.fixtures.catalog(),
        }
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        self.config.now?;
        match &self.cache {
            Cache::Off => None,
            Cache::Dir(d) => Some(d.clone()),
            Cache::Auto => {
                if let Some(v) = std::env::var_os("JWT_HARNESS_CACHE") {
                    return (!v.is_empty() && v != "off").then(|| PathBuf::from(v));
                }
                if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
                    return Some(PathBuf::from(t).join("jwt-harness/forge-cache"));
                }
                Some(self.fixtures.root()?.join("target/jwt-harness/forge-cache"))
            }
        }
    }

    /// Checks the family filter against the catalog.
    fn filter(&self, catalog: &Catalog) -> Result<()> {
        let known = catalog.families();
        for f in &self.families {
            if !known.contains(f) {
                return Err(Error::Config(format!(
                    "no family {f:?}; families: {}",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Everything forging needs, read once.
    fn inputs(&self) -> Result<Inputs> {
        let catalog = self.catalog()?;
        self.filter(&catalog)?;
        Ok(Inputs {
            policies: self.policies()?.into_iter().map(Arc::new).collect(),
            attackers: self.fixtures.attackers()?,
            catalog,
        })
    }

    /// Forges the catalog over the policies at a clock (through the cache when the clock is the
    /// suite's fixed one).
    pub fn forge_at(&self, now: u64) -> Result<Forged> {
        Ok(self.forge_with(&self.inputs()?, now, true))
    }

    fn forge_with(&self, inputs: &Inputs, now: u64, transport: bool) -> Forged {
        let Inputs {
            catalog,
            policies,
            attackers,
        } = inputs;
        let filter = |c: &Case| {
            (transport || c.transport.is_none())
                && (self.families.is_empty() || self.families.contains(&c.family))
                && self.case_glob.as_deref().is_none_or(|g| glob(g, &c.id))
        };
        let plan = forge::plan(catalog, policies, attackers, &filter);
        let config = ForgeConfig {
            now,
            seed: self.config.seed,
        };
        let dir = (self.config.now == Some(now))
            .then(|| self.cache_dir())
            .flatten();
        let (signed, status) = forge::forge_cached(dir.as_deref(), &plan, attackers, &config);
        if let Ok(mut s) = self.last_cache.lock() {
            *s = status;
        }
        forge::assemble(&plan, signed, now)
    }

    /// Explains `backend`'s deviations with `file` (a backend file kept outside the harness's
    /// tree, e.g. a team's own `--known` file for its gateway), in addition to the fixtures'.
    pub fn known(mut self, backend: &str, file: BackendFile) -> Suite {
        self.known.push((backend.to_string(), file));
        self
    }

    /// Runs one backend. Configuration errors (a broken catalog or key file) panic with the
    /// message: in `cargo test` that is the useful thing to do.
    pub fn run(&self, backend: &dyn Backend) -> Report {
        self.try_run(&[backend])
            .unwrap_or_else(|e| panic!("jwt-harness: {e}"))
    }

    /// Runs several backends over the same forged tokens.
    pub fn try_run(&self, backends: &[&dyn Backend]) -> Result<Report> {
        // Everything that can be wrong in the configuration fails here, before any work.
        let inputs = self.inputs()?;
        let mut entries = Vec::new();
        for b in backends {
            let name = b.info().name;
            let mut file = if self.deviations {
                self.fixtures.backend_file(&name)?
            } else {
                BackendFile::default()
            };
            for (_, extra) in self.known.iter().filter(|(n, _)| *n == name) {
                file.deviations.extend(extra.deviations.iter().cloned());
                file.unchecked.extend(extra.unchecked.iter().cloned());
            }
            entries.push(run::Entry { backend: *b, file });
        }
        let bar = if self.progress {
            crate::progress::Bar::for_terminal(backends.len())
        } else {
            None
        };
        let progress: &dyn Progress = match &bar {
            Some(b) => b,
            None => &(),
        };
        // The transport cases shape the HTTP request, not the token: forged only for targets.
        let transport = backends.iter().any(|b| b.speaks_http());
        let tokens = |now| self.forge_with(&inputs, now, transport);
        Ok(run::run(&tokens, &entries, &self.config, progress))
    }
}
