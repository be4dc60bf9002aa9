//! What the fuzzer keeps of its disagreements: each one minimized, deduplicated by (finding,
//! attacker class, labels of the minimal mutation list), matched against the backend file's
//! known deviations, and written as a case file; and the report of a run.

use super::engine::{expectation, judge, Exec, FuzzConfig, FuzzSetup};
use super::state::{forge_input, PolicyState};
use super::write::{append, case_name, family_name, finding_case};
use super::{attacker_of, decompose, drop_noops, labels_of, minimize, show, simplify, Mutation};
use crate::backend::Outcome;
use crate::cases::{Attacker, Case, Catalog, Impact};
use crate::judge::Finding;
use crate::oracle::Verdict;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

/// One deduplicated finding of a fuzzing run.
#[derive(Debug, Clone)]
pub struct Found {
    /// `unsafe`, `crash`, `strict` or `unchecked`.
    pub finding: Finding,
    /// Who can make the token (the rule of [`super::exercise`]).
    pub attacker: Attacker,
    /// What an accept of it gives them.
    pub impact: Impact,
    /// The policy it was found under.
    pub policy: String,
    /// The minimal mutation list.
    pub mutations: Vec<Mutation>,
    /// What they exercise.
    pub labels: Vec<String>,
    /// The catalog case the input was drawn from.
    pub seed: String,
    /// The catalog cases whose recipe is exactly the minimal list.
    pub nearest: Vec<String>,
    /// The known deviation that explains it (its reason), if one does.
    pub known: Option<String>,
    /// The backend's outcome on the minimal token.
    pub outcome: String,
    /// The oracle's verdict on it.
    pub oracle: String,
    /// The case it is written as.
    pub case: Case,
    /// The case file it was written to, if any.
    pub written: Option<PathBuf>,
    /// How many fuzzed tokens came down to it.
    pub hits: u64,
}

impl Found {
    /// Whether it fails the run: an unexplained unsafe or crash finding.
    pub fn fails(&self) -> bool {
        self.known.is_none() && matches!(self.finding, Finding::Unsafe | Finding::Crash)
    }
}

/// Executions of one policy.
#[derive(Debug, Clone, Default)]
pub struct PolicyStats {
    /// The policy.
    pub policy: String,
    /// Tokens validated (minimization included).
    pub execs: u64,
    /// Seconds spent on it.
    pub seconds: f64,
    /// Inputs that did not apply or did not forge under it.
    pub skipped: u64,
}

impl PolicyStats {
    /// Executions per second.
    pub fn rate(&self) -> f64 {
        self.execs as f64 / self.seconds.max(1e-9)
    }
}

/// The progress of a run so far.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Tokens validated.
    pub execs: u64,
    /// Seconds since the start.
    pub seconds: f64,
    /// Inputs kept for their novel verdicts.
    pub corpus: usize,
    /// Unexplained unsafe findings.
    pub unsafe_new: usize,
    /// Unexplained crash findings.
    pub crash: usize,
    /// Findings a known deviation explains.
    pub known: usize,
    /// Tokens rejected that the oracle accepts (strict disagreements, before deduplication).
    pub strict: usize,
    /// Unchecked findings.
    pub unchecked: usize,
    /// Broken results.
    pub broken: u64,
}

/// The result of a fuzzing run.
#[derive(Debug, Clone, Default)]
pub struct FuzzReport {
    /// The backend's name.
    pub backend: String,
    /// The totals.
    pub stats: Stats,
    /// Per policy.
    pub policies: Vec<PolicyStats>,
    /// The findings, in the order found.
    pub found: Vec<Found>,
    /// The first broken result's detail.
    pub broken_detail: Option<String>,
    /// Policies the backend could not be prepared for, with why.
    pub unusable: Vec<(String, String)>,
    /// Case files that could not be written.
    pub write_errors: Vec<String>,
}

impl FuzzReport {
    /// Why nothing was judged, when nothing was: no policy the backend could be prepared for,
    /// no token validated, or every verdict `broken` (an adapter that does not start, a target
    /// that does not answer). A configuration error, not a finding.
    pub fn nothing_judged(&self) -> Option<String> {
        if self.stats.execs > 0 && self.stats.broken < self.stats.execs {
            return None;
        }
        if let Some(d) = &self.broken_detail {
            return Some(format!(
                "every one of {} verdicts was broken, the first: {d}",
                self.stats.execs
            ));
        }
        let why: Vec<String> = self
            .unusable
            .iter()
            .map(|(p, w)| format!("{p}: {w}"))
            .collect();
        Some(if why.is_empty() {
            "no token was validated".into()
        } else {
            format!("no policy could be prepared ({})", why.join("; "))
        })
    }

    /// 2 when nothing was judged ([`FuzzReport::nothing_judged`]); 1 when an unexplained unsafe
    /// or crash finding, or a broken result, occurred; else 0.
    pub fn exit_code(&self) -> u8 {
        if self.nothing_judged().is_some() {
            return 2;
        }
        u8::from(self.found.iter().any(Found::fails) || self.stats.broken > 0)
    }

    /// The report for people: one line per finding, then the rates per policy and the totals.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.found {
            let head = match (&f.known, f.finding) {
                (Some(_), _) => "known".to_string(),
                (None, Finding::Unsafe) => format!("UNSAFE {}", f.case.severity_or_low().name()),
                (None, other) => other.name().to_uppercase(),
            };
            out.push_str(&format!(
                "{head:15} {:7} {:10} {}  [{}] ×{}\n",
                f.attacker.name(),
                f.policy,
                show(&f.mutations),
                f.labels.join(" "),
                f.hits
            ));
            out.push_str(&format!("    {}; the oracle: {}\n", f.outcome, f.oracle));
            if let Some(reason) = &f.known {
                out.push_str(&format!("    known: {reason}\n"));
            }
            if let Some(path) = &f.written {
                out.push_str(&format!(
                    "    written: {} ({})\n",
                    path.display(),
                    f.case.name
                ));
            }
        }
        for p in &self.policies {
            out.push_str(&format!(
                "{:10} {:>10} execs {:>9.0}/s {:>7.1} s\n",
                p.policy,
                p.execs,
                p.rate(),
                p.seconds
            ));
        }
        for (p, why) in &self.unusable {
            out.push_str(&format!("{p:10} not fuzzed: {why}\n"));
        }
        for e in &self.write_errors {
            out.push_str(&format!("write error: {e}\n"));
        }
        if let Some(d) = &self.broken_detail {
            out.push_str(&format!("broken ({}): {d}\n", self.stats.broken));
        }
        out.push_str(&format!("{}\n", progress_line(&self.backend, &self.stats)));
        out
    }
}

/// The progress line: executions, their rate and the findings.
pub fn progress_line(backend: &str, s: &Stats) -> String {
    format!(
        "fuzz {backend}: {} execs in {:.0} s ({:.0}/s), corpus {}; {} new unsafe, {} crash, {} known, {} strict, {} unchecked, {} broken",
        s.execs,
        s.seconds,
        s.execs as f64 / s.seconds.max(1e-9),
        s.corpus,
        s.unsafe_new,
        s.crash,
        s.known,
        s.strict,
        s.unchecked,
        s.broken
    )
}

/// A disagreement as the loop found it.
pub(super) struct Trial<'a> {
    pub(super) seed: usize,
    pub(super) mutations: &'a [Mutation],
    pub(super) exec: &'a Exec,
    pub(super) finding: Finding,
}

/// A mutation list independent of its order.
pub(super) fn canonical(mutations: &[Mutation]) -> String {
    let mut v: Vec<String> = mutations.iter().map(Mutation::to_string).collect();
    v.sort();
    v.join("\n")
}

/// The catalog's cases by their recipe (as a canonical mutation list).
pub(super) fn nearest_index(catalog: &Catalog) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for case in &catalog.cases {
        if let Some(m) = decompose(case) {
            out.entry(canonical(&m)).or_default().push(case.id.clone());
        }
    }
    out
}

/// An outcome in a few words.
pub(super) fn outcome_text(o: &Outcome) -> String {
    let short = |d: &str| d.chars().take(160).collect::<String>();
    match o {
        Outcome::Accept => "accepted".into(),
        Outcome::Reject { reason, detail } => format!(
            "rejected ({}): {}",
            reason.map_or("no reason", |r| r.name()),
            short(detail)
        ),
        Outcome::Unsupported(d) => format!("unsupported: {}", short(d)),
        Outcome::Crash(d) => format!("crashed: {}", short(d)),
        Outcome::Broken(d) => format!("broken: {}", short(d)),
    }
}

pub(super) fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Accept(_) => "accept".into(),
        Verdict::Reject(r, d) => format!("reject ({}): {d}", r.name()),
    }
}

/// Tries to make a minimal finding one a stronger attacker can trigger: the same list unsigned,
/// with an empty signature, or signed by the attacker's key. A validator that accepts `alg:
/// "nOnE"` signed by the issuer likely accepts it unsigned too, and then anyone can make the
/// token. The stronger list is minimized again under its own class.
pub(super) fn escalate(
    minimal: Vec<Mutation>,
    finding: Finding,
    mut still: impl FnMut(&[Mutation]) -> bool,
) -> Vec<Mutation> {
    use crate::cases::{KeyChoice, SigOp};
    let class = attacker_of(&minimal).0;
    if class == Attacker::Anyone || finding == Finding::Strict {
        return minimal;
    }
    for extra in [
        Mutation::Key(KeyChoice::None),
        Mutation::Signature(SigOp::Empty),
        Mutation::Key(KeyChoice::Attacker),
    ] {
        let mut candidate = minimal.clone();
        candidate.push(extra);
        let stronger = attacker_of(&candidate).0;
        if stronger < class && still(&candidate) {
            return minimize(&candidate, |c| attacker_of(c).0 <= stronger && still(c));
        }
    }
    minimal
}

/// The fuzzer's findings so far.
pub(super) struct Recorder {
    report: FuzzReport,
    keys: HashMap<(Finding, Attacker, Vec<String>, bool), usize>,
    raw_seen: HashSet<(Finding, String, Vec<String>)>,
    nearest: HashMap<String, Vec<String>>,
    strict_seen: usize,
}

impl Recorder {
    pub(super) fn new(setup: &FuzzSetup<'_>, backend: &str) -> Recorder {
        Recorder {
            report: FuzzReport {
                backend: backend.to_string(),
                ..FuzzReport::default()
            },
            keys: HashMap::new(),
            raw_seen: HashSet::new(),
            nearest: nearest_index(setup.catalog),
            strict_seen: 0,
        }
    }

    /// Whether an unexplained unsafe or crash finding was recorded.
    pub(super) fn failing(&self) -> bool {
        self.report.found.iter().any(Found::fails)
    }

    pub(super) fn unusable(&mut self, policy: &str, why: &str) {
        self.report
            .unusable
            .push((policy.to_string(), why.to_string()));
    }

    /// Handles one disagreement: attributes it to a finding whose minimal list it contains, or
    /// minimizes it and records it (new, or a duplicate of one with the same key).
    pub(super) fn disagreement(
        &mut self,
        state: &mut PolicyState<'_>,
        trial: Trial<'_>,
        setup: &FuzzSetup<'_>,
        config: &FuzzConfig,
        clock: &dyn Fn() -> u64,
    ) {
        let finding = trial.finding;
        match finding {
            Finding::Broken => {
                self.report.stats.broken += 1;
                if self.report.broken_detail.is_none() {
                    self.report.broken_detail = Some(outcome_text(&trial.exec.outcome));
                }
                return;
            }
            Finding::Strict => {
                self.strict_seen += 1;
                if !config.strict {
                    return;
                }
            }
            _ => {}
        }
        let policy = state.policy.name.clone();
        if let Some(f) = self.report.found.iter_mut().find(|f| {
            f.finding == finding
                && f.policy == policy
                && !f.mutations.is_empty()
                && f.mutations.iter().all(|m| trial.mutations.contains(m))
        }) {
            f.hits += 1;
            return;
        }
        let raw = (finding, policy.clone(), labels_of(trial.mutations));
        if self.raw_seen.contains(&raw) {
            return;
        }
        // The loop's first look took every rejection as required: confirm it.
        if judge(trial.exec, &state.policy, clock(), &setup.file) != Some(finding) {
            return;
        }
        self.raw_seen.insert(raw);
        let attackers = setup.attackers;
        let now0 = clock();
        let base = &state.inputs.seeds[trial.seed].base;
        let reduced = drop_noops(trial.mutations, |c| {
            forge_input(base, c, &state.policy, attackers, now0, config.seed)
        });
        let class = attacker_of(&reduced).0;
        let minimal = minimize(&reduced, |candidate| {
            let now = clock();
            match state.single(trial.seed, candidate, attackers, now, config.seed) {
                Some(e) => {
                    judge(&e, &state.policy, now, &setup.file) == Some(finding)
                        && attacker_of(candidate).0 <= class
                }
                None => false,
            }
        });
        let minimal = simplify(minimal, |candidate| {
            let now = clock();
            state
                .single(trial.seed, candidate, attackers, now, config.seed)
                .is_some_and(|e| judge(&e, &state.policy, now, &setup.file) == Some(finding))
        });
        let minimal = escalate(minimal, finding, |candidate| {
            let now = clock();
            state
                .single(trial.seed, candidate, attackers, now, config.seed)
                .is_some_and(|e| judge(&e, &state.policy, now, &setup.file) == Some(finding))
        });
        let now = clock();
        let exec = match state.single(trial.seed, &minimal, attackers, now, config.seed) {
            Some(e) if judge(&e, &state.policy, now, &setup.file) == Some(finding) => e,
            // The disagreement did not come back (a system clock moved on): nothing to keep.
            _ => return,
        };
        let labels = labels_of(&minimal);
        let (attacker, impact) = attacker_of(&minimal);
        let nearest = self
            .nearest
            .get(&canonical(&minimal))
            .cloned()
            .unwrap_or_default();
        let known = setup
            .file
            .known_fuzzed(
                &nearest,
                &labels,
                &policy,
                finding.name(),
                &outcome_text(&exec.outcome),
            )
            .map(|d| d.reason.clone());
        // Known under one policy does not hide the same behaviour unexplained under another.
        let key = (finding, attacker, labels.clone(), known.is_some());
        if let Some(&i) = self.keys.get(&key) {
            self.report.found[i].hits += 1;
            return;
        }
        let e = expectation(&exec, &state.policy, now, &minimal);
        let outcome = exec.described();
        let oracle = verdict_text(&exec.verdict);
        let name = case_name(finding.name(), &labels, &policy, &minimal);
        let description = format!(
            "Found by jwt-harness fuzz: {} {outcome} under {policy}; the oracle: {oracle}.",
            self.report.backend
        );
        let seed = &state.inputs.seeds[trial.seed];
        let mut case = finding_case(&seed.base, &minimal, &name, &description, &e);
        case.id = format!("{}/{name}", family_name(&self.report.backend));
        let mut written = None;
        let writes = match finding {
            Finding::Unsafe | Finding::Crash => true,
            Finding::Strict => config.strict,
            _ => false,
        };
        if let (Some(dir), true, None) = (&config.out, writes, &known) {
            match append(dir, &family_name(&self.report.backend), &case) {
                Ok((path, _)) => written = Some(path),
                Err(err) => self.report.write_errors.push(format!("{name}: {err}")),
            }
        }
        self.keys.insert(key, self.report.found.len());
        self.report.found.push(Found {
            finding,
            attacker,
            impact,
            policy,
            mutations: minimal,
            labels,
            seed: seed.id.clone(),
            nearest,
            known,
            outcome,
            oracle,
            case,
            written,
            hits: 1,
        });
    }

    /// The totals so far.
    pub(super) fn stats(&self, states: &[PolicyState<'_>], started: Instant) -> Stats {
        let found = &self.report.found;
        let count = |f: Finding| {
            found
                .iter()
                .filter(|x| x.finding == f && x.known.is_none())
                .count()
        };
        Stats {
            execs: states.iter().map(|s| s.stats.execs).sum(),
            seconds: started.elapsed().as_secs_f64(),
            corpus: states.iter().map(|s| s.corpus_len()).sum(),
            unsafe_new: count(Finding::Unsafe),
            crash: count(Finding::Crash),
            known: found.iter().filter(|x| x.known.is_some()).count(),
            strict: self.strict_seen,
            unchecked: count(Finding::Unchecked),
            broken: self.report.stats.broken,
        }
    }

    pub(super) fn finish(mut self, policies: Vec<PolicyStats>, stats: Stats) -> FuzzReport {
        self.report.policies = policies;
        self.report.stats = stats;
        self.report
    }
}
