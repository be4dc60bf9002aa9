//! HTTP targets: a real service or gateway, reached over HTTP, judged like any other backend.
//!
//! One request per case (`GET` by default) with the token in `Authorization: Bearer` — or, for
//! the `transport` cases, the headers, query parameter or form body the case describes. The
//! status decides the verdict: one in the accept set (default `200-299`) is `accept`, one in the
//! reject set (default `401,403`) is `reject` (its reason guessed from the `WWW-Authenticate`
//! header's `error_description`, where the target gives one; diagnostics only); anything else (a
//! 5xx, a 404, a redirect), a timeout or a refused connection is `broken`, with the status and an
//! excerpt of the body. Connections are kept alive (reqwest's pool) and at most `concurrency`
//! requests are in flight at once. A token that HTTP cannot carry in a header (a newline, or
//! whitespace at either end, which HTTP strips or takes as a separator) is `unsupported`. The token is never shown: it is cut out of every body excerpt.
//!
//! Before the run, [`HttpTarget::preflight`] checks the baseline: the policy's valid token must
//! be accepted and a request without a token rejected, else the target is misconfigured and the
//! run stops with exit 2. A target declared by a backend file can be started and stopped by the
//! harness (`start`, `stop`: [`Lifecycle`]).

pub use super::status::StatusSet;
use super::status::{error_chain, excerpt, guess_reason, redact};
use super::{Backend, BackendInfo, BatchItem, Clock, Outcome, Validator};
use crate::cases::Transport;
use crate::identity::Forwarded;
use crate::policy::Policy;
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How a target is reached and judged.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// The URL every request goes to.
    pub url: String,
    /// The method (`GET` unless set; form-body cases always `POST`).
    pub method: String,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// Statuses that mean "accepted".
    pub accept: StatusSet,
    /// Statuses that mean "rejected".
    pub reject: StatusSet,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Where the upstream receives the caller's identity, checked on every accept.
    pub identity: Option<crate::identity::Identity>,
}

impl TargetConfig {
    /// The defaults for `url`: GET, accept 200-299, reject 401 and 403, 8 in flight, 10 s.
    pub fn new(url: &str) -> TargetConfig {
        TargetConfig {
            url: url.to_string(),
            method: "GET".into(),
            headers: Vec::new(),
            accept: StatusSet(vec![(200, 299)]),
            reject: StatusSet(vec![(401, 401), (403, 403)]),
            concurrency: 8,
            timeout: Duration::from_secs(10),
            identity: None,
        }
    }
}

/// Commands that start and stop a target declared by a backend file, with `{port}`,
/// `{jwks_port}` and `{upstream_port}` already filled in.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// Run (to completion) before the first request; it returns once the target answers.
    pub start: Vec<String>,
    /// Run when the backend is dropped.
    pub stop: Vec<String>,
    /// The directory both run in.
    pub dir: std::path::PathBuf,
}

/// A service or gateway reached over HTTP.
pub struct HttpTarget {
    name: String,
    version: String,
    config: TargetConfig,
    url: reqwest::Url,
    method: reqwest::Method,
    client: Client,
    policies: Option<Vec<String>>,
    inflight: (Mutex<usize>, Condvar),
    lifecycle: Option<Lifecycle>,
    /// The harness's JWKS server and how many of its fetches were already taken.
    jwks: Option<(std::sync::Arc<crate::jwks::JwksServer>, Mutex<usize>)>,
    /// Accepted requests whose upstream received another identity: (instance id, what).
    identity_findings: Mutex<Vec<(String, String)>>,
}

impl Drop for HttpTarget {
    fn drop(&mut self) {
        if let Some(l) = &self.lifecycle {
            let _ = run_command(&l.stop, &l.dir);
        }
    }
}

/// Runs a start or stop command to completion; `Err` with its output's tail when it fails.
fn run_command(cmd: &[String], dir: &std::path::Path) -> Result<(), String> {
    let Some((program, args)) = cmd.split_first() else {
        return Ok(());
    };
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err.trim().lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "{} exited with {}: {}",
        cmd.join(" "),
        out.status,
        tail.join(" | ")
    ))
}

impl HttpTarget {
    /// A target named `name` (reports) with `config`; `Err` for a bad URL, method or header.
    pub fn new(name: &str, config: TargetConfig) -> Result<HttpTarget, String> {
        let url = reqwest::Url::parse(&config.url)
            .map_err(|e| format!("target URL {:?}: {e}", config.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("target URL {:?}: not http or https", config.url));
        }
        let method = reqwest::Method::from_bytes(config.method.as_bytes())
            .map_err(|_| format!("{:?} is not an HTTP method", config.method))?;
        for (k, v) in &config.headers {
            reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("{k:?} is not a header name"))?;
            HeaderValue::from_str(v).map_err(|_| format!("header {k}: invalid value"))?;
        }
        if config.accept.overlaps(&config.reject) {
            return Err(format!(
                "the accept statuses {} and the reject statuses {} overlap",
                config.accept, config.reject
            ));
        }
        let client = Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(config.concurrency.max(1))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(HttpTarget {
            name: name.to_string(),
            version: format!("HTTP target {}", config.url),
            config,
            url,
            method,
            client,
            policies: None,
            inflight: (Mutex::new(0), Condvar::new()),
            lifecycle: None,
            jwks: None,
            identity_findings: Mutex::new(Vec::new()),
        })
    }

    /// Sets the version shown in reports.
    pub fn with_version(mut self, version: &str) -> HttpTarget {
        self.version = version.to_string();
        self
    }

    /// How the target is reached and judged (a benchmark reaches a started target again with
    /// another concurrency).
    pub fn config(&self) -> &TargetConfig {
        &self.config
    }

    /// Fixes the policies the target enforces (its configuration's): cases under other
    /// policies are not sent to it.
    pub fn with_policies(mut self, policies: Vec<String>) -> HttpTarget {
        self.policies = Some(policies);
        self
    }

    /// Watches the harness's JWKS server: fetches of attacker URLs from now on are this target's
    /// (run targets one after another when they share a server).
    pub fn with_jwks_server(
        mut self,
        server: std::sync::Arc<crate::jwks::JwksServer>,
    ) -> HttpTarget {
        let mark = server.fetches().len();
        self.jwks = Some((server, Mutex::new(mark)));
        self
    }

    /// Starts the target with `lifecycle.start` and waits until it answers HTTP (30 s at most);
    /// it is stopped with `lifecycle.stop` when dropped.
    pub fn started(mut self, lifecycle: Lifecycle) -> Result<HttpTarget, String> {
        run_command(&lifecycle.start, &lifecycle.dir)?;
        self.lifecycle = Some(lifecycle);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.client.get(self.url.clone()).send() {
                Ok(_) => return Ok(self),
                Err(e) if std::time::Instant::now() > deadline => {
                    return Err(format!("{} does not answer after 30 s: {e}", self.url))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// The baseline every run starts with: `valid` (the policy's valid token) must be accepted
    /// and a request without a token rejected. `Err` says what is misconfigured.
    pub fn preflight(&self, valid: &str) -> Result<(), String> {
        let none = Transport::default();
        match self.send(None, valid, None) {
            Outcome::Accept => self.preflight_identity(valid)?,
            other => {
                return Err(format!(
                    "the target does not accept the policy's valid token (it answered {}): \
                     check that it trusts the policy's keys, issuer and audience, and the \
                     --accept-status set ({})",
                    describe(&other),
                    self.config.accept
                ))
            }
        }
        match self.send(None, valid, Some(&none)) {
            Outcome::Reject { .. } => Ok(()),
            other => Err(format!(
                "the target does not reject a request without a token (it answered {}): is \
                 authentication enabled on {}? (--reject-status {})",
                describe(&other),
                self.url,
                self.config.reject
            )),
        }
    }

    /// Sends `token` the ordinary way (`Authorization: Bearer`) and maps the answer.
    pub fn check(&self, token: &str) -> Outcome {
        self.send(None, token, None)
    }

    /// With an identity declared, the valid token's request must reach the upstream naming the
    /// token's `sub`: otherwise nothing the run checks would mean anything.
    fn preflight_identity(&self, valid: &str) -> Result<(), String> {
        let Some(identity) = &self.config.identity else {
            return Ok(());
        };
        let body = self
            .request(valid, None)
            .and_then(|rb| rb.send().map_err(|_| "the request failed"))
            .map_err(|e| e.to_string())?
            .text()
            .unwrap_or_default();
        match crate::identity::check(identity, valid, &body) {
            Forwarded::Matches(_) => Ok(()),
            Forwarded::Absent => Err(format!(
                "the upstream received no {} header for the policy's valid token: is the \
                 identity ({identity}) declared right, and does the upstream echo it?",
                identity.header()
            )),
            Forwarded::Unobservable(why) | Forwarded::Differs(why) => Err(format!(
                "the identity ({identity}) of the policy's valid token cannot be checked: {why}"
            )),
        }
    }

    /// Blocks until fewer than `concurrency` requests are in flight, then takes a slot.
    fn acquire(&self) {
        let (lock, cv) = &self.inflight;
        let mut n = lock.lock().unwrap_or_else(|p| p.into_inner());
        while *n >= self.config.concurrency.max(1) {
            n = cv.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n += 1;
    }

    fn release(&self) {
        let (lock, cv) = &self.inflight;
        let mut n = lock.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
        cv.notify_one();
    }

    /// Builds the request for a token, shaped by `transport` (`None`: `Authorization: Bearer`).
    fn request(
        &self,
        token: &str,
        transport: Option<&Transport>,
    ) -> Result<RequestBuilder, &'static str> {
        if transport.is_none() && token.trim_matches([' ', '\t']) != token {
            // `Bearer  TOKEN` is 1*SP (RFC 6750 §2.1) and trailing whitespace is not part of a
            // field value (RFC 7230 §3.2.4): the target would see the plain token.
            return Err(
                "whitespace at either end of the token cannot reach the target: HTTP \
                 takes it as separator or strips it (RFC 6750 §2.1, RFC 7230 §3.2.4)",
            );
        }
        let mut url = self.url.clone();
        let mut method = self.method.clone();
        let default = [format!("Bearer {token}")];
        let (values, query, form): (Vec<String>, _, _) = match transport {
            None => (default.to_vec(), None, None),
            Some(t) => (
                t.authorization
                    .iter()
                    .map(|v| Transport::expand(v, token))
                    .collect(),
                t.query.as_deref(),
                t.form.as_deref(),
            ),
        };
        if let Some(q) = query {
            url.query_pairs_mut().append_pair(q, token);
        }
        if form.is_some() {
            method = reqwest::Method::POST;
        }
        let mut rb = self.client.request(method, url);
        for (k, v) in &self.config.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        for (k, v) in transport.map(|t| &t.headers).into_iter().flatten() {
            rb = rb.header(k.as_str(), v.as_str());
        }
        for v in values {
            let value = HeaderValue::from_str(&v)
                .map_err(|_| "the token cannot travel in an HTTP header (a control character)")?;
            rb = rb.header(AUTHORIZATION, value);
        }
        if let Some(f) = form {
            rb = rb.form(&[(f, token)]);
        }
        Ok(rb)
    }

    /// Sends one request and maps the answer; for an accept of instance `id`, checks the
    /// identity the upstream received.
    fn send(&self, id: Option<&str>, token: &str, transport: Option<&Transport>) -> Outcome {
        let rb = match self.request(token, transport) {
            Ok(rb) => rb,
            Err(e) => return Outcome::Unsupported(e.to_string()),
        };
        self.acquire();
        let answer = rb.send();
        self.release();
        let response = match answer {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Outcome::Broken(format!(
                    "no answer within {:.1} s",
                    self.config.timeout.as_secs_f64()
                ))
            }
            Err(e) => return Outcome::Broken(format!("request failed: {}", error_chain(&e))),
        };
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(|v| redact(v, token));
        let raw = response.text().unwrap_or_default();
        let body = redact(&excerpt(&raw), token);
        if self.config.accept.contains(status) {
            if let (Some(identity), Some(id)) = (&self.config.identity, id) {
                if let Forwarded::Differs(what) = crate::identity::check(identity, token, &raw) {
                    let mut found = self
                        .identity_findings
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    found.push((id.to_string(), what));
                }
            }
            Outcome::Accept
        } else if self.config.reject.contains(status) {
            let detail = match &challenge {
                Some(c) => format!("HTTP {status}; WWW-Authenticate: {c}"),
                None if body.is_empty() => format!("HTTP {status}"),
                None => format!("HTTP {status}: {body}"),
            };
            Outcome::Reject {
                reason: challenge.as_deref().and_then(guess_reason),
                detail,
            }
        } else {
            Outcome::Broken(format!(
                "HTTP {status}, neither an accept ({}) nor a reject ({}) status: {body}",
                self.config.accept, self.config.reject
            ))
        }
    }
}

/// An outcome in a few words, for error messages.
fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Accept => "accept".into(),
        Outcome::Reject { detail, .. } => format!("reject: {detail}"),
        Outcome::Unsupported(m) | Outcome::Crash(m) | Outcome::Broken(m) => m.clone(),
    }
}

/// An HTTP target prepared for one policy (the policy lives in the target's configuration).
struct Prepared<'a> {
    target: &'a HttpTarget,
}

impl Validator for Prepared<'_> {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        self.target.send(None, token, None)
    }

    fn validate_batch(&self, batch: &[BatchItem<'_>]) -> Vec<Outcome> {
        // The in-flight bound is the target's: every worker shares its slots.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let slots: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; batch.len()]);
        let workers = self.target.config.concurrency.clamp(1, batch.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = batch.get(i) else { break };
                    let o = self.target.send(Some(item.id), item.token, item.transport);
                    slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(o);
                });
            }
        });
        slots
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::Broken("not sent".into())))
            .collect()
    }
}

impl Backend for HttpTarget {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: self.name.clone(),
            version: self.version.clone(),
            clock: Clock::System,
        }
    }

    fn prepare(&self, _policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(Prepared { target: self }))
    }

    fn speaks_http(&self) -> bool {
        true
    }

    fn policies(&self) -> Option<Vec<String>> {
        self.policies.clone()
    }

    fn take_fetches(&self) -> Vec<crate::jwks::Fetch> {
        if self.jwks.is_none() {
            return Vec::new();
        }
        std::thread::sleep(crate::jwks::LATE_FETCH_GRACE);
        self.poll_fetches()
    }

    fn poll_fetches(&self) -> Vec<crate::jwks::Fetch> {
        let Some((server, mark)) = &self.jwks else {
            return Vec::new();
        };
        let all = server.fetches();
        let mut mark = mark.lock().unwrap_or_else(|p| p.into_inner());
        let new = all.get(*mark..).unwrap_or_default().to_vec();
        *mark = all.len();
        new
    }

    fn take_identity_findings(&self) -> Vec<(String, String)> {
        std::mem::take(
            &mut *self
                .identity_findings
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    fn pipelined(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Reason;

    #[test]
    fn tokens_never_appear_in_excerpts() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
        let body = format!("bad token {token} here");
        let shown = redact(&body, token);
        assert!(!shown.contains(token));
        assert!(!shown.contains("c2lnbmF0dXJlLXNpZ25hdHVyZQ"));
    }

    #[test]
    fn challenges_suggest_reasons() {
        let c = r#"Bearer realm="x", error="invalid_token", error_description="Jwt is expired""#;
        assert_eq!(guess_reason(c), Some(Reason::Expired));
        assert_eq!(guess_reason("Bearer"), None);
    }
}
