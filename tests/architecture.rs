//! The shape of the code, checked: the modules of the library and of xtask import each other
//! without cycles (reading the `crate::` paths of their sources), nothing imports through
//! `lib.rs`'s re-exports, and no module outgrows ~500 lines (tests excluded).

use jwt_harness_tests::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a source file belongs to (`forge/ops.rs` → `forge`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            // Good enough for this code base: no `//` inside the string literals of paths.
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segments after every `crate::` in `code`, braces expanded one level.
fn crate_imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `jwt_harness_tests::…`, `some_crate::…`
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != "self" {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

/// The module graph of a crate, or the imports that go through the crate root.
fn graph(src: &Path) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let files: Vec<PathBuf> = sources(src)
        .into_iter()
        .filter(|f| {
            !["lib.rs", "main.rs"].contains(&f.strip_prefix(src).unwrap().to_str().unwrap())
        })
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut through_root = Vec::new();
    for f in &files {
        let m = module_of(src, f);
        let text = std::fs::read_to_string(f).unwrap();
        for target in crate_imports(&code(&text)) {
            if !modules.contains(&target) {
                through_root.push(format!("{}: crate::{target}", f.display()));
            } else if target != m {
                edges.entry(m.clone()).or_default().insert(target);
            }
        }
        edges.entry(m).or_default();
    }
    (edges, through_root)
}

/// One cycle of the graph, if there is one, as a path `a → b → a`.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for next in edges.get(n).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| p == next).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, edges, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn modules_import_each_other_without_cycles() {
    for krate in ["harness/src", "xtask/src"] {
        let (edges, through_root) = graph(&root().join(krate));
        assert!(edges.len() > 3, "{krate}: too few modules found: {edges:?}");
        assert!(
            through_root.is_empty(),
            "{krate}: imports through the crate root (import from the module itself):\n{}",
            through_root.join("\n")
        );
        if let Some(cycle) = find_cycle(&edges) {
            panic!("{krate}: import cycle {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&edges).unwrap(), ["a", "b", "c", "a"]);
    edges.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&edges), None);
    assert_eq!(
        crate_imports("use crate::{a::X, b, self};\nlet x = crate::c::f(); my_crate::d();"),
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    );
}

#[test]
fn no_module_outgrows_500_lines() {
    let mut big = Vec::new();
    for krate in ["harness/src", "harness/examples", "xtask/src"] {
        for f in sources(&root().join(krate)) {
            let text = std::fs::read_to_string(&f).unwrap();
            let lines = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => text[..i].lines().count(),
                None => text.lines().count(),
            };
            if lines > 520 {
                big.push(format!("{}: {lines} lines", f.display()));
            }
        }
    }
    assert!(big.is_empty(), "split these modules:\n{}", big.join("\n"));
}

/// The rows of the README's layout table: (backticked paths of the first column, the row).
fn layout_rows() -> Vec<(Vec<String>, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = readme
        .split("## Layout")
        .nth(1)
        .expect("README has a Layout section");
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let first = row.split('|').nth(1).unwrap_or("");
            let paths = first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            (paths, row.to_string())
        })
        .collect()
}

#[test]
fn the_readme_layout_table_matches_the_tree() {
    let rows = layout_rows();
    let named: Vec<&String> = rows.iter().flat_map(|(p, _)| p).collect();
    for path in &named {
        assert!(
            root().join(path).exists(),
            "README layout names {path}, which does not exist"
        );
    }
    // Every top-level directory is in the table.
    for e in std::fs::read_dir(root()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !name.starts_with('.') && name != "target" {
            assert!(
                named
                    .iter()
                    .any(|p| p.trim_end_matches('/') == name || p.starts_with(&format!("{name}/"))),
                "top-level directory {name}/ is missing from the README layout table"
            );
        }
    }
    // Every module of the library is named in its row.
    let src_row = &rows
        .iter()
        .find(|(p, _)| p.iter().any(|p| p == "harness/src/"))
        .expect("a harness/src/ row")
        .1;
    for e in std::fs::read_dir(root().join("harness/src")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if ["lib.rs", "main.rs"].contains(&name.as_str()) {
            continue;
        }
        let shown = if name.ends_with(".rs") {
            name.clone()
        } else {
            format!("{name}/")
        };
        assert!(
            src_row.contains(&format!("`{shown}`")),
            "harness/src/{shown} is missing from the README layout table"
        );
    }
}
