//! Reading case files from disk and checking them before anything runs.

use super::recipe::{Case, Expect};
use crate::error::{Error, Result};
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

/// `RFC 7519 §4.1.4` or `CVE-2022-21449`.
fn is_reference(r: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = r.strip_prefix("RFC ") {
        return match rest.split_once(" §") {
            Some((number, section)) => {
                digits(number) && !section.is_empty() && section.split('.').all(digits)
            }
            None => false,
        };
    }
    match r.strip_prefix("CVE-").and_then(|rest| rest.split_once('-')) {
        Some((year, n)) => year.len() == 4 && digits(year) && n.len() >= 4 && digits(n),
        None => false,
    }
}

/// Where in a case file a byte offset is: its line, and the name of the `[[case]]` it falls in.
fn locate(text: &str, offset: usize) -> (usize, Option<String>) {
    // A span can point inside a character (an invalid one, say): step back to its start.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = text[..offset].matches('\n').count() + 1;
    let Some(block_start) = text[..offset].rfind("[[case]]") else {
        return (line, None);
    };
    let after = block_start + "[[case]]".len();
    let block_end = text[after..]
        .find("[[case]]")
        .map_or(text.len(), |i| i + after);
    let name = text[block_start..block_end].lines().find_map(|l| {
        let v = l
            .trim()
            .strip_prefix("name")?
            .trim_start()
            .strip_prefix('=')?;
        Some(v.trim().trim_matches(['"', '\'']).to_string())
    });
    (line, name)
}

/// Parses one family file's text. `family` is the file stem.
pub fn parse_family(family: &str, text: &str) -> Result<Vec<Case>> {
    let file: FamilyFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().to_string();
        match e.span() {
            Some(span) => match locate(text, span.start) {
                (line, Some(name)) => Error::Config(format!(
                    "case {family}/{name} ({family}.toml line {line}): {msg}"
                )),
                (line, None) => {
                    Error::Config(format!("case file {family}.toml line {line}: {msg}"))
                }
            },
            None => Error::Config(format!("case file {family}.toml: {msg}")),
        }
    })?;
    let mut names = BTreeSet::new();
    let mut cases = Vec::new();
    for mut case in file.case {
        let bad = |msg: String| {
            let line = text
                .find(&format!("name = \"{}\"", case.name))
                .map(|at| locate(text, at).0);
            match line {
                Some(line) => Error::Config(format!(
                    "case {family}/{} ({family}.toml line {line}): {msg}",
                    case.name
                )),
                None => Error::Config(format!("case {family}/{}: {msg}", case.name)),
            }
        };
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
        match (case.expect, case.attacker, case.impact) {
            (Expect::Accept, None, None) => {}
            (Expect::Accept, _, _) => {
                return Err(bad(
                    "an accept case has no attacker or impact (nothing to exploit)".into(),
                ))
            }
            (_, Some(attacker), Some(impact)) => {
                case.severity = Some(super::recipe::severity(attacker, Some(impact)));
            }
            _ => {
                return Err(bad(
                    "a reject or either case needs an attacker (anyone, holder, issuer) and an impact (forgery, replay, confusion, hygiene)".into(),
                ))
            }
        }
        if case.expect != Expect::Reject && case.reason.is_some() {
            return Err(bad("only reject cases carry a reason".into()));
        }
        if case.expect != Expect::Accept && case.refs.is_empty() {
            return Err(bad(
                "a reject or either case needs refs: the RFC sections (\"RFC 7519 §4.1.4\") or CVE ids that make it so".into(),
            ));
        }
        if let Some(r) = case.refs.iter().find(|r| !is_reference(r)) {
            return Err(bad(format!(
                "reference {r:?} is neither \"RFC NNNN §X.Y\" nor \"CVE-YYYY-NNNN\""
            )));
        }
        let requires = &case.requires;
        if let Some(c) = requires
            .required
            .iter()
            .chain(&requires.not_required)
            .find(|c| !REGISTERED_CLAIMS.contains(&c.as_str()))
        {
            return Err(bad(format!(
                "requires names claim {c:?}: policies require registered claims only ({})",
                REGISTERED_CLAIMS.join(", ")
            )));
        }
        case.family = family.to_string();
        case.id = format!("{family}/{}", case.name);
        cases.push(case);
    }
    Ok(cases)
}

/// The claims a `requires.required` or `requires.not_required` list may name: RFC 7519 §4.1.
const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_names_registered_claims_only() {
        let case = |req: &str| {
            format!("[[case]]\nname = \"c\"\ndescription = \"d\"\nexpect = \"accept\"\n[case.requires]\n{req}\n")
        };
        assert!(parse_family("f", &case("required = [\"exp\"]")).is_ok());
        for bad in ["required = [\"expiry\"]", "not_required = [\"scope\"]"] {
            let e = parse_family("f", &case(bad)).unwrap_err().to_string();
            assert!(e.contains("registered claims only"), "{e}");
        }
        let e = parse_family("f", &case("key_type = \"dsa\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("f/c") || e.contains("dsa"), "{e}");
        let e = parse_family("f", &case("typed = true"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("typed"), "{e}");
    }

    #[test]
    fn a_reject_case_needs_a_reference() {
        let case = |refs: &str| {
            format!("[[case]]\nname = \"c\"\ndescription = \"d\"\nexpect = \"reject\"\nattacker = \"anyone\"\nimpact = \"forgery\"\n{refs}\nkey = \"none\"\n")
        };
        assert!(parse_family("f", &case("refs = [\"RFC 8725 §3.1\"]")).is_ok());
        assert!(parse_family("f", &case("refs = [\"CVE-2022-21449\"]")).is_ok());
        for (refs, want) in [
            ("", "needs refs"),
            ("refs = []", "needs refs"),
            ("refs = [\"see the RFC\"]", "neither"),
            ("refs = [\"RFC 8725\"]", "neither"),
        ] {
            let e = parse_family("f", &case(refs)).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("f/c"), "{refs}: {e}");
        }
        let either = case("").replace("\"reject\"", "\"either\"");
        let e = parse_family("f", &either).unwrap_err().to_string();
        assert!(e.contains("needs refs"), "{e}");
    }

    #[test]
    fn a_typo_names_the_case_and_line() {
        let text = "# family\n[[case]]\nname = \"ok\"\ndescription = \"d\"\nexpect = \"accept\"\n\n[[case]]\nname = \"bad\"\ndescription = \"d\"\nexpect = \"reject\"\nattacker = \"holder\"\nimpact = \"forgery\"\nrefs = [\"RFC 7515 §5.2\"]\nsignature = [\"flip-bti\"]\n";
        let e = parse_family("fam", text).unwrap_err().to_string();
        assert!(e.contains("fam/bad"), "{e}");
        assert!(e.contains("line 14"), "{e}");
        assert!(
            e.contains("unknown signature operation \"flip-bti\""),
            "{e}"
        );
        let typo = text.replace(
            "signature = [\"flip-bti\"]",
            "[case.requires]\nkey_type = \"RSA\"",
        );
        let e = parse_family("fam", &typo).unwrap_err().to_string();
        assert!(e.contains("fam/bad") && e.contains("key_type"), "{e}");
        let dup = text
            .replace("\"bad\"", "\"ok\"")
            .replace("flip-bti", "flip-bit");
        let e = parse_family("fam", &dup).unwrap_err().to_string();
        assert!(
            e.contains("fam/ok (fam.toml line 3): duplicate case id"),
            "{e}"
        );
    }
}
