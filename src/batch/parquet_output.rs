//! Parquet output: one record batch per scored chunk, snappy-compressed.

use std::sync::Arc;

use std::fmt::Write;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::{Plan, RowMeta, Scored, DECISIONS};

/// Rows per row group of the output.
const ROW_GROUP_ROWS: usize = 131_072;
use crate::format::Output;
use crate::scoring::{flags, Scorer};

/// The result fields after the passed-through columns: [`crate::scoring::RESULT_COLUMNS`],
/// `reason_1..k` and `flags`. Score, PD, grade, decision and flags are never null in scored
/// output; with `all_nullable` (record batches that also carry rejects) every field may be.
pub(super) fn result_fields(k: usize, all_nullable: bool) -> Vec<Field> {
    let mut fields: Vec<Field> = crate::scoring::RESULT_COLUMNS
        .iter()
        .map(|&name| {
            let (data_type, always) = match name {
                "grade" | "decision" => (DataType::Utf8, true),
                "score" | "pd" => (DataType::Float64, true),
                _ => (DataType::Float64, false),
            };
            Field::new(name, data_type, all_nullable || !always)
        })
        .collect();
    for r in 1..=k {
        fields.push(Field::new(format!("reason_{r}"), DataType::Utf8, true));
    }
    fields.push(Field::new("flags", DataType::Utf8, all_nullable));
    fields
}

fn schema(scorer: &Scorer, plan: &Plan, k: usize) -> Arc<Schema> {
    let mut fields = Vec::new();
    if let (Some(_), Some(name)) = (plan.id, scorer.model().id_column()) {
        fields.push(Field::new(name, DataType::Utf8, true));
    }
    for &i in &plan.keep {
        fields.push(Field::new(plan.header[i].clone(), DataType::Utf8, true));
    }
    fields.extend(result_fields(k, false));
    if plan.texts.is_some() {
        // Statements beside the codes, before `flags` (as in CSV).
        let flags = fields.pop();
        fields
            .extend((1..=k).map(|r| Field::new(format!("reason_{r}_text"), DataType::Utf8, true)));
        fields.extend(flags);
    }
    Arc::new(Schema::new(fields))
}

/// A Parquet writer for the scored rows.
pub(super) fn writer(
    file: Output,
    scorer: &Scorer,
    plan: &Plan,
    reasons: usize,
) -> Result<ArrowWriter<Output>, parquet::errors::ParquetError> {
    let k = reasons.min(scorer.model().features().len());
    let mut props = WriterProperties::builder();
    // Dictionary encoding pays for the few distinct grades, decisions, reasons and flags; for
    // columns whose values are nearly all distinct (the id, scores, PDs, expected losses) it
    // only costs time before the writer gives up on it, so they are written plain.
    let distinct = scorer.model().id_column().filter(|_| plan.id.is_some());
    for name in distinct.into_iter().chain(["score", "pd", "expected_loss"]) {
        props = props.set_column_dictionary_enabled(ColumnPath::from(name), false);
    }
    let props = props
        .set_compression(Compression::SNAPPY)
        // Row groups are buffered in memory until written: keep them small enough that memory
        // stays bounded.
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("microscore {}", env!("CARGO_PKG_VERSION")))
        .build();
    ArrowWriter::try_new(file, schema(scorer, plan, k), Some(props))
}

/// The record batch of one scored chunk (its score columns moved in, not copied).
pub(super) fn batch(
    scorer: &Scorer,
    plan: &Plan,
    metas: &[RowMeta<'_>],
    s: Scored,
) -> Result<RecordBatch, ArrowError> {
    let model = scorer.model();
    let k = s.k;
    let n = metas.len();
    let mut columns: Vec<ArrayRef> = Vec::new();
    if plan.id.is_some() && model.id_column().is_some() {
        columns.push(Arc::new(StringArray::from_iter(
            metas.iter().map(|m| m.id.as_deref()),
        )));
    }
    for j in 0..plan.keep.len() {
        columns.push(Arc::new(StringArray::from_iter(
            metas.iter().map(|m| m.keep[j].as_deref()),
        )));
    }
    let grade_names: Vec<&str> = model.grades().iter().map(|g| g.grade.as_str()).collect();
    let rates: Vec<Option<f64>> = grade_names
        .iter()
        .map(|g| model.policy().annual_rate.get(*g).copied())
        .collect();
    let text = |values: &mut dyn Iterator<Item = Option<&str>>| {
        let mut b = StringBuilder::with_capacity(n, n * 8);
        for v in values {
            b.append_option(v);
        }
        Arc::new(b.finish()) as ArrayRef
    };
    columns.push(Arc::new(Float64Array::from(s.score)));
    columns.push(Arc::new(Float64Array::from(s.pd)));
    columns.push(text(
        &mut s.grade.iter().map(|&g| Some(grade_names[g as usize])),
    ));
    columns.push(text(
        &mut s.decision.iter().map(|&d| Some(DECISIONS[d as usize])),
    ));
    columns.push(Arc::new(Float64Array::from(s.limit)));
    columns.push(Arc::new(Float64Array::from_iter(
        s.grade.iter().map(|&g| rates[g as usize]),
    )));
    columns.push(Arc::new(Float64Array::from(s.el)));
    for r in 0..k {
        columns.push(text(&mut (0..n).map(|i| {
            let f = s.reasons[i * k + r];
            (f >= 0).then(|| model.features()[f as usize].reason_code.as_str())
        })));
    }
    if let Some(texts) = &plan.texts {
        for r in 0..k {
            columns.push(text(&mut (0..n).map(|i| {
                let f = s.reasons[i * k + r];
                (f >= 0).then(|| texts[f as usize].as_str())
            })));
        }
    }
    let mut flag_text = StringBuilder::with_capacity(n, n * 8);
    for &f in &s.flags {
        for (i, name) in flags::names(f).enumerate() {
            if i > 0 {
                flag_text
                    .write_char(';')
                    .map_err(|e| ArrowError::ExternalError(e.into()))?;
            }
            flag_text
                .write_str(name)
                .map_err(|e| ArrowError::ExternalError(e.into()))?;
        }
        flag_text.append_value("");
    }
    columns.push(Arc::new(flag_text.finish()));
    RecordBatch::try_new(schema(scorer, plan, k), columns)
}
