//! In-process adapter for the `biscuit` crate (v0.8.0, *ring* 0.17).
//!
//! Configured as strictly as the crate allows: the token is verified with
//! `jws::Compact::decode(secret, algorithm)` for each allowed algorithm that fits the selected key
//! (the crate verifies the signature with the algorithm it is given, then rejects a header `alg`
//! naming another one), then checked with `ValidationOptions`: `exp`, `nbf` and `iat` validated
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
//! harness reports the result `broken`, explained in the same file. The key is chosen by `kid`
//! from the policy's JWK Set (secrets built by the crate's own `jwk::JWK`); without a `kid` every
//! key is tried. Clock: `request`, as `TemporalOptions::now` takes the caller's time.

use super::{first_success, Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, Jwk};
use crate::policy::Policy;
use biscuit_crate::errors::{DecodeError, Error, ValidationError};
use biscuit_crate::jwa::SignatureAlgorithm;
use biscuit_crate::jwk::{AlgorithmParameters, JWK};
use biscuit_crate::jws::Secret;
use biscuit_crate::{
    ClaimPresenceOptions, Empty, Presence, TemporalOptions, Validation, ValidationOptions, JWT,
};
use chrono::{DateTime, Duration, Utc};

/// The `biscuit` backend.
pub struct Biscuit;

/// The crate version this adapter is built against.
const VERSION: &str = "0.8.0";

/// One trusted key: its kid, the crate's verification secret, and the allowed algorithms that fit it.
struct Key {
    kid: Option<String>,
    secret: Secret,
    algs: Vec<SignatureAlgorithm>,
}

struct Prepared {
    keys: Vec<Key>,
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

/// The crate's verification secret for a trusted key, built by the crate's own JWK type.
fn secret(jwk: &Jwk) -> Result<Secret, String> {
    let parsed: JWK<Empty> = serde_json::from_value(jwk.public_json())
        .map_err(|e| format!("biscuit cannot read a key: {e}"))?;
    match &parsed.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => Ok(ec.jws_public_key_secret()),
        AlgorithmParameters::RSA(rsa) => Ok(rsa.jws_public_key_secret()),
        AlgorithmParameters::OctetKey(oct) => Ok(Secret::Bytes(oct.value.clone())),
        AlgorithmParameters::OctetKeyPair(_) => Err("biscuit cannot verify with an OKP key".into()),
    }
}

impl Prepared {
    fn check(
        &self,
        token: &JWT<Empty, Empty>,
        key: &Key,
        alg: SignatureAlgorithm,
        now: u64,
    ) -> Result<(), Error> {
        let decoded = token.decode(&key.secret, alg)?;
        let mut options = self.options.clone();
        options.temporal_options = TemporalOptions {
            epsilon: self.leeway,
            now: i64::try_from(now)
                .ok()
                .and_then(|n| DateTime::<Utc>::from_timestamp(n, 0)),
        };
        decoded.validate(options)
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let jwt: JWT<Empty, Empty> = JWT::new_encoded(token);
        let header = match jwt.unverified_header() {
            Ok(h) => h,
            Err(e) => return Outcome::reject(reason(&e, true), e.to_string()),
        };
        let candidates: Vec<&Key> = match &header.registered.key_id {
            Some(kid) => self
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                .collect(),
            None => self.keys.iter().collect(),
        };
        if candidates.is_empty() {
            return Outcome::reject(Reason::Key, "no key in the JWK Set has this kid");
        }
        first_success(
            candidates.into_iter().flat_map(|key| {
                // The header's alg first when the key allows it, so that its error is the one
                // reported.
                let mut algs = key.algs.clone();
                algs.sort_by_key(|a| *a != header.registered.algorithm);
                algs.into_iter().map(move |alg| (key, alg))
            }),
            |(key, alg)| self.check(&jwt, key, alg, now),
            |e| Outcome::reject(reason(&e, false), e.to_string()),
        )
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
        let mut keys = Vec::new();
        for jwk in &policy.keys {
            let algs: Vec<SignatureAlgorithm> = allowed
                .iter()
                .filter(|(a, _)| a.fits(jwk))
                .map(|(_, alg)| *alg)
                .collect();
            if algs.is_empty() {
                continue;
            }
            keys.push(Key {
                kid: jwk.kid().map(str::to_string),
                secret: secret(jwk)?,
                algs,
            });
        }
        let leeway = i64::try_from(policy.leeway)
            .ok()
            .and_then(Duration::try_seconds)
            .ok_or("biscuit cannot represent the leeway")?;
        Ok(Box::new(Prepared {
            keys,
            options,
            leeway,
        }))
    }
}
