//! Replays every input saved under `fixtures/regressions/` (found by fuzzing) through the fuzz
//! entry points, so a fixed crash stays fixed: `fixtures/regressions/TARGET/NAME`, one directory
//! per fuzz target.

use jwt_harness::fuzzing;
use jwt_harness_tests::root;

#[test]
fn replay_fuzz_regressions() {
    let dir = root().join("fixtures/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures/regressions exists") {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue; // README.md
        }
        let target = path.file_name().unwrap().to_string_lossy().into_owned();
        for input in std::fs::read_dir(&path).unwrap() {
            let input = input.unwrap().path();
            let data = std::fs::read(&input).unwrap();
            eprintln!("replaying {}", input.display());
            match target.as_str() {
                "oracle_token" => fuzzing::oracle_token(&data),
                "base64url" => fuzzing::base64url(&data),
                "json_object" => fuzzing::json_object(&data),
                "case_file" => fuzzing::case_file(&data),
                "differential" => fuzzing::differential_builtin(&data),
                "policy" => fuzzing::policy(&data),
                "protocol" => fuzzing::protocol(&data),
                "explain" => fuzzing::explain(&data),
                other => panic!("{}: unknown fuzz target {other:?}", input.display()),
            }
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
