//! JWS algorithms (RFC 7518 §3) and their signing and verifying primitives.
//!
//! Signing is deterministic for a given seed: RSA PKCS#1 v1.5, ECDSA (RFC 6979) and Ed25519 are
//! deterministic by construction, and the PSS salt comes from a generator seeded by the caller, so
//! the same `--seed` forges byte-identical tokens. Time spent inside the primitives is counted in
//! [`crate::jose::stats`] for the benchmark.

use super::jwk::{Curve, EcPrivate, EcPublic, Jwk, KeyMaterial, KeyType};
use super::{memo, stats};
use hmac::{Hmac, KeyInit, Mac};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A JWS algorithm the harness can sign and verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alg {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1-SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1-SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// EdDSA (Ed25519 only, RFC 8037).
    EdDSA,
}

/// Hash functions used by the algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// Output length in bytes.
    pub fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// Always false: a hash output is never empty (keeps clippy's `len_without_is_empty` quiet).
    pub fn is_empty(self) -> bool {
        false
    }

    /// Hashes a message.
    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(msg).to_vec(),
            Hash::Sha384 => Sha384::digest(msg).to_vec(),
            Hash::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }
}

/// Every algorithm, in the order reports list them.
pub const ALL_ALGS: [Alg; 13] = [
    Alg::HS256,
    Alg::HS384,
    Alg::HS512,
    Alg::RS256,
    Alg::RS384,
    Alg::RS512,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
    Alg::ES256,
    Alg::ES384,
    Alg::ES512,
    Alg::EdDSA,
];

impl Alg {
    /// Parses an exact, case-sensitive algorithm name.
    pub fn parse(name: &str) -> Option<Alg> {
        ALL_ALGS.iter().copied().find(|a| a.name() == name)
    }

    /// The registered name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// The key type the algorithm needs.
    pub fn key_type(self) -> KeyType {
        match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => KeyType::Oct,
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                KeyType::Rsa
            }
            Alg::ES256 | Alg::ES384 | Alg::ES512 => KeyType::Ec,
            Alg::EdDSA => KeyType::Okp,
        }
    }

    /// The curve an ECDSA or EdDSA algorithm needs.
    pub fn curve(self) -> Option<Curve> {
        match self {
            Alg::ES256 => Some(Curve::P256),
            Alg::ES384 => Some(Curve::P384),
            Alg::ES512 => Some(Curve::P521),
            Alg::EdDSA => Some(Curve::Ed25519),
            _ => None,
        }
    }

    /// The hash function.
    pub fn hash(self) -> Hash {
        match self {
            Alg::HS256 | Alg::RS256 | Alg::PS256 | Alg::ES256 | Alg::EdDSA => Hash::Sha256,
            Alg::HS384 | Alg::RS384 | Alg::PS384 | Alg::ES384 => Hash::Sha384,
            Alg::HS512 | Alg::RS512 | Alg::PS512 | Alg::ES512 => Hash::Sha512,
        }
    }

    /// Whether `key` has the type (and curve) this algorithm needs.
    pub fn fits(self, key: &Jwk) -> bool {
        key.key_type() == self.key_type() && (self.curve().is_none() || self.curve() == key.curve())
    }

    /// Whether the key may be used with this algorithm: it fits, and its `alg` member, when it
    /// has one, names this algorithm (RFC 8725 §3.1: "Each key MUST be used with exactly one
    /// algorithm").
    pub fn may_use(self, key: &Jwk) -> bool {
        self.fits(key) && key.alg().is_none_or(|a| a == self.name())
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a signature could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// The key does not fit the algorithm (type or curve).
    KeyMismatch,
    /// Signing needs the private half, and the key has none.
    NoPrivateKey,
    /// The signature does not verify.
    BadSignature,
    /// The primitive failed for another reason.
    Other(String),
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CryptoError::KeyMismatch => f.write_str("key does not fit the algorithm"),
            CryptoError::NoPrivateKey => f.write_str("key has no private half"),
            CryptoError::BadSignature => f.write_str("signature does not verify"),
            CryptoError::Other(e) => write!(f, "crypto error: {e}"),
        }
    }
}

/// Computes an HMAC with the given hash over `msg` keyed by `key` (any length, even empty).
pub fn hmac(hash: Hash, key: &[u8], msg: &[u8]) -> Vec<u8> {
    let _t = stats::Timer::sign();
    hmac_untimed(hash, key, msg)
}

fn hmac_untimed(hash: Hash, key: &[u8], msg: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha256 => mac::<Hmac<Sha256>>(key, msg),
        Hash::Sha384 => mac::<Hmac<Sha384>>(key, msg),
        Hash::Sha512 => mac::<Hmac<Sha512>>(key, msg),
    }
}

fn mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <M as KeyInit>::new_from_slice(key).expect("hmac takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn pkcs1_scheme(hash: Hash) -> Pkcs1v15Sign {
    match hash {
        Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
        Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
    }
}

/// Signs `msg` (the JWS signing input) with `key` under `alg`. `seed` drives the PSS salt.
pub fn sign(alg: Alg, key: &Jwk, msg: &[u8], seed: u64) -> Result<Vec<u8>, CryptoError> {
    if !alg.fits(key) {
        return Err(CryptoError::KeyMismatch);
    }
    let has_private = match key.material() {
        KeyMaterial::Oct(_) => true,
        KeyMaterial::Rsa { private, .. } => private.is_some(),
        KeyMaterial::Ec { private, .. } => private.is_some(),
        KeyMaterial::Ed { private, .. } => private.is_some(),
    };
    // A key without its private half must fail as it would unmemoized, not find a signature.
    let public = memo::public_bytes(key.material()).filter(|_| has_private);
    let memo_key = public.as_ref().map(|p| memo::sign_key(alg, p, msg, seed));
    if let Some(sig) = memo_key.as_ref().and_then(memo::signed) {
        return Ok(sig);
    }
    let sig = sign_uncached(alg, key, msg, seed)?;
    if let (Some(k), Some(p)) = (memo_key, &public) {
        memo::remember_signature(k, memo::verify_key(alg, p, msg, &sig), &sig);
    }
    Ok(sig)
}

fn sign_uncached(alg: Alg, key: &Jwk, msg: &[u8], seed: u64) -> Result<Vec<u8>, CryptoError> {
    let other = |e: &dyn std::fmt::Display| CryptoError::Other(e.to_string());
    match key.material() {
        KeyMaterial::Oct(secret) => Ok(hmac(alg.hash(), secret, msg)),
        KeyMaterial::Rsa { private, .. } => {
            let private = private.as_ref().ok_or(CryptoError::NoPrivateKey)?;
            let _t = stats::Timer::sign();
            let digest = alg.hash().digest(msg);
            match alg {
                Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                    let mut rng = DetRng::new(seed);
                    match alg.hash() {
                        Hash::Sha256 => {
                            private.sign_with_rng(&mut rng, rsa::pss::Pss::<Sha256>::new(), &digest)
                        }
                        Hash::Sha384 => {
                            private.sign_with_rng(&mut rng, rsa::pss::Pss::<Sha384>::new(), &digest)
                        }
                        Hash::Sha512 => {
                            private.sign_with_rng(&mut rng, rsa::pss::Pss::<Sha512>::new(), &digest)
                        }
                    }
                    .map_err(|e| other(&e))
                }
                // Unblinded: blinding defends a long-lived key against timing side channels,
                // and these are public test keys. It makes forging ~4x faster (rsa 0.10).
                _ => rsa::traits::SignatureScheme::sign(
                    pkcs1_scheme(alg.hash()),
                    None::<&mut DetRng>,
                    private,
                    &digest,
                )
                .map_err(|e| other(&e)),
            }
        }
        KeyMaterial::Ec { private, .. } => {
            let private = private.as_ref().ok_or(CryptoError::NoPrivateKey)?;
            let _t = stats::Timer::sign();
            use signature::Signer;
            Ok(match private {
                EcPrivate::P256(k) => Signer::<p256::ecdsa::Signature>::sign(k, msg).to_vec(),
                EcPrivate::P384(k) => Signer::<p384::ecdsa::Signature>::sign(k, msg).to_vec(),
                EcPrivate::P521(k) => Signer::<p521::ecdsa::Signature>::sign(k, msg).to_vec(),
            })
        }
        KeyMaterial::Ed { private, .. } => {
            let private = private.as_ref().ok_or(CryptoError::NoPrivateKey)?;
            let _t = stats::Timer::sign();
            use signature::Signer;
            Ok(private.sign(msg).to_bytes().to_vec())
        }
    }
}

/// Verifies a JWS signature strictly: exact signature lengths (raw R‖S for ECDSA, modulus length
/// for RSA), r and s in [1, n−1], Ed25519 in its strict form, HMAC compared in constant time.
pub fn verify(alg: Alg, key: &Jwk, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    if !alg.fits(key) {
        return Err(CryptoError::KeyMismatch);
    }
    let memo_key = memo::public_bytes(key.material()).map(|p| memo::verify_key(alg, &p, msg, sig));
    let known = memo_key.as_ref().and_then(memo::verified);
    let ok = match known {
        Some(ok) => ok,
        None => {
            let ok = verify_uncached(alg, key, msg, sig).is_ok();
            if let Some(k) = memo_key {
                memo::remember_verification(k, ok);
            }
            ok
        }
    };
    if ok {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

/// `sign` without the memo, for the memo's tests.
#[cfg(test)]
pub(super) fn tests_sign_uncached(
    alg: Alg,
    key: &Jwk,
    msg: &[u8],
    seed: u64,
) -> Result<Vec<u8>, CryptoError> {
    sign_uncached(alg, key, msg, seed)
}

/// `verify` without the memo, for the memo's tests.
#[cfg(test)]
pub(super) fn tests_verify_uncached(
    alg: Alg,
    key: &Jwk,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    verify_uncached(alg, key, msg, sig)
}

/// `verify` without the memo: every failure of a fitting key is `BadSignature`.
fn verify_uncached(alg: Alg, key: &Jwk, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    let _t = stats::Timer::verify();
    match key.material() {
        KeyMaterial::Oct(secret) => {
            let expected = hmac_untimed(alg.hash(), secret, msg);
            if constant_time_eq(&expected, sig) {
                Ok(())
            } else {
                Err(CryptoError::BadSignature)
            }
        }
        KeyMaterial::Rsa { public, .. } => {
            if sig.len() != public.size() {
                return Err(CryptoError::BadSignature);
            }
            let digest = alg.hash().digest(msg);
            let result = match alg {
                Alg::PS256 => public.verify(rsa::pss::Pss::<Sha256>::new(), &digest, sig),
                Alg::PS384 => public.verify(rsa::pss::Pss::<Sha384>::new(), &digest, sig),
                Alg::PS512 => public.verify(rsa::pss::Pss::<Sha512>::new(), &digest, sig),
                _ => public.verify(pkcs1_scheme(alg.hash()), &digest, sig),
            };
            result.map_err(|_| CryptoError::BadSignature)
        }
        KeyMaterial::Ec { public, .. } => {
            use signature::Verifier;
            let ok = match public {
                EcPublic::P256(k) => p256::ecdsa::Signature::from_slice(sig)
                    .map(|s| k.verify(msg, &s).is_ok())
                    .unwrap_or(false),
                EcPublic::P384(k) => p384::ecdsa::Signature::from_slice(sig)
                    .map(|s| k.verify(msg, &s).is_ok())
                    .unwrap_or(false),
                EcPublic::P521(k) => p521::ecdsa::Signature::from_slice(sig)
                    .map(|s| k.verify(msg, &s).is_ok())
                    .unwrap_or(false),
            };
            if ok {
                Ok(())
            } else {
                Err(CryptoError::BadSignature)
            }
        }
        KeyMaterial::Ed { public, .. } => {
            let sig: [u8; 64] = sig.try_into().map_err(|_| CryptoError::BadSignature)?;
            public
                .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
                .map_err(|_| CryptoError::BadSignature)
        }
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A small deterministic generator (SplitMix64) for PSS salts, so forging is reproducible.
/// Not a cryptographic generator: it only ever salts test tokens.
pub struct DetRng(u64);

impl DetRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        DetRng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl rand_core::TryRng for DetRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.next() as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.next())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for DetRng {}

/// The big-endian order n of an ECDSA curve, padded to the curve's scalar length.
pub fn curve_order(curve: Curve) -> Vec<u8> {
    let hex = match curve {
        Curve::P256 => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        Curve::P384 => "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
        Curve::P521 => "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
        Curve::Ed25519 => "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed",
    };
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("valid hex constant"))
        .collect()
}

/// Big-endian subtraction `a - b` of equal-length numbers (a ≥ b is the caller's business).
pub fn be_sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = if d < 0 {
            d += 256;
            1
        } else {
            0
        };
        out[i] = d as u8;
    }
    out
}
