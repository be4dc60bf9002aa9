//! One policy being fuzzed ([`PolicyState`]): the catalog's recipes that apply under it as
//! seeds, the generators' atoms that forge under it, the corpus of inputs with novel verdicts, and
//! the execution of a batch: forged, judged by the oracle, validated by the backend through the
//! calls `run` makes (`validate` under panic isolation, `validate_batch` for pipelined backends).

use super::record::PolicyStats;
use super::{atoms, compose, decompose, Atom, GenContext, Mutation, Rng};
use crate::backend::{Backend, BatchItem, Clock, Outcome, Validator};
use crate::cases::{Case, Catalog, Expect};
use crate::forge::{forge_one, Attackers};
use crate::isolate::{guarded, isolated, panic_outcome};
use crate::oracle::{self, Verdict};
use crate::par::{parallel_map, thread_count};
use crate::policy::Policy;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// A catalog case as a seed: its applicability and its recipe as mutations.
pub(super) struct Seed {
    pub(super) id: String,
    pub(super) base: Case,
    pub(super) mutations: Vec<Mutation>,
}

/// A case with no recipe and no conditions: the policy's valid token.
pub(super) fn baseline() -> Case {
    toml::from_str(
        "name = \"baseline\"\ndescription = \"the policy's valid token\"\nexpect = \"either\"\n",
    )
    .expect("the baseline case parses")
}

/// The catalog's cases as seeds: those that decompose, are neither transport nor resource
/// cases, run under the policy itself (no `trust` variant) and, for a system-clock backend, need
/// no fixed clock. Applicability is checked per policy when it is prepared.
pub(super) fn seeds(catalog: &Catalog, clock: Clock) -> Vec<Seed> {
    let mut out = vec![Seed {
        id: "valid/baseline".into(),
        base: baseline(),
        mutations: Vec::new(),
    }];
    for case in &catalog.cases {
        if case.transport.is_some()
            || case.trust.is_some()
            || case.is_resource()
            || (case.fixed_clock && clock == Clock::System)
        {
            continue;
        }
        let Some(mutations) = decompose(case) else {
            continue;
        };
        // Only applicability is kept: what a written case says comes from the finding.
        let mut base = super::compose::blank(case);
        base.expect = Expect::Either;
        base.reason = None;
        base.description.clear();
        base.refs.clear();
        base.tags.clear();
        base.checks.clear();
        out.push(Seed {
            id: case.id.clone(),
            base,
            mutations,
        });
    }
    out
}

/// A token and what the oracle and the backend made of it.
pub(super) struct Exec {
    pub(super) token: String,
    pub(super) verdict: Verdict,
    pub(super) outcome: Outcome,
    /// What the backend reported beside an accept that makes it unsafe whatever the oracle
    /// says: the library returned, or a gateway forwarded, another identity than the token's
    /// ([`Backend::take_identity_findings`]).
    pub(super) identity: Option<String>,
    /// The attacker URL path an HTTP target fetched while judging this token
    /// ([`Backend::poll_fetches`]): unsafe whatever it answered.
    pub(super) fetched: Option<String>,
}

impl Exec {
    /// The backend's answer as the report states it, with what it returned or fetched beside.
    pub(super) fn described(&self) -> String {
        let mut out = super::record::outcome_text(&self.outcome);
        if let Some(what) = &self.identity {
            out.push_str(&format!(", but {what}"));
        }
        if let Some(path) = &self.fetched {
            out.push_str(&format!(", and it fetched the attacker URL {path}"));
        }
        out
    }
}

/// The instance id a target's input is forged under: the seed's id and a digest of the
/// mutations, so the attacker URLs (`${attacker_url}`, tagged by instance) of distinct inputs
/// differ and a fetch names its input, while the same input forges the same token.
fn input_id(base: &Case, muts: &[Mutation]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    muts.hash(&mut h);
    format!("{}~{:016x}", base.id, h.finish())
}

/// What inputs are drawn from under one policy: the seeds that forge under it and the atoms of
/// the generators that do, each with its weight (see [`weight`]). Shared by `jwt-harness fuzz`
/// ([`PolicyState`]) and the cargo-fuzz `differential` target ([`super::differential`]).
pub(super) struct Inputs {
    pub(super) ctx: GenContext,
    pub(super) seeds: Vec<Seed>,
    /// The weight of each seed, in the order of `seeds`.
    pub(super) seed_weights: Vec<u16>,
    pub(super) atoms: Vec<(Atom, u16)>,
    /// The median time to forge an input under this policy, in nanoseconds.
    pub(super) median_ns: u64,
}

/// One policy being fuzzed: its validator, inputs and corpus.
pub(super) struct PolicyState<'a> {
    pub(super) policy: Arc<Policy>,
    validator: Box<dyn Validator + 'a>,
    backend: &'a dyn Backend,
    pub(super) inputs: Inputs,
    /// Seeds, then inputs with novel verdicts: (seed, mutations, weight).
    corpus: Vec<(usize, Vec<Mutation>, u16)>,
    seen: HashSet<(u8, u8)>,
    pub(super) stats: PolicyStats,
}

/// The id a pipelined backend is sent for the `i`th input of a batch.
fn batch_id(i: usize) -> String {
    format!("fuzz-{i}")
}

/// A small code of a verdict for the corpus's novelty test.
fn code(outcome: Option<&Outcome>, verdict: &Verdict) -> (u8, u8) {
    let reason = |r: Option<crate::cases::Reason>| r.map_or(0, |r| r as u8 + 1);
    let o = match outcome {
        None => 0,
        Some(Outcome::Accept) => 1,
        Some(Outcome::Reject { reason: r, .. }) => 16 + reason(*r),
        Some(Outcome::Unsupported(_)) => 2,
        Some(Outcome::Crash(_)) => 3,
        Some(Outcome::Broken(_)) => 4,
    };
    let v = match verdict {
        Verdict::Accept(_) => 0,
        Verdict::Reject(r, _) => reason(Some(*r)),
    };
    (o, v)
}

/// How often an input is drawn, out of 1024, by the time forging it takes against the policy's
/// median: an input that costs 20 times the median (an RSA signature by the attacker's key under
/// an HMAC policy) is drawn about 20 times less often, so a slow signature does not set the pace;
/// under a policy where every token takes an RSA signature nothing changes.
fn weight(cost_ns: u64, median_ns: u64) -> u16 {
    (1024 * median_ns.max(1) / cost_ns.max(1)).clamp(32, 1024) as u16
}

/// An index of `n` items drawn by their weights (rejection sampling, a few tries).
pub(super) fn pick_weighted(rng: &mut Rng, n: usize, weight: impl Fn(usize) -> u16) -> usize {
    let mut i = rng.below(n);
    for _ in 0..8 {
        if rng.below(1024) < usize::from(weight(i)) {
            break;
        }
        i = rng.below(n);
    }
    i
}

/// Forges an input under a policy: the token, or `None` when it does not apply or forge.
pub(super) fn forge_input(
    base: &Case,
    muts: &[Mutation],
    policy: &Policy,
    attackers: &Attackers,
    now: u64,
    seed: u64,
) -> Option<String> {
    let case = compose(base, muts);
    let forged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        forge_one(&case, policy, attackers, now, seed)
    }));
    match forged {
        Ok(Ok(Some(t))) => Some(t),
        _ => None,
    }
}

/// Forges and times an input (nanoseconds).
fn timed_forge(
    base: &Case,
    muts: &[Mutation],
    policy: &Policy,
    attackers: &Attackers,
    now: u64,
    seed: u64,
) -> (Option<String>, u64) {
    let t = Instant::now();
    let token = forge_input(base, muts, policy, attackers, now, seed);
    (token, t.elapsed().as_nanos() as u64)
}

impl Inputs {
    /// The seeds and atoms that forge under `policy`, weighted by what forging them costs.
    pub(super) fn new(
        policy: &Policy,
        all_seeds: &[Seed],
        attackers: &Attackers,
        now: u64,
    ) -> Inputs {
        let ctx = GenContext::of(policy);
        let cost = |base: &Case, muts: &[Mutation]| match timed_forge(
            base, muts, policy, attackers, now, 0,
        ) {
            (Some(_), ns) => Some(ns),
            (None, _) => None,
        };
        let seed_costs = parallel_map(all_seeds, |s| cost(&s.base, &s.mutations));
        let mut costs: Vec<u64> = seed_costs.iter().flatten().copied().collect();
        costs.sort_unstable();
        let median_ns = costs.get(costs.len() / 2).copied().unwrap_or(1);
        let mut seeds: Vec<Seed> = Vec::new();
        let mut seed_weights = Vec::new();
        for (s, c) in all_seeds.iter().zip(seed_costs) {
            if let Some(ns) = c {
                seed_weights.push(weight(ns, median_ns));
                seeds.push(Seed {
                    id: s.id.clone(),
                    base: s.base.clone(),
                    mutations: s.mutations.clone(),
                });
            }
        }
        // Fixed atoms that forge under this policy on their own; drawn ones always stay.
        let candidates = atoms(&ctx);
        let blank = baseline();
        let keep = parallel_map(&candidates, |a| match a {
            Atom::Fixed(m) => cost(&blank, m),
            Atom::Drawn(_) => Some(median_ns),
        });
        let atoms: Vec<(Atom, u16)> = candidates
            .into_iter()
            .zip(keep)
            .filter_map(|(a, c)| c.map(|ns| (a, weight(ns, median_ns))))
            .collect();
        Inputs {
            ctx,
            seeds,
            seed_weights,
            atoms,
            median_ns,
        }
    }

    /// The mutations of one atom, drawn by weight.
    pub(super) fn atom(&self, rng: &mut Rng) -> Vec<Mutation> {
        let a = pick_weighted(rng, self.atoms.len(), |i| self.atoms[i].1);
        self.atoms[a].0.draw(rng, &self.ctx)
    }

    /// One to three edits of `muts` (an atom added, a mutation dropped, a mutation of
    /// `other(rng)` spliced in), keeping the last ten mutations.
    pub(super) fn edit<'o>(
        &self,
        rng: &mut Rng,
        muts: &mut Vec<Mutation>,
        other: impl Fn(&mut Rng) -> &'o [Mutation],
    ) {
        let edits = if rng.one_in(3) { 1 + rng.below(3) } else { 1 };
        for _ in 0..edits {
            match rng.below(10) {
                0..=5 => muts.extend(self.atom(rng)),
                6 | 7 if !muts.is_empty() => {
                    muts.remove(rng.below(muts.len()));
                }
                _ => {
                    let other = other(rng);
                    if other.is_empty() {
                        muts.extend(self.atom(rng));
                    } else {
                        muts.push(rng.pick(other).clone());
                    }
                }
            }
        }
        if muts.len() > 10 {
            muts.drain(..muts.len() - 10);
        }
    }
}

impl<'a> PolicyState<'a> {
    pub(super) fn new(
        policy: Arc<Policy>,
        validator: Box<dyn Validator + 'a>,
        backend: &'a dyn Backend,
        all_seeds: &[Seed],
        attackers: &Attackers,
        now: u64,
    ) -> PolicyState<'a> {
        let inputs = Inputs::new(&policy, all_seeds, attackers, now);
        let corpus = inputs
            .seeds
            .iter()
            .zip(&inputs.seed_weights)
            .enumerate()
            .map(|(i, (s, w))| (i, s.mutations.clone(), *w))
            .collect();
        let name = policy.name.clone();
        PolicyState {
            policy,
            validator,
            backend,
            inputs,
            corpus,
            seen: HashSet::new(),
            stats: PolicyStats {
                policy: name,
                ..PolicyStats::default()
            },
        }
    }

    /// Draws one input: a corpus entry or seed, then one to three edits (an atom added, a
    /// mutation dropped, a mutation of another corpus entry spliced in).
    pub(super) fn generate(&self, rng: &mut Rng) -> (usize, Vec<Mutation>) {
        let c = pick_weighted(rng, self.corpus.len(), |i| self.corpus[i].2);
        let (seed, mut muts) = (self.corpus[c].0, self.corpus[c].1.clone());
        self.inputs.edit(rng, &mut muts, |rng| {
            &self.corpus[pick_weighted(rng, self.corpus.len(), |i| self.corpus[i].2)].1
        });
        (seed, muts)
    }

    /// Forges, judges with the oracle and validates a batch of inputs; `None` for an input that
    /// does not apply or does not forge under the policy.
    pub(super) fn execute(
        &mut self,
        inputs: &[(usize, Vec<Mutation>)],
        attackers: &Attackers,
        now: u64,
        seed: u64,
    ) -> Vec<Option<Exec>> {
        let policy = &self.policy;
        let seeds = &self.inputs.seeds;
        // A target that may fetch attacker URLs gets inputs with URLs of their own.
        let tagged = self.backend.speaks_http();
        let ids: Vec<Option<String>> = inputs
            .iter()
            .map(|(s, muts)| tagged.then(|| input_id(&seeds[*s].base, muts)))
            .collect();
        let jobs: Vec<_> = inputs.iter().zip(&ids).collect();
        let forged: Vec<(Option<(String, Verdict)>, u64)> =
            parallel_map(&jobs, |((s, muts), id)| {
                let base = match id {
                    Some(id) => &Case {
                        id: id.clone(),
                        ..seeds[*s].base.clone()
                    },
                    None => &seeds[*s].base,
                };
                let (token, ns) = timed_forge(base, muts, policy, attackers, now, seed);
                (
                    token.map(|t| {
                        let v = oracle::validate(&t, policy, now);
                        (t, v)
                    }),
                    ns,
                )
            });
        let costs: Vec<u64> = forged.iter().map(|(_, ns)| *ns).collect();
        let forged: Vec<Option<(String, Verdict)>> = forged.into_iter().map(|(f, _)| f).collect();
        let tokens: Vec<(usize, &str)> = forged
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|(t, _)| (i, t.as_str())))
            .collect();
        let outcomes = self.validate(&tokens, now);
        self.stats.skipped += (inputs.len() - tokens.len()) as u64;
        self.stats.execs += tokens.len() as u64;
        let mut identity: HashMap<String, String> =
            self.backend.take_identity_findings().into_iter().collect();
        let fetched: HashMap<String, String> = match tagged {
            true => self.backend.poll_fetches(),
            false => Vec::new(),
        }
        .into_iter()
        .map(|f| (f.tag, f.path))
        .collect();
        let fetch_of = |i: usize| -> Option<String> {
            let id = ids[i].as_ref().filter(|_| !fetched.is_empty())?;
            let tag = crate::forge::attacker_tag(&crate::forge::instance_id(id, &policy.name));
            fetched.get(&tag).cloned()
        };
        let mut out: Vec<Option<Exec>> = Vec::with_capacity(inputs.len());
        let mut outcomes = outcomes.into_iter();
        for (i, f) in forged.into_iter().enumerate() {
            out.push(f.map(|(token, verdict)| {
                Exec {
                    token,
                    verdict,
                    outcome: outcomes
                        .next()
                        .unwrap_or_else(|| Outcome::Broken("no outcome".into())),
                    identity: identity.remove(&batch_id(i)),
                    fetched: fetch_of(i),
                }
            }));
        }
        for ((input, e), ns) in inputs.iter().zip(&out).zip(costs) {
            if let Some(e) = e {
                if self.seen.insert(code(Some(&e.outcome), &e.verdict)) && self.corpus.len() < 4096
                {
                    let w = weight(ns, self.inputs.median_ns);
                    self.corpus.push((input.0, input.1.clone(), w));
                }
            }
        }
        out
    }

    /// The backend's outcomes, in order: in parallel under panic isolation, or for a pipelined
    /// backend one batch per worker thread.
    fn validate(&self, tokens: &[(usize, &str)], now: u64) -> Vec<Outcome> {
        let v = &self.validator;
        if !self.backend.pipelined() {
            return parallel_map(tokens, |(_, t)| isolated(|| v.validate(t, now)));
        }
        let ids: Vec<String> = tokens.iter().map(|(i, _)| batch_id(*i)).collect();
        let idx: Vec<usize> = (0..tokens.len()).collect();
        let per = tokens.len().div_ceil(thread_count()).max(1);
        let chunks: Vec<&[usize]> = idx.chunks(per).collect();
        let results = parallel_map(&chunks, |chunk| {
            let items: Vec<BatchItem> = chunk
                .iter()
                .map(|&i| BatchItem {
                    id: &ids[i],
                    token: tokens[i].1,
                    now,
                    transport: None,
                })
                .collect();
            match guarded(|| v.validate_batch(&items)) {
                Ok(out) if out.len() == items.len() => out,
                Ok(out) => vec![
                    Outcome::Broken(format!(
                        "batch of {} answered {} outcomes",
                        items.len(),
                        out.len()
                    ));
                    items.len()
                ],
                Err(p) => vec![panic_outcome(&p, "while validating a batch"); items.len()],
            }
        });
        results.into_iter().flatten().collect()
    }

    /// The number of inputs kept for their novel verdicts (seeds included).
    pub(super) fn corpus_len(&self) -> usize {
        self.corpus.len()
    }

    /// Runs one input alone (minimization).
    pub(super) fn single(
        &mut self,
        seed_idx: usize,
        muts: &[Mutation],
        attackers: &Attackers,
        now: u64,
        seed: u64,
    ) -> Option<Exec> {
        let input = [(seed_idx, muts.to_vec())];
        self.execute(&input, attackers, now, seed).pop().flatten()
    }
}
