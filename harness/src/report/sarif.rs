//! The SARIF 2.1.0 report, for code-scanning dashboards: one rule per case that produced a
//! finding, one result per unsafe, crash, unchecked, strict or broken result, located at the case's
//! file. Unchecked results (a check the library documents it leaves to the integrator) are notes.
//! Known deviations are included as suppressed results carrying their justification.

use super::Report;
use crate::cases::Severity;
use crate::judge::Finding;
use serde_json::{json, Value};

/// Renders the report as SARIF.
pub fn to_sarif(report: &Report) -> Value {
    let findings: Vec<_> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.finding,
                Finding::Unsafe
                    | Finding::Crash
                    | Finding::Unchecked
                    | Finding::Strict
                    | Finding::Broken
            )
        })
        .collect();
    let mut rule_ids: Vec<&str> = findings.iter().map(|r| r.case.as_str()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let r = findings
                .iter()
                .find(|r| r.case == *id)
                .expect("from findings");
            json!({
                "id": id,
                "name": id.replace(['/', '-'], "_"),
                "shortDescription": {"text": r.description},
                "properties": {
                    "family": r.family,
                    "severity": r.severity.name(),
                    "attacker": r.attacker.name(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|r| {
            let level = match (r.finding, r.severity) {
                (Finding::Broken, _) => "error",
                (Finding::Unsafe | Finding::Crash, Severity::Critical | Severity::High) => "error",
                (Finding::Unsafe | Finding::Crash, Severity::Medium) | (Finding::Strict, _) => {
                    "warning"
                }
                _ => "note",
            };
            let text = match r.finding {
                Finding::Unsafe => format!(
                    "{} accepted a token it must reject under policy {} (attacker: {}): {}",
                    r.backend,
                    r.policy,
                    r.attacker.name(),
                    r.description
                ),
                Finding::Crash => format!(
                    "{} crashed on a token (denial of service; attacker: {}) under policy {}: {}",
                    r.backend,
                    r.attacker.name(),
                    r.policy,
                    r.detail()
                ),
                Finding::Strict => format!(
                    "{} rejected a valid token under policy {}: {}",
                    r.backend, r.policy, r.description
                ),
                Finding::Unchecked => format!(
                    "{} accepted, under policy {}, a token only a claim check it does not offer would reject (the library leaves this to you; attacker: {}): {}",
                    r.backend,
                    r.policy,
                    r.attacker.name(),
                    r.description
                ),
                _ => format!("{} broke on {}: {}", r.backend, r.instance_id(), r.detail()),
            };
            let mut v = json!({
                "ruleId": r.case,
                "level": level,
                "message": {"text": text},
                "locations": [{"physicalLocation": {"artifactLocation": {
                    "uri": format!("fixtures/cases/{}.toml", r.family)
                }}}],
                "properties": {
                    "backend": r.backend, "policy": r.policy, "finding": r.finding.name(),
                    "outcome": r.outcome.kind(), "reason": r.reason().map(|x| x.name()),
                },
            });
            if let Some(why) = &r.known {
                v["suppressions"] = json!([{"kind": "external", "justification": why}]);
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "jwt-harness",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
