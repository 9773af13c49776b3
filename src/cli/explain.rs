//! `microscore explain`: a readable breakdown of one application's score.

use std::path::PathBuf;

use clap::Args;
use microscore::input::table::{read_table, ColumnData, ReadOptions, MISSING_CODE};
use microscore::scoring::{flags, Scorer, Value};
use microscore::FileFormat;

use super::common::{load_model, CliError, ModelArgs};

/// Explain the score of one application: score, PD, grade, decision and limit, the points of
/// every feature (with the bin its value fell in and the points it lost against the feature's
/// best bin), and the ranked reason codes.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["data", "json"])))]
pub struct ExplainArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A file of applications (CSV or JSON Lines); use with --row.
    #[arg(long, value_name = "FILE", requires = "row")]
    data: Option<PathBuf>,
    /// The 1-based data row of --data to explain.
    #[arg(long, value_name = "N")]
    row: Option<usize>,
    /// One application as a JSON object, e.g. '{"monthly_revenue": 8000, "business_type": "livestock"}'.
    #[arg(long, value_name = "JSON")]
    json: Option<String>,
    /// Input format: csv, jsonl or parquet [default: from the extension (.csv, .tsv, .jsonl,
    /// .parquet, optionally .gz), then the content].
    #[arg(long, value_name = "FORMAT")]
    format: Option<FileFormat>,
    #[command(flatten)]
    input: super::common::InputArgs,
    /// Number of reason codes.
    #[arg(long, default_value_t = 4)]
    reasons: usize,
    /// Language of the reason statements shown beside the codes (the built-in model has en
    /// and zh).
    #[arg(long, value_name = "TAG", default_value = "en")]
    language: String,
}

pub fn run(args: ExplainArgs) -> Result<(), CliError> {
    let scorer = Scorer::new(load_model(&args.model)?);
    let inputs = scorer.input_columns();
    let mut texts: Vec<Option<String>> = vec![None; inputs.len()];
    let mut numbers: Vec<Option<f64>> = vec![None; inputs.len()];
    let title;
    if let Some(json) = &args.json {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| CliError::msg(format!("--json: not a JSON object: {e}")))?;
        for (i, c) in inputs.iter().enumerate() {
            match object.get(&c.name) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Number(x)) => numbers[i] = x.as_f64(),
                Some(serde_json::Value::String(s)) => texts[i] = Some(s.clone()),
                Some(serde_json::Value::Bool(b)) => numbers[i] = Some(f64::from(u8::from(*b))),
                Some(other) => {
                    return Err(CliError::msg(format!(
                        "--json: field '{}' is {other}, expected a number, a string or null",
                        c.name
                    )))
                }
            }
        }
        title = "application given with --json".to_string();
    } else {
        let (Some(path), Some(row)) = (&args.data, args.row) else {
            return Err(CliError::msg("give --data with --row, or --json"));
        };
        let options = ReadOptions {
            input: args.input.options(args.format),
            categorical: inputs
                .iter()
                .filter(|c| c.categorical)
                .map(|c| c.name.clone())
                .collect(),
            ..ReadOptions::default()
        };
        let table = read_table(path, &options)?;
        if row == 0 || row > table.n_rows() {
            return Err(CliError::msg(format!(
                "--row {row}: {} has data rows 1 to {}",
                path.display(),
                table.n_rows()
            )));
        }
        let i = row - 1;
        for (j, c) in inputs.iter().enumerate() {
            match table.column(&c.name).map(|col| &col.data) {
                Some(ColumnData::Numeric(v)) => numbers[j] = Some(v[i]),
                Some(ColumnData::Categorical { codes, levels }) if codes[i] != MISSING_CODE => {
                    texts[j] = Some(levels[codes[i] as usize].clone())
                }
                _ => {}
            }
        }
        let id = scorer
            .model()
            .id_column()
            .and_then(|id| table.column(id))
            .and_then(|c| match &c.data {
                ColumnData::Categorical { codes, levels } if codes[i] != MISSING_CODE => {
                    Some(levels[codes[i] as usize].clone())
                }
                ColumnData::Numeric(v) => Some(v[i].to_string()),
                _ => None,
            });
        title = match id {
            Some(id) => format!("application {id} (row {row} of {})", path.display()),
            None => format!("row {row} of {}", path.display()),
        };
    }
    let values: Vec<Value<'_>> = (0..inputs.len())
        .map(|i| match (&texts[i], numbers[i]) {
            (Some(t), _) => Value::Text(t),
            (None, Some(x)) => Value::Number(x),
            (None, None) => Value::Missing,
        })
        .collect();
    let k = args.reasons.min(scorer.model().features().len());
    let statements = microscore::scoring::reasons::statements_in(scorer.model(), &args.language)?;
    let s = scorer.score_values(&values, k)?;
    let o = &s.outcome;
    println!("{title}");
    println!(
        "  score {:.2}   PD {:.2}%   grade {}   decision {}{}",
        s.score,
        100.0 * s.pd,
        s.grade,
        o.decision.as_str(),
        if o.thin_file_referral {
            " (thin file: not declined for lacking credit history alone)"
        } else {
            ""
        }
    );
    let sized = scorer.model().policy().limit.is_some();
    let limit = if o.invalid_amount {
        "no limit (invalid amount: referred)".to_string()
    } else if sized {
        format!(
            "recommended limit {:.0}   expected loss {:.2}",
            o.limit, o.expected_loss
        )
    } else {
        "no limit (the policy does not size loans)".to_string()
    };
    let rate = if o.annual_rate.is_finite() {
        format!("annual rate {:.2}%", 100.0 * o.annual_rate)
    } else {
        "no rate for the grade".to_string()
    };
    println!("  {limit}   {rate}");
    println!("\n  decision policy:");
    for line in scorer.model().policy().describe(scorer.model().scaling()) {
        println!("    {line}");
    }
    println!();
    let w = s
        .features
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    println!(
        "  {:<w$}  {:<16}  {:<34}  {:>8}  {:>8}  flags",
        "feature", "value", "bin", "points", "lost"
    );
    for (i, f) in s.features.iter().enumerate() {
        let value = match values[i] {
            Value::Missing => "(missing)".to_string(),
            Value::Number(x) if x.is_nan() => "(missing)".to_string(),
            Value::Number(x) => x.to_string(),
            Value::Text(t) => t.to_string(),
        };
        let fl: Vec<&str> = flags::names(f.flags).collect();
        println!(
            "  {:<w$}  {:<16}  {:<34}  {:>8.2}  {:>8.2}  {}",
            f.name,
            value,
            f.bin_label,
            f.points,
            f.max_points - f.points,
            fl.join(",")
        );
    }
    println!();
    if s.reasons.is_empty() {
        println!("  no reasons: every feature is at its maximum points");
    } else {
        println!("  reasons (points lost against each feature's best bin):");
        for (i, r) in s.reasons.iter().enumerate() {
            let statement = scorer
                .model()
                .features()
                .iter()
                .position(|f| f.reason_code == r.code)
                .map_or("", |f| statements[f].as_str());
            println!(
                "  {}. {:<28} {} {}  -{:.2}\n     \"{statement}\"",
                i + 1,
                r.code,
                r.name,
                r.bin_label,
                r.points_lost
            );
        }
    }
    Ok(())
}
