//! The diagnosis under construction: the tagged checklist lines (`ok`, `FAIL`, `warn`, `note`),
//! the findings behind the `FAIL` lines, and the first failing building block of the oracle.

use super::text::cut;
use crate::cases::Reason;
use crate::policy::Policy;

/// The word a checklist line starts with.
#[derive(Debug, Clone, Copy)]
enum Tag {
    Ok,
    Fail,
    Warn,
    Note,
}

impl Tag {
    fn word(self) -> &'static str {
        match self {
            Tag::Ok => "ok",
            Tag::Fail => "FAIL",
            Tag::Warn => "warn",
            Tag::Note => "note",
        }
    }
}

/// A problem found: why (in the reason vocabulary), in one line, what to change.
#[derive(Debug, Clone)]
pub(super) struct Finding {
    pub(super) reason: Reason,
    pub(super) summary: String,
    pub(super) fix: Option<String>,
    pub(super) attack: bool,
}

/// The first failing building block, as the oracle would see it.
#[derive(Debug, Clone)]
pub(super) struct Cause {
    pub(super) reason: Reason,
    pub(super) detail: String,
    pub(super) finding: Option<usize>,
}

/// The checklist so far: the policy and clock it runs against, its lines and findings, and the
/// cause once one of the oracle's building blocks fails.
pub(super) struct Diag<'p> {
    pub(super) policy: &'p Policy,
    pub(super) now: u64,
    pub(super) lines: Vec<String>,
    pub(super) findings: Vec<Finding>,
    pub(super) cause: Option<Cause>,
}

impl<'p> Diag<'p> {
    fn line(&mut self, tag: Tag, step: &str, text: impl AsRef<str>) {
        self.lines
            .push(format!("{:<4} {step}: {}", tag.word(), text.as_ref()));
    }
    pub(super) fn ok(&mut self, step: &str, text: impl AsRef<str>) {
        self.line(Tag::Ok, step, text);
    }
    pub(super) fn warn(&mut self, step: &str, text: impl AsRef<str>) {
        self.line(Tag::Warn, step, text);
    }
    pub(super) fn note(&mut self, step: &str, text: impl AsRef<str>) {
        self.line(Tag::Note, step, text);
    }

    pub(super) fn fail(
        &mut self,
        step: &str,
        reason: Reason,
        text: impl AsRef<str>,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push_finding(step, reason, text, summary, fix, false);
    }

    pub(super) fn attack(
        &mut self,
        step: &str,
        reason: Reason,
        text: impl AsRef<str>,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push_finding(step, reason, text, summary, fix, true);
    }

    fn push_finding(
        &mut self,
        step: &str,
        reason: Reason,
        text: impl AsRef<str>,
        summary: impl Into<String>,
        fix: impl Into<String>,
        attack: bool,
    ) {
        self.line(Tag::Fail, step, text);
        let fix = fix.into();
        self.findings.push(Finding {
            reason,
            summary: summary.into(),
            fix: (!fix.is_empty()).then_some(fix),
            attack,
        });
    }

    /// Records the result of one of the oracle's building blocks. The first error is the cause;
    /// it is explained by the first finding since `since` with the same reason.
    pub(super) fn settle<T>(
        &mut self,
        since: usize,
        result: Result<T, (Reason, String)>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err((reason, detail)) => {
                if self.cause.is_none() {
                    let mut finding = self
                        .findings
                        .iter()
                        .enumerate()
                        .skip(since)
                        .find(|(_, f)| f.reason == reason)
                        .map(|(i, _)| i);
                    if finding.is_none() {
                        self.fail("check", reason, cut(&detail), cut(&detail), "");
                        finding = Some(self.findings.len() - 1);
                    }
                    self.cause = Some(Cause {
                        reason,
                        detail,
                        finding,
                    });
                }
                None
            }
        }
    }
}
