//! Strict reading of the JSON objects inside a JWS: the protected header and the claims set.
//!
//! RFC 7515 §5.2 and RFC 7519 §4 allow a validator either to reject duplicate member names or to
//! keep only the lexically last; this module rejects them, which is the strict choice. Nesting is
//! bounded by serde_json's recursion limit, so a 10,000-deep document is an error, not a crash.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Why a segment is not a strict JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not valid UTF-8 JSON, or nested too deeply, or a number beyond `f64`.
    Syntax(String),
    /// Valid JSON, but not an object.
    NotObject,
    /// The same member name appears twice.
    Duplicate(String),
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonError::Syntax(e) => write!(f, "invalid JSON: {e}"),
            JsonError::NotObject => write!(f, "JSON value is not an object"),
            JsonError::Duplicate(name) => write!(f, "duplicate member {name:?}"),
        }
    }
}

struct StrictObject(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StrictObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    if map.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("\u{0}dup:{key}")));
                    }
                    map.insert(key, value);
                }
                Ok(StrictObject(map))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Parses bytes as one JSON object, rejecting duplicate member names.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match serde_json::from_slice::<StrictObject>(bytes) {
        Ok(StrictObject(map)) => Ok(map),
        Err(e) => {
            let text = e.to_string();
            if let Some(rest) = text.strip_prefix("\u{0}dup:") {
                let name = rest.split(" at line").next().unwrap_or(rest);
                return Err(JsonError::Duplicate(name.to_string()));
            }
            if e.classify() == serde_json::error::Category::Data {
                return Err(JsonError::NotObject);
            }
            Err(JsonError::Syntax(text))
        }
    }
}

/// Parses bytes as one JSON object the way the most lenient reading RFC 8259 and RFC 7515 allow:
/// a leading UTF-8 byte order mark is ignored (RFC 8259 §8.1 "MAY ignore"), nesting has no depth
/// limit (§9 "may set limits"), and of duplicate members the lexically last wins (RFC 7515 §5.2).
/// Used only to tell a rejection the RFCs require from one they merely permit.
pub fn parse_object_lenient(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    /// Openers up to which a text is parsed on the caller's stack: serde_json's recursion takes
    /// well under a kilobyte per level, and the smallest stack a caller may have (a test thread's
    /// 2 MiB) holds far more than this many levels.
    const SHALLOW: usize = 256;
    let bytes = bytes
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(bytes)
        .to_vec();
    // Nesting is at most as deep as the text has `[` and `{`.
    let openers = bytes.iter().filter(|&&b| b == b'[' || b == b'{').count();
    let parse = move || -> Result<Value, String> {
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        de.disable_recursion_limit();
        let v = serde::Deserialize::deserialize(&mut de).map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(v)
    };
    // Shallow texts (nearly all of them, and the fuzzer reads several per input) parse here;
    // deep nesting recurses deeply, so it parses on a thread whose stack holds 100,000 levels
    // (spawning one per call cost the differential fuzzer a third of its time).
    let value = if openers <= SHALLOW {
        parse().map_err(JsonError::Syntax)?
    } else {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(parse)
            .map_err(|e| JsonError::Syntax(e.to_string()))?
            .join()
            .map_err(|_| JsonError::Syntax("nesting too deep even for the lenient reader".into()))?
            .map_err(JsonError::Syntax)?
    };
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotObject),
    }
}

/// The JSON type of a value, in words.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_objects() {
        assert_eq!(parse_object(br#"{"a":1}"#).unwrap()["a"], 1);
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(JsonError::Duplicate("a".into()))
        );
        assert_eq!(parse_object(b"[1]"), Err(JsonError::NotObject));
        assert_eq!(parse_object(b"null"), Err(JsonError::NotObject));
        assert!(matches!(
            parse_object(b"\xef\xbb\xbf{}"),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(br#"{"e":1e400}"#),
            Err(JsonError::Syntax(_))
        ));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            parse_object(deep.as_bytes()),
            Err(JsonError::Syntax(_))
        ));
        // Duplicates below the top level are not the JWS's business.
        assert!(parse_object(br#"{"a":{"b":1,"b":2}}"#).is_ok());
    }

    #[test]
    fn lenient_objects() {
        assert_eq!(
            parse_object_lenient(b"\xef\xbb\xbf{\"a\":1}").unwrap()["a"],
            1
        );
        assert_eq!(parse_object_lenient(br#"{"a":1,"a":2}"#).unwrap()["a"], 2);
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_object_lenient(deep.as_bytes()).is_ok());
        assert_eq!(parse_object_lenient(b"[1]"), Err(JsonError::NotObject));
        assert!(parse_object_lenient(b"{\"a\":1,}").is_err());
    }
}
