//! The HTTP side: every request, on every path and with every method, must carry a bearer token
//! the policy accepts.
//!
//! - **Transport** (RFC 6750 §2.1, RFC 7235 §2.1): exactly one `Authorization` field; its value
//!   is the scheme `Bearer` (compared case-insensitively), one space, and the token. Anything
//!   else is refused before jsonwebtoken sees it. The query string and a form body are never
//!   read.
//! - **Key**: the token's `kid` (read with `jsonwebtoken::decode_header`, which checks nothing)
//!   names the key in the JWK Set ([`crate::keys`]); a token without `kid`, or with one the set
//!   does not hold, is refused.
//! - **Validation**: `jsonwebtoken::decode` with the policy's [`Validation`] for that key's
//!   family ([`crate::policy`]): algorithm allowlist, signature, `crit` (the crate refuses every
//!   critical extension but `b64`), exp, nbf, leeway, iss, aud and the required claims.
//!
//! An accepted request gets 200 and the JSON body of `gateways/echo.py`'s answers,
//! `{"headers": {"x-user": SUB}, "method": ..., "path": ...}`, where SUB is the `sub` claim of
//! the validated token (a client's own `X-User` header is never read). A refused one gets 401
//! with `WWW-Authenticate: Bearer error="invalid_token", error_description="..."` (RFC 6750 §3),
//! the description naming jsonwebtoken's error kind in a few words; a request with no
//! `Authorization` field at all gets the bare `Bearer` challenge (RFC 6750 §3.1: no error code
//! when the request carries no authentication information). Neither bodies nor logs ever hold
//! the token.

use crate::keys::{KeySource, Missing};
use crate::policy::Policy;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use std::sync::Arc;

/// What the handler needs: the policy and the keys.
pub struct App {
    /// The policy every token must satisfy.
    pub policy: Policy,
    /// The JWK Set the keys come from.
    pub keys: KeySource,
}

/// The claims the service reads from a validated token (the crate validates the registered
/// ones itself). A `sub` that is not a string fails to deserialize, and the token is refused.
#[derive(Deserialize)]
struct Identity {
    sub: Option<String>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` field at all.
    NoCredentials,
    /// The request or the token was refused; the text is the `error_description`.
    Invalid(String),
}

/// The router: one handler for every path and method.
pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_string();
    match authenticate(&app, &headers).await {
        Ok(sub) => {
            let mut forwarded = serde_json::Map::new();
            if let Some(sub) = sub {
                forwarded.insert("x-user".into(), sub.into());
            }
            // The keys in sorted order, as echo.py writes them.
            let body = serde_json::json!({
                "headers": forwarded,
                "method": method.as_str(),
                "path": path,
            });
            eprintln!("example-service: 200 {method} {path}");
            Response::builder()
                .status(StatusCode::OK)
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(format!("{body}\n")))
                .unwrap_or_default()
        }
        Err(refusal) => {
            let challenge = match &refusal {
                Refusal::NoCredentials => "Bearer".to_string(),
                Refusal::Invalid(why) => {
                    format!("Bearer error=\"invalid_token\", error_description=\"{why}\"")
                }
            };
            eprintln!("example-service: 401 {method} {path}: {challenge}");
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            let value = HeaderValue::from_str(&challenge)
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer error=\"invalid_token\""));
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
            response
        }
    }
}

/// The token of a request's one `Authorization` field (RFC 6750 §2.1: `Bearer`, compared
/// case-insensitively, one space, the token).
pub fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    let mut fields = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = fields.next() else {
        return Err(Refusal::NoCredentials);
    };
    let malformed = |why: &str| Refusal::Invalid(format!("malformed Authorization header: {why}"));
    if fields.next().is_some() {
        return Err(malformed("more than one Authorization field"));
    }
    let value = value.to_str().map_err(|_| malformed("not visible ASCII"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| malformed("no space after the scheme"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed("the scheme is not Bearer"));
    }
    if token.is_empty() {
        return Err(malformed("no token after the scheme"));
    }
    Ok(token)
}

/// Authenticates a request: the validated token's `sub`, or why it was refused.
async fn authenticate(app: &App, headers: &HeaderMap) -> Result<Option<String>, Refusal> {
    let token = bearer(headers)?;
    let invalid = |e: jsonwebtoken::errors::Error| Refusal::Invalid(describe(e.kind()));
    let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
    let Some(kid) = header.kid.as_deref() else {
        return Err(Refusal::Invalid("no kid in the token header".into()));
    };
    let jwk = app.keys.key(kid).await.map_err(|m| {
        Refusal::Invalid(
            match m {
                Missing::UnknownKid => "unknown kid: no key of the JWK Set has it",
                Missing::NoKeySet => "no key set: the JWK Set could not be fetched (kid unknown)",
            }
            .into(),
        )
    })?;
    let key = DecodingKey::from_jwk(&jwk).map_err(invalid)?;
    let validation: Validation = app.policy.validation(key.family()).ok_or_else(|| {
        Refusal::Invalid(
            "algorithm not allowed: no allowed algorithm fits the key of this kid".into(),
        )
    })?;
    let data = jsonwebtoken::decode::<Identity>(token, &key, &validation).map_err(invalid)?;
    Ok(data.claims.sub)
}

/// jsonwebtoken's error kind in a few words, for `error_description` (quoted-string safe: no
/// quote, no backslash, ASCII only). The words match what the harness reads from a challenge
/// (expired, not yet valid, audience, issuer, signature, algorithm, kid, malformed, missing).
pub fn describe(kind: &ErrorKind) -> String {
    let text = match kind {
        ErrorKind::InvalidToken => "malformed token (InvalidToken)".to_string(),
        ErrorKind::InvalidSignature => "invalid signature".to_string(),
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat => "the key of this kid is unusable".to_string(),
        ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm => "algorithm not allowed".to_string(),
        ErrorKind::MissingRequiredClaim(c) => format!("missing required claim {c}"),
        // Without the claim's name: "nbf" would read as a not-yet-valid token to the harness.
        ErrorKind::InvalidClaimFormat(_) => "a claim has the wrong JSON type".to_string(),
        ErrorKind::ExpiredSignature => "token expired".to_string(),
        ErrorKind::ImmatureSignature => "token not yet valid (nbf)".to_string(),
        ErrorKind::InvalidIssuer => "invalid issuer".to_string(),
        ErrorKind::InvalidAudience => "invalid audience".to_string(),
        ErrorKind::InvalidSubject => "invalid subject".to_string(),
        ErrorKind::Base64(_) => "malformed token (base64url)".to_string(),
        ErrorKind::Json(_) => "malformed token (JSON)".to_string(),
        ErrorKind::Utf8(_) => "malformed token (UTF-8)".to_string(),
        other => format!("invalid token ({other:?})"),
    };
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control() && *c != '"' && *c != '\\')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_bearer_field_is_read_strictly() {
        assert_eq!(bearer(&headers(&["Bearer a.b.c"])), Ok("a.b.c"));
        assert_eq!(bearer(&headers(&["bEaReR a.b.c"])), Ok("a.b.c"));
        assert_eq!(bearer(&headers(&[])), Err(Refusal::NoCredentials));
        for bad in [
            &["Bearer a.b.c", "Bearer a.b.c"][..],
            &["Basic a.b.c"],
            &["Bearera.b.c"],
            &["Bearer"],
            &["Bearer "],
            &["a.b.c"],
        ] {
            match bearer(&headers(bad)) {
                Err(Refusal::Invalid(why)) => assert!(why.starts_with("malformed"), "{why}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn descriptions_are_quoted_string_safe() {
        let d = describe(&ErrorKind::MissingRequiredClaim("a\"b\\c\u{e9}".into()));
        assert_eq!(d, "missing required claim abc");
        assert_eq!(describe(&ErrorKind::ExpiredSignature), "token expired");
    }
}
