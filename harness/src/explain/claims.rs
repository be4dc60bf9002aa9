//! Step 6: claims. The payload against the clock and the policy, in the oracle's order: required
//! claims, claim types, `exp`, `nbf` (and `iat`), `iss`, `aud`, with offsets, leeway and
//! comparison hints spelled out.

use super::diag::Diag;
use super::format::describe_json;
use super::text::{compare_hints, num, show_str, show_value, span, utc};
use crate::cases::Reason;
use crate::jose::json::parse_object;
use crate::oracle::{self, Parts};
use serde_json::Value;

pub(super) fn claims_step(d: &mut Diag, parts: &Parts, verified: bool) {
    let policy = d.policy;
    let since = d.findings.len();
    let claims = match parse_object(&parts.payload) {
        Ok(c) => c,
        Err(e) => {
            d.fail(
                "claims",
                Reason::Malformed,
                format!("payload: {}", describe_json(&e, &parts.payload)),
                format!(
                    "the payload is not a JSON object of claims: {}",
                    describe_json(&e, &parts.payload)
                ),
                "the issuer must send a JSON object of claims as the payload",
            );
            d.settle(
                since,
                Err::<(), _>((Reason::Malformed, format!("payload: {e}"))),
            );
            return;
        }
    };
    if !verified {
        d.note(
            "claims",
            "the signature is not verified, so these claims are unproven; checked for completeness",
        );
    }
    // In the oracle's order: required, types, exp, nbf, iss, aud.
    let missing: Vec<&String> = policy
        .required_claims
        .iter()
        .filter(|c| !claims.contains_key(*c))
        .collect();
    for name in &missing {
        d.fail(
            "claims",
            Reason::MissingClaim,
            format!("required claim {} is missing", show_str(name)),
            format!("required claim {} is missing", show_str(name)),
            format!("the issuer must include {}", show_str(name)),
        );
    }
    if missing.is_empty() && !policy.required_claims.is_empty() {
        d.ok(
            "claims",
            format!(
                "required claims present: {}",
                policy.required_claims.join(", ")
            ),
        );
    }
    let mut times: Vec<(&str, f64)> = Vec::new();
    for name in ["exp", "nbf", "iat"] {
        match claims.get(name) {
            None => {}
            Some(Value::Number(n)) => {
                if let Some(x) = n.as_f64() {
                    times.push((name, x));
                }
            }
            Some(other) => {
                let hint = match other {
                    Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                        format!(": write {} without quotes", show_str(s.trim()))
                    }
                    Value::String(_) => ": a date string is not a NumericDate".to_string(),
                    _ => String::new(),
                };
                d.fail(
                    "claims",
                    Reason::ClaimType,
                    format!(
                        "{name} is {} ({}), must be a JSON number of seconds since the epoch (RFC 7519 §2){hint}",
                        oracle::type_name(other),
                        show_value(other)
                    ),
                    format!("{name} is {}, not a number", oracle::type_name(other)),
                    format!("the issuer must write {name} as a JSON number of seconds"),
                );
            }
        }
    }
    for name in ["iss", "sub"] {
        match claims.get(name) {
            None | Some(Value::String(_)) => {}
            Some(other) => d.fail(
                "claims",
                Reason::ClaimType,
                format!(
                    "{name} is {} ({}), must be a string",
                    oracle::type_name(other),
                    show_value(other)
                ),
                format!("{name} is {}, not a string", oracle::type_name(other)),
                format!("the issuer must write {name} as a string"),
            ),
        }
    }
    let aud: Option<Vec<&str>> = match claims.get("aud") {
        None => None,
        Some(Value::String(s)) => Some(vec![s.as_str()]),
        Some(Value::Array(items)) => {
            let strings: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            if strings.is_none() {
                let nested = items.iter().any(Value::is_array);
                d.fail(
                    "claims",
                    Reason::ClaimType,
                    format!(
                        "aud {} is an array holding {}; it must hold only strings",
                        show_value(&Value::Array(items.clone())),
                        if nested {
                            "a nested array"
                        } else {
                            "a non-string"
                        }
                    ),
                    "aud holds a non-string",
                    "the issuer must write aud as a string or a flat array of strings",
                );
            }
            strings
        }
        Some(other) => {
            d.fail(
                "claims",
                Reason::ClaimType,
                format!(
                    "aud is {} ({}), must be a string or an array of strings",
                    oracle::type_name(other),
                    show_value(other)
                ),
                format!(
                    "aud is {}, not a string or an array",
                    oracle::type_name(other)
                ),
                "the issuer must write aud as a string or an array of strings",
            );
            None
        }
    };
    let now = d.now as f64;
    let leeway = policy.leeway as f64;
    let lw = format!("leeway {} s", policy.leeway);
    let time = |name: &str| times.iter().find(|(n, _)| *n == name).map(|(_, x)| *x);
    let millis = |x: f64| x > 1e11 && now < 1e11;
    match time("exp") {
        Some(exp) if now >= exp + leeway => {
            let ago = now - exp;
            let skew = if ago < 600.0 {
                "; or, if it was just issued, check the clocks of the issuer and this server"
            } else {
                ""
            };
            d.fail(
                "claims",
                Reason::Expired,
                format!(
                    "expired {} ago (exp {} = {}, now {}); {lw}",
                    span(ago),
                    num(exp),
                    utc(exp),
                    utc(now)
                ),
                format!("expired {} ago; {lw}", span(ago)),
                format!("get a fresh token (refresh it before it expires){skew}"),
            );
        }
        Some(exp) if now >= exp => d.warn(
            "claims",
            format!(
                "exp passed {} ago ({}); accepted only thanks to the {lw}, for {} more",
                span(now - exp),
                utc(exp),
                span(exp + leeway - now)
            ),
        ),
        Some(exp) => {
            if millis(exp) {
                d.warn(
                    "claims",
                    format!("exp {} looks like milliseconds; NumericDate is seconds, so it never expires in practice", num(exp)),
                );
            } else {
                d.ok(
                    "claims",
                    format!("exp in {} ({}); {lw}", span(exp - now), utc(exp)),
                );
            }
        }
        None if claims.get("exp").is_none() => {
            d.warn("claims", "no exp: the token never expires");
        }
        None => {}
    }
    match time("nbf") {
        Some(nbf) if nbf > now + leeway => {
            let ms = if millis(nbf) {
                " (it looks like milliseconds; NumericDate is seconds)"
            } else {
                ""
            };
            d.fail(
                "claims",
                Reason::NotYetValid,
                format!(
                    "not valid for another {} (nbf {} = {}, now {}); {lw}{ms}",
                    span(nbf - now),
                    num(nbf),
                    utc(nbf),
                    utc(now)
                ),
                format!("not valid for another {}; {lw}", span(nbf - now)),
                if ms.is_empty() {
                    "wait, or synchronise the clocks: the issuer's runs ahead of this server's (NTP)".to_string()
                } else {
                    "the issuer must write nbf in seconds, not milliseconds".to_string()
                },
            );
        }
        Some(nbf) if nbf > now => d.warn(
            "claims",
            format!(
                "nbf is {} in the future; accepted only thanks to the {lw}",
                span(nbf - now)
            ),
        ),
        Some(nbf) => d.ok(
            "claims",
            format!("nbf {} ago ({})", span(now - nbf), utc(nbf)),
        ),
        None => {}
    }
    match time("iat") {
        Some(iat) if iat > now + leeway => d.warn(
            "claims",
            format!(
                "iat is {} in the future ({}): the issuer's clock runs ahead?",
                span(iat - now),
                utc(iat)
            ),
        ),
        Some(iat) if iat <= now => d.note(
            "claims",
            format!("issued {} ago ({})", span(now - iat), utc(iat)),
        ),
        _ => {}
    }
    match (&policy.issuer, claims.get("iss")) {
        (Some(want), Some(Value::String(got))) if got == want => d.ok(
            "claims",
            format!("iss {} is the expected issuer", show_str(got)),
        ),
        (Some(want), Some(Value::String(got))) => {
            let mut hints = compare_hints(got, want);
            if policy.audience.iter().any(|a| a == got) {
                hints.push("it is the policy's audience, not its issuer".to_string());
            }
            let (hint, fix) = if hints.is_empty() {
                (
                    "; a different issuer: a token from another environment or tenant?".to_string(),
                    format!(
                        "send a token from {}, or, if {} is a trusted issuer, set issuer to it in the policy",
                        show_str(want),
                        show_str(got)
                    ),
                )
            } else {
                (
                    format!("; {}", hints.join("; ")),
                    format!(
                        "make the token's iss and the policy's issuer identical, byte for byte (the policy says {}, the token {})",
                        show_str(want),
                        show_str(got)
                    ),
                )
            };
            d.fail(
                "claims",
                Reason::Issuer,
                format!(
                    "iss {} is not the expected {} (compared exactly){hint}",
                    show_str(got),
                    show_str(want)
                ),
                format!("iss {} is not {}", show_str(got), show_str(want)),
                fix,
            );
        }
        (Some(want), None) if !missing.iter().any(|m| *m == "iss") => d.fail(
            "claims",
            Reason::MissingClaim,
            format!("iss is missing; the policy expects {}", show_str(want)),
            "iss is missing",
            "the issuer must include iss",
        ),
        (None, Some(Value::String(got))) => d.note(
            "claims",
            format!("iss {} (the policy checks no issuer)", show_str(got)),
        ),
        _ => {}
    }
    if !policy.audience.is_empty() {
        let accepted = policy
            .audience
            .iter()
            .map(|a| show_str(a))
            .collect::<Vec<_>>()
            .join(", ");
        match (&aud, claims.get("aud")) {
            (None, None) if !missing.iter().any(|m| *m == "aud") => d.fail(
                "claims",
                Reason::MissingClaim,
                format!("aud is missing; the policy accepts {accepted}"),
                "aud is missing",
                "the issuer must include aud",
            ),
            (Some(list), Some(v)) => {
                let is_array = v.is_array();
                if let Some(hit) = list
                    .iter()
                    .find(|a| policy.audience.iter().any(|p| p.as_str() == **a))
                {
                    d.ok(
                        "claims",
                        format!(
                            "aud {} holds the accepted audience {}{}",
                            show_value(v),
                            show_str(hit),
                            if is_array {
                                " (an array: one match is enough)"
                            } else {
                                ""
                            }
                        ),
                    );
                } else {
                    let mut hints: Vec<String> = Vec::new();
                    if list.is_empty() {
                        hints.push("it is an empty array: it names no audience".to_string());
                    }
                    for got in list {
                        for want in &policy.audience {
                            for h in compare_hints(got, want) {
                                if !hints.contains(&h) {
                                    hints.push(h);
                                }
                            }
                            if got.contains([' ', ',']) && got.split([' ', ',']).any(|p| p == want)
                            {
                                hints.push("a list written in one string is one audience; use a JSON array".to_string());
                            }
                        }
                        if policy.issuer.as_deref() == Some(*got) {
                            hints.push("it is the issuer's URL: a token meant for the issuer itself (an ID token?)".to_string());
                        }
                    }
                    if claims.contains_key("nonce") || claims.contains_key("at_hash") {
                        hints.push("it has nonce/at_hash: an OpenID Connect ID token sent as an access token?".to_string());
                    }
                    let hint = if hints.is_empty() {
                        "; a token meant for another API?".to_string()
                    } else {
                        format!("; {}", hints.join("; "))
                    };
                    d.fail(
                        "claims",
                        Reason::Audience,
                        format!(
                            "aud {} ({}) holds none of the accepted {accepted}{hint}",
                            show_value(v),
                            if is_array { "an array" } else { "a string" }
                        ),
                        format!("aud {} holds none of {accepted}", show_value(v)),
                        format!("request a token for {accepted} (the audience must match exactly), or add the token's audience to the policy if this API is it"),
                    );
                }
            }
            _ => {}
        }
    }
    d.settle(since, oracle::check_claims(&claims, policy, d.now));
}
