//! JOSE building blocks: strict base64url, strict JSON objects, keys, and the JWS algorithms.
//!
//! Everything here works on raw bytes so the forge can build any token and the oracle can judge
//! it without a general-purpose JWT library in between.

pub mod alg;
pub mod b64;
pub mod der;
pub mod encodings;
pub mod json;
pub mod jwk;
mod memo;
pub mod stats;

pub use alg::{Alg, CryptoError, Hash};
pub use encodings::PublicEncoding;
pub use jwk::{Curve, Jwk, Jwks, KeyError, KeyType};

/// A short, safe-to-print fingerprint of some bytes: the first 8 hex digits of their SHA-256.
pub fn fingerprint(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    d[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Shortens a token or secret for display: its first 6 and last 4 characters around an ellipsis,
/// plus its length and a fingerprint, so logs never hold a whole token.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 16 {
        return format!("<{} chars #{}>", chars.len(), fingerprint(text.as_bytes()));
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!(
        "{head}…{tail} <{} chars #{}>",
        chars.len(),
        fingerprint(text.as_bytes())
    )
}

/// The Header Parameters RFC 7515 §4.1 defines.
pub const REGISTERED_HEADER: [&str; 11] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

/// Whether a recipient the RFCs allow may accept this `crit` (the lenient reading): an array of
/// strings none of which names an extension it would have to understand. RFC 7515 §4.1.11 forbids
/// *producers* the empty list, names this specification defines, and names absent from the header,
/// and lets recipients reject them without requiring it; an RFC 7797 implementation understands
/// `b64`, and with `b64: true` the payload is encoded as usual.
pub fn crit_permitted(
    crit: &serde_json::Value,
    header: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    let Some(names) = crit.as_array() else {
        return false;
    };
    names.iter().all(|n| match n.as_str() {
        Some("b64") => header.get("b64") != Some(&serde_json::Value::Bool(false)),
        Some(name) => REGISTERED_HEADER.contains(&name) || !header.contains_key(name),
        None => false,
    })
}
