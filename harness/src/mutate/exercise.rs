//! What a mutation exercises, and who can make the token a mutation list gives.
//!
//! **Labels.** Every mutation has short labels naming what it exercises (`crit-present`,
//! `exp-string`, `alg-confusion`, `kid-path`, `sig-zero`, `jwe-shaped`): the fuzzer
//! deduplicates findings by them and a backend file's deviation can name them
//! (`exercises = ["iat-*"]`) to explain fuzzed tokens that exercise the same thing.
//!
//! **Attacker class** ([`attacker_of`]), the rule docs/DESIGN.md ("Fuzzing validators") states:
//!
//! - `anyone`: the token is not signed by a trusted key, and nothing of a genuine signature is
//!   needed to make it: `key` none, attacker or other-type, any `hmac_key`, signature bytes that
//!   do not depend on a genuine signature (`zero`, `empty`, `bytes:`, `ecdsa-der-zero`, r = s = n),
//!   the signature segment dropped or the whole text replaced, `alg: none` set after signing;
//! - `holder`: made from one genuine token, whatever its content says: edited after signing
//!   (`tamper_*`), a genuine signature transformed (flipped, truncated, DER-encoded, high-s, taken
//!   from another token), signed by the retired key; or signed by a trusted key and differing from
//!   a valid token only in transport-level text (`alter` operations that keep the decoded
//!   content) and in what another token of the same issuer could carry: `exp`, `nbf`, `iat`
//!   numbers, `iss`, `sub` strings, `aud` strings or arrays of strings, a string `kid` or `typ`,
//!   no `iss`, `sub`, `aud`, `nbf`, `iat`, `kid` or `typ`;
//! - `issuer`: everything else a trusted key signs (odd claim types, `crit`, duplicate members,
//!   bytes that are not JSON, an `exp` left out). A token re-signed with a trusted key is at most
//!   `issuer`.

use super::{mask_placeholders, Member, Mutation};
use crate::cases::{
    AlterOp, Attacker, ClaimCheck, HmacKey, Impact, KeyChoice, Reason, SigOp, Trust,
};
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
        Mutation::HeaderRaw(_) => out.push("header-raw".into()),
        Mutation::HeaderSegment(_) => out.push("header-segment".into()),
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
            let text = evaluate(t);
            if empty_object(&text) {
                out.push("claims-empty".into());
            }
            if trailing_after_value(&text) {
                out.push("claims-trailing".into());
            }
        }
        Mutation::ClaimsSegment(t) => {
            out.push("claims-segment".into());
            let decoded = crate::jose::b64::decode(t).ok();
            if decoded.is_some_and(|b| empty_object(&String::from_utf8_lossy(&b))) {
                out.push("claims-empty".into());
            }
        }
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

/// Whether JSON text is one JSON value followed by more text (`{…}{…}`): what a reader that
/// stops after the first value takes for the whole.
fn trailing_after_value(text: &str) -> bool {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    matches!(values.next(), Some(Ok(_))) && values.next().is_some()
}

/// Whether JSON text is an object without members (`{}`): claims that carry nothing.
fn empty_object(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
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
fn value_of(m: &Member) -> Option<Value> {
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
}

fn header_labels(m: &Member, out: &mut Vec<String>) {
    member_flags(m, out);
    let name = m.decoded_name().to_string();
    let v = value_of(m);
    let label = match (name.as_str(), &v) {
        ("alg", Some(Value::String(s))) if s.trim().eq_ignore_ascii_case("none") => {
            "alg-none".into()
        }
        ("alg", Some(Value::String(_))) => "alg-spelling".into(),
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
            // Beyond 10^11 s (the year 5138) no real date lies: the range where date libraries
            // overflow.
            if text.contains(['e', 'E']) || n.as_f64().is_some_and(|f| f.abs() > 1e11) {
                format!("{name}-huge")
            } else if n.as_f64().is_some_and(|f| f < 0.0) {
                format!("{name}-negative")
            } else if !(n.is_i64() || n.is_u64()) {
                format!("{name}-float")
            } else if n.as_i64().is_some_and(|t| t <= LABEL_NOW) {
                // exp = now - leeway: the first instant of expiry (time/exp-boundary-at-leeway);
                // 0, which some libraries read as "never expires" (time/exp-zero).
                if name == "exp" && n.as_i64() == Some(LABEL_NOW - 60) {
                    out.push("exp-at-leeway".into());
                }
                if n.as_i64() == Some(0) {
                    out.push(format!("{name}-zero"));
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

/// Whether a signature operation yields bytes that owe nothing to a genuine signature.
fn free_signature(op: &SigOp) -> bool {
    matches!(
        op,
        SigOp::Zero | SigOp::Empty | SigOp::Bytes(_) | SigOp::EcdsaDerZero
    )
}

/// Whether an `alter` operation keeps the decoded content (transport-level text).
fn transport_level(op: &AlterOp) -> bool {
    !matches!(
        op,
        AlterOp::Replace(_) | AlterOp::DropSignatureSegment | AlterOp::Segments(0..=2)
    )
}

/// Whether a pre-signing content change is one a holder could have been issued: another
/// token of the same issuer (another key of its set, another `typ`, no `kid`), or the claims
/// of one.
fn holder_content(m: &Mutation) -> bool {
    match m {
        Mutation::Key(KeyChoice::Policy | KeyChoice::Second) | Mutation::KeyType(_) => true,
        Mutation::Alter(op) => transport_level(op),
        Mutation::RemoveClaim(n) => matches!(n.as_str(), "iss" | "sub" | "aud" | "nbf" | "iat"),
        Mutation::RemoveHeader(n) => matches!(n.as_str(), "kid" | "typ"),
        Mutation::Header(m) if !m.needs_raw() => {
            let labels = exercises(&Mutation::Header(m.clone()));
            labels
                .iter()
                .all(|l| matches!(l.as_str(), "kid-value" | "typ-value"))
        }
        Mutation::Claim(m) if !m.needs_raw() => {
            let labels = exercises(&Mutation::Claim(m.clone()));
            labels.iter().all(|l| {
                l.ends_with("-past")
                    || l.ends_with("-future")
                    || l.ends_with("-float")
                    || l == "unicode"
                    || matches!(
                        l.as_str(),
                        "iss-value" | "sub-value" | "aud-value" | "aud-array" | "exp-at-leeway"
                    )
            })
        }
        _ => false,
    }
}

/// A mutation that makes the token from a genuine one: an edit after signing, a genuine
/// signature transformed (or taken from another token), the retired key's holder signing.
fn from_genuine(m: &Mutation) -> bool {
    matches!(
        m,
        Mutation::TamperHeader(_)
            | Mutation::TamperClaim(_)
            | Mutation::Signature(_)
            | Mutation::Key(KeyChoice::Retired)
    )
}

/// Who can make the token a mutation list gives, and what an unexpected accept of it gives them
/// (the rule of this module's documentation).
pub fn attacker_of(mutations: &[Mutation]) -> (Attacker, Impact) {
    let none_after = |m: &Member| {
        m.decoded_name() == "alg"
            && matches!(value_of(m), Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("none"))
    };
    let has = |op: SigOp| mutations.contains(&Mutation::Signature(op));
    let free = mutations.iter().any(|m| match m {
        Mutation::Key(k) => matches!(
            k,
            KeyChoice::None | KeyChoice::Attacker | KeyChoice::OtherType
        ),
        Mutation::HmacKey(_) => true,
        Mutation::Signature(op) => free_signature(op),
        Mutation::Alter(op) => !transport_level(op),
        Mutation::TamperHeader(m) => none_after(m),
        _ => false,
    }) || (has(SigOp::EcdsaRN) && has(SigOp::EcdsaSN));
    if free {
        return (Attacker::Anyone, Impact::Forgery);
    }
    if mutations.contains(&Mutation::Trust(Trust::ShortSecret)) {
        return (Attacker::Issuer, Impact::Hygiene);
    }
    // Made from a genuine token whatever its content says: edited after signing, a genuine
    // signature transformed (or taken from another token), the retired key's holder signing.
    let derived = mutations.iter().any(from_genuine);
    // What was signed before that must be a holder's too: a genuine signature transformed over
    // content only the issuer signs needs the issuer's signature on that content.
    let signed_by_holder = mutations.iter().all(|m| {
        from_genuine(m) || m == &Mutation::Trust(Trust::DuplicateKid) || holder_content(m)
    });
    if derived && signed_by_holder {
        return (Attacker::Holder, Impact::Forgery);
    }
    if derived {
        return (Attacker::Issuer, Impact::Confusion);
    }
    let content_ok = mutations.iter().all(|m| match m {
        Mutation::Trust(Trust::DuplicateKid) => true,
        m => holder_content(m),
    });
    if !content_ok {
        return (Attacker::Issuer, Impact::Confusion);
    }
    let claims_changed = mutations
        .iter()
        .any(|m| matches!(m, Mutation::Claim(_) | Mutation::RemoveClaim(_)));
    let impact = if claims_changed {
        Impact::Replay
    } else {
        Impact::Hygiene
    };
    (Attacker::Holder, impact)
}

/// The claim checks that reject a token, from the oracle's rejection: a library that declares
/// every one of them `[[unchecked]]` is not held to them (the finding is `unchecked`).
pub fn checks_for(reason: Reason, detail: &str) -> Vec<ClaimCheck> {
    let named = |d: &str| -> Option<ClaimCheck> {
        let d = d
            .trim_start_matches("required claim ")
            .trim_start_matches('"');
        ["iss", "aud", "sub", "nbf", "iat", "jti"]
            .iter()
            .find(|c| d.starts_with(*c))
            .and_then(|c| c.parse().ok())
    };
    let check = match reason {
        Reason::Issuer => Some(ClaimCheck::Iss),
        Reason::Audience => Some(ClaimCheck::Aud),
        Reason::NotYetValid => Some(ClaimCheck::Nbf),
        Reason::MissingClaim | Reason::ClaimType => named(detail),
        Reason::Other if detail.starts_with("typ must be") => Some(ClaimCheck::Typ),
        _ => None,
    };
    check.into_iter().collect()
}

/// The references a written case cites for the oracle's rejection.
pub fn refs_for(reason: Option<Reason>, labels: &[String]) -> Vec<String> {
    let mut refs = Vec::new();
    let has = |l: &str| labels.iter().any(|x| x == l);
    if has("crit-present") {
        refs.push("RFC 7515 §4.1.11");
    }
    if has("alg-confusion") || has("alg-none") || has("key-none") {
        refs.push("RFC 8725 §3.1");
    }
    if has("claim-duplicate") || has("header-duplicate") {
        refs.push("RFC 7515 §5.2");
    }
    refs.push(match reason {
        Some(Reason::Malformed | Reason::Signature | Reason::Other) | None => "RFC 7515 §5.2",
        Some(Reason::Algorithm) => "RFC 8725 §3.1",
        Some(Reason::Key) => "RFC 7515 §4.1.4",
        Some(Reason::Expired) => "RFC 7519 §4.1.4",
        Some(Reason::NotYetValid) => "RFC 7519 §4.1.5",
        Some(Reason::Issuer) => "RFC 7519 §4.1.1",
        Some(Reason::Audience) => "RFC 7519 §4.1.3",
        Some(Reason::MissingClaim) => "RFC 7519 §4",
        Some(Reason::ClaimType) => "RFC 7519 §2",
    });
    let mut out: Vec<String> = refs.into_iter().map(str::to_string).collect();
    out.dedup();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    /// The rule against the classes the catalog's authors gave: it may differ where the catalog
    /// chose otherwise (the attacker key signing an alg outside the allowlist is `issuer` there),
    /// but it agrees on nine cases in ten.
    #[test]
    fn the_rule_agrees_with_the_catalog_on_most_cases() {
        let catalog = crate::fixtures::Fixtures::Embedded.catalog().unwrap();
        let (mut same, mut total) = (0, 0);
        for c in catalog.cases.iter().filter(|c| c.transport.is_none()) {
            let (Some(a), Some(m)) = (c.attacker, super::super::decompose(c)) else {
                continue;
            };
            total += 1;
            same += usize::from(super::attacker_of(&m).0 == a);
        }
        eprintln!("the rule agrees with the catalog on {same} of {total} cases");
        assert!(total > 400 && same * 100 >= total * 93, "{same} of {total}");
    }

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
            ["nbf-string-empty", "nbf-string"]
        );
        assert_eq!(
            exercises(&claim("exp", "${now-leeway}")),
            ["exp-at-leeway", "exp-past"]
        );
        assert_eq!(exercises(&claim("exp", "0")), ["exp-zero", "exp-past"]);
        assert_eq!(exercises(&claim("iat", "71075698002728")), ["iat-huge"]);
        assert_eq!(
            exercises(&Mutation::ClaimsSegment("e30".into())),
            ["claims-segment", "claims-empty"]
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
            ["claims-raw"]
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

    #[test]
    fn the_attacker_class_follows_the_mutations() {
        use Attacker::*;
        let a = |m: &[Mutation]| attacker_of(m).0;
        assert_eq!(a(&[Mutation::Key(KeyChoice::None)]), Anyone);
        assert_eq!(a(&[Mutation::Signature(SigOp::Zero)]), Anyone);
        assert_eq!(a(&[Mutation::Signature(SigOp::FlipBit)]), Holder);
        assert_eq!(
            a(&[Mutation::TamperClaim(Member::new("sub", "\"admin\""))]),
            Holder
        );
        assert_eq!(a(&[claim("exp", "${now-3600}")]), Holder);
        // A genuine token at the first instant of its expiry is still a holder's; exp 0 is not.
        assert_eq!(a(&[claim("exp", "${now-leeway}")]), Holder);
        assert_eq!(a(&[claim("exp", "0")]), Issuer);
        assert_eq!(a(&[claim("aud", "[\"x\"]")]), Holder);
        assert_eq!(a(&[Mutation::Alter(AlterOp::Pad)]), Holder);
        assert_eq!(a(&[claim("exp", "\"${exp}\"")]), Issuer);
        assert_eq!(
            a(&[Mutation::Header(Member::new("crit", "[\"x\"]"))]),
            Issuer
        );
        assert_eq!(a(&[Mutation::RemoveClaim("exp".into())]), Issuer);
        // Re-signed with a trusted key: at most issuer, whatever else it carries.
        assert_eq!(
            a(&[claim("exp", "\"x\""), Mutation::Alg("HS384".into())]),
            Issuer
        );
        assert_eq!(a(&[claim("aud", "[\"x\", 1]")]), Issuer);
        // Made from a genuine token: a holder's when a holder has such a token, the issuer's when
        // only the issuer signs that content (a flipped padding bit leaves the signature genuine).
        assert_eq!(
            a(&[
                claim("exp", "${now-3600}"),
                Mutation::Signature(SigOp::FlipBit)
            ]),
            Holder
        );
        assert_eq!(
            a(&[claim("exp", "\"x\""), Mutation::Signature(SigOp::FlipBit)]),
            Issuer
        );
        assert_eq!(
            a(&[
                claim("exp", "\"x\""),
                Mutation::TamperClaim(Member::new("sub", "\"a\""))
            ]),
            Issuer
        );
        assert_eq!(
            a(&[Mutation::Header(Member::new("typ", "\"JWT\""))]),
            Holder
        );

        assert_eq!(
            a(&[claim("exp", "\"x\""), Mutation::Key(KeyChoice::Attacker)]),
            Anyone
        );
    }

    #[test]
    fn checks_come_from_the_rejection() {
        assert_eq!(checks_for(Reason::Issuer, ""), [ClaimCheck::Iss]);
        assert_eq!(
            checks_for(Reason::MissingClaim, "required claim \"sub\" is missing"),
            [ClaimCheck::Sub]
        );
        assert_eq!(
            checks_for(Reason::ClaimType, "iat must be a number, got a string"),
            [ClaimCheck::Iat]
        );
        assert!(checks_for(Reason::ClaimType, "exp must be a number").is_empty());
        assert_eq!(
            checks_for(Reason::Other, "typ must be \"at+jwt\", got nothing"),
            [ClaimCheck::Typ]
        );
    }
}
