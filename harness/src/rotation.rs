//! Key rotation over time (`run --rotation`): scenarios the JWKS server plays against an HTTP
//! target in phases, with the times measured.
//!
//! The policy names two trusted keys (the current one and the next) and a refresh bound,
//! `max_key_refresh_s`: how long the target may keep a cached key set (its cache lifetime). A
//! target must follow the published set within that bound plus [`SLACK`], and keep serving with
//! the keys it has while the key service is down or answers garbage. The phases, in order:
//!
//! 1. **drop the next key**: the set holds the current key only; a token signed by the next key
//!    must become rejected within the bound (this also proves the target reads the served set);
//! 2. **publish the next key**: the set holds both; the next key's token must become accepted;
//! 3. **retire the current key**: the set holds the next key only; the current key's token must
//!    become rejected, the next key's stay accepted;
//! 4. **key service down**: HTTP 500 for one bound's time; the next key's token must still be
//!    accepted at the end;
//! 5. **garbage**: a 200 that is not JSON, the same;
//! 6. **empty set**: `{"keys": []}`: reported, not judged (dropping every key is defensible).
//!
//! Afterwards the set is restored. Polls are 250 ms apart; the times are when the answer first
//! changed.

use crate::backend::http::HttpTarget;
use crate::backend::Outcome;
use crate::deviations::BackendFile;
use crate::forge::Forged;
use crate::jwks::{JwksServer, Serving};
use crate::policy::Policy;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Time allowed beyond the policy's refresh bound (request latency, the target's timer ticks).
pub const SLACK: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(250);

/// One phase's result.
#[derive(Debug, Clone)]
pub struct Phase {
    /// What the JWKS server did.
    pub name: &'static str,
    /// What the target must do.
    pub expect: &'static str,
    /// Whether it did (`None`: reported only).
    pub ok: Option<bool>,
    /// What happened, with the measured time.
    pub detail: String,
}

/// The keys and tokens of a scenario: the current and the next key's public JWKs, and a valid
/// token signed by each.
pub struct Keys<'a> {
    /// The current key (public JWK).
    pub current: Value,
    /// The next key (public JWK).
    pub next: Value,
    /// A valid token signed by the current key.
    pub current_token: &'a str,
    /// A valid token signed by the next key.
    pub next_token: &'a str,
}

fn accepted(target: &HttpTarget, token: &str) -> Option<bool> {
    match target.check(token) {
        Outcome::Accept => Some(true),
        Outcome::Reject { .. } => Some(false),
        _ => None,
    }
}

/// Polls until `token` is accepted (`want` true) or rejected, for at most `bound`: the time it
/// took, or what the target last answered.
fn wait_for(
    target: &HttpTarget,
    token: &str,
    want: bool,
    bound: Duration,
) -> Result<Duration, String> {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() <= bound {
        last = accepted(target, token);
        if last == Some(want) {
            return Ok(started.elapsed());
        }
        std::thread::sleep(POLL);
    }
    Err(match last {
        Some(true) => "still accepted".into(),
        Some(false) => "still rejected".into(),
        None => "answered neither accept nor reject".into(),
    })
}

fn timed(
    name: &'static str,
    expect: &'static str,
    r: Result<Duration, String>,
    bound: Duration,
) -> Phase {
    let (ok, detail) = match r {
        Ok(t) => (
            true,
            format!(
                "after {:.1} s (bound {:.0} s)",
                t.as_secs_f64(),
                bound.as_secs_f64()
            ),
        ),
        Err(e) => (false, format!("{e} after {:.0} s", bound.as_secs_f64())),
    };
    Phase {
        name,
        expect,
        ok: Some(ok),
        detail,
    }
}

/// Plays the scenario against `target` with `refresh` as the policy's bound; restores the full
/// key set afterwards.
pub fn play(
    target: &HttpTarget,
    server: &JwksServer,
    keys: &Keys,
    refresh: Duration,
) -> Vec<Phase> {
    let bound = refresh + SLACK;
    let set = |ks: &[&Value]| json!({ "keys": ks });
    let mut out = Vec::new();
    server.set_serving(Serving::Keys);
    server.set_jwks(set(&[&keys.current]));
    out.push(timed(
        "drop the next key",
        "next key's token rejected",
        wait_for(target, keys.next_token, false, bound),
        bound,
    ));
    server.set_jwks(set(&[&keys.current, &keys.next]));
    out.push(timed(
        "publish the next key",
        "next key's token accepted",
        wait_for(target, keys.next_token, true, bound),
        bound,
    ));
    server.set_jwks(set(&[&keys.next]));
    let mut retired = timed(
        "retire the current key",
        "current key's token rejected, next key's accepted",
        wait_for(target, keys.current_token, false, bound),
        bound,
    );
    if accepted(target, keys.next_token) != Some(true) {
        retired.ok = Some(false);
        retired
            .detail
            .push_str("; but the next key's token is no longer accepted");
    }
    out.push(retired);
    for (serving, name) in [
        (Serving::Error, "key service down (HTTP 500)"),
        (Serving::Garbage, "key service answers garbage"),
    ] {
        server.set_serving(serving);
        std::thread::sleep(bound);
        let still = accepted(target, keys.next_token);
        out.push(Phase {
            name,
            expect: "keeps the keys it has: next key's token accepted",
            ok: Some(still == Some(true)),
            detail: match still {
                Some(true) => format!("still accepted after {:.0} s", bound.as_secs_f64()),
                Some(false) => format!("rejected after {:.0} s", bound.as_secs_f64()),
                None => format!("answered neither after {:.0} s", bound.as_secs_f64()),
            },
        });
        server.set_serving(Serving::Keys);
    }
    server.set_jwks(json!({ "keys": [] }));
    std::thread::sleep(bound);
    let after_empty = accepted(target, keys.next_token);
    out.push(Phase {
        name: "empty key set",
        expect: "reported only",
        ok: None,
        detail: match after_empty {
            Some(true) => "keeps accepting the next key's token".into(),
            Some(false) => "rejects the next key's token".into(),
            None => "answers neither".into(),
        },
    });
    // Restore, and wait until the target trusts the current key again: a run may follow.
    server.set_jwks(set(&[&keys.current, &keys.next]));
    out.push(timed(
        "restore both keys",
        "current key's token accepted again",
        wait_for(target, keys.current_token, true, bound),
        bound,
    ));
    out
}

/// Refresh bounds above this make a scenario run long (about six bounds): they are played only
/// when asked (`run --slow-rotation`).
pub const SLOW_REFRESH_S: u64 = 60;

/// Plays the scenarios against every target (name, and its backend file if it has one) but those
/// whose file says why they cannot take part (`no_rotation`), printing each one's phases on
/// standard error; `Ok(true)` when one missed a bound its file does not explain. The tokens are
/// the policy's `valid/baseline` (current key) and `valid/second-key` (next key) in `forged`.
/// The bound is the policy's `max_key_refresh_s`, or the target's own key-cache lifetime where
/// its file states one (`key_refresh_s`: a configuration that cannot go lower); a bound over
/// [`SLOW_REFRESH_S`] is played only with `slow`.
pub fn play_all(
    targets: &[(&HttpTarget, &str, Option<&BackendFile>)],
    server: &JwksServer,
    policy: &Policy,
    forged: &Forged,
    slow: bool,
) -> Result<bool, String> {
    let Some(refresh) = policy.max_key_refresh_s else {
        eprintln!(
            "rotation: policy {} sets no max_key_refresh_s: not played",
            policy.name
        );
        return Ok(false);
    };
    let token = |case: &str| {
        forged
            .instances
            .iter()
            .find(|i| i.case.id == case && i.policy.name == policy.name)
            .map(|i| i.token.clone())
    };
    let (Some(current_token), Some(next_token), [current, next, ..]) = (
        token("valid/baseline"),
        token("valid/second-key"),
        policy.keys.as_slice(),
    ) else {
        return Err(format!(
            "rotation needs a policy with two trusted keys for one algorithm; {} has not",
            policy.name
        ));
    };
    let keys = Keys {
        current: current.public_json(),
        next: next.public_json(),
        current_token: &current_token,
        next_token: &next_token,
    };
    let mut failed = false;
    for (target, name, file) in targets {
        if let Some(why) = file.and_then(|f| f.no_rotation.as_ref()) {
            eprintln!("rotation {name}: not played: {why}");
            continue;
        }
        let known: Vec<String> = file
            .map(|f| {
                f.rotation_deviations
                    .iter()
                    .map(|d| d.phase.clone())
                    .collect()
            })
            .unwrap_or_default();
        let refresh = file.and_then(|f| f.key_refresh_s).unwrap_or(refresh);
        if refresh > SLOW_REFRESH_S && !slow {
            eprintln!(
                "rotation {name}: not played: its key cache lives {refresh} s (key_refresh_s), so \
                 the scenarios take about {} min: run with --slow-rotation",
                (refresh * 6).div_ceil(60)
            );
            continue;
        }
        eprintln!(
            "rotation {name}: bound {refresh} s + {} s of slack",
            SLACK.as_secs()
        );
        let phases = play(target, server, &keys, Duration::from_secs(refresh));
        failed |= phases
            .iter()
            .any(|p| p.ok == Some(false) && !known.iter().any(|k| k == p.name));
        eprint!("{}", to_text(name, &phases, &known));
    }
    Ok(failed)
}

/// The phases as text lines, for the end of a run; `known` are the phases the backend file
/// explains (shown `known`, not `FAIL`).
pub fn to_text(target: &str, phases: &[Phase], known: &[String]) -> String {
    let mut s = format!("rotation {target}:\n");
    for p in phases {
        let verdict = match p.ok {
            Some(true) => "ok   ",
            Some(false) if known.iter().any(|k| k == p.name) => "known",
            Some(false) => "FAIL ",
            None => "info ",
        };
        s.push_str(&format!(
            "  {verdict} {:30} {} ({})\n",
            p.name, p.detail, p.expect
        ));
    }
    s
}
