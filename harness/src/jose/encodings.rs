//! The encodings of a public key that an alg-confusion attack keys HMAC with: one list, used by the
//! forge (to sign such tokens) and by `explain` (to recognise them).

use super::{Jwk, KeyType};

/// One encoding of a public key's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicEncoding {
    /// SubjectPublicKeyInfo PEM without its final newline.
    PemSpkiNoNewline,
    /// SubjectPublicKeyInfo PEM with CRLF line ends.
    PemSpkiCrlf,
    /// SubjectPublicKeyInfo PEM, LF line ends, final newline.
    PemSpki,
    /// SubjectPublicKeyInfo PEM after a newline: a key read from a file or variable with a blank
    /// first line, which fast-jwt 6.1.0's anchored PEM test missed (CVE-2026-34950).
    PemSpkiLeadingNewline,
    /// SubjectPublicKeyInfo PEM after a comment line (`# public key`): fast-jwt 6.2.x trimmed
    /// whitespace only, so any other prefix still hid the header (GHSA-ww5h-9m49-7xx4).
    PemSpkiCommentPrefix,
    /// PKCS#1 RSAPublicKey PEM (RSA only).
    PemPkcs1,
    /// SubjectPublicKeyInfo DER.
    DerSpki,
    /// The public JWK as compact JSON text.
    JwkJson,
    /// The RSA modulus n, big-endian.
    Modulus,
    /// The EC public point (SEC1 uncompressed), or the 32 raw bytes of an Ed25519 key.
    EcPoint,
    /// The OpenSSH public key line (`ssh-ed25519 AAAA…`, `ecdsa-sha2-nistp256 AAAA…`,
    /// `ssh-rsa AAAA…`): the format CVE-2022-29217 (PyJWT) and CVE-2024-33663 (python-jose)
    /// let through as an HMAC secret.
    OpenSsh,
}

impl PublicEncoding {
    /// Every encoding, in the order `explain` tries them.
    pub const ALL: [PublicEncoding; 11] = [
        PublicEncoding::PemSpkiNoNewline,
        PublicEncoding::PemSpkiCrlf,
        PublicEncoding::PemSpki,
        PublicEncoding::PemSpkiLeadingNewline,
        PublicEncoding::PemSpkiCommentPrefix,
        PublicEncoding::PemPkcs1,
        PublicEncoding::DerSpki,
        PublicEncoding::JwkJson,
        PublicEncoding::Modulus,
        PublicEncoding::EcPoint,
        PublicEncoding::OpenSsh,
    ];

    /// The word a case file uses (`hmac_key = "pem-spki"`).
    pub fn name(self) -> &'static str {
        match self {
            PublicEncoding::PemSpkiNoNewline => "pem-spki-no-newline",
            PublicEncoding::PemSpkiCrlf => "pem-spki-crlf",
            PublicEncoding::PemSpki => "pem-spki",
            PublicEncoding::PemSpkiLeadingNewline => "pem-spki-leading-newline",
            PublicEncoding::PemSpkiCommentPrefix => "pem-spki-comment-prefix",
            PublicEncoding::PemPkcs1 => "pem-pkcs1",
            PublicEncoding::DerSpki => "der-spki",
            PublicEncoding::JwkJson => "jwk-json",
            PublicEncoding::Modulus => "modulus",
            PublicEncoding::EcPoint => "ec-point",
            PublicEncoding::OpenSsh => "openssh",
        }
    }

    /// Parses a case file word.
    pub fn parse(word: &str) -> Option<PublicEncoding> {
        PublicEncoding::ALL.into_iter().find(|e| e.name() == word)
    }

    /// What it is, in words, for `explain`.
    pub fn label(self) -> &'static str {
        match self {
            PublicEncoding::PemSpkiNoNewline => {
                "SubjectPublicKeyInfo PEM without its final newline"
            }
            PublicEncoding::PemSpkiCrlf => "SubjectPublicKeyInfo PEM with CRLF line ends",
            PublicEncoding::PemSpki => "SubjectPublicKeyInfo PEM",
            PublicEncoding::PemSpkiLeadingNewline => {
                "SubjectPublicKeyInfo PEM after a leading newline"
            }
            PublicEncoding::PemSpkiCommentPrefix => "SubjectPublicKeyInfo PEM after a comment line",
            PublicEncoding::PemPkcs1 => "PKCS#1 PEM",
            PublicEncoding::DerSpki => "SubjectPublicKeyInfo DER",
            PublicEncoding::JwkJson => "JWK JSON text",
            PublicEncoding::Modulus => "raw modulus",
            PublicEncoding::EcPoint => "raw public point",
            PublicEncoding::OpenSsh => "OpenSSH public key line",
        }
    }

    /// The bytes of `key` in this encoding; `None` when the key has no such form (a secret, a
    /// modulus of an EC key, PKCS#1 of a non-RSA key).
    pub fn bytes(self, key: &Jwk) -> Option<Vec<u8>> {
        if key.key_type() == KeyType::Oct {
            return None;
        }
        match self {
            PublicEncoding::PemSpkiNoNewline => {
                Some(key.pem_spki()?.trim_end().as_bytes().to_vec())
            }
            PublicEncoding::PemSpkiCrlf => Some(key.pem_spki()?.replace('\n', "\r\n").into_bytes()),
            PublicEncoding::PemSpki => Some(key.pem_spki()?.into_bytes()),
            PublicEncoding::PemSpkiLeadingNewline => {
                Some(format!("\n{}", key.pem_spki()?).into_bytes())
            }
            PublicEncoding::PemSpkiCommentPrefix => {
                Some(format!("# public key\n{}", key.pem_spki()?).into_bytes())
            }
            PublicEncoding::PemPkcs1 => Some(key.pem_pkcs1()?.into_bytes()),
            PublicEncoding::DerSpki => key.der_spki(),
            PublicEncoding::JwkJson => Some(key.public_json().to_string().into_bytes()),
            PublicEncoding::Modulus => key.modulus(),
            PublicEncoding::EcPoint => key.ec_point(),
            PublicEncoding::OpenSsh => key.openssh().map(String::into_bytes),
        }
    }
}
