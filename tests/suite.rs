//! The library API as a team uses it in `cargo test`: the embedded defaults, a project's own
//! catalog, filters that fail loudly, `assert_no_unsafe` on an empty run, and the forged-token
//! cache (same tokens warm as cold; a changed recipe is a different key).

use jwt_harness::backend::{Backend, BackendInfo, Clock, Outcome, Validator};
use jwt_harness::forge::CacheStatus;
use jwt_harness::suite::Cache;
use jwt_harness::{Policy, Suite};
use jwt_harness_tests::NOW;

/// Rejects everything: never unsafe, strict on every valid case.
struct RejectAll;

impl Validator for RejectAll {
    fn validate(&self, _token: &str, _now: u64) -> Outcome {
        Outcome::reject(jwt_harness::cases::Reason::Other, "no")
    }
}

impl Backend for RejectAll {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "reject-all".into(),
            version: "1".into(),
            clock: Clock::Request,
        }
    }
    fn prepare(&self, _policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(RejectAll))
    }
}

/// Supports nothing.
struct Nothing;

impl Backend for Nothing {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: "nothing".into(),
            version: "1".into(),
            clock: Clock::Request,
        }
    }
    fn prepare(&self, _policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Err("no policy at all".into())
    }
}

#[test]
fn the_embedded_defaults_run_and_filters_apply() {
    let report = Suite::defaults()
        .unwrap()
        .now(NOW)
        .families(&["alg-none"])
        .cases("alg-none/none-*")
        .run(&RejectAll);
    assert!(!report.results.is_empty());
    assert!(report
        .results
        .iter()
        .all(|r| r.case.starts_with("alg-none/none-")));
    report.assert_no_unsafe();
}

#[test]
fn an_unknown_family_is_an_error() {
    let e = Suite::defaults()
        .unwrap()
        .families(&["alg-nope"])
        .try_run(&[&RejectAll])
        .expect_err("an error");
    assert!(e.to_string().contains("no family \"alg-nope\""), "{e}");
}

#[test]
#[should_panic(expected = "an empty run proves nothing")]
fn assert_no_unsafe_fails_on_an_empty_run() {
    Suite::defaults()
        .unwrap()
        .now(NOW)
        .cases("no-such-case/*")
        .run(&RejectAll)
        .assert_no_unsafe();
}

#[test]
#[should_panic(expected = "an empty run proves nothing")]
fn assert_no_unsafe_fails_when_nothing_reached_the_validator() {
    Suite::defaults()
        .unwrap()
        .now(NOW)
        .families(&["alg-none"])
        .run(&Nothing)
        .assert_no_unsafe();
}

#[test]
fn a_project_catalog_replaces_the_built_in_one() {
    let dir = std::env::temp_dir().join(format!("jwt-harness-own-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mine.toml"),
        "[[case]]\nname = \"expired-yesterday\"\ndescription = \"exp a day ago\"\nexpect = \"reject\"\nreason = \"expired\"\nattacker = \"holder\"\nimpact = \"replay\"\nrefs = [\"RFC 7519 §4.1.4\"]\nfixed_clock = true\nclaims = '{\"exp\": ${now-86400}}'\n",
    )
    .unwrap();
    let report = Suite::defaults()
        .unwrap()
        .with_catalog(&dir)
        .now(NOW)
        .run(&RejectAll);
    assert!(report
        .results
        .iter()
        .all(|r| r.case == "mine/expired-yesterday"));
    assert_eq!(
        report.results.len(),
        jwt_harness::policy::DEFAULT_POLICIES.len(),
        "one per default policy"
    );
    std::fs::write(dir.join("mine.toml"), "[[case]]\nname = \"x\"\ndescription = \"d\"\nexpect = \"reject\"\nattacker = \"anyone\"\nimpact = \"forgery\"\nrefs = [\"RFC 8725 §3.1\"]\nkey = \"policcy\"\n").unwrap();
    let e = Suite::defaults()
        .unwrap()
        .with_catalog(&dir)
        .try_run(&[&RejectAll])
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("mine/x") && e.to_string().contains("policcy"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn warm_tokens_are_the_cold_ones_and_other_inputs_miss() {
    let dir = std::env::temp_dir().join(format!("jwt-harness-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let suite = Suite::defaults()
        .unwrap()
        .now(NOW)
        .families(&["signature", "alg-confusion"])
        .cache(Cache::Dir(dir.clone()));
    let cold = suite.forge_at(NOW).unwrap();
    assert!(matches!(suite.cache_status(), CacheStatus::Miss(_)));
    let warm = suite.forge_at(NOW).unwrap();
    assert!(matches!(suite.cache_status(), CacheStatus::Hit(_)));
    let tokens = |f: &jwt_harness::forge::Forged| -> Vec<(String, String)> {
        f.instances
            .iter()
            .map(|i| (i.id.clone(), i.token.clone()))
            .collect()
    };
    assert!(!cold.instances.is_empty());
    assert_eq!(tokens(&cold), tokens(&warm));
    // Another clock, another seed, another selection: other keys, never a wrong hit.
    let other = Suite::defaults()
        .unwrap()
        .now(NOW + 1)
        .families(&["signature", "alg-confusion"])
        .cache(Cache::Dir(dir.clone()));
    other.forge_at(NOW + 1).unwrap();
    assert!(matches!(other.cache_status(), CacheStatus::Miss(_)));
    let fewer = Suite::defaults()
        .unwrap()
        .now(NOW)
        .families(&["signature"])
        .cache(Cache::Dir(dir.clone()));
    fewer.forge_at(NOW).unwrap();
    assert!(matches!(fewer.cache_status(), CacheStatus::Miss(_)));
    // A clock that is not the suite's fixed one never goes through the cache.
    suite.forge_at(NOW + 5).unwrap();
    assert_eq!(suite.cache_status(), CacheStatus::Off);
    // The same case id with another recipe is another key.
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    let forge_with = |claims: &str| {
        std::fs::write(
            cases.join("mine.toml"),
            format!("[[case]]\nname = \"c\"\ndescription = \"d\"\nexpect = \"accept\"\nclaims = '{claims}'\n"),
        )
        .unwrap();
        let s = Suite::defaults()
            .unwrap()
            .with_catalog(&cases)
            .now(NOW)
            .cache(Cache::Dir(dir.join("c")));
        let forged = s.forge_at(NOW).unwrap();
        (s.cache_status(), forged.instances[0].token.clone())
    };
    let (first, a) = forge_with(r#"{"role": "a"}"#);
    let (second, b) = forge_with(r#"{"role": "b"}"#);
    assert!(matches!(first, CacheStatus::Miss(_)) && matches!(second, CacheStatus::Miss(_)));
    assert_ne!(a, b);
    assert!(matches!(forge_with(r#"{"role": "a"}"#), (CacheStatus::Hit(_), t) if t == a));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checks_a_library_documents_it_lacks_are_unchecked_not_unsafe() {
    // jwt-compact's backend file declares, in the crate's own words, that it offers no iss, aud
    // or sub check: a wrong issuer accepted is `unchecked` for it, never unsafe, never a pass.
    let backend = jwt_harness::backend::builtin("jwt-compact").expect("a default backend");
    let report = Suite::defaults()
        .unwrap()
        .now(NOW)
        .families(&["claims"])
        .try_run(&[backend.as_ref()])
        .unwrap();
    let of = |case: &str| -> Vec<jwt_harness::judge::Finding> {
        report
            .results
            .iter()
            .filter(|r| r.case == case)
            .map(|r| r.finding)
            .collect()
    };
    use jwt_harness::judge::Finding;
    assert!(!of("claims/iss-different").is_empty());
    // Every policy the crate can express (es-all needs ES384, which it lacks).
    assert!(of("claims/iss-different")
        .iter()
        .all(|f| matches!(f, Finding::Unchecked | Finding::Unsupported)));
    assert!(
        of("claims/iss-different")
            .iter()
            .filter(|f| **f == Finding::Unchecked)
            .count()
            >= 8
    );
    let s = report.summary();
    assert!(s.unchecked > 0);
    assert!(report
        .failures(jwt_harness::judge::FailOn::Strict)
        .iter()
        .all(|r| r.finding != Finding::Unchecked));
    let json = jwt_harness::report::to_json(&report);
    assert_eq!(json["summary"]["unchecked"], s.unchecked);
    let text = jwt_harness::report::to_text(&report, false);
    assert!(
        text.contains(&format!("{} unchecked", s.unchecked)),
        "{text}"
    );
}

#[test]
fn the_openssh_encoding_matches_an_independent_writer() {
    // Lines written by Python cryptography from the fixture keys' PEM files.
    let text = std::fs::read_to_string(
        jwt_harness_tests::root().join("tests/data/openssh-fixture-keys.txt"),
    )
    .unwrap();
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (kid, want) = line.split_once(' ').unwrap();
        let path = jwt_harness_tests::root().join(format!("fixtures/keys/{kid}.public.jwk.json"));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let key = jwt_harness::jose::Jwk::from_json(&json).unwrap();
        let got = jwt_harness::jose::PublicEncoding::OpenSsh
            .bytes(&key)
            .unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), want, "{kid}");
        checked += 1;
    }
    assert_eq!(checked, 4, "Ed25519, P-256, P-521 and RSA keys");
}
