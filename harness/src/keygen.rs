//! `gen-fixtures`: writes the test-only keys under `fixtures/keys/`.
//!
//! Run only by `cargo xtask gen-fixtures`; the output is committed, and nothing at run time
//! generates keys. Every file written here is a TEST KEY, public by design: never trust it.

use crate::error::{Error, Result};
use crate::jose::{b64, Alg, Jwk, Jwks, KeyType};
use serde_json::Value;
use std::path::Path;

/// One key to generate: (kid, type, size or curve bits, alg).
const KEYS: &[(&str, KeyType, usize, &str)] = &[
    ("hs-2026-01", KeyType::Oct, 32, "HS256"),
    ("hs384-2026-01", KeyType::Oct, 48, "HS384"),
    ("hs512-2026-01", KeyType::Oct, 64, "HS512"),
    ("rs-2026-01", KeyType::Rsa, 2048, "RS256"),
    ("rs-2026-02", KeyType::Rsa, 2048, "RS256"),
    ("rs-2025-12", KeyType::Rsa, 2048, "RS256"),
    ("ec-p256-2026-01", KeyType::Ec, 256, "ES256"),
    ("ec-p384-2026-01", KeyType::Ec, 384, "ES384"),
    ("ec-p521-2026-01", KeyType::Ec, 521, "ES512"),
    ("ed-2026-01", KeyType::Okp, 0, "EdDSA"),
    ("attacker-hs", KeyType::Oct, 32, "HS256"),
    ("attacker-rs", KeyType::Rsa, 2048, "RS256"),
    ("attacker-ec-p256", KeyType::Ec, 256, "ES256"),
    ("attacker-ec-p384", KeyType::Ec, 384, "ES384"),
    ("attacker-ec-p521", KeyType::Ec, 521, "ES512"),
    ("attacker-ed", KeyType::Okp, 0, "EdDSA"),
];

/// Key sets written beside the keys: (file stem, kids). A kid ending in `*` is that key without its
/// `alg` member, so that it serves every algorithm of its type.
const SETS: &[(&str, &[&str])] = &[
    ("rsa-any", &["rs-2026-01*"]),
    ("hs256", &["hs-2026-01"]),
    ("hs-all", &["hs-2026-01", "hs384-2026-01", "hs512-2026-01"]),
    ("rs256", &["rs-2026-01", "rs-2026-02"]),
    ("rs-retired", &["rs-2025-12"]),
    ("es256", &["ec-p256-2026-01"]),
    (
        "es-all",
        &["ec-p256-2026-01", "ec-p384-2026-01", "ec-p521-2026-01"],
    ),
    ("eddsa", &["ed-2026-01"]),
    ("mixed", &["hs-2026-01", "rs-2026-01", "ec-p256-2026-01"]),
    (
        "attacker",
        &[
            "attacker-hs",
            "attacker-rs",
            "attacker-ec-p256",
            "attacker-ec-p384",
            "attacker-ec-p521",
            "attacker-ed",
        ],
    ),
];

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::Other(format!("cannot write {}: {e}", path.display())))
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// Generates every fixture key into `dir` (normally `fixtures/keys`), overwriting old ones.
pub fn generate(dir: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Other(format!("cannot create {}: {e}", dir.display())))?;
    let mut keys: Vec<Jwk> = Vec::new();
    let mut written = Vec::new();
    for (kid, kty, size, alg) in KEYS {
        let key = Jwk::generate(*kty, *size, kid, alg).map_err(|e| Error::Other(e.0))?;
        write(
            &dir.join(format!("{kid}.private.jwk.json")),
            &pretty(&key.private_json()),
        )?;
        if *kty != KeyType::Oct {
            write(
                &dir.join(format!("{kid}.public.jwk.json")),
                &pretty(&key.public_json()),
            )?;
            if let Some(pem) = key.pem_spki() {
                write(&dir.join(format!("{kid}.pub.pem")), &pem)?;
            }
            if let Some(pem) = private_pem(&key) {
                write(&dir.join(format!("{kid}.pem")), &pem)?;
            }
        }
        written.push(kid.to_string());
        keys.push(key);
    }
    for (stem, kids) in SETS {
        let set = Jwks {
            keys: kids
                .iter()
                .filter_map(|kid| {
                    let (kid, any_alg) = match kid.strip_suffix('*') {
                        Some(k) => (k, true),
                        None => (*kid, false),
                    };
                    let key = keys.iter().find(|k| k.kid() == Some(kid))?.clone();
                    Some(if any_alg { key.without_alg() } else { key })
                })
                .collect(),
        };
        write(
            &dir.join(format!("{stem}.private.jwks.json")),
            &pretty(&set.private_json()),
        )?;
        write(
            &dir.join(format!("{stem}.jwks.json")),
            &pretty(&set.public_json()),
        )?;
    }
    let attacker = keys
        .iter()
        .find(|k| k.kid() == Some("attacker-rs"))
        .ok_or_else(|| Error::Other("no attacker RSA key".into()))?;
    let cert = self_signed_certificate(attacker, "jwt-harness attacker (TEST KEY, never trust)")?;
    write(
        &dir.join("attacker-rs.cert.der.b64"),
        &(b64::encode_std(&cert) + "\n"),
    )?;
    Ok(written)
}

fn private_pem(key: &Jwk) -> Option<String> {
    use crate::jose::jwk::{EcPrivate, KeyMaterial};
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let doc = match key.material() {
        KeyMaterial::Rsa {
            private: Some(k), ..
        } => k.to_pkcs8_pem(LineEnding::LF).ok()?,
        KeyMaterial::Ec {
            private: Some(k), ..
        } => match k {
            EcPrivate::P256(k) => k.to_pkcs8_pem(LineEnding::LF).ok()?,
            EcPrivate::P384(k) => k.to_pkcs8_pem(LineEnding::LF).ok()?,
            EcPrivate::P521(k) => k.to_pkcs8_pem(LineEnding::LF).ok()?,
        },
        KeyMaterial::Ed {
            private: Some(k), ..
        } => k.to_pkcs8_pem(LineEnding::LF).ok()?,
        _ => return None,
    };
    Some(doc.to_string())
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(body);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// A minimal self-signed X.509 v3 certificate (sha256WithRSAEncryption) for an RSA key, built
/// by hand so no certificate crate is needed. Used only by the `x5c` attack cases.
pub fn self_signed_certificate(key: &Jwk, common_name: &str) -> Result<Vec<u8>> {
    let sha256_rsa = seq(&[
        der(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        ),
        vec![0x05, 0x00],
    ]);
    let name = seq(&[der(
        0x31,
        &seq(&[
            der(0x06, &[0x55, 0x04, 0x03]),
            der(0x0c, common_name.as_bytes()),
        ]),
    )]);
    let validity = seq(&[der(0x17, b"260101000000Z"), der(0x17, b"360101000000Z")]);
    let spki = key
        .der_spki()
        .ok_or_else(|| Error::Other("certificate needs an asymmetric key".into()))?;
    let tbs = seq(&[
        der(0xa0, &der(0x02, &[2])),
        der(0x02, &[1]),
        sha256_rsa.clone(),
        name.clone(),
        validity,
        name,
        spki,
    ]);
    let sig = crate::jose::alg::sign(Alg::RS256, key, &tbs, 0)
        .map_err(|e| Error::Other(format!("cannot sign certificate: {e}")))?;
    let mut bits = vec![0u8];
    bits.extend(sig);
    Ok(seq(&[tbs, sha256_rsa, der(0x03, &bits)]))
}
