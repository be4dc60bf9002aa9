//! Double-entry bookkeeping: for every case under every default policy, the oracle's verdict
//! (computed from the token alone) agrees with the verdict the case file declares, and so does
//! the reason wherever the case declares one. A case that cannot be forged fails here too. The
//! `transport` cases are judged on their request (`jwt_harness::transport`).

use jwt_harness::cases::Expect;
use jwt_harness::forge::{forge_all, ForgeConfig};
use jwt_harness::oracle::{grounds, validate, Grounds, Verdict};
use jwt_harness_tests::{attackers, catalog, default_policies, NOW};
use std::sync::Arc;

#[test]
fn oracle_agrees_with_every_declared_expectation() {
    let catalog = catalog();
    let policies: Vec<_> = default_policies().into_iter().map(Arc::new).collect();
    let forged = forge_all(
        &catalog,
        &policies,
        &attackers(),
        &ForgeConfig { now: NOW, seed: 0 },
        &|_| true,
    );
    let mut problems = Vec::new();
    for e in &forged.errors {
        problems.push(format!("{}: cannot forge: {}", e.id, e.message));
    }
    for inst in &forged.instances {
        // A transport case is judged on the request: the strict RFC 6750 reading of its header,
        // query and body first, then the token it carries.
        let verdict = match &inst.case.transport {
            None => validate(&inst.token, &inst.policy, inst.now),
            Some(t) => match jwt_harness::transport::bearer_token(t, &inst.token, &inst.policy) {
                Ok(token) => validate(&token, &inst.policy, inst.now),
                Err(why) => Verdict::Reject(jwt_harness::cases::Reason::Malformed, why),
            },
        };
        match (inst.expect(), &verdict) {
            // An `either` case the oracle rejects is one the RFCs permit accepting: the lenient
            // reading (what `jwt-harness fuzz` judges by) must accept it, or the fuzzer would call
            // a library that takes the permitted branch unsafe.
            (Expect::Either, Verdict::Reject(_, detail))
                if inst.case.transport.is_none()
                    && !inst.case.is_resource()
                    && grounds(&inst.token, &inst.policy, inst.now) == Some(Grounds::Required) =>
            {
                problems.push(format!(
                    "{}: declared either, but the oracle's lenient reading rejects it too ({})",
                    inst.id,
                    detail.chars().take(120).collect::<String>()
                ));
            }
            (Expect::Either, _) => {}
            (Expect::Accept, Verdict::Accept(_)) => {}
            (Expect::Reject, Verdict::Reject(got, detail)) => {
                // A reject case must be one the RFCs require rejecting: where they merely permit
                // it, the case is `either`.
                if inst.case.transport.is_none()
                    && grounds(&inst.token, &inst.policy, inst.now) != Some(Grounds::Required)
                {
                    problems.push(format!(
                        "{}: declared reject, but the RFCs only permit rejecting it ({detail})",
                        inst.id
                    ));
                }
                if let Some(want) = inst.reason() {
                    if want != *got {
                        problems.push(format!(
                            "{}: declared reason {}, oracle says {} ({detail})",
                            inst.id,
                            want.name(),
                            got.name()
                        ));
                    }
                }
            }
            (want, got) => problems.push(format!(
                "{}: declared {}, oracle says {got:?}",
                inst.id,
                want.name()
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn catalog_is_large_and_covers_every_family() {
    let catalog = catalog();
    let families = catalog.families();
    for f in [
        "signature",
        "alg-none",
        "alg-confusion",
        "crypto-edge",
        "key-selection",
        "header-injection",
        "time",
        "claims",
        "encoding",
        "valid",
    ] {
        assert!(families.iter().any(|x| x == f), "family {f} is missing");
    }
    let attack_cases = catalog.cases.iter().filter(|c| c.family != "valid").count();
    assert!(attack_cases >= 250, "only {attack_cases} attack cases");
}

#[test]
fn every_default_policy_gets_a_positive_control_for_each_allowed_alg() {
    let catalog = catalog();
    let policies: Vec<_> = default_policies().into_iter().map(Arc::new).collect();
    let forged = forge_all(
        &catalog,
        &policies,
        &attackers(),
        &ForgeConfig { now: NOW, seed: 0 },
        &|c| c.family == "valid",
    );
    for p in &policies {
        for alg in &p.algorithms {
            let found = forged.instances.iter().any(|i| {
                Arc::ptr_eq(&i.policy, p)
                    && i.case.alg.as_deref() == Some(alg.name())
                    && i.expect() == Expect::Accept
                    && validate(&i.token, p, NOW).is_accept()
            });
            assert!(
                found,
                "no accepted positive control for {alg} under {}",
                p.name
            );
        }
    }
}
