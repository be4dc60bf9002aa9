//! In-process adapter for the `josekit` crate (v0.10, OpenSSL).
//!
//! Configured as strictly as the crate allows: one `JwsVerifier` per allowed algorithm and trusted
//! key that fits it, built with the algorithm's `verifier_from_jwk` (which refuses a key of the
//! wrong type, curve or `alg`, and an HMAC key shorter than the hash), so the allowlist is the
//! crate's own alg check; then a `JwtPayloadValidator`, which the crate never applies by itself,
//! with the request's time as base time, the issuer (required and exact), the audience (checked
//! when `aud` is present) and the issued-at bound `now + leeway`. The crate has no leeway for exp
//! and nbf, cannot require `exp`, `aud`, `sub` or another registered claim without fixing its
//! value, and has no typ check: those registered claims are validated when present and the
//! findings that follow are listed in fixtures/backends/josekit.toml; a policy requiring a typ, a
//! custom claim or one of several audiences is unsupported. The validator takes a caller-given
//! base time (`set_base_time`), so this backend honours the request's clock. The key is chosen by
//! `kid` from the policy's JWK Set; without a `kid` every key is tried, as integrators commonly
//! do (the verifiers' own kid binding is removed so that a token without kid can be tried).

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::Alg;
use crate::policy::Policy;
use josekit::jwk::Jwk;
use josekit::jws::{self, JwsVerifier};
use josekit::jwt::{self, JwtPayloadValidator};
use josekit::JoseError;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// The `josekit` backend.
pub struct Josekit;

/// The crate version this adapter is built against.
const VERSION: &str = "0.10.3";

/// Registered claims the adapter maps onto the crate's checks (when present, or required by
/// `set_issuer`); any other required claim makes the policy unsupported.
const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "sub", "aud", "jti"];

struct Prepared {
    /// One entry per (allowed algorithm, trusted key that fits it): the key's kid and the crate's
    /// verifier, bound to that algorithm.
    keys: Vec<(Option<String>, Box<dyn JwsVerifier>)>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
}

/// Maps the crate's errors onto the reason vocabulary. `InvalidJwsFormat` also covers a header
/// alg that is not the verifier's and an unsupported crit; `InvalidClaim` covers every failed
/// payload check (exp, nbf, iat, iss, aud).
fn reason(e: &JoseError) -> Reason {
    match e {
        JoseError::UnsupportedSignatureAlgorithm(_) => Reason::Algorithm,
        JoseError::InvalidJwtFormat(_)
        | JoseError::InvalidJwsFormat(_)
        | JoseError::InvalidJweFormat(_)
        | JoseError::InvalidJson(_) => Reason::Malformed,
        JoseError::InvalidJwkFormat(_) | JoseError::InvalidKeyFormat(_) => Reason::Key,
        JoseError::InvalidClaim(_) => Reason::Other,
        JoseError::InvalidSignature(_) => Reason::Signature,
    }
}

/// How far an error got: payload checks, then signature, then anything before.
fn progress(e: &JoseError) -> u8 {
    match e {
        JoseError::InvalidClaim(_) | JoseError::InvalidJwtFormat(_) => 0,
        JoseError::InvalidSignature(_) => 1,
        _ => 2,
    }
}

/// Builds the crate's verifier for one trusted key and algorithm, without its kid binding.
fn verifier(alg: Alg, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, JoseError> {
    macro_rules! unbound {
        ($alg:expr) => {{
            let mut v = $alg.verifier_from_jwk(jwk)?;
            v.remove_key_id();
            Box::new(v) as Box<dyn JwsVerifier>
        }};
    }
    Ok(match alg {
        Alg::HS256 => unbound!(jws::HS256),
        Alg::HS384 => unbound!(jws::HS384),
        Alg::HS512 => unbound!(jws::HS512),
        Alg::RS256 => unbound!(jws::RS256),
        Alg::RS384 => unbound!(jws::RS384),
        Alg::RS512 => unbound!(jws::RS512),
        Alg::PS256 => unbound!(jws::PS256),
        Alg::PS384 => unbound!(jws::PS384),
        Alg::PS512 => unbound!(jws::PS512),
        Alg::ES256 => unbound!(jws::ES256),
        Alg::ES384 => unbound!(jws::ES384),
        Alg::ES512 => unbound!(jws::ES512),
        Alg::EdDSA => unbound!(jws::EdDSA),
    })
}

impl Prepared {
    fn payload_validator(&self, now: u64) -> JwtPayloadValidator {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
        let mut v = JwtPayloadValidator::new();
        v.set_base_time(base);
        v.set_max_issued_time(base + Duration::from_secs(self.leeway));
        if let Some(iss) = &self.issuer {
            v.set_issuer(iss.as_str());
        }
        if let Some(aud) = &self.audience {
            v.set_audience(aud.as_str());
        }
        v
    }

    fn check(&self, token: &str, verifier: &dyn JwsVerifier, now: u64) -> Result<(), JoseError> {
        let (payload, _header) = jwt::decode_with_verifier(token, verifier)?;
        self.payload_validator(now).validate(&payload)
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let header = match jwt::decode_header(token) {
            Ok(h) => h,
            Err(e) => return Outcome::reject(reason(&e), e.to_string()),
        };
        let candidates: Vec<&dyn JwsVerifier> = match header.claim("kid") {
            Some(Value::String(kid)) => self
                .keys
                .iter()
                .filter(|(k, _)| k.as_deref() == Some(kid.as_str()))
                .map(|(_, v)| v.as_ref())
                .collect(),
            _ => self.keys.iter().map(|(_, v)| v.as_ref()).collect(),
        };
        if candidates.is_empty() {
            return Outcome::reject(Reason::Key, "no key in the JWK Set has this kid");
        }
        let mut errors = Vec::new();
        for v in candidates {
            match self.check(token, v, now) {
                Ok(()) => return Outcome::Accept,
                Err(e) => errors.push(e),
            }
        }
        match errors.iter().min_by_key(|e| progress(e)) {
            Some(e) => Outcome::reject(reason(e), e.to_string()),
            None => Outcome::reject(Reason::Key, "no key was tried"),
        }
    }
}

impl Backend for Josekit {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "josekit".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if policy.typ.is_some() {
            return Err("josekit cannot check typ".into());
        }
        if policy.audience.len() > 1 {
            return Err("josekit cannot accept one of several audiences".into());
        }
        if let Some(c) = policy
            .required_claims
            .iter()
            .find(|c| !REGISTERED.contains(&c.as_str()))
        {
            return Err(format!(
                "josekit cannot require a claim without fixing its value: {c:?}"
            ));
        }
        let mut keys = Vec::new();
        for alg in &policy.algorithms {
            for key in policy.keys_for(*alg) {
                let kid = key.kid().unwrap_or("");
                let v = Jwk::from_map(key.public_json().as_object().cloned().unwrap_or_default())
                    .and_then(|jwk| verifier(*alg, &jwk))
                    .map_err(|e| format!("josekit cannot use key {kid:?} for {alg}: {e}"))?;
                keys.push((key.kid().map(str::to_string), v));
            }
        }
        Ok(Box::new(Prepared {
            keys,
            issuer: policy.issuer.clone(),
            audience: policy.audience.first().cloned(),
            leeway: policy.leeway,
        }))
    }
}
