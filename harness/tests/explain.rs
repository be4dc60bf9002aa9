//! Tests of `explain`: each diagnosis of the checklist shows up, the verdict agrees with the
//! oracle on every catalog token and on hand-made ones, nothing secret is printed, and no input
//! makes it panic.

mod common;
use common::{root, NOW};

use jwt_harness::cases::{self, Reason};
use jwt_harness::explain::{explain, Diagnosis, Input};
use jwt_harness::forge::{self, Attackers, ForgeConfig};
use jwt_harness::jose::alg::{self, Alg, Hash};
use jwt_harness::jose::{b64, Jwk};
use jwt_harness::oracle::{self, Verdict};
use jwt_harness::policy::Policy;
use serde_json::{json, Value};
use std::process::Command;
use std::sync::Arc;

fn policy(name: &str) -> Policy {
    Policy::load(root().join(format!("fixtures/policies/{name}.toml"))).unwrap()
}

fn claims() -> Value {
    json!({
        "iss": "https://auth.example.com",
        "sub": "user-1",
        "aud": "https://api.example.com",
        "iat": NOW,
        "exp": NOW + 3600,
    })
}

fn header(alg: Alg, key: &Jwk) -> Value {
    typed_header(alg, key, "JWT")
}

/// [`header`] with another `typ`.
fn typed_header(alg: Alg, key: &Jwk, typ: &str) -> Value {
    let mut h = json!({"alg": alg.name(), "typ": typ});
    if let Some(kid) = key.kid() {
        h["kid"] = json!(kid);
    }
    h
}

/// Signs `header.claims` with `key`.
fn sign(alg: Alg, key: &Jwk, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    );
    let sig = alg::sign(alg, key, input.as_bytes(), 0).unwrap();
    format!("{input}.{}", b64::encode(&sig))
}

/// Joins `header.claims` with raw signature bytes.
fn with_sig(header: &Value, claims: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes()),
        b64::encode(sig)
    )
}

fn first_key(p: &Policy, alg: Alg) -> Jwk {
    p.keys_for(alg)[0].clone()
}

/// A valid token for the policy's first algorithm, with these claims.
fn token(p: &Policy, claims: &Value) -> String {
    let alg = p.algorithms[0];
    let key = first_key(p, alg);
    sign(alg, &key, &header(alg, &key), claims)
}

fn run(p: &Policy, tok: &str) -> Diagnosis {
    let d = explain(&Input::Token(tok.to_string()), p, NOW);
    check_invariants(&d, p);
    d
}

/// The shape every diagnosis has, whatever the input.
fn check_invariants(d: &Diagnosis, p: &Policy) {
    let text = d.render();
    let lines = d.lines();
    assert_eq!(
        text.lines().count(),
        lines.len(),
        "a line holds a line end:\n{text}"
    );
    let verdicts: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("verdict: "))
        .collect();
    assert_eq!(verdicts.len(), 1, "{text}");
    for l in lines {
        assert!(
            ["ok ", "FAIL ", "warn ", "note ", "verdict: ", "fix: "]
                .iter()
                .any(|p| l.starts_with(p)),
            "bad line {l:?}"
        );
        assert!(
            !l.starts_with("note internal"),
            "checklist and oracle disagree:\n{text}"
        );
    }
    if d.accepted() {
        assert_eq!(verdicts[0].as_str(), "verdict: accept");
        assert!(d.reason().is_none());
        assert!(
            !text.contains("\nFAIL "),
            "accepted with FAIL lines:\n{text}"
        );
        assert!(!text.contains("\nfix: "), "{text}");
    } else {
        let r = d.reason().expect("a reject has a reason");
        assert!(
            verdicts[0].starts_with(&format!("verdict: reject ({}): ", r.name())),
            "{text}"
        );
        assert!(
            text.contains("\nFAIL "),
            "rejected without a FAIL line:\n{text}"
        );
        assert!(text.contains("\nfix: "), "rejected without a fix:\n{text}");
    }
    for k in p.keys.iter().chain(&p.retired) {
        let private = k.private_json();
        for member in ["k", "d", "p", "q"] {
            if let Some(v) = private.get(member).and_then(Value::as_str) {
                assert!(
                    !text.contains(v),
                    "the output holds a key's {member}:\n{text}"
                );
            }
        }
    }
}

/// The diagnosis of a bare token agrees with the oracle, and the whole token is never printed.
fn agrees(p: &Policy, tok: &str, now: u64) -> Diagnosis {
    let d = explain(&Input::Token(tok.to_string()), p, now);
    check_invariants(&d, p);
    let text = d.render();
    match oracle::validate(tok, p, now) {
        Verdict::Accept(_) => assert!(d.accepted(), "oracle accepts, explain says:\n{text}"),
        Verdict::Reject(r, detail) => {
            assert!(
                !d.accepted(),
                "oracle rejects ({detail}), explain accepts:\n{text}"
            );
            assert_eq!(d.reason(), Some(r), "oracle: {detail}\n{text}");
        }
    }
    if tok.len() > 16 {
        assert!(!text.contains(tok), "the whole token is printed:\n{text}");
    }
    if let Some((_, sig)) = tok.rsplit_once('.') {
        if sig.len() > 16 {
            assert!(!text.contains(sig), "the signature is printed:\n{text}");
        }
    }
    d
}

fn has(d: &Diagnosis, needles: &[&str]) {
    let text = d.render();
    for n in needles {
        assert!(text.contains(n), "missing {n:?} in:\n{text}");
    }
}

fn verdict(d: &Diagnosis) -> String {
    d.lines()
        .iter()
        .find(|l| l.starts_with("verdict: "))
        .cloned()
        .unwrap()
}

#[test]
fn valid_tokens_are_accepted_under_every_policy() {
    for name in jwt_harness::policy::DEFAULT_POLICIES {
        let p = policy(name);
        for &alg in &p.algorithms {
            for key in p.keys_for(alg) {
                let typ = p.typ.as_deref().unwrap_or("JWT");
                let tok = sign(alg, key, &typed_header(alg, key, typ), &claims());
                let d = agrees(&p, &tok, NOW);
                assert!(d.accepted(), "{name} {alg}:\n{}", d.render());
                has(
                    &d,
                    &["ok   signature: ", "verifies with", "verdict: accept"],
                );
            }
        }
    }
}

#[test]
fn agrees_with_the_oracle_on_every_catalog_token() {
    let root = root();
    let catalog = cases::load_catalog(&root).unwrap();
    let attackers = Attackers::load(&root).unwrap();
    let policies: Vec<Arc<Policy>> = jwt_harness::Fixtures::Dir(root.clone())
        .default_policies()
        .unwrap()
        .into_iter()
        .map(Arc::new)
        .collect();
    let forged = forge::forge_all(
        &catalog,
        &policies,
        &attackers,
        &ForgeConfig { now: NOW, seed: 0 },
        &|_| true,
    );
    assert!(forged.instances.len() > 500);
    for inst in &forged.instances {
        agrees(&inst.policy, &inst.token, inst.now);
        // As a header value, the verdict is the oracle's on the token a server extracts: the
        // value without its optional whitespace (RFC 9110 §5.5), after "Bearer" and its spaces.
        let h = explain(
            &Input::Authorization(format!("Bearer {}", inst.token)),
            &inst.policy,
            inst.now,
        );
        check_invariants(&h, &inst.policy);
        let extracted = inst
            .token
            .trim_start_matches(' ')
            .trim_end_matches([' ', '\t']);
        let want = match oracle::validate(extracted, &inst.policy, inst.now) {
            Verdict::Accept(_) => None,
            Verdict::Reject(r, _) => Some(r),
        };
        assert_eq!(
            h.reason(),
            want,
            "{}: as a header value:\n{}",
            inst.id,
            h.render()
        );
        assert_eq!(h.accepted(), want.is_none());
    }
}

#[test]
fn expired_spells_out_offset_and_leeway() {
    let p = policy("rs256");
    let mut c = claims();
    c["exp"] = json!(NOW - (3 * 3600 + 12 * 60));
    c["iat"] = json!(NOW - 5 * 3600);
    let d = agrees(&p, &token(&p, &c), NOW);
    assert_eq!(d.reason(), Some(Reason::Expired));
    has(
        &d,
        &[
            "expired 3 h 12 min ago",
            "leeway 60 s",
            "2025-11-28 14:01:20 UTC",
        ],
    );
    assert!(verdict(&d).contains("expired 3 h 12 min ago; leeway 60 s"));

    // Inside the leeway: accepted, with a warning.
    c["exp"] = json!(NOW - 30);
    let d = agrees(&p, &token(&p, &c), NOW);
    assert!(d.accepted());
    has(&d, &["warn claims: exp passed 30 s ago", "leeway 60 s"]);
}

#[test]
fn not_yet_valid_and_time_types() {
    let p = policy("es256");
    let mut c = claims();
    c["nbf"] = json!(NOW + 600);
    let d = agrees(&p, &token(&p, &c), NOW);
    assert_eq!(d.reason(), Some(Reason::NotYetValid));
    has(
        &d,
        &["not valid for another 10 min", "leeway 60 s", "clocks"],
    );

    let mut c = claims();
    c["exp"] = json!((NOW + 3600).to_string());
    let d = agrees(&p, &token(&p, &c), NOW);
    assert_eq!(d.reason(), Some(Reason::ClaimType));
    has(&d, &["exp is a string", "without quotes"]);

    let mut c = claims();
    c["exp"] = json!((NOW + 3600) * 1000);
    let d = agrees(&p, &token(&p, &c), NOW);
    assert!(d.accepted());
    has(&d, &["milliseconds"]);
}

#[test]
fn retired_key_is_named_as_rotated_out() {
    let p = policy("rs256");
    let retired = p.retired[0].clone();
    assert_eq!(retired.kid(), Some("rs-2025-12"));
    let tok = sign(
        Alg::RS256,
        &retired,
        &header(Alg::RS256, &retired),
        &claims(),
    );
    let d = agrees(&p, &tok, NOW);
    assert_eq!(d.reason(), Some(Reason::Key));
    has(
        &d,
        &[
            "retired",
            "rotated out",
            "rs-2025-12",
            "verifies with the retired key",
        ],
    );

    // Without a kid the oracle says `signature`; explain still finds the retired key.
    let mut h = header(Alg::RS256, &retired);
    h.as_object_mut().unwrap().remove("kid");
    let d = agrees(&p, &sign(Alg::RS256, &retired, &h, &claims()), NOW);
    assert_eq!(d.reason(), Some(Reason::Signature));
    has(
        &d,
        &[
            "verifies with the retired key \"rs-2025-12\"",
            "rotated out",
        ],
    );
}

#[test]
fn signature_of_the_other_trusted_key_is_a_rotation_mix_up() {
    let p = policy("rs256");
    let keys = p.keys_for(Alg::RS256);
    assert!(keys.len() >= 2);
    let (named, signer) = (keys[0], keys[1]);
    let tok = sign(Alg::RS256, signer, &header(Alg::RS256, named), &claims());
    let d = agrees(&p, &tok, NOW);
    assert_eq!(d.reason(), Some(Reason::Signature));
    let other = signer.kid().unwrap();
    has(
        &d,
        &[other, "rotation mix-up", &format!("put kid \"{other}\"")],
    );
    assert!(verdict(&d).contains(other));

    // A kid naming no key, signed by a trusted one: only the kid is wrong.
    let mut h = header(Alg::RS256, signer);
    h["kid"] = json!("rs-2026-03");
    let d = agrees(&p, &sign(Alg::RS256, signer, &h, &claims()), NOW);
    assert_eq!(d.reason(), Some(Reason::Key));
    has(&d, &["names no trusted key", "rs-2026-01", other]);
}

#[test]
fn hmac_keyed_with_the_public_pem_is_alg_confusion() {
    for name in ["rs256", "es256", "eddsa", "mixed"] {
        let p = policy(name);
        let victim = p
            .keys
            .iter()
            .find(|k| k.pem_spki().is_some())
            .unwrap()
            .clone();
        let h = json!({"alg": "HS256", "typ": "JWT", "kid": victim.kid()});
        let input = format!(
            "{}.{}",
            b64::encode(h.to_string().as_bytes()),
            b64::encode(claims().to_string().as_bytes())
        );
        let pem = victim.pem_spki().unwrap();
        let mac = alg::hmac(Hash::Sha256, pem.as_bytes(), input.as_bytes());
        let tok = format!("{input}.{}", b64::encode(&mac));
        let d = agrees(&p, &tok, NOW);
        assert!(!d.accepted());
        has(
            &d,
            &["alg confusion attack", "SubjectPublicKeyInfo PEM", "ATTACK"],
        );
        assert!(d
            .render()
            .contains("fix: nothing to fix in the token: it is forged"));
        // Under the mixed policy HS256 is allowed: the kid names a key of the wrong type.
        let want = if name == "mixed" {
            Reason::Key
        } else {
            Reason::Algorithm
        };
        assert_eq!(d.reason(), Some(want), "{name}");
    }
}

#[test]
fn transport_damage_is_found_undone_and_blamed() {
    let p = policy("hs256");
    let tok = token(&p, &claims());
    assert!(run(&p, &tok).accepted());
    let cases: Vec<(String, &str)> = vec![
        (format!("Bearer {tok}"), "Bearer prefix in a bare token"),
        (format!("Bearer Bearer {tok}"), "double Bearer"),
        (format!("{tok}\n"), "a newline after the token"),
        (format!("  {tok}  "), "spaces around the token"),
        (format!("\u{feff}{tok}"), "byte-order mark"),
        (format!("\"{tok}\""), "wrapped in quotes"),
        (tok.replace('.', "%2E"), "URL-encoded"),
        (format!("{tok}%3D"), "URL-encoded"),
        (format!("{tok}="), "'=' padding"),
        (
            format!("{}\n{}", &tok[..40], &tok[40..]),
            "inside the token",
        ),
    ];
    for (damaged, needle) in &cases {
        let d = agrees(&p, damaged, NOW);
        assert_eq!(d.reason(), Some(Reason::Malformed), "{damaged:?}");
        has(
            &d,
            &[
                needle,
                "FAIL transport: ",
                "undamaged, the token would be accepted",
            ],
        );
    }

    // Standard alphabet: find a token whose encoding has a '-' or '_'.
    let mut c = claims();
    let mut i = 0;
    let tok = loop {
        c["sub"] = json!(format!("user-{i}?>>~"));
        let t = token(&p, &c);
        if t.contains(['-', '_']) {
            break t;
        }
        i += 1;
    };
    let d = agrees(&p, &tok.replace('-', "+").replace('_', "/"), NOW);
    has(
        &d,
        &["standard base64", "undamaged, the token would be accepted"],
    );

    // Damage and a real problem: both are said.
    let mut c = claims();
    c["exp"] = json!(NOW - 7200);
    let d = agrees(&p, &format!("\"{}\"", token(&p, &c)), NOW);
    has(
        &d,
        &[
            "quotes",
            "undamaged, it is still rejected (expired): expired 2 h ago",
        ],
    );
}

#[test]
fn authorization_values() {
    let p = policy("eddsa");
    let tok = token(&p, &claims());
    let header = |v: String| explain(&Input::Authorization(v), &p, NOW);

    let d = header(format!("Bearer {tok}"));
    check_invariants(&d, &p);
    assert!(d.accepted(), "{}", d.render());

    let d = header(format!("bearer {tok}"));
    assert!(d.accepted(), "{}", d.render());
    has(&d, &["case-insensitive", "RFC 7235"]);

    let d = header(format!("Bearer Bearer {tok}"));
    check_invariants(&d, &p);
    assert_eq!(d.reason(), Some(Reason::Malformed));
    has(
        &d,
        &["double Bearer prefix", "add \"Bearer \" exactly once"],
    );
    let d = header("Bearer Bearer x".to_string());
    has(&d, &["double Bearer prefix"]);

    for (value, needle) in [
        (tok.clone(), "no Bearer scheme"),
        (format!("Basic {tok}"), "not Bearer"),
        (format!("Authorization: Bearer {tok}"), "header name"),
        ("Bearer".to_string(), "no token"),
    ] {
        let d = header(value);
        check_invariants(&d, &p);
        assert_eq!(d.reason(), Some(Reason::Malformed));
        has(&d, &[needle]);
    }
}

#[test]
fn issuer_and_audience_hints() {
    let p = policy("rs256");
    let cases = [
        (
            "iss",
            json!("https://auth.example.com/"),
            Reason::Issuer,
            "trailing slash",
        ),
        (
            "iss",
            json!("http://auth.example.com"),
            Reason::Issuer,
            "scheme differs: http vs https",
        ),
        (
            "iss",
            json!("https://AUTH.example.com"),
            Reason::Issuer,
            "letter case",
        ),
        (
            "iss",
            json!("https://auth.example.com.evil.io"),
            Reason::Issuer,
            "prefix match is no match",
        ),
        (
            "iss",
            json!("https://staging.example.com"),
            Reason::Issuer,
            "another environment",
        ),
        (
            "aud",
            json!("https://api.example.com/"),
            Reason::Audience,
            "trailing slash",
        ),
        (
            "aud",
            json!("https://API.example.com"),
            Reason::Audience,
            "letter case",
        ),
        (
            "aud",
            json!(["https://other.example.com", "https://x.example.com"]),
            Reason::Audience,
            "an array",
        ),
        ("aud", json!([]), Reason::Audience, "empty array"),
        (
            "aud",
            json!("https://a.example.com https://api.example.com"),
            Reason::Audience,
            "use a JSON array",
        ),
        (
            "aud",
            json!("https://auth.example.com"),
            Reason::Audience,
            "issuer's URL",
        ),
        ("aud", json!(42), Reason::ClaimType, "aud is a number"),
        (
            "iss",
            json!(["https://auth.example.com"]),
            Reason::ClaimType,
            "iss is an array",
        ),
    ];
    for (claim, value, reason, needle) in cases {
        let mut c = claims();
        c[claim] = value.clone();
        let d = agrees(&p, &token(&p, &c), NOW);
        assert_eq!(d.reason(), Some(reason), "{claim} {value}");
        has(&d, &[needle]);
    }
    // An array holding the audience is fine.
    let mut c = claims();
    c["aud"] = json!(["https://other.example.com", "https://api.example.com"]);
    let d = agrees(&p, &token(&p, &c), NOW);
    assert!(d.accepted());
    has(&d, &["one match is enough"]);
}

#[test]
fn required_claims_missing() {
    let p = policy("es256");
    for claim in ["sub", "exp", "aud", "iss"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(claim);
        let d = agrees(&p, &token(&p, &c), NOW);
        assert_eq!(d.reason(), Some(Reason::MissingClaim));
        has(&d, &[&format!("required claim \"{claim}\" is missing")]);
    }
}

#[test]
fn header_problems() {
    let p = policy("rs256");
    let key = first_key(&p, Alg::RS256);
    let signed = |h: Value| sign(Alg::RS256, &key, &h, &claims());

    let d = agrees(&p, &signed(json!({"alg": "rs256", "kid": key.kid()})), NOW);
    assert_eq!(d.reason(), Some(Reason::Algorithm));
    has(&d, &["case variant of RS256", "verifies with"]);

    for none in ["none", "None", "NONE"] {
        let h = json!({"alg": none});
        let d = agrees(
            &p,
            &format!(
                "{}.{}.",
                b64::encode(h.to_string().as_bytes()),
                b64::encode(claims().to_string().as_bytes())
            ),
            NOW,
        );
        assert_eq!(d.reason(), Some(Reason::Algorithm));
        has(&d, &["unsecured", "ATTACK"]);
    }

    let d = agrees(&p, &signed(json!({"alg": "RS384", "kid": key.kid()})), NOW);
    has(&d, &["not on the allowlist [RS256]"]);
    let d = agrees(&p, &signed(json!({"alg": 256, "kid": key.kid()})), NOW);
    assert_eq!(d.reason(), Some(Reason::Malformed));
    has(&d, &["alg is a number"]);

    let d = agrees(
        &p,
        &signed(json!({"alg": "RS256", "kid": key.kid(), "crit": ["exp"], "exp": 1})),
        NOW,
    );
    assert_eq!(d.reason(), Some(Reason::Other));
    has(&d, &["crit [\"exp\"]"]);
    let d = agrees(
        &p,
        &signed(json!({"alg": "RS256", "kid": key.kid(), "b64": false})),
        NOW,
    );
    has(&d, &["b64: false"]);
    let d = agrees(&p, &signed(json!({"alg": "RS256", "kid": 7})), NOW);
    assert_eq!(d.reason(), Some(Reason::Malformed));
    has(&d, &["kid is a number"]);

    // Embedded keys are ignored, and said to be.
    let d = agrees(
        &p,
        &signed(
            json!({"alg": "RS256", "kid": key.kid(), "jwk": key.public_json(), "jku": "https://evil.example/jwks", "x5c": ["MIIB"]}),
        ),
        NOW,
    );
    assert!(d.accepted());
    has(
        &d,
        &[
            "warn header: jwk is present and ignored",
            "jku is present and ignored",
            "x5c is present and ignored",
        ],
    );

    // typ under a policy that requires one.
    let mut typed = p.clone();
    typed.typ = Some("at+jwt".into());
    let d = agrees(
        &typed,
        &signed(json!({"alg": "RS256", "kid": key.kid(), "typ": "JWT"})),
        NOW,
    );
    assert_eq!(d.reason(), Some(Reason::Other));
    has(&d, &["typ \"JWT\" but the policy requires \"at+jwt\""]);
    let d = agrees(
        &typed,
        &signed(json!({"alg": "RS256", "kid": key.kid(), "typ": "application/AT+JWT"})),
        NOW,
    );
    assert!(d.accepted());
}

#[test]
fn key_type_must_fit() {
    let p = policy("mixed");
    let ec = first_key(&p, Alg::ES256);
    let rsa = first_key(&p, Alg::RS256);
    // An ES256 token whose kid names the RSA key.
    let tok = sign(Alg::ES256, &ec, &header(Alg::ES256, &rsa), &claims());
    let d = agrees(&p, &tok, NOW);
    assert_eq!(d.reason(), Some(Reason::Key));
    has(
        &d,
        &[
            "does not fit ES256",
            "needs an EC key on P-256",
            &rsa.fingerprint(),
        ],
    );
    // Fingerprints, never key material.
    assert!(!d
        .render()
        .contains(rsa.public_json()["n"].as_str().unwrap()));
}

#[test]
fn ecdsa_signature_shapes() {
    let p = policy("es256");
    let key = first_key(&p, Alg::ES256);
    let h = header(Alg::ES256, &key);
    let good = sign(Alg::ES256, &key, &h, &claims());
    let raw = b64::decode(good.rsplit_once('.').unwrap().1).unwrap();

    let d = agrees(&p, &with_sig(&h, &claims(), &der(&raw)), NOW);
    assert_eq!(d.reason(), Some(Reason::Signature));
    has(
        &d,
        &[
            "DER-encoded",
            "raw R||S",
            "converted to raw R||S it verifies with",
        ],
    );

    let d = agrees(&p, &with_sig(&h, &claims(), &[0u8; 64]), NOW);
    has(&d, &["psychic signature", "CVE-2022-21449", "ATTACK"]);
    let d = agrees(&p, &with_sig(&h, &claims(), &der(&[0u8; 64])), NOW);
    has(&d, &["psychic signature"]);

    let d = agrees(&p, &with_sig(&h, &claims(), &raw[1..]), NOW);
    has(&d, &["63 bytes"]);

    let d = agrees(&p, &with_sig(&h, &claims(), &[]), NOW);
    assert_eq!(d.reason(), Some(Reason::Signature));
    has(&d, &["signature is empty"]);
}

/// Raw R||S to DER.
fn der(raw: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let mut x: Vec<u8> = x.iter().copied().skip_while(|&b| b == 0).collect();
        if x.first().is_none_or(|&b| b & 0x80 != 0) {
            x.insert(0, 0);
        }
        let mut out = vec![2, x.len() as u8];
        out.extend(x);
        out
    };
    let (r, s) = raw.split_at(raw.len() / 2);
    let body: Vec<u8> = int(r).into_iter().chain(int(s)).collect();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[test]
fn hmac_specific_diagnoses() {
    let p = policy("hs256");
    let key = first_key(&p, Alg::HS256);
    let secret = key.secret().unwrap().to_vec();
    let h = header(Alg::HS256, &key);
    let input = format!(
        "{}.{}",
        b64::encode(h.to_string().as_bytes()),
        b64::encode(claims().to_string().as_bytes())
    );
    // Keyed with the base64url text of the secret.
    let mac = alg::hmac(
        Hash::Sha256,
        b64::encode(&secret).as_bytes(),
        input.as_bytes(),
    );
    let d = agrees(&p, &format!("{input}.{}", b64::encode(&mac)), NOW);
    has(&d, &["base64url text of the secret"]);
    // An HS384 MAC under an HS256 header.
    let mac = alg::hmac(Hash::Sha384, &secret, input.as_bytes());
    let d = agrees(&p, &format!("{input}.{}", b64::encode(&mac)), NOW);
    has(&d, &["an HS384 MAC?"]);
    // The secret never shows, in any form.
    let text = d.render();
    assert!(!text.contains(&b64::encode(&secret)));
}

#[test]
fn format_problems() {
    let p = policy("hs256");
    let tok = token(&p, &claims());
    let (h, rest) = tok.split_once('.').unwrap();
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "empty"),
        ("opaque-token-123".into(), "not a JWT"),
        (rest.into(), "2 segments"),
        (format!("{tok}.x.y"), "5 segments: a JWE"),
        (format!("{tok}."), "stray dot"),
        (format!("{h}!.{rest}"), "header segment: character"),
        (
            format!("{h}.e30.{}", &tok[tok.len() - 5..]),
            "signature segment",
        ),
        (format!("{}.{rest}", b64::encode(b"[1]")), "not an object"),
        (
            format!("{}.{rest}", b64::encode(&[0xff, 0xfe, 0xfd])),
            "not valid UTF-8",
        ),
        (
            format!("{}.{rest}", b64::encode(b"\xef\xbb\xbf{\"alg\":\"HS256\"}")),
            "byte-order mark",
        ),
        (
            format!("{}.{rest}", b64::encode(br#"{"alg":"HS256","alg":"none"}"#)),
            "duplicate member",
        ),
    ];
    for (t, needle) in &cases {
        let d = agrees(&p, t, NOW);
        assert_eq!(d.reason(), Some(Reason::Malformed), "{t:?}");
        has(&d, &[needle, "FAIL format: "]);
    }
    // A payload that is not JSON, correctly signed.
    let key = first_key(&p, Alg::HS256);
    let hh = b64::encode(header(Alg::HS256, &key).to_string().as_bytes());
    let input = format!("{hh}.{}", b64::encode(b"not json"));
    let sig = alg::sign(Alg::HS256, &key, input.as_bytes(), 0).unwrap();
    let d = agrees(&p, &format!("{input}.{}", b64::encode(&sig)), NOW);
    assert_eq!(d.reason(), Some(Reason::Malformed));
    has(&d, &["FAIL claims: payload"]);
    // JWE header details.
    let jwe = format!(
        "{}.a.b.c.d",
        b64::encode(br#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#)
    );
    has(&agrees(&p, &jwe, NOW), &["JWE", "\"A256GCM\""]);
}

#[test]
fn never_panics_on_garbage() {
    let p = policy("mixed");
    let ff = b64::encode(&[0xff; 40]);
    let mib: String = "a".repeat(1 << 20);
    let mut inputs: Vec<String> = vec![
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        ".".repeat(100_000),
        format!("{}.{}", "a".repeat(50_000), ".".repeat(100_000)),
        mib.clone(),
        format!("{mib}.{mib}.{mib}"),
        format!("{ff}.{ff}.{ff}"),
        format!("{}.{ff}.{ff}", b64::encode(br#"{"alg":"HS256"}"#)),
        format!("{}.{ff}.", b64::encode(br#"{"alg":"ES256"}"#)),
        "\0\0\0".into(),
        "\u{202e}ǅ🙂.🙂.🙂".into(),
        "Bearer".into(),
        "Bearer ".into(),
        "\"\"".into(),
        "\"".into(),
        "%".into(),
        "%%%2".into(),
        "%ff%fe.%00.%2E".into(),
        "====".into(),
        "=.=.=".into(),
        "+/+/.+/+/.+/+/".into(),
        " \t\r\n ".into(),
        "Bearer Bearer Bearer Bearer Bearer Bearer Bearer Bearer Bearer Bearer x".into(),
        "\"'\"'\"'x'\"'\"'\"".into(),
        format!(
            "{}.e30.AA",
            b64::encode(br#"{"alg":"RS256","jwk":{"kty":"RSA","n":"AA","e":"AQAB"}}"#)
        ),
        format!(
            "{}.e30.AA",
            b64::encode(br#"{"alg":"ES256","kid":"ec-p256-2026-01"}"#)
        ),
        format!(
            "{}.{}.AA",
            b64::encode(br#"{"alg":"HS256"}"#),
            b64::encode(br#"{"exp":1e308,"nbf":-1e308,"iat":"x","aud":[[]],"iss":{}}"#)
        ),
        format!(
            "{}.{}.AA",
            b64::encode(br#"{"alg":"HS256"}"#),
            b64::encode(format!("{{\"a\":{}{}}}", "[".repeat(5000), "]".repeat(5000)).as_bytes())
        ),
        format!(
            "{}.e30.{}",
            b64::encode(br#"{"alg":"ES256"}"#),
            b64::encode(&[0x30, 0x82, 0xff, 0xff, 2, 1])
        ),
        format!(
            "{}.e30.{}",
            b64::encode(br#"{"alg":"ES256"}"#),
            b64::encode(&[0x30, 6, 2, 1, 0, 2, 1, 0])
        ),
    ];
    for i in 0..64u8 {
        inputs.push(format!(
            "{}.{}.{}",
            b64::encode(&[i; 7]),
            b64::encode(&[i ^ 0x5a; 9]),
            b64::encode(&[i; 3])
        ));
    }
    for input in &inputs {
        let d = agrees(&p, input, NOW);
        assert!(!d.accepted(), "{input:.80}");
        for now in [0, u64::MAX] {
            check_invariants(&explain(&Input::Token(input.clone()), &p, now), &p);
        }
        check_invariants(&explain(&Input::Authorization(input.clone()), &p, NOW), &p);
        check_invariants(
            &explain(&Input::Authorization(format!("Bearer {input}")), &p, NOW),
            &p,
        );
        let text = d.render();
        assert!(text.len() < 20_000, "output of {} bytes", text.len());
    }
}

#[test]
fn long_claim_strings_are_cut() {
    let p = policy("hs256");
    let mut c = claims();
    let long = format!("https://{}.example.com", "a".repeat(500));
    c["iss"] = json!(long);
    let d = agrees(&p, &token(&p, &c), NOW);
    assert_eq!(d.reason(), Some(Reason::Issuer));
    assert!(!d.render().contains(&long));
    has(&d, &["chars)"]);
}

#[test]
fn cli_exit_codes() {
    let p = policy("hs256");
    let tok = token(&p, &claims());
    let exe = env!("CARGO_BIN_EXE_jwt-harness");
    let policy_file = root().join("fixtures/policies/hs256.toml");
    let now = NOW.to_string();
    let run = |args: &[&str]| {
        Command::new(exe)
            .arg("explain")
            .arg("--policy")
            .arg(&policy_file)
            .args(["--now", &now])
            .args(args)
            .output()
            .unwrap()
    };
    let ok = run(&[&tok]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("verdict: accept"));
    let header = format!("Bearer Bearer {tok}");
    let bad = run(&["--authorization", &header]);
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("double Bearer prefix"), "{out}");
    assert!(!out.contains(&tok));
}
