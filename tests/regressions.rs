//! Replays every input saved under `fixtures/regressions/` (found by fuzzing) through the fuzz
//! entry points, so a fixed crash stays fixed. File names start with the target name.

use jwt_harness::fuzzing;
use jwt_harness_tests::root;

#[test]
fn replay_fuzz_regressions() {
    let dir = root().join("fixtures/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures/regressions exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "README.md" {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        // The target is the name up to the first `-` (target names use `_`).
        let target = name.split('-').next().unwrap_or("");
        match target {
            "oracle_token" => fuzzing::oracle_token(&data),
            "base64url" => fuzzing::base64url(&data),
            "json_object" => fuzzing::json_object(&data),
            "case_file" => fuzzing::case_file(&data),
            other => panic!("{name}: unknown fuzz target {other:?}"),
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
