//! Strict base64url (RFC 4648 §5) without padding, as JWS compact serialization requires
//! (RFC 7515 §2): no `=`, no whitespace, no standard-alphabet characters, and no set bits in the
//! unused low bits of the last character (a non-canonical encoding is rejected).

/// The base64url alphabet, index = 6-bit value.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a segment is not strict base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum B64Error {
    /// A byte outside the base64url alphabet, at this offset.
    InvalidByte(usize),
    /// The length leaves a single dangling character (length % 4 == 1).
    InvalidLength,
    /// The unused low bits of the last character are not zero.
    NonCanonical,
}

impl std::fmt::Display for B64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            B64Error::InvalidByte(at) => write!(f, "byte {at} is not in the base64url alphabet"),
            B64Error::InvalidLength => write!(f, "base64url length leaves a dangling character"),
            B64Error::NonCanonical => write!(f, "non-canonical base64url: unused bits are set"),
        }
    }
}

fn value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Encodes bytes as standard base64 with padding (RFC 4648 §4): x5c certificates (RFC 7517
/// §4.7) and OpenSSH public key lines.
pub fn encode_std(data: &[u8]) -> String {
    let mut s: String = encode(data)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

/// Encodes bytes as unpadded base64url.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(ALPHABET[idx as usize] as char);
        }
    }
    out
}

/// Decodes strict unpadded base64url.
pub fn decode(text: &str) -> Result<Vec<u8>, B64Error> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return Err(B64Error::InvalidLength);
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for (ci, chunk) in bytes.chunks(4).enumerate() {
        let mut n: u32 = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c).ok_or(B64Error::InvalidByte(ci * 4 + i))?;
            n |= u32::from(v) << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        let full = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&full[..produced]);
        // Bits decoded beyond the produced bytes must be zero for a canonical encoding.
        if produced < 3 && full[produced..].iter().any(|&b| b != 0) {
            return Err(B64Error::NonCanonical);
        }
    }
    Ok(out)
}

/// The text without the `=` padding RFC 4648 §4 would give it (one or two `=` completing a
/// multiple of four characters), or the text itself. RFC 7515 §2 omits the padding, but the
/// decoder of its Appendix C passes a padded text to a standard base64 decoder unchanged: the
/// oracle's lenient reading accepts what that decoder does.
pub fn without_padding(text: &str) -> &str {
    let body = text.trim_end_matches('=');
    let fits = match text.len() - body.len() {
        1 => body.len() % 4 == 3,
        2 => body.len() % 4 == 2,
        _ => false,
    };
    if fits {
        body
    } else {
        text
    }
}

/// Decodes base64url leniently: accepts padding and the standard alphabet. Used by `explain` and
/// key loading, never by the oracle's verdict.
pub fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    match decode(&cleaned) {
        Ok(v) => Some(v),
        // Clear the unused bits and decode again.
        Err(B64Error::NonCanonical) => decode(&with_unused_bits(&cleaned, false)?).ok(),
        Err(_) => None,
    }
}

/// `text` with the unused low bits of its last character all set (`set`) or all clear (4 bits
/// when its length is 2 modulo 4, 2 bits when 3): the same bytes, another text. `None` when the
/// length leaves no unused bits or the last character is not base64url.
pub fn with_unused_bits(text: &str, set: bool) -> Option<String> {
    let unused = match text.len() % 4 {
        2 => 4,
        3 => 2,
        _ => return None,
    };
    let mut bytes = text.as_bytes().to_vec();
    let last = bytes.last_mut()?;
    let mask = (1u8 << unused) - 1;
    let v = value(*last)?;
    *last = ALPHABET[(if set { v | mask } else { v & !mask }) as usize];
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unused_bits_change_the_text_not_the_bytes() {
        let canonical = encode(b"ab"); // 3 characters: 2 unused bits
        let set = with_unused_bits(&canonical, true).unwrap();
        assert_ne!(set, canonical);
        assert_eq!(decode(&set), Err(B64Error::NonCanonical));
        assert_eq!(decode_lenient(&set).unwrap(), b"ab");
        assert_eq!(with_unused_bits(&set, false).unwrap(), canonical);
        assert_eq!(with_unused_bits(&encode(b"abc"), true), None);
    }

    #[test]
    fn round_trips_all_lengths() {
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn rfc4648_vectors() {
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fooba"), "Zm9vYmE");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn strips_only_the_padding_rfc_4648_writes() {
        assert_eq!(without_padding("YWI="), "YWI");
        assert_eq!(without_padding("YQ=="), "YQ");
        for text in ["YQ=", "YWI==", "YWJj=", "=", "YQ===", "YWI"] {
            assert_eq!(without_padding(text), text, "{text}");
        }
    }

    #[test]
    fn rejects_padding_alphabet_and_bits() {
        assert_eq!(decode("Zm9vYg=="), Err(B64Error::InvalidByte(6)));
        assert_eq!(decode("+/8"), Err(B64Error::InvalidByte(0)));
        assert_eq!(decode("Zm9vY"), Err(B64Error::InvalidLength));
        // "Zg" is "f"; "Zh" sets an unused bit.
        assert_eq!(decode("Zh"), Err(B64Error::NonCanonical));
        assert_eq!(decode_lenient("Zh").unwrap(), b"f");
        assert_eq!(decode_lenient("Zm9vYg==").unwrap(), b"foob");
    }
}
