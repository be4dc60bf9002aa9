//! The benchmark behind `cargo xtask bench fuzz` (release build; run from a checkout): the
//! fuzzing figures of docs/DESIGN.md.
//!
//! 1. **Rediscovery**: each of the 13 deliberately broken validators of `flawed.rs` (those of
//!    `broken_validators.rs`) is fuzzed by `jwt_harness::mutate::fuzz` from an empty output
//!    folder, seeded from the catalog with every family that catches it removed, under the first
//!    default policy whose catalog run catches it, until its first unexplained finding (at most
//!    60 s). Printed: the time, the executions, the families removed, the finding's class and
//!    mutations, and whether the case file written reproduces it through `Suite::with_catalog`
//!    (the path of `jwt-harness run --cases DIR`).
//! 2. **Rates of `jwt-harness fuzz`** (the same loop the command runs, 10 s per row): the
//!    reference and jsonwebtoken in process, and the trivial adapter of `harness/examples/` over
//!    the protocol (`--exec`), each under hs256 and under es256; RS256, whose re-signing costs
//!    about 1.4 ms a token, apart.
//! 3. **`differential`** (the cargo-fuzz target's engine, `mutate::Differential`, on one thread as
//!    libFuzzer runs it, 10 s): random inputs over every in-process backend of the build under
//!    hs256 and es256 (`JWT_HARNESS_FUZZ_POLICIES`' usual setting), then rs256 apart. An input
//!    counts once however many backends judge it.

#[allow(dead_code)]
mod flawed;

use flawed::{Flaw, Flawed};
use jwt_harness::backend::process::Process;
use jwt_harness::backend::reference::Reference;
use jwt_harness::backend::{Backend, Clock};
use jwt_harness::jose::stats;
use jwt_harness::judge::Finding;
use jwt_harness::mutate::{show, Differential, FuzzConfig};
use jwt_harness::{Policy, Suite};
use jwt_harness_tests::{catalog, catching_families, default_policies, run_fuzz, NOW};
use std::time::Instant;

const FLAWS: [Flaw; 13] = [
    Flaw::AlgNoneAccepted,
    Flaw::AlgFromHeader,
    Flaw::SignatureNeverChecked,
    Flaw::EmptySignatureAccepted,
    Flaw::EmbeddedJwkTrusted,
    Flaw::ExpIgnored,
    Flaw::ExpSkippedWhenNotNumber,
    Flaw::IssPrefixMatch,
    Flaw::AudMissingAccepted,
    Flaw::CritIgnored,
    Flaw::PsychicEcdsa,
    Flaw::KidAsFilePath,
    Flaw::BlankSecretFallback,
];

fn rediscover(flaw: Flaw, policies: &[Policy]) -> bool {
    let Some((policy, removed)) = ["hs256", "rs256", "es256", "mixed"]
        .iter()
        .filter_map(|n| policies.iter().find(|p| p.name == *n))
        .map(|p| (p, catching_families(&Flawed(flaw), p)))
        .find(|(_, f)| !f.is_empty())
    else {
        println!("{flaw:?}: the catalog catches it under no policy tried");
        return false;
    };
    let mut seeds = catalog();
    seeds.cases.retain(|c| !removed.contains(&c.family));
    let out = std::env::temp_dir().join(format!(
        "jwt-harness-bench-fuzz-{flaw:?}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let config = FuzzConfig {
        seconds: 60.0,
        now: Some(NOW),
        seed: 1,
        out: Some(out.clone()),
        stop_on_finding: true,
        ..FuzzConfig::default()
    };
    let t = Instant::now();
    let report = run_fuzz(&Flawed(flaw), &seeds, vec![policy.clone()], &config);
    let secs = t.elapsed().as_secs_f64();
    let Some(found) = report.found.iter().find(|f| f.fails()) else {
        println!(
            "{flaw:<26?} NOT FOUND in {secs:.1} s ({} execs) under {} without {removed:?}",
            report.stats.execs, policy.name
        );
        return false;
    };
    let replay = Suite::new(policy.clone())
        .with_catalog(&out)
        .now(NOW)
        .without_deviations()
        .run(&Flawed(flaw));
    let reproduced = replay.results.iter().any(|r| r.finding == Finding::Unsafe);
    println!(
        "{flaw:<26?} {secs:>5.1} s {:>8} execs  {:<6} without {:<40} {:?}: {}  replay: {}",
        report.stats.execs,
        policy.name,
        removed.join(","),
        found.attacker,
        show(&found.mutations),
        if reproduced {
            "unsafe"
        } else {
            "NOT REPRODUCED"
        }
    );
    let _ = std::fs::remove_dir_all(&out);
    reproduced
}

fn rate(label: &str, backend: &dyn Backend, policy: &Policy, seconds: f64) {
    let config = FuzzConfig {
        seconds,
        now: Some(NOW),
        ..FuzzConfig::default()
    };
    let before = stats::read();
    let report = run_fuzz(backend, &catalog(), vec![policy.clone()], &config);
    let after = stats::read();
    let execs = report.stats.execs.max(1) as f64;
    let per_exec = |nanos: u64| nanos as f64 / 1e3 / execs;
    println!(
        "fuzz {label:<22} {:<7} {:>9.0} execs/s  ({} execs, {} findings, {} broken; per exec {:.1} us, of which the harness's own signing {:.1} us and verifying {:.1} us)",
        policy.name,
        execs / report.stats.seconds.max(1e-9),
        report.stats.execs,
        report.found.len(),
        report.stats.broken,
        report.stats.seconds * 1e6 / execs,
        per_exec(after.sign_nanos - before.sign_nanos),
        per_exec(after.verify_nanos - before.verify_nanos),
    );
}

/// What one accepted token costs the backend alone: the fuzzer's rate cannot beat it for inputs
/// that reach the signature check, whatever the harness does.
fn bound(label: &str, backend: &dyn Backend, policy: &Policy) {
    use jwt_harness::jose::{alg, b64, Alg};
    let Some(key) = policy.keys.first() else {
        return;
    };
    let Some(a) = key.alg().and_then(Alg::parse) else {
        return;
    };
    let header = format!(
        r#"{{"alg":"{}","typ":"JWT","kid":"{}"}}"#,
        a.name(),
        key.kid().unwrap_or("")
    );
    let mut claims = serde_json::json!({"sub": "user-1", "exp": 4_000_000_000u64, "iat": NOW});
    if let Some(iss) = &policy.issuer {
        claims["iss"] = iss.clone().into();
    }
    if let Some(aud) = policy.audience.first() {
        claims["aud"] = aud.clone().into();
    }
    let input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    );
    let sig = alg::sign(a, key, input.as_bytes(), 0).expect("a policy key signs");
    let token = format!("{input}.{}", b64::encode(&sig));
    let Ok(v) = backend.prepare(policy) else {
        return;
    };
    let first = v.validate(&token, NOW);
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        v.validate(&token, NOW);
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "  {label} alone, one thread: {us:.1} us per valid {} token ({first:?}); two threads at most {:.0}/s if every input reached its signature check",
        policy.name,
        2e6 / us
    );
}

fn differential(names: &[&str], seconds: f64) {
    let backends: Vec<&'static dyn Backend> = jwt_harness::backend::builtin_names()
        .into_iter()
        .filter_map(jwt_harness::backend::builtin)
        .map(|b| &*Box::leak(b))
        .collect();
    let d = Differential::new(&backends, names).expect("the differential fuzzer starts");
    let mut rng = jwt_harness::mutate::Rng::new(7);
    let (mut execs, mut found) = (0u64, 0u64);
    let t = Instant::now();
    while t.elapsed().as_secs_f64() < seconds {
        let len = 16 + rng.below(48);
        let data = rng.bytes(len);
        if let Some(dis) = d.run(&data) {
            if found == 0 {
                // The first one, as the fuzz target would report it (without the case file).
                let text = dis.to_string();
                let head: Vec<&str> = text.lines().take(6).collect();
                println!("  first unexplained disagreement:\n  {}", head.join("\n  "));
            }
            found += 1;
        }
        execs += 1;
    }
    println!(
        "differential {:<16} {:>9.0} inputs/s over {} in-process backends, one thread ({execs} inputs, {found} unexplained disagreements)",
        names.join("+"),
        execs as f64 / t.elapsed().as_secs_f64(),
        backends.len()
    );
}

fn main() {
    // Library panics are results, not output.
    std::panic::set_hook(Box::new(|_| {}));
    let policies = default_policies();
    let by_name = |n: &str| {
        policies
            .iter()
            .find(|p| p.name == n)
            .cloned()
            .expect("a default policy")
    };
    // Sections named on the command line narrow the run (`rediscover`, `rates`, `differential`).
    let asked: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |s: &str| asked.is_empty() || asked.iter().any(|a| a == s);
    if wanted("rediscover") {
        rediscover_all(&policies);
    }
    if wanted("rates") {
        rates(&by_name);
    }
    if wanted("differential") {
        println!(
            "3. the differential target's engine (goal >= 5,000 inputs/s under hs256 and es256)"
        );
        differential(&["hs256", "es256"], 10.0);
        differential(&["hs256"], 5.0);
        differential(&["es256"], 5.0);
        differential(&["rs256"], 5.0);
    }
}

fn rediscover_all(policies: &[Policy]) {
    println!("1. rediscovery of the 13 broken validators, each with its catching families removed (goal < 60 s)");
    let found = FLAWS.iter().filter(|f| rediscover(**f, policies)).count();
    println!("   {found} of {} found and reproduced", FLAWS.len());
}

fn rates(by_name: &dyn Fn(&str) -> Policy) {
    println!("2. jwt-harness fuzz rates (goals: jsonwebtoken >= 20,000/s, --exec trivial >= 3,000/s under hs256/es256)");
    let exe = std::env::current_exe().expect("the bench's path");
    let trivial = exe
        .parent()
        .map(|d| d.join("trivial_adapter"))
        .filter(|p| p.exists());
    let jsonwebtoken = jwt_harness::backend::builtin("jsonwebtoken");
    for p in ["hs256", "es256", "rs256"] {
        let policy = by_name(p);
        rate("reference", &Reference, &policy, 10.0);
        if let Some(b) = &jsonwebtoken {
            rate("jsonwebtoken", b.as_ref(), &policy, 10.0);
            if p != "hs256" {
                bound("jsonwebtoken", b.as_ref(), &policy);
            }
        }
        match &trivial {
            Some(path) => {
                let cmd = vec![path.to_string_lossy().into_owned()];
                let b = Process::new("trivial", cmd, Clock::Request);
                rate("--exec trivial_adapter", &b, &policy, 10.0);
            }
            None => println!(
                "fuzz --exec trivial_adapter: not built beside this bench (cargo build --release -p jwt-harness --example trivial_adapter)"
            ),
        }
    }
}
