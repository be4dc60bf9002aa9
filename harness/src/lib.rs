//! jwt-harness: a conformance test harness and fuzzer for JWT validators.
//!
//! It forges adversarial tokens from a data catalog ([`cases`]), runs them against pluggable
//! validator backends ([`backend`]), judges each verdict against the case's expectation
//! ([`judge`]) — expectations that the strict reference validator ([`oracle`]) independently
//! agrees with — and reports the findings ([`report`]).
//!
//! Teams test their own validator in `cargo test`; the catalog, the default policies and their
//! test-only keys are embedded in the crate ([`fixtures`]), so nothing else is needed:
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
//! let report = Suite::defaults().unwrap().run(&MyValidator);
//! report.assert_no_unsafe();
//! println!("{}", report.table());
//! // Under your own policy and cases:
//! let mine = Suite::new(Policy::load("auth.toml").unwrap()).with_catalog("my-cases/");
//! ```
//!
//! The command line (`src/main.rs`) parses flags and hands a [`Suite`] to the same pipeline.

#![deny(missing_docs)]

pub mod backend;
pub mod cases;
pub mod deviations;
pub mod error;
pub mod explain;
pub mod fixtures;
pub mod forge;
pub mod fuzzing;
pub mod identity;
pub mod isolate;
pub mod jose;
pub mod judge;
pub mod jwks;
pub mod keygen;
pub mod mutate;
pub mod oracle;
pub mod par;
pub mod policy;
pub mod progress;
pub mod report;
pub mod rotation;
pub mod run;
pub mod suite;
pub mod target;
pub mod transport;
pub mod vectors;

pub use error::{Error, Result};
pub use fixtures::{project_root, Fixtures};
pub use policy::Policy;
pub use report::Report;
pub use suite::Suite;
