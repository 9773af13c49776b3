//! The validation pack: `evaluate` (discrimination, calibration, gains, cut-offs, fairness) and
//! `monitor` (score and characteristic stability), as JSON for machines and a self-contained
//! HTML page (inline SVG charts) or Markdown for people.
//!
//! A file is read once, in chunks, scored in parallel and folded into accumulators whose size
//! depends on the model (score buckets of [`SCORE_STEP`] points, bins, grades, groups), not on
//! the number of rows; the statistics are computed from them at the end.

mod evaluate;
mod monitor;
pub mod render;
mod scan;
pub mod strategy;
pub mod svg;
pub mod validation;

pub use evaluate::{
    evaluate, BinRow, Calibration, CutoffRow, Discrimination, Evaluation, Fairness, GainsRow,
    GradeCalibration, GroupRow, ModelInfo, ScoreHistogram,
};
pub use monitor::{monitor, Monitoring, Stability};
pub use scan::{ensure_parent, DataSummary, ReportError, ReportInput, SCORE_STEP};
