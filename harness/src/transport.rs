//! The reference oracle for how a token travels (family `transport`): which HTTP requests carry
//! a bearer token a strict resource server takes. Hand-written because strictness is the point:
//! RFC 6750 §2.1's grammar, `credentials = "Bearer" 1*SP b64token` with
//! `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`; the scheme
//! compared case-insensitively (RFC 7235 §2.1); one Authorization field only, since it is not a
//! list (RFC 7230 §3.2.2); trailing whitespace not part of the value (RFC 7230 §3.2.4); and one
//! method per request (RFC 6750 §2), the query string (§2.3) and a form body (§2.2) only where
//! the policy declares them (`token_locations`).

use crate::cases::Transport;
use crate::policy::Policy;

/// Where a request carries its token, as the transport case shapes it: `Ok(token)` for the one
/// credential a strict resource server takes, `Err(why)` for a request it must refuse.
pub fn bearer_token(t: &Transport, token: &str, policy: &Policy) -> Result<String, String> {
    let declared = |l: &str| policy.token_locations.iter().any(|x| x == l);
    let mut found: Vec<String> = Vec::new();
    if t.authorization.len() > 1 {
        return Err("two Authorization fields (RFC 7230 §3.2.2: not a list field)".into());
    }
    if let Some(v) = t.authorization.first() {
        found.push(from_header(&Transport::expand(v, token))?);
    }
    for (place, name) in [("query", &t.query), ("body", &t.form)] {
        if name.is_some() {
            if !declared(place) {
                return Err(format!(
                    "a token in the {place}, which the policy does not declare (RFC 6750 §2)"
                ));
            }
            found.push(token.to_string());
        }
    }
    match found.len() {
        0 => Err("no token (RFC 6750 §3)".into()),
        1 => Ok(found.remove(0)),
        _ => Err("more than one method to transmit the token (RFC 6750 §2)".into()),
    }
}

/// The b64token of an Authorization value, or why it is not a Bearer credential.
fn from_header(value: &str) -> Result<String, String> {
    let value = value.trim_end_matches([' ', '\t']);
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or("no space after the scheme (RFC 6750 §2.1)")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "the scheme is {scheme:?}, not Bearer (RFC 6750 §2.1)"
        ));
    }
    let credential = rest.trim_start_matches(' ');
    let body = credential.trim_end_matches('=');
    let b64token = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
    if body.is_empty() || !body.chars().all(b64token) {
        return Err("the credential is not one b64token (RFC 6750 §2.1)".into());
    }
    Ok(credential.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(v: &str) -> Result<String, String> {
        from_header(v)
    }

    #[test]
    fn the_bearer_grammar_is_strict() {
        assert_eq!(header("Bearer a.b.c").unwrap(), "a.b.c");
        assert_eq!(header("bearer a.b.c").unwrap(), "a.b.c");
        assert_eq!(header("Bearer  a.b.c ").unwrap(), "a.b.c");
        for bad in [
            "Bearer Bearer a.b.c",
            "Bearera.b.c",
            "Basic a.b.c",
            "Bearer ",
            "Bearer",
            "Bearer \"a.b.c\"",
            "Bearer a.b.c x",
            "Bearer a, Bearer b",
            "Bearer\ta.b.c",
        ] {
            assert!(header(bad).is_err(), "{bad:?}");
        }
    }
}
