//! Reading an adapter's answer line (docs/PROTOCOL.md): the members the harness uses (`id`,
//! `verdict`, `reason`, `detail`, and of the optional `claims` the identity claims `sub`, `iss`
//! and `aud`) are taken out and the rest is dropped. An answer that is not JSON, names another
//! id or has no valid verdict is an error, which makes the case `broken`.

use super::Outcome;
use crate::cases::Reason;
use serde_json::{Map, Value};

/// The claims of an accept answer the harness compares with the token's
/// ([`crate::identity::reported_differs`]).
pub(crate) const IDENTITY_CLAIMS: [&str; 3] = ["sub", "iss", "aud"];

/// The members of an answer the harness reads; the rest is dropped.
struct Answer {
    id: Option<String>,
    /// The `id` as written, when it is not a string.
    other_id: Option<String>,
    verdict: Option<String>,
    /// `Ok(name)` for a string reason, `Err(text)` for any other value, `None` when absent or
    /// null.
    reason: Option<Result<String, String>>,
    detail: String,
    /// The identity claims of `claims` ([`IDENTITY_CLAIMS`]), when `claims` is an object.
    claims: Option<Map<String, Value>>,
}

impl Answer {
    fn of(v: &Value) -> Answer {
        let short = |v: &Value| v.to_string().chars().take(80).collect::<String>();
        Answer {
            id: v.get("id").and_then(Value::as_str).map(str::to_string),
            other_id: v.get("id").filter(|i| !i.is_string()).map(short),
            verdict: v.get("verdict").and_then(Value::as_str).map(str::to_string),
            reason: match v.get("reason") {
                None | Some(Value::Null) => None,
                Some(Value::String(r)) => Some(Ok(r.clone())),
                Some(other) => Some(Err(short(other))),
            },
            detail: v
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .take(500)
                .collect(),
            claims: v.get("claims").and_then(Value::as_object).map(|c| {
                IDENTITY_CLAIMS
                    .iter()
                    .filter_map(|k| Some((k.to_string(), c.get(*k).filter(|v| flat(v))?.clone())))
                    .collect()
            }),
        }
    }
}

/// A scalar, or an array of scalars: the shapes an identity claim is compared in. A nested
/// value (which may be deep, read on the large-stack thread) is not kept.
fn flat(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|e| !e.is_array() && !e.is_object()),
        Value::Object(_) => false,
        _ => true,
    }
}

/// Reads an answer line as JSON. A line nested deeper than serde_json's default limit (an
/// adapter echoing the claims of a deeply nested token) is read again, and dropped, on a thread
/// with a large stack.
fn read_answer(line: &[u8]) -> Result<Answer, String> {
    let not_json = |e: &dyn std::fmt::Display| {
        let shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
        format!("response is not JSON ({e}): {shown:?}")
    };
    match serde_json::from_slice::<Value>(line) {
        Ok(v) => Ok(Answer::of(&v)),
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            let owned = line.to_vec();
            let deep = std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn(move || {
                    let mut de = serde_json::Deserializer::from_slice(&owned);
                    de.disable_recursion_limit();
                    let v = <Value as serde::Deserialize>::deserialize(&mut de)
                        .and_then(|v| de.end().map(|()| v))
                        .map_err(|e| e.to_string())?;
                    Ok::<Answer, String>(Answer::of(&v))
                })
                .map_err(|e| not_json(&e))?
                .join()
                .map_err(|_| not_json(&"nesting too deep"))?;
            deep.map_err(|e| not_json(&e))
        }
        Err(e) => match lone_surrogates_replaced(line) {
            Some(fixed) => read_answer(&fixed),
            None => Err(not_json(&e)),
        },
    }
}

/// The line with every `\u` escape of a lone UTF-16 surrogate replaced by `\uFFFD`, or `None`
/// when it has none. RFC 8259 §8.2 lets JSON text carry them (a library may accept a token whose
/// claims hold one, and Python's and JavaScript's serializers write it back as is), but serde_json
/// refuses to read them into a string: the answer is read with U+FFFD in their place.
pub(crate) fn lone_surrogates_replaced(line: &[u8]) -> Option<Vec<u8>> {
    let unit = |at: usize| -> Option<u16> {
        let hex = line.get(at..at + 6)?;
        if &hex[..2] != b"\\u" {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let (mut out, mut i, mut changed) = (Vec::with_capacity(line.len()), 0, false);
    while i < line.len() {
        if line[i] != b'\\' {
            out.push(line[i]);
            i += 1;
            continue;
        }
        match unit(i) {
            Some(0xD800..=0xDBFF) if matches!(unit(i + 6), Some(0xDC00..=0xDFFF)) => {
                out.extend_from_slice(&line[i..i + 12]);
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.extend_from_slice(b"\\uFFFD");
                changed = true;
                i += 6;
            }
            // Any other escape: the backslash and the byte after it (an escaped backslash is not
            // the start of another escape).
            _ => {
                out.extend_from_slice(&line[i..(i + 2).min(line.len())]);
                i += 2;
            }
        }
    }
    changed.then_some(out)
}

/// Parses one response line.
pub(crate) fn parse_response(line: &[u8], want_id: &str) -> Result<Outcome, String> {
    parse_answer(line, want_id).map(|(o, _)| o)
}

/// Parses one response line: the outcome and, for an accept that reported them, the identity
/// claims the library returned ([`IDENTITY_CLAIMS`]).
pub(crate) fn parse_answer(
    line: &[u8],
    want_id: &str,
) -> Result<(Outcome, Option<Map<String, Value>>), String> {
    let a = read_answer(line)?;
    if a.id.as_deref() != Some(want_id) {
        let got = match (&a.id, &a.other_id) {
            (Some(id), _) => format!("{id:?}"),
            (None, Some(other)) => other.clone(),
            (None, None) => "no id".to_string(),
        };
        return Err(format!("response has id {got}, expected {want_id:?}"));
    }
    let detail = a.detail;
    let outcome = match a.verdict.as_deref() {
        Some("accept") => return Ok((Outcome::Accept, a.claims)),
        Some("unsupported") => Outcome::Unsupported(detail),
        Some("reject") => {
            let (reason, detail) = match a.reason {
                None => (None, detail),
                Some(Ok(r)) => match Reason::parse(&r) {
                    Some(r) => (Some(r), detail),
                    None => (None, format!("unknown reason {r:?}; {detail}")),
                },
                Some(Err(other)) => (None, format!("reason is not a string: {other}; {detail}")),
            };
            Outcome::Reject { reason, detail }
        }
        other => return Err(format!("response has no valid verdict: {other:?}")),
    };
    Ok((outcome, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_responses_strictly() {
        let ok = parse_response(
            br#"{"id":"x","verdict":"reject","reason":"expired","detail":"d"}"#,
            "x",
        );
        assert_eq!(ok, Ok(Outcome::reject(Reason::Expired, "d")));
        assert!(parse_response(br#"{"id":"y","verdict":"accept"}"#, "x").is_err());
        assert!(parse_response(b"garbage", "x").is_err());
        assert!(parse_response(br#"{"id":"x","verdict":"maybe"}"#, "x").is_err());
        let odd = parse_response(br#"{"id":"x","verdict":"reject","reason":"weird"}"#, "x");
        assert!(matches!(odd, Ok(Outcome::Reject { reason: None, .. })));
        // An adapter echoing the claims of a deeply nested token is still answering.
        let deep = format!(
            r#"{{"id":"x","verdict":"accept","claims":{{"a":{}1{}}}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(parse_response(deep.as_bytes(), "x"), Ok(Outcome::Accept));
        let e = parse_response(br#"{"id":7,"verdict":"accept"}"#, "x").unwrap_err();
        assert!(e.contains("id 7"), "{e}");
    }

    #[test]
    fn reads_answers_with_lone_surrogates() {
        let line = br#"{"id":"x","verdict":"accept","claims":{"sub":"a\ud800b","iss":"\udc00","aud":"\ud83d\ude00","x":"\\ud800"}}"#;
        let (o, claims) = parse_answer(line, "x").unwrap();
        assert_eq!(o, Outcome::Accept);
        let claims = claims.unwrap();
        assert_eq!(claims["sub"], "a\u{fffd}b");
        assert_eq!(claims["iss"], "\u{fffd}");
        assert_eq!(claims["aud"], "\u{1f600}");
        assert!(parse_answer(br#"{"id":"x","verdict":"accept","claims":"\ud800"#, "x").is_err());
    }

    #[test]
    fn keeps_the_identity_claims_of_an_accept() {
        let line =
            br#"{"id":"x","verdict":"accept","claims":{"sub":"a","aud":["b"],"exp":1,"x":{}}}"#;
        let (o, claims) = parse_answer(line, "x").unwrap();
        assert_eq!(o, Outcome::Accept);
        let claims = claims.unwrap();
        assert_eq!(claims.len(), 2);
        assert_eq!(claims["sub"], "a");
        assert_eq!(claims["aud"], serde_json::json!(["b"]));
        // No claims, claims that are not an object, and claims beside a reject: nothing kept.
        for line in [
            &br#"{"id":"x","verdict":"accept"}"#[..],
            br#"{"id":"x","verdict":"accept","claims":[1]}"#,
            br#"{"id":"x","verdict":"reject","reason":"expired","claims":{"sub":"a"}}"#,
        ] {
            assert_eq!(parse_answer(line, "x").unwrap().1, None);
        }
    }
}
