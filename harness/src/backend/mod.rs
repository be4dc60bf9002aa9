//! Backends: the validators under test.
//!
//! One small trait. A backend is asked once per policy to [`prepare`](Backend::prepare) a
//! validator (in-process adapters build the library's validator from the policy there), and the
//! validator is then asked for a verdict on each token. Adapters are thin: build from the policy,
//! map the library's errors onto [`Reason`] in one `match`.

use crate::cases::Reason;
use crate::policy::Policy;

pub(crate) mod answer;
#[cfg(feature = "backend-biscuit")]
pub mod biscuit;
pub mod bound;
#[cfg(feature = "backend-compact-jwt")]
pub mod compact_jwt;
#[cfg(feature = "backend-frank-jwt")]
pub mod frank_jwt;
pub mod http;
#[cfg(feature = "backend-josekit")]
pub mod josekit;
#[cfg(feature = "backend-jsonwebtoken")]
pub mod jsonwebtoken;
#[cfg(feature = "backend-jsonwebtokens")]
pub mod jsonwebtokens;
#[cfg(feature = "backend-jwt")]
pub mod jwt;
#[cfg(feature = "backend-jwt-compact")]
pub mod jwt_compact;
#[cfg(feature = "backend-jwt-simple")]
pub mod jwt_simple;
#[cfg(feature = "backend-jwtk")]
pub mod jwtk;
pub mod process;
pub mod reference;
pub mod shell;
pub mod status;

/// Which clock a backend validates against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// It honours the request's `now`.
    Request,
    /// It reads the system clock: tokens are forged against the real time, and cases that need a
    /// fixed clock are skipped.
    System,
}

impl Clock {
    /// `request` or `system`.
    pub fn name(self) -> &'static str {
        match self {
            Clock::Request => "request",
            Clock::System => "system",
        }
    }
}

/// Who a backend is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendInfo {
    /// Short name, used in reports and snapshot names.
    pub name: String,
    /// The library version (or `unknown`).
    pub version: String,
    /// Its clock.
    pub clock: Clock,
}

/// What a backend did with one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The token was accepted.
    Accept,
    /// The token was rejected.
    Reject {
        /// The reason, mapped from the library's error (None: it gave nothing to map).
        reason: Option<Reason>,
        /// The library's own message.
        detail: String,
    },
    /// The backend cannot express this policy or algorithm.
    Unsupported(String),
    /// The library under test panicked, crashed or hung on the token: a denial-of-service
    /// finding of the library.
    Crash(String),
    /// Our adapter or the harness failed: it crashed, hung or answered garbage.
    Broken(String),
}

impl Outcome {
    /// `accept`, `reject`, `unsupported`, `crash` or `broken`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Accept => "accept",
            Outcome::Reject { .. } => "reject",
            Outcome::Unsupported(_) => "unsupported",
            Outcome::Crash(_) => "crash",
            Outcome::Broken(_) => "broken",
        }
    }

    /// A reject with a reason and detail.
    pub fn reject(reason: Reason, detail: impl Into<String>) -> Outcome {
        Outcome::Reject {
            reason: Some(reason),
            detail: detail.into(),
        }
    }
}

/// One token of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The case instance id (`family/name@policy`), echoed by external adapters.
    pub id: &'a str,
    /// The compact token.
    pub token: &'a str,
    /// The clock.
    pub now: u64,
    /// How an HTTP target receives the token (family `transport`); `None` for every other case.
    pub transport: Option<&'a crate::cases::Transport>,
}

/// A validator built for one policy.
pub trait Validator: Send + Sync {
    /// Validates one compact token as if the time were `now` (Unix seconds).
    fn validate(&self, token: &str, now: u64) -> Outcome;

    /// Validates many tokens, in order. The default calls [`Validator::validate`] for each;
    /// external backends override it to pipeline requests.
    fn validate_batch(&self, batch: &[BatchItem<'_>]) -> Vec<Outcome> {
        batch
            .iter()
            .map(|b| self.validate(b.token, b.now))
            .collect()
    }

    /// Validates one token of a resource case under the harness's time and memory bounds
    /// ([`bound`]): what a bound catches is a [`Outcome::Crash`]. The default, for in-process
    /// backends that share the harness's memory, calls [`Validator::validate`] unmeasured;
    /// external backends run the case alone in a fresh process and measure it.
    fn validate_bounded(&self, item: &BatchItem<'_>) -> Outcome {
        self.validate(item.token, item.now)
    }
}

/// A validator under test.
pub trait Backend: Send + Sync {
    /// Name, version and clock.
    fn info(&self) -> BackendInfo;

    /// Builds a validator for a policy. `Err` means the backend cannot express the policy at all:
    /// every case under it becomes `unsupported` with that message.
    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String>;

    /// Whether this backend is an HTTP target (a service or gateway reached over HTTP): only
    /// targets run the `transport` cases, which shape the request rather than the token.
    fn speaks_http(&self) -> bool {
        false
    }

    /// For HTTP targets with the harness's JWKS server: the attacker paths (`/attacker/TAG/…`)
    /// fetched since the last call, after waiting for late fetches. The runner makes each case
    /// whose tag was fetched an unsafe finding ([`crate::jwks`]).
    fn take_fetches(&self) -> Vec<crate::jwks::Fetch> {
        Vec::new()
    }

    /// [`Backend::take_fetches`] without the wait: the attacker paths fetched so far, for a
    /// fuzzer that judges a batch at a time (`jwt-harness fuzz --target`).
    fn poll_fetches(&self) -> Vec<crate::jwks::Fetch> {
        Vec::new()
    }

    /// For HTTP targets that declare where their upstream receives the caller's identity
    /// ([`crate::identity`]): the instance ids whose accepted request forwarded another identity
    /// than the token's, each with what was forwarded, since the last call. The runner makes
    /// each an unsafe finding.
    fn take_identity_findings(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The policies this backend enforces, when it is fixed to some (a gateway is configured
    /// for one policy); `None`: any policy, sent with each request or prepared per policy. Cases
    /// under other policies are not run against it and get no result.
    fn policies(&self) -> Option<Vec<String>> {
        None
    }

    /// Whether the runner should hand this backend whole batches (one per worker thread)
    /// instead of single tokens: true for external processes, which pipeline.
    fn pipelined(&self) -> bool {
        false
    }

    /// Whether [`Backend::verify_jws`] is implemented: the library verifies a JWS whose payload
    /// is arbitrary bytes, not only a JWT (Wycheproof's JWS vectors need that).
    fn supports_jws(&self) -> bool {
        false
    }

    /// Verifies a JWS at the signature layer only, with the policy's keys and allowlist and
    /// whatever payload it carries (no claim is read). Called only when
    /// [`Backend::supports_jws`] says so.
    fn verify_jws(&self, policy: &Policy, jws: &str) -> Outcome {
        let _ = (policy, jws);
        Outcome::Unsupported("this backend has no JWS mode".into())
    }
}

/// The keys a token's `kid` selects from `(kid, key)` pairs: those with that kid, or every key
/// when the token has none. An empty selection is the `key` rejection, returned as `Err`.
pub fn select_by_kid<'k, T>(
    keys: &'k [(Option<String>, T)],
    kid: Option<&str>,
) -> Result<Vec<&'k T>, Outcome> {
    let selected: Vec<&T> = keys
        .iter()
        .filter(|(k, _)| kid.is_none() || k.as_deref() == kid)
        .map(|(_, key)| key)
        .collect();
    if selected.is_empty() {
        return Err(Outcome::reject(
            Reason::Key,
            "no key in the JWK Set has this kid",
        ));
    }
    Ok(selected)
}

/// Tries each candidate key in turn, as integrators commonly do once the `kid` has narrowed the
/// key set (or without a `kid`, over every key): the first that verifies accepts; otherwise the
/// first error is the one reported, mapped by `reject`; no candidate at all is a `key` rejection.
pub fn first_success<C, E>(
    candidates: impl IntoIterator<Item = C>,
    mut verify: impl FnMut(C) -> Result<(), E>,
    reject: impl FnOnce(E) -> Outcome,
) -> Outcome {
    let mut first_error = None;
    for c in candidates {
        match verify(c) {
            Ok(()) => return Outcome::Accept,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => reject(e),
        None => Outcome::reject(Reason::Key, "no trusted key fits an allowed algorithm"),
    }
}

/// Makes a built-in backend.
type Constructor = fn() -> Box<dyn Backend>;

/// The built-in backends compiled into this build: (name, constructor), in report order.
fn registry() -> Vec<(&'static str, Constructor)> {
    // `mut` is unused only in a build without any backend feature (xtask's).
    #[allow(unused_mut)]
    let mut r: Vec<(&'static str, Constructor)> =
        vec![("reference", || Box::new(reference::Reference))];
    #[cfg(feature = "backend-jsonwebtoken")]
    r.push(("jsonwebtoken", || Box::new(jsonwebtoken::JsonWebToken)));
    #[cfg(feature = "backend-jwt-simple")]
    r.push(("jwt-simple", || Box::new(jwt_simple::JwtSimple)));
    #[cfg(feature = "backend-jwt-compact")]
    r.push(("jwt-compact", || Box::new(jwt_compact::JwtCompact)));
    #[cfg(feature = "backend-jwt")]
    r.push(("jwt", || Box::new(jwt::Jwt)));
    #[cfg(feature = "backend-biscuit")]
    r.push(("biscuit", || Box::new(biscuit::Biscuit)));
    #[cfg(feature = "backend-jsonwebtokens")]
    r.push(("jsonwebtokens", || Box::new(jsonwebtokens::JsonWebTokens)));
    #[cfg(feature = "backend-compact-jwt")]
    r.push(("compact_jwt", || Box::new(compact_jwt::CompactJwt)));
    #[cfg(feature = "backend-jwtk")]
    r.push(("jwtk", || Box::new(jwtk::Jwtk)));
    #[cfg(feature = "backend-josekit")]
    r.push(("josekit", || Box::new(josekit::Josekit)));
    #[cfg(feature = "backend-frank-jwt")]
    r.push(("frank_jwt", || Box::new(frank_jwt::FrankJwt)));
    r
}

/// The names of the built-in backends, in report order.
pub fn builtin_names() -> Vec<&'static str> {
    registry().into_iter().map(|(n, _)| n).collect()
}

/// A built-in backend by name.
pub fn builtin(name: &str) -> Option<Box<dyn Backend>> {
    registry()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, make)| make())
}

/// A backend by name: a built-in one, or an external one that `fixtures/backends/NAME.toml`
/// declares with a `command` (run from the project directory, `timeout` per case).
pub fn by_name(
    name: &str,
    fixtures: &crate::fixtures::Fixtures,
    timeout: std::time::Duration,
) -> crate::error::Result<Box<dyn Backend>> {
    if let Some(b) = builtin(name) {
        return Ok(b);
    }
    let file = fixtures.backend_file(name)?;
    match (process::Process::from_file(name, &file)?, fixtures.root()) {
        (Some(p), Some(root)) => Ok(Box::new(p.with_timeout(timeout).in_dir(root))),
        _ => Err(crate::error::Error::Config(format!(
            "no backend {name:?}: not built in ({}) and {} declares no command for it",
            builtin_names().join(", "),
            fixtures.describe()
        ))),
    }
}

/// Every built-in backend, then every external one the fixtures declare.
pub fn all(
    fixtures: &crate::fixtures::Fixtures,
    timeout: std::time::Duration,
) -> crate::error::Result<Vec<Box<dyn Backend>>> {
    let mut out: Vec<Box<dyn Backend>> = builtin_names().into_iter().filter_map(builtin).collect();
    for p in process::declared(fixtures)? {
        out.push(Box::new(p.with_timeout(timeout)));
    }
    Ok(out)
}
