//! Backend files (`fixtures/backends/NAME.toml`): how an external backend is started, and the known
//! deviations of a library, each with the reason it is accepted. The one place that matches a
//! result against them, used by the runner, the judge's callers and `cargo xtask matrix`.

use crate::cases::ClaimCheck;
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// The findings a deviation may explain.
pub const DEVIATION_FINDINGS: [&str; 5] = ["unsafe", "crash", "strict", "reason", "unsupported"];

/// A known, accepted deviation of a backend, with the reason it is accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// A glob over `family/name` (`*` and `?`).
    pub case: String,
    /// A glob over the policy name; default `*`.
    #[serde(default = "star")]
    pub policy: String,
    /// The finding it explains: `unsafe`, `crash` (the library panicked, crashed or hung on the
    /// token), `strict`, `reason` or `unsupported`. Never `broken`: a broken adapter or harness is
    /// ours to fix, not a property of the library.
    pub finding: String,
    /// Why it is accepted: a documented default, a known CVE class, a missing feature.
    pub reason: String,
    /// Set on a defect of the library that no advisory documents (it goes to
    /// `docs/FINDINGS.md`): `not reported`, `reported on YYYY-MM-DD` (optionally followed by
    /// where), or `fixed in VERSION`.
    #[serde(default)]
    pub status: Option<String>,
    /// With `status`: one line for the findings register. For a finding anyone can trigger that
    /// is not reported yet, it says what goes wrong without a ready-made exploit.
    #[serde(default)]
    pub summary: Option<String>,
    /// What the deviation exercises, for `jwt-harness fuzz`: globs over the fuzzer's labels
    /// (`crit-present`, `iat-*`). A fuzzed token whose minimized mutations carry a label matching
    /// each of them is explained by this deviation too. Catalog runs match `case` only.
    #[serde(default)]
    pub exercises: Vec<String>,
    /// For a `crash` deviation, for `jwt-harness fuzz`: a glob over where the library panicked,
    /// as the crash's outcome names it (`*openssl-*/src/memcmp.rs:66*`). A fuzzed crash there is
    /// explained by this deviation whatever mutations led to it: the panic site is the cause.
    #[serde(default)]
    pub panics_at: Option<String>,
}

/// Whether a deviation's `status` has one of its three forms.
pub fn valid_status(status: &str) -> bool {
    if status == "not reported" {
        return true;
    }
    if let Some(rest) = status.strip_prefix("reported on ") {
        let date = rest.get(..10).unwrap_or("");
        let b = date.as_bytes();
        return date.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    }
    status
        .strip_prefix("fixed in ")
        .is_some_and(|v| !v.trim().is_empty())
}

impl Deviation {
    /// Whether this deviation covers a result: its case and policy globs match and the finding is
    /// the one it explains.
    pub fn covers(&self, case: &str, policy: &str, finding: &str) -> bool {
        self.finding == finding && glob(&self.case, case) && glob(&self.policy, policy)
    }
}

fn star() -> String {
    "*".into()
}

/// A claim check the library offers no API for, in its own documentation's words: what only this
/// check would reject is `unchecked` for the library ("it leaves this to you"), not `unsafe`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unchecked {
    /// The check: `iss`, `aud`, `sub`, `nbf`, `iat`, `typ` or `jti`.
    pub claim: ClaimCheck,
    /// A quote from the library's documentation that shows it does not offer the check.
    pub doc: String,
    /// Where the quote is (a docs.rs page, or a file and line of the library's source).
    pub source: String,
}

/// Who picks the verifying key out of the policy's JWK Set for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySelection {
    /// The library's own key-set resolver gets the whole JWK Set (PyJWKSet, jose's
    /// `createLocalJWKSet`, jwtk's `JwkSetVerifier`, …): the key-selection cases test the library.
    Library,
    /// The library verifies with one key it is handed; the adapter picks it by `kid` (or tries
    /// each key of a fitting type): the key-selection cases test that glue, as an integrator's
    /// own would be tested.
    Adapter,
}

impl KeySelection {
    /// `library` or `adapter`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySelection::Library => "library",
            KeySelection::Adapter => "adapter",
        }
    }
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
    /// Claim checks the library does not offer.
    #[serde(default)]
    pub unchecked: Vec<Unchecked>,
    /// Why the library offers no leeway on exp and nbf (its source or documentation): cases whose
    /// expectation relies on the policy's leeway are `unsupported` for it, as RFC 7519 §4.1.4
    /// makes leeway optional.
    pub no_leeway: Option<String>,
    /// Who selects the key: the library's own JWK Set resolver, or the adapter for a library that
    /// has none. Required in every backend file that names a library.
    pub key_selection: Option<KeySelection>,
    /// The resolver used (`library`), or why the library has none (`adapter`), with where its
    /// documentation or source says so.
    pub key_selection_note: Option<String>,
    /// The release this file pins when it is another version of a library the matrix shows
    /// (`pyjwt@2.11.0` pins `2.11.0`), installed beside the matrix's one under `target/`.
    pub release: Option<String>,
    /// How the adapter configures the library: `recommended` (as its documentation recommends
    /// today; the default) or `advisory` (the configuration an advisory describes).
    pub profile: Option<Profile>,
    /// Whether `--backend all` and the conformance snapshots include it (default: yes). The
    /// pinned releases `fixtures/cve/` names say no: they are run by `cargo xtask cve`.
    pub in_matrix: Option<bool>,
    /// An HTTP target instead of a `command`: its URL, with `{port}` for the port the harness
    /// picks (`http://127.0.0.1:{port}/`).
    pub target: Option<String>,
    /// The command that starts the target (run to completion; `{port}`, `{jwks_port}`,
    /// `{upstream_port}` filled in), from the project root.
    #[serde(default)]
    pub start: Vec<String>,
    /// The command that stops it.
    #[serde(default)]
    pub stop: Vec<String>,
    /// The policies the target's configuration enforces (its cases run under these only).
    #[serde(default)]
    pub policies: Vec<String>,
    /// The target's HTTP method (default GET).
    pub method: Option<String>,
    /// The statuses that mean accepted (default `200-299`).
    pub accept_status: Option<String>,
    /// The statuses that mean rejected (default `401,403`).
    pub reject_status: Option<String>,
    /// Why the target cannot take part in the rotation scenarios (`run --rotation`), if so.
    pub no_rotation: Option<String>,
    /// For external backends whose adapter cannot hand over the claims the library returned
    /// (the library has no claims API, or the adapter decodes the payload itself): why. The
    /// `claims` of its accepts are then not compared with the token's ([`crate::identity`]).
    pub claims_by_adapter: Option<String>,
    /// HTTP targets: where the upstream receives the caller's identity (`payload:HEADER` or
    /// `sub:HEADER`, [`crate::identity::Identity`]), checked on every accepted request.
    pub identity: Option<String>,
    /// HTTP targets: the key-cache lifetime the target's configuration cannot go below, when it
    /// exceeds the policy's `max_key_refresh_s`: the bound its rotation scenarios are held to.
    pub key_refresh_s: Option<u64>,
    /// Rotation phases the target is known to miss, each with its reason.
    #[serde(default, rename = "rotation_deviation")]
    pub rotation_deviations: Vec<RotationDeviation>,
}

/// A rotation phase a target is known to miss (`[[rotation_deviation]]`).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotationDeviation {
    /// The phase's name, as `run --rotation` prints it (`key service down (HTTP 500)`).
    pub phase: String,
    /// Why: the cause, with its source.
    pub reason: String,
}

/// How an adapter configures its library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// As the library's documentation recommends today: what the matrix shows.
    Recommended,
    /// As a published advisory describes the vulnerable setup (an algorithm list left unset,
    /// a key handed over as PEM text, a key lookup that may return nothing).
    Advisory,
}

impl Profile {
    /// `recommended` or `advisory`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Recommended => "recommended",
            Profile::Advisory => "advisory",
        }
    }
}

impl BackendFile {
    /// Reads `fixtures/backends/NAME.toml` under `root`; a missing file is an empty one.
    pub fn load(root: &Path, name: &str) -> Result<BackendFile> {
        let path = root.join("fixtures/backends").join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => BackendFile::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BackendFile::default()),
            Err(e) => Err(Error::Config(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Parses a backend file's text; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<BackendFile> {
        let file: BackendFile = toml::from_str(text)
            .map_err(|e| Error::Config(format!("{origin}: {}", e.message().trim())))?;
        for d in &file.deviations {
            if !DEVIATION_FINDINGS.contains(&d.finding.as_str()) {
                return Err(Error::Config(format!(
                    "{origin}: deviation {:?} has unknown finding {:?}",
                    d.case, d.finding
                )));
            }
            if d.reason.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{origin}: deviation {:?} needs a reason",
                    d.case
                )));
            }
            match (&d.status, &d.summary) {
                (Some(st), Some(sum)) if valid_status(st) && !sum.trim().is_empty() => {}
                (Some(st), _) if !valid_status(st) => {
                    return Err(Error::Config(format!(
                        "{origin}: deviation {:?} has status {st:?}: use \"not reported\", \"reported on YYYY-MM-DD\" or \"fixed in VERSION\"",
                        d.case
                    )));
                }
                (None, None) => {}
                _ => {
                    return Err(Error::Config(format!(
                        "{origin}: deviation {:?}: status and summary go together (a defect for docs/FINDINGS.md)",
                        d.case
                    )));
                }
            }
        }
        if file.key_selection.is_some()
            != file
                .key_selection_note
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
        {
            return Err(Error::Config(format!(
                "{origin}: key_selection and key_selection_note go together: the resolver used, or why the library has none"
            )));
        }
        for u in &file.unchecked {
            if u.doc.trim().is_empty() || u.source.trim().is_empty() {
                return Err(Error::Config(format!(
                    "{origin}: unchecked {} needs the documentation's words (doc) and where they are (source)",
                    u.claim
                )));
            }
        }
        Ok(file)
    }

    /// Whether the library leaves every one of these checks to the integrator (and there is at
    /// least one): a token only they would reject is then `unchecked`.
    pub fn leaves_unchecked(&self, checks: &[ClaimCheck]) -> bool {
        !checks.is_empty()
            && checks
                .iter()
                .all(|c| self.unchecked.iter().any(|u| u.claim == *c))
    }

    /// The first deviation that explains a finding of `jwt-harness fuzz`: it explains this
    /// finding under a policy its glob matches, and either each of its `exercises` patterns
    /// matches one of the fuzzed token's labels, or its `panics_at` glob matches the crash's
    /// `outcome` text, or its `case` glob matches one of `nearest`, the catalog cases whose
    /// recipe is exactly the token's minimized mutation list.
    pub fn known_fuzzed(
        &self,
        nearest: &[String],
        labels: &[String],
        policy: &str,
        finding: &str,
        outcome: &str,
    ) -> Option<&Deviation> {
        self.deviations.iter().find(|d| {
            let panicked_there =
                finding == "crash" && d.panics_at.as_deref().is_some_and(|p| glob(p, outcome));
            // Each pattern (`exp-null|nbf-null`: any of its alternatives) matches a label.
            let exercised = !d.exercises.is_empty()
                && d.exercises.iter().all(|p| {
                    p.split('|')
                        .any(|alt| labels.iter().any(|l| glob(alt.trim(), l)))
                });
            d.finding == finding
                && glob(&d.policy, policy)
                && (exercised || panicked_there || nearest.iter().any(|c| glob(&d.case, c)))
        })
    }

    /// The first deviation that covers a result (see [`Deviation::covers`]).
    pub fn known(&self, case: &str, policy: &str, finding: &str) -> Option<&Deviation> {
        self.deviations
            .iter()
            .find(|d| d.covers(case, policy, finding))
    }

    /// The deviations that no longer occur: some results fall under their case and policy
    /// globs, and none of those has the finding they explain. `results` are
    /// `(case, policy, finding)`; a deviation none of whose cases ran is not judged.
    pub fn stale<'a>(&'a self, results: &[(&str, &str, &str)]) -> Vec<&'a Deviation> {
        self.deviations
            .iter()
            .filter(|d| {
                let mut ran = results
                    .iter()
                    .filter(|(c, p, _)| glob(&d.case, c) && glob(&d.policy, p))
                    .peekable();
                ran.peek().is_some() && !ran.any(|(_, _, f)| *f == d.finding)
            })
            .collect()
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

    fn deviation(case: &str, finding: &str) -> Deviation {
        Deviation {
            case: case.into(),
            policy: "*".into(),
            finding: finding.into(),
            reason: "because".into(),
            status: None,
            summary: None,
            exercises: Vec::new(),
            panics_at: None,
        }
    }

    #[test]
    fn a_registered_defect_has_a_status_and_a_summary() {
        let dev = |extra: &str| {
            format!("[[deviation]]\ncase = \"a/b\"\nfinding = \"unsafe\"\nreason = \"r\"\n{extra}")
        };
        for ok in [
            "",
            "status = \"not reported\"\nsummary = \"s\"\n",
            "status = \"reported on 2026-12-02 (https://example.invalid/1)\"\nsummary = \"s\"\n",
            "status = \"fixed in 1.2.3\"\nsummary = \"s\"\n",
        ] {
            BackendFile::parse("t", &dev(ok)).unwrap();
        }
        for bad in [
            "status = \"not reported\"\n",
            "summary = \"s\"\n",
            "status = \"reported\"\nsummary = \"s\"\n",
            "status = \"reported on 2026-1-2\"\nsummary = \"s\"\n",
            "status = \"fixed in \"\nsummary = \"s\"\n",
            "status = \"not reported\"\nsummary = \" \"\n",
        ] {
            let e = BackendFile::parse("t", &dev(bad)).unwrap_err().to_string();
            assert!(e.contains("status"), "{bad}: {e}");
        }
    }

    #[test]
    fn key_selection_needs_its_note() {
        let ok = BackendFile::parse(
            "t",
            "key_selection = \"library\"\nkey_selection_note = \"JwkSet::find\"\n",
        )
        .unwrap();
        assert_eq!(ok.key_selection, Some(KeySelection::Library));
        for bad in [
            "key_selection = \"library\"\n",
            "key_selection_note = \"x\"\n",
            "key_selection = \"adapter\"\nkey_selection_note = \" \"\n",
        ] {
            let e = BackendFile::parse("t", bad).unwrap_err().to_string();
            assert!(e.contains("key_selection"), "{e}");
        }
        let e = BackendFile::parse(
            "t",
            "key_selection = \"mine\"\nkey_selection_note = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown variant"), "{e}");
    }

    #[test]
    fn fuzzed_findings_match_by_what_they_exercise() {
        let text = "[[deviation]]\ncase = \"time/iat-*\"\nfinding = \"unsafe\"\nreason = \"r\"\nexercises = [\"iat-*\"]\n";
        let file = BackendFile::parse("f", text).unwrap();
        let labels = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(file
            .known_fuzzed(&[], &labels(&["iat-bool"]), "hs256", "unsafe", "accepted")
            .is_some());
        assert!(file
            .known_fuzzed(&[], &labels(&["exp-bool"]), "hs256", "unsafe", "accepted")
            .is_none());
        assert!(file
            .known_fuzzed(&[], &labels(&["iat-bool"]), "hs256", "crash", "crashed")
            .is_none());
        // Without exercises, only a catalog case with exactly the same recipe matches.
        let bare = BackendFile::parse("f", &text.replace("exercises = [\"iat-*\"]\n", "")).unwrap();
        assert!(bare
            .known_fuzzed(&[], &labels(&["iat-bool"]), "p", "unsafe", "accepted")
            .is_none());
        assert!(bare
            .known_fuzzed(&["time/iat-string".into()], &[], "p", "unsafe", "accepted")
            .is_some());
        // A catalog run still matches by case only.
        assert!(file.known("time/iat-string", "p", "unsafe").is_some());
        // Alternatives, and a crash explained by where the library panicked.
        let text = "[[deviation]]\ncase = \"x/*\"\nfinding = \"crash\"\nreason = \"r\"\nexercises = [\"exp-huge|nbf-huge\"]\npanics_at = \"*src/memcmp.rs:66*\"\n";
        let file = BackendFile::parse("f", text).unwrap();
        let crash = |l: &[&str], at: &str| file.known_fuzzed(&[], &labels(l), "p", "crash", at);
        assert!(crash(&["nbf-huge"], "crashed: elsewhere").is_some());
        assert!(crash(
            &["sig-bytes"],
            "crashed: panicked (openssl-0.10.82/src/memcmp.rs:66): a"
        )
        .is_some());
        assert!(crash(&["sig-bytes"], "crashed: panicked (src/lib.rs:9)").is_none());
    }

    #[test]
    fn globs() {
        assert!(glob("time/*", "time/exp-past"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(!glob("time/*", "claims/iss"));
        assert!(glob("*/exp-*-string", "time/exp-type-string"));
    }

    #[test]
    fn deviations_that_no_longer_occur_are_stale() {
        let file = BackendFile {
            deviations: vec![
                deviation("time/iat-*", "unsafe"),
                deviation("time/exp-*", "unsafe"),
                deviation("claims/*", "unsafe"),
            ],
            ..BackendFile::default()
        };
        let results = [
            ("time/iat-string", "p", "unsafe"),
            ("time/exp-string", "p", "pass"),
        ];
        let stale = file.stale(&results);
        // iat still occurs; exp ran and passed: stale; claims did not run at all: not judged.
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].case, "time/exp-*");
        assert!(file.known("time/iat-x", "p", "unsafe").is_some());
        assert!(file.known("time/iat-x", "p", "strict").is_none());
    }

    #[test]
    fn unchecked_claims_need_every_check_declared_and_a_quote() {
        let text = "[[unchecked]]\nclaim = \"iss\"\ndoc = \"verifies signatures only\"\nsource = \"src/lib.rs:1\"\n";
        let file = BackendFile::parse("f", text).unwrap();
        assert!(file.leaves_unchecked(&[ClaimCheck::Iss]));
        assert!(!file.leaves_unchecked(&[ClaimCheck::Iss, ClaimCheck::Aud]));
        assert!(!file.leaves_unchecked(&[]));
        assert!(BackendFile::parse("f", &text.replace("verifies signatures only", " ")).is_err());
        assert!(BackendFile::parse("f", &text.replace("\"iss\"", "\"exp\"")).is_err());
    }

    #[test]
    fn a_deviation_needs_a_known_finding_and_a_reason() {
        let bad = "[[deviation]]\ncase = \"x/*\"\nfinding = \"unsave\"\nreason = \"r\"\n";
        assert!(BackendFile::parse("f", bad).is_err());
        let empty = "[[deviation]]\ncase = \"x/*\"\nfinding = \"unsafe\"\nreason = \" \"\n";
        assert!(BackendFile::parse("f", empty).is_err());
    }
}
