//! `cargo xtask matrix [--check]`: writes `docs/MATRIX.md` and `docs/matrix.html` from the
//! verdict snapshots, so the published matrix cannot drift from what the tests assert. `--check`
//! fails if the files are not what the snapshots give.
//!
//! Inputs: `tests/snapshots/verdicts@POLICY__BACKEND.snap` (one line per case:
//! `id  expect  outcome(reason)  finding`), `fixtures/backends/NAME.toml` (version, key selection
//! and the reason of each known deviation) and `fixtures/cases/FAMILY.toml` (descriptions,
//! attacker classes and severities).
//!
//! What a reader sees first is one row per backend: the distinct cases it accepts unsafely, by
//! attacker class (who can make the token), then crashes, unchecked and strict results. The
//! families × backends grid below counts distinct cases too (a case that fails under three
//! policies counts once) and colours each cell by the worst finding in it: red when anyone can
//! make the token, orange when a token holder can, yellow when only the issuer can, grey-blue
//! for checks the library leaves to the integrator. Policies are listed in the detail each cell
//! links to. The HTML file is self-contained (inline style, no script) and works offline.

use crate::snapshots::{catalog, read_snapshots, vector_set, version_of, CaseInfo, Row};
use crate::util::{root, write_or_check};
use anyhow::{bail, Result};
use jwt_harness::cases::ClaimCheck;
use jwt_harness::deviations::BackendFile;
use jwt_harness::vectors::VectorSet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The finding classes of the matrix, worst first: (key, label, HTML class). An unsafe accept and
/// a crash take the attacker class of their case.
const CLASSES: [(&str, &str); 10] = [
    ("broken", "broken"),
    ("anyone", "unsafe: anyone"),
    ("crash-anyone", "crash: anyone"),
    ("holder", "unsafe: holder"),
    ("crash-holder", "crash: holder"),
    ("issuer", "unsafe: issuer"),
    ("crash-issuer", "crash: issuer"),
    ("unchecked", "unchecked"),
    ("strict", "strict"),
    ("unsupported", "unsupported"),
];

/// The class key of one result, `None` for a pass.
fn class_of(r: &Row, info: &CaseInfo) -> Option<&'static str> {
    let by_attacker = |crash: bool| -> &'static str {
        match (info.attacker.as_str(), crash) {
            ("anyone", false) => "anyone",
            ("holder", false) => "holder",
            ("anyone", true) => "crash-anyone",
            ("holder", true) => "crash-holder",
            (_, true) => "crash-issuer",
            _ => "issuer",
        }
    };
    match r.finding.as_str() {
        "unsafe" => Some(by_attacker(false)),
        "crash" => Some(by_attacker(true)),
        "broken" => Some("broken"),
        "unchecked" => Some("unchecked"),
        "strict" => Some("strict"),
        "unsupported" | "skipped" => Some("unsupported"),
        _ => None,
    }
}

/// Distinct-case counts of one backend over some rows.
#[derive(Default)]
struct Tally {
    /// Cases with at least one result that ran (neither unsupported nor skipped).
    run: BTreeSet<String>,
    /// Cases that ran and passed under every policy where they ran.
    failed: BTreeSet<String>,
    /// Cases per finding class (a case counts once per class).
    classes: BTreeMap<&'static str, BTreeSet<String>>,
    /// Whether every unsafe, crash, strict or broken result is explained.
    all_known: bool,
}

impl Tally {
    fn of(rows: &[&Row], cases: &BTreeMap<String, CaseInfo>) -> Tally {
        let mut t = Tally {
            all_known: true,
            ..Tally::default()
        };
        for r in rows {
            let info = cases.get(&r.case).cloned().unwrap_or_default();
            let class = class_of(r, &info);
            if class != Some("unsupported") {
                t.run.insert(r.case.clone());
                if class.is_some() {
                    t.failed.insert(r.case.clone());
                }
            }
            if let Some(c) = class {
                t.classes.entry(c).or_default().insert(r.case.clone());
            }
            if ["unsafe", "crash", "strict", "broken"].contains(&r.finding.as_str()) && !r.known {
                t.all_known = false;
            }
        }
        // A case unsupported under one policy and run under another counts as run.
        if let Some(u) = t.classes.get_mut("unsupported") {
            u.retain(|c| !t.run.contains(c));
        }
        t
    }

    fn count(&self, class: &str) -> usize {
        self.classes.get(class).map_or(0, BTreeSet::len)
    }

    fn passed(&self) -> usize {
        self.run.len() - self.failed.len()
    }

    /// The worst class with a case in it (unsupported only when nothing ran).
    fn worst(&self) -> &'static str {
        CLASSES
            .iter()
            .map(|(k, _)| *k)
            .find(|k| self.count(k) > 0 && (*k != "unsupported" || self.run.is_empty()))
            .unwrap_or("pass")
    }

    /// `passed/run · N anyone · …` for a grid cell.
    fn summary(&self) -> String {
        let mut s = format!("{}/{}", self.passed(), self.run.len());
        for (key, label) in [
            ("broken", "broken"),
            ("anyone", "anyone"),
            ("holder", "holder"),
            ("issuer", "issuer"),
            ("crash-anyone", "crash (anyone)"),
            ("crash-holder", "crash (holder)"),
            ("crash-issuer", "crash (issuer)"),
            ("unchecked", "unchecked"),
            ("strict", "strict"),
        ] {
            let n = self.count(key);
            if n > 0 {
                let _ = write!(s, " · {n} {label}");
            }
        }
        s
    }
}

/// The reason a backend file gives for a known finding; for an unchecked one, the library's own
/// words that it does not offer the check.
fn deviation_reason(
    file: &BackendFile,
    backend: &str,
    row: &Row,
    checks: &[ClaimCheck],
    vectors: &VectorSet,
) -> Option<String> {
    if let Some(tc) = row.case.strip_prefix("wycheproof-jws/tc") {
        let tc: u64 = tc.parse().ok()?;
        return vectors
            .explained
            .iter()
            .find(|e| e.backend == backend && e.tc == tc && e.finding == row.finding)
            .map(|e| e.reason.clone());
    }
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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An HTML id from a backend and a family.
fn anchor(backend: &str, family: &str) -> String {
    format!("{backend}--{family}")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:110em;color:#1a1a1a}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:4px 8px;font-size:13px;text-align:center;white-space:nowrap}
th{background:#f2f2f2}td.name,th.name{text-align:left}td a{color:inherit;text-decoration:none;display:block}
.pass{background:#d6f0d6}.unsupported{background:#ececec;color:#666}.strict{background:#ecdcf5}
.anyone,.crash-anyone{background:#f26d6d;font-weight:600}.holder,.crash-holder{background:#f7a95c}
.issuer,.crash-issuer{background:#f7e27a}.unchecked{background:#b9cde3}.broken{background:#9b59b6;color:#fff}
.zero{color:#999}.known{outline:2px dashed #7a5a00;outline-offset:-3px}
.legend span{display:inline-block;padding:2px 8px;margin:2px;border:1px solid #bbb}
li{margin:.35em 0}h3{margin-top:1.2em}code{font-size:95%}";

/// Renders both files.
fn render() -> Result<(String, String)> {
    let snaps = read_snapshots()?;
    let vectors = vector_set()?;
    let cases = catalog(&vectors)?;
    // The reference first: it is the yardstick; then the libraries alphabetically.
    let mut backends: Vec<&String> = snaps.keys().collect();
    backends.sort_by_key(|b| (b.as_str() != "reference", b.as_str()));
    let mut families: Vec<String> = snaps
        .values()
        .flatten()
        .map(|r| r.family.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    families.sort();
    let files: BTreeMap<&str, BackendFile> = backends
        .iter()
        .map(|b| {
            (
                b.as_str(),
                BackendFile::load(&root(), b).unwrap_or_default(),
            )
        })
        .collect();
    let policies: BTreeSet<String> = snaps
        .values()
        .flatten()
        .map(|r| r.policy.split('~').next().unwrap_or("").to_string())
        .filter(|p| p != "wycheproof")
        .collect();

    let mut md = String::new();
    let mut html = String::new();
    md.push_str("# The conformance matrix\n\n");
    md.push_str("Generated by `cargo xtask matrix` from `tests/snapshots/` and the gateways' verdict baselines `tests/gateways/` (do not edit by hand; CI checks it).\n");
    md.push_str("The gateways (Envoy, HAProxy, Apache with mod_oauth2 and with mod_auth_openidc) are HTTP targets configured for the rs256 policy only, and also run the `transport` family.\n");
    let _ = writeln!(
        md,
        "Every count is of distinct cases of the [catalog](CATALOG.md), run under {} default policies\n({}), plus Wycheproof's JWS vectors as the family `wycheproof-jws` (`jwt-harness vectors`); a case that fails under several policies counts once, and the detail below names them.",
        policies.len(),
        policies.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    md.push_str("**Unsafe** (accepted a token a strict validator must reject) is split by who can make the token:\n");
    md.push_str("**anyone** (no key, no valid token), a token **holder** (one genuinely issued token), or only the\n");
    md.push_str("**issuer** (a token the trusted issuer signed). **crash**: the library panicked, crashed or hung\n");
    md.push_str("on a token. **unchecked**: accepted what only a claim check the library documents it does not\n");
    md.push_str("offer would reject (the integrator's job). **strict**: rejected a token it must accept. Every\n");
    md.push_str("finding is explained in `fixtures/backends/NAME.toml`. Key selection: `library` when the\n");
    md.push_str("library's own JWK Set resolver picks the key, `adapter` when the library takes one key and the\n");
    md.push_str("adapter picks it. [HTML version](matrix.html).\n\n");

    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jwt-harness conformance matrix</title>\n<style>\n{STYLE}\n</style></head><body>\n<h1>jwt-harness conformance matrix</h1>\n"
    );
    let _ = writeln!(
        html,
        "<p>Generated by <code>cargo xtask matrix</code> from the verdict snapshots. Every count is of distinct cases, run under {} default policies; the detail each cell links to names the policies. An <b>unsafe</b> accept is counted by who can make the token: <b>anyone</b> (no key, no valid token), a token <b>holder</b>, or only the <b>issuer</b>. <b>crash</b>: the library panicked, crashed or hung. <b>unchecked</b>: a claim check the library documents it does not offer (the integrator's job). <b>strict</b>: a valid token rejected.</p>",
        policies.len()
    );
    html.push_str("<p class=\"legend\"><span class=\"anyone\">anyone can forge</span><span class=\"holder\">token holder</span><span class=\"issuer\">issuer only</span><span class=\"unchecked\">unchecked</span><span class=\"strict\">strict</span><span class=\"pass\">all pass</span><span class=\"unsupported\">unsupported</span><span class=\"broken\">broken</span> dashed outline: every finding in the cell is a known, explained deviation</p>\n");

    // 1. One summary row per backend.
    md.push_str("## Summary: distinct cases per backend\n\n");
    md.push_str("Catalog cases; the last column is Wycheproof's JWS vectors, for the backends that verify a bare\nJWS (an explained disagreement still counts against agreement; the detail gives the reason).\n\n");
    md.push_str("| backend | version | key selection | unsafe: anyone | unsafe: holder | unsafe: issuer | crash | unchecked | strict | passed / run | Wycheproof JWS: agree / run |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    html.push_str("<h2>Summary: distinct cases per backend</h2>\n<table><tr><th class=\"name\">backend</th><th class=\"name\">version</th><th>key selection</th><th>unsafe: anyone</th><th>unsafe: holder</th><th>unsafe: issuer</th><th>crash</th><th>unchecked</th><th>strict</th><th>passed / run</th><th>Wycheproof JWS: agree / run</th></tr>\n");
    for b in &backends {
        // The catalog's cases; Wycheproof's vectors have a column of their own.
        let (vector_rows, rows): (Vec<&Row>, Vec<&Row>) =
            snaps[*b].iter().partition(|r| r.family == "wycheproof-jws");
        let t = Tally::of(&rows, &cases);
        let vt = Tally::of(&vector_rows, &cases);
        let vectors_cell = if vector_rows.is_empty() {
            "-".to_string()
        } else {
            format!("{}/{}", vt.passed(), vt.run.len())
        };
        let file = &files[b.as_str()];
        let version = version_of(file);
        let keys = file.key_selection.map_or("?", |k| k.as_str());
        let crash = t.count("crash-anyone") + t.count("crash-holder") + t.count("crash-issuer");
        // Coloured by the worst attacker class among the crashes.
        let crash_class = ["crash-anyone", "crash-holder", "crash-issuer"]
            .into_iter()
            .find(|c| t.count(c) > 0)
            .unwrap_or("crash-issuer");
        let counts = [
            ("anyone", t.count("anyone")),
            ("holder", t.count("holder")),
            ("issuer", t.count("issuer")),
            (crash_class, crash),
            ("unchecked", t.count("unchecked")),
            ("strict", t.count("strict")),
        ];
        let _ = write!(md, "| [{b}](#{b}) | {version} | {keys} |");
        let _ = write!(
            html,
            "<tr><td class=\"name\"><a href=\"#{b}\">{b}</a></td><td class=\"name\">{}</td><td>{keys}</td>",
            escape(&version)
        );
        for (class, n) in counts {
            let _ = write!(md, " {n} |");
            let class = if n == 0 { "zero" } else { class };
            let _ = write!(html, "<td class=\"{class}\">{n}</td>");
        }
        let _ = writeln!(md, " {}/{} | {vectors_cell} |", t.passed(), t.run.len());
        let _ = writeln!(
            html,
            "<td>{}/{}</td><td>{vectors_cell}</td></tr>",
            t.passed(),
            t.run.len()
        );
    }
    html.push_str("</table>\n");

    // 2. Families × backends.
    md.push_str("\n## By family\n\n");
    md.push_str("Each cell: cases passed / cases run, then distinct cases per finding class; ⛔ marks a cell\n");
    md.push_str("with a case anyone can exploit.\n\n");
    html.push_str("<h2>By family</h2>\n<p>Each cell: cases passed / cases run, then distinct cases per finding class, coloured by the worst; click a cell for the findings and their policies.</p>\n<table><tr><th class=\"name\">family</th>");
    let _ = write!(md, "| family |");
    for b in &backends {
        let _ = write!(md, " {b} |");
        let _ = write!(html, "<th><a href=\"#{b}\">{b}</a></th>");
    }
    md.push_str("\n|---|");
    md.push_str(&"---|".repeat(backends.len()));
    md.push('\n');
    html.push_str("</tr>\n");
    for f in &families {
        let _ = write!(md, "| {f} |");
        let _ = write!(html, "<tr><th class=\"name\">{f}</th>");
        for b in &backends {
            let rows: Vec<&Row> = snaps[*b].iter().filter(|r| &r.family == f).collect();
            let t = Tally::of(&rows, &cases);
            let class = t.worst();
            let text = if rows.is_empty() {
                "-".to_string()
            } else {
                t.summary()
            };
            let mark = if ["anyone", "crash-anyone"].contains(&class) {
                "⛔ "
            } else {
                ""
            };
            let has_findings = !["pass", "unsupported"].contains(&class);
            if has_findings {
                let _ = write!(md, " [{mark}{text}](#{}) |", anchor(b, f));
            } else {
                let _ = write!(md, " {text} |");
            }
            let known = has_findings && class != "unchecked" && t.all_known;
            let cls = format!("{class}{}", if known { " known" } else { "" });
            if has_findings {
                let _ = write!(
                    html,
                    "<td class=\"{cls}\"><a href=\"#{}\">{text}</a></td>",
                    anchor(b, f)
                );
            } else {
                let _ = write!(html, "<td class=\"{cls}\">{text}</td>");
            }
        }
        md.push('\n');
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");

    // 3. The findings of each backend, worst class first, with their policies and reasons.
    md.push_str("\n## Findings by backend\n");
    for b in &backends {
        let file = &files[b.as_str()];
        let _ = write!(md, "\n### {b}\n\n");
        let _ = writeln!(html, "<h2 id=\"{b}\">{b}</h2>");
        let _ = writeln!(md, "Version: {}.", version_of(file));
        let _ = writeln!(html, "<p>Version: {}.", escape(&version_of(file)));
        if let (Some(k), Some(note)) = (file.key_selection, &file.key_selection_note) {
            let _ = writeln!(md, "Key selection: **{}**: {note}.", k.as_str());
            let _ = write!(
                html,
                " Key selection: <b>{}</b>: {}.",
                k.as_str(),
                escape(note)
            );
        }
        md.push('\n');
        html.push_str("</p>\n");
        // (family, class order, case) -> rows
        let mut groups: BTreeMap<(String, usize, String), Vec<&Row>> = BTreeMap::new();
        for r in &snaps[*b] {
            let info = cases.get(&r.case).cloned().unwrap_or_default();
            let Some(class) = class_of(r, &info) else {
                continue;
            };
            if class == "unsupported" {
                continue;
            }
            let order = CLASSES.iter().position(|(k, _)| *k == class).unwrap_or(0);
            groups
                .entry((r.family.clone(), order, r.case.clone()))
                .or_default()
                .push(r);
        }
        if groups.is_empty() {
            md.push_str("No unsafe, crash, unchecked, strict or broken result.\n");
            html.push_str("<p>No unsafe, crash, unchecked, strict or broken result.</p>\n");
            continue;
        }
        let mut family_open: Option<String> = None;
        for ((family, order, case), rows) in &groups {
            if family_open.as_deref() != Some(family) {
                if family_open.is_some() {
                    html.push_str("</ul>\n");
                }
                let id = anchor(b, family);
                let _ = write!(md, "<a id=\"{id}\"></a>\n#### {b}: {family}\n\n");
                let _ = writeln!(html, "<h3 id=\"{id}\">{b}: {family}</h3>\n<ul>");
                family_open = Some(family.clone());
            }
            let info = cases.get(case).cloned().unwrap_or_default();
            let (class, label) = CLASSES[*order];
            // Where the case is written: a catalog family file, or the vectors' explanations.
            let source = if family == "wycheproof-jws" {
                "../fixtures/vectors/json_web_signature_test.toml".to_string()
            } else {
                format!("../fixtures/cases/{family}.toml")
            };
            let policies: Vec<&str> = rows.iter().map(|r| r.policy.as_str()).collect();
            let why =
                deviation_reason(file, b, rows[0], &info.checks, &vectors).unwrap_or_else(|| {
                    "NOT EXPLAINED: a finding without a reason in the backend file".into()
                });
            let sev = if ["unsafe", "crash"].contains(&rows[0].finding.as_str()) {
                format!(", {}", info.severity)
            } else {
                String::new()
            };
            let _ = writeln!(
                md,
                "- **{label}{sev}** [`{case}`]({source}) ({}; got {}): {}  \n  _Why:_ {why}",
                policies.join(", "),
                rows[0].outcome,
                info.description
            );
            let _ = writeln!(
                html,
                "<li><b class=\"{class}\">&nbsp;{label}{sev}&nbsp;</b> <a href=\"{source}\"><code>{case}</code></a> ({}; got {}): {}<br><i>Why:</i> {}</li>",
                policies.join(", "),
                rows[0].outcome,
                escape(&info.description),
                escape(&why)
            );
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</body></html>\n");
    Ok((md, html))
}

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let check = args.iter().any(|a| a == "--check");
    if let Some(bad) = args.iter().find(|a| a.as_str() != "--check") {
        bail!("unknown argument {bad:?} (matrix takes --check)");
    }
    let (md, html) = render()?;
    let docs = root().join("docs");
    write_or_check(
        &[
            (docs.join("MATRIX.md"), md),
            (docs.join("matrix.html"), html),
        ],
        check,
        "matrix",
    )
}
