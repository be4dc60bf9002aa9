//! What a gateway forwards: the identity an upstream receives after the gateway accepted a token.
//!
//! A gateway that validates a token usually tells its upstream who the caller is, in a header:
//! Envoy's `forward_payload_header` and a `set-header` rule in HAProxy pass the token's payload
//! segment (base64url), mod_auth_openidc passes one `OIDC_CLAIM_<name>` header per claim,
//! mod_oauth2 one `<prefix><name>` header per claim, a service its own `X-User`. The upstream
//! trusts that header, so two things must hold for every accepted request:
//!
//! - the identity it names is the one the token carried: the token's `sub` as a JSON parser that
//!   keeps the lexically last duplicate reads it (RFC 7519 §4: a JWT with duplicate claim names
//!   is rejected or read that way), not an earlier duplicate or a re-typed value;
//! - a client-supplied header of the same name is removed or overwritten, never passed on next
//!   to (or instead of) the gateway's: otherwise any holder of one valid token can name any
//!   identity.
//!
//! The target declares which header carries the identity ([`Identity`], backend files'
//! `identity = "payload:x-jwt-payload"` or `"sub:x-user"`, `run --identity`), and its upstream
//! answers with the JSON of `gateways/echo.py`: `{"headers": {name: value or [values]}}` with
//! lower-cased names. [`check`] compares every value the upstream received under that name
//! with the token's `sub`. This module reads JSON with serde_json, not the oracle's strict
//! reader: it must read tokens the way a lenient upstream does (last duplicate wins), and the
//! echo's answer is not under test.

use crate::jose::b64;
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// The header an upstream receives the caller's identity in, and its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The token's payload segment, base64url (`payload:x-jwt-payload`).
    Payload(String),
    /// The `sub` claim's value as text (`sub:x-user`, `sub:oidc_claim_sub`).
    Sub(String),
}

impl Identity {
    /// The header's name, lower case (as the echo upstream lists it).
    pub fn header(&self) -> &str {
        match self {
            Identity::Payload(h) | Identity::Sub(h) => h,
        }
    }
}

impl FromStr for Identity {
    type Err = String;

    fn from_str(s: &str) -> Result<Identity, String> {
        let (kind, header) = s.split_once(':').ok_or_else(|| {
            format!("identity {s:?}: expected payload:HEADER or sub:HEADER (e.g. sub:x-user)")
        })?;
        let header = header.trim().to_ascii_lowercase();
        let valid = !header.is_empty()
            && header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if !valid {
            return Err(format!("identity {s:?}: {header:?} is not a header name"));
        }
        match kind.trim() {
            "payload" => Ok(Identity::Payload(header)),
            "sub" => Ok(Identity::Sub(header)),
            other => Err(format!(
                "identity {s:?}: {other:?} is neither payload nor sub"
            )),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Payload(h) => write!(f, "payload:{h}"),
            Identity::Sub(h) => write!(f, "sub:{h}"),
        }
    }
}

/// What [`check`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarded {
    /// Every value under the header names the token's `sub` (`n` values).
    Matches(usize),
    /// The header is absent: the upstream learns no identity from it.
    Absent,
    /// The answer is not the echo upstream's JSON: nothing can be checked.
    Unobservable(String),
    /// A value names another identity than the token's: what, in words.
    Differs(String),
}

/// The token's claims as a lenient upstream reads them (the last of duplicate members).
fn token_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&b64::decode_lenient(payload)?).ok()
}

/// A claim value as the text a per-claim header carries (strings bare, others as JSON).
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The identity one header value names, or why it names none.
fn named(identity: &Identity, value: &str) -> Result<Option<Value>, String> {
    match identity {
        Identity::Sub(_) => Ok(Some(Value::String(value.to_string()))),
        Identity::Payload(_) => {
            let claims: Map<String, Value> = b64::decode_lenient(value)
                .and_then(|b| serde_json::from_slice(&b).ok())
                .ok_or_else(|| "a value that is not a base64url JSON object".to_string())?;
            Ok(claims.get("sub").cloned())
        }
    }
}

/// Checks what the upstream received for a request that carried `token` and was accepted.
/// `body` is the upstream's answer as the target passed it on.
pub fn check(identity: &Identity, token: &str, body: &str) -> Forwarded {
    let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(body) else {
        return Forwarded::Unobservable("the answer is not the echo upstream's JSON".into());
    };
    let Some(Value::Object(headers)) = answer.get("headers") else {
        return Forwarded::Unobservable("the echo's answer lists no headers".into());
    };
    let values: Vec<&str> = match headers.get(identity.header()) {
        None => return Forwarded::Absent,
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Forwarded::Unobservable("the echo listed a non-string value".into()),
    };
    let want = token_claims(token).and_then(|c| c.get("sub").cloned());
    let want_text = want.as_ref().map(as_text);
    let header = identity.header();
    let several = if values.len() > 1 {
        format!(
            " ({} values: the upstream cannot tell which is the gateway's)",
            values.len()
        )
    } else {
        String::new()
    };
    for v in &values {
        let got = match named(identity, v) {
            Ok(got) => got,
            Err(e) => return Forwarded::Differs(format!("{header} carried {e}{several}")),
        };
        let same = match (identity, &got, &want) {
            (Identity::Payload(_), g, w) => g == w,
            (Identity::Sub(_), Some(g), _) => Some(as_text(g)) == want_text,
            (Identity::Sub(_), None, _) => false,
        };
        if !same {
            let got = got.map_or("no sub".to_string(), |g| {
                format!("sub {}", shown(&as_text(&g)))
            });
            let want = want_text.map_or("no sub".to_string(), |w| format!("sub {}", shown(&w)));
            return Forwarded::Differs(format!(
                "the upstream received {header} naming {got}, the token carried {want}{several}"
            ));
        }
    }
    Forwarded::Matches(values.len())
}

/// For an external adapter's accept: compares the identity claims the library returned to the
/// application ([`crate::backend::answer::IDENTITY_CLAIMS`], as the adapter reported them) with
/// the token's, read as a lenient parser keeping the last duplicate does (RFC 7519 §4). The
/// first difference, in words: the library hands the application another `sub`, `iss` or `aud`
/// than the one signed (the first of duplicate members, a value re-typed or rounded). Only what
/// the serializers of the adapters' languages change on their own is equal: a number and the same
/// number written otherwise (`1.0`, `1`), an integer written as a string (Perl's JSON::XS for
/// integers over 64 bits), one audience as a string or a one-element array, and an audience
/// array in another order or without repeats.
pub fn reported_differs(token: &str, reported: &Map<String, Value>) -> Option<String> {
    let signed = token_claims(token)?;
    for (name, got) in reported {
        let want = signed.get(name);
        let same = match want {
            Some(want) => same_claim(got, want),
            None => got.is_null(),
        };
        if !same {
            let want = match want {
                Some(w) => format!("whose {name} is {}", shown(&as_text(w))),
                None => format!("without {name}"),
            };
            return Some(format!(
                "the library returned {name} {} for a token {want} (RFC 7519 §4: the last of \
                 duplicate members)",
                shown(&as_text(got))
            ));
        }
    }
    None
}

/// Whether two identity claim values name the same thing (see [`reported_differs`]).
fn same_claim(got: &Value, want: &Value) -> bool {
    let scalar = |a: &Value, b: &Value| match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && s.parse::<f64>().ok() == n.as_f64()
        }
        (a, b) => a == b,
    };
    // An audience array is a set (RFC 7519 §4.1.3): order and repeats do not name another one,
    // and one audience is the same as a string or an array.
    fn items(v: &Value) -> &[Value] {
        match v {
            Value::Array(a) => a,
            v => std::slice::from_ref(v),
        }
    }
    let (g, w) = (items(got), items(want));
    let within = |a: &[Value], b: &[Value]| a.iter().all(|x| b.iter().any(|y| scalar(x, y)));
    within(g, w) && within(w, g)
}

/// A claim value quoted, cut to 40 characters (a report line, not a dump).
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            b64::encode(payload.as_bytes())
        )
    }

    fn echo(name: &str, value: Value) -> String {
        serde_json::json!({"method": "GET", "path": "/", "headers": {name: value}}).to_string()
    }

    #[test]
    fn reported_claims_are_compared_with_the_last_duplicate() {
        let reported = |v: Value| v.as_object().unwrap().clone();
        let t = token(r#"{"sub":"user-1","iss":"i","aud":"a","sub":"admin"}"#);
        // The last duplicate, as the library should read it.
        let last = serde_json::json!({"sub": "admin", "iss": "i", "aud": ["a", "a"]});
        assert_eq!(reported_differs(&t, &reported(last)), None);
        let first = reported(serde_json::json!({"sub": "user-1"}));
        let what = reported_differs(&t, &first).unwrap();
        assert!(
            what.contains("sub \"user-1\"") && what.contains("\"admin\""),
            "{what}"
        );
        // What the adapters' serializers change on their own is the same value.
        let t = token(r#"{"sub":18446744073709551617,"iss":1.0}"#);
        let big = reported(serde_json::json!({"sub": "18446744073709551617", "iss": 1}));
        assert_eq!(reported_differs(&t, &big), None);
        // A re-typed value, a claim the token does not have, and a rounded string are not.
        for r in [
            serde_json::json!({"iss": true}),
            serde_json::json!({"aud": "x"}),
            serde_json::json!({"aud": ["x", "y"]}),
            serde_json::json!({"sub": "1.8446744073709552e19"}),
        ] {
            assert!(reported_differs(&t, &reported(r.clone())).is_some(), "{r}");
        }
    }

    #[test]
    fn identities_parse_and_print() {
        for s in ["payload:x-jwt-payload", "sub:oidc_claim_sub"] {
            assert_eq!(s.parse::<Identity>().unwrap().to_string(), s);
        }
        assert_eq!(
            "sub:X-User".parse::<Identity>().unwrap(),
            Identity::Sub("x-user".into())
        );
        for bad in ["x-user", "claims:x", "sub:", "sub:a b"] {
            assert!(bad.parse::<Identity>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_gateways_sub_matches_and_a_client_value_differs() {
        let t = token(r#"{"sub":"alice","iss":"i"}"#);
        let sub = Identity::Sub("x-user".into());
        assert_eq!(
            check(&sub, &t, &echo("x-user", "alice".into())),
            Forwarded::Matches(1)
        );
        let d = check(&sub, &t, &echo("x-user", "admin".into()));
        assert!(
            matches!(&d, Forwarded::Differs(m) if m.contains("\"admin\"") && m.contains("\"alice\"")),
            "{d:?}"
        );
        // Appended next to the gateway's own value: still a finding.
        let both = check(
            &sub,
            &t,
            &echo("x-user", serde_json::json!(["alice", "admin"])),
        );
        assert!(
            matches!(&both, Forwarded::Differs(m) if m.contains("2 values")),
            "{both:?}"
        );
        assert_eq!(
            check(&sub, &t, &echo("x-other", "x".into())),
            Forwarded::Absent
        );
        assert!(matches!(
            check(&sub, &t, "<html>"),
            Forwarded::Unobservable(_)
        ));
    }

    #[test]
    fn a_forwarded_payload_is_compared_by_its_sub() {
        let t = token(r#"{"sub":"alice"}"#);
        let p = Identity::Payload("x-jwt-payload".into());
        let same = b64::encode(br#"{"sub":"alice","extra":1}"#);
        assert_eq!(
            check(&p, &t, &echo("x-jwt-payload", same.into())),
            Forwarded::Matches(1)
        );
        // Padded standard base64 of the same payload is the same identity.
        let padded = "eyJzdWIiOiJhbGljZSJ9";
        assert_eq!(
            check(&p, &t, &echo("x-jwt-payload", padded.into())),
            Forwarded::Matches(1)
        );
        let forged = b64::encode(br#"{"sub":"admin"}"#);
        assert!(matches!(
            check(&p, &t, &echo("x-jwt-payload", forged.into())),
            Forwarded::Differs(_)
        ));
        assert!(matches!(
            check(&p, &t, &echo("x-jwt-payload", "!!".into())),
            Forwarded::Differs(_)
        ));
    }

    #[test]
    fn duplicate_subs_are_read_lexically_last() {
        let t = token(r#"{"sub":"alice","sub":"mallory"}"#);
        let sub = Identity::Sub("x-user".into());
        assert_eq!(
            check(&sub, &t, &echo("x-user", "mallory".into())),
            Forwarded::Matches(1)
        );
        assert!(matches!(
            check(&sub, &t, &echo("x-user", "alice".into())),
            Forwarded::Differs(_)
        ));
        // A non-string sub forwarded as its JSON text.
        let n = token(r#"{"sub":42}"#);
        assert_eq!(
            check(&sub, &n, &echo("x-user", "42".into())),
            Forwarded::Matches(1)
        );
    }
}
