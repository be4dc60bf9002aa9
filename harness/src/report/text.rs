//! The text report: unsafe findings first, then the families × backends matrix; and the
//! snapshot lines (`id  expect  outcome(reason)  finding`).

use super::{Report, ResultRow};
use crate::judge::Finding;
use std::fmt::Write;

fn outcome_cell(r: &ResultRow) -> String {
    match r.reason() {
        Some(reason) => format!("{}({})", r.outcome.kind(), reason.name()),
        None => r.outcome.kind().to_string(),
    }
}

/// The snapshot of one backend, optionally one policy: one line per case, no volatile values.
pub fn snapshot(report: &Report, backend: &str, policy: Option<&str>) -> String {
    let rows: Vec<&ResultRow> = report
        .results
        .iter()
        .filter(|r| r.backend == backend)
        .filter(|r| policy.is_none_or(|p| r.policy == p || r.policy.starts_with(&format!("{p}~"))))
        .collect();
    let width = rows
        .iter()
        .map(|r| r.instance_id().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in rows {
        let finding = match (&r.known, r.finding.is_pass()) {
            (Some(_), false) => format!("{} (known)", r.finding.name()),
            _ => r.finding.name().to_string(),
        };
        let _ = writeln!(
            out,
            "{:width$}  {:6}  {:24}  {}",
            r.instance_id(),
            r.expect.name(),
            outcome_cell(r),
            finding,
        );
    }
    out
}

/// Renders the human-readable report.
pub fn to_text(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    let mut problems: Vec<&ResultRow> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.finding,
                Finding::Unsafe | Finding::Crash | Finding::Broken | Finding::Strict
            )
        })
        .collect();
    problems.sort_by_key(|r| {
        (
            r.finding != Finding::Unsafe,
            r.attacker,
            r.finding != Finding::Crash,
            r.finding != Finding::Broken,
            std::cmp::Reverse(r.severity),
            r.known.is_some(),
        )
    });
    let mut hidden_known = 0;
    for r in &problems {
        if r.known.is_some() && !verbose {
            hidden_known += 1;
            continue;
        }
        let label = match r.finding {
            Finding::Unsafe => format!("UNSAFE {} {}", r.severity.name(), r.attacker.name()),
            Finding::Crash => format!("CRASH {} {}", r.severity.name(), r.attacker.name()),
            Finding::Broken => "BROKEN".to_string(),
            _ => "STRICT".to_string(),
        };
        let _ = write!(out, "{label:24} {:14} {}", r.backend, r.instance_id());
        match &r.known {
            Some(why) => {
                let _ = write!(out, "  [known: {why}]");
            }
            None if !r.detail().is_empty() => {
                // Broken results carry the adapter's stderr tail: show enough of it to act on.
                let max = if r.finding == Finding::Broken {
                    400
                } else {
                    100
                };
                let _ = write!(out, "  {}", one_line(r.detail(), max));
            }
            None => {}
        }
        out.push('\n');
    }
    if verbose {
        for r in report
            .results
            .iter()
            .filter(|r| r.finding == Finding::Reason)
        {
            let _ = writeln!(
                out,
                "{:15} {:14} {}  expected {}, got {}",
                "reason",
                r.backend,
                r.instance_id(),
                r.expect_reason.map_or("-", |x| x.name()),
                r.reason().map_or("none", |x| x.name())
            );
        }
    }
    if hidden_known > 0 {
        let _ = writeln!(
            out,
            "({hidden_known} known deviations explained in fixtures/backends/*.toml; --verbose lists them, and the rejections given another reason than expected)"
        );
    }
    if !problems.is_empty() {
        out.push('\n');
    }

    // The matrix: families × backends, each cell "passed/run" and the worst finding.
    let mut families: Vec<String> = Vec::new();
    for r in &report.results {
        if !families.contains(&r.family) {
            families.push(r.family.clone());
        }
    }
    let names: Vec<&str> = report.backends.iter().map(|b| b.name.as_str()).collect();
    let cells: Vec<Vec<String>> = families
        .iter()
        .map(|f| {
            names
                .iter()
                .map(|n| {
                    let rows: Vec<&ResultRow> = report
                        .results
                        .iter()
                        .filter(|r| &r.family == f && r.backend == *n)
                        .collect();
                    cell(&rows)
                })
                .collect()
        })
        .collect();
    // Every column as wide as its widest cell, so the matrix stays aligned.
    let col = names
        .iter()
        .map(|n| n.len())
        .chain(cells.iter().flatten().map(|c| c.chars().count()))
        .max()
        .unwrap_or(0)
        .max(7);
    let _ = write!(out, "{:18}", "family");
    for n in &names {
        let _ = write!(out, " {n:>col$}");
    }
    out.push('\n');
    for (f, row) in families.iter().zip(&cells) {
        let _ = write!(out, "{f:18}");
        for c in row {
            let _ = write!(out, " {c:>col$}");
        }
        out.push('\n');
    }
    if !report.key_selection.is_empty() {
        // Who picked the key: the library's own JWK Set resolver, or the adapter's glue.
        let _ = write!(out, "{:18}", "key selection");
        for n in &names {
            let k = report.key_selection.get(*n).map_or("?", |k| k.as_str());
            let _ = write!(out, " {k:>col$}");
        }
        out.push('\n');
    }
    let s = report.summary();
    let _ = writeln!(
        out,
        "\nunsafe by attacker: {}; {} crash; {} unchecked (checks the library leaves to you)",
        s.by_attacker(),
        s.crash,
        s.unchecked
    );
    let _ = writeln!(
        out,
        "{} cases, {} results: {} pass ({} with another reason), {} unsafe, {} crash, {} strict, {} unsupported, {} broken, {} skipped; {} known deviations",
        s.cases, s.results, s.pass, s.reason, s.unsafe_, s.crash, s.strict, s.unsupported, s.broken, s.skipped, s.known
    );
    for e in &report.forge_errors {
        let _ = writeln!(out, "forge error: {}: {}", e.id, e.message);
    }
    for d in &report.stale {
        let _ = writeln!(
            out,
            "stale deviation: {} {} @{} ({}) no longer occurs: remove it from fixtures/backends/{}.toml",
            d.backend, d.case, d.policy, d.finding, d.backend
        );
    }
    out
}

fn cell(rows: &[&ResultRow]) -> String {
    if rows.is_empty() {
        return "-".into();
    }
    let run: Vec<&&ResultRow> = rows
        .iter()
        .filter(|r| !matches!(r.finding, Finding::Skipped | Finding::Unsupported))
        .collect();
    let pass = run.iter().filter(|r| r.finding.is_pass()).count();
    let count = |f: Finding| rows.iter().filter(|r| r.finding == f).count();
    let mut text = format!("{pass}/{}", run.len());
    for (f, mark) in [
        (Finding::Unsafe, "U"),
        (Finding::Crash, "C"),
        (Finding::Unchecked, "N"),
        (Finding::Broken, "B"),
        (Finding::Strict, "S"),
    ] {
        let n = count(f);
        if n > 0 {
            let _ = write!(text, " {n}{mark}");
        }
    }
    text
}

/// The first line of a text, cut to `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}
