//! Entry points for the cargo-fuzz targets in `fuzz/`: each target is a few lines that call one
//! of these. They panic only when a property the harness relies on is broken; any input that
//! makes them panic is a bug, saved under `fixtures/regressions/` and replayed by a test.

use crate::jose::{b64, json};
use crate::oracle::{self, Verdict};
use crate::policy::Policy;
use std::sync::OnceLock;

/// The default policies, embedded in the crate. A target that had none would fuzz nothing and
/// pass, so not loading them is a failure of the target, not an empty run.
fn policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let policies = crate::fixtures::Fixtures::Embedded
            .default_policies()
            .unwrap_or_else(|e| panic!("the default policies do not load: {e}"));
        assert!(!policies.is_empty(), "no default policies to fuzz under");
        policies
    })
}

/// Any bytes as a token, under every default policy: the oracle must answer without panicking,
/// and an accepted token must be one whose parts decode strictly and whose re-encoding is
/// identical (no lenient parsing slipped through).
pub fn oracle_token(data: &[u8]) {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    for policy in policies() {
        if let Verdict::Accept(_) = oracle::validate(token, policy, crate::suite::FIXED_NOW) {
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(parts.len(), 3, "accepted a token without three segments");
            for p in parts {
                let bytes = b64::decode(p).expect("accepted a non-canonical segment");
                assert_eq!(
                    b64::encode(&bytes),
                    p,
                    "accepted a segment that does not re-encode"
                );
            }
        }
    }
}

/// Base64url: decoding never panics, and whatever decodes re-encodes to the same text.
pub fn base64url(data: &[u8]) {
    assert_eq!(b64::decode(&b64::encode(data)).as_deref(), Ok(data));
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = b64::decode(text) {
            assert_eq!(b64::encode(&bytes), text, "non-canonical input decoded");
        }
    }
}

/// Strict JSON objects: never panics; a parsed object serializes back to an object that parses.
pub fn json_object(data: &[u8]) {
    if let Ok(map) = json::parse_object(data) {
        let text = serde_json::Value::Object(map).to_string();
        assert!(json::parse_object(text.as_bytes()).is_ok());
    }
}

/// Case files: loading arbitrary text never panics.
pub fn case_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::cases::parse_family("fuzz", text);
    }
}

/// The mutator of `jwt-harness fuzz`: any bytes seed a mutation list drawn by its own
/// generators under one of the default policies. Composing and forging it never panics, and the
/// case file it is written as loads back with the same recipe.
pub fn mutations(data: &[u8]) {
    use crate::cases::{Attacker, Case, Expect, Impact, Reason};
    use crate::mutate::{self, write, GenContext, Rng};
    static ATTACKERS: OnceLock<crate::forge::Attackers> = OnceLock::new();
    let attackers = ATTACKERS.get_or_init(|| {
        crate::fixtures::Fixtures::Embedded
            .attackers()
            .unwrap_or_else(|e| panic!("the attacker keys do not load: {e}"))
    });
    let mut rng = Rng::new(crate::forge::fnv(data));
    let policy = rng.pick(policies());
    let ctx = GenContext::of(policy);
    let atoms = mutate::atoms(&ctx);
    let mut list = Vec::new();
    for _ in 0..1 + rng.below(4) {
        list.extend(rng.pick(&atoms).draw(&mut rng, &ctx));
    }
    let base: Case = toml::from_str("name = \"b\"\ndescription = \"d\"\nexpect = \"either\"\n")
        .expect("the base case parses");
    let case = mutate::compose(&base, &list);
    let _ = crate::forge::forge_one(&case, policy, attackers, crate::suite::FIXED_NOW, 0);
    let e = write::Expectation {
        expect: Expect::Reject,
        reason: Some(Reason::Other),
        attacker: Some(Attacker::Anyone),
        impact: Some(Impact::Forgery),
        checks: Vec::new(),
        refs: vec!["RFC 7515 §5.2".into()],
    };
    let written = write::finding_case(&base, &list, "fuzzed", "a fuzzed case", &e);
    let text = write::case_toml(&written).expect("a case serializes");
    let back = crate::cases::parse_family("fuzz", &text)
        .unwrap_or_else(|err| panic!("a written case does not load: {err}\n{text}"));
    let recipe = |c: &Case| {
        format!(
            "{:?}",
            (
                (&c.alg, c.key, &c.header, &c.remove_header, &c.header_raw),
                (
                    &c.header_segment,
                    &c.claims,
                    &c.remove_claims,
                    &c.claims_raw
                ),
                (&c.claims_segment, &c.hmac_key, &c.signature, &c.alter),
                (&c.tamper_header, &c.tamper_claims, c.requires.key_type),
            )
        )
    };
    assert_eq!(recipe(&back[0]), recipe(&written), "{text}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn mutation_lists_forge_and_round_trip_through_case_files() {
        for i in 0u32..400 {
            super::mutations(&i.to_le_bytes());
        }
    }
}
