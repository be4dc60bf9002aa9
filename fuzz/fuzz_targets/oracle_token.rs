//! Fuzz target: see `jwt_harness::fuzzing::oracle_token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwt_harness::fuzzing::oracle_token(data));
