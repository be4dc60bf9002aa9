//! Running HTTP targets: a target from `--target URL` or from a backend file that declares one
//! (started and stopped by the harness), the in-process JWKS server it fetches keys from, the
//! preflight baseline, and verdict baselines a team keeps in its own repository
//! (`--baseline FILE`, `--update-baseline`).

use crate::backend::http::{HttpTarget, Lifecycle, StatusSet, TargetConfig};
use crate::deviations::BackendFile;
use crate::error::{Error, Result};
use crate::jwks::JwksServer;
use crate::report::Report;
use std::path::Path;
use std::sync::Arc;

/// A free TCP port on 127.0.0.1 (bound once and released: the target binds it next).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| Error::Config(format!("no free port on 127.0.0.1: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Config(format!("no free port on 127.0.0.1: {e}")))
}

/// Fills `{port}`, `{jwks_port}` and `{upstream_port}` in a backend file's strings.
fn fill(text: &str, port: u16, jwks_port: u16, upstream: u16) -> String {
    text.replace("{port}", &port.to_string())
        .replace("{jwks_port}", &jwks_port.to_string())
        .replace("{upstream_port}", &upstream.to_string())
}

/// The target a backend file declares, started (its `start` command, then until it answers)
/// with its ports chosen now and the JWKS server's port; it is stopped when dropped.
pub fn from_file(
    name: &str,
    file: &BackendFile,
    root: &Path,
    server: &Arc<JwksServer>,
    timeout: std::time::Duration,
) -> Result<HttpTarget> {
    let origin = format!("fixtures/backends/{name}.toml");
    let url = file
        .target
        .as_deref()
        .ok_or_else(|| Error::Config(format!("{origin} declares no target")))?;
    let (port, upstream) = (free_port()?, free_port()?);
    let jwks_port = server.port();
    let mut config = TargetConfig::new(&fill(url, port, jwks_port, upstream));
    config.timeout = timeout;
    if let Some(m) = &file.method {
        config.method = m.clone();
    }
    if let Some(a) = &file.accept_status {
        config.accept = StatusSet::parse(a).map_err(|e| Error::Config(format!("{origin}: {e}")))?;
    }
    if let Some(r) = &file.reject_status {
        config.reject = StatusSet::parse(r).map_err(|e| Error::Config(format!("{origin}: {e}")))?;
    }
    if let Some(i) = &file.identity {
        config.identity = Some(
            i.parse()
                .map_err(|e| Error::Config(format!("{origin}: {e}")))?,
        );
    }
    let mut target =
        HttpTarget::new(name, config).map_err(|e| Error::Config(format!("{origin}: {e}")))?;
    if let Some(v) = &file.version {
        target = target.with_version(v);
    }
    if !file.policies.is_empty() {
        target = target.with_policies(file.policies.clone());
    }
    let fill_all = |cmd: &[String]| -> Vec<String> {
        cmd.iter()
            .map(|w| fill(w, port, jwks_port, upstream))
            .collect()
    };
    let lifecycle = Lifecycle {
        start: fill_all(&file.start),
        stop: fill_all(&file.stop),
        dir: root.to_path_buf(),
    };
    target
        .with_jwks_server(server.clone())
        .started(lifecycle)
        .map_err(|e| Error::Config(format!("{name}: cannot start the target: {e}")))
}

/// The text a verdict baseline holds: per backend and policy, the snapshot lines
/// (`id  expect  outcome(reason)  finding`), under a `## backend @ policy` heading.
pub fn baseline_text(report: &Report) -> String {
    let mut out = String::from(
        "# jwt-harness verdict baseline: one line per case (id, expected, outcome, finding).\n\
         # Written by `jwt-harness run --update-baseline`; a run with --baseline fails on any change.\n",
    );
    let mut backends: Vec<&str> = report.results.iter().map(|r| r.backend.as_str()).collect();
    backends.dedup();
    for b in backends {
        for p in report.policies() {
            if !report
                .results
                .iter()
                .any(|r| r.backend == b && r.policy == p)
            {
                continue;
            }
            out.push_str(&format!("\n## {b} @ {p}\n"));
            out.push_str(&crate::report::snapshot(report, b, Some(&p)));
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// The differences between a baseline and a run, as `- old` / `+ new` lines per case (empty:
/// no change). A case whose line changed shows both.
pub fn baseline_diff(old: &str, new: &str) -> Vec<String> {
    let lines = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let (old, new) = (lines(old), lines(new));
    let mut out: Vec<String> = Vec::new();
    for l in &old {
        if !new.contains(l) {
            out.push(format!("- {l}"));
        }
    }
    for l in &new {
        if !old.contains(l) {
            out.push(format!("+ {l}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_diff_shows_changed_lines_only() {
        let old =
            "# c\n## t @ p\na/x@p  reject  reject(expired)  pass\na/y@p  accept  accept  pass\n";
        let new = "# c\n## t @ p\na/x@p  reject  accept  unsafe\na/y@p  accept   accept   pass\n";
        assert_eq!(
            baseline_diff(old, new),
            vec![
                "- a/x@p reject reject(expired) pass",
                "+ a/x@p reject accept unsafe"
            ]
        );
        assert!(baseline_diff(old, old).is_empty());
    }

    #[test]
    fn ports_are_filled_in() {
        assert_eq!(
            fill(
                "http://127.0.0.1:{port}/ {jwks_port} {upstream_port}",
                1,
                2,
                3
            ),
            "http://127.0.0.1:1/ 2 3"
        );
    }
}
