//! In-process adapter for the `josekit` crate (v0.10, OpenSSL).
//!
//! Configured as strictly as the crate allows: one `JwsVerifier` per allowed algorithm and trusted
//! key that fits it, built with the algorithm's `verifier_from_jwk` (which refuses a key of the
//! wrong type, curve or `alg`, and an HMAC key shorter than the hash), so the allowlist is the
//! crate's own alg check; then a `JwtPayloadValidator`, which the crate never applies by itself,
//! with the request's time as base time, the issuer (required and exact), the audience (checked
//! when `aud` is present) and the issued-at bound `now + leeway`. The crate has no leeway for exp
//! and nbf, cannot require `exp`, `aud`, `sub` or another registered claim without fixing its
//! value, and has no typ check (declared `unchecked`): those registered claims are validated when
//! present and the findings that follow are listed in fixtures/backends/josekit.toml; a policy
//! requiring a custom claim or one of several audiences is unsupported. The validator takes a caller-given
//! base time (`set_base_time`), so this backend honours the request's clock. The key is the
//! crate's choice, as `jwt::decode_with_verifier_in_jwk_set` makes it (src/jwt/jwt_context.rs:
//! 232-254): the token's `kid` looked up in the crate's `JwkSet` (`JwkSet::get`), the first key
//! found that has a verifier wins, and a token without a `kid` finds none. That function's
//! selector must return a verifier borrowed from the key, so the adapter calls the
//! `decode_with_verifier_selector` it wraps with the same three steps, over verifiers built
//! beforehand for each trusted key and allowed algorithm it fits (its own `alg` only, when it has
//! one), bound to the key's `kid` by the crate: the one for the header's `alg`, else the key's
//! first, which then rejects that `alg` itself.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::Alg;
use crate::policy::Policy;
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{self, JwsVerifier};
use josekit::jwt::{self, JwtPayloadValidator};
use josekit::JoseError;
use std::time::{Duration, SystemTime};

/// The `josekit` backend.
pub struct Josekit;

/// The crate version this adapter is built against.
const VERSION: &str = "0.10.3";

/// Registered claims the adapter maps onto the crate's checks (when present, or required by
/// `set_issuer`); any other required claim makes the policy unsupported.
const REGISTERED: [&str; 7] = ["exp", "nbf", "iat", "iss", "sub", "aud", "jti"];

struct Prepared {
    /// The policy's JWK Set, as the crate reads it.
    set: JwkSet,
    /// For each key of `set` (in `JwkSet::keys` order): a verifier per allowed algorithm that fits
    /// it (one for a key with `alg`), empty when none fits.
    verifiers: Vec<Vec<(Alg, Box<dyn JwsVerifier>)>>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
}

/// Maps the crate's errors onto the reason vocabulary. `InvalidJwsFormat` also covers a header
/// alg that is not the verifier's and an unsupported crit; `InvalidClaim` covers every failed
/// payload check (exp, nbf, iat, iss, aud).
fn reason(e: &JoseError) -> Reason {
    match e {
        // The selector found no key: the token's kid is missing or names no trusted key.
        JoseError::InvalidJwsFormat(inner) if inner.to_string() == "A verifier is not found." => {
            Reason::Key
        }
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

/// Builds the crate's verifier for one trusted key and algorithm (bound to the key's `kid` by the
/// crate).
fn verifier(alg: Alg, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, JoseError> {
    macro_rules! unbound {
        ($alg:expr) => {{
            Box::new($alg.verifier_from_jwk(jwk)?) as Box<dyn JwsVerifier>
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

    /// The crate's key choice for a header: its `kid` in the `JwkSet`, the first key with a
    /// verifier winning; no `kid`, no verifier.
    fn select(&self, header: &jws::JwsHeader) -> Option<&dyn JwsVerifier> {
        let kid = header.key_id()?;
        let keys = self.set.keys();
        let alg = Alg::parse(header.algorithm().unwrap_or_default());
        self.set.get(kid).into_iter().find_map(|jwk| {
            let i = keys.iter().position(|k| std::ptr::eq(*k, jwk))?;
            // The verifier of the header's alg when the key serves it, else the key's first,
            // which then rejects the alg itself.
            let fits = &self.verifiers[i];
            fits.iter()
                .find(|(a, _)| Some(*a) == alg)
                .or(fits.first())
                .map(|(_, v)| v.as_ref())
        })
    }

    fn check(&self, token: &str, now: u64) -> Result<(), JoseError> {
        let (payload, _header) =
            jwt::decode_with_verifier_selector(token, |header| Ok(self.select(header)))?;
        self.payload_validator(now).validate(&payload)
    }

    /// A bare JWS, any payload: `jws::deserialize_compact_with_selector` with the same key
    /// choice.
    fn check_jws(&self, jws: &str) -> Result<(), JoseError> {
        jws::deserialize_compact_with_selector(jws, |header| Ok(self.select(header))).map(drop)
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        match self.check(token, now) {
            Ok(()) => Outcome::Accept,
            Err(e) => Outcome::reject(reason(&e), e.to_string()),
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
        prepared(policy)
            .map(|p| Box::new(p) as Box<dyn Validator + '_>)
            .map_err(|r| match r {
                Refusal::Policy(e) | Refusal::Key(e) => e,
            })
    }

    fn supports_jws(&self) -> bool {
        true
    }

    fn verify_jws(&self, policy: &Policy, jws: &str) -> Outcome {
        match prepared(policy) {
            Ok(p) => match p.check_jws(jws) {
                Ok(()) => Outcome::Accept,
                Err(e) => Outcome::reject(reason(&e), e.to_string()),
            },
            // The vector's own key is what the crate refuses (its use, key_ops or alg): it will
            // verify nothing with it, a rejection of the key.
            Err(Refusal::Key(e)) => Outcome::reject(Reason::Key, e),
            Err(Refusal::Policy(e)) => Outcome::Unsupported(e),
        }
    }
}

/// Why the crate cannot take a policy.
enum Refusal {
    /// A setting it has no way to express.
    Policy(String),
    /// A trusted key its `verifier_from_jwk` refuses.
    Key(String),
}

/// The verifiers and validator settings for a policy, or why the crate cannot express it.
fn prepared(policy: &Policy) -> Result<Prepared, Refusal> {
    {
        if policy.audience.len() > 1 {
            return Err(Refusal::Policy(
                "josekit cannot accept one of several audiences".into(),
            ));
        }
        if let Some(c) = policy
            .required_claims
            .iter()
            .find(|c| !REGISTERED.contains(&c.as_str()))
        {
            return Err(Refusal::Policy(format!(
                "josekit cannot require a claim without fixing its value: {c:?}"
            )));
        }
        let set = JwkSet::from_map(
            policy
                .public_jwks()
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .map_err(|e| Refusal::Policy(format!("josekit cannot read the JWK Set: {e}")))?;
        let mut verifiers = Vec::new();
        for jwk in set.keys() {
            let own = jwk.algorithm().and_then(Alg::parse);
            let ours = policy.keys.iter().find(|k| k.kid() == jwk.key_id());
            let mut fits = Vec::new();
            for alg in policy
                .algorithms
                .iter()
                .copied()
                .filter(|a| own.is_none_or(|o| o == *a) && ours.is_some_and(|k| a.fits(k)))
            {
                let v = verifier(alg, jwk).map_err(|e| {
                    Refusal::Key(format!(
                        "josekit cannot use key {:?} for {alg}: {e}",
                        jwk.key_id().unwrap_or("")
                    ))
                })?;
                fits.push((alg, v));
            }
            verifiers.push(fits);
        }
        Ok(Prepared {
            set,
            verifiers,
            issuer: policy.issuer.clone(),
            audience: policy.audience.first().cloned(),
            leeway: policy.leeway,
        })
    }
}
