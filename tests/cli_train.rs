//! The real `microscore train` and `microscore inspect`.

mod common;

use common::{microscore, text};

use std::path::Path;

fn synth(dir: &Path, name: &str, rows: &str, seed: &str) -> String {
    let path = dir.join(name);
    let out = microscore(&[
        "synth",
        "--rows",
        rows,
        "--seed",
        seed,
        "-q",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    path.to_str().unwrap().to_string()
}

#[test]
fn train_then_inspect() {
    let dir = common::scratch("cli-train");
    let data = synth(&dir, "train.csv", "20000", "1");
    let model = dir.join("model.json");
    let model = model.to_str().unwrap();
    let out = microscore(&[
        "train",
        "--data",
        &data,
        "--target",
        "default_12m",
        "--protected",
        "gender",
        "--special",
        "worst_dpd_12m=999",
        "--trend",
        "applicant_age=peak",
        "--out",
        model,
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}{}", stdout, text(&out.stderr));
    assert!(stdout.contains("kept (IV, bins, trend):"), "{stdout}");
    assert!(stdout.contains("worst_dpd_12m"), "{stdout}");
    assert!(stdout.contains("training AUC"), "{stdout}");
    assert!(
        !stdout.contains("gender"),
        "a protected attribute was offered as a feature: {stdout}"
    );
    assert!(
        !stdout.contains("application_id"),
        "the id was offered as a feature: {stdout}"
    );

    // Refuses to overwrite without --force.
    let again = microscore(&[
        "train",
        "--data",
        &data,
        "--target",
        "default_12m",
        "--out",
        model,
    ]);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("--force"));

    let table = microscore(&["inspect", model]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let t = text(&table.stdout);
    assert!(
        t.contains("bad rate") && t.contains("WoE") && t.contains("points"),
        "{t}"
    );
    assert!(t.contains("missing") && t.contains("grades: A >="), "{t}");

    let csv = microscore(&["inspect", model, "--format", "csv"]);
    let c = text(&csv.stdout);
    assert!(
        c.starts_with("feature,bin,count,share,bad_rate,woe,iv,points\n"),
        "{c}"
    );
    let mut reader = csv::Reader::from_reader(c.as_bytes());
    assert!(reader.records().count() > 20);

    let md = text(&microscore(&["inspect", model, "--format", "markdown"]).stdout);
    assert!(md.starts_with("| feature | bin |"), "{md}");
    let json: serde_json::Value =
        serde_json::from_slice(&microscore(&["inspect", model, "--format", "json"]).stdout)
            .unwrap();
    assert!(json.as_array().unwrap().len() > 20);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_targets_and_settings_give_one_clear_line() {
    let dir = common::scratch("cli-train-errors");
    let path = dir.join("bad.csv");
    std::fs::write(&path, "id,x,y\n1,0.5,0\n2,0.7,1\n3,0.1,2\n").unwrap();
    let p = path.to_str().unwrap();
    let model = dir.join("m.json");
    let m = model.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["train", "--data", p, "--target", "y", "--out", m],
            "data row 3: value 2 is not 0 or 1",
        ),
        (
            &["train", "--data", p, "--target", "nope", "--out", m],
            "not found: nope",
        ),
        (
            &[
                "train",
                "--data",
                "/no/such/file.csv",
                "--target",
                "y",
                "--out",
                m,
            ],
            "/no/such/file.csv",
        ),
        (
            &[
                "train",
                "--data",
                p,
                "--target",
                "y",
                "--min-bin-share",
                "0.7",
                "--out",
                m,
            ],
            "invalid setting: --min-bin-share must be in [0, 0.5) (got 0.7)",
        ),
        (
            &[
                "train",
                "--data",
                p,
                "--target",
                "y",
                "--trend",
                "x=sideways",
                "--out",
                m,
            ],
            "unknown trend",
        ),
        (
            &[
                "train",
                "--data",
                p,
                "--target",
                "y",
                "--calibrate",
                "1",
                "--out",
                m,
            ],
            "invalid setting: --calibrate must be 0 (none) or 2 to 20 folds (got 1)",
        ),
    ];
    for (args, expected) in cases {
        let out = microscore(args);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!model.exists(), "no model written on error");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inspect_rejects_a_tampered_model() {
    let dir = common::scratch("cli-inspect-tamper");
    let path = dir.join("m.json");
    std::fs::write(
        &path,
        "{\"format\": \"microscore-scorecard\", \"format_version\": 1}",
    )
    .unwrap();
    let out = microscore(&["inspect", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a valid scorecard"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn train_config_json_names_unknown_keys_and_bad_values() {
    use microscore::train::TrainConfig;
    let err = TrainConfig::from_json(r#"{"max_bin": 3}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `max_bin`"), "{err}");
    let err = TrainConfig::from_json(r#"{"solver": "sgd"}"#)
        .and_then(|c| c.into_params("bad"))
        .unwrap_err();
    assert!(err.to_string().contains("unknown solver 'sgd'"), "{err}");
    let params = TrainConfig::from_json(r#"{"max_bins": 4, "trends": {"age": "auto-shape"}}"#)
        .and_then(|c| c.into_params("bad"))
        .unwrap();
    assert_eq!(params.binning.max_bins, 4);
    assert_eq!(params.trends["age"], microscore::model::Trend::AutoShape);
    assert_eq!(
        TrainConfig::default().into_params("bad").unwrap(),
        microscore::train::TrainParams::new("bad")
    );
}
