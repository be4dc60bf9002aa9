//! `cargo xtask cve`: proof that the catalog catches what it claims. For each entry of
//! `fixtures/cve/*.toml` it runs the vulnerable release and the first fixed one (backend files
//! `fixtures/backends/NAME@VERSION.toml`, installed by `adapters/setup.sh versions`) once over the
//! whole catalog, judges the cases the entry names on those results, and prints one row per CVE:
//! whether the vulnerable release is flagged (an unsafe or crash finding of the entry's family and
//! attacker class, on one of its cases) and whether the fixed release is clean on those cases.
//! Exit 1 when a row fails: an entry whose cases miss its CVE fails the run. `--quick` (what
//! `cargo xtask ci` runs) runs each release over its entries' families only: the same proof,
//! without the whole-catalog column.

use crate::util::{cargo_bin, cmd, root, run as run_cmd};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One CVE: which releases, which configuration, which cases must catch it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `CVE-YYYY-NNNN`, or the GitHub advisory id (`GHSA-…`) of a fix that got no CVE.
    pub id: String,
    /// The library, as people name it.
    pub library: String,
    /// One line: what the vulnerable release does.
    pub summary: String,
    /// The backend (file name) of the vulnerable release.
    pub vulnerable: String,
    /// The backend of the first fixed release.
    pub fixed: String,
    /// `recommended` or `advisory`: the configuration the advisory describes.
    pub profile: String,
    /// Case-id globs (`*`, `?`) that must catch it.
    pub cases: Vec<String>,
    /// The family those cases belong to.
    pub family: String,
    /// Who can exploit it: `anyone`, `holder` or `issuer`.
    pub attacker: String,
}

/// One result of a run, as the JSON report gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Result1 {
    /// The case id.
    pub case: String,
    /// The family.
    pub family: String,
    /// The finding (`unsafe`, `crash`, `pass`, ...).
    pub finding: String,
    /// The case's attacker class.
    pub attacker: String,
}

/// The verdict on one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The case that flags the vulnerable release, if one does.
    pub flagged_by: Option<String>,
    /// The cases on which the fixed release still shows an unsafe or crash finding.
    pub fixed_dirty: Vec<String>,
}

impl Row {
    /// Whether the entry holds: vulnerable flagged, fixed clean.
    pub fn ok(&self) -> bool {
        self.flagged_by.is_some() && self.fixed_dirty.is_empty()
    }
}

fn is_finding(r: &Result1) -> bool {
    r.finding == "unsafe" || r.finding == "crash"
}

/// Judges an entry on the results of its two releases over its cases.
pub fn judge(entry: &Entry, vulnerable: &[Result1], fixed: &[Result1]) -> Row {
    let named = |r: &&Result1| {
        entry
            .cases
            .iter()
            .any(|g| jwt_harness::deviations::glob(g, &r.case))
    };
    let flagged_by = vulnerable
        .iter()
        .filter(named)
        .find(|r| is_finding(r) && r.family == entry.family && r.attacker == entry.attacker)
        .map(|r| r.case.clone());
    // Clean means no unsafe, crash or broken result on the named cases, and at least one of
    // them judged and passed: a release that is broken, or unsupported under every policy,
    // proves nothing (unsupported under some policies is fine: e.g. no EdDSA).
    let mut fixed_dirty: Vec<String> = fixed
        .iter()
        .filter(named)
        .filter_map(|r| match r.finding.as_str() {
            "unsafe" | "crash" => Some(r.case.clone()),
            "broken" => Some(format!("{} (broken)", r.case)),
            _ => None,
        })
        .collect();
    if fixed_dirty.is_empty()
        && !fixed
            .iter()
            .any(|r| named(&r) && matches!(r.finding.as_str(), "pass" | "reason"))
    {
        fixed_dirty.push("no judged result on the named cases".into());
    }
    fixed_dirty.sort();
    fixed_dirty.dedup();
    Row {
        flagged_by,
        fixed_dirty,
    }
}

/// The entries of `fixtures/cve/`, checked against their backend files.
pub fn entries() -> Result<Vec<Entry>> {
    let dir = root().join("fixtures/cve");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        let e: Entry =
            toml::from_str(&text).with_context(|| format!("{}: not a CVE entry", f.display()))?;
        if !["anyone", "holder", "issuer"].contains(&e.attacker.as_str()) {
            bail!("{}: attacker must be anyone, holder or issuer", f.display());
        }
        for b in [&e.vulnerable, &e.fixed] {
            let file = jwt_harness::deviations::BackendFile::load(&root(), b)?;
            if file.command.is_empty() {
                bail!(
                    "{}: backend {b} has no fixtures/backends/{b}.toml with a command",
                    f.display()
                );
            }
            let profile = file.profile.map_or("recommended", |p| p.as_str());
            if profile != e.profile {
                bail!(
                    "{}: {b} runs the {profile} profile, the entry names {}",
                    f.display(),
                    e.profile
                );
            }
        }
        out.push(e);
    }
    Ok(out)
}

/// Runs one backend over the whole catalog under the default policies and returns its results.
fn results(backend: &str, families: &[String]) -> Result<Vec<Result1>> {
    let out = root().join(format!("target/cve/{backend}.json"));
    std::fs::create_dir_all(out.parent().expect("has a parent"))?;
    let out_s = out.display().to_string();
    let mut args = vec![
        "run",
        "-q",
        "-p",
        "jwt-harness",
        "--",
        "run",
        "--backend",
        backend,
        "--format",
        "json",
        "--fail-on",
        "never",
        "--out",
        &out_s,
    ];
    for f in families {
        args.extend(["--family", f.as_str()]);
    }
    run_cmd(cmd(&cargo_bin(), &args))?;
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    let text = |x: &Value, k: &str| x[k].as_str().unwrap_or("").to_string();
    Ok(v["results"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| Result1 {
                    case: text(x, "case"),
                    family: text(x, "family"),
                    finding: text(x, "finding"),
                    attacker: text(x, "attacker"),
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Unsafe and crash findings per attacker class over a whole-catalog run.
fn by_class(results: &[Result1]) -> String {
    let mut c: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results.iter().filter(|r| is_finding(r)) {
        *c.entry(r.attacker.as_str()).or_default() += 1;
    }
    ["anyone", "holder", "issuer"]
        .iter()
        .map(|a| format!("{} {}", &a[..1], c.get(a).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(bad) = args.iter().find(|a| *a != "--quick") {
        bail!("unknown argument {bad:?} (cve takes --quick)");
    }
    let entries = entries()?;
    // --quick: each release over the families its entries name (empty: the whole catalog).
    let families_of = |backend: &str| -> Vec<String> {
        let mut f: Vec<String> = entries
            .iter()
            .filter(|e| quick && (e.vulnerable == backend || e.fixed == backend))
            .map(|e| e.family.clone())
            .collect();
        f.sort();
        f.dedup();
        f
    };
    run_cmd(cmd(
        "bash",
        &["adapters/setup.sh", "python", "node", "versions"],
    ))?;
    let mut table = String::from(
        "| CVE | library (profile) | what | vulnerable release flagged (case, class) | fixed release clean | whole catalog, unsafe+crash by class (vulnerable → fixed) |\n|---|---|---|---|---|---|\n",
    );
    let mut failed = Vec::new();
    // One run per release: the entry's cases are judged on its results.
    let mut runs: BTreeMap<String, Vec<Result1>> = BTreeMap::new();
    for e in &entries {
        for b in [&e.vulnerable, &e.fixed] {
            if !runs.contains_key(b) {
                runs.insert(b.clone(), results(b, &families_of(b))?);
            }
        }
        let (vulnerable, fixed) = (&runs[&e.vulnerable], &runs[&e.fixed]);
        let row = judge(e, vulnerable, fixed);
        let whole = if quick {
            "– (`cargo xtask cve`)".to_string()
        } else {
            format!("{} → {}", by_class(vulnerable), by_class(fixed))
        };
        let flagged = match &row.flagged_by {
            Some(c) => format!("yes: {} by `{c}` ({})", e.vulnerable, e.attacker),
            None => format!(
                "**NO**: {} not flagged by {}",
                e.vulnerable,
                e.cases.join(", ")
            ),
        };
        let clean = if row.fixed_dirty.is_empty() {
            format!("yes: {}", e.fixed)
        } else {
            format!(
                "**NO**: {} still fails {}",
                e.fixed,
                row.fixed_dirty.join(", ")
            )
        };
        table.push_str(&format!(
            "| {} | {} ({}) | {} | {flagged} | {clean} | {whole} |\n",
            e.id, e.library, e.profile, e.summary
        ));
        if !row.ok() {
            failed.push(e.id.clone());
        }
    }
    println!("{table}");
    if !failed.is_empty() {
        bail!("CVE entries not proven: {}", failed.join(", "));
    }
    eprintln!("every vulnerable release flagged, every fixed release clean");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cases: &[&str]) -> Entry {
        Entry {
            id: "CVE-0000-0001".into(),
            library: "lib".into(),
            summary: "s".into(),
            vulnerable: "lib@1".into(),
            fixed: "lib@2".into(),
            profile: "recommended".into(),
            cases: cases.iter().map(|c| c.to_string()).collect(),
            family: "header-injection".into(),
            attacker: "issuer".into(),
        }
    }

    fn r(case: &str, finding: &str, attacker: &str) -> Result1 {
        Result1 {
            case: case.into(),
            family: case.split('/').next().unwrap().into(),
            finding: finding.into(),
            attacker: attacker.into(),
        }
    }

    #[test]
    fn a_right_entry_holds_and_a_wrong_one_fails() {
        let vulnerable = vec![
            r(
                "header-injection/crit-unknown-extension",
                "unsafe",
                "issuer",
            ),
            r(
                "header-injection/jwk-embedded-attacker-key",
                "pass",
                "anyone",
            ),
        ];
        let fixed = vec![
            r("header-injection/crit-unknown-extension", "pass", "issuer"),
            r(
                "header-injection/jwk-embedded-attacker-key",
                "pass",
                "anyone",
            ),
        ];
        let right = judge(&entry(&["header-injection/crit-*"]), &vulnerable, &fixed);
        assert!(right.ok(), "{right:?}");
        // Deliberately wrong: cases that do not catch the CVE.
        let wrong = judge(&entry(&["header-injection/jwk-*"]), &vulnerable, &fixed);
        assert!(!wrong.ok());
        assert_eq!(wrong.flagged_by, None);
        // The right case, but another attacker class than the finding's: not proven.
        let mut e = entry(&["header-injection/crit-*"]);
        e.attacker = "anyone".into();
        assert!(!judge(&e, &vulnerable, &fixed).ok());
        // A fixed release that still fails the cases fails the row.
        let still = vec![r(
            "header-injection/crit-unknown-extension",
            "unsafe",
            "issuer",
        )];
        let row = judge(&entry(&["header-injection/crit-*"]), &vulnerable, &still);
        assert_eq!(
            row.fixed_dirty,
            vec!["header-injection/crit-unknown-extension"]
        );
        assert!(!row.ok());
        // A fixed release that broke on the cases (an install gone wrong) proves nothing.
        let broken = vec![r(
            "header-injection/crit-unknown-extension",
            "broken",
            "issuer",
        )];
        let row = judge(&entry(&["header-injection/crit-*"]), &vulnerable, &broken);
        assert_eq!(
            row.fixed_dirty,
            vec!["header-injection/crit-unknown-extension (broken)"]
        );
        assert!(!row.ok());
        // So does one with no result on them at all, or only unsupported ones.
        let row = judge(&entry(&["header-injection/crit-*"]), &vulnerable, &[]);
        assert!(!row.ok());
        let unsupported = vec![r(
            "header-injection/crit-unknown-extension",
            "unsupported",
            "issuer",
        )];
        let row = judge(
            &entry(&["header-injection/crit-*"]),
            &vulnerable,
            &unsupported,
        );
        assert!(!row.ok());
        // Unsupported under one policy beside a pass under another is clean.
        let mixed = vec![
            r(
                "header-injection/crit-unknown-extension",
                "unsupported",
                "issuer",
            ),
            r("header-injection/crit-unknown-extension", "pass", "issuer"),
        ];
        assert!(judge(&entry(&["header-injection/crit-*"]), &vulnerable, &mixed).ok());
    }

    #[test]
    fn the_entries_of_fixtures_cve_load() {
        let entries = entries().expect("fixtures/cve loads");
        assert!(entries.iter().any(|e| e.id == "CVE-2026-32597"));
    }
}
