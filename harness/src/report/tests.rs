//! Every output format carries the verdict model: unsafe results by attacker class, crashes,
//! unchecked results apart from both, and who selected the key.

use super::*;
use crate::backend::Clock;
use crate::deviations::KeySelection;

fn row(
    case: &str,
    expect: Expect,
    outcome: Outcome,
    finding: Finding,
    attacker: Attacker,
) -> ResultRow {
    ResultRow {
        backend: "lib".into(),
        policy: "rs256".into(),
        case: case.into(),
        family: case.split('/').next().unwrap_or("").into(),
        description: format!("the {case} case"),
        expect,
        expect_reason: None,
        outcome,
        finding,
        attacker,
        severity: match attacker {
            Attacker::Anyone => Severity::Critical,
            Attacker::Holder => Severity::High,
            Attacker::Issuer => Severity::Low,
        },
        known: None,
        token_id: "sha256:0".into(),
        note: None,
    }
}

/// One result of every class that matters: an unsafe accept per attacker class, a crash, an
/// unchecked accept and a pass.
fn report() -> Report {
    let mut r = Report::new(
        1_764_350_000,
        0,
        vec![BackendInfo {
            name: "lib".into(),
            version: "1.0".into(),
            clock: Clock::Request,
        }],
    );
    r.key_selection.insert("lib".into(), KeySelection::Library);
    let reject = Expect::Reject;
    r.results = vec![
        row(
            "alg-none/plain",
            reject,
            Outcome::Accept,
            Finding::Unsafe,
            Attacker::Anyone,
        ),
        row(
            "time/expired",
            reject,
            Outcome::Accept,
            Finding::Unsafe,
            Attacker::Holder,
        ),
        row(
            "header-injection/crit",
            reject,
            Outcome::Accept,
            Finding::Unsafe,
            Attacker::Issuer,
        ),
        row(
            "crypto-edge/hmac-short",
            reject,
            Outcome::Crash("panicked at src/hmac.rs:10".into()),
            Finding::Crash,
            Attacker::Anyone,
        ),
        row(
            "claims/iss-different",
            reject,
            Outcome::Accept,
            Finding::Unchecked,
            Attacker::Holder,
        ),
        row(
            "valid/baseline",
            Expect::Accept,
            Outcome::Accept,
            Finding::Pass,
            Attacker::Holder,
        ),
    ];
    r.distinct_cases = 6;
    r
}

#[test]
fn json_is_version_2_with_attacker_classes_crash_unchecked_and_key_selection() {
    let v = to_json(&report());
    assert_eq!(v["report_version"], 2);
    assert_eq!(v["backends"][0]["key_selection"], "library");
    let s = &v["summary"];
    for class in ["anyone", "holder", "issuer"] {
        assert_eq!(s["unsafe_by_attacker"][class], 1, "{s}");
    }
    assert_eq!(s["crash"], 1, "{s}");
    assert_eq!(s["unchecked"], 1, "{s}");
    assert_eq!(s["unsafe"], 3, "{s}");
    let results = v["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["attacker"].is_string()));
    let crash = results.iter().find(|r| r["finding"] == "crash").unwrap();
    assert_eq!(crash["attacker"], "anyone");
}

#[test]
fn junit_fails_unsafe_and_crash_and_skips_unchecked() {
    let x = to_junit(&report());
    assert!(x.contains("failures=\"4\""), "{x}");
    assert!(x.contains("<failure type=\"crash\""), "{x}");
    assert!(x.contains("unsafe critical (attacker: anyone)"), "{x}");
    assert!(x.contains("(attacker: issuer)"), "{x}");
    assert!(x.contains("<skipped message=\"unchecked"), "{x}");
}

#[test]
fn sarif_levels_follow_severity_and_unchecked_is_a_note() {
    let v = to_sarif(&report());
    let results = v["runs"][0]["results"].as_array().unwrap();
    let level = |case: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == case)
            .map(|r| r["level"].as_str().unwrap().to_string())
    };
    assert_eq!(level("alg-none/plain").as_deref(), Some("error"));
    assert_eq!(level("crypto-edge/hmac-short").as_deref(), Some("error"));
    assert_eq!(level("header-injection/crit").as_deref(), Some("note"));
    assert_eq!(level("claims/iss-different").as_deref(), Some("note"));
    assert_eq!(level("valid/baseline"), None);
    let rule = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "alg-none/plain")
        .unwrap()
        .clone();
    assert_eq!(rule["properties"]["attacker"], "anyone");
    let unchecked = results
        .iter()
        .find(|r| r["ruleId"] == "claims/iss-different")
        .unwrap();
    assert!(unchecked["message"]["text"]
        .as_str()
        .unwrap()
        .contains("leaves this to you"));
}

#[test]
fn markdown_and_text_lead_with_unsafe_by_attacker() {
    let report = report();
    let md = to_markdown(&report);
    let first = md
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert!(
        first.starts_with("Unsafe by attacker: anyone 1, holder 1, issuer 1"),
        "{first}"
    );
    assert!(md.contains("1 crash"), "{md}");
    assert!(md.contains("1 unchecked"), "{md}");
    assert!(md.contains("| key selection | library |"), "{md}");

    let text = to_text(&report, false);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("UNSAFE critical anyone"), "{text}");
    assert!(lines[1].starts_with("UNSAFE high holder"), "{text}");
    assert!(lines[2].starts_with("UNSAFE low issuer"), "{text}");
    assert!(lines[3].starts_with("CRASH"), "{text}");
    let summary = lines
        .iter()
        .position(|l| {
            l.starts_with("unsafe by attacker: anyone 1, holder 1, issuer 1; 1 crash; 1 unchecked")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(lines[summary + 1].contains("3 unsafe, 1 crash"), "{text}");
    assert!(text.contains("key selection"), "{text}");
}

/// A report with `n` backends whose cells differ in width.
fn wide_report(n: usize) -> Report {
    let mut backends = Vec::new();
    let mut results = Vec::new();
    for i in 0..n {
        let name = format!("backend-number-{i}");
        backends.push(BackendInfo {
            name: name.clone(),
            version: "1.0".into(),
            clock: Clock::Request,
        });
        for (case, finding) in [
            ("time/expired", Finding::Unsafe),
            ("time/expired-more", Finding::Pass),
            ("claims/iss-other", Finding::Unchecked),
        ] {
            let mut r = row(
                case,
                Expect::Reject,
                Outcome::Accept,
                finding,
                Attacker::Holder,
            );
            r.backend = name.clone();
            // Every other backend has many more results: wide cells beside narrow ones.
            for k in 0..(1 + 150 * (i % 2)) {
                let mut r = r.clone();
                r.policy = format!("p{k}");
                results.push(r);
            }
        }
    }
    let mut r = Report::new(1_764_350_000, 0, backends);
    r.results = results;
    r
}

/// The matrix lines of a text report: from the header line to the summary.
fn matrix_lines(text: &str, first: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with(first))
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_text_matrix_never_runs_cells_together_and_fits_the_terminal() {
    let report = wide_report(11);
    // Unlimited: families as rows, every cell separated from the next by spaces.
    let text = to_text_width(&report, false, usize::MAX);
    let grid = matrix_lines(&text, "family");
    assert_eq!(grid.len(), 3, "{text}");
    let header: Vec<&str> = grid[0].split_whitespace().collect();
    assert_eq!(header.len(), 12, "{text}");
    for line in &grid[1..] {
        // At least two spaces between cells: 12 columns, none glued to the next.
        let cols: Vec<&str> = line.split("  ").filter(|c| !c.trim().is_empty()).collect();
        assert_eq!(cols.len(), 12, "{line}");
        // Right-aligned: every line as long as the header.
        assert_eq!(line.chars().count(), grid[0].chars().count(), "{text}");
    }
    assert!(
        grid[1].contains(" 1/2 1U") && grid[1].contains(" 151/302 151U"),
        "{text}"
    );
    assert!(
        grid[2].contains(" 0/1 1N") && grid[2].contains(" 0/151 151N"),
        "{text}"
    );
    assert!(grid[0].chars().count() > 120);
    // 120 columns: backends as rows.
    let text = to_text_width(&report, false, 120);
    let rows = matrix_lines(&text, "backend");
    assert_eq!(rows.len(), 12, "{text}");
    assert!(rows.iter().all(|l| l.chars().count() <= 120), "{text}");
    assert!(rows[1].starts_with("backend-number-0"), "{text}");
    // 30 columns: one block per backend, wrapped.
    let text = to_text_width(&report, false, 30);
    assert!(text.contains("backend-number-10\n"), "{text}");
    let block: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("backend-number-1\n") && *l != "backend-number-1")
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .collect();
    assert!(!block.is_empty(), "{text}");
    assert!(block.iter().all(|l| l.chars().count() <= 30), "{text}");
}
