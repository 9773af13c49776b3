//! `microscore train`: fit a scorecard on labelled applications.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use microscore::input::table::{read_header, read_table, ReadOptions};
use microscore::model::policy::PolicySpec;
use microscore::model::Trend;
use microscore::model::{TrainingNote, UNSTABLE_FLIP};
use microscore::train::{train, TrainConfig};
use microscore::FileFormat;

use super::common::{with_threads, CliError};

/// Train a credit scorecard from labelled loan applications.
///
/// Every candidate column is binned (optimal binning over supervised pre-bins, monotone unless a peak or valley is significant; exact and deterministic), turned
/// into weight of evidence, filtered by information value and correlation, and fitted with
/// logistic regression; features whose coefficient has the wrong sign are dropped and the model
/// refitted, unless the likelihood-ratio test refuses the drop (--sign-significance: kept and
/// noted). The result is a model file with points per bin, risk grades and a training summary.
/// Prints the features kept and dropped with reasons, and the training AUC and KS.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled applications (CSV or JSON Lines).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// The outcome column: 1 = default, 0 = repaid (true/false accepted), unless --bad-values.
    #[arg(long, value_name = "COLUMN")]
    target: String,
    /// Where to write the model file (JSON).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace the model file if it exists.
    #[arg(long)]
    force: bool,
    /// Input format: csv, jsonl or parquet [default: from the extension (.csv, .tsv, .jsonl,
    /// .parquet, optionally .gz), then the content].
    #[arg(long, value_name = "FORMAT")]
    format: Option<FileFormat>,
    #[command(flatten)]
    input: super::common::InputArgs,
    #[command(flatten)]
    settings: TrainConfig,
    /// Treat these columns as categorical (comma-separated).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    categorical: Vec<String>,
    /// Treat these columns as numeric (comma-separated).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    numeric: Vec<String>,
    /// Special values of a feature, each binned on its own: COLUMN=V1,V2 (repeatable).
    #[arg(long, value_name = "COLUMN=VALUES")]
    special: Vec<String>,
    /// WoE trend of one feature: COLUMN=ascending|descending|peak|valley|auto|auto-shape
    /// (repeatable). Ascending: the score rises with the value.
    #[arg(long, value_name = "COLUMN=TREND")]
    trend: Vec<String>,
    /// A decision policy file (JSON, see docs/scoring.md), checked against the training data
    /// and recorded in the model. The flags below override its keys. Without one, the model
    /// gets PD cut-offs only: no loan sizing, no thin-file rule, no required columns.
    #[arg(long, value_name = "FILE", help_heading = "Decision policy")]
    policy: Option<PathBuf>,
    /// Reason statements (CSV: code,language,statement) in the lender's words, in any number
    /// of languages, recorded in the model; the generated English ones fill the rest
    /// (docs/reasons.md).
    #[arg(long, value_name = "FILE", help_heading = "Reason statements")]
    reasons_file: Option<PathBuf>,
    /// Approve applications whose PD is at most this [default: 0.05].
    #[arg(long, value_name = "PD", help_heading = "Decision policy")]
    approve_pd: Option<f64>,
    /// Decline applications whose PD is above this [default: 0.15]; refer those between.
    #[arg(long, value_name = "PD", help_heading = "Decision policy")]
    decline_pd: Option<f64>,
    /// The numeric column with the requested loan amount: turns on loan sizing (limit and
    /// expected loss), and the column becomes required.
    #[arg(long, value_name = "COLUMN", help_heading = "Decision policy")]
    amount_column: Option<String>,
    /// The numeric column with the monthly revenue (the policy file gives the multiple of
    /// revenue each grade may borrow).
    #[arg(long, value_name = "COLUMN", help_heading = "Decision policy")]
    revenue_column: Option<String>,
    /// The numeric column telling a thin-file applicant (no credit history: missing): such an
    /// applicant is never declined for lacking history alone.
    #[arg(long, value_name = "COLUMN", help_heading = "Decision policy")]
    thin_file_column: Option<String>,
    /// Features that only a credit history fills (comma-separated) [default: the thin-file column].
    #[arg(
        long,
        value_name = "COLUMNS",
        value_delimiter = ',',
        help_heading = "Decision policy"
    )]
    history_features: Option<Vec<String>>,
    /// Worker threads (default: all cores). The model does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_pairs(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, CliError> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => Err(CliError::msg(format!(
                "--{flag} {item:?}: expected COLUMN=VALUE"
            ))),
        })
        .collect()
}

pub fn run(args: TrainArgs) -> Result<(), CliError> {
    let started = Instant::now();
    if args.out.exists() && !args.force {
        return Err(CliError::msg(format!(
            "{} already exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let mut config = args.settings.clone();
    for (column, values) in parse_pairs("special", &args.special)? {
        let parsed = values
            .split(',')
            .map(|v| {
                v.trim().parse::<f64>().map_err(|_| {
                    CliError::msg(format!(
                        "--special {column}={values}: {v:?} is not a number"
                    ))
                })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        config.specials.entry(column).or_default().extend(parsed);
    }
    for (column, trend) in parse_pairs("trend", &args.trend)? {
        let trend = trend
            .parse::<Trend>()
            .map_err(|e| CliError::msg(format!("--trend {column}={trend}: {e}")))?;
        config.trends.insert(column, trend);
    }
    let file = match &args.policy {
        Some(path) => super::common::read_policy(path)?,
        None => PolicySpec::default(),
    };
    let flags = PolicySpec {
        approve_pd: args.approve_pd,
        decline_pd: args.decline_pd,
        amount_column: args.amount_column.clone(),
        revenue_column: args.revenue_column.clone(),
        thin_file_column: args.thin_file_column.clone(),
        history_features: args.history_features.clone(),
        ..PolicySpec::default()
    };
    let in_file = |e: microscore::model::policy::PolicyError| match &args.policy {
        Some(path) => CliError::msg(format!("{}: {e}", path.display())),
        None => CliError::from(e),
    };
    config.policy = Some(file.overridden_by(flags).map_err(in_file)?);
    let mut params = config
        .into_params(args.target.clone())
        .map_err(|e| match e {
            microscore::train::TrainError::Policy(p) => in_file(p),
            microscore::train::TrainError::Setting(s) => match s.setting.flag() {
                Some(flag) => CliError::msg(format!("invalid setting: {}", s.worded(flag))),
                None => CliError::from(s),
            },
            other => CliError::from(other),
        })?;

    // Columns that are read but never features are skipped at read time.
    let header = read_header(&args.data, &args.input.options(args.format))?;
    params.id_column = params.id_column.take().or_else(|| {
        header
            .iter()
            .any(|h| h == "application_id")
            .then(|| "application_id".to_string())
    });
    // Columns the policy reads are read (their types are checked), even when excluded.
    let policy_columns = params.policy.column_names();
    let mut skip: Vec<String> = params.exclude.clone();
    skip.extend(params.id_column.clone());
    skip.extend(params.protected.iter().cloned());
    skip.retain(|c| !policy_columns.contains(c));
    let mut required = vec![params.target.clone()];
    required.extend(params.id_column.clone());
    required.extend(params.weight_column.clone());
    required.extend(params.protected.iter().cloned());
    required.extend(params.exclude.iter().cloned());
    let options = ReadOptions {
        input: args.input.options(args.format),
        categorical: args.categorical.clone(),
        numeric: args.numeric.clone(),
        skip,
        required,
    };
    let threads = args.threads;
    let model = with_threads(threads, || {
        let table = read_table(&args.data, &options)?;
        train(&table, &params).map_err(|e| match e {
            microscore::train::TrainError::Policy(p) => in_file(p),
            other => CliError::from(other),
        })
    })?;
    let model = match &args.reasons_file {
        Some(path) => super::reasons::apply_reasons_file(&model, path)?,
        None => model,
    };
    model.save_to(&args.out, args.force)?;
    if !args.quiet {
        let t = model.training();
        println!(
            "trained on {} rows, bad rate {:.2}%: {} of {} candidate features kept",
            t.rows,
            100.0 * t.bad_rate,
            model.features().len(),
            t.candidates.len()
        );
        let mut kept: Vec<_> = t.candidates.iter().filter(|c| c.kept).collect();
        kept.sort_by(|a, b| b.iv.total_cmp(&a.iv));
        println!("\nkept (IV, bins, trend):");
        let trends: BTreeMap<&str, Trend> = model
            .features()
            .iter()
            .map(|f| (f.name.as_str(), f.binning.trend))
            .collect();
        for c in kept {
            let trend = match (c.kind.as_str(), trends.get(c.name.as_str())) {
                ("numeric", Some(t)) => format!("{t:?}").to_lowercase(),
                _ => "by category".to_string(),
            };
            let note = c
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            println!(
                "  {:<28} {:>7.4}  {:>2}  {trend}{note}",
                c.name, c.iv, c.bins
            );
        }
        let dropped: Vec<_> = t.candidates.iter().filter(|c| !c.kept).collect();
        if !dropped.is_empty() {
            println!("\ndropped:");
            for c in dropped {
                println!(
                    "  {:<28} {:>7.4}  {}",
                    c.name,
                    c.iv,
                    c.reason.as_deref().unwrap_or("")
                );
            }
        }
        println!(
            "\ntraining AUC {:.4}, Gini {:.4}, KS {:.4}; scores {:.1} to {:.1}",
            t.auc,
            2.0 * t.auc - 1.0,
            t.ks,
            model.min_score(),
            model.max_score()
        );
        if let Some(c) = &t.calibration {
            println!(
                "recalibrated on out-of-fold predictions ({} folds): log-odds x {:.4} {:+.4} \
                 (calibration-in-the-large before: {:+.4})",
                c.folds, c.slope, c.intercept, c.in_the_large
            );
        }
        // The notes, grouped by kind under what to do about them.
        let notes = model.training_notes();
        // A header, and which notes go under it.
        type Group = (String, fn(&TrainingNote) -> bool);
        let groups: [Group; 3] = [
            (
                "check that these are known at application (or --exclude them)".into(),
                |n| matches!(n, TrainingNote::StrongIv { .. }),
            ),
            (
                format!(
                    "neighbouring bins whose order of default rates a resample of the rows \
                     would reverse more than {:.0}% of the time (merge them with --max-bins or \
                     --min-bin-share, or accept the noise)",
                    100.0 * UNSTABLE_FLIP
                ),
                |n| matches!(n, TrainingNote::UnstableNeighbours { .. }),
            ),
            (
                format!(
                    "kept with points against their default rates, because dropping them \
                     fails the likelihood-ratio test (--sign-significance {}; 0 drops them)",
                    t.settings.sign_significance.unwrap_or(0.0)
                ),
                |n| matches!(n, TrainingNote::AgainstWoe { .. }),
            ),
        ];
        for (header, of_kind) in groups {
            let mut group = notes.iter().filter(|n| of_kind(n)).peekable();
            if group.peek().is_some() {
                println!("note: {header}:");
                group.for_each(|n| println!("  {n}"));
            }
        }
        println!("\ndecision policy:");
        for line in model.policy().describe(model.scaling()) {
            println!("  {line}");
        }
        println!(
            "wrote {} in {:.2} s",
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
