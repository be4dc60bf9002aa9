//! Step 2: format. Why a token the oracle cannot decode is not a compact JWS (segment count,
//! strict base64url, a JSON object header), and a lenient decoding to continue the diagnosis with.

use super::diag::Diag;
use super::text::{cut, show_opt, show_str};
use crate::cases::Reason;
use crate::jose::b64::{self, B64Error};
use crate::jose::json::{parse_object, JsonError};
use crate::oracle::{self, Parts};

pub(super) fn diagnose_format(d: &mut Diag, token: &str) -> Option<Parts> {
    let fix_format =
        "send the token exactly as issued: header.payload.signature, each unpadded base64url";
    if token.len() > oracle::MAX_TOKEN_LEN {
        d.fail(
            "format",
            Reason::Malformed,
            format!(
                "the token is {} bytes, over the {} KiB a validator reads",
                token.len(),
                oracle::MAX_TOKEN_LEN / 1024
            ),
            "the token is too large",
            "no sane access token is this large: check what the client sends (a whole cookie? a file?)",
        );
        return None;
    }
    if token.is_empty() {
        d.fail(
            "format",
            Reason::Malformed,
            "the token is empty",
            "the token is empty",
            "the client sent no token: check where it reads it from",
        );
        return None;
    }
    let dots = token.bytes().filter(|&b| b == b'.').count();
    if dots != 2 {
        let n = dots + 1;
        let (text, fix) = match n {
            1 => (
                "1 segment (no dots): not a JWT at all; an opaque token, an API key, a session id?"
                    .to_string(),
                "send a JWT access token, or validate opaque tokens by introspection (RFC 7662)",
            ),
            2 => (
                "2 segments: the signature part is missing (cut off at the last dot?)".to_string(),
                "send the whole token, header.payload.signature",
            ),
            5 => {
                let what = token
                    .split('.')
                    .next()
                    .and_then(b64::decode_lenient)
                    .and_then(|h| parse_object(&h).ok())
                    .map(|h| {
                        format!(
                            " (alg {}, enc {})",
                            show_opt(h.get("alg")),
                            show_opt(h.get("enc"))
                        )
                    })
                    .unwrap_or_default();
                (
                    format!("5 segments: a JWE, an encrypted token{what}, not a signed JWS"),
                    "decrypt it first, or have the issuer send a signed (JWS) access token",
                )
            }
            4 if token.ends_with('.') => (
                "4 segments: a stray dot after the signature".to_string(),
                "remove the trailing '.'",
            ),
            _ => (
                format!("{n} segments; a JWS has 3 (header.payload.signature)"),
                fix_format,
            ),
        };
        d.fail(
            "format",
            Reason::Malformed,
            &text,
            format!(
                "the token has {n} segment{}, not 3",
                if n == 1 { "" } else { "s" }
            ),
            fix,
        );
        return None;
    }
    let mut it = token.split('.');
    let segs = [
        ("header", it.next().unwrap_or("")),
        ("payload", it.next().unwrap_or("")),
        ("signature", it.next().unwrap_or("")),
    ];
    for (name, seg) in segs {
        if let Err(e) = b64::decode(seg) {
            let text = describe_b64(e, seg);
            d.fail(
                "format",
                Reason::Malformed,
                format!("{name} segment: {text}"),
                format!("the {name} segment is not strict base64url: {text}"),
                fix_format,
            );
        }
    }
    let decoded: Vec<Option<Vec<u8>>> = segs.iter().map(|(_, s)| b64::decode_lenient(s)).collect();
    let (Some(h), Some(p), Some(s)) = (&decoded[0], &decoded[1], &decoded[2]) else {
        d.note(
            "format",
            "not decodable even leniently: nothing further to check",
        );
        return None;
    };
    if segs[0].1.is_empty() {
        d.fail(
            "format",
            Reason::Malformed,
            "the header segment is empty",
            "the header segment is empty",
            fix_format,
        );
        return None;
    }
    match parse_object(h) {
        Ok(header) => Some(Parts {
            header,
            payload: p.clone(),
            signature: s.clone(),
            signing_input: format!("{}.{}", segs[0].1, segs[1].1),
        }),
        Err(e) => {
            d.fail(
                "format",
                Reason::Malformed,
                format!("header: {}", describe_json(&e, h)),
                format!("the header is not a JSON object: {}", describe_json(&e, h)),
                "the issuer must send a JSON object (UTF-8, no byte-order mark, no duplicate members) as the header",
            );
            None
        }
    }
}

fn describe_b64(e: B64Error, seg: &str) -> String {
    match e {
        B64Error::InvalidByte(at) => {
            let what = match seg.as_bytes().get(at) {
                Some(b'=') => "'=' (padding in the middle?)".to_string(),
                Some(b) if b.is_ascii_graphic() => format!("{:?}", *b as char),
                Some(b' ') => "a space".to_string(),
                Some(b) => format!("byte 0x{b:02x}"),
                None => "?".to_string(),
            };
            format!("character {at} is {what}, outside the base64url alphabet")
        }
        B64Error::InvalidLength => format!(
            "its length {} leaves a dangling character (a character cut off or added?)",
            seg.len()
        ),
        B64Error::NonCanonical => {
            "the last character has unused bits set: a non-canonical encoding (edited by hand, or a buggy encoder)".to_string()
        }
    }
}

pub(super) fn describe_json(e: &JsonError, bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        return "starts with a UTF-8 byte-order mark; JSON in a JWS has none".to_string();
    }
    if bytes.is_empty() {
        return "empty".to_string();
    }
    match e {
        JsonError::Duplicate(name) => format!(
            "duplicate member {}: validators disagree on which one counts, a known smuggling trick",
            show_str(name)
        ),
        JsonError::NotObject => "valid JSON, but not an object".to_string(),
        JsonError::Syntax(m) => {
            if std::str::from_utf8(bytes).is_err() {
                "not valid UTF-8".to_string()
            } else {
                format!("invalid JSON: {}", cut(m))
            }
        }
    }
}
