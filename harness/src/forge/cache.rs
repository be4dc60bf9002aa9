//! The forged-token cache: tokens forged for a fixed clock are kept under `target/` and reused
//! while nothing that made them changed. The key is a SHA-256 over everything a token depends on:
//! the forge's own source (fingerprinted at build time), the crate version, the clock and seed,
//! every planned case (its whole recipe) and policy (its settings and keys, private halves
//! included), and the attacker keys. Verdicts are never cached. A cache file that cannot be read
//! or does not fit the plan is ignored and rewritten: the cache can make a run faster, never
//! different.

use super::{sign_all, Attackers, ForgeConfig, Planned, Signed};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/forge_source.rs"));

/// How many cache files are kept; older ones are removed.
const KEEP: usize = 16;

/// What the cache did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// No cache (no directory, or a clock that is not fixed).
    Off,
    /// Tokens came from this file.
    Hit(PathBuf),
    /// Tokens were forged and written to this file.
    Miss(PathBuf),
}

/// The cache key of a plan forged with `config`.
pub fn key(plan: &[Planned], attackers: &Attackers, config: &ForgeConfig) -> String {
    let mut h = Sha256::new();
    let mut put = |label: &str, bytes: &[u8]| {
        h.update((label.len() as u64).to_le_bytes());
        h.update(label.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    put("forge", &FORGE_SOURCE.to_le_bytes());
    put("version", env!("CARGO_PKG_VERSION").as_bytes());
    put("now", &config.now.to_le_bytes());
    put("seed", &config.seed.to_le_bytes());
    for k in attackers.keys() {
        put("attacker", k.private_json().to_string().as_bytes());
    }
    put("x5c", attackers.x5c.as_deref().unwrap_or("").as_bytes());
    let mut seen: Vec<*const crate::policy::Policy> = Vec::new();
    for (case, policy) in plan {
        put(
            "case",
            serde_json::to_string(&**case)
                .unwrap_or_default()
                .as_bytes(),
        );
        put("case-id", case.id.as_bytes());
        let p: *const crate::policy::Policy = &**policy;
        if !seen.contains(&p) {
            seen.push(p);
            put("policy", policy.name.as_bytes());
            put("settings", policy.protocol_json().to_string().as_bytes());
            for k in policy.keys.iter().chain(&policy.retired) {
                put("key", k.private_json().to_string().as_bytes());
            }
        }
        put("policy-of-case", policy.name.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The first line of a cache file; then one record per planned instance: a tag byte (`T` token,
/// `E` forge error, `-` does not apply), and for `T` and `E` the length as 8 decimal digits and
/// the bytes. Plain lengths, not JSON: padded-out tokens make the file megabytes long, and reading
/// it must cost far less than forging.
const MAGIC: &[u8] = b"jwt-harness forged tokens v1\n";

fn read(path: &Path, len: usize) -> Option<Vec<Signed>> {
    let bytes = std::fs::read(path).ok()?;
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let mut out = Vec::with_capacity(len);
    while let Some((&tag, after)) = rest.split_first() {
        rest = after;
        if tag == b'-' {
            out.push(None);
            continue;
        }
        let n: usize = std::str::from_utf8(rest.get(..8)?).ok()?.parse().ok()?;
        let text = std::str::from_utf8(rest.get(8..8 + n)?).ok()?.to_string();
        rest = &rest[8 + n..];
        out.push(Some(match tag {
            b'T' => Ok(text),
            b'E' => Err(text),
            _ => return None,
        }));
    }
    (out.len() == len).then_some(out)
}

fn write(dir: &Path, path: &Path, signed: &[Signed]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut bytes = MAGIC.to_vec();
    for s in signed {
        let (tag, text) = match s {
            None => {
                bytes.push(b'-');
                continue;
            }
            Some(Ok(t)) => (b'T', t),
            Some(Err(e)) => (b'E', e),
        };
        if text.len() > 99_999_999 {
            return Err(std::io::Error::other("a token too long to cache"));
        }
        bytes.push(tag);
        bytes.extend(format!("{:08}", text.len()).as_bytes());
        bytes.extend(text.as_bytes());
    }
    // Written aside and renamed: a concurrent run never reads half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    // Keep the newest few.
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "tokens"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    files.reverse();
    for (_, old) in files.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(old);
    }
    Ok(())
}

/// Forges a plan, through the cache in `dir` when there is one: a hit reads the tokens, a miss
/// forges them and writes the file.
pub fn forge_cached(
    dir: Option<&Path>,
    plan: &[Planned],
    attackers: &Attackers,
    config: &ForgeConfig,
) -> (Vec<Signed>, CacheStatus) {
    let Some(dir) = dir else {
        return (sign_all(plan, attackers, config), CacheStatus::Off);
    };
    let path = dir.join(format!("{}.tokens", key(plan, attackers, config)));
    if let Some(signed) = read(&path, plan.len()) {
        return (signed, CacheStatus::Hit(path));
    }
    let signed = sign_all(plan, attackers, config);
    match write(dir, &path, &signed) {
        Ok(()) => (signed, CacheStatus::Miss(path)),
        Err(_) => (signed, CacheStatus::Off),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_file_round_trips_and_a_damaged_one_is_ignored() {
        let dir =
            std::env::temp_dir().join(format!("jwt-harness-cache-test-{}", std::process::id()));
        let path = dir.join("k.tokens");
        let signed: Vec<Signed> = vec![
            Some(Ok("a.b.c".into())),
            None,
            Some(Err("no such key".into())),
            Some(Ok("x\ny é".into())),
        ];
        write(&dir, &path, &signed).unwrap();
        assert_eq!(read(&path, 4), Some(signed.clone()));
        assert_eq!(read(&path, 5), None, "a plan of another length");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 2);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path, 4), None, "a truncated file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
