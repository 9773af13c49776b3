//! Record batches in, record batches out: scoring for dataframe engines (Apache Spark's
//! `mapInArrow` through the Python package).
//!
//! Every input row gives exactly one output row, in input order, so nothing can be lost in
//! between: a scored row has its score, PD, grade, decision, limit, rate, expected loss, reason
//! codes and flags, and null reject columns; a rejected row has null scores and says which
//! column, which value and why, with the same rules as the file scorer ([`crate::batch::score_file`]).
//! The id column (when the model names one) and the kept columns pass through with their
//! original Arrow types.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::error::BatchError;
use super::options::BatchOptions;
use super::parquet_input;
use super::plan::make_plan;
use super::rows::score_rows;
use crate::format::FileFormat;
use crate::input::Reject;
use crate::output::arrow::{field, result_array, Rows};
use crate::output::{OutputColumn, Results};
use crate::scoring::Scorer;

/// Settings of [`score_record_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameOptions {
    /// Reason codes per row (capped at the number of features).
    pub reasons: usize,
    /// Input columns passed through to the output (after the id column).
    pub keep: Vec<String>,
    /// What the input is called in error messages (for example `DataFrame`).
    pub source: String,
}

impl Default for FrameOptions {
    fn default() -> Self {
        FrameOptions {
            reasons: 4,
            keep: Vec::new(),
            source: "record batch".into(),
        }
    }
}

/// Score one record batch: one output row per input row (see the module documentation).
/// Columns the model needs but the batch lacks are an error naming them; bad values never are.
pub fn score_record_batch(
    scorer: &Scorer,
    batch: &RecordBatch,
    options: &FrameOptions,
) -> Result<RecordBatch, BatchError> {
    let model = scorer.model();
    let header: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batch_options = BatchOptions {
        reasons: options.reasons,
        keep: options.keep.clone(),
        ..BatchOptions::default()
    };
    let plan = make_plan(
        scorer,
        FileFormat::Parquet,
        header,
        Path::new(&options.source),
        &batch_options,
        &options.keep,
        true,
    )?;
    let mut parsed = parquet_input::parse_batch_listing(scorer, &plan, batch);
    let rejects: Vec<Reject> = parsed.listed.take().unwrap_or_default();
    let n = batch.num_rows();
    let accepted = parsed.metas.len();
    let k = options.reasons.min(model.features().len());
    let s = score_rows(scorer, &plan, &parsed.x, &parsed.metas, k, false)?;

    // Output row i is either the next scored row (`Ok(index)`) or the next reject (rejects
    // carry their 0-based row as the line).
    let mut rows: Vec<Result<usize, &Reject>> = Vec::with_capacity(n);
    let mut pending = rejects.iter().peekable();
    let mut next_scored = 0usize;
    for row in 0..n as u64 {
        match pending.next_if(|r| r.line == row) {
            Some(r) => rows.push(Err(r)),
            None => {
                rows.push(Ok(next_scored));
                next_scored += 1;
            }
        }
    }
    if next_scored != accepted || pending.next().is_some() {
        return Err(BatchError::Format(format!(
            "{}: {n} rows read but {accepted} scored and {} rejected",
            options.source,
            rejects.len()
        )));
    }

    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    let passed = plan
        .id
        .filter(|_| model.id_column().is_some())
        .into_iter()
        .chain(plan.keep.iter().copied().filter(|&i| Some(i) != plan.id));
    for i in passed {
        let schema = batch.schema();
        let field = schema.field(i);
        fields.push(field.as_ref().clone().with_nullable(true));
        columns.push(batch.column(i).clone());
    }
    // The results, reason codes and flags, null for rejected rows (no statements here).
    let scored_rows: Vec<Option<usize>> = rows.iter().map(|r| r.ok()).collect();
    let results = Results::new(model, &s);
    let layout = plan.layout(scorer, k);
    for column in layout.columns_iter() {
        if matches!(column, OutputColumn::Id(_) | OutputColumn::Kept(..)) {
            continue;
        }
        if let Some(array) = result_array(&layout, &results, column, Rows::Map(&scored_rows))
            .map_err(|e| BatchError::Format(format!("building the output batch: {e}")))?
        {
            fields.push(field(&column, true));
            columns.push(array);
        }
    }
    let reject_text = |f: fn(&Reject) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.err().map(|r| f(r).to_string())),
        ))
    };
    columns.push(reject_text(|r| &r.column));
    columns.push(reject_text(|r| &r.value));
    columns.push(reject_text(|r| &r.reason));
    for name in ["reject_column", "reject_value", "reject_reason"] {
        fields.push(Field::new(name, DataType::Utf8, true));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| BatchError::Format(format!("building the output batch: {e}")))
}
