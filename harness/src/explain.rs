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
//! The verdict is the [oracle](crate::oracle)'s: the checklist calls the oracle's own building
//! blocks in the oracle's order, so its first failing step is the oracle's reason, and the lines
//! around it only explain. A damaged token is judged as received (it is `malformed`), and the
//! summary says whether it would pass undamaged. The one place `explain` goes beyond the oracle is
//! the framing of a whole Authorization value: without a `Bearer` scheme it is rejected as
//! `malformed`, since no server would find a bearer token in it.
//!
//! Nothing secret is printed: tokens only through [`jose::redact`], signatures and keys as short
//! fingerprints, claim strings cut to 60 characters, and every string from the token escaped.

use crate::cases::Reason;
use crate::jose::alg::{self as jalg, Alg, ALL_ALGS};
use crate::jose::b64::{self, B64Error};
use crate::jose::json::{parse_object, JsonError};
use crate::jose::{self, Jwk, KeyType};
use crate::oracle::{self, Parts, Verdict};
use crate::policy::Policy;
use serde_json::{Map, Value};

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

/// Long strings from the token are cut to this many characters.
const CUT: usize = 60;

#[derive(Debug, Clone, Copy)]
enum Tag {
    Ok,
    Fail,
    Warn,
    Note,
}

impl Tag {
    fn word(self) -> &'static str {
        match self {
            Tag::Ok => "ok",
            Tag::Fail => "FAIL",
            Tag::Warn => "warn",
            Tag::Note => "note",
        }
    }
}

/// A problem found: why (in the reason vocabulary), in one line, what to change.
#[derive(Debug, Clone)]
struct Finding {
    reason: Reason,
    summary: String,
    fix: Option<String>,
    attack: bool,
}

/// The first failing building block, as the oracle would see it.
#[derive(Debug, Clone)]
struct Cause {
    reason: Reason,
    detail: String,
    finding: Option<usize>,
}

struct Diag<'p> {
    policy: &'p Policy,
    now: u64,
    lines: Vec<String>,
    findings: Vec<Finding>,
    cause: Option<Cause>,
}

impl<'p> Diag<'p> {
    fn line(&mut self, tag: Tag, step: &str, text: impl AsRef<str>) {
        self.lines
            .push(format!("{:<4} {step}: {}", tag.word(), text.as_ref()));
    }
    fn ok(&mut self, step: &str, text: impl AsRef<str>) {
        self.line(Tag::Ok, step, text);
    }
    fn warn(&mut self, step: &str, text: impl AsRef<str>) {
        self.line(Tag::Warn, step, text);
    }
    fn note(&mut self, step: &str, text: impl AsRef<str>) {
        self.line(Tag::Note, step, text);
    }

    fn fail(
        &mut self,
        step: &str,
        reason: Reason,
        text: impl AsRef<str>,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push_finding(step, reason, text, summary, fix, false);
    }

    fn attack(
        &mut self,
        step: &str,
        reason: Reason,
        text: impl AsRef<str>,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push_finding(step, reason, text, summary, fix, true);
    }

    fn push_finding(
        &mut self,
        step: &str,
        reason: Reason,
        text: impl AsRef<str>,
        summary: impl Into<String>,
        fix: impl Into<String>,
        attack: bool,
    ) {
        self.line(Tag::Fail, step, text);
        let fix = fix.into();
        self.findings.push(Finding {
            reason,
            summary: summary.into(),
            fix: (!fix.is_empty()).then_some(fix),
            attack,
        });
    }

    /// Records the result of one of the oracle's building blocks. The first error is the cause;
    /// it is explained by the first finding since `since` with the same reason.
    fn settle<T>(&mut self, since: usize, result: Result<T, (Reason, String)>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err((reason, detail)) => {
                if self.cause.is_none() {
                    let mut finding = self
                        .findings
                        .iter()
                        .enumerate()
                        .skip(since)
                        .find(|(_, f)| f.reason == reason)
                        .map(|(i, _)| i);
                    if finding.is_none() {
                        self.fail("check", reason, cut(&detail), cut(&detail), "");
                        finding = Some(self.findings.len() - 1);
                    }
                    self.cause = Some(Cause {
                        reason,
                        detail,
                        finding,
                    });
                }
                None
            }
        }
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
// Step 1: transport.

/// Parses the framing of an Authorization value (RFC 7235, RFC 6750) and returns the token a
/// server would extract. Problems found here are findings that force a `malformed` reject.
fn frame(d: &mut Diag, raw: &str) -> String {
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

struct Damage {
    short: &'static str,
    what: String,
    fix: String,
}

struct Repair {
    token: String,
    damages: Vec<Damage>,
    /// `header.payload` as received when only the padding or alphabet was repaired in it: an
    /// issuer that signs its own broken encoding signs this.
    alt_signing_input: Option<String>,
}

fn is_ws(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Detects and undoes transport damage.
fn repair(received: &str, header_mode: bool) -> Repair {
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

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut any = false;
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                out.push((h * 16 + l) as u8);
                any = true;
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    if any {
        String::from_utf8(out).ok()
    } else {
        None
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
    let verified = signature_step(d, &parts, alg, &cands, header_ok, alt_input);
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

fn diagnose_format(d: &mut Diag, token: &str) -> Option<Parts> {
    let fix_format =
        "send the token exactly as issued: header.payload.signature, each unpadded base64url";
    if token.len() > oracle::MAX_TOKEN_LEN {
        d.fail(
            "format",
            Reason::Malformed,
            format!(
                "the token is {} bytes, over the {} KiB a validator reads",
                token.len(),
                oracle::MAX_TOKEN_LEN / 1024
            ),
            "the token is too large",
            "no sane access token is this large: check what the client sends (a whole cookie? a file?)",
        );
        return None;
    }
    if token.is_empty() {
        d.fail(
            "format",
            Reason::Malformed,
            "the token is empty",
            "the token is empty",
            "the client sent no token: check where it reads it from",
        );
        return None;
    }
    let dots = token.bytes().filter(|&b| b == b'.').count();
    if dots != 2 {
        let n = dots + 1;
        let (text, fix) = match n {
            1 => (
                "1 segment (no dots): not a JWT at all; an opaque token, an API key, a session id?"
                    .to_string(),
                "send a JWT access token, or validate opaque tokens by introspection (RFC 7662)",
            ),
            2 => (
                "2 segments: the signature part is missing (cut off at the last dot?)".to_string(),
                "send the whole token, header.payload.signature",
            ),
            5 => {
                let what = token
                    .split('.')
                    .next()
                    .and_then(b64::decode_lenient)
                    .and_then(|h| parse_object(&h).ok())
                    .map(|h| {
                        format!(
                            " (alg {}, enc {})",
                            show_opt(h.get("alg")),
                            show_opt(h.get("enc"))
                        )
                    })
                    .unwrap_or_default();
                (
                    format!("5 segments: a JWE, an encrypted token{what}, not a signed JWS"),
                    "decrypt it first, or have the issuer send a signed (JWS) access token",
                )
            }
            4 if token.ends_with('.') => (
                "4 segments: a stray dot after the signature".to_string(),
                "remove the trailing '.'",
            ),
            _ => (
                format!("{n} segments; a JWS has 3 (header.payload.signature)"),
                fix_format,
            ),
        };
        d.fail(
            "format",
            Reason::Malformed,
            &text,
            format!(
                "the token has {n} segment{}, not 3",
                if n == 1 { "" } else { "s" }
            ),
            fix,
        );
        return None;
    }
    let mut it = token.split('.');
    let segs = [
        ("header", it.next().unwrap_or("")),
        ("payload", it.next().unwrap_or("")),
        ("signature", it.next().unwrap_or("")),
    ];
    for (name, seg) in segs {
        if let Err(e) = b64::decode(seg) {
            let text = describe_b64(e, seg);
            d.fail(
                "format",
                Reason::Malformed,
                format!("{name} segment: {text}"),
                format!("the {name} segment is not strict base64url: {text}"),
                fix_format,
            );
        }
    }
    let decoded: Vec<Option<Vec<u8>>> = segs.iter().map(|(_, s)| b64::decode_lenient(s)).collect();
    let (Some(h), Some(p), Some(s)) = (&decoded[0], &decoded[1], &decoded[2]) else {
        d.note(
            "format",
            "not decodable even leniently: nothing further to check",
        );
        return None;
    };
    if segs[0].1.is_empty() {
        d.fail(
            "format",
            Reason::Malformed,
            "the header segment is empty",
            "the header segment is empty",
            fix_format,
        );
        return None;
    }
    match parse_object(h) {
        Ok(header) => Some(Parts {
            header,
            payload: p.clone(),
            signature: s.clone(),
            signing_input: format!("{}.{}", segs[0].1, segs[1].1),
        }),
        Err(e) => {
            d.fail(
                "format",
                Reason::Malformed,
                format!("header: {}", describe_json(&e, h)),
                format!("the header is not a JSON object: {}", describe_json(&e, h)),
                "the issuer must send a JSON object (UTF-8, no byte-order mark, no duplicate members) as the header",
            );
            None
        }
    }
}

fn describe_b64(e: B64Error, seg: &str) -> String {
    match e {
        B64Error::InvalidByte(at) => {
            let what = match seg.as_bytes().get(at) {
                Some(b'=') => "'=' (padding in the middle?)".to_string(),
                Some(b) if b.is_ascii_graphic() => format!("{:?}", *b as char),
                Some(b' ') => "a space".to_string(),
                Some(b) => format!("byte 0x{b:02x}"),
                None => "?".to_string(),
            };
            format!("character {at} is {what}, outside the base64url alphabet")
        }
        B64Error::InvalidLength => format!(
            "its length {} leaves a dangling character (a character cut off or added?)",
            seg.len()
        ),
        B64Error::NonCanonical => {
            "the last character has unused bits set: a non-canonical encoding (edited by hand, or a buggy encoder)".to_string()
        }
    }
}

fn describe_json(e: &JsonError, bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        return "starts with a UTF-8 byte-order mark; JSON in a JWS has none".to_string();
    }
    if bytes.is_empty() {
        return "empty".to_string();
    }
    match e {
        JsonError::Duplicate(name) => format!(
            "duplicate member {}: validators disagree on which one counts, a known smuggling trick",
            show_str(name)
        ),
        JsonError::NotObject => "valid JSON, but not an object".to_string(),
        JsonError::Syntax(m) => {
            if std::str::from_utf8(bytes).is_err() {
                "not valid UTF-8".to_string()
            } else {
                format!("invalid JSON: {}", cut(m))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Step 3: header.

/// Returns the algorithm to diagnose with (the exact one, or the one a variant spelling means)
/// and whether the oracle's header check passes.
fn header_step(d: &mut Diag, header: &Map<String, Value>) -> (Option<Alg>, bool) {
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

// ---------------------------------------------------------------------------------------------
// Step 4: key.

/// Returns the keys to diagnose the signature with, and the oracle's candidates when the
/// oracle gets that far and finds some.
fn key_step<'p>(
    d: &mut Diag<'p>,
    header: &Map<String, Value>,
    alg: Alg,
    header_ok: bool,
) -> (Vec<&'p Jwk>, Option<Vec<&'p Jwk>>) {
    let policy: &'p Policy = d.policy;
    let since = d.findings.len();
    let trusted = kid_list(policy.keys.iter());
    let diag_keys: Vec<&'p Jwk> = match header.get("kid").and_then(Value::as_str) {
        Some(kid) => {
            let named: Vec<&Jwk> = policy
                .keys
                .iter()
                .filter(|k| k.kid() == Some(kid))
                .collect();
            if named.is_empty() {
                if let Some(r) = policy.retired.iter().find(|k| k.kid() == Some(kid)) {
                    d.fail(
                        "key",
                        Reason::Key,
                        format!(
                            "kid {} names the retired key {}: it was rotated out and is no longer trusted (trusted: {trusted})",
                            show_str(kid),
                            key_desc(r)
                        ),
                        format!("kid {} names a retired key (rotated out)", show_str(kid)),
                        format!("get a new token: the issuer must sign with a current key ({trusted})"),
                    );
                } else {
                    let hint = kid_hint(kid, policy);
                    d.fail(
                        "key",
                        Reason::Key,
                        format!(
                            "kid {} names no trusted key (trusted: {trusted}){hint}",
                            show_str(kid)
                        ),
                        format!("kid {} names no trusted key", show_str(kid)),
                        "if the issuer rotated to a new key, add its public key to the policy's JWKS (or refresh a cached one); otherwise the token is not from a trusted issuer",
                    );
                }
                Vec::new()
            } else {
                let fitting: Vec<&Jwk> = named
                    .iter()
                    .copied()
                    .filter(|k| oracle::key_fits(k, alg))
                    .collect();
                for k in &fitting {
                    d.ok(
                        "key",
                        format!(
                            "kid {} names trusted key {}, which fits {alg}",
                            show_str(kid),
                            key_desc(k)
                        ),
                    );
                }
                if fitting.is_empty() {
                    let k = named[0];
                    let confusion =
                        if alg.key_type() == KeyType::Oct && k.key_type() != KeyType::Oct {
                            "; an HMAC token naming a public key is the alg-confusion pattern"
                        } else {
                            ""
                        };
                    d.fail(
                        "key",
                        Reason::Key,
                        format!(
                            "kid {} names {}, which does not fit {alg}: {}{confusion}",
                            show_str(kid),
                            key_desc(k),
                            misfit(k, alg)
                        ),
                        format!("kid {} names a key that does not fit {alg}", show_str(kid)),
                        match k.alg() {
                            Some(a) => format!("the issuer must sign with the algorithm the key is for ({}), or name a key that fits {alg}", show_str(a)),
                            None => format!("the issuer must name a key that fits {alg} ({})", needed(alg)),
                        },
                    );
                }
                fitting
            }
        }
        None => {
            let fitting: Vec<&Jwk> = policy
                .keys
                .iter()
                .filter(|k| oracle::key_fits(k, alg))
                .collect();
            if fitting.is_empty() {
                d.fail(
                    "key",
                    Reason::Key,
                    format!(
                        "no kid, and no trusted key fits {alg}: it needs {} (trusted: {trusted})",
                        needed(alg)
                    ),
                    format!("no trusted key fits {alg}"),
                    format!(
                        "sign with an algorithm that fits a trusted key, or add {} to the policy",
                        needed(alg)
                    ),
                );
            } else {
                d.note(
                    "key",
                    format!(
                        "no kid: every trusted key that fits {alg} is tried: {}",
                        fitting
                            .iter()
                            .map(|k| key_desc(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            fitting
        }
    };
    for k in &diag_keys {
        if let Some(secret) = k.secret() {
            let need = alg.hash().len();
            if secret.len() < need {
                d.fail(
                    "key",
                    Reason::Key,
                    format!(
                        "HMAC secret {} is {} bytes, shorter than the {need}-byte hash output {alg} needs (RFC 7518 §3.2)",
                        key_desc(k),
                        secret.len()
                    ),
                    "the policy's HMAC secret is too short",
                    format!("use a random secret of at least {need} bytes, in the issuer and the policy"),
                );
            }
        }
    }
    let keys = if header_ok {
        d.settle(since, oracle::candidate_keys(header, alg, policy))
    } else {
        None
    };
    (diag_keys, keys)
}

fn kid_hint(kid: &str, policy: &Policy) -> String {
    for k in &policy.keys {
        let Some(t) = k.kid() else { continue };
        if t == kid.trim_matches(|c: char| c.is_whitespace() || c == '\0') {
            return format!("; it is {} with extra whitespace or NUL", show_str(t));
        }
        if t.eq_ignore_ascii_case(kid) {
            return format!("; it differs from {} only in case", show_str(t));
        }
        if kid.starts_with(t) || t.starts_with(kid) {
            return format!(
                "; it is a prefix match with {}, which is no match",
                show_str(t)
            );
        }
    }
    String::new()
}

fn misfit(k: &Jwk, alg: Alg) -> String {
    if !alg.fits(k) {
        format!("{alg} needs {}", needed(alg))
    } else if let Some(a) = k.alg().filter(|a| *a != alg.name()) {
        format!("the key is restricted to alg {}", show_str(a))
    } else if let Some(u) = k.use_().filter(|u| *u != "sig") {
        format!("the key's use is {}, not \"sig\"", show_str(u))
    } else {
        "the key's key_ops do not include \"verify\"".to_string()
    }
}

fn needed(alg: Alg) -> String {
    match alg.key_type() {
        KeyType::Oct => format!(
            "an oct (HMAC) secret of at least {} bytes",
            alg.hash().len()
        ),
        KeyType::Rsa => "an RSA key".to_string(),
        KeyType::Ec => format!(
            "an EC key on {}",
            alg.curve().map_or("its curve", |c| c.name())
        ),
        KeyType::Okp => "an OKP Ed25519 key".to_string(),
    }
}

fn key_kind(k: &Jwk) -> String {
    match k.key_type() {
        KeyType::Rsa => format!("RSA {}-bit", k.rsa_len().unwrap_or(0) * 8),
        KeyType::Ec => format!("EC {}", k.curve().map_or("?", |c| c.name())),
        KeyType::Okp => "OKP Ed25519".to_string(),
        KeyType::Oct => format!("oct {}-byte secret", k.secret().map_or(0, <[u8]>::len)),
    }
}

/// A key for display: kid, type, fingerprint. Never the key material.
fn key_desc(k: &Jwk) -> String {
    let kid = k.kid().map_or_else(|| "(no kid)".to_string(), show_str);
    format!("{kid} ({}, #{})", key_kind(k), k.fingerprint())
}

fn kid_list<'a>(keys: impl Iterator<Item = &'a Jwk>) -> String {
    let kids: Vec<String> = keys
        .map(|k| k.kid().map_or_else(|| "(no kid)".to_string(), show_str))
        .collect();
    if kids.is_empty() {
        "none".to_string()
    } else {
        kids.join(", ")
    }
}

// ---------------------------------------------------------------------------------------------
// Step 5: signature.

/// Returns whether the signature verifies with one of `cands` (the oracle's test when `cands`
/// are the oracle's candidates).
fn signature_step(
    d: &mut Diag,
    parts: &Parts,
    alg: Alg,
    cands: &[&Jwk],
    alg_allowed: bool,
    alt_input: Option<&str>,
) -> bool {
    let policy = d.policy;
    let sig = &parts.signature;
    let msg = parts.signing_input.as_bytes();
    let verifies = |k: &Jwk, m: &[u8], s: &[u8]| jalg::verify(alg, k, m, s).is_ok();
    if sig.is_empty() {
        d.fail(
            "signature",
            Reason::Signature,
            "the signature is empty: an unsigned token, or one whose signature was stripped off",
            "the signature is empty",
            "the issuer must sign the token; an empty signature is never valid",
        );
        return false;
    }
    let fp = jose::fingerprint(sig);
    if let Some(k) = cands.iter().find(|k| verifies(k, msg, sig)) {
        if alg_allowed {
            d.ok(
                "signature",
                format!("{} bytes #{fp}, verifies with {}", sig.len(), key_desc(k)),
            );
        } else {
            d.warn(
                "signature",
                format!(
                    "{} bytes #{fp}, verifies with {} under {alg}, an algorithm the policy does not allow",
                    sig.len(),
                    key_desc(k)
                ),
            );
        }
        return true;
    }
    d.note("signature", format!("{} bytes #{fp}", sig.len()));
    let mut explained = false;
    let kid = parts.header.get("kid").and_then(Value::as_str);

    // Another trusted key.
    let other = policy
        .keys
        .iter()
        .find(|k| !cands.iter().any(|c| std::ptr::eq(*c, *k)) && verifies(k, msg, sig));
    if let Some(o) = other {
        let okid = o.kid().map_or_else(|| "(no kid)".to_string(), show_str);
        let (text, summary, fix) = match kid {
            Some(kid) => (
                format!(
                    "does not verify with the key kid {} names, but with another trusted key, {}: the kid is wrong, a key-rotation mix-up (signed with one key, named another)",
                    show_str(kid),
                    key_desc(o)
                ),
                format!("signed with trusted key {okid}, but kid says {}: a rotation mix-up", show_str(kid)),
                format!("the issuer must put kid {okid} (the key that signs) in the header"),
            ),
            None => (
                format!(
                    "verifies with trusted key {}, whose alg, use or key_ops rule it out for {alg}",
                    key_desc(o)
                ),
                format!("signed with trusted key {okid}, which is not for {alg}"),
                format!("sign with a key meant for {alg}, or fix the key's alg/use/key_ops in the JWKS"),
            ),
        };
        d.fail("signature", Reason::Signature, text, summary, fix);
        explained = true;
    }

    // A retired key.
    if let Some(r) = policy.retired.iter().find(|k| verifies(k, msg, sig)) {
        let rkid = r.kid().map_or_else(|| "(no kid)".to_string(), show_str);
        d.fail(
            "signature",
            Reason::Signature,
            format!(
                "verifies with the retired key {}: the token was signed by a key that was rotated out",
                key_desc(r)
            ),
            format!("signed with the retired key {rkid} (rotated out)"),
            format!(
                "get a new token: the issuer must sign with a current key ({})",
                kid_list(policy.keys.iter())
            ),
        );
        explained = true;
    }

    // A key the token brings along.
    if let Some(embedded) = parts.header.get("jwk").and_then(|v| Jwk::from_json(v).ok()) {
        if verifies(&embedded, msg, sig) {
            d.attack(
                "signature",
                Reason::Signature,
                format!(
                    "verifies with the key embedded in its own jwk header (#{}): self-signed by whoever made it (CVE-2018-0114)",
                    embedded.fingerprint()
                ),
                "signed with the key in its own jwk header: a self-signed forgery",
                "nothing to fix in the token: it is forged; validators must take keys only from their trusted set",
            );
            explained = true;
        }
    }

    match alg.key_type() {
        KeyType::Oct => explained |= hmac_checks(d, alg, msg, sig, cands),
        KeyType::Ec => explained |= ecdsa_checks(d, alg, msg, sig, cands),
        KeyType::Rsa => {
            let key = cands
                .first()
                .copied()
                .or_else(|| policy.keys.iter().find(|k| alg.fits(k)));
            if let Some(len) = key.and_then(|k| k.rsa_len()) {
                if sig.len() != len {
                    let mut text = format!(
                        "an RSA signature with this key is {len} bytes (the modulus length); this one is {}",
                        sig.len()
                    );
                    let mut fix =
                        "the signature is truncated or padded: send the token exactly as issued"
                            .to_string();
                    if sig.len() < len {
                        let mut padded = vec![0u8; len - sig.len()];
                        padded.extend_from_slice(sig);
                        if let Some(k) = cands.iter().find(|k| verifies(k, msg, &padded)) {
                            text.push_str(&format!(
                                "; left-padded with zeros it verifies with {}: the issuer drops leading zero bytes",
                                key_desc(k)
                            ));
                            fix = format!("the issuer must emit exactly {len} signature bytes, leading zeros included (RFC 8017 I2OSP)");
                        }
                    }
                    d.fail(
                        "signature",
                        Reason::Signature,
                        text,
                        format!("the RSA signature is {} bytes, not {len}", sig.len()),
                        fix,
                    );
                    explained = true;
                }
            }
        }
        KeyType::Okp => {
            if sig.len() != 64 {
                d.fail(
                    "signature",
                    Reason::Signature,
                    format!(
                        "an Ed25519 signature is 64 bytes; this one is {}",
                        sig.len()
                    ),
                    format!("the Ed25519 signature is {} bytes, not 64", sig.len()),
                    "the signature is truncated or padded: send the token exactly as issued",
                );
                explained = true;
            } else if sig.iter().all(|&b| b == 0) {
                d.attack(
                    "signature",
                    Reason::Signature,
                    "the signature is all zeros: never valid, a forgery probe",
                    "an all-zero Ed25519 signature",
                    "nothing to fix in the token: it is forged",
                );
                explained = true;
            }
        }
    }

    // The issuer signed its own damaged encoding.
    if let Some(alt) = alt_input {
        let alt = alt.as_bytes();
        if let Some(k) = cands
            .iter()
            .copied()
            .chain(policy.keys.iter())
            .find(|k| verifies(k, alt, sig))
        {
            d.fail(
                "signature",
                Reason::Signature,
                format!(
                    "verifies with {} over the segments as received (padding or '+' '/' included): the issuer signs its non-base64url text",
                    key_desc(k)
                ),
                "the issuer signs text that is not base64url",
                "fix the issuer's encoder: base64url without padding, before signing",
            );
            explained = true;
        }
    }

    let tried = cands
        .iter()
        .map(|k| key_desc(k))
        .collect::<Vec<_>>()
        .join(", ");
    let iss = parts_iss(parts);
    let hint = match (&policy.issuer, iss) {
        (Some(want), Some(got)) if *want != got => format!(
            "; the token's iss is {}: a token from another issuer or environment?",
            show_str(&got)
        ),
        _ => String::new(),
    };
    match (cands.is_empty(), explained) {
        (true, true) => {}
        (true, false) => d.fail(
            "signature",
            Reason::Signature,
            format!("verifies with no trusted or retired key: signed by a key the policy does not know, or changed after signing{hint}"),
            "the signature verifies with no trusted key",
            "get a token from the trusted issuer, unaltered; if the issuer changed its key, add the new public key to the policy",
        ),
        (false, true) => d.fail(
            "signature",
            Reason::Signature,
            format!("does not verify with {tried}"),
            format!("the signature does not verify with {tried}"),
            "",
        ),
        (false, false) => d.fail(
            "signature",
            Reason::Signature,
            format!(
                "does not verify with {tried}: signed by a key the policy does not trust, or changed after signing (header or payload edited){hint}"
            ),
            format!("the signature does not verify with {tried}"),
            "get a token from the trusted issuer, unaltered; if the issuer changed its key, add the new public key to the policy",
        ),
    }
    false
}

fn parts_iss(parts: &Parts) -> Option<String> {
    parse_object(&parts.payload)
        .ok()?
        .get("iss")?
        .as_str()
        .map(str::to_string)
}

/// The public encodings an alg-confusion attack keys HMAC with.
fn public_encodings(k: &Jwk) -> Vec<(&'static str, Vec<u8>)> {
    let mut v = Vec::new();
    if k.key_type() == KeyType::Oct {
        return v;
    }
    if let Some(p) = k.pem_spki() {
        v.push((
            "SubjectPublicKeyInfo PEM without its final newline",
            p.trim_end().as_bytes().to_vec(),
        ));
        v.push((
            "SubjectPublicKeyInfo PEM with CRLF line ends",
            p.replace('\n', "\r\n").into_bytes(),
        ));
        v.push(("SubjectPublicKeyInfo PEM", p.into_bytes()));
    }
    if let Some(p) = k.pem_pkcs1() {
        v.push(("PKCS#1 PEM", p.into_bytes()));
    }
    if let Some(der) = k.der_spki() {
        v.push(("SubjectPublicKeyInfo DER", der));
    }
    v.push(("JWK JSON text", k.public_json().to_string().into_bytes()));
    if let Some(m) = k.modulus() {
        v.push(("raw modulus", m));
    }
    if let Some(p) = k.ec_point() {
        v.push(("raw public point", p));
    }
    v
}

fn hmac_checks(d: &mut Diag, alg: Alg, msg: &[u8], sig: &[u8], cands: &[&Jwk]) -> bool {
    let policy = d.policy;
    let mut explained = false;
    'keys: for k in policy.keys.iter().chain(policy.retired.iter()) {
        for (enc, bytes) in public_encodings(k) {
            if jalg::constant_time_eq(&jalg::hmac(alg.hash(), &bytes, msg), sig) {
                let kid = k.kid().map_or_else(|| "(no kid)".to_string(), show_str);
                d.attack(
                    "signature",
                    Reason::Signature,
                    format!(
                        "the signature is an HMAC keyed with the {enc} of the public key {}: an alg confusion attack (RFC 8725 §2.1, CVE-2015-9235 class); anyone holding the public key can make it",
                        key_desc(k)
                    ),
                    format!("HMAC keyed with the public key {kid}: an alg confusion attack"),
                    "nothing to fix in the token: it is forged; make sure every validator binds each key to its algorithm and never verifies an HMAC with a public key",
                );
                explained = true;
                break 'keys;
            }
        }
    }
    for k in cands.iter().copied().chain(policy.keys.iter()) {
        if let Some(secret) = k.secret() {
            let text = b64::encode(secret);
            if jalg::constant_time_eq(&jalg::hmac(alg.hash(), text.as_bytes(), msg), sig) {
                d.fail(
                    "signature",
                    Reason::Signature,
                    format!(
                        "the HMAC is keyed with the base64url text of the secret {} (the JWK's k string), not the decoded bytes",
                        key_desc(k)
                    ),
                    "the HMAC is keyed with the secret's base64url text",
                    "the issuer must key the HMAC with the decoded secret bytes",
                );
                explained = true;
                break;
            }
        }
    }
    let want = alg.hash().len();
    if sig.len() != want {
        let guess = match sig.len() {
            32 => " (an HS256 MAC?)",
            48 => " (an HS384 MAC?)",
            64 => " (an HS512 MAC?)",
            _ => "",
        };
        d.fail(
            "signature",
            Reason::Signature,
            format!(
                "an {alg} MAC is {want} bytes; this one is {}{guess}",
                sig.len()
            ),
            format!("the {alg} MAC is {} bytes, not {want}", sig.len()),
            format!("the issuer must use the algorithm it writes in alg ({alg})"),
        );
        explained = true;
    }
    explained
}

fn ecdsa_checks(d: &mut Diag, alg: Alg, msg: &[u8], sig: &[u8], cands: &[&Jwk]) -> bool {
    let policy = d.policy;
    let Some(curve) = alg.curve() else {
        return false;
    };
    let n = curve.field_len();
    let order = jalg::curve_order(curve);
    let psychic = |d: &mut Diag| {
        d.attack(
            "signature",
            Reason::Signature,
            "r = s = 0: the \"psychic signature\" (CVE-2022-21449), which broken ECDSA verifiers accept for any key",
            "an all-zero ECDSA signature (psychic signature attack)",
            "nothing to fix in the token: it is forged; make sure validators reject r or s of zero",
        );
    };
    if sig.len() == 2 * n {
        let (r, s) = sig.split_at(n);
        let zero = |x: &[u8]| x.iter().all(|&b| b == 0);
        if zero(r) && zero(s) {
            psychic(d);
            return true;
        }
        if zero(r) || zero(s) {
            d.attack(
                "signature",
                Reason::Signature,
                "r or s is zero: never a valid ECDSA signature, a forgery probe",
                "an ECDSA signature with r or s zero",
                "nothing to fix in the token: it is forged",
            );
            return true;
        }
        if r >= order.as_slice() || s >= order.as_slice() {
            d.attack(
                "signature",
                Reason::Signature,
                "r or s is not below the curve order n: never a valid ECDSA signature",
                "an ECDSA signature with r or s out of range",
                "nothing to fix in the token: it is malformed or forged",
            );
            return true;
        }
        return false;
    }
    if let Some((r, s)) = parse_der(sig) {
        let r = strip_zeros(r);
        let s = strip_zeros(s);
        if r.is_empty() && s.is_empty() {
            psychic(d);
            return true;
        }
        let raw = (r.len() <= n && s.len() <= n).then(|| {
            let mut raw = vec![0u8; 2 * n];
            raw[n - r.len()..n].copy_from_slice(r);
            raw[2 * n - s.len()..].copy_from_slice(s);
            raw
        });
        let with = raw.as_ref().and_then(|raw| {
            cands
                .iter()
                .copied()
                .chain(policy.keys.iter())
                .find(|k| jalg::verify(alg, k, msg, raw).is_ok())
        });
        let tail = match with {
            Some(k) => format!("; converted to raw R||S it verifies with {}", key_desc(k)),
            None => "; even converted to raw R||S it does not verify".to_string(),
        };
        d.fail(
            "signature",
            Reason::Signature,
            format!(
                "the signature is DER-encoded (an ASN.1 SEQUENCE of two INTEGERs) instead of the raw R||S of {} bytes JWS uses (RFC 7518 §3.4){tail}",
                2 * n
            ),
            "the ECDSA signature is DER-encoded, not raw R||S",
            format!("the issuer must emit raw R||S ({} bytes), not DER: convert with its library's JOSE/P1363 option", 2 * n),
        );
        return true;
    }
    d.fail(
        "signature",
        Reason::Signature,
        format!(
            "an {alg} signature is {} bytes (raw R||S); this one is {}",
            2 * n,
            sig.len()
        ),
        format!("the {alg} signature is {} bytes, not {}", sig.len(), 2 * n),
        "the signature is truncated or padded: send the token exactly as issued",
    );
    true
}

fn strip_zeros(x: &[u8]) -> &[u8] {
    let i = x.iter().position(|&b| b != 0).unwrap_or(x.len());
    &x[i..]
}

/// One DER TLV: tag, body, rest.
fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let l0 = *b.get(1)?;
    let (len, head) = match l0 {
        0..=0x7f => (usize::from(l0), 2),
        0x81 => (usize::from(*b.get(2)?), 3),
        0x82 => ((usize::from(*b.get(2)?) << 8) | usize::from(*b.get(3)?), 4),
        _ => return None,
    };
    let body = b.get(head..head + len)?;
    Some((tag, body, &b[head + len..]))
}

/// An ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }).
fn parse_der(sig: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, body, rest) = der_tlv(sig)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (t1, r, rest) = der_tlv(body)?;
    let (t2, s, rest) = der_tlv(rest)?;
    (t1 == 2 && t2 == 2 && rest.is_empty()).then_some((r, s))
}

// ---------------------------------------------------------------------------------------------
// Step 6: claims.

fn claims_step(d: &mut Diag, parts: &Parts, verified: bool) {
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

/// Why two strings that should be equal are not, when there is a recognisable reason.
fn compare_hints(got: &str, want: &str) -> Vec<String> {
    let mut hints = Vec::new();
    if got == want {
        return hints;
    }
    if got.trim() == want {
        hints.push("it has whitespace around it".to_string());
    }
    if got.trim_end_matches('/') == want.trim_end_matches('/') {
        hints.push(if got.ends_with('/') {
            "it has a trailing slash the policy's value lacks".to_string()
        } else {
            "it lacks the trailing slash the policy's value has".to_string()
        });
    }
    let scheme = |s: &str| -> Option<(String, String)> {
        let (sch, rest) = s.split_once("://")?;
        Some((sch.to_ascii_lowercase(), rest.to_string()))
    };
    if let (Some((gs, gr)), Some((ws, wr))) = (scheme(got), scheme(want)) {
        if gs != ws && gr.trim_end_matches('/') == wr.trim_end_matches('/') {
            hints.push(format!("the scheme differs: {gs} vs {ws}"));
        }
    }
    if got.eq_ignore_ascii_case(want) {
        hints.push("it differs only in letter case; the comparison is exact".to_string());
    }
    if got.contains(|c: char| c.is_control()) {
        hints.push("it contains control characters (a NUL?)".to_string());
    }
    if percent_decode(got).is_some_and(|g| g == want) {
        hints.push("it is percent-encoded".to_string());
    }
    if hints.is_empty() {
        if let Some(rest) = got.strip_prefix(want) {
            hints.push(format!(
                "it starts with the expected value and goes on ({}): a prefix match is no match",
                show_str(rest)
            ));
        } else if want.starts_with(got) && !got.is_empty() {
            hints.push("it is only the beginning of the expected value".to_string());
        } else if got.ends_with(want) || got.contains(want) {
            hints.push(
                "it contains the expected value inside a longer one: a substring match is no match"
                    .to_string(),
            );
        } else if want.contains(got) && !got.is_empty() {
            hints.push("it is only a part of the expected value".to_string());
        } else if got.is_empty() {
            hints.push("it is empty".to_string());
        }
    }
    hints
}

// ---------------------------------------------------------------------------------------------
// Display helpers: nothing from the token is printed raw.

/// A token for display: [`jose::redact`], with control characters escaped so the output stays
/// one line per step.
fn redact(token: &str) -> String {
    jose::redact(token)
        .chars()
        .flat_map(|c| {
            let esc: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            esc
        })
        .collect()
}

/// A string from the token, escaped and cut to [`CUT`] characters.
fn show_str(s: &str) -> String {
    let n = s.chars().count();
    if n <= CUT {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(CUT).collect();
        format!("{head:?}…({n} chars)")
    }
}

/// A JSON value from the token, compact and cut.
fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => show_str(s),
        other => cut(&other.to_string()),
    }
}

fn show_opt(v: Option<&Value>) -> String {
    v.map_or_else(|| "none".to_string(), show_value)
}

/// Cuts free text to [`CUT`] characters, escaping control characters.
fn cut(s: &str) -> String {
    let n = s.chars().count();
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { '�' } else { c })
            .collect()
    };
    if n <= CUT * 2 {
        clean(s)
    } else {
        let head: String = s.chars().take(CUT).collect();
        format!("{}…({n} chars)", clean(&head))
    }
}

fn alg_names(algs: &[Alg]) -> String {
    algs.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A duration in words: "3 h 12 min", "45 s", "2 d 4 h".
fn span(secs: f64) -> String {
    let s = secs.abs();
    if !s.is_finite() || s >= 1e12 {
        return format!("{s:e} s");
    }
    let t = s.round() as u64;
    if t == 0 && s > 0.0 {
        return format!("{s} s");
    }
    let (d, h, m, sec) = (t / 86_400, t % 86_400 / 3600, t % 3600 / 60, t % 60);
    if d >= 730 {
        format!("{} years", d / 365)
    } else if d > 0 {
        if h > 0 {
            format!("{d} d {h} h")
        } else {
            format!("{d} d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else if m > 0 {
        if sec > 0 {
            format!("{m} min {sec} s")
        } else {
            format!("{m} min")
        }
    } else {
        format!("{sec} s")
    }
}

/// Unix seconds as a UTC date, or the bare number when out of the years 1970-9999.
fn utc(secs: f64) -> String {
    if !secs.is_finite() || !(0.0..253_402_300_800.0).contains(&secs) {
        return num(secs);
    }
    let t = secs.floor() as i64;
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_764_350_000.0), "2025-11-28 17:13:20 UTC");
        assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1.0), "-1");
        assert_eq!(span(11_520.0), "3 h 12 min");
        assert_eq!(span(45.0), "45 s");
        assert_eq!(span(90_000.0), "1 d 1 h");
        assert_eq!(span(f64::MAX), format!("{:e} s", f64::MAX));
    }

    #[test]
    fn der_and_percent() {
        assert_eq!(
            parse_der(&[0x30, 6, 2, 1, 5, 2, 1, 7]),
            Some((&[5u8][..], &[7u8][..]))
        );
        assert_eq!(parse_der(&[0x30, 0x82]), None);
        assert_eq!(parse_der(&[0x30, 0x82, 0xff, 0xff]), None);
        assert_eq!(percent_decode("a%2Eb%3D").as_deref(), Some("a.b="));
        assert_eq!(percent_decode("100%"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn hints() {
        let want = "https://auth.example.com";
        assert!(compare_hints("https://auth.example.com/", want)[0].contains("trailing slash"));
        assert!(compare_hints("http://auth.example.com", want)[0].contains("scheme"));
        assert!(compare_hints("https://AUTH.example.com", want)[0].contains("case"));
        assert!(compare_hints("https://auth.example.com.evil", want)[0].contains("prefix"));
    }
}
