//! What the subcommands share: the one-line error, the interrupt flag that a signal sets,
//! the thread pool, the model and policy arguments and the input options.

use std::path::PathBuf;

use clap::Args;
use microscore::model::policy::PolicySpec;
use microscore::model::Model;

/// An error to report on one line, then exit non-zero.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !msg.contains(&text) {
                msg.push_str(": ");
                msg.push_str(&text);
            }
            source = s.source();
        }
        CliError(msg)
    }
}

impl CliError {
    /// An error with the given message.
    pub fn msg(message: impl Into<String>) -> Self {
        CliError(message.into())
    }
}

/// Set by SIGINT or SIGTERM during a command that writes files (`score`, `synth`): the
/// command stops, removes its temporary files, and exits 128 + the signal's number.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The signal that set [`INTERRUPTED`].
pub(super) static SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The error of an interrupted command, if a signal came.
pub fn stop_if_interrupted() -> Result<(), CliError> {
    if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
        Err(CliError::msg("interrupted: nothing written"))
    } else {
        Ok(())
    }
}

/// A writer that fails once a signal came, so that a streaming write stops.
pub struct Interruptible<W>(pub W);

impl<W: std::io::Write> std::io::Write for Interruptible<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::other("interrupted"));
        }
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Run `f` on a rayon pool with `threads` threads (all cores when `None`).
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<T, CliError> + Send,
) -> Result<T, CliError> {
    match threads {
        None => f(),
        Some(0) => Err(CliError::msg("--threads must be at least 1")),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| CliError::msg(format!("cannot start {n} threads: {e}")))?
            .install(f),
    }
}

/// Which model to use.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model file [default: the built-in rural microloan model].
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// A decision policy file (JSON) replacing the model's policy.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

/// Load the model named by `--model` (or the built-in one), with `--policy` applied.
pub fn load_model(args: &ModelArgs) -> Result<Model, CliError> {
    let model = match &args.model {
        Some(path) => Model::load(path)?,
        None => microscore::model::builtin::default_model()?,
    };
    match &args.policy {
        None => Ok(model),
        Some(path) => {
            let spec = read_policy(path)?;
            model
                .with_policy_spec(&spec)
                .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))
        }
    }
}

/// Read a policy file (JSON); errors name the file.
pub fn read_policy(path: &std::path::Path) -> Result<PolicySpec, CliError> {
    let text = microscore::format::read_text_file(path, microscore::model::MAX_MODEL_BYTES)
        .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
    PolicySpec::from_json(&text).map_err(|e| CliError::msg(format!("{}: {e}", path.display())))
}

/// How to read a CSV input (shared by every command that reads data).
#[derive(Debug, Args, Clone, Copy)]
pub struct InputArgs {
    /// CSV field delimiter: , ; | or tab [default: detected from the header line; tab for
    /// .tsv].
    #[arg(long, value_name = "CHAR", value_parser = microscore::input::InputOptions::parse_delimiter, help_heading = "Input")]
    delimiter: Option<u8>,
    /// CSV numbers use a decimal comma and '.' thousands separators (1.234,5).
    #[arg(long, help_heading = "Input")]
    decimal_comma: bool,
}

impl InputArgs {
    /// The input options, with the command's format.
    pub fn options(
        &self,
        format: Option<microscore::FileFormat>,
    ) -> microscore::input::InputOptions {
        microscore::input::InputOptions {
            format,
            delimiter: self.delimiter,
            decimal_comma: self.decimal_comma,
        }
    }
}
