//! Policies: what a validator must enforce, read from TOML files.
//!
//! ```toml
//! # fixtures/policies/rs256.toml
//! algorithms = ["RS256"]                      # the allowlist, exact names
//! jwks = "../keys/rs256.jwks.json"            # trusted keys; relative to this file
//! signing_keys = "../keys/rs256.private.jwks.json"  # optional: private halves, matched by kid
//! retired_keys = "../keys/rs-retired.private.jwks.json"  # optional: rotated-out keys (private)
//! issuer = "https://auth.example.com"         # optional: the exact expected iss
//! audience = ["https://api.example.com"]      # optional: aud must contain one of these
//! leeway = 60                                 # seconds of clock skew on exp and nbf
//! required_claims = ["exp", "iss", "aud", "sub"]
//! typ = "at+jwt"                              # optional: the required typ header
//!
//! [[key]]                                     # optional: more trusted keys, from PEM or text
//! pem = "keys/gateway.pub.pem"
//! kid = "gw-1"
//! alg = "RS256"
//! ```
//!
//! Private halves are only ever used by the forge; backends receive the public JWK Set
//! ([`Policy::protocol_json`]). A policy whose keys cannot sign (a real gateway's public JWKS)
//! still runs every case that does not need a trusted signature.

use crate::error::{Error, Result};
use crate::jose::{Alg, Jwk, Jwks, KeyType};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A validation policy: the auth configuration a validator is tested against.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Short name used in case ids (`case@name`): the file stem unless set.
    pub name: String,
    /// The allowlist.
    pub algorithms: Vec<Alg>,
    /// Trusted keys (with private halves where known).
    pub keys: Vec<Jwk>,
    /// Rotated-out keys, no longer trusted (private halves).
    pub retired: Vec<Jwk>,
    /// The exact expected issuer.
    pub issuer: Option<String>,
    /// Accepted audiences.
    pub audience: Vec<String>,
    /// Clock-skew tolerance in seconds.
    pub leeway: u64,
    /// Claims that must be present.
    pub required_claims: Vec<String>,
    /// The required `typ` header value.
    pub typ: Option<String>,
    /// Whether the catalog's resource cases (tag `resource-exhaustion`: megabyte tokens, deep
    /// nesting) run under this policy (`resource_cases`, default true). Of the default policies
    /// only `hs256` runs them, so each backend meets them once per run.
    pub resource_cases: bool,
    /// Where an HTTP target may take the token from (`token_locations`): `header` (the default,
    /// `Authorization: Bearer`), `query` and `body` (RFC 6750 §2.3 and §2.2). A target that
    /// accepts a token from an undeclared place is a finding (family `transport`).
    pub token_locations: Vec<String>,
    /// How long an HTTP target may keep a cached key set (`max_key_refresh_s`): the bound of
    /// the rotation scenarios ([`crate::rotation`]); `None`: no rotation is played.
    pub max_key_refresh_s: Option<u64>,
    /// The file it was read from.
    pub source: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: Option<String>,
    algorithms: Vec<String>,
    jwks: Option<PathBuf>,
    signing_keys: Option<PathBuf>,
    retired_keys: Option<PathBuf>,
    issuer: Option<String>,
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    leeway: u64,
    #[serde(default)]
    required_claims: Vec<String>,
    typ: Option<String>,
    resource_cases: Option<bool>,
    token_locations: Option<Vec<String>>,
    max_key_refresh_s: Option<u64>,
    #[serde(default)]
    key: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    pem: Option<PathBuf>,
    secret: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
}

/// Reads a key file named in a policy (from disk, or from the embedded fixtures).
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

fn read_jwks(path: &Path, read: ReadFile<'_>) -> Result<Jwks> {
    let text = read(path)
        .map_err(|e| Error::Config(format!("cannot read key set {}: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Config(format!("key set {} is not JSON: {e}", path.display())))?;
    Jwks::from_json(&value).map_err(|e| Error::Config(format!("key set {}: {e}", path.display())))
}

impl Policy {
    /// Reads a policy file.
    pub fn load(path: impl AsRef<Path>) -> Result<Policy> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read policy {}: {e}", path.display())))?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("policy")
            .to_string();
        let base = path.parent().unwrap_or(Path::new("."));
        let mut policy = Policy::from_toml(&text, base, &stem)
            .map_err(|e| Error::Config(format!("policy {}: {e}", path.display())))?;
        policy.source = Some(path.to_path_buf());
        Ok(policy)
    }

    /// Reads a policy from TOML text; relative paths are resolved against `base`.
    pub fn from_toml(text: &str, base: &Path, default_name: &str) -> Result<Policy> {
        Policy::from_toml_with(text, base, default_name, &|p| std::fs::read_to_string(p))
    }

    /// Reads a policy from TOML text; relative paths are resolved against `base` and read with
    /// `read`.
    pub fn from_toml_with(
        text: &str,
        base: &Path,
        default_name: &str,
        read: ReadFile<'_>,
    ) -> Result<Policy> {
        let file: PolicyFile = toml::from_str(text)
            .map_err(|e| Error::Config(e.message().to_string() + &span_note(text, e.span())))?;
        let mut algorithms = Vec::new();
        for name in &file.algorithms {
            let alg = Alg::parse(name).ok_or_else(|| {
                Error::Config(format!(
                    "algorithm {name:?} is not one this tool knows (names are case-sensitive; \"none\" is never allowed)"
                ))
            })?;
            algorithms.push(alg);
        }
        if algorithms.is_empty() {
            return Err(Error::Config("algorithms must not be empty".into()));
        }
        let mut keys = match &file.jwks {
            Some(p) => read_jwks(&base.join(p), read)?.keys,
            None => Vec::new(),
        };
        for entry in &file.key {
            let key = match (&entry.pem, &entry.secret) {
                (Some(pem), None) => {
                    let path = base.join(pem);
                    let text = read(&path).map_err(|e| {
                        Error::Config(format!("cannot read key {}: {e}", path.display()))
                    })?;
                    Jwk::from_pem(&text, entry.kid.as_deref(), entry.alg.as_deref())
                        .map_err(|e| Error::Config(format!("key {}: {e}", path.display())))?
                }
                (None, Some(secret)) => Jwk::from_secret(
                    secret.as_bytes(),
                    entry.kid.as_deref(),
                    entry.alg.as_deref(),
                ),
                _ => {
                    return Err(Error::Config(
                        "each [[key]] needs exactly one of pem or secret".into(),
                    ))
                }
            };
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(Error::Config(
                "the policy trusts no key (set jwks or [[key]])".into(),
            ));
        }
        if let Some(p) = &file.signing_keys {
            let private = read_jwks(&base.join(p), read)?.keys;
            for key in keys.iter_mut() {
                if key.can_sign() {
                    continue;
                }
                let same = private
                    .iter()
                    .find(|k| k.kid() == key.kid() && k.public_json() == key.public_json());
                if let Some(k) = same {
                    *key = k.clone();
                }
            }
        }
        let retired = match &file.retired_keys {
            Some(p) => read_jwks(&base.join(p), read)?.keys,
            None => Vec::new(),
        };
        for alg in &algorithms {
            if !keys.iter().any(|k| alg.fits(k)) {
                return Err(Error::Config(format!(
                    "algorithm {alg} is allowed but no trusted key fits it"
                )));
            }
        }
        Ok(Policy {
            name: file.name.unwrap_or_else(|| default_name.to_string()),
            algorithms,
            keys,
            retired,
            issuer: file.issuer,
            audience: file.audience,
            leeway: file.leeway,
            required_claims: file.required_claims,
            typ: file.typ,
            resource_cases: file.resource_cases.unwrap_or(true),
            token_locations: file
                .token_locations
                .unwrap_or_else(|| vec!["header".to_string()]),
            max_key_refresh_s: file.max_key_refresh_s,
            source: None,
        })
    }

    /// The trusted keys that fit `alg` (type, curve, and the key's own `alg` if it has one).
    pub fn keys_for(&self, alg: Alg) -> Vec<&Jwk> {
        self.keys.iter().filter(|k| alg.may_use(k)).collect()
    }

    /// Whether any trusted key has this type and fits an allowed algorithm.
    pub fn has_key_type(&self, kty: KeyType) -> bool {
        self.algorithms
            .iter()
            .any(|a| a.key_type() == kty && !self.keys_for(*a).is_empty())
    }

    /// The public JWK Set backends receive.
    pub fn public_jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(Jwk::public_json).collect::<Vec<_>>() })
    }

    /// The policy object of docs/PROTOCOL.md v1.
    pub fn protocol_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert(
            "algorithms".into(),
            json!(self.algorithms.iter().map(|a| a.name()).collect::<Vec<_>>()),
        );
        obj.insert("jwks".into(), self.public_jwks());
        if let Some(iss) = &self.issuer {
            obj.insert("issuer".into(), json!(iss));
        }
        if !self.audience.is_empty() {
            obj.insert("audience".into(), json!(self.audience));
        }
        obj.insert("leeway".into(), json!(self.leeway));
        obj.insert("required_claims".into(), json!(self.required_claims));
        if let Some(typ) = &self.typ {
            obj.insert("typ".into(), json!(typ));
        }
        Value::Object(obj)
    }

    /// Whether a claim is required.
    pub fn requires(&self, claim: &str) -> bool {
        self.required_claims.iter().any(|c| c == claim)
    }
}

fn span_note(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// The default policies shipped in `fixtures/policies/`, in report order.
pub const DEFAULT_POLICIES: [&str; 9] = [
    "hs256", "rs256", "es256", "eddsa", "mixed", "hs-all", "es-all", "rsa-all", "at-jwt",
];
