//! `explain`: diagnose one real token against a policy, in plain words.
//!
//! This is the "401 Invalid signature" checklist run on one token: transport damage (a `Bearer`
//! prefix too many, quotes, whitespace, URL encoding, `=` padding, the standard base64 alphabet),
//! which is reported and then undone for the rest of the diagnosis; format and base64url; the
//! header (`alg`, `kid`, `typ`, `crit`, `b64`, embedded keys); the key the `kid` names; the
//! signature (with that key, with another trusted key, with a retired key, as an HMAC keyed with
//! public key material, DER-encoded or all-zero ECDSA); and the claims against the clock and the
//! policy, with offsets, leeway and comparison hints spelled out. Every line starts with `ok`,
//! `FAIL`, `warn` or `note`; the last ones are the verdict and the `fix:` lines.
//!
//! The verdict is the [`crate::oracle`]'s: the checklist calls the oracle's own building
//! blocks in the oracle's order, so its first failing step is the oracle's reason, and the lines
//! around it only explain. A damaged token is judged as received (it is `malformed`), and the
//! summary says whether it would pass undamaged. The one place `explain` goes beyond the oracle is
//! the framing of a whole Authorization value: without a `Bearer` scheme it is rejected as
//! `malformed`, since no server would find a bearer token in it.
//!
//! Nothing secret is printed: tokens only through [`jose::redact`](crate::jose::redact),
//! signatures and keys as short fingerprints, claim strings cut to 60 characters, and every
//! string from the token escaped.

mod claims;
mod diag;
mod format;
mod header;
mod key;
mod signature;
mod text;
mod transport;

use crate::cases::Reason;
use crate::jose::Jwk;
use crate::oracle::{self, Verdict};
use crate::policy::Policy;
use claims::claims_step;
use diag::{Cause, Diag};
use format::diagnose_format;
use header::header_step;
use key::key_step;
use signature::signature_step;
use text::{alg_names, cut, redact, show_str, utc};
use transport::{frame, repair};

/// What to diagnose.
#[derive(Debug, Clone)]
pub enum Input {
    /// A bare compact token.
    Token(String),
    /// A whole Authorization header value.
    Authorization(String),
}

/// The diagnosis: the checklist's lines, the verdict line and the fixes.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    lines: Vec<String>,
    accepted: bool,
    reason: Option<Reason>,
}

impl Diagnosis {
    /// Whether the token is accepted (the oracle's verdict).
    pub fn accepted(&self) -> bool {
        self.accepted
    }

    /// Why the token is rejected, in the oracle's reason vocabulary; `None` when it is accepted.
    pub fn reason(&self) -> Option<Reason> {
        self.reason
    }

    /// The lines, without line ends.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text, one line each.
    pub fn render(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }
}
/// Diagnoses a token (or a whole Authorization value) against `policy` at `now` (Unix seconds).
pub fn explain(input: &Input, policy: &Policy, now: u64) -> Diagnosis {
    let mut d = Diag {
        policy,
        now,
        lines: Vec::new(),
        findings: Vec::new(),
        cause: None,
    };
    let (raw, header_mode) = match input {
        Input::Token(t) => (t.as_str(), false),
        Input::Authorization(h) => (h.as_str(), true),
    };
    d.note(
        "input",
        format!(
            "{} {}",
            if header_mode {
                "Authorization value"
            } else {
                "token"
            },
            redact(raw)
        ),
    );
    d.note(
        "policy",
        format!(
            "{}: algorithms [{}], {} trusted key(s){}, leeway {} s; now {} ({})",
            show_str(&policy.name),
            alg_names(&policy.algorithms),
            policy.keys.len(),
            if policy.retired.is_empty() {
                String::new()
            } else {
                format!(", {} retired", policy.retired.len())
            },
            policy.leeway,
            now,
            utc(now as f64)
        ),
    );

    // 1. Transport.
    let framing_start = d.findings.len();
    let received = if header_mode {
        frame(&mut d, raw)
    } else {
        raw.to_string()
    };
    let framing = d.findings.len() - framing_start;
    let repair = repair(&received, header_mode);
    let damage_start = d.findings.len();
    for damage in &repair.damages {
        d.fail(
            "transport",
            Reason::Malformed,
            &damage.what,
            &damage.what,
            &damage.fix,
        );
    }
    if repair.damages.is_empty() && framing == 0 {
        d.ok(
            "transport",
            "no stray Bearer prefix, quotes, whitespace, URL encoding, padding or '+' '/'",
        );
    } else if !repair.damages.is_empty() {
        d.note(
            "transport",
            format!(
                "undone for the rest of the diagnosis: {}",
                redact(&repair.token)
            ),
        );
    }

    // 2-6. The token itself, as the oracle sees it.
    check_token(&mut d, &repair.token, repair.alt_signing_input.as_deref());

    // 7. The verdict.
    let oracle_verdict = oracle::validate(&received, policy, now);
    let own = d.cause.take();
    let own_summary = |d: &Diag, c: &Cause| -> String {
        c.finding
            .and_then(|i| d.findings.get(i))
            .map_or_else(|| cut(&c.detail), |f| f.summary.clone())
    };
    let tail = |d: &Diag, own: &Option<Cause>| -> String {
        match own {
            None => "; undamaged, the token would be accepted".to_string(),
            Some(c) => format!(
                "; undamaged, it is still rejected ({}): {}",
                c.reason.name(),
                own_summary(d, c)
            ),
        }
    };
    let (accepted, reason, mut summary, lead): (bool, Option<Reason>, String, Option<usize>) =
        if framing > 0 {
            let first = d.findings[framing_start].summary.clone();
            (
                false,
                Some(Reason::Malformed),
                format!("{first}{}", tail(&d, &own)),
                Some(framing_start),
            )
        } else if !repair.damages.is_empty() {
            let what: Vec<&str> = repair.damages.iter().map(|x| x.short).collect();
            match &oracle_verdict {
                Verdict::Reject(r, _) => (
                    false,
                    Some(*r),
                    format!(
                        "the token was damaged on its way ({}){}",
                        what.join(", "),
                        tail(&d, &own)
                    ),
                    Some(damage_start),
                ),
                Verdict::Accept(_) => {
                    d.note(
                        "internal",
                        "the oracle accepts the token as received despite the damage found",
                    );
                    (true, None, String::new(), None)
                }
            }
        } else {
            match (&oracle_verdict, &own) {
                (Verdict::Accept(_), None) => (true, None, String::new(), None),
                (Verdict::Reject(r, _), Some(c)) if c.reason == *r => {
                    (false, Some(*r), own_summary(&d, c), c.finding)
                }
                (Verdict::Reject(r, detail), _) => {
                    d.note(
                        "internal",
                        format!(
                            "the checklist's verdict ({}) differs from the oracle's; the oracle decides",
                            own.as_ref().map_or("accept", |c| c.reason.name())
                        ),
                    );
                    (false, Some(*r), cut(detail), None)
                }
                (Verdict::Accept(_), Some(c)) => {
                    d.note(
                        "internal",
                        format!(
                            "the checklist's verdict (reject: {}) differs from the oracle's; the oracle decides",
                            c.reason.name()
                        ),
                    );
                    (true, None, String::new(), None)
                }
            }
        };

    match reason {
        None => d.lines.push("verdict: accept".to_string()),
        Some(r) => {
            if lead
                .and_then(|i| d.findings.get(i))
                .is_some_and(|f| f.attack)
            {
                summary = format!("ATTACK: {summary}");
            } else if let Some(a) = d
                .findings
                .iter()
                .enumerate()
                .find(|(i, f)| f.attack && Some(*i) != lead)
            {
                summary = format!("{summary}; ATTACK: {}", a.1.summary);
            }
            d.lines
                .push(format!("verdict: reject ({}): {summary}", r.name()));
            // A forged token needs no repair: only the attack's advice applies.
            let forged = d.findings.iter().any(|f| f.attack);
            let mut fixes: Vec<String> = Vec::new();
            let order = lead.into_iter().chain(0..d.findings.len());
            for i in order {
                let Some(f) = d.findings.get(i) else { continue };
                if forged && !f.attack {
                    continue;
                }
                if let Some(fix) = f.fix.clone() {
                    if !fixes.contains(&fix) {
                        fixes.push(fix);
                    }
                }
            }
            if fixes.is_empty() {
                fixes.push(generic_fix(r).to_string());
            }
            for fix in fixes {
                d.lines.push(format!("fix: {fix}"));
            }
        }
    }
    Diagnosis {
        lines: d.lines,
        accepted,
        reason,
    }
}

fn generic_fix(r: Reason) -> &'static str {
    match r {
        Reason::Malformed => "send a compact JWS: three base64url segments joined by dots",
        Reason::Algorithm => "sign with an algorithm on the policy's allowlist",
        Reason::Key => "sign with a key the policy trusts and name it in kid",
        Reason::Signature => "get a token signed by the trusted issuer, unaltered",
        Reason::Expired => "get a fresh token",
        Reason::NotYetValid => "wait, or synchronise the issuer's and this server's clocks",
        Reason::Issuer => "make iss equal the policy's issuer exactly",
        Reason::Audience => "request a token for one of the policy's audiences",
        Reason::MissingClaim => "the issuer must include every required claim",
        Reason::ClaimType => "the issuer must write each claim with its registered JSON type",
        Reason::Other => "remove the header parameter the validator refuses",
    }
}

// ---------------------------------------------------------------------------------------------
// Steps 2-6: the token.

fn check_token(d: &mut Diag, token: &str, alt_input: Option<&str>) {
    let since = d.findings.len();
    let parts = match oracle::decode(token) {
        Ok(p) => {
            d.ok(
                "format",
                format!(
                    "3 segments of strict base64url; header of {} member(s), payload {} B, signature {} B",
                    p.header.len(),
                    p.payload.len(),
                    p.signature.len()
                ),
            );
            p
        }
        Err(e) => {
            let lenient = diagnose_format(d, token);
            d.settle(since, Err::<(), _>(e));
            match lenient {
                Some(p) => {
                    d.note(
                        "format",
                        "continuing with a lenient decoding to find further problems",
                    );
                    p
                }
                None => return,
            }
        }
    };

    // 3. Header.
    let (alg, header_ok) = header_step(d, &parts.header);
    let Some(alg) = alg else {
        d.note(
            "key",
            "skipped: without a usable alg there is no key to look for",
        );
        claims_step(d, &parts, false);
        return;
    };

    // 4. Key.
    let (diag_keys, keys) = key_step(d, &parts.header, alg, header_ok);

    // 5. Signature.
    let cands: Vec<&Jwk> = keys.clone().unwrap_or(diag_keys);
    let since = d.findings.len();
    let alg_allowed = d.policy.algorithms.contains(&alg);
    let verified = signature_step(d, &parts, alg, &cands, alg_allowed, alt_input);
    if let Some(keys) = &keys {
        let result = if verified {
            Ok(())
        } else {
            Err((
                Reason::Signature,
                format!(
                    "signature does not verify with any of {} key(s)",
                    keys.len()
                ),
            ))
        };
        d.settle(since, result);
    }

    // 6. Claims.
    claims_step(d, &parts, verified);
}
