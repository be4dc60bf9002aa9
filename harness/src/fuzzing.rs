//! Entry points for the cargo-fuzz targets in `fuzz/`: each target is a few lines that call one
//! of these. They panic only when a property the harness relies on is broken; any input that
//! makes them panic is a bug, saved under `fixtures/regressions/` and replayed by a test.

use crate::backend::Backend;
use crate::jose::{b64, json};
use crate::mutate::Differential;
use crate::oracle::{self, Verdict};
use crate::policy::Policy;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

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

/// The default policies a differential run fuzzes under: those named in the environment variable
/// `JWT_HARNESS_FUZZ_POLICIES` (comma-separated, e.g. `hs256,es256`), or every one.
fn differential_policies() -> Vec<String> {
    std::env::var("JWT_HARNESS_FUZZ_POLICIES")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A differential fuzzer over `backends`, built once per set of names and kept for the process.
fn differential_for(backends: &[&'static dyn Backend]) -> &'static Differential {
    static BUILT: OnceLock<Mutex<HashMap<Vec<String>, &'static Differential>>> = OnceLock::new();
    let key: Vec<String> = backends.iter().map(|b| b.info().name).collect();
    let mut built = BUILT
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    built.entry(key).or_insert_with(|| {
        let names = differential_policies();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let d = Differential::new(backends, &names)
            .unwrap_or_else(|e| panic!("the differential fuzzer cannot start: {e}"));
        Box::leak(Box::new(d))
    })
}

/// Differential fuzzing of one Rust validator against the oracle. libFuzzer's bytes choose a
/// policy, a catalog seed and mutations ([`crate::mutate::differential`]); the forged token goes
/// to the oracle and to `backend`, prepared under that policy (a validator is built per policy
/// from its keys, so a backend, not a bare validator, is what is fuzzed). A disagreement that
/// `fixtures/backends/NAME.toml` (embedded, by the backend's name) does not explain panics with
/// a readable report: the minimal mutation list and a case file that replays it. A library's
/// maintainer's whole target:
///
/// ```ignore
/// #![no_main]
/// static MINE: my_crate::HarnessBackend = my_crate::HarnessBackend;
/// libfuzzer_sys::fuzz_target!(|data: &[u8]| jwt_harness::fuzzing::differential(data, &MINE));
/// ```
pub fn differential(data: &[u8], backend: &'static dyn Backend) {
    differential_over(data, &[backend]);
}

/// [`differential`] over several backends at once: each input is forged once and every backend
/// judged on it.
pub fn differential_over(data: &[u8], backends: &[&'static dyn Backend]) {
    if let Some(d) = differential_for(backends).run(data) {
        panic!("{d}");
    }
}

/// Every in-process backend built into this crate, made once for the process.
fn builtin_backends() -> &'static [&'static dyn Backend] {
    static ALL: OnceLock<Vec<&'static dyn Backend>> = OnceLock::new();
    ALL.get_or_init(|| {
        crate::backend::builtin_names()
            .into_iter()
            .filter_map(crate::backend::builtin)
            .map(|b| &*Box::leak(b))
            .collect()
    })
}

/// Prepares the `differential` target before libFuzzer's first input (its `init:`): forging
/// every seed under every policy takes seconds, longer under AddressSanitizer, and would count
/// against the first input's timeout.
pub fn differential_builtin_init() {
    differential_for(builtin_backends());
}

/// The `differential` target: every in-process backend built into this crate (the reference
/// among them, which must never disagree).
pub fn differential_builtin(data: &[u8]) {
    differential_over(data, builtin_backends());
}

/// A policy file and the key file it names, from arbitrary bytes: the text before the first NUL
/// is the policy's TOML, the rest is what reading any file it names gives. Loading never
/// panics: it is a policy whose algorithm list is not empty and with which the oracle and the
/// protocol's policy object work, or an error whose message is one non-empty line.
pub fn policy(data: &[u8]) {
    let (toml_part, file_part) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(toml_part) else {
        return;
    };
    let file = String::from_utf8_lossy(file_part).into_owned();
    let read = |_: &std::path::Path| -> std::io::Result<String> { Ok(file.clone()) };
    match Policy::from_toml_with(text, std::path::Path::new("fuzz"), "fuzz", &read) {
        Ok(p) => {
            assert!(
                !p.algorithms.is_empty(),
                "a policy without algorithms loaded"
            );
            let _ = p.protocol_json();
            let _ = p.public_jwks();
            let _ = oracle::validate("eyJhbGciOiJIUzI1NiJ9.e30.AA", &p, crate::suite::FIXED_NOW);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.trim().is_empty(), "an empty error message");
            assert!(!msg.trim_end().contains('\n'), "a multi-line error: {msg}");
        }
    }
}

/// An adapter's standard output, arbitrary bytes: every line is classified (an outcome, or an
/// error that makes the case `broken`) without panicking, and a line is taken as an accept only
/// when it is a JSON object with the request's id and `"verdict": "accept"`.
pub fn protocol(data: &[u8]) {
    let lines = crate::backend::process::classify_output(data, "fuzz-1");
    let texts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    // Lines are framed at newlines: one result per complete line.
    let complete = data.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines.len(), complete, "lines framed wrongly");
    for (line, text) in lines.iter().zip(texts) {
        if let Ok(crate::backend::Outcome::Accept) = line {
            // Read as the protocol reader reads it: lone surrogate escapes as U+FFFD, any depth.
            let fixed = crate::backend::answer::lone_surrogates_replaced(text);
            let mut de = serde_json::Deserializer::from_slice(fixed.as_deref().unwrap_or(text));
            de.disable_recursion_limit();
            let v = <serde_json::Value as serde::Deserialize>::deserialize(&mut de)
                .expect("an accept from a line that is not JSON");
            assert_eq!(v["id"], "fuzz-1", "an accept for another id");
            assert_eq!(
                v["verdict"], "accept",
                "an accept without the accept verdict"
            );
        }
    }
}

/// `explain` on arbitrary text, as a token and as an Authorization value, under every default
/// policy: never panics, ends in a verdict that agrees with the oracle's for a bare token, and
/// never prints the input whole (tokens are shown redacted).
pub fn explain(data: &[u8]) {
    use crate::explain::{explain, Input};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for policy in policies() {
        let now = crate::suite::FIXED_NOW;
        let d = explain(&Input::Token(text.to_string()), policy, now);
        let oracle_accepts = matches!(oracle::validate(text, policy, now), Verdict::Accept(_));
        assert_eq!(
            d.accepted(),
            oracle_accepts,
            "explain and the oracle disagree"
        );
        let a = explain(&Input::Authorization(text.to_string()), policy, now);
        if text.len() > 24 {
            for rendered in [d.render(), a.render()] {
                assert!(!rendered.contains(text), "explain printed its input whole");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn arbitrary_policies_adapter_output_and_explain_input_never_panic() {
        let policy = "algorithms = [\"HS256\"]\n[[key]]\nsecret = \"c2VjcmV0\"\n";
        for i in 0u32..200 {
            let noise = crate::forge::fnv(&i.to_le_bytes()).to_le_bytes();
            super::policy(&noise);
            super::protocol(&noise);
            super::explain(&noise);
        }
        super::policy(policy.as_bytes());
        super::policy(b"algorithms = [\"RS256\"]\njwks = \"k.json\"\n\0{\"keys\": [1]}");
        super::protocol(b"{\"id\": \"fuzz-1\", \"verdict\": \"accept\"}\nnot json\n{\"id\": 2}\n");
        super::explain(b"Bearer Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
    }

    #[test]
    fn mutation_lists_forge_and_round_trip_through_case_files() {
        for i in 0u32..400 {
            super::mutations(&i.to_le_bytes());
        }
    }
}
