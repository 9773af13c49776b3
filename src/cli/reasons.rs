//! `microscore reasons`: the reason statements a model carries, listed as a reasons file or
//! replaced from one.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use microscore::format::Output;
use microscore::model::Model;
use microscore::scoring::reasons;

use super::common::{load_model, CliError, ModelArgs};

/// List a model's reason statements as a reasons file (code,language,statement), or record
/// the statements of a reasons file in a copy of the model.
///
/// Each feature has a statement per language: what an adverse-action notice says when the
/// feature cost the applicant points. Training writes English ones generated from the feature
/// names; give the lender's own words, in any number of languages, with --reasons-file. Every
/// language in the file needs a statement for every feature; a protected attribute can never
/// be given one (docs/reasons.md).
#[derive(Debug, Args)]
pub struct ReasonsArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The statements to record (CSV: code,language,statement; code is a reason code or a
    /// feature name).
    #[arg(long, value_name = "FILE")]
    reasons_file: Option<PathBuf>,
    /// Where to write: the model with the statements (with --reasons-file), else the
    /// statements as CSV (- for standard output).
    #[arg(long, value_name = "FILE", default_value = "-")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
}

/// The model with the statements of the reasons file at `path`.
pub fn apply_reasons_file(model: &Model, path: &Path) -> Result<Model, CliError> {
    let name = path.display().to_string();
    let text = microscore::format::read_text_file(path, 16 << 20)
        .map_err(|e| CliError::msg(format!("{name}: {e}")))?;
    let rows = reasons::parse_reasons_csv(&text, &name)?;
    Ok(reasons::with_statements(model, &rows, &name)?)
}

pub fn run(args: ReasonsArgs) -> Result<(), CliError> {
    let model = load_model(&args.model)?;
    let io = |e: std::io::Error| CliError::msg(format!("{}: {e}", args.out.display()));
    match &args.reasons_file {
        Some(path) => {
            if args.out == Path::new("-") {
                return Err(CliError::msg(
                    "--reasons-file writes a model file: name it with --out",
                ));
            }
            let model = apply_reasons_file(&model, path)?;
            model.save_to(&args.out, args.force)?;
            eprintln!(
                "{}: statements in {} for {} features",
                args.out.display(),
                reasons::languages(&model).join(", "),
                model.features().len()
            );
            Ok(())
        }
        None => {
            let mut out = Output::create(&args.out, args.force).map_err(io)?;
            out.write_all(reasons::to_reasons_csv(&model).as_bytes())
                .map_err(io)?;
            out.commit().map_err(io)
        }
    }
}
