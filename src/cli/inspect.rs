//! `microscore inspect`: print a model's scorecard table.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use microscore::model::{Model, ScorecardRow};

use super::common::CliError;

/// Print the scorecard table a credit committee signs off: for every feature and bin, the
/// training count, share, bad rate, weight of evidence, information value and points; then the
/// scaling, the risk grades, the training summary and its notes (strong features, unstable
/// neighbouring bins, features kept against their WoE).
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The model file.
    model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    format: TableFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TableFormat {
    /// Aligned text for the terminal.
    Text,
    /// CSV, one row per bin.
    Csv,
    /// A Markdown table.
    Markdown,
    /// JSON, one object per bin.
    Json,
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{x:.decimals$}")
    }
}

pub fn run(args: InspectArgs) -> Result<(), CliError> {
    let model = Model::load(&args.model)?;
    let rows = model.scorecard_rows();
    match args.format {
        TableFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&rows).map_err(|e| CliError::msg(e.to_string()))?
            );
        }
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "feature", "bin", "count", "share", "bad_rate", "woe", "iv", "points",
            ])?;
            for r in &rows {
                w.write_record([
                    r.feature.clone(),
                    r.bin.clone(),
                    r.count.to_string(),
                    r.share.to_string(),
                    if r.bad_rate.is_nan() {
                        String::new()
                    } else {
                        r.bad_rate.to_string()
                    },
                    r.woe.to_string(),
                    r.iv.to_string(),
                    r.points.to_string(),
                ])?;
            }
            w.flush()?;
        }
        TableFormat::Markdown => {
            println!("| feature | bin | count | share | bad rate | WoE | IV | points |");
            println!("|---|---|---:|---:|---:|---:|---:|---:|");
            for r in &rows {
                let [count, share, bad, woe, iv, points] = cells(r);
                println!(
                    "| {} | {} | {count} | {share} | {bad} | {woe} | {iv} | {points} |",
                    r.feature,
                    r.bin.replace('|', "\\|")
                );
            }
            print_summary(&model, true);
        }
        TableFormat::Text => {
            let fw = rows
                .iter()
                .map(|r| r.feature.len())
                .max()
                .unwrap_or(7)
                .max(7);
            let bw = rows
                .iter()
                .map(|r| r.bin.chars().count())
                .max()
                .unwrap_or(3)
                .clamp(3, 48);
            println!(
                "{:<fw$}  {:<bw$}  {:>9}  {:>6}  {:>8}  {:>7}  {:>6}  {:>8}",
                "feature", "bin", "count", "share", "bad rate", "WoE", "IV", "points"
            );
            let mut last = "";
            for r in &rows {
                if !last.is_empty() && last != r.feature {
                    println!();
                }
                last = &r.feature;
                let [count, share, bad, woe, iv, points] = cells(r);
                println!(
                    "{:<fw$}  {:<bw$}  {count:>9}  {share:>6}  {bad:>8}  {woe:>7}  {iv:>6}  {points:>8}",
                    r.feature, r.bin
                );
            }
            print_summary(&model, false);
        }
    }
    Ok(())
}

fn cells(r: &ScorecardRow) -> [String; 6] {
    [
        num(r.count, 0),
        format!("{}%", num(100.0 * r.share, 1)),
        if r.bad_rate.is_nan() {
            "-".into()
        } else {
            format!("{}%", num(100.0 * r.bad_rate, 2))
        },
        num(r.woe, 4),
        num(r.iv, 4),
        num(r.points, 2),
    ]
}

fn print_summary(model: &Model, markdown: bool) {
    let s = model.scaling();
    let t = model.training();
    let bullet = if markdown { "- " } else { "" };
    println!();
    println!(
        "{bullet}scaling: {} points at {}:1 good:bad odds, {} points to double the odds; scores {:.1} to {:.1}",
        s.base_score,
        s.base_odds,
        s.pdo,
        model.min_score(),
        model.max_score()
    );
    let grades: Vec<String> = model
        .grades()
        .iter()
        .map(|g| match (g.min_score, g.max_pd) {
            (Some(m), Some(p)) => format!("{} >= {m:.1} (PD <= {:.1}%)", g.grade, 100.0 * p),
            _ => format!("{} below", g.grade),
        })
        .collect();
    println!("{bullet}grades: {}", grades.join(", "));
    println!(
        "{bullet}training: {} rows, bad rate {:.2}%, AUC {:.4}, KS {:.4}; {} of {} candidates kept",
        t.rows,
        100.0 * t.bad_rate,
        t.auc,
        t.ks,
        model.features().len(),
        t.candidates.len()
    );
    let indent = if markdown { "  - " } else { "  " };
    // What `train` noted, for whoever signs the card off: strong features, unstable
    // neighbouring bins, features kept against their WoE.
    let notes = model.training_notes();
    if !notes.is_empty() {
        println!("{bullet}training notes:");
        for note in notes {
            println!("{indent}{note}");
        }
    }
    println!("{bullet}decision policy:");
    for line in model.policy().describe(model.scaling()) {
        println!("{indent}{line}");
    }
    println!("{bullet}checksum: {}", model.checksum());
}
