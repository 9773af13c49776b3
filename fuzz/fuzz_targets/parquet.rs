#![no_main]
//! Fuzz target: see `parquet` in tests/common/fuzz_checks.rs.

#[allow(dead_code)]
#[path = "../../tests/common/fuzz_checks.rs"]
mod checks;

use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("microscore-fuzz-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::parquet(data, dir()));
