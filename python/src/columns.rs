//! Columns between Python and the core: arrays and category codes borrowed from Python,
//! tables and Arrow streams read into Python columns.

use super::*;

/// A column held for the duration of a call (the arrays stay borrowed, not copied).
pub(crate) enum Held<'py> {
    Numeric(PyReadonlyArray1<'py, f64>),
    Categorical(PyReadonlyArray1<'py, u32>, Vec<String>),
}

/// Accept `(name, float64 array)` or `(name, (uint32 codes, [levels]))` pairs.
pub(crate) fn hold_columns<'py>(
    py: Python<'py>,
    columns: &Bound<'py, PyList>,
) -> PyResult<Vec<(String, Held<'py>)>> {
    let mut held = Vec::with_capacity(columns.len());
    for item in columns.iter() {
        let (name, data): (String, Bound<'py, PyAny>) = item.extract()?;
        if let Ok(array) = data.extract::<PyReadonlyArray1<'py, f64>>() {
            held.push((name, Held::Numeric(array)));
        } else if let Ok(pair) = data.cast::<PyTuple>() {
            let (codes, levels): (PyReadonlyArray1<'py, u32>, Vec<String>) =
                pair.extract().map_err(|_| {
                    input_error(
                        py,
                        format!(
                        "column '{name}': a categorical column must be (uint32 codes, list of str)"
                    ),
                    )
                })?;
            held.push((name, Held::Categorical(codes, levels)));
        } else {
            return Err(input_error(
                py,
                format!(
                    "column '{name}': expected a 1-D float64 array or (codes, levels), got {}",
                    data.get_type().name()?
                ),
            ));
        }
    }
    Ok(held)
}

pub(crate) fn contiguous<'a, T: numpy::Element>(
    py: Python<'_>,
    name: &str,
    a: &'a PyReadonlyArray1<'_, T>,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| input_error(py, format!("column '{name}': the array is not contiguous")))
}

pub(crate) fn column_refs<'a>(
    py: Python<'_>,
    held: &'a [(String, Held<'_>)],
) -> PyResult<Vec<NamedColumn<'a>>> {
    held.iter()
        .map(|(name, h)| {
            Ok(NamedColumn {
                name,
                data: match h {
                    Held::Numeric(a) => ColumnRef::Numeric(contiguous(py, name, a)?),
                    Held::Categorical(c, levels) => ColumnRef::Categorical {
                        codes: contiguous(py, name, c)?,
                        levels,
                    },
                },
            })
        })
        .collect()
}

/// A column as Python sees it: a float64 array, or (uint32 codes, levels).
pub(crate) fn column_to_py<'py>(py: Python<'py>, column: Column) -> PyResult<Bound<'py, PyTuple>> {
    let data: Bound<'py, PyAny> = match column.data {
        ColumnData::Numeric(v) => v.into_pyarray(py).into_any(),
        ColumnData::Categorical { codes, levels } => (codes.into_pyarray(py), levels)
            .into_pyobject(py)?
            .into_any(),
    };
    (column.name, data).into_pyobject(py)
}

/// Numbers as categories, the way a file reader sees them: returns (codes, levels).
#[pyfunction]
pub(crate) fn categories_from_numbers<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyTuple>> {
    let values = contiguous(py, "values", &values)?;
    match ColumnData::categorical_from_numbers(values) {
        ColumnData::Categorical { codes, levels } => {
            (codes.into_pyarray(py), levels).into_pyobject(py)
        }
        ColumnData::Numeric(_) => Err(PyRuntimeError::new_err("unreachable: numeric")),
    }
}

/// The columns of a data frame that exports the Arrow C stream interface (`__arrow_c_stream__`:
/// polars, DuckDB, pyarrow, pandas), read by the core's Arrow rules
/// (`microscore::input::arrow`): only those named in `only` when given. Returns the columns as
/// `read_table` does, and the row count.
#[pyfunction]
#[pyo3(signature = (data, only=None))]
pub(crate) fn arrow_stream_columns<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    only: Option<Vec<String>>,
) -> PyResult<(Bound<'py, PyList>, usize)> {
    use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
    use arrow_array::RecordBatchReader;
    use pyo3::types::{PyCapsule, PyCapsuleMethods};
    let capsule = data.call_method0("__arrow_c_stream__")?;
    let capsule = capsule
        .cast::<PyCapsule>()
        .map_err(|_| input_error(py, "__arrow_c_stream__ did not return a PyCapsule".into()))?;
    let ptr = capsule
        .pointer_checked(Some(c"arrow_array_stream"))
        .map_err(|_| {
            input_error(
                py,
                "__arrow_c_stream__ did not return an \"arrow_array_stream\" capsule".into(),
            )
        })?;
    // SAFETY: the capsule holds a valid FFI_ArrowArrayStream (checked by its name, as the
    // Arrow PyCapsule interface specifies); `from_raw` moves the stream out and leaves an
    // empty (released) one, which the capsule's destructor then frees as a no-op.
    let reader =
        unsafe { ArrowArrayStreamReader::from_raw(ptr.as_ptr().cast::<FFI_ArrowArrayStream>()) }
            .map_err(|e| input_error(py, format!("not a readable Arrow stream: {e}")))?;
    let schema = reader.schema();
    // Read holding the GIL: a producer backed by Python code may need it.
    let batches = reader
        .collect::<Result<Vec<RecordBatch>, _>>()
        .map_err(|e| input_error(py, format!("not a readable Arrow stream: {e}")))?;
    let (columns, rows) = py
        .detach(|| {
            microscore::input::arrow::columns_from_batches(&batches, &schema, only.as_deref())
        })
        .map_err(|e| input_error(py, e.to_string()))?;
    let list = PyList::empty(py);
    for (name, values) in columns {
        let column = Column {
            name,
            data: values.into(),
        };
        list.append(column_to_py(py, column)?)?;
    }
    Ok((list, rows))
}

/// Read a CSV, JSON Lines or Parquet file with the same reader and type inference as
/// `microscore train`.
#[pyfunction]
#[pyo3(signature = (path, categorical=Vec::new(), numeric=Vec::new(), format=None, delimiter=None, decimal_comma=false))]
pub(crate) fn read_table<'py>(
    py: Python<'py>,
    path: PathBuf,
    categorical: Vec<String>,
    numeric: Vec<String>,
    format: Option<String>,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<Bound<'py, PyList>> {
    let options = ReadOptions {
        categorical,
        numeric,
        input: input_options(py, format, delimiter, decimal_comma)?,
        ..ReadOptions::default()
    };
    let table = py
        .detach(|| parallel(None, || core_read_table(&path, &options)))?
        .map_err(|e| e.to_py(py))?;
    let list = PyList::empty(py);
    for c in table.into_columns() {
        list.append(column_to_py(py, c)?)?;
    }
    Ok(list)
}

/// The record batches of an Arrow IPC stream, with its schema.
pub(crate) fn read_ipc(py: Python<'_>, data: &[u8]) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let bad = |e: arrow_schema::ArrowError| {
        raise(
            py,
            Class::InputError,
            format!("not an Arrow IPC stream: {e}"),
        )
    };
    let reader = StreamReader::try_new(std::io::Cursor::new(data), None).map_err(bad)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(bad)?;
    Ok((schema, batches))
}

/// Record batches as an Arrow IPC stream.
pub(crate) fn write_ipc(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, String> {
    let mut writer = StreamWriter::try_new(Vec::new(), schema).map_err(|e| e.to_string())?;
    for b in batches {
        writer.write(b).map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}
