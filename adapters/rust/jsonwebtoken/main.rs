//! docs/PROTOCOL.md adapter for a pinned release of the Rust `jsonwebtoken` crate, built out of
//! process because two semver-compatible releases (10.2.0 and its fix 10.3.0, for
//! fixtures/cve/CVE-2026-25537) cannot share one cargo build. The same source is built by
//! `adapters/rust/jsonwebtoken-VERSION/Cargo.toml` against each pin (`adapters/setup.sh
//! versions`). Configured as the in-process backend (harness/src/backend/jsonwebtoken.rs) is:
//! the key chosen by `JwkSet::find` (a token without kid finds none), `DecodingKey::from_jwk`, a
//! `Validation` over the allowed algorithms of the key's family with `validate_exp`,
//! `validate_nbf`, the leeway, issuer, audience and required registered claims. The crate reads
//! the system clock: clock = "system".

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::str::FromStr;

/// The answer to one request.
fn answer(req: &Value) -> Value {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let mut out = match validate(req) {
        Ok(()) => json!({"verdict": "accept"}),
        Err(Verdict::Unsupported(why)) => json!({"verdict": "unsupported", "detail": why}),
        Err(Verdict::Reject(reason, detail)) => {
            json!({"verdict": "reject", "reason": reason, "detail": detail})
        }
    };
    out["id"] = id;
    out
}

enum Verdict {
    Unsupported(String),
    Reject(&'static str, String),
}

fn reject(reason: &'static str, detail: impl ToString) -> Verdict {
    let mut d = detail.to_string();
    d.truncate(300);
    Verdict::Reject(reason, d)
}

fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "malformed",
        ErrorKind::InvalidSignature => "signature",
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat => "key",
        ErrorKind::InvalidAlgorithmName
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm => "algorithm",
        ErrorKind::MissingRequiredClaim(_) => "missing_claim",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not_yet_valid",
        ErrorKind::InvalidIssuer => "issuer",
        ErrorKind::InvalidAudience => "audience",
        // 10.3.0 adds a claim-format error kind; its Display names it.
        other if format!("{other:?}").starts_with("InvalidClaimFormat") => "claim_type",
        _ => "other",
    }
}

/// The algorithm family of an algorithm, as `AlgorithmFamily`'s Debug names it.
fn family_of(a: Algorithm) -> &'static str {
    match a {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => "Hmac",
        Algorithm::ES256 | Algorithm::ES384 => "Ec",
        Algorithm::EdDSA => "Ed",
        _ => "Rsa",
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn validate(req: &Value) -> Result<(), Verdict> {
    let policy = req.get("policy").cloned().unwrap_or(Value::Null);
    let token = req
        .get("token")
        .and_then(Value::as_str)
        .ok_or_else(|| reject("malformed", "token is not a string"))?;
    let mut algs = Vec::new();
    for a in strings(policy.get("algorithms")) {
        let alg = Algorithm::from_str(&a)
            .map_err(|_| Verdict::Unsupported(format!("jsonwebtoken has no {a}")))?;
        algs.push(alg);
    }
    let required = strings(policy.get("required_claims"));
    if let Some(c) = required
        .iter()
        .find(|c| !["exp", "nbf", "aud", "iss", "sub"].contains(&c.as_str()))
    {
        return Err(Verdict::Unsupported(format!(
            "jsonwebtoken can only require registered claims, not {c:?}"
        )));
    }
    let set: JwkSet = serde_json::from_value(policy.get("jwks").cloned().unwrap_or(Value::Null))
        .map_err(|e| Verdict::Unsupported(format!("jsonwebtoken cannot read the JWK Set: {e}")))?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| reject(reason(e.kind()), &e))?;
    let kid = header
        .kid
        .as_deref()
        .ok_or_else(|| reject("key", "the token has no kid, and JwkSet::find needs one"))?;
    let jwk = set
        .find(kid)
        .ok_or_else(|| reject("key", "JwkSet::find: no key has this kid"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| reject("key", &e))?;
    // Algorithm::family is crate-private in 10.x and AlgorithmFamily not exported: the family is
    // compared by name (Hmac, Rsa, Ec, Ed), as DecodingKey::family reports it.
    let key_family = format!("{:?}", key.family());
    let family: Vec<Algorithm> = algs
        .iter()
        .copied()
        .filter(|a| family_of(*a) == key_family)
        .collect();
    let first = *family
        .first()
        .ok_or_else(|| reject("algorithm", "no allowed algorithm fits this key"))?;
    let mut v = Validation::new(first);
    v.algorithms = family;
    v.leeway = policy.get("leeway").and_then(Value::as_u64).unwrap_or(0);
    v.validate_exp = true;
    v.validate_nbf = true;
    match policy.get("issuer").and_then(Value::as_str) {
        Some(iss) => v.set_issuer(&[iss]),
        None => v.iss = None,
    }
    let audience = strings(policy.get("audience"));
    if audience.is_empty() {
        v.validate_aud = false;
    } else {
        v.set_audience(&audience);
    }
    v.set_required_spec_claims(&required);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(drop)
        .map_err(|e| reject(reason(e.kind()), &e))
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(req) if req.is_object() => answer(&req),
            _ => {
                json!({"id": null, "verdict": "reject", "reason": "malformed", "detail": "bad request line"})
            }
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}
