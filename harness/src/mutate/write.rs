//! Fuzzed findings written back as ordinary case files: the minimized mutation list composed
//! into a [`Case`], its expectation, reason, attacker, impact and references filled in from the
//! oracle's verdict and the attacker rule, serialized in the catalog's format. One family file
//! per backend (`fuzz-BACKEND.toml`), one `[[case]]` per finding, appended as findings come;
//! `jwt-harness run --cases DIR` replays them.

use super::Mutation;
use crate::cases::{Attacker, Case, ClaimCheck, Expect, Impact, Reason};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a written case expects, beside its recipe.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// `reject` (the oracle's rejection is required), `either` (only permitted) or `accept`.
    pub expect: Expect,
    /// The oracle's reason (reject only).
    pub reason: Option<Reason>,
    /// Who can make the token (reject and either only).
    pub attacker: Option<Attacker>,
    /// What an accept gives them (reject and either only).
    pub impact: Option<Impact>,
    /// The claim checks that reject it.
    pub checks: Vec<ClaimCheck>,
    /// The RFC sections it cites (reject and either only).
    pub refs: Vec<String>,
}

/// `[a-z0-9-]` only, runs of anything else as one `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The family (file stem) a backend's fuzzed cases go to: `fuzz-BACKEND`.
pub fn family_name(backend: &str) -> String {
    format!("fuzz-{}", slug(backend))
}

/// A case name unique to the finding: its kind, labels and policy, and a digest of the
/// mutations.
pub fn case_name(finding: &str, labels: &[String], policy: &str, mutations: &[Mutation]) -> String {
    let mut what = slug(&labels.join("-"));
    if what.len() > 48 {
        what.truncate(48);
        what = what.trim_end_matches('-').to_string();
    }
    let digest = crate::forge::fnv(super::show(mutations).as_bytes()) & 0xffff_ffff;
    slug(&format!("{finding}-{what}-{policy}-{digest:08x}"))
}

/// The case a finding is written as: `base` (applicability) with the mutations' recipe and the
/// expectation.
pub fn finding_case(
    base: &Case,
    mutations: &[Mutation],
    name: &str,
    description: &str,
    e: &Expectation,
) -> Case {
    let mut case = super::compose(base, mutations);
    case.name = name.to_string();
    case.description = description.to_string();
    case.expect = e.expect;
    case.reason = e.reason.filter(|_| e.expect == Expect::Reject);
    let exploitable = e.expect != Expect::Accept;
    case.attacker = e.attacker.filter(|_| exploitable);
    case.impact = e.impact.filter(|_| exploitable);
    case.refs = if exploitable {
        e.refs.clone()
    } else {
        Vec::new()
    };
    case.severity = match (case.attacker, case.impact) {
        (Some(a), Some(i)) => Some(crate::cases::severity(a, Some(i))),
        _ => None,
    };
    case.checks = e.checks.clone();
    case.tags = vec!["fuzz".into()];
    case.transport = None;
    case
}

/// The keys of a case table in the catalog's order.
const ORDER: [&str; 27] = [
    "name",
    "description",
    "expect",
    "reason",
    "attacker",
    "impact",
    "refs",
    "checks",
    "fixed_clock",
    "uses_leeway",
    "tags",
    "alg",
    "key",
    "header",
    "remove_header",
    "header_raw",
    "header_segment",
    "claims",
    "remove_claims",
    "claims_raw",
    "claims_segment",
    "hmac_key",
    "signature",
    "tamper_header",
    "tamper_claims",
    "alter",
    "trust",
];

/// Whether a value is worth writing (not an empty array or table, not `false`).
fn present(v: &toml::Value) -> bool {
    match v {
        toml::Value::Array(a) => !a.is_empty(),
        toml::Value::Table(t) => !t.is_empty(),
        toml::Value::Boolean(b) => *b,
        _ => true,
    }
}

/// One `[[case]]` block in the catalog's format, empty fields left out.
pub fn case_toml(case: &Case) -> Result<String, String> {
    let value = toml::Value::try_from(case).map_err(|e| e.to_string())?;
    let toml::Value::Table(table) = value else {
        return Err("a case is not a table".into());
    };
    let mut out = String::from("[[case]]\n");
    for key in ORDER {
        if let Some(v) = table.get(key).filter(|v| present(v)) {
            out.push_str(&format!("{key} = {v}\n"));
        }
    }
    if let Some(toml::Value::Table(req)) = table.get("requires") {
        let lines: Vec<String> = req
            .iter()
            .filter(|(_, v)| present(v))
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect();
        if !lines.is_empty() {
            out.push_str("\n[case.requires]\n");
            out.extend(lines);
        }
    }
    Ok(out)
}

/// Appends a case to `DIR/FAMILY.toml` (created with a header comment), unless a case of that
/// name is there already. Returns the file, and whether the case was added. The text is checked
/// to load as a case file first.
pub fn append(dir: &Path, family: &str, case: &Case) -> Result<(PathBuf, bool), String> {
    let block = case_toml(case)?;
    crate::cases::parse_family(family, &block)
        .map_err(|e| format!("the written case does not load: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{family}.toml"));
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let marker = format!("name = {}", toml::Value::String(case.name.clone()));
    if existing.lines().any(|l| l == marker) {
        return Ok((path, false));
    }
    let mut text = String::new();
    if existing.is_empty() {
        text.push_str(&format!(
            "# Found by `jwt-harness fuzz`: one case per finding, minimized, in the catalog's\n\
             # format. Replay: jwt-harness run --cases {} --backend NAME\n",
            dir.display()
        ));
    }
    text.push('\n');
    text.push_str(&block);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((path, true))
}

#[cfg(test)]
mod tests {
    use super::super::Member;
    use super::*;

    #[test]
    fn a_written_case_loads_and_keeps_its_recipe() {
        let base: Case =
            toml::from_str("name = \"b\"\ndescription = \"d\"\nexpect = \"either\"\n").unwrap();
        let muts = vec![
            Mutation::Header(Member::new("crit", "[\"exp\"]")),
            Mutation::DuplicateClaim(Member::raw_name("\"\\u0065xp\"", "\"${now-3600}\"")),
            Mutation::Alter(crate::cases::AlterOp::Bom),
        ];
        let labels = super::super::labels_of(&muts);
        let name = case_name("unsafe", &labels, "hs256", &muts);
        assert!(
            name.starts_with("unsafe-") && name.contains("-hs256-"),
            "{name}"
        );
        let e = Expectation {
            expect: Expect::Reject,
            reason: Some(Reason::Other),
            attacker: Some(Attacker::Issuer),
            impact: Some(Impact::Confusion),
            checks: vec![],
            refs: vec!["RFC 7515 §4.1.11".into()],
        };
        let case = finding_case(&base, &muts, &name, "fuzzed \"crit\"", &e);
        let text = case_toml(&case).unwrap();
        let back = crate::cases::parse_family("fuzz-x", &text).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].header, case.header);
        assert_eq!(back[0].claims_raw, case.claims_raw);
        assert_eq!(back[0].alter, case.alter);
        assert_eq!(back[0].id, format!("fuzz-x/{name}"));
        assert!(!text.contains("remove_header"), "{text}");
        let dir = std::env::temp_dir().join(format!("jwt-harness-write-{}", std::process::id()));
        let (path, added) = append(&dir, "fuzz-x", &case).unwrap();
        assert!(added);
        assert!(!append(&dir, "fuzz-x", &case).unwrap().1);
        let all = crate::cases::load_dir(&dir).unwrap();
        assert_eq!(all.cases.len(), 1);
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_dir(dir);
    }
}
