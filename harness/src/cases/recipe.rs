//! The typed form of one case, as read from a case file (see the module docs for the format).

use super::ops::{AlterOp, ClaimCheck, HmacKey, KeyChoice, KeyTypeReq, SigOp, Trust};
use serde::{Deserialize, Serialize};

/// What a strict validator must do with a case's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Must accept.
    Accept,
    /// Must reject.
    Reject,
    /// Conforming validators differ; anything but `broken` passes.
    Either,
}

impl Expect {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Accept => "accept",
            Expect::Reject => "reject",
            Expect::Either => "either",
        }
    }
}

/// Why a token was rejected: the fixed reason vocabulary of docs/DESIGN.md and docs/PROTOCOL.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not a well-formed compact JWS.
    Malformed,
    /// The algorithm is not allowed.
    Algorithm,
    /// No usable key.
    Key,
    /// The signature does not verify.
    Signature,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iss` does not match.
    Issuer,
    /// `aud` does not match.
    Audience,
    /// A required claim is missing.
    MissingClaim,
    /// A claim has the wrong JSON type.
    ClaimType,
    /// Anything else.
    Other,
}

/// Every reason, in vocabulary order.
pub const ALL_REASONS: [Reason; 11] = [
    Reason::Malformed,
    Reason::Algorithm,
    Reason::Key,
    Reason::Signature,
    Reason::Expired,
    Reason::NotYetValid,
    Reason::Issuer,
    Reason::Audience,
    Reason::MissingClaim,
    Reason::ClaimType,
    Reason::Other,
];

impl Reason {
    /// The protocol name.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::Algorithm => "algorithm",
            Reason::Key => "key",
            Reason::Signature => "signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::Issuer => "issuer",
            Reason::Audience => "audience",
            Reason::MissingClaim => "missing_claim",
            Reason::ClaimType => "claim_type",
            Reason::Other => "other",
        }
    }

    /// Parses a protocol name.
    pub fn parse(name: &str) -> Option<Reason> {
        ALL_REASONS.iter().copied().find(|r| r.name() == name)
    }
}

/// What an unexpected accept means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical: a forged token gets in.
    Critical,
}

impl Severity {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// Parses a lower-case name.
    pub fn parse(name: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// Who can make a case's token: the attacker an unexpected accept (or a crash) serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attacker {
    /// Needs no key and no valid token: alg none, alg confusion, signature and key-selection
    /// bypasses, embedded keys, jku/x5u.
    Anyone,
    /// Holds one genuinely issued token: expired, not yet valid, for another audience or issuer
    /// (tenant), edited after signing, mangled in transport.
    Holder,
    /// Only the trusted issuer (or its key) could sign it: odd claim types, crit, duplicate
    /// members, bytes that are not JSON.
    Issuer,
}

impl Attacker {
    /// Every class, from the strongest threat to the weakest.
    pub const ALL: [Attacker; 3] = [Attacker::Anyone, Attacker::Holder, Attacker::Issuer];

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Attacker::Anyone => "anyone",
            Attacker::Holder => "holder",
            Attacker::Issuer => "issuer",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(name: &str) -> Option<Attacker> {
        Attacker::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// What an unexpected accept of a case's token gives the attacker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// The accepted token says whatever its maker wrote: authentication is bypassed.
    Forgery,
    /// A genuine token is accepted outside its lifetime, audience or issuer.
    Replay,
    /// A genuine token's content is read otherwise than its issuer meant.
    Confusion,
    /// A malformed, mangled or oversized token is accepted; its meaning is unchanged.
    Hygiene,
}

impl Impact {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Impact::Forgery => "forgery",
            Impact::Replay => "replay",
            Impact::Confusion => "confusion",
            Impact::Hygiene => "hygiene",
        }
    }
}

/// The one rule that gives a finding its severity: who can trigger it and what it gives them.
///
/// | attacker | forgery | replay | confusion | hygiene | crash (denial of service) |
/// |---|---|---|---|---|---|
/// | anyone | critical | high | high | low | high |
/// | holder | critical | high | medium | low | medium |
/// | issuer | medium | low | low | low | low |
///
/// A crash is rated by the attacker class alone (`impact` is `None`).
pub fn severity(attacker: Attacker, impact: Option<Impact>) -> Severity {
    use Attacker::*;
    use Impact::*;
    match (attacker, impact) {
        (Anyone | Holder, Some(Forgery)) => Severity::Critical,
        (Anyone | Holder, Some(Replay)) | (Anyone, Some(Confusion) | None) => Severity::High,
        (Holder, Some(Confusion) | None) | (Issuer, Some(Forgery)) => Severity::Medium,
        (_, Some(Hygiene)) | (Issuer, _) => Severity::Low,
    }
}

/// Applicability conditions: the case runs under a policy only when all hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// `rsa`, `ec`, `okp`, `oct` or `asymmetric`.
    pub key_type: Option<KeyTypeReq>,
    /// Exactly this many trusted keys fit the signing alg.
    pub keys_for_alg: Option<usize>,
    /// At least this many trusted keys fit the signing alg.
    pub min_keys_for_alg: Option<usize>,
    /// The JWKS also holds a key of another type.
    pub other_key_type: Option<bool>,
    /// The policy sets an issuer.
    pub issuer: Option<bool>,
    /// The policy sets an audience.
    pub audience: Option<bool>,
    /// The policy requires these claims.
    #[serde(default)]
    pub required: Vec<String>,
    /// The policy does not require these claims.
    #[serde(default)]
    pub not_required: Vec<String>,
    /// The policy requires an explicit typ.
    pub typ: Option<bool>,
    /// The policy names a retired key.
    pub retired_key: Option<bool>,
    /// The policy's leeway is at least this.
    pub min_leeway: Option<u64>,
    /// The policy does not declare this token location (`header`, `query`, `body`).
    pub not_token_location: Option<String>,
}

/// How an HTTP target receives a case's token (family `transport`, `[case.transport]`): instead
/// of one `Authorization: Bearer TOKEN` header. In every string `${token}` is the case's token,
/// `${token_urlencoded}` the token with its dots percent-encoded, and `${unsigned}` the same
/// header and claims under `alg: none` with no signature. Only HTTP targets run these cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Transport {
    /// The Authorization header values, one header each, in order (none: no header).
    #[serde(default)]
    pub authorization: Vec<String>,
    /// The token also (or only) in this query parameter (RFC 6750 §2.3).
    pub query: Option<String>,
    /// The token in a form-encoded POST body under this name (RFC 6750 §2.2).
    pub form: Option<String>,
    /// Extra request headers the client sends (name → value), e.g. an identity header of its
    /// own that a gateway must strip or overwrite ([`crate::identity`]).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
}

impl Transport {
    /// The strings with `${token}`, `${token_urlencoded}` and `${unsigned}` expanded.
    pub fn expand(text: &str, token: &str) -> String {
        if !text.contains("${") {
            return text.to_string();
        }
        let unsigned = || {
            let mut parts = token.splitn(3, '.');
            let payload = parts.nth(1).unwrap_or("");
            format!("eyJhbGciOiJub25lIn0.{payload}.")
        };
        let mut out = text.replace("${token_urlencoded}", &token.replace('.', "%2E"));
        if out.contains("${unsigned}") {
            out = out.replace("${unsigned}", &unsigned());
        }
        out.replace("${token}", token)
    }
}

/// The tag that makes a case a resource case ([`Case::is_resource`]).
pub const RESOURCE_TAG: &str = "resource-exhaustion";

/// One case of the catalog, as written in its file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// `family/name`, filled in by the loader.
    #[serde(skip)]
    pub id: String,
    /// The family (file stem), filled in by the loader.
    #[serde(skip)]
    pub family: String,
    /// Name, unique within the family.
    pub name: String,
    /// One sentence.
    pub description: String,
    /// Expected verdict.
    pub expect: Expect,
    /// The reason a strict validator gives.
    pub reason: Option<Reason>,
    /// Who can make the token (reject and either cases).
    pub attacker: Option<Attacker>,
    /// What an unexpected accept gives that attacker (reject and either cases).
    pub impact: Option<Impact>,
    /// Where the expectation comes from: `RFC NNNN §X.Y` sections or `CVE-YYYY-N` ids (every reject
    /// and either case has at least one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    /// The claim checks that reject the token (a reject case caught only by checks a library
    /// documents it does not offer is `unchecked` for it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<ClaimCheck>,
    /// The severity of an unexpected accept, derived by [`severity`] when the case loads (never
    /// written by hand).
    #[serde(skip)]
    pub severity: Option<Severity>,
    /// Needs `now` honoured exactly.
    #[serde(default)]
    pub fixed_clock: bool,
    /// Its expectation relies on the policy's leeway (RFC 7519 §4.1.4: leeway is a MAY): a
    /// library that offers none cannot express the case, which is `unsupported` for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uses_leeway: bool,
    /// Free-text tags (CVE ids).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Header alg and signing alg.
    pub alg: Option<String>,
    /// Which key signs (default: [`KeyChoice::Policy`]).
    pub key: Option<KeyChoice>,
    /// Merged over the default header.
    pub header: Option<String>,
    /// Removed from the default header.
    #[serde(default)]
    pub remove_header: Vec<String>,
    /// Whole header JSON text.
    pub header_raw: Option<String>,
    /// Literal first segment.
    pub header_segment: Option<String>,
    /// Merged over the default claims.
    pub claims: Option<String>,
    /// Removed from the default claims.
    #[serde(default)]
    pub remove_claims: Vec<String>,
    /// Whole claims JSON text.
    pub claims_raw: Option<String>,
    /// Literal second segment.
    pub claims_segment: Option<String>,
    /// HMAC keyed with public key material.
    pub hmac_key: Option<HmacKey>,
    /// Operations on the signature bytes.
    #[serde(default)]
    pub signature: Vec<SigOp>,
    /// Merged into the header after signing.
    pub tamper_header: Option<String>,
    /// Merged into the claims after signing.
    pub tamper_claims: Option<String>,
    /// Operations on the compact text.
    #[serde(default)]
    pub alter: Vec<AlterOp>,
    /// A variant of the policy's key set.
    pub trust: Option<Trust>,
    /// How an HTTP target receives the token: a case with one runs against HTTP targets only.
    pub transport: Option<Transport>,
    /// Applicability.
    #[serde(default)]
    pub requires: Requires,
}

impl Case {
    /// The severity of an unexpected accept: derived from attacker and impact, else `low`.
    pub fn severity_or_low(&self) -> Severity {
        self.severity.unwrap_or(Severity::Low)
    }

    /// The attacker class a crash on this case's token serves: the case's, or for a token any
    /// holder of a valid token has (`accept` cases), `holder`.
    pub fn attacker_or_holder(&self) -> Attacker {
        self.attacker.unwrap_or(Attacker::Holder)
    }

    /// A resource case (tag `resource-exhaustion`): built to exhaust a parser, it applies only to
    /// policies with `resource_cases` and runs alone, in a fresh adapter process, under the
    /// time and memory bounds of [`crate::backend::bound`].
    pub fn is_resource(&self) -> bool {
        self.tags.iter().any(|t| t == RESOURCE_TAG)
    }
}
