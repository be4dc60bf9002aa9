//! The JSON report, version 2: docs/DESIGN.md's schema plus `report_version`, the `attacker` class of
//! every result, the `crash` and `unchecked` findings and unsafe counts per attacker class in the summary, and
//! `detail` and `known` per result.

use super::Report;
use crate::cases::Attacker;
use serde_json::{json, Value};

/// Renders the report as JSON.
pub fn to_json(report: &Report) -> Value {
    let s = report.summary();
    json!({
        "report_version": 2,
        "harness": {
            "name": "jwt-harness",
            "version": env!("CARGO_PKG_VERSION"),
            "now": report.now,
            "seed": report.seed,
            "tokens": report.tokens,
        },
        "backends": report.backends.iter().map(|b| json!({
            "name": b.name, "version": b.version, "clock": b.clock.name(),
            "key_selection": report.key_selection.get(&b.name).map(|k| k.as_str()),
        })).collect::<Vec<_>>(),
        "results": report.results.iter().map(|r| json!({
            "backend": r.backend,
            "policy": r.policy,
            "case": r.case,
            "family": r.family,
            "expect": r.expect.name(),
            "expect_reason": r.expect_reason.map(|x| x.name()),
            "outcome": r.outcome.kind(),
            "reason": r.reason().map(|x| x.name()),
            "finding": r.finding.name(),
            "severity": r.severity.name(),
            "attacker": r.attacker.name(),
            "detail": r.detail(),
            "known": r.known,
        })).collect::<Vec<_>>(),
        "forge_errors": report.forge_errors.iter().map(|e| json!({
            "case": e.id, "message": e.message,
        })).collect::<Vec<_>>(),
        "stale_deviations": report.stale.iter().map(|d| json!({
            "backend": d.backend, "case": d.case, "policy": d.policy, "finding": d.finding,
        })).collect::<Vec<_>>(),
        "summary": {
            "cases": s.cases,
            "results": s.results,
            "pass": s.pass,
            "unsafe": s.unsafe_,
            "strict": s.strict,
            "unsupported": s.unsupported,
            "unchecked": s.unchecked,
            "crash": s.crash,
            "broken": s.broken,
            "skipped": s.skipped,
            "known": s.known,
            "unsafe_by_attacker": Attacker::ALL.iter().enumerate().map(|(i, a)| {
                (a.name().to_string(), json!(s.unsafe_by_attacker[i]))
            }).collect::<serde_json::Map<String, Value>>(),
            "unsafe_by_attacker_all": Attacker::ALL.iter().enumerate().map(|(i, a)| {
                (a.name().to_string(), json!(s.unsafe_by_attacker_all[i]))
            }).collect::<serde_json::Map<String, Value>>(),
        },
    })
}

/// The forged instances as `cases --format json` lists them: each case instance with its
/// expectation, attacker class, impact, severity and references, and with `tokens` the token.
pub fn instances_json(forged: &crate::forge::Forged, tokens: bool) -> Value {
    Value::Array(
        forged
            .instances
            .iter()
            .map(|i| {
                let mut v = json!({
                    "id": i.id,
                    "case": i.case.id,
                    "family": i.case.family,
                    "policy": i.policy.name,
                    "description": i.case.description,
                    "expect": i.case.expect.name(),
                    "reason": i.case.reason.map(|r| r.name()),
                    "severity": i.case.severity.map(|s| s.name()),
                    "attacker": i.case.attacker.map(|a| a.name()),
                    "impact": i.case.impact.map(|x| x.name()),
                    "refs": i.case.refs,
                    "fixed_clock": i.case.fixed_clock,
                    "now": i.now,
                });
                if tokens {
                    v["token"] = json!(i.token);
                }
                v
            })
            .collect(),
    )
}
