//! The Markdown report, for pull-request comments and job summaries: the summary line, the
//! families × backends matrix, and the findings that fail the run.

use super::Report;
use crate::judge::Finding;
use std::fmt::Write;

fn cell_text(report: &Report, family: &str, backend: &str) -> String {
    let rows: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.family == family && r.backend == backend)
        .collect();
    if rows.is_empty() {
        return "–".into();
    }
    let run = rows
        .iter()
        .filter(|r| !matches!(r.finding, Finding::Skipped | Finding::Unsupported))
        .count();
    let pass = rows.iter().filter(|r| r.finding.is_pass()).count();
    let mut text = format!("{pass}/{run}");
    for (f, label) in [
        (Finding::Unsafe, "unsafe"),
        (Finding::Strict, "strict"),
        (Finding::Crash, "crash"),
        (Finding::Unchecked, "unchecked"),
        (Finding::Broken, "broken"),
    ] {
        let n = rows.iter().filter(|r| r.finding == f).count();
        if n > 0 {
            let _ = write!(text, " · {n} {label}");
        }
    }
    text
}

/// Renders the report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::from("## jwt-harness\n\n");
    let _ = writeln!(
        out,
        "Unsafe by attacker: {}; {} unchecked (checks the library leaves to you).\n",
        s.by_attacker(),
        s.unchecked
    );
    let _ = writeln!(
        out,
        "{} cases, {} results: **{} unsafe**, {} crash, {} strict, {} broken, {} unsupported, {} skipped, {} pass; {} known deviations.\n",
        s.cases, s.results, s.unsafe_, s.crash, s.strict, s.broken, s.unsupported, s.skipped, s.pass, s.known
    );
    let mut families: Vec<&str> = Vec::new();
    for r in &report.results {
        if !families.contains(&r.family.as_str()) {
            families.push(&r.family);
        }
    }
    out.push_str("| family |");
    for b in &report.backends {
        let _ = write!(out, " {} |", b.name);
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(report.backends.len()));
    out.push('\n');
    for f in families {
        let _ = write!(out, "| {f} |");
        for b in &report.backends {
            let _ = write!(out, " {} |", cell_text(report, f, &b.name));
        }
        out.push('\n');
    }
    if !report.key_selection.is_empty() {
        out.push_str("| key selection |");
        for b in &report.backends {
            let k = report
                .key_selection
                .get(&b.name)
                .map_or("?", |k| k.as_str());
            let _ = write!(out, " {k} |");
        }
        out.push('\n');
    }
    let problems: Vec<_> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.finding,
                Finding::Unsafe | Finding::Crash | Finding::Strict | Finding::Broken
            )
        })
        .filter(|r| r.known.is_none())
        .collect();
    if !problems.is_empty() {
        out.push_str("\n### Unexplained findings\n\n| finding | backend | case | detail |\n|---|---|---|---|\n");
        for r in problems {
            let _ = writeln!(
                out,
                "| {} {} | {} | `{}` | {} |",
                r.finding.name(),
                if matches!(r.finding, Finding::Unsafe | Finding::Crash) {
                    format!("{} ({})", r.severity.name(), r.attacker.name())
                } else {
                    String::new()
                },
                r.backend,
                r.instance_id(),
                super::text::one_line(r.detail(), 120).replace('|', "\\|")
            );
        }
    }
    out
}
