//! Scheduling: forge once per clock, fan out to every backend in parallel, isolate panics, and
//! collect every result in a deterministic order.

use crate::backend::{Backend, BackendInfo, BatchItem, Clock, Outcome};
use crate::deviations::BackendFile;
use crate::forge::{Forged, Instance};
use crate::isolate::{guarded, isolated, panic_outcome};
use crate::judge::{self, Finding};
use crate::par::{parallel_map, thread_count};
use crate::policy::Policy;
use crate::report::{Report, ResultRow, StaleDeviation};
use std::sync::Arc;

/// Follows a run as it goes (the command line's progress bar); every method defaults to nothing.
pub trait Progress: Sync {
    /// Tokens were forged (or read from the cache).
    fn forged(&self, _tokens: usize) {}
    /// A backend starts on this many instances.
    fn backend_started(&self, _name: &str, _instances: usize) {}
    /// This many instances were validated.
    fn validated(&self, _instances: usize) {}
    /// A finding that fails runs (unsafe, strict or broken, not a known deviation) was recorded.
    fn finding(&self) {}
    /// The run is over.
    fn finish(&self) {}
}

impl Progress for () {}

/// Run settings.
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    /// Fixed clock for request-clock backends; `None`: the system time at the start of the run.
    pub now: Option<u64>,
    /// Seed for the forge.
    pub seed: u64,
}

/// The system time in Unix seconds.
pub fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A backend with its deviations file.
pub struct Entry<'a> {
    /// The backend.
    pub backend: &'a dyn Backend,
    /// Its known deviations.
    pub file: BackendFile,
}

/// Runs the backends over forged tokens and judges every result. `tokens(now)` forges the
/// catalog at a clock (the suite plans, forges and caches; a benchmark can hand in tokens it
/// forged before).
pub fn run(
    tokens: &dyn Fn(u64) -> Forged,
    backends: &[Entry<'_>],
    config: &RunConfig,
    progress: &dyn Progress,
) -> Report {
    let started = std::time::Instant::now();
    let real_now = system_now();
    let request_now = config.now.unwrap_or(real_now);
    let infos: Vec<BackendInfo> = backends.iter().map(|b| b.backend.info()).collect();
    let forge = |now| {
        let forged = tokens(now);
        progress.forged(forged.instances.len());
        forged
    };
    let needs = |clock| infos.iter().any(|i| i.clock == clock);
    let at_request: Option<Forged> =
        (needs(Clock::Request) || backends.is_empty()).then(|| forge(request_now));
    // System-clock backends validate against the real time, so their tokens are forged against it,
    // and forged again before a backend that starts more than a few seconds later: cases with a
    // margin of seconds (inside the leeway) must not drift out of it while other backends run.
    let mut at_system: Option<(std::time::Instant, Forged)> = match &at_request {
        Some(f) if needs(Clock::System) && request_now == real_now => {
            Some((std::time::Instant::now(), f.clone()))
        }
        _ => None,
    };
    let forge_seconds = started.elapsed().as_secs_f64();

    let mut report = Report::new(request_now, config.seed, infos.clone());
    for (b, info) in backends.iter().zip(&infos) {
        if let Some(k) = b.file.key_selection {
            report.key_selection.insert(info.name.clone(), k);
        }
    }
    if at_request.is_none() && needs(Clock::System) {
        at_system = Some((std::time::Instant::now(), forge(real_now)));
    }
    let reference = at_request
        .as_ref()
        .or(at_system.as_ref().map(|(_, f)| f))
        .cloned();
    if let Some(forged) = &reference {
        report.distinct_cases = forged.distinct_cases();
        report.tokens = forged.instances.len();
        report.forge_errors = forged.errors.clone();
    }
    for (entry, info) in backends.iter().zip(&infos) {
        if info.clock == Clock::System
            && at_system
                .as_ref()
                .is_none_or(|(at, _)| at.elapsed() > std::time::Duration::from_secs(5))
        {
            at_system = Some((std::time::Instant::now(), forge(system_now())));
        }
        let forged = match info.clock {
            Clock::Request => at_request.as_ref(),
            Clock::System => at_system.as_ref().map(|(_, f)| f),
        };
        let Some(forged) = forged else { continue };
        progress.backend_started(&info.name, forged.instances.len());
        let rows = run_backend(entry, info, forged, progress);
        for r in &rows {
            if r.known.is_none()
                && matches!(
                    r.finding,
                    Finding::Unsafe | Finding::Strict | Finding::Crash | Finding::Broken
                )
            {
                progress.finding();
            }
        }
        report
            .stale
            .extend(stale_deviations(&entry.file, info, &rows));
        report.results.extend(rows);
    }
    report.forge_seconds = forge_seconds;
    report.total_seconds = started.elapsed().as_secs_f64();
    progress.finish();
    report
}

/// A validator prepared for one policy, or the outcome of every case under that policy: the
/// backend cannot express it (`unsupported`), or preparing it panicked (`broken`).
type Prepared<'a> = Result<Box<dyn crate::backend::Validator + 'a>, Outcome>;

fn run_backend(
    entry: &Entry<'_>,
    info: &BackendInfo,
    forged: &Forged,
    progress: &dyn Progress,
) -> Vec<ResultRow> {
    // Prepare one validator per distinct policy (variants included), in first-seen order.
    let mut prepared: Vec<(Arc<Policy>, Prepared<'_>)> = Vec::new();
    for inst in &forged.instances {
        if !prepared.iter().any(|(p, _)| Arc::ptr_eq(p, &inst.policy)) {
            let v = match guarded(|| entry.backend.prepare(&inst.policy)) {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(msg)) => Err(Outcome::Unsupported(msg)),
                Err(p) => Err(panic_outcome(&p, "while preparing the policy")),
            };
            prepared.push((inst.policy.clone(), v));
        }
    }
    let fixed = entry.backend.policies();
    let excluded = |inst: &Instance| {
        fixed
            .as_ref()
            .is_some_and(|p| !p.contains(&inst.policy.name))
    };
    let http = entry.backend.speaks_http();
    let skip_reason = |inst: &Instance| -> Option<&'static str> {
        if inst.case.transport.is_some() && !http {
            Some("a transport case: only HTTP targets run it")
        } else if inst.case.fixed_clock && info.clock == Clock::System {
            Some("needs a fixed clock; the backend reads the system clock")
        } else {
            None
        }
    };
    let skipped = |inst: &Instance| excluded(inst) || skip_reason(inst).is_some();
    // A policy feature the library cannot express: the case is unsupported, not run.
    let inexpressible = |inst: &Instance| -> Option<Outcome> {
        let why = entry.file.no_leeway.as_ref()?;
        (inst.case.uses_leeway && inst.policy.leeway > 0)
            .then(|| Outcome::Unsupported(format!("the library offers no leeway: {why}")))
    };
    let validator_for = |inst: &Instance| {
        &prepared
            .iter()
            .find(|(p, _)| Arc::ptr_eq(p, &inst.policy))
            .expect("prepared above")
            .1
    };
    let outcomes: Vec<Option<Outcome>> = if entry.backend.pipelined() {
        run_batches(forged, &prepared, &skipped, &inexpressible, progress)
    } else {
        parallel_map(&forged.instances, |inst: &Instance| {
            progress.validated(1);
            if skipped(inst) {
                return None;
            }
            if let Some(o) = inexpressible(inst) {
                return Some(o);
            }
            Some(match validator_for(inst) {
                Err(outcome) => outcome.clone(),
                Ok(v) => isolated(|| v.validate(&inst.token, inst.now)),
            })
        })
    };
    // Fetches of attacker URLs, by the tag of the case that named them.
    let fetched: std::collections::HashMap<String, String> = entry
        .backend
        .take_fetches()
        .into_iter()
        .map(|f| (f.tag, f.path))
        .collect();
    // Accepted requests whose upstream received another identity than the token's.
    let forwarded: std::collections::HashMap<String, String> =
        entry.backend.take_identity_findings().into_iter().collect();
    forged
        .instances
        .iter()
        .zip(outcomes)
        .filter(|(inst, _)| !excluded(inst))
        .map(|(inst, outcome)| {
            let (finding, outcome) = match outcome {
                None => (
                    Finding::Skipped,
                    Outcome::Unsupported(skip_reason(inst).unwrap_or("not run").into()),
                ),
                Some(o) => (judge::judge(inst.expect(), inst.reason(), &o), o),
            };
            let (finding, outcome) = match fetched.get(&crate::jwks::attacker_tag(&inst.id)) {
                None => (finding, outcome),
                Some(path) => (Finding::Unsafe, fetched_outcome(outcome, path)),
            };
            let note = match (&outcome, fetched.get(&crate::jwks::attacker_tag(&inst.id))) {
                (Outcome::Accept, Some(path)) => Some(fetched_note(path)),
                _ => None,
            };
            let (finding, note) = match forwarded.get(&inst.id) {
                None => (finding, note),
                Some(what) => (
                    Finding::Unsafe,
                    Some(note.map_or(what.clone(), |n| format!("{n}; {what}"))),
                ),
            };
            // What only a check the library documents it lacks would reject is not unsafe.
            let finding = match finding {
                Finding::Unsafe if entry.file.leaves_unchecked(&inst.case.checks) => {
                    Finding::Unchecked
                }
                f => f,
            };
            let outcome = match (info.clock, outcome) {
                (Clock::System, Outcome::Reject { reason, detail }) => Outcome::Reject {
                    reason,
                    detail: relative_times(&detail, inst.now),
                },
                (_, o) => o,
            };
            let known = known_deviation(&entry.file, inst, finding);
            ResultRow::new(&info.name, inst, outcome, finding, known).with_note(note)
        })
        .collect()
}

/// For pipelined backends: each policy's instances in one contiguous batch per worker thread,
/// then the resource cases one by one under the bounds of [`crate::backend::bound`].
fn run_batches(
    forged: &Forged,
    prepared: &[(Arc<Policy>, Prepared<'_>)],
    skipped: &dyn Fn(&Instance) -> bool,
    inexpressible: &dyn Fn(&Instance) -> Option<Outcome>,
    progress: &dyn Progress,
) -> Vec<Option<Outcome>> {
    let threads = thread_count();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; forged.instances.len()];
    let mut chunks: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut bounded: Vec<(usize, usize)> = Vec::new();
    for (pi, (policy, validator)) in prepared.iter().enumerate() {
        let mine: Vec<usize> = (0..forged.instances.len())
            .filter(|&i| Arc::ptr_eq(&forged.instances[i].policy, policy))
            .collect();
        let mut idx: Vec<usize> = Vec::new();
        for &i in mine.iter().filter(|&&i| !skipped(&forged.instances[i])) {
            match inexpressible(&forged.instances[i]) {
                Some(o) => outcomes[i] = Some(o),
                None => idx.push(i),
            }
        }
        progress.validated(mine.len() - idx.len());
        if let Err(outcome) = validator {
            for i in idx {
                outcomes[i] = Some(outcome.clone());
            }
            continue;
        }
        let (resource, idx): (Vec<usize>, Vec<usize>) = idx
            .into_iter()
            .partition(|&i| forged.instances[i].case.is_resource());
        bounded.extend(resource.into_iter().map(|i| (pi, i)));
        let per = idx.len().div_ceil(threads).max(1);
        for c in idx.chunks(per) {
            chunks.push((pi, c.to_vec()));
        }
    }
    let results = parallel_map(&chunks, |(pi, idx)| {
        let Ok(v) = &prepared[*pi].1 else {
            unreachable!("policies without a validator have no chunks")
        };
        let items: Vec<BatchItem> = idx
            .iter()
            .map(|&i| BatchItem {
                id: &forged.instances[i].id,
                token: &forged.instances[i].token,
                now: forged.instances[i].now,
                transport: forged.instances[i].case.transport.as_ref(),
            })
            .collect();
        let out = guarded(|| v.validate_batch(&items));
        progress.validated(items.len());
        match out {
            Ok(out) if out.len() == items.len() => out,
            Ok(out) => {
                let msg = format!("batch of {} answered {} outcomes", items.len(), out.len());
                vec![Outcome::Broken(msg); items.len()]
            }
            Err(p) => vec![panic_outcome(&p, "while validating a batch"); items.len()],
        }
    });
    for ((_, idx), outs) in chunks.iter().zip(results) {
        for (&i, o) in idx.iter().zip(outs) {
            outcomes[i] = Some(o);
        }
    }
    let results = parallel_map(&bounded, |&(pi, i)| {
        let Ok(v) = &prepared[pi].1 else {
            unreachable!("policies without a validator have no bounded cases")
        };
        let inst = &forged.instances[i];
        let item = BatchItem {
            id: &inst.id,
            token: &inst.token,
            now: inst.now,
            transport: inst.case.transport.as_ref(),
        };
        let out = guarded(|| v.validate_bounded(&item));
        progress.validated(1);
        out.unwrap_or_else(|p| panic_outcome(&p, "while validating a resource case"))
    });
    for (&(_, i), o) in bounded.iter().zip(results) {
        outcomes[i] = Some(o);
    }
    outcomes
}

/// The outcome of a case whose attacker URL the target fetched: the verdict stays, its detail
/// says what was fetched (the finding becomes `unsafe` whatever the verdict).
fn fetched_outcome(outcome: crate::backend::Outcome, path: &str) -> crate::backend::Outcome {
    use crate::backend::Outcome;
    let note = fetched_note(path);
    match outcome {
        Outcome::Reject { reason, detail } => Outcome::Reject {
            reason,
            detail: format!("{note}; then rejected: {detail}"),
        },
        Outcome::Accept => Outcome::Accept,
        Outcome::Unsupported(d) => Outcome::Unsupported(format!("{note}; {d}")),
        Outcome::Crash(d) => Outcome::Crash(format!("{note}; {d}")),
        Outcome::Broken(d) => Outcome::Broken(format!("{note}; {d}")),
    }
}

/// What a fetch of an attacker URL means, in words.
fn fetched_note(path: &str) -> String {
    format!(
        "fetched {path}, a URL the token named: the target lets anyone choose where it sends \
         requests and which keys it loads (RFC 8725 §3.10)"
    )
}

fn known_deviation(file: &BackendFile, inst: &Instance, finding: Finding) -> Option<String> {
    file.known(&inst.case.id, &inst.policy.name, finding.name())
        .map(|d| d.reason.clone())
}

fn stale_deviations(
    file: &BackendFile,
    info: &BackendInfo,
    rows: &[ResultRow],
) -> Vec<StaleDeviation> {
    // A skipped case (a fixed-clock case for a system-clock backend) never reached the library:
    // it says nothing about whether a deviation still occurs.
    let results: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r.finding != Finding::Skipped)
        .map(|r| (r.case.as_str(), r.policy.as_str(), r.finding.name()))
        .collect();
    file.stale(&results)
        .into_iter()
        .map(|d| StaleDeviation {
            backend: info.name.clone(),
            case: d.case.clone(),
            policy: d.policy.clone(),
            finding: d.finding.clone(),
        })
        .collect()
}

/// Rewrites the times a system-clock backend's message quotes relative to the clock its tokens
/// were forged at (`"1796114080"` → `"<now+3600>"`): those tokens are forged at the wall clock,
/// so the absolute numbers change from run to run while the relative ones say the same thing,
/// and reports of two runs compare. Only whole numbers of 9 to 11 digits within ten years of
/// `now` are rewritten.
pub fn relative_times(detail: &str, now: u64) -> String {
    const TEN_YEARS: i64 = 10 * 366 * 86_400;
    let bytes = detail.as_bytes();
    let mut out = String::with_capacity(detail.len());
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            let next = detail[i..]
                .char_indices()
                .nth(1)
                .map_or(detail.len(), |(k, _)| i + k);
            out.push_str(&detail[i..next]);
            i = next;
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |k| i + k);
        let digits = &detail[i..end];
        let delta = digits
            .parse::<i64>()
            .ok()
            .filter(|_| (9..=11).contains(&digits.len()))
            .map(|v| v - now as i64)
            .filter(|d| d.abs() <= TEN_YEARS);
        match delta {
            Some(d) if d >= 0 => out.push_str(&format!("<now+{d}>")),
            Some(d) => out.push_str(&format!("<now-{}>", -d)),
            None => out.push_str(digits),
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::relative_times;

    #[test]
    fn times_near_the_clock_become_relative() {
        let now = 1_796_110_480;
        assert_eq!(
            relative_times(
                "invalid type: string \"1796114080\", expected u64 at line 1 column 117",
                now
            ),
            "invalid type: string \"<now+3600>\", expected u64 at line 1 column 117"
        );
        assert_eq!(
            relative_times("floating point `1796106880.5`", now),
            "floating point `<now-3600>.5`"
        );
        // Other numbers, and numbers far from the clock, stay.
        assert_eq!(
            relative_times("offset 42, 0x58 9999999999999 é", now),
            "offset 42, 0x58 9999999999999 é"
        );
        assert_eq!(relative_times("exp 1", now), "exp 1");
    }
}
