//! In-process adapter for the `jsonwebtokens` crate (v1.2, ring 0.16), not to be confused with
//! `jsonwebtoken`.
//!
//! Configured as strictly as the crate allows: one `Algorithm` per allowed algorithm and trusted
//! key that fits it (so the allowlist is enforced by the crate's own alg check), a `Verifier` with
//! the policy's leeway, the issuer (`issuer`, exact string), the audience (`audience`, string or
//! array containing it) and every other required claim made mandatory through the crate's
//! `claim_callback` (a claim with a verifier must be present). `exp`, `nbf` and `iat` are checked
//! when present (the crate's defaults, never switched off). The crate has no EdDSA and no ES512
//! and accepts only one audience value: such policies are unsupported; it has no typ check
//! (declared `unchecked` in fixtures/backends/jsonwebtokens.toml). It validates at a
//! caller-given time (`Verifier::verify_for_time`), so this backend honours the request's clock.
//! The key is chosen by `kid` from the policy's JWK Set; without a `kid` every key is tried, as
//! integrators commonly do.

use super::{Backend, BackendInfo, Clock, Outcome, Validator};
use crate::cases::Reason;
use crate::jose::{Alg, Jwk};
use crate::policy::Policy;
use jsonwebtokens::error::Error;
use jsonwebtokens::{raw, Algorithm, AlgorithmID, Verifier};
use serde_json::Value;

/// The `jsonwebtokens` backend.
pub struct JsonWebTokens;

/// The crate version this adapter is built against.
const VERSION: &str = "1.2.0";

struct Prepared {
    /// One entry per (allowed algorithm, trusted key that fits it): the key's kid and the crate's
    /// algorithm object, which binds the key to that one algorithm.
    keys: Vec<(Option<String>, Algorithm)>,
    verifier: Verifier,
    /// One verifier per claim check of `verifier` (issuer, audience, each required claim), in
    /// the policy's order. The crate runs its claim checks in `HashMap` order, so when several
    /// fail, which one it names changes from run to run; asking these one by one names the first
    /// failing check in a fixed order, still by the crate's own verdict.
    singles: Vec<Verifier>,
}

/// Whether an error comes from the crate's claim checks (`Claim NAME: …`).
fn claim_error(e: &Error) -> bool {
    matches!(e, Error::MalformedToken(_)) && e.to_string().contains(": Claim ")
}

fn algorithm_id(alg: Alg) -> Option<AlgorithmID> {
    Some(match alg {
        Alg::HS256 => AlgorithmID::HS256,
        Alg::HS384 => AlgorithmID::HS384,
        Alg::HS512 => AlgorithmID::HS512,
        Alg::RS256 => AlgorithmID::RS256,
        Alg::RS384 => AlgorithmID::RS384,
        Alg::RS512 => AlgorithmID::RS512,
        Alg::PS256 => AlgorithmID::PS256,
        Alg::PS384 => AlgorithmID::PS384,
        Alg::PS512 => AlgorithmID::PS512,
        Alg::ES256 => AlgorithmID::ES256,
        Alg::ES384 => AlgorithmID::ES384,
        Alg::ES512 | Alg::EdDSA => return None,
    })
}

/// Maps the crate's errors onto the reason vocabulary. `MalformedToken` covers both a broken
/// token and every failed claim check (nbf, iat, iss, aud, a missing claim), so it maps to
/// `other`.
fn reason(e: &Error) -> Reason {
    match e {
        Error::InvalidInput(_) => Reason::Malformed,
        Error::AlgorithmMismatch() => Reason::Algorithm,
        Error::InvalidSignature() => Reason::Signature,
        Error::TokenExpiredAt(_) => Reason::Expired,
        Error::MalformedToken(_) => Reason::Other,
        _ => Reason::Other,
    }
}

/// Builds the crate's algorithm object for one trusted key.
fn key_algorithm(id: AlgorithmID, key: &Jwk) -> Result<Algorithm, Error> {
    let public = key.public_json();
    let member = |name: &str| public.get(name).and_then(Value::as_str).unwrap_or("");
    match id {
        AlgorithmID::HS256 | AlgorithmID::HS384 | AlgorithmID::HS512 => {
            Algorithm::new_hmac(id, key.secret().unwrap_or_default())
        }
        AlgorithmID::ES256 | AlgorithmID::ES384 => {
            Algorithm::new_ecdsa_pem_verifier(id, key.pem_spki().unwrap_or_default().as_bytes())
        }
        _ => Algorithm::new_rsa_n_e_b64_verifier(id, member("n"), member("e")),
    }
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let header = match raw::decode_header_only(token) {
            Ok(h) => h,
            Err(e) => return Outcome::reject(reason(&e), e.to_string()),
        };
        // A kid of another JSON type selects nothing here: every key is tried and the crate
        // itself rejects the non-string kid.
        let candidates: Vec<&Algorithm> = match header.get("kid") {
            Some(Value::String(kid)) => self
                .keys
                .iter()
                .filter(|(k, _)| k.as_deref() == Some(kid.as_str()))
                .map(|(_, a)| a)
                .collect(),
            _ => self.keys.iter().map(|(_, a)| a).collect(),
        };
        if candidates.is_empty() {
            return Outcome::reject(Reason::Key, "no key in the JWK Set has this kid");
        }
        let mut errors = Vec::new();
        for alg in candidates {
            match self.verifier.verify_for_time(token, alg, now) {
                Ok(_) => return Outcome::Accept,
                Err(e) => errors.push((alg, e)),
            }
        }
        // Report the error of a key whose algorithm matched the header, if any did.
        let Some((alg, e)) = errors
            .iter()
            .find(|(_, e)| !matches!(e, Error::AlgorithmMismatch()))
            .or(errors.first())
        else {
            return Outcome::reject(Reason::Key, "no key was tried");
        };
        if claim_error(e) {
            for single in &self.singles {
                if let Err(first) = single.verify_for_time(token, alg, now) {
                    if claim_error(&first) {
                        return Outcome::reject(reason(&first), first.to_string());
                    }
                }
            }
        }
        Outcome::reject(reason(e), e.to_string())
    }
}

impl Backend for JsonWebTokens {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "jsonwebtokens".into(),
            version: VERSION.into(),
            clock: Clock::Request,
        }
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        if policy.audience.len() > 1 {
            return Err("jsonwebtokens cannot accept one of several audiences".into());
        }
        let leeway = u32::try_from(policy.leeway)
            .map_err(|_| "jsonwebtokens cannot take a leeway beyond u32 seconds".to_string())?;
        // The claim checks, in the policy's order: (claim, check) with None for "present".
        let mut checks: Vec<(&str, Option<&str>)> = Vec::new();
        if let Some(iss) = &policy.issuer {
            checks.push(("iss", Some(iss.as_str())));
        }
        if let Some(aud) = policy.audience.first() {
            checks.push(("aud", Some(aud.as_str())));
        }
        for claim in &policy.required_claims {
            if !checks.iter().any(|(c, _)| c == claim) {
                // The crate's way to require a claim: any claim with a verifier must be present.
                checks.push((claim.as_str(), None));
            }
        }
        let build = |checks: &[(&str, Option<&str>)]| {
            let mut builder = Verifier::create();
            builder.leeway(leeway);
            for (claim, check) in checks {
                match (*claim, check) {
                    ("iss", Some(iss)) => builder.issuer(*iss),
                    ("aud", Some(aud)) => builder.audience(*aud),
                    (claim, _) => builder.claim_callback(claim, |_| true),
                };
            }
            builder
                .build()
                .map_err(|e| format!("jsonwebtokens cannot build the verifier: {e}"))
        };
        let verifier = build(&checks)?;
        let singles = checks
            .iter()
            .map(|c| build(std::slice::from_ref(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut keys = Vec::new();
        for alg in &policy.algorithms {
            let id = algorithm_id(*alg).ok_or_else(|| format!("jsonwebtokens has no {alg}"))?;
            for key in policy.keys_for(*alg) {
                let a = key_algorithm(id, key).map_err(|e| {
                    format!(
                        "jsonwebtokens cannot use key {:?} for {alg}: {e}",
                        key.kid().unwrap_or("")
                    )
                })?;
                keys.push((key.kid().map(str::to_string), a));
            }
        }
        Ok(Box::new(Prepared {
            keys,
            verifier,
            singles,
        }))
    }
}
