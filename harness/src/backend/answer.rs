//! Reading an adapter's answer line (docs/PROTOCOL.md): the members the harness uses (`id`,
//! `verdict`, `reason`, `detail`) are taken out and the rest, the optional `claims`, is dropped.
//! An answer that is not JSON, names another id or has no valid verdict is an error, which makes
//! the case `broken`.

use super::Outcome;
use crate::cases::Reason;
use serde_json::Value;

/// The members of an answer the harness reads; the rest (the optional `claims`) is dropped.
struct Answer {
    id: Option<String>,
    /// The `id` as written, when it is not a string.
    other_id: Option<String>,
    verdict: Option<String>,
    /// `Ok(name)` for a string reason, `Err(text)` for any other value, `None` when absent or
    /// null.
    reason: Option<Result<String, String>>,
    detail: String,
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
        }
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
        Err(e) => Err(not_json(&e)),
    }
}

/// Parses one response line.
pub(crate) fn parse_response(line: &[u8], want_id: &str) -> Result<Outcome, String> {
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
    match a.verdict.as_deref() {
        Some("accept") => Ok(Outcome::Accept),
        Some("unsupported") => Ok(Outcome::Unsupported(detail)),
        Some("reject") => {
            let (reason, detail) = match a.reason {
                None => (None, detail),
                Some(Ok(r)) => match Reason::parse(&r) {
                    Some(r) => (Some(r), detail),
                    None => (None, format!("unknown reason {r:?}; {detail}")),
                },
                Some(Err(other)) => (None, format!("reason is not a string: {other}; {detail}")),
            };
            Ok(Outcome::Reject { reason, detail })
        }
        other => Err(format!("response has no valid verdict: {other:?}")),
    }
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
}
