//! The proof that the catalog bites: deliberately broken validators (`flawed.rs`), one per CVE
//! class of docs/ATTACKS.md. Each is the strict oracle with one real-world flaw spliced in, and
//! each must draw at least one unsafe finding in the family that targets that flaw. The
//! unmodified oracle must draw none anywhere.

mod flawed;

use flawed::{Flaw, Flawed};
use jwt_harness::backend::{Backend, BackendInfo, Clock, Outcome, Validator};
use jwt_harness::cases::Reason;
use jwt_harness::judge::Finding;
use jwt_harness::{Policy, Suite};
use jwt_harness_tests::{default_policies, NOW};

fn unsafe_in(flaw: Flaw, family: &str) -> Vec<String> {
    let report = Suite::with_policies(default_policies())
        .now(NOW)
        .families(&[family])
        .without_deviations()
        .run(&Flawed(flaw));
    report
        .results
        .iter()
        .filter(|r| r.finding == Finding::Unsafe)
        .map(|r| r.instance_id())
        .collect()
}

macro_rules! caught {
    ($test:ident, $flaw:expr, $family:literal) => {
        #[test]
        fn $test() {
            let found = unsafe_in($flaw, $family);
            assert!(
                !found.is_empty(),
                "{:?} drew no unsafe finding in family {}",
                $flaw,
                $family
            );
        }
    };
}

caught!(alg_none_accepted, Flaw::AlgNoneAccepted, "alg-none");
caught!(alg_taken_from_header, Flaw::AlgFromHeader, "alg-confusion");
caught!(
    signature_never_checked,
    Flaw::SignatureNeverChecked,
    "signature"
);
caught!(
    empty_signature_accepted,
    Flaw::EmptySignatureAccepted,
    "signature"
);
caught!(
    embedded_jwk_trusted,
    Flaw::EmbeddedJwkTrusted,
    "header-injection"
);
caught!(exp_ignored, Flaw::ExpIgnored, "time");
caught!(
    exp_skipped_when_not_a_number,
    Flaw::ExpSkippedWhenNotNumber,
    "time"
);
caught!(iss_compared_by_prefix, Flaw::IssPrefixMatch, "claims");
caught!(aud_missing_accepted, Flaw::AudMissingAccepted, "claims");
caught!(crit_ignored, Flaw::CritIgnored, "header-injection");
caught!(psychic_ecdsa_accepted, Flaw::PsychicEcdsa, "crypto-edge");
caught!(
    kid_read_as_a_file_path,
    Flaw::KidAsFilePath,
    "key-selection"
);
caught!(
    blank_secret_fallback,
    Flaw::BlankSecretFallback,
    "crypto-edge"
);

#[test]
fn the_oracle_itself_draws_no_finding() {
    let report = Suite::with_policies(default_policies())
        .now(NOW)
        .without_deviations()
        .run(&jwt_harness::backend::reference::Reference);
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.finding.is_pass())
        .map(|r| format!("{} {}", r.finding.name(), r.instance_id()))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A backend that panics on some tokens, and cannot prepare one policy at all.
struct Panicky;

struct PanickyValidator;

impl Validator for PanickyValidator {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        if token.len().is_multiple_of(3) {
            panic!("deliberate panic on a token of {} bytes", token.len());
        }
        Outcome::reject(Reason::Other, "rejects everything else")
    }
}

impl Backend for Panicky {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "panicky".into(),
            version: "test".into(),
            clock: Clock::Request,
        }
    }
    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if policy.name == "eddsa" {
            panic!("deliberate panic while preparing");
        }
        Ok(Box::new(PanickyValidator))
    }
}

#[test]
fn a_panicking_backend_crashes_that_case_and_the_run_goes_on() {
    // A panic while validating is that case's crash; one while preparing a policy, its cases'.
    let report = Suite::with_policies(default_policies())
        .now(NOW)
        .families(&["alg-none"])
        .without_deviations()
        .run(&Panicky);
    // The validator under test is code outside jwt-harness: its panics are crashes (of the
    // library under test), with where they happened; never `broken`, which is ours.
    let elsewhere: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.policy != "eddsa")
        .collect();
    let crashes = elsewhere
        .iter()
        .filter(|r| r.finding == Finding::Crash)
        .count();
    // Every result is there: the panics lost nothing.
    assert_eq!(report.results.len(), report.tokens);
    assert!(crashes > 0, "no crash result");
    assert!(crashes < elsewhere.len(), "every result a crash");
    assert!(elsewhere
        .iter()
        .filter(|r| r.finding == Finding::Crash)
        .all(|r| r.detail().contains("deliberate panic")
            && r.detail().contains("broken_validators.rs")));
    assert!(report.results.iter().all(|r| r.finding != Finding::Broken));
    // Under the policy whose preparation panicked every case is a crash, with the panic message:
    // a crash is never an `unsupported`.
    let eddsa: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.policy == "eddsa")
        .collect();
    assert!(!eddsa.is_empty());
    assert!(eddsa.iter().all(|r| r.finding == Finding::Crash
        && r.detail().contains("panicked while preparing")
        && r.detail().contains("deliberate panic while preparing")));
    assert_eq!(
        report.exit_code(jwt_harness::judge::FailOn::Unsafe(
            jwt_harness::cases::Severity::Low
        )),
        1
    );
}
