//! The JWKS server: what an HTTP target fetches keys from, and the trap for targets that fetch
//! what a token tells them to.
//!
//! It listens on 127.0.0.1 only (`jwt-harness serve-jwks`, and in-process during every run with
//! an HTTP target) and serves:
//!
//! - `/.well-known/jwks.json`: the policy's public keys (never a private half);
//! - `/.well-known/openid-configuration`: an OpenID discovery document whose `issuer` is the
//!   policy's and whose `jwks_uri` is the path above;
//! - `/attacker/TAG/…`: the attacker's public keys (a JWK Set; the attacker certificate for a
//!   path ending in `.pem` or `.crt`; a discovery document pointing at the attacker's key set for
//!   `…/.well-known/openid-configuration`). TAG is [`attacker_tag`] of the case instance whose
//!   token names the URL (the forge writes it into `jku`, `x5u` and `iss` through the template
//!   `${attacker_url}`), so every fetch is attributed to the case that caused it.
//!
//! Every request to an attacker path is recorded ([`JwksServer::fetches`]). A target that
//! fetches a URL named in a token, or derived from its unverified `iss`, lets anyone make it
//! send requests (server-side request forgery) and trust keys the attacker serves: the runner
//! makes that case an `anyone`-class unsafe finding even when the target then rejected the
//! token. Fetches that arrive after the case's answer are still attributed: the runner waits
//! [`LATE_FETCH_GRACE`] after the last request before it reads the record.

pub use crate::forge::{attacker_tag, attacker_url, DEFAULT_PORT};
use crate::policy::Policy;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the runner waits after a target's last answer for fetches still on their way.
pub const LATE_FETCH_GRACE: Duration = Duration::from_millis(1500);

/// One request to an attacker path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The TAG of the path.
    pub tag: String,
    /// The path requested.
    pub path: String,
    /// When it arrived, relative to the server's start.
    pub after: Duration,
}

/// What `/.well-known/jwks.json` answers (the rotation scenarios switch between these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// The current key set.
    Keys,
    /// HTTP 500.
    Error,
    /// A 200 whose body is not JSON.
    Garbage,
}

struct Shared {
    jwks: Mutex<Value>,
    serving: Mutex<Serving>,
    issuer: String,
    base: String,
    attacker_jwks: Value,
    attacker_pem: Option<String>,
    fetches: Mutex<Vec<Fetch>>,
    started: Instant,
}

/// A running JWKS server; it stops when dropped.
pub struct JwksServer {
    port: u16,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl JwksServer {
    /// Starts the server for `policy` on 127.0.0.1:`port` (0: any free port), with the fixtures'
    /// attacker keys behind the attacker paths.
    pub fn start(
        policy: &Policy,
        attackers: &crate::forge::Attackers,
        port: u16,
    ) -> Result<JwksServer, String> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("JWKS server: cannot listen on 127.0.0.1:{port}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("JWKS server: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("JWKS server: {e}"))?
            .port();
        let shared = Arc::new(Shared {
            jwks: Mutex::new(policy.public_jwks()),
            serving: Mutex::new(Serving::Keys),
            issuer: policy
                .issuer
                .clone()
                .unwrap_or_else(|| format!("http://127.0.0.1:{port}")),
            base: format!("http://127.0.0.1:{port}"),
            attacker_jwks: attackers.public_jwks(),
            attacker_pem: attackers.certificate_pem(),
            fetches: Mutex::new(Vec::new()),
            started: Instant::now(),
        });
        let app = Router::new()
            .route("/.well-known/jwks.json", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/attacker/{tag}/{*rest}", get(attacker))
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("JWKS server: {e}"))?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        Ok(JwksServer {
            port,
            shared,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the policy's key set.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.shared.base)
    }

    /// Replaces the key set it serves (key rotation).
    pub fn set_jwks(&self, jwks: Value) {
        *self.shared.jwks.lock().unwrap_or_else(|p| p.into_inner()) = jwks;
    }

    /// Switches what the key-set path answers.
    pub fn set_serving(&self, serving: Serving) {
        *self
            .shared
            .serving
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = serving;
    }

    /// Every request to an attacker path so far, in order of arrival.
    pub fn fetches(&self) -> Vec<Fetch> {
        self.shared
            .fetches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn json_response(v: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

async fn jwks(State(s): State<Arc<Shared>>) -> Response {
    let serving = *s.serving.lock().unwrap_or_else(|p| p.into_inner());
    match serving {
        Serving::Keys => {
            let v = s.jwks.lock().unwrap_or_else(|p| p.into_inner()).clone();
            json_response(&v)
        }
        Serving::Error => (StatusCode::INTERNAL_SERVER_ERROR, "key service down").into_response(),
        Serving::Garbage => (
            [(header::CONTENT_TYPE, "application/json")],
            "<html>not a key set</html>",
        )
            .into_response(),
    }
}

async fn discovery(State(s): State<Arc<Shared>>) -> Response {
    json_response(&json!({
        "issuer": s.issuer,
        "jwks_uri": format!("{}/.well-known/jwks.json", s.base),
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA", "HS256"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
    }))
}

async fn attacker(
    State(s): State<Arc<Shared>>,
    Path((tag, rest)): Path<(String, String)>,
) -> Response {
    s.fetches
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Fetch {
            tag: tag.clone(),
            path: format!("/attacker/{tag}/{rest}"),
            after: s.started.elapsed(),
        });
    if rest.ends_with("openid-configuration") {
        let base = format!("{}/attacker/{tag}", s.base);
        return json_response(&json!({
            "issuer": base,
            "jwks_uri": format!("{base}/jwks.json"),
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
        }));
    }
    if rest.ends_with(".pem") || rest.ends_with(".crt") {
        return match &s.attacker_pem {
            Some(pem) => (
                [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
                pem.clone(),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    json_response(&s.attacker_jwks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stable_and_short() {
        assert_eq!(attacker_tag("a@b"), attacker_tag("a@b"));
        assert_ne!(attacker_tag("a@b"), attacker_tag("a@c"));
        assert_eq!(attacker_tag("x").len(), 12);
        assert!(attacker_url("x").starts_with("http://127.0.0.1:8089/attacker/"));
    }
}
