#![no_main]
//! Fuzz target: see `model_json` in tests/common/fuzz_checks.rs.

#[allow(dead_code)]
#[path = "../../tests/common/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::model_json(data));
