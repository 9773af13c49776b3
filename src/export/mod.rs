//! Exports of a scorecard to where credit teams run them: SQL in four dialects
//! ([`sql::to_sql`]) and PMML 4.4 ([`pmml::to_pmml`]), each with the model's exact semantics
//! (bins, routes of missing, special and unseen values, points, the score, PD and grade, ranked
//! reason codes), so that every target gives the numbers the Rust scorer gives. The test command
//! proves it: the SQL runs in SQLite, DuckDB and Spark SQL and the PMML in a real evaluator, on
//! generated and real data with every awkward value.

pub mod pmml;
pub mod sql;

pub use sql::{to_sql, Dialect, SqlOptions};

/// The characters of Unicode's White_Space property: what `str::trim` removes, so what every
/// export trims from text.
pub(crate) const WHITE_SPACE: &str = "\u{9}\u{a}\u{b}\u{c}\u{d}\u{20}\u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// Why an export could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportError {
    /// More reason codes were asked for than the scorer gives.
    #[error("at most {max} reason codes per application ({0} asked)", max = crate::scoring::MAX_REASONS)]
    TooManyReasons(usize),
    /// No PMML baseline reproduces the scorer's reason order (points that differ by less than
    /// a floating-point step).
    #[error("the PMML reason codes cannot reproduce the scorer's order for this model (two features' lost points differ by less than a floating-point step)")]
    ReasonOrder,
    /// The SQL table name is empty or holds a character that cannot start a query's FROM.
    #[error("the table to read must be named (got '{0}')")]
    Table(String),
}

/// Check a reason-code count.
pub(crate) fn check_reasons(k: usize) -> Result<usize, ExportError> {
    if k > crate::scoring::MAX_REASONS {
        Err(ExportError::TooManyReasons(k))
    } else {
        Ok(k)
    }
}
