//! `microscore._microscore`: the native module behind the `microscore` Python package.
//!
//! A thin layer: it turns Python objects into borrowed columns (zero-copy for contiguous
//! float64 arrays), releases the GIL, and calls the same Rust functions the command line and the
//! C ABI call. Errors become the `microscore` exception hierarchy (defined in
//! `microscore/_errors.py`) with the Rust messages unchanged.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use microscore::batch::{self, score_record_batch, BatchError, BatchOptions, FrameOptions};
use microscore::distributed::{
    train_partitioned as train_partitioned_core, ColumnKind, DistributedError, Partial,
    PartialStats, Request,
};
use microscore::model::{Model, ModelError};
use microscore::policy::Decision;
use microscore::scoring::{AbsentColumns, BatchOutput, ColumnRef, NamedColumn, ScoreError, Scorer};
use microscore::table::{read_table as core_read_table, Column, ColumnData, ReadOptions, Table};
use microscore::table::{TableError, MISSING_CODE};
use microscore::train::{train as core_train, TrainConfig, TrainError};
use microscore::FileFormat;
use numpy::{IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple, PyType};

type SchemaRef = arrow_schema::SchemaRef;

// ---------------------------------------------------------------------------------------------
// Errors

/// Build an instance of one of the `microscore._errors` classes.
fn raise(py: Python<'_>, class: &str, message: String) -> PyErr {
    let class = py
        .import("microscore._errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(ty) => PyErr::from_type(ty, message),
        Err(e) => e,
    }
}

fn io_class(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "MicroscoreFileNotFoundError",
        std::io::ErrorKind::PermissionDenied => "MicroscorePermissionError",
        std::io::ErrorKind::AlreadyExists => "MicroscoreFileExistsError",
        _ => "MicroscoreOSError",
    }
}

/// One conversion per core error type: the class follows the cause, the message is Rust's.
trait ToPyErr {
    fn to_py(self, py: Python<'_>) -> PyErr;
}

impl ToPyErr for ModelError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            ModelError::Io { source, .. } => io_class(source),
            _ => "ModelFileError",
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for ScoreError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        raise(py, "InputError", self.to_string())
    }
}

impl ToPyErr for TableError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            TableError::Io { source, .. }
            | TableError::Input(microscore::input::InputError::Io { source, .. }) => {
                io_class(source)
            }
            _ => "InputError",
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for TrainError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            TrainError::MissingColumn(_)
            | TrainError::BadTarget { .. }
            | TrainError::BadWeight { .. } => "InputError",
            TrainError::Params(_) | TrainError::Policy(_) => "ParameterError",
            _ => "TrainingError",
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for BatchError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            BatchError::Io { source, .. }
            | BatchError::Input(microscore::input::InputError::Io { source, .. }) => {
                io_class(source)
            }
            BatchError::Format(_) => "ParameterError",
            _ => "InputError",
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for microscore::input::InputError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            microscore::input::InputError::Io { source, .. } => io_class(source),
            _ => "InputError",
        };
        raise(py, class, self.to_string())
    }
}

/// How to read an input file: format (`csv`, `jsonl`, `parquet`; default from the name and the
/// content), CSV delimiter (`,` `;` `|` `tab`; default detected) and decimal comma.
fn input_options(
    py: Python<'_>,
    format: Option<String>,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<microscore::input::InputOptions> {
    let bad = |e: String| raise(py, "ParameterError", e);
    Ok(microscore::input::InputOptions {
        format: format
            .map(|f| f.parse::<FileFormat>().map_err(|e| bad(e.to_string())))
            .transpose()?,
        delimiter: delimiter
            .map(|d| microscore::input::InputOptions::parse_delimiter(&d).map_err(bad))
            .transpose()?,
        decimal_comma,
    })
}

fn input_error(py: Python<'_>, message: String) -> PyErr {
    raise(py, "InputError", message)
}

// ---------------------------------------------------------------------------------------------
// Threads and fork safety

/// Set once rayon's global pool has been used in this process.
static PARALLEL_USED: AtomicBool = AtomicBool::new(false);
/// Set in a child process forked after the parent used the pool: the pool's threads did not
/// survive the fork, so work runs on a pool of the child's own.
static FORKED_AFTER_PARALLEL: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    if PARALLEL_USED.load(Ordering::SeqCst) {
        FORKED_AFTER_PARALLEL.store(true, Ordering::SeqCst);
    }
}

/// Run `f` (which may use rayon) on `threads` threads, or on the global pool.
fn parallel<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    if threads.is_none() && !FORKED_AFTER_PARALLEL.load(Ordering::SeqCst) {
        PARALLEL_USED.store(true, Ordering::SeqCst);
        return Ok(f());
    }
    if threads == Some(0) {
        return Err(PyErr::new::<pyo3::exceptions::PyValueError, _>(
            "threads must be at least 1",
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start worker threads: {e}")))?;
    Ok(pool.install(f))
}

// ---------------------------------------------------------------------------------------------
// Columns from Python

/// A column held for the duration of a call (the arrays stay borrowed, not copied).
enum Held<'py> {
    Numeric(PyReadonlyArray1<'py, f64>),
    Categorical(PyReadonlyArray1<'py, u32>, Vec<String>),
}

/// Accept `(name, float64 array)` or `(name, (uint32 codes, [levels]))` pairs.
fn hold_columns<'py>(
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

fn contiguous<'a, T: numpy::Element>(
    py: Python<'_>,
    name: &str,
    a: &'a PyReadonlyArray1<'_, T>,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| input_error(py, format!("column '{name}': the array is not contiguous")))
}

fn column_refs<'a>(
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
fn column_to_py<'py>(py: Python<'py>, column: Column) -> PyResult<Bound<'py, PyTuple>> {
    let data: Bound<'py, PyAny> = match column.data {
        ColumnData::Numeric(v) => v.into_pyarray(py).into_any(),
        ColumnData::Categorical { codes, levels } => (codes.into_pyarray(py), levels)
            .into_pyobject(py)?
            .into_any(),
    };
    (column.name, data).into_pyobject(py)
}

// ---------------------------------------------------------------------------------------------
// The model

/// A loaded, validated scorecard (compiled for scoring). Immutable and thread-safe.
#[pyclass(module = "microscore._microscore", name = "Model", frozen)]
struct PyModel {
    scorer: Arc<Scorer>,
}

impl PyModel {
    fn new(model: Model) -> PyModel {
        PyModel {
            scorer: Arc::new(Scorer::new(model)),
        }
    }

    fn model(&self) -> &Model {
        self.scorer.model()
    }
}

/// Every output `score` can return: the per-application results, then flags, reason codes,
/// and the points and bin of every feature.
fn outputs() -> impl Iterator<Item = &'static str> {
    microscore::scoring::RESULT_COLUMNS
        .into_iter()
        .chain(["flags", "reasons", "points", "bins"])
}

#[pymethods]
impl PyModel {
    /// Parse and validate a model from its JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<PyModel> {
        Model::from_json(text)
            .map(PyModel::new)
            .map_err(|e| e.to_py(py))
    }

    /// Load and validate a model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyModel> {
        Model::load(&path)
            .map(PyModel::new)
            .map_err(|e| e.to_py(py))
    }

    /// The built-in default model.
    #[staticmethod]
    fn default(py: Python<'_>) -> PyResult<PyModel> {
        microscore::default_model::default_model()
            .map(PyModel::new)
            .map_err(|e| e.to_py(py))
    }

    /// The model file's JSON text.
    fn to_json(&self) -> String {
        self.model().to_json()
    }

    /// Write the model file (atomically).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.model().save(&path).map_err(|e| e.to_py(py))
    }

    /// The content checksum (sha256).
    #[getter]
    fn checksum(&self) -> &str {
        self.model().checksum()
    }

    /// The target column the model was trained on.
    #[getter]
    fn target(&self) -> &str {
        self.model().target()
    }

    /// The id column, if any.
    #[getter]
    fn id_column(&self) -> Option<&str> {
        self.model().id_column()
    }

    /// Protected attributes recorded at training.
    #[getter]
    fn protected(&self) -> Vec<String> {
        self.model().protected().to_vec()
    }

    /// Feature names, in model order.
    #[getter]
    fn features(&self) -> Vec<String> {
        self.model()
            .features()
            .iter()
            .map(|f| f.name.clone())
            .collect()
    }

    /// Reason code of each feature, in model order.
    #[getter]
    fn reason_codes(&self) -> Vec<String> {
        self.model()
            .features()
            .iter()
            .map(|f| f.reason_code.clone())
            .collect()
    }

    /// Bin labels of each feature, in model order.
    #[getter]
    fn bin_labels(&self) -> Vec<Vec<String>> {
        self.model()
            .features()
            .iter()
            .map(|f| f.binning.bins.iter().map(|b| b.label.clone()).collect())
            .collect()
    }

    /// Grade names, best first.
    #[getter]
    fn grades(&self) -> Vec<String> {
        self.model()
            .grades()
            .iter()
            .map(|g| g.grade.clone())
            .collect()
    }

    /// The columns an application provides, as (name, categorical) pairs.
    #[getter]
    fn input_columns(&self) -> Vec<(String, bool)> {
        self.scorer
            .input_columns()
            .iter()
            .map(|c| (c.name.clone(), c.categorical))
            .collect()
    }

    /// Lowest possible score.
    #[getter]
    fn min_score(&self) -> f64 {
        self.model().min_score()
    }

    /// Highest possible score.
    #[getter]
    fn max_score(&self) -> f64 {
        self.model().max_score()
    }

    /// The scorecard table as JSON (a list of row objects).
    fn scorecard_json(&self) -> String {
        serde_json::to_string(&self.model().scorecard_rows()).unwrap_or_default()
    }

    /// The training summary as JSON.
    fn training_json(&self) -> String {
        serde_json::to_string(self.model().training()).unwrap_or_default()
    }

    /// The training notes (`Model::training_notes`) as JSON: a list of objects with a `kind`,
    /// the note's fields and its `message`.
    fn training_notes_json(&self) -> PyResult<String> {
        let notes: Vec<serde_json::Value> = self
            .model()
            .training_notes()
            .iter()
            .map(|n| {
                let mut v = serde_json::to_value(n)?;
                if let Some(object) = v.as_object_mut() {
                    object.insert("message".into(), n.to_string().into());
                }
                Ok(v)
            })
            .collect::<Result<_, serde_json::Error>>()
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        serde_json::to_string(&notes)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    /// The columns scoring reads, as (name, what reads it) pairs: every feature, and with
    /// `decisions`, the columns of the decision policy.
    #[pyo3(signature = (decisions=true))]
    fn needed_columns(&self, decisions: bool) -> Vec<(String, String)> {
        self.scorer
            .needed_columns(decisions)
            .into_iter()
            .map(|(n, by)| (n.to_string(), by))
            .collect()
    }

    /// The decision policy as JSON (the model file's `policy` object).
    fn policy_json(&self) -> String {
        serde_json::to_string(self.model().policy()).unwrap_or_default()
    }

    /// The parts of the decision policy and whether each is active, one line each.
    fn policy_summary(&self) -> Vec<String> {
        self.model().policy().describe(self.model().scaling())
    }

    /// The scorecard as one SQL SELECT in `dialect` (postgres, duckdb, sqlite or spark) over
    /// `table`, with `reasons` reason codes per row (see `microscore export`).
    #[pyo3(signature = (dialect="duckdb", table="applications", reasons=4))]
    fn to_sql(
        &self,
        py: Python<'_>,
        dialect: &str,
        table: &str,
        reasons: usize,
    ) -> PyResult<String> {
        let dialect: microscore::export::Dialect = dialect
            .parse()
            .map_err(|e: String| raise(py, "ParameterError", e))?;
        microscore::export::to_sql(
            self.model(),
            &microscore::export::SqlOptions {
                dialect,
                table: table.to_string(),
                reasons,
            },
        )
        .map_err(|e| raise(py, "ParameterError", e.to_string()))
    }

    /// The scorecard as a PMML 4.4 document with `reasons` reason-code output fields.
    #[pyo3(signature = (reasons=4))]
    fn to_pmml(&self, py: Python<'_>, reasons: usize) -> PyResult<String> {
        microscore::export::pmml::to_pmml(self.model(), reasons)
            .map_err(|e| raise(py, "ParameterError", e.to_string()))
    }

    /// Each feature's reason statement in `language` (feature order).
    #[pyo3(signature = (language="en"))]
    fn statements(&self, py: Python<'_>, language: &str) -> PyResult<Vec<String>> {
        microscore::reasons::statements_in(self.model(), language)
            .map_err(|e| raise(py, "ParameterError", e.to_string()))
    }

    /// The languages the model has reason statements in.
    #[getter]
    fn languages(&self) -> Vec<String> {
        microscore::reasons::languages(self.model())
    }

    /// The model with the statements of a reasons file's text (`code,language,statement`);
    /// `source` names it in errors.
    fn with_statements(&self, py: Python<'_>, text: &str, source: &str) -> PyResult<PyModel> {
        let rows = microscore::reasons::parse_reasons_csv(text, source)
            .map_err(|e| raise(py, "InputError", e.to_string()))?;
        microscore::reasons::with_statements(self.model(), &rows, source)
            .map(PyModel::new)
            .map_err(|e| raise(py, "InputError", e.to_string()))
    }

    /// Adverse-action notices as JSON, one per declined or referred row (approved rows give
    /// None): from each row's decision code, score, reason features (`-1` = none) and points,
    /// with `ids` (or None) and record numbers counted from 1.
    #[pyo3(signature = (decision, score, reasons, points, ids, language="en", date=None))]
    #[allow(clippy::too_many_arguments)]
    fn notices(
        &self,
        py: Python<'_>,
        decision: Vec<u8>,
        score: Vec<f64>,
        reasons: Vec<Vec<i32>>,
        points: Vec<Vec<f64>>,
        ids: Option<Vec<Option<String>>>,
        language: &str,
        date: Option<String>,
    ) -> PyResult<Vec<Option<String>>> {
        let maker = microscore::reasons::NoticeMaker::new(
            self.model(),
            microscore::reasons::NoticeSettings {
                language: language.to_string(),
                date: date.unwrap_or_else(microscore::reasons::today),
            },
        )
        .map_err(|e| raise(py, "ParameterError", e.to_string()))?;
        let names = ["approve", "refer", "decline"];
        (0..score.len())
            .map(|i| {
                let name = names
                    .get(decision[i] as usize)
                    .copied()
                    .unwrap_or("unknown");
                let id = ids.as_ref().and_then(|v| v.get(i).cloned().flatten());
                let row_points = &points[i];
                maker
                    .notice(
                        id.as_deref(),
                        i as u64 + 1,
                        name,
                        score[i],
                        &reasons[i],
                        |_, f| maker.best_points(f) - row_points[f],
                    )
                    .map(|n| serde_json::to_string(&n))
                    .transpose()
                    .map_err(|e| PyRuntimeError::new_err(e.to_string()))
            })
            .collect()
    }

    /// The same model with another decision policy (a policy spec as JSON).
    fn with_policy(&self, py: Python<'_>, spec_json: &str) -> PyResult<PyModel> {
        let spec = microscore::policy::PolicySpec::from_json(spec_json)
            .map_err(|e| raise(py, "ParameterError", e.to_string()))?;
        self.model()
            .with_policy_spec(&spec)
            .map(PyModel::new)
            .map_err(|e| raise(py, "ParameterError", e.to_string()))
    }

    /// Score `n` rows given as named columns; returns the requested outputs as arrays.
    /// `missing_columns` is `"error"` (an absent column the model reads is an error naming
    /// it) or `"as_missing"` (scored as missing, every row flagged `absent_column`);
    /// `available` lists every column of the caller's data, for "did you mean" in that error.
    #[pyo3(signature = (columns, n, outputs, reasons=0, missing_columns="error", available=None))]
    #[allow(clippy::too_many_arguments)]
    fn score<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyList>,
        n: usize,
        outputs: Vec<String>,
        reasons: usize,
        missing_columns: &str,
        available: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let absent = absent_columns(py, missing_columns)?;
        if let (Some(names), AbsentColumns::Error) = (&available, absent) {
            let decisions = outputs
                .iter()
                .any(|o| matches!(o.as_str(), "decision" | "limit" | "expected_loss"));
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            self.scorer
                .check_columns(&names, decisions)
                .map_err(|e| input_error(py, e.to_string()))?;
        }
        if let Some(bad) = outputs
            .iter()
            .find(|o| !self::outputs().any(|k| k == o.as_str()))
        {
            return Err(raise(
                py,
                "ParameterError",
                format!(
                    "unknown output '{bad}' (one of {})",
                    self::outputs().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let want = |name: &str| outputs.iter().any(|o| o == name);
        let held = hold_columns(py, columns)?;
        let refs = column_refs(py, &held)?;
        let nf = self.model().features().len();
        let k = if want("reasons") { reasons } else { 0 };
        let f64s = |on: bool, len: usize| on.then(|| vec![0.0f64; len]);
        let mut score = f64s(want("score"), n);
        let mut pd = f64s(want("pd"), n);
        let mut limit = f64s(want("limit"), n);
        let mut rate = f64s(want("annual_rate"), n);
        let mut el = f64s(want("expected_loss"), n);
        let mut points = f64s(want("points"), n * nf);
        let mut grade = want("grade").then(|| vec![0u8; n]);
        let mut decision = want("decision").then(|| vec![0u8; n]);
        let mut flags = want("flags").then(|| vec![0u32; n]);
        let mut reason_idx = want("reasons").then(|| vec![-1i32; n * k]);
        let mut bins = want("bins").then(|| vec![0u16; n * nf]);
        let scorer = &self.scorer;
        py.detach(|| {
            parallel(None, || {
                scorer.score_named_columns_with(
                    &refs,
                    n,
                    k,
                    BatchOutput {
                        score: score.as_deref_mut(),
                        pd: pd.as_deref_mut(),
                        grade: grade.as_deref_mut(),
                        decision: decision.as_deref_mut(),
                        limit: limit.as_deref_mut(),
                        expected_loss: el.as_deref_mut(),
                        annual_rate: rate.as_deref_mut(),
                        points: points.as_deref_mut(),
                        bins: bins.as_deref_mut(),
                        flags: flags.as_deref_mut(),
                        reasons: reason_idx.as_deref_mut(),
                    },
                    absent,
                )
            })
        })?
        .map_err(|e| e.to_py(py))?;
        let out = PyDict::new(py);
        let put = |name: &str, v: Option<Bound<'py, PyAny>>| -> PyResult<()> {
            match v {
                Some(v) => out.set_item(name, v),
                None => Ok(()),
            }
        };
        let reshape = |a: Bound<'py, PyArray1<f64>>, cols: usize| -> PyResult<Bound<'py, PyAny>> {
            Ok(a.reshape([n, cols])?.into_any())
        };
        put("score", score.map(|v| v.into_pyarray(py).into_any()))?;
        put("pd", pd.map(|v| v.into_pyarray(py).into_any()))?;
        put("grade", grade.map(|v| v.into_pyarray(py).into_any()))?;
        put("decision", decision.map(|v| v.into_pyarray(py).into_any()))?;
        put("limit", limit.map(|v| v.into_pyarray(py).into_any()))?;
        put("annual_rate", rate.map(|v| v.into_pyarray(py).into_any()))?;
        put("expected_loss", el.map(|v| v.into_pyarray(py).into_any()))?;
        put("flags", flags.map(|v| v.into_pyarray(py).into_any()))?;
        if let Some(v) = reason_idx {
            put(
                "reasons",
                Some(v.into_pyarray(py).reshape([n, k])?.into_any()),
            )?;
        }
        if let Some(v) = points {
            put("points", Some(reshape(v.into_pyarray(py), nf)?))?;
        }
        if let Some(v) = bins {
            put(
                "bins",
                Some(v.into_pyarray(py).reshape([n, nf])?.into_any()),
            )?;
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "<microscore.Model: {} features, scores {:.1} to {:.1}, checksum {}>",
            self.model().features().len(),
            self.model().min_score(),
            self.model().max_score(),
            &self.model().checksum()[..12.min(self.model().checksum().len())]
        )
    }
}

/// `missing_columns` as the core's setting.
fn absent_columns(py: Python<'_>, missing_columns: &str) -> PyResult<AbsentColumns> {
    match missing_columns {
        "error" => Ok(AbsentColumns::Error),
        "as_missing" => Ok(AbsentColumns::AsMissing),
        other => Err(raise(
            py,
            "ParameterError",
            format!("missing_columns must be \"error\" or \"as_missing\", got {other:?}"),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Functions

/// Train a model on named columns; `config` is a JSON object of training settings.
#[pyfunction]
#[pyo3(signature = (columns, target, config="{}"))]
fn train(
    py: Python<'_>,
    columns: &Bound<'_, PyList>,
    target: String,
    config: &str,
) -> PyResult<PyModel> {
    let params = TrainConfig::from_json(config)
        .and_then(|c| c.into_params(target))
        .map_err(|e| e.to_py(py))?;
    let held = hold_columns(py, columns)?;
    let refs = column_refs(py, &held)?;
    let n = refs.first().map_or(0, |c| c.data.len());
    if let Some(c) = refs.iter().find(|c| c.data.len() != n) {
        return Err(input_error(
            py,
            format!(
                "column '{}' has {} values, but column '{}' has {n}: all columns must have the same length",
                c.name,
                c.data.len(),
                refs[0].name
            ),
        ));
    }
    for c in &refs {
        c.check(n).map_err(|e| e.to_py(py))?;
    }
    let model = py.detach(|| {
        let table = Table::new(
            refs.iter()
                .map(|c| Column {
                    name: c.name.to_string(),
                    data: match c.data {
                        ColumnRef::Numeric(v) => ColumnData::Numeric(v.to_vec()),
                        ColumnRef::Categorical { codes, levels } => ColumnData::Categorical {
                            codes: codes.to_vec(),
                            levels: levels.to_vec(),
                        },
                    },
                })
                .collect(),
        );
        parallel(None, || core_train(&table, &params))
    })?;
    model.map(PyModel::new).map_err(|e| e.to_py(py))
}

/// Numbers as categories, the way a file reader sees them: returns (codes, levels).
#[pyfunction]
fn categories_from_numbers<'py>(
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
fn arrow_stream_columns<'py>(
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
fn read_table<'py>(
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

/// Score a file into another with the streaming batch scorer; returns the summary as JSON.
#[pyfunction]
#[pyo3(signature = (model, input, output, rejects=None, reasons=4, keep=Vec::new(), strict=false, force=false, input_format=None, output_format=None, threads=None, missing_columns="error", reason_text=None, adverse_action=None, notice_date=None, language="en", delimiter=None, decimal_comma=false))]
#[allow(clippy::too_many_arguments)]
fn score_file(
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
                .map_err(|e| raise(py, "ParameterError", e.to_string()))
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
            settings: microscore::reasons::NoticeSettings {
                language: language.to_string(),
                date: notice_date.unwrap_or_else(microscore::reasons::today),
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

impl ToPyErr for microscore::report::ReportError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            microscore::report::ReportError::Io { source, .. } => io_class(source),
            _ => "InputError",
        };
        raise(py, class, self.to_string())
    }
}

/// Write `text` to `path` atomically.
fn write_report(py: Python<'_>, path: &std::path::Path, text: &str) -> PyResult<()> {
    use std::io::Write;
    let result = microscore::format::AtomicFile::create(path, true).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.commit()
    });
    result.map_err(|e| raise(py, io_class(&e), format!("{}: {e}", path.display())))
}

/// The validation report of a model on a labelled CSV file, as JSON; also written as HTML or
/// Markdown when paths are given.
#[pyfunction]
#[pyo3(signature = (model, data, target=None, protected=None, html=None, markdown=None, format=None, delimiter=None, decimal_comma=false))]
#[allow(clippy::too_many_arguments)]
fn evaluate(
    py: Python<'_>,
    model: &PyModel,
    data: PathBuf,
    target: Option<String>,
    protected: Option<Vec<String>>,
    html: Option<PathBuf>,
    markdown: Option<PathBuf>,
    format: Option<String>,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<String> {
    use microscore::report::{self, render, ReportInput};
    let input = ReportInput {
        path: data,
        target,
        require_target: true,
        protected: protected.unwrap_or_else(|| model.model().protected().to_vec()),
        decisions: true,
        input: input_options(py, format, delimiter, decimal_comma)?,
    };
    let scorer = &model.scorer;
    let e = py
        .detach(|| parallel(None, || report::evaluate(scorer, &input)))?
        .map_err(|e| e.to_py(py))?;
    if let Some(path) = html {
        write_report(py, &path, &render::evaluation_html(&e))?;
    }
    if let Some(path) = markdown {
        write_report(py, &path, &render::evaluation_markdown(&e))?;
    }
    serde_json::to_string(&e).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The monitoring report (current against baseline CSV files) as JSON; also written as HTML or
/// Markdown when paths are given.
#[pyfunction]
#[pyo3(signature = (model, baseline, current, target=None, html=None, markdown=None, format=None, delimiter=None, decimal_comma=false))]
#[allow(clippy::too_many_arguments)]
fn monitor(
    py: Python<'_>,
    model: &PyModel,
    baseline: PathBuf,
    current: PathBuf,
    target: Option<String>,
    html: Option<PathBuf>,
    markdown: Option<PathBuf>,
    format: Option<String>,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<String> {
    use microscore::report::{self, render, ReportInput};
    let read = input_options(py, format, delimiter, decimal_comma)?;
    let input = |path: PathBuf| ReportInput {
        path,
        target: target.clone(),
        require_target: false,
        protected: Vec::new(),
        decisions: false,
        input: read,
    };
    let (b, c) = (input(baseline), input(current));
    let scorer = &model.scorer;
    let m = py
        .detach(|| parallel(None, || report::monitor(scorer, &b, &c)))?
        .map_err(|e| e.to_py(py))?;
    if let Some(path) = html {
        write_report(py, &path, &render::monitoring_html(&m))?;
    }
    if let Some(path) = markdown {
        write_report(py, &path, &render::monitoring_markdown(&m))?;
    }
    serde_json::to_string(&m).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The strategy table of a model on a CSV file, as JSON (see `microscore strategy`).
#[pyfunction]
#[pyo3(signature = (model, data, target=None, step=None, approve_rate=None, max_bad_rate=None, refer_band=None, format=None, delimiter=None, decimal_comma=false))]
#[allow(clippy::too_many_arguments)]
fn strategy(
    py: Python<'_>,
    model: &PyModel,
    data: PathBuf,
    target: Option<String>,
    step: Option<f64>,
    approve_rate: Option<f64>,
    max_bad_rate: Option<f64>,
    refer_band: Option<f64>,
    format: Option<String>,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<(String, Option<String>)> {
    use microscore::report::strategy::{
        strategy as core_strategy, StrategyOptions, StrategyTarget,
    };
    use microscore::report::ReportInput;
    let choice = match (approve_rate, max_bad_rate) {
        (Some(_), Some(_)) => {
            return Err(raise(
                py,
                "ParameterError",
                "give approve_rate or max_bad_rate, not both".into(),
            ))
        }
        (Some(r), None) => Some(StrategyTarget::ApproveRate(r)),
        (None, Some(b)) => Some(StrategyTarget::MaxBadRate(b)),
        (None, None) => None,
    };
    let input = ReportInput {
        path: data,
        require_target: target.is_some(),
        target,
        protected: Vec::new(),
        decisions: true,
        input: input_options(py, format, delimiter, decimal_comma)?,
    };
    let options = StrategyOptions {
        step,
        target: choice,
        refer_band,
    };
    let scorer = &model.scorer;
    let s = py
        .detach(|| parallel(None, || core_strategy(scorer, &input, &options)))?
        .map_err(|e| e.to_py(py))?;
    let policy = s.chosen.as_ref().map(|c| {
        let mut spec = microscore::policy::PolicySpec::of(scorer.model().policy());
        spec.approve_min_score = Some(c.approve_min_score);
        spec.decline_below_score = Some(c.decline_below_score);
        spec.to_json()
    });
    let table = serde_json::to_string(&s).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((table, policy))
}

// ---------------------------------------------------------------------------------------------
// Arrow record batches (Spark's mapInArrow) and partitioned training

impl ToPyErr for DistributedError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            DistributedError::Value { .. } | DistributedError::Column { .. } => "InputError",
            _ => "ParameterError",
        };
        raise(py, class, self.to_string())
    }
}

/// The record batches of an Arrow IPC stream, with its schema.
fn read_ipc(py: Python<'_>, data: &[u8]) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let bad = |e: arrow_schema::ArrowError| {
        raise(py, "InputError", format!("not an Arrow IPC stream: {e}"))
    };
    let reader = StreamReader::try_new(std::io::Cursor::new(data), None).map_err(bad)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(bad)?;
    Ok((schema, batches))
}

/// Record batches as an Arrow IPC stream.
fn write_ipc(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, String> {
    let mut writer = StreamWriter::try_new(Vec::new(), schema).map_err(|e| e.to_string())?;
    for b in batches {
        writer.write(b).map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

/// Score the record batches of an Arrow IPC stream: one output row per input row (scored, or
/// rejected with the column, value and reason), as an Arrow IPC stream. A stream without
/// batches gives the output schema (no rows).
#[pyfunction]
#[pyo3(signature = (model, data, keep=Vec::new(), reasons=4, source="DataFrame".to_string()))]
fn score_arrow<'py>(
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

/// One partition's statistics for a training request (the executor side of partitioned
/// training): fold Arrow IPC streams in with `add`, then `finish` gives the partial as JSON.
#[pyclass(module = "microscore._microscore", name = "PartialStats")]
struct PyPartialStats {
    stats: Option<PartialStats>,
}

#[pymethods]
impl PyPartialStats {
    #[new]
    fn new(py: Python<'_>, request: &str) -> PyResult<PyPartialStats> {
        let request = Request::from_json(request).map_err(|e| e.to_py(py))?;
        let stats = PartialStats::new(request).map_err(|e| e.to_py(py))?;
        Ok(PyPartialStats { stats: Some(stats) })
    }

    /// Fold the record batches of an Arrow IPC stream in.
    fn add(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        let (_, batches) = read_ipc(py, data)?;
        let stats = self
            .stats
            .as_mut()
            .ok_or_else(|| raise(py, "ParameterError", "finish() was already called".into()))?;
        py.detach(|| batches.iter().try_for_each(|b| stats.add(b)))
            .map_err(|e| e.to_py(py))
    }

    /// The partial as JSON (once).
    fn finish(&mut self, py: Python<'_>) -> PyResult<String> {
        let stats = self
            .stats
            .take()
            .ok_or_else(|| raise(py, "ParameterError", "finish() was already called".into()))?;
        stats.finish().to_json().map_err(|e| e.to_py(py))
    }
}

/// Train on partitioned data. `columns` are `(name, "numeric" | "categorical")`; `run(request)`
/// sends a request (JSON) to every partition and returns their partials (JSON), in partition
/// order. An exception raised by `run` propagates unchanged.
#[pyfunction]
fn train_partitioned(
    py: Python<'_>,
    target: String,
    columns: Vec<(String, String)>,
    settings_json: &str,
    run: Bound<'_, PyAny>,
) -> PyResult<PyModel> {
    let params = TrainConfig::from_json(settings_json)
        .and_then(|c| c.into_params(target))
        .map_err(|e| e.to_py(py))?;
    let columns = columns
        .into_iter()
        .map(|(name, kind)| match kind.as_str() {
            "numeric" => Ok((name, ColumnKind::Numeric)),
            "categorical" => Ok((name, ColumnKind::Categorical)),
            other => Err(raise(
                py,
                "ParameterError",
                format!("column '{name}': kind '{other}' is not numeric or categorical"),
            )),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let mut raised: Option<PyErr> = None;
    let mut call = |request: &Request| -> Result<Vec<Partial>, TrainError> {
        let failed = |m: String| TrainError::Params(m);
        let json = request.to_json().map_err(|e| failed(e.to_string()))?;
        let result = run.call1((json,)).and_then(|r| r.extract::<Vec<String>>());
        match result {
            Ok(parts) => parts
                .iter()
                .map(|p| Partial::from_json(p).map_err(|e| failed(e.to_string())))
                .collect(),
            Err(e) => {
                raised = Some(e);
                Err(failed("a pass over the partitions failed".into()))
            }
        }
    };
    let result = train_partitioned_core(&params, &columns, &mut call);
    match (result, raised) {
        (Ok(model), _) => Ok(PyModel::new(model)),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(e.to_py(py)),
    }
}

/// The native module.
#[pymodule]
fn _microscore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    #[cfg(unix)]
    // SAFETY: registers a plain function that only stores to an atomic.
    unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    }
    m.add_class::<PyModel>()?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(read_table, m)?)?;
    m.add_function(wrap_pyfunction!(arrow_stream_columns, m)?)?;
    m.add_function(wrap_pyfunction!(score_file, m)?)?;
    m.add_function(wrap_pyfunction!(categories_from_numbers, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(monitor, m)?)?;
    m.add_function(wrap_pyfunction!(strategy, m)?)?;
    m.add_function(wrap_pyfunction!(score_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(train_partitioned, m)?)?;
    m.add_class::<PyPartialStats>()?;
    m.add("MAX_REASONS", microscore::scoring::MAX_REASONS)?;
    m.add("MISSING_CODE", MISSING_CODE)?;
    m.add("FLAG_NAMES", microscore::scoring::flags::NAMES.to_vec())?;
    m.add(
        "DECISIONS",
        [Decision::Approve, Decision::Refer, Decision::Decline]
            .map(Decision::as_str)
            .to_vec(),
    )?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    // The training defaults, from the one place they are set (the estimator's signature
    // reads them from here).
    m.add(
        "TRAIN_DEFAULTS",
        serde_json::to_string(&TrainConfig::default())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?,
    )?;
    Ok(())
}
