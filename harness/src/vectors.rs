//! Wycheproof's JSON Web Signature vectors (C2SP/wycheproof
//! `testvectors_v1/json_web_signature_test.json`), judged at the signature layer.
//!
//! Their payloads are arbitrary bytes, not JWT claims, so they run through the JWS mode of the
//! oracle ([`crate::oracle::validate_jws`]) and of the in-process backends that expose JWS
//! verification ([`crate::backend::Backend::verify_jws`]); no other backend gets them, so none
//! validates a bare JWS as if it were a JWT. Each test group's key becomes a one-key policy
//! whose allowlist is the key's `alg` (or, for a key without one, every algorithm its type fits).
//!
//! Where a backend's verdict differs from a vector's, the explanation file beside the vectors
//! (`NAME.toml` for `NAME.json`) must say why, entry by entry (`[[explained]]`, like a backend
//! file's deviations): a vector file can be wrong too, and each disagreement is checked against
//! the RFCs byte by byte before it is written down.

use crate::backend::{Backend, Outcome};
use crate::error::{Error, Result};
use crate::jose::alg::ALL_ALGS;
use crate::jose::{Alg, Jwk};
use crate::judge::Finding;
use crate::policy::Policy;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One vector: a JWS, the key group it belongs to, and whether it is valid.
#[derive(Debug, Clone)]
pub struct Vector {
    /// Wycheproof's test-case id.
    pub tc_id: u64,
    /// Its comment (what was changed).
    pub comment: String,
    /// The index of its group's policy in [`VectorSet::policies`].
    pub group: usize,
    /// The JWS, as the file gives it.
    pub jws: String,
    /// `valid` in the file: a verifier must accept it.
    pub valid: bool,
}

/// A vector file with one policy per test group.
#[derive(Debug, Clone)]
pub struct VectorSet {
    /// The file stem (`json_web_signature_test`).
    pub name: String,
    /// One policy per test group, named after the group's comment and index.
    pub policies: Vec<Policy>,
    /// Every test of every group.
    pub vectors: Vec<Vector>,
    /// The explanations of known disagreements.
    pub explained: Vec<Explained>,
}

/// A known disagreement between a backend and a vector, with the reason it is right (or the
/// vector wrong).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explained {
    /// The vector's `tcId`.
    pub tc: u64,
    /// The backend (`reference` for the oracle).
    #[serde(default = "reference")]
    pub backend: String,
    /// The finding it explains: `unsafe` (accepted an invalid vector), `strict` (rejected a
    /// valid one), `crash` or `unsupported`.
    pub finding: String,
    /// Why, with the RFC sentence and the bytes concerned.
    pub reason: String,
    /// The vector's own label is wrong (the RFCs say the opposite): the backend's verdict is
    /// then counted as agreement with the corrected label, and snapshotted so.
    #[serde(default)]
    pub vector_wrong: bool,
    /// Who can make this vector's JWS, where it is not `anyone` (the default for a vector: a
    /// modified signature or encoding needs no key).
    #[serde(default)]
    pub attacker: Option<crate::cases::Attacker>,
}

fn reference() -> String {
    "reference".into()
}

#[derive(Deserialize)]
struct ExplainFile {
    #[serde(default)]
    explained: Vec<Explained>,
}

#[derive(Deserialize)]
struct File {
    #[serde(rename = "testGroups")]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default)]
    comment: String,
    public: Option<Value>,
    private: Option<Value>,
    tests: Vec<Test>,
}

#[derive(Deserialize)]
struct Test {
    #[serde(rename = "tcId")]
    tc_id: u64,
    #[serde(default)]
    comment: String,
    jws: String,
    result: String,
}

/// The allowlist a group's key implies: its `alg` when it names a JWS algorithm, else every
/// algorithm of its key type (whether the key may verify at all is the verifier's to decide
/// from `alg`, `use` and `key_ops`).
fn allowlist(key_json: &Value, key: Option<&Jwk>) -> Vec<Alg> {
    if let Some(a) = key_json
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::parse)
    {
        return vec![a];
    }
    match key {
        Some(k) => ALL_ALGS.iter().copied().filter(|a| a.fits(k)).collect(),
        None => Vec::new(),
    }
}

impl VectorSet {
    /// Loads a Wycheproof JWS vector file and, when it exists, its explanation file (`NAME.toml`
    /// beside `NAME.json`, or `explain` when given).
    pub fn load(path: &Path, explain: Option<&Path>) -> Result<VectorSet> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            Error::Config(format!(
                "{}: not a Wycheproof JWS vector file: {e}",
                path.display()
            ))
        })?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("vectors")
            .to_string();
        let mut policies = Vec::new();
        let mut vectors = Vec::new();
        for (i, g) in file.groups.iter().enumerate() {
            let key_json = g
                .public
                .clone()
                .or_else(|| g.private.clone())
                .unwrap_or(Value::Null);
            // A key the JWK reader refuses leaves the group with no trusted key: every vector
            // of it is then a `key` rejection.
            let key = Jwk::from_json(&key_json).ok();
            policies.push(Policy {
                name: format!("{}-{i}", g.comment),
                algorithms: allowlist(&key_json, key.as_ref()),
                keys: key.into_iter().collect(),
                retired: Vec::new(),
                issuer: None,
                audience: Vec::new(),
                leeway: 0,
                required_claims: Vec::new(),
                typ: None,
                resource_cases: false,
                token_locations: vec!["header".to_string()],
                max_key_refresh_s: None,
                source: None,
            });
            for t in &g.tests {
                vectors.push(Vector {
                    tc_id: t.tc_id,
                    comment: t.comment.clone(),
                    group: i,
                    jws: t.jws.clone(),
                    valid: t.result == "valid",
                });
            }
        }
        let explain: PathBuf = explain
            .map(Path::to_path_buf)
            .unwrap_or_else(|| path.with_extension("toml"));
        let explained = match std::fs::read_to_string(&explain) {
            Ok(text) => {
                let f: ExplainFile = toml::from_str(&text).map_err(|e| {
                    Error::Config(format!("{}: {}", explain.display(), e.message().trim()))
                })?;
                for e in &f.explained {
                    if !["unsafe", "strict", "crash", "unsupported"].contains(&e.finding.as_str())
                        || e.reason.trim().is_empty()
                    {
                        return Err(Error::Config(format!(
                            "{}: explanation of tc {} needs a finding (unsafe, strict, crash, unsupported) and a reason",
                            explain.display(),
                            e.tc
                        )));
                    }
                }
                f.explained
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read {}: {e}",
                    explain.display()
                )))
            }
        };
        Ok(VectorSet {
            name,
            policies,
            vectors,
            explained,
        })
    }

    /// The explanation of a finding, if the file has one.
    pub fn explanation(&self, backend: &str, tc: u64, finding: Finding) -> Option<&Explained> {
        self.explained
            .iter()
            .find(|e| e.backend == backend && e.tc == tc && e.finding == finding.name())
    }
}

/// One backend's verdict on one vector.
#[derive(Debug, Clone)]
pub struct VectorResult {
    /// The backend.
    pub backend: String,
    /// The vector's `tcId`.
    pub tc_id: u64,
    /// What the backend did.
    pub outcome: Outcome,
    /// `pass`, `unsafe` (accepted an invalid vector), `strict` (rejected a valid one),
    /// `unsupported`, `crash` or `broken`.
    pub finding: Finding,
    /// The explanation, when the disagreement is a known one.
    pub known: Option<String>,
    /// The explanation says the vector's label is wrong: the verdict agrees with the RFCs.
    pub corrected: bool,
}

/// The oracle's verdict on a vector in JWS mode.
pub fn oracle_outcome(policy: &Policy, jws: &str) -> Outcome {
    match crate::oracle::validate_jws(jws, policy) {
        Ok(_) => Outcome::Accept,
        Err((reason, detail)) => Outcome::reject(reason, detail),
    }
}

fn finding(valid: bool, outcome: &Outcome) -> Finding {
    match (valid, outcome) {
        (_, Outcome::Unsupported(_)) => Finding::Unsupported,
        (_, Outcome::Crash(_)) => Finding::Crash,
        (_, Outcome::Broken(_)) => Finding::Broken,
        (true, Outcome::Accept) | (false, Outcome::Reject { .. }) => Finding::Pass,
        (false, Outcome::Accept) => Finding::Unsafe,
        (true, Outcome::Reject { .. }) => Finding::Strict,
    }
}

/// Runs the vectors through the oracle (`reference`) and every given backend that has a JWS
/// mode; a backend without one is left out. Results are in vector order, backend by backend.
pub fn run(set: &VectorSet, backends: &[&dyn Backend]) -> Vec<VectorResult> {
    let mut out = Vec::new();
    let mut judge = |name: &str, v: &Vector, outcome: Outcome| {
        let finding = finding(v.valid, &outcome);
        let explained = (finding != Finding::Pass)
            .then(|| set.explanation(name, v.tc_id, finding))
            .flatten();
        out.push(VectorResult {
            backend: name.to_string(),
            tc_id: v.tc_id,
            outcome,
            finding,
            known: explained.map(|e| e.reason.clone()),
            corrected: explained.is_some_and(|e| e.vector_wrong),
        });
    };
    for v in &set.vectors {
        judge(
            "reference",
            v,
            oracle_outcome(&set.policies[v.group], &v.jws),
        );
    }
    for b in backends {
        let name = b.info().name;
        if name == "reference" {
            continue;
        }
        if !b.supports_jws() {
            continue;
        }
        for v in &set.vectors {
            let policy = &set.policies[v.group];
            let outcome = crate::isolate::isolated(|| b.verify_jws(policy, &v.jws));
            judge(&name, v, outcome);
        }
    }
    out
}

/// One backend's counts over a vector file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// The backend (`reference` for the oracle).
    pub backend: String,
    /// Verdicts equal to the vector's.
    pub agree: usize,
    /// Disagreements the explanation file explains.
    pub explained: usize,
    /// Disagreements it does not explain.
    pub unexplained: usize,
    /// Vectors the backend cannot express (an algorithm it lacks): no verdict.
    pub unsupported: usize,
    /// Vectors run.
    pub total: usize,
}

/// The counts per backend, in the order of the results.
pub fn tally(results: &[VectorResult]) -> Vec<Tally> {
    let mut rows: Vec<Tally> = Vec::new();
    for r in results {
        if !rows.iter().any(|x| x.backend == r.backend) {
            rows.push(Tally {
                backend: r.backend.clone(),
                ..Tally::default()
            });
        }
        let row = rows
            .iter_mut()
            .find(|x| x.backend == r.backend)
            .expect("just added");
        row.total += 1;
        match (r.finding, &r.known) {
            (Finding::Pass, _) => row.agree += 1,
            (Finding::Unsupported, None) => row.unsupported += 1,
            (_, Some(_)) => row.explained += 1,
            _ => row.unexplained += 1,
        }
    }
    rows
}

/// The snapshot of one backend's vector results: one line per vector,
/// `FAMILY/tcN@POLICY  expect  outcome(reason)  finding`, the format of the verdict snapshots,
/// so that the matrix shows the vectors as a family of their own.
pub fn snapshot(set: &VectorSet, results: &[VectorResult], backend: &str) -> String {
    let mut out = String::new();
    for r in results.iter().filter(|r| r.backend == backend) {
        let Some(v) = set.vectors.iter().find(|v| v.tc_id == r.tc_id) else {
            continue;
        };
        let outcome = match &r.outcome {
            Outcome::Reject {
                reason: Some(reason),
                ..
            } => format!("reject({})", reason.name()),
            o => o.kind().to_string(),
        };
        // A vector whose label is wrong is shown with the label the RFCs give it.
        let valid = v.valid != r.corrected;
        let finding = match (&r.known, r.finding) {
            _ if r.corrected => "pass".to_string(),
            (Some(_), f) if f != Finding::Pass => format!("{} (known)", f.name()),
            (_, f) => f.name().to_string(),
        };
        let id = format!("wycheproof-jws/tc{:03}@wycheproof", v.tc_id);
        out.push_str(&format!(
            "{id:36}  {:6}  {outcome:24}  {finding}\n",
            if valid { "accept" } else { "reject" }
        ));
    }
    out
}

/// The backends `jwt-harness vectors` runs besides the oracle: the named built-in ones, or every
/// built-in one with a JWS mode. A named backend without one is left out with a note on stderr.
pub fn backends(names: &[String]) -> Result<Vec<Box<dyn Backend>>> {
    let all = crate::backend::builtin_names();
    let wanted: Vec<String> = if names.is_empty() {
        all.iter().map(|n| n.to_string()).collect()
    } else {
        names.to_vec()
    };
    let mut out = Vec::new();
    for n in &wanted {
        let Some(b) = crate::backend::builtin(n) else {
            return Err(Error::Config(format!(
                "unknown built-in backend {n:?} (vectors runs in-process backends only: {})",
                all.join(", ")
            )));
        };
        if n != "reference" && !b.supports_jws() {
            if !names.is_empty() {
                eprintln!("jwt-harness: {n} has no JWS mode (it verifies JWTs only): skipped");
            }
            continue;
        }
        out.push(b);
    }
    Ok(out)
}

/// The text report: one line per disagreement (explained and unsupported ones only with
/// `verbose`), then per backend `NAME: A agree, E explained, U unexplained[, N unsupported] of T`.
pub fn to_text(set: &VectorSet, results: &[VectorResult], verbose: bool) -> String {
    let mut out = String::new();
    for r in results {
        let quiet = r.known.is_some() || r.finding == Finding::Unsupported;
        if r.finding == Finding::Pass || (quiet && !verbose) {
            continue;
        }
        let v = set.vectors.iter().find(|v| v.tc_id == r.tc_id);
        let detail = match &r.outcome {
            Outcome::Reject { detail, .. }
            | Outcome::Unsupported(detail)
            | Outcome::Crash(detail)
            | Outcome::Broken(detail) => crate::report::one_line(detail, 100),
            Outcome::Accept => String::new(),
        };
        let known = r.known.as_deref().map_or(String::new(), |k| {
            format!("  [known: {}]", crate::report::one_line(k, 80))
        });
        out.push_str(&format!(
            "{:11} {:14} tc {:3} {:40} {detail}{known}\n",
            r.finding.name(),
            r.backend,
            r.tc_id,
            v.map_or("", |v| v.comment.as_str()),
        ));
    }
    for t in tally(results) {
        let label = if t.backend == "reference" {
            "oracle"
        } else {
            &t.backend
        };
        let unsupported = if t.unsupported > 0 {
            format!(", {} unsupported", t.unsupported)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{label}: {} agree, {} explained, {} unexplained{unsupported} of {}\n",
            t.agree, t.explained, t.unexplained, t.total
        ));
    }
    out
}
