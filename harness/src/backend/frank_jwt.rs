//! In-process adapter for the `frank_jwt` crate (v3.1, OpenSSL).
//!
//! The crate validates very little, and it is measured as it is: `frank_jwt::decode` verifies the
//! signature with the algorithm and key the caller passes (it never reads the header's `alg`) and,
//! with `ValidationOptions::default()` (`verify_exp` on), requires an `exp` in the future. That is
//! all: the leeway is a private field fixed at 0, and there is no nbf, issuer, audience,
//! required-claim or typ check (the crate's `verify_iss`, `verify_aud`, `verify_not_before` are
//! stubs that panic as unimplemented and that nothing calls). The adapter applies none of the missing checks
//! itself; the findings that follow are listed in fixtures/backends/frank_jwt.toml. A policy
//! allowing PS256/384/512 or EdDSA (which the crate lacks) is unsupported.
//! One key per allowed algorithm and trusted key that fits it: the HMAC secret, or the public key
//! as SPKI PEM. The crate reads the system clock (`SystemTime::now` in `verify_expiration`), so
//! this backend does too. The crate has no header API before verification, so the key is chosen
//! after it: a token verified by a key is accepted only if its `kid` is absent or that key's kid
//! (the same selection as choosing by kid first, and without a kid every key is tried, as
//! integrators commonly do); a `kid` that is not a string selects no key.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::Alg;
use crate::policy::Policy;
use frank_jwt::{Algorithm, Error, ValidationOptions};
use serde_json::Value;

/// The `frank_jwt` backend.
pub struct FrankJwt;

/// The crate version this adapter is built against.
const VERSION: &str = "3.1.4";

struct Prepared {
    /// One entry per (allowed algorithm, trusted key that fits it): the key's kid, the key bytes
    /// the crate takes (HMAC secret or SPKI PEM) and the algorithm to verify with.
    keys: Vec<(Option<String>, Vec<u8>, Algorithm)>,
}

/// Maps the crate's errors onto the reason vocabulary. OpenSSL errors come from a signature or
/// key the library could not even parse (an RSA signature of the wrong length, for one).
fn reason(e: &Error) -> Reason {
    match e {
        Error::SignatureExpired | Error::ExpirationInvalid => Reason::Expired,
        Error::SignatureInvalid => Reason::Signature,
        Error::JWTInvalid | Error::FormatInvalid(_) | Error::ProtocolError(_) => Reason::Malformed,
        Error::IssuerInvalid => Reason::Issuer,
        Error::AudienceInvalid => Reason::Audience,
        Error::IoError(_) | Error::OpenSslError(_) => Reason::Other,
    }
}

fn algorithm(alg: Alg) -> Option<Algorithm> {
    Some(match alg {
        Alg::HS256 => Algorithm::HS256,
        Alg::HS384 => Algorithm::HS384,
        Alg::HS512 => Algorithm::HS512,
        Alg::RS256 => Algorithm::RS256,
        Alg::RS384 => Algorithm::RS384,
        Alg::RS512 => Algorithm::RS512,
        Alg::ES256 => Algorithm::ES256,
        Alg::ES384 => Algorithm::ES384,
        Alg::ES512 => Algorithm::ES512,
        Alg::PS256 | Alg::PS384 | Alg::PS512 | Alg::EdDSA => return None,
    })
}

impl Validator for Prepared {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        let mut errors = Vec::new();
        let mut kid_mismatch = false;
        for (kid, key, alg) in &self.keys {
            match frank_jwt::decode(token, key, *alg, &ValidationOptions::default()) {
                Ok((header, _)) => match header.get("kid") {
                    None => return Outcome::Accept,
                    Some(Value::String(k)) if kid.as_deref() == Some(k.as_str()) => {
                        return Outcome::Accept
                    }
                    Some(_) => kid_mismatch = true,
                },
                Err(e) => errors.push(e),
            }
        }
        if kid_mismatch {
            return Outcome::reject(Reason::Key, "no key in the JWK Set has this kid");
        }
        // Report the error of a key that got past the signature, if any did.
        match errors
            .iter()
            .find(|e| !matches!(e, Error::SignatureInvalid | Error::OpenSslError(_)))
            .or(errors.first())
        {
            Some(e) => Outcome::reject(reason(e), e.to_string()),
            None => Outcome::reject(Reason::Key, "no key was tried"),
        }
    }
}

impl Backend for FrankJwt {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "frank_jwt".into(),
            version: VERSION.into(),
            clock: Clock::System,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        let mut keys = Vec::new();
        for alg in &policy.algorithms {
            let a = algorithm(*alg).ok_or_else(|| format!("frank_jwt has no {alg}"))?;
            for key in policy.keys_for(*alg) {
                let bytes = match alg.key_type() {
                    crate::jose::KeyType::Oct => key.secret().map(<[u8]>::to_vec),
                    _ => key.pem_spki().map(String::into_bytes),
                };
                let bytes = bytes.ok_or_else(|| {
                    format!(
                        "frank_jwt cannot use key {:?} for {alg}",
                        key.kid().unwrap_or("")
                    )
                })?;
                keys.push((key.kid().map(str::to_string), bytes, a));
            }
        }
        Ok(Box::new(Prepared { keys }))
    }
}
