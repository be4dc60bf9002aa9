//! Reports: the judged results of a run, and their renderings (text matrix, JSON).

mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

#[cfg(test)]
mod tests;

pub use json::{instances_json, to_json};
pub use junit::{to_junit, xml_escape};
pub use markdown::to_markdown;
pub use sarif::to_sarif;
pub use text::{one_line, snapshot, terminal_width, to_text, to_text_width};

use crate::backend::{BackendInfo, Outcome};
use crate::cases::{Attacker, Expect, Reason, Severity};
use crate::forge::{ForgeError, Instance};
use crate::judge::{FailOn, Finding};

/// One backend × case instance.
#[derive(Debug, Clone)]
pub struct ResultRow {
    /// Backend name.
    pub backend: String,
    /// Policy name (with a `~variant` suffix for key-set variants).
    pub policy: String,
    /// `family/name`.
    pub case: String,
    /// Family.
    pub family: String,
    /// The case's one-sentence description.
    pub description: String,
    /// Expected verdict.
    pub expect: Expect,
    /// Expected reason.
    pub expect_reason: Option<Reason>,
    /// What the backend did.
    pub outcome: Outcome,
    /// The classification.
    pub finding: Finding,
    /// Who can make the token (the case's class; `holder` for tokens any valid-token holder has).
    pub attacker: Attacker,
    /// The severity: of the case for an unsafe accept, of a denial of service by `attacker`
    /// for a crash.
    pub severity: Severity,
    /// The backend file's reason when this finding is a known deviation.
    pub known: Option<String>,
    /// The token's fingerprint (never the token).
    pub token_id: String,
    /// What the harness observed besides the verdict (an accepted request that forwarded
    /// another identity, a URL the target fetched); shown as the detail of an accept.
    pub note: Option<String>,
}

impl ResultRow {
    /// Builds a row from an instance and its outcome.
    pub fn new(
        backend: &str,
        inst: &Instance,
        outcome: Outcome,
        finding: Finding,
        known: Option<String>,
    ) -> ResultRow {
        ResultRow {
            backend: backend.to_string(),
            policy: inst.policy.name.clone(),
            case: inst.case.id.clone(),
            family: inst.case.family.clone(),
            description: inst.case.description.clone(),
            expect: inst.expect(),
            expect_reason: inst.reason(),
            severity: match finding {
                Finding::Crash => crate::cases::severity(inst.case.attacker_or_holder(), None),
                _ => inst.severity(),
            },
            attacker: inst.case.attacker_or_holder(),
            outcome,
            finding,
            known,
            token_id: crate::jose::fingerprint(inst.token.as_bytes()),
            note: None,
        }
    }

    /// The row with a note ([`ResultRow::note`]).
    pub fn with_note(mut self, note: Option<String>) -> ResultRow {
        self.note = note;
        self
    }

    /// `case@policy`.
    pub fn instance_id(&self) -> String {
        format!("{}@{}", self.case, self.policy)
    }

    /// The outcome's reason, if any.
    pub fn reason(&self) -> Option<Reason> {
        match &self.outcome {
            Outcome::Reject { reason, .. } => *reason,
            _ => None,
        }
    }

    /// The outcome's detail text.
    pub fn detail(&self) -> &str {
        match &self.outcome {
            Outcome::Accept => self.note.as_deref().unwrap_or(""),
            Outcome::Reject { detail, .. } => detail,
            Outcome::Unsupported(d) | Outcome::Crash(d) | Outcome::Broken(d) => d,
        }
    }
}

/// A known deviation that no longer matches anything in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleDeviation {
    /// Backend.
    pub backend: String,
    /// The case glob.
    pub case: String,
    /// The policy glob.
    pub policy: String,
    /// The finding it expected.
    pub finding: String,
}

/// Counts by finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Distinct cases (`family/name`) in the run.
    pub cases: usize,
    /// Result rows.
    pub results: usize,
    /// Passing rows (including reason notes).
    pub pass: usize,
    /// Reason notes among the passes.
    pub reason: usize,
    /// Unsafe accepts.
    pub unsafe_: usize,
    /// Strict rejects.
    pub strict: usize,
    /// Unsupported.
    pub unsupported: usize,
    /// Accepts only a check the library does not offer would have rejected.
    pub unchecked: usize,
    /// Library crashes.
    pub crash: usize,
    /// Broken (our adapter or the harness).
    pub broken: usize,
    /// Skipped.
    pub skipped: usize,
    /// Findings explained by a backend file.
    pub known: usize,
    /// Unexplained unsafe accepts per attacker class, in [`Attacker::ALL`] order.
    pub unsafe_by_attacker: [usize; 3],
    /// Unsafe accepts per attacker class, known deviations included.
    pub unsafe_by_attacker_all: [usize; 3],
}

impl Summary {
    /// `anyone N, holder N, issuer N` of the unexplained unsafe accepts (then, in brackets, the
    /// totals with known deviations, where they differ).
    pub fn by_attacker(&self) -> String {
        Attacker::ALL
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (new, all) = (self.unsafe_by_attacker[i], self.unsafe_by_attacker_all[i]);
                if new == all {
                    format!("{} {new}", a.name())
                } else {
                    format!("{} {new} ({all} with known)", a.name())
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The judged results of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The request clock.
    pub now: u64,
    /// The seed.
    pub seed: u64,
    /// Backends, in run order.
    pub backends: Vec<BackendInfo>,
    /// Who selects the key, by backend name, as its backend file declares (absent: undeclared).
    pub key_selection: std::collections::BTreeMap<String, crate::deviations::KeySelection>,
    /// Results, backend by backend, in catalog × policy order.
    pub results: Vec<ResultRow>,
    /// Cases that could not be forged.
    pub forge_errors: Vec<ForgeError>,
    /// Known deviations that matched nothing.
    pub stale: Vec<StaleDeviation>,
    /// Distinct cases.
    pub distinct_cases: usize,
    /// Tokens forged (per clock).
    pub tokens: usize,
    /// Seconds spent forging.
    pub forge_seconds: f64,
    /// Seconds for the whole run.
    pub total_seconds: f64,
}

impl Report {
    /// An empty report.
    pub fn new(now: u64, seed: u64, backends: Vec<BackendInfo>) -> Report {
        Report {
            now,
            seed,
            key_selection: Default::default(),
            backends,
            results: Vec::new(),
            forge_errors: Vec::new(),
            stale: Vec::new(),
            distinct_cases: 0,
            tokens: 0,
            forge_seconds: 0.0,
            total_seconds: 0.0,
        }
    }

    /// Counts the results.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            cases: self.distinct_cases,
            results: self.results.len(),
            ..Summary::default()
        };
        for r in &self.results {
            match r.finding {
                Finding::Pass => s.pass += 1,
                Finding::Reason => {
                    s.pass += 1;
                    s.reason += 1
                }
                Finding::Unsafe => s.unsafe_ += 1,
                Finding::Strict => s.strict += 1,
                Finding::Unsupported => s.unsupported += 1,
                Finding::Unchecked => s.unchecked += 1,
                Finding::Crash => s.crash += 1,
                Finding::Broken => s.broken += 1,
                Finding::Skipped => s.skipped += 1,
            }
            if r.known.is_some() && !r.finding.is_pass() {
                s.known += 1;
            }
            if r.finding == Finding::Unsafe {
                let i = Attacker::ALL
                    .iter()
                    .position(|a| *a == r.attacker)
                    .unwrap_or(0);
                s.unsafe_by_attacker_all[i] += 1;
                if r.known.is_none() {
                    s.unsafe_by_attacker[i] += 1;
                }
            }
        }
        s
    }

    /// The rows that fail the run under `fail_on` (known deviations never do).
    pub fn failures(&self, fail_on: FailOn) -> Vec<&ResultRow> {
        self.results
            .iter()
            .filter(|r| r.known.is_none() && fail_on.fails(r.finding, r.severity, r.attacker))
            .collect()
    }

    /// The exit code: 0 clean, 1 findings at or above `fail_on`.
    pub fn exit_code(&self, fail_on: FailOn) -> i32 {
        if self.failures(fail_on).is_empty() {
            0
        } else {
            1
        }
    }

    /// Panics with the list of unsafe findings, if any (for `cargo test` users). A run in which
    /// no case reached the validator (no result, or every one skipped, unsupported or broken)
    /// proves nothing and panics too.
    pub fn assert_no_unsafe(&self) {
        let ran = self
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    Outcome::Accept | Outcome::Reject { .. } | Outcome::Crash(_)
                )
            })
            .count();
        assert!(
            ran > 0,
            "no case reached a validator ({} results, all skipped, unsupported or broken): an empty run proves nothing",
            self.results.len()
        );
        let bad: Vec<String> = self
            .results
            .iter()
            .filter(|r| r.finding == Finding::Unsafe && r.known.is_none())
            .map(|r| {
                format!(
                    "{} ({}) {} {}",
                    r.severity.name(),
                    r.attacker.name(),
                    r.backend,
                    r.instance_id()
                )
            })
            .collect();
        assert!(bad.is_empty(), "unsafe accepts:\n{}", bad.join("\n"));
    }

    /// The per-backend × policy verdict table used by snapshots (all backends and policies).
    pub fn table(&self) -> String {
        let mut out = String::new();
        for b in &self.backends {
            out.push_str(&snapshot(self, &b.name, None));
        }
        out
    }

    /// The distinct policy names, in result order.
    pub fn policies(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for r in &self.results {
            let base = r.policy.split('~').next().unwrap_or(&r.policy).to_string();
            if !seen.contains(&base) {
                seen.push(base);
            }
        }
        seen
    }
}
