//! In-process adapter for the `jwt-compact` crate (v0.8.0, RustCrypto: `rsa`, `p256`,
//! `ed25519-dalek`; no CBOR).
//!
//! jwt-compact binds a validator to one algorithm object and one key, and rejects a token whose
//! header names another algorithm, so the allowlist is the set of (algorithm, key) pairs built
//! here: for every trusted key, one per allowed algorithm the key may be used with (its own
//! `alg` only, when it has one), imported with the crate's own `JsonWebKey` conversions. RSA
//! keys go through the crate's `StrongAlg` / `StrongKey` wrappers, which take only a 2048-,
//! 3072- or 4096-bit modulus (any other key makes the policy unsupported: the crate will not
//! take it). HMAC keys do not: the crate's HMAC `StrongKey`
//! demands a secret as long as the hash *block* (64 bytes for HS256, `src/alg/hmacs.rs`), which
//! refuses every RFC 7518 §3.2 compliant 32-byte HS256 secret, so a short secret is taken as
//! configured. After the signature, `Claims::validate_expiration` and `Claims::validate_maturity`
//! run with the policy's leeway whenever `exp` / `nbf` is present or required (both report a
//! missing claim, so they are how the crate requires `exp` and `nbf`). Besides an RSA key that
//! `StrongKey` refuses, only ES384 and ES512, which the crate lacks, make a policy unsupported.
//! The checks it lacks are left to show as findings, explained in
//! `fixtures/backends/jwt-compact.toml`: it keeps `iss`, `aud` and `sub` in application-defined
//! custom claims and compares none of them (no expected issuer or audience); the custom claims
//! type here is the struct with `sub` the crate's documentation shows (`sub` a string, required
//! when the policy requires it), so `sub` is checked for presence and type by deserialization. It cannot
//! require `iat`, `jti` or any other claim, has no `typ` check, and takes an HMAC secret of any
//! length. The key is chosen by `kid` from the policy's JWK Set; without a `kid` every key is
//! tried. Clock: `request`, through the `TimeOptions` clock function.

use super::{first_success, select_by_kid, Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, Jwk};
use crate::policy::Policy;
use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{
    Ed25519, Es256, Hs256, Hs256Key, Hs384, Hs384Key, Hs512, Hs512Key, Rsa, RsaPublicKey,
    StrongAlg, StrongKey,
};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{
    Algorithm, AlgorithmExt, Claims, ParseError, TimeOptions, Token, UntrustedToken,
    ValidationError,
};

/// The `jwt-compact` backend.
pub struct JwtCompact;

/// The crate version this adapter is built against.
const VERSION: &str = "0.8.0";

/// A jwt-compact (algorithm, verifying key) pair.
enum Key {
    Hs256(Hs256Key),
    Hs384(Hs384Key),
    Hs512(Hs512Key),
    Rsa(Rsa, StrongKey<RsaPublicKey>),
    Es256(<Es256 as Algorithm>::VerifyingKey),
    EdDSA(<Ed25519 as Algorithm>::VerifyingKey),
}

/// Anything the crate can fail with: parsing, or validation.
enum Failure {
    Parse(ParseError),
    Validation(ValidationError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Parse(e) => e.fmt(f),
            Failure::Validation(e) => e.fmt(f),
        }
    }
}

/// Imports a trusted key for `alg` with the crate's JWK conversions and strength checks.
fn key(alg: Alg, jwk: &Jwk) -> Result<Key, String> {
    let value = jwk.public_json();
    let parsed: JsonWebKey<'_> =
        serde_json::from_value(value).map_err(|e| format!("cannot read the JWK: {e}"))?;
    let weak = "the crate takes only 2048-, 3072- or 4096-bit RSA keys (StrongKey)";
    let jwk_error = |e: jwt_compact::jwk::JwkError| e.to_string();
    Ok(match alg {
        Alg::HS256 => Key::Hs256(Hs256Key::try_from(&parsed).map_err(jwk_error)?),
        Alg::HS384 => Key::Hs384(Hs384Key::try_from(&parsed).map_err(jwk_error)?),
        Alg::HS512 => Key::Hs512(Hs512Key::try_from(&parsed).map_err(jwk_error)?),
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
            let rsa: Rsa = alg
                .name()
                .parse()
                .map_err(|_| format!("no RSA algorithm {alg}"))?;
            let public = RsaPublicKey::try_from(&parsed).map_err(jwk_error)?;
            Key::Rsa(
                rsa,
                StrongKey::try_from(public).map_err(|_| weak.to_string())?,
            )
        }
        Alg::ES256 => {
            Key::Es256(<Es256 as Algorithm>::VerifyingKey::try_from(&parsed).map_err(jwk_error)?)
        }
        Alg::EdDSA => {
            Key::EdDSA(<Ed25519 as Algorithm>::VerifyingKey::try_from(&parsed).map_err(jwk_error)?)
        }
        Alg::ES384 | Alg::ES512 => return Err(format!("no {alg}")),
    })
}

/// The application's custom claims, as the crate's documentation declares them: a struct with the
/// subject (`sub`), required when the policy requires it.
#[derive(serde::Deserialize)]
struct RequiredSubject {
    #[allow(dead_code)] // read by serde: its presence and type are the check
    sub: String,
}

/// The same when the policy does not require `sub`: it may be absent, and must be a string.
#[derive(serde::Deserialize)]
struct OptionalSubject {
    #[allow(dead_code)] // read by serde: its type is the check
    sub: Option<String>,
}

impl Key {
    fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &UntrustedToken<'_>,
    ) -> Result<Claims<T>, ValidationError> {
        let claims = |t: Token<T>| t.into_parts().1;
        match self {
            Key::Hs256(k) => Hs256.validator::<T>(k).validate(token).map(claims),
            Key::Hs384(k) => Hs384.validator::<T>(k).validate(token).map(claims),
            Key::Hs512(k) => Hs512.validator::<T>(k).validate(token).map(claims),
            Key::Rsa(alg, k) => StrongAlg(*alg)
                .validator::<T>(k)
                .validate(token)
                .map(claims),
            Key::Es256(k) => Es256.validator::<T>(k).validate(token).map(claims),
            Key::EdDSA(k) => Ed25519.validator::<T>(k).validate(token).map(claims),
        }
    }
}

struct Prepared {
    /// (kid, one (algorithm, key) pair per allowed algorithm of the key's type).
    keys: Vec<(Option<String>, Vec<Key>)>,
    leeway: Duration,
    require_exp: bool,
    require_nbf: bool,
    require_sub: bool,
}

/// Maps the crate's errors onto the reason vocabulary.
fn reason(failure: &Failure) -> Reason {
    match failure {
        Failure::Parse(
            ParseError::InvalidTokenStructure
            | ParseError::InvalidBase64Encoding
            | ParseError::MalformedHeader(_),
        ) => Reason::Malformed,
        Failure::Validation(ValidationError::AlgorithmMismatch { .. }) => Reason::Algorithm,
        Failure::Validation(
            ValidationError::InvalidSignatureLen { .. }
            | ValidationError::MalformedSignature(_)
            | ValidationError::InvalidSignature,
        ) => Reason::Signature,
        // Well-formed JSON of the wrong shape (a claim of the wrong type) versus broken JSON.
        Failure::Validation(ValidationError::MalformedClaims(e)) if e.is_data() => {
            Reason::ClaimType
        }
        Failure::Validation(ValidationError::MalformedClaims(_)) => Reason::Malformed,
        Failure::Validation(ValidationError::NoClaim(_)) => Reason::MissingClaim,
        Failure::Validation(ValidationError::Expired) => Reason::Expired,
        Failure::Validation(ValidationError::NotMature) => Reason::NotYetValid,
        // UnsupportedContentType (a cty other than JSON) and future variants.
        Failure::Parse(_) | Failure::Validation(_) => Reason::Other,
    }
}

impl Prepared {
    fn check(
        &self,
        token: &UntrustedToken<'_>,
        key: &Key,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        if self.require_sub {
            let claims = key
                .verify::<RequiredSubject>(token)
                .map_err(Failure::Validation)?;
            self.check_times(&claims, now)
        } else {
            let claims = key
                .verify::<OptionalSubject>(token)
                .map_err(Failure::Validation)?;
            self.check_times(&claims, now)
        }
    }

    /// `Claims::validate_expiration` and `validate_maturity` with the policy's leeway, whenever
    /// the claim is present or required.
    fn check_times<T>(&self, claims: &Claims<T>, now: DateTime<Utc>) -> Result<(), Failure> {
        let options = TimeOptions::new(self.leeway, move || now);
        if self.require_exp || claims.expiration.is_some() {
            claims
                .validate_expiration(&options)
                .map_err(Failure::Validation)?;
        }
        if self.require_nbf || claims.not_before.is_some() {
            claims
                .validate_maturity(&options)
                .map_err(Failure::Validation)?;
        }
        Ok(())
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let untrusted = match UntrustedToken::new(token) {
            Ok(t) => t,
            Err(e) => {
                let f = Failure::Parse(e);
                return Outcome::reject(reason(&f), f.to_string());
            }
        };
        let Some(now) = i64::try_from(now)
            .ok()
            .and_then(|n| DateTime::<Utc>::from_timestamp(n, 0))
        else {
            return Outcome::Broken(format!("now {now} is out of range"));
        };
        let candidates = match select_by_kid(&self.keys, untrusted.header().key_id.as_deref()) {
            Ok(c) => c,
            Err(rejected) => return rejected,
        };
        first_success(
            candidates.into_iter().flatten(),
            |key| self.check(&untrusted, key, now),
            |e| Outcome::reject(reason(&e), e.to_string()),
        )
    }
}

impl Backend for JwtCompact {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "jwt-compact".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if let Some(a) = policy
            .algorithms
            .iter()
            .find(|a| matches!(a, Alg::ES384 | Alg::ES512))
        {
            return Err(format!("jwt-compact cannot verify {a}"));
        }
        let mut keys = Vec::new();
        for jwk in &policy.keys {
            let mut pairs = Vec::new();
            for alg in policy.algorithms.iter().filter(|a| a.may_use(jwk)) {
                pairs.push(key(*alg, jwk).map_err(|e| format!("jwt-compact: {e}"))?);
            }
            if !pairs.is_empty() {
                keys.push((jwk.kid().map(str::to_string), pairs));
            }
        }
        let leeway = i64::try_from(policy.leeway)
            .ok()
            .and_then(Duration::try_seconds)
            .ok_or("jwt-compact cannot represent the leeway")?;
        Ok(Box::new(Prepared {
            keys,
            leeway,
            require_exp: policy.requires("exp"),
            require_nbf: policy.requires("nbf"),
            require_sub: policy.requires("sub"),
        }))
    }
}
