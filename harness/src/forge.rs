//! The forge: recipe × policy × clock → token bytes.
//!
//! Each case instance is forged exactly once per clock and shared by every backend. The forge
//! works on raw text and bytes so it can build anything the catalog asks for: duplicate members,
//! bad base64url, wrong segment counts, HMAC keyed with PEM text, r = s = 0. Everything it does is
//! deterministic given `now` and the seed.

use crate::cases::{Case, Catalog, Expect, Reason, Severity};
use crate::jose::alg::{be_sub, curve_order, hmac, sign};
use crate::jose::{b64, Alg, Jwk, KeyType};
use crate::policy::Policy;
use crate::{Error, Result};
use serde_json::{json, Map, Value};
use std::path::Path;
use std::sync::Arc;

/// The built-in attacker keys: test-only keys that no policy trusts.
#[derive(Debug, Clone, Default)]
pub struct Attackers {
    keys: Vec<Jwk>,
    x5c: Option<String>,
}

impl Attackers {
    /// Loads `fixtures/keys/attacker.private.jwks.json` (and the attacker certificate, if there).
    pub fn load(root: &Path) -> Result<Attackers> {
        let dir = root.join("fixtures/keys");
        let path = dir.join("attacker.private.jwks.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        let keys = crate::jose::Jwks::from_json(&value)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?
            .keys;
        let x5c = std::fs::read_to_string(dir.join("attacker-rs.cert.der.b64"))
            .ok()
            .map(|s| s.trim().to_string());
        Ok(Attackers { keys, x5c })
    }

    /// The attacker key for an algorithm.
    pub fn for_alg(&self, alg: Alg) -> Option<&Jwk> {
        self.keys.iter().find(|k| alg.fits(k))
    }
}

/// One case under one policy at one clock: a concrete token and what must happen to it.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `family/name@policy`.
    pub id: String,
    /// The case.
    pub case: Arc<Case>,
    /// The policy (a key-set variant when the case has `trust`).
    pub policy: Arc<Policy>,
    /// The compact token, exactly as presented.
    pub token: String,
    /// The clock the token was forged at.
    pub now: u64,
}

impl Instance {
    /// The expected verdict.
    pub fn expect(&self) -> Expect {
        self.case.expect
    }
    /// The expected reason.
    pub fn reason(&self) -> Option<Reason> {
        self.case.reason
    }
    /// The severity of an unexpected accept.
    pub fn severity(&self) -> Severity {
        self.case.severity_or_low()
    }
}

/// A case that could not be forged under a policy: a catalog bug, reported as skipped.
#[derive(Debug, Clone)]
pub struct ForgeError {
    /// `family/name@policy`.
    pub id: String,
    /// What went wrong.
    pub message: String,
}

/// Everything forged for one clock.
#[derive(Debug, Clone, Default)]
pub struct Forged {
    /// Tokens, in catalog × policy order.
    pub instances: Vec<Instance>,
    /// Cases that failed to forge.
    pub errors: Vec<ForgeError>,
}

/// What the forge needs besides the catalog and policies.
#[derive(Debug, Clone)]
pub struct ForgeConfig {
    /// Unix seconds the tokens are made for.
    pub now: u64,
    /// Seed for the non-deterministic parts (PSS salts).
    pub seed: u64,
}

/// Builds the policy variant a case's `trust` asks for.
pub fn policy_variant(policy: &Policy, trust: &str, attackers: &Attackers) -> Option<Policy> {
    let mut p = policy.clone();
    p.name = format!("{}~{trust}", policy.name);
    match trust {
        "short-secret" => {
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
        "duplicate-kid" => {
            let alg = *p.algorithms.first()?;
            let genuine = p.keys_for(alg).first().copied()?.clone();
            let evil = attackers.for_alg(alg)?.with_kid(genuine.kid());
            p.keys.push(evil);
            Some(p)
        }
        _ => None,
    }
}

/// Whether a case applies to a policy (its `requires` hold).
fn applies(case: &Case, policy: &Policy, sign_alg: Alg) -> bool {
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
}

fn key_type_matches(want: &str, kty: KeyType) -> bool {
    match want {
        "rsa" => kty == KeyType::Rsa,
        "ec" => kty == KeyType::Ec,
        "okp" => kty == KeyType::Okp,
        "oct" => kty == KeyType::Oct,
        "asymmetric" => kty != KeyType::Oct,
        _ => false,
    }
}

/// Picks the signing algorithm: the case's, else the first allowed one whose key fits
/// `requires.key_type`. `None` when the case does not apply.
fn signing_alg(case: &Case, policy: &Policy) -> Option<Alg> {
    if case.hmac_key.is_some() {
        return Some(
            case.alg
                .as_deref()
                .and_then(Alg::parse)
                .unwrap_or(Alg::HS256),
        );
    }
    if let Some(alg) = case.alg.as_deref().and_then(Alg::parse) {
        if let Some(want) = &case.requires.key_type {
            if !key_type_matches(want, alg.key_type()) {
                return None;
            }
        }
        return Some(alg);
    }
    policy.algorithms.iter().copied().find(|a| {
        case.requires
            .key_type
            .as_deref()
            .is_none_or(|want| key_type_matches(want, a.key_type()))
            && !policy.keys_for(*a).is_empty()
    })
}

/// Expands the catalog over the policies and forges every applicable instance.
pub fn forge_all(
    catalog: &Catalog,
    policies: &[Arc<Policy>],
    attackers: &Attackers,
    config: &ForgeConfig,
    filter: &dyn Fn(&Case) -> bool,
) -> Forged {
    // Plan first (cheap), then sign in parallel (the RSA signatures are the whole cost).
    let mut plan: Vec<(Arc<Case>, Arc<Policy>)> = Vec::new();
    let mut variants: Vec<((String, String), Arc<Policy>)> = Vec::new();
    for case in &catalog.cases {
        if !filter(case) {
            continue;
        }
        let case = Arc::new(case.clone());
        for policy in policies {
            let policy = match &case.trust {
                None => policy.clone(),
                Some(t) => {
                    let key = (policy.name.clone(), t.clone());
                    match variants.iter().find(|(k, _)| *k == key) {
                        Some((_, p)) => p.clone(),
                        None => match policy_variant(policy, t, attackers) {
                            Some(p) => {
                                let p = Arc::new(p);
                                variants.push((key, p.clone()));
                                p
                            }
                            None => continue,
                        },
                    }
                }
            };
            plan.push((case.clone(), policy));
        }
    }
    let results = crate::run::parallel_map(&plan, |(case, policy)| {
        let id = format!("{}@{}", case.id, policy.name);
        let seed = config.seed ^ fnv(id.as_bytes());
        match forge_one(case, policy, attackers, config.now, seed) {
            Ok(Some(token)) => Some(Ok(Instance {
                id,
                case: case.clone(),
                policy: policy.clone(),
                token,
                now: config.now,
            })),
            Ok(None) => None,
            Err(message) => Some(Err(ForgeError { id, message })),
        }
    });
    let mut forged = Forged::default();
    for r in results.into_iter().flatten() {
        match r {
            Ok(i) => forged.instances.push(i),
            Err(e) => forged.errors.push(e),
        }
    }
    forged
}

/// FNV-1a, for per-instance seeds that do not depend on thread scheduling.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Ctx<'a> {
    now: i64,
    leeway: i64,
    alg_name: String,
    kid: Option<String>,
    policy_kid: Option<String>,
    iss: String,
    aud: String,
    attackers: &'a Attackers,
    sign_alg: Alg,
}

/// Forges one case under one policy. `Ok(None)`: the case does not apply to this policy.
pub fn forge_one(
    case: &Case,
    policy: &Policy,
    attackers: &Attackers,
    now: u64,
    seed: u64,
) -> std::result::Result<Option<String>, String> {
    let Some(sign_alg) = signing_alg(case, policy) else {
        return Ok(None);
    };
    if let Some(want) = &case.requires.key_type {
        if case.hmac_key.is_none() && !key_type_matches(want, sign_alg.key_type()) {
            return Ok(None);
        }
        if !policy
            .keys
            .iter()
            .any(|k| key_type_matches(want, k.key_type()))
        {
            return Ok(None);
        }
    }
    if !applies(case, policy, sign_alg) {
        return Ok(None);
    }
    // The key that signs (or, with hmac_key, whose public material keys the HMAC).
    let trusted = policy.keys_for(sign_alg);
    let key: Option<Jwk> = if let Some(derive) = &case.hmac_key {
        // Public material comes from an asymmetric key; a literal secret (`empty`, `text:`) is
        // sent under the trusted HMAC key's kid when the case asks for `oct`.
        let literal = derive == "empty" || derive.starts_with("text:");
        let want =
            case.requires
                .key_type
                .as_deref()
                .unwrap_or(if literal { "oct" } else { "asymmetric" });
        match policy.keys.iter().find(|k| {
            key_type_matches(want, k.key_type()) && (literal || k.key_type() != KeyType::Oct)
        }) {
            Some(k) => Some(k.clone()),
            None => return Ok(None),
        }
    } else {
        match case.key.as_deref().unwrap_or("policy") {
            "policy" => match trusted.first() {
                Some(k) if k.can_sign() => Some((*k).clone()),
                _ => return Ok(None),
            },
            "second" => match trusted.get(1) {
                Some(k) if k.can_sign() => Some((*k).clone()),
                _ => return Ok(None),
            },
            "retired" => match policy.retired.iter().find(|k| sign_alg.fits(k)) {
                Some(k) => Some(k.clone()),
                None => return Ok(None),
            },
            "attacker" => match attackers.for_alg(sign_alg) {
                Some(k) => Some(k.clone()),
                None => return Ok(None),
            },
            "other-type" => match policy
                .keys
                .iter()
                .find(|k| k.key_type() != sign_alg.key_type())
            {
                Some(k) => Some(k.clone()),
                None => return Ok(None),
            },
            _ => None, // "none"
        }
    };
    let ctx = Ctx {
        now: now as i64,
        leeway: policy.leeway as i64,
        alg_name: case
            .alg
            .clone()
            .unwrap_or_else(|| sign_alg.name().to_string()),
        kid: key.as_ref().and_then(|k| k.kid().map(str::to_string)),
        policy_kid: trusted.first().and_then(|k| k.kid().map(str::to_string)),
        iss: policy
            .issuer
            .clone()
            .unwrap_or_else(|| "https://issuer.invalid".into()),
        aud: policy
            .audience
            .first()
            .cloned()
            .unwrap_or_else(|| "https://audience.invalid".into()),
        attackers,
        sign_alg,
    };

    // Header.
    let mut header_map = Map::new();
    header_map.insert("alg".into(), json!(ctx.alg_name));
    header_map.insert(
        "typ".into(),
        json!(policy.typ.clone().unwrap_or_else(|| "JWT".into())),
    );
    if let Some(kid) = &ctx.kid {
        header_map.insert("kid".into(), json!(kid));
    }
    if let Some(h) = &case.header {
        merge(&mut header_map, &parse_template_object(h, &ctx, "header")?);
    }
    for r in &case.remove_header {
        header_map.shift_remove(r);
    }
    let header_text = match (&case.header_raw, &case.header_segment) {
        (Some(raw), _) => Some(expand_template(raw, &ctx)?),
        (None, Some(_)) => None,
        (None, None) => Some(Value::Object(header_map.clone()).to_string()),
    };

    // Claims.
    let mut claims_map = Map::new();
    claims_map.insert("iss".into(), json!(ctx.iss));
    claims_map.insert("sub".into(), json!("user-1"));
    claims_map.insert("aud".into(), json!(ctx.aud));
    claims_map.insert("iat".into(), json!(ctx.now));
    claims_map.insert("exp".into(), json!(ctx.now + 3600));
    if let Some(c) = &case.claims {
        merge(&mut claims_map, &parse_template_object(c, &ctx, "claims")?);
    }
    for r in &case.remove_claims {
        claims_map.shift_remove(r);
    }
    let claims_text = match (&case.claims_raw, &case.claims_segment) {
        (Some(raw), _) => Some(expand_template(raw, &ctx)?),
        (None, Some(_)) => None,
        (None, None) => Some(Value::Object(claims_map.clone()).to_string()),
    };

    let seg = |text: &Option<String>, literal: &Option<String>| match text {
        Some(t) => b64::encode(t.as_bytes()),
        None => literal.clone().unwrap_or_default(),
    };
    let h64 = seg(&header_text, &case.header_segment);
    let p64 = seg(&claims_text, &case.claims_segment);
    let signing_input = format!("{h64}.{p64}");

    let do_sign = |input: &str| -> std::result::Result<Vec<u8>, String> {
        if let Some(derive) = &case.hmac_key {
            let k = key.as_ref().ok_or("hmac_key needs a key")?;
            let secret = derive_secret(derive, k)?;
            let hash = match case.alg.as_deref().and_then(Alg::parse) {
                Some(a) if a.key_type() == KeyType::Oct => a.hash(),
                Some(a) => return Err(format!("hmac_key needs an HS* alg, not {a}")),
                None => crate::jose::Hash::Sha256,
            };
            return Ok(hmac(hash, &secret, input.as_bytes()));
        }
        match &key {
            None => Ok(Vec::new()),
            Some(k) => sign(sign_alg, k, input.as_bytes(), seed).map_err(|e| e.to_string()),
        }
    };
    let mut sig = do_sign(&signing_input)?;

    for op in &case.signature {
        sig = signature_op(op, sig, &ctx, || {
            let mut other = claims_map.clone();
            other.insert("sub".into(), json!("user-2"));
            other.insert("jti".into(), json!("other-token"));
            let other_input = format!(
                "{h64}.{}",
                b64::encode(Value::Object(other).to_string().as_bytes())
            );
            do_sign(&other_input)
        })?;
    }

    let mut h64 = h64;
    let mut p64 = p64;
    if let Some(t) = &case.tamper_header {
        merge(
            &mut header_map,
            &parse_template_object(t, &ctx, "tamper_header")?,
        );
        h64 = b64::encode(Value::Object(header_map.clone()).to_string().as_bytes());
    }
    if let Some(t) = &case.tamper_claims {
        merge(
            &mut claims_map,
            &parse_template_object(t, &ctx, "tamper_claims")?,
        );
        p64 = b64::encode(Value::Object(claims_map.clone()).to_string().as_bytes());
    }
    let mut token = format!("{h64}.{p64}.{}", b64::encode(&sig));
    for op in &case.alter {
        token = alter_op(op, token)?;
    }
    Ok(Some(token))
}

fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        base.insert(k.clone(), v.clone());
    }
}

fn parse_template_object(
    template: &str,
    ctx: &Ctx,
    what: &str,
) -> std::result::Result<Map<String, Value>, String> {
    let text = expand_template(template, ctx)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("{what} must be a JSON object")),
        Err(e) => Err(format!("{what} is not JSON after templating: {e}")),
    }
}

/// Expands `${...}` placeholders.
fn expand_template(template: &str, ctx: &Ctx) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| format!("unclosed placeholder in {template:?}"))?;
            out.push_str(&placeholder(&body[..end], ctx)?);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn placeholder(expr: &str, ctx: &Ctx) -> std::result::Result<String, String> {
    let expr = expr.trim();
    match expr {
        "alg" => return Ok(ctx.alg_name.clone()),
        "kid" => return Ok(ctx.kid.clone().unwrap_or_default()),
        "policy_kid" => return Ok(ctx.policy_kid.clone().unwrap_or_default()),
        "iss" => return Ok(ctx.iss.clone()),
        "aud" => return Ok(ctx.aud.clone()),
        "attacker_jwk" => {
            let k = ctx
                .attackers
                .for_alg(ctx.sign_alg)
                .ok_or("no attacker key for this alg")?;
            return Ok(k.public_json().to_string());
        }
        "attacker_x5c" => {
            let c = ctx
                .attackers
                .x5c
                .as_ref()
                .ok_or("no attacker certificate")?;
            return Ok(json!([c]).to_string());
        }
        _ => {}
    }
    if let Some(args) = expr
        .strip_prefix("repeat(")
        .and_then(|a| a.strip_suffix(')'))
    {
        let (text, n) = args
            .rsplit_once(',')
            .ok_or_else(|| format!("repeat needs TEXT,N: {expr:?}"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("bad count in {expr:?}"))?;
        return Ok(text.repeat(n));
    }
    // An integer expression: terms joined by + and -.
    let mut total: i64 = 0;
    let mut sign = 1i64;
    let mut term = String::new();
    let flush =
        |term: &mut String, sign: i64, total: &mut i64| -> std::result::Result<(), String> {
            let t = term.trim();
            if t.is_empty() {
                return Err(format!("bad expression {expr:?}"));
            }
            let v = match t {
                "now" => ctx.now,
                "leeway" => ctx.leeway,
                "exp" => ctx.now + 3600,
                n => n
                    .parse::<i64>()
                    .map_err(|_| format!("unknown placeholder {t:?} in {expr:?}"))?,
            };
            *total += sign * v;
            term.clear();
            Ok(())
        };
    for c in expr.chars() {
        match c {
            '+' | '-' if !term.trim().is_empty() => {
                flush(&mut term, sign, &mut total)?;
                sign = if c == '+' { 1 } else { -1 };
            }
            '-' => sign = -sign,
            '+' => {}
            c => term.push(c),
        }
    }
    flush(&mut term, sign, &mut total)?;
    Ok(total.to_string())
}

fn derive_secret(how: &str, key: &Jwk) -> std::result::Result<Vec<u8>, String> {
    let missing = || {
        format!(
            "hmac_key {how:?} does not fit a {} key",
            key.key_type().name()
        )
    };
    Ok(match how {
        "pem-spki" => key.pem_spki().ok_or_else(missing)?.into_bytes(),
        "pem-spki-no-newline" => key
            .pem_spki()
            .ok_or_else(missing)?
            .trim_end()
            .as_bytes()
            .to_vec(),
        "pem-spki-crlf" => key
            .pem_spki()
            .ok_or_else(missing)?
            .replace('\n', "\r\n")
            .into_bytes(),
        "pem-pkcs1" => key.pem_pkcs1().ok_or_else(missing)?.into_bytes(),
        "der-spki" => key.der_spki().ok_or_else(missing)?,
        "jwk-json" => key.public_json().to_string().into_bytes(),
        "modulus" => key.modulus().ok_or_else(missing)?,
        "ec-point" => key.ec_point().ok_or_else(missing)?,
        "empty" => Vec::new(),
        other => match other.strip_prefix("text:") {
            Some(t) => t.as_bytes().to_vec(),
            None => return Err(format!("unknown hmac_key {other:?}")),
        },
    })
}

fn signature_op(
    op: &str,
    mut sig: Vec<u8>,
    ctx: &Ctx,
    other: impl FnOnce() -> std::result::Result<Vec<u8>, String>,
) -> std::result::Result<Vec<u8>, String> {
    let curve = || {
        ctx.sign_alg
            .curve()
            .filter(|_| ctx.sign_alg.key_type() == KeyType::Ec)
            .ok_or_else(|| format!("{op} needs an ECDSA alg, not {}", ctx.sign_alg))
    };
    let half = |sig: &Vec<u8>| -> std::result::Result<usize, String> {
        let len = curve()?.field_len();
        if sig.len() != 2 * len {
            return Err(format!("{op}: signature is not raw R‖S"));
        }
        Ok(len)
    };
    match op {
        "flip-bit" => {
            let last = sig.last_mut().ok_or("flip-bit on an empty signature")?;
            *last ^= 1;
        }
        "flip-first-bit" => {
            let first = sig
                .first_mut()
                .ok_or("flip-first-bit on an empty signature")?;
            *first ^= 0x80;
        }
        "drop-first" => {
            if sig.is_empty() {
                return Err("drop-first on an empty signature".into());
            }
            sig.remove(0);
        }
        "append-zero" => sig.push(0),
        "zero" => sig.iter_mut().for_each(|b| *b = 0),
        "empty" => sig.clear(),
        "from-other-claims" => sig = other()?,
        "ecdsa-der" => {
            let len = half(&sig)?;
            sig = der_signature(&sig[..len], &sig[len..]);
        }
        "ecdsa-der-zero" => sig = vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
        "ecdsa-r-n" | "ecdsa-s-n" | "ecdsa-r-max" | "ecdsa-high-s" => {
            let len = half(&sig)?;
            let n = curve_order(curve()?);
            match op {
                "ecdsa-r-n" => sig[..len].copy_from_slice(&n),
                "ecdsa-s-n" => sig[len..].copy_from_slice(&n),
                "ecdsa-r-max" => {
                    // The largest value that fits the field: above n on every NIST curve.
                    let top = if len == 66 { 0x01 } else { 0xff };
                    sig[..len].iter_mut().for_each(|b| *b = 0xff);
                    sig[0] = top;
                }
                _ => {
                    let s = sig[len..].to_vec();
                    let high = be_sub(&n, &s);
                    sig[len..].copy_from_slice(&high);
                }
            }
        }
        _ => {
            if let Some(n) = op.strip_prefix("truncate:") {
                let n: usize = n.parse().map_err(|_| format!("bad count in {op:?}"))?;
                if n > sig.len() {
                    return Err(format!("{op}: signature has only {} bytes", sig.len()));
                }
                sig.truncate(sig.len() - n);
            } else if let Some(b) = op.strip_prefix("bytes:") {
                sig = b64::decode(b).map_err(|e| format!("{op}: {e}"))?;
            } else {
                return Err(format!("unknown signature operation {op:?}"));
            }
        }
    }
    Ok(sig)
}

fn der_int(bytes: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if v.first().is_none_or(|b| *b & 0x80 != 0) {
        v.insert(0, 0);
    }
    let mut out = vec![0x02];
    out.extend(der_len(v.len()));
    out.extend(v);
    out
}

fn der_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![len as u8]
    } else if len < 0x100 {
        vec![0x81, len as u8]
    } else {
        vec![0x82, (len >> 8) as u8, len as u8]
    }
}

fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut body = der_int(r);
    body.extend(der_int(s));
    let mut out = vec![0x30];
    out.extend(der_len(body.len()));
    out.extend(body);
    out
}

fn alter_op(op: &str, token: String) -> std::result::Result<String, String> {
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let join = |parts: &[String]| parts.join(".");
    Ok(match op {
        "pad" => {
            let mut changed = false;
            for p in parts.iter_mut() {
                let pad = (4 - p.len() % 4) % 4;
                if pad > 0 && pad < 3 {
                    p.push_str(&"=".repeat(pad));
                    changed = true;
                }
            }
            if !changed {
                return Err("pad: no segment needs padding".into());
            }
            join(&parts)
        }
        "std-alphabet" => {
            // The payload only: its bytes are fixed by the case, while the signature's change
            // with the clock, so the verdict must not depend on where a `-` happens to fall.
            let p = parts.get_mut(1).ok_or("no payload segment")?;
            if !p.contains(['-', '_']) {
                return Err("std-alphabet: the payload has no - or _ to change".into());
            }
            *p = p.replace('-', "+").replace('_', "/");
            join(&parts)
        }
        "space-in-payload" | "newline-in-payload" => {
            let p = parts.get_mut(1).ok_or("no payload segment")?;
            let mid = p.len() / 2;
            p.insert_str(mid, if op.starts_with("space") { " " } else { "\n" });
            join(&parts)
        }
        "noncanonical-last" => {
            let idx = (0..parts.len())
                .rev()
                .find(|&i| parts[i].len() % 4 >= 2)
                .ok_or("noncanonical-last: every segment is a multiple of 4 long")?;
            let seg = &mut parts[idx];
            let unused = if seg.len() % 4 == 2 { 4 } else { 2 };
            let last = seg.pop().expect("segment is not empty");
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let v = ALPHABET
                .iter()
                .position(|&c| c as char == last)
                .ok_or("noncanonical-last: not base64url")?;
            let v = v | ((1 << unused) - 1);
            seg.push(ALPHABET[v] as char);
            join(&parts)
        }
        "drop-signature-segment" => {
            parts.truncate(2);
            join(&parts)
        }
        "drop-payload" => {
            if parts.len() < 3 {
                return Err("drop-payload needs three segments".into());
            }
            parts[1].clear();
            join(&parts)
        }
        "url-encode" => token.replace('.', "%2E"),
        "quote" => format!("\"{token}\""),
        "bearer" => format!("Bearer {token}"),
        "leading-space" => format!(" {token}"),
        "trailing-space" => format!("{token} "),
        "bom" => format!("\u{feff}{token}"),
        _ => {
            if let Some(n) = op.strip_prefix("segments:") {
                let n: usize = n.parse().map_err(|_| format!("bad count in {op:?}"))?;
                let filler = parts.last().cloned().unwrap_or_default();
                while parts.len() < n {
                    parts.push(filler.clone());
                }
                parts.truncate(n);
                join(&parts)
            } else if let Some(t) = op.strip_prefix("replace:") {
                t.to_string()
            } else if let Some(n) = op.strip_prefix("pad-to:") {
                let n: usize = n.parse().map_err(|_| format!("bad size in {op:?}"))?;
                let len = token.len();
                if n > len && parts.len() > 1 {
                    parts[1].push_str(&"A".repeat(n - len));
                }
                join(&parts)
            } else if let Some(n) = op.strip_prefix("dots:") {
                let n: usize = n.parse().map_err(|_| format!("bad count in {op:?}"))?;
                token + &".".repeat(n)
            } else {
                return Err(format!("unknown alter operation {op:?}"));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_encoding_of_small_and_high_integers() {
        assert_eq!(
            der_signature(&[0, 0], &[0, 0]),
            b64::decode("MAYCAQACAQA").unwrap()
        );
        assert_eq!(der_int(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
    }

    #[test]
    fn alter_operations() {
        let t = "aaa.bb.cc".to_string();
        assert_eq!(alter_op("segments:2", t.clone()).unwrap(), "aaa.bb");
        assert_eq!(
            alter_op("segments:5", t.clone()).unwrap(),
            "aaa.bb.cc.cc.cc"
        );
        assert_eq!(alter_op("pad", t.clone()).unwrap(), "aaa=.bb==.cc==");
        assert_eq!(alter_op("url-encode", t.clone()).unwrap(), "aaa%2Ebb%2Ecc");
        assert!(alter_op("std-alphabet", t.clone()).is_err());
        assert_eq!(alter_op("noncanonical-last", t).unwrap(), "aaa.bb.cf");
    }
}
