//! A key's public and private forms: JWK JSON, SubjectPublicKeyInfo DER and PEM, PKCS#1 PEM, and
//! the raw public values (RSA modulus, EC point) that alg-confusion attacks key HMAC with.

use super::*;

impl Jwk {
    fn params(&self, obj: &mut Map<String, Value>) {
        if let Some(kid) = &self.kid {
            obj.insert("kid".into(), json!(kid));
        }
        if let Some(u) = &self.use_ {
            obj.insert("use".into(), json!(u));
        }
        if let Some(alg) = &self.alg {
            obj.insert("alg".into(), json!(alg));
        }
        if let Some(ops) = &self.key_ops {
            obj.insert("key_ops".into(), json!(ops));
        }
    }

    /// The public JWK as JSON (for an `oct` key: the secret itself, which is what a JWKS of
    /// shared secrets holds).
    pub fn public_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("kty".into(), json!(self.key_type().name()));
        self.params(&mut obj);
        match &self.material {
            KeyMaterial::Oct(k) => {
                obj.insert("k".into(), json!(b64::encode(k)));
            }
            KeyMaterial::Rsa { public, .. } => {
                obj.insert("n".into(), json!(b64::encode(&be(public.n()))));
                obj.insert("e".into(), json!(b64::encode(&be(public.e()))));
            }
            KeyMaterial::Ec { curve, .. } => {
                let point = self.ec_point().unwrap_or_default();
                let len = curve.field_len();
                obj.insert("crv".into(), json!(curve.name()));
                obj.insert("x".into(), json!(b64::encode(&point[1..1 + len])));
                obj.insert("y".into(), json!(b64::encode(&point[1 + len..])));
            }
            KeyMaterial::Ed { public, .. } => {
                obj.insert("crv".into(), json!("Ed25519"));
                obj.insert("x".into(), json!(b64::encode(public.as_bytes())));
            }
        }
        Value::Object(obj)
    }

    /// The private JWK as JSON (public members plus the private ones).
    pub fn private_json(&self) -> Value {
        let mut value = self.public_json();
        let obj = value.as_object_mut().expect("public_json is an object");
        match &self.material {
            KeyMaterial::Oct(_) => {}
            KeyMaterial::Rsa {
                private: Some(k), ..
            } => {
                let primes = k.primes();
                let p = primes[0].as_ref();
                let q = primes[1].as_ref();
                obj.insert("d".into(), json!(b64::encode(&be(k.d()))));
                obj.insert("p".into(), json!(b64::encode(&be(p))));
                obj.insert("q".into(), json!(b64::encode(&be(q))));
            }
            KeyMaterial::Ec {
                private: Some(k), ..
            } => {
                let d = match k {
                    EcPrivate::P256(k) => k.to_bytes().to_vec(),
                    EcPrivate::P384(k) => k.to_bytes().to_vec(),
                    EcPrivate::P521(k) => k.to_bytes().to_vec(),
                };
                obj.insert("d".into(), json!(b64::encode(&d)));
            }
            KeyMaterial::Ed {
                private: Some(k), ..
            } => {
                obj.insert("d".into(), json!(b64::encode(&k.to_bytes())));
            }
            _ => {}
        }
        value
    }

    /// The SubjectPublicKeyInfo DER of an asymmetric key.
    pub fn der_spki(&self) -> Option<Vec<u8>> {
        let doc = match &self.material {
            KeyMaterial::Oct(_) => return None,
            KeyMaterial::Rsa { public, .. } => public.to_public_key_der().ok()?,
            KeyMaterial::Ec { public, .. } => match public {
                EcPublic::P256(k) => k.to_public_key_der().ok()?,
                EcPublic::P384(k) => k.to_public_key_der().ok()?,
                EcPublic::P521(k) => k.to_public_key_der().ok()?,
            },
            KeyMaterial::Ed { public, .. } => public.to_public_key_der().ok()?,
        };
        Some(doc.as_bytes().to_vec())
    }

    /// The SubjectPublicKeyInfo PEM of an asymmetric key, LF line ends, trailing newline.
    pub fn pem_spki(&self) -> Option<String> {
        let pem = match &self.material {
            KeyMaterial::Oct(_) => return None,
            KeyMaterial::Rsa { public, .. } => public.to_public_key_pem(LineEnding::LF).ok()?,
            KeyMaterial::Ec { public, .. } => match public {
                EcPublic::P256(k) => k.to_public_key_pem(LineEnding::LF).ok()?,
                EcPublic::P384(k) => k.to_public_key_pem(LineEnding::LF).ok()?,
                EcPublic::P521(k) => k.to_public_key_pem(LineEnding::LF).ok()?,
            },
            KeyMaterial::Ed { public, .. } => public.to_public_key_pem(LineEnding::LF).ok()?,
        };
        Some(pem)
    }

    /// The PKCS#1 `RSA PUBLIC KEY` PEM of an RSA key.
    pub fn pem_pkcs1(&self) -> Option<String> {
        match &self.material {
            KeyMaterial::Rsa { public, .. } => public.to_pkcs1_pem(LineEnding::LF).ok(),
            _ => None,
        }
    }

    /// The RSA modulus bytes.
    pub fn modulus(&self) -> Option<Vec<u8>> {
        match &self.material {
            KeyMaterial::Rsa { public, .. } => Some(be(public.n())),
            _ => None,
        }
    }

    /// The OpenSSH public key line (`ssh-rsa AAAA…`, `ecdsa-sha2-nistp256 AAAA…`,
    /// `ssh-ed25519 AAAA…`, no comment, no newline): RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4,
    /// the blob in standard base64 with padding.
    pub fn openssh(&self) -> Option<String> {
        fn string(out: &mut Vec<u8>, bytes: &[u8]) {
            out.extend((bytes.len() as u32).to_be_bytes());
            out.extend(bytes);
        }
        // An mpint: big-endian, a leading zero byte when the high bit is set.
        fn mpint(out: &mut Vec<u8>, bytes: &[u8]) {
            let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
            let mut v = Vec::with_capacity(trimmed.len() + 1);
            if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
                v.push(0);
            }
            v.extend(trimmed);
            string(out, &v);
        }
        let mut blob = Vec::new();
        let kind = match &self.material {
            KeyMaterial::Rsa { public, .. } => {
                string(&mut blob, b"ssh-rsa");
                mpint(&mut blob, &be(public.e()));
                mpint(&mut blob, &be(public.n()));
                "ssh-rsa".to_string()
            }
            KeyMaterial::Ec { curve, .. } => {
                let name = match curve {
                    Curve::P256 => "nistp256",
                    Curve::P384 => "nistp384",
                    Curve::P521 => "nistp521",
                    Curve::Ed25519 => return None,
                };
                let kind = format!("ecdsa-sha2-{name}");
                string(&mut blob, kind.as_bytes());
                string(&mut blob, name.as_bytes());
                string(&mut blob, &self.ec_point()?);
                kind
            }
            KeyMaterial::Ed { .. } => {
                string(&mut blob, b"ssh-ed25519");
                string(&mut blob, &self.ec_point()?);
                "ssh-ed25519".to_string()
            }
            _ => return None,
        };
        let text = crate::jose::b64::encode_std(&blob);
        Some(format!("{kind} {text}"))
    }

    /// The SEC1 uncompressed point of an EC key, or the raw 32 bytes of an Ed25519 key.
    pub fn ec_point(&self) -> Option<Vec<u8>> {
        match &self.material {
            KeyMaterial::Ec { public, curve, .. } => {
                let bytes = match public {
                    EcPublic::P256(k) => k.to_sec1_bytes().to_vec(),
                    EcPublic::P384(k) => k.to_sec1_bytes().to_vec(),
                    EcPublic::P521(k) => k.to_sec1_bytes().to_vec(),
                };
                // Always uncompressed: 0x04 || x || y.
                (bytes.len() == 1 + 2 * curve.field_len()).then_some(bytes)
            }
            KeyMaterial::Ed { public, .. } => Some(public.as_bytes().to_vec()),
            _ => None,
        }
    }

    /// A short fingerprint of the public key (or secret) for logs: 8 hex digits of its SHA-256.
    /// Safe to print: it does not reveal the key.
    pub fn fingerprint(&self) -> String {
        let text = self.public_json().to_string();
        super::super::fingerprint(text.as_bytes())
    }

    /// The RSA modulus length in bytes.
    pub fn rsa_len(&self) -> Option<usize> {
        match &self.material {
            KeyMaterial::Rsa { public, .. } => Some(public.size()),
            _ => None,
        }
    }
}
