//! Property test of batch files (invariant 8): for any mix of good and broken rows, every row is
//! scored or rejected, never both and never neither: rows read = rows scored + rows rejected,
//! the rejects are exactly the broken rows (by line number), and the scored rows come out in
//! input order with the scores of a clean run.

mod common;

use std::path::Path;

use microscore::batch::{score_file, BatchOptions};
use microscore::scoring::Scorer;
use proptest::prelude::*;

/// A fault injected into one CSV row.
#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    ExtraField,
    MissingFields,
    TextInNumeric,
    EmptyRequiredAmount,
    InvalidUtf8,
    QuotedNewline,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        10 => Just(Fault::None),
        1 => Just(Fault::ExtraField),
        1 => Just(Fault::MissingFields),
        1 => Just(Fault::TextInNumeric),
        1 => Just(Fault::EmptyRequiredAmount),
        1 => Just(Fault::InvalidUtf8),
        1 => Just(Fault::QuotedNewline),
    ]
}

fn sample_lines() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/applications.csv"),
    )
    .expect("examples/applications.csv");
    let mut lines = text.lines().map(str::to_string);
    let header = lines.next().unwrap();
    (header, lines.take(200).collect())
}

proptest! {
    #![proptest_config(common::strategies::config(48, "prop_batch"))]

    #[test]
    fn every_row_is_scored_or_rejected(
        faults in prop::collection::vec(fault(), 1..200),
        chunk_bytes in prop::sample::select(vec![64usize, 1000, 1 << 20]),
        threads in 1usize..4,
    ) {
        let (header, lines) = sample_lines();
        let names: Vec<&str> = header.split(',').collect();
        let col = |name: &str| names.iter().position(|n| *n == name).unwrap();
        let (revenue, requested, province) = (col("monthly_revenue"), col("requested_amount"), col("province"));
        let mut bytes = format!("{header}\n").into_bytes();
        let mut expected_rejects = Vec::new();
        let mut good_ids = Vec::new();
        let mut line_no = 2u64; // the header is line 1
        for (i, f) in faults.iter().enumerate() {
            let mut fields: Vec<String> = lines[i].split(',').map(str::to_string).collect();
            let mut raw: Option<Vec<u8>> = None;
            let mut lines_used = 1;
            match f {
                Fault::None => {}
                Fault::ExtraField => fields.push("surplus".into()),
                Fault::MissingFields => fields.truncate(3),
                Fault::TextInNumeric => fields[revenue] = "lots".into(),
                Fault::EmptyRequiredAmount => fields[requested] = String::new(),
                Fault::InvalidUtf8 => {
                    let mut b = Vec::new();
                    for (j, field) in fields.iter().enumerate() {
                        if j > 0 { b.push(b','); }
                        b.extend_from_slice(field.as_bytes());
                        if j == province { b.extend_from_slice(&[0xff, 0xfe]); }
                    }
                    raw = Some(b);
                }
                Fault::QuotedNewline => {
                    // A quoted field spanning two lines: one RFC 4180 record over two lines,
                    // scored like the row it came from (the id is not a feature).
                    fields[0] = format!("\"{}\nsecond line\"", fields[0]);
                    lines_used = 2;
                }
            }
            let row = raw.unwrap_or_else(|| fields.join(",").into_bytes());
            bytes.extend_from_slice(&row);
            bytes.push(b'\n');
            match f {
                Fault::None | Fault::QuotedNewline => good_ids.push(i),
                _ => expected_rejects.push(line_no),
            }
            line_no += lines_used;
        }
        let dir = common::scratch("prop-batch");
        let input = dir.join("in.csv");
        std::fs::write(&input, &bytes).unwrap();
        let (output, rejects) = (dir.join("out.csv"), dir.join("rejects.csv"));
        let scorer = Scorer::new(microscore::model::builtin::default_model().unwrap());
        let options = BatchOptions { chunk_bytes, force: true, ..BatchOptions::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let summary = pool.install(|| score_file(&scorer, &input, &output, Some(&rejects), &options, |_, _| {})).unwrap();
        prop_assert_eq!(summary.rows_read, faults.len() as u64);
        prop_assert_eq!(summary.rows_read, summary.rows_scored + summary.rows_rejected);
        prop_assert_eq!(summary.rows_rejected, expected_rejects.len() as u64);
        let mut r = csv::Reader::from_path(&rejects).unwrap();
        let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        let got: Vec<u64> = records.iter().map(|rec| rec[0].parse().unwrap()).collect();
        prop_assert_eq!(got, expected_rejects);
        for rec in &records {
            prop_assert!(!rec[3].is_empty(), "a reject without a reason: {:?}", rec);
        }
        // The scored rows, in input order, are the good rows with their clean-run scores.
        let clean_out = dir.join("clean.csv");
        let clean_in = dir.join("clean_in.csv");
        let mut clean = format!("{header}\n");
        for &i in &good_ids { clean.push_str(&lines[i]); clean.push('\n'); }
        std::fs::write(&clean_in, clean).unwrap();
        score_file(&scorer, &clean_in, &clean_out, None, &options, |_, _| {}).unwrap();
        let scores = |p: &Path| -> Vec<String> {
            csv::Reader::from_path(p).unwrap().records().map(|r| r.unwrap()[1].to_string()).collect()
        };
        prop_assert_eq!(scores(&output), scores(&clean_out));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
