//! In-process adapter for the `jwt-simple` crate (v0.15.0, `pure-rust` feature: no BoringSSL).
//!
//! jwt-simple has one key type per algorithm and a key verifies only tokens whose header names its
//! algorithm, so the allowlist is the set of key objects built here: for every trusted key, one
//! object per allowed algorithm the key may be used with (of its type, and only its own `alg`
//! when it has one, RFC 8725 §3.1; asymmetric keys are imported with the crate's own
//! `from_jwk`, HMAC secrets with `from_bytes`). `VerificationOptions` is set as strictly as it
//! goes: `time_tolerance` is the policy's leeway (the crate's default is 15 minutes), the expected
//! issuer and audience are `allowed_issuers` / `allowed_audiences` (which also make `iss` / `aud`
//! required), and the policy's `typ` is `required_signature_type`. `exp`, `nbf` and `iat` are
//! always checked when present. The crate has no ES512, the only thing that makes a policy
//! unsupported. The checks it lacks are left to show as findings, explained in
//! `fixtures/backends/jwt-simple.toml`: it cannot require the presence of `exp`, `nbf`, `iat`,
//! `sub`, `jti` or any other claim (`required_subject` demands one exact value), nor of `iss` /
//! `aud` without an expected value, so a policy's `required_claims` beyond an expected issuer and
//! audience are not enforced. The key is chosen by `kid` from the policy's JWK Set; without a
//! `kid` every key is tried. Clock: `request`, through `VerificationOptions::artificial_time`.

use super::{first_success, select_by_kid, Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, Jwk};
use crate::policy::Policy;
use jwt_simple::prelude::*;
use jwt_simple::reexports::ct_codecs;
use jwt_simple::JWTError;

/// The `jwt-simple` backend.
pub struct JwtSimple;

/// The crate version this adapter is built against.
const VERSION: &str = "0.15.0";

/// A jwt-simple verification key: one type per algorithm.
enum Key {
    HS256(HS256Key),
    HS384(HS384Key),
    HS512(HS512Key),
    RS256(RS256PublicKey),
    RS384(RS384PublicKey),
    RS512(RS512PublicKey),
    PS256(PS256PublicKey),
    PS384(PS384PublicKey),
    PS512(PS512PublicKey),
    ES256(ES256PublicKey),
    ES384(ES384PublicKey),
    EdDSA(Ed25519PublicKey),
}

impl Key {
    /// Builds the crate's key object for `alg` from a trusted key of a fitting type.
    fn new(alg: Alg, jwk: &Jwk) -> Result<Key, jwt_simple::Error> {
        let text = jwk.public_json().to_string();
        let secret = || jwk.secret().unwrap_or_default();
        Ok(match alg {
            Alg::HS256 => Key::HS256(HS256Key::from_bytes(secret())),
            Alg::HS384 => Key::HS384(HS384Key::from_bytes(secret())),
            Alg::HS512 => Key::HS512(HS512Key::from_bytes(secret())),
            Alg::RS256 => Key::RS256(RS256PublicKey::from_jwk(&text)?),
            Alg::RS384 => Key::RS384(RS384PublicKey::from_jwk(&text)?),
            Alg::RS512 => Key::RS512(RS512PublicKey::from_jwk(&text)?),
            Alg::PS256 => Key::PS256(PS256PublicKey::from_jwk(&text)?),
            Alg::PS384 => Key::PS384(PS384PublicKey::from_jwk(&text)?),
            Alg::PS512 => Key::PS512(PS512PublicKey::from_jwk(&text)?),
            Alg::ES256 => Key::ES256(ES256PublicKey::from_jwk(&text)?),
            Alg::ES384 => Key::ES384(ES384PublicKey::from_jwk(&text)?),
            Alg::EdDSA => Key::EdDSA(Ed25519PublicKey::from_jwk(&text)?),
            Alg::ES512 => return Err(JWTError::InternalError("no ES512".into()).into()),
        })
    }

    fn verify(&self, token: &str, options: VerificationOptions) -> Result<(), jwt_simple::Error> {
        let o = Some(options);
        match self {
            Key::HS256(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::HS384(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::HS512(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::RS256(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::RS384(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::RS512(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::PS256(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::PS384(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::PS512(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::ES256(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::ES384(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
            Key::EdDSA(k) => k.verify_token::<NoCustomClaims>(token, o).map(drop),
        }
    }
}

struct Prepared {
    /// (kid, key objects: one per allowed algorithm of the key's type).
    keys: Vec<(Option<String>, Vec<Key>)>,
    options: VerificationOptions,
}

/// Maps the crate's errors (an `anyhow::Error` around a `JWTError`, a JSON or a base64 error)
/// onto the reason vocabulary; `header` says whether the error came from reading the header
/// (where a JSON error means a malformed token, not a claim of the wrong type).
fn reason(e: &jwt_simple::Error, header: bool) -> Reason {
    use JWTError as J;
    match (
        e.downcast_ref::<JWTError>(),
        e.downcast_ref::<serde_json::Error>(),
        e.downcast_ref::<ct_codecs::Error>(),
    ) {
        (Some(j), _, _) => match j {
            J::CompactEncodingError
            | J::CWTDecodingError
            | J::HeaderTooLarge
            | J::TokenTooLong
            | J::DuplicateCWTClaimKey(_)
            | J::InvalidJWEFormat => Reason::Malformed,
            J::AlgorithmMismatch => Reason::Algorithm,
            J::KeyIdentifierMismatch
            | J::MissingJWTKeyIdentifier
            | J::RequiredKeyIdMissing
            | J::RequiredKeyIdMismatch
            | J::UnsupportedRSAModulus
            | J::InvalidPublicKey
            | J::InvalidKeyPair
            | J::InvalidCertThumprint
            | J::WeakKey => Reason::Key,
            J::InvalidAuthenticationTag | J::InvalidSignature => Reason::Signature,
            J::TokenHasExpired | J::TokenIsTooOld | J::OldTokenReused => Reason::Expired,
            J::TokenNotValidYet | J::ClockDrift => Reason::NotYetValid,
            J::RequiredIssuerMismatch => Reason::Issuer,
            J::RequiredAudienceMismatch => Reason::Audience,
            J::RequiredIssuerMissing | J::RequiredSubjectMissing | J::RequiredAudienceMissing => {
                Reason::MissingClaim
            }
            J::TooManyAudiences | J::TooManyIssuers => Reason::ClaimType,
            J::InternalError(_)
            | J::RequiredNonceMissing
            | J::RequiredNonceMismatch
            | J::RequiredSubjectMismatch
            | J::NotJWT
            | J::RequiredSignatureTypeMismatch
            | J::RequiredContentTypeMismatch
            | J::MissingSalt
            | J::DecryptionFailed
            | J::KeyUnwrapFailed
            | J::UnsupportedJWEAlgorithm(_)
            | J::UnsupportedContentEncryption(_)
            | J::MissingEphemeralKey
            | J::InvalidEphemeralKey
            | J::InvalidEncryptionKey
            | J::InvalidIV
            | J::InvalidJWEAuthTag
            | J::UnknownCriticalExtension => Reason::Other,
        },
        // Well-formed JSON of the wrong shape (a claim of the wrong type) versus broken JSON.
        (None, Some(j), _) if j.is_data() && !header => Reason::ClaimType,
        (None, Some(_), _) | (None, None, Some(_)) => Reason::Malformed,
        (None, None, None) => Reason::Other,
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let metadata = match Token::decode_metadata(token) {
            Ok(m) => m,
            Err(e) => return Outcome::reject(reason(&e, true), e.to_string()),
        };
        let candidates = match select_by_kid(&self.keys, metadata.key_id()) {
            Ok(c) => c,
            Err(rejected) => return rejected,
        };
        let mut options = self.options.clone();
        options.artificial_time = Some(UnixTimeStamp::from_secs(now));
        first_success(
            candidates.into_iter().flatten(),
            |key| key.verify(token, options.clone()),
            |e| Outcome::reject(reason(&e, false), e.to_string()),
        )
    }
}

impl Backend for JwtSimple {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "jwt-simple".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if policy.algorithms.contains(&Alg::ES512) {
            return Err("jwt-simple cannot verify ES512".into());
        }
        let mut keys = Vec::new();
        for jwk in &policy.keys {
            let mut objects = Vec::new();
            for alg in policy.algorithms.iter().filter(|a| a.may_use(jwk)) {
                objects.push(
                    Key::new(*alg, jwk)
                        .map_err(|e| format!("jwt-simple cannot use a key for {alg}: {e}"))?,
                );
            }
            if !objects.is_empty() {
                keys.push((jwk.kid().map(str::to_string), objects));
            }
        }
        let options = VerificationOptions {
            time_tolerance: Some(Duration::from_secs(policy.leeway)),
            allowed_issuers: policy.issuer.as_ref().map(|i| HashSet::from([i.clone()])),
            allowed_audiences: (!policy.audience.is_empty())
                .then(|| policy.audience.iter().cloned().collect()),
            required_signature_type: policy.typ.clone(),
            ..VerificationOptions::default()
        };
        Ok(Box::new(Prepared { keys, options }))
    }
}
