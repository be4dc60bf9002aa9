//! Encoding mutations of the compact text: base64url padding and alphabet, whitespace, the
//! unused bits of the last character, dots and segment counts (two segments, JWE-shaped five),
//! transport wrappings (quotes, `Bearer`, URL encoding, a byte order mark), oversized tokens.
//!
//! The JWS JSON serialization is not among them: no word of the recipe vocabulary writes it
//! from a case's own token (`replace:` is a literal, fixed at one clock).

use super::{Atom, GenContext, Member, Mutation, Rng};
use crate::cases::AlterOp;

fn fixed(m: Vec<Mutation>) -> Atom {
    Atom::Fixed(m)
}

fn alter(op: AlterOp) -> Mutation {
    Mutation::Alter(op)
}

/// The encoding atoms.
pub fn atoms(_ctx: &GenContext) -> Vec<Atom> {
    let mut out = Vec::new();
    for op in [
        AlterOp::Pad,
        AlterOp::PadSignature,
        AlterOp::SpaceInPayload,
        AlterOp::NewlineInPayload,
        AlterOp::NoncanonicalLast,
        AlterOp::NoncanonicalPayload,
        AlterOp::DropSignatureSegment,
        AlterOp::DropPayload,
        AlterOp::UrlEncode,
        AlterOp::Quote,
        AlterOp::Bearer,
        AlterOp::LeadingSpace,
        AlterOp::TrailingSpace,
        AlterOp::Bom,
        AlterOp::JsonFlattened,
        AlterOp::JsonGeneral,
        AlterOp::Segments(1),
        AlterOp::Segments(2),
        AlterOp::Segments(4),
        AlterOp::Segments(5),
        AlterOp::Segments(6),
        AlterOp::Dots(1),
        AlterOp::Dots(2),
        AlterOp::Replace(String::new()),
        AlterOp::Replace("..".into()),
        AlterOp::Replace("a.b.c".into()),
    ] {
        out.push(fixed(vec![alter(op)]));
    }
    // The standard alphabet needs a `-` or `_` in the payload: bytes that encode to them.
    out.push(fixed(vec![
        Mutation::Claim(Member::new("note", "\"?????~~~~~\"")),
        alter(AlterOp::StdAlphabet),
    ]));
    // A JWE-shaped token: a JWE header and five segments.
    out.push(fixed(vec![
        Mutation::HeaderRaw("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\"}".into()),
        alter(AlterOp::Segments(5)),
    ]));
    out.push(fixed(vec![alter(AlterOp::Quote), alter(AlterOp::Bearer)]));
    out.push(fixed(vec![alter(AlterOp::PadTo(65_537))]));
    out.push(Atom::Drawn(draw));
    out
}

/// A random number of dots or segments.
fn draw(rng: &mut Rng, _ctx: &GenContext) -> Vec<Mutation> {
    vec![match rng.below(2) {
        0 => alter(AlterOp::Dots(1 + rng.below(16))),
        _ => alter(AlterOp::Segments(rng.below(9))),
    }]
}
