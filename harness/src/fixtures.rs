//! Where the catalog, the default policies, their test-only keys and the backend files come from:
//! a project directory holding `fixtures/` (a checkout, or `--root`), or the copy embedded in the
//! crate at build time, so that the library and the binary work when installed from a registry.
//!
//! Every key embedded here is a TEST-ONLY fixture (see `fixtures/keys/README.md`): public by
//! design, never to be trusted by anything.

use crate::cases::{self, Catalog};
use crate::deviations::BackendFile;
use crate::error::{Error, Result};
use crate::forge::Attackers;
use crate::policy::{Policy, DEFAULT_POLICIES};
use std::path::{Component, Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// A source of fixture files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fixtures {
    /// The copy embedded in this build.
    Embedded,
    /// A project directory holding `fixtures/` (its `cases/`, `policies/`, `keys/`, `backends/`).
    Dir(PathBuf),
}

/// The project directory: `$JWT_HARNESS_ROOT`, else the current directory or the nearest of its
/// parents whose `fixtures/` (a real directory, not the crate's link to it) holds `cases/`,
/// `policies/` and the attacker keys: a jwt-harness checkout or a project laid out like one, not
/// any project that happens to have a `fixtures/cases/`.
pub fn project_root() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("JWT_HARNESS_ROOT") {
        return Some(PathBuf::from(dir));
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|dir| {
            std::fs::symlink_metadata(dir.join("fixtures")).is_ok_and(|m| m.is_dir())
                && dir.join("fixtures/cases").is_dir()
                && dir.join("fixtures/policies").is_dir()
                && dir
                    .join("fixtures/keys/attacker.private.jwks.json")
                    .is_file()
        })
        .map(Path::to_path_buf)
}

/// Resolves `.` and `..` in a relative path without touching the disk.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

impl Fixtures {
    /// The project directory if there is one (see [`project_root`]), else the embedded copy.
    pub fn find() -> Fixtures {
        project_root().map_or(Fixtures::Embedded, Fixtures::Dir)
    }

    /// The project directory, for a directory source.
    pub fn root(&self) -> Option<&Path> {
        match self {
            Fixtures::Embedded => None,
            Fixtures::Dir(root) => Some(root),
        }
    }

    /// Reads `fixtures/REL`; `Ok(None)` when there is no such file.
    pub fn read(&self, rel: &str) -> Result<Option<String>> {
        match self {
            Fixtures::Embedded => Ok(FILES
                .iter()
                .find(|(name, _)| *name == rel)
                .map(|(_, text)| text.to_string())),
            Fixtures::Dir(root) => {
                let path = root.join("fixtures").join(rel);
                match std::fs::read_to_string(&path) {
                    Ok(t) => Ok(Some(t)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::Config(format!(
                        "cannot read {}: {e}",
                        path.display()
                    ))),
                }
            }
        }
    }

    /// The names of the `.toml` files in `fixtures/SUB/`, sorted, without the extension.
    pub fn list(&self, sub: &str) -> Result<Vec<String>> {
        let mut names: Vec<String> = match self {
            Fixtures::Embedded => FILES
                .iter()
                .filter_map(|(name, _)| name.strip_prefix(sub)?.strip_prefix('/'))
                .filter_map(|n| n.strip_suffix(".toml"))
                .map(str::to_string)
                .collect(),
            Fixtures::Dir(root) => {
                let dir = root.join("fixtures").join(sub);
                let entries = std::fs::read_dir(&dir)
                    .map_err(|e| Error::Config(format!("cannot read {}: {e}", dir.display())))?;
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
                    .collect()
            }
        };
        names.sort();
        Ok(names)
    }

    /// Where the files come from, for messages.
    pub fn describe(&self) -> String {
        match self {
            Fixtures::Embedded => "the built-in fixtures".into(),
            Fixtures::Dir(root) => root.join("fixtures").display().to_string(),
        }
    }

    /// The catalog of `fixtures/cases/`.
    pub fn catalog(&self) -> Result<Catalog> {
        match self {
            Fixtures::Dir(root) => cases::load_dir(&root.join("fixtures/cases")),
            Fixtures::Embedded => {
                let mut catalog = Catalog::default();
                for family in self.list("cases")? {
                    let text = self
                        .read(&format!("cases/{family}.toml"))?
                        .unwrap_or_default();
                    catalog.cases.extend(cases::parse_family(&family, &text)?);
                }
                Ok(catalog)
            }
        }
    }

    /// A `--policy` argument: a policy file, or the name of a default policy (`rs256`) when no
    /// file of that name exists, so an installed `jwt-harness` runs without a checkout.
    pub fn load_policy(&self, path: &Path) -> Result<Policy> {
        match path.to_str() {
            Some(name) if !path.exists() && DEFAULT_POLICIES.contains(&name) => self.policy(name),
            _ => Policy::load(path),
        }
    }

    /// A default policy by name (`rs256`), from these fixtures.
    pub fn policy(&self, name: &str) -> Result<Policy> {
        match self {
            Fixtures::Dir(root) => {
                Policy::load(root.join("fixtures/policies").join(format!("{name}.toml")))
            }
            Fixtures::Embedded => {
                let rel = format!("policies/{name}.toml");
                let text = self
                    .read(&rel)?
                    .ok_or_else(|| Error::Config(format!("no built-in policy {name:?}")))?;
                let read = |p: &Path| -> std::io::Result<String> {
                    normalize(p)
                        .and_then(|rel| FILES.iter().find(|(n, _)| *n == rel))
                        .map(|(_, t)| t.to_string())
                        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
                };
                Policy::from_toml_with(&text, Path::new("policies"), name, &read)
                    .map_err(|e| Error::Config(format!("built-in policy {name}: {e}")))
            }
        }
    }

    /// The default policies, in report order.
    pub fn default_policies(&self) -> Result<Vec<Policy>> {
        DEFAULT_POLICIES.iter().map(|n| self.policy(n)).collect()
    }

    /// The built-in attacker keys.
    pub fn attackers(&self) -> Result<Attackers> {
        let rel = "keys/attacker.private.jwks.json";
        let jwks = self
            .read(rel)?
            .ok_or_else(|| Error::Config(format!("no {rel} in {}", self.describe())))?;
        let x5c = self.read("keys/attacker-rs.cert.der.b64")?;
        Attackers::from_texts(rel, &jwks, x5c.as_deref())
    }

    /// `fixtures/backends/NAME.toml`; a missing file is an empty one.
    pub fn backend_file(&self, name: &str) -> Result<BackendFile> {
        let rel = format!("backends/{name}.toml");
        match self.read(&rel)? {
            Some(text) => BackendFile::parse(&format!("fixtures/{rel}"), &text),
            None => Ok(BackendFile::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_copy_is_complete() {
        let e = Fixtures::Embedded;
        let catalog = e.catalog().unwrap();
        assert!(catalog.cases.len() > 500, "{}", catalog.cases.len());
        assert_eq!(e.default_policies().unwrap().len(), DEFAULT_POLICIES.len());
        assert!(e
            .attackers()
            .unwrap()
            .for_alg(crate::jose::Alg::RS256)
            .is_some());
        assert!(!e
            .backend_file("jsonwebtoken")
            .unwrap()
            .deviations
            .is_empty());
        assert!(e
            .backend_file("no-such-backend")
            .unwrap()
            .deviations
            .is_empty());
    }

    /// No dead cases: every case of the catalog is forged under at least one default policy.
    #[test]
    fn every_case_applies_under_a_default_policy() {
        let e = Fixtures::Embedded;
        let catalog = e.catalog().unwrap();
        let policies = e.default_policies().unwrap();
        let attackers = e.attackers().unwrap();
        let dead: Vec<&str> = catalog
            .cases
            .iter()
            .filter(|c| {
                policies.iter().all(|p| {
                    !matches!(
                        crate::forge::forge_one(c, p, &attackers, 1_764_350_000, 0),
                        Ok(Some(_))
                    )
                })
            })
            .map(|c| c.id.as_str())
            .collect();
        assert!(dead.is_empty(), "cases no default policy runs: {dead:?}");
    }

    /// Every backend file says who selects the key, with the resolver or why there is none: the
    /// matrix shows it, and the key-selection cases mean something different either way.
    #[test]
    fn every_backend_file_declares_its_key_selection() {
        let e = Fixtures::Embedded;
        let names = e.list("backends").unwrap();
        assert!(names.len() >= 21, "{names:?}");
        for name in names {
            let file = e.backend_file(&name).unwrap();
            assert!(
                file.key_selection.is_some() && file.key_selection_note.is_some(),
                "fixtures/backends/{name}.toml declares no key_selection"
            );
        }
    }

    #[test]
    fn relative_paths_resolve_inside_the_fixtures() {
        assert_eq!(
            normalize(Path::new("policies/../keys/a.json")).as_deref(),
            Some("keys/a.json")
        );
        assert_eq!(normalize(Path::new("../../etc/passwd")), None);
    }
}
