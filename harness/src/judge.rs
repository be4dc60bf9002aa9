//! The judge: expectation × outcome → finding, exactly as docs/DESIGN.md's table, and the `--fail-on`
//! threshold. Known deviations live in [`crate::deviations`].

use crate::backend::Outcome;
use crate::cases::{Attacker, Expect, Reason, Severity};

/// The classification of one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Finding {
    /// As expected.
    Pass,
    /// Rejected as expected, but for another reason (diagnostic quality).
    Reason,
    /// Accepted a token it must reject.
    Unsafe,
    /// Rejected a token it must accept (interop failure).
    Strict,
    /// The backend cannot express the case.
    Unsupported,
    /// Accepted a token only a claim check the library does not offer would reject: the
    /// integrator's job, by the library's own documentation. Neither unsafe nor pass.
    Unchecked,
    /// The library under test panicked, crashed or hung on the token (denial of service).
    Crash,
    /// Our adapter or the harness crashed, hung or babbled.
    Broken,
    /// Not run: the case needs a fixed clock and the backend reads the system clock. (A case that
    /// could not be forged is no result: it is a forge error of the report.)
    Skipped,
}

impl Finding {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Finding::Pass => "pass",
            Finding::Reason => "reason",
            Finding::Unsafe => "unsafe",
            Finding::Strict => "strict",
            Finding::Unsupported => "unsupported",
            Finding::Unchecked => "unchecked",
            Finding::Crash => "crash",
            Finding::Broken => "broken",
            Finding::Skipped => "skipped",
        }
    }

    /// Whether the result counts as passing.
    pub fn is_pass(self) -> bool {
        matches!(self, Finding::Pass | Finding::Reason)
    }
}

/// Judges one outcome.
pub fn judge(expect: Expect, want_reason: Option<Reason>, outcome: &Outcome) -> Finding {
    match (expect, outcome) {
        (_, Outcome::Broken(_)) => Finding::Broken,
        (_, Outcome::Crash(_)) => Finding::Crash,
        (_, Outcome::Unsupported(_)) => Finding::Unsupported,
        (Expect::Either, _) => Finding::Pass,
        (Expect::Accept, Outcome::Accept) => Finding::Pass,
        (Expect::Accept, Outcome::Reject { .. }) => Finding::Strict,
        (Expect::Reject, Outcome::Accept) => Finding::Unsafe,
        (Expect::Reject, Outcome::Reject { reason, .. }) => match (want_reason, reason) {
            (Some(w), Some(g)) if w != *g => Finding::Reason,
            (Some(_), None) => Finding::Reason,
            _ => Finding::Pass,
        },
    }
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Never fail on findings.
    Never,
    /// Only broken results fail.
    Broken,
    /// Broken, and unsafe and crash findings at or above this severity.
    Unsafe(Severity),
    /// Broken, and unsafe and crash findings that this attacker class or a stronger one can
    /// trigger (`anyone` is the strongest, then `holder`, then `issuer`).
    Attacker(Attacker),
    /// All of the above at any severity, and strict findings.
    Strict,
}

impl FailOn {
    /// Parses `never`, `broken`, `critical`, `high`, `medium`, `low`, `anyone`, `holder`,
    /// `issuer` or `strict`.
    pub fn parse(text: &str) -> Option<FailOn> {
        match text {
            "never" => Some(FailOn::Never),
            "broken" => Some(FailOn::Broken),
            "strict" => Some(FailOn::Strict),
            other => Severity::parse(other)
                .map(FailOn::Unsafe)
                .or_else(|| Attacker::parse(other).map(FailOn::Attacker)),
        }
    }

    /// Whether a finding (not a known deviation) fails the run.
    pub fn fails(self, finding: Finding, severity: Severity, attacker: Attacker) -> bool {
        match (self, finding) {
            (FailOn::Never, _) => false,
            (_, Finding::Broken) => true,
            (FailOn::Broken, _) => false,
            (FailOn::Unsafe(min), Finding::Unsafe | Finding::Crash) => severity >= min,
            (FailOn::Attacker(max), Finding::Unsafe | Finding::Crash) => attacker <= max,
            (FailOn::Strict, Finding::Unsafe | Finding::Crash | Finding::Strict) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_design_md() {
        let acc = Outcome::Accept;
        let rej = |r| Outcome::reject(r, "x");
        use Expect::*;
        assert_eq!(
            judge(Reject, Some(Reason::Signature), &acc),
            Finding::Unsafe
        );
        assert_eq!(judge(Accept, None, &rej(Reason::Expired)), Finding::Strict);
        assert_eq!(
            judge(Reject, Some(Reason::Expired), &rej(Reason::Expired)),
            Finding::Pass
        );
        assert_eq!(
            judge(Reject, Some(Reason::Expired), &rej(Reason::Other)),
            Finding::Reason
        );
        assert_eq!(judge(Either, None, &acc), Finding::Pass);
        assert_eq!(judge(Either, None, &rej(Reason::Other)), Finding::Pass);
        assert_eq!(
            judge(Either, None, &Outcome::Broken("x".into())),
            Finding::Broken
        );
        assert_eq!(
            judge(Accept, None, &Outcome::Unsupported("x".into())),
            Finding::Unsupported
        );
        assert_eq!(
            judge(Either, None, &Outcome::Crash("x".into())),
            Finding::Crash
        );
    }

    #[test]
    fn fail_on_levels() {
        use Attacker::*;
        let f = FailOn::parse("high").unwrap();
        assert!(f.fails(Finding::Unsafe, Severity::Critical, Issuer));
        assert!(!f.fails(Finding::Unsafe, Severity::Medium, Anyone));
        assert!(f.fails(Finding::Broken, Severity::Low, Issuer));
        assert!(!f.fails(Finding::Strict, Severity::Low, Anyone));
        assert!(FailOn::Strict.fails(Finding::Strict, Severity::Low, Issuer));
        assert!(f.fails(Finding::Crash, Severity::High, Anyone));
        assert!(!f.fails(Finding::Crash, Severity::Low, Issuer));
        assert!(!FailOn::Broken.fails(Finding::Crash, Severity::Critical, Anyone));
        assert!(!FailOn::Never.fails(Finding::Broken, Severity::Low, Anyone));
        assert!(FailOn::parse("bogus").is_none());
        // By attacker class: `holder` fails on what anyone or a token holder can trigger.
        let h = FailOn::parse("holder").unwrap();
        assert!(h.fails(Finding::Unsafe, Severity::Low, Anyone));
        assert!(h.fails(Finding::Crash, Severity::Medium, Holder));
        assert!(!h.fails(Finding::Unsafe, Severity::Critical, Issuer));
        assert!(!FailOn::parse("anyone")
            .unwrap()
            .fails(Finding::Unsafe, Severity::High, Holder));
    }

    #[test]
    fn severity_follows_attacker_and_impact() {
        use crate::cases::{severity, Impact};
        use Attacker::*;
        assert_eq!(severity(Anyone, Some(Impact::Forgery)), Severity::Critical);
        assert_eq!(severity(Holder, Some(Impact::Replay)), Severity::High);
        assert_eq!(severity(Holder, Some(Impact::Confusion)), Severity::Medium);
        assert_eq!(severity(Issuer, Some(Impact::Confusion)), Severity::Low);
        assert_eq!(severity(Anyone, Some(Impact::Hygiene)), Severity::Low);
        // A crash: by the attacker class alone.
        assert_eq!(severity(Anyone, None), Severity::High);
        assert_eq!(severity(Holder, None), Severity::Medium);
        assert_eq!(severity(Issuer, None), Severity::Low);
    }
}
