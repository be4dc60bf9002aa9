//! Step 3: header. `alg` against the allowlist (and its misspellings, `none` and curve names),
//! `crit`, `b64`, `cty`, `typ`, the type of `kid`, and the embedded-key parameters that are
//! rightly ignored.

use super::diag::Diag;
use super::text::{alg_names, show_str, show_value};
use crate::cases::Reason;
use crate::jose::alg::{Alg, ALL_ALGS};
use crate::jose::KeyType;
use crate::oracle;
use serde_json::{Map, Value};

/// Returns the algorithm to diagnose with (the exact one, or the one a variant spelling means)
/// and whether the oracle's header check passes.
pub(super) fn header_step(d: &mut Diag, header: &Map<String, Value>) -> (Option<Alg>, bool) {
    let since = d.findings.len();
    let policy = d.policy;
    let allowed = alg_names(&policy.algorithms);
    let mut diag_alg = None;
    match header.get("alg") {
        None => d.fail(
            "header",
            Reason::Malformed,
            "no alg member",
            "the header has no alg",
            "the issuer must set alg (RFC 7515 §4.1.1)",
        ),
        Some(Value::String(a)) => {
            let shown = show_str(a);
            let bare = a.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            if let Some(x) = Alg::parse(a) {
                diag_alg = Some(x);
                if policy.algorithms.contains(&x) {
                    d.ok(
                        "header",
                        format!("alg {shown} is on the allowlist [{allowed}]"),
                    );
                } else {
                    let fix = if x.key_type() == KeyType::Oct && !policy.has_key_type(KeyType::Oct)
                    {
                        format!("an HMAC alg against a policy of public keys is the alg-confusion pattern: reject it; a real issuer must sign with one of [{allowed}]")
                    } else {
                        format!("sign with one of [{allowed}], or add {x} to the policy's algorithms if that issuer is trusted")
                    };
                    d.fail(
                        "header",
                        Reason::Algorithm,
                        format!("alg {shown} is not on the allowlist [{allowed}]"),
                        format!("alg {x} is not allowed"),
                        fix,
                    );
                }
            } else if bare.eq_ignore_ascii_case("none") {
                d.attack(
                    "header",
                    Reason::Algorithm,
                    format!("alg {shown}: an unsecured token without a signature (RFC 7519 §6), never accepted"),
                    "alg none: an unsigned token (the alg-none attack)",
                    "nothing to fix in the validator: unsigned tokens must be rejected; if a real issuer sends them, make it sign",
                );
            } else if let Some(x) = ALL_ALGS
                .iter()
                .copied()
                .find(|x| x.name().eq_ignore_ascii_case(bare))
            {
                diag_alg = Some(x);
                let how = if bare != a {
                    "has whitespace or NUL around"
                } else {
                    "is a case variant of"
                };
                let extra = if policy.algorithms.contains(&x) {
                    String::new()
                } else {
                    format!(" (and {x} is not allowed either)")
                };
                d.fail(
                    "header",
                    Reason::Algorithm,
                    format!("alg {shown} {how} {x}{extra}: names are exact and case-sensitive (RFC 7515 §4.1.1)"),
                    format!("alg {shown} is not exactly {x}"),
                    format!("the issuer must write alg exactly as \"{x}\""),
                );
            } else if bare.eq_ignore_ascii_case("ed25519") {
                diag_alg = Some(Alg::EdDSA);
                d.fail(
                    "header",
                    Reason::Algorithm,
                    format!("alg {shown} is a curve name; the JWS algorithm is EdDSA (RFC 8037)"),
                    "alg is the curve name Ed25519, not EdDSA",
                    "the issuer must write alg \"EdDSA\"",
                );
            } else {
                let text = if a.is_empty() {
                    format!("alg is empty; allowed: [{allowed}]")
                } else {
                    format!("alg {shown} is not a JWS algorithm this validator knows; allowed: [{allowed}]")
                };
                d.fail(
                    "header",
                    Reason::Algorithm,
                    text,
                    format!("alg {shown} is not allowed"),
                    format!("sign with one of [{allowed}]"),
                );
            }
        }
        Some(other) => d.fail(
            "header",
            Reason::Malformed,
            format!("alg is {}, not a string", oracle::type_name(other)),
            "alg is not a string",
            "the issuer must write alg as a string such as \"RS256\"",
        ),
    }
    if let Some(crit) = header.get("crit") {
        d.fail(
            "header",
            Reason::Other,
            format!(
                "crit {} names extensions this validator does not understand, so it must reject the token (RFC 7515 §4.1.11)",
                show_value(crit)
            ),
            "crit names extensions the validator does not understand",
            "the issuer must drop crit (and the extension it names)",
        );
    }
    match header.get("b64") {
        Some(Value::Bool(false)) => d.fail(
            "header",
            Reason::Other,
            "b64: false asks for an unencoded payload (RFC 7797), which this validator does not support",
            "b64: false (unencoded payload) is not supported",
            "the issuer must drop b64: false",
        ),
        Some(v) => d.note("header", format!("b64 {}: the default, harmless", show_value(v))),
        None => {}
    }
    if let Some(cty) = header.get("cty") {
        if cty.as_str().is_some_and(|c| c.eq_ignore_ascii_case("jwt")) {
            d.fail(
                "header",
                Reason::Other,
                "cty JWT: a nested token, which this validator does not unwrap",
                "a nested JWT (cty: JWT)",
                "send the inner token itself",
            );
        } else {
            d.note("header", format!("cty {}", show_value(cty)));
        }
    }
    match (&policy.typ, header.get("typ")) {
        (Some(want), Some(Value::String(t))) if oracle::typ_matches(t, want) => d.ok(
            "header",
            format!(
                "typ {} matches the required {}",
                show_str(t),
                show_str(want)
            ),
        ),
        (Some(want), got) => {
            let text = match got {
                None => format!("no typ; the policy requires {}", show_str(want)),
                Some(Value::String(t)) => format!(
                    "typ {} but the policy requires {} (compared case-insensitively, application/ optional)",
                    show_str(t),
                    show_str(want)
                ),
                Some(v) => format!(
                    "typ is {}; the policy requires the string {}",
                    oracle::type_name(v),
                    show_str(want)
                ),
            };
            d.fail(
                "header",
                Reason::Other,
                text,
                format!("typ is not the required {}", show_str(want)),
                format!(
                    "the issuer must set typ {} (explicit typing, RFC 8725 §3.11)",
                    show_str(want)
                ),
            );
        }
        (None, Some(t)) => d.note(
            "header",
            format!("typ {} (the policy requires none)", show_value(t)),
        ),
        (None, None) => {}
    }
    match header.get("kid") {
        None | Some(Value::String(_)) => {}
        Some(other) => d.fail(
            "header",
            Reason::Malformed,
            format!("kid is {}, not a string", oracle::type_name(other)),
            "kid is not a string",
            "the issuer must write kid as a string",
        ),
    }
    for (param, why) in [
        ("jwk", "a key shipped inside the token proves nothing: whoever made the token chose it (CVE-2018-0114)"),
        ("jku", "fetching keys from a URL the token names lets its author pick the key (and opens SSRF)"),
        ("x5u", "fetching a certificate from a URL the token names lets its author pick the key (and opens SSRF)"),
        ("x5c", "a certificate chain inside the token is its author's choice; keys come from the policy"),
        ("x5t", "keys are chosen by kid from the policy, not by thumbprint"),
        ("x5t#S256", "keys are chosen by kid from the policy, not by thumbprint"),
    ] {
        if header.contains_key(param) {
            d.warn(
                "header",
                format!("{param} is present and ignored, rightly: {why}"),
            );
        }
    }
    let ok = d
        .settle(since, oracle::check_header(header, policy))
        .is_some();
    (diag_alg, ok)
}
