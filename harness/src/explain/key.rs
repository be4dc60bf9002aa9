//! Step 4: key. The trusted key the `kid` names (or, without a `kid`, every trusted key that fits
//! the algorithm): retired keys, near-miss kids, keys that do not fit, short HMAC secrets; and
//! how keys are shown (kid, type, fingerprint, never the key material).

use super::diag::Diag;
use super::text::show_str;
use crate::cases::Reason;
use crate::jose::alg::Alg;
use crate::jose::{Jwk, KeyType};
use crate::oracle;
use crate::policy::Policy;
use serde_json::{Map, Value};

pub(super) fn key_step<'p>(
    d: &mut Diag<'p>,
    header: &Map<String, Value>,
    alg: Alg,
    header_ok: bool,
) -> (Vec<&'p Jwk>, Option<Vec<&'p Jwk>>) {
    let policy: &'p Policy = d.policy;
    let since = d.findings.len();
    let trusted = kid_list(policy.keys.iter());
    let diag_keys: Vec<&'p Jwk> = match header.get("kid").and_then(Value::as_str) {
        Some(kid) => {
            let named: Vec<&Jwk> = policy
                .keys
                .iter()
                .filter(|k| k.kid() == Some(kid))
                .collect();
            if named.is_empty() {
                if let Some(r) = policy.retired.iter().find(|k| k.kid() == Some(kid)) {
                    d.fail(
                        "key",
                        Reason::Key,
                        format!(
                            "kid {} names the retired key {}: it was rotated out and is no longer trusted (trusted: {trusted})",
                            show_str(kid),
                            key_desc(r)
                        ),
                        format!("kid {} names a retired key (rotated out)", show_str(kid)),
                        format!("get a new token: the issuer must sign with a current key ({trusted})"),
                    );
                } else {
                    let hint = kid_hint(kid, policy);
                    d.fail(
                        "key",
                        Reason::Key,
                        format!(
                            "kid {} names no trusted key (trusted: {trusted}){hint}",
                            show_str(kid)
                        ),
                        format!("kid {} names no trusted key", show_str(kid)),
                        "if the issuer rotated to a new key, add its public key to the policy's JWKS (or refresh a cached one); otherwise the token is not from a trusted issuer",
                    );
                }
                Vec::new()
            } else {
                let fitting: Vec<&Jwk> = named
                    .iter()
                    .copied()
                    .filter(|k| oracle::key_fits(k, alg))
                    .collect();
                for k in &fitting {
                    d.ok(
                        "key",
                        format!(
                            "kid {} names trusted key {}, which fits {alg}",
                            show_str(kid),
                            key_desc(k)
                        ),
                    );
                }
                if fitting.is_empty() {
                    let k = named[0];
                    let confusion =
                        if alg.key_type() == KeyType::Oct && k.key_type() != KeyType::Oct {
                            "; an HMAC token naming a public key is the alg-confusion pattern"
                        } else {
                            ""
                        };
                    d.fail(
                        "key",
                        Reason::Key,
                        format!(
                            "kid {} names {}, which does not fit {alg}: {}{confusion}",
                            show_str(kid),
                            key_desc(k),
                            misfit(k, alg)
                        ),
                        format!("kid {} names a key that does not fit {alg}", show_str(kid)),
                        match k.alg() {
                            Some(a) => format!("the issuer must sign with the algorithm the key is for ({}), or name a key that fits {alg}", show_str(a)),
                            None => format!("the issuer must name a key that fits {alg} ({})", needed(alg)),
                        },
                    );
                }
                fitting
            }
        }
        None => {
            let fitting: Vec<&Jwk> = policy
                .keys
                .iter()
                .filter(|k| oracle::key_fits(k, alg))
                .collect();
            if fitting.is_empty() {
                d.fail(
                    "key",
                    Reason::Key,
                    format!(
                        "no kid, and no trusted key fits {alg}: it needs {} (trusted: {trusted})",
                        needed(alg)
                    ),
                    format!("no trusted key fits {alg}"),
                    format!(
                        "sign with an algorithm that fits a trusted key, or add {} to the policy",
                        needed(alg)
                    ),
                );
            } else {
                d.note(
                    "key",
                    format!(
                        "no kid: every trusted key that fits {alg} is tried: {}",
                        fitting
                            .iter()
                            .map(|k| key_desc(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            fitting
        }
    };
    for k in &diag_keys {
        if let Some(secret) = k.secret() {
            let need = alg.hash().len();
            if secret.len() < need {
                d.fail(
                    "key",
                    Reason::Key,
                    format!(
                        "HMAC secret {} is {} bytes, shorter than the {need}-byte hash output {alg} needs (RFC 7518 §3.2)",
                        key_desc(k),
                        secret.len()
                    ),
                    "the policy's HMAC secret is too short",
                    format!("use a random secret of at least {need} bytes, in the issuer and the policy"),
                );
            }
        }
    }
    let keys = if header_ok {
        d.settle(since, oracle::candidate_keys(header, alg, policy))
    } else {
        None
    };
    (diag_keys, keys)
}

fn kid_hint(kid: &str, policy: &Policy) -> String {
    for k in &policy.keys {
        let Some(t) = k.kid() else { continue };
        if t == kid.trim_matches(|c: char| c.is_whitespace() || c == '\0') {
            return format!("; it is {} with extra whitespace or NUL", show_str(t));
        }
        if t.eq_ignore_ascii_case(kid) {
            return format!("; it differs from {} only in case", show_str(t));
        }
        if kid.starts_with(t) || t.starts_with(kid) {
            return format!(
                "; it is a prefix match with {}, which is no match",
                show_str(t)
            );
        }
    }
    String::new()
}

fn misfit(k: &Jwk, alg: Alg) -> String {
    if !alg.fits(k) {
        format!("{alg} needs {}", needed(alg))
    } else if let Some(a) = k.alg().filter(|a| *a != alg.name()) {
        format!("the key is restricted to alg {}", show_str(a))
    } else if let Some(u) = k.use_().filter(|u| *u != "sig") {
        format!("the key's use is {}, not \"sig\"", show_str(u))
    } else {
        "the key's key_ops do not include \"verify\"".to_string()
    }
}

fn needed(alg: Alg) -> String {
    match alg.key_type() {
        KeyType::Oct => format!(
            "an oct (HMAC) secret of at least {} bytes",
            alg.hash().len()
        ),
        KeyType::Rsa => "an RSA key".to_string(),
        KeyType::Ec => format!(
            "an EC key on {}",
            alg.curve().map_or("its curve", |c| c.name())
        ),
        KeyType::Okp => "an OKP Ed25519 key".to_string(),
    }
}

fn key_kind(k: &Jwk) -> String {
    match k.key_type() {
        KeyType::Rsa => format!("RSA {}-bit", k.rsa_len().unwrap_or(0) * 8),
        KeyType::Ec => format!("EC {}", k.curve().map_or("?", |c| c.name())),
        KeyType::Okp => "OKP Ed25519".to_string(),
        KeyType::Oct => format!("oct {}-byte secret", k.secret().map_or(0, <[u8]>::len)),
    }
}

/// A key's kid for display, or `(no kid)`.
pub(super) fn kid_name(k: &Jwk) -> String {
    k.kid().map_or_else(|| "(no kid)".to_string(), show_str)
}

/// A key for display: kid, type, fingerprint. Never the key material.
pub(super) fn key_desc(k: &Jwk) -> String {
    let kid = kid_name(k);
    format!("{kid} ({}, #{})", key_kind(k), k.fingerprint())
}

pub(super) fn kid_list<'a>(keys: impl Iterator<Item = &'a Jwk>) -> String {
    let kids: Vec<String> = keys.map(kid_name).collect();
    if kids.is_empty() {
        "none".to_string()
    } else {
        kids.join(", ")
    }
}
