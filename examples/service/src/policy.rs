//! The policy the service enforces, read from a jwt-harness policy file
//! (`fixtures/policies/rs256.toml` is the one it is used with): the algorithms, issuer, audience,
//! leeway and required claims. The file's other fields (key files, `signing_keys`,
//! `retired_keys`, `resource_cases`, `max_key_refresh_s`, ...) are the harness's and are ignored:
//! the keys come from the JWK Set URL instead.
//!
//! Each check becomes a setting of jsonwebtoken's [`Validation`], configured as its documentation
//! recommends: the allowed algorithms, `set_issuer`, `set_audience`, `leeway`, `validate_exp` and
//! `validate_nbf`, and `set_required_spec_claims`. What the crate cannot check is refused when the
//! file loads, never silently skipped: a required `typ` (jsonwebtoken has no typ check), a
//! required claim other than the five it knows, an algorithm it does not implement.

use jsonwebtoken::{Algorithm, AlgorithmFamily, Validation};
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

/// The fields of a policy file the service reads.
#[derive(Debug, Deserialize)]
struct PolicyFile {
    algorithms: Vec<String>,
    issuer: Option<String>,
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    leeway: u64,
    #[serde(default)]
    required_claims: Vec<String>,
    typ: Option<String>,
}

/// The claims jsonwebtoken can require (`Validation::required_spec_claims`); it ignores others.
const REQUIRABLE: [&str; 5] = ["exp", "nbf", "aud", "iss", "sub"];

/// A loaded policy: what every token must satisfy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The allowed algorithms, in the file's order.
    pub algorithms: Vec<Algorithm>,
    /// The expected issuer (`iss`), if the policy names one.
    pub issuer: Option<String>,
    /// The accepted audiences (`aud`); empty: no audience check.
    pub audience: Vec<String>,
    /// Clock-skew leeway for `exp` and `nbf`, in seconds.
    pub leeway: u64,
    /// The claims a token must carry.
    pub required_claims: Vec<String>,
}

impl Policy {
    /// Reads and checks a policy file; the error is one line naming the file.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read policy {}: {e}", path.display()))?;
        Policy::parse(&text).map_err(|e| format!("policy {}: {e}", path.display()))
    }

    /// Reads a policy from the text of a policy file.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.message().replace('\n', " "))?;
        if file.algorithms.is_empty() {
            return Err("algorithms is empty: nothing could be accepted".into());
        }
        let mut algorithms = Vec::new();
        for name in &file.algorithms {
            let alg = Algorithm::from_str(name)
                .map_err(|_| format!("jsonwebtoken does not implement algorithm {name:?}"))?;
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        if let Some(typ) = &file.typ {
            return Err(format!(
                "typ = {typ:?} is required, and jsonwebtoken has no typ check (its Validation has no typ setting)"
            ));
        }
        if let Some(c) = file
            .required_claims
            .iter()
            .find(|c| !REQUIRABLE.contains(&c.as_str()))
        {
            return Err(format!(
                "required claim {c:?}: jsonwebtoken can only require {}",
                REQUIRABLE.join(", ")
            ));
        }
        Ok(Policy {
            algorithms,
            issuer: file.issuer,
            audience: file.audience,
            leeway: file.leeway,
            required_claims: file.required_claims,
        })
    }

    /// The validation for a key of `family`: the policy's algorithms of that family only
    /// (jsonwebtoken refuses a validation listing an algorithm of another family than the key's,
    /// `verify_signature_body` in its src/decoding.rs), or `None` when the policy allows none.
    pub fn validation(&self, family: AlgorithmFamily) -> Option<Validation> {
        let algorithms: Vec<Algorithm> = self
            .algorithms
            .iter()
            .copied()
            .filter(|a| a.family() == family)
            .collect();
        let mut v = Validation::new(*algorithms.first()?);
        v.algorithms = algorithms;
        v.leeway = self.leeway;
        v.validate_exp = true;
        v.validate_nbf = true;
        match &self.issuer {
            Some(iss) => v.set_issuer(&[iss]),
            None => v.iss = None,
        }
        if self.audience.is_empty() {
            v.validate_aud = false;
        } else {
            v.set_audience(&self.audience);
        }
        v.set_required_spec_claims(&self.required_claims);
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RS256: &str = r#"
algorithms = ["RS256"]
jwks = "../keys/rs256.jwks.json"
issuer = "https://auth.example.com"
audience = ["https://api.example.com"]
leeway = 60
required_claims = ["exp", "iss", "aud", "sub"]
max_key_refresh_s = 10
resource_cases = false
"#;

    #[test]
    fn the_rs256_policy_loads_and_configures_the_validation() {
        let p = Policy::parse(RS256).unwrap();
        assert_eq!(p.algorithms, [Algorithm::RS256]);
        let v = p.validation(AlgorithmFamily::Rsa).unwrap();
        assert_eq!(v.algorithms, [Algorithm::RS256]);
        assert_eq!(v.leeway, 60);
        assert!(v.validate_exp && v.validate_nbf && v.validate_aud);
        assert_eq!(v.required_spec_claims.len(), 4);
        assert!(p.validation(AlgorithmFamily::Hmac).is_none());
    }

    #[test]
    fn what_jsonwebtoken_cannot_check_is_refused() {
        for (text, why) in [
            ("algorithms = []", "empty"),
            ("algorithms = [\"none\"]", "does not implement"),
            ("algorithms = [\"ES512\"]", "does not implement"),
            ("algorithms = [\"RS256\"]\ntyp = \"at+jwt\"", "typ"),
            (
                "algorithms = [\"RS256\"]\nrequired_claims = [\"jti\"]",
                "can only require",
            ),
            ("algorithms = \"RS256\"", "invalid type"),
            ("not toml", ""),
        ] {
            let e = Policy::parse(text).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
