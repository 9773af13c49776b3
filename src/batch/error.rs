//! The errors that stop a batch (bad rows do not: they go to the rejects file).

use std::path::PathBuf;

use crate::input::Reject;
use crate::scoring::ScoreError;

/// Errors that stop a batch (bad rows do not: they go to the rejects file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The header lacks columns the model, its policy or the options need.
    #[error("{path}: {missing}")]
    MissingColumns {
        /// Input file.
        path: PathBuf,
        /// The missing columns, each with what needs it and a "did you mean".
        missing: crate::input::schema::MissingColumns,
    },
    /// The header is unusable.
    #[error("{path}: {message}")]
    BadHeader {
        /// Input file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The run was interrupted (SIGINT, SIGTERM, or the caller's cancel flag): nothing was
    /// written.
    #[error("interrupted: nothing written")]
    Interrupted,
    /// `--strict`: the first bad row stops the batch.
    #[error("{path}, line {}: {}", .reject.line, .reject.describe())]
    Strict {
        /// Input file.
        path: PathBuf,
        /// The bad row.
        reject: Reject,
    },
    /// The file format cannot be handled.
    #[error("{0}")]
    Format(String),
    /// The input cannot be opened as a table (format, encoding, header).
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// Reason statements or notices cannot be made as asked (a language the model lacks, a
    /// bad date).
    #[error(transparent)]
    Reasons(#[from] crate::scoring::reasons::ReasonsError),
    /// Scoring failed (a bug if it happens: inputs are validated first).
    #[error(transparent)]
    Score(#[from] ScoreError),
}

impl BatchError {
    /// Whether the message starts with the file it is about (else the caller names the file).
    pub fn names_file(&self) -> bool {
        match self {
            BatchError::Io { .. }
            | BatchError::MissingColumns { .. }
            | BatchError::BadHeader { .. }
            | BatchError::Strict { .. }
            | BatchError::Input(_) => true,
            BatchError::Interrupted
            | BatchError::Format(_)
            | BatchError::Reasons(_)
            | BatchError::Score(_) => false,
        }
    }
}
