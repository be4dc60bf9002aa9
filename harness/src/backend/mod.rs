//! Backends: the validators under test.
//!
//! One small trait. A backend is asked once per policy to [`prepare`](Backend::prepare) a
//! validator (in-process adapters build the library's validator from the policy there), and the
//! validator is then asked for a verdict on each token. Adapters are thin: build from the policy,
//! map the library's errors onto [`Reason`] in one `match`.

use crate::cases::Reason;
use crate::policy::Policy;

#[cfg(feature = "backend-jsonwebtoken")]
pub mod jsonwebtoken;
pub mod process;
pub mod reference;

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
    /// The backend crashed, panicked, hung or answered garbage.
    Broken(String),
}

impl Outcome {
    /// `accept`, `reject`, `unsupported` or `broken`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Accept => "accept",
            Outcome::Reject { .. } => "reject",
            Outcome::Unsupported(_) => "unsupported",
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
}

/// A validator under test.
pub trait Backend: Send + Sync {
    /// Name, version and clock.
    fn info(&self) -> BackendInfo;

    /// Builds a validator for a policy. `Err` means the backend cannot express the policy at all:
    /// every case under it becomes `unsupported` with that message.
    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String>;

    /// Whether the runner should hand this backend whole batches (one per worker thread)
    /// instead of single tokens: true for external processes, which pipeline.
    fn pipelined(&self) -> bool {
        false
    }
}

/// The names of the built-in backends, in report order.
pub fn builtin_names() -> Vec<&'static str> {
    let mut names = vec!["reference"];
    if cfg!(feature = "backend-jsonwebtoken") {
        names.push("jsonwebtoken");
    }
    names
}

/// A built-in backend by name.
pub fn builtin(name: &str) -> Option<Box<dyn Backend>> {
    match name {
        "reference" => Some(Box::new(reference::Reference)),
        #[cfg(feature = "backend-jsonwebtoken")]
        "jsonwebtoken" => Some(Box::new(jsonwebtoken::JsonWebToken)),
        _ => None,
    }
}
