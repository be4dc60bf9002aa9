//! Scheduling: forge once per clock, fan out to every backend in parallel, isolate panics, and
//! collect every result in a deterministic order.

use crate::backend::{Backend, BackendInfo, Clock, Outcome};
use crate::cases::{Case, Catalog};
use crate::forge::{forge_all, Attackers, ForgeConfig, Forged, Instance};
use crate::judge::{self, BackendFile, Finding};
use crate::policy::Policy;
use crate::report::{Report, ResultRow, StaleDeviation};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Worker threads: `$JWT_HARNESS_THREADS`, else one per core.
pub fn thread_count() -> usize {
    std::env::var("JWT_HARNESS_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// Maps `f` over `items` on all cores, keeping the order of `items`.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = thread_count().min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    // Work stealing by index: cheap items do not leave a thread idle behind an expensive chunk.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = Vec::with_capacity(items.len());
    slots.resize_with(items.len(), || None);
    let slots = std::sync::Mutex::new(slots);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    local.push((i, f(&items[i])));
                }
                let mut slots = slots.lock().unwrap_or_else(|p| p.into_inner());
                for (i, r) in local {
                    slots[i] = Some(r);
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every index was processed"))
        .collect()
}

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

/// Runs the catalog over policies and backends and judges every result.
pub fn run(
    catalog: &Catalog,
    policies: &[Policy],
    backends: &[Entry<'_>],
    attackers: &Attackers,
    config: &RunConfig,
    filter: &dyn Fn(&Case) -> bool,
) -> Report {
    let started = std::time::Instant::now();
    let policies: Vec<Arc<Policy>> = policies.iter().cloned().map(Arc::new).collect();
    let real_now = system_now();
    let request_now = config.now.unwrap_or(real_now);
    let infos: Vec<BackendInfo> = backends.iter().map(|b| b.backend.info()).collect();
    let forge = |now| {
        forge_all(
            catalog,
            &policies,
            attackers,
            &ForgeConfig {
                now,
                seed: config.seed,
            },
            filter,
        )
    };
    let needs = |clock| infos.iter().any(|i| i.clock == clock);
    let at_request: Option<Forged> =
        (needs(Clock::Request) || backends.is_empty()).then(|| forge(request_now));
    let at_system: Option<Forged> = if needs(Clock::System) {
        match (&at_request, request_now == real_now) {
            (Some(f), true) => Some(f.clone()),
            _ => Some(forge(real_now)),
        }
    } else {
        None
    };
    let forge_seconds = started.elapsed().as_secs_f64();

    let mut report = Report::new(request_now, config.seed, infos.clone());
    let reference = at_request.as_ref().or(at_system.as_ref());
    if let Some(forged) = reference {
        report.distinct_cases = {
            let mut ids: Vec<&str> = forged
                .instances
                .iter()
                .map(|i| i.case.id.as_str())
                .collect();
            ids.sort();
            ids.dedup();
            ids.len()
        };
        report.tokens = forged.instances.len();
        report.forge_errors = forged.errors.clone();
    }
    for (entry, info) in backends.iter().zip(&infos) {
        let forged = match info.clock {
            Clock::Request => at_request.as_ref(),
            Clock::System => at_system.as_ref(),
        };
        let Some(forged) = forged else { continue };
        let rows = run_backend(entry, info, forged);
        report
            .stale
            .extend(stale_deviations(&entry.file, info, &rows));
        report.results.extend(rows);
    }
    report.forge_seconds = forge_seconds;
    report.total_seconds = started.elapsed().as_secs_f64();
    report
}

/// A validator prepared for one policy, or why the backend cannot express it.
type Prepared<'a> = Result<Box<dyn crate::backend::Validator + 'a>, String>;

fn run_backend(entry: &Entry<'_>, info: &BackendInfo, forged: &Forged) -> Vec<ResultRow> {
    // Prepare one validator per distinct policy (variants included), in first-seen order.
    let mut prepared: Vec<(Arc<Policy>, Prepared<'_>)> = Vec::new();
    for inst in &forged.instances {
        if !prepared.iter().any(|(p, _)| Arc::ptr_eq(p, &inst.policy)) {
            let v = catch_unwind(AssertUnwindSafe(|| entry.backend.prepare(&inst.policy)))
                .unwrap_or_else(|p| Err(format!("panicked while preparing: {}", panic_text(&p))));
            prepared.push((inst.policy.clone(), v));
        }
    }
    let outcomes = parallel_map(&forged.instances, |inst: &Instance| {
        if inst.case.fixed_clock && info.clock == Clock::System {
            return None;
        }
        let (_, validator) = prepared
            .iter()
            .find(|(p, _)| Arc::ptr_eq(p, &inst.policy))
            .expect("prepared above");
        Some(match validator {
            Err(msg) => Outcome::Unsupported(msg.clone()),
            Ok(v) => catch_unwind(AssertUnwindSafe(|| v.validate(&inst.token, inst.now)))
                .unwrap_or_else(|p| Outcome::Broken(format!("panicked: {}", panic_text(&p)))),
        })
    });
    forged
        .instances
        .iter()
        .zip(outcomes)
        .map(|(inst, outcome)| {
            let (finding, outcome) = match outcome {
                None => (
                    Finding::Skipped,
                    Outcome::Unsupported(
                        "needs a fixed clock; the backend reads the system clock".into(),
                    ),
                ),
                Some(o) => (judge::judge(inst.expect(), inst.reason(), &o), o),
            };
            let known = known_deviation(&entry.file, inst, finding);
            ResultRow::new(&info.name, inst, outcome, finding, known)
        })
        .collect()
}

fn known_deviation(file: &BackendFile, inst: &Instance, finding: Finding) -> Option<String> {
    file.deviations
        .iter()
        .find(|d| {
            d.finding == finding.name()
                && judge::glob(&d.case, &inst.case.id)
                && judge::glob(&d.policy, &inst.policy.name)
        })
        .map(|d| d.reason.clone())
}

fn stale_deviations(
    file: &BackendFile,
    info: &BackendInfo,
    rows: &[ResultRow],
) -> Vec<StaleDeviation> {
    file.deviations
        .iter()
        .filter(|d| {
            let ran: Vec<&ResultRow> = rows
                .iter()
                .filter(|r| judge::glob(&d.case, &r.case) && judge::glob(&d.policy, &r.policy))
                .collect();
            !ran.is_empty() && !ran.iter().any(|r| r.finding.name() == d.finding)
        })
        .map(|d| StaleDeviation {
            backend: info.name.clone(),
            case: d.case.clone(),
            policy: d.policy.clone(),
            finding: d.finding.clone(),
        })
        .collect()
}

/// The message of a caught panic.
pub fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}
