//! `microscore score`: stream a file of applications through a scorecard.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use microscore::batch::{score_file, BatchError, BatchOptions, CancelFlag, NoticeOutput};
use microscore::scoring::{AbsentColumns, Scorer};
use microscore::FileFormat;

use super::common::{load_model, with_threads, CliError, ModelArgs};

/// Exit code when every row was scored.
pub const EXIT_OK: u8 = 0;
/// Exit code when the batch finished but some rows went to the rejects file.
pub const EXIT_REJECTED: u8 = 3;

/// Score a file of loan applications.
///
/// Streams the input (CSV or JSON Lines, optionally .gz) through the scorecard and writes one
/// row per application, in input order: the id and --keep columns, the score, the probability
/// of default (pd), the risk grade, the decision (approve / refer / decline), the recommended
/// loan limit, the annual rate, the expected loss, the top reason codes (the features that cost
/// the most points) and flags for unusual inputs. Scores and PDs are written at full precision.
///
/// Rows that cannot be scored (wrong number of fields, text in a numeric column, broken
/// quoting or UTF-8, an empty required column) go to --rejects with their line number, column,
/// value and reason; nothing is dropped: rows read = rows scored + rows rejected.
///
/// Outputs are written to temporary files and renamed into place together at the end: an error,
/// a full disk or a signal leaves no output and no temporary file (docs/batch.md,
/// "Guarantees").
///
/// Exit status: 0 every row scored; 3 finished, some rows rejected; 1 error (nothing written);
/// 2 bad command line; 130 / 143 interrupted by SIGINT / SIGTERM (nothing written).
#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Applications to score: .csv, .jsonl (optionally gzip-compressed: .csv.gz, .jsonl.gz) or
    /// .parquet.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Where to write the scores (.csv, .jsonl or .parquet; written atomically), or - for
    /// standard output (streamed; CSV unless --output-format says otherwise).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Where to write rows that could not be scored (CSV: line, column, value, reason, raw).
    /// Without it, rejected rows are only counted.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Number of reason codes per application.
    #[arg(long, default_value_t = 4)]
    reasons: usize,
    /// Input columns to copy to the output after the id (comma-separated).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    keep: Vec<String>,
    /// Stop at the first row that cannot be scored (nothing is written).
    #[arg(long)]
    strict: bool,
    /// Replace existing output and rejects files.
    #[arg(long)]
    force: bool,
    /// Score columns the model or its policy reads that the input lacks as missing, flagging
    /// every row `absent_column` (without it, an absent column is an error naming it).
    #[arg(long)]
    allow_missing_columns: bool,
    /// Input format: csv, jsonl or parquet [default: from the extension (.csv, .tsv, .jsonl,
    /// .parquet, optionally .gz), then the content].
    #[arg(long, value_name = "FORMAT")]
    format: Option<FileFormat>,
    #[command(flatten)]
    input: super::common::InputArgs,
    /// Output format: csv, jsonl or parquet. Default: from the extension of --out.
    #[arg(long, value_name = "FORMAT")]
    output_format: Option<FileFormat>,
    /// Also write the run summary as JSON to this file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Add each reason's statement beside its code (reason_1_text..; in JSON Lines
    /// reason_texts), in --language.
    #[arg(long, help_heading = "Reason statements")]
    reason_text: bool,
    /// Language of the statements (a tag the model has statements in: the built-in model has
    /// en and zh; `microscore reasons` lists a model's).
    #[arg(
        long,
        value_name = "TAG",
        default_value = "en",
        help_heading = "Reason statements"
    )]
    language: String,
    /// Write an adverse-action notice record (JSON Lines) for each declined or referred
    /// application: the up-to-four principal reasons in words, the score and its range, the
    /// date, the model (docs/reasons.md).
    #[arg(long, value_name = "FILE", help_heading = "Reason statements")]
    adverse_action: Option<PathBuf>,
    /// The date on the notices (YYYY-MM-DD) [default: today, UTC].
    #[arg(long, value_name = "DATE", help_heading = "Reason statements")]
    notice_date: Option<String>,
    /// Worker threads (default: all cores). The output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Print nothing but errors (no progress bar, no summary).
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: ScoreArgs) -> Result<u8, CliError> {
    let scorer = Scorer::new(load_model(&args.model)?);
    let options = BatchOptions {
        reasons: args.reasons,
        keep: args.keep.clone(),
        strict: args.strict,
        input: args.input.options(args.format),
        output_format: args.output_format,
        force: args.force,
        summary_json: args.summary_json.clone(),
        cancel: Some(CancelFlag::Static(&super::common::INTERRUPTED)),
        absent_columns: if args.allow_missing_columns {
            AbsentColumns::AsMissing
        } else {
            AbsentColumns::Error
        },
        reason_text: args.reason_text.then(|| args.language.clone()),
        notices: args.adverse_action.clone().map(|path| NoticeOutput {
            path,
            settings: microscore::scoring::reasons::NoticeSettings {
                language: args.language.clone(),
                date: args
                    .notice_date
                    .clone()
                    .unwrap_or_else(microscore::scoring::reasons::today),
            },
        }),
        ..BatchOptions::default()
    };
    if args.notice_date.is_some() && args.adverse_action.is_none() {
        return Err(CliError::msg(
            "--notice-date dates the notices of --adverse-action FILE",
        ));
    }
    let total = std::fs::metadata(&args.data).map(|m| m.len()).ok();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let gz = microscore::batch::detect_format(&args.data).1;
    let started = std::time::Instant::now();
    let summary = with_threads(args.threads, || {
        score_file(
            &scorer,
            &args.data,
            &args.out,
            args.rejects.as_deref(),
            &options,
            |bytes, rows| {
                if let Some(bar) = &bar {
                    // Compressed input: the file size counts compressed bytes; show rows only.
                    if !gz {
                        bar.set_position(bytes);
                    }
                    let rate = rows as f64 / started.elapsed().as_secs_f64().max(1e-9);
                    bar.set_message(format!("{rows} rows, {:.0} rows/s", rate));
                }
            },
        )
        .map_err(|e| match e {
            BatchError::Strict { .. } => CliError::msg(format!("{e} (--strict: nothing written)")),
            other => CliError::from(other),
        })
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if !args.quiet {
        eprintln!("input {}: {}", summary.input, summary.read_as);
        for line in &summary.policy {
            eprintln!("policy {line}");
        }
        if !summary.absent_columns.is_empty() {
            eprintln!(
                "warning: absent column(s) scored as missing (every row flagged absent_column): {}",
                summary.absent_columns.join(", ")
            );
        }
        let [a, r, d] = summary.decisions;
        eprintln!(
            "read {} rows: {} scored ({a} approve, {r} refer, {d} decline), {} rejected{}{} -> {} in {:.2} s ({:.0} rows/s)",
            summary.rows_read,
            summary.rows_scored,
            summary.rows_rejected,
            match (&args.rejects, summary.rows_rejected) {
                (Some(p), n) if n > 0 => format!(" (see {})", p.display()),
                (None, n) if n > 0 => " (pass --rejects FILE to keep them)".to_string(),
                _ => String::new(),
            },
            match &summary.notices {
                Some(p) => format!(", {} notices in {p}", summary.notices_written),
                None => String::new(),
            },
            args.out.display(),
            summary.seconds,
            summary.rows_read as f64 / summary.seconds.max(1e-9)
        );
    }
    Ok(if summary.rows_rejected > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    })
}
