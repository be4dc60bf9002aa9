//! `cargo xtask fuzz [TARGET…] [--time S] [--seed-corpus]`: runs the cargo-fuzz targets of `fuzz/`
//! (each a few lines calling `jwt_harness::fuzzing`), seeded from `fuzz/seeds/TARGET/` and the
//! growing corpus `fuzz/corpus/TARGET/` (not committed).
//!
//! With a nightly toolchain (`rustup toolchain list`), targets are built with AddressSanitizer
//! (`cargo +nightly fuzz run -s address`); without one, on stable with `-s none`, which still finds
//! panics, hangs and out-of-memory. Each crash libFuzzer leaves in `fuzz/artifacts/TARGET/` is
//! minimized (`cargo fuzz tmin`) and copied to `fixtures/regressions/TARGET/`, where
//! `tests/regressions.rs` replays it in `cargo test`; the task then fails, naming the files.
//! `--seed-corpus` first writes the catalog's forged tokens, case files and policies into the
//! working corpora `fuzz/corpus/TARGET/`.

use crate::util::{cmd, root, run as run_cmd};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The targets, each a few lines in `fuzz/fuzz_targets/` calling `jwt_harness::fuzzing`.
pub const TARGETS: [&str; 8] = [
    "oracle_token",
    "base64url",
    "json_object",
    "case_file",
    "differential",
    "policy",
    "protocol",
    "explain",
];

fn ensure_cargo_fuzz() -> Result<()> {
    let have = cmd("cargo", &["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !have {
        run_cmd(cmd("cargo", &["install", "--locked", "cargo-fuzz"]))?;
    }
    Ok(())
}

/// Whether a nightly toolchain is installed (AddressSanitizer needs one).
fn have_nightly() -> bool {
    cmd("rustup", &["run", "nightly", "rustc", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The toolchain and sanitizer arguments for `cargo fuzz`.
fn toolchain(nightly: bool) -> (Vec<&'static str>, &'static str) {
    if nightly {
        (vec!["+nightly"], "address")
    } else {
        (Vec::new(), "none")
    }
}

/// How a target is built: the toolchain (nightly with AddressSanitizer, or stable) and, for the
/// CI smoke, 16 codegen units instead of cargo-fuzz's release default of one (its documented
/// trade: a faster build for a somewhat slower run, which a 15-second smoke does not feel).
#[derive(Clone, Copy)]
struct Build {
    nightly: bool,
    quick: bool,
}

impl Build {
    /// `cargo` arguments before the target name: toolchain, `fuzz SUBCOMMAND`, sanitizer, and
    /// the codegen units of a quick build.
    fn args(self, subcommand: &'static str) -> Vec<&'static str> {
        let (mut args, sanitizer) = toolchain(self.nightly);
        args.extend(["fuzz", subcommand, "-s", sanitizer]);
        if self.quick {
            args.extend(["--codegen-units", "16"]);
        }
        args
    }
}

fn fuzz_one(target: &str, seconds: u64, build: Build) -> Result<()> {
    let corpus = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(root().join("fuzz/seeds").join(target))?;
    let seeds = format!("seeds/{target}");
    let corpus_arg = format!("corpus/{target}");
    let time = format!("-max_total_time={seconds}");
    let mut args = build.args("run");
    args.extend([
        target,
        &corpus_arg,
        &seeds,
        "--",
        &time,
        "-rss_limit_mb=2048",
        "-timeout=10",
    ]);
    let mut c = cmd("cargo", &args);
    c.current_dir(root().join("fuzz"));
    eprintln!(
        "fuzz {target}: {seconds} s, {}{}",
        if build.nightly {
            "nightly (address sanitizer)"
        } else {
            "stable (no sanitizer)"
        },
        if build.quick {
            ", 16 codegen units"
        } else {
            ""
        }
    );
    let ran = run_cmd(c);
    let saved = keep_crashes(target, build)?;
    if !saved.is_empty() {
        bail!(
            "fuzz {target} found {} crash(es), minimized into {}: fix them; tests/regressions.rs replays them",
            saved.len(),
            saved.join(", ")
        );
    }
    ran
}

/// Minimizes each artifact of `target` and copies it to `fixtures/regressions/TARGET/`; returns
/// the paths written (the artifacts are removed once kept).
fn keep_crashes(target: &str, build: Build) -> Result<Vec<String>> {
    let artifacts = root().join("fuzz/artifacts").join(target);
    let Ok(entries) = std::fs::read_dir(&artifacts) else {
        return Ok(Vec::new());
    };
    let dest = root().join("fixtures/regressions").join(target);
    let mut saved = Vec::new();
    for e in entries {
        let path = e?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if !["crash-", "oom-", "timeout-", "leak-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let mut args = build.args("tmin");
        let artifact = path.to_string_lossy().into_owned();
        args.extend([target, &artifact]);
        let mut c = cmd("cargo", &args);
        c.current_dir(root().join("fuzz"));
        // tmin writes `minimized-from-…` next to the artifact; keep the smallest we have.
        let _ = c.output();
        let kept = smallest_minimized(&artifacts, &name).unwrap_or(path.clone());
        std::fs::create_dir_all(&dest)?;
        let to = dest.join(&name);
        std::fs::copy(&kept, &to).with_context(|| format!("copying {}", kept.display()))?;
        let _ = std::fs::remove_file(&path);
        saved.push(to.strip_prefix(root()).unwrap_or(&to).display().to_string());
    }
    Ok(saved)
}

/// The smallest `minimized-from-*` file in `dir` (what `cargo fuzz tmin` wrote for `name`).
fn smallest_minimized(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    let hash = name.split_once('-').map(|(_, h)| h).unwrap_or(name);
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("minimized-from-") && n.contains(hash))
        })
        .min_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX))
}

/// Writes the catalog's tokens, case files and policies into the working corpora
/// `fuzz/corpus/TARGET/` (not committed; `fuzz/seeds/` keeps the few hand-picked seeds): every
/// forged token for the token targets, every family file for `case_file`, every default policy
/// for `policy`. Returns how many inputs were written.
fn seed_corpus() -> Result<usize> {
    let suite = jwt_harness::Suite::defaults()?;
    let forged = suite.forge_at(jwt_harness::suite::FIXED_NOW)?;
    let mut written = 0;
    let mut put = |target: &str, name: &str, data: &[u8]| -> Result<()> {
        let dir = root().join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), data)?;
        written += 1;
        Ok(())
    };
    for (i, inst) in forged.instances.iter().enumerate() {
        let name = format!("catalog-{i:04}");
        for target in TOKEN_TARGETS.iter().filter(|t| TARGETS.contains(t)) {
            put(target, &name, inst.token.as_bytes())?;
        }
    }
    for e in std::fs::read_dir(root().join("fixtures/cases"))? {
        let path = e?.path();
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
            put(
                "case_file",
                &format!("catalog-{stem}"),
                &std::fs::read(&path)?,
            )?;
        }
    }
    // A policy and, after a NUL, the key set it names (what reading any file it names gives).
    for e in std::fs::read_dir(root().join("fixtures/policies"))? {
        let path = e?.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let mut data = std::fs::read(&path)?;
        let jwks = root().join(format!("fixtures/keys/{stem}.jwks.json"));
        if let Ok(keys) = std::fs::read(&jwks) {
            data.push(0);
            data.extend(keys);
        }
        put("policy", &format!("catalog-{stem}"), &data)?;
    }
    // Adapter answers: each verdict and reason the protocol knows, and the usual garbage.
    let mut answers: Vec<String> = vec![
        r#"{"id":"fuzz-1","verdict":"accept"}"#.into(),
        r#"{"id":"fuzz-1","verdict":"unsupported","detail":"no such alg"}"#.into(),
        r#"{"id":"fuzz-1","verdict":"reject","reason":null,"detail":"x"}"#.into(),
        r#"{"id":"fuzz-2","verdict":"accept"}"#.into(),
        "Traceback (most recent call last):".into(),
    ];
    for reason in jwt_harness::cases::ALL_REASONS {
        answers.push(format!(
            r#"{{"id":"fuzz-1","verdict":"reject","reason":"{}","detail":"d"}}"#,
            reason.name()
        ));
    }
    for (i, a) in answers.iter().enumerate() {
        put(
            "protocol",
            &format!("answer-{i:02}"),
            format!("{a}\n").as_bytes(),
        )?;
    }
    // Authorization values for explain: each token behind one and two `Bearer` schemes.
    for (i, inst) in forged.instances.iter().enumerate().step_by(7) {
        let value = format!("Bearer {}", inst.token);
        put("explain", &format!("bearer-{i:04}"), value.as_bytes())?;
        put(
            "explain",
            &format!("bearer2-{i:04}"),
            format!("Bearer {value}").as_bytes(),
        )?;
    }
    // differential reads its input as choices, two bytes each: a policy, a catalog seed (taken
    // at once by a zero), then a few edits drawn from the rest.
    for policy in 0u16..9 {
        for seed in (0u16..700).step_by(5) {
            let mut tape = Vec::new();
            for choice in [policy, seed, 0, 1, 3] {
                tape.extend(choice.to_le_bytes());
            }
            put("differential", &format!("p{policy}-s{seed:03}"), &tape)?;
        }
    }
    Ok(written)
}

/// The targets whose input is a token.
const TOKEN_TARGETS: [&str; 2] = ["oracle_token", "explain"];

/// Runs the task.
pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = 60;
    let mut seed = false;
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" | "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--time takes a number of seconds"))?
            }
            "--seed-corpus" => seed = true,
            t if TARGETS.contains(&t) => targets.push(t.to_string()),
            other => bail!(
                "unknown fuzz target or flag {other:?}; targets: {}",
                TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|s| s.to_string()).collect();
    }
    ensure_cargo_fuzz()?;
    if seed {
        let n = seed_corpus()?;
        eprintln!("seed corpus: {n} inputs from the catalog under fuzz/corpus/");
    }
    let nightly = have_nightly();
    let mut failed = Vec::new();
    for t in &targets {
        let build = Build {
            nightly,
            quick: false,
        };
        if let Err(e) = fuzz_one(t, seconds, build) {
            eprintln!("{e:#}");
            failed.push(t.clone());
        }
    }
    if !failed.is_empty() {
        bail!("fuzz targets failed: {}", failed.join(", "));
    }
    Ok(())
}

/// A short run of every target, for CI (stable, no sanitizer: the smoke is about the targets
/// building and running, and a nightly build would double the time; 16 codegen units), then
/// `jwt-harness fuzz` for 15 s each against the reference (it must find nothing: exit 0), an in-process crate
/// (jsonwebtoken) and an external process (the trivial adapter of `harness/examples/`, over the
/// protocol). Against the last two a new finding (exit 1) is printed, not failed on: the smoke
/// checks that the fuzzer drives them; exit 2 (a configuration error) or a crash fails it.
pub fn smoke() -> Result<()> {
    ensure_cargo_fuzz()?;
    let build = Build {
        nightly: false,
        quick: true,
    };
    for t in TARGETS {
        fuzz_one(t, 15, build)?;
    }
    crate::util::cargo(&[
        "build",
        "-q",
        "-p",
        "jwt-harness",
        "--example",
        "trivial_adapter",
    ])?;
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let trivial = dir.join("debug/examples/trivial_adapter");
    let trivial = trivial.to_string_lossy().into_owned();
    let runs: [(&str, &[&str], bool); 3] = [
        ("reference", &["--backend", "reference"], true),
        ("jsonwebtoken", &["--backend", "jsonwebtoken"], false),
        ("trivial", &["--exec", &trivial, "--name", "trivial"], false),
    ];
    for (name, what, clean) in runs {
        let out = root().join("target/fuzz-smoke").join(name);
        let _ = std::fs::remove_dir_all(&out);
        let out = out.to_string_lossy().into_owned();
        let mut a = vec!["run", "-q", "-p", "jwt-harness", "--", "fuzz"];
        a.extend(what);
        a.extend(["--policy", "hs256", "--time", "15", "--out", &out]);
        let status = cmd(&crate::util::cargo_bin(), &a)
            .current_dir(root())
            .status()?;
        match status.code() {
            Some(0) => eprintln!("fuzz smoke {name}: no new finding"),
            Some(1) if !clean => {
                eprintln!("fuzz smoke {name}: new findings (case files in {out}; the hunt explains or fixes them)")
            }
            _ => bail!("fuzz smoke {name}: jwt-harness fuzz ended with {status}"),
        }
    }
    Ok(())
}
