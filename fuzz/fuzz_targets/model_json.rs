#![no_main]
//! Fuzz target: see `model_json` in tests/common/fuzz_checks.rs.

#[path = "../../tests/common/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::model_json(data));
