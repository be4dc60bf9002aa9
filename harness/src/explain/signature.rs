//! Step 5: signature. Whether it verifies with the candidate keys and, when it does not, why:
//! another trusted key, a retired key, a key embedded in the token, an HMAC keyed with public key
//! material, a DER-encoded or zero ECDSA signature, a wrong length, or an issuer that signs its
//! own damaged encoding.

use super::diag::Diag;
use super::key::{key_desc, kid_list, kid_name};
use super::text::show_str;
use crate::cases::Reason;
use crate::jose::alg::{self as jalg, Alg};
use crate::jose::b64;
use crate::jose::json::parse_object;
use crate::jose::{self, Jwk, KeyType};
use crate::oracle::Parts;
use serde_json::Value;

pub(super) fn signature_step(
    d: &mut Diag,
    parts: &Parts,
    alg: Alg,
    cands: &[&Jwk],
    alg_allowed: bool,
    alt_input: Option<&str>,
) -> bool {
    let policy = d.policy;
    let sig = &parts.signature;
    let msg = parts.signing_input.as_bytes();
    let verifies = |k: &Jwk, m: &[u8], s: &[u8]| jalg::verify(alg, k, m, s).is_ok();
    if sig.is_empty() {
        d.fail(
            "signature",
            Reason::Signature,
            "the signature is empty: an unsigned token, or one whose signature was stripped off",
            "the signature is empty",
            "the issuer must sign the token; an empty signature is never valid",
        );
        return false;
    }
    let fp = jose::fingerprint(sig);
    if let Some(k) = cands.iter().find(|k| verifies(k, msg, sig)) {
        if alg_allowed {
            d.ok(
                "signature",
                format!("{} bytes #{fp}, verifies with {}", sig.len(), key_desc(k)),
            );
        } else {
            d.warn(
                "signature",
                format!(
                    "{} bytes #{fp}, verifies with {} under {alg}, an algorithm the policy does not allow",
                    sig.len(),
                    key_desc(k)
                ),
            );
        }
        return true;
    }
    d.note("signature", format!("{} bytes #{fp}", sig.len()));
    let mut explained = false;
    let kid = parts.header.get("kid").and_then(Value::as_str);

    // Another trusted key.
    let other = policy
        .keys
        .iter()
        .find(|k| !cands.iter().any(|c| std::ptr::eq(*c, *k)) && verifies(k, msg, sig));
    if let Some(o) = other {
        let okid = kid_name(o);
        let (text, summary, fix) = match kid {
            Some(kid) => (
                format!(
                    "does not verify with the key kid {} names, but with another trusted key, {}: the kid is wrong, a key-rotation mix-up (signed with one key, named another)",
                    show_str(kid),
                    key_desc(o)
                ),
                format!("signed with trusted key {okid}, but kid says {}: a rotation mix-up", show_str(kid)),
                format!("the issuer must put kid {okid} (the key that signs) in the header"),
            ),
            None => (
                format!(
                    "verifies with trusted key {}, whose alg, use or key_ops rule it out for {alg}",
                    key_desc(o)
                ),
                format!("signed with trusted key {okid}, which is not for {alg}"),
                format!("sign with a key meant for {alg}, or fix the key's alg/use/key_ops in the JWKS"),
            ),
        };
        d.fail("signature", Reason::Signature, text, summary, fix);
        explained = true;
    }

    // A retired key.
    if let Some(r) = policy.retired.iter().find(|k| verifies(k, msg, sig)) {
        let rkid = kid_name(r);
        d.fail(
            "signature",
            Reason::Signature,
            format!(
                "verifies with the retired key {}: the token was signed by a key that was rotated out",
                key_desc(r)
            ),
            format!("signed with the retired key {rkid} (rotated out)"),
            format!(
                "get a new token: the issuer must sign with a current key ({})",
                kid_list(policy.keys.iter())
            ),
        );
        explained = true;
    }

    // A key the token brings along.
    if let Some(embedded) = parts.header.get("jwk").and_then(|v| Jwk::from_json(v).ok()) {
        if verifies(&embedded, msg, sig) {
            d.attack(
                "signature",
                Reason::Signature,
                format!(
                    "verifies with the key embedded in its own jwk header (#{}): self-signed by whoever made it (CVE-2018-0114)",
                    embedded.fingerprint()
                ),
                "signed with the key in its own jwk header: a self-signed forgery",
                "nothing to fix in the token: it is forged; validators must take keys only from their trusted set",
            );
            explained = true;
        }
    }

    match alg.key_type() {
        KeyType::Oct => explained |= hmac_checks(d, alg, msg, sig, cands),
        KeyType::Ec => explained |= ecdsa_checks(d, alg, msg, sig, cands),
        KeyType::Rsa => {
            let key = cands
                .first()
                .copied()
                .or_else(|| policy.keys.iter().find(|k| alg.fits(k)));
            if let Some(len) = key.and_then(|k| k.rsa_len()) {
                if sig.len() != len {
                    let mut text = format!(
                        "an RSA signature with this key is {len} bytes (the modulus length); this one is {}",
                        sig.len()
                    );
                    let mut fix =
                        "the signature is truncated or padded: send the token exactly as issued"
                            .to_string();
                    if sig.len() < len {
                        let mut padded = vec![0u8; len - sig.len()];
                        padded.extend_from_slice(sig);
                        if let Some(k) = cands.iter().find(|k| verifies(k, msg, &padded)) {
                            text.push_str(&format!(
                                "; left-padded with zeros it verifies with {}: the issuer drops leading zero bytes",
                                key_desc(k)
                            ));
                            fix = format!("the issuer must emit exactly {len} signature bytes, leading zeros included (RFC 8017 I2OSP)");
                        }
                    }
                    d.fail(
                        "signature",
                        Reason::Signature,
                        text,
                        format!("the RSA signature is {} bytes, not {len}", sig.len()),
                        fix,
                    );
                    explained = true;
                }
            }
        }
        KeyType::Okp => {
            if sig.len() != 64 {
                d.fail(
                    "signature",
                    Reason::Signature,
                    format!(
                        "an Ed25519 signature is 64 bytes; this one is {}",
                        sig.len()
                    ),
                    format!("the Ed25519 signature is {} bytes, not 64", sig.len()),
                    "the signature is truncated or padded: send the token exactly as issued",
                );
                explained = true;
            } else if sig.iter().all(|&b| b == 0) {
                d.attack(
                    "signature",
                    Reason::Signature,
                    "the signature is all zeros: never valid, a forgery probe",
                    "an all-zero Ed25519 signature",
                    "nothing to fix in the token: it is forged",
                );
                explained = true;
            }
        }
    }

    // The issuer signed its own damaged encoding.
    if let Some(alt) = alt_input {
        let alt = alt.as_bytes();
        if let Some(k) = cands
            .iter()
            .copied()
            .chain(policy.keys.iter())
            .find(|k| verifies(k, alt, sig))
        {
            d.fail(
                "signature",
                Reason::Signature,
                format!(
                    "verifies with {} over the segments as received (padding or '+' '/' included): the issuer signs its non-base64url text",
                    key_desc(k)
                ),
                "the issuer signs text that is not base64url",
                "fix the issuer's encoder: base64url without padding, before signing",
            );
            explained = true;
        }
    }

    let tried = cands
        .iter()
        .map(|k| key_desc(k))
        .collect::<Vec<_>>()
        .join(", ");
    let iss = parts_iss(parts);
    let hint = match (&policy.issuer, iss) {
        (Some(want), Some(got)) if *want != got => format!(
            "; the token's iss is {}: a token from another issuer or environment?",
            show_str(&got)
        ),
        _ => String::new(),
    };
    match (cands.is_empty(), explained) {
        (true, true) => {}
        (true, false) => d.fail(
            "signature",
            Reason::Signature,
            format!("verifies with no trusted or retired key: signed by a key the policy does not know, or changed after signing{hint}"),
            "the signature verifies with no trusted key",
            "get a token from the trusted issuer, unaltered; if the issuer changed its key, add the new public key to the policy",
        ),
        (false, true) => d.fail(
            "signature",
            Reason::Signature,
            format!("does not verify with {tried}"),
            format!("the signature does not verify with {tried}"),
            "",
        ),
        (false, false) => d.fail(
            "signature",
            Reason::Signature,
            format!(
                "does not verify with {tried}: signed by a key the policy does not trust, or changed after signing (header or payload edited){hint}"
            ),
            format!("the signature does not verify with {tried}"),
            "get a token from the trusted issuer, unaltered; if the issuer changed its key, add the new public key to the policy",
        ),
    }
    false
}

fn parts_iss(parts: &Parts) -> Option<String> {
    parse_object(&parts.payload)
        .ok()?
        .get("iss")?
        .as_str()
        .map(str::to_string)
}

fn hmac_checks(d: &mut Diag, alg: Alg, msg: &[u8], sig: &[u8], cands: &[&Jwk]) -> bool {
    let policy = d.policy;
    let mut explained = false;
    'keys: for k in policy.keys.iter().chain(policy.retired.iter()) {
        for encoding in jose::PublicEncoding::ALL {
            let Some(bytes) = encoding.bytes(k) else {
                continue;
            };
            let enc = encoding.label();
            if jalg::constant_time_eq(&jalg::hmac(alg.hash(), &bytes, msg), sig) {
                let kid = kid_name(k);
                d.attack(
                    "signature",
                    Reason::Signature,
                    format!(
                        "the signature is an HMAC keyed with the {enc} of the public key {}: an alg confusion attack (RFC 8725 §2.1, CVE-2015-9235 class); anyone holding the public key can make it",
                        key_desc(k)
                    ),
                    format!("HMAC keyed with the public key {kid}: an alg confusion attack"),
                    "nothing to fix in the token: it is forged; make sure every validator binds each key to its algorithm and never verifies an HMAC with a public key",
                );
                explained = true;
                break 'keys;
            }
        }
    }
    for k in cands.iter().copied().chain(policy.keys.iter()) {
        if let Some(secret) = k.secret() {
            let text = b64::encode(secret);
            if jalg::constant_time_eq(&jalg::hmac(alg.hash(), text.as_bytes(), msg), sig) {
                d.fail(
                    "signature",
                    Reason::Signature,
                    format!(
                        "the HMAC is keyed with the base64url text of the secret {} (the JWK's k string), not the decoded bytes",
                        key_desc(k)
                    ),
                    "the HMAC is keyed with the secret's base64url text",
                    "the issuer must key the HMAC with the decoded secret bytes",
                );
                explained = true;
                break;
            }
        }
    }
    let want = alg.hash().len();
    if sig.len() != want {
        let guess = match sig.len() {
            32 => " (an HS256 MAC?)",
            48 => " (an HS384 MAC?)",
            64 => " (an HS512 MAC?)",
            _ => "",
        };
        d.fail(
            "signature",
            Reason::Signature,
            format!(
                "an {alg} MAC is {want} bytes; this one is {}{guess}",
                sig.len()
            ),
            format!("the {alg} MAC is {} bytes, not {want}", sig.len()),
            format!("the issuer must use the algorithm it writes in alg ({alg})"),
        );
        explained = true;
    }
    explained
}

fn ecdsa_checks(d: &mut Diag, alg: Alg, msg: &[u8], sig: &[u8], cands: &[&Jwk]) -> bool {
    let policy = d.policy;
    let Some(curve) = alg.curve() else {
        return false;
    };
    let n = curve.field_len();
    let order = jalg::curve_order(curve);
    let psychic = |d: &mut Diag| {
        d.attack(
            "signature",
            Reason::Signature,
            "r = s = 0: the \"psychic signature\" (CVE-2022-21449), which broken ECDSA verifiers accept for any key",
            "an all-zero ECDSA signature (psychic signature attack)",
            "nothing to fix in the token: it is forged; make sure validators reject r or s of zero",
        );
    };
    if sig.len() == 2 * n {
        let (r, s) = sig.split_at(n);
        let zero = |x: &[u8]| x.iter().all(|&b| b == 0);
        if zero(r) && zero(s) {
            psychic(d);
            return true;
        }
        if zero(r) || zero(s) {
            d.attack(
                "signature",
                Reason::Signature,
                "r or s is zero: never a valid ECDSA signature, a forgery probe",
                "an ECDSA signature with r or s zero",
                "nothing to fix in the token: it is forged",
            );
            return true;
        }
        if r >= order.as_slice() || s >= order.as_slice() {
            d.attack(
                "signature",
                Reason::Signature,
                "r or s is not below the curve order n: never a valid ECDSA signature",
                "an ECDSA signature with r or s out of range",
                "nothing to fix in the token: it is malformed or forged",
            );
            return true;
        }
        return false;
    }
    if let Some((r, s)) = jose::der::parse_ecdsa_signature(sig) {
        let (r, s) = (r.as_slice(), s.as_slice());
        if r.is_empty() && s.is_empty() {
            psychic(d);
            return true;
        }
        let raw = (r.len() <= n && s.len() <= n).then(|| {
            let mut raw = vec![0u8; 2 * n];
            raw[n - r.len()..n].copy_from_slice(r);
            raw[2 * n - s.len()..].copy_from_slice(s);
            raw
        });
        let with = raw.as_ref().and_then(|raw| {
            cands
                .iter()
                .copied()
                .chain(policy.keys.iter())
                .find(|k| jalg::verify(alg, k, msg, raw).is_ok())
        });
        let tail = match with {
            Some(k) => format!("; converted to raw R||S it verifies with {}", key_desc(k)),
            None => "; even converted to raw R||S it does not verify".to_string(),
        };
        d.fail(
            "signature",
            Reason::Signature,
            format!(
                "the signature is DER-encoded (an ASN.1 SEQUENCE of two INTEGERs) instead of the raw R||S of {} bytes JWS uses (RFC 7518 §3.4){tail}",
                2 * n
            ),
            "the ECDSA signature is DER-encoded, not raw R||S",
            format!("the issuer must emit raw R||S ({} bytes), not DER: convert with its library's JOSE/P1363 option", 2 * n),
        );
        return true;
    }
    d.fail(
        "signature",
        Reason::Signature,
        format!(
            "an {alg} signature is {} bytes (raw R||S); this one is {}",
            2 * n,
            sig.len()
        ),
        format!("the {alg} signature is {} bytes, not {}", sig.len(), 2 * n),
        "the signature is truncated or padded: send the token exactly as issued",
    );
    true
}
