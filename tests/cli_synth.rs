//! The real `microscore` binary: `synth` and error reporting.

mod common;

use common::scratch;
use std::process::{Command, Output};

fn microscore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microscore"))
        .args(args)
        .output()
        .expect("the microscore binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn synth_writes_a_deterministic_file_atomically() {
    let dir = scratch("det");
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    let out = microscore(&[
        "synth",
        "--rows",
        "5000",
        "--seed",
        "3",
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrote 5000 applications"),
        "{}",
        stderr(&out)
    );
    let out = microscore(&[
        "synth",
        "--rows",
        "5000",
        "--seed",
        "3",
        "--threads",
        "1",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&a).unwrap();
    assert_eq!(bytes, std::fs::read(&b).unwrap());
    assert_eq!(bytes.iter().filter(|&&c| c == b'\n').count(), 5001);
    // Only the two outputs: no temporary file left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn synth_to_stdout_and_jsonl_by_extension() {
    let out = microscore(&["synth", "--rows", "10", "-q"]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("application_id,province,"));
    assert_eq!(text.lines().count(), 11);

    let dir = scratch("jsonl");
    let path = dir.join("apps.jsonl");
    let out = microscore(&["synth", "--rows", "10", "--out", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 10);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["application_id"].is_string());
        assert!(v["default_12m"].is_i64());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn existing_output_is_kept_without_force() {
    let dir = scratch("force");
    let path = dir.join("a.csv");
    std::fs::write(&path, "precious").unwrap();
    let out = microscore(&["synth", "--rows", "5", "--out", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already exists; pass --force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    let out = microscore(&[
        "synth",
        "--rows",
        "5",
        "--force",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn user_mistakes_give_one_line_and_no_panic() {
    let cases: [&[&str]; 4] = [
        &["synth", "--rows", "many"],
        &["synth", "--format", "xlsx"],
        &[
            "synth",
            "--rows",
            "5",
            "--out",
            "/nonexistent-dir/x/apps.csv",
        ],
        &["synth", "--rows", "5", "--threads", "0"],
    ];
    for args in cases {
        let out = microscore(args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
        assert!(err.contains("error"), "{args:?}: {err}");
    }
    let err = stderr(&microscore(&[
        "synth",
        "--rows",
        "5",
        "--out",
        "/nonexistent-dir/x/a.csv",
    ]));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent-dir/x/a.csv"), "{err}");
}

#[test]
fn help_speaks_to_analysts() {
    let out = microscore(&["synth", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--rows") && text.contains("--seed") && text.contains("default_12m"));
}
