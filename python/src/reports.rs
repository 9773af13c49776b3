//! Reports and figures: evaluate, monitor, strategy, the AUC and the flags' text.

use super::*;

/// Write `text` to `path` atomically.
pub(crate) fn write_report(py: Python<'_>, path: &std::path::Path, text: &str) -> PyResult<()> {
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
pub(crate) fn evaluate(
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
pub(crate) fn monitor(
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
pub(crate) fn strategy(
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
                Class::ParameterError,
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
        let mut spec = microscore::model::policy::PolicySpec::of(scorer.model().policy());
        spec.approve_min_score = Some(c.approve_min_score);
        spec.decline_below_score = Some(c.decline_below_score);
        spec.to_json()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))
    });
    let policy = policy.transpose()?;
    let table = serde_json::to_string(&s).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((table, policy))
}

/// The flags of each row as the output files write them (`scoring::flags::text`): names
/// joined by `;`, "" when none. One Python string per distinct value, shared by its rows.
#[pyfunction]
pub(crate) fn flag_text<'py>(
    py: Python<'py>,
    bits: PyReadonlyArray1<'py, u32>,
) -> PyResult<Bound<'py, PyList>> {
    let mut seen: std::collections::HashMap<u32, Bound<'py, pyo3::types::PyString>> =
        std::collections::HashMap::new();
    let bits = bits.as_array();
    let mut texts = Vec::with_capacity(bits.len());
    for &b in bits.iter() {
        let text = seen.entry(b).or_insert_with(|| {
            pyo3::types::PyString::new(py, &microscore::scoring::flags::text(b))
        });
        texts.push(text.clone());
    }
    PyList::new(py, texts)
}

/// Weighted AUC of `risk` (higher = more likely to default) against `y` (0 or 1), ties counted
/// one half: `metrics::auc`, the figure `train` and `evaluate` report.
#[pyfunction]
#[pyo3(signature = (y, risk, weights=None))]
pub(crate) fn auc(
    py: Python<'_>,
    y: PyReadonlyArray1<'_, f64>,
    risk: PyReadonlyArray1<'_, f64>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<f64> {
    // Borrowed when contiguous (the estimator passes contiguous arrays), copied otherwise.
    fn values<'a>(a: &'a PyReadonlyArray1<'_, f64>) -> std::borrow::Cow<'a, [f64]> {
        match a.as_slice() {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => std::borrow::Cow::Owned(a.as_array().to_vec()),
        }
    }
    let y = y.as_array();
    let risk = values(&risk);
    if y.len() != risk.len() {
        return Err(raise(
            py,
            Class::InputError,
            format!(
                "y has {} values and the predictions {}",
                y.len(),
                risk.len()
            ),
        ));
    }
    let bad = y
        .iter()
        .enumerate()
        .map(|(i, &v)| match v {
            0.0 => Ok(false),
            1.0 => Ok(true),
            other => Err(raise(
                py,
                Class::InputError,
                format!("y must hold only 0 and 1 (row {} holds {other})", i + 1),
            )),
        })
        .collect::<PyResult<Vec<bool>>>()?;
    let weights = weights.as_ref().map(values);
    if weights.as_ref().is_some_and(|w| w.len() != bad.len()) {
        return Err(raise(
            py,
            Class::InputError,
            "sample_weight has a different length from y".into(),
        ));
    }
    microscore::metrics::auc(&risk, &bad, weights.as_deref()).ok_or_else(|| {
        raise(
            py,
            Class::InputError,
            "AUC needs both defaults and non-defaults in y (of positive weight), predictions \
             that are numbers and weights that are finite and at least 0"
                .into(),
        )
    })
}
