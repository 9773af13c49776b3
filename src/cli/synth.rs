//! `microscore synth`: write synthetic rural microloan applications.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use microscore::format::AtomicFile;
use microscore::synth::{write_applications_with, SynthSummary};
use microscore::FileFormat;

use super::common::{with_threads, CliError};

/// Generate realistic synthetic loan applications from rural small businesses.
///
/// Each row is one application with an `application_id`, applicant and business details, and
/// the outcome `default_12m` (1 = defaulted within 12 months). The same --rows and --seed
/// always give the same file, byte for byte, on any machine and thread count. Columns and the
/// default process are documented in docs/synthetic-data.md.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of applications to write.
    #[arg(long, default_value_t = 10_000)]
    rows: u64,
    /// Random seed: the same seed and row count always give the same file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file (written atomically: it appears only when complete). Standard output if
    /// omitted or `-`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format: csv, jsonl or parquet. Default: from the file extension, else csv.
    #[arg(long, value_name = "FORMAT")]
    format: Option<FileFormat>,
    /// Worker threads (default: all cores). The output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Leave out the `default_12m` outcome (applications awaiting a decision).
    #[arg(long)]
    no_label: bool,
    /// Replace the output file if it already exists.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: SynthArgs) -> Result<(), CliError> {
    let out = args.out.filter(|p| p.as_os_str() != "-");
    let format = match (args.format, &out) {
        (Some(f), _) => f,
        (None, Some(path)) => FileFormat::from_path(path).unwrap_or(FileFormat::Csv),
        (None, None) => FileFormat::Csv,
    };
    let started = Instant::now();
    let (rows, seed, label) = (args.rows, args.seed, !args.no_label);
    let summary: SynthSummary = match &out {
        Some(path) => {
            if path.exists() && !args.force {
                return Err(CliError::msg(format!(
                    "{} already exists; pass --force to replace it",
                    path.display()
                )));
            }
            let file = AtomicFile::create(path, args.force)
                .map_err(|e| CliError::msg(format!("cannot create {}: {e}", path.display())))?;
            // A signal stops the writes: the temporary file is then removed.
            let mut file = super::common::Interruptible(file);
            let summary = with_threads(args.threads, || {
                Ok(if format == FileFormat::Parquet {
                    microscore::synth::write_applications_parquet(
                        &mut file,
                        rows,
                        seed,
                        label,
                        |_| {},
                    )?
                } else {
                    write_applications_with(&mut file, rows, seed, format, label, |_| {})?
                })
            })?;
            super::common::stop_if_interrupted()?;
            file.0
                .commit()
                .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())))?;
            summary
        }
        None => {
            let stdout = io::stdout();
            let mut writer = io::BufWriter::with_capacity(1 << 20, stdout);
            with_threads(args.threads, || {
                let summary =
                    write_applications_with(&mut writer, rows, seed, format, label, |_| {})?;
                writer.flush()?;
                Ok(summary)
            })?
        }
    };
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        let outcome = if label {
            format!(
                " ({} defaults, bad rate {:.2}%)",
                summary.defaults,
                100.0 * summary.bad_rate()
            )
        } else {
            String::new()
        };
        eprintln!(
            "wrote {} applications{outcome} as {} to {} in {:.2} s",
            summary.rows,
            format,
            out.as_ref().map_or_else(
                || "standard output".to_string(),
                |p| p.display().to_string()
            ),
            secs
        );
    }
    Ok(())
}
