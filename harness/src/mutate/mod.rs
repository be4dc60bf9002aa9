//! The structure-aware token mutator behind `jwt-harness fuzz`.
//!
//! An input of the fuzzer is a list of [`Mutation`]s, each one edit of a case recipe in the
//! catalog's own typed vocabulary ([`crate::cases`]): a header or claims member set, removed or
//! duplicated, a signing alg, a key, an HMAC key derived from public key material, an operation
//! on the signature bytes, a member edited after signing, an operation on the compact text, a
//! variant of the trusted key set. Applying a list ([`compose`]) builds an ordinary
//! [`Case`](crate::cases::Case), which the forge turns into a token ([`crate::forge::forge_one`]):
//! the header and claims are decoded, edited and re-encoded, and the token is signed again with
//! the policy's trusted key unless a mutation says otherwise (`key`, `hmac_key`, `signature`,
//! `tamper_*`), so the validator's later checks are reached. Every catalog case decomposes into
//! such a list ([`decompose`]) and seeds the fuzzer; the lists are
//!
//! - replayable: the same list under the same policy and clock forges the same token;
//! - minimizable: [`minimize`] drops mutations one at a time while the disagreement persists;
//! - writable back: a list becomes a case file in the catalog format ([`write`]) that
//!   `jwt-harness run --cases DIR` replays.
//!
//! The generators (one module per kind: [`json`], [`header`], [`key`], [`sig`], [`encoding`])
//! draw mutations from a seeded generator ([`Rng`]). [`exercise`] gives every mutation the
//! labels of what it exercises (`crit-present`, `exp-string`, `alg-confusion`, `kid-path`), which
//! deduplicate findings and match known deviations, and derives a token's attacker class from its
//! mutations. [`engine`] is the fuzzing loop itself.

mod compose;
pub mod differential;
pub mod encoding;
pub mod engine;
pub mod exercise;
pub mod header;
pub mod json;
pub mod key;
mod labels;
mod minimize;
mod record;
pub mod sig;
mod state;
pub mod write;

pub use compose::{compose, decompose, split_members};
pub use differential::{Differential, Disagreement};
pub use engine::{
    fuzz, progress_line, Found, FuzzConfig, FuzzReport, FuzzSetup, PolicyStats, Stats,
};
pub use exercise::attacker_of;
pub use labels::{exercises, labels_of};
pub use minimize::{drop_noops, minimize, simplify};

use crate::cases::{AlterOp, HmacKey, KeyChoice, KeyTypeReq, SigOp, Trust};
use std::fmt;

/// One member of a header or claims object: its name and its value, each as JSON text in the
/// template language of case files (`${now-3600}`; `$$` for a literal `$`). The name is a JSON
/// string literal, quotes included, so that it can be written with escapes (`"\u0065xp"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    name: String,
    value: String,
    /// The name as a conforming parser reads it.
    decoded: String,
    /// Whether only raw text can carry it ([`Member::needs_raw`]).
    raw: bool,
}

impl Member {
    /// A member named `name` (plain text, escaped here) with the JSON value text `value`.
    pub fn new(name: &str, value: &str) -> Member {
        let quoted = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".into());
        Member::raw_name(&quoted.replace('$', "$$"), value)
    }

    /// A member whose name is given as JSON text already (`"\u0065xp"`).
    pub fn raw_name(name_text: &str, value: &str) -> Member {
        let decoded = serde_json::from_str::<String>(&unescape_dollars(name_text))
            .unwrap_or_else(|_| name_text.to_string());
        Member {
            name: name_text.to_string(),
            value: value.to_string(),
            decoded,
            raw: !canonical(name_text) || !canonical(value),
        }
    }

    /// The name as a JSON string literal (template text).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value as JSON text (template text); it need not be canonical JSON (`1e400`, `-0`).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The name as decoded JSON (what a conforming parser sees), or the raw text when it is not
    /// a JSON string.
    pub fn decoded_name(&self) -> &str {
        &self.decoded
    }

    /// Whether the member can only be written as raw JSON text: its name or its value would not
    /// survive being parsed and serialized again (escapes, `1e400`, `-0`, `1.0e2`).
    pub fn needs_raw(&self) -> bool {
        self.raw
    }

    /// `name: value`, as written in an object.
    pub fn text(&self) -> String {
        format!("{}: {}", self.name, self.value)
    }
}

/// `$$` → `$` (template escapes), leaving `${…}` placeholders as they are.
fn unescape_dollars(text: &str) -> String {
    text.replace("$$", "$")
}

/// Whether JSON template text is canonical: with its placeholders replaced by `0`, it reads as
/// JSON that serializes back to the same text.
fn canonical(text: &str) -> bool {
    let masked = mask_placeholders(text);
    match serde_json::from_str::<serde_json::Value>(&masked) {
        Ok(v) => serde_json::to_string(&v).is_ok_and(|text| text == masked),
        Err(_) => false,
    }
}

/// Replaces every `${…}` placeholder by `0` and every `$$` by `$` (an unclosed `${` stays).
pub(crate) fn mask_placeholders(text: &str) -> String {
    let masked = crate::forge::template::scan_placeholders(text, |body| {
        Ok::<_, std::convert::Infallible>(if body.is_some() { "0" } else { "" }.to_string())
    });
    match masked {
        Ok(m) => m,
        Err(never) => match never {},
    }
}

/// One edit of a case recipe: the unit the fuzzer generates, minimizes and writes back.
/// Each variant maps onto the [`Case`](crate::cases::Case) field named in its documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// `alg`: the header alg and the signing algorithm.
    Alg(String),
    /// `key`: which key signs.
    Key(KeyChoice),
    /// `requires.key_type`: the key type the signing alg, or `hmac_key`'s public key, comes from.
    KeyType(KeyTypeReq),
    /// `header`: a member set in the default header (replacing one of the same name).
    Header(Member),
    /// `remove_header`: a member removed from the default header.
    RemoveHeader(String),
    /// `header_raw`: a second member with a name the header already has, appended.
    DuplicateHeader(Member),
    /// `header_raw`: the whole header text.
    HeaderRaw(String),
    /// `header_segment`: the literal first segment.
    HeaderSegment(String),
    /// `claims`: a member set in the default claims (replacing one of the same name).
    Claim(Member),
    /// `remove_claims`: a member removed from the default claims.
    RemoveClaim(String),
    /// `claims_raw`: a second member with a name the claims already have, appended.
    DuplicateClaim(Member),
    /// `claims_raw`: the whole claims text.
    ClaimsRaw(String),
    /// `claims_segment`: the literal second segment.
    ClaimsSegment(String),
    /// `hmac_key`: HMAC keyed with public key material or a literal secret.
    HmacKey(HmacKey),
    /// `signature`: one operation on the signature bytes (applied in list order).
    Signature(SigOp),
    /// `tamper_header`: a header member set after signing.
    TamperHeader(Member),
    /// `tamper_claims`: a claims member set after signing.
    TamperClaim(Member),
    /// `alter`: one operation on the compact text (applied in list order).
    Alter(AlterOp),
    /// `trust`: a variant of the policy's trusted keys.
    Trust(Trust),
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mutation::Alg(a) => write!(f, "alg = {a}"),
            Mutation::Key(k) => write!(f, "key = {k}"),
            Mutation::KeyType(k) => write!(f, "requires.key_type = {k}"),
            Mutation::Header(m) => write!(f, "header {}", m.text()),
            Mutation::RemoveHeader(n) => write!(f, "remove_header {n}"),
            Mutation::DuplicateHeader(m) => write!(f, "header duplicate {}", m.text()),
            Mutation::HeaderRaw(t) => write!(f, "header_raw {t}"),
            Mutation::HeaderSegment(t) => write!(f, "header_segment {t}"),
            Mutation::Claim(m) => write!(f, "claims {}", m.text()),
            Mutation::RemoveClaim(n) => write!(f, "remove_claims {n}"),
            Mutation::DuplicateClaim(m) => write!(f, "claims duplicate {}", m.text()),
            Mutation::ClaimsRaw(t) => write!(f, "claims_raw {t}"),
            Mutation::ClaimsSegment(t) => write!(f, "claims_segment {t}"),
            Mutation::HmacKey(h) => write!(f, "hmac_key = {h}"),
            Mutation::Signature(s) => write!(f, "signature {s}"),
            Mutation::TamperHeader(m) => write!(f, "tamper_header {}", m.text()),
            Mutation::TamperClaim(m) => write!(f, "tamper_claims {}", m.text()),
            Mutation::Alter(a) => write!(f, "alter {a}"),
            Mutation::Trust(t) => write!(f, "trust = {t}"),
        }
    }
}

/// A list of mutations as one line: `alg = HS256; hmac_key = pem-spki`.
pub fn show(mutations: &[Mutation]) -> String {
    if mutations.is_empty() {
        return "(none: the policy's valid token)".into();
    }
    mutations
        .iter()
        .map(Mutation::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A small deterministic generator (SplitMix64) for the fuzzer's choices: the same seed gives
/// the same inputs. Not a cryptographic generator.
///
/// [`Rng::from_bytes`] makes one that reads its choices from a libFuzzer input first (two bytes
/// per choice), so that a small edit of the bytes is a small edit of the choices and coverage
/// guidance works; once the bytes run out it goes on as a SplitMix64 seeded with their hash.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    tape: Vec<u8>,
    pos: usize,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            state: seed ^ 0x6a09_e667_f3bc_c908,
            tape: Vec::new(),
            pos: 0,
        }
    }

    /// A generator whose choices are read from `data`, then drawn from its hash.
    pub fn from_bytes(data: &[u8]) -> Rng {
        Rng {
            tape: data.to_vec(),
            ..Rng::new(crate::forge::fnv(data))
        }
    }

    /// The next 64 random bits (16 bits, from the bytes of [`Rng::from_bytes`] while they last).
    pub fn next_u64(&mut self) -> u64 {
        if let Some(pair) = self.tape.get(self.pos..self.pos + 2) {
            self.pos += 2;
            return u64::from(u16::from_le_bytes([pair[0], pair[1]]));
        }
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability 1/`n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// What the generators know about the policy they generate for.
#[derive(Debug, Clone)]
pub struct GenContext {
    /// The names of the policy's allowed algorithms.
    pub algorithms: Vec<String>,
    /// The key types of the policy's trusted keys (`rsa`, `ec`, `okp`, `oct`).
    pub key_types: Vec<KeyTypeReq>,
    /// The kids of the policy's trusted keys.
    pub kids: Vec<String>,
    /// Whether an ECDSA algorithm is allowed (the ECDSA signature operations apply).
    pub ecdsa: bool,
    /// The policy's issuer, if it sets one.
    pub issuer: Option<String>,
    /// The policy's audiences.
    pub audience: Vec<String>,
}

impl GenContext {
    /// The context of a policy.
    pub fn of(policy: &crate::policy::Policy) -> GenContext {
        use crate::jose::KeyType;
        let mut key_types = Vec::new();
        for k in &policy.keys {
            let t = match k.key_type() {
                KeyType::Rsa => KeyTypeReq::Rsa,
                KeyType::Ec => KeyTypeReq::Ec,
                KeyType::Okp => KeyTypeReq::Okp,
                KeyType::Oct => KeyTypeReq::Oct,
            };
            if !key_types.contains(&t) {
                key_types.push(t);
            }
        }
        GenContext {
            algorithms: policy
                .algorithms
                .iter()
                .map(|a| a.name().to_string())
                .collect(),
            key_types,
            kids: policy
                .keys
                .iter()
                .filter_map(|k| k.kid().map(str::to_string))
                .collect(),
            ecdsa: policy
                .algorithms
                .iter()
                .any(|a| a.key_type() == KeyType::Ec),
            issuer: policy.issuer.clone(),
            audience: policy.audience.clone(),
        }
    }
}

/// A generator of mutation groups: a fixed group, or one drawn from the generator each time.
#[derive(Clone)]
pub enum Atom {
    /// Always the same mutations.
    Fixed(Vec<Mutation>),
    /// Mutations drawn anew each time.
    Drawn(fn(&mut Rng, &GenContext) -> Vec<Mutation>),
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Fixed(m) => write!(f, "Fixed({})", show(m)),
            Atom::Drawn(_) => f.write_str("Drawn"),
        }
    }
}

impl Atom {
    /// The mutations of this atom.
    pub fn draw(&self, rng: &mut Rng, ctx: &GenContext) -> Vec<Mutation> {
        match self {
            Atom::Fixed(m) => m.clone(),
            Atom::Drawn(f) => f(rng, ctx),
        }
    }
}

/// Every atom of every generator for a policy: JSON, header parameters, key material,
/// signatures and encodings.
pub fn atoms(ctx: &GenContext) -> Vec<Atom> {
    let mut out = json::atoms(ctx);
    out.extend(header::atoms(ctx));
    out.extend(key::atoms(ctx));
    out.extend(sig::atoms(ctx));
    out.extend(encoding::atoms(ctx));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_know_when_they_need_raw_text() {
        assert!(!Member::new("exp", "${now-3600}").needs_raw());
        assert!(!Member::new("iss", "\"${iss}/\"").needs_raw());
        assert!(!Member::new("exp", "${exp}.5").needs_raw());
        assert!(Member::new("exp", "1e400").needs_raw());
        assert!(Member::new("exp", "-0").needs_raw());
        assert!(Member::new("exp", "${exp}e0").needs_raw());
        assert!(Member::raw_name("\"\\u0065xp\"", "1").needs_raw());
        assert_eq!(Member::raw_name("\"\\u0065xp\"", "1").decoded_name(), "exp");
        assert_eq!(Member::new("a$b", "1").name(), "\"a$$b\"");
        assert_eq!(Member::new("a$b", "1").decoded_name(), "a$b");
        assert_eq!(
            mask_placeholders("{\"a\": ${now}, \"b\": \"$$x\"}"),
            "{\"a\": 0, \"b\": \"$x\"}"
        );
        assert_eq!(mask_placeholders("$$ ${a} ${b"), "$ 0 ${b");
    }

    #[test]
    fn the_generator_is_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert!(xs.windows(2).all(|w| w[0] != w[1]));
        assert!((0..100).all(|_| a.below(3) < 3));
    }

    #[test]
    fn a_byte_generator_reads_its_choices_from_the_bytes_first() {
        let mut r = Rng::from_bytes(&[5, 0, 7, 0, 1]);
        assert_eq!(r.below(10), 5);
        assert_eq!(r.below(10), 7);
        // One byte left over: from here on, drawn from the hash, the same each time.
        let rest: Vec<usize> = (0..4).map(|_| r.below(1000)).collect();
        let mut again = Rng::from_bytes(&[5, 0, 7, 0, 1]);
        again.below(10);
        again.below(10);
        assert_eq!(rest, (0..4).map(|_| again.below(1000)).collect::<Vec<_>>());
        let mut other = Rng::from_bytes(&[6, 0, 7, 0, 1]);
        assert_eq!(other.below(10), 6);
        assert_eq!(other.below(10), 7);
    }
}
