//! The typed vocabulary of case recipes: every word a case file may use for `key`, `trust`,
//! `hmac_key`, `requires.key_type`, `signature` and `alter`, parsed when the catalog loads
//! (a typo is an error naming the case and line, never a case that silently applies nowhere) and
//! written back by `Display`, so a generated recipe (the fuzzer's) is an ordinary case file.

use crate::jose::{b64, KeyType, PublicEncoding};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Implements `Display` from `FromStr`'s inverse and serde through strings.
macro_rules! word_type {
    ($t:ty, $what:literal) => {
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.to_string()
            }
        }
        impl $t {
            /// What this vocabulary is called in error messages.
            pub const WHAT: &'static str = $what;
        }
    };
}

/// The value a word names in a table of (value, word).
fn by_word<T: Clone>(words: &[(T, &'static str)], word: &str) -> Option<T> {
    words
        .iter()
        .find(|(_, w)| *w == word)
        .map(|(v, _)| v.clone())
}

/// The word of a value in a table of (value, word).
fn word_of<T: PartialEq>(words: &[(T, &'static str)], value: &T) -> Option<&'static str> {
    words.iter().find(|(v, _)| v == value).map(|(_, w)| *w)
}

/// Parses `prefix:N` counts.
fn count(op: &str, n: &str) -> Result<usize, String> {
    n.parse().map_err(|_| format!("bad count in {op:?}"))
}

/// Which key signs a case's token (`key = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum KeyChoice {
    /// The first trusted key that fits the signing alg.
    Policy,
    /// The second trusted key that fits (rotation).
    Second,
    /// The policy's retired key.
    Retired,
    /// The built-in attacker key of the signing alg's type.
    Attacker,
    /// The first trusted key of another type than the signing alg needs.
    OtherType,
    /// The first trusted key that fits the signing alg's type (and curve) but whose `alg`
    /// member pins it to another algorithm (RFC 8725 §3.1: one key, one algorithm).
    OtherAlg,
    /// No signature at all.
    None,
}
word_type!(KeyChoice, "key");

impl KeyChoice {
    const WORDS: [(KeyChoice, &'static str); 7] = [
        (KeyChoice::Policy, "policy"),
        (KeyChoice::Second, "second"),
        (KeyChoice::Retired, "retired"),
        (KeyChoice::Attacker, "attacker"),
        (KeyChoice::OtherType, "other-type"),
        (KeyChoice::OtherAlg, "other-alg"),
        (KeyChoice::None, "none"),
    ];
}

impl FromStr for KeyChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        by_word(&KeyChoice::WORDS, s).ok_or_else(|| format!("unknown key {s:?}"))
    }
}

impl fmt::Display for KeyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = KeyChoice::WORDS
            .iter()
            .find(|(k, _)| k == self)
            .map(|(_, w)| *w);
        f.write_str(word.unwrap_or("policy"))
    }
}

/// A variant of the policy's trusted key set (`trust = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum Trust {
    /// Every `oct` key replaced by a 16-byte secret with the same kid.
    ShortSecret,
    /// The attacker key appended with the signing key's kid.
    DuplicateKid,
}
word_type!(Trust, "trust variant");

impl Trust {
    const WORDS: [(Trust, &'static str); 2] = [
        (Trust::ShortSecret, "short-secret"),
        (Trust::DuplicateKid, "duplicate-kid"),
    ];
}

impl FromStr for Trust {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        by_word(&Trust::WORDS, s).ok_or_else(|| format!("unknown trust variant {s:?}"))
    }
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(&Trust::WORDS, self).unwrap_or("short-secret"))
    }
}

/// A key type a case requires (`requires.key_type = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum KeyTypeReq {
    /// RSA.
    Rsa,
    /// EC.
    Ec,
    /// OKP (Ed25519).
    Okp,
    /// A shared secret.
    Oct,
    /// Any but `oct`.
    Asymmetric,
}
word_type!(KeyTypeReq, "key_type");

impl KeyTypeReq {
    /// Whether a key of type `kty` satisfies it.
    pub fn matches(self, kty: KeyType) -> bool {
        match self {
            KeyTypeReq::Rsa => kty == KeyType::Rsa,
            KeyTypeReq::Ec => kty == KeyType::Ec,
            KeyTypeReq::Okp => kty == KeyType::Okp,
            KeyTypeReq::Oct => kty == KeyType::Oct,
            KeyTypeReq::Asymmetric => kty != KeyType::Oct,
        }
    }
}

impl KeyTypeReq {
    const WORDS: [(KeyTypeReq, &'static str); 5] = [
        (KeyTypeReq::Rsa, "rsa"),
        (KeyTypeReq::Ec, "ec"),
        (KeyTypeReq::Okp, "okp"),
        (KeyTypeReq::Oct, "oct"),
        (KeyTypeReq::Asymmetric, "asymmetric"),
    ];
}

impl FromStr for KeyTypeReq {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        by_word(&KeyTypeReq::WORDS, s)
            .ok_or_else(|| format!("unknown key_type {s:?} (rsa, ec, okp, oct or asymmetric)"))
    }
}

impl fmt::Display for KeyTypeReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(&KeyTypeReq::WORDS, self).unwrap_or("asymmetric"))
    }
}

/// A claim check that rejects a case's token (`checks = […]`): the checks a library may
/// declare it does not offer (a backend file's `[[unchecked]]`), so that what only such a check
/// would catch is `unchecked`, not `unsafe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum ClaimCheck {
    /// `iss` compared with the expected issuer.
    Iss,
    /// `aud` holding the expected audience.
    Aud,
    /// `sub` present and a string.
    Sub,
    /// `nbf` compared with the clock.
    Nbf,
    /// `iat` a NumericDate.
    Iat,
    /// The `typ` header compared with the expected type.
    Typ,
    /// `jti` present.
    Jti,
}
word_type!(ClaimCheck, "claim check");

impl ClaimCheck {
    const WORDS: [(ClaimCheck, &'static str); 7] = [
        (ClaimCheck::Iss, "iss"),
        (ClaimCheck::Aud, "aud"),
        (ClaimCheck::Sub, "sub"),
        (ClaimCheck::Nbf, "nbf"),
        (ClaimCheck::Iat, "iat"),
        (ClaimCheck::Typ, "typ"),
        (ClaimCheck::Jti, "jti"),
    ];
}

impl FromStr for ClaimCheck {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        by_word(&ClaimCheck::WORDS, s).ok_or_else(|| {
            format!("unknown claim check {s:?} (iss, aud, sub, nbf, iat, typ or jti)")
        })
    }
}

impl fmt::Display for ClaimCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(&ClaimCheck::WORDS, self).unwrap_or("iss"))
    }
}

/// The HMAC key of an alg-confusion case (`hmac_key = …`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum HmacKey {
    /// Bytes of a trusted public key in one encoding.
    Public(PublicEncoding),
    /// A zero-length secret.
    Empty,
    /// These UTF-8 bytes (`text:…`).
    Text(String),
}
word_type!(HmacKey, "hmac_key");

impl HmacKey {
    /// Whether the secret is literal (`empty`, `text:`) rather than derived from a public key.
    pub fn is_literal(&self) -> bool {
        !matches!(self, HmacKey::Public(_))
    }
}

impl FromStr for HmacKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "empty" {
            return Ok(HmacKey::Empty);
        }
        if let Some(t) = s.strip_prefix("text:") {
            return Ok(HmacKey::Text(t.to_string()));
        }
        PublicEncoding::parse(s)
            .map(HmacKey::Public)
            .ok_or_else(|| format!("unknown hmac_key {s:?}"))
    }
}

impl fmt::Display for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HmacKey::Public(e) => f.write_str(e.name()),
            HmacKey::Empty => f.write_str("empty"),
            HmacKey::Text(t) => write!(f, "text:{t}"),
        }
    }
}

/// An operation on the signature bytes (`signature = […]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum SigOp {
    /// Flip the last bit of the last byte.
    FlipBit,
    /// Flip the first bit of the first byte.
    FlipFirstBit,
    /// Drop N bytes at the end.
    Truncate(usize),
    /// Drop the first byte.
    DropFirst,
    /// Append a zero byte.
    AppendZero,
    /// Same length, all zero.
    Zero,
    /// No bytes.
    Empty,
    /// Replace with these bytes (`bytes:BASE64URL`).
    Bytes(Vec<u8>),
    /// The signature of a token with other claims and the same header.
    FromOtherClaims,
    /// Raw R‖S re-encoded as ASN.1 DER.
    EcdsaDer,
    /// DER of r = s = 0.
    EcdsaDerZero,
    /// r set to the curve order n.
    EcdsaRN,
    /// s set to the curve order n.
    EcdsaSN,
    /// r set to the largest value of the field length (above n).
    EcdsaRMax,
    /// s replaced by n − s.
    EcdsaHighS,
}
word_type!(SigOp, "signature operation");

impl SigOp {
    const WORDS: [(SigOp, &'static str); 12] = [
        (SigOp::FlipBit, "flip-bit"),
        (SigOp::FlipFirstBit, "flip-first-bit"),
        (SigOp::DropFirst, "drop-first"),
        (SigOp::AppendZero, "append-zero"),
        (SigOp::Zero, "zero"),
        (SigOp::Empty, "empty"),
        (SigOp::FromOtherClaims, "from-other-claims"),
        (SigOp::EcdsaDer, "ecdsa-der"),
        (SigOp::EcdsaDerZero, "ecdsa-der-zero"),
        (SigOp::EcdsaRN, "ecdsa-r-n"),
        (SigOp::EcdsaSN, "ecdsa-s-n"),
        (SigOp::EcdsaRMax, "ecdsa-r-max"),
    ];
}

impl FromStr for SigOp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "ecdsa-high-s" {
            return Ok(SigOp::EcdsaHighS);
        }
        if let Some(op) = by_word(&SigOp::WORDS, s) {
            return Ok(op);
        }
        if let Some(n) = s.strip_prefix("truncate:") {
            return Ok(SigOp::Truncate(count(s, n)?));
        }
        if let Some(b) = s.strip_prefix("bytes:") {
            return b64::decode(b)
                .map(SigOp::Bytes)
                .map_err(|e| format!("{s:?}: {e}"));
        }
        Err(format!("unknown signature operation {s:?}"))
    }
}

impl fmt::Display for SigOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigOp::EcdsaHighS => f.write_str("ecdsa-high-s"),
            SigOp::Truncate(n) => write!(f, "truncate:{n}"),
            SigOp::Bytes(b) => write!(f, "bytes:{}", b64::encode(b)),
            op => f.write_str(word_of(&SigOp::WORDS, op).unwrap_or("flip-bit")),
        }
    }
}

/// An operation on the compact token text (`alter = […]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum AlterOp {
    /// `=` padding on every segment that would have it.
    Pad,
    /// `=` padding on the signature segment only (the signing input keeps its text).
    PadSignature,
    /// `-` → `+`, `_` → `/` in the payload segment.
    StdAlphabet,
    /// A space in the middle of the payload segment.
    SpaceInPayload,
    /// A newline in the middle of the payload segment.
    NewlineInPayload,
    /// Set the unused low bits of the last character of the last segment that has some.
    NoncanonicalLast,
    /// Set the unused low bits of the payload segment's last character (after signing).
    NoncanonicalPayload,
    /// `h.p`.
    DropSignatureSegment,
    /// `h..s`.
    DropPayload,
    /// Append or remove segments until there are N.
    Segments(usize),
    /// The whole token becomes this text.
    Replace(String),
    /// Every `.` becomes `%2E`.
    UrlEncode,
    /// Wrapped in `"`.
    Quote,
    /// Prefixed with `Bearer `.
    Bearer,
    /// `A`s appended to the payload until the token is N bytes.
    PadTo(usize),
    /// N dots appended.
    Dots(usize),
    /// A leading space.
    LeadingSpace,
    /// A trailing space.
    TrailingSpace,
    /// A leading U+FEFF.
    Bom,
    /// The three segments as the flattened JWS JSON Serialization (RFC 7515 §7.2.2):
    /// `{"protected":…,"payload":…,"signature":…}`.
    JsonFlattened,
    /// The three segments as the general JWS JSON Serialization (RFC 7515 §7.2.1):
    /// `{"payload":…,"signatures":[{"protected":…,"signature":…}]}`.
    JsonGeneral,
}
word_type!(AlterOp, "alter operation");

impl AlterOp {
    const WORDS: [(AlterOp, &'static str); 17] = [
        (AlterOp::Pad, "pad"),
        (AlterOp::PadSignature, "pad-signature"),
        (AlterOp::StdAlphabet, "std-alphabet"),
        (AlterOp::SpaceInPayload, "space-in-payload"),
        (AlterOp::NewlineInPayload, "newline-in-payload"),
        (AlterOp::NoncanonicalLast, "noncanonical-last"),
        (AlterOp::NoncanonicalPayload, "noncanonical-payload"),
        (AlterOp::DropSignatureSegment, "drop-signature-segment"),
        (AlterOp::DropPayload, "drop-payload"),
        (AlterOp::UrlEncode, "url-encode"),
        (AlterOp::Quote, "quote"),
        (AlterOp::Bearer, "bearer"),
        (AlterOp::LeadingSpace, "leading-space"),
        (AlterOp::TrailingSpace, "trailing-space"),
        (AlterOp::Bom, "bom"),
        (AlterOp::JsonFlattened, "json-flattened"),
        (AlterOp::JsonGeneral, "json-general"),
    ];
}

impl FromStr for AlterOp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(op) = by_word(&AlterOp::WORDS, s) {
            return Ok(op);
        }
        if let Some(n) = s.strip_prefix("segments:") {
            return Ok(AlterOp::Segments(count(s, n)?));
        }
        if let Some(t) = s.strip_prefix("replace:") {
            return Ok(AlterOp::Replace(t.to_string()));
        }
        if let Some(n) = s.strip_prefix("pad-to:") {
            return Ok(AlterOp::PadTo(count(s, n)?));
        }
        if let Some(n) = s.strip_prefix("dots:") {
            return Ok(AlterOp::Dots(count(s, n)?));
        }
        Err(format!("unknown alter operation {s:?}"))
    }
}

impl fmt::Display for AlterOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlterOp::Segments(n) => write!(f, "segments:{n}"),
            AlterOp::Replace(t) => write!(f, "replace:{t}"),
            AlterOp::PadTo(n) => write!(f, "pad-to:{n}"),
            AlterOp::Dots(n) => write!(f, "dots:{n}"),
            op => {
                let word = AlterOp::WORDS
                    .iter()
                    .find(|(o, _)| o == op)
                    .map(|(_, w)| *w);
                f.write_str(word.unwrap_or("pad"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: FromStr<Err = String> + fmt::Display>(words: &[&str]) {
        for w in words {
            let v: T = w.parse().unwrap_or_else(|e| panic!("{w}: {e}"));
            assert_eq!(&v.to_string(), w);
        }
    }

    #[test]
    fn every_word_parses_and_prints_back() {
        round_trip::<KeyChoice>(&[
            "policy",
            "second",
            "retired",
            "attacker",
            "other-type",
            "none",
        ]);
        round_trip::<Trust>(&["short-secret", "duplicate-kid"]);
        round_trip::<ClaimCheck>(&["iss", "aud", "sub", "nbf", "iat", "typ", "jti"]);
        round_trip::<KeyTypeReq>(&["rsa", "ec", "okp", "oct", "asymmetric"]);
        round_trip::<HmacKey>(&[
            "pem-spki",
            "pem-spki-no-newline",
            "pem-spki-crlf",
            "pem-pkcs1",
            "der-spki",
            "jwk-json",
            "modulus",
            "ec-point",
            "empty",
            "text:secret",
        ]);
        round_trip::<SigOp>(&[
            "flip-bit",
            "flip-first-bit",
            "truncate:3",
            "drop-first",
            "append-zero",
            "zero",
            "empty",
            "bytes:AAEC",
            "from-other-claims",
            "ecdsa-der",
            "ecdsa-der-zero",
            "ecdsa-r-n",
            "ecdsa-s-n",
            "ecdsa-r-max",
            "ecdsa-high-s",
        ]);
        round_trip::<AlterOp>(&[
            "pad",
            "std-alphabet",
            "space-in-payload",
            "newline-in-payload",
            "noncanonical-last",
            "drop-signature-segment",
            "drop-payload",
            "segments:5",
            "replace:a.b",
            "url-encode",
            "quote",
            "bearer",
            "pad-to:9000",
            "dots:3",
            "leading-space",
            "trailing-space",
            "bom",
        ]);
    }

    #[test]
    fn typos_are_errors() {
        assert!("polcy".parse::<KeyChoice>().is_err());
        assert!("RSA".parse::<KeyTypeReq>().is_err());
        assert!("pem".parse::<HmacKey>().is_err());
        assert!("truncate:x".parse::<SigOp>().is_err());
        assert!("bytes:A=".parse::<SigOp>().is_err());
        assert!("dots".parse::<AlterOp>().is_err());
    }
}
