//! Templates of case recipes: `${...}` placeholders in header and claims JSON text (see the
//! catalog format in [`crate::cases`]), and merging JSON objects.

use super::keys::Attackers;
use crate::jose::Alg;
use serde_json::{json, Map, Value};

/// What placeholders expand to, for one case under one policy.
pub(super) struct Ctx<'a> {
    pub(super) now: i64,
    pub(super) leeway: i64,
    pub(super) alg_name: String,
    pub(super) kid: Option<String>,
    pub(super) policy_kid: Option<String>,
    pub(super) iss: String,
    pub(super) aud: String,
    /// The policy's typ, or `JWT` when it sets none.
    pub(super) typ: String,
    pub(super) attackers: &'a Attackers,
    pub(super) sign_alg: Alg,
    /// The instance id (`family/name@policy`), for `${attacker_url}` and `${attacker_tag}`.
    pub(super) instance: String,
}

pub(super) fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        base.insert(k.clone(), v.clone());
    }
}

pub(super) fn parse_template_object(
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
pub(super) fn expand_template(template: &str, ctx: &Ctx) -> std::result::Result<String, String> {
    scan_placeholders(template, |body| match body {
        Some(expr) => placeholder(expr, ctx),
        None => Err(format!("unclosed placeholder in {template:?}")),
    })
}

/// The one reader of the template language: literal text is copied, `$$` becomes `$`, and each
/// `${…}` placeholder becomes what `replace` makes of its body. An unclosed `${` is handed to
/// `replace` as `None`: its error ends the scan, or its text is followed by the rest of the
/// template as written.
pub(crate) fn scan_placeholders<E>(
    template: &str,
    mut replace: impl FnMut(Option<&str>) -> std::result::Result<String, E>,
) -> std::result::Result<String, E> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            match body.find('}') {
                Some(end) => {
                    out.push_str(&replace(Some(&body[..end]))?);
                    rest = &body[end + 1..];
                }
                None => {
                    out.push_str(&replace(None)?);
                    out.push_str(&rest[pos..]);
                    rest = "";
                }
            }
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
        "typ" => return Ok(ctx.typ.clone()),
        "attacker_url" => return Ok(super::keys::attacker_url(&ctx.instance)),
        "attacker_tag" => return Ok(super::keys::attacker_tag(&ctx.instance)),
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
