//! Streaming batch scoring through the real binary: faults, counts, formats, atomicity.

mod common;

use common::{microscore, text};
use microscore::model::builtin::default_model;
use microscore::scoring::Scorer;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/applications.csv");

/// `microscore score --data INPUT --out OUTPUT -q EXTRA...`, which must score every row.
fn score_all(input: &std::path::Path, output: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "score",
        "--data",
        input.to_str().unwrap(),
        "--out",
        output.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let run = microscore(&args);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&run.stderr)
    );
}

fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The example file with one fault of every kind injected, and the lines they are on.
fn faulty_file(dir: &std::path::Path) -> (std::path::PathBuf, Vec<(u64, &'static str)>) {
    let original = std::fs::read_to_string(EXAMPLE).unwrap();
    let mut lines: Vec<Vec<u8>> = original.lines().map(|l| l.as_bytes().to_vec()).collect();
    let header: Vec<String> = original
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let set = |line: &mut Vec<u8>, c: usize, v: &[u8]| {
        let mut fields: Vec<Vec<u8>> = line.split(|&b| b == b',').map(<[u8]>::to_vec).collect();
        fields[c] = v.to_vec();
        *line = fields.join(&b","[..]);
    };
    let mut faults = Vec::new();
    // Line numbers are 1-based with the header on line 1: data row i is on line i + 1.
    lines[10].truncate(20); // too few fields
    faults.push((11, "fields where the header has"));
    set(&mut lines[20], col("monthly_revenue"), b"lots"); // text in a numeric column
    faults.push((21, "text in a numeric column"));
    set(&mut lines[30], col("province"), b"\"Henan"); // broken quoting
    faults.push((31, "broken quoting"));
    set(&mut lines[40], col("application_id"), &[0xff, 0xfe, b'x']); // invalid UTF-8 in the id
    faults.push((41, "invalid UTF-8"));
    set(&mut lines[50], col("requested_amount"), b""); // required by the policy
    faults.push((51, "required by the decision policy"));
    lines[60].extend_from_slice(b",extra"); // too many fields
    faults.push((61, "fields where the header has"));
    set(&mut lines[65], col("requested_amount"), b"-5000"); // never approved with a limit
    faults.push((66, "an amount cannot be negative"));
    set(&mut lines[67], col("monthly_revenue"), b"inf"); // the policy's revenue: must be finite
    faults.push((68, "an amount must be a finite number"));
    // Unusual but scoreable: flagged, not rejected.
    set(&mut lines[70], col("province"), b"Atlantis");
    set(&mut lines[80], col("debt_to_income"), b"inf");
    // A blank line is not a row.
    lines.insert(90, Vec::new());
    let path = dir.join("faulty.csv");
    let mut bytes = lines.join(&b"\n"[..]);
    bytes.push(b'\n');
    std::fs::write(&path, bytes).unwrap();
    (path, faults)
}

#[test]
fn every_row_is_scored_or_rejected_with_its_line_and_reason() {
    let dir = common::scratch("batch-faults");
    let (input, faults) = faulty_file(&dir);
    let out = dir.join("scores.csv");
    let rejects = dir.join("rejects.csv");
    let summary = dir.join("summary.json");
    let run = microscore(&[
        "score",
        "--data",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(3),
        "some rows rejected: {}",
        text(&run.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(s["rows_read"], 1000);
    assert_eq!(s["rows_rejected"], faults.len());
    assert_eq!(s["rows_scored"], 1000 - faults.len());
    let (_, scored) = read_csv(&out);
    let (rheader, rejected) = read_csv(&rejects);
    assert_eq!(rheader, ["line", "column", "value", "reason", "raw"]);
    assert_eq!(scored.len() + rejected.len(), 1000);
    for ((line, reason), row) in faults.iter().zip(&rejected) {
        assert_eq!(row[0], line.to_string(), "{row:?}");
        assert!(row[3].contains(reason), "line {line}: {row:?}");
    }
    assert_eq!(rejected[1][1], "monthly_revenue");
    assert_eq!(rejected[1][2], "lots");
    // The unusual rows were scored and flagged.
    let flagged = |id: &str| {
        scored
            .iter()
            .find(|r| r[0] == id)
            .unwrap()
            .last()
            .unwrap()
            .clone()
    };
    assert!(flagged("A000000070").contains("unseen_category"));
    assert!(flagged("A000000080").contains("not_finite"));
    // Strict mode stops at the first fault and writes nothing.
    let strict_out = dir.join("strict.csv");
    let run = microscore(&[
        "score",
        "--data",
        input.to_str().unwrap(),
        "--out",
        strict_out.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = text(&run.stderr);
    assert!(err.contains("line 11") && err.contains("--strict"), "{err}");
    assert!(!strict_out.exists());
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.'))
            .count(),
        0,
        "temporary file left behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn output_is_identical_for_any_thread_count_block_size_and_format() {
    let dir = common::scratch("batch-threads");
    let big = dir.join("apps.csv");
    let run = microscore(&[
        "synth",
        "--rows",
        "60000",
        "--seed",
        "3",
        "--no-label",
        "-q",
        "--out",
        big.to_str().unwrap(),
    ]);
    assert!(run.status.success());
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.join(format!("s{threads}.csv"));
        let run = microscore(&[
            "score",
            "--data",
            big.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
            "--keep",
            "province,requested_amount",
            "-q",
        ]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));

    // Library: small blocks give the same bytes as large ones.
    let scorer = Scorer::new(default_model().unwrap());
    let small = dir.join("small-blocks.csv");
    let options = microscore::batch::BatchOptions {
        chunk_bytes: 10_000,
        keep: vec!["province".into(), "requested_amount".into()],
        ..Default::default()
    };
    let s =
        microscore::batch::score_file(&scorer, &big, &small, None, &options, |_, _| {}).unwrap();
    assert_eq!(s.rows_read, 60_000);
    assert_eq!(std::fs::read(&small).unwrap(), outputs[0]);

    // JSON Lines input, gzip input and JSON Lines output all give the same scores.
    let jsonl = dir.join("apps.jsonl");
    assert!(microscore(&[
        "synth",
        "--rows",
        "60000",
        "--seed",
        "3",
        "--no-label",
        "-q",
        "--out",
        jsonl.to_str().unwrap()
    ])
    .status
    .success());
    let gz = dir.join("apps.csv.gz");
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&std::fs::read(&big).unwrap()).unwrap();
        enc.finish().unwrap();
    }
    for (input, name) in [(&jsonl, "from-jsonl.csv"), (&gz, "from-gz.csv")] {
        let out = dir.join(name);
        let run = microscore(&[
            "score",
            "--data",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--keep",
            "province,requested_amount",
            "-q",
        ]);
        assert_eq!(run.status.code(), Some(0), "{name}: {}", text(&run.stderr));
        assert!(std::fs::read(&out).unwrap() == outputs[0], "{name} differs");
    }
    let out = dir.join("scores.jsonl");
    assert!(microscore(&[
        "score",
        "--data",
        big.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q"
    ])
    .status
    .success());
    let (_, csv_rows) = read_csv(&dir.join("s1.csv"));
    let text_out = std::fs::read_to_string(&out).unwrap();
    let mut n = 0;
    for (line, row) in text_out.lines().zip(&csv_rows) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["application_id"], row[0]);
        assert_eq!(
            v["score"].as_f64().unwrap().to_bits(),
            row[3].parse::<f64>().unwrap().to_bits()
        );
        assert_eq!(
            v["pd"].as_f64().unwrap().to_bits(),
            row[4].parse::<f64>().unwrap().to_bits()
        );
        n += 1;
    }
    assert_eq!(n, 60_000);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_columns_and_existing_outputs_are_errors_before_any_work() {
    let dir = common::scratch("batch-errors");
    let input = dir.join("apps.csv");
    std::fs::write(&input, "application_id,province\nA1,Henan\n").unwrap();
    let out = dir.join("s.csv");
    let run = microscore(&[
        "score",
        "--data",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--keep",
        "nope",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = text(&run.stderr);
    assert!(
        err.contains("missing from the header")
            && err.contains("monthly_revenue")
            && err.contains("nope"),
        "{err}"
    );
    assert!(!out.exists());
    std::fs::write(&out, "keep me").unwrap();
    let run = microscore(&["score", "--data", EXAMPLE, "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Write a CSV file of applications as Parquet (numbers as Float64, text as Utf8, empty = null).
fn csv_to_parquet(csv_path: &std::path::Path, parquet_path: &std::path::Path) {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let (header, rows) = read_csv(csv_path);
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (c, name) in header.iter().enumerate() {
        let numeric = rows
            .iter()
            .all(|r| r[c].is_empty() || r[c].parse::<f64>().is_ok())
            && name != "application_id";
        if numeric {
            fields.push(arrow_schema::Field::new(
                name,
                arrow_schema::DataType::Float64,
                true,
            ));
            columns.push(Arc::new(Float64Array::from_iter(
                rows.iter().map(|r| r[c].parse::<f64>().ok()),
            )));
        } else {
            fields.push(arrow_schema::Field::new(
                name,
                arrow_schema::DataType::Utf8,
                true,
            ));
            columns.push(Arc::new(StringArray::from_iter(
                rows.iter()
                    .map(|r| (!r[c].is_empty()).then(|| r[c].clone())),
            )));
        }
    }
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let file = std::fs::File::create(parquet_path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_in_and_out_give_the_same_scores_as_csv() {
    let dir = common::scratch("batch-parquet");
    let csv_out = dir.join("from-csv.csv");
    score_all(
        std::path::Path::new(EXAMPLE),
        &csv_out,
        &["--keep", "province"],
    );

    // Parquet in, CSV out: byte-identical.
    let pq_in = dir.join("apps.parquet");
    csv_to_parquet(std::path::Path::new(EXAMPLE), &pq_in);
    let from_pq = dir.join("from-parquet.csv");
    score_all(&pq_in, &from_pq, &["--keep", "province"]);
    assert!(
        std::fs::read(&from_pq).unwrap() == std::fs::read(&csv_out).unwrap(),
        "parquet input scores differ"
    );

    // CSV in, Parquet out: the same values.
    let pq_out = dir.join("scores.parquet");
    score_all(
        std::path::Path::new(EXAMPLE),
        &pq_out,
        &["--keep", "province"],
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&pq_out).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let (_, rows) = read_csv(&csv_out);
    let mut i = 0;
    for batch in reader {
        let batch = batch.unwrap();
        use arrow_array::cast::AsArray;
        let ids = batch
            .column_by_name("application_id")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let scores = batch
            .column_by_name("score")
            .unwrap()
            .as_primitive::<arrow_array::types::Float64Type>()
            .clone();
        let reason = batch
            .column_by_name("reason_1")
            .unwrap()
            .as_string::<i32>()
            .clone();
        for r in 0..batch.num_rows() {
            assert_eq!(ids.value(r), rows[i][0]);
            assert_eq!(
                scores.value(r).to_bits(),
                rows[i][2].parse::<f64>().unwrap().to_bits()
            );
            assert_eq!(reason.value(r), rows[i][9]);
            i += 1;
        }
    }
    assert_eq!(i, 1000);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A JSON Lines record without the id key (or with a null id) keeps every column of the CSV
/// output in place: its id field is empty, as a kept column's is, and each row has as many
/// fields as the header.
#[test]
fn a_jsonl_record_without_an_id_leaves_the_csv_id_field_empty() {
    let dir = common::scratch("jsonl-without-id");
    let (header, rows) = read_csv(std::path::Path::new(EXAMPLE));
    let id = header.iter().position(|h| h == "application_id").unwrap();
    let mut jsonl = String::new();
    for (i, row) in rows.iter().take(4).enumerate() {
        let mut record = serde_json::Map::new();
        for (name, value) in header.iter().zip(row) {
            record.insert(name.clone(), serde_json::Value::String(value.clone()));
        }
        match i {
            0 => {
                record.remove("application_id");
            }
            2 => {
                record.insert("application_id".into(), serde_json::Value::Null);
            }
            _ => {}
        }
        jsonl.push_str(&serde_json::Value::Object(record).to_string());
        jsonl.push('\n');
    }
    let input = dir.join("apps.jsonl");
    std::fs::write(&input, jsonl).unwrap();
    let output = dir.join("scores.csv");
    score_all(&input, &output, &["--keep", "province"]);
    let (out_header, out_rows) = read_csv(&output);
    assert_eq!(out_header[0], "application_id");
    assert_eq!(out_header[1], "province");
    assert_eq!(out_rows.len(), 4);
    for (i, row) in out_rows.iter().enumerate() {
        assert_eq!(row.len(), out_header.len(), "row {i}: {row:?}");
        let expected_id = if i == 0 || i == 2 {
            ""
        } else {
            rows[i][id].as_str()
        };
        assert_eq!(row[0], expected_id, "row {i}");
        assert_eq!(
            row[1],
            rows[i][header.iter().position(|h| h == "province").unwrap()]
        );
        let score: f64 = row[2].parse().unwrap();
        assert!(score.is_finite(), "row {i}: score {:?}", row[2]);
    }
}
