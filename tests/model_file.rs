//! The model file: lossless round trip, determinism, and rejection of broken or tampered files.

mod common;

use microscore::input::table::Table;
use microscore::model::{Model, ModelError};
use microscore::scoring::score_table;
use microscore::train::{train, TrainParams};

fn params() -> TrainParams {
    let mut p = TrainParams::new("default_12m");
    p.id_column = Some("application_id".into());
    p.protected = vec!["gender".into()];
    p
}

fn trained() -> (Model, Table) {
    let table = common::synthetic_table(20_000, 5);
    let model = train(&table, &params()).unwrap();
    (model, table)
}

#[test]
fn save_then_load_gives_bit_identical_scores() {
    let (model, table) = trained();
    let dir = common::scratch("roundtrip");
    let path = dir.join("model.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded, model);
    let a = score_table(&model, &table).unwrap();
    let b = score_table(&loaded, &table).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    // Writing the loaded model again gives the same bytes.
    assert_eq!(
        loaded.to_json().unwrap(),
        std::fs::read_to_string(&path).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn training_is_deterministic_across_runs_and_thread_counts() {
    let table = common::synthetic_table(20_000, 6);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let a = one
        .install(|| train(&table, &params()).unwrap())
        .to_json()
        .unwrap();
    let b = three
        .install(|| train(&table, &params()).unwrap())
        .to_json()
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a, train(&table, &params()).unwrap().to_json().unwrap());
}

#[test]
fn score_is_the_sum_of_points_and_matches_the_scaling() {
    let (model, table) = trained();
    let scores = score_table(&model, &table).unwrap();
    let (lo, hi) = (model.min_score(), model.max_score());
    assert!(scores
        .iter()
        .all(|s| s.is_finite() && *s >= lo - 1e-9 && *s <= hi + 1e-9));
    // Scaling: points = offset/m - factor * (intercept/m + beta * woe), so the score is
    // offset + factor * ln(good:bad odds) of the logistic model.
    let s = model.scaling();
    let f = &model.features()[0];
    let m = model.features().len() as f64;
    for (bin, points) in f.binning.bins.iter().zip(&f.points) {
        let expected = (s.offset() - s.factor() * model.intercept()) / m
            - s.factor() * f.coefficient * bin.woe;
        assert!((points - expected).abs() < 1e-9);
    }
    // Every kept feature's points follow its WoE (the sign check), but one kept against it
    // because dropping it fails the likelihood-ratio test: that one is noted, its candidate
    // says why, and its points run exactly against its WoE.
    let against: Vec<String> = model
        .training_notes()
        .into_iter()
        .filter_map(|n| match n {
            microscore::model::TrainingNote::AgainstWoe { feature, .. } => Some(feature),
            _ => None,
        })
        .collect();
    for f in model.features() {
        let follows = f.coefficient < 0.0;
        assert_eq!(follows, !against.contains(&f.name), "{}", f.name);
        if !follows {
            let candidate = model
                .training()
                .candidates
                .iter()
                .find(|c| c.name == f.name)
                .unwrap();
            let reason = candidate.reason.as_deref().unwrap_or("");
            assert!(
                reason.contains("kept against its WoE"),
                "{}: {reason}",
                f.name
            );
        }
        let n = f.binning.n_regular();
        for i in 0..n {
            for j in 0..n {
                if f.binning.bins[i].woe > f.binning.bins[j].woe {
                    if follows {
                        assert!(f.points[i] > f.points[j], "{}", f.name);
                    } else {
                        assert!(f.points[i] <= f.points[j], "{}", f.name);
                    }
                }
            }
        }
    }
}

fn expect_invalid(json: &str, field_part: &str) {
    match Model::from_json(json) {
        Err(ModelError::Invalid { field, reason }) => {
            assert!(
                field.contains(field_part),
                "field {field} ({reason}), expected {field_part}"
            )
        }
        other => panic!("expected an invalid-field error naming {field_part}, got {other:?}"),
    }
}

#[test]
fn broken_and_tampered_files_are_rejected_naming_the_field() {
    let (model, _) = trained();
    let json = model.to_json().unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();

    // Tampered content: the checksum no longer matches.
    let mut tampered = value.clone();
    let p = tampered["features"][0]["points"][0].as_f64().unwrap();
    tampered["features"][0]["points"][0] = serde_json::json!(p + 1.0);
    let err = Model::from_json(&tampered.to_string()).unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");

    // Edges out of order.
    let numeric = model
        .features()
        .iter()
        .position(|f| matches!(&f.binning.rule, microscore::model::BinRule::Numeric { edges, .. } if edges.len() >= 2))
        .expect("a numeric feature with two edges");
    let mut broken = value.clone();
    let edges = &mut broken["features"][numeric]["binning"]["rule"]["edges"];
    let first = edges[0].clone();
    edges[0] = edges[1].clone();
    edges[1] = first;
    expect_invalid(
        &broken.to_string(),
        &format!("features[{numeric}].binning.rule.edges[1]"),
    );

    // A route to a bin that does not exist.
    let mut broken = value.clone();
    broken["features"][0]["binning"]["missing"]["bin"] = serde_json::json!(99);
    expect_invalid(&broken.to_string(), "features[0].binning.missing.bin");

    // Non-finite numbers cannot hide in the file.
    let mut broken = value.clone();
    broken["features"][0]["points"][0] = serde_json::Value::Null;
    assert!(matches!(
        Model::from_json(&broken.to_string()),
        Err(ModelError::Json(_))
    ));
    let text = json.replacen("\"intercept\": ", "\"intercept\": 1e999, \"x\": ", 1);
    assert!(Model::from_json(&text).is_err());

    // Points do not match the bins.
    let mut broken = value.clone();
    broken["features"][0]["points"]
        .as_array_mut()
        .unwrap()
        .pop();
    expect_invalid(&broken.to_string(), "features[0].points");

    // Unsorted categories.
    let cat = model
        .features()
        .iter()
        .position(|f| matches!(&f.binning.rule, microscore::model::BinRule::Categorical { categories, .. } if categories.len() >= 2))
        .expect("a categorical feature");
    let mut broken = value.clone();
    broken["features"][cat]["binning"]["rule"]["categories"]
        .as_array_mut()
        .unwrap()
        .reverse();
    expect_invalid(
        &broken.to_string(),
        &format!("features[{cat}].binning.rule.categories"),
    );

    // A newer format version, or not a model at all.
    value["format_version"] = serde_json::json!(2);
    let err = Model::from_json(&value.to_string()).unwrap_err();
    assert!(matches!(err, ModelError::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("format_version 2"));
    assert!(matches!(
        Model::from_json("{\"a\": 1}"),
        Err(ModelError::Unsupported(_))
    ));
    assert!(matches!(
        Model::from_json("not json"),
        Err(ModelError::Json(_))
    ));
}

#[test]
fn missing_values_are_never_scored_as_woe_zero_by_accident() {
    let (model, _) = trained();
    for f in model.features() {
        let b = &f.binning;
        let route = &b.missing;
        if route.own_bin {
            assert!(matches!(
                b.bins[route.bin].kind,
                microscore::model::BinKind::Missing
            ));
        } else {
            // Joined: the riskiest regular bin.
            let n = b.n_regular();
            let riskiest = (0..n)
                .min_by(|&i, &j| b.bins[i].woe.total_cmp(&b.bins[j].woe))
                .unwrap();
            assert_eq!(route.bin, riskiest, "{}", f.name);
        }
    }
    // The thin-file applicants (missing worst DPD, about 35%) have a bin of their own.
    let dpd = model
        .features()
        .iter()
        .find(|f| f.name == "worst_dpd_12m")
        .unwrap();
    assert!(dpd.binning.missing.own_bin);
}
