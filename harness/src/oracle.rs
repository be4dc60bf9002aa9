//! The oracle: the project's own strict validator, and the reference every case is checked against.
//!
//! It follows RFC 7515 §5.2 (JWS validation), RFC 7519 §7.2 (JWT validation) and the RFC 8725 best
//! current practice, choosing the strict branch wherever the RFCs allow a choice:
//!
//! 1. Structure: at most 64 KiB; exactly three segments; strict base64url; the header a JSON object
//!    without duplicate members (reason `malformed`).
//! 2. `alg`: a string (else `malformed`) that is exactly on the allowlist (else `algorithm`).
//! 3. Header semantics (`other`): any `crit` (no extension is understood), `b64: false`,
//!    `cty: JWT` (nested tokens are not unwrapped), a `typ` other than the policy's required one;
//!    a `kid` that is not a string is `malformed`. `jwk`, `jku`, `x5u`, `x5c` are never used.
//! 4. Key: the trusted keys with the token's `kid`, or all fitting keys when there is none; a
//!    `kid` naming no key, or naming a key that does not fit the algorithm, or an HMAC secret
//!    shorter than the hash output (RFC 7518 §3.2) is `key`.
//! 5. Signature: must verify with one candidate (`signature`).
//! 6. Claims: a JSON object without duplicates (`malformed`); required claims present
//!    (`missing_claim`); `exp`, `nbf`, `iat` numbers and `iss`, `sub` strings, `aud` a string or
//!    an array of strings (`claim_type`); `now ≥ exp + leeway` is `expired`; `nbf > now + leeway`
//!    is `not_yet_valid`; `iss` equal to the policy's issuer (`issuer`); `aud` holding one of the
//!    policy's audiences (`audience`).
//!
//! Where the RFCs permit a rejection without requiring it (see [`Grounds`]), [`grounds`] reads the
//! token again the lenient way: a rejection that reading would not make is *permitted*, and the
//! catalog's cases for it expect `either`, not `reject`.

use crate::cases::Reason;
pub use crate::jose::json::type_name;
use crate::jose::json::{parse_object, parse_object_lenient};
use crate::jose::{b64, Alg, Jwk, KeyType};
use crate::policy::Policy;
use serde_json::{Map, Value};

/// The longest token the oracle reads; longer ones are rejected before any parsing.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// The oracle's verdict on a token.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Valid: the claims.
    Accept(Map<String, Value>),
    /// Invalid: why, in the reason vocabulary, and in words.
    Reject(Reason, String),
}

/// Whether the RFCs require a rejection, or merely permit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grounds {
    /// Every reading the RFCs allow rejects the token.
    Required,
    /// The strict reading rejects it, but a lenient one the RFCs also allow accepts it: a byte
    /// order mark before the JSON (RFC 8259 §8.1), deep nesting (§9), non-zero unused bits in the
    /// last base64url character (RFC 4648 §3.5), duplicate members read lexically last (RFC 7515
    /// §5.2), `cty: JWT` over a plain claims set (RFC 7515 §4.1.10 leaves nesting to the
    /// application), `alg: Ed25519` under an `EdDSA` allowlist (RFC 9864 registers it).
    Permitted,
}

/// Why the oracle rejects a token: `None` when it accepts it; otherwise whether any reading the
/// RFCs allow would accept it ([`Grounds::Permitted`]) or none would ([`Grounds::Required`]).
/// Anything judging tokens outside the catalog counts a lenient accept of a permitted rejection
/// as no finding.
pub fn grounds(token: &str, policy: &Policy, now: u64) -> Option<Grounds> {
    if validate(token, policy, now).is_accept() {
        return None;
    }
    Some(match required_rejection(token, policy, now) {
        Some(_) => Grounds::Required,
        None => Grounds::Permitted,
    })
}

/// The rejection every reading the RFCs allow makes, when there is one: the lenient reading's
/// reason and detail (for a duplicate `aud` whose last value is wrong, `audience`, where the
/// strict reading stops at the duplicate). `None` when the oracle accepts the token or a
/// lenient reading would.
pub fn required_rejection(token: &str, policy: &Policy, now: u64) -> Option<(Reason, String)> {
    if validate(token, policy, now).is_accept() {
        return None;
    }
    match validate_inner(token, policy, now, Reading::Lenient) {
        Ok(_) => None,
        // RFC 8259 §9 lets a parser set its own limits on the range of numbers: a number beyond
        // a double's range has no one reading, and neither verdict is required.
        Err((_, detail)) if detail.contains("number out of range") => None,
        Err(e) => Some(e),
    }
}

/// How the oracle reads where the RFCs leave a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// The strict branch everywhere: the oracle's verdict.
    Strict,
    /// The lenient branch everywhere the RFCs allow one.
    Lenient,
}

impl Verdict {
    /// Whether the token was accepted.
    pub fn is_accept(&self) -> bool {
        matches!(self, Verdict::Accept(_))
    }
}

fn reject<T>(reason: Reason, detail: impl Into<String>) -> Result<T, (Reason, String)> {
    Err((reason, detail.into()))
}

/// A decoded, not yet verified token: what `explain` and the oracle both start from.
#[derive(Debug, Clone)]
pub struct Parts {
    /// The header object.
    pub header: Map<String, Value>,
    /// The raw payload bytes.
    pub payload: Vec<u8>,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// `header.payload` as sent: what the signature covers.
    pub signing_input: String,
}

/// Step 1: splits and decodes a compact JWS strictly.
pub fn decode(token: &str) -> Result<Parts, (Reason, String)> {
    decode_as(token, Reading::Strict)
}

fn decode_as(token: &str, reading: Reading) -> Result<Parts, (Reason, String)> {
    if token.len() > MAX_TOKEN_LEN {
        return reject(
            Reason::Malformed,
            format!(
                "token is {} bytes, over the {MAX_TOKEN_LEN}-byte limit",
                token.len()
            ),
        );
    }
    // Count dots without splitting: a 100,000-dot token is rejected in one pass.
    let dots = token.bytes().filter(|&b| b == b'.').count();
    if dots != 2 {
        let what = if dots == 4 {
            " (five segments: a JWE, not a JWS)"
        } else {
            ""
        };
        return reject(
            Reason::Malformed,
            format!("token has {} segments, a JWS has 3{what}", dots + 1),
        );
    }
    let mut it = token.split('.');
    let (h, p, s) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    );
    let lenient = reading == Reading::Lenient;
    let seg = |name: &str, text: &str| {
        let text = if lenient {
            b64::without_padding(text)
        } else {
            text
        };
        match b64::decode(text) {
            Err(b64::B64Error::NonCanonical) if lenient => {
                b64::decode_lenient(text).ok_or((Reason::Malformed, format!("{name} segment")))
            }
            r => r.map_err(|e| (Reason::Malformed, format!("{name} segment: {e}"))),
        }
    };
    let object = |bytes: &[u8]| match reading {
        Reading::Strict => parse_object(bytes),
        Reading::Lenient => parse_object_lenient(bytes),
    };
    let header_bytes = seg("header", h)?;
    let payload = seg("payload", p)?;
    let signature = seg("signature", s)?;
    let header = object(&header_bytes).map_err(|e| (Reason::Malformed, format!("header: {e}")))?;
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input: format!("{h}.{p}"),
    })
}

/// Validates a token against a policy at `now` (Unix seconds).
pub fn validate(token: &str, policy: &Policy, now: u64) -> Verdict {
    match validate_inner(token, policy, now, Reading::Strict) {
        Ok(claims) => Verdict::Accept(claims),
        Err((reason, detail)) => Verdict::Reject(reason, detail),
    }
}

/// Steps 2 and 3: the algorithm and the header parameters that change the token's meaning.
pub fn check_header(header: &Map<String, Value>, policy: &Policy) -> Result<Alg, (Reason, String)> {
    check_header_as(header, policy, Reading::Strict)
}

fn check_header_as(
    header: &Map<String, Value>,
    policy: &Policy,
    reading: Reading,
) -> Result<Alg, (Reason, String)> {
    let alg = match header.get("alg") {
        Some(Value::String(s)) => s,
        Some(other) => return reject(Reason::Malformed, format!("alg is not a string: {other}")),
        None => return reject(Reason::Malformed, "header has no alg"),
    };
    // RFC 9864's fully specified name for EdDSA over Ed25519.
    let alg = match (alg.as_str(), reading) {
        ("Ed25519", Reading::Lenient) => "EdDSA",
        (a, _) => a,
    };
    let alg = match Alg::parse(alg).filter(|a| policy.algorithms.contains(a)) {
        Some(a) => a,
        None => {
            return reject(
                Reason::Algorithm,
                format!("alg {alg:?} is not in the allowlist"),
            )
        }
    };
    if let Some(crit) = header.get("crit") {
        if reading == Reading::Strict || !crate::jose::crit_permitted(crit, header) {
            return reject(
                Reason::Other,
                format!("crit {crit} names extensions this validator does not understand"),
            );
        }
    }
    // Unless crit names it, RFC 7515 §4 lets a recipient that does not know b64 ignore it.
    let b64_critical = header
        .get("crit")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|n| n == "b64"));
    let b64_ignorable = reading == Reading::Lenient && !b64_critical;
    if header.get("b64") == Some(&Value::Bool(false)) && !b64_ignorable {
        return reject(
            Reason::Other,
            "b64: false (unencoded payload) is not supported",
        );
    }
    if let Some(Value::String(cty)) = header.get("cty") {
        if cty.eq_ignore_ascii_case("jwt") && reading == Reading::Strict {
            return reject(Reason::Other, "nested JWT (cty: JWT) is not accepted");
        }
    }
    if let Some(want) = &policy.typ {
        let ok = match header.get("typ") {
            Some(Value::String(t)) => typ_matches(t, want),
            _ => false,
        };
        if !ok {
            return reject(
                Reason::Other,
                format!("typ must be {want:?}, got {}", show(header.get("typ"))),
            );
        }
    }
    match header.get("kid") {
        None | Some(Value::String(_)) => {}
        Some(other) => return reject(Reason::Malformed, format!("kid is not a string: {other}")),
    }
    Ok(alg)
}

/// RFC 7515 §4.1.9: typ values compare case-insensitively, with `application/` optional.
pub fn typ_matches(got: &str, want: &str) -> bool {
    let norm = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.strip_prefix("application/")
            .map(str::to_string)
            .unwrap_or(l)
    };
    norm(got) == norm(want)
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "nothing".to_string(), Value::to_string)
}

/// Step 4: the candidate keys for a token.
pub fn candidate_keys<'p>(
    header: &Map<String, Value>,
    alg: Alg,
    policy: &'p Policy,
) -> Result<Vec<&'p Jwk>, (Reason, String)> {
    candidate_keys_as(header, alg, policy, Reading::Strict)
}

/// [`candidate_keys`]; the lenient reading takes `kid` as the hint RFC 7515 §4.1.4 makes it:
/// a `kid` naming no trusted key, or only keys that do not fit the alg, leaves every fitting key
/// a candidate, and one naming a key that fits puts that key first.
fn candidate_keys_as<'p>(
    header: &Map<String, Value>,
    alg: Alg,
    policy: &'p Policy,
    reading: Reading,
) -> Result<Vec<&'p Jwk>, (Reason, String)> {
    let named = |kid: &str| policy.keys.iter().any(|k| k.kid() == Some(kid));
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .filter(|kid| reading == Reading::Strict || named(kid));
    let candidates: Vec<&Jwk> = match kid {
        Some(kid) => {
            let named: Vec<&Jwk> = policy
                .keys
                .iter()
                .filter(|k| k.kid() == Some(kid))
                .collect();
            if named.is_empty() {
                return reject(Reason::Key, format!("kid {kid:?} names no trusted key"));
            }
            let mut fitting: Vec<&Jwk> = named.into_iter().filter(|k| key_fits(k, alg)).collect();
            if fitting.is_empty() && reading == Reading::Strict {
                return reject(
                    Reason::Key,
                    format!("kid {kid:?} names a key that does not fit {alg}"),
                );
            }
            if reading == Reading::Lenient {
                // A hint: the other trusted keys that fit are tried after the named one.
                let others = policy.keys.iter().filter(|k| k.kid() != Some(kid));
                fitting.extend(others.filter(|k| key_fits(k, alg)));
            }
            fitting
        }
        None => policy.keys.iter().filter(|k| key_fits(k, alg)).collect(),
    };
    if candidates.is_empty() {
        return reject(Reason::Key, format!("no trusted key fits {alg}"));
    }
    for k in &candidates {
        if let Some(secret) = k.secret() {
            if secret.len() < alg.hash().len() {
                return reject(
                    Reason::Key,
                    format!(
                        "HMAC secret of {} bytes is shorter than the {}-byte hash output (RFC 7518 §3.2)",
                        secret.len(),
                        alg.hash().len()
                    ),
                );
            }
        }
    }
    Ok(candidates)
}

/// Whether a trusted key may verify `alg`: type and curve, its own `alg`, `use` and `key_ops`.
pub fn key_fits(key: &Jwk, alg: Alg) -> bool {
    alg.fits(key)
        && key.alg().is_none_or(|a| a == alg.name())
        && key.use_().is_none_or(|u| u == "sig")
        && key
            .key_ops()
            .is_none_or(|ops| ops.iter().any(|o| o == "verify"))
}

/// The signature layer alone, RFC 7515 §5.2 (steps 1 to 5 above): the payload of a JWS that
/// is not a JWT claims set, such as Wycheproof's vectors. The policy's claim settings are unused.
pub fn validate_jws(token: &str, policy: &Policy) -> Result<Vec<u8>, (Reason, String)> {
    jws_inner(token, policy, Reading::Strict).map(|p| p.payload)
}

fn jws_inner(token: &str, policy: &Policy, reading: Reading) -> Result<Parts, (Reason, String)> {
    let parts = decode_as(token, reading)?;
    let alg = check_header_as(&parts.header, policy, reading)?;
    let keys = candidate_keys_as(&parts.header, alg, policy, reading)?;
    let verified = keys.iter().any(|k| {
        crate::jose::alg::verify(alg, k, parts.signing_input.as_bytes(), &parts.signature).is_ok()
    });
    if !verified {
        let what = if parts.signature.is_empty() {
            "signature is empty"
        } else if alg.key_type() == KeyType::Oct {
            "HMAC does not match"
        } else {
            "signature does not verify"
        };
        return reject(
            Reason::Signature,
            format!("{what} with any of {} candidate key(s)", keys.len()),
        );
    }
    Ok(parts)
}

fn validate_inner(
    token: &str,
    policy: &Policy,
    now: u64,
    reading: Reading,
) -> Result<Map<String, Value>, (Reason, String)> {
    let parts = jws_inner(token, policy, reading)?;
    let claims = match reading {
        Reading::Strict => parse_object(&parts.payload),
        Reading::Lenient => parse_object_lenient(&parts.payload),
    }
    .map_err(|e| (Reason::Malformed, format!("payload: {e}")))?;
    check_claims(&claims, policy, now)?;
    Ok(claims)
}

/// Steps 6 onwards: the claims set against the policy at `now`.
pub fn check_claims(
    claims: &Map<String, Value>,
    policy: &Policy,
    now: u64,
) -> Result<(), (Reason, String)> {
    for name in &policy.required_claims {
        if !claims.contains_key(name) {
            return reject(
                Reason::MissingClaim,
                format!("required claim {name:?} is missing"),
            );
        }
    }
    let number = |name: &str| -> Result<Option<f64>, (Reason, String)> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => reject(
                Reason::ClaimType,
                format!("{name} must be a number, got {}", type_name(other)),
            ),
        }
    };
    let exp = number("exp")?;
    let nbf = number("nbf")?;
    number("iat")?;
    for name in ["iss", "sub"] {
        match claims.get(name) {
            None | Some(Value::String(_)) => {}
            Some(other) => {
                return reject(
                    Reason::ClaimType,
                    format!("{name} must be a string, got {}", type_name(other)),
                )
            }
        }
    }
    let aud: Option<Vec<&str>> = match claims.get("aud") {
        None => None,
        Some(Value::String(s)) => Some(vec![s.as_str()]),
        Some(Value::Array(items)) => {
            let strings: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            match strings {
                Some(s) => Some(s),
                None => {
                    return reject(Reason::ClaimType, "aud array must hold only strings");
                }
            }
        }
        Some(other) => {
            return reject(
                Reason::ClaimType,
                format!("aud must be a string or an array, got {}", type_name(other)),
            )
        }
    };
    let now_f = now as f64;
    let leeway = policy.leeway as f64;
    if let Some(exp) = exp {
        if now_f >= exp + leeway {
            return reject(
                Reason::Expired,
                format!(
                    "expired: exp is {}s before now, leeway {}s",
                    (now_f - exp) as i64,
                    policy.leeway
                ),
            );
        }
    }
    if let Some(nbf) = nbf {
        if nbf > now_f + leeway {
            return reject(
                Reason::NotYetValid,
                format!(
                    "not yet valid: nbf is {}s after now, leeway {}s",
                    (nbf - now_f) as i64,
                    policy.leeway
                ),
            );
        }
    }
    if let Some(want) = &policy.issuer {
        match claims.get("iss").and_then(Value::as_str) {
            Some(iss) if iss == want => {}
            Some(iss) => {
                return reject(
                    Reason::Issuer,
                    format!("iss {iss:?} is not the expected {want:?}"),
                )
            }
            None => return reject(Reason::MissingClaim, "iss is missing"),
        }
    }
    if !policy.audience.is_empty() {
        match aud {
            None => return reject(Reason::MissingClaim, "aud is missing"),
            Some(list) => {
                if !list.iter().any(|a| policy.audience.iter().any(|p| p == a)) {
                    return reject(
                        Reason::Audience,
                        format!("aud {list:?} holds none of {:?}", policy.audience),
                    );
                }
            }
        }
    }
    Ok(())
}
