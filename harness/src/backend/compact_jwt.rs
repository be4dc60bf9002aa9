//! In-process adapter for the `compact_jwt` crate (v0.5.7, kanidm; RustCrypto through
//! `crypto-glue`). 0.6.0 needs a pre-release `rsa` 0.10 and cannot share a build with
//! jsonwebtoken 12.
//!
//! The strictest path the crate offers is its OIDC token: `OidcUnverified` is verified by a
//! `JwsVerifier` (`JwsHs256Signer`, `JwsRs256Verifier` or `JwsEs256Verifier`, each accepting only
//! its own algorithm, so the allowlist is the set of verifiers built here from the policy's keys
//! with the crate's own `Jwk` and `TryFrom<&[u8]>` conversions), the payload must deserialize as an
//! `OidcToken` (which requires `iss` as a URL, `sub`, `aud` as a single string, `exp` and `iat`),
//! and `OidcExpUnverified::verify_exp(now)` checks `exp` and `nbf`. The crate has only HS256,
//! RS256 and ES256: any other allowed algorithm is the only thing that makes a policy unsupported.
//! The checks it lacks are left to show as findings, explained in
//! `fixtures/backends/compact_jwt.toml`: it compares neither `iss` nor `aud` with expected values,
//! cannot require `nbf`, `jti` or any other claim, has no `typ` check and no leeway. The crate
//! refuses an HMAC secret shorter than 32 bytes when the key is built (`JwsHs256Signer`'s
//! `TryFrom<&[u8]>`): such a key is never trusted, and a token that can only be checked against it
//! is rejected with the crate's refusal. The key is chosen by `kid` from the policy's JWK Set;
//! without a `kid` every key is tried. Clock: `request`, as `verify_exp` takes the caller's time.

use super::{first_success, select_by_kid, Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, Jwk};
use crate::policy::Policy;
use compact_jwt_crate::crypto::JwsRs256Verifier;
use compact_jwt_crate::{
    JwsCompact, JwsEs256Verifier, JwsHs256Signer, JwsVerifier, JwtError, OidcUnverified,
};
use std::str::FromStr;

/// The `compact_jwt` backend.
pub struct CompactJwt;

/// The crate version this adapter is built against.
const VERSION: &str = "0.5.7";

/// A compact_jwt verifier: one type per algorithm.
enum Key {
    HS256(JwsHs256Signer),
    RS256(JwsRs256Verifier),
    ES256(JwsEs256Verifier),
    /// An HMAC secret the crate refuses to build a verifier from (shorter than 32 bytes): it is
    /// never trusted, and checking a token against it fails with the crate's refusal.
    Refused(String),
}

impl Key {
    /// Builds the crate's verifier for `alg` from a trusted key of a fitting type.
    fn new(alg: Alg, jwk: &Jwk) -> Result<Key, String> {
        let crate_jwk = || -> Result<compact_jwt_crate::Jwk, String> {
            serde_json::from_value(jwk.public_json())
                .map_err(|e| format!("compact_jwt cannot read the JWK: {e}"))
        };
        let refused = |e: JwtError| format!("compact_jwt refuses the {alg} key: {e}");
        Ok(match alg {
            Alg::HS256 => match JwsHs256Signer::try_from(jwk.secret().unwrap_or_default()) {
                Ok(k) => Key::HS256(k),
                Err(e) => Key::Refused(refused(e)),
            },
            Alg::RS256 => Key::RS256(JwsRs256Verifier::try_from(&crate_jwk()?).map_err(refused)?),
            Alg::ES256 => Key::ES256(JwsEs256Verifier::try_from(&crate_jwk()?).map_err(refused)?),
            other => return Err(format!("compact_jwt cannot verify {other}")),
        })
    }

    /// Verifies the token and its `exp` / `nbf`; the error is (reason, the crate's message).
    fn verify(&self, token: &OidcUnverified, now: i64) -> Result<(), (Reason, String)> {
        let unexpired = match self {
            Key::HS256(k) => k.verify(token),
            Key::RS256(k) => k.verify(token),
            Key::ES256(k) => k.verify(token),
            Key::Refused(why) => return Err((Reason::Key, why.clone())),
        };
        unexpired
            .and_then(|t| t.verify_exp(now))
            .map(drop)
            .map_err(|e| (reason(&e), e.to_string()))
    }

    /// Verifies a bare JWS (any payload): `JwsVerifier::verify` over a `JwsCompact`.
    fn verify_jws(&self, token: &JwsCompact) -> Result<(), (Reason, String)> {
        let verified = match self {
            Key::HS256(k) => k.verify(token),
            Key::RS256(k) => k.verify(token),
            Key::ES256(k) => k.verify(token),
            Key::Refused(why) => return Err((Reason::Key, why.clone())),
        };
        verified.map(drop).map_err(|e| (reason(&e), e.to_string()))
    }
}

/// (kid, one verifier per allowed algorithm of the key's type) for every trusted key.
type Keys = Vec<(Option<String>, Vec<Key>)>;

/// The verifiers for a policy, or why the crate cannot express it.
fn keys(policy: &Policy) -> Result<Keys, String> {
    if let Some(a) = policy
        .algorithms
        .iter()
        .find(|a| !matches!(a, Alg::HS256 | Alg::RS256 | Alg::ES256))
    {
        return Err(format!("compact_jwt cannot verify {a}"));
    }
    let mut keys = Vec::new();
    for jwk in &policy.keys {
        let mut verifiers = Vec::new();
        for alg in policy.algorithms.iter().filter(|a| a.may_use(jwk)) {
            verifiers.push(Key::new(*alg, jwk)?);
        }
        if !verifiers.is_empty() {
            keys.push((jwk.kid().map(str::to_string), verifiers));
        }
    }
    Ok(keys)
}

struct Prepared {
    /// (kid, one verifier per allowed algorithm of the key's type).
    keys: Keys,
}

/// Maps the crate's errors onto the reason vocabulary.
fn reason(e: &JwtError) -> Reason {
    match e {
        JwtError::InvalidCompactFormat
        | JwtError::InvalidBase64
        | JwtError::InvalidHeaderFormat => Reason::Malformed,
        JwtError::InvalidSignature | JwtError::CryptoError => Reason::Signature,
        // The payload does not deserialize as an OIDC token: a required claim is missing or of
        // the wrong type (the crate does not say which).
        JwtError::InvalidJwt => Reason::ClaimType,
        JwtError::ValidatorAlgMismatch | JwtError::AlgorithmUnavailable => Reason::Algorithm,
        JwtError::InvalidJwtKid
        | JwtError::InvalidKey
        | JwtError::EmbededJwkNotAvailable
        | JwtError::JwkPublicKeyDenied
        | JwtError::X5cPublicKeyDenied
        | JwtError::X5cChainMissingLeaf
        | JwtError::X5cChainNotTrusted => Reason::Key,
        // verify_exp reports expired and not-yet-valid alike.
        JwtError::OidcTokenExpired => Reason::Expired,
        JwtError::InvalidPRT
        | JwtError::CriticalExtension
        | JwtError::OpenSSLError
        | JwtError::TpmError
        | JwtError::JweEncMismatch
        | JwtError::PrivateKeyDenied
        | JwtError::CriticalMissingHeaderValue
        | JwtError::CipherUnavailable
        | JwtError::UnableToReleaseKey
        | JwtError::Serde => Reason::Other,
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let unverified = match OidcUnverified::from_str(token) {
            Ok(t) => t,
            Err(e) => return Outcome::reject(reason(&e), e.to_string()),
        };
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let kid = compact_jwt_crate::traits::JwsVerifiable::kid(&unverified);
        let candidates = match select_by_kid(&self.keys, kid) {
            Ok(c) => c,
            Err(rejected) => return rejected,
        };
        first_success(
            candidates.into_iter().flatten(),
            |key| key.verify(&unverified, now),
            |(why, detail)| Outcome::reject(why, detail),
        )
    }
}

impl Backend for CompactJwt {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "compact_jwt".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(Prepared {
            keys: keys(policy)?,
        }))
    }

    fn supports_jws(&self) -> bool {
        true
    }

    /// `JwsCompact::from_str`, the key chosen by `kid` as for tokens, then
    /// `JwsVerifier::verify`: the crate's JWS layer, without the OIDC claims.
    fn verify_jws(&self, policy: &Policy, jws: &str) -> Outcome {
        let keys = match keys(policy) {
            Ok(k) => k,
            Err(e) => return Outcome::Unsupported(e),
        };
        let compact = match JwsCompact::from_str(jws) {
            Ok(t) => t,
            Err(e) => return Outcome::reject(reason(&e), e.to_string()),
        };
        let kid = compact_jwt_crate::traits::JwsVerifiable::kid(&compact);
        let candidates = match select_by_kid(&keys, kid) {
            Ok(c) => c,
            Err(rejected) => return rejected,
        };
        first_success(
            candidates.into_iter().flatten(),
            |key| key.verify_jws(&compact),
            |(why, detail)| Outcome::reject(why, detail),
        )
    }
}
