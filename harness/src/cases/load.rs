//! Reading case files from disk and checking them before anything runs.

use super::recipe::{Case, Expect};
use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The whole catalog: every case of every family, in family then file order.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The cases.
    pub cases: Vec<Case>,
}

impl Catalog {
    /// The family names, in order of first appearance.
    pub fn families(&self) -> Vec<String> {
        let mut seen = Vec::<String>::new();
        for c in &self.cases {
            if !seen.contains(&c.family) {
                seen.push(c.family.clone());
            }
        }
        seen
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    #[serde(default)]
    case: Vec<Case>,
}

const OPS_SIGNATURE: &[&str] = &[
    "flip-bit",
    "flip-first-bit",
    "truncate:",
    "drop-first",
    "append-zero",
    "zero",
    "empty",
    "bytes:",
    "from-other-claims",
    "ecdsa-der",
    "ecdsa-der-zero",
    "ecdsa-r-n",
    "ecdsa-s-n",
    "ecdsa-r-max",
    "ecdsa-high-s",
];

const OPS_ALTER: &[&str] = &[
    "pad",
    "std-alphabet",
    "space-in-payload",
    "newline-in-payload",
    "noncanonical-last",
    "drop-signature-segment",
    "drop-payload",
    "segments:",
    "replace:",
    "url-encode",
    "quote",
    "bearer",
    "pad-to:",
    "dots:",
    "leading-space",
    "trailing-space",
    "bom",
];

fn known_op(op: &str, table: &[&str]) -> bool {
    table.iter().any(|t| {
        if t.ends_with(':') {
            op.starts_with(t)
        } else {
            op == *t
        }
    })
}

/// Parses one family file's text. `family` is the file stem.
pub fn parse_family(family: &str, text: &str) -> Result<Vec<Case>> {
    let file: FamilyFile = toml::from_str(text)
        .map_err(|e| Error::Config(format!("case file {family}.toml: {}", e.message().trim())))?;
    let mut names = BTreeSet::new();
    let mut cases = Vec::new();
    for mut case in file.case {
        let bad = |msg: String| Error::Config(format!("case {family}/{}: {msg}", case.name));
        if case.name.is_empty()
            || !case
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("name must match [a-z0-9-]+".into()));
        }
        if !names.insert(case.name.clone()) {
            return Err(bad("duplicate case id".into()));
        }
        if case.expect != Expect::Accept && case.severity.is_none() {
            return Err(bad("a reject or either case needs a severity".into()));
        }
        if case.expect != Expect::Reject && case.reason.is_some() {
            return Err(bad("only reject cases carry a reason".into()));
        }
        for op in &case.signature {
            if !known_op(op, OPS_SIGNATURE) {
                return Err(bad(format!("unknown signature operation {op:?}")));
            }
        }
        for op in &case.alter {
            if !known_op(op, OPS_ALTER) {
                return Err(bad(format!("unknown alter operation {op:?}")));
            }
        }
        if let Some(t) = &case.trust {
            if !["short-secret", "duplicate-kid"].contains(&t.as_str()) {
                return Err(bad(format!("unknown trust variant {t:?}")));
            }
        }
        if let Some(k) = &case.key {
            if ![
                "policy",
                "second",
                "retired",
                "attacker",
                "other-type",
                "none",
            ]
            .contains(&k.as_str())
            {
                return Err(bad(format!("unknown key {k:?}")));
            }
        }
        case.family = family.to_string();
        case.id = format!("{family}/{}", case.name);
        cases.push(case);
    }
    Ok(cases)
}

/// Loads every `*.toml` in a directory, families in file-name order.
pub fn load_dir(dir: &Path) -> Result<Catalog> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Config(format!("cannot read case directory {}: {e}", dir.display())))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut catalog = Catalog::default();
    for path in files {
        let family = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| Error::Config(format!("bad case file name {}", path.display())))?
            .to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        catalog.cases.extend(parse_family(&family, &text)?);
    }
    Ok(catalog)
}

/// Loads the catalog from `fixtures/cases/` under `root`.
pub fn load_catalog(root: &Path) -> Result<Catalog> {
    load_dir(&root.join("fixtures/cases"))
}
