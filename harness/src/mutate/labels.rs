//! What a mutation exercises: short labels (`crit-present`, `exp-string`, `alg-confusion`,
//! `kid-path`, `sig-zero`, `jwe-shaped`, `claims-nan`) by which the fuzzer deduplicates findings
//! and a backend file's deviation explains fuzzed tokens that exercise the same thing
//! (`exercises = ["iat-*"]`).

use super::{mask_placeholders, Member, Mutation};
use crate::cases::{AlterOp, HmacKey};
use serde_json::Value;

/// The clock labels evaluate templates at (any fixed value: only signs relative to it matter).
const LABEL_NOW: i64 = 1_764_350_000;

/// The labels of one mutation.
pub fn exercises(m: &Mutation) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match m {
        Mutation::Alg(a) => out.push(format!("alg-{}", a.to_ascii_lowercase())),
        Mutation::Key(k) => out.push(format!("key-{k}")),
        Mutation::KeyType(t) => out.push(format!("key-type-{t}")),
        Mutation::Header(m) => header_labels(m, &mut out),
        Mutation::DuplicateHeader(m) => {
            out.push("header-duplicate".into());
            header_labels(m, &mut out);
        }
        Mutation::TamperHeader(m) => {
            out.push("tampered-header".into());
            header_labels(m, &mut out);
        }
        Mutation::RemoveHeader(n) => out.push(match n.as_str() {
            "alg" | "kid" | "typ" => format!("{n}-missing"),
            _ => "header-removed".into(),
        }),
        Mutation::HeaderRaw(t) => {
            out.push("header-raw".into());
            raw_labels(Raw::Header, t, &evaluate(t), &mut out);
        }
        Mutation::HeaderSegment(t) => segment_labels(Raw::Header, t, &mut out),
        Mutation::Claim(m) => claim_labels(m, &mut out),
        Mutation::DuplicateClaim(m) => {
            out.push("claim-duplicate".into());
            claim_labels(m, &mut out);
        }
        Mutation::TamperClaim(m) => {
            out.push("tampered-claims".into());
            claim_labels(m, &mut out);
        }
        Mutation::RemoveClaim(n) => out.push(match n.as_str() {
            "iss" | "sub" | "aud" | "exp" | "nbf" | "iat" | "jti" => format!("{n}-missing"),
            _ => "claim-removed".into(),
        }),
        Mutation::ClaimsRaw(t) => {
            out.push("claims-raw".into());
            raw_labels(Raw::Claims, t, &evaluate(t), &mut out);
        }
        Mutation::ClaimsSegment(t) => segment_labels(Raw::Claims, t, &mut out),
        Mutation::HmacKey(h) => match h {
            HmacKey::Public(e) => {
                out.push("alg-confusion".into());
                out.push(format!("hmac-{}", e.name()));
            }
            HmacKey::Empty => out.push("hmac-empty".into()),
            HmacKey::Text(_) => out.push("hmac-text".into()),
        },
        Mutation::Signature(op) => out.push(format!("sig-{}", word(&op.to_string()))),
        Mutation::Alter(op) => out.push(match op {
            AlterOp::Segments(n) if *n == 5 => "jwe-shaped".into(),
            AlterOp::Segments(n) => format!("segments-{n}"),
            AlterOp::Dots(_) => "dots".into(),
            AlterOp::PadTo(_) => "oversized".into(),
            AlterOp::Replace(_) => "replaced".into(),
            op => op.to_string(),
        }),
        Mutation::Trust(t) => out.push(format!("trust-{t}")),
    }
    out
}

/// Which segment a raw text replaces.
#[derive(Clone, Copy, PartialEq)]
enum Raw {
    Header,
    Claims,
}

/// Labels of a raw header or claims segment (base64url): `header-segment` / `claims-segment`,
/// `…-invalid-utf8` when its bytes are not UTF-8, and the labels of its text ([`raw_labels`]).
fn segment_labels(kind: Raw, segment: &str, out: &mut Vec<String>) {
    let name = match kind {
        Raw::Header => "header",
        Raw::Claims => "claims",
    };
    out.push(format!("{name}-segment"));
    if let Ok(bytes) = crate::jose::b64::decode(segment) {
        if std::str::from_utf8(&bytes).is_err() {
            out.push(format!("{name}-invalid-utf8"));
        }
        raw_labels(kind, "", &String::from_utf8_lossy(&bytes), out);
    }
}

/// Labels of a raw header or claims text (`template`: the text before its placeholders were
/// evaluated into `text`, empty for a decoded segment): how it fails to be one strict JSON
/// object (`claims-trailing-comma`, `claims-trailing` for text after the value, `claims-not-json`,
/// `claims-not-object`, `claim-duplicate` for a repeated member name; `header-…` alike),
/// `claims-empty` for `{}`, and for a header what its `alg` is (`alg-missing`, `alg-none`,
/// `alg-spelling` for a literal alg, where the template does not take the policy's `${alg}`).
fn raw_labels(kind: Raw, template: &str, text: &str, out: &mut Vec<String>) {
    use crate::jose::json::{parse_object, parse_object_lenient, JsonError};
    let (segment, member) = match kind {
        Raw::Header => ("header", "header"),
        Raw::Claims => ("claims", "claim"),
    };
    match parse_object(text.as_bytes()) {
        Ok(_) => {}
        Err(JsonError::Duplicate(_)) => out.push(format!("{member}-duplicate")),
        Err(JsonError::NotObject) => out.push(format!("{segment}-not-object")),
        Err(JsonError::Syntax(e)) if e.contains("trailing comma") => {
            out.push(format!("{segment}-trailing-comma"))
        }
        Err(JsonError::Syntax(_)) if trailing_after_value(text) => {
            out.push(format!("{segment}-trailing"))
        }
        Err(JsonError::Syntax(_)) => out.push(format!("{segment}-{}", not_json_kind(text))),
    }
    let object = parse_object_lenient(text.as_bytes()).ok();
    if kind == Raw::Claims {
        if object.as_ref().is_some_and(|o| o.is_empty()) {
            out.push("claims-empty".into());
        }
        // The dates the text carries, labelled as if set one by one (`exp-huge`).
        for (name, value) in object.iter().flatten() {
            if matches!(name.as_str(), "exp" | "nbf" | "iat") {
                claim_labels(&Member::new(name, &value.to_string()), out);
            }
        }
        return;
    }
    let Some(object) = object else {
        return;
    };
    let label = match object.get("alg") {
        None => "alg-missing".to_string(),
        Some(Value::String(_)) if template.contains("${alg}") => return,
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("none") => "alg-none".into(),
        Some(Value::String(_)) => "alg-spelling".into(),
        Some(v) => format!("alg-{}", type_word(v)),
    };
    out.push(label);
}

/// What makes a text that is not JSON so, where a common lax reader would take it: `nan`
/// (JavaScript's `NaN`, `Infinity`), `comment` (`/* … */`, `// …`), else `not-json`.
fn not_json_kind(text: &str) -> &'static str {
    let parses = |t: &str| serde_json::from_str::<Value>(t).is_ok();
    let constants = text
        .replace("-Infinity", "0")
        .replace("Infinity", "0")
        .replace("NaN", "0");
    if parses(&constants) {
        return "nan";
    }
    let mut uncommented = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*").or_else(|| rest.find("//")) {
        uncommented.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = if rest[i..].starts_with("/*") {
            after.find("*/").map_or(after.len(), |e| e + 2)
        } else {
            after.find('\n').unwrap_or(after.len())
        };
        rest = &after[end..];
    }
    uncommented.push_str(rest);
    if uncommented != text && parses(&uncommented) {
        return "comment";
    }
    "not-json"
}

/// Whether JSON text is one JSON value followed by more text (`{…}{…}`): what a reader that
/// stops after the first value takes for the whole.
fn trailing_after_value(text: &str) -> bool {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    matches!(values.next(), Some(Ok(_))) && values.next().is_some()
}

/// The sorted, deduplicated labels of a mutation list.
pub fn labels_of(mutations: &[Mutation]) -> Vec<String> {
    let mut out: Vec<String> = mutations.iter().flat_map(exercises).collect();
    out.sort();
    out.dedup();
    out
}

/// The operation word without its argument (`truncate:3` → `truncate`).
fn word(op: &str) -> &str {
    op.split(':').next().unwrap_or(op)
}

/// The JSON value of a member with its placeholders read at [`LABEL_NOW`] (`None`: not JSON).
pub(super) fn value_of(m: &Member) -> Option<Value> {
    serde_json::from_str(&evaluate(m.value())).ok()
}

/// Template text with its integer placeholders evaluated at [`LABEL_NOW`] (leeway 60) and every
/// other placeholder read as `0`.
fn evaluate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("${") {
        out.push_str(&rest[..pos].replace("$$", "$"));
        let body = &rest[pos + 2..];
        let Some(end) = body.find('}') else {
            out.push_str(body);
            return out;
        };
        out.push_str(&integer(&body[..end]).map_or("0".into(), |v| v.to_string()));
        rest = &body[end + 1..];
    }
    out.push_str(&rest.replace("$$", "$"));
    out
}

/// An integer placeholder expression (`now-leeway-1`) at [`LABEL_NOW`].
fn integer(expr: &str) -> Option<i64> {
    let mut sum = 0i64;
    let mut sign = 1i64;
    let mut term = String::new();
    for c in expr.chars().chain(std::iter::once('+')) {
        if (c == '+' || c == '-') && !term.trim().is_empty() {
            let v = match term.trim() {
                "now" => LABEL_NOW,
                "leeway" => 60,
                "exp" => LABEL_NOW + 3600,
                n => n.parse::<i64>().ok()?,
            };
            sum += sign * v;
            term.clear();
            sign = if c == '+' { 1 } else { -1 };
        } else if c == '-' {
            sign = -sign;
        } else if c != '+' {
            term.push(c);
        }
    }
    Some(sum)
}

/// The JSON type of a value as a label word.
fn type_word(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Flags shared by header and claims members: escaped names, Unicode, nesting.
fn member_flags(m: &Member, out: &mut Vec<String>) {
    let plain = serde_json::to_string(m.decoded_name()).unwrap_or_default();
    if mask_placeholders(m.name()) != plain {
        out.push("escaped-name".into());
    }
    if m.value().contains("\\u") || !m.value().is_ascii() {
        out.push("unicode".into());
    }
    if m.value().contains("repeat([") || m.value().contains("repeat({") {
        out.push("nested".into());
    }
    // An empty or blank value of a registered member (`crit-empty`, `nbf-empty`): what readers
    // that treat empty as absent (jjwt's ParameterMap) skip.
    const REGISTERED: [&str; 17] = [
        "alg", "kid", "typ", "cty", "crit", "jku", "x5u", "x5c", "jwk", "b64", "iss", "sub", "aud",
        "exp", "nbf", "iat", "jti",
    ];
    let empty = match value_of(m) {
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    };
    if empty && REGISTERED.contains(&m.decoded_name()) {
        out.push(format!("{}-empty", m.decoded_name()));
    }
}

fn header_labels(m: &Member, out: &mut Vec<String>) {
    member_flags(m, out);
    let name = m.decoded_name().to_string();
    let v = value_of(m);
    let label = match (name.as_str(), &v) {
        ("alg", Some(Value::String(s))) if s.trim().eq_ignore_ascii_case("none") => {
            "alg-none".into()
        }
        ("alg", Some(Value::String(s))) => {
            // A registered name in other letter case (`rs256`): what case-insensitive
            // comparisons take for the name.
            let t = s.trim();
            let mut registered = crate::jose::alg::ALL_ALGS.iter().map(|a| a.name());
            if registered.clone().any(|n| n.eq_ignore_ascii_case(t)) && !registered.any(|n| n == t)
            {
                out.push("alg-case".into());
            }
            "alg-spelling".into()
        }
        ("kid", Some(Value::String(s))) if s.contains(['/', '\\']) || s.contains("..") => {
            "kid-path".into()
        }
        ("kid", Some(Value::String(s)))
            if s.contains(['\'', '"', ';', '|', '$', '`', '&', '<', '>', '\0']) =>
        {
            "kid-injection".into()
        }
        ("kid", Some(Value::String(_))) => "kid-value".into(),
        ("crit", Some(v)) => {
            out.push("crit-present".into());
            format!("crit-{}", type_word(v))
        }
        ("crit", None) => "crit-present".into(),
        ("b64", Some(v)) => format!("b64-{v}"),
        ("typ" | "cty", Some(Value::String(_))) => format!("{name}-value"),
        ("jwk", _) => "jwk-embedded".into(),
        ("jku" | "x5u" | "x5c", _) => name.clone(),
        ("x5t" | "x5t#S256", _) => "x5t".into(),
        ("alg" | "kid" | "typ" | "cty", Some(v)) => format!("{name}-{}", type_word(v)),
        ("alg" | "kid" | "typ" | "cty", None) => format!("{name}-raw"),
        _ => "header-extra".into(),
    };
    out.push(label);
}

fn claim_labels(m: &Member, out: &mut Vec<String>) {
    member_flags(m, out);
    let name = m.decoded_name().to_string();
    let v = value_of(m);
    let label = match (name.as_str(), &v) {
        ("exp" | "nbf" | "iat", Some(Value::Number(n))) => {
            let text = mask_placeholders(m.value());
            // 0 in any spelling (`-0`, `0.0`), which some libraries read as "never expires"
            // (time/exp-zero).
            if n.as_f64() == Some(0.0) {
                out.push(format!("{name}-zero"));
            }
            // Beyond 10^11 s (the year 5138) no real date lies: the range where date libraries
            // overflow.
            if text.contains(['e', 'E']) || n.as_f64().is_some_and(|f| f.abs() > 1e11) {
                format!("{name}-huge")
            } else if n.as_f64().is_some_and(|f| f < 0.0) {
                format!("{name}-negative")
            } else if !(n.is_i64() || n.is_u64()) {
                format!("{name}-float")
            } else if n.as_i64().is_some_and(|t| t <= LABEL_NOW) {
                // exp = now - leeway: the first instant of expiry (time/exp-boundary-at-leeway).
                if name == "exp" && n.as_i64() == Some(LABEL_NOW - 60) {
                    out.push("exp-at-leeway".into());
                }
                format!("{name}-past")
            } else {
                format!("{name}-future")
            }
        }
        // A value no JSON reader takes before the forge expands it: a nested array or object
        // (`${repeat([,64)}…`), else a number too long to write out.
        ("exp" | "nbf" | "iat", None) if m.value().starts_with("${repeat([") => {
            format!("{name}-array")
        }
        ("exp" | "nbf" | "iat", None) if m.value().starts_with("${repeat({") => {
            format!("{name}-object")
        }
        ("exp" | "nbf" | "iat", None) => format!("{name}-huge"),
        ("exp" | "nbf" | "iat", Some(Value::String(t))) => {
            // What the string holds: a library that reads it as a number sees that time.
            out.push(match t.trim().parse::<f64>() {
                Ok(v) if v.is_nan() => format!("{name}-string-text"),
                Ok(v) if v <= LABEL_NOW as f64 => format!("{name}-string-past"),
                Ok(_) => format!("{name}-string-future"),
                Err(_) if t.is_empty() => format!("{name}-string-empty"),
                Err(_) => format!("{name}-string-text"),
            });
            format!("{name}-string")
        }
        ("iss" | "sub" | "jti" | "aud", Some(Value::String(_))) => format!("{name}-value"),
        ("aud", Some(Value::Array(items))) if items.iter().all(Value::is_string) => {
            "aud-array".into()
        }
        ("aud", Some(Value::Array(_))) => "aud-array-mixed".into(),
        ("exp" | "nbf" | "iat" | "iss" | "sub" | "jti" | "aud", Some(v)) => {
            format!("{name}-{}", type_word(v))
        }
        ("iss" | "sub" | "jti" | "aud", None) => format!("{name}-raw"),
        (n, _) if !n.is_ascii() => "claim-lookalike".into(),
        _ => "claim-extra".into(),
    };
    out.push(label);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(n: &str, v: &str) -> Mutation {
        Mutation::Claim(Member::new(n, v))
    }

    #[test]
    fn labels_name_what_is_exercised() {
        assert_eq!(
            exercises(&claim("exp", "\"${exp}\"")),
            ["exp-string-future", "exp-string"]
        );
        assert_eq!(
            exercises(&claim("nbf", "\"\"")),
            ["nbf-empty", "nbf-string-empty", "nbf-string"]
        );
        assert_eq!(exercises(&claim("iat", "[]")), ["iat-empty", "iat-array"]);
        let alg = Mutation::Header(Member::new("alg", "\"rs256\""));
        assert_eq!(exercises(&alg), ["alg-case", "alg-spelling"]);
        let alg = Mutation::Header(Member::new("alg", "\"RS257\""));
        assert_eq!(exercises(&alg), ["alg-spelling"]);
        let crit = Mutation::Header(Member::new("crit", "{}"));
        assert_eq!(
            exercises(&crit),
            ["crit-empty", "crit-present", "crit-object"]
        );
        assert_eq!(exercises(&claim("x", "[]")), ["claim-extra"]);
        let raw = |t: &str| exercises(&Mutation::ClaimsRaw(t.into()));
        assert_eq!(
            raw("{\"exp\":${exp},}"),
            ["claims-raw", "claims-trailing-comma"]
        );
        assert_eq!(raw("{\"exp\":NaN}"), ["claims-raw", "claims-nan"]);
        assert_eq!(raw("{\"exp\":1 /* x */}"), ["claims-raw", "claims-comment"]);
        assert_eq!(raw("{\"exp\":1 // x\n}"), ["claims-raw", "claims-comment"]);
        assert_eq!(raw("{\"exp\":0x1}"), ["claims-raw", "claims-not-json"]);
        assert_eq!(
            raw("{\"exp\":1,\"exp\":${exp}}"),
            ["claims-raw", "claim-duplicate", "exp-future"]
        );
        assert_eq!(raw("[1]"), ["claims-raw", "claims-not-object"]);
        assert_eq!(
            raw("{\"sub\":\"a\",\"exp\":-9223372036854775808}"),
            ["claims-raw", "exp-huge"]
        );
        let header = |t: &str| exercises(&Mutation::HeaderRaw(t.into()));
        assert_eq!(
            header("{\"alg\":\"${alg}\",}"),
            ["header-raw", "header-trailing-comma"]
        );
        assert_eq!(header("{\"alg\":\"none\"}"), ["header-raw", "alg-none"]);
        assert_eq!(
            header("{\"alg\":\"RSA-OAEP\"}"),
            ["header-raw", "alg-spelling"]
        );
        assert_eq!(header("{\"typ\":\"JWT\"}"), ["header-raw", "alg-missing"]);
        assert_eq!(
            exercises(&Mutation::HeaderSegment("e30".into())),
            ["header-segment", "alg-missing"]
        );
        assert_eq!(
            exercises(&claim("exp", "${now-leeway}")),
            ["exp-at-leeway", "exp-past"]
        );
        assert_eq!(exercises(&claim("exp", "0")), ["exp-zero", "exp-past"]);
        assert_eq!(exercises(&claim("exp", "-0")), ["exp-zero", "exp-float"]);
        assert_eq!(exercises(&claim("exp", "{}")), ["exp-empty", "exp-object"]);
        assert_eq!(exercises(&claim("iat", "71075698002728")), ["iat-huge"]);
        assert_eq!(
            exercises(&Mutation::ClaimsSegment("e30".into())),
            ["claims-segment", "claims-empty"]
        );
        // {"sub":"\xff\xfe"}: not UTF-8, found against json-jwt.
        assert_eq!(
            exercises(&Mutation::ClaimsSegment("eyJzdWIiOiL__iJ9".into())),
            ["claims-segment", "claims-invalid-utf8"]
        );
        assert_eq!(
            exercises(&Mutation::Alter(AlterOp::JsonFlattened)),
            ["json-flattened"]
        );
        assert_eq!(exercises(&claim("exp", "${now-leeway-600}")), ["exp-past"]);
        assert_eq!(exercises(&claim("nbf", "${now+3600}")), ["nbf-future"]);
        assert_eq!(exercises(&claim("exp", "${exp}.5")), ["exp-float"]);
        assert_eq!(exercises(&claim("exp", "1e400")), ["exp-huge"]);
        assert_eq!(
            exercises(&Mutation::ClaimsRaw("{\"exp\":${exp}}{}".into())),
            ["claims-raw", "claims-trailing"]
        );
        assert_eq!(
            exercises(&Mutation::ClaimsRaw("{\"exp\":${exp}} ".into())),
            ["claims-raw", "exp-future"]
        );
        assert_eq!(
            exercises(&claim("exp", "\"${exp}.0\"")),
            ["exp-string-future", "exp-string"]
        );
        assert_eq!(
            exercises(&claim("exp", "${repeat([,64)}${exp}${repeat(],64)}")),
            ["nested", "exp-array"]
        );
        let crit = Mutation::Header(Member::new("crit", "null"));
        assert_eq!(exercises(&crit), ["crit-present", "crit-null"]);
        let kid = Mutation::Header(Member::new("kid", "\"../../dev/null\""));
        assert_eq!(exercises(&kid), ["kid-path"]);
        let dup = Mutation::DuplicateClaim(Member::raw_name("\"\\u0065xp\"", "1"));
        assert_eq!(
            exercises(&dup),
            ["claim-duplicate", "escaped-name", "exp-past"]
        );
        assert_eq!(integer("now-leeway-1"), Some(LABEL_NOW - 61));
        assert_eq!(integer("-3600+now"), Some(LABEL_NOW - 3600));
    }
}
