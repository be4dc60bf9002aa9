//! Step 1: transport. The framing of a whole Authorization value, and the damage a token picks
//! up on its way (a `Bearer` prefix too many, quotes, whitespace, URL encoding, `=` padding, the
//! standard base64 alphabet), detected and undone for the rest of the diagnosis.

use super::diag::Diag;
use super::text::{percent_decode, show_str};
use crate::cases::Reason;

/// Parses the framing of an Authorization value (RFC 7235, RFC 6750) and returns the token a
/// server would extract. Problems found here are findings that force a `malformed` reject.
pub(super) fn frame(d: &mut Diag, raw: &str) -> String {
    let mut v = raw.trim_matches([' ', '\t']);
    if v.get(..14)
        .is_some_and(|p| p.eq_ignore_ascii_case("authorization:"))
    {
        d.fail(
            "transport",
            Reason::Malformed,
            "the value starts with the header name \"Authorization:\"",
            "the Authorization value includes the header name",
            "send only the value: the header is `Authorization: Bearer <token>`, its value `Bearer <token>`",
        );
        v = v[14..].trim_matches([' ', '\t']);
    }
    match v.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
            if scheme == "Bearer" {
                d.ok("transport", "Authorization scheme Bearer (RFC 6750)");
            } else {
                d.note(
                    "transport",
                    format!(
                        "scheme {} is not spelled \"Bearer\": fine, auth schemes are case-insensitive (RFC 7235 §2.1)",
                        show_str(scheme)
                    ),
                );
            }
            rest.trim_start_matches(' ').to_string()
        }
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme.len() <= 20
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            d.fail(
                "transport",
                Reason::Malformed,
                format!("the scheme is {}, not Bearer", show_str(scheme)),
                format!(
                    "the Authorization scheme is {}, not Bearer",
                    show_str(scheme)
                ),
                "send `Authorization: Bearer <token>` (RFC 6750 §2.1)",
            );
            rest.trim_start_matches(' ').to_string()
        }
        _ if v.eq_ignore_ascii_case("bearer") => {
            d.fail(
                "transport",
                Reason::Malformed,
                "the value is the scheme Bearer with no token after it",
                "the Authorization value holds no token",
                "the client sent an empty token: check where it reads the token from",
            );
            String::new()
        }
        _ => {
            d.fail(
                "transport",
                Reason::Malformed,
                "the value has no Bearer scheme: a server finds no bearer token in it",
                "the Authorization value has no Bearer scheme",
                "send `Authorization: Bearer <token>` (RFC 6750 §2.1)",
            );
            v.to_string()
        }
    }
}

/// One kind of transport damage: a short name for the verdict, a line, a fix.
pub(super) struct Damage {
    pub(super) short: &'static str,
    pub(super) what: String,
    pub(super) fix: String,
}

/// The token with its transport damage undone.
pub(super) struct Repair {
    pub(super) token: String,
    pub(super) damages: Vec<Damage>,
    /// `header.payload` as received when only the padding or alphabet was repaired in it: an
    /// issuer that signs its own broken encoding signs this.
    pub(super) alt_signing_input: Option<String>,
}

fn is_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Detects and undoes transport damage.
pub(super) fn repair(received: &str, header_mode: bool) -> Repair {
    let mut s = received.to_string();
    let mut damages: Vec<Damage> = Vec::new();
    fn add(damages: &mut Vec<Damage>, short: &'static str, what: String, fix: &str) {
        if !damages.iter().any(|x| x.short == short) {
            damages.push(Damage {
                short,
                what,
                fix: fix.to_string(),
            });
        }
    }
    let mut bearers = usize::from(header_mode);
    for _ in 0..8 {
        let mut changed = false;
        let trimmed = s.trim_matches(is_ws);
        if trimmed.len() != s.len() {
            let lead = s.len() - s.trim_start_matches(is_ws).len();
            let around: String = s[..lead]
                .chars()
                .chain(s[lead + trimmed.len()..].chars())
                .collect();
            let mut kinds = Vec::new();
            if around.contains('\u{feff}') {
                kinds.push("a byte-order mark");
            }
            if around.contains(['\n', '\r']) {
                kinds.push("a newline");
            }
            if around.contains([' ', '\t']) || kinds.is_empty() {
                kinds.push("spaces");
            }
            let place = match (lead > 0, lead + trimmed.len() < s.len()) {
                (true, true) => "around",
                (true, false) => "before",
                _ => "after",
            };
            add(
                &mut damages,
                "whitespace",
                format!("{} {place} the token", kinds.join(" and ")),
                "trim the token before sending it (read from a file or an environment variable with its newline? saved by an editor that adds a byte-order mark?)",
            );
            s = trimmed.to_string();
            changed = true;
        }
        if s.len() >= 2
            && ((s.starts_with('"') && s.ends_with('"'))
                || (s.starts_with('\'') && s.ends_with('\'')))
        {
            add(
                &mut damages,
                "quotes",
                "the token is wrapped in quotes".to_string(),
                "send the token without quotes (copied from JSON or a shell with its quoting?)",
            );
            s = s[1..s.len() - 1].to_string();
            changed = true;
        }
        if let Some(rest) = strip_bearer(&s) {
            bearers += 1;
            if bearers >= 2 {
                add(
                    &mut damages,
                    "double Bearer",
                    "double Bearer prefix (`Bearer Bearer …`): the client adds the scheme to a value that already has it".to_string(),
                    "add \"Bearer \" exactly once: `Authorization: Bearer <token>`",
                );
            } else {
                add(
                    &mut damages,
                    "Bearer prefix",
                    "a Bearer prefix in a bare token: this is an Authorization value, not a token"
                        .to_string(),
                    "pass only the token here (or the whole value with --authorization)",
                );
            }
            s = rest.to_string();
            changed = true;
        }
        if let Some(decoded) = percent_decode(&s) {
            add(
                &mut damages,
                "URL encoding",
                "URL-encoded (%2E for '.', %3D for '=' …)".to_string(),
                "do not URL-encode the token; if it travelled in a URL, decode it exactly once",
            );
            s = decoded;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    if s.chars().any(is_ws) {
        add(
            &mut damages,
            "inner whitespace",
            "whitespace or line breaks inside the token".to_string(),
            "send the token on one line (it was wrapped, or spaces were inserted)",
        );
        s.retain(|c| !is_ws(c));
    }
    let outer = s.clone();
    if s.contains('=') {
        let stripped: Vec<&str> = s.split('.').map(|x| x.trim_end_matches('=')).collect();
        let stripped = stripped.join(".");
        if stripped != s {
            add(
                &mut damages,
                "padding",
                "base64 '=' padding: JWS segments are unpadded base64url (RFC 7515 §2)".to_string(),
                "drop the '=' padding: fix the encoder that adds it",
            );
            s = stripped;
        }
    }
    if s.contains(['+', '/']) {
        add(
            &mut damages,
            "standard alphabet",
            "standard base64 characters '+' or '/' instead of base64url '-' and '_' (RFC 7515 §2)"
                .to_string(),
            "encode with the base64url alphabet ('-' and '_'): fix the encoder",
        );
        s = s.replace('+', "-").replace('/', "_");
    }
    let alt_signing_input = if outer != s && outer.matches('.').count() == 2 {
        let a = outer.rsplit_once('.').map(|(x, _)| x.to_string());
        let b = s.rsplit_once('.').map(|(x, _)| x);
        a.filter(|a| Some(a.as_str()) != b)
    } else {
        None
    };
    Repair {
        token: s,
        damages,
        alt_signing_input,
    }
}

fn strip_bearer(s: &str) -> Option<&str> {
    let head = s.get(..6)?;
    let rest = &s[6..];
    (head.eq_ignore_ascii_case("bearer") && rest.starts_with(is_ws))
        .then(|| rest.trim_start_matches(is_ws))
}
