//! What the generated documents read: the verdict snapshots (`tests/snapshots/verdicts@POLICY__
//! BACKEND.snap`) and the gateways' verdict baselines (`tests/gateways/NAME.txt`), what the catalog and Wycheproof's vectors say of each case, and a backend
//! file's version line. Shared by `cargo xtask matrix` and `cargo xtask findings`.

use crate::util::root;
use anyhow::{bail, Context, Result};
use jwt_harness::cases::{load_dir, severity, Attacker, Case, ClaimCheck, Impact};
use jwt_harness::deviations::BackendFile;
use jwt_harness::vectors::VectorSet;
use std::collections::BTreeMap;

/// One snapshot line.
pub struct Row {
    /// The policy (a variant: `rs256~short-secret`).
    pub policy: String,
    /// The case id.
    pub case: String,
    /// The case's family.
    pub family: String,
    /// `accept`, `reject(reason)`, ...
    pub outcome: String,
    /// The finding.
    pub finding: String,
    /// Explained by the backend file.
    pub known: bool,
}

/// What the matrix shows of a case from the catalog.
#[derive(Clone, Default)]
pub struct CaseInfo {
    /// One sentence.
    pub description: String,
    /// The severity of an unexpected accept.
    pub severity: String,
    /// Who can make the token.
    pub attacker: String,
    /// The claim checks that catch it.
    pub checks: Vec<ClaimCheck>,
}

/// The verdict snapshots, per backend.
pub fn read_snapshots() -> Result<BTreeMap<String, Vec<Row>>> {
    let dir = root().join("tests/snapshots");
    let mut by_backend: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .collect();
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let Some(rest) = stem.strip_prefix("verdicts@") else {
            continue;
        };
        let Some((policy, backend)) = rest.split_once("__") else {
            continue;
        };
        let text = std::fs::read_to_string(&path)?;
        // Skip the insta header (between the first two `---` lines).
        let body = text.splitn(3, "---\n").nth(2).unwrap_or("");
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 {
                bail!("{}: bad snapshot line {line:?}", path.display());
            }
            let id = cols[0];
            let case = id.split('@').next().unwrap_or(id).to_string();
            let variant_policy = id.split('@').nth(1).unwrap_or(policy).to_string();
            by_backend
                .entry(backend.to_string())
                .or_default()
                .push(Row {
                    policy: variant_policy,
                    family: case.split('/').next().unwrap_or("").to_string(),
                    case,
                    outcome: cols[2].to_string(),
                    finding: cols[3].to_string(),
                    known: cols.get(4) == Some(&"(known)"),
                });
        }
    }
    read_gateway_baselines(&mut by_backend)?;
    Ok(by_backend)
}

/// The gateways' verdict baselines (`tests/gateways/NAME.txt`, written by `cargo xtask gateways
/// --update`): the same lines as a snapshot, under `## BACKEND @ POLICY` headings.
fn read_gateway_baselines(by_backend: &mut BTreeMap<String, Vec<Row>>) -> Result<()> {
    let dir = root().join("tests/gateways");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let mut backend = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(head) = line.strip_prefix("## ") {
                backend = head.split(" @ ").next().unwrap_or("").trim().to_string();
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 || backend.is_empty() {
                bail!("{}: bad baseline line {line:?}", path.display());
            }
            let id = cols[0];
            let case = id.split('@').next().unwrap_or(id).to_string();
            by_backend.entry(backend.clone()).or_default().push(Row {
                policy: id.split('@').nth(1).unwrap_or("").to_string(),
                family: case.split('/').next().unwrap_or("").to_string(),
                case,
                outcome: cols[2].to_string(),
                finding: cols[3].to_string(),
                known: cols.get(4) == Some(&"(known)"),
            });
        }
    }
    Ok(())
}

/// Case descriptions, severities, attacker classes and claim checks from the catalog, and the
/// same for Wycheproof's vectors (`wycheproof-jws/tcN`): a modified JWS anyone can make, unless
/// the explanation file names another attacker.
pub fn catalog(vectors: &VectorSet) -> Result<BTreeMap<String, CaseInfo>> {
    let catalog = load_dir(&root().join("fixtures/cases"))?;
    let mut map: BTreeMap<String, CaseInfo> = catalog
        .cases
        .into_iter()
        .map(|c: Case| {
            let info = CaseInfo {
                description: c.description,
                severity: c.severity.map(|s| s.name()).unwrap_or("").to_string(),
                attacker: c.attacker.map(|a| a.name()).unwrap_or("").to_string(),
                checks: c.checks,
            };
            (c.id, info)
        })
        .collect();
    for v in &vectors.vectors {
        let attacker = vectors
            .explained
            .iter()
            .find(|e| e.tc == v.tc_id && e.attacker.is_some())
            .and_then(|e| e.attacker)
            .unwrap_or(Attacker::Anyone);
        map.insert(
            vector_id(v.tc_id),
            CaseInfo {
                description: format!(
                    "Wycheproof JWS tc {} ({}, group {}): {}",
                    v.tc_id,
                    if v.valid { "valid" } else { "invalid" },
                    vectors.policies[v.group].name,
                    v.comment
                ),
                severity: severity(attacker, Some(Impact::Forgery)).name().to_string(),
                attacker: attacker.name().to_string(),
                checks: Vec::new(),
            },
        );
    }
    Ok(map)
}

/// The case id of a Wycheproof vector in the snapshots.
fn vector_id(tc: u64) -> String {
    format!("wycheproof-jws/tc{tc:03}")
}

/// Wycheproof's JWS vectors with their explanations.
pub fn vector_set() -> Result<VectorSet> {
    Ok(VectorSet::load(
        &root().join("fixtures/vectors/json_web_signature_test.json"),
        None,
    )?)
}

/// The version a backend file names, else the lead of its `about`.
pub fn version_of(file: &BackendFile) -> String {
    match &file.version {
        Some(v) => v.clone(),
        None => file
            .about
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
    }
}
