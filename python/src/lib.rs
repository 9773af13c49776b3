//! `microscore._microscore`: the native module behind the `microscore` Python package.
//!
//! A thin layer: it turns Python objects into borrowed columns (zero-copy for contiguous
//! float64 arrays), releases the GIL, and calls the same Rust functions the command line and the
//! C ABI call. Errors become the `microscore` exception hierarchy (created in
//! `errors.rs`) with the Rust messages unchanged.
//!
//! One file per concept: `errors` (the exception classes and the conversion of each core
//! error), `threads` (the pool and fork safety), `columns` (Python arrays, tables and Arrow
//! streams to and from the core's columns), `model` (the `Model` class), `training` (in memory
//! and partitioned), `scoring` (files and Arrow batches), `reports` (evaluate, monitor,
//! strategy, AUC, flag text). The imports below are shared by all of them (`use super::*`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use microscore::batch::{self, score_record_batch, BatchOptions, FrameOptions};
use microscore::input::table::MISSING_CODE;
use microscore::input::table::{
    read_table as core_read_table, Column, ColumnData, ReadOptions, Table,
};
use microscore::model::policy::Decision;
use microscore::model::Model;
use microscore::scoring::{AbsentColumns, BatchOutput, ColumnRef, NamedColumn, Scorer};
use microscore::train::distributed::{
    train_partitioned as train_partitioned_core, ColumnKind, Partial, PartialStats, Request,
};
use microscore::train::{train as core_train, TrainConfig, TrainError};
use microscore::FileFormat;
use numpy::{IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

type SchemaRef = arrow_schema::SchemaRef;

mod columns;
mod errors;
mod model;
mod reports;
mod scoring;
mod threads;
mod training;

use columns::*;
use errors::{io_class, raise, Class, ToPyErr};
use model::*;
use threads::*;

/// How to read an input file: format (`csv`, `jsonl`, `parquet`; default from the name and the
/// content), CSV delimiter (`,` `;` `|` `tab`; default detected) and decimal comma.
pub(crate) fn input_options(
    py: Python<'_>,
    format: Option<String>,
    delimiter: Option<String>,
    decimal_comma: bool,
) -> PyResult<microscore::input::InputOptions> {
    let bad = |e: String| raise(py, Class::ParameterError, e);
    Ok(microscore::input::InputOptions {
        format: format
            .map(|f| f.parse::<FileFormat>().map_err(|e| bad(e.to_string())))
            .transpose()?,
        delimiter: delimiter
            .map(|d| {
                microscore::input::InputOptions::parse_delimiter(&d).map_err(|e| bad(e.to_string()))
            })
            .transpose()?,
        decimal_comma,
    })
}

pub(crate) fn input_error(py: Python<'_>, message: String) -> PyErr {
    raise(py, Class::InputError, message)
}

/// The native module.
#[pymodule]
fn _microscore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    #[cfg(unix)]
    // SAFETY: registers a plain function that only stores to an atomic.
    unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    }
    errors::register(m)?;
    m.add_class::<PyModel>()?;
    m.add_function(wrap_pyfunction!(training::train, m)?)?;
    m.add_function(wrap_pyfunction!(columns::read_table, m)?)?;
    m.add_function(wrap_pyfunction!(columns::arrow_stream_columns, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::score_file, m)?)?;
    m.add_function(wrap_pyfunction!(columns::categories_from_numbers, m)?)?;
    m.add_function(wrap_pyfunction!(reports::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(reports::monitor, m)?)?;
    m.add_function(wrap_pyfunction!(reports::strategy, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::score_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(training::train_partitioned, m)?)?;
    m.add_function(wrap_pyfunction!(reports::flag_text, m)?)?;
    m.add_function(wrap_pyfunction!(reports::auc, m)?)?;
    m.add_class::<training::PyPartialStats>()?;
    m.add("MAX_REASONS", microscore::scoring::MAX_REASONS)?;
    m.add("MISSING_CODE", MISSING_CODE)?;
    m.add("FLAG_NAMES", microscore::scoring::flags::NAMES.to_vec())?;
    m.add("DECISIONS", Decision::ALL.map(Decision::as_str).to_vec())?;
    m.add(
        "RESULT_COLUMNS",
        microscore::output::ResultColumn::ALL
            .map(microscore::output::ResultColumn::name)
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
