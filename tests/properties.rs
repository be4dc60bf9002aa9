//! Properties of the building blocks, for any input proptest can think of.

use jwt_harness::cases::Reason;
use jwt_harness::jose::{alg, b64};
use jwt_harness::oracle::{validate, Verdict};
use jwt_harness::Policy;
use jwt_harness_tests::{default_policies, NOW};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn policies() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(default_policies)
}

/// Signs a header and claims with the first key fitting the policy's `alg_index`-th algorithm.
fn sign_token(policy: &Policy, alg_index: usize, claims: &Map<String, Value>) -> String {
    let a = policy.algorithms[alg_index % policy.algorithms.len()];
    let key = policy.keys_for(a)[0];
    let header = json!({"alg": a.name(), "kid": key.kid()});
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(Value::Object(claims.clone()).to_string().as_bytes())
    );
    let sig = alg::sign(a, key, input.as_bytes(), 7).expect("fixture keys sign");
    format!("{input}.{}", b64::encode(&sig))
}

fn valid_claims(policy: &Policy, extra: &Map<String, Value>) -> Map<String, Value> {
    let mut claims = extra.clone();
    claims.insert(
        "iss".into(),
        json!(policy.issuer.clone().unwrap_or_default()),
    );
    claims.insert("aud".into(), json!(policy.audience[0]));
    claims.insert("sub".into(), json!("user-1"));
    claims.insert("exp".into(), json!(NOW + 3600));
    claims
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        "[ -~]{0,20}".prop_map(|s| json!(s)),
        Just(Value::Null),
    ]
}

fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
    // Registered names are left to valid_claims; anything else is fair game.
    proptest::collection::btree_map("[a-z]{1,8}", scalar(), 0..6).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| !["iss", "aud", "sub", "exp", "nbf", "iat"].contains(&k.as_str()))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn correctly_forged_tokens_are_accepted(p in 0usize..5, a in 0usize..3, extra in extra_claims()) {
        let policy = &policies()[p];
        let token = sign_token(policy, a, &valid_claims(policy, &extra));
        prop_assert!(validate(&token, policy, NOW).is_accept(), "rejected {:?}", validate(&token, policy, NOW));
    }

    #[test]
    fn any_single_character_change_is_rejected(
        p in 0usize..5,
        at in any::<proptest::sample::Index>(),
        replacement in prop_oneof![
            proptest::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()),
            proptest::sample::select(b"=+/ .%\"\n".to_vec()),
        ],
    ) {
        let policy = &policies()[p];
        let token = sign_token(policy, 0, &valid_claims(policy, &Map::new()));
        let positions: Vec<usize> = token.char_indices().filter(|(_, c)| *c != '.').map(|(i, _)| i).collect();
        let i = positions[at.index(positions.len())];
        prop_assume!(token.as_bytes()[i] != replacement);
        let mut bytes = token.into_bytes();
        bytes[i] = replacement;
        let changed = String::from_utf8(bytes).expect("ASCII");
        prop_assert!(!validate(&changed, policy, NOW).is_accept());
    }

    #[test]
    fn base64url_round_trips(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = b64::encode(&data);
        prop_assert_eq!(b64::decode(&text).unwrap(), data);
        prop_assert!(!text.contains('='));
    }

    #[test]
    fn base64url_rejects_noncanonical_trailing_bits(data in proptest::collection::vec(any::<u8>(), 1..100), bits in 1u8..16) {
        let text = b64::encode(&data);
        let unused = match text.len() % 4 { 2 => 4, 3 => 2, _ => 0 };
        prop_assume!(unused > 0);
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = *text.as_bytes().last().unwrap();
        let v = alphabet.iter().position(|&c| c == last).unwrap() as u8;
        let extra = bits & ((1 << unused) - 1);
        prop_assume!(extra != 0);
        let mut changed = text.clone().into_bytes();
        *changed.last_mut().unwrap() = alphabet[(v | extra) as usize];
        prop_assert!(b64::decode(std::str::from_utf8(&changed).unwrap()).is_err());
    }

    #[test]
    fn exp_and_nbf_follow_the_leeway_arithmetic(offset in -5000i64..5000, leeway in 0u64..600, which in 0usize..2) {
        let mut policy = policies()[0].clone();
        policy.leeway = leeway;
        let mut claims = valid_claims(&policy, &Map::new());
        let t = NOW as i64 + offset;
        let (name, must_reject, reason) = if which == 0 {
            ("exp", offset + leeway as i64 <= 0, Reason::Expired)
        } else {
            ("nbf", offset - leeway as i64 > 0, Reason::NotYetValid)
        };
        claims.insert(name.into(), json!(t));
        let token = sign_token(&policy, 0, &claims);
        match validate(&token, &policy, NOW) {
            Verdict::Accept(_) => prop_assert!(!must_reject, "{name}={offset:+} leeway {leeway} accepted"),
            Verdict::Reject(r, d) => {
                prop_assert!(must_reject, "{name}={offset:+} leeway {leeway} rejected: {d}");
                prop_assert_eq!(r, reason);
            }
        }
    }
}
