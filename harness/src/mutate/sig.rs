//! Signature mutations: truncated, extended, zeroed, emptied, replaced, taken from another token,
//! re-encoded between raw R‖S and DER, and ECDSA r and s at their edge values.

use super::{Atom, GenContext, Mutation, Rng};
use crate::cases::SigOp;
use crate::jose::der;

fn fixed(m: Vec<Mutation>) -> Atom {
    Atom::Fixed(m)
}

fn sig(op: SigOp) -> Mutation {
    Mutation::Signature(op)
}

/// The signature atoms for a policy (the ECDSA operations only where ECDSA is allowed).
pub fn atoms(ctx: &GenContext) -> Vec<Atom> {
    let mut out = Vec::new();
    for op in [
        SigOp::FlipBit,
        SigOp::FlipFirstBit,
        SigOp::Truncate(1),
        SigOp::DropFirst,
        SigOp::AppendZero,
        SigOp::Zero,
        SigOp::Empty,
        SigOp::FromOtherClaims,
        SigOp::Bytes(vec![0]),
        SigOp::Bytes(vec![1]),
        SigOp::Bytes(b"null".to_vec()),
    ] {
        out.push(fixed(vec![sig(op)]));
    }
    if ctx.ecdsa {
        for op in [
            SigOp::EcdsaDer,
            SigOp::EcdsaDerZero,
            SigOp::EcdsaRN,
            SigOp::EcdsaSN,
            SigOp::EcdsaRMax,
            SigOp::EcdsaHighS,
        ] {
            out.push(fixed(vec![sig(op)]));
        }
        out.push(fixed(vec![sig(SigOp::EcdsaRN), sig(SigOp::EcdsaSN)]));
        out.push(fixed(vec![sig(SigOp::EcdsaHighS), sig(SigOp::EcdsaDer)]));
        // DER of r = s = 1, and of r = 0 with s = 1: psychic signatures' neighbours.
        for (r, s) in [(&[1u8][..], &[1u8][..]), (&[0u8][..], &[1u8][..])] {
            if let Some(bytes) = der::ecdsa_signature(r, s) {
                out.push(fixed(vec![sig(SigOp::Bytes(bytes))]));
            }
        }
    }
    out.push(Atom::Drawn(draw));
    out
}

/// A random truncation, extension or replacement.
fn draw(rng: &mut Rng, _ctx: &GenContext) -> Vec<Mutation> {
    let lens = [
        0usize, 1, 31, 32, 33, 48, 63, 64, 65, 66, 96, 132, 255, 256, 257, 512,
    ];
    vec![match rng.below(4) {
        0 => sig(SigOp::Truncate(1 + rng.below(64))),
        1 => sig(SigOp::Bytes(vec![0; *rng.pick(&lens)])),
        2 => {
            let n = *rng.pick(&lens);
            sig(SigOp::Bytes(rng.bytes(n)))
        }
        _ => sig(SigOp::Bytes(vec![0xff; *rng.pick(&lens)])),
    }]
}
