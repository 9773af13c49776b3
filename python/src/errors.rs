//! The `microscore` exception hierarchy, created here when the module is imported, and the one
//! conversion of each core error type to it: the class follows the cause (bad input, a bad
//! setting, a model file, training, a file system error), the message is the core's.
//!
//! Classes that are both a microscore error and a built-in (`InputError` is a `ValueError`,
//! `MicroscoreFileNotFoundError` a `FileNotFoundError`) have two bases, which
//! `create_exception!` cannot express, so they are made with Python's `type` here, once.

use microscore::batch::BatchError;
use microscore::input::table::TableError;
use microscore::model::ModelError;
use microscore::scoring::ScoreError;
use microscore::train::distributed::DistributedError;
use microscore::train::TrainError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// The exception classes, in the order they are created (every base before its subclasses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub(crate) enum Class {
    MicroscoreError,
    InputError,
    ParameterError,
    ModelFileError,
    TrainingError,
    MicroscoreOSError,
    MicroscoreFileNotFoundError,
    MicroscorePermissionError,
    MicroscoreFileExistsError,
}

/// A base of a class: another microscore class or a built-in exception.
enum Base {
    Ours(Class),
    Builtin(&'static str),
}

/// Every class: (class, name, bases, docstring).
const CLASSES: [(Class, &str, &[Base], &str); 9] = [
    (
        Class::MicroscoreError,
        "MicroscoreError",
        &[Base::Builtin("Exception")],
        "Base class of every microscore error.",
    ),
    (
        Class::InputError,
        "InputError",
        &[
            Base::Ours(Class::MicroscoreError),
            Base::Builtin("ValueError"),
        ],
        "The data cannot be used: a missing or wrongly typed column, ragged columns, a bad \
         target or weight, a malformed file.",
    ),
    (
        Class::ParameterError,
        "ParameterError",
        &[
            Base::Ours(Class::MicroscoreError),
            Base::Builtin("ValueError"),
        ],
        "A setting is out of range, unknown, or inconsistent with another.",
    ),
    (
        Class::ModelFileError,
        "ModelFileError",
        &[
            Base::Ours(Class::MicroscoreError),
            Base::Builtin("ValueError"),
        ],
        "A model file is not a valid scorecard: bad JSON, an unsupported version, an invalid \
         field (named), or a checksum mismatch.",
    ),
    (
        Class::TrainingError,
        "TrainingError",
        &[
            Base::Ours(Class::MicroscoreError),
            Base::Builtin("ValueError"),
        ],
        "Training could not produce a model (no feature survived selection, the fit failed).",
    ),
    (
        Class::MicroscoreOSError,
        "MicroscoreOSError",
        &[Base::Ours(Class::MicroscoreError), Base::Builtin("OSError")],
        "Reading or writing a file failed.",
    ),
    (
        Class::MicroscoreFileNotFoundError,
        "MicroscoreFileNotFoundError",
        &[
            Base::Ours(Class::MicroscoreOSError),
            Base::Builtin("FileNotFoundError"),
        ],
        "A file does not exist.",
    ),
    (
        Class::MicroscorePermissionError,
        "MicroscorePermissionError",
        &[
            Base::Ours(Class::MicroscoreOSError),
            Base::Builtin("PermissionError"),
        ],
        "A file cannot be read or written for lack of permission.",
    ),
    (
        Class::MicroscoreFileExistsError,
        "MicroscoreFileExistsError",
        &[
            Base::Ours(Class::MicroscoreOSError),
            Base::Builtin("FileExistsError"),
        ],
        "An output file exists and ``force`` was not given.",
    ),
];

/// The classes once created (one interpreter per process: the module is abi3, single-phase).
static TYPES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&Vec<Py<PyType>>> {
    TYPES.get_or_try_init(py, || {
        let builtins = py.import("builtins")?;
        let make_type = builtins.getattr("type")?;
        let mut made: Vec<Py<PyType>> = Vec::with_capacity(CLASSES.len());
        for (class, name, bases, doc) in CLASSES {
            debug_assert_eq!(class as usize, made.len());
            let bases = bases
                .iter()
                .map(|b| match b {
                    Base::Ours(c) => Ok(made[*c as usize].bind(py).clone().into_any()),
                    Base::Builtin(n) => builtins.getattr(*n),
                })
                .collect::<PyResult<Vec<_>>>()?;
            let namespace = PyDict::new(py);
            namespace.set_item("__doc__", doc)?;
            namespace.set_item("__module__", "microscore._microscore")?;
            let ty = make_type
                .call1((name, PyTuple::new(py, bases)?, namespace))?
                .cast_into::<PyType>()
                .map_err(PyErr::from)?;
            made.push(ty.unbind());
        }
        Ok(made)
    })
}

/// Add every class to the module (the `microscore` package re-exports them).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for ((_, name, _, _), ty) in CLASSES.iter().zip(types(py)?) {
        m.add(*name, ty.bind(py))?;
    }
    Ok(())
}

/// An instance of `class` with `message`.
pub(crate) fn raise(py: Python<'_>, class: Class, message: String) -> PyErr {
    match types(py) {
        Ok(types) => PyErr::from_type(types[class as usize].bind(py).clone(), message),
        Err(e) => e,
    }
}

/// The class of a file system error, by its kind.
pub(crate) fn io_class(e: &std::io::Error) -> Class {
    match e.kind() {
        std::io::ErrorKind::NotFound => Class::MicroscoreFileNotFoundError,
        std::io::ErrorKind::PermissionDenied => Class::MicroscorePermissionError,
        std::io::ErrorKind::AlreadyExists => Class::MicroscoreFileExistsError,
        _ => Class::MicroscoreOSError,
    }
}

/// One conversion per core error type: the class follows the cause, the message is Rust's.
pub(crate) trait ToPyErr {
    fn to_py(self, py: Python<'_>) -> PyErr;
}

impl ToPyErr for ModelError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            ModelError::Io { source, .. } => io_class(source),
            _ => Class::ModelFileError,
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for ScoreError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        raise(py, Class::InputError, self.to_string())
    }
}

impl ToPyErr for TableError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            TableError::Io { source, .. }
            | TableError::Input(microscore::input::InputError::Io { source, .. }) => {
                io_class(source)
            }
            _ => Class::InputError,
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for TrainError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            TrainError::MissingColumn(_)
            | TrainError::BadTarget { .. }
            | TrainError::BadWeight { .. } => Class::InputError,
            TrainError::Setting(_)
            | TrainError::Params(_)
            | TrainError::Config(_)
            | TrainError::Policy(_) => Class::ParameterError,
            _ => Class::TrainingError,
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
            BatchError::Format(_) => Class::ParameterError,
            _ => Class::InputError,
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for microscore::input::InputError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            microscore::input::InputError::Io { source, .. } => io_class(source),
            _ => Class::InputError,
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for microscore::report::ReportError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            microscore::report::ReportError::Io { source, .. } => io_class(source),
            _ => Class::InputError,
        };
        raise(py, class, self.to_string())
    }
}

impl ToPyErr for DistributedError {
    fn to_py(self, py: Python<'_>) -> PyErr {
        let class = match &self {
            DistributedError::Value { .. } | DistributedError::Column { .. } => Class::InputError,
            _ => Class::ParameterError,
        };
        raise(py, class, self.to_string())
    }
}
