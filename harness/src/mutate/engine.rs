//! The fuzzing loop of `jwt-harness fuzz`: inputs drawn from the catalog's recipes and the
//! generators, forged, sent to the backend through the calls `run` makes (`prepare` once per
//! policy, `validate` under panic isolation, `validate_batch` for pipelined backends), judged
//! against the oracle, and every disagreement minimized, deduplicated, matched against the
//! backend file's known deviations and written as a case file.
//!
//! A disagreement counts only where the oracle's rejection is *required*
//! ([`crate::oracle::grounds`]): an accept of a token the RFCs merely permit rejecting is none.
//! An accept that only a claim check the library declares it lacks would reject is `unchecked`
//! (shown, never failing), as in `run`. A reject of a token the oracle accepts is `strict`
//! (recorded only on request). Backends report no claims (the [`crate::backend::Backend`] API has
//! no channel for them), so accepted tokens whose claims a backend read otherwise than signed
//! are not detected.

use super::exercise::{checks_for, refs_for};
use super::record::{Recorder, Trial};
use super::state::{seeds, PolicyState};
use super::{Mutation, Rng};
use crate::backend::{Backend, Clock, Outcome};
use crate::cases::{Catalog, Expect};
use crate::deviations::BackendFile;
use crate::forge::Attackers;
use crate::isolate::{guarded, panic_outcome};
use crate::judge::Finding;
use crate::oracle::{self, Grounds, Verdict};
use crate::policy::Policy;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub use super::record::{progress_line, Found, FuzzReport, PolicyStats, Stats};
pub(super) use super::state::Exec;

/// How a fuzzing run goes.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// How long to fuzz, in seconds.
    pub seconds: f64,
    /// Stop after this many executions (`None`: the time limit alone).
    pub max_execs: Option<u64>,
    /// The generator's seed: the same seed draws the same inputs.
    pub seed: u64,
    /// The clock of request-clock backends (`None`: the time the run starts); system-clock
    /// backends get the wall clock of each batch.
    pub now: Option<u64>,
    /// Where findings are written as case files (`None`: nowhere).
    pub out: Option<PathBuf>,
    /// Also record (and write) strict findings: rejects of tokens the oracle accepts.
    pub strict: bool,
    /// Tokens per batch.
    pub batch: usize,
    /// Stop at the first unexplained unsafe or crash finding.
    pub stop_on_finding: bool,
}

impl Default for FuzzConfig {
    fn default() -> FuzzConfig {
        FuzzConfig {
            seconds: 60.0,
            max_execs: None,
            seed: 0,
            now: None,
            out: None,
            strict: false,
            batch: 256,
            stop_on_finding: false,
        }
    }
}

/// What a fuzzing run works on.
pub struct FuzzSetup<'a> {
    /// The backend under test.
    pub backend: &'a dyn Backend,
    /// Its backend file (known deviations, unchecked claims).
    pub file: BackendFile,
    /// The cases whose recipes seed the inputs (and that known deviations' `case` globs name).
    pub catalog: &'a Catalog,
    /// The policies, fuzzed in turn.
    pub policies: Vec<Arc<Policy>>,
    /// The attacker keys.
    pub attackers: &'a Attackers,
}

/// What the fuzzer makes of one token, beside the policy: the finding, if any. Not `exact`, an
/// accept of a token the oracle rejects counts as unsafe without asking whether the rejection is
/// required (the loop's first look, confirmed by [`judge`] before anything is recorded).
pub(super) fn judge_as(
    exec: &Exec,
    policy: &Policy,
    now: u64,
    file: &BackendFile,
    exact: bool,
) -> Option<Finding> {
    match (&exec.outcome, &exec.verdict) {
        _ if exec.fetched.is_some() => Some(Finding::Unsafe),
        (Outcome::Accept, _) if exec.identity.is_some() => Some(Finding::Unsafe),
        (Outcome::Crash(_), _) => Some(Finding::Crash),
        (Outcome::Broken(_), _) => Some(Finding::Broken),
        (Outcome::Unsupported(_), _) | (Outcome::Accept, Verdict::Accept(_)) => None,
        (Outcome::Reject { .. }, Verdict::Accept(_)) => Some(Finding::Strict),
        (Outcome::Reject { .. }, Verdict::Reject(..)) => None,
        (Outcome::Accept, Verdict::Reject(reason, detail)) => {
            // The rejection every permitted reading makes: its checks say whether the library
            // only lacks a claim check it declares (a duplicate `aud` is an audience matter).
            let required = if exact {
                oracle::required_rejection(&exec.token, policy, now)
            } else {
                Some((*reason, detail.clone()))
            };
            match required {
                Some((r, d)) if file.leaves_unchecked(&checks_for(r, &d)) => {
                    Some(Finding::Unchecked)
                }
                Some(_) => Some(Finding::Unsafe),
                None => None,
            }
        }
    }
}

/// What the fuzzer makes of one token: the finding, if any (see [`judge_as`]).
pub(super) fn judge(exec: &Exec, policy: &Policy, now: u64, file: &BackendFile) -> Option<Finding> {
    judge_as(exec, policy, now, file, true)
}

/// The expectation a written case carries: the oracle's verdict on its token.
pub(super) fn expectation(
    exec: &Exec,
    policy: &Policy,
    now: u64,
    mutations: &[Mutation],
) -> super::write::Expectation {
    let labels = super::labels_of(mutations);
    let (attacker, impact) = super::attacker_of(mutations);
    let (expect, reason, checks) = match &exec.verdict {
        Verdict::Accept(_) => (Expect::Accept, None, Vec::new()),
        Verdict::Reject(r, d) => match oracle::grounds(&exec.token, policy, now) {
            Some(Grounds::Required) => (Expect::Reject, Some(*r), checks_for(*r, d)),
            _ => (Expect::Either, None, Vec::new()),
        },
    };
    super::write::Expectation {
        expect,
        reason,
        attacker: Some(attacker),
        impact: Some(impact),
        checks,
        refs: refs_for(reason, &labels),
    }
}

/// Fuzzes the backend under every policy of `setup` until the time or execution limit, calling
/// `progress` about twice a second; returns every finding, deduplicated and minimized.
pub fn fuzz(
    setup: &FuzzSetup<'_>,
    config: &FuzzConfig,
    progress: &mut dyn FnMut(&Stats),
) -> FuzzReport {
    let info = setup.backend.info();
    let started = Instant::now();
    let start_now = config.now.unwrap_or_else(crate::run::system_now);
    let clock = move || match info.clock {
        Clock::Request => start_now,
        Clock::System => crate::run::system_now(),
    };
    let mut rng = Rng::new(config.seed);
    let all_seeds = seeds(setup.catalog, info.clock);
    let mut recorder = Recorder::new(setup, &info.name);
    let mut states: Vec<PolicyState<'_>> = Vec::new();
    for policy in &setup.policies {
        match guarded(|| setup.backend.prepare(policy)) {
            Ok(Ok(v)) => states.push(PolicyState::new(
                policy.clone(),
                v,
                setup.backend,
                &all_seeds,
                setup.attackers,
                clock(),
            )),
            Ok(Err(msg)) => recorder.unusable(&policy.name, &msg),
            Err(p) => {
                let o = panic_outcome(&p, "while preparing the policy");
                recorder.unusable(&policy.name, &format!("{o:?}"));
            }
        }
    }
    let mut last_progress = Instant::now();
    let batch = config.batch.max(1);
    while !states.is_empty() {
        let elapsed = started.elapsed().as_secs_f64();
        let execs: u64 = states.iter().map(|s| s.stats.execs).sum();
        if elapsed >= config.seconds
            || config.max_execs.is_some_and(|m| execs >= m)
            || (config.stop_on_finding && recorder.failing())
        {
            break;
        }
        // The policy that had the least time so far: an RSA policy does not starve the others.
        let pi = (0..states.len())
            .min_by(|&a, &b| states[a].stats.seconds.total_cmp(&states[b].stats.seconds))
            .unwrap_or(0);
        let t0 = Instant::now();
        let state = &mut states[pi];
        let now = clock();
        let inputs: Vec<(usize, Vec<Mutation>)> =
            (0..batch).map(|_| state.generate(&mut rng)).collect();
        let execs = state.execute(&inputs, setup.attackers, now, config.seed);
        for (input, exec) in inputs.iter().zip(&execs) {
            let Some(exec) = exec else { continue };
            let Some(finding) = judge_as(exec, &state.policy, now, &setup.file, false) else {
                continue;
            };
            let trial = Trial {
                seed: input.0,
                mutations: &input.1,
                exec,
                finding,
            };
            recorder.disagreement(state, trial, setup, config, &clock);
        }
        state.stats.seconds += t0.elapsed().as_secs_f64();
        if last_progress.elapsed().as_secs_f64() >= 0.5 {
            last_progress = Instant::now();
            progress(&recorder.stats(&states, started));
        }
    }
    let stats = recorder.stats(&states, started);
    progress(&stats);
    recorder.finish(states.into_iter().map(|s| s.stats).collect(), stats)
}
