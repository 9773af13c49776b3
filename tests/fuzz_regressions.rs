//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) and every crash reproducer the fuzzer
//! found (`fuzz/artifacts/<target>/`, committed after the fix) through the same checks the
//! fuzz targets run, in the normal test command.

mod common;

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for kind in ["corpus", "artifacts"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_file() {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn model_json_corpus() {
    let inputs = inputs("model_json");
    assert!(!inputs.is_empty(), "fuzz/corpus/model_json is empty");
    for (_, data) in &inputs {
        common::fuzz_checks::model_json(data);
    }
}

#[test]
fn rows_corpus() {
    let inputs = inputs("rows");
    assert!(!inputs.is_empty(), "fuzz/corpus/rows is empty");
    let dir = common::scratch("fuzz-rows");
    for (_, data) in &inputs {
        common::fuzz_checks::rows(data, &dir);
    }
}

#[test]
fn c_abi_score_corpus() {
    let inputs = inputs("c_abi_score");
    assert!(!inputs.is_empty(), "fuzz/corpus/c_abi_score is empty");
    for (_, data) in &inputs {
        common::fuzz_checks::c_abi_score(data);
    }
}

#[test]
fn parquet_corpus() {
    let inputs = inputs("parquet");
    assert!(!inputs.is_empty(), "fuzz/corpus/parquet is empty");
    let dir = common::scratch("fuzz-parquet");
    for (_, data) in &inputs {
        common::fuzz_checks::parquet(data, &dir);
    }
}

#[test]
fn jsonl_corpus() {
    let inputs = inputs("jsonl");
    assert!(!inputs.is_empty(), "fuzz/corpus/jsonl is empty");
    let dir = common::scratch("fuzz-jsonl");
    for (_, data) in &inputs {
        common::fuzz_checks::jsonl(data, &dir);
    }
}
