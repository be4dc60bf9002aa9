//! Deliberately broken validators, one per CVE class of docs/ATTACKS.md: the strict oracle with
//! one real-world flaw spliced in. `broken_validators.rs` proves the catalog catches each;
//! `fuzz_finds.rs` proves the fuzzer finds some of them without the families that catch them.

use jwt_harness::backend::{Backend, BackendInfo, Clock, Outcome, Validator};
use jwt_harness::cases::Reason;
use jwt_harness::jose::{alg, b64, Alg, Jwk, KeyType};
use jwt_harness::oracle::{self, Parts};
use jwt_harness::Policy;
use serde_json::{Map, Value};

/// The flaws, each named after the bug class it reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// `alg: none` (any casing) skips verification (CVE-2015-2951, CVE-2022-23540).
    AlgNoneAccepted,
    /// The header's alg picks the verifier and the configured key file is the HMAC secret
    /// (CVE-2015-9235, CVE-2016-10555).
    AlgFromHeader,
    /// The signature is decoded but never checked.
    SignatureNeverChecked,
    /// An empty signature skips verification (CVE-2020-28042).
    EmptySignatureAccepted,
    /// A `jwk` in the header is trusted (CVE-2018-0114).
    EmbeddedJwkTrusted,
    /// `exp` is never compared with the clock.
    ExpIgnored,
    /// `exp` that is not a number is silently skipped (CVE-2026-25537).
    ExpSkippedWhenNotNumber,
    /// `iss` compared by prefix.
    IssPrefixMatch,
    /// A token without `aud` passes the audience check (CVE-2020-26160 class).
    AudMissingAccepted,
    /// `crit` is ignored (CVE-2026-32597).
    CritIgnored,
    /// ECDSA r = s = 0 verifies (CVE-2022-21449).
    PsychicEcdsa,
    /// The kid is a file path: `/dev/null` gives an empty HMAC secret.
    KidAsFilePath,
    /// The empty secret is tried when the real one fails (CVE-2019-20933).
    BlankSecretFallback,
}

/// The oracle with one flaw.
pub struct Flawed(pub Flaw);

struct Prepared {
    flaw: Flaw,
    policy: Policy,
}

fn hmac_ok(alg: Alg, secret: &[u8], parts: &Parts) -> bool {
    alg::hmac(alg.hash(), secret, parts.signing_input.as_bytes()) == parts.signature
}

impl Prepared {
    /// The oracle with the flaw spliced in at the step where the real bug lived.
    fn check(&self, token: &str, now: u64) -> Result<(), (Reason, String)> {
        let flaw = self.flaw;
        let mut policy = self.policy.clone();
        let mut parts = oracle::decode(token)?;
        let header_alg = parts
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if flaw == Flaw::CritIgnored {
            parts.header.remove("crit");
        }
        let skip_signature = match flaw {
            Flaw::AlgNoneAccepted => header_alg.eq_ignore_ascii_case("none"),
            Flaw::EmptySignatureAccepted => parts.signature.is_empty(),
            Flaw::SignatureNeverChecked => true,
            _ => false,
        };
        if !skip_signature {
            let alg = oracle::check_header(&parts.header, &policy);
            let verified = match (flaw, alg) {
                (Flaw::AlgFromHeader, _) if header_alg.starts_with("HS") => {
                    let hs =
                        Alg::parse(&header_alg).ok_or((Reason::Algorithm, "bad alg".into()))?;
                    policy.keys.iter().any(|k| {
                        k.pem_spki()
                            .is_some_and(|pem| hmac_ok(hs, pem.as_bytes(), &parts))
                            || k.secret().is_some_and(|s| hmac_ok(hs, s, &parts))
                    })
                }
                (Flaw::KidAsFilePath, Ok(a)) if a.key_type() == KeyType::Oct => {
                    let kid = parts
                        .header
                        .get("kid")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if kid.contains("/dev/null") {
                        hmac_ok(a, b"", &parts)
                    } else {
                        verify_with_policy(a, &parts, &policy)?
                    }
                }
                (Flaw::EmbeddedJwkTrusted, Ok(a)) if parts.header.contains_key("jwk") => {
                    let jwk = Jwk::from_json(&parts.header["jwk"])
                        .map_err(|e| (Reason::Key, e.to_string()))?;
                    alg::verify(a, &jwk, parts.signing_input.as_bytes(), &parts.signature).is_ok()
                }
                (Flaw::PsychicEcdsa, Ok(a))
                    if a.key_type() == KeyType::Ec
                        && !parts.signature.is_empty()
                        && (parts.signature.iter().all(|b| *b == 0)
                            || parts.signature
                                == b64::decode("MAYCAQACAQA").unwrap_or_default()) =>
                {
                    true
                }
                (Flaw::BlankSecretFallback, Ok(a)) if a.key_type() == KeyType::Oct => {
                    verify_with_policy(a, &parts, &policy)? || hmac_ok(a, b"", &parts)
                }
                (_, Ok(a)) => verify_with_policy(a, &parts, &policy)?,
                (_, Err(e)) => return Err(e),
            };
            if !verified {
                return Err((Reason::Signature, "signature does not verify".into()));
            }
        }
        let mut claims: Map<String, Value> = jwt_harness::jose::json::parse_object(&parts.payload)
            .map_err(|e| (Reason::Malformed, e.to_string()))?;
        match flaw {
            Flaw::ExpIgnored => {
                claims.remove("exp");
                policy.required_claims.retain(|c| c != "exp");
            }
            Flaw::ExpSkippedWhenNotNumber if claims.get("exp").is_some_and(|e| !e.is_number()) => {
                claims.remove("exp");
                policy.required_claims.retain(|c| c != "exp");
            }
            Flaw::IssPrefixMatch => {
                let want = policy.issuer.take().unwrap_or_default();
                let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
                if !iss.starts_with(&want) {
                    return Err((Reason::Issuer, "issuer prefix differs".into()));
                }
            }
            Flaw::AudMissingAccepted if !claims.contains_key("aud") => {
                policy.audience.clear();
                policy.required_claims.retain(|c| c != "aud");
            }
            _ => {}
        }
        oracle::check_claims(&claims, &policy, now)
    }
}

fn verify_with_policy(a: Alg, parts: &Parts, policy: &Policy) -> Result<bool, (Reason, String)> {
    let keys = oracle::candidate_keys(&parts.header, a, policy)?;
    Ok(keys
        .iter()
        .any(|k| alg::verify(a, k, parts.signing_input.as_bytes(), &parts.signature).is_ok()))
}

impl Validator for Prepared {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        match self.check(token, now) {
            Ok(()) => Outcome::Accept,
            Err((r, d)) => Outcome::reject(r, d),
        }
    }
}

impl Backend for Flawed {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: format!("{:?}", self.0),
            version: "test".into(),
            clock: Clock::Request,
        }
    }
    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(Prepared {
            flaw: self.0,
            policy: policy.clone(),
        }))
    }
}
