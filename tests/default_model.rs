//! The built-in default model is reproducible from its recipe, and the shipped example file is
//! what the generator writes.

mod common;

use microscore::model::builtin::{default_model, JSON, TRAINING_ROWS, TRAINING_SEED};
use microscore::synth::write_applications_with;
use microscore::train::{default_model_params, train};
use microscore::FileFormat;

#[test]
fn the_committed_model_loads_and_round_trips() {
    let model = default_model().unwrap();
    assert_eq!(model.to_json().unwrap(), JSON);
    assert!(model.features().len() >= 10);
    assert_eq!(model.protected(), ["gender"]);
}

/// The same recipe as docs/regenerate-default-model.sh (synth to CSV, read, train).
#[test]
fn retraining_reproduces_the_committed_model_byte_for_byte() {
    let table = common::synthetic_table(TRAINING_ROWS, TRAINING_SEED);
    let model = train(&table, &default_model_params()).unwrap();
    let rows = microscore::scoring::reasons::parse_reasons_csv(
        microscore::model::builtin::REASONS_CSV,
        "src/model/default_reasons.csv",
    )
    .unwrap();
    let model = microscore::scoring::reasons::with_statements(
        &model,
        &rows,
        "src/model/default_reasons.csv",
    )
    .unwrap();
    assert_eq!(
        microscore::scoring::reasons::languages(&model),
        ["en", "zh"]
    );
    assert!(
        model.to_json().unwrap() == JSON,
        "retraining gives a different model: run docs/regenerate-default-model.sh and commit"
    );
}

#[test]
fn the_shipped_example_file_is_what_synth_writes() {
    let mut expected = Vec::new();
    write_applications_with(&mut expected, 1000, 7, FileFormat::Csv, false, |_| {}).unwrap();
    let shipped = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/applications.csv"
    ))
    .unwrap();
    assert!(
        shipped == expected,
        "examples/applications.csv is stale: run docs/regenerate-default-model.sh"
    );
}

/// The policy file the regenerate script trains with is the built-in recipe's policy.
#[test]
fn the_microloan_policy_file_is_the_built_in_policy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/policies/microloan.json"
    ))
    .unwrap();
    let file = microscore::model::policy::PolicySpec::from_json(&text).unwrap();
    assert_eq!(file, microscore::model::policy::PolicySpec::microloan());
    let model = default_model().unwrap();
    let resolved = file.resolve(model.scaling(), model.grades()).unwrap();
    assert_eq!(&resolved, model.policy());
}
