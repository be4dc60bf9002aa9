//! The benchmark behind `cargo xtask bench`: forging throughput, verdicts per second per backend,
//! the wall time of the whole default suite, where the time goes, and what the forged-token cache
//! saves (cold, warm and validation-only runs).

use jwt_harness::backend::{self, Backend, BackendInfo, Clock, Outcome, Validator};
use jwt_harness::forge::{forge_all, CacheStatus, ForgeConfig, Forged};
use jwt_harness::jose::stats;
use jwt_harness::policy::Policy;
use jwt_harness::run::{self, Entry, RunConfig};
use jwt_harness::suite::{Cache, FIXED_NOW};
use jwt_harness::{Fixtures, Suite};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

const NOW: u64 = FIXED_NOW;

/// Wraps a backend and adds the time spent inside its `validate` calls to a counter.
struct Timed<'a> {
    inner: &'a dyn Backend,
    nanos: &'a AtomicU64,
}

struct TimedValidator<'a> {
    inner: Box<dyn Validator + 'a>,
    nanos: &'a AtomicU64,
}

impl Validator for TimedValidator<'_> {
    fn validate(&self, token: &str, now: u64) -> Outcome {
        let t = Instant::now();
        let o = self.inner.validate(token, now);
        self.nanos
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        o
    }
}

impl Backend for Timed<'_> {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }
    fn prepare(&self, policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
        Ok(Box::new(TimedValidator {
            inner: self.inner.prepare(policy)?,
            nanos: self.nanos,
        }))
    }
}

fn secs(n: u64) -> f64 {
    n as f64 / 1e9
}

fn main() {
    // Library panics are counted, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let fixtures = Fixtures::Embedded;
    let catalog = fixtures.catalog().expect("catalog");
    let policies = fixtures.default_policies().expect("policies");
    let attackers = fixtures.attackers().expect("attacker keys");
    let arcs: Vec<Arc<Policy>> = policies.iter().cloned().map(Arc::new).collect();
    let threads = jwt_harness::par::thread_count();
    println!(
        "jwt-harness bench: {} cases, {} policies, {threads} threads, release build",
        catalog.cases.len(),
        policies.len()
    );

    // 1. Forging.
    let before = stats::read();
    let t = Instant::now();
    let forged = forge_all(
        &catalog,
        &arcs,
        &attackers,
        &ForgeConfig { now: NOW, seed: 0 },
        &|_| true,
    );
    let forge_wall = t.elapsed().as_secs_f64();
    let after = stats::read();
    let calls = after.sign_calls - before.sign_calls;
    println!(
        "forge:   {} tokens in {:.3} s = {:.0} tokens/s ({:.0}% of CPU time in {} signing calls, {:.0} µs each on average)",
        forged.instances.len(),
        forge_wall,
        forged.instances.len() as f64 / forge_wall,
        100.0 * secs(after.sign_nanos - before.sign_nanos) / (forge_wall * threads as f64),
        calls,
        (after.sign_nanos - before.sign_nanos) as f64 / 1e3 / calls.max(1) as f64
    );
    for alg in jwt_harness::jose::alg::ALL_ALGS {
        let key = policies.iter().flat_map(|p| p.keys_for(alg)).next();
        if let Some(key) = key {
            let t = Instant::now();
            let n = 20;
            for i in 0..n {
                let _ = jwt_harness::jose::alg::sign(alg, key, format!("bench.{i}").as_bytes(), i);
            }
            println!(
                "         {alg}: {:.0} µs per signature",
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            );
        }
    }

    // 2. Verdicts per second per backend, on the tokens forged above.
    let names = backend::builtin_names();
    for name in &names {
        let b = backend::builtin(name).expect("built in");
        let validators: Vec<_> = arcs.iter().map(|p| b.prepare(p)).collect();
        let t = Instant::now();
        let outcomes = jwt_harness::par::parallel_map(&forged.instances, |inst| {
            let i = arcs
                .iter()
                .position(|p| p.name == inst.policy.name)
                .unwrap_or(0);
            match &validators[i] {
                // Some libraries panic on some tokens: the run counts those as broken, and so
                // does the bench.
                Ok(v) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    v.validate(&inst.token, inst.now)
                }))
                .unwrap_or_else(|_| Outcome::Broken("panicked".into())),
                Err(e) => Outcome::Unsupported(e.clone()),
            }
        });
        let wall = t.elapsed().as_secs_f64();
        println!(
            "verify:  {name:14} {} verdicts in {:.3} s = {:.0} verdicts/s",
            outcomes.len(),
            wall,
            outcomes.len() as f64 / wall
        );
    }

    // 3. The protocol itself: a trivial adapter, pipelined vs one process per case.
    protocol(&forged.instances, &arcs);

    // 4. The whole default suite, as `jwt-harness run` does it, and where the time goes: the goal
    //    is set for reference + jsonwebtoken; all built-in backends are measured too.
    let goal: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| ["reference", "jsonwebtoken"].contains(n))
        .collect();
    for (label, set, threads_wanted, now) in [
        ("reference+jsonwebtoken, system time", &goal, threads, None),
        ("reference+jsonwebtoken, --now", &goal, threads, Some(NOW)),
        ("reference+jsonwebtoken, --now", &goal, 1, Some(NOW)),
        ("all built-in backends, system time", &names, threads, None),
    ] {
        std::env::set_var("JWT_HARNESS_THREADS", threads_wanted.to_string());
        let library_nanos = AtomicU64::new(0);
        let owned: Vec<Box<dyn Backend>> =
            set.iter().map(|n| backend::builtin(n).unwrap()).collect();
        let timed: Vec<Timed> = owned
            .iter()
            .map(|b| Timed {
                inner: b.as_ref(),
                nanos: &library_nanos,
            })
            .collect();
        let refs: Vec<&dyn Backend> = timed.iter().map(|t| t as &dyn Backend).collect();
        let mut suite = Suite::defaults().expect("defaults").cache(Cache::Off);
        if let Some(now) = now {
            suite = suite.now(now);
        }
        let before = stats::read();
        let t = Instant::now();
        let report = suite.try_run(&refs).expect("run");
        let wall = t.elapsed().as_secs_f64();
        let after = stats::read();
        let signing = secs(after.sign_nanos - before.sign_nanos);
        // The reference backend's verify time is inside both counters: count it once.
        let verify = secs(after.verify_nanos - before.verify_nanos);
        let library = (secs(library_nanos.load(Ordering::Relaxed)) - verify).max(0.0);
        let cpu = wall * threads_wanted as f64;
        println!(
            "suite:   {label}: {} results in {:.3} s wall on {threads_wanted} thread(s)",
            report.results.len(),
            wall
        );
        if threads_wanted == 1 {
            println!(
                "         time split: signing {:.0}%, verifying in the oracle {:.0}%, inside the libraries {:.0}%, harness overhead {:.0}%",
                100.0 * signing / cpu,
                100.0 * verify / cpu,
                100.0 * library / cpu,
                100.0 * (cpu - signing - verify - library).max(0.0) / cpu
            );
        }
    }
    std::env::set_var("JWT_HARNESS_THREADS", threads.to_string());

    // 5. The forged-token cache: cold (forge and write), warm (read) and validation only (tokens
    //    handed in, forged before), on every built-in backend that honours `--now` (a
    //    system-clock backend's tokens are forged at the wall clock on every run, by design).
    cache(&names);
}

/// Cold, warm and validation-only times of `run --now` over the request-clock built-in backends.
fn cache(names: &[&str]) {
    let owned: Vec<Box<dyn Backend>> = names
        .iter()
        .filter_map(|n| backend::builtin(n))
        .filter(|b| b.info().clock == Clock::Request)
        .collect();
    let refs: Vec<&dyn Backend> = owned.iter().map(|b| b.as_ref()).collect();
    let dir = std::env::temp_dir().join(format!("jwt-harness-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let suite = Suite::defaults()
        .expect("defaults")
        .now(NOW)
        .cache(Cache::Dir(dir.clone()));
    let median = |f: &dyn Fn() -> f64| {
        let mut v: Vec<f64> = (0..5).map(|_| f()).collect();
        v.sort_by(f64::total_cmp);
        v[2]
    };
    let timed_run = |s: &Suite| {
        let t = Instant::now();
        let r = s.try_run(&refs).expect("run");
        (t.elapsed().as_secs_f64(), r.results.len())
    };
    let cold = median(&|| {
        let _ = std::fs::remove_dir_all(&dir);
        timed_run(&suite).0
    });
    assert!(matches!(suite.cache_status(), CacheStatus::Miss(_)));
    let (_, results) = timed_run(&suite);
    let warm = median(&|| timed_run(&suite).0);
    assert!(matches!(suite.cache_status(), CacheStatus::Hit(_)));
    // Validation only: the same run with the tokens already in memory.
    let forged: Forged = suite.forge_at(NOW).expect("forge");
    let entries: Vec<Entry> = owned
        .iter()
        .map(|b| Entry {
            backend: b.as_ref(),
            file: Fixtures::Embedded
                .backend_file(&b.info().name)
                .unwrap_or_default(),
        })
        .collect();
    let config = RunConfig {
        now: Some(NOW),
        seed: 0,
    };
    let validation = median(&|| {
        let t = Instant::now();
        let _ = run::run(&|_| forged.clone(), &entries, &config, &());
        t.elapsed().as_secs_f64()
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "cache:   {} request-clock backends, {results} results: cold {cold:.3} s, warm {warm:.3} s, validation only {validation:.3} s: warm = {:.2}x validation only (goal <= 1.15x)",
        refs.len(),
        warm / validation
    );
}

/// Verdicts per second through docs/PROTOCOL.md with the trivial adapter: pipelined over long-lived
/// processes (as `--exec` runs), and one process per case (as toml-test and JSONTestSuite run).
fn protocol(instances: &[jwt_harness::forge::Instance], policies: &[Arc<Policy>]) {
    use jwt_harness::backend::process::Process;
    use jwt_harness::backend::{BatchItem, Clock};
    use std::io::{BufRead, BufReader, Write};
    let exe = std::env::current_exe().expect("own path");
    let adapter = exe.with_file_name("trivial_adapter");
    if !adapter.exists() {
        println!("protocol: {} is missing: build it with `cargo build --release --example trivial_adapter`", adapter.display());
        return;
    }
    let command = vec![adapter.display().to_string()];
    let backend = Process::new("trivial", command.clone(), Clock::Request);
    let validators: Vec<_> = policies
        .iter()
        .map(|p| backend.prepare(p).expect("prepare"))
        .collect();
    let t = Instant::now();
    let mut answered = 0;
    for (p, v) in policies.iter().zip(&validators) {
        let items: Vec<BatchItem> = instances
            .iter()
            .filter(|i| i.policy.name == p.name)
            .map(|i| BatchItem {
                id: &i.id,
                token: &i.token,
                now: i.now,
                transport: None,
            })
            .collect();
        answered += v.validate_batch(&items).len();
    }
    let wall = t.elapsed().as_secs_f64();
    let pipelined = answered as f64 / wall;
    println!(
        "protocol: pipelined, one process per policy: {answered} verdicts in {wall:.3} s = {pipelined:.0} verdicts/s ({:.0} µs per case)",
        1e6 * wall / answered as f64
    );
    drop(validators);
    // One process per case, on a sample (spawning costs the same for every case).
    let sample: Vec<_> = instances.iter().take(300).collect();
    let t = Instant::now();
    for inst in &sample {
        let mut child = std::process::Command::new(&command[0])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let line = serde_json::json!({"id": inst.id, "token": inst.token, "now": inst.now, "policy": inst.policy.protocol_json()});
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{line}").expect("write");
        drop(stdin);
        let mut answer = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut answer)
            .expect("read");
        child.wait().expect("wait");
    }
    let wall = t.elapsed().as_secs_f64();
    let per_process = sample.len() as f64 / wall;
    println!(
        "protocol: one process per case: {} verdicts in {wall:.3} s = {per_process:.0} verdicts/s; pipelining is {:.0}x faster",
        sample.len(),
        pipelined / per_process
    );
}
