//! Differential fuzzing under libFuzzer: the engine of the cargo-fuzz target `differential` and
//! of [`crate::fuzzing::differential`], with which a library maintainer fuzzes their own Rust
//! validator against the oracle.
//!
//! libFuzzer's bytes are the generator's choices ([`Rng::from_bytes`], two bytes a choice): the
//! policy, a catalog seed, then one to three edits drawn from the same generators as
//! `jwt-harness fuzz`. The input is forged once per clock, judged by the oracle, and validated by
//! every backend prepared under that policy. A disagreement the oracle's rules make a finding
//! (an accept the RFCs *require* rejecting, or a panic of the library) is minimized by dropping
//! mutations, matched against the backend file's known deviations by its labels and nearest
//! catalog case, and, when nothing explains it, returned as a [`Disagreement`] whose text names
//! the backend, the policy, the minimal mutation list and a case file that replays it with
//! `jwt-harness run --cases DIR`.

use super::engine::{expectation, judge, Exec};
use super::record::{canonical, escalate, nearest_index, outcome_text, verdict_text};
use super::state::{forge_input, pick_weighted, seeds, Inputs};
use super::write::{case_name, case_toml, family_name, finding_case};
use super::{attacker_of, drop_noops, labels_of, minimize, show, Mutation, Rng};
use crate::backend::{Backend, Clock, Validator};
use crate::cases::Attacker;
use crate::deviations::BackendFile;
use crate::forge::Attackers;
use crate::isolate::{guarded, isolated};
use crate::judge::Finding;
use crate::oracle;
use crate::policy::Policy;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A backend under differential fuzzing: its validator under each policy (`None` where it
/// cannot express the policy) and the deviations its backend file explains.
struct Subject {
    name: String,
    clock: Clock,
    file: BackendFile,
    validators: Vec<Option<Box<dyn Validator>>>,
}

/// The differential fuzzer: policies with their inputs, and the backends prepared under them.
pub struct Differential {
    policies: Vec<(Arc<Policy>, Inputs)>,
    subjects: Vec<Subject>,
    attackers: Attackers,
    nearest: HashMap<String, Vec<String>>,
    /// Whether a backend reads the system clock (inputs are then forged at the wall clock).
    system_clock: bool,
}

/// A disagreement no backend file explains: what the fuzz target reports as a crash.
#[derive(Debug, Clone)]
pub struct Disagreement {
    /// The backend that disagrees.
    pub backend: String,
    /// The policy it was prepared under.
    pub policy: String,
    /// `unsafe` or `crash`.
    pub finding: Finding,
    /// Who can make the token.
    pub attacker: Attacker,
    /// The minimal mutation list (each one needed).
    pub mutations: Vec<Mutation>,
    /// What the mutations exercise.
    pub labels: Vec<String>,
    /// The catalog case the input started from.
    pub seed: String,
    /// The backend's outcome, in a few words.
    pub outcome: String,
    /// The oracle's verdict, in a few words.
    pub oracle: String,
    /// The token, shortened ([`crate::jose::redact`]).
    pub token: String,
    /// A case file (catalog format) that replays the finding.
    pub case_file: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "jwt-harness differential: {} under policy {}: {} (attacker: {})",
            self.backend,
            self.policy,
            match self.finding {
                Finding::Crash => "the library panicked on a token",
                _ => "accepted a token the RFCs require rejecting",
            },
            self.attacker.name()
        )?;
        writeln!(f, "  backend: {}", self.outcome)?;
        writeln!(f, "  oracle:  {}", self.oracle)?;
        writeln!(f, "  minimal mutations: {}", show(&self.mutations))?;
        writeln!(f, "  exercises: {}", self.labels.join(", "))?;
        writeln!(f, "  seed case: {}", self.seed)?;
        writeln!(f, "  token: {}", self.token)?;
        writeln!(
            f,
            "  replay: save the case below as DIR/{}.toml, then `jwt-harness run --backend {} --cases DIR`;",
            family_name(&self.backend),
            self.backend
        )?;
        writeln!(
            f,
            "  a documented behaviour of the library goes into its backend file as a deviation with `exercises = [...]`."
        )?;
        write!(f, "{}", self.case_file)
    }
}

impl Differential {
    /// Prepares `backends` under the named default policies (every default policy when `names`
    /// is empty). Each backend's file is the one embedded for its name (none: nothing known),
    /// plus the deviations of the file the environment variable `JWT_HARNESS_KNOWN` names (a
    /// library maintainer's own). A policy a backend cannot be prepared for is skipped for it.
    pub fn new(backends: &[&'static dyn Backend], names: &[&str]) -> Result<Differential, String> {
        let fixtures = crate::fixtures::Fixtures::Embedded;
        let catalog = fixtures.catalog().map_err(|e| e.to_string())?;
        let attackers = fixtures.attackers().map_err(|e| e.to_string())?;
        let mut policies = Vec::new();
        for p in fixtures.default_policies().map_err(|e| e.to_string())? {
            if names.is_empty() || names.contains(&p.name.as_str()) {
                policies.push(Arc::new(p));
            }
        }
        if policies.is_empty() {
            return Err(format!("no default policy is named {}", names.join(", ")));
        }
        let all_seeds = seeds(&catalog, Clock::Request);
        let now = crate::suite::FIXED_NOW;
        let policies: Vec<(Arc<Policy>, Inputs)> = policies
            .into_iter()
            .map(|p| {
                let inputs = Inputs::new(&p, &all_seeds, &attackers, now);
                (p, inputs)
            })
            .collect();
        let mut subjects = Vec::new();
        for backend in backends {
            let info = backend.info();
            let mut file = fixtures
                .backend_file(&info.name)
                .unwrap_or_else(|_| BackendFile::default());
            if let Some(path) = std::env::var_os("JWT_HARNESS_KNOWN") {
                let path = std::path::PathBuf::from(path);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let extra = BackendFile::parse(&path.display().to_string(), &text)
                    .map_err(|e| e.to_string())?;
                file.deviations.extend(extra.deviations);
                file.unchecked.extend(extra.unchecked);
            }
            let validators = policies
                .iter()
                .map(|(p, _)| guarded(|| backend.prepare(p)).ok().and_then(Result::ok))
                .collect();
            subjects.push(Subject {
                name: info.name,
                clock: info.clock,
                file,
                validators,
            });
        }
        Ok(Differential {
            system_clock: subjects.iter().any(|s| s.clock == Clock::System),
            policies,
            subjects,
            attackers,
            nearest: nearest_index(&catalog),
        })
    }

    /// Runs one libFuzzer input: the first disagreement no backend file explains, if any.
    pub fn run(&self, data: &[u8]) -> Option<Disagreement> {
        let mut rng = Rng::from_bytes(data);
        let pi = rng.below(self.policies.len());
        let (policy, inputs) = &self.policies[pi];
        if inputs.seeds.is_empty() {
            return None;
        }
        let si = pick_weighted(&mut rng, inputs.seeds.len(), |i| inputs.seed_weights[i]);
        let mut muts = inputs.seeds[si].mutations.clone();
        inputs.edit(&mut rng, &mut muts, |rng| {
            &inputs.seeds[rng.below(inputs.seeds.len())].mutations
        });
        // One clock for the whole input, so it is forged and judged once: a request-clock backend
        // validates at whatever `now` it is given, so the wall clock serves both kinds, except
        // for a seed that needs the fixed clock, which the system-clock backends then skip.
        let fixed = inputs.seeds[si].base.fixed_clock || !self.system_clock;
        let now = if fixed {
            crate::suite::FIXED_NOW
        } else {
            crate::run::system_now()
        };
        // An input that does not forge under the policy is no input.
        let token = forge_input(
            &inputs.seeds[si].base,
            &muts,
            policy,
            &self.attackers,
            now,
            0,
        )?;
        // The token and the oracle's verdict are shared; only the outcome changes per backend.
        let mut exec = Exec {
            verdict: oracle::validate(&token, policy, now),
            token,
            outcome: crate::backend::Outcome::Accept,
            identity: None,
            fetched: None,
        };
        for subject in &self.subjects {
            let Some(validator) = &subject.validators[pi] else {
                continue;
            };
            if inputs.seeds[si].base.fixed_clock && subject.clock == Clock::System {
                continue;
            }
            exec.outcome = isolated(|| validator.validate(&exec.token, now));
            let Some(finding @ (Finding::Unsafe | Finding::Crash | Finding::Broken)) =
                judge(&exec, policy, now, &subject.file)
            else {
                continue;
            };
            if let Some(d) = self.report(subject, pi, si, &muts, finding, now) {
                return Some(d);
            }
        }
        None
    }

    /// Minimizes a disagreement and reports it unless the backend file explains it.
    fn report(
        &self,
        subject: &Subject,
        pi: usize,
        si: usize,
        muts: &[Mutation],
        finding: Finding,
        now: u64,
    ) -> Option<Disagreement> {
        let (policy, inputs) = &self.policies[pi];
        let validator = subject.validators[pi].as_ref()?;
        let base = &inputs.seeds[si].base;
        let exec_of = |candidate: &[Mutation]| -> Option<Exec> {
            let token = forge_input(base, candidate, policy, &self.attackers, now, 0)?;
            let verdict = oracle::validate(&token, policy, now);
            Some(Exec {
                outcome: isolated(|| validator.validate(&token, now)),
                token,
                verdict,
                identity: None,
                fetched: None,
            })
        };
        let muts = drop_noops(muts, |c| {
            forge_input(base, c, policy, &self.attackers, now, 0)
        });
        let class = attacker_of(&muts).0;
        let still = |c: &[Mutation]| {
            exec_of(c).is_some_and(|e| judge(&e, policy, now, &subject.file) == Some(finding))
        };
        let minimal = minimize(&muts, |c| attacker_of(c).0 <= class && still(c));
        // The weakest attacker who can make it: unsigned, unsigned-empty, the attacker's key.
        let minimal = escalate(minimal, finding, still);
        let exec = exec_of(&minimal)?;
        let labels = labels_of(&minimal);
        let nearest = self
            .nearest
            .get(&canonical(&minimal))
            .cloned()
            .unwrap_or_default();
        if finding != Finding::Broken
            && subject
                .file
                .known_fuzzed(
                    &nearest,
                    &labels,
                    &policy.name,
                    finding.name(),
                    &outcome_text(&exec.outcome),
                )
                .is_some()
        {
            return None;
        }
        let e = expectation(&exec, policy, now, &minimal);
        let name = case_name(finding.name(), &labels, &policy.name, &minimal);
        let description = format!(
            "Found by the differential fuzz target: {} {} under {}; the oracle: {}.",
            subject.name,
            outcome_text(&exec.outcome),
            policy.name,
            verdict_text(&exec.verdict)
        );
        let case = finding_case(base, &minimal, &name, &description, &e);
        let case_file = case_toml(&case).unwrap_or_else(|err| format!("# not writable: {err}\n"));
        let seed = inputs.seeds[si].id.clone();
        Some(Disagreement {
            backend: subject.name.clone(),
            policy: policy.name.clone(),
            finding,
            attacker: attacker_of(&minimal).0,
            mutations: minimal,
            labels,
            seed,
            outcome: outcome_text(&exec.outcome),
            oracle: verdict_text(&exec.verdict),
            token: crate::jose::redact(&exec.token),
            case_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{BackendInfo, Outcome};

    /// Accepts every token: every required rejection is a disagreement.
    struct AcceptAll;

    impl Validator for AcceptAll {
        fn validate(&self, _token: &str, _now: u64) -> Outcome {
            Outcome::Accept
        }
    }

    impl Backend for AcceptAll {
        fn info(&self) -> BackendInfo {
            BackendInfo {
                name: "accept-all".into(),
                version: "0".into(),
                clock: Clock::Request,
            }
        }
        fn prepare(&self, _policy: &Policy) -> Result<Box<dyn Validator + '_>, String> {
            Ok(Box::new(AcceptAll))
        }
    }

    #[test]
    fn an_accept_everything_validator_is_caught_and_the_reference_never_is() {
        static ACCEPT: AcceptAll = AcceptAll;
        static REFERENCE: crate::backend::reference::Reference =
            crate::backend::reference::Reference;
        let bad = Differential::new(&[&ACCEPT], &["hs256"]).expect("prepares");
        let good = Differential::new(&[&REFERENCE], &["hs256", "es256"]).expect("prepares");
        let mut caught = None;
        for i in 0u32..300 {
            let data = crate::forge::fnv(&i.to_le_bytes()).to_le_bytes();
            assert!(
                good.run(&data).is_none(),
                "the reference disagreed on input {i}"
            );
            if caught.is_none() {
                caught = bad.run(&data);
            }
        }
        let d = caught.expect("an accept-everything validator disagrees within 300 inputs");
        assert_eq!(d.finding, Finding::Unsafe);
        let text = d.to_string();
        assert!(text.contains("accept-all under policy hs256"), "{text}");
        assert!(text.contains("[[case]]"), "{text}");
        // The case file loads back as a catalog family.
        let cases = crate::cases::parse_family("fuzz-accept-all", &d.case_file).expect("loads");
        assert_eq!(cases.len(), 1);
        assert!(!d.mutations.is_empty());
    }
}
