//! Who can make the token a mutation list gives, and the checks and references a finding
//! carries (what each mutation exercises is `labels.rs`).
//!
//! **Attacker class** ([`attacker_of`]), the rule docs/DESIGN.md ("Fuzzing validators") states:
//!
//! - `anyone`: the token is not signed by a trusted key, and nothing of a genuine signature is
//!   needed to make it: `key` none, attacker or other-type, any `hmac_key`, signature bytes that
//!   do not depend on a genuine signature (`zero`, `empty`, `bytes:`, `ecdsa-der-zero`, r = s = n),
//!   the signature segment dropped or the whole text replaced, `alg: none` set after signing;
//! - `holder`: made from one genuine token, whatever its content says: edited after signing
//!   (`tamper_*`), a genuine signature transformed (flipped, truncated, DER-encoded, high-s, taken
//!   from another token), signed by the retired key; or signed by a trusted key and differing from
//!   a valid token only in transport-level text (`alter` operations that keep the decoded
//!   content) and in what another token of the same issuer could carry: `exp`, `nbf`, `iat`
//!   numbers, `iss`, `sub` strings, `aud` strings or arrays of strings, a string `kid` or `typ`,
//!   no `iss`, `sub`, `aud`, `nbf`, `iat`, `kid` or `typ`;
//! - `issuer`: everything else a trusted key signs (odd claim types, `crit`, duplicate members,
//!   bytes that are not JSON, an `exp` left out). A token re-signed with a trusted key is at most
//!   `issuer`.

use super::labels::{exercises, value_of};
use super::{Member, Mutation};
use crate::cases::{AlterOp, Attacker, ClaimCheck, Impact, KeyChoice, Reason, SigOp, Trust};
use serde_json::Value;

/// Whether a signature operation yields bytes that owe nothing to a genuine signature.
fn free_signature(op: &SigOp) -> bool {
    matches!(
        op,
        SigOp::Zero | SigOp::Empty | SigOp::Bytes(_) | SigOp::EcdsaDerZero
    )
}

/// Whether an `alter` operation keeps the decoded content (transport-level text).
fn transport_level(op: &AlterOp) -> bool {
    !matches!(
        op,
        AlterOp::Replace(_) | AlterOp::DropSignatureSegment | AlterOp::Segments(0..=2)
    )
}

/// Whether a pre-signing content change is one a holder could have been issued: another
/// token of the same issuer (another key of its set, another `typ`, no `kid`), or the claims
/// of one.
fn holder_content(m: &Mutation) -> bool {
    match m {
        Mutation::Key(KeyChoice::Policy | KeyChoice::Second) | Mutation::KeyType(_) => true,
        Mutation::Alter(op) => transport_level(op),
        Mutation::RemoveClaim(n) => matches!(n.as_str(), "iss" | "sub" | "aud" | "nbf" | "iat"),
        Mutation::RemoveHeader(n) => matches!(n.as_str(), "kid" | "typ"),
        Mutation::Header(m) if !m.needs_raw() => {
            let labels = exercises(&Mutation::Header(m.clone()));
            labels
                .iter()
                .all(|l| matches!(l.as_str(), "kid-value" | "typ-value"))
        }
        Mutation::Claim(m) if !m.needs_raw() => {
            let labels = exercises(&Mutation::Claim(m.clone()));
            labels.iter().all(|l| {
                l.ends_with("-past")
                    || l.ends_with("-future")
                    || l.ends_with("-float")
                    || l == "unicode"
                    || matches!(
                        l.as_str(),
                        "iss-value" | "sub-value" | "aud-value" | "aud-array" | "exp-at-leeway"
                    )
            })
        }
        _ => false,
    }
}

/// A mutation that makes the token from a genuine one: an edit after signing, a genuine
/// signature transformed (or taken from another token), the retired key's holder signing.
fn from_genuine(m: &Mutation) -> bool {
    matches!(
        m,
        Mutation::TamperHeader(_)
            | Mutation::TamperClaim(_)
            | Mutation::Signature(_)
            | Mutation::Key(KeyChoice::Retired)
    )
}

/// Who can make the token a mutation list gives, and what an unexpected accept of it gives them
/// (the rule of this module's documentation).
pub fn attacker_of(mutations: &[Mutation]) -> (Attacker, Impact) {
    let none_after = |m: &Member| {
        m.decoded_name() == "alg"
            && matches!(value_of(m), Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("none"))
    };
    let has = |op: SigOp| mutations.contains(&Mutation::Signature(op));
    let free = mutations.iter().any(|m| match m {
        Mutation::Key(k) => matches!(
            k,
            KeyChoice::None | KeyChoice::Attacker | KeyChoice::OtherType
        ),
        Mutation::HmacKey(_) => true,
        Mutation::Signature(op) => free_signature(op),
        Mutation::Alter(op) => !transport_level(op),
        Mutation::TamperHeader(m) => none_after(m),
        _ => false,
    }) || (has(SigOp::EcdsaRN) && has(SigOp::EcdsaSN));
    if free {
        return (Attacker::Anyone, Impact::Forgery);
    }
    if mutations.contains(&Mutation::Trust(Trust::ShortSecret)) {
        return (Attacker::Issuer, Impact::Hygiene);
    }
    // Made from a genuine token whatever its content says: edited after signing, a genuine
    // signature transformed (or taken from another token), the retired key's holder signing.
    let derived = mutations.iter().any(from_genuine);
    // What was signed before that must be a holder's too: a genuine signature transformed over
    // content only the issuer signs needs the issuer's signature on that content.
    let signed_by_holder = mutations.iter().all(|m| {
        from_genuine(m) || m == &Mutation::Trust(Trust::DuplicateKid) || holder_content(m)
    });
    if derived && signed_by_holder {
        return (Attacker::Holder, Impact::Forgery);
    }
    if derived {
        return (Attacker::Issuer, Impact::Confusion);
    }
    let content_ok = mutations.iter().all(|m| match m {
        Mutation::Trust(Trust::DuplicateKid) => true,
        m => holder_content(m),
    });
    if !content_ok {
        return (Attacker::Issuer, Impact::Confusion);
    }
    let claims_changed = mutations
        .iter()
        .any(|m| matches!(m, Mutation::Claim(_) | Mutation::RemoveClaim(_)));
    let impact = if claims_changed {
        Impact::Replay
    } else {
        Impact::Hygiene
    };
    (Attacker::Holder, impact)
}

/// The claim checks that reject a token, from the oracle's rejection: a library that declares
/// every one of them `[[unchecked]]` is not held to them (the finding is `unchecked`).
pub fn checks_for(reason: Reason, detail: &str) -> Vec<ClaimCheck> {
    let named = |d: &str| -> Option<ClaimCheck> {
        let d = d
            .trim_start_matches("required claim ")
            .trim_start_matches('"');
        ["iss", "aud", "sub", "nbf", "iat", "jti"]
            .iter()
            .find(|c| d.starts_with(*c))
            .and_then(|c| c.parse().ok())
    };
    let check = match reason {
        Reason::Issuer => Some(ClaimCheck::Iss),
        Reason::Audience => Some(ClaimCheck::Aud),
        Reason::NotYetValid => Some(ClaimCheck::Nbf),
        Reason::MissingClaim | Reason::ClaimType => named(detail),
        Reason::Other if detail.starts_with("typ must be") => Some(ClaimCheck::Typ),
        _ => None,
    };
    check.into_iter().collect()
}

/// The references a written case cites for the oracle's rejection.
pub fn refs_for(reason: Option<Reason>, labels: &[String]) -> Vec<String> {
    let mut refs = Vec::new();
    let has = |l: &str| labels.iter().any(|x| x == l);
    if has("crit-present") {
        refs.push("RFC 7515 §4.1.11");
    }
    if has("alg-confusion") || has("alg-none") || has("key-none") {
        refs.push("RFC 8725 §3.1");
    }
    if has("claim-duplicate") || has("header-duplicate") {
        refs.push("RFC 7515 §5.2");
    }
    refs.push(match reason {
        Some(Reason::Malformed | Reason::Signature | Reason::Other) | None => "RFC 7515 §5.2",
        Some(Reason::Algorithm) => "RFC 8725 §3.1",
        Some(Reason::Key) => "RFC 7515 §4.1.4",
        Some(Reason::Expired) => "RFC 7519 §4.1.4",
        Some(Reason::NotYetValid) => "RFC 7519 §4.1.5",
        Some(Reason::Issuer) => "RFC 7519 §4.1.1",
        Some(Reason::Audience) => "RFC 7519 §4.1.3",
        Some(Reason::MissingClaim) => "RFC 7519 §4",
        Some(Reason::ClaimType) => "RFC 7519 §2",
    });
    let mut out: Vec<String> = refs.into_iter().map(str::to_string).collect();
    out.dedup();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    /// The rule against the classes the catalog's authors gave: it may differ where the catalog
    /// chose otherwise (the attacker key signing an alg outside the allowlist is `issuer` there),
    /// but it agrees on nine cases in ten.
    #[test]
    fn the_rule_agrees_with_the_catalog_on_most_cases() {
        let catalog = crate::fixtures::Fixtures::Embedded.catalog().unwrap();
        let (mut same, mut total) = (0, 0);
        for c in catalog.cases.iter().filter(|c| c.transport.is_none()) {
            let (Some(a), Some(m)) = (c.attacker, super::super::decompose(c)) else {
                continue;
            };
            total += 1;
            same += usize::from(super::attacker_of(&m).0 == a);
        }
        eprintln!("the rule agrees with the catalog on {same} of {total} cases");
        assert!(total > 400 && same * 100 >= total * 93, "{same} of {total}");
    }

    use super::*;

    fn claim(n: &str, v: &str) -> Mutation {
        Mutation::Claim(Member::new(n, v))
    }

    #[test]
    fn the_attacker_class_follows_the_mutations() {
        use Attacker::*;
        let a = |m: &[Mutation]| attacker_of(m).0;
        assert_eq!(a(&[Mutation::Key(KeyChoice::None)]), Anyone);
        assert_eq!(a(&[Mutation::Signature(SigOp::Zero)]), Anyone);
        assert_eq!(a(&[Mutation::Signature(SigOp::FlipBit)]), Holder);
        assert_eq!(
            a(&[Mutation::TamperClaim(Member::new("sub", "\"admin\""))]),
            Holder
        );
        assert_eq!(a(&[claim("exp", "${now-3600}")]), Holder);
        // A genuine token at the first instant of its expiry is still a holder's; exp 0 is not.
        assert_eq!(a(&[claim("exp", "${now-leeway}")]), Holder);
        assert_eq!(a(&[claim("exp", "0")]), Issuer);
        assert_eq!(a(&[claim("aud", "[\"x\"]")]), Holder);
        assert_eq!(a(&[Mutation::Alter(AlterOp::Pad)]), Holder);
        assert_eq!(a(&[claim("exp", "\"${exp}\"")]), Issuer);
        assert_eq!(
            a(&[Mutation::Header(Member::new("crit", "[\"x\"]"))]),
            Issuer
        );
        assert_eq!(a(&[Mutation::RemoveClaim("exp".into())]), Issuer);
        // Re-signed with a trusted key: at most issuer, whatever else it carries.
        assert_eq!(
            a(&[claim("exp", "\"x\""), Mutation::Alg("HS384".into())]),
            Issuer
        );
        assert_eq!(a(&[claim("aud", "[\"x\", 1]")]), Issuer);
        // Made from a genuine token: a holder's when a holder has such a token, the issuer's when
        // only the issuer signs that content (a flipped padding bit leaves the signature genuine).
        assert_eq!(
            a(&[
                claim("exp", "${now-3600}"),
                Mutation::Signature(SigOp::FlipBit)
            ]),
            Holder
        );
        assert_eq!(
            a(&[claim("exp", "\"x\""), Mutation::Signature(SigOp::FlipBit)]),
            Issuer
        );
        assert_eq!(
            a(&[
                claim("exp", "\"x\""),
                Mutation::TamperClaim(Member::new("sub", "\"a\""))
            ]),
            Issuer
        );
        assert_eq!(
            a(&[Mutation::Header(Member::new("typ", "\"JWT\""))]),
            Holder
        );

        assert_eq!(
            a(&[claim("exp", "\"x\""), Mutation::Key(KeyChoice::Attacker)]),
            Anyone
        );
    }

    #[test]
    fn checks_come_from_the_rejection() {
        assert_eq!(checks_for(Reason::Issuer, ""), [ClaimCheck::Iss]);
        assert_eq!(
            checks_for(Reason::MissingClaim, "required claim \"sub\" is missing"),
            [ClaimCheck::Sub]
        );
        assert_eq!(
            checks_for(Reason::ClaimType, "iat must be a number, got a string"),
            [ClaimCheck::Iat]
        );
        assert!(checks_for(Reason::ClaimType, "exp must be a number").is_empty());
        assert_eq!(
            checks_for(Reason::Other, "typ must be \"at+jwt\", got nothing"),
            [ClaimCheck::Typ]
        );
    }
}
