//! Training: in memory (`train`) and over partitions (`PartialStats`, `train_partitioned`:
//! Spark's executors and driver).

use super::*;

/// Train a model on named columns; `config` is a JSON object of training settings.
#[pyfunction]
#[pyo3(signature = (columns, target, config="{}"))]
pub(crate) fn train(
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

/// One partition's statistics for a training request (the executor side of partitioned
/// training): fold Arrow IPC streams in with `add`, then `finish` gives the partial as JSON.
#[pyclass(module = "microscore._microscore", name = "PartialStats")]
pub(crate) struct PyPartialStats {
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
        let stats = self.stats.as_mut().ok_or_else(|| {
            raise(
                py,
                Class::ParameterError,
                "finish() was already called".into(),
            )
        })?;
        py.detach(|| batches.iter().try_for_each(|b| stats.add(b)))
            .map_err(|e| e.to_py(py))
    }

    /// The partial as JSON (once).
    fn finish(&mut self, py: Python<'_>) -> PyResult<String> {
        let stats = self.stats.take().ok_or_else(|| {
            raise(
                py,
                Class::ParameterError,
                "finish() was already called".into(),
            )
        })?;
        stats.finish().to_json().map_err(|e| e.to_py(py))
    }
}

/// Train on partitioned data. `columns` are `(name, "numeric" | "categorical")`; `run(request)`
/// sends a request (JSON) to every partition and returns their partials (JSON), in partition
/// order. An exception raised by `run` propagates unchanged.
#[pyfunction]
pub(crate) fn train_partitioned(
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
                Class::ParameterError,
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
