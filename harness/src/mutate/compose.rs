//! Mutation lists ↔ case recipes: [`compose`] folds a list into the fields of a
//! [`Case`], [`decompose`] splits a catalog case's recipe into a list. Later mutations win over
//! earlier ones; where the forge gives a field precedence (`header_raw` over `header_segment`
//! over `header` and `remove_header`, the same for the claims), composing does the same.

use super::{Member, Mutation};
use crate::cases::Case;
use serde_json::Value;

/// The default header members, as the forge builds them (the `kid` member is written only when
/// the signing key has one; raw text always carries it).
const DEFAULT_HEADER: [(&str, &str); 3] = [
    ("alg", "\"${alg}\""),
    ("typ", "\"${typ}\""),
    ("kid", "\"${kid}\""),
];

/// The default claims members, as the forge builds them.
const DEFAULT_CLAIMS: [(&str, &str); 5] = [
    ("iss", "\"${iss}\""),
    ("sub", "\"user-1\""),
    ("aud", "\"${aud}\""),
    ("iat", "${now}"),
    ("exp", "${exp}"),
];

/// The edits of one JSON object (the header or the claims) in a mutation list.
#[derive(Default)]
struct Object {
    sets: Vec<Member>,
    removes: Vec<String>,
    duplicates: Vec<Member>,
    raw: Option<String>,
    segment: Option<String>,
}

/// What an object's edits become in a recipe.
struct Rendered {
    merge: Option<String>,
    remove: Vec<String>,
    raw: Option<String>,
    segment: Option<String>,
}

impl Object {
    fn set(&mut self, m: &Member) {
        let name = m.decoded_name();
        self.removes.retain(|r| r != name);
        match self.sets.iter_mut().find(|s| s.decoded_name() == name) {
            Some(s) => *s = m.clone(),
            None => self.sets.push(m.clone()),
        }
    }

    fn remove(&mut self, name: &str) {
        self.sets.retain(|s| s.decoded_name() != name);
        if !self.removes.iter().any(|r| r == name) {
            self.removes.push(name.to_string());
        }
    }

    fn render(&self, defaults: &[(&str, &str)]) -> Rendered {
        let none = |raw, segment| Rendered {
            merge: None,
            remove: Vec::new(),
            raw,
            segment,
        };
        if let Some(raw) = &self.raw {
            return none(Some(insert_members(raw, &self.duplicates)), None);
        }
        if self.segment.is_some() {
            return none(None, self.segment.clone());
        }
        if !self.duplicates.is_empty() || self.sets.iter().any(Member::needs_raw) {
            let mut members: Vec<Member> =
                defaults.iter().map(|(n, v)| Member::new(n, v)).collect();
            for s in &self.sets {
                let name = s.decoded_name();
                match members.iter_mut().find(|m| m.decoded_name() == name) {
                    Some(m) => *m = s.clone(),
                    None => members.push(s.clone()),
                }
            }
            members.retain(|m| !self.removes.iter().any(|r| r == m.decoded_name()));
            members.extend(self.duplicates.iter().cloned());
            return none(Some(object_text(&members)), None);
        }
        Rendered {
            merge: (!self.sets.is_empty()).then(|| object_text(&self.sets)),
            remove: self.removes.clone(),
            raw: None,
            segment: None,
        }
    }
}

/// `{a: 1, b: 2}` from members.
fn object_text(members: &[Member]) -> String {
    let inner: Vec<String> = members.iter().map(Member::text).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Inserts members before the last `}` of an object's text (or at its end when it has none).
fn insert_members(raw: &str, members: &[Member]) -> String {
    if members.is_empty() {
        return raw.to_string();
    }
    let inner: Vec<String> = members.iter().map(Member::text).collect();
    let inner = inner.join(", ");
    match raw.rfind('}') {
        Some(end) => {
            let head = raw[..end].trim_end();
            let sep = if head.ends_with('{') { "" } else { ", " };
            format!("{head}{sep}{inner}{}", &raw[end..])
        }
        None => format!("{raw}, {inner}"),
    }
}

/// A case with every recipe field cleared: the metadata and applicability of `case` (its
/// `requires`, except the `key_type` a [`Mutation::KeyType`] sets).
pub(crate) fn blank(case: &Case) -> Case {
    let mut c = case.clone();
    c.alg = None;
    c.key = None;
    c.header = None;
    c.remove_header.clear();
    c.header_raw = None;
    c.header_segment = None;
    c.claims = None;
    c.remove_claims.clear();
    c.claims_raw = None;
    c.claims_segment = None;
    c.hmac_key = None;
    c.signature.clear();
    c.tamper_header = None;
    c.tamper_claims = None;
    c.alter.clear();
    c.trust = None;
    c.requires.key_type = None;
    c
}

/// Folds a mutation list into the recipe fields of `base` (whose own recipe fields are
/// replaced): the case the forge builds the input's token from.
pub fn compose(base: &Case, mutations: &[Mutation]) -> Case {
    let mut c = blank(base);
    let mut header = Object::default();
    let mut claims = Object::default();
    let mut tamper_header = Object::default();
    let mut tamper_claims = Object::default();
    for m in mutations {
        match m {
            Mutation::Alg(a) => c.alg = Some(a.clone()),
            Mutation::Key(k) => c.key = Some(*k),
            Mutation::KeyType(t) => c.requires.key_type = Some(*t),
            Mutation::Header(m) => header.set(m),
            Mutation::RemoveHeader(n) => header.remove(n),
            Mutation::DuplicateHeader(m) => header.duplicates.push(m.clone()),
            Mutation::HeaderRaw(t) => header.raw = Some(t.clone()),
            Mutation::HeaderSegment(t) => header.segment = Some(t.clone()),
            Mutation::Claim(m) => claims.set(m),
            Mutation::RemoveClaim(n) => claims.remove(n),
            Mutation::DuplicateClaim(m) => claims.duplicates.push(m.clone()),
            Mutation::ClaimsRaw(t) => claims.raw = Some(t.clone()),
            Mutation::ClaimsSegment(t) => claims.segment = Some(t.clone()),
            Mutation::HmacKey(h) => c.hmac_key = Some(h.clone()),
            Mutation::Signature(op) => c.signature.push(op.clone()),
            Mutation::TamperHeader(m) => tamper_header.set(m),
            Mutation::TamperClaim(m) => tamper_claims.set(m),
            Mutation::Alter(op) => c.alter.push(op.clone()),
            Mutation::Trust(t) => c.trust = Some(*t),
        }
    }
    let h = header.render(&DEFAULT_HEADER);
    c.header = h.merge;
    c.remove_header = h.remove;
    c.header_raw = h.raw;
    c.header_segment = h.segment;
    let p = claims.render(&DEFAULT_CLAIMS);
    c.claims = p.merge;
    c.remove_claims = p.remove;
    c.claims_raw = p.raw;
    c.claims_segment = p.segment;
    c.tamper_header = (!tamper_header.sets.is_empty()).then(|| object_text(&tamper_header.sets));
    c.tamper_claims = (!tamper_claims.sets.is_empty()).then(|| object_text(&tamper_claims.sets));
    c
}

/// Splits a case's recipe into mutations; `None` when a template object cannot be split into
/// members (it would not be JSON with its placeholders masked).
pub fn decompose(case: &Case) -> Option<Vec<Mutation>> {
    let mut out = Vec::new();
    if let Some(a) = &case.alg {
        out.push(Mutation::Alg(a.clone()));
    }
    if let Some(k) = case.key {
        out.push(Mutation::Key(k));
    }
    if let Some(t) = case.requires.key_type {
        out.push(Mutation::KeyType(t));
    }
    if let Some(h) = &case.hmac_key {
        out.push(Mutation::HmacKey(h.clone()));
    }
    if let Some(t) = case.trust {
        out.push(Mutation::Trust(t));
    }
    if let Some(h) = &case.header {
        out.extend(split_members(h)?.into_iter().map(Mutation::Header));
    }
    out.extend(
        case.remove_header
            .iter()
            .cloned()
            .map(Mutation::RemoveHeader),
    );
    if let Some(t) = &case.header_raw {
        out.push(Mutation::HeaderRaw(t.clone()));
    }
    if let Some(t) = &case.header_segment {
        out.push(Mutation::HeaderSegment(t.clone()));
    }
    if let Some(c) = &case.claims {
        out.extend(split_members(c)?.into_iter().map(Mutation::Claim));
    }
    out.extend(
        case.remove_claims
            .iter()
            .cloned()
            .map(Mutation::RemoveClaim),
    );
    if let Some(t) = &case.claims_raw {
        out.push(Mutation::ClaimsRaw(t.clone()));
    }
    if let Some(t) = &case.claims_segment {
        out.push(Mutation::ClaimsSegment(t.clone()));
    }
    out.extend(case.signature.iter().cloned().map(Mutation::Signature));
    if let Some(t) = &case.tamper_header {
        out.extend(split_members(t)?.into_iter().map(Mutation::TamperHeader));
    }
    if let Some(t) = &case.tamper_claims {
        out.extend(split_members(t)?.into_iter().map(Mutation::TamperClaim));
    }
    out.extend(case.alter.iter().cloned().map(Mutation::Alter));
    Some(out)
}

/// Splits the template text of a JSON object (`{"exp": ${now-3600}, "iss": "${iss}/"}`) into its
/// members, each still a template; `None` when the text is not an object.
pub fn split_members(template: &str) -> Option<Vec<Member>> {
    let (masked, raw) = mask(template)?;
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&masked) else {
        return None;
    };
    let retemplate = |json: String| {
        let mut text = json.replace('$', "$$");
        for (i, r) in raw.iter().enumerate().rev() {
            text = text
                .replace(&format!("\"@@JHV{i}@@\""), r)
                .replace(&format!("@@JHS{i}@@"), r);
        }
        text
    };
    Some(
        map.into_iter()
            .map(|(k, v)| {
                Member::raw_name(
                    &retemplate(Value::String(k).to_string()),
                    &retemplate(v.to_string()),
                )
            })
            .collect(),
    )
}

/// Replaces the placeholders of template text by sentinels and `$$` inside strings by `$`,
/// returning the text and what each sentinel stands for. Outside strings, a whole bare token
/// holding a placeholder (`${now+3600}.5`) becomes one quoted sentinel; inside a string each
/// placeholder becomes a bare one.
fn mask(template: &str) -> Option<(String, Vec<String>)> {
    let mut out = String::with_capacity(template.len());
    let mut raw: Vec<String> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if c == '$' && !escaped {
                if let Some(r) = rest.strip_prefix("$$") {
                    out.push('$');
                    rest = r;
                    continue;
                }
                if let Some(body) = rest.strip_prefix("${") {
                    let end = body.find('}')?;
                    out.push_str(&format!("@@JHS{}@@", raw.len()));
                    raw.push(rest[..end + 3].to_string());
                    rest = &body[end + 1..];
                    continue;
                }
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        } else if c == '"' {
            in_string = true;
            out.push(c);
            rest = &rest[1..];
        } else if c.is_whitespace() || ",:{}[]".contains(c) {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        } else {
            // A bare token (number, literal), placeholders taken whole.
            let mut len = 0;
            let mut templated = false;
            while let Some(d) = rest[len..].chars().next() {
                if rest[len..].starts_with("${") {
                    len += 2 + rest[len + 2..].find('}')? + 1;
                    templated = true;
                } else if d.is_whitespace() || ",:{}[]\"".contains(d) {
                    break;
                } else {
                    len += d.len_utf8();
                }
            }
            if templated {
                out.push_str(&format!("\"@@JHV{}@@\"", raw.len()));
                raw.push(rest[..len].to_string());
            } else {
                out.push_str(&rest[..len]);
            }
            rest = &rest[len..];
        }
    }
    Some((out, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_objects_split_into_members() {
        let m = split_members(r#"{"exp": ${now-3600}, "iss": "${iss}/", "jwk": ${attacker_jwk}, "n": "a$$b \"${kid}\""}"#)
            .unwrap();
        let shown: Vec<String> = m.iter().map(Member::text).collect();
        assert_eq!(
            shown,
            [
                "\"exp\": ${now-3600}",
                "\"iss\": \"${iss}/\"",
                "\"jwk\": ${attacker_jwk}",
                "\"n\": \"a$$b \\\"${kid}\\\"\""
            ]
        );
        let m = split_members(r#"{"nbf": ${now+3600}.5, "x": [${repeat([,3)}1]}"#).unwrap();
        assert_eq!(m[0].value(), "${now+3600}.5");
        assert_eq!(m[1].value(), "[${repeat([,3)}1]");
        assert!(split_members("[1]").is_none());
        assert!(split_members("{\"a\": ${now").is_none());
    }

    #[test]
    fn composing_follows_the_forge_precedence() {
        let base: Case =
            toml::from_str("name = \"x\"\ndescription = \"d\"\nexpect = \"either\"\n").unwrap();
        let c = compose(
            &base,
            &[
                Mutation::Claim(Member::new("exp", "\"${exp}\"")),
                Mutation::RemoveClaim("sub".into()),
                Mutation::Claim(Member::new("sub", "\"admin\"")),
                Mutation::Header(Member::new("crit", "null")),
            ],
        );
        assert_eq!(
            c.claims.as_deref(),
            Some("{\"exp\": \"${exp}\", \"sub\": \"admin\"}")
        );
        assert!(c.remove_claims.is_empty());
        assert_eq!(c.header.as_deref(), Some("{\"crit\": null}"));
        // A duplicate member needs the raw text.
        let c = compose(
            &base,
            &[
                Mutation::RemoveClaim("iat".into()),
                Mutation::DuplicateClaim(Member::raw_name("\"\\u0065xp\"", "${now-3600}")),
            ],
        );
        assert_eq!(
            c.claims_raw.as_deref(),
            Some("{\"iss\": \"${iss}\", \"sub\": \"user-1\", \"aud\": \"${aud}\", \"exp\": ${exp}, \"\\u0065xp\": ${now-3600}}")
        );
        let c = compose(
            &base,
            &[
                Mutation::ClaimsRaw("{}".into()),
                Mutation::DuplicateClaim(Member::new("a", "1")),
            ],
        );
        assert_eq!(c.claims_raw.as_deref(), Some("{\"a\": 1}"));
    }

    #[test]
    fn every_catalog_case_decomposes_and_composes_back_to_its_token() {
        use crate::fixtures::Fixtures;
        use crate::forge::{forge_one, policy_variant};
        let fx = Fixtures::Embedded;
        let catalog = fx.catalog().unwrap();
        let policies = fx.default_policies().unwrap();
        let attackers = fx.attackers().unwrap();
        let mut compared = 0;
        for case in catalog.cases.iter().filter(|c| !c.is_resource()) {
            let muts = decompose(case).unwrap_or_else(|| panic!("{} does not decompose", case.id));
            let again = compose(case, &muts);
            for p in &policies {
                let p = match case.trust {
                    Some(t) => match policy_variant(p, t, &attackers) {
                        Some(v) => v,
                        None => continue,
                    },
                    None => p.clone(),
                };
                let want = forge_one(case, &p, &attackers, 1_764_350_000, 7);
                let got = forge_one(&again, &p, &attackers, 1_764_350_000, 7);
                assert_eq!(
                    got,
                    want,
                    "{}@{}: {}",
                    case.id,
                    p.name,
                    super::super::show(&muts)
                );
                compared += 1;
            }
        }
        assert!(compared > 3000, "{compared}");
    }
}
