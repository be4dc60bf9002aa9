//! Fuzz target: see `jwt_harness::fuzzing::differential_builtin`.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: jwt_harness::fuzzing::differential_builtin_init(),
    |data: &[u8]| jwt_harness::fuzzing::differential_builtin(data)
);
