//! The settings of a batch run.

use std::path::PathBuf;

use crate::format::FileFormat;
use crate::scoring::AbsentColumns;

/// Settings of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Reason codes per row.
    pub reasons: usize,
    /// Input columns copied to the output after the id.
    pub keep: Vec<String>,
    /// Stop at the first bad row instead of rejecting it.
    pub strict: bool,
    /// How to read the input: format (default: from the name, then the content), CSV
    /// delimiter (default: detected) and decimal comma.
    pub input: crate::input::InputOptions,
    /// Output format (default: from the extension).
    pub output_format: Option<FileFormat>,
    /// Approximate bytes per block (default 1 MiB).
    pub chunk_bytes: usize,
    /// Replace existing output and rejects files.
    pub force: bool,
    /// Columns the model or its policy reads that the input lacks: an error (the default), or
    /// scored as missing with every row flagged `absent_column` (`--allow-missing-columns`).
    pub absent_columns: AbsentColumns,
    /// Also write the [`Summary`](super::Summary) as JSON here (`-` for standard output), committed with the
    /// output.
    pub summary_json: Option<PathBuf>,
    /// Set (by a signal handler, another thread) to stop the run: it ends with
    /// [`BatchError::Interrupted`](super::BatchError::Interrupted), and nothing is written.
    pub cancel: Option<CancelFlag>,
    /// Reason statements beside the codes (`reason_1_text..k`), in this language.
    pub reason_text: Option<String>,
    /// Adverse-action notices: one JSON record per declined or referred application, written
    /// and committed with the output.
    pub notices: Option<NoticeOutput>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            reasons: 4,
            keep: Vec::new(),
            strict: false,
            input: crate::input::InputOptions::default(),
            output_format: None,
            chunk_bytes: 1 << 20,
            force: false,
            absent_columns: AbsentColumns::Error,
            summary_json: None,
            cancel: None,
            reason_text: None,
            notices: None,
        }
    }
}

/// Where and how a run writes adverse-action notices ([`crate::scoring::reasons::Notice`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeOutput {
    /// The notices file (JSON Lines).
    pub path: PathBuf,
    /// Language and date.
    pub settings: crate::scoring::reasons::NoticeSettings,
}

/// A flag that stops a run once set: a static one (what a signal handler can set) or a shared
/// one (another thread's).
#[derive(Debug, Clone)]
pub enum CancelFlag {
    /// A flag in static memory.
    Static(&'static std::sync::atomic::AtomicBool),
    /// A flag shared with another thread.
    Shared(std::sync::Arc<std::sync::atomic::AtomicBool>),
}

impl CancelFlag {
    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        let flag = match self {
            CancelFlag::Static(f) => f,
            CancelFlag::Shared(f) => f.as_ref(),
        };
        flag.load(std::sync::atomic::Ordering::Relaxed)
    }
}
