//! The built-in default model: a rural microloan scorecard trained on synthetic applications.
//!
//! It is trained by `microscore train` on `microscore synth --rows 1000000 --seed 20261129` with
//! the settings of [`training_params`], committed as `src/default_model.json`, embedded in the
//! binary, and used whenever no `--model` is given. Its reason statements in English and
//! Chinese ([`REASONS_CSV`], `src/default_reasons.csv`) are recorded after training. `docs/regenerate-default-model.sh`
//! regenerates it, and `tests/default_model.rs` checks that retraining reproduces the committed
//! file byte for byte.

use crate::model::{Model, ModelError};
use crate::train::TrainParams;

/// Rows of synthetic data the default model is trained on.
pub const TRAINING_ROWS: u64 = 1_000_000;
/// Seed of that synthetic data.
pub const TRAINING_SEED: u64 = 20_261_129;

/// The built-in model's reason statements, in English and Chinese (a reasons file:
/// `code,language,statement`), recorded in the model after training.
pub const REASONS_CSV: &str = include_str!("default_reasons.csv");

/// The model file's text, as committed.
pub const JSON: &str = include_str!("default_model.json");

/// The built-in default model (parsed and validated).
pub fn default_model() -> Result<Model, ModelError> {
    Model::from_json(JSON)
}

/// The settings the default model is trained with: the library defaults, with the id and the
/// protected attribute declared, the Newton solver (exact, so the file is reproducible to the
/// byte), the microloan decision policy ([`crate::policy::PolicySpec::microloan`], the file
/// `examples/policies/microloan.json`) and a 5-fold out-of-fold recalibration (`--calibrate`):
/// on 2,000,000 fresh generated applications every grade's Jeffreys test is then green.
pub fn training_params() -> TrainParams {
    let mut params = TrainParams::new("default_12m");
    params.id_column = Some("application_id".into());
    params.protected = vec!["gender".into()];
    params.fit.solver = crate::fit::Solver::Newton;
    params.policy = crate::policy::PolicySpec::microloan();
    params.calibration_folds = 5;
    params
}
