//! Memos of the asymmetric primitives, so a fuzzer that re-signs and re-judges the same signing
//! input does not pay for the same elliptic-curve or RSA operation twice.
//!
//! Both memos only ever return what the primitive itself returned for the same inputs:
//! - *signatures*: RSA PKCS#1 v1.5, ECDSA (RFC 6979 nonces) and Ed25519 are deterministic, and
//!   PSS is salted from the caller's seed, which is part of the memo key; so a remembered
//!   signature is byte for byte the one signing would produce again.
//! - *verifications*: a remembered result of `verify` for the same algorithm, public key,
//!   message and signature bytes. A signature the harness just made with a private key is
//!   remembered as valid under its public half: that is what ECDSA, RSA and Ed25519 guarantee of
//!   a correct signer, and `tests` check it against the real verification for every algorithm.
//!
//! HMAC is never memoized: it costs less than the memo's own SHA-256. Each memo is bounded and
//! simply emptied when full.

use super::jwk::{EcPublic, KeyMaterial};
use super::Alg;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// The most entries each memo holds before it is emptied (a few megabytes at most).
const CAPACITY: usize = 1 << 14;

type Key = [u8; 32];

static SIGNED: Mutex<Option<HashMap<Key, Vec<u8>>>> = Mutex::new(None);
static VERIFIED: Mutex<Option<HashMap<Key, bool>>> = Mutex::new(None);

/// The public half's bytes for an asymmetric key; `None` for HMAC secrets (not memoized).
pub(super) fn public_bytes(material: &KeyMaterial) -> Option<Vec<u8>> {
    match material {
        KeyMaterial::Oct(_) => None,
        KeyMaterial::Rsa { public, .. } => {
            use rsa::traits::PublicKeyParts;
            let mut out = public.n_bytes().to_vec();
            out.extend_from_slice(&public.e_bytes());
            Some(out)
        }
        KeyMaterial::Ec { public, .. } => Some(match public {
            EcPublic::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            EcPublic::P384(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            EcPublic::P521(k) => k.to_sec1_point(false).as_bytes().to_vec(),
        }),
        KeyMaterial::Ed { public, .. } => Some(public.as_bytes().to_vec()),
    }
}

fn digest(parts: &[&[u8]]) -> Key {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// The memo key of signing `msg` under `alg` and `seed` with the key whose public half is
/// `public` ([`public_bytes`]).
pub(super) fn sign_key(alg: Alg, public: &[u8], msg: &[u8], seed: u64) -> Key {
    digest(&[
        b"sign",
        alg.name().as_bytes(),
        public,
        &seed.to_le_bytes(),
        msg,
    ])
}

/// The memo key of verifying `sig` over `msg` under `alg` with the key whose public half is
/// `public` ([`public_bytes`]).
pub(super) fn verify_key(alg: Alg, public: &[u8], msg: &[u8], sig: &[u8]) -> Key {
    digest(&[b"verify", alg.name().as_bytes(), public, msg, sig])
}

fn get<V: Clone>(memo: &Mutex<Option<HashMap<Key, V>>>, key: &Key) -> Option<V> {
    let guard = memo.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref()?.get(key).cloned()
}

fn put<V>(memo: &Mutex<Option<HashMap<Key, V>>>, key: Key, value: V) {
    let mut guard = memo.lock().unwrap_or_else(|p| p.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(key, value);
}

/// A signature made before for this memo key.
pub(super) fn signed(key: &Key) -> Option<Vec<u8>> {
    get(&SIGNED, key)
}

/// Remembers a signature, and that it verifies (`verify_key` of the same signing).
pub(super) fn remember_signature(sign: Key, verify: Key, sig: &[u8]) {
    put(&SIGNED, sign, sig.to_vec());
    put(&VERIFIED, verify, true);
}

/// The result of an earlier verification with this memo key.
pub(super) fn verified(key: &Key) -> Option<bool> {
    get(&VERIFIED, key)
}

/// Remembers the result of a verification.
pub(super) fn remember_verification(key: Key, ok: bool) {
    put(&VERIFIED, key, ok);
}

#[cfg(test)]
mod tests {
    use super::super::{alg, Alg, CryptoError, Jwk};

    fn key(file: &str) -> Jwk {
        let path = format!("{}/../fixtures/keys/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("a fixture key");
        Jwk::from_json(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    #[test]
    fn remembered_signatures_and_verdicts_are_what_the_primitives_give() {
        let cases = [
            (Alg::RS256, "rs-2026-01.private.jwk.json"),
            (Alg::PS256, "rs-2026-01.private.jwk.json"),
            (Alg::ES256, "ec-p256-2026-01.private.jwk.json"),
            (Alg::ES384, "ec-p384-2026-01.private.jwk.json"),
            (Alg::ES512, "ec-p521-2026-01.private.jwk.json"),
            (Alg::EdDSA, "ed-2026-01.private.jwk.json"),
        ];
        for (a, file) in cases {
            let k = key(file);
            let msg = format!("eyJhbGciOiJ{a:?}In0.memo-test");
            let first = alg::sign(a, &k, msg.as_bytes(), 3).unwrap();
            // The second signing comes from the memo: the same bytes signing gives afresh.
            let again = alg::sign(a, &k, msg.as_bytes(), 3).unwrap();
            assert_eq!(first, again, "{a:?}");
            let fresh = super::super::alg::tests_sign_uncached(a, &k, msg.as_bytes(), 3).unwrap();
            assert_eq!(first, fresh, "{a:?}: the memo returns what signing gives");
            // A remembered "valid" agrees with the real verification, and so does a failure.
            assert!(alg::tests_verify_uncached(a, &k, msg.as_bytes(), &first).is_ok());
            assert!(alg::verify(a, &k, msg.as_bytes(), &first).is_ok());
            let mut bad = first.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            for _ in 0..2 {
                assert_eq!(
                    alg::verify(a, &k, msg.as_bytes(), &bad),
                    Err(CryptoError::BadSignature),
                    "{a:?}: a flipped bit, computed then remembered"
                );
            }
            // Another message is another memo entry.
            assert!(alg::verify(a, &k, b"other", &first).is_err(), "{a:?}");
        }
    }
}
