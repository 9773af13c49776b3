//! Record batches in, record batches out (what Spark's mapInArrow calls): one output row per
//! input row, rejects where the file scorer rejects, and the file scorer's scores.

mod common;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use microscore::batch::{score_file, score_record_batch, BatchError, BatchOptions, FrameOptions};
use microscore::model::builtin::default_model;
use microscore::scoring::Scorer;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/applications.csv");

/// The example file as text columns (as Spark reads a CSV without a schema), with faults.
fn text_batch(faults: &[(usize, &str, &str)]) -> (RecordBatch, String) {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for &(row, column, value) in faults {
        let c = header.iter().position(|h| *h == column).unwrap();
        rows[row][c] = value.to_string();
    }
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(*h, DataType::Utf8, true))
        .collect();
    let arrays: Vec<ArrayRef> = (0..header.len())
        .map(|c| {
            Arc::new(StringArray::from_iter(
                rows.iter()
                    .map(|r| (!r[c].is_empty()).then(|| r[c].clone())),
            )) as ArrayRef
        })
        .collect();
    let csv = std::iter::once(header.join(","))
        .chain(rows.iter().map(|r| r.join(",")))
        .collect::<Vec<_>>()
        .join("\n");
    (
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap(),
        csv + "\n",
    )
}

#[test]
fn one_row_out_per_row_in_with_the_file_scorers_rejects_and_scores() {
    let faults = [
        (3, "monthly_revenue", "lots"),
        (10, "requested_amount", ""),
        (500, "debt_to_income", "abc"),
    ];
    let (batch, csv) = text_batch(&faults);
    let scorer = Scorer::new(default_model().unwrap());
    let options = FrameOptions {
        keep: vec!["province".into()],
        ..FrameOptions::default()
    };
    let out = score_record_batch(&scorer, &batch, &options).unwrap();
    assert_eq!(out.num_rows(), batch.num_rows());
    let names: Vec<&str> = out
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names[..3], ["application_id", "province", "score"]);
    assert_eq!(
        names[names.len() - 3..],
        ["reject_column", "reject_value", "reject_reason"]
    );

    // The file scorer on the same rows.
    let dir = common::scratch("frame");
    let (input, output, rejects) = (dir.join("in.csv"), dir.join("out.csv"), dir.join("rej.csv"));
    std::fs::write(&input, csv).unwrap();
    let summary = score_file(
        &scorer,
        &input,
        &output,
        Some(&rejects),
        &BatchOptions {
            force: true,
            ..BatchOptions::default()
        },
        |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.rows_rejected, 3);
    let file_scores: Vec<f64> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let file_rejects: Vec<String> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();

    let score = out
        .column_by_name("score")
        .unwrap()
        .as_primitive::<Float64Type>();
    let reason = out
        .column_by_name("reject_reason")
        .unwrap()
        .as_string::<i32>();
    let column = out
        .column_by_name("reject_column")
        .unwrap()
        .as_string::<i32>();
    let mut scored = Vec::new();
    for i in 0..out.num_rows() {
        match faults.iter().find(|f| f.0 == i) {
            Some(&(_, col, _)) => {
                assert!(score.is_null(i) && !reason.is_null(i), "row {i}");
                assert_eq!(column.value(i), col);
                let in_file = &file_rejects[faults.iter().position(|f| f.0 == i).unwrap()];
                assert!(
                    in_file.contains(reason.value(i)),
                    "{in_file} / {}",
                    reason.value(i)
                );
            }
            None => {
                assert!(reason.is_null(i), "row {i}: {}", reason.value(i));
                scored.push(score.value(i));
            }
        }
    }
    assert_eq!(scored, file_scores, "the same f64 as the file scorer");
}

#[test]
fn missing_columns_are_an_error_naming_them() {
    let (batch, _) = text_batch(&[]);
    let i = batch.schema().index_of("monthly_revenue").unwrap();
    let mut batch = batch;
    batch.remove_column(i);
    let scorer = Scorer::new(default_model().unwrap());
    let err = score_record_batch(&scorer, &batch, &FrameOptions::default()).unwrap_err();
    assert!(
        matches!(&err, BatchError::MissingColumns { missing, .. } if missing.names() == ["monthly_revenue"]),
        "{err}"
    );
    // An empty batch gives the output schema (how Python declares mapInArrow's schema).
    let (full, _) = text_batch(&[]);
    let out = score_record_batch(&scorer, &full.slice(0, 0), &FrameOptions::default()).unwrap();
    assert_eq!(out.num_rows(), 0);
    assert!(out.schema().index_of("reason_4").is_ok());
}
