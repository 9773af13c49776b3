//! Command-line interface: argument parsing and the subcommands.

mod explain;
mod export;
mod inspect;
mod reasons;
mod report;
mod score;
mod strategy;
mod synth;
mod train;

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use microscore::model::policy::PolicySpec;
use microscore::model::Model;

/// Credit scorecards for unsecured rural microloans.
///
/// microscore trains credit scorecards from labelled loan applications, scores new
/// applications with points, a probability of default, a risk grade and the reasons behind
/// the score, and generates realistic synthetic applications to try it on.
#[derive(Debug, Parser)]
#[command(name = "microscore", version, about, long_about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Synth(synth::SynthArgs),
    Train(Box<train::TrainArgs>),
    Score(score::ScoreArgs),
    Explain(explain::ExplainArgs),
    Inspect(inspect::InspectArgs),
    Evaluate(Box<report::EvaluateArgs>),
    Monitor(Box<report::MonitorArgs>),
    Strategy(Box<strategy::StrategyArgs>),
    Export(Box<export::ExportArgs>),
    Reasons(reasons::ReasonsArgs),
}

/// An error to report on one line, then exit non-zero.
#[derive(Debug)]
pub struct CliError(String);

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
static SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    // Only atomic stores: async-signal-safe.
    SIGNAL.store(signal, std::sync::atomic::Ordering::SeqCst);
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Catch SIGINT and SIGTERM so that a long write stops cleanly (the writing command polls
/// [`INTERRUPTED`]).
fn catch_interrupts() {
    #[cfg(unix)]
    // SAFETY: installing a handler that only stores to atomics, before any thread starts.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

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

/// Parse the arguments, run the subcommand and turn its outcome into an exit code.
pub fn main() -> ExitCode {
    restore_sigpipe();
    // A panic inside a decoder's boundary is reported as an error naming the file: no
    // backtrace for it. Any other panic still prints as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !microscore::guard::inside() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    if matches!(cli.command, Command::Score(_) | Command::Synth(_)) {
        catch_interrupts();
    }
    let outcome = match cli.command {
        Command::Synth(args) => synth::run(args).map(|()| 0),
        Command::Train(args) => train::run(*args).map(|()| 0),
        Command::Score(args) => score::run(args),
        Command::Explain(args) => explain::run(args).map(|()| 0),
        Command::Inspect(args) => inspect::run(args).map(|()| 0),
        Command::Evaluate(args) => report::run_evaluate(*args).map(|()| 0),
        Command::Monitor(args) => report::run_monitor(*args).map(|()| 0),
        Command::Strategy(args) => strategy::run(*args).map(|()| 0),
        Command::Export(args) => export::run(*args).map(|()| 0),
        Command::Reasons(args) => reasons::run(args).map(|()| 0),
    };
    let signal = SIGNAL.load(std::sync::atomic::Ordering::SeqCst);
    if signal != 0 {
        // Stopped by a signal: temporary files are gone; exit as the shell expects (130, 143).
        eprintln!("microscore: interrupted (signal {signal}): nothing written");
        return ExitCode::from((128 + signal).clamp(0, 255) as u8);
    }
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(CliError(message)) => {
            eprintln!("microscore: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Run `f` on a rayon pool with `threads` threads (all cores when `None`).
fn with_threads<T: Send>(
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

/// Die quietly when the reader of standard output goes away (`microscore ... | head`), as
/// command-line tools do, instead of reporting a write error.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting the default disposition of SIGPIPE at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
