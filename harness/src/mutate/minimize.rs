//! Minimization: a disagreement's mutation list shortened to the mutations it needs.

use super::{Member, Mutation};

/// Drops mutations one at a time while `still` holds for the shorter list, until no single
/// mutation can be dropped: every mutation of the result is needed (dropping any one of them
/// loses the disagreement). Mutations that change nothing (a member set twice, a `claims` edit
/// under `claims_raw`) go first, since dropping them keeps any disagreement.
pub fn minimize(
    mutations: &[Mutation],
    mut still: impl FnMut(&[Mutation]) -> bool,
) -> Vec<Mutation> {
    let mut current = mutations.to_vec();
    loop {
        let mut dropped = false;
        let mut i = current.len();
        while i > 0 {
            i -= 1;
            let mut shorter = current.clone();
            shorter.remove(i);
            if still(&shorter) {
                current = shorter;
                dropped = true;
            }
        }
        if !dropped {
            return current;
        }
    }
}

/// Drops the mutations that leave the forged token byte for byte as it is (`forge` gives the
/// token of a list): a `tamper_header` that sets `kid` to the value it had, a member set to its
/// default. Such a mutation changes no verdict, but it would still count towards the attacker
/// class (a holder's edit), so it goes before [`minimize`], which keeps the class.
pub fn drop_noops(
    mutations: &[Mutation],
    forge: impl Fn(&[Mutation]) -> Option<String>,
) -> Vec<Mutation> {
    let mut current = mutations.to_vec();
    let Some(token) = forge(&current) else {
        return current;
    };
    let mut i = current.len();
    while i > 0 {
        i -= 1;
        let mut shorter = current.clone();
        shorter.remove(i);
        if forge(&shorter).as_deref() == Some(token.as_str()) {
            current = shorter;
        }
    }
    current
}

/// The value of a member without its non-ASCII characters and `\u` escapes.
fn plain(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        let escape = rest.starts_with("\\u")
            && rest.len() >= 6
            && rest[2..6].bytes().all(|b| b.is_ascii_hexdigit());
        if escape {
            rest = &rest[6..];
            continue;
        }
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Replaces member values that carry non-ASCII characters or `\u` escapes by their plain ASCII
/// remainder, one member at a time, while `still` holds: a finding's case then shows only the
/// characters that matter.
pub fn simplify(
    mutations: Vec<Mutation>,
    mut still: impl FnMut(&[Mutation]) -> bool,
) -> Vec<Mutation> {
    let mut current = mutations;
    for i in 0..current.len() {
        let simpler = |m: &Member| {
            let v = plain(m.value());
            (v != m.value()).then(|| Member::raw_name(m.name(), &v))
        };
        let candidate = match &current[i] {
            Mutation::Claim(m) => simpler(m).map(Mutation::Claim),
            Mutation::DuplicateClaim(m) => simpler(m).map(Mutation::DuplicateClaim),
            Mutation::TamperClaim(m) => simpler(m).map(Mutation::TamperClaim),
            Mutation::Header(m) => simpler(m).map(Mutation::Header),
            Mutation::DuplicateHeader(m) => simpler(m).map(Mutation::DuplicateHeader),
            Mutation::TamperHeader(m) => simpler(m).map(Mutation::TamperHeader),
            _ => None,
        };
        if let Some(c) = candidate {
            let mut list = current.clone();
            list[i] = c;
            if still(&list) {
                current = list;
            }
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{KeyChoice, SigOp};

    #[test]
    fn keeps_only_what_the_disagreement_needs() {
        let list = vec![
            Mutation::Signature(SigOp::FlipBit),
            Mutation::Key(KeyChoice::None),
            Mutation::RemoveClaim("sub".into()),
            Mutation::Alg("none".into()),
        ];
        let needs = |l: &[Mutation]| {
            l.contains(&Mutation::Key(KeyChoice::None)) && l.contains(&Mutation::Alg("none".into()))
        };
        assert_eq!(
            minimize(&list, needs),
            [Mutation::Key(KeyChoice::None), Mutation::Alg("none".into())]
        );
        assert!(minimize(&list, |_| true).is_empty());
    }

    #[test]
    fn values_lose_the_characters_that_do_not_matter() {
        assert_eq!(plain("\"\u{200b}$$.\\u0000x\""), "\"$$.x\"");
        let list = vec![Mutation::Claim(Member::new("iat", "\"\u{200b}$$.\""))];
        let simpler = simplify(list, |_| true);
        assert_eq!(simpler, [Mutation::Claim(Member::new("iat", "\"$$.\""))]);
    }
}
