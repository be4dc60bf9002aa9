//! JSON mutations of the claims: members added, removed and duplicated, types changed, Unicode
//! escapes and look-alikes, huge and non-integer numbers, nesting, payloads that are not an
//! object. Values are template text, so times stay relative to the clock (`${now-3600}`).

use super::{Atom, GenContext, Member, Mutation, Rng};

/// A JSON string literal of `text`, as template text (`$` escaped).
pub fn lit(text: &str) -> String {
    serde_json::to_string(text)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('$', "$$")
}

/// The registered claims whose type and value validators check.
const CLAIMS: [&str; 7] = ["exp", "nbf", "iat", "iss", "sub", "aud", "jti"];

/// Values of another JSON type than a claim's own.
const OTHER_TYPES: [&str; 9] = [
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[${exp}]",
    "{\"exp\": ${exp}}",
    "\"\"",
    "1",
];

/// Numbers for `exp`, `nbf` and `iat`: huge, negative, non-integer, in another unit, or not
/// representable; some only as raw text.
const NUMBERS: [&str; 22] = [
    "1e400",
    "-1e400",
    "18446744073709551616",
    "18446744073709551615",
    "9223372036854775808",
    "9223372036854775807",
    "-9223372036854775809",
    "1.7976931348623157e308",
    "9007199254740993",
    "-1",
    "0",
    "-0",
    "${exp}e0",
    "${exp}.0",
    "${exp}.5",
    "${now-3600}.999999",
    "${exp}000",
    "${now-leeway-600}",
    "${now+leeway+600}",
    "${now-86400}",
    "${now+31536000}",
    "1E3",
];

/// Numbers as strings and other wrappings of a time.
const TIME_WRAPS: [&str; 6] = [
    "\"${exp}\"",
    "\"${now-leeway-600}\"",
    "\"${now+leeway+600}\"",
    "\" ${exp}\"",
    "[${now-leeway-600}]",
    "\"${exp}.0\"",
];

/// Look-alikes of ASCII letters (Cyrillic and Greek).
const LOOKALIKES: [(char, char); 8] = [
    ('a', '\u{0430}'),
    ('e', '\u{0435}'),
    ('o', '\u{043e}'),
    ('p', '\u{0440}'),
    ('c', '\u{0441}'),
    ('x', '\u{0445}'),
    ('i', '\u{0456}'),
    ('u', '\u{03c5}'),
];

/// Variants of a string a comparison might confuse with it: look-alike letters, one character
/// as a `\u` escape (equal once decoded), case, invisible and control characters, prefixes.
pub fn string_variants(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((i, (from, to))) = value
        .char_indices()
        .find_map(|(i, c)| LOOKALIKES.iter().find(|(a, _)| *a == c).map(|p| (i, *p)))
    {
        let mut s = value.to_string();
        s.replace_range(i..i + from.len_utf8(), &to.to_string());
        out.push(lit(&s));
    }
    if let Some(first) = value.chars().next().filter(|c| (*c as u32) < 0x10000) {
        // Equal once decoded: a validator comparing raw text rejects it (strict).
        let rest = &value[first.len_utf8()..];
        out.push(format!("\"\\u{:04x}{}", first as u32, &lit(rest)[1..]));
    }
    out.push(lit(&value.to_uppercase()));
    out.push(lit(&format!("{value}\u{200b}")));
    out.push(lit(&format!("{value}\u{0}")));
    out.push(lit(&format!("{value}/")));
    out.push(lit(&format!("{value}.evil.example")));
    out.push(lit(&format!(" {value}")));
    let half: String = value.chars().take(value.chars().count() / 2).collect();
    out.push(lit(&half));
    out
}

fn claim(name: &str, value: &str) -> Mutation {
    Mutation::Claim(Member::new(name, value))
}

fn fixed(m: Vec<Mutation>) -> Atom {
    Atom::Fixed(m)
}

/// The JSON atoms for a policy.
pub fn atoms(ctx: &GenContext) -> Vec<Atom> {
    let mut out = Vec::new();
    // Holder-class values: times, audiences and issuers a genuine token could carry.
    for (name, value) in [
        ("exp", "${now-leeway-600}"),
        ("exp", "${now-86400}"),
        ("exp", "${now+31536000}"),
        ("nbf", "${now+leeway+600}"),
        ("nbf", "${now+leeway+600}.5"),
        ("iat", "${now+3600}"),
        ("iat", "${now-86400}"),
        ("aud", "\"https://other-service.example.com\""),
        ("aud", "[\"https://other-service.example.com\"]"),
        ("aud", "[\"${aud}\", \"https://other-service.example.com\"]"),
        ("aud", "[]"),
        ("aud", "\"\""),
        ("aud", "\"*\""),
        ("aud", "\"${aud}/\""),
        ("aud", "\"${iss}\""),
        ("iss", "\"https://evil.example.com\""),
        ("iss", "\"${iss}/\""),
        ("iss", "\"${iss}.evil.example\""),
        ("iss", "\"${aud}\""),
        ("iss", "\"\""),
        ("sub", "\"admin\""),
    ] {
        out.push(fixed(vec![claim(name, value)]));
    }
    // Types changed.
    for name in CLAIMS {
        for v in OTHER_TYPES {
            out.push(fixed(vec![claim(name, v)]));
        }
    }
    for name in ["exp", "nbf", "iat"] {
        for v in NUMBERS.iter().chain(&TIME_WRAPS) {
            out.push(fixed(vec![claim(name, v)]));
        }
    }
    // Present or absent.
    for name in CLAIMS {
        out.push(fixed(vec![Mutation::RemoveClaim(name.into())]));
    }
    // Duplicate members: a first-wins reader sees the default, a last-wins one the duplicate.
    for (name, value) in [
        ("exp", "${now-leeway-600}"),
        ("exp", "\"${exp}\""),
        ("nbf", "${now+leeway+600}"),
        ("aud", "\"https://other-service.example.com\""),
        ("iss", "\"https://evil.example.com\""),
        ("sub", "\"admin\""),
    ] {
        out.push(fixed(vec![Mutation::DuplicateClaim(Member::new(
            name, value,
        ))]));
        // The same name written with an escape: equal once decoded.
        let first = name.chars().next().unwrap_or('a');
        let escaped = format!("\"\\u{:04x}{}\"", first as u32, &name[1..]);
        out.push(fixed(vec![Mutation::DuplicateClaim(Member::raw_name(
            &escaped, value,
        ))]));
    }
    // The genuine value first, a bad one second, and the reverse order.
    out.push(fixed(vec![
        claim("exp", "${now-leeway-600}"),
        Mutation::DuplicateClaim(Member::new("exp", "${exp}")),
    ]));
    // Look-alike names standing in for a removed claim.
    for name in ["exp", "aud", "iss"] {
        let look: String = name
            .chars()
            .map(|c| LOOKALIKES.iter().find(|(a, _)| *a == c).map_or(c, |p| p.1))
            .collect();
        out.push(fixed(vec![
            Mutation::RemoveClaim(name.into()),
            claim(
                &look,
                if name == "exp" {
                    "${exp}"
                } else {
                    "\"${aud}\""
                },
            ),
        ]));
    }
    // Look-alike and escaped values of the policy's own issuer and audience.
    if let Some(iss) = &ctx.issuer {
        for v in string_variants(iss) {
            out.push(fixed(vec![claim("iss", &v)]));
        }
    }
    if let Some(aud) = ctx.audience.first() {
        for v in string_variants(aud) {
            out.push(fixed(vec![claim("aud", &v)]));
            out.push(fixed(vec![claim("aud", &format!("[{v}]"))]));
        }
    }
    // Nesting, and claims that are not an object.
    for depth in [64, 129, 300] {
        out.push(fixed(vec![claim(
            "nested",
            &format!("${{repeat([,{depth})}}1${{repeat(],{depth})}}"),
        )]));
        out.push(fixed(vec![claim(
            "exp",
            &format!("${{repeat([,{depth})}}${{exp}}${{repeat(],{depth})}}"),
        )]));
    }
    for raw in [
        "[]",
        "null",
        "\"x\"",
        "{}",
        "1",
        "\u{feff}{\"iss\":\"${iss}\",\"sub\":\"user-1\",\"aud\":\"${aud}\",\"exp\":${exp}}",
        "{\"iss\":\"${iss}\",\"sub\":\"user-1\",\"aud\":\"${aud}\",\"exp\":${exp}} x",
        "{\"iss\":\"${iss}\",\"sub\":\"user-1\",\"aud\":\"${aud}\",\"exp\":${exp},}",
        "{\"iss\":\"${iss}\",\"sub\":\"user-1\",\"aud\":\"${aud}\",\"exp\":${exp}}{}",
        "{'iss':'${iss}','sub':'user-1','aud':'${aud}','exp':${exp}}",
    ] {
        out.push(fixed(vec![Mutation::ClaimsRaw(raw.into())]));
    }
    for seg in ["", "e30", "W10", "bnVsbA", "AA"] {
        out.push(fixed(vec![Mutation::ClaimsSegment(seg.into())]));
    }
    out.push(fixed(vec![claim("admin", "true")]));
    out.push(Atom::Drawn(draw_claim));
    out.push(Atom::Drawn(draw_number));
    out.push(Atom::Drawn(draw_policy_string));
    out
}

/// A registered claim set to a value of any type.
fn draw_claim(rng: &mut Rng, _ctx: &GenContext) -> Vec<Mutation> {
    let name = *rng.pick(&CLAIMS);
    let value = match rng.below(4) {
        0 => rng.pick(&OTHER_TYPES).to_string(),
        1 => rng.pick(&TIME_WRAPS).to_string(),
        2 => rng.pick(&NUMBERS).to_string(),
        _ => lit(&random_text(rng)),
    };
    let m = Member::new(name, &value);
    vec![if rng.one_in(4) {
        Mutation::DuplicateClaim(m)
    } else {
        Mutation::Claim(m)
    }]
}

/// A time claim set to a random number: digits of any length, a fraction, an exponent.
fn draw_number(rng: &mut Rng, _ctx: &GenContext) -> Vec<Mutation> {
    let name = *rng.pick(&["exp", "nbf", "iat"]);
    let digits: String = (0..1 + rng.below(25))
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let value = match rng.below(5) {
        0 => format!("-{digits}"),
        1 => format!("{digits}.{}", rng.below(1000)),
        2 => format!("{digits}e{}", rng.below(400)),
        3 => {
            let sign = if rng.one_in(2) { '+' } else { '-' };
            // Clear of the leeway boundaries, for system-clock backends.
            format!("${{now{sign}{}}}", 1200 + rng.below(1_000_000_000))
        }
        _ => digits.to_string(),
    };
    vec![Mutation::Claim(Member::new(name, &value))]
}

/// `iss`, `aud` or `sub` set to a variant of the policy's own issuer or audience.
fn draw_policy_string(rng: &mut Rng, ctx: &GenContext) -> Vec<Mutation> {
    let (name, base) = match (rng.below(2), &ctx.issuer, ctx.audience.first()) {
        (0, Some(iss), _) => ("iss", iss.clone()),
        (_, _, Some(aud)) => ("aud", aud.clone()),
        (_, Some(iss), None) => ("iss", iss.clone()),
        _ => ("sub", "user-1".to_string()),
    };
    let variants = string_variants(&base);
    vec![Mutation::Claim(Member::new(
        name,
        rng.pick(&variants).as_str(),
    ))]
}

/// Short random text with ASCII, controls, escapes-worthy and non-ASCII characters.
pub fn random_text(rng: &mut Rng) -> String {
    const CHARS: [char; 16] = [
        'a',
        'Z',
        '0',
        '/',
        '.',
        '"',
        '\\',
        '\'',
        '\u{0}',
        '\n',
        ' ',
        '\u{0430}',
        '\u{200b}',
        '\u{feff}',
        '\u{1f600}',
        '$',
    ];
    (0..rng.below(12)).map(|_| *rng.pick(&CHARS)).collect()
}
