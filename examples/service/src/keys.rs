//! The verification keys: a JWK Set fetched from a URL, lazily (on the first request that needs
//! a key), kept for a cache lifetime, and looked up by `kid` with jsonwebtoken's own
//! [`JwkSet::find`].
//!
//! - A set older than the cache lifetime is fetched again on the next request.
//! - A `kid` the cached set does not hold makes the service fetch the set again at once (a key
//!   that was just published), but at most once per second: tokens with made-up kids cannot
//!   turn the service into a load generator against the key server.
//! - A failed fetch (an error status, a body that is not a JWK Set, a refused connection, a
//!   timeout) keeps the keys the service has and is retried at most once per second. A set that
//!   is fetched and parses replaces the cached one, even when it is empty.
//!
//! One lock serialises the lookups, so concurrent requests for a stale set cause one fetch.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// At most one fetch per this interval (unknown kids and failed fetches).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The largest JWK Set body read.
const MAX_BODY: usize = 1 << 20;
/// How long one fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// Why no key was found for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The cached set holds no key with this `kid` (also after a refetch, when one was allowed).
    UnknownKid,
    /// No set was ever fetched successfully.
    NoKeySet,
}

/// What the cache holds.
#[derive(Default)]
struct State {
    /// The last set fetched successfully.
    set: Option<JwkSet>,
    /// When it was fetched.
    fetched: Option<Instant>,
    /// When the last fetch was attempted (successful or not).
    attempted: Option<Instant>,
}

impl State {
    fn may_fetch(&self) -> bool {
        self.attempted.is_none_or(|t| t.elapsed() >= MIN_INTERVAL)
    }

    fn stale(&self, ttl: Duration) -> bool {
        self.fetched.is_none_or(|t| t.elapsed() >= ttl)
    }

    fn find(&self, kid: &str) -> Option<Jwk> {
        self.set.as_ref()?.find(kid).cloned()
    }
}

/// A JWK Set behind a URL, cached.
pub struct KeySource {
    url: String,
    ttl: Duration,
    client: reqwest::Client,
    state: Mutex<State>,
}

impl KeySource {
    /// A key source for `url` whose sets are kept `ttl` long. Nothing is fetched yet.
    pub fn new(url: &str, ttl: Duration) -> Result<KeySource, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("--jwks {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("--jwks {url:?}: not an http or https URL"));
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(KeySource {
            url: url.to_string(),
            ttl,
            client,
            state: Mutex::new(State::default()),
        })
    }

    /// The JWK Set URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JWK whose `kid` is `kid`, fetching the set first when it is stale or does not hold
    /// that kid (within the rate limit).
    pub async fn key(&self, kid: &str) -> Result<Jwk, Missing> {
        let mut state = self.state.lock().await;
        if state.stale(self.ttl) && state.may_fetch() {
            self.refresh(&mut state).await;
        }
        if let Some(jwk) = state.find(kid) {
            return Ok(jwk);
        }
        if state.may_fetch() {
            self.refresh(&mut state).await;
            if let Some(jwk) = state.find(kid) {
                return Ok(jwk);
            }
        }
        Err(if state.set.is_some() {
            Missing::UnknownKid
        } else {
            Missing::NoKeySet
        })
    }

    /// Fetches the set once; on failure the cached set stays.
    async fn refresh(&self, state: &mut State) {
        state.attempted = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => {
                let kids: Vec<&str> = set
                    .keys
                    .iter()
                    .map(|k| k.common.key_id.as_deref().unwrap_or("(no kid)"))
                    .collect();
                eprintln!(
                    "example-service: fetched {} key(s) from {}: {}",
                    set.keys.len(),
                    self.url,
                    kids.join(", ")
                );
                state.set = Some(set);
                state.fetched = Some(Instant::now());
            }
            Err(e) => {
                let kept = state.set.as_ref().map_or(0, |s| s.keys.len());
                eprintln!(
                    "example-service: cannot fetch the JWK Set from {}: {e}; keeping the {kept} key(s) cached",
                    self.url
                );
            }
        }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let mut response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!("the body exceeds {MAX_BODY} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| format!("not a JWK Set: {e}"))
    }
}

/// An error and its sources on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
