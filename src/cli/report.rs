//! `microscore evaluate` and `microscore monitor`: the validation pack and ongoing monitoring.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use microscore::format::AtomicFile;
use microscore::report::{self, render, ReportInput};
use microscore::scoring::Scorer;

use super::common::{load_model, with_threads, CliError, ModelArgs};

/// How the report for people is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page with tables and inline SVG charts.
    Html,
    /// A Markdown summary.
    Md,
}

/// Where reports go.
#[derive(Debug, Args)]
pub struct ReportOutput {
    /// Write the report for people here (HTML, or Markdown with --format md).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write every figure as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Format of --out.
    #[arg(long, value_enum, default_value = "html")]
    format: ReportFormat,
    /// Replace existing report files.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: all cores). The figures do not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Validate a scorecard on labelled applications.
///
/// Scores every row of a labelled file (CSV, optionally .gz, JSON Lines or Parquet, read as
/// `score` reads it, with the same rejects) and reports discrimination (AUC
/// with a DeLong 95% interval, Gini, KS and the score where it is reached), calibration (Brier
/// score, log loss, expected against observed default rate per grade with the Jeffreys test and
/// a traffic light, Hosmer-Lemeshow), gains and lift by score decile, the approval-rate against
/// bad-rate trade-off across cut-offs, each characteristic's bins, and fairness by protected
/// attribute and thin file (approval rate, adverse impact ratio flagged below 0.8, mean score,
/// PD and default rate). Rows that cannot be used are counted and listed, never dropped
/// silently. Memory does not grow with the file.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Labelled applications (CSV, optionally .gz; JSON Lines; Parquet).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Input format: csv, jsonl or parquet [default: from the extension (.csv, .tsv, .jsonl,
    /// .parquet, optionally .gz), then the content].
    #[arg(long, value_name = "FORMAT", help_heading = "Input")]
    input_format: Option<microscore::FileFormat>,
    #[command(flatten)]
    input: super::common::InputArgs,
    /// The 0/1 outcome column (1 = default) [default: the model's target].
    #[arg(long, value_name = "COLUMN")]
    target: Option<String>,
    /// Protected attributes to break outcomes down by (comma-separated) [default: the model's].
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    protected: Option<Vec<String>>,
    #[command(flatten)]
    output: ReportOutput,
}

/// Compare the current population with the baseline: score and characteristic stability.
///
/// Scores both files (CSV, JSON Lines or Parquet) and reports the population stability index of the score over the
/// baseline's score deciles, and of every feature over the model's bins (smoothed so that empty
/// bins count), read as stable (< 0.10), moderate shift (< 0.25) or major shift; with default
/// rates per bin when the files carry the outcome.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The baseline applications (usually the development sample; CSV, optionally .gz; JSON
    /// Lines; Parquet).
    #[arg(long, value_name = "FILE")]
    baseline: PathBuf,
    /// The recent applications (same formats).
    #[arg(long, value_name = "FILE")]
    current: PathBuf,
    /// Input format: csv, jsonl or parquet [default: from the extension (.csv, .tsv, .jsonl,
    /// .parquet, optionally .gz), then the content].
    #[arg(long, value_name = "FORMAT", help_heading = "Input")]
    input_format: Option<microscore::FileFormat>,
    #[command(flatten)]
    input: super::common::InputArgs,
    /// The 0/1 outcome column, used when present [default: the model's target].
    #[arg(long, value_name = "COLUMN")]
    target: Option<String>,
    #[command(flatten)]
    output: ReportOutput,
}

fn check_outputs(o: &ReportOutput, inputs: &[(&str, &Path)]) -> Result<(), CliError> {
    if o.out.is_none() && o.json.is_none() {
        return Err(CliError::msg(
            "nothing to write: give --out FILE and/or --json FILE",
        ));
    }
    let outputs: Vec<(&str, &Path)> = o
        .out
        .iter()
        .map(|p| ("--out", p.as_path()))
        .chain(o.json.iter().map(|p| ("--json", p.as_path())))
        .collect();
    microscore::format::check_distinct_outputs(&outputs, inputs)?;
    for path in o.out.iter().chain(o.json.iter()) {
        if path.exists() && !o.force {
            return Err(CliError::msg(format!(
                "{} already exists; pass --force to replace it",
                path.display()
            )));
        }
        report::ensure_parent(path)?;
    }
    Ok(())
}

fn write(path: &Path, text: &str, force: bool) -> Result<(), CliError> {
    use std::io::Write;
    let io = |e: std::io::Error| CliError::msg(format!("{}: {e}", path.display()));
    let mut f = AtomicFile::create(path, force).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.commit().map_err(io)?;
    Ok(())
}

fn emit<T: serde::Serialize>(
    o: &ReportOutput,
    value: &T,
    html: impl Fn(&T) -> String,
    md: impl Fn(&T) -> String,
) -> Result<(), CliError> {
    if let Some(path) = &o.json {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::msg(format!("cannot write JSON: {e}")))?;
        write(path, &(text + "\n"), o.force)?;
    }
    if let Some(path) = &o.out {
        let text = match o.format {
            ReportFormat::Html => html(value),
            ReportFormat::Md => md(value),
        };
        write(path, &text, o.force)?;
    }
    Ok(())
}

pub fn run_evaluate(args: EvaluateArgs) -> Result<(), CliError> {
    check_outputs(&args.output, &[("--data", &args.data)])?;
    let model = load_model(&args.model)?;
    let protected = args
        .protected
        .clone()
        .unwrap_or_else(|| model.protected().to_vec());
    let scorer = Scorer::new(model);
    let input = ReportInput {
        path: args.data.clone(),
        target: args.target.clone(),
        require_target: true,
        protected,
        decisions: true,
        input: args.input.options(args.input_format),
    };
    let e = with_threads(args.output.threads, || {
        Ok(report::evaluate(&scorer, &input)?)
    })?;
    emit(
        &args.output,
        &e,
        render::evaluation_html,
        render::evaluation_markdown,
    )?;
    let d = &e.discrimination;
    eprintln!(
        "evaluated {} rows ({} left out): AUC {:.4} [{:.4}, {:.4}], Gini {:.4}, KS {:.4}; Brier {:.5}; {:.1} s",
        e.data.rows_scored, e.data.rows_rejected, d.auc, d.auc_ci95[0], d.auc_ci95[1], d.gini, d.ks,
        e.calibration.brier, e.seconds
    );
    Ok(())
}

pub fn run_monitor(args: MonitorArgs) -> Result<(), CliError> {
    check_outputs(
        &args.output,
        &[("--baseline", &args.baseline), ("--current", &args.current)],
    )?;
    let scorer = Scorer::new(load_model(&args.model)?);
    let input = |path: &PathBuf| ReportInput {
        path: path.clone(),
        target: args.target.clone(),
        require_target: false,
        protected: Vec::new(),
        decisions: false,
        input: args.input.options(args.input_format),
    };
    let m = with_threads(args.output.threads, || {
        Ok(report::monitor(
            &scorer,
            &input(&args.baseline),
            &input(&args.current),
        )?)
    })?;
    emit(
        &args.output,
        &m,
        render::monitoring_html,
        render::monitoring_markdown,
    )?;
    let worst = m.characteristics.first();
    eprintln!(
        "score PSI {:.4} ({}); largest characteristic PSI {} ; {:.1} s",
        m.score.psi,
        m.score.band,
        worst.map_or("-".to_string(), |w| format!(
            "{:.4} ({}, {})",
            w.psi, w.name, w.band
        )),
        m.seconds
    );
    Ok(())
}
