//! Fuzz target: see `jwt_harness::fuzzing::protocol`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwt_harness::fuzzing::protocol(data));
