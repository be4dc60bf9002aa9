//! Embeds the built-in catalog, default policies, their test-only keys and the backend files
//! (`fixtures/`, a link to the repository's `fixtures/` in a checkout and a copy in the packaged
//! crate), so the library works from a crate installed anywhere; and fingerprints the forge's own
//! source, part of the key of the forged-token cache.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for p in files(dir) {
        if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("source directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        sources(&d, out);
    }
}

/// FNV-1a over bytes.
fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let fixtures = manifest.join("fixtures");
    println!("cargo:rerun-if-changed=fixtures");
    let mut code = String::from(
        "/// Every embedded fixture file: (path below `fixtures/`, text).\n\
         pub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for sub in ["cases", "policies", "keys", "backends"] {
        let dir = fixtures.join(sub);
        println!("cargo:rerun-if-changed=fixtures/{sub}");
        for path in files(&dir) {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file name");
            let _ = writeln!(
                code,
                "    ({:?}, include_str!({:?})),",
                format!("{sub}/{name}"),
                path.display().to_string()
            );
        }
    }
    code.push_str("];\n");
    // The forge's source: a change to how tokens are made invalidates every cached token.
    let mut forge_sources = Vec::new();
    for dir in ["src/forge", "src/jose", "src/cases"] {
        println!("cargo:rerun-if-changed={dir}");
        sources(&manifest.join(dir), &mut forge_sources);
    }
    forge_sources.push(manifest.join("src/policy.rs"));
    println!("cargo:rerun-if-changed=src/policy.rs");
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in &forge_sources {
        h = fnv(
            h,
            p.strip_prefix(&manifest)
                .unwrap_or(p)
                .to_string_lossy()
                .as_bytes(),
        );
        h = fnv(h, &std::fs::read(p).expect("source file"));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("embedded.rs"), code).expect("write embedded.rs");
    let source = format!(
        "/// A fingerprint of the forge's own source (forge, jose, cases, policy).\nconst FORGE_SOURCE: u64 = {h:#x};\n"
    );
    std::fs::write(out.join("forge_source.rs"), source).expect("write forge_source.rs");
}
