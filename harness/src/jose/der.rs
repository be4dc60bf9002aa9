//! ASN.1 DER of ECDSA signatures (`ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`,
//! RFC 3279 §2.2.3), through the `der` crate: the forge writes it (tokens whose ECDSA signature is
//! DER instead of JWS's raw R‖S), `explain` reads it back.

use der::asn1::UintRef;
use der::{Decode, DecodeValue, Encode, EncodeValue, Header, Length, Reader, Sequence, Writer};

/// An ECDSA-Sig-Value borrowing its integers' big-endian bytes.
struct SigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

impl<'a> DecodeValue<'a> for SigValue<'a> {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        Ok(SigValue {
            r: reader.decode()?,
            s: reader.decode()?,
        })
    }
}

impl EncodeValue for SigValue<'_> {
    fn value_len(&self) -> der::Result<Length> {
        self.r.encoded_len()? + self.s.encoded_len()?
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.r.encode(writer)?;
        self.s.encode(writer)
    }
}

impl<'a> Sequence<'a> for SigValue<'a> {}

/// The DER encoding of an ECDSA signature from the big-endian bytes of r and s (leading zero
/// bytes are dropped; zero itself encodes as `02 01 00`). `None` only for integers too long for
/// DER lengths, which no curve has.
pub fn ecdsa_signature(r: &[u8], s: &[u8]) -> Option<Vec<u8>> {
    SigValue {
        r: UintRef::new(r).ok()?,
        s: UintRef::new(s).ok()?,
    }
    .to_der()
    .ok()
}

/// r and s of a DER-encoded ECDSA signature, as big-endian bytes without leading zeros (zero is
/// empty). `None` unless the whole input is one such SEQUENCE in strict DER.
pub fn parse_ecdsa_signature(sig: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let v = SigValue::from_der(sig).ok()?;
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|b| *b == 0).collect() };
    Some((strip(v.r.as_bytes()), strip(v.s.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_high_bit_integers() {
        // r = s = 0: the psychic signature's DER form, `MAYCAQACAQA` in base64url.
        assert_eq!(
            ecdsa_signature(&[0, 0], &[0]).unwrap(),
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]
        );
        // A high first bit gets a 0x00 in front (INTEGER is signed).
        assert_eq!(
            ecdsa_signature(&[0x80], &[0x01]).unwrap(),
            [0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01]
        );
    }

    #[test]
    fn round_trip_and_rejects() {
        let r = [0xffu8; 32];
        let s = [0x01u8; 32];
        let der = ecdsa_signature(&r, &s).unwrap();
        assert_eq!(parse_ecdsa_signature(&der), Some((r.to_vec(), s.to_vec())));
        assert_eq!(
            parse_ecdsa_signature(&[0x30, 6, 2, 1, 0, 2, 1, 0]),
            Some((vec![], vec![]))
        );
        assert_eq!(parse_ecdsa_signature(&[0x30, 0x82]), None);
        assert_eq!(parse_ecdsa_signature(&[0x30, 0x82, 0xff, 0xff]), None);
        let mut trailing = der.clone();
        trailing.push(0);
        assert_eq!(parse_ecdsa_signature(&trailing), None);
    }
}
