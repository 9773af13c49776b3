//! The checks the fuzz targets run on arbitrary bytes (`fuzz/fuzz_targets/`), shared with
//! `tests/fuzz_regressions.rs`, which replays the committed corpus and crash reproducers in the
//! normal test command. Each check panics only when an invariant breaks: a panic in the library,
//! a lost row, a non-finite score, an error without a message.
//!
//! This file is included by path from the fuzz crate, so it uses nothing else from `common`.

use std::ffi::{c_char, CString};
use std::path::Path;

use microscore::ffi::*;

/// The message of a C ABI error (and frees it); an error must say something.
fn take_error(err: *mut microscore_error) -> String {
    assert!(!err.is_null(), "a failed call must return an error object");
    let mut n = 0usize;
    let mut buf = vec![0 as c_char; 4096];
    // SAFETY: `err` came from the library; `buf` holds `buf.len()` bytes.
    let status = unsafe { microscore_error_message(err, buf.as_mut_ptr(), buf.len(), &mut n) };
    let message = if status == microscore_status::MICROSCORE_OK {
        let bytes: Vec<u8> = buf[..n].iter().map(|&c| c as u8).collect();
        String::from_utf8(bytes).expect("error messages are UTF-8")
    } else {
        // Longer than the buffer: still a message.
        "x".repeat(n.max(1))
    };
    // SAFETY: freed once.
    unsafe { microscore_error_free(err) };
    assert!(!message.is_empty(), "an error without a message");
    message
}

/// Score one application with every input missing, through the C ABI; the result must be a
/// finite score of the card.
fn score_empty(model: *const microscore_model) {
    let mut result = std::mem::MaybeUninit::<microscore_result>::zeroed();
    let mut err = std::ptr::null_mut();
    // SAFETY: zero fields; `result` is writable.
    let status = unsafe {
        microscore_score_one(
            model,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            0,
            4,
            result.as_mut_ptr(),
            &mut err,
        )
    };
    assert_eq!(
        status,
        microscore_status::MICROSCORE_OK,
        "{}",
        take_error(err)
    );
    // SAFETY: written on success.
    let r = unsafe { result.assume_init() };
    assert!(r.score.is_finite() && r.pd > 0.0 && r.pd < 1.0);
}

/// Model loader: arbitrary bytes as a model file, through the C ABI (the loader every binding
/// uses). Either a clear error, or a model that scores.
pub fn model_json(data: &[u8]) {
    let mut model = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    // SAFETY: `data` is valid for its length; out-pointers are writable.
    let status =
        unsafe { microscore_model_from_json(data.as_ptr(), data.len(), &mut model, &mut err) };
    if status == microscore_status::MICROSCORE_OK {
        assert!(!model.is_null());
        score_empty(model);
        // SAFETY: freed once.
        unsafe { microscore_model_free(model) };
    } else {
        assert!(model.is_null());
        take_error(err);
    }
}

/// The CSV/JSON Lines row parsers: arbitrary bytes as the body of a file under the default
/// model's header (CSV) or as JSON Lines, through the streaming batch scorer and the training
/// reader. Every line is scored or rejected; nothing panics.
pub fn rows(data: &[u8], dir: &Path) {
    use microscore::batch::{score_file, BatchOptions};
    let scorer =
        microscore::scoring::Scorer::new(microscore::model::builtin::default_model().unwrap());
    let header = microscore::synth::csv_header();
    for (name, content) in [
        ("in.csv", [header.as_bytes(), b"\n", data].concat()),
        ("in.jsonl", data.to_vec()),
    ] {
        let input = dir.join(name);
        std::fs::write(&input, &content).unwrap();
        let options = BatchOptions {
            force: true,
            chunk_bytes: 256,
            ..BatchOptions::default()
        };
        match score_file(
            &scorer,
            &input,
            &dir.join("out.csv"),
            Some(&dir.join("rejects.csv")),
            &options,
            |_, _| {},
        ) {
            Ok(s) => assert_eq!(s.rows_read, s.rows_scored + s.rows_rejected),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        // The training reader: a table or a specific error.
        if let Err(e) = microscore::input::table::read_table(&input, &Default::default()) {
            assert!(!e.to_string().is_empty());
        }
    }
}

/// A Parquet file of arbitrary bytes (seeded with valid files and byte flips): scored, its
/// rows accounted for, or refused with a message naming the file; never a panic.
pub fn parquet(data: &[u8], dir: &Path) {
    use microscore::batch::{score_file, BatchOptions};
    let scorer =
        microscore::scoring::Scorer::new(microscore::model::builtin::default_model().unwrap());
    let input = dir.join("in.parquet");
    std::fs::write(&input, data).unwrap();
    let options = BatchOptions {
        force: true,
        absent_columns: microscore::scoring::AbsentColumns::AsMissing,
        ..BatchOptions::default()
    };
    for out in ["out.csv", "out.parquet"] {
        match score_file(
            &scorer,
            &input,
            &dir.join(out),
            Some(&dir.join("rejects.csv")),
            &options,
            |_, _| {},
        ) {
            Ok(s) => assert_eq!(s.rows_read, s.rows_scored + s.rows_rejected),
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains("in.parquet"),
                    "the error names the file: {message}"
                );
            }
        }
    }
}

/// JSON Lines of arbitrary bytes through the file scorer and the training reader: every
/// record scored or rejected with a reason (a duplicate key included), or a specific error.
pub fn jsonl(data: &[u8], dir: &Path) {
    use microscore::batch::{score_file, BatchOptions};
    let scorer =
        microscore::scoring::Scorer::new(microscore::model::builtin::default_model().unwrap());
    let input = dir.join("in.jsonl");
    std::fs::write(&input, data).unwrap();
    for absent in [
        microscore::scoring::AbsentColumns::Error,
        microscore::scoring::AbsentColumns::AsMissing,
    ] {
        let options = BatchOptions {
            force: true,
            chunk_bytes: 128,
            absent_columns: absent,
            ..BatchOptions::default()
        };
        let rejects = dir.join("rejects.csv");
        match score_file(
            &scorer,
            &input,
            &dir.join("out.jsonl"),
            Some(&rejects),
            &options,
            |_, _| {},
        ) {
            Ok(s) => {
                assert_eq!(s.rows_read, s.rows_scored + s.rows_rejected);
                let text = std::fs::read_to_string(&rejects).unwrap();
                assert_eq!(text.lines().count() as u64, s.rows_rejected + 1);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    if let Err(e) = microscore::input::table::read_table(&input, &Default::default()) {
        assert!(!e.to_string().is_empty());
    }
}

/// Scoring through the C ABI with arbitrary bytes: fields `name=value` separated by NUL bytes
/// (values as text, or as numbers from 8 raw bytes after `#`), plus a row-major batch of the raw
/// bytes as doubles.
pub fn c_abi_score(data: &[u8]) {
    let mut model = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    // SAFETY: out-pointers are writable.
    let status = unsafe { microscore_model_default(&mut model, &mut err) };
    assert_eq!(status, microscore_status::MICROSCORE_OK);
    let mut names = Vec::new();
    let mut texts = Vec::new();
    let mut numbers = Vec::new();
    for part in data.split(|&b| b == 0) {
        let Some(eq) = part.iter().position(|&b| b == b'=' || b == b'#') else {
            continue;
        };
        names.push(CString::new(&part[..eq]).unwrap());
        let value = &part[eq + 1..];
        if part[eq] == b'#' && value.len() >= 8 {
            numbers.push(f64::from_le_bytes(value[..8].try_into().unwrap()));
            texts.push(None);
        } else {
            numbers.push(f64::NAN);
            texts.push(Some(CString::new(value).unwrap()));
        }
    }
    let name_ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    let text_ptrs: Vec<*const c_char> = texts
        .iter()
        .map(|t| t.as_ref().map_or(std::ptr::null(), |t| t.as_ptr()))
        .collect();
    let k = data.first().map_or(0, |&b| usize::from(b % 40));
    let mut result = std::mem::MaybeUninit::<microscore_result>::zeroed();
    let mut err = std::ptr::null_mut();
    // SAFETY: the arrays hold `names.len()` entries; strings are NUL-terminated.
    let status = unsafe {
        microscore_score_one(
            model,
            name_ptrs.as_ptr(),
            numbers.as_ptr(),
            text_ptrs.as_ptr(),
            names.len(),
            k,
            result.as_mut_ptr(),
            &mut err,
        )
    };
    if status == microscore_status::MICROSCORE_OK {
        // SAFETY: written on success.
        let r = unsafe { result.assume_init() };
        assert!(
            r.score.is_finite() && r.pd > 0.0 && r.pd < 1.0,
            "{}",
            r.score
        );
        assert!(r.n_reasons as usize <= k);
    } else {
        take_error(err);
    }
    // The raw bytes as a row-major batch of doubles.
    // SAFETY: `model` is a live handle.
    let n_cols = unsafe { microscore_model_n_inputs(model) };
    let x: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let n_rows = x.len() / n_cols.max(1);
    let mut scores = vec![0.0; n_rows];
    let mut err = std::ptr::null_mut();
    // SAFETY: `x` holds `n_rows * n_cols` doubles; `scores` holds `n_rows`.
    let status = unsafe {
        microscore_score_matrix(
            model,
            x.as_ptr(),
            n_rows,
            n_cols,
            0,
            scores.as_mut_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            n_rows,
            std::ptr::null_mut(),
            0,
            &mut err,
        )
    };
    if status == microscore_status::MICROSCORE_OK {
        assert!(scores.iter().all(|s| s.is_finite()));
    } else {
        take_error(err);
    }
    // SAFETY: freed once.
    unsafe { microscore_model_free(model) };
}
