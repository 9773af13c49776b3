//! `microscore score`: score a file of applications.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use microscore::format::AtomicFile;
use microscore::scoring::{flags, BatchOutput, Scorer};
use microscore::table::{read_header, read_table, ColumnData, ReadOptions, MISSING_CODE};
use microscore::FileFormat;

use super::{load_model, with_threads, CliError, ModelArgs};

/// Score a file of loan applications.
///
/// Writes one row per application, in input order: the id, the score, the probability of
/// default (pd), the risk grade, the decision (approve / refer / decline), the recommended loan
/// limit, the annual rate, the expected loss, the top reason codes (the features that cost the
/// most points) and flags for unusual inputs. Scores and PDs are written at full precision.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Applications to score (CSV or JSON Lines).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Where to write the scores (CSV).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    force: bool,
    /// Number of reason codes per application.
    #[arg(long, default_value_t = 4)]
    reasons: usize,
    /// Input format: csv or jsonl. Default: from the extension.
    #[arg(long, value_name = "FORMAT")]
    format: Option<FileFormat>,
    /// Worker threads (default: all cores). The output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Shortest text that reads back as the same f64 (integral values without `.0`; empty for NaN).
pub fn write_f64(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            out.extend_from_slice(itoa::Buffer::new().format(x as i64).as_bytes());
        } else {
            out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
        }
    }
}

pub fn run(args: ScoreArgs) -> Result<(), CliError> {
    let started = Instant::now();
    if args.out.exists() && !args.force {
        return Err(CliError::msg(format!(
            "{} already exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let model = load_model(&args.model)?;
    let scorer = Scorer::new(model);
    let model = scorer.model();
    let k = args.reasons.min(model.features().len());
    if args.reasons > microscore::scoring::MAX_REASONS {
        return Err(CliError::msg(format!(
            "--reasons {}: at most {}",
            args.reasons,
            microscore::scoring::MAX_REASONS
        )));
    }
    let header = read_header(&args.data, args.format)?;
    let id_column = model
        .id_column()
        .filter(|id| header.iter().any(|h| h == id))
        .map(str::to_string);
    let missing: Vec<&str> = model
        .features()
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| !header.iter().any(|h| h == name))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::msg(format!(
            "{}: column(s) required by the model are missing: {}",
            args.data.display(),
            missing.join(", ")
        )));
    }
    let used: Vec<&str> = scorer
        .input_columns()
        .iter()
        .map(|c| c.name.as_str())
        .chain(id_column.as_deref())
        .collect();
    let options = ReadOptions {
        format: args.format,
        categorical: scorer
            .input_columns()
            .iter()
            .filter(|c| c.categorical)
            .map(|c| c.name.clone())
            .chain(id_column.clone())
            .collect(),
        numeric: scorer
            .input_columns()
            .iter()
            .filter(|c| !c.categorical && header.contains(&c.name))
            .map(|c| c.name.clone())
            .collect(),
        skip: header
            .iter()
            .filter(|h| !used.contains(&h.as_str()))
            .cloned()
            .collect(),
        required: Vec::new(),
    };
    let (table, n) = with_threads(args.threads, || {
        let table = read_table(&args.data, &options)?;
        let n = table.n_rows();
        Ok((table, n))
    })?;
    let mut score = vec![0.0; n];
    let mut pd = vec![0.0; n];
    let mut grade = vec![0u8; n];
    let mut decision = vec![0u8; n];
    let mut limit = vec![0.0; n];
    let mut el = vec![0.0; n];
    let mut flag_bits = vec![0u32; n];
    let mut reasons = vec![-1i32; n * k];
    with_threads(args.threads, || {
        Ok(scorer.score_table_into(
            &table,
            k,
            BatchOutput {
                score: Some(&mut score),
                pd: Some(&mut pd),
                grade: Some(&mut grade),
                decision: Some(&mut decision),
                limit: Some(&mut limit),
                expected_loss: Some(&mut el),
                flags: Some(&mut flag_bits),
                reasons: Some(&mut reasons),
            },
        )?)
    })?;

    // Write.
    let mut file = AtomicFile::create(&args.out)
        .map_err(|e| CliError::msg(format!("cannot create {}: {e}", args.out.display())))?;
    let id_name = id_column.clone().unwrap_or_else(|| "row".to_string());
    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(id_name.as_bytes());
    line.extend_from_slice(b",score,pd,grade,decision,limit,annual_rate,expected_loss");
    for r in 1..=k {
        line.extend_from_slice(format!(",reason_{r}").as_bytes());
    }
    line.extend_from_slice(b",flags\n");
    let ids = id_column
        .as_deref()
        .and_then(|c| table.column(c))
        .map(|c| &c.data);
    let policy = model.policy();
    let grades = model.grades();
    let features = model.features();
    for i in 0..n {
        match ids {
            Some(ColumnData::Categorical { codes, levels }) if codes[i] != MISSING_CODE => {
                csv_text(&mut line, &levels[codes[i] as usize]);
            }
            Some(_) => {}
            None => line.extend_from_slice(itoa::Buffer::new().format(i + 1).as_bytes()),
        }
        line.push(b',');
        write_f64(&mut line, score[i]);
        line.push(b',');
        write_f64(&mut line, pd[i]);
        line.push(b',');
        let g = &grades[grade[i] as usize].grade;
        line.extend_from_slice(g.as_bytes());
        line.push(b',');
        line.extend_from_slice(["approve", "refer", "decline"][decision[i] as usize].as_bytes());
        line.push(b',');
        write_f64(&mut line, limit[i]);
        line.push(b',');
        write_f64(
            &mut line,
            policy.annual_rate.get(g).copied().unwrap_or(f64::NAN),
        );
        line.push(b',');
        write_f64(&mut line, el[i]);
        for r in &reasons[i * k..(i + 1) * k] {
            line.push(b',');
            if *r >= 0 {
                line.extend_from_slice(features[*r as usize].reason_code.as_bytes());
            }
        }
        line.push(b',');
        let mut first = true;
        for name in flags::names(flag_bits[i]) {
            if !first {
                line.push(b';');
            }
            first = false;
            line.extend_from_slice(name.as_bytes());
        }
        line.push(b'\n');
        if line.len() > 1 << 16 {
            file.write_all(&line)?;
            line.clear();
        }
    }
    file.write_all(&line)?;
    file.commit()
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", args.out.display())))?;
    if !args.quiet {
        let counts = |d: u8| decision.iter().filter(|&&x| x == d).count();
        eprintln!(
            "scored {n} applications from {} to {} in {:.2} s: {} approve, {} refer, {} decline",
            args.data.display(),
            args.out.display(),
            started.elapsed().as_secs_f64(),
            counts(0),
            counts(1),
            counts(2)
        );
    }
    Ok(())
}

/// Append a CSV field, quoted when needed.
fn csv_text(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}
