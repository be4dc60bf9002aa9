//! Keys: JWK and JWK Set (RFC 7517, RFC 7518 §6, RFC 8037) and PEM, for every key type the
//! algorithms need, with the public encodings the alg-confusion attacks key HMAC with.

mod export;
mod make;

use super::b64;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::BoxedUint;
use serde_json::{json, Map, Value};

/// Key types (`kty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `RSA`.
    Rsa,
    /// `EC`.
    Ec,
    /// `OKP` (Ed25519).
    Okp,
    /// `oct`: a shared secret.
    Oct,
}

impl KeyType {
    /// The `kty` value.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC",
            KeyType::Okp => "OKP",
            KeyType::Oct => "oct",
        }
    }
}

/// Curves for EC and OKP keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// Ed25519.
    Ed25519,
}

impl Curve {
    /// The `crv` value.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
            Curve::Ed25519 => "Ed25519",
        }
    }
    /// Scalar and coordinate length in bytes.
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 | Curve::Ed25519 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// The public half of an EC key.
#[derive(Debug, Clone)]
pub enum EcPublic {
    /// P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// P-384.
    P384(p384::ecdsa::VerifyingKey),
    /// P-521.
    P521(p521::ecdsa::VerifyingKey),
}

/// The private half of an EC key.
#[derive(Clone)]
pub enum EcPrivate {
    /// P-256.
    P256(p256::ecdsa::SigningKey),
    /// P-384.
    P384(p384::ecdsa::SigningKey),
    /// P-521.
    P521(p521::ecdsa::SigningKey),
}

/// The key material of a JWK.
#[derive(Clone)]
pub enum KeyMaterial {
    /// A shared HMAC secret.
    Oct(Vec<u8>),
    /// An RSA key.
    Rsa {
        /// Public half.
        public: rsa::PublicKey,
        /// Private half, when known.
        private: Option<rsa::PrivateKey>,
    },
    /// An EC key.
    Ec {
        /// Curve.
        curve: Curve,
        /// Public half.
        public: EcPublic,
        /// Private half, when known.
        private: Option<EcPrivate>,
    },
    /// An Ed25519 key.
    Ed {
        /// Public half.
        public: ed25519_dalek::VerifyingKey,
        /// Private half, when known.
        private: Option<ed25519_dalek::SigningKey>,
    },
}

/// One key with its JWK parameters.
#[derive(Clone)]
pub struct Jwk {
    kid: Option<String>,
    alg: Option<String>,
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    material: KeyMaterial,
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material: a fingerprint is enough to tell keys apart.
        f.debug_struct("Jwk")
            .field("kid", &self.kid)
            .field("kty", &self.key_type().name())
            .field("alg", &self.alg)
            .field("thumb", &self.fingerprint())
            .finish()
    }
}

/// A key that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(msg: impl Into<String>) -> KeyError {
    KeyError(msg.into())
}

fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, KeyError> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(format!("JWK member {name:?} is not a string"))),
    }
}

fn bytes(obj: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, KeyError> {
    match member(obj, name)? {
        None => Ok(None),
        Some(s) => b64::decode_lenient(s)
            .map(Some)
            .ok_or_else(|| err(format!("JWK member {name:?} is not base64url"))),
    }
}

fn required(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, KeyError> {
    bytes(obj, name)?.ok_or_else(|| err(format!("JWK lacks member {name:?}")))
}

fn uint(bytes: &[u8]) -> BoxedUint {
    BoxedUint::from_be_slice_vartime(bytes)
}

fn be(n: &BoxedUint) -> Vec<u8> {
    n.to_be_bytes_trimmed_vartime().to_vec()
}

fn pad_to(mut bytes: Vec<u8>, len: usize) -> Vec<u8> {
    while bytes.len() < len {
        bytes.insert(0, 0);
    }
    bytes
}

impl Jwk {
    /// Reads a JWK from its JSON object (public, or with private members).
    pub fn from_json(value: &Value) -> Result<Jwk, KeyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| err("JWK is not a JSON object"))?;
        let kty = member(obj, "kty")?.ok_or_else(|| err("JWK lacks \"kty\""))?;
        let material = match kty {
            "oct" => KeyMaterial::Oct(required(obj, "k")?),
            "RSA" => {
                let n = required(obj, "n")?;
                let e = required(obj, "e")?;
                let public = rsa::PublicKey::new(uint(&n), uint(&e))
                    .map_err(|e| err(format!("bad RSA public key: {e}")))?;
                let private = match bytes(obj, "d")? {
                    None => None,
                    Some(d) => {
                        let p = required(obj, "p")?;
                        let q = required(obj, "q")?;
                        let key = rsa::PrivateKey::from_components(
                            uint(&n),
                            uint(&e),
                            uint(&d),
                            vec![uint(&p), uint(&q)],
                        )
                        .map_err(|e| err(format!("bad RSA private key: {e}")))?;
                        Some(key)
                    }
                };
                KeyMaterial::Rsa { public, private }
            }
            "EC" => {
                let crv = member(obj, "crv")?.ok_or_else(|| err("EC JWK lacks \"crv\""))?;
                let curve = match crv {
                    "P-256" => Curve::P256,
                    "P-384" => Curve::P384,
                    "P-521" => Curve::P521,
                    other => return Err(err(format!("unsupported EC curve {other:?}"))),
                };
                let len = curve.field_len();
                let x = required(obj, "x")?;
                let y = required(obj, "y")?;
                if x.len() != len || y.len() != len {
                    return Err(err(format!("EC coordinates must be {len} bytes")));
                }
                let mut sec1 = vec![4u8];
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                let bad = |e: &dyn std::fmt::Display| err(format!("bad EC key: {e}"));
                let public = match curve {
                    Curve::P256 => EcPublic::P256(
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| bad(&e))?,
                    ),
                    Curve::P384 => EcPublic::P384(
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| bad(&e))?,
                    ),
                    _ => EcPublic::P521(
                        p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| bad(&e))?,
                    ),
                };
                let private = match bytes(obj, "d")? {
                    None => None,
                    Some(d) => Some(match curve {
                        Curve::P256 => EcPrivate::P256(
                            p256::ecdsa::SigningKey::from_slice(&d).map_err(|e| bad(&e))?,
                        ),
                        Curve::P384 => EcPrivate::P384(
                            p384::ecdsa::SigningKey::from_slice(&d).map_err(|e| bad(&e))?,
                        ),
                        _ => EcPrivate::P521(
                            p521::ecdsa::SigningKey::from_slice(&d).map_err(|e| bad(&e))?,
                        ),
                    }),
                };
                KeyMaterial::Ec {
                    curve,
                    public,
                    private,
                }
            }
            "OKP" => {
                match member(obj, "crv")? {
                    Some("Ed25519") => {}
                    other => return Err(err(format!("unsupported OKP curve {other:?}"))),
                }
                let x: [u8; 32] = required(obj, "x")?
                    .try_into()
                    .map_err(|_| err("Ed25519 x must be 32 bytes"))?;
                let public = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|e| err(format!("bad Ed25519 key: {e}")))?;
                let private = match bytes(obj, "d")? {
                    None => None,
                    Some(d) => {
                        let d: [u8; 32] = d
                            .try_into()
                            .map_err(|_| err("Ed25519 d must be 32 bytes"))?;
                        Some(ed25519_dalek::SigningKey::from_bytes(&d))
                    }
                };
                KeyMaterial::Ed { public, private }
            }
            other => return Err(err(format!("unsupported key type {other:?}"))),
        };
        let key_ops = match obj.get("key_ops") {
            None => None,
            Some(Value::Array(ops)) => Some(
                ops.iter()
                    .map(|o| o.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| err("JWK key_ops must hold strings"))?,
            ),
            Some(_) => return Err(err("JWK key_ops must be an array")),
        };
        Ok(Jwk {
            kid: member(obj, "kid")?.map(str::to_string),
            alg: member(obj, "alg")?.map(str::to_string),
            use_: member(obj, "use")?.map(str::to_string),
            key_ops,
            material,
        })
    }

    /// A shared secret as an `oct` key.
    pub fn from_secret(secret: &[u8], kid: Option<&str>, alg: Option<&str>) -> Jwk {
        Jwk {
            kid: kid.map(str::to_string),
            alg: alg.map(str::to_string),
            use_: Some("sig".into()),
            key_ops: None,
            material: KeyMaterial::Oct(secret.to_vec()),
        }
    }

    /// The `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    /// The `alg` the key is restricted to, if any.
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }
    /// The `use`, if any.
    pub fn use_(&self) -> Option<&str> {
        self.use_.as_deref()
    }
    /// The `key_ops`, if any.
    pub fn key_ops(&self) -> Option<&[String]> {
        self.key_ops.as_deref()
    }
    /// The key material.
    pub fn material(&self) -> &KeyMaterial {
        &self.material
    }
    /// A copy with another kid.
    pub fn with_kid(&self, kid: Option<&str>) -> Jwk {
        Jwk {
            kid: kid.map(str::to_string),
            ..self.clone()
        }
    }

    /// The same key without an `alg` member: it serves every algorithm of its type.
    pub fn without_alg(&self) -> Jwk {
        Jwk {
            alg: None,
            ..self.clone()
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self.material {
            KeyMaterial::Oct(_) => KeyType::Oct,
            KeyMaterial::Rsa { .. } => KeyType::Rsa,
            KeyMaterial::Ec { .. } => KeyType::Ec,
            KeyMaterial::Ed { .. } => KeyType::Okp,
        }
    }

    /// The curve of an EC or OKP key.
    pub fn curve(&self) -> Option<Curve> {
        match &self.material {
            KeyMaterial::Ec { curve, .. } => Some(*curve),
            KeyMaterial::Ed { .. } => Some(Curve::Ed25519),
            _ => None,
        }
    }

    /// Whether the private half (or the secret) is known, so the key can sign.
    pub fn can_sign(&self) -> bool {
        match &self.material {
            KeyMaterial::Oct(_) => true,
            KeyMaterial::Rsa { private, .. } => private.is_some(),
            KeyMaterial::Ec { private, .. } => private.is_some(),
            KeyMaterial::Ed { private, .. } => private.is_some(),
        }
    }

    /// The shared secret of an `oct` key.
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.material {
            KeyMaterial::Oct(s) => Some(s),
            _ => None,
        }
    }
}

fn ec_private(k: EcPrivate) -> KeyMaterial {
    let (curve, public) = match &k {
        EcPrivate::P256(s) => (Curve::P256, EcPublic::P256(*s.verifying_key())),
        EcPrivate::P384(s) => (Curve::P384, EcPublic::P384(*s.verifying_key())),
        EcPrivate::P521(s) => (Curve::P521, EcPublic::P521(*s.verifying_key())),
    };
    KeyMaterial::Ec {
        curve,
        public,
        private: Some(k),
    }
}

fn ec_public(curve: Curve, public: EcPublic) -> KeyMaterial {
    KeyMaterial::Ec {
        curve,
        public,
        private: None,
    }
}

/// A JWK Set.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    /// The keys, in file order.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// Reads a JWK Set (`{"keys": [...]}`).
    pub fn from_json(value: &Value) -> Result<Jwks, KeyError> {
        let keys = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| err("JWK Set lacks a \"keys\" array"))?;
        let keys = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Jwk::from_json(k).map_err(|e| err(format!("key {i}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Jwks { keys })
    }

    /// The public JWK Set as JSON.
    pub fn public_json(&self) -> Value {
        json!({ "keys": self.keys.iter().map(Jwk::public_json).collect::<Vec<_>>() })
    }

    /// The private JWK Set as JSON.
    pub fn private_json(&self) -> Value {
        json!({ "keys": self.keys.iter().map(Jwk::private_json).collect::<Vec<_>>() })
    }
}

/// Pads big-endian bytes to a length (used for fixed-width encodings).
pub fn left_pad(bytes: Vec<u8>, len: usize) -> Vec<u8> {
    pad_to(bytes, len)
}
