//! The judge: expectation × outcome → finding, exactly as DESIGN.md's table, plus the known
//! deviations a backend file declares.

use crate::backend::Outcome;
use crate::cases::{Expect, Reason, Severity};
use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

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
    /// The backend crashed, hung or babbled.
    Broken,
    /// Not run (needs a fixed clock on a system-clock backend, or could not be forged).
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
    /// Broken, and unsafe findings at or above this severity.
    Unsafe(Severity),
    /// All of the above at any severity, and strict findings.
    Strict,
}

impl FailOn {
    /// Parses `never`, `broken`, `critical`, `high`, `medium`, `low` or `strict`.
    pub fn parse(text: &str) -> Option<FailOn> {
        match text {
            "never" => Some(FailOn::Never),
            "broken" => Some(FailOn::Broken),
            "strict" => Some(FailOn::Strict),
            other => Severity::parse(other).map(FailOn::Unsafe),
        }
    }

    /// Whether a finding (not a known deviation) fails the run.
    pub fn fails(self, finding: Finding, severity: Severity) -> bool {
        match (self, finding) {
            (FailOn::Never, _) => false,
            (_, Finding::Broken) => true,
            (FailOn::Broken, _) => false,
            (FailOn::Unsafe(min), Finding::Unsafe) => severity >= min,
            (FailOn::Strict, Finding::Unsafe | Finding::Strict) => true,
            _ => false,
        }
    }
}

/// A known, accepted deviation of a backend, with the reason it is accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// A glob over `family/name` (`*` and `?`).
    pub case: String,
    /// A glob over the policy name; default `*`.
    #[serde(default = "star")]
    pub policy: String,
    /// The finding it explains: `unsafe`, `strict`, `reason`, `unsupported`, or `broken` for a
    /// library that panics on a token in process (a robustness bug of the library, recorded with
    /// its reason; a broken adapter or harness is never a deviation).
    pub finding: String,
    /// Why it is accepted: a documented default, a known CVE class, a missing feature.
    pub reason: String,
}

fn star() -> String {
    "*".into()
}

/// A backend file: `fixtures/backends/NAME.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendFile {
    /// Free text about the backend.
    #[serde(default)]
    pub about: String,
    /// For external backends: the command line.
    #[serde(default)]
    pub command: Vec<String>,
    /// For external backends: `request` or `system`.
    pub clock: Option<String>,
    /// For external backends: the library and version, for reports.
    pub version: Option<String>,
    /// Known deviations.
    #[serde(default, rename = "deviation")]
    pub deviations: Vec<Deviation>,
}

impl BackendFile {
    /// Reads `fixtures/backends/NAME.toml` under `root`; a missing file is an empty one.
    pub fn load(root: &Path, name: &str) -> Result<BackendFile> {
        let path = root.join("fixtures/backends").join(format!("{name}.toml"));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BackendFile::default()),
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let file: BackendFile = toml::from_str(&text)
            .map_err(|e| Error::Config(format!("{}: {}", path.display(), e.message().trim())))?;
        for d in &file.deviations {
            if !["unsafe", "strict", "reason", "unsupported", "broken"]
                .contains(&d.finding.as_str())
            {
                return Err(Error::Config(format!(
                    "{}: deviation {:?} has unknown finding {:?}",
                    path.display(),
                    d.case,
                    d.finding
                )));
            }
            if d.reason.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{}: deviation {:?} needs a reason",
                    path.display(),
                    d.case
                )));
            }
        }
        Ok(file)
    }
}

/// Matches `*` (any run) and `?` (one character) globs.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star_p, mut star_t) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star_p = Some(pi);
            star_t = ti;
            pi += 1;
        } else if let Some(sp) = star_p {
            pi = sp + 1;
            star_t += 1;
            ti = star_t;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
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
    }

    #[test]
    fn fail_on_levels() {
        let f = FailOn::parse("high").unwrap();
        assert!(f.fails(Finding::Unsafe, Severity::Critical));
        assert!(!f.fails(Finding::Unsafe, Severity::Medium));
        assert!(f.fails(Finding::Broken, Severity::Low));
        assert!(!f.fails(Finding::Strict, Severity::Low));
        assert!(FailOn::Strict.fails(Finding::Strict, Severity::Low));
        assert!(!FailOn::Never.fails(Finding::Broken, Severity::Low));
        assert!(FailOn::parse("bogus").is_none());
    }

    #[test]
    fn globs() {
        assert!(glob("time/*", "time/exp-past"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("time/*", "claims/iss"));
        assert!(glob("*/exp-*-string", "time/exp-type-string"));
    }
}
