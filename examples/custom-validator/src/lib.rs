//! Two HS256 validators a team might have written, to test with jwt-harness from outside its
//! repository: [`Naive`] checks the signature and nothing else; [`Careful`] also binds the
//! algorithm, requires `typ` to be absent or `JWT`, and checks `exp`, `nbf`, `iss` and `aud` with
//! the policy's leeway.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use jwt_harness::backend::{Backend, BackendInfo, Clock, Outcome, Validator};
use jwt_harness::cases::Reason;
use jwt_harness::Policy;
use serde_json::{Map, Value};
use sha2::Sha256;

/// The HS256 secrets of a policy (its `oct` keys); a policy without one is not for these
/// validators.
fn secrets(policy: &Policy) -> Result<Vec<Vec<u8>>, String> {
    let secrets: Vec<Vec<u8>> = policy
        .keys
        .iter()
        .filter_map(|k| k.secret().map(<[u8]>::to_vec))
        .collect();
    if secrets.is_empty() {
        return Err("HS256 only".into());
    }
    Ok(secrets)
}

/// Who a validator of this crate is.
fn info(name: &str) -> BackendInfo {
    BackendInfo {
        name: name.into(),
        version: "0.1.0".into(),
        clock: Clock::Request,
    }
}

/// Splits and decodes a compact token: header, claims, and whether some secret's HMAC matches.
fn check_signature(
    token: &str,
    secrets: &[Vec<u8>],
) -> Result<(Map<String, Value>, Map<String, Value>), Outcome> {
    let malformed = |why: &str| Outcome::reject(Reason::Malformed, why.to_string());
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(malformed("not three segments"));
    };
    let object = |seg: &str| -> Result<Map<String, Value>, Outcome> {
        let bytes = URL_SAFE_NO_PAD
            .decode(seg)
            .map_err(|_| malformed("bad base64url"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(malformed("not a JSON object")),
        }
    };
    let (header, claims) = (object(h)?, object(p)?);
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| malformed("bad base64url"))?;
    let input = format!("{h}.{p}");
    let ok = secrets.iter().any(|secret| {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
        mac.update(input.as_bytes());
        mac.verify_slice(&sig).is_ok()
    });
    if !ok {
        return Err(Outcome::reject(Reason::Signature, "signature mismatch"));
    }
    Ok((header, claims))
}

/// Checks the signature and nothing else.
pub struct Naive;

struct NaiveValidator(Vec<Vec<u8>>);

impl Validator for NaiveValidator {
    fn validate(&self, token: &str, _now: u64) -> Outcome {
        match check_signature(token, &self.0) {
            Ok(_) => Outcome::Accept,
            Err(o) => o,
        }
    }
}

impl Backend for Naive {
    fn info(&self) -> BackendInfo {
        info("naive-hs256")
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(NaiveValidator(secrets(policy)?)))
    }
}

/// Binds the algorithm and checks the registered claims too.
pub struct Careful;

struct CarefulValidator {
    secrets: Vec<Vec<u8>>,
    policy: Policy,
}

impl Validator for CarefulValidator {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let (header, claims) = match check_signature(token, &self.secrets) {
            Ok(hc) => hc,
            Err(o) => return o,
        };
        if header.get("alg") != Some(&Value::from("HS256")) {
            return Outcome::reject(Reason::Algorithm, "alg must be HS256");
        }
        let p = &self.policy;
        let leeway = p.leeway as i64;
        let now = now as i64;
        let time = |name: &str| claims.get(name).map(|v| v.as_i64().ok_or(()));
        match time("exp") {
            None if p.requires("exp") => return Outcome::reject(Reason::MissingClaim, "no exp"),
            Some(Err(_)) => return Outcome::reject(Reason::ClaimType, "exp is not an integer"),
            Some(Ok(exp)) if now >= exp + leeway => {
                return Outcome::reject(Reason::Expired, "expired")
            }
            _ => {}
        }
        match time("nbf") {
            Some(Err(_)) => return Outcome::reject(Reason::ClaimType, "nbf is not an integer"),
            Some(Ok(nbf)) if now + leeway < nbf => {
                return Outcome::reject(Reason::NotYetValid, "not yet valid")
            }
            _ => {}
        }
        if let Some(iss) = &p.issuer {
            if claims.get("iss") != Some(&Value::from(iss.as_str())) {
                return Outcome::reject(Reason::Issuer, "wrong issuer");
            }
        }
        if !p.audience.is_empty() {
            let ok = match claims.get("aud") {
                Some(Value::String(a)) => p.audience.contains(a),
                Some(Value::Array(list)) => list.iter().any(|a| {
                    a.as_str()
                        .is_some_and(|a| p.audience.iter().any(|x| x == a))
                }),
                _ => false,
            };
            if !ok {
                return Outcome::reject(Reason::Audience, "wrong audience");
            }
        }
        Outcome::Accept
    }
}

impl Backend for Careful {
    fn info(&self) -> BackendInfo {
        info("careful-hs256")
    }

    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(CarefulValidator {
            secrets: secrets(policy)?,
            policy: policy.clone(),
        }))
    }
}
