//! The JUnit XML report: one test suite per backend, one test case per case instance, so CI
//! systems show findings as failed tests. Unsafe, crash, strict and broken results fail (known
//! deviations pass with their reason in `system-out`); unsupported and skipped are skipped.

use super::Report;
use crate::judge::Finding;
use std::fmt::Write;

/// Escapes text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot hold most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as JUnit XML.
pub fn to_junit(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let fails = |f: Finding| {
        matches!(
            f,
            Finding::Unsafe | Finding::Crash | Finding::Strict | Finding::Broken
        )
    };
    let s = report.summary();
    let failures = report
        .results
        .iter()
        .filter(|r| fails(r.finding) && r.known.is_none())
        .count();
    let _ = writeln!(
        out,
        "<testsuites name=\"jwt-harness\" tests=\"{}\" failures=\"{failures}\" skipped=\"{}\">",
        s.results,
        s.skipped + s.unsupported
    );
    for b in &report.backends {
        let rows: Vec<_> = report
            .results
            .iter()
            .filter(|r| r.backend == b.name)
            .collect();
        let f = rows
            .iter()
            .filter(|r| fails(r.finding) && r.known.is_none())
            .count();
        let sk = rows
            .iter()
            .filter(|r| {
                matches!(
                    r.finding,
                    Finding::Skipped | Finding::Unsupported | Finding::Unchecked
                )
            })
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" skipped=\"{sk}\">",
            xml_escape(&b.name),
            rows.len()
        );
        for r in rows {
            let _ = write!(
                out,
                "    <testcase classname=\"{}.{}\" name=\"{}\"",
                xml_escape(&r.backend),
                xml_escape(&r.family),
                xml_escape(&r.instance_id())
            );
            let message = format!(
                "{} {} (attacker: {}): expected {}, got {}{}",
                r.finding.name(),
                r.severity.name(),
                r.attacker.name(),
                r.expect.name(),
                r.outcome.kind(),
                r.reason()
                    .map(|x| format!("({})", x.name()))
                    .unwrap_or_default()
            );
            match (r.finding, &r.known) {
                (f, None) if fails(f) => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                        r.finding.name(),
                        xml_escape(&message),
                        xml_escape(r.detail())
                    );
                }
                (Finding::Unchecked, _) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"unchecked: accepted; only a claim check the library does not offer would reject it\"/>\n    </testcase>"
                    );
                }
                (Finding::Skipped | Finding::Unsupported, _) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml_escape(r.detail())
                    );
                }
                (_, Some(why)) if fails(r.finding) => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>known deviation: {}: {}</system-out>\n    </testcase>",
                        xml_escape(&message),
                        xml_escape(why)
                    );
                }
                _ => out.push_str("/>\n"),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
