//! The real `microscore score` and `microscore explain`, with the built-in model.

mod common;

use common::{microscore, text};

use microscore::model::builtin::default_model;
use microscore::scoring::{Scorer, Value};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/applications.csv");

#[test]
fn scores_the_shipped_example_with_the_built_in_model_exactly_as_the_api() {
    let dir = common::scratch("cli-score");
    let out_path = dir.join("scores.csv");
    let out = microscore(&[
        "score",
        "--data",
        EXAMPLE,
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("read 1000 rows: 1000 scored"),
        "{}",
        text(&out.stderr)
    );

    let mut reader = csv::Reader::from_path(&out_path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "application_id",
            "score",
            "pd",
            "grade",
            "decision",
            "limit",
            "annual_rate",
            "expected_loss",
            "reason_1",
            "reason_2",
            "reason_3",
            "reason_4",
            "flags"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1000);

    // Every row equals the one-application API, bit for bit (scores written in shortest
    // round-trip form).
    let scorer = Scorer::new(default_model().unwrap());
    let mut input = csv::Reader::from_path(EXAMPLE).unwrap();
    let names: Vec<String> = input
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    for (record, row) in input.records().map(Result::unwrap).zip(&rows) {
        let fields: Vec<(&str, Value<'_>)> = names
            .iter()
            .zip(record.iter())
            .map(|(n, v)| {
                (
                    n.as_str(),
                    if v.is_empty() {
                        Value::Missing
                    } else {
                        Value::Text(v)
                    },
                )
            })
            .collect();
        let r = scorer.score_fields(&fields, 4).unwrap();
        assert_eq!(&row[0], &record[0]);
        assert_eq!(row[1].parse::<f64>().unwrap().to_bits(), r.score.to_bits());
        assert_eq!(row[2].parse::<f64>().unwrap().to_bits(), r.pd.to_bits());
        assert_eq!(&row[3], r.grade);
        assert_eq!(&row[4], r.outcome.decision.as_str());
        assert_eq!(row[5].parse::<f64>().unwrap(), r.outcome.limit);
        for (j, reason) in r.reasons.iter().enumerate() {
            assert_eq!(&row[8 + j], reason.code);
        }
    }
    let decisions: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.get(4).unwrap()).collect();
    assert_eq!(
        decisions.len(),
        3,
        "approve, refer and decline all occur: {decisions:?}"
    );

    // Existing output is kept without --force.
    let again = microscore(&[
        "score",
        "--data",
        EXAMPLE,
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_a_row_and_a_json_application() {
    let out = microscore(&["explain", "--data", EXAMPLE, "--row", "3"]);
    let t = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(t.contains("application A000000003"), "{t}");
    assert!(
        t.contains("score") && t.contains("grade") && t.contains("decision"),
        "{t}"
    );
    assert!(t.contains("reasons (points lost"), "{t}");

    let json = r#"{"business_type": "livestock", "monthly_revenue": 3000, "worst_dpd_12m": 95,
                   "debt_to_income": 1.4, "province": "Atlantis"}"#;
    let out = microscore(&["explain", "--json", json]);
    let t = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(t.contains("WORST_DPD_12M"), "{t}");
    assert!(t.contains("unseen_category"), "{t}");
    assert!(t.contains("missing"), "{t}");

    for (args, expected) in [
        (
            vec!["explain", "--data", EXAMPLE, "--row", "5000"],
            "data rows 1 to 1000",
        ),
        (vec!["explain", "--json", "[1, 2]"], "not a JSON object"),
        (vec!["explain"], "required"),
    ] {
        let out = microscore(&args);
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains(expected),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_file_without_the_models_columns_is_refused_before_any_work() {
    let dir = common::scratch("cli-score-missing");
    let input = dir.join("apps.csv");
    std::fs::write(&input, "application_id,province\nA1,Henan\n").unwrap();
    let out_path = dir.join("scores.csv");
    let out = microscore(&[
        "score",
        "--data",
        input.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("missing") && err.contains("monthly_revenue"),
        "{err}"
    );
    assert!(!out_path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
