//! `microscore export`: the scorecard as SQL or PMML, with the model's exact semantics.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use microscore::export::{pmml, sql};
use microscore::format::Output;

use super::common::{load_model, CliError, ModelArgs};

/// What to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One SQL SELECT (choose the dialect with --dialect).
    Sql,
    /// A PMML 4.4 Scorecard with reason codes, the PD and the grade.
    Pmml,
}

/// SQL dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    /// PostgreSQL.
    Postgres,
    /// DuckDB.
    Duckdb,
    /// SQLite 3.35 or newer.
    Sqlite,
    /// Spark SQL.
    Spark,
}

/// Export a scorecard to run where the data is: SQL (PostgreSQL, DuckDB, SQLite, Spark) or
/// PMML 4.4.
///
/// The SQL is one SELECT over --table giving, per row, the id, every feature's points, the
/// score, the PD, the grade, the decision, the limit, the rate, the expected loss, the top
/// reason codes and, for a row the policy rejects, reject_column and reject_reason. The PMML is
/// a Scorecard with pointsBelow reason codes, the PD and the grade as output fields. Both give
/// the scores, PDs, grades, decisions and reasons the CLI gives (docs/export.md; the test
/// command checks it in SQLite, DuckDB, Spark SQL and a PMML evaluator).
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// sql or pmml.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// The SQL dialect.
    #[arg(long, value_enum, default_value = "duckdb")]
    dialect: DialectArg,
    /// The table (or view) the SQL reads the applications from.
    #[arg(long, default_value = "applications")]
    table: String,
    /// Reason codes per application.
    #[arg(long, default_value_t = 4)]
    reasons: usize,
    /// Where to write it (- for standard output).
    #[arg(long, value_name = "FILE", default_value = "-")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: ExportArgs) -> Result<(), CliError> {
    let model = load_model(&args.model)?;
    let text = match args.format {
        ExportFormat::Sql => sql::to_sql(
            &model,
            &sql::SqlOptions {
                dialect: match args.dialect {
                    DialectArg::Postgres => sql::Dialect::Postgres,
                    DialectArg::Duckdb => sql::Dialect::Duckdb,
                    DialectArg::Sqlite => sql::Dialect::Sqlite,
                    DialectArg::Spark => sql::Dialect::Spark,
                },
                table: args.table.clone(),
                reasons: args.reasons,
            },
        ),
        ExportFormat::Pmml => pmml::to_pmml(&model, args.reasons),
    }
    .map_err(|e| CliError::msg(e.to_string()))?;
    let io = |e: std::io::Error| CliError::msg(format!("{}: {e}", args.out.display()));
    let mut out = Output::create(&args.out, args.force).map_err(io)?;
    out.write_all(text.as_bytes()).map_err(io)?;
    out.commit().map_err(io)
}
