//! Keys from PEM text, and new keys for `gen-fixtures`.

use super::*;

impl Jwk {
    /// Reads a PEM key: SPKI or PKCS#1 public keys, PKCS#8 or PKCS#1 private keys.
    pub fn from_pem(pem: &str, kid: Option<&str>, alg: Option<&str>) -> Result<Jwk, KeyError> {
        let material = if let Ok(k) = rsa::PrivateKey::from_pkcs8_pem(pem) {
            KeyMaterial::Rsa {
                public: k.to_public_key(),
                private: Some(k),
            }
        } else if let Ok(k) = rsa::PrivateKey::from_pkcs1_pem(pem) {
            KeyMaterial::Rsa {
                public: k.to_public_key(),
                private: Some(k),
            }
        } else if let Ok(k) = rsa::PublicKey::from_public_key_pem(pem) {
            KeyMaterial::Rsa {
                public: k,
                private: None,
            }
        } else if let Ok(k) = rsa::PublicKey::from_pkcs1_pem(pem) {
            KeyMaterial::Rsa {
                public: k,
                private: None,
            }
        } else if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            ec_private(EcPrivate::P256(k))
        } else if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            ec_private(EcPrivate::P384(k))
        } else if let Ok(k) = p521::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            ec_private(EcPrivate::P521(k))
        } else if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            ec_public(Curve::P256, EcPublic::P256(k))
        } else if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            ec_public(Curve::P384, EcPublic::P384(k))
        } else if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            ec_public(Curve::P521, EcPublic::P521(k))
        } else if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            KeyMaterial::Ed {
                public: k.verifying_key(),
                private: Some(k),
            }
        } else if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            KeyMaterial::Ed {
                public: k,
                private: None,
            }
        } else {
            return Err(err(
                "not a PEM key this tool reads (SPKI, PKCS#1 or PKCS#8; RSA, P-256/384/521, Ed25519)",
            ));
        };
        Ok(Jwk {
            kid: kid.map(str::to_string),
            alg: alg.map(str::to_string),
            use_: Some("sig".into()),
            key_ops: None,
            material,
        })
    }

    /// A new random key for `gen-fixtures` (never called at run time).
    pub fn generate(kty: KeyType, param: usize, kid: &str, alg: &str) -> Result<Jwk, KeyError> {
        use rand_core::TryRng;
        let mut rng = getrandom::SysRng;
        let mut random = |len: usize| -> Result<Vec<u8>, KeyError> {
            let mut buf = vec![0u8; len];
            rng.try_fill_bytes(&mut buf)
                .map_err(|e| err(format!("no randomness: {e}")))?;
            Ok(buf)
        };
        let material = match kty {
            KeyType::Oct => KeyMaterial::Oct(random(param)?),
            KeyType::Rsa => {
                let k = rsa::PrivateKey::new(&mut getrandom::SysRng, param)
                    .map_err(|e| err(format!("RSA key generation failed: {e}")))?;
                KeyMaterial::Rsa {
                    public: k.to_public_key(),
                    private: Some(k),
                }
            }
            KeyType::Ec => loop {
                // A random scalar is valid unless it is zero or not below n: retry then.
                let material = match param {
                    256 => p256::ecdsa::SigningKey::from_slice(&random(32)?)
                        .ok()
                        .map(|k| ec_private(EcPrivate::P256(k))),
                    384 => p384::ecdsa::SigningKey::from_slice(&random(48)?)
                        .ok()
                        .map(|k| ec_private(EcPrivate::P384(k))),
                    521 => {
                        let mut d = random(66)?;
                        d[0] &= 1;
                        p521::ecdsa::SigningKey::from_slice(&d)
                            .ok()
                            .map(|k| ec_private(EcPrivate::P521(k)))
                    }
                    other => return Err(err(format!("no EC curve of {other} bits"))),
                };
                if let Some(m) = material {
                    break m;
                }
            },
            KeyType::Okp => {
                let d: [u8; 32] = random(32)?.try_into().expect("32 bytes");
                let k = ed25519_dalek::SigningKey::from_bytes(&d);
                KeyMaterial::Ed {
                    public: k.verifying_key(),
                    private: Some(k),
                }
            }
        };
        Ok(Jwk {
            kid: Some(kid.to_string()),
            alg: Some(alg.to_string()),
            use_: Some("sig".into()),
            key_ops: None,
            material,
        })
    }
}
