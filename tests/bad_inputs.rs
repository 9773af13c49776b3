//! The corpus of bad inputs in `tests/data/bad/` (written by `make_corpus.py` there), each run
//! through the real CLI with its expected, specific outcome: an error naming the problem, or
//! exactly the rows rejected with their reasons. Nothing panics, nothing hangs, nothing is lost.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bad")
        .join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run the CLI with a deadline: a hang is a failure, not a stuck test run.
fn run(args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_microscore"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("microscore {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = common::text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: common::text(&out.stdout),
        stderr,
    }
}

#[test]
fn bad_model_files_are_refused_with_the_file_and_the_reason() {
    let apps = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/applications.csv");
    let dir = common::scratch("bad-models");
    let cases = [
        ("model_empty.json", "EOF while parsing"),
        ("model_truncated.json", "EOF while parsing"),
        ("model_not_json.json", "is not UTF-8 text"),
        (
            "model_future_version.json",
            "format_version 99; this microscore reads version 1",
        ),
        ("model_wrong_format.json", "format is 'something-else'"),
        ("model_infinite_intercept.json", "number out of range"),
        (
            "model_tampered.json",
            "checksum mismatch: the file was modified after training",
        ),
    ];
    for (file, reason) in cases {
        let model = corpus(file);
        let out = dir.join("out.csv");
        let r = run(&[
            "score",
            "--model",
            model.to_str().unwrap(),
            "--data",
            apps.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains(file),
            "{file}: the error names the file: {}",
            r.stderr
        );
        assert!(r.stderr.contains(reason), "{file}: {}", r.stderr);
        assert!(!out.exists(), "{file}: no output on a fatal error");
        // The C ABI and Python load through the same function: same refusal.
        let text = std::fs::read(&model).unwrap();
        let loaded = String::from_utf8(text)
            .map_err(|e| e.to_string())
            .and_then(|t| microscore::model::Model::from_json(&t).map_err(|e| e.to_string()));
        assert!(loaded.is_err(), "{file} loaded");
    }
}

/// What scoring one data file must do.
enum Expect {
    /// Exit 1, no output, stderr containing this.
    Fatal(&'static str),
    /// Rows read, rows scored, and the rejects as (line, reason substring).
    Scored(u64, u64, &'static [(u64, &'static str)]),
}

#[test]
fn bad_data_files_give_specific_errors_or_rejects_and_lose_nothing() {
    use Expect::*;
    let dir = common::scratch("bad-data");
    let cases: Vec<(&str, Expect)> = vec![
        (
            "empty.csv",
            Fatal("the file is empty: a CSV file needs a header line"),
        ),
        (
            "missing_columns.csv",
            Fatal("column(s) missing from the header: monthly_revenue"),
        ),
        (
            "duplicate_header.csv",
            Fatal("column 'monthly_revenue' appears twice in the header"),
        ),
        ("header_only.csv", Scored(0, 0, &[])),
        ("bom.csv", Scored(20, 20, &[])),
        ("crlf.csv", Scored(20, 20, &[])),
        ("blank_lines.csv", Scored(3, 3, &[])),
        ("no_trailing_newline.csv", Scored(3, 3, &[])),
        (
            // 1e400 and -1e400 in monthly_revenue, the policy's revenue column: an amount must
            // be finite (never approved with a limit).
            "huge_numbers.csv",
            Scored(
                20,
                18,
                &[
                    (2, "an amount must be a finite number"),
                    (3, "an amount must be a finite number"),
                ],
            ),
        ),
        ("wide_header.csv", Scored(5, 5, &[])),
        (
            "mixed_types.csv",
            Scored(
                20,
                17,
                &[
                    (4, "text in a numeric column"),
                    (7, "text in a numeric column"),
                    (13, "text in a numeric column"),
                ],
            ),
        ),
        ("invalid_utf8.csv", Scored(20, 19, &[(6, "invalid UTF-8")])),
        (
            "wide_row.csv",
            Scored(20, 19, &[(9, "10024 fields where the header has 24")]),
        ),
        (
            // RFC 4180: the quoted line break belongs to its record (lines 5-6): one row, scored.
            "quoted_newline.csv",
            Scored(20, 20, &[]),
        ),
        (
            "jsonl_mixed.jsonl",
            Scored(
                5,
                2,
                &[
                    (2, "invalid JSON"),
                    (3, "not a JSON object"),
                    (4, "text in a numeric column"),
                ],
            ),
        ),
    ];
    for (file, expect) in cases {
        let data = corpus(file);
        let out = dir.join(format!("{file}.out.csv"));
        let rejects = dir.join(format!("{file}.rejects.csv"));
        let summary = dir.join(format!("{file}.summary.json"));
        let r = run(&[
            "score",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
            "--summary-json",
            summary.to_str().unwrap(),
            "--quiet",
        ]);
        match expect {
            Fatal(message) => {
                assert_eq!(r.code, 1, "{file}: {}", r.stderr);
                assert!(
                    r.stderr.contains(file) && r.stderr.contains(message),
                    "{file}: {}",
                    r.stderr
                );
                assert!(
                    !out.exists() && !rejects.exists(),
                    "{file}: nothing written"
                );
            }
            Scored(read, scored, expected) => {
                let expected_code = if expected.is_empty() { 0 } else { 3 };
                assert_eq!(r.code, expected_code, "{file}: {}{}", r.stdout, r.stderr);
                let s: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
                assert_eq!(s["rows_read"], read, "{file}");
                assert_eq!(s["rows_scored"], scored, "{file}");
                assert_eq!(s["rows_rejected"], read - scored, "{file}");
                // Output records (an id may hold a quoted line break).
                let output = csv::Reader::from_path(&out).unwrap().records().count();
                assert_eq!(output as u64, scored, "{file}: output rows");
                let mut rd = csv::Reader::from_path(&rejects).unwrap();
                let got: Vec<(u64, String)> = rd
                    .records()
                    .map(|rec| {
                        let rec = rec.unwrap();
                        (rec[0].parse().unwrap(), rec[3].to_string())
                    })
                    .collect();
                assert_eq!(got.len(), expected.len(), "{file}: {got:?}");
                for ((line, reason), (want_line, want)) in got.iter().zip(expected) {
                    assert_eq!(line, want_line, "{file}");
                    assert!(reason.contains(want), "{file}: line {line}: {reason}");
                }
                if file == "huge_numbers.csv" {
                    let flags: Vec<String> = csv::Reader::from_path(&out)
                        .unwrap()
                        .records()
                        .map(|r| r.unwrap().iter().next_back().unwrap().to_string())
                        .collect();
                    assert!(
                        !flags[0].contains("not_finite"),
                        "1e308 is a number: {}",
                        flags[0]
                    );
                }
            }
        }
    }
}
