//! `microscore strategy`: the cut-off table a credit committee sets the policy from.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use microscore::format::AtomicFile;
use microscore::model::policy::PolicySpec;
use microscore::report::strategy::{strategy, StrategyOptions, StrategyRow, StrategyTarget};
use microscore::report::ReportInput;
use microscore::scoring::Scorer;

use super::common::{load_model, with_threads, CliError, ModelArgs};

/// Show what each score cut-off would do, and write a policy with the cut-offs you choose.
///
/// Scores a file of applications (CSV, optionally .gz) and prints, for every grade boundary,
/// the policy's current cut-offs and a grid of score cut-offs, what approving at or above it
/// gives: applications approved and their share, the model's expected bad rate (mean PD), the
/// observed bad rate and the marginal bad rate of the applications each lower cut-off adds
/// (when the file has outcomes), and the exposure and expected loss of the approved (when the
/// policy sizes loans). Unlabelled data gives the approval side only.
///
/// With --approve-rate or --max-bad-rate it chooses the approval cut-off, puts the decline
/// cut-off --refer-band points below it, and writes the model's policy with those cut-offs to
/// --out (a policy file for `train --policy` or `score --policy`).
#[derive(Debug, Args)]
pub struct StrategyArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Applications to score (CSV, optionally .gz; JSON Lines; Parquet), labelled for bad
    /// rates.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Input format: csv, jsonl or parquet [default: from the extension (.csv, .tsv, .jsonl,
    /// .parquet, optionally .gz), then the content].
    #[arg(long, value_name = "FORMAT", help_heading = "Input")]
    input_format: Option<microscore::FileFormat>,
    #[command(flatten)]
    input: super::common::InputArgs,
    /// The 0/1 outcome column (1 = default) [default: the model's target, when present].
    #[arg(long, value_name = "COLUMN")]
    target: Option<String>,
    /// Points between the cut-offs of the grid [default: a quarter of the model's PDO].
    #[arg(long, value_name = "POINTS")]
    step: Option<f64>,
    /// Choose the highest approval cut-off that approves at least this share (e.g. 0.7).
    #[arg(long, value_name = "SHARE", conflicts_with = "max_bad_rate")]
    approve_rate: Option<f64>,
    /// Choose the lowest approval cut-off whose approved applications default at most this
    /// often (e.g. 0.03; needs outcomes).
    #[arg(long, value_name = "RATE")]
    max_bad_rate: Option<f64>,
    /// Points between the chosen approval cut-off and the decline cut-off [default: the
    /// model's PDO: the refer band spans a doubling of the odds].
    #[arg(long, value_name = "POINTS")]
    refer_band: Option<f64>,
    /// Write the model's policy with the chosen cut-offs here (JSON).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write the table as CSV here.
    #[arg(long, value_name = "FILE")]
    table: Option<PathBuf>,
    /// Replace existing --out and --table files.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: all cores). The table does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

fn cell(x: f64, pct: bool) -> String {
    match (x.is_finite(), pct) {
        (false, _) => "-".into(),
        (true, true) => format!("{:.2}%", 100.0 * x),
        (true, false) => format!("{x:.0}"),
    }
}

/// The table as CSV text.
fn csv_table(rows: &[StrategyRow]) -> String {
    let mut out = String::from(
        "cutoff,pd,grade,approved,approval_rate,expected_bad_rate,bad_rate,marginal_bad_rate,exposure,expected_loss\n",
    );
    let num = |x: f64| microscore::format::number_text(x).replace("NaN", "");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            num(r.cutoff),
            num(r.pd),
            r.grade.as_deref().unwrap_or(""),
            num(r.approved),
            num(r.approval_rate),
            num(r.expected_bad_rate),
            num(r.bad_rate),
            num(r.marginal_bad_rate),
            num(r.exposure),
            num(r.expected_loss)
        ));
    }
    out
}

fn write_new(path: &std::path::Path, text: &str, force: bool) -> Result<(), CliError> {
    if path.exists() && !force {
        return Err(CliError::msg(format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )));
    }
    let io = |e: std::io::Error| CliError::msg(format!("{}: {e}", path.display()));
    let mut f = AtomicFile::create(path, force).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.commit().map_err(io)
}

pub fn run(args: StrategyArgs) -> Result<(), CliError> {
    let model = load_model(&args.model)?;
    let target = match (args.approve_rate, args.max_bad_rate) {
        (Some(r), _) => Some(StrategyTarget::ApproveRate(r)),
        (None, Some(b)) => Some(StrategyTarget::MaxBadRate(b)),
        (None, None) => None,
    };
    if args.out.is_some() && target.is_none() {
        return Err(CliError::msg(
            "--out writes the chosen cut-offs: give --approve-rate or --max-bad-rate",
        ));
    }
    for path in args.out.iter().chain(&args.table) {
        if path.exists() && !args.force {
            return Err(CliError::msg(format!(
                "{} already exists; pass --force to replace it",
                path.display()
            )));
        }
    }
    let scorer = Scorer::new(model);
    let input = ReportInput {
        path: args.data.clone(),
        target: args.target.clone(),
        require_target: args.target.is_some(),
        protected: Vec::new(),
        decisions: true,
        input: args.input.options(args.input_format),
    };
    let options = StrategyOptions {
        step: args.step,
        target,
        refer_band: args.refer_band,
    };
    let s = with_threads(args.threads, || Ok(strategy(&scorer, &input, &options)?))?;
    let d = &s.data;
    println!(
        "{}: {} rows read, {} scored, {} rejected, {} with outcomes",
        d.file, d.rows_read, d.rows_scored, d.rows_rejected, d.rows_labelled
    );
    for (line, why) in d.rejects.iter().take(5) {
        println!("  rejected line {line}: {why}");
    }
    println!(
        "current policy: approve at score >= {}, decline below {}\n",
        s.current[0], s.current[1]
    );
    println!(
        "{:>9} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>13} {:>11}",
        "cut-off",
        "PD",
        "grade",
        "approved",
        "approval",
        "exp. bad",
        "bad rate",
        "marginal",
        "exposure",
        "exp. loss"
    );
    for r in &s.rows {
        println!(
            "{:>9.2} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>13} {:>11}",
            r.cutoff,
            cell(r.pd, true),
            r.grade.as_deref().unwrap_or(""),
            cell(r.approved, false),
            cell(r.approval_rate, true),
            cell(r.expected_bad_rate, true),
            cell(r.bad_rate, true),
            cell(r.marginal_bad_rate, true),
            cell(r.exposure, false),
            cell(r.expected_loss, false),
        );
    }
    if !s.labelled {
        println!("\n(no outcomes in the file: observed bad rates are not shown)");
    }
    if let Some(path) = &args.table {
        write_new(path, &csv_table(&s.rows), args.force)?;
    }
    if let Some(c) = &s.chosen {
        let a = &c.at_approval;
        println!(
            "\nchosen: approve at score >= {} (PD {}), decline below {}; approves {} ({}), expected bad rate {}, observed {}",
            c.approve_min_score,
            cell(a.pd, true),
            c.decline_below_score,
            cell(a.approved, false),
            cell(a.approval_rate, true),
            cell(a.expected_bad_rate, true),
            cell(a.bad_rate, true)
        );
        if let Some(path) = &args.out {
            let mut spec = PolicySpec::of(scorer.model().policy());
            spec.approve_min_score = Some(c.approve_min_score);
            spec.decline_below_score = Some(c.decline_below_score);
            // Check it resolves for this model before writing it.
            scorer.model().with_policy_spec(&spec)?;
            write_new(path, &spec.to_json()?, args.force)?;
            println!("wrote the policy to {}", path.display());
        }
    }
    Ok(())
}
