//! Applying a scorecard: bins, points and scores.
//!
//! The score of an application is the sum of its features' points, added in the model's
//! feature order starting from zero; every scorer (this module, the CLI, the C ABI, Python)
//! computes it this one way, so results agree bit for bit.

use crate::binning::BinRule;
use crate::model::{Feature, Model};
use crate::table::{ColumnData, Table, MISSING_CODE};

/// Errors raised while scoring.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// A feature's column is absent.
    #[error("column '{0}' required by the model is missing")]
    MissingColumn(String),
    /// A numeric feature's column holds text.
    #[error("column '{0}' must be numeric for this model, but it holds text")]
    NotNumeric(String),
}

/// Bin index of every row for one feature.
pub fn feature_bins(feature: &Feature, table: &Table) -> Result<Vec<u32>, ScoreError> {
    let column = table
        .column(&feature.name)
        .ok_or_else(|| ScoreError::MissingColumn(feature.name.clone()))?;
    let b = &feature.binning;
    match (&b.rule, &column.data) {
        (BinRule::Numeric { .. }, ColumnData::Numeric(values)) => Ok(values
            .iter()
            .map(|&x| b.numeric_bin(x).unwrap_or(b.missing.bin) as u32)
            .collect()),
        (BinRule::Numeric { .. }, ColumnData::Categorical { .. }) => {
            Err(ScoreError::NotNumeric(feature.name.clone()))
        }
        (BinRule::Categorical { .. }, ColumnData::Categorical { codes, levels }) => {
            let per_level: Vec<u32> = levels
                .iter()
                .map(|l| b.category_bin(Some(l)).unwrap_or(b.missing.bin) as u32)
                .collect();
            let missing = b.missing.bin as u32;
            Ok(codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        missing
                    } else {
                        per_level[c as usize]
                    }
                })
                .collect())
        }
        (BinRule::Categorical { .. }, ColumnData::Numeric(values)) => {
            // Categories that look like numbers: match on their shortest text form.
            Ok(values
                .iter()
                .map(|&x| {
                    let text = (!x.is_nan()).then(|| number_text(x));
                    b.category_bin(text.as_deref()).unwrap_or(b.missing.bin) as u32
                })
                .collect())
        }
    }
}

fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        ryu::Buffer::new().format(x).to_string()
    }
}

/// Scores of every row of a table.
pub fn score_table(model: &Model, table: &Table) -> Result<Vec<f64>, ScoreError> {
    let mut scores = vec![0.0; table.n_rows()];
    for feature in model.features() {
        let bins = feature_bins(feature, table)?;
        for (s, &b) in scores.iter_mut().zip(&bins) {
            *s += feature.points[b as usize];
        }
    }
    Ok(scores)
}
