//! The forge: recipe × policy × clock → token bytes.
//!
//! Each case instance is forged exactly once per clock and shared by every backend. The forge
//! works on raw text and bytes so it can build anything the catalog asks for: duplicate members,
//! bad base64url, wrong segment counts, HMAC keyed with PEM text, r = s = 0. Everything it does is
//! deterministic given `now` and the seed.

mod cache;
mod keys;
mod ops;
pub(crate) mod template;

pub use cache::{forge_cached, CacheStatus};
pub use keys::{attacker_tag, attacker_url, policy_variant, Attackers, DEFAULT_PORT};

use crate::cases::{Case, Catalog, Expect, Reason, Severity, Trust};
use crate::jose::alg::{hmac, sign};
use crate::jose::{b64, Alg, KeyType};
use crate::policy::Policy;
use keys::{applies, hmac_secret, signing_alg, signing_key};
use ops::{alter_op, signature_op};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use template::{expand_template, merge, parse_template_object, Ctx};

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

/// A case that could not be forged under a policy: a catalog bug. Reports list it, and `run`
/// exits 2 (a configuration error), with every other result kept.
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

impl Forged {
    /// The number of distinct cases (`family/name`) among the instances.
    pub fn distinct_cases(&self) -> usize {
        let mut ids: Vec<&str> = self.instances.iter().map(|i| i.case.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

/// What the forge needs besides the catalog and policies.
#[derive(Debug, Clone)]
pub struct ForgeConfig {
    /// Unix seconds the tokens are made for.
    pub now: u64,
    /// Seed for the non-deterministic parts (PSS salts).
    pub seed: u64,
}

/// One case under one policy (variant), before forging.
pub type Planned = (Arc<Case>, Arc<Policy>);

/// What forging one planned instance gave: a token, an error, or `None` when the case does not
/// apply to the policy.
pub type Signed = Option<std::result::Result<String, String>>;

/// Expands the catalog over the policies: every case the filter keeps, under every policy (or
/// the variant of it that the case's `trust` asks for), in catalog × policy order.
pub fn plan(
    catalog: &Catalog,
    policies: &[Arc<Policy>],
    attackers: &Attackers,
    filter: &dyn Fn(&Case) -> bool,
) -> Vec<Planned> {
    let mut plan: Vec<Planned> = Vec::new();
    let mut variants: Vec<((String, Trust), Arc<Policy>)> = Vec::new();
    for case in &catalog.cases {
        if !filter(case) {
            continue;
        }
        let case = Arc::new(case.clone());
        for policy in policies {
            let policy = match &case.trust {
                None => policy.clone(),
                Some(t) => {
                    let key = (policy.name.clone(), *t);
                    match variants.iter().find(|(k, _)| *k == key) {
                        Some((_, p)) => p.clone(),
                        None => match policy_variant(policy, *t, attackers) {
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
    plan
}

/// The instance id of a planned case: `family/name@policy`.
pub fn planned_id((case, policy): &Planned) -> String {
    instance_id(&case.id, &policy.name)
}

/// The instance id of case `case_id` under `policy`: `family/name@policy`, what attacker URLs
/// are tagged by ([`attacker_tag`]).
pub fn instance_id(case_id: &str, policy: &str) -> String {
    format!("{case_id}@{policy}")
}

/// Forges every planned instance, in parallel (the RSA signatures are the whole cost).
pub fn sign_all(plan: &[Planned], attackers: &Attackers, config: &ForgeConfig) -> Vec<Signed> {
    crate::par::parallel_map(plan, |planned| {
        let seed = config.seed ^ fnv(planned_id(planned).as_bytes());
        forge_one(&planned.0, &planned.1, attackers, config.now, seed).transpose()
    })
}

/// Pairs the plan with what forging gave.
pub fn assemble(plan: &[Planned], signed: Vec<Signed>, now: u64) -> Forged {
    let mut forged = Forged::default();
    for (planned, s) in plan.iter().zip(signed) {
        match s {
            None => {}
            Some(Ok(token)) => forged.instances.push(Instance {
                id: planned_id(planned),
                case: planned.0.clone(),
                policy: planned.1.clone(),
                token,
                now,
            }),
            Some(Err(message)) => forged.errors.push(ForgeError {
                id: planned_id(planned),
                message,
            }),
        }
    }
    forged
}

/// Expands the catalog over the policies and forges every applicable instance.
pub fn forge_all(
    catalog: &Catalog,
    policies: &[Arc<Policy>],
    attackers: &Attackers,
    config: &ForgeConfig,
    filter: &dyn Fn(&Case) -> bool,
) -> Forged {
    let plan = plan(catalog, policies, attackers, filter);
    let signed = sign_all(&plan, attackers, config);
    assemble(&plan, signed, config.now)
}

/// FNV-1a, for per-instance seeds that do not depend on thread scheduling.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a header text is a JSON object whose `alg` is a string the policy allows.
fn header_alg_allowed(header: Option<&str>, policy: &Policy) -> bool {
    let Some(Ok(Value::Object(h))) = header.map(serde_json::from_str::<Value>) else {
        return false;
    };
    match h.get("alg") {
        Some(Value::String(a)) => policy.algorithms.iter().any(|x| x.name() == a),
        _ => false,
    }
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
    if let Some(want) = case.requires.key_type {
        if case.hmac_key.is_none() && !want.matches(sign_alg.key_type()) {
            return Ok(None);
        }
        if !policy.keys.iter().any(|k| want.matches(k.key_type())) {
            return Ok(None);
        }
    }
    if !applies(case, policy, sign_alg) {
        return Ok(None);
    }
    let trusted = policy.keys_for(sign_alg);
    let Ok(key) = signing_key(case, policy, attackers, sign_alg) else {
        return Ok(None);
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
        typ: policy.typ.clone().unwrap_or_else(|| "JWT".into()),
        attackers,
        sign_alg,
        instance: instance_id(&case.id, &policy.name),
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
    // The header as sent: after signing, `tamper_header` is merged into it.
    let tampered_header = match &case.tamper_header {
        Some(t) => {
            let mut m = header_map.clone();
            merge(&mut m, &parse_template_object(t, &ctx, "tamper_header")?);
            Some(m)
        }
        None => None,
    };
    // A case whose strict rejection is `algorithm` is written for a header alg outside the
    // allowlist; where the policy allows that alg (hs-all, es-all, rsa-all) the same token tests
    // the signature instead, which other cases cover with that reason. Decided before signing.
    if case.reason == Some(Reason::Algorithm) {
        let sent = match &tampered_header {
            Some(m) => Some(Value::Object(m.clone()).to_string()),
            None => header_text.clone(),
        };
        if header_alg_allowed(sent.as_deref(), policy) {
            return Ok(None);
        }
    }

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
            let secret = hmac_secret(derive, k)?;
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
        sig = signature_op(op, sig, ctx.sign_alg, || {
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
    if let Some(m) = tampered_header {
        h64 = b64::encode(Value::Object(m).to_string().as_bytes());
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
