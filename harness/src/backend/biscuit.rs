//! In-process adapter for the `biscuit` crate (v0.8.0, *ring* 0.17).
//!
//! Configured as strictly as the crate allows: the token is verified with the crate's own JWK Set
//! lookup, `jws::Compact::decode_with_jwks(jwks, expected_algorithm)`, given the policy's JWK Set
//! and, once the header's `alg` is found in the policy's allowlist, that algorithm as the expected
//! one (the crate needs it for a key without `alg`): it requires a `kid`, finds the key by it,
//! requires the header `alg` to equal the key's `alg` and the expected one, and verifies
//! (src/jws/compact.rs:142-213). Then the claims are checked with `ValidationOptions`: `exp`, `nbf` and `iat` validated
//! with the policy's leeway as `epsilon` (`iat` only for not being in the future: maximum age
//! unbounded), `iss` and `aud` compared with the policy's issuer and audience, and every required
//! registered claim marked `Required` in `ClaimPresenceOptions` (an expected issuer or audience
//! also makes the claim required, as the policy means "the exact expected iss"). The crate has
//! neither EdDSA nor ES512 (*ring* lacks P-521 ECDSA), the only thing that makes a policy
//! unsupported. The checks it lacks are left to show as findings, explained in
//! `fixtures/backends/biscuit.toml`: it has no `typ` check, cannot require a claim that is not
//! registered, and takes one expected audience (`ValidationOptions::audience` is a single
//! `String`), so under a policy with several accepted audiences only the first is expected. The
//! crate panics on a NumericDate outside chrono's range (an `unwrap` in `Timestamp`'s
//! `Deserialize`, reached only after the signature verified); the adapter does not catch it: the
//! harness reports a `crash`, explained in the same file. Clock: `request`, as
//! `TemporalOptions::now` takes the caller's time.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::Alg;
use crate::policy::Policy;
use biscuit_crate::errors::{DecodeError, Error, ValidationError};
use biscuit_crate::jwa::SignatureAlgorithm;
use biscuit_crate::jwk::JWKSet;
use biscuit_crate::{
    ClaimPresenceOptions, Empty, Presence, TemporalOptions, Validation, ValidationOptions, JWT,
};
use chrono::{DateTime, Duration, Utc};

/// The `biscuit` backend.
pub struct Biscuit;

/// The crate version this adapter is built against.
const VERSION: &str = "0.8.0";

struct Prepared {
    /// The policy's JWK Set, as the crate reads it.
    set: JWKSet<Empty>,
    /// The allowed algorithms.
    allowed: Vec<SignatureAlgorithm>,
    options: ValidationOptions,
    leeway: Duration,
}

fn algorithm(alg: Alg) -> Option<SignatureAlgorithm> {
    Some(match alg {
        Alg::HS256 => SignatureAlgorithm::HS256,
        Alg::HS384 => SignatureAlgorithm::HS384,
        Alg::HS512 => SignatureAlgorithm::HS512,
        Alg::RS256 => SignatureAlgorithm::RS256,
        Alg::RS384 => SignatureAlgorithm::RS384,
        Alg::RS512 => SignatureAlgorithm::RS512,
        Alg::PS256 => SignatureAlgorithm::PS256,
        Alg::PS384 => SignatureAlgorithm::PS384,
        Alg::PS512 => SignatureAlgorithm::PS512,
        Alg::ES256 => SignatureAlgorithm::ES256,
        Alg::ES384 => SignatureAlgorithm::ES384,
        Alg::ES512 | Alg::EdDSA => return None,
    })
}

/// Maps the crate's errors onto the reason vocabulary; `header` says whether the error came from
/// reading the header (where a JSON error means a malformed token, not a claim of the wrong type).
fn reason(error: &Error, header: bool) -> Reason {
    match error {
        Error::DecodeError(DecodeError::InvalidToken | DecodeError::PartsLengthError { .. })
        | Error::DecodeBase64(_)
        | Error::Utf8(_) => Reason::Malformed,
        // A JSON document of the wrong shape (a claim of the wrong type) versus broken JSON.
        Error::JsonError(e) if e.is_data() && !header => Reason::ClaimType,
        Error::JsonError(_) => Reason::Malformed,
        Error::ValidationError(v) => match v {
            ValidationError::InvalidSignature => Reason::Signature,
            ValidationError::WrongAlgorithmHeader | ValidationError::MissingAlgorithm => {
                Reason::Algorithm
            }
            ValidationError::MissingRequiredClaims(_) => Reason::MissingClaim,
            ValidationError::Expired(_) | ValidationError::TooOld(_) => Reason::Expired,
            ValidationError::NotYetValid(_) => Reason::NotYetValid,
            ValidationError::InvalidIssuer(_) => Reason::Issuer,
            ValidationError::InvalidAudience(_) => Reason::Audience,
            ValidationError::KidMissing
            | ValidationError::KeyNotFound
            | ValidationError::UnsupportedKeyAlgorithm => Reason::Key,
        },
        Error::KeyRejected(_) | Error::WrongKeyType { .. } => Reason::Key,
        Error::UnspecifiedCryptographicError => Reason::Signature,
        Error::UnsupportedOperation => Reason::Algorithm,
        Error::GenericError(_) | Error::IOError(_) | Error::WrongEncryptionOptions { .. } => {
            Reason::Other
        }
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let jwt: JWT<Empty, Empty> = JWT::new_encoded(token);
        let header = match jwt.unverified_header() {
            Ok(h) => h,
            Err(e) => return Outcome::reject(reason(&e, true), e.to_string()),
        };
        if !self.allowed.contains(&header.registered.algorithm) {
            return Outcome::reject(Reason::Algorithm, "the header alg is not allowed");
        }
        let checked = jwt
            .decode_with_jwks(&self.set, Some(header.registered.algorithm))
            .and_then(|decoded| {
                let mut options = self.options.clone();
                options.temporal_options = TemporalOptions {
                    epsilon: self.leeway,
                    now: i64::try_from(now)
                        .ok()
                        .and_then(|n| DateTime::<Utc>::from_timestamp(n, 0)),
                };
                decoded.validate(options)
            });
        match checked {
            Ok(()) => Outcome::Accept,
            Err(e) => Outcome::reject(reason(&e, false), e.to_string()),
        }
    }
}

impl Backend for Biscuit {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "biscuit".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        let mut presence = ClaimPresenceOptions::default();
        for claim in &policy.required_claims {
            let slot = match claim.as_str() {
                "exp" => &mut presence.expiry,
                "nbf" => &mut presence.not_before,
                "iat" => &mut presence.issued_at,
                "iss" => &mut presence.issuer,
                "aud" => &mut presence.audience,
                "sub" => &mut presence.subject,
                "jti" => &mut presence.id,
                // ClaimPresenceOptions covers the registered claims only.
                _ => continue,
            };
            *slot = Presence::Required;
        }
        let mut options = ValidationOptions {
            expiry: Validation::Validate(()),
            not_before: Validation::Validate(()),
            issued_at: Validation::Validate(Duration::MAX),
            ..ValidationOptions::default()
        };
        if let Some(iss) = &policy.issuer {
            options.issuer = Validation::Validate(iss.clone());
            presence.issuer = Presence::Required;
        }
        if let Some(aud) = policy.audience.first() {
            options.audience = Validation::Validate(aud.clone());
            presence.audience = Presence::Required;
        }
        options.claim_presence_options = presence;
        let mut allowed = Vec::new();
        for a in &policy.algorithms {
            let alg = algorithm(*a).ok_or_else(|| format!("biscuit cannot verify {a}"))?;
            allowed.push((*a, alg));
        }
        let set: JWKSet<Empty> = serde_json::from_value(policy.public_jwks())
            .map_err(|e| format!("biscuit cannot read the JWK Set: {e}"))?;
        let allowed: Vec<SignatureAlgorithm> = allowed.into_iter().map(|(_, alg)| alg).collect();
        let leeway = i64::try_from(policy.leeway)
            .ok()
            .and_then(Duration::try_seconds)
            .ok_or("biscuit cannot represent the leeway")?;
        Ok(Box::new(Prepared {
            set,
            allowed,
            options,
            leeway,
        }))
    }
}
