//! HTTP status sets (`200-299`, `401,403`) and the reading of an HTTP target's answer: what it
//! means, and what of it a report may show.

use crate::cases::Reason;

/// A set of HTTP status codes: ranges and single codes (`200-299`, `401,403`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(pub(super) Vec<(u16, u16)>);

impl StatusSet {
    /// Parses `200-299`, `401,403` or a mix.
    pub fn parse(text: &str) -> Result<StatusSet, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            let code = |s: &str| -> Result<u16, String> {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or_else(|| format!("{part:?} is not an HTTP status or range"))
            };
            let (lo, hi) = (code(lo)?, code(hi)?);
            if lo > hi {
                return Err(format!("{part:?}: empty range"));
            }
            out.push((lo, hi));
        }
        if out.is_empty() {
            return Err("no status given".into());
        }
        Ok(StatusSet(out))
    }

    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&status))
    }

    /// Whether the two sets share a status.
    pub fn overlaps(&self, other: &StatusSet) -> bool {
        (100..=599).any(|s| self.contains(s) && other.contains(s))
    }
}

impl std::fmt::Display for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|&(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// The error and its sources, one line.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The first 200 characters of a body, on one line.
pub(super) fn excerpt(body: &str) -> String {
    let one: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    one.chars().take(200).collect()
}

/// Cuts the token (and its signature, the part that proves possession) out of a text.
pub(super) fn redact(text: &str, token: &str) -> String {
    let mut out = text.to_string();
    if token.len() >= 16 {
        out = out.replace(token, "<token>");
    }
    if let Some(sig) = token.rsplit('.').next().filter(|s| s.len() >= 16) {
        out = out.replace(sig, "<signature>");
    }
    out
}

/// The reason a `WWW-Authenticate` challenge suggests (RFC 6750 §3: `error_description` is
/// free text); `None` when nothing in it is recognisable. Diagnostics only: a target's reason
/// never decides whether a verdict is safe.
pub(super) fn guess_reason(challenge: &str) -> Option<Reason> {
    let c = challenge.to_ascii_lowercase();
    let table: [(&str, Reason); 10] = [
        ("expired", Reason::Expired),
        ("not yet valid", Reason::NotYetValid),
        ("nbf", Reason::NotYetValid),
        ("audience", Reason::Audience),
        ("issuer", Reason::Issuer),
        ("signature", Reason::Signature),
        ("algorithm", Reason::Algorithm),
        ("kid", Reason::Key),
        ("malformed", Reason::Malformed),
        ("missing", Reason::MissingClaim),
    ];
    table
        .iter()
        .find(|(word, _)| c.contains(word))
        .map(|&(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets_parse_ranges_and_codes() {
        let s = StatusSet::parse("200-299, 304").unwrap();
        assert!(s.contains(200) && s.contains(299) && s.contains(304));
        assert!(!s.contains(300) && !s.contains(401));
        assert_eq!(s.to_string(), "200-299,304");
        assert!(StatusSet::parse("").is_err());
        assert!(StatusSet::parse("299-200").is_err());
        assert!(StatusSet::parse("abc").is_err());
        assert!(StatusSet::parse("700").is_err());
        assert!(s.overlaps(&StatusSet::parse("250").unwrap()));
        assert!(!s.overlaps(&StatusSet::parse("401,403").unwrap()));
    }
}
