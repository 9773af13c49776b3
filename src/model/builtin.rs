//! The built-in default model: a rural microloan scorecard trained on synthetic applications.
//!
//! It is trained by `microscore train` on `microscore synth --rows 1000000 --seed 20261129` with
//! the settings of [`crate::train::default_model_params`], committed as `src/model/default_model.json`, embedded in the
//! binary, and used whenever no `--model` is given. Its reason statements in English and
//! Chinese ([`REASONS_CSV`], `src/model/default_reasons.csv`) are recorded after training. `docs/regenerate-default-model.sh`
//! regenerates it, and `tests/default_model.rs` checks that retraining reproduces the committed
//! file byte for byte.

use crate::model::{Model, ModelError};

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
