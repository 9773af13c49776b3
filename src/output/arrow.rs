//! Arrow output: the fields and arrays of the result columns, Parquet files (one record batch
//! per scored chunk, snappy-compressed) and the record batches of dataframe engines.

use std::fmt::Write;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::{Carried, Layout, OutputColumn, ResultColumn, Results, Value};
use crate::format::Output;
use crate::scoring::flags;

/// Rows per row group of a Parquet output.
const ROW_GROUP_ROWS: usize = 131_072;

/// Which scored row each output row shows.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'r> {
    /// Every scored row, in order.
    All,
    /// Output row `i` shows scored row `rows[i]`, or no scores (`None`: every result is null,
    /// as for a rejected row).
    Map(&'r [Option<usize>]),
}

/// The Arrow field of an output column: the id and kept columns and the reasons are nullable
/// text; the results are numbers or text, nullable unless every scored row has a value; with
/// `all_nullable` (record batches that also carry rejects) every field is nullable.
pub fn field(column: &OutputColumn<'_>, all_nullable: bool) -> Field {
    let (data_type, always) = match column {
        OutputColumn::Result(c) if c.is_text() => (DataType::Utf8, c.always_present()),
        OutputColumn::Result(c) => (DataType::Float64, c.always_present()),
        OutputColumn::Flags => (DataType::Utf8, true),
        _ => (DataType::Utf8, false),
    };
    Field::new(column.name(), data_type, all_nullable || !always)
}

/// The schema of a layout's output.
pub fn schema(layout: &Layout<'_>) -> Arc<Schema> {
    Arc::new(Schema::new(
        layout
            .columns_iter()
            .map(|c| field(&c, false))
            .collect::<Vec<_>>(),
    ))
}

/// The array of one output column other than the id and kept ones (`None` for those: they
/// come from the input).
pub fn result_array<'a>(
    layout: &Layout<'a>,
    results: &Results<'a>,
    column: OutputColumn<'_>,
    rows: Rows<'_>,
) -> Result<Option<ArrayRef>, ArrowError> {
    let n = match rows {
        Rows::All => results.len(),
        Rows::Map(m) => m.len(),
    };
    let at = |i: usize| match rows {
        Rows::All => Some(i),
        Rows::Map(m) => m[i],
    };
    let texts = |f: &dyn Fn(usize) -> Option<&'a str>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 8);
        for i in 0..n {
            b.append_option(at(i).and_then(f));
        }
        Arc::new(b.finish())
    };
    Ok(Some(match column {
        OutputColumn::Id(_) | OutputColumn::Kept(..) => return Ok(None),
        OutputColumn::Result(c) if c.is_text() => texts(&|j| match results.value(c, j) {
            Value::Text(t) => Some(t),
            Value::Number(_) => None,
        }),
        OutputColumn::Result(c) => {
            let number = |j: usize| match results.value(c, j) {
                Value::Number(x) => x,
                Value::Text(_) => None,
            };
            match (rows, c.always_present()) {
                // Every row has a value: no validity buffer.
                (Rows::All, true) => Arc::new(Float64Array::from_iter_values(
                    (0..n).map(|i| number(i).unwrap_or(f64::NAN)),
                )),
                _ => Arc::new(Float64Array::from_iter(
                    (0..n).map(|i| at(i).and_then(number)),
                )),
            }
        }
        OutputColumn::Reason(r) => texts(&|j| results.reason_code(j, r)),
        OutputColumn::ReasonText(r) => {
            let statements = layout.texts.unwrap_or_default();
            texts(&|j| {
                results
                    .reason(j, r)
                    .and_then(|f| statements.get(f))
                    .map(String::as_str)
            })
        }
        OutputColumn::Flags => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for i in 0..n {
                let Some(j) = at(i) else {
                    b.append_null();
                    continue;
                };
                for (k, name) in flags::names(results.scored.flags[j]).enumerate() {
                    if k > 0 {
                        b.write_char(';')
                            .map_err(|e| ArrowError::ExternalError(e.into()))?;
                    }
                    b.write_str(name)
                        .map_err(|e| ArrowError::ExternalError(e.into()))?;
                }
                b.append_value("");
            }
            Arc::new(b.finish())
        }
    }))
}

/// A Parquet writer for a layout's output. Dictionary encoding pays for the few distinct
/// grades, decisions, reasons and flags; for columns whose values are nearly all distinct (the
/// id, scores, PDs, expected losses) it only costs time before the writer gives up on it, so
/// they are written plain.
pub fn parquet_writer(
    file: Output,
    layout: &Layout<'_>,
) -> Result<ArrowWriter<Output>, parquet::errors::ParquetError> {
    let mut props = WriterProperties::builder();
    let plain = [
        ResultColumn::Score,
        ResultColumn::Pd,
        ResultColumn::ExpectedLoss,
    ]
    .map(ResultColumn::name);
    for name in layout.id.into_iter().chain(plain) {
        props = props.set_column_dictionary_enabled(ColumnPath::from(name), false);
    }
    let props = props
        .set_compression(Compression::SNAPPY)
        // Row groups are buffered in memory until written: keep them small enough that memory
        // stays bounded.
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("microscore {}", env!("CARGO_PKG_VERSION")))
        .build();
    ArrowWriter::try_new(file, schema(layout), Some(props))
}

/// The record batch of scored rows, with what each carries through (as text).
pub fn record_batch<'c, C: AsRef<Carried<'c>>>(
    layout: &Layout<'_>,
    results: &Results<'_>,
    carried: &[C],
) -> Result<RecordBatch, ArrowError> {
    let mut columns: Vec<ArrayRef> = Vec::new();
    for column in layout.columns_iter() {
        let array = match column {
            OutputColumn::Id(_) => Arc::new(StringArray::from_iter(
                carried.iter().map(|c| c.as_ref().id.as_deref()),
            )) as ArrayRef,
            OutputColumn::Kept(j, _) => Arc::new(StringArray::from_iter(
                carried
                    .iter()
                    .map(|c| c.as_ref().keep.get(j).and_then(|v| v.as_deref())),
            )),
            other => match result_array(layout, results, other, Rows::All)? {
                Some(array) => array,
                None => continue,
            },
        };
        columns.push(array);
    }
    RecordBatch::try_new(schema(layout), columns)
}
