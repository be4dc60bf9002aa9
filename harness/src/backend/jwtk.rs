//! In-process adapter for the `jwtk` crate (v0.5, `openssl` feature: links the system OpenSSL,
//! needs no cmake, unlike the default `aws-lc`).
//!
//! Configured as strictly as the crate allows: one verification key per allowed algorithm and
//! trusted key that fits it, each bound to that one algorithm (`HmacKey` and `RsaPublicKey` take
//! the algorithm, EC and Ed25519 keys are bound to theirs by the curve), so the allowlist is the
//! crate's own alg check; tokens are checked with `jwtk::verify`, which checks `exp` and `nbf`
//! when present. That is all the validation the crate has: no leeway, no issuer, audience or
//! required-claim checks, no typ check. Like `frank_jwt`, it is measured as it is: the policy's
//! leeway, issuer, audience and required claims are not applied (the findings that follow are
//! listed in fixtures/backends/jwtk.toml, where the missing checks are declared `unchecked`).
//! `jwtk::verify` reads the system clock (`SystemTime::now`), so this backend does too.
//!
//! The key is the crate's choice: the policy's JWK Set is read into the crate's `jwk::JwkSet` and
//! tokens are verified by its `JwkSetVerifier` as built by `JwkSet::verifier()`, which looks the
//! token's `kid` up and, by default, refuses a token without one (`require_kid`, src/jwk.rs:307).
//! The crate's JWK Set holds public keys only (`Jwk::to_verification_key`: RSA, EC, OKP), so for a
//! policy with HMAC secrets the adapter builds one `HmacKey` per secret and allowed algorithm and
//! picks by `kid` (every key when the token has none), as an integrator must.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, Jwk, KeyType};
use crate::policy::Policy;
use jwtk::ecdsa::EcdsaPublicKey;
use jwtk::eddsa::Ed25519PublicKey;
use jwtk::hmac::{HmacAlgorithm, HmacKey};
use jwtk::rsa::{RsaAlgorithm, RsaPublicKey};
use jwtk::{Error, VerificationKey};
use serde_json::{Map, Value};

/// The `jwtk` backend.
pub struct Jwtk;

/// The crate version this adapter is built against.
const VERSION: &str = "0.5.0";

/// A verification key of the crate, usable from every worker thread.
type Key = Box<dyn VerificationKey + Send + Sync>;

enum Prepared {
    /// The crate's own JWK Set verifier (a policy of public keys).
    Set(jwtk::jwk::JwkSetVerifier),
    /// One entry per (allowed algorithm, trusted key that fits it): the key's kid and the crate's
    /// key, bound to that algorithm (a policy with HMAC secrets).
    Keys(Vec<(Option<String>, Key)>),
}

/// Maps the crate's errors onto the reason vocabulary. The crate answers `VerificationError` both
/// for a bad signature and for a header alg the key is not bound to.
fn reason(e: &Error) -> Reason {
    match e {
        Error::InvalidToken | Error::Utf8(_) | Error::SerdeJson(_) | Error::Decode(_) => {
            Reason::Malformed
        }
        Error::VerificationError => Reason::Signature,
        Error::AlgMismatch => Reason::Algorithm,
        Error::NoKid | Error::NoKey | Error::UnsupportedOrInvalidKey => Reason::Key,
        Error::Expired => Reason::Expired,
        Error::Before => Reason::NotYetValid,
        _ => Reason::Other,
    }
}

/// Builds the crate's verification key for one trusted key and algorithm.
fn key(alg: Alg, jwk: &Jwk) -> Result<Key, Error> {
    let pem = jwk.pem_spki().unwrap_or_default();
    let hmac = |a| -> Result<Key, Error> {
        Ok(Box::new(HmacKey::from_bytes(
            jwk.secret().unwrap_or_default(),
            a,
        )))
    };
    let rsa = |a| -> Result<Key, Error> {
        Ok(Box::new(RsaPublicKey::from_pem(pem.as_bytes(), Some(a))?))
    };
    match alg {
        Alg::HS256 => hmac(HmacAlgorithm::HS256),
        Alg::HS384 => hmac(HmacAlgorithm::HS384),
        Alg::HS512 => hmac(HmacAlgorithm::HS512),
        Alg::RS256 => rsa(RsaAlgorithm::RS256),
        Alg::RS384 => rsa(RsaAlgorithm::RS384),
        Alg::RS512 => rsa(RsaAlgorithm::RS512),
        Alg::PS256 => rsa(RsaAlgorithm::PS256),
        Alg::PS384 => rsa(RsaAlgorithm::PS384),
        Alg::PS512 => rsa(RsaAlgorithm::PS512),
        // The curve binds an EC key to ES256, ES384 or ES512; keys_for matched it to `alg`.
        Alg::ES256 | Alg::ES384 | Alg::ES512 => {
            Ok(Box::new(EcdsaPublicKey::from_pem(pem.as_bytes())?))
        }
        Alg::EdDSA => Ok(Box::new(Ed25519PublicKey::from_pem(pem.as_bytes())?)),
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        let keys = match self {
            Prepared::Set(verifier) => {
                return match verifier.verify::<Map<String, Value>>(token) {
                    Ok(_) => Outcome::Accept,
                    Err(e) => Outcome::reject(reason(&e), e.to_string()),
                }
            }
            Prepared::Keys(keys) => keys,
        };
        // The crate's own decoder reads the kid; if it cannot, every key is tried and
        // `jwtk::verify` reports the same failure.
        let kid = jwtk::decode_without_verify::<Map<String, Value>>(token)
            .ok()
            .and_then(|t| t.header().kid.clone());
        let candidates: Vec<&Key> = match &kid {
            Some(kid) => keys
                .iter()
                .filter(|(k, _)| k.as_deref() == Some(kid.as_str()))
                .map(|(_, key)| key)
                .collect(),
            None => keys.iter().map(|(_, key)| key).collect(),
        };
        if candidates.is_empty() {
            return Outcome::reject(Reason::Key, "no key in the JWK Set has this kid");
        }
        let mut errors = Vec::new();
        for key in candidates {
            match jwtk::verify::<Map<String, Value>>(token, key.as_ref()) {
                Ok(_) => return Outcome::Accept,
                Err(e) => errors.push(e),
            }
        }
        // Report the error of a key that got past the signature, if any did.
        match errors
            .iter()
            .find(|e| !matches!(e, Error::VerificationError))
            .or(errors.first())
        {
            Some(e) => Outcome::reject(reason(e), e.to_string()),
            None => Outcome::reject(Reason::Key, "no key was tried"),
        }
    }
}

impl Backend for Jwtk {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "jwtk".into(),
            version: VERSION.into(),
            clock: Clock::System,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if policy.keys.iter().all(|k| k.key_type() != KeyType::Oct) {
            let set: jwtk::jwk::JwkSet = serde_json::from_value(policy.public_jwks())
                .map_err(|e| format!("jwtk cannot read the JWK Set: {e}"))?;
            return Ok(Box::new(Prepared::Set(set.verifier())));
        }
        let mut keys = Vec::new();
        for alg in &policy.algorithms {
            for jwk in policy.keys_for(*alg) {
                let k = key(*alg, jwk).map_err(|e| {
                    format!(
                        "jwtk cannot use key {:?} for {alg}: {e}",
                        jwk.kid().unwrap_or("")
                    )
                })?;
                keys.push((jwk.kid().map(str::to_string), k));
            }
        }
        Ok(Box::new(Prepared::Keys(keys)))
    }
}
