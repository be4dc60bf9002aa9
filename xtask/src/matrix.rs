//! `cargo xtask matrix [--check]`: writes `docs/MATRIX.md` and `docs/matrix.html` from the
//! verdict snapshots, so the published matrix cannot drift from what the tests assert. `--check`
//! fails if the files are not what the snapshots give.
//!
//! Inputs: `tests/snapshots/verdicts@POLICY__BACKEND.snap` (one line per case:
//! `id  expect  outcome(reason)  finding`), `fixtures/backends/NAME.toml` (the reason of each known
//! deviation) and `fixtures/cases/FAMILY.toml` (descriptions and severities).

use crate::util::root;
use anyhow::{bail, Context, Result};
use jwt_harness::cases::{load_dir, ClaimCheck};
use jwt_harness::deviations::BackendFile;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One snapshot line.
struct Row {
    policy: String,
    case: String,
    family: String,
    outcome: String,
    finding: String,
    known: bool,
}

/// Findings from worst to best, with their HTML class and label.
const ORDER: [(&str, &str); 9] = [
    ("broken", "broken"),
    ("crash", "crash"),
    ("unsafe", "unsafe"),
    ("unchecked", "unchecked"),
    ("strict", "strict"),
    ("unsupported", "unsupported"),
    ("skipped", "skipped"),
    ("reason", "reason"),
    ("pass", "pass"),
];

fn read_snapshots() -> Result<BTreeMap<String, Vec<Row>>> {
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
    Ok(by_backend)
}

/// The reason a backend file gives for a known finding; for an unchecked one, the library's own
/// words that it does not offer the check.
fn deviation_reason(backend: &str, row: &Row, checks: &[ClaimCheck]) -> Option<String> {
    let file = BackendFile::load(&root(), backend).ok()?;
    if row.finding == "unchecked" {
        let why: Vec<String> = checks
            .iter()
            .filter_map(|c| file.unchecked.iter().find(|u| u.claim == *c))
            .map(|u| format!("no {} check: \"{}\" ({})", u.claim, u.doc, u.source))
            .collect();
        return (!why.is_empty()).then(|| why.join("; "));
    }
    file.known(&row.case, &row.policy, &row.finding)
        .map(|d| d.reason.clone())
}

/// What the matrix shows of a case: description, severity, claim checks.
type CaseInfo = (String, String, Vec<ClaimCheck>);

/// Case descriptions, severities and claim checks from the catalog.
fn catalog() -> Result<BTreeMap<String, CaseInfo>> {
    let catalog = load_dir(&root().join("fixtures/cases"))?;
    Ok(catalog
        .cases
        .into_iter()
        .map(|c| {
            let severity = c.severity.map(|s| s.name()).unwrap_or("").to_string();
            (c.id, (c.description, severity, c.checks))
        })
        .collect())
}

struct Cell {
    pass: usize,
    run: usize,
    counts: BTreeMap<&'static str, usize>,
    unexplained: usize,
}

fn cell(rows: &[&Row]) -> Cell {
    let mut c = Cell {
        pass: 0,
        run: 0,
        counts: BTreeMap::new(),
        unexplained: 0,
    };
    for r in rows {
        if !["skipped", "unsupported"].contains(&r.finding.as_str()) {
            c.run += 1;
        }
        if ["pass", "reason"].contains(&r.finding.as_str()) {
            c.pass += 1;
        }
        if let Some((name, _)) = ORDER.iter().find(|(n, _)| *n == r.finding) {
            *c.counts.entry(name).or_default() += 1;
        }
        if ["unsafe", "crash", "strict", "broken"].contains(&r.finding.as_str()) && !r.known {
            c.unexplained += 1;
        }
    }
    c
}

fn worst(c: &Cell) -> &'static str {
    ORDER
        .iter()
        .find(|(n, _)| c.counts.get(n).copied().unwrap_or(0) > 0 && !["pass"].contains(n))
        .map(|(_, class)| *class)
        .unwrap_or("pass")
}

fn summary(c: &Cell) -> String {
    let mut s = format!("{}/{}", c.pass, c.run);
    for (name, label) in [
        ("unsafe", "unsafe"),
        ("strict", "strict"),
        ("crash", "crash"),
        ("unchecked", "unchecked"),
        ("broken", "broken"),
        ("unsupported", "unsupp."),
    ] {
        if let Some(n) = c.counts.get(name) {
            let _ = write!(s, " · {n} {label}");
        }
    }
    s
}

/// Renders both files.
fn render() -> Result<(String, String)> {
    let snaps = read_snapshots()?;
    let cases = catalog()?;
    // The reference first: it is the yardstick; then the libraries alphabetically.
    let mut backends: Vec<&String> = snaps.keys().collect();
    backends.sort_by_key(|b| (b.as_str() != "reference", b.as_str()));
    let mut families: Vec<String> = Vec::new();
    for rows in snaps.values() {
        for r in rows {
            if !families.contains(&r.family) {
                families.push(r.family.clone());
            }
        }
    }
    families.sort();
    let mut md = String::new();
    let mut html = String::new();
    md.push_str("# The conformance matrix\n\n");
    md.push_str("Generated by `cargo xtask matrix` from `tests/snapshots/` (do not edit by hand; CI checks it).\n");
    md.push_str(
        "Each cell: cases passed / cases run under the nine default policies, then the findings.\n",
    );
    md.push_str("**unsafe**: accepted a token a strict validator must reject; **strict**: rejected one it must\n");
    md.push_str("accept; known deviations are explained in `fixtures/backends/NAME.toml`. Key selection: `library`\n");
    md.push_str("when the library's own JWK Set resolver picks the key, `adapter` when the library takes one key and\n");
    md.push_str("the adapter picks it by kid. [HTML version](matrix.html).\n\n");
    let _ = write!(md, "| family |");
    for b in &backends {
        let _ = write!(md, " {b} |");
    }
    md.push_str("\n|---|");
    md.push_str(&"---|".repeat(backends.len()));
    md.push('\n');
    html.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jwt-harness conformance matrix</title>\n<style>\nbody{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:center}\n.pass{background:#c8f0c8}.reason{background:#e2f5d0}.unsupported,.skipped{background:#e6e6e6}.strict{background:#ffe0a0}.unsafe{background:#ff9c9c}.crash{background:#ff7ad9}.unchecked{background:#b8d0e8}.broken{background:#c9a0ff}.known{outline:2px dashed #a06000}\nli{margin:.3em 0}</style></head><body>\n<h1>jwt-harness conformance matrix</h1>\n<p>Generated by <code>cargo xtask matrix</code> from the verdict snapshots. Cell: passed/run, then findings. Red: unsafe accept; pink: the library crashed (panicked or hung) on a token; orange: strict reject; purple: broken (an adapter or harness fault); grey-blue: unchecked (accepted what only a claim check the library does not offer would reject); grey: unsupported; dashed: every finding in the cell is a known, explained deviation.</p>\n<table><tr><th>family</th>");
    for b in &backends {
        let _ = write!(html, "<th><a href=\"#{b}\">{b}</a></th>");
    }
    html.push_str("</tr>\n");
    for f in &families {
        let _ = write!(md, "| {f} |");
        let _ = write!(html, "<tr><th>{f}</th>");
        for b in &backends {
            let rows: Vec<&Row> = snaps[*b].iter().filter(|r| &r.family == f).collect();
            let c = cell(&rows);
            let class = worst(&c);
            let known = ["unsafe", "crash", "strict"].contains(&class) && c.unexplained == 0;
            let text = summary(&c);
            let _ = write!(md, " {}{text} |", if class == "unsafe" { "⚠ " } else { "" });
            let _ = write!(
                html,
                "<td class=\"{class}{}\">{text}</td>",
                if known { " known" } else { "" }
            );
        }
        md.push('\n');
        html.push_str("</tr>\n");
    }
    let files: BTreeMap<&str, BackendFile> = backends
        .iter()
        .map(|b| {
            (
                b.as_str(),
                BackendFile::load(&root(), b).unwrap_or_default(),
            )
        })
        .collect();
    md.push_str("| key selection |");
    html.push_str("<tr><th>key selection</th>");
    for b in &backends {
        let k = files[b.as_str()].key_selection.map_or("?", |k| k.as_str());
        let _ = write!(md, " {k} |");
        let _ = write!(html, "<td>{k}</td>");
    }
    md.push('\n');
    html.push_str("</tr>\n");
    html.push_str("</table>\n");
    md.push_str("\n## Findings (unsafe, crash, unchecked, strict, broken), by backend\n");
    for b in &backends {
        let mut groups: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
        for r in snaps[*b].iter().filter(|r| {
            ["unsafe", "crash", "unchecked", "strict", "broken"].contains(&r.finding.as_str())
        }) {
            groups
                .entry((r.finding.clone(), r.case.clone()))
                .or_default()
                .push(r);
        }
        let _ = write!(md, "\n### {b}\n\n");
        let _ = writeln!(html, "<h2 id=\"{b}\">{b}</h2>");
        if let (Some(k), Some(note)) = (
            files[b.as_str()].key_selection,
            &files[b.as_str()].key_selection_note,
        ) {
            let _ = write!(md, "Key selection: **{}**: {note}.\n\n", k.as_str());
            let _ = writeln!(
                html,
                "<p>Key selection: <b>{}</b>: {}.</p>",
                k.as_str(),
                escape(note)
            );
        }
        if groups.is_empty() {
            md.push_str("No unsafe, crash, unchecked, strict or broken result.\n");
            html.push_str("<p>No unsafe, crash, unchecked, strict or broken result.</p>\n");
            continue;
        }
        html.push_str("<ul>\n");
        for ((finding, case), rows) in &groups {
            let (desc, severity, checks) = cases.get(case).cloned().unwrap_or_default();
            let family = case.split('/').next().unwrap_or("");
            let policies: Vec<&str> = rows.iter().map(|r| r.policy.as_str()).collect();
            let why = deviation_reason(b, rows[0], &checks).unwrap_or_else(|| {
                "NOT EXPLAINED: a finding without a reason in the backend file".into()
            });
            let sev = if finding == "unsafe" || finding == "crash" {
                format!(" {severity}")
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "- **{finding}{sev}** [`{case}`](../fixtures/cases/{family}.toml) ({}; got {}): {desc}  \n  _Why:_ {why}",
                policies.join(", "),
                rows[0].outcome
            );
            let _ = writeln!(
                html,
                "<li><b class=\"{finding}\">{finding}{sev}</b> <a href=\"../fixtures/cases/{family}.toml\"><code>{case}</code></a> ({}; got {}): {}<br><i>Why:</i> {}</li>",
                policies.join(", "),
                rows[0].outcome,
                escape(&desc),
                escape(&why)
            );
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</body></html>\n");
    Ok((md, html))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let check = args.iter().any(|a| a == "--check");
    let (md, html) = render()?;
    let docs = root().join("docs");
    let targets = [
        (docs.join("MATRIX.md"), md),
        (docs.join("matrix.html"), html),
    ];
    if check {
        for (path, want) in &targets {
            let have = std::fs::read_to_string(path).unwrap_or_default();
            if &have != want {
                bail!(
                    "{} is stale: run `cargo xtask matrix` and commit it",
                    path.display()
                );
            }
        }
        eprintln!("docs/MATRIX.md and docs/matrix.html match the snapshots");
        return Ok(());
    }
    std::fs::create_dir_all(&docs)?;
    for (path, text) in &targets {
        std::fs::write(path, text)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
