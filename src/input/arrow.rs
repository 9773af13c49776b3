//! Arrow record batches into typed columns: how data frames reach the core without a pandas
//! round trip (Python's Arrow PyCapsule interface: polars, DuckDB, pyarrow and pandas frames
//! all export `__arrow_c_stream__`).
//!
//! Number columns (integers, floats, decimals; booleans as 0/1) are numeric, nulls missing.
//! Text columns (`Utf8`, `LargeUtf8`, `Utf8View`, and dictionaries of them) are categorical,
//! their values the categories in order of first appearance, nulls missing. A dictionary of
//! numbers is categorical with the numbers' text ([`ColumnValues::categories_of_numbers`]).
//! A column of nulls only is numeric and missing. Any other type is an error naming the column.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use super::columns::MISSING_CODE;
use super::columns::{ColumnValues, Levels};

/// Why a column cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column '{column}': {reason}")]
pub struct ArrowColumnError {
    /// The column.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// The columns of `batches` (one schema), or only those named in `only`, and the row count.
pub fn columns_from_batches(
    batches: &[RecordBatch],
    schema: &arrow_schema::Schema,
    only: Option<&[String]>,
) -> Result<(Vec<(String, ColumnValues)>, usize), ArrowColumnError> {
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let mut out = Vec::new();
    for (c, field) in schema.fields().iter().enumerate() {
        let name = field.name();
        if only.is_some_and(|o| !o.contains(name)) {
            continue;
        }
        let fail = |reason: String| ArrowColumnError {
            column: name.clone(),
            reason,
        };
        let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(c).as_ref()).collect();
        let t = field.data_type();
        let numbers = |arrays: &[&dyn Array]| -> Result<Vec<f64>, ArrowColumnError> {
            let mut v = Vec::with_capacity(rows);
            for a in arrays {
                let f =
                    arrow_cast::cast(*a, &DataType::Float64).map_err(|e| fail(e.to_string()))?;
                let f = f.as_primitive::<arrow_array::types::Float64Type>();
                v.extend((0..f.len()).map(|i| if f.is_null(i) { f64::NAN } else { f.value(i) }));
            }
            Ok(v)
        };
        let data = match t {
            DataType::Null => ColumnValues::Numeric(vec![f64::NAN; rows]),
            t if t.is_numeric() || *t == DataType::Boolean => {
                ColumnValues::Numeric(numbers(&arrays)?)
            }
            DataType::Dictionary(_, value) if value.is_numeric() => {
                ColumnValues::categories_of_numbers(&numbers(&arrays)?)
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => texts(&arrays, &fail)?,
            DataType::Dictionary(_, value)
                if matches!(
                    value.as_ref(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                texts(&arrays, &fail)?
            }
            other => {
                return Err(fail(format!(
                    "Arrow type {other} is not supported (use numbers, strings or dictionaries)"
                )))
            }
        };
        out.push((name.clone(), data));
    }
    Ok((out, rows))
}

/// Text arrays as categories in order of first appearance, nulls missing.
fn texts(
    arrays: &[&dyn Array],
    fail: &dyn Fn(String) -> ArrowColumnError,
) -> Result<ColumnValues, ArrowColumnError> {
    let mut levels = Levels::new();
    let mut codes = Vec::new();
    for a in arrays {
        let s = arrow_cast::cast(*a, &DataType::Utf8).map_err(|e| fail(e.to_string()))?;
        let s = s.as_string::<i32>();
        for i in 0..s.len() {
            if s.is_null(i) {
                codes.push(MISSING_CODE);
                continue;
            }
            codes.push(levels.code(s.value(i)));
        }
    }
    Ok(ColumnValues::Categorical {
        codes,
        levels: levels.into_levels(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int32Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn numbers_texts_and_dictionaries() {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("x", DataType::Int32, true),
            arrow_schema::Field::new("k", DataType::Utf8, true),
            arrow_schema::Field::new(
                "d",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            ),
            arrow_schema::Field::new("f", DataType::Float64, true),
        ]));
        let dict: DictionaryArray<arrow_array::types::Int32Type> =
            vec![Some("b"), None, Some("a")].into_iter().collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
                Arc::new(StringArray::from(vec![Some("farm"), Some("shop"), None])),
                Arc::new(dict),
                Arc::new(Float64Array::from(vec![0.5, f64::NAN, 2.0])),
            ],
        )
        .unwrap();
        let (cols, rows) = columns_from_batches(&[batch.clone(), batch], &schema, None).unwrap();
        assert_eq!(rows, 6);
        match &cols[0].1 {
            ColumnValues::Numeric(v) => {
                assert_eq!(v[0], 1.0);
                assert!(v[1].is_nan());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            cols[1].1,
            ColumnValues::Categorical {
                codes: vec![0, 1, MISSING_CODE, 0, 1, MISSING_CODE],
                levels: vec!["farm".into(), "shop".into()]
            }
        );
        assert_eq!(
            cols[2].1,
            ColumnValues::Categorical {
                codes: vec![0, MISSING_CODE, 1, 0, MISSING_CODE, 1],
                levels: vec!["b".into(), "a".into()]
            }
        );
    }
}
