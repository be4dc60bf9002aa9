//! The HTTP targets of `jwt-harness run` (from --target and from backend files that declare one):
//! the JWKS server they share, each target started and checked before the first case, and the
//! rotation scenarios (`--rotation`). A child module of `cmd_run`, whose flags it reads.

use super::RunArgs;
use anyhow::bail;
use jwt_harness::backend::{self, Backend};
use jwt_harness::{Error, Fixtures, Suite};

/// The run's HTTP targets (from --target and from backend files that declare one), started,
/// checked against their baseline, and the JWKS server they share.
pub(crate) struct Targets {
    /// The targets, in order.
    pub(crate) backends: Vec<backend::http::HttpTarget>,
    /// Their names.
    pub(crate) names: Vec<String>,
    /// The JWKS server, while targets run.
    pub(crate) server: Option<std::sync::Arc<jwt_harness::jwks::JwksServer>>,
    /// Whether a target missed a rotation bound (`--rotation`).
    pub(crate) rotation_failed: bool,
}

/// Starts the JWKS server and the targets the flags name, and checks each one's baseline: the
/// policy's valid token accepted, a request without a token rejected (else exit 2).
pub(crate) fn targets(
    fixtures: &Fixtures,
    args: &RunArgs,
    timeout: std::time::Duration,
) -> anyhow::Result<Targets> {
    use backend::http::{HttpTarget, StatusSet, TargetConfig};
    let declared: Vec<(String, jwt_harness::deviations::BackendFile)> = args
        .backend
        .iter()
        .filter(|n| backend::builtin(n).is_none() && *n != "all")
        .map(|n| Ok((n.clone(), fixtures.backend_file(n)?)))
        .collect::<jwt_harness::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, f)| f.target.is_some())
        .collect();
    let mut out = Targets {
        backends: Vec::new(),
        names: Vec::new(),
        server: None,
        rotation_failed: false,
    };
    if declared.is_empty() && args.target.is_empty() {
        return Ok(out);
    }
    if !args.target.is_empty() && args.policy.is_empty() {
        bail!(Error::Config(
            "--target needs the --policy its configuration enforces (its keys, issuer, audience)"
                .into()
        ));
    }
    let suite = Suite::from_policy_files(fixtures, &args.policy)?.cases("valid/*");
    let policies = suite.policies()?;
    // The server serves the first target's policy: a backend file's first, else the run's first.
    let served = declared
        .first()
        .and_then(|(_, f)| f.policies.first())
        .and_then(|p| policies.iter().find(|q| &q.name == p))
        .or(policies.first())
        .ok_or_else(|| Error::Config("no policy".into()))?;
    let server = std::sync::Arc::new(
        jwt_harness::jwks::JwksServer::start(served, &fixtures.attackers()?, args.jwks_port)
            .map_err(Error::Config)?,
    );
    eprintln!(
        "jwt-harness: JWKS server for policy {} at {}",
        served.name,
        server.jwks_url()
    );
    let root = fixtures.root().ok_or_else(|| {
        Error::Config("backend-file targets start from a checkout: run there or give --root".into())
    })?;
    for (name, file) in &declared {
        eprintln!("jwt-harness: starting {name}");
        out.backends.push(jwt_harness::target::from_file(
            name, file, root, &server, timeout,
        )?);
        out.names.push(name.clone());
    }
    for (i, url) in args.target.iter().enumerate() {
        let mut config = TargetConfig::new(url);
        config.method = args.method.clone();
        config.timeout = timeout;
        config.concurrency = args.concurrency.max(1);
        config.accept = StatusSet::parse(&args.accept_status)
            .map_err(|e| Error::Config(format!("--accept-status: {e}")))?;
        config.reject = StatusSet::parse(&args.reject_status)
            .map_err(|e| Error::Config(format!("--reject-status: {e}")))?;
        if let Some(i) = &args.identity {
            config.identity = Some(
                i.parse()
                    .map_err(|e| Error::Config(format!("--identity: {e}")))?,
            );
        }
        for h in &args.header {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| Error::Config(format!("--header {h:?}: not `Name: value`")))?;
            config
                .headers
                .push((k.trim().to_string(), v.trim().to_string()));
        }
        let name = args.target_name.get(i).cloned().unwrap_or_else(|| match i {
            0 => "target".to_string(),
            n => format!("target-{}", n + 1),
        });
        let names: Vec<String> = policies.iter().map(|p| p.name.clone()).collect();
        let t = HttpTarget::new(&name, config)
            .map_err(|e| Error::Config(format!("--target {url}: {e}")))?
            .with_policies(names)
            .with_jwks_server(server.clone());
        out.backends.push(t);
        out.names.push(name);
    }
    let forged = suite.forge_at(jwt_harness::run::system_now())?;
    for t in &out.backends {
        let name = t.info().name;
        let wanted = t.policies().unwrap_or_default();
        let Some(inst) = forged.instances.iter().find(|i| {
            i.case.id == "valid/baseline" && (wanted.is_empty() || wanted.contains(&i.policy.name))
        }) else {
            bail!(Error::Config(format!(
                "{name}: none of its policies ({}) is among the run's",
                wanted.join(", ")
            )));
        };
        t.preflight(&inst.token).map_err(|e| {
            Error::Config(format!(
                "{name} is misconfigured (baseline under policy {}): {e}",
                inst.policy.name
            ))
        })?;
    }
    if args.rotation {
        let list: Vec<_> = out
            .backends
            .iter()
            .zip(&out.names)
            .map(|(t, n)| {
                (
                    t,
                    n.as_str(),
                    declared.iter().find(|(d, _)| d == n).map(|(_, f)| f),
                )
            })
            .collect();
        out.rotation_failed =
            jwt_harness::rotation::play_all(&list, &server, served, &forged, args.slow_rotation)
                .map_err(Error::Config)?;
    }
    out.server = Some(server);
    Ok(out)
}
