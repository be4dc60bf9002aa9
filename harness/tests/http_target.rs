//! HTTP targets end to end: small services on 127.0.0.1, one strict (the reference oracle behind
//! an RFC 6750 header parser) and one with the flaws gateways have (a token from the query
//! string, the first of two Authorization headers, keys fetched from the token's `jku`), run
//! through `HttpTarget` like any backend. The strict one must draw no finding; each flaw of the
//! other must show as the finding of its case.

mod common;
use common::root;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use jwt_harness::backend::http::{HttpTarget, TargetConfig};
use jwt_harness::backend::Backend;
use jwt_harness::judge::Finding;
use jwt_harness::jwks::JwksServer;
use jwt_harness::oracle::{self, Verdict};
use jwt_harness::{Fixtures, Policy, Report, Suite};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// RFC 6750 §2.1 and the oracle.
    Strict,
    /// Takes `access_token` from the query, the first Authorization header, and fetches `jku`.
    Flawed,
    /// Accepts everything (a target whose authentication is off).
    Open,
}

struct Service {
    kind: Kind,
    policy: Policy,
}

fn b64_json(segment: &str) -> Option<serde_json::Value> {
    let bytes = jwt_harness::jose::b64::decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn handle(
    State(s): State<Arc<Service>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> (StatusCode, HeaderMap, String) {
    let values: Vec<&str> = headers
        .get_all("authorization")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let token = match s.kind {
        Kind::Open => return (StatusCode::OK, HeaderMap::new(), "open".into()),
        Kind::Strict => {
            // The harness's own reading of RFC 6750 §2, as the oracle uses it.
            let request = jwt_harness::cases::Transport {
                authorization: values.iter().map(|v| v.to_string()).collect(),
                query: q
                    .contains_key("access_token")
                    .then(|| "access_token".to_string()),
                form: None,
                headers: Default::default(),
            };
            let carried = q.get("access_token").cloned().unwrap_or_default();
            jwt_harness::transport::bearer_token(&request, &carried, &s.policy).ok()
        }
        Kind::Flawed => values
            .first()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string)
            .or_else(|| q.get("access_token").cloned()),
    };
    let Some(token) = token else {
        let mut h = HeaderMap::new();
        h.insert("www-authenticate", "Bearer".parse().unwrap());
        return (StatusCode::UNAUTHORIZED, h, "no token".into());
    };
    if s.kind == Kind::Flawed {
        // The jku flaw: fetch whatever the (unverified) header names.
        if let Some(jku) = token
            .split('.')
            .next()
            .and_then(b64_json)
            .and_then(|h| h.get("jku").and_then(|u| u.as_str()).map(str::to_string))
        {
            let _ = tokio::task::spawn_blocking(move || reqwest::blocking::get(jku)).await;
        }
    }
    let now = jwt_harness::run::system_now();
    match oracle::validate(&token, &s.policy, now) {
        Verdict::Accept(claims) => {
            // What an upstream would receive, in the echo's shape: the strict service the
            // validated sub; the flawed one trusts an X-User header the client sent.
            let client = headers.get("x-user").and_then(|v| v.to_str().ok());
            let user = match (s.kind, client) {
                (Kind::Flawed, Some(c)) => serde_json::Value::String(c.to_string()),
                _ => claims.get("sub").cloned().unwrap_or_default(),
            };
            let body = serde_json::json!({"headers": {"x-user": user}});
            (StatusCode::OK, HeaderMap::new(), body.to_string())
        }
        Verdict::Reject(reason, _) => {
            let mut h = HeaderMap::new();
            let challenge = format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                reason.name()
            );
            h.insert("www-authenticate", challenge.parse().unwrap());
            (StatusCode::UNAUTHORIZED, h, String::new())
        }
    }
}

/// Starts a service on a free port; returns its URL (the runtime lives as long as the test).
fn serve(kind: Kind, policy: &Policy) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/api", get(handle).post(handle))
        .with_state(Arc::new(Service {
            kind,
            policy: policy.clone(),
        }));
    rt.spawn(async move { axum::serve(listener, app).await });
    (url, rt)
}

fn rs256() -> Policy {
    Policy::load(root().join("fixtures/policies/rs256.toml")).unwrap()
}

fn run(target: &HttpTarget, cases: &str) -> Report {
    Suite::new(rs256())
        .fixtures(Fixtures::Dir(root()))
        .cases(cases)
        .without_deviations()
        .run(target)
}

fn finding<'r>(report: &'r Report, case: &str) -> &'r jwt_harness::report::ResultRow {
    report
        .results
        .iter()
        .find(|r| r.case == case)
        .unwrap_or_else(|| panic!("no result for {case}"))
}

#[test]
fn a_strict_service_passes_the_transport_cases_and_the_catalog() {
    let policy = rs256();
    let (url, _rt) = serve(Kind::Strict, &policy);
    let mut config = TargetConfig::new(&url);
    config.identity = Some("sub:x-user".parse().unwrap());
    let target = HttpTarget::new("strict", config)
        .unwrap()
        .with_policies(vec!["rs256".into()]);
    let valid = Suite::new(policy)
        .cases("valid/baseline")
        .forge_at(jwt_harness::run::system_now())
        .unwrap();
    target.preflight(&valid.instances[0].token).unwrap();
    let report = run(&target, "*");
    assert!(report.results.iter().any(|r| r.family == "transport"));
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.finding,
                Finding::Unsafe | Finding::Strict | Finding::Broken
            )
        })
        .map(|r| format!("{} {} {}", r.finding.name(), r.instance_id(), r.detail()))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(
        finding(&report, "transport/scheme-lowercase").finding,
        Finding::Pass
    );
    assert_eq!(
        finding(&report, "transport/double-bearer").finding,
        Finding::Reason
    );
    // Reasons come from the challenge's error_description.
    assert_eq!(finding(&report, "time/exp-1h-past").finding, Finding::Pass);
}

#[test]
fn a_flawed_service_shows_each_flaw_as_its_case() {
    let policy = rs256();
    let (url, _rt) = serve(Kind::Flawed, &policy);
    // The attacker URLs of the catalog name port 8089: this test owns it.
    let server = Arc::new(
        JwksServer::start(&policy, &Fixtures::Dir(root()).attackers().unwrap(), 8089).unwrap(),
    );
    let mut config = TargetConfig::new(&url);
    config.identity = Some("sub:x-user".parse().unwrap());
    let target = HttpTarget::new("flawed", config)
        .unwrap()
        .with_policies(vec!["rs256".into()])
        .with_jwks_server(server);
    let report = run(&target, "*");
    let query = finding(&report, "transport/query-parameter-undeclared");
    assert_eq!(query.finding, Finding::Unsafe, "{}", query.detail());
    let second = finding(&report, "transport/two-headers-valid-first");
    assert_eq!(second.finding, Finding::Unsafe, "{}", second.detail());
    // It fetched the jku and then rejected the token: unsafe all the same, with the path.
    let jku = finding(&report, "header-injection/jku-loopback-attacker");
    assert_eq!(jku.finding, Finding::Unsafe, "{}", jku.detail());
    assert!(
        jku.detail().contains("fetched /attacker/"),
        "{}",
        jku.detail()
    );
    // A case whose URL it did not fetch (x5u) stays a pass.
    assert_ne!(
        finding(&report, "header-injection/x5u-loopback-attacker").finding,
        Finding::Unsafe
    );
    // It passes the client's X-User on: the identity check makes the accept unsafe.
    let ident = finding(&report, "transport/client-identity-headers");
    assert_eq!(ident.finding, Finding::Unsafe, "{}", ident.detail());
    assert!(
        ident.detail().contains("x-user naming sub \"admin\""),
        "{}",
        ident.detail()
    );
    // Scheme case-sensitivity: it wants "Bearer " exactly, so lowercase is a strict finding.
    assert_eq!(
        finding(&report, "transport/scheme-lowercase").finding,
        Finding::Strict
    );

    // `jwt-harness fuzz --target` attributes the fetch to the input whose token named the URL,
    // whatever the service answered (here it rejects every fetched-jku token: its keys are the
    // attacker's). Seeded from the jku cases only, so the inputs reach the flaw at once.
    let fixtures = Fixtures::Dir(root());
    let mut catalog = fixtures.catalog().unwrap();
    catalog
        .cases
        .retain(|c| c.id.starts_with("header-injection/jku-"));
    let attackers = fixtures.attackers().unwrap();
    let setup = jwt_harness::mutate::FuzzSetup {
        backend: &target,
        file: Default::default(),
        catalog: &catalog,
        policies: vec![Arc::new(policy.clone())],
        attackers: &attackers,
    };
    let config = jwt_harness::mutate::FuzzConfig {
        seconds: 20.0,
        batch: 16,
        stop_on_finding: true,
        ..Default::default()
    };
    let fuzzed = jwt_harness::mutate::fuzz(&setup, &config, &mut |_| {});
    let fetched: Vec<_> = fuzzed
        .found
        .iter()
        .filter(|f| f.outcome.contains("fetched the attacker URL /attacker/"))
        .collect();
    assert!(
        fetched.iter().any(|f| f.finding == Finding::Unsafe),
        "{}",
        fuzzed.to_text()
    );
    // The fuzzer's tokens name URLs of their own: the fetch belongs to the input that names it.
    let first = fetched[0];
    let tag = first.outcome.split("/attacker/").nth(1).unwrap_or("");
    assert!(tag.len() >= 12, "{}", first.outcome);
}

#[test]
fn a_target_without_authentication_fails_the_preflight() {
    let policy = rs256();
    let (url, _rt) = serve(Kind::Open, &policy);
    let target = HttpTarget::new("open", TargetConfig::new(&url)).unwrap();
    let err = target.preflight("a.b.c").unwrap_err();
    assert!(
        err.contains("does not reject a request without a token"),
        "{err}"
    );
    let (url, _rt2) = serve(Kind::Strict, &policy);
    let strict = HttpTarget::new("strict", TargetConfig::new(&url)).unwrap();
    let err = strict.preflight("a.b.c").unwrap_err();
    assert!(
        err.contains("does not accept the policy's valid token"),
        "{err}"
    );
}

#[test]
fn a_refused_connection_is_broken_not_a_verdict() {
    let port = jwt_harness::target::free_port().unwrap();
    let target = HttpTarget::new(
        "nothing",
        TargetConfig::new(&format!("http://127.0.0.1:{port}/")),
    )
    .unwrap()
    .with_policies(vec!["rs256".into()]);
    let report = run(&target, "valid/*");
    assert!(!report.results.is_empty());
    assert!(report.results.iter().all(|r| r.finding == Finding::Broken));
    assert!(report.results[0].detail().contains("request failed"));
    assert!(target.info().name == "nothing");
}

fn cli(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jwt-harness"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_keeps_a_verdict_baseline_and_fails_on_any_change() {
    let policy = rs256();
    let (url, _rt) = serve(Kind::Strict, &policy);
    let dir = std::env::temp_dir().join(format!("jwt-harness-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = dir.join("baseline.txt");
    let b = baseline.to_str().unwrap();
    let common = [
        "run",
        "--target",
        &url,
        "--policy",
        "fixtures/policies/rs256.toml",
        "--jwks-port",
        "0",
        "--family",
        "transport",
        "--family",
        "alg-none",
        "--format",
        "json",
        "--out",
    ];
    let report = dir.join("report.json");
    let r = report.to_str().unwrap();
    let (code, err) = cli(&[&common[..], &[r, "--baseline", b, "--update-baseline"]].concat());
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(text.contains("## target @ rs256"), "{text}");
    assert!(text.contains("transport/scheme-lowercase@rs256"), "{text}");
    let (code, err) = cli(&[&common[..], &[r, "--baseline", b]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("verdicts match the baseline"), "{err}");
    // Pretend the target used to accept a lowercase scheme differently: one changed line.
    let edited = text.replacen(
        "transport/scheme-lowercase@rs256",
        "transport/scheme-lowercase@rs256 changed",
        1,
    );
    std::fs::write(&baseline, edited).unwrap();
    let (code, err) = cli(&[&common[..], &[r, "--baseline", b]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("differ from the baseline"), "{err}");
    assert!(err.contains("+ transport/scheme-lowercase@rs256"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cli_refuses_a_misconfigured_target_with_exit_2() {
    let policy = rs256();
    let (url, _rt) = serve(Kind::Open, &policy);
    let (code, err) = cli(&[
        "run",
        "--target",
        &url,
        "--policy",
        "fixtures/policies/rs256.toml",
        "--jwks-port",
        "0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("misconfigured"), "{err}");
    assert_eq!(err.trim().lines().count(), 2, "{err}");
    // Without the policy its configuration enforces, a target is a usage error too.
    let (code, err) = cli(&["run", "--target", &url, "--jwks-port", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--target needs the --policy"), "{err}");
}
