//! Command-line interface: argument parsing and the subcommands.

mod common;
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

use clap::{Parser, Subcommand};

use common::{CliError, INTERRUPTED, SIGNAL};

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

/// Die quietly when the reader of standard output goes away (`microscore ... | head`), as
/// command-line tools do, instead of reporting a write error.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting the default disposition of SIGPIPE at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
