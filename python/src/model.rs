//! The `Model` class: a loaded scorecard, its introspection, scoring, explanations, exports.

use super::*;

/// A loaded, validated scorecard (compiled for scoring). Immutable and thread-safe.
#[pyclass(module = "microscore._microscore", name = "Model", frozen)]
pub(crate) struct PyModel {
    pub(crate) scorer: Arc<Scorer>,
}

impl PyModel {
    pub(crate) fn new(model: Model) -> PyModel {
        PyModel {
            scorer: Arc::new(Scorer::new(model)),
        }
    }

    pub(crate) fn model(&self) -> &Model {
        self.scorer.model()
    }
}

/// Every output `score` can return: the per-application results, then flags, reason codes,
/// and the points and bin of every feature.
pub(crate) fn outputs() -> impl Iterator<Item = &'static str> {
    microscore::output::ResultColumn::ALL
        .into_iter()
        .map(microscore::output::ResultColumn::name)
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
        microscore::model::builtin::default_model()
            .map(PyModel::new)
            .map_err(|e| e.to_py(py))
    }

    /// The model file's JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.model().to_json().map_err(|e| e.to_py(py))
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
            .map_err(|e: String| raise(py, Class::ParameterError, e))?;
        microscore::export::to_sql(
            self.model(),
            &microscore::export::SqlOptions {
                dialect,
                table: table.to_string(),
                reasons,
            },
        )
        .map_err(|e| raise(py, Class::ParameterError, e.to_string()))
    }

    /// The scorecard as a PMML 4.4 document with `reasons` reason-code output fields.
    #[pyo3(signature = (reasons=4))]
    fn to_pmml(&self, py: Python<'_>, reasons: usize) -> PyResult<String> {
        microscore::export::pmml::to_pmml(self.model(), reasons)
            .map_err(|e| raise(py, Class::ParameterError, e.to_string()))
    }

    /// Each feature's reason statement in `language` (feature order).
    #[pyo3(signature = (language="en"))]
    fn statements(&self, py: Python<'_>, language: &str) -> PyResult<Vec<String>> {
        microscore::scoring::reasons::statements_in(self.model(), language)
            .map_err(|e| raise(py, Class::ParameterError, e.to_string()))
    }

    /// The languages the model has reason statements in.
    #[getter]
    fn languages(&self) -> Vec<String> {
        microscore::scoring::reasons::languages(self.model())
    }

    /// The model with the statements of a reasons file's text (`code,language,statement`);
    /// `source` names it in errors.
    fn with_statements(&self, py: Python<'_>, text: &str, source: &str) -> PyResult<PyModel> {
        let rows = microscore::scoring::reasons::parse_reasons_csv(text, source)
            .map_err(|e| raise(py, Class::InputError, e.to_string()))?;
        microscore::scoring::reasons::with_statements(self.model(), &rows, source)
            .map(PyModel::new)
            .map_err(|e| raise(py, Class::InputError, e.to_string()))
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
        let maker = microscore::scoring::reasons::NoticeMaker::new(
            self.model(),
            microscore::scoring::reasons::NoticeSettings {
                language: language.to_string(),
                date: date.unwrap_or_else(microscore::scoring::reasons::today),
            },
        )
        .map_err(|e| raise(py, Class::ParameterError, e.to_string()))?;
        (0..score.len())
            .map(|i| {
                let name = Decision::from_code(decision[i]).map_or("unknown", Decision::as_str);
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
        let spec = microscore::model::policy::PolicySpec::from_json(spec_json)
            .map_err(|e| raise(py, Class::ParameterError, e.to_string()))?;
        self.model()
            .with_policy_spec(&spec)
            .map(PyModel::new)
            .map_err(|e| raise(py, Class::ParameterError, e.to_string()))
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
                Class::ParameterError,
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
pub(crate) fn absent_columns(py: Python<'_>, missing_columns: &str) -> PyResult<AbsentColumns> {
    match missing_columns {
        "error" => Ok(AbsentColumns::Error),
        "as_missing" => Ok(AbsentColumns::AsMissing),
        other => Err(raise(
            py,
            Class::ParameterError,
            format!("missing_columns must be \"error\" or \"as_missing\", got {other:?}"),
        )),
    }
}
