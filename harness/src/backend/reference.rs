//! The oracle as a backend, so that it runs through the same pipeline as every library and its
//! snapshot shows the catalog's expectations being met.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::oracle::{self, Verdict};
use crate::policy::Policy;

/// The reference validator.
pub struct Reference;

struct Prepared(Policy);

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        match oracle::validate(token, &self.0, now) {
            Verdict::Accept(_) => Outcome::Accept,
            Verdict::Reject(reason, detail) => Outcome::reject(reason, detail),
        }
    }
}

impl Backend for Reference {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "reference".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(Prepared(policy.clone())))
    }
}
