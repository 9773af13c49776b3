//! One input layer for every command: the same applications written as CSV (comma, semicolon,
//! tab, pipe; `.tsv`; a decimal comma; gzip; quoted line breaks), JSON Lines and Parquet give
//! the same scores, the same trained model, the same evaluation, monitoring and strategy
//! figures and the same explanation, through the real CLI; `score` and `evaluate` reject the
//! same rows; files in encodings microscore does not read are named as such by every command.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{microscore, scratch, text};
use serde_json::Value;

/// Run the CLI; panics with its error output unless it exits with one of `codes`.
fn run(args: &[&str], codes: &[i32]) -> std::process::Output {
    let out = microscore(args);
    let code = out.status.code().unwrap_or(-1);
    assert!(
        codes.contains(&code),
        "microscore {}: exit {code}\n{}",
        args.join(" "),
        text(&out.stderr)
    );
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The base file's records (header first), split by the RFC 4180 reference splitter.
fn records(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let cut = microscore::input::csv::Cutter {
        delimiter: b',',
        width: None,
    };
    cut.records(&bytes, 1)
        .into_iter()
        .map(|(_, r)| {
            microscore::input::csv::split_record(r, b',')
                .unwrap()
                .into_iter()
                .map(|f| String::from_utf8(f.into_owned()).unwrap())
                .collect()
        })
        .collect()
}

/// A field written for `delimiter`: quoted when it holds the delimiter, a quote or a line break.
fn field(value: &str, delimiter: char) -> String {
    if value.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Write `rows` as CSV with `delimiter`; numbers with a decimal comma when `decimal_comma`.
fn write_csv(path: &Path, rows: &[Vec<String>], delimiter: char, decimal_comma: bool) {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let fields: Vec<String> = row
            .iter()
            .map(|v| {
                let is_number = i > 0 && v.parse::<f64>().is_ok() && !v.is_empty();
                let v = if decimal_comma && is_number {
                    v.replace('.', ",")
                } else {
                    v.clone()
                };
                field(&v, delimiter)
            })
            .collect();
        out.push_str(&fields.join(&delimiter.to_string()));
        out.push_str("\r\n");
    }
    std::fs::write(path, out).unwrap();
}

/// The same labelled applications in every format and dialect: (name, path, extra CLI args).
fn variants(dir: &Path) -> Vec<(String, PathBuf, Vec<String>)> {
    let base = dir.join("base.csv");
    run(
        &[
            "synth",
            "--rows",
            "3000",
            "--seed",
            "18",
            "--out",
            p(&base),
            "--quiet",
        ],
        &[0],
    );
    // A free-text column with commas, quotes and line breaks: every record spans lines.
    let mut rows = records(&base);
    rows[0].push("officer_note".into());
    for (i, row) in rows.iter_mut().enumerate().skip(1) {
        row.push(match i % 4 {
            0 => "visited the shop on market day;\nbusy, \"well kept\"".into(),
            1 => "ok".into(),
            2 => "two\r\nlines | and a tab\there".into(),
            _ => String::new(),
        });
    }
    let mut out = vec![("csv".to_string(), base.clone(), vec![])];
    for (name, d, comma, ext) in [
        ("notes, comma", ',', false, "csv"),
        ("notes, semicolon", ';', false, "csv"),
        ("notes, tab (.tsv)", '\t', false, "tsv"),
        ("notes, pipe", '|', false, "csv"),
        ("notes, semicolon, decimal comma", ';', true, "csv"),
    ] {
        let path = dir.join(format!("v{}.{ext}", out.len()));
        write_csv(&path, &rows, d, comma);
        let args = if comma {
            vec!["--decimal-comma".to_string()]
        } else {
            vec![]
        };
        out.push((name.to_string(), path, args));
    }
    // gzip, JSON Lines, Parquet: the same rows from the generator.
    let gz = dir.join("base.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&base).unwrap()).unwrap();
    enc.finish().unwrap();
    out.push(("csv.gz".into(), gz, vec![]));
    for ext in ["jsonl", "parquet"] {
        let path = dir.join(format!("base.{ext}"));
        run(
            &[
                "synth",
                "--rows",
                "3000",
                "--seed",
                "18",
                "--out",
                p(&path),
                "--quiet",
            ],
            &[0],
        );
        out.push((ext.into(), path, vec![]));
    }
    // A file without an extension is recognised by its content.
    let bare = dir.join("applications_export");
    std::fs::copy(dir.join("base.parquet"), &bare).unwrap();
    out.push(("parquet, no extension".into(), bare, vec![]));
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A report's JSON without what names the file or times the run.
fn figures(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("file");
                m.remove("seconds");
                m.remove("input");
                for (_, x) in m.iter_mut() {
                    strip(x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn every_command_reads_every_format_by_the_same_rules() {
    let dir = scratch("input-table");
    let all = variants(&dir);
    let model = dir.join("model.json");
    let mut reference: Option<[Value; 4]> = None;
    let mut reference_scores: Option<String> = None;
    // The files with the free-text column train on one candidate more: two references.
    let mut reference_models: std::collections::HashMap<bool, Value> = Default::default();
    for (name, data, extra) in &all {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let with = |args: &[&str]| -> Vec<String> {
            args.iter()
                .chain(extra.iter())
                .map(|s| s.to_string())
                .collect()
        };
        let call = |args: Vec<String>, codes: &[i32]| {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&a, codes)
        };
        // train
        let notes = name.starts_with("notes");
        let m = dir.join("trained.json");
        call(
            with(&[
                "train",
                "--data",
                p(data),
                "--target",
                "default_12m",
                "--out",
                p(&m),
                "--force",
                "--quiet",
            ]),
            &[0],
        );
        let trained = json(&m);
        if !model.exists() {
            std::fs::copy(&m, &model).unwrap();
        }
        match reference_models.get(&notes) {
            None => {
                reference_models.insert(notes, trained);
            }
            Some(r) => assert!(&trained == r, "{name}: train gives another model"),
        }
        // score
        let scores = dir.join("scores.csv");
        call(
            with(&[
                "score",
                "--model",
                p(&model),
                "--data",
                p(data),
                "--out",
                p(&scores),
                "--force",
                "--quiet",
            ]),
            &[0],
        );
        let s = std::fs::read_to_string(&scores).unwrap();
        match &reference_scores {
            None => reference_scores = Some(s),
            Some(r) => assert!(&s == r, "{name}: score gives other scores"),
        }
        // evaluate, monitor (against itself), strategy, explain
        let ev = dir.join("ev.json");
        call(
            with(&[
                "evaluate",
                "--model",
                p(&model),
                "--data",
                p(data),
                "--json",
                p(&ev),
                "--force",
            ]),
            &[0],
        );
        let mo = dir.join("mo.json");
        call(
            with(&[
                "monitor",
                "--model",
                p(&model),
                "--baseline",
                p(data),
                "--current",
                p(data),
                "--json",
                p(&mo),
                "--force",
            ]),
            &[0],
        );
        let st = dir.join("st.csv");
        call(
            with(&[
                "strategy",
                "--model",
                p(&model),
                "--data",
                p(data),
                "--target",
                "default_12m",
                "--table",
                p(&st),
                "--force",
            ]),
            &[0],
        );
        let ex = call(
            with(&[
                "explain",
                "--model",
                p(&model),
                "--data",
                p(data),
                "--row",
                "2999",
            ]),
            &[0],
        );
        let got = [
            figures(json(&ev)),
            figures(json(&mo)),
            Value::String(std::fs::read_to_string(&st).unwrap()),
            Value::String(text(&ex.stdout).replace(p(data), "DATA")),
        ];
        let data_summary = &got[0]["data"];
        assert_eq!(data_summary["rows_read"], 3000, "{name}: {data_summary}");
        assert_eq!(data_summary["rows_rejected"], 0, "{name}: {data_summary}");
        match &reference {
            None => reference = Some(got),
            Some(r) => {
                for (k, what) in ["evaluate", "monitor", "strategy", "explain"]
                    .iter()
                    .enumerate()
                {
                    assert_eq!(got[k], r[k], "{name}: {what} differs");
                }
            }
        }
    }
}

#[test]
fn score_and_evaluate_reject_the_same_rows_and_records_span_lines() {
    let dir = scratch("input-rejects");
    let base = dir.join("base.csv");
    run(
        &[
            "synth",
            "--rows",
            "200",
            "--seed",
            "3",
            "--out",
            p(&base),
            "--quiet",
        ],
        &[0],
    );
    let mut rows = records(&base);
    rows[0].push("note".into());
    let revenue = rows[0].iter().position(|h| h == "monthly_revenue").unwrap();
    for (i, row) in rows.iter_mut().enumerate().skip(1) {
        row.push(if i % 2 == 0 {
            "a\nnote".into()
        } else {
            String::new()
        });
        match i {
            10 => row[revenue] = "lots".into(),
            20 => row[revenue] = "1,5".into(),
            _ => {}
        }
    }
    let mut text_rows = String::new();
    for row in &rows {
        let f: Vec<String> = row.iter().map(|v| field(v, ',')).collect();
        text_rows.push_str(&f.join(","));
        text_rows.push('\n');
    }
    // A ragged record and an unclosed quote at the very end.
    text_rows.push_str("A_RAGGED,1,2\n");
    text_rows.push_str("A_OPEN,\"never closed\n");
    let data = dir.join("data.csv");
    std::fs::write(&data, &text_rows).unwrap();

    let scores = dir.join("s.csv");
    let rejects = dir.join("r.csv");
    let out = run(
        &[
            "score",
            "--data",
            p(&data),
            "--out",
            p(&scores),
            "--rejects",
            p(&rejects),
            "--force",
        ],
        &[3],
    );
    let summary = text(&out.stderr);
    assert!(summary.contains("read 202 rows"), "{summary}");
    assert!(summary.contains("input "), "{summary}");
    // Rejects name the line where each record starts (every other record takes two lines).
    let rejected: Vec<(u64, String)> = std::fs::read(&rejects)
        .map(|b| {
            let cut = microscore::input::csv::Cutter {
                delimiter: b',',
                width: Some(5),
            };
            cut.records(&b, 1)
                .into_iter()
                .skip(1)
                .map(|(_, r)| {
                    let f = microscore::input::csv::split_record(r, b',').unwrap();
                    (
                        String::from_utf8_lossy(&f[0]).parse().unwrap(),
                        String::from_utf8_lossy(&f[3]).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap();
    let line_of = |record: usize| -> u64 {
        // Record r (1-based data record) starts after the header and r - 1 records, half of
        // them two lines long.
        2 + (1..record as u64)
            .map(|i| if i % 2 == 0 { 2 } else { 1 })
            .sum::<u64>()
    };
    assert_eq!(rejected.len(), 4, "{rejected:?}");
    assert_eq!(rejected[0].0, line_of(10));
    assert!(rejected[0].1.contains("text in a numeric column"));
    assert_eq!(rejected[1].0, line_of(20));
    assert!(
        rejected[1].1.contains("--decimal-comma"),
        "{:?}",
        rejected[1]
    );
    assert!(rejected[2].1.contains("fields where the header has"));
    assert!(rejected[3].1.contains("not closed"), "{:?}", rejected[3]);

    // evaluate reads the file as score does: the same rows rejected, at the same lines.
    let ev = dir.join("ev.json");
    run(
        &[
            "evaluate",
            "--data",
            p(&data),
            "--target",
            "default_12m",
            "--json",
            p(&ev),
            "--force",
        ],
        &[0],
    );
    let e = json(&ev);
    assert_eq!(e["data"]["rows_read"], 202);
    assert_eq!(e["data"]["rows_rejected"], 4);
    let lines: Vec<u64> = e["data"]["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        "evaluate rejects other rows than score"
    );
}

#[test]
fn foreign_encodings_and_wrong_delimiters_are_named() {
    let dir = scratch("input-errors");
    let base = dir.join("base.csv");
    run(
        &[
            "synth",
            "--rows",
            "50",
            "--seed",
            "4",
            "--out",
            p(&base),
            "--quiet",
        ],
        &[0],
    );
    let content = std::fs::read_to_string(&base).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(content.encode_utf16().flat_map(u16::to_le_bytes));
    let with_bom = dir.join("unicode.csv");
    std::fs::write(&with_bom, &utf16).unwrap();
    let no_bom = dir.join("unicode-nobom.txt");
    std::fs::write(&no_bom, &utf16[2..]).unwrap();
    let out = dir.join("out.csv");
    let json_out = dir.join("out.json");
    let model = dir.join("m.json");
    for file in [&with_bom, &no_bom] {
        for args in [
            vec!["score", "--data", p(file), "--out", p(&out), "--force"],
            vec![
                "train",
                "--data",
                p(file),
                "--target",
                "default_12m",
                "--out",
                p(&model),
                "--force",
            ],
            vec![
                "evaluate",
                "--data",
                p(file),
                "--json",
                p(&json_out),
                "--force",
            ],
            vec![
                "monitor",
                "--baseline",
                p(&base),
                "--current",
                p(file),
                "--json",
                p(&json_out),
                "--force",
            ],
            vec!["strategy", "--data", p(file)],
            vec!["explain", "--data", p(file), "--row", "1"],
        ] {
            let o = run(&args, &[1]);
            let err = text(&o.stderr);
            assert!(
                err.contains("UTF-16 (little-endian)") && err.contains(p(file)),
                "{}: {err}",
                args[0]
            );
        }
    }
    // The delimiter given does not split the header: the error says so.
    let semi = dir.join("semi.csv");
    std::fs::write(&semi, content.replace(',', ";")).unwrap();
    let o = run(
        &[
            "score",
            "--data",
            p(&semi),
            "--delimiter",
            ",",
            "--out",
            p(&out),
            "--force",
        ],
        &[1],
    );
    let err = text(&o.stderr);
    assert!(err.contains("is the delimiter semicolon?"), "{err}");
    // Detected, it is read.
    run(
        &[
            "score",
            "--data",
            p(&semi),
            "--out",
            p(&out),
            "--force",
            "--quiet",
        ],
        &[0],
    );
    // A name that says gzip for a file that is not.
    let fake = dir.join("fake.csv.gz");
    std::fs::copy(&base, &fake).unwrap();
    let o = run(
        &["score", "--data", p(&fake), "--out", p(&out), "--force"],
        &[1],
    );
    assert!(text(&o.stderr).contains("not gzip-compressed"));
}

/// A file of several waves of blocks (the reader parses one wave while it merges the one
/// before): every value lands in its row, and of two faults in different waves the one that
/// comes first in the file is the one reported.
#[test]
fn files_of_many_blocks_read_in_order_and_report_the_first_fault() {
    use microscore::input::table::{read_table, ColumnData, ReadOptions, TableError};
    let dir = scratch("many-blocks");
    let rows = 400_000usize; // about 11 MB: more than one wave of blocks
    let write = |name: &str, fault: &dyn Fn(usize) -> Option<String>| {
        let path = dir.join(name);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(out, "id,amount,region,note").unwrap();
        for i in 0..rows {
            match fault(i) {
                Some(line) => writeln!(out, "{line}").unwrap(),
                None => writeln!(
                    out,
                    "{i},{}.{},r{},padding text {i}",
                    i % 9973,
                    i % 10,
                    i % 37
                )
                .unwrap(),
            }
        }
        path
    };
    let options = ReadOptions {
        numeric: vec!["amount".into()],
        ..ReadOptions::default()
    };
    let clean = write("clean.csv", &|_| None);
    let table = read_table(&clean, &options).unwrap();
    assert_eq!(table.n_rows(), rows);
    let ColumnData::Numeric(amount) = &table.column("amount").unwrap().data else {
        panic!("amount is numeric")
    };
    for (i, &x) in amount.iter().enumerate() {
        let expected: f64 = format!("{}.{}", i % 9973, i % 10).parse().unwrap();
        assert_eq!(x, expected, "row {i}");
    }
    // A text in a numeric column early in the file, a broken record near its end: the text
    // is reported (line = row + 2, after the header).
    let early = 150_000;
    let faulty = write("faulty.csv", &|i| match i {
        i if i == early => Some(format!("{i},lots,r1,x")),
        i if i == rows - 10 => Some(format!("{i},1,\"unclosed")),
        _ => None,
    });
    match read_table(&faulty, &options) {
        Err(TableError::BadValue {
            line,
            column,
            value,
            ..
        }) => {
            assert_eq!(
                (line, column.as_str(), value.as_str()),
                (early as u64 + 2, "amount", "lots")
            );
        }
        other => panic!("expected the bad value on line {}: {other:?}", early + 2),
    }
}

/// A read that fails after a wave holding a bad value: the bad value, which comes first in
/// the file, is the error, not the failure of the read after it.
#[test]
fn a_fault_in_a_parsed_wave_comes_before_a_later_read_failure() {
    use microscore::input::columns::{read_columns, ColumnKind, ColumnsError};
    use microscore::input::open::Dialect;
    /// The bytes of `data`, then an I/O error.
    struct Failing {
        data: Vec<u8>,
        at: usize,
    }
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.at >= self.data.len() {
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }
    // 12 MB of records (more than the first wave of blocks), a text in the numeric column
    // on line 1001.
    let mut data = Vec::new();
    let mut i = 0usize;
    while data.len() < 12 << 20 {
        let amount = if i == 999 {
            "lots".to_string()
        } else {
            (i % 977).to_string()
        };
        writeln!(data, "{i},{amount},some padding text").unwrap();
        i += 1;
    }
    let kinds = [ColumnKind::Numeric, ColumnKind::Numeric, ColumnKind::Infer];
    let reopen = || -> std::io::Result<Box<dyn std::io::Read>> { Err(std::io::Error::other("no")) };
    let mut reader = Failing { data, at: 0 };
    match read_columns(&mut reader, 2, &kinds, &Dialect::default(), &reopen) {
        Err(ColumnsError::BadValue {
            line,
            column,
            value,
            ..
        }) => assert_eq!((line, column, value.as_str()), (1001, 1, "lots")),
        other => panic!("expected the bad value on line 1001: {other:?}"),
    }
}
