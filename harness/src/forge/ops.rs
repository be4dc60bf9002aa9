//! The forge's operations on signature bytes ([`SigOp`]) and on the compact token text
//! ([`AlterOp`]). An operation that does not fit the token is an error naming it, never a quietly
//! different token.

use crate::cases::{AlterOp, SigOp};
use crate::jose::alg::{be_sub, curve_order};
use crate::jose::{der, KeyType};

type Res<T> = std::result::Result<T, String>;

/// Applies one signature operation. `sign_alg` is the signing algorithm (ECDSA operations need
/// its curve); `other` signs a token with other claims and the same header.
pub(super) fn signature_op(
    op: &SigOp,
    mut sig: Vec<u8>,
    sign_alg: crate::jose::Alg,
    other: impl FnOnce() -> Res<Vec<u8>>,
) -> Res<Vec<u8>> {
    let curve = || {
        sign_alg
            .curve()
            .filter(|_| sign_alg.key_type() == KeyType::Ec)
            .ok_or_else(|| format!("{op} needs an ECDSA alg, not {sign_alg}"))
    };
    let half = |sig: &Vec<u8>| -> Res<usize> {
        let len = curve()?.field_len();
        if sig.len() != 2 * len {
            return Err(format!("{op}: signature is not raw R‖S"));
        }
        Ok(len)
    };
    match op {
        SigOp::FlipBit => {
            let last = sig.last_mut().ok_or("flip-bit on an empty signature")?;
            *last ^= 1;
        }
        SigOp::FlipFirstBit => {
            let first = sig
                .first_mut()
                .ok_or("flip-first-bit on an empty signature")?;
            *first ^= 0x80;
        }
        SigOp::DropFirst => {
            if sig.is_empty() {
                return Err("drop-first on an empty signature".into());
            }
            sig.remove(0);
        }
        SigOp::AppendZero => sig.push(0),
        SigOp::Zero => sig.iter_mut().for_each(|b| *b = 0),
        SigOp::Empty => sig.clear(),
        SigOp::FromOtherClaims => sig = other()?,
        SigOp::EcdsaDer => {
            let len = half(&sig)?;
            sig = der::ecdsa_signature(&sig[..len], &sig[len..])
                .ok_or_else(|| format!("{op}: cannot encode"))?;
        }
        SigOp::EcdsaDerZero => {
            sig = der::ecdsa_signature(&[0], &[0]).ok_or_else(|| format!("{op}: cannot encode"))?
        }
        SigOp::EcdsaRN | SigOp::EcdsaSN | SigOp::EcdsaRMax | SigOp::EcdsaHighS => {
            let len = half(&sig)?;
            let n = curve_order(curve()?);
            match op {
                SigOp::EcdsaRN => sig[..len].copy_from_slice(&n),
                SigOp::EcdsaSN => sig[len..].copy_from_slice(&n),
                SigOp::EcdsaRMax => {
                    // The largest value that fits the field: above n on every NIST curve.
                    let top = if len == 66 { 0x01 } else { 0xff };
                    sig[..len].iter_mut().for_each(|b| *b = 0xff);
                    sig[0] = top;
                }
                _ => {
                    let s = sig[len..].to_vec();
                    let high = be_sub(&n, &s);
                    sig[len..].copy_from_slice(&high);
                }
            }
        }
        SigOp::Truncate(n) => {
            if *n > sig.len() {
                return Err(format!("{op}: signature has only {} bytes", sig.len()));
            }
            sig.truncate(sig.len() - n);
        }
        SigOp::Bytes(b) => sig = b.clone(),
    }
    Ok(sig)
}

/// Applies one operation on the compact token text.
pub(super) fn alter_op(op: &AlterOp, token: String) -> Res<String> {
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let join = |parts: &[String]| parts.join(".");
    Ok(match op {
        AlterOp::PadSignature => {
            let segments = parts.len();
            let Some(sig) = parts.last_mut().filter(|_| segments >= 3) else {
                return Err("pad-signature: no signature segment".into());
            };
            let pad = (4 - sig.len() % 4) % 4;
            if pad == 0 || pad == 3 {
                return Err("pad-signature: the signature segment needs no padding".into());
            }
            sig.push_str(&"=".repeat(pad));
            join(&parts)
        }
        AlterOp::Pad => {
            let mut changed = false;
            for p in parts.iter_mut() {
                let pad = (4 - p.len() % 4) % 4;
                if pad > 0 && pad < 3 {
                    p.push_str(&"=".repeat(pad));
                    changed = true;
                }
            }
            if !changed {
                return Err("pad: no segment needs padding".into());
            }
            join(&parts)
        }
        AlterOp::StdAlphabet => {
            // The payload only: its bytes are fixed by the case, while the signature's change
            // with the clock, so the verdict must not depend on where a `-` happens to fall.
            let p = parts.get_mut(1).ok_or("no payload segment")?;
            if !p.contains(['-', '_']) {
                return Err("std-alphabet: the payload has no - or _ to change".into());
            }
            *p = p.replace('-', "+").replace('_', "/");
            join(&parts)
        }
        AlterOp::SpaceInPayload | AlterOp::NewlineInPayload => {
            let p = parts.get_mut(1).ok_or("no payload segment")?;
            let mid = p.len() / 2;
            p.insert_str(
                mid,
                if *op == AlterOp::SpaceInPayload {
                    " "
                } else {
                    "\n"
                },
            );
            join(&parts)
        }
        AlterOp::NoncanonicalLast => {
            let idx = (0..parts.len())
                .rev()
                .find(|&i| parts[i].len() % 4 >= 2)
                .ok_or("noncanonical-last: every segment is a multiple of 4 long")?;
            set_unused_bits(&mut parts[idx]).map_err(|e| format!("noncanonical-last: {e}"))?;
            join(&parts)
        }
        AlterOp::NoncanonicalPayload => {
            let payload = parts
                .get_mut(1)
                .ok_or("noncanonical-payload: no payload segment")?;
            set_unused_bits(payload).map_err(|e| format!("noncanonical-payload: {e}"))?;
            join(&parts)
        }
        AlterOp::DropSignatureSegment => {
            parts.truncate(2);
            join(&parts)
        }
        AlterOp::DropPayload => {
            if parts.len() < 3 {
                return Err("drop-payload needs three segments".into());
            }
            parts[1].clear();
            join(&parts)
        }
        AlterOp::UrlEncode => token.replace('.', "%2E"),
        AlterOp::Quote => format!("\"{token}\""),
        AlterOp::Bearer => format!("Bearer {token}"),
        AlterOp::LeadingSpace => format!(" {token}"),
        AlterOp::TrailingSpace => format!("{token} "),
        AlterOp::Bom => format!("\u{feff}{token}"),
        AlterOp::JsonFlattened | AlterOp::JsonGeneral => {
            if parts.len() != 3 {
                return Err(format!("{op} needs three segments"));
            }
            let (h, p, s) = (&parts[0], &parts[1], &parts[2]);
            let v = if *op == AlterOp::JsonFlattened {
                serde_json::json!({"protected": h, "payload": p, "signature": s})
            } else {
                serde_json::json!({"payload": p, "signatures": [{"protected": h, "signature": s}]})
            };
            v.to_string()
        }
        AlterOp::Segments(n) => {
            let filler = parts.last().cloned().unwrap_or_default();
            while parts.len() < *n {
                parts.push(filler.clone());
            }
            parts.truncate(*n);
            join(&parts)
        }
        AlterOp::Replace(t) => t.clone(),
        AlterOp::PadTo(n) => {
            let len = token.len();
            if *n > len && parts.len() > 1 {
                parts[1].push_str(&"A".repeat(n - len));
            }
            join(&parts)
        }
        AlterOp::Dots(n) => token + &".".repeat(*n),
    })
}

/// Sets the unused low bits of a base64url segment's last character: the same bytes, a
/// non-canonical text.
fn set_unused_bits(seg: &mut String) -> Result<(), String> {
    *seg = crate::jose::b64::with_unused_bits(seg, true)
        .ok_or("the segment's last character has no unused bits to set")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alter(op: &str, t: &str) -> Res<String> {
        alter_op(&op.parse().unwrap(), t.to_string())
    }

    #[test]
    fn alter_operations() {
        let t = "aaa.bb.cc";
        assert_eq!(alter("segments:2", t).unwrap(), "aaa.bb");
        assert_eq!(alter("segments:5", t).unwrap(), "aaa.bb.cc.cc.cc");
        assert_eq!(alter("pad", t).unwrap(), "aaa=.bb==.cc==");
        assert_eq!(alter("url-encode", t).unwrap(), "aaa%2Ebb%2Ecc");
        assert!(alter("std-alphabet", t).is_err());
        assert_eq!(alter("noncanonical-last", t).unwrap(), "aaa.bb.cf");
    }

    #[test]
    fn psychic_der() {
        let sig = signature_op(
            &SigOp::EcdsaDerZero,
            vec![1; 64],
            crate::jose::Alg::ES256,
            || Ok(vec![]),
        )
        .unwrap();
        assert_eq!(crate::jose::b64::encode(&sig), "MAYCAQACAQA");
    }
}
