//! Keys for the forge: the attacker's keys, the policy variants a case's `trust` asks for, whether
//! a case applies to a policy, and which key signs.

use crate::cases::{Case, Expect, HmacKey, KeyChoice, KeyTypeReq, Trust};
use crate::error::{Error, Result};
use crate::jose::{Alg, Jwk, Jwks, KeyType};
use crate::policy::Policy;
use serde_json::Value;

/// The port the catalog's attacker URLs name (`${attacker_url}`), and the JWKS server's default
/// ([`crate::jwks`]).
pub const DEFAULT_PORT: u16 = 8089;
/// The tag of a case instance in attacker URLs: 12 hex digits of its id's SHA-256.
pub fn attacker_tag(instance_id: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(instance_id.as_bytes());
    d[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The attacker base URL of a case instance: `http://127.0.0.1:8089/attacker/TAG`.
pub fn attacker_url(instance_id: &str) -> String {
    format!(
        "http://127.0.0.1:{DEFAULT_PORT}/attacker/{}",
        attacker_tag(instance_id)
    )
}

/// The built-in attacker keys: test-only keys that no policy trusts.
#[derive(Debug, Clone, Default)]
pub struct Attackers {
    keys: Vec<Jwk>,
    pub(super) x5c: Option<String>,
}

impl Attackers {
    /// The attacker keys' public halves as a JWK Set: what the JWKS server serves at the
    /// attacker URLs (`jku`, `x5u`, attacker discovery documents).
    pub fn public_jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.keys.iter().map(Jwk::public_json).collect::<Vec<_>>() })
    }

    /// The attacker certificate as PEM (what an `x5u` URL serves), if the fixtures have one.
    pub fn certificate_pem(&self) -> Option<String> {
        let b64 = self.x5c.as_deref()?;
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        Some(format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        ))
    }

    /// Reads the attacker keys from the text of `attacker.private.jwks.json` and, if there, of
    /// the attacker certificate (`attacker-rs.cert.der.b64`); `origin` names them in errors.
    pub fn from_texts(origin: &str, jwks: &str, x5c: Option<&str>) -> Result<Attackers> {
        let value: Value =
            serde_json::from_str(jwks).map_err(|e| Error::Config(format!("{origin}: {e}")))?;
        let keys = Jwks::from_json(&value)
            .map_err(|e| Error::Config(format!("{origin}: {e}")))?
            .keys;
        Ok(Attackers {
            keys,
            x5c: x5c.map(|s| s.trim().to_string()),
        })
    }

    /// Loads `fixtures/keys/attacker.private.jwks.json` (and the attacker certificate, if there)
    /// under `root`.
    pub fn load(root: &std::path::Path) -> Result<Attackers> {
        let dir = root.join("fixtures/keys");
        let path = dir.join("attacker.private.jwks.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let x5c = std::fs::read_to_string(dir.join("attacker-rs.cert.der.b64")).ok();
        Attackers::from_texts(&path.display().to_string(), &text, x5c.as_deref())
    }

    /// Every attacker key.
    pub(super) fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The attacker key for an algorithm.
    pub fn for_alg(&self, alg: Alg) -> Option<&Jwk> {
        self.keys.iter().find(|k| alg.fits(k))
    }
}

/// Builds the policy variant a case's `trust` asks for; `None` when it does not apply.
pub fn policy_variant(policy: &Policy, trust: Trust, attackers: &Attackers) -> Option<Policy> {
    let mut p = policy.clone();
    p.name = format!("{}~{trust}", policy.name);
    match trust {
        Trust::ShortSecret => {
            let mut changed = false;
            for k in p.keys.iter_mut() {
                if k.key_type() == KeyType::Oct {
                    let short: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(31) ^ 0x5a).collect();
                    *k = Jwk::from_secret(&short, k.kid(), k.alg());
                    changed = true;
                }
            }
            changed.then_some(p)
        }
        Trust::DuplicateKid => {
            let alg = *p.algorithms.first()?;
            let genuine = p.keys_for(alg).first().copied()?.clone();
            let evil = attackers.for_alg(alg)?.with_kid(genuine.kid());
            p.keys.push(evil);
            Some(p)
        }
    }
}

/// Whether a case applies to a policy (its `requires` hold). A case that must be accepted also
/// needs its signing algorithm in the policy's allowlist: a key without `alg` fits every algorithm
/// of its type, so the key alone does not decide that.
pub(super) fn applies(case: &Case, policy: &Policy, sign_alg: Alg) -> bool {
    if case.expect == Expect::Accept && !policy.algorithms.contains(&sign_alg) {
        return false;
    }
    if case.is_resource() && !policy.resource_cases {
        return false;
    }
    let r = &case.requires;
    let fitting = policy.keys_for(sign_alg).len();
    if let Some(n) = r.keys_for_alg {
        if fitting != n {
            return false;
        }
    }
    if let Some(n) = r.min_keys_for_alg {
        if fitting < n {
            return false;
        }
    }
    if let Some(want) = r.other_key_type {
        let other = policy
            .keys
            .iter()
            .any(|k| k.key_type() != sign_alg.key_type());
        if other != want {
            return false;
        }
    }
    let flag = |want: Option<bool>, have: bool| want.is_none_or(|w| w == have);
    flag(r.issuer, policy.issuer.is_some())
        && flag(r.audience, !policy.audience.is_empty())
        && flag(r.typ, policy.typ.is_some())
        && flag(r.retired_key, !policy.retired.is_empty())
        && r.required.iter().all(|c| policy.requires(c))
        && !r.not_required.iter().any(|c| policy.requires(c))
        && r.min_leeway.is_none_or(|l| policy.leeway >= l)
        && r.not_token_location
            .as_ref()
            .is_none_or(|l| !policy.token_locations.contains(l))
}

/// Picks the signing algorithm: the case's, else the first allowed one whose key fits
/// `requires.key_type`. `None` when the case does not apply.
pub(super) fn signing_alg(case: &Case, policy: &Policy) -> Option<Alg> {
    if case.hmac_key.is_some() {
        return Some(
            case.alg
                .as_deref()
                .and_then(Alg::parse)
                .unwrap_or(Alg::HS256),
        );
    }
    if let Some(alg) = case.alg.as_deref().and_then(Alg::parse) {
        if let Some(want) = case.requires.key_type {
            if !want.matches(alg.key_type()) {
                return None;
            }
        }
        return Some(alg);
    }
    policy.algorithms.iter().copied().find(|a| {
        case.requires
            .key_type
            .is_none_or(|want| want.matches(a.key_type()))
            && !policy.keys_for(*a).is_empty()
    })
}

/// The key that signs (or, with `hmac_key`, whose public material keys the HMAC).
/// `Ok(None)`: no key (`key = "none"`); `Err(())`: the case does not apply to this policy.
pub(super) fn signing_key(
    case: &Case,
    policy: &Policy,
    attackers: &Attackers,
    sign_alg: Alg,
) -> std::result::Result<Option<Jwk>, ()> {
    let trusted = policy.keys_for(sign_alg);
    if let Some(derive) = &case.hmac_key {
        // Public material comes from an asymmetric key; a literal secret (`empty`, `text:`) is
        // sent under the trusted HMAC key's kid when the case asks for `oct`.
        let literal = derive.is_literal();
        // `key = "other-type"`: a key of another type than the (HMAC) signing alg needs.
        let other_type = case.key == Some(KeyChoice::OtherType);
        let want = case.requires.key_type.unwrap_or(if literal && !other_type {
            KeyTypeReq::Oct
        } else {
            KeyTypeReq::Asymmetric
        });
        return match policy.keys.iter().find(|k| {
            want.matches(k.key_type())
                && (literal || k.key_type() != KeyType::Oct)
                && (!other_type || k.key_type() != sign_alg.key_type())
        }) {
            Some(k) => Ok(Some(k.clone())),
            None => Err(()),
        };
    }
    let found = match case.key.unwrap_or(KeyChoice::Policy) {
        KeyChoice::Policy => trusted
            .first()
            .filter(|k| k.can_sign())
            .map(|k| (*k).clone()),
        KeyChoice::Second => trusted
            .get(1)
            .filter(|k| k.can_sign())
            .map(|k| (*k).clone()),
        KeyChoice::Retired => policy.retired.iter().find(|k| sign_alg.fits(k)).cloned(),
        KeyChoice::Attacker => attackers.for_alg(sign_alg).cloned(),
        KeyChoice::OtherType => policy
            .keys
            .iter()
            .find(|k| k.key_type() != sign_alg.key_type())
            .cloned(),
        KeyChoice::OtherAlg => policy
            .keys
            .iter()
            .find(|k| sign_alg.fits(k) && !sign_alg.may_use(k))
            .filter(|k| k.can_sign())
            .cloned(),
        KeyChoice::None => return Ok(None),
    };
    found.map(Some).ok_or(())
}

/// The HMAC secret of an `hmac_key` case.
pub(super) fn hmac_secret(how: &HmacKey, key: &Jwk) -> std::result::Result<Vec<u8>, String> {
    match how {
        HmacKey::Empty => Ok(Vec::new()),
        HmacKey::Text(t) => Ok(t.as_bytes().to_vec()),
        HmacKey::Public(encoding) => encoding.bytes(key).ok_or_else(|| {
            format!(
                "hmac_key {:?} does not fit a {} key",
                encoding.name(),
                key.key_type().name()
            )
        }),
    }
}
