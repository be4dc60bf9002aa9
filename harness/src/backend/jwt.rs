//! In-process adapter for the `jwt` crate (v0.16.0, mikkyang; RustCrypto `hmac` 0.12, no
//! `openssl` feature).
//!
//! Without `openssl` the crate verifies HMAC only, so RS*, PS*, ES* and EdDSA are `unsupported`:
//! from `prepare` when the policy allows no HMAC algorithm, per token when it mixes HMAC with
//! others and the token's header names a non-HMAC algorithm. That is the only thing that makes a
//! policy or a token unsupported. A token is verified with `VerifyWithKey` into
//! `Token<Header, Claims>`, whose typed registered claims (`exp`, `nbf`, `iat` as unsigned
//! integers, `iss`, `sub`, `aud` as strings) must deserialize; the key (an
//! `Hmac<Sha256|Sha384|Sha512>`) accepts only its own algorithm, so the allowlist is the set of
//! keys built here, one per allowed HMAC algorithm and trusted secret. That is all the crate
//! does: it has no claim validation at all (no `exp`, `nbf`, `iss`, `aud` or presence check) and
//! no `typ` check, so the policy's issuer, audience, required claims, leeway and `typ` are not
//! enforced; what the crate lets through shows as findings, explained in
//! `fixtures/backends/jwt.toml`. Its `Header` takes no `typ` but `JWT` (`HeaderType` has one
//! variant), so under a policy whose `typ` is anything else every token fails to parse and the
//! valid ones show as strict findings (no default policy has a `typ`). The key is the crate's
//! choice: its key store (`VerifyWithStore` over a `BTreeMap` from kid to key,
//! src/token/verified.rs:51-64) holds one key per trusted secret with a `kid`, bound to the
//! secret's own `alg` (else the first allowed HMAC algorithm); a token without a `kid` is refused
//! by the crate (`NoKeyId`). Clock: `request`: the crate
//! reads no time at all, so its verdict on a token is the same at any clock, the request's
//! included, and the cases that need a fixed clock show what it does with them.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, KeyType};
use crate::policy::Policy;
use jwt_crate::algorithm::{AlgorithmType, VerifyingAlgorithm};
use jwt_crate::{Claims, Error, Header, Token, VerifyWithStore};
use jwt_hmac::{Hmac, Mac};
use jwt_sha2::{Sha256, Sha384, Sha512};
use std::collections::BTreeMap;

/// The `jwt` backend.
pub struct Jwt;

/// The crate version this adapter is built against.
const VERSION: &str = "0.16.0";

/// A jwt verification key: one HMAC type per algorithm.
enum Key {
    HS256(Hmac<Sha256>),
    HS384(Hmac<Sha384>),
    HS512(Hmac<Sha512>),
}

/// The crate's blanket `impl<T: AsRef<dyn VerifyingAlgorithm>> VerifyingAlgorithm for T` makes
/// the enum a key of the crate.
impl AsRef<dyn VerifyingAlgorithm> for Key {
    fn as_ref(&self) -> &(dyn VerifyingAlgorithm + 'static) {
        match self {
            Key::HS256(k) => k,
            Key::HS384(k) => k,
            Key::HS512(k) => k,
        }
    }
}

struct Prepared {
    /// The crate's key store: kid → key.
    store: BTreeMap<String, Key>,
    /// Allowed algorithms the crate cannot verify without openssl.
    unsupported: Vec<AlgorithmType>,
}

/// Maps the crate's errors onto the reason vocabulary.
fn reason(e: &Error) -> Reason {
    match e {
        Error::Base64(_)
        | Error::Format
        | Error::NoClaimsComponent
        | Error::NoHeaderComponent
        | Error::NoSignatureComponent
        | Error::TooManyComponents
        | Error::Utf8(_) => Reason::Malformed,
        // Well-formed JSON of the wrong shape (a claim of the wrong type) versus broken JSON.
        Error::Json(j) if j.is_data() => Reason::ClaimType,
        Error::Json(_) => Reason::Malformed,
        Error::AlgorithmMismatch(..) => Reason::Algorithm,
        Error::InvalidSignature | Error::RustCryptoMac(_) => Reason::Signature,
        Error::NoKeyId | Error::NoKeyWithKeyId(_) | Error::RustCryptoMacKeyLength(_) => Reason::Key,
    }
}

fn key(alg: Alg, secret: &[u8]) -> Result<Option<Key>, String> {
    let bad = |e| format!("jwt cannot use the secret: {e}");
    Ok(Some(match alg {
        Alg::HS256 => Key::HS256(Hmac::new_from_slice(secret).map_err(bad)?),
        Alg::HS384 => Key::HS384(Hmac::new_from_slice(secret).map_err(bad)?),
        Alg::HS512 => Key::HS512(Hmac::new_from_slice(secret).map_err(bad)?),
        _ => return Ok(None),
    }))
}

/// The crate's name for a non-HMAC algorithm; it has no EdDSA at all (such a header does not
/// even parse, so the token is rejected as malformed).
fn algorithm_type(alg: Alg) -> Option<AlgorithmType> {
    Some(match alg {
        Alg::HS256 => AlgorithmType::Hs256,
        Alg::HS384 => AlgorithmType::Hs384,
        Alg::HS512 => AlgorithmType::Hs512,
        Alg::RS256 => AlgorithmType::Rs256,
        Alg::RS384 => AlgorithmType::Rs384,
        Alg::RS512 => AlgorithmType::Rs512,
        Alg::PS256 => AlgorithmType::Ps256,
        Alg::PS384 => AlgorithmType::Ps384,
        Alg::PS512 => AlgorithmType::Ps512,
        Alg::ES256 => AlgorithmType::Es256,
        Alg::ES384 => AlgorithmType::Es384,
        Alg::ES512 => AlgorithmType::Es512,
        Alg::EdDSA => return None,
    })
}

impl Validator for Prepared {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        let unverified: Token<Header, Claims, _> = match Token::parse_unverified(token) {
            Ok(t) => t,
            Err(e) => return Outcome::reject(reason(&e), e.to_string()),
        };
        let header = unverified.header();
        if self.unsupported.contains(&header.algorithm) {
            return Outcome::Unsupported(format!(
                "jwt cannot verify {:?} without the openssl feature",
                header.algorithm
            ));
        }
        match unverified.verify_with_store(&self.store) {
            Ok(_) => Outcome::Accept,
            Err(e) => Outcome::reject(reason(&e), e.to_string()),
        }
    }
}

impl Backend for Jwt {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "jwt".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if !policy
            .algorithms
            .iter()
            .any(|a| a.key_type() == KeyType::Oct)
        {
            return Err("jwt cannot verify anything but HMAC without the openssl feature".into());
        }
        let unsupported = policy
            .algorithms
            .iter()
            .filter(|a| a.key_type() != KeyType::Oct)
            .filter_map(|a| algorithm_type(*a))
            .collect();
        let mut store = BTreeMap::new();
        for jwk in &policy.keys {
            let (Some(secret), Some(kid)) = (jwk.secret(), jwk.kid()) else {
                continue;
            };
            // The key's own alg when the policy allows it, else the first allowed HMAC one.
            let own = jwk.alg().and_then(Alg::parse);
            let alg = policy
                .algorithms
                .iter()
                .copied()
                .filter(|a| a.key_type() == KeyType::Oct)
                .find(|a| own.is_none_or(|o| o == *a));
            if let Some(k) = alg.map(|a| key(a, secret)).transpose()?.flatten() {
                store.insert(kid.to_string(), k);
            }
        }
        Ok(Box::new(Prepared { store, unsupported }))
    }
}
