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

/// Renders the human-readable report, its matrix as wide as it needs.
pub fn to_text(report: &Report, verbose: bool) -> String {
    to_text_width(report, verbose, usize::MAX)
}

/// Renders the human-readable report with its matrix fitted to `width` columns (a terminal's):
/// families as rows and backends as columns when that fits, else backends as rows, else one
/// block per backend. Cells never run together: every column is as wide as its widest cell.
pub fn to_text_width(report: &Report, verbose: bool, width: usize) -> String {
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

    // The matrix: families × backends, each cell "passed/run" and the findings.
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
    let keys: Option<Vec<&str>> = (!report.key_selection.is_empty()).then(|| {
        names
            .iter()
            .map(|n| report.key_selection.get(*n).map_or("?", |k| k.as_str()))
            .collect()
    });
    out.push_str(&matrix(&families, &names, &cells, keys.as_deref(), width));
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

/// A table: a header row and rows of cells, the first column left-aligned, the others
/// right-aligned, each column as wide as its widest cell, one space between columns.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate().take(ncol) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, c) in cells.enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i == 0 {
                text.push_str(c);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(c);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut out, &mut header.iter().copied());
    for row in rows {
        line(&mut out, &mut row.iter().map(String::as_str));
    }
    out
}

/// The widest line of a text, in characters.
fn text_width(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The families × backends matrix fitted to `width` (see [`to_text_width`]).
fn matrix(
    families: &[String],
    names: &[&str],
    cells: &[Vec<String>],
    keys: Option<&[&str]>,
    width: usize,
) -> String {
    // Families as rows.
    let mut header = vec!["family"];
    header.extend(names);
    let mut rows: Vec<Vec<String>> = families
        .iter()
        .zip(cells)
        .map(|(f, row)| {
            std::iter::once(f.clone())
                .chain(row.iter().cloned())
                .collect()
        })
        .collect();
    if let Some(keys) = keys {
        rows.push(
            std::iter::once("key selection".to_string())
                .chain(keys.iter().map(|k| k.to_string()))
                .collect(),
        );
    }
    let wide = table(&header, &rows);
    if text_width(&wide) <= width {
        return wide;
    }
    // Backends as rows.
    let mut header = vec!["backend"];
    header.extend(families.iter().map(String::as_str));
    if keys.is_some() {
        header.push("keys");
    }
    let rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(b, n)| {
            let mut row = vec![n.to_string()];
            row.extend(cells.iter().map(|r| r[b].clone()));
            if let Some(keys) = keys {
                row.push(keys[b].to_string());
            }
            row
        })
        .collect();
    let tall = table(&header, &rows);
    if text_width(&tall) <= width {
        return tall;
    }
    // One block per backend, its family cells wrapped at the width.
    let mut out = String::new();
    for (b, n) in names.iter().enumerate() {
        match keys {
            Some(keys) => out.push_str(&format!("{n} (key selection: {})\n", keys[b])),
            None => out.push_str(&format!("{n}\n")),
        }
        let mut line = String::from(" ");
        for (f, row) in families.iter().zip(cells) {
            let item = format!(" {f} {}", row[b]);
            if line.chars().count() + item.chars().count() > width && line.len() > 1 {
                out.push_str(&line);
                out.push('\n');
                line = String::from(" ");
            }
            line.push_str(&item);
            line.push(';');
        }
        out.push_str(line.trim_end_matches(';'));
        out.push('\n');
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

/// The width a text matrix printed to standard output must fit: `COLUMNS` when set, else the
/// terminal's when standard output is one, else unlimited (a pipe or a file keeps the full
/// table).
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    let term = console::Term::stdout();
    if term.is_term() {
        if let Some((_, cols)) = term.size_checked() {
            return cols as usize;
        }
    }
    usize::MAX
}
