//! In-process adapter for the `jsonwebtoken` crate (v12, RustCrypto provider).
//!
//! Configured as strictly as the crate allows: the allowlist restricted to the selected key's
//! family, `validate_exp` and `validate_nbf` on, the policy's leeway, issuer, audience and the
//! required registered claims. The crate has no typ check (declared `unchecked` in
//! fixtures/backends/jsonwebtoken.toml: the typ cases are the integrator's) and no custom clock,
//! so the backend reads the system clock. The key is the crate's choice:
//! the policy's JWK Set is read into the crate's `JwkSet` and the token's `kid` looked up with
//! `JwkSet::find`, its only key-set lookup, which needs a `kid` (a token without one finds no key);
//! the key is built by `DecodingKey::from_jwk`, which keeps the key material only, so each key's
//! `Validation` allows just its JWK's `alg` when it names one (RFC 8725 §3.1).

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::policy::Policy;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// The `jsonwebtoken` backend.
pub struct JsonWebToken;

/// The crate version this adapter is built against.
const VERSION: &str = "12.0.0";

struct Prepared {
    /// The policy's JWK Set as the crate reads it.
    set: JwkSet,
    /// For each key of `set`, in order: the crate's key and the validation for the allowed
    /// algorithms of its family, or only its JWK's `alg` when it names one (`None`: no allowed
    /// algorithm fits it).
    keys: Vec<Option<(DecodingKey, Validation)>>,
    /// The required claims in the policy's order. The crate checks its `required_spec_claims`
    /// in `HashSet` order, so when several are missing, which one it names changes from run to
    /// run; asking for them one by one names the first missing claim in a fixed order, still by
    /// the crate's own verdict.
    required: Vec<String>,
}

fn algorithm(alg: crate::jose::Alg) -> Option<Algorithm> {
    use crate::jose::Alg as A;
    Some(match alg {
        A::HS256 => Algorithm::HS256,
        A::HS384 => Algorithm::HS384,
        A::HS512 => Algorithm::HS512,
        A::RS256 => Algorithm::RS256,
        A::RS384 => Algorithm::RS384,
        A::RS512 => Algorithm::RS512,
        A::PS256 => Algorithm::PS256,
        A::PS384 => Algorithm::PS384,
        A::PS512 => Algorithm::PS512,
        A::ES256 => Algorithm::ES256,
        A::ES384 => Algorithm::ES384,
        A::EdDSA => Algorithm::EdDSA,
        A::ES512 => return None,
    })
}

/// Maps the crate's error kinds onto the reason vocabulary.
fn reason(kind: &ErrorKind) -> Reason {
    match kind {
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => Reason::Malformed,
        ErrorKind::InvalidSignature => Reason::Signature,
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat => Reason::Key,
        ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm => Reason::Algorithm,
        ErrorKind::MissingRequiredClaim(_) => Reason::MissingClaim,
        ErrorKind::InvalidClaimFormat(_) => Reason::ClaimType,
        ErrorKind::ExpiredSignature => Reason::Expired,
        ErrorKind::ImmatureSignature => Reason::NotYetValid,
        ErrorKind::InvalidIssuer => Reason::Issuer,
        ErrorKind::InvalidAudience => Reason::Audience,
        _ => Reason::Other,
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(h) => h,
            Err(e) => return Outcome::reject(reason(e.kind()), e.to_string()),
        };
        let Some(kid) = header.kid.as_deref() else {
            return Outcome::reject(
                Reason::Key,
                "the token has no kid, and JwkSet::find needs one",
            );
        };
        let Some(index) = self
            .set
            .find(kid)
            .and_then(|jwk| self.set.keys.iter().position(|k| std::ptr::eq(k, jwk)))
        else {
            return Outcome::reject(Reason::Key, "JwkSet::find: no key has this kid");
        };
        let Some((key, validation)) = &self.keys[index] else {
            return Outcome::reject(Reason::Algorithm, "no allowed algorithm fits this key");
        };
        let decode =
            |v: &Validation| jsonwebtoken::decode::<serde_json::Value>(token, key, v).map(|_| ());
        let result = decode(validation);
        if let Err(e) = &result {
            if matches!(e.kind(), ErrorKind::MissingRequiredClaim(_)) {
                for claim in &self.required {
                    let mut one = validation.clone();
                    one.set_required_spec_claims(&[claim]);
                    if let Err(first) = decode(&one) {
                        if matches!(first.kind(), ErrorKind::MissingRequiredClaim(_)) {
                            return Outcome::reject(reason(first.kind()), first.to_string());
                        }
                    }
                }
            }
        }
        match result {
            Ok(()) => Outcome::Accept,
            Err(e) => Outcome::reject(reason(e.kind()), e.to_string()),
        }
    }
}

impl Backend for JsonWebToken {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "jsonwebtoken".into(),
            version: VERSION.into(),
            clock: Clock::System,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        let registered = ["exp", "nbf", "aud", "iss", "sub"];
        if let Some(c) = policy
            .required_claims
            .iter()
            .find(|c| !registered.contains(&c.as_str()))
        {
            return Err(format!(
                "jsonwebtoken can only require registered claims, not {c:?}"
            ));
        }
        let mut algs = Vec::new();
        for a in &policy.algorithms {
            algs.push(algorithm(*a).ok_or_else(|| format!("jsonwebtoken has no {a}"))?);
        }
        let set: JwkSet = serde_json::from_value(policy.public_jwks())
            .map_err(|e| format!("jsonwebtoken cannot read the JWK Set: {e}"))?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| format!("jsonwebtoken cannot use a key: {e}"))?;
            // The crate leaves pairing a key with its algorithm to the caller: `from_jwk` keeps
            // the key material only. A key whose JWK names its `alg` gets that one algorithm
            // (RFC 8725 §3.1), one without gets the allowed algorithms of its family.
            let pinned = jwk.common.key_algorithm.map(Algorithm::try_from);
            let family_algs: Vec<Algorithm> = algs
                .iter()
                .copied()
                .filter(|a| a.family() == key.family())
                .filter(|a| match &pinned {
                    None => true,
                    Some(Ok(p)) => p == a,
                    Some(Err(_)) => false,
                })
                .collect();
            let Some(first) = family_algs.first() else {
                keys.push(None);
                continue;
            };
            let mut v = Validation::new(*first);
            v.algorithms = family_algs.clone();
            v.leeway = policy.leeway;
            v.validate_exp = true;
            v.validate_nbf = true;
            match &policy.issuer {
                Some(iss) => v.set_issuer(&[iss]),
                None => v.iss = None,
            }
            if policy.audience.is_empty() {
                v.validate_aud = false;
            } else {
                v.set_audience(&policy.audience);
            }
            v.set_required_spec_claims(&policy.required_claims);
            keys.push(Some((key, v)));
        }
        Ok(Box::new(Prepared {
            set,
            keys,
            required: policy.required_claims.clone(),
        }))
    }
}
