//! Header parameter mutations: alg spellings, kid paths and injections, embedded and referenced
//! keys (jwk, jku, x5u, x5c), crit, b64, typ, cty, duplicate members, headers that are not an
//! object, and header members edited after signing.

use super::json::{lit, random_text};
use super::{Atom, GenContext, Member, Mutation, Rng};
use crate::cases::{HmacKey, KeyChoice};

fn header(name: &str, value: &str) -> Mutation {
    Mutation::Header(Member::new(name, value))
}

fn fixed(m: Vec<Mutation>) -> Atom {
    Atom::Fixed(m)
}

/// Spellings of `none`.
const NONES: [&str; 6] = ["none", "None", "NONE", "nOnE", " none", "none\\u0000"];

/// kid values: paths, injections, odd strings and other types.
const KIDS: [&str; 20] = [
    "\"../../../../../../dev/null\"",
    "\"/dev/null\"",
    "\"../../../../../../etc/passwd\"",
    "\"..\\\\..\\\\..\\\\windows\\\\win.ini\"",
    "\"${kid}/../${kid}\"",
    "\"${kid}\\u0000\"",
    "\"' OR '1'='1\"",
    "\"${kid}' --\"",
    "\"x\\\"; DROP TABLE keys; --\"",
    "\"$$(id)\"",
    "\"|id\"",
    "\"${attacker_url}/jwks.json\"",
    "\"\"",
    "\"${kid} \"",
    "\"${policy_kid}\"",
    "1",
    "null",
    "[\"${kid}\"]",
    "{\"kid\": \"${kid}\"}",
    "true",
];

/// Values of the other header parameters.
const PARAMS: [(&str, &str); 30] = [
    ("crit", "[\"exp\"]"),
    ("crit", "[]"),
    ("crit", "null"),
    ("crit", "\"exp\""),
    ("crit", "[\"x-unknown\"]"),
    ("crit", "[1]"),
    ("crit", "{}"),
    ("b64", "false"),
    ("b64", "true"),
    ("b64", "\"false\""),
    ("typ", "\"jwt\""),
    ("typ", "\"at+jwt\""),
    ("typ", "\"application/at+jwt\""),
    ("typ", "\"JWS\""),
    ("typ", "\"\""),
    ("typ", "null"),
    ("typ", "1"),
    ("typ", "\"JOSE+JSON\""),
    ("cty", "\"JWT\""),
    ("cty", "\"jwt\""),
    ("cty", "\"json\""),
    ("cty", "\"application/jwt\""),
    ("jku", "\"${attacker_url}/jwks.json\""),
    ("x5u", "\"${attacker_url}/cert.pem\""),
    ("x5c", "${attacker_x5c}"),
    ("jwk", "${attacker_jwk}"),
    (
        "x5t#S256",
        "\"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\"",
    ),
    ("zip", "\"DEF\""),
    ("enc", "\"A256GCM\""),
    ("x-extra", "{\"a\": [1, 2, {\"b\": null}]}"),
];

/// The header atoms for a policy.
pub fn atoms(ctx: &GenContext) -> Vec<Atom> {
    let mut out = Vec::new();
    // alg: none, unsigned and signed; other spellings of allowed and other algorithms.
    for n in NONES {
        let v = format!("\"{n}\"");
        out.push(fixed(vec![
            Mutation::Key(KeyChoice::None),
            header("alg", &v),
        ]));
        out.push(fixed(vec![header("alg", &v)]));
        out.push(fixed(vec![Mutation::TamperHeader(Member::new("alg", &v))]));
    }
    let mut algs: Vec<String> = ctx.algorithms.clone();
    algs.extend(
        [
            "HS256", "RS256", "ES256", "PS256", "EdDSA", "Ed25519", "HS512",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    for a in &algs {
        for v in [
            lit(a),
            lit(&a.to_lowercase()),
            lit(&format!("{a} ")),
            lit(&format!("{a}\u{0}")),
        ] {
            out.push(fixed(vec![header("alg", &v)]));
        }
    }
    for v in ["null", "1", "[\"${alg}\"]", "{}", "\"\""] {
        out.push(fixed(vec![header("alg", v)]));
    }
    for name in ["alg", "kid", "typ"] {
        out.push(fixed(vec![Mutation::RemoveHeader(name.into())]));
    }
    // kid: paths, injections, other keys; a path to an empty file keys the HMAC with nothing.
    for v in KIDS {
        out.push(fixed(vec![header("kid", v)]));
    }
    for v in &KIDS[..2] {
        out.push(fixed(vec![
            header("kid", v),
            Mutation::HmacKey(HmacKey::Empty),
        ]));
    }
    for kid in &ctx.kids {
        out.push(fixed(vec![header("kid", &lit(kid))]));
        out.push(fixed(vec![Mutation::TamperHeader(Member::new(
            "kid",
            &lit(kid),
        ))]));
    }
    // Keys the token brings along or points to, with the attacker's key signing.
    for (name, value) in [
        ("jwk", "${attacker_jwk}"),
        ("jku", "\"${attacker_url}/jwks.json\""),
        ("x5u", "\"${attacker_url}/cert.pem\""),
        ("x5c", "${attacker_x5c}"),
    ] {
        out.push(fixed(vec![
            Mutation::Key(KeyChoice::Attacker),
            header(name, value),
        ]));
        out.push(fixed(vec![
            Mutation::Key(KeyChoice::Attacker),
            header(name, value),
            Mutation::RemoveHeader("kid".into()),
        ]));
    }
    for (name, value) in PARAMS {
        out.push(fixed(vec![header(name, value)]));
    }
    out.push(fixed(vec![
        header("b64", "false"),
        header("crit", "[\"b64\"]"),
    ]));
    out.push(fixed(vec![Mutation::TamperHeader(Member::new(
        "crit",
        "[\"exp\"]",
    ))]));
    out.push(fixed(vec![Mutation::TamperHeader(Member::new(
        "typ",
        "\"at+jwt\"",
    ))]));
    // Duplicate members, also under an escaped name.
    for (name, value) in [
        ("alg", "\"none\""),
        ("alg", "\"HS256\""),
        ("kid", "\"../../../../../../dev/null\""),
        ("crit", "[\"exp\"]"),
        ("typ", "\"at+jwt\""),
    ] {
        out.push(fixed(vec![Mutation::DuplicateHeader(Member::new(
            name, value,
        ))]));
        let escaped = format!("\"\\u{:04x}{}\"", name.as_bytes()[0], &name[1..]);
        out.push(fixed(vec![Mutation::DuplicateHeader(Member::raw_name(
            &escaped, value,
        ))]));
    }
    // Headers that are not an object, or not this token's.
    for raw in [
        "[]",
        "null",
        "{}",
        "{\"alg\":\"${alg}\"}",
        "\u{feff}{\"alg\":\"${alg}\",\"typ\":\"${typ}\",\"kid\":\"${kid}\"}",
        "{\"alg\":\"${alg}\",\"typ\":\"${typ}\",\"kid\":\"${kid}\"} ",
        "{\"alg\":\"${alg}\",\"typ\":\"${typ}\",\"kid\":\"${kid}\",}",
    ] {
        out.push(fixed(vec![Mutation::HeaderRaw(raw.into())]));
    }
    for seg in ["", "e30", "eyJhbGciOiJub25lIn0", "W10"] {
        out.push(fixed(vec![Mutation::HeaderSegment(seg.into())]));
    }
    out.push(Atom::Drawn(draw_param));
    out.push(Atom::Drawn(draw_kid));
    out
}

/// A header parameter set to a value drawn from every parameter's values, or random text.
fn draw_param(rng: &mut Rng, _ctx: &GenContext) -> Vec<Mutation> {
    let (name, _) = *rng.pick(&PARAMS);
    let value = if rng.one_in(3) {
        lit(&random_text(rng))
    } else {
        rng.pick(&PARAMS).1.to_string()
    };
    let m = Member::new(name, &value);
    vec![match rng.below(6) {
        0 => Mutation::DuplicateHeader(m),
        1 => Mutation::TamperHeader(m),
        _ => Mutation::Header(m),
    }]
}

/// A kid: another trusted key's with something appended, random text, or a path.
fn draw_kid(rng: &mut Rng, ctx: &GenContext) -> Vec<Mutation> {
    let base = if ctx.kids.is_empty() {
        "k".to_string()
    } else {
        rng.pick(&ctx.kids).clone()
    };
    let v = match rng.below(4) {
        0 => format!("{base}{}", random_text(rng)),
        1 => format!("{}{base}", "../".repeat(1 + rng.below(8))),
        2 => base.to_uppercase(),
        _ => random_text(rng),
    };
    vec![header("kid", &lit(&v))]
}
