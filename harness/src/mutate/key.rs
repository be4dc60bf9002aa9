//! Key material mutations: HMAC keyed with every encoding of the policy's public keys (PEM with
//! and without whitespace or a prefix, DER, JWK, n bytes, the point, OpenSSH), blank and
//! guessable secrets, keys that are not trusted (the attacker's, the retired one, one of another
//! type), and other signing algorithms. Variants of the trusted key set (`trust`) are not drawn:
//! they change the policy, not the token, and the fuzzer keeps one validator per policy.

use super::{Atom, GenContext, Mutation};
use crate::cases::{HmacKey, KeyChoice, KeyTypeReq};
use crate::jose::PublicEncoding;

/// Every algorithm name the forge can sign with.
const ALGS: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA",
];

/// Secrets people guess, as `text:` HMAC keys.
const GUESSES: [&str; 6] = [
    "secret",
    "your-256-bit-secret",
    "password",
    "null",
    "undefined",
    "changeme",
];

fn fixed(m: Vec<Mutation>) -> Atom {
    Atom::Fixed(m)
}

/// The key-material atoms for a policy.
pub fn atoms(ctx: &GenContext) -> Vec<Atom> {
    let mut out = Vec::new();
    // Alg confusion: HMAC keyed with each encoding of each public key type the policy trusts.
    for kt in ctx.key_types.iter().filter(|k| **k != KeyTypeReq::Oct) {
        for enc in PublicEncoding::ALL {
            for hs in ["HS256", "HS384", "HS512"] {
                let base = vec![
                    Mutation::KeyType(*kt),
                    Mutation::Alg(hs.into()),
                    Mutation::HmacKey(HmacKey::Public(enc)),
                ];
                let mut no_kid = base.clone();
                no_kid.push(Mutation::RemoveHeader("kid".into()));
                out.push(fixed(base));
                out.push(fixed(no_kid));
            }
        }
    }
    out.push(fixed(vec![
        Mutation::Alg("HS256".into()),
        Mutation::Key(KeyChoice::OtherType),
    ]));
    // Blank and guessable secrets under the trusted secret's kid.
    for hs in ["HS256", "HS384", "HS512"] {
        out.push(fixed(vec![
            Mutation::Alg(hs.into()),
            Mutation::HmacKey(HmacKey::Empty),
        ]));
        for g in GUESSES {
            out.push(fixed(vec![
                Mutation::Alg(hs.into()),
                Mutation::HmacKey(HmacKey::Text(g.into())),
            ]));
        }
    }
    out.push(fixed(vec![Mutation::HmacKey(HmacKey::Empty)]));
    // Keys that are not trusted, and other algorithms with trusted and untrusted keys.
    for k in [
        KeyChoice::None,
        KeyChoice::Attacker,
        KeyChoice::Retired,
        KeyChoice::Second,
        KeyChoice::OtherType,
        KeyChoice::OtherAlg,
    ] {
        out.push(fixed(vec![Mutation::Key(k)]));
        out.push(fixed(vec![
            Mutation::Key(k),
            Mutation::RemoveHeader("kid".into()),
        ]));
    }
    for a in ALGS {
        out.push(fixed(vec![Mutation::Alg(a.into())]));
        out.push(fixed(vec![
            Mutation::Alg(a.into()),
            Mutation::Key(KeyChoice::Attacker),
        ]));
    }
    out
}
