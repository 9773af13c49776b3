//! Parquet input: record batches converted to the scorer's inputs, column by column.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, Float64Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::error::BatchError;
use super::plan::Plan;
use super::rows::{amount_reject, input_value, known_category, Parsed, RowMeta};
use crate::input::is_missing_token;
use crate::output::Carried;
use crate::scoring::Scorer;

/// Rows per record batch read.
const BATCH_ROWS: usize = 16_384;

/// Open a Parquet file: a reader builder and the column names.
pub(super) fn open(
    file: File,
    path: &Path,
) -> Result<(ParquetRecordBatchReaderBuilder<File>, Vec<String>), BatchError> {
    let builder = crate::guard::catch(|| ParquetRecordBatchReaderBuilder::try_new(file))
        .map_err(|panic| broken(path, &panic.0))?
        .map_err(|e| bad(path, e))?;
    let names = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Ok((builder, names))
}

/// A file the Parquet decoder panicked on.
pub(super) fn broken(path: &Path, panic: &str) -> BatchError {
    BatchError::Format(format!(
        "{}: not a readable Parquet file (the decoder failed: {panic})",
        path.display()
    ))
}

fn bad(path: &Path, e: parquet::errors::ParquetError) -> BatchError {
    BatchError::Format(format!(
        "{}: not a readable Parquet file: {e}",
        path.display()
    ))
}

/// The batch reader, reading only the columns the plan uses (by position in the file schema).
pub(super) fn reader(
    builder: ParquetRecordBatchReaderBuilder<File>,
    plan: &Plan,
    path: &Path,
) -> Result<ParquetRecordBatchReader, BatchError> {
    let mut used: Vec<usize> = plan
        .inputs
        .iter()
        .flatten()
        .chain(plan.required.iter().flatten())
        .chain(plan.id.iter())
        .chain(plan.keep.iter())
        .copied()
        .collect();
    used.sort_unstable();
    used.dedup();
    crate::guard::catch(|| {
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), used);
        builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
    })
    .map_err(|panic| broken(path, &panic.0))?
    .map_err(|e| bad(path, e))
}

/// A column as the scorer reads it.
enum Access<'b> {
    Absent,
    Number(Float64Array),
    Text(Text<'b>),
}

/// A text column: the batch's own, a cast of it, or bytes (a binary column) read as UTF-8 row
/// by row, so that invalid UTF-8 rejects its row as in CSV (a cast would make it null).
enum Text<'b> {
    Borrowed(&'b StringArray),
    Owned(StringArray),
    Bytes(arrow_array::BinaryArray),
}

/// A row whose bytes are not UTF-8: the bytes, shown lossily.
struct NotUtf8(String);

impl<'b> Text<'b> {
    /// Row `row`'s text (`None` if null), borrowed from the batch when the column is text.
    fn at(&self, row: usize) -> Result<Option<Cow<'b, str>>, NotUtf8> {
        Ok(match self {
            Text::Borrowed(a) => (!a.is_null(row)).then(|| Cow::Borrowed(a.value(row))),
            Text::Owned(a) => (!a.is_null(row)).then(|| Cow::Owned(a.value(row).to_string())),
            Text::Bytes(_) => self.str_at(row)?.map(|t| Cow::Owned(t.to_string())),
        })
    }

    /// Row `row`'s text (`None` if null), borrowed from this column.
    fn str_at(&self, row: usize) -> Result<Option<&str>, NotUtf8> {
        let (a, bytes): (&dyn Array, Option<&[u8]>) = match self {
            Text::Borrowed(a) => (*a, None),
            Text::Owned(a) => (a, None),
            Text::Bytes(b) => (b, Some(b.value(row))),
        };
        if a.is_null(row) {
            return Ok(None);
        }
        match (self, bytes) {
            (Text::Borrowed(a), _) => Ok(Some(a.value(row))),
            (Text::Owned(a), _) => Ok(Some(a.value(row))),
            (_, Some(b)) => std::str::from_utf8(b)
                .map(Some)
                .map_err(|_| NotUtf8(String::from_utf8_lossy(b).into_owned())),
            _ => Ok(None),
        }
    }
}

fn is_number(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Boolean)
}

fn access<'b>(
    batch: &'b RecordBatch,
    plan: &Plan,
    column: Option<usize>,
    as_text: bool,
) -> Result<Access<'b>, String> {
    let Some(i) = column else {
        return Ok(Access::Absent);
    };
    // The batch holds only the projected columns: find this one by name.
    let name = &plan.header[i];
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| format!("column '{name}' is not in the record batch"))?;
    let cannot = |e: arrow_schema::ArrowError| format!("cannot read column '{name}': {e}");
    if !as_text && is_number(array.data_type()) {
        let cast = arrow_cast::cast(array, &DataType::Float64).map_err(cannot)?;
        Ok(Access::Number(cast.as_primitive::<Float64Type>().clone()))
    } else if array.data_type() == &DataType::Utf8 {
        Ok(Access::Text(Text::Borrowed(array.as_string::<i32>())))
    } else if matches!(
        array.data_type(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    ) {
        let cast = arrow_cast::cast(array, &DataType::Binary).map_err(cannot)?;
        Ok(Access::Text(Text::Bytes(cast.as_binary::<i32>().clone())))
    } else {
        let cast = arrow_cast::cast(array, &DataType::Utf8).map_err(cannot)?;
        Ok(Access::Text(Text::Owned(cast.as_string::<i32>().clone())))
    }
}

/// Convert one record batch; `first_row` is the 1-based row number of its first row (reported
/// as the "line" of a reject).
pub(super) fn parse_batch<'b>(
    scorer: &Scorer,
    plan: &Plan,
    first_row: u64,
    batch: &'b RecordBatch,
) -> Parsed<'b> {
    parse_batch_with(scorer, plan, first_row, batch, false)
}

/// [`parse_batch`] with rows numbered from 0 and every reject also listed as a value.
pub(super) fn parse_batch_listing<'b>(
    scorer: &Scorer,
    plan: &Plan,
    batch: &'b RecordBatch,
) -> Parsed<'b> {
    parse_batch_with(scorer, plan, 0, batch, true)
}

fn parse_batch_with<'b>(
    scorer: &Scorer,
    plan: &Plan,
    first_row: u64,
    batch: &'b RecordBatch,
    list: bool,
) -> Parsed<'b> {
    let n = batch.num_rows();
    let m = scorer.input_columns().len();
    let mut parsed = Parsed::with_capacity(m, n);
    parsed.listed = (list || plan.list_rejects).then(Vec::new);
    let columns: Result<Vec<Access<'b>>, String> = plan
        .inputs
        .iter()
        .zip(&plan.categorical)
        .map(|(&c, &cat)| access(batch, plan, c, cat))
        .collect();
    let texts = |cols: &[usize]| -> Result<Vec<Access<'b>>, String> {
        cols.iter()
            .map(|&c| access(batch, plan, Some(c), true))
            .collect()
    };
    let required_cols: Vec<usize> = plan.required.iter().flatten().copied().collect();
    let prepared = columns.and_then(|c| {
        Ok((
            c,
            texts(&required_cols)?,
            plan.id.map(|i| texts(&[i])).transpose()?,
            texts(&plan.keep)?,
        ))
    });
    let (columns, required, id, keep) = match prepared {
        Ok(p) => p,
        Err(reason) => {
            // A column that cannot be read at all rejects every row of the batch, each counted.
            for r in 0..n {
                parsed.read += 1;
                parsed.reject(
                    first_row + r as u64,
                    (String::new(), String::new(), reason.clone()),
                    b"",
                );
            }
            return parsed;
        }
    };
    let mut values = vec![0.0; m];
    let name_of = |c: Option<usize>| c.map_or_else(String::new, |i| plan.header[i].clone());
    let not_utf8 =
        |column: String, NotUtf8(bytes): NotUtf8| (column, bytes, "invalid UTF-8".to_string());
    'rows: for r in 0..n {
        parsed.read += 1;
        let line = first_row + r as u64;
        for (j, a) in columns.iter().enumerate() {
            values[j] = match a {
                Access::Absent => f64::NAN,
                Access::Number(f) => {
                    if f.is_null(r) {
                        f64::NAN
                    } else {
                        f.value(r)
                    }
                }
                Access::Text(text) => match text.str_at(r) {
                    Err(e) => {
                        parsed.reject(line, not_utf8(name_of(plan.inputs[j]), e), b"");
                        continue 'rows;
                    }
                    Ok(None) => f64::NAN,
                    Ok(Some(t)) => match known_category(scorer, j, t.as_bytes())
                        .map_or_else(|| input_value(scorer, plan, j, t), Ok)
                    {
                        Ok(x) => x,
                        Err(reason) => {
                            parsed.reject(
                                line,
                                (name_of(plan.inputs[j]), t.to_string(), reason.to_string()),
                                b"",
                            );
                            continue 'rows;
                        }
                    },
                },
            };
        }
        for (a, &c) in required.iter().zip(&required_cols) {
            if let Access::Text(text) = a {
                match text.str_at(r) {
                    Err(e) => {
                        parsed.reject(line, not_utf8(plan.header[c].clone(), e), b"");
                        continue 'rows;
                    }
                    Ok(t) if t.is_none_or(is_missing_token) => {
                        let reason = "required by the decision policy, but empty".to_string();
                        parsed.reject(line, (plan.header[c].clone(), String::new(), reason), b"");
                        continue 'rows;
                    }
                    Ok(_) => {}
                }
            }
        }
        if let Some(e) = amount_reject(scorer, &values) {
            parsed.reject(line, e, b"");
            continue 'rows;
        }
        // The id and kept columns; text that is not UTF-8 rejects the row, as in CSV.
        let owned = |a: &Access<'b>, c: usize| match a {
            Access::Text(text) => text.at(r).map_err(|e| not_utf8(plan.header[c].clone(), e)),
            _ => Ok(None),
        };
        let id = match (id.as_ref().and_then(|v| v.first()), plan.id) {
            (Some(a), Some(c)) => owned(a, c),
            _ => Ok(None),
        };
        let keep = keep
            .iter()
            .zip(&plan.keep)
            .map(|(a, &c)| owned(a, c))
            .collect::<Result<Vec<_>, _>>();
        let (id, keep) = match (id, keep) {
            (Ok(id), Ok(keep)) => (id, keep),
            (Err(e), _) | (_, Err(e)) => {
                parsed.reject(line, e, b"");
                continue 'rows;
            }
        };
        parsed.x.extend_from_slice(&values);
        parsed.metas.push(RowMeta {
            carried: Carried { id, keep },
            flags: 0,
        });
        parsed.lines.push(line);
    }
    parsed
}
