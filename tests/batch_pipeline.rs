//! The batch pipeline stops cleanly: when the writer stops (`--strict`) or the reader fails
//! (a truncated gzip file) in the middle of a file of many work units, on several threads,
//! `score_file` returns the error (it does not hang), and no output file appears.

mod common;

use std::io::Write;
use std::path::Path;

use microscore::batch::{score_file, BatchError, BatchOptions};
use microscore::scoring::Scorer;

/// The example applications repeated to `rows` rows (ids made unique), as CSV text.
fn many_rows(rows: usize) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/applications.csv"),
    )
    .expect("examples/applications.csv");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.collect();
    let mut out = format!("{header}\n");
    for i in 0..rows {
        let line = body[i % body.len()];
        let (_, rest) = line.split_once(',').unwrap();
        out.push_str(&format!("P{i:08},{rest}\n"));
    }
    out
}

fn run(threads: usize, input: &Path, output: &Path, options: &BatchOptions) -> BatchError {
    let scorer = Scorer::new(microscore::model::builtin::default_model().unwrap());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| score_file(&scorer, input, output, None, options, |_, _| {}))
        .expect_err("the run must fail")
}

#[test]
fn strict_stops_the_pipeline_at_the_first_bad_row() {
    let dir = common::scratch("pipeline-strict");
    let mut text = many_rows(20_000);
    // Break one row far into the file: a word in a numeric column.
    let at = text.match_indices('\n').nth(15_000).unwrap().0 + 1;
    let end = at + text[at..].find('\n').unwrap();
    let fields: Vec<&str> = text[at..end].split(',').collect();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "monthly_revenue").unwrap();
    let mut bad: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    bad[col] = "lots".into();
    text.replace_range(at..end, &bad.join(","));
    let input = dir.join("in.csv");
    std::fs::write(&input, text).unwrap();
    for threads in [1, 2, 3] {
        let output = dir.join(format!("out{threads}.csv"));
        let options = BatchOptions {
            strict: true,
            chunk_bytes: 4096,
            ..BatchOptions::default()
        };
        match run(threads, &input, &output, &options) {
            BatchError::Strict { reject, .. } => {
                // Line 1 is the header: data row 15,000 (0-based) is line 15,002.
                assert_eq!(reject.line, 15_002);
                assert_eq!(reject.column, "monthly_revenue");
                assert_eq!(reject.value, "lots");
            }
            other => panic!("expected the strict error, got {other}"),
        }
        assert!(
            !output.exists(),
            "a strict failure left {}",
            output.display()
        );
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "temporary files left behind"
    );
}

#[test]
fn a_truncated_gzip_input_fails_without_output() {
    let dir = common::scratch("pipeline-gzip");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(many_rows(20_000).as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let input = dir.join("in.csv.gz");
    std::fs::write(&input, &bytes[..bytes.len() * 2 / 3]).unwrap();
    for threads in [1, 2] {
        let output = dir.join(format!("out{threads}.csv"));
        let options = BatchOptions {
            chunk_bytes: 4096,
            ..BatchOptions::default()
        };
        match run(threads, &input, &output, &options) {
            BatchError::Io { path, .. } => assert_eq!(path, input),
            other => panic!("expected an I/O error on the input, got {other}"),
        }
        assert!(!output.exists());
    }
}
