//! Fault injection: every fault a bank's operations team meets, recreated, with what is
//! promised for it (docs/batch.md, "Guarantees"): the right exit code, a specific message, no
//! temporary file left, a previous output intact, and rows read = scored + rejected.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{microscore, scratch, text};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/applications.csv");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files in `dir` whose names start with a dot (the temporary files of outputs).
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn score(args: &[&str]) -> std::process::Output {
    let mut all = vec!["score", "--data", EXAMPLE];
    all.extend_from_slice(args);
    microscore(&all)
}

#[test]
fn outputs_that_are_not_regular_files_are_refused_and_left_as_they_are() {
    let dir = scratch("faults-devices");
    // A character device (whoever runs the test: the rename would replace it as root).
    let out = score(&["--out", "/dev/null", "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/dev/null: is a character device, not a regular file"),
        "{}",
        text(&out.stderr)
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    // A device node of the test's own, when the test may make one (root).
    let node = dir.join("node");
    let c = std::ffi::CString::new(s(&node)).unwrap();
    // SAFETY: mknod with a valid path; the device number is /dev/null's (1, 3).
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) } == 0;
    if made {
        let out = score(&["--out", s(&node), "--force"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(std::fs::metadata(&node)
            .unwrap()
            .file_type()
            .is_char_device());
    } else {
        eprintln!("skipped: mknod not permitted here (not root); /dev/null covers devices");
    }
    // A FIFO.
    let fifo = dir.join("fifo.csv");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = score(&["--out", s(&fifo), "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is a FIFO"),
        "{}",
        text(&out.stderr)
    );
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // A folder.
    let folder = dir.join("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let out = score(&["--out", s(&folder), "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is a folder"),
        "{}",
        text(&out.stderr)
    );
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    // Standard output is the stream: `--out -`.
    let out = score(&["--out", "-", "--quiet"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 1001);
}

#[test]
fn two_outputs_naming_one_file_are_refused_before_any_work() {
    let dir = scratch("faults-same-path");
    let x = dir.join("x.csv");
    std::fs::write(&x, "previous\n").unwrap();
    for args in [
        vec!["--out", s(&x), "--rejects", s(&x), "--force"],
        vec!["--out", s(&x), "--summary-json", s(&x), "--force"],
    ] {
        let out = score(&args);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("name the same file"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(std::fs::read_to_string(&x).unwrap(), "previous\n");
    }
    // The input is not an output either.
    let input = dir.join("in.csv");
    std::fs::copy(EXAMPLE, &input).unwrap();
    let out = microscore(&["score", "--data", s(&input), "--out", s(&input), "--force"]);
    assert!(text(&out.stderr).contains("--out and --data name the same file"));
    assert!(temporaries(&dir).is_empty());
}

#[test]
fn racing_writers_never_collide_and_never_both_succeed_without_force() {
    let dir = scratch("faults-racing");
    let reference = dir.join("reference.csv");
    assert!(score(&["--out", s(&reference), "--quiet"]).status.success());
    let expected = std::fs::read(&reference).unwrap();
    // Two processes started together on one new target, without --force.
    for round in 0..5 {
        let target = dir.join(format!("race{round}.csv"));
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_microscore"))
                .args(["score", "--data", EXAMPLE, "--out", s(&target), "--quiet"])
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let ok = [&a, &b].iter().filter(|o| o.status.success()).count();
        assert_eq!(
            ok,
            1,
            "exactly one run succeeds: {} / {}",
            text(&a.stderr),
            text(&b.stderr)
        );
        let loser = if a.status.success() { &b } else { &a };
        assert_eq!(loser.status.code(), Some(1));
        let why = text(&loser.stderr);
        assert!(
            why.contains("already exists") || why.contains("appeared while"),
            "{why}"
        );
        assert_eq!(
            std::fs::read(&target).unwrap(),
            expected,
            "the winner's file, whole"
        );
    }
    // Two writers in one process (two threads calling the library), with force: each commit
    // is a whole file, never a mix.
    let scorer =
        microscore::scoring::Scorer::new(microscore::model::builtin::default_model().unwrap());
    let target = dir.join("threads.csv");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let options = microscore::batch::BatchOptions {
                    force: true,
                    ..Default::default()
                };
                microscore::batch::score_file(
                    &scorer,
                    Path::new(EXAMPLE),
                    &target,
                    None,
                    &options,
                    |_, _| {},
                )
                .unwrap();
            });
        }
    });
    assert_eq!(std::fs::read(&target).unwrap(), expected);
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

#[test]
fn a_full_disk_leaves_no_output_no_temporary_and_the_previous_output_intact() {
    let dir = scratch("faults-disk-full");
    let target = dir.join("scores.csv");
    std::fs::write(&target, "previous\n").unwrap();
    // A file size limit stands for a full disk: writes fail with EFBIG (SIGXFSZ ignored).
    // 40 KB: the 160 KB output fits one write buffer, so the failure comes at the commit; 0 KB
    // for a large output, whose writes fail along the way.
    let big = dir.join("big.csv");
    assert!(microscore(&[
        "synth",
        "--rows",
        "60000",
        "--no-label",
        "--out",
        s(&big),
        "--quiet"
    ])
    .status
    .success());
    for (input, kb) in [(EXAMPLE, 40), (s(&big), 0)] {
        let script = format!(
            "trap '' XFSZ; ulimit -f {kb}; exec '{}' score --data '{input}' --out '{}' --force --quiet",
            env!("CARGO_BIN_EXE_microscore"),
            s(&target)
        );
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("scores.csv") && err.contains("File too large"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous\n");
        assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    }
}

#[test]
fn an_unwritable_side_output_fails_before_the_scores_are_written() {
    let dir = scratch("faults-summary");
    let target = dir.join("scores.csv");
    let missing = dir.join("no-such-folder/summary.json");
    let out = score(&["--out", s(&target), "--summary-json", s(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("summary.json"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists(), "nothing committed");
    let rejects = dir.join("no-such-folder/rejects.csv");
    let out = score(&["--out", s(&target), "--rejects", s(&rejects)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!target.exists());
    assert!(temporaries(&dir).is_empty());
    // Written together: output, rejects and summary all appear.
    let (rejects, summary) = (dir.join("rejects.csv"), dir.join("summary.json"));
    let out = score(&[
        "--out",
        s(&target),
        "--rejects",
        s(&rejects),
        "--summary-json",
        s(&summary),
    ]);
    assert!(out.status.success());
    assert!(target.exists() && rejects.exists() && summary.exists());
}

/// A 2,000,000-row job interrupted by a signal: exit 128 + the signal, no output, no
/// temporary file, a previous output intact.
#[test]
fn a_signal_mid_run_stops_cleanly() {
    let dir = scratch("faults-signals");
    let big = dir.join("big.csv");
    assert!(microscore(&[
        "synth",
        "--rows",
        "2000000",
        "--no-label",
        "--out",
        s(&big),
        "--quiet"
    ])
    .status
    .success());
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let target = dir.join("scores.csv");
        std::fs::write(&target, "previous\n").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_microscore"))
            .args([
                "score",
                "--data",
                s(&big),
                "--out",
                s(&target),
                "--force",
                "--quiet",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the run is writing (its temporary file exists), then signal it.
        let started = std::time::Instant::now();
        while temporaries(&dir).is_empty() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("interrupted"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous\n");
        assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
    }
    // synth stops cleanly too.
    let target = dir.join("synth.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_microscore"))
        .args([
            "synth",
            "--rows",
            "20000000",
            "--out",
            s(&target),
            "--quiet",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(!target.exists());
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));
}

#[test]
fn a_temporary_left_by_a_killed_run_is_removed_by_the_next() {
    let dir = scratch("faults-kill9");
    let target = dir.join("scores.csv");
    // A run killed with -9 leaves its temporary file: nothing can remove it then.
    let dead = Command::new("true").spawn().unwrap();
    let pid = dead.id();
    let mut dead = dead;
    dead.wait().unwrap();
    let stale = dir.join(format!(".scores.csv.{pid}-0.tmp"));
    let f = std::fs::File::create(&stale).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(600))
        .unwrap();
    drop(f);
    // One of a live process (this one) and a fresh one of a dead PID are left alone.
    let live = dir.join(format!(".scores.csv.{}-99.tmp", std::process::id()));
    std::fs::write(&live, "").unwrap();
    let out = score(&["--out", s(&target), "--quiet"]);
    assert!(out.status.success());
    assert!(!stale.exists(), "the dead run's temporary is removed");
    assert!(live.exists(), "a live run's temporary is not");
}

#[test]
fn a_byte_order_mark_keeps_the_id_column() {
    let dir = scratch("faults-bom");
    let input = dir.join("bom.csv");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(std::fs::read(EXAMPLE).unwrap());
    std::fs::write(&input, bytes).unwrap();
    let target = dir.join("scores.csv");
    let out = microscore(&["score", "--data", s(&input), "--out", s(&target), "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scores = std::fs::read_to_string(&target).unwrap();
    assert!(
        scores.starts_with("application_id,score,"),
        "{}",
        &scores[..60]
    );
    // UTF-16 says so.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            std::fs::read_to_string(EXAMPLE)
                .unwrap()
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(&input, utf16).unwrap();
    let out = microscore(&["score", "--data", s(&input), "--out", s(&target), "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("this file is UTF-16"),
        "{}",
        text(&out.stderr)
    );
}

/// A valid Parquet file with bytes flipped (a fixed seed): never a panic, always an error
/// naming the file or rows accounted for.
#[test]
fn corrupt_parquet_files_never_panic() {
    let dir = scratch("faults-parquet");
    let good = dir.join("good.parquet");
    assert!(
        microscore(&["synth", "--rows", "3000", "--out", s(&good), "--quiet"])
            .status
            .success()
    );
    let bytes = std::fs::read(&good).unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let bad = dir.join("bad.parquet");
    for _ in 0..150 {
        let mut b = bytes.clone();
        for _ in 0..1 + next() % 8 {
            // Half the flips in the footer, where the schema and the page index live.
            let i = if next() % 2 == 0 {
                (next() % b.len() as u64) as usize
            } else {
                b.len() - 1 - (next() % 2000.min(b.len() as u64)) as usize
            };
            b[i] = next() as u8;
        }
        std::fs::write(&bad, &b).unwrap();
        let summary = dir.join("summary.json");
        let out = microscore(&[
            "score",
            "--data",
            s(&bad),
            "--out",
            s(&dir.join("s.csv")),
            "--force",
            "--quiet",
            "--summary-json",
            s(&summary),
        ]);
        let err = text(&out.stderr);
        match out.status.code() {
            Some(1) => assert!(
                err.contains("bad.parquet") && !err.contains("panicked"),
                "{err}"
            ),
            Some(0 | 3) => {
                let s: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
                assert_eq!(
                    s["rows_read"],
                    s["rows_scored"].as_u64().unwrap() + s["rows_rejected"].as_u64().unwrap()
                );
            }
            other => panic!("exit {other:?}: {err}"),
        }
    }
    assert!(temporaries(&dir).is_empty());
}

/// Invalid UTF-8 in a Parquet binary column is a reject, as in CSV, never a missing value.
#[test]
fn invalid_utf8_in_parquet_binary_columns_is_a_reject() {
    use std::sync::Arc;
    let dir = scratch("faults-parquet-utf8");
    let csv_path = dir.join("apps.csv");
    std::fs::write(
        &csv_path,
        std::fs::read_to_string(EXAMPLE)
            .unwrap()
            .lines()
            .take(4)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let mut rd = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    // Every column as binary (bytes); row 2's monthly_revenue and row 3's province not UTF-8.
    let columns: Vec<arrow_array::ArrayRef> = header
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let values: Vec<Vec<u8>> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| match (i, name.as_str()) {
                    (1, "monthly_revenue") => vec![b'9', 0xFF, b'0'],
                    (2, "province") => vec![0xC3, 0x28],
                    _ => r[j].as_bytes().to_vec(),
                })
                .collect();
            Arc::new(arrow_array::BinaryArray::from_iter_values(values.iter()))
                as arrow_array::ArrayRef
        })
        .collect();
    let fields: Vec<arrow_schema::Field> = header
        .iter()
        .map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Binary, true))
        .collect();
    let batch =
        arrow_array::RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns)
            .unwrap();
    let path = dir.join("binary.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let rejects = dir.join("rejects.csv");
    let out = microscore(&[
        "score",
        "--data",
        s(&path),
        "--out",
        s(&dir.join("s.csv")),
        "--rejects",
        s(&rejects),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let r = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        r.contains("2,monthly_revenue,") && r.contains("3,province,"),
        "{r}"
    );
    assert_eq!(r.matches("invalid UTF-8").count(), 2, "{r}");
}

#[test]
fn model_files_that_block_never_end_or_overflow_are_refused() {
    let dir = scratch("faults-models");
    let run = |model: &Path| {
        let child = Command::new(env!("CARGO_BIN_EXE_microscore"))
            .args([
                "score",
                "--model",
                s(model),
                "--data",
                EXAMPLE,
                "--out",
                s(&dir.join("s.csv")),
                "--force",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let mut child = child;
        while child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} hangs",
                model.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    };
    let fifo = dir.join("model.fifo");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = run(&fifo);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not a regular file"),
        "{}",
        text(&out.stderr)
    );
    let endless = dir.join("endless.json");
    std::os::unix::fs::symlink("/dev/zero", &endless).unwrap();
    let out = run(&endless);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a regular file"));
    // A model whose points add up past the largest f64.
    let mut m: serde_json::Value = serde_json::from_str(microscore::model::builtin::JSON).unwrap();
    for f in m["features"].as_array_mut().unwrap().iter_mut().take(3) {
        for p in f["points"].as_array_mut().unwrap() {
            *p = serde_json::json!(1.5e308);
        }
    }
    let huge = dir.join("huge.json");
    std::fs::write(&huge, serde_json::to_string(&m).unwrap()).unwrap();
    let out = run(&huge);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a finite number"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn reports_on_a_file_without_rows_are_errors() {
    let dir = scratch("faults-empty-report");
    let header_only = dir.join("empty.csv");
    let header = std::fs::read_to_string(EXAMPLE)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&header_only, header + "\n").unwrap();
    let out = microscore(&[
        "monitor",
        "--baseline",
        EXAMPLE,
        "--current",
        s(&header_only),
        "--json",
        s(&dir.join("m.json")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no data rows"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("m.json").exists());
}

#[test]
fn a_json_lines_record_with_a_key_twice_is_a_reject() {
    let dir = scratch("faults-jsonl-dup");
    let apps = dir.join("apps.jsonl");
    assert!(
        microscore(&["synth", "--rows", "20", "--no-label", "--out", s(&apps)])
            .status
            .success()
    );
    let mut lines: Vec<String> = std::fs::read_to_string(&apps)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines[4] = lines[4].replacen('{', "{\"monthly_revenue\":1,", 1);
    std::fs::write(&apps, lines.join("\n") + "\n").unwrap();
    let rejects = dir.join("rejects.csv");
    let out = microscore(&[
        "score",
        "--data",
        s(&apps),
        "--out",
        s(&dir.join("s.jsonl")),
        "--rejects",
        s(&rejects),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let r = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        r.contains("5,,,key 'monthly_revenue' appears twice in the record"),
        "{r}"
    );
}

#[test]
fn the_c_abi_bounds_its_counts_and_refuses_repeated_names() {
    use microscore::ffi::*;
    let mut model: *mut microscore_model = std::ptr::null_mut();
    // SAFETY: valid out-pointers; every pointer passed below outlives the calls.
    unsafe {
        assert_eq!(
            microscore_model_default(&mut model, std::ptr::null_mut()),
            microscore_status::MICROSCORE_OK
        );
        let name = std::ffi::CString::new("monthly_revenue").unwrap();
        let names = [name.as_ptr(), name.as_ptr()];
        let numbers = [1000.0, 2000.0];
        let mut result = std::mem::zeroed::<microscore_result>();
        let mut err: *mut microscore_error = std::ptr::null_mut();
        // A count past the limit: refused before anything is read (no allocation abort).
        let st = microscore_score_one(
            model,
            names.as_ptr(),
            numbers.as_ptr(),
            std::ptr::null(),
            usize::MAX / 2,
            4,
            &mut result,
            &mut err,
        );
        assert_eq!(st, microscore_status::MICROSCORE_INVALID_ARGUMENT);
        microscore_error_free(err);
        err = std::ptr::null_mut();
        // The same field twice: refused, never "the last one wins".
        let st = microscore_score_one(
            model,
            names.as_ptr(),
            numbers.as_ptr(),
            std::ptr::null(),
            2,
            4,
            &mut result,
            &mut err,
        );
        assert_eq!(st, microscore_status::MICROSCORE_INVALID_ARGUMENT);
        let mut buf = [0 as std::ffi::c_char; 256];
        let mut n = 0usize;
        microscore_error_message(err, buf.as_mut_ptr(), buf.len(), &mut n);
        let message = std::ffi::CStr::from_ptr(buf.as_ptr())
            .to_string_lossy()
            .into_owned();
        assert!(
            message.contains("'monthly_revenue' is given twice"),
            "{message}"
        );
        microscore_error_free(err);
        err = std::ptr::null_mut();
        // Rows beyond any buffer.
        let x = [0.0f64; 1];
        let st = microscore_score_matrix(
            model,
            x.as_ptr(),
            usize::MAX / 4,
            microscore_model_n_inputs(model),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            usize::MAX,
            std::ptr::null_mut(),
            0,
            &mut err,
        );
        assert_eq!(st, microscore_status::MICROSCORE_INVALID_ARGUMENT);
        microscore_error_free(err);
        microscore_model_free(model);
    }
}

/// Rows read = rows scored + rows rejected on a file with every kind of fault (the batch
/// tests inject them line by line); here the invariant on a large generated file, by format.
#[test]
fn every_format_accounts_for_every_row() {
    let dir = scratch("faults-accounting");
    for ext in ["csv", "jsonl", "parquet"] {
        let input: PathBuf = dir.join(format!("apps.{ext}"));
        assert!(microscore(&[
            "synth",
            "--rows",
            "30000",
            "--seed",
            "5",
            "--no-label",
            "--out",
            s(&input),
            "--quiet"
        ])
        .status
        .success());
        let summary = dir.join(format!("summary-{ext}.json"));
        let out = microscore(&[
            "score",
            "--data",
            s(&input),
            "--out",
            s(&dir.join(format!("s.{ext}"))),
            "--summary-json",
            s(&summary),
            "--quiet",
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{}",
            text(&out.stderr)
        );
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
        assert_eq!(j["rows_read"], 30000);
        assert_eq!(
            j["rows_read"],
            j["rows_scored"].as_u64().unwrap() + j["rows_rejected"].as_u64().unwrap()
        );
    }
}
