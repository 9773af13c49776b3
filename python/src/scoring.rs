//! Scoring files (`score_file`) and Arrow record batches (`score_arrow`, Spark's mapInArrow).

use super::*;

/// Score a file into another with the streaming batch scorer; returns the summary as JSON.
#[pyfunction]
#[pyo3(signature = (model, input, output, rejects=None, reasons=4, keep=Vec::new(), strict=false, force=false, input_format=None, output_format=None, threads=None, missing_columns="error", reason_text=None, adverse_action=None, notice_date=None, language="en", delimiter=None, decimal_comma=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn score_file(
    py: Python<'_>,
    model: &PyModel,
    input: PathBuf,
    output: PathBuf,
    rejects: Option<PathBuf>,
    reasons: usize,
    keep: Vec<String>,
    strict: bool,
    force: bool,
    input_format: Option<String>,
    output_format: Option<String>,
    threads: Option<usize>,
    missing_columns: &str,
    reason_text: Option<String>,
    adverse_action: Option<PathBuf>,
    notice_date: Option<String>,
    language: &str,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<String> {
    let absent = absent_columns(py, missing_columns)?;
    let format = |f: Option<String>| -> PyResult<Option<FileFormat>> {
        f.map(|f| {
            f.parse::<FileFormat>()
                .map_err(|e| raise(py, Class::ParameterError, e.to_string()))
        })
        .transpose()
    };
    let options = BatchOptions {
        reasons,
        keep,
        strict,
        force,
        input: input_options(py, input_format, delimiter, decimal_comma)?,
        output_format: format(output_format)?,
        absent_columns: absent,
        reason_text,
        notices: adverse_action.map(|path| batch::NoticeOutput {
            path,
            settings: microscore::scoring::reasons::NoticeSettings {
                language: language.to_string(),
                date: notice_date.unwrap_or_else(microscore::scoring::reasons::today),
            },
        }),
        ..BatchOptions::default()
    };
    let scorer = &model.scorer;
    let summary = py
        .detach(|| {
            parallel(threads, || {
                batch::score_file(
                    scorer,
                    &input,
                    &output,
                    rejects.as_deref(),
                    &options,
                    |_, _| {},
                )
            })
        })?
        .map_err(|e| e.to_py(py))?;
    serde_json::to_string(&summary).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Score the record batches of an Arrow IPC stream: one output row per input row (scored, or
/// rejected with the column, value and reason), as an Arrow IPC stream. A stream without
/// batches gives the output schema (no rows).
#[pyfunction]
#[pyo3(signature = (model, data, keep=Vec::new(), reasons=4, source="DataFrame".to_string()))]
pub(crate) fn score_arrow<'py>(
    py: Python<'py>,
    model: &PyModel,
    data: &[u8],
    keep: Vec<String>,
    reasons: usize,
    source: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let (schema, mut batches) = read_ipc(py, data)?;
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    let options = FrameOptions {
        reasons,
        keep,
        source,
    };
    let scorer = &model.scorer;
    let out = py
        .detach(|| {
            batches
                .iter()
                .map(|b| score_record_batch(scorer, b, &options))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| e.to_py(py))?;
    let schema = out[0].schema();
    let bytes = write_ipc(&schema, &out).map_err(PyRuntimeError::new_err)?;
    Ok(PyBytes::new(py, &bytes))
}
