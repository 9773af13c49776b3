//! The scorecard in the linfa ecosystem: [`TrainParams`] fits a linfa [`Dataset`] of numbers
//! ([`Fit`]) into a [`Model`], which predicts the PD of every record ([`PredictInplace`]).
//!
//! The records are the candidate features, one column each, NaN for missing; the targets are
//! `true` for a default. Column names come from the dataset's feature names (`feature_0`, ...
//! when it has none), and linfa's sample weights, when set, weight the rows. It is the same
//! training as [`crate::train::train`] on a table of those columns.
//!
//! ```
//! use linfa::prelude::*;
//! use microscore::train::TrainParams;
//! use ndarray::{Array1, Array2};
//!
//! // Risk falls as the first column rises; the second column is noise.
//! let n = 2000;
//! let x = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { (i % 100) as f64 } else { (i * 7 % 13) as f64 });
//! let y = Array1::from_shape_fn(n, |i| (i % 100) < 20 && i % 3 != 0 || i % 17 == 0);
//! let data = Dataset::new(x, y).with_feature_names(vec!["months_trading", "noise"]);
//! let model = TrainParams::new("default").fit(&data).unwrap();
//! let pd: Array1<f64> = model.predict(data.records());
//! assert!(pd[0] > pd[99]); // 0 months trading is riskier than 99
//! ```

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};

use crate::input::table::{Column, ColumnData, Table};
use crate::model::Model;
use crate::scoring::score_table;
use crate::train::{train, TrainError, TrainParams};

#[allow(unused_imports)] // for the module documentation's links
use linfa::Dataset;

/// The name of the weight column a weighted linfa dataset is trained with.
const WEIGHT_COLUMN: &str = "__linfa_weight";

fn names(given: &[String], n: usize) -> Vec<String> {
    if given.len() == n {
        given.to_vec()
    } else {
        (0..n).map(|j| format!("feature_{j}")).collect()
    }
}

impl Fit<Array2<f64>, Array1<bool>, TrainError> for TrainParams {
    type Object = Model;

    /// Train a scorecard on the records (candidate features) and targets (`true` = default).
    fn fit(&self, dataset: &DatasetBase<Array2<f64>, Array1<bool>>) -> Result<Model, TrainError> {
        let records = dataset.records();
        let targets = dataset.targets();
        if records.nrows() != targets.len() {
            return Err(linfa::Error::MismatchedShapes(records.nrows(), targets.len()).into());
        }
        let names = names(dataset.feature_names(), records.ncols());
        let mut params = self.clone();
        if names.contains(&params.target) {
            return Err(TrainError::Params(format!(
                "the target name '{}' is also a feature name",
                params.target
            )));
        }
        let mut columns: Vec<Column> = names
            .iter()
            .zip(records.columns())
            .map(|(name, values)| Column {
                name: name.clone(),
                data: ColumnData::Numeric(values.to_vec()),
            })
            .collect();
        columns.push(Column {
            name: params.target.clone(),
            data: ColumnData::Numeric(targets.iter().map(|&b| f64::from(u8::from(b))).collect()),
        });
        if let Some(w) = dataset.weights() {
            columns.push(Column {
                name: WEIGHT_COLUMN.into(),
                data: ColumnData::Numeric(w.iter().map(|&x| f64::from(x)).collect()),
            });
            params.weight_column = Some(WEIGHT_COLUMN.into());
        }
        params.bad_values.clear();
        train(&Table::new(columns), &params)
    }
}

impl PredictInplace<Array2<f64>, Array1<f64>> for Model {
    /// The PD of every record. The columns are the training dataset's, in its order. A record
    /// matrix with another number of columns, or a row that cannot be scored, gives NaN (this
    /// trait has no error path, and a panic is never the answer).
    fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<f64>) {
        y.fill(f64::NAN);
        let candidates = &self.training().candidates;
        if x.ncols() != candidates.len() || y.len() != x.nrows() {
            return;
        }
        let columns = candidates
            .iter()
            .zip(x.columns())
            .map(|(c, values)| Column {
                name: c.name.clone(),
                data: ColumnData::Numeric(values.to_vec()),
            })
            .collect();
        if let Ok(scores) = score_table(self, &Table::new(columns)) {
            for (p, s) in y.iter_mut().zip(scores) {
                *p = self.scaling().pd(s);
            }
        }
    }

    fn default_target(&self, x: &Array2<f64>) -> Array1<f64> {
        Array1::from_elem(x.nrows(), f64::NAN)
    }
}
