//! The decision policy through the real CLI: a policy fitted to the training data, checked at
//! train time, set from a strategy table; and exact column matching when scoring.

mod common;

use std::path::{Path, PathBuf};

use common::{microscore, scratch, text};

const GERMAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/german_credit/german_credit.csv"
);

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// German credit split 700 / 300 by line, as the README's walk-through does.
fn german(dir: &Path) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(GERMAN).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let part = |range: std::ops::Range<usize>| {
        let mut out = String::from(lines[0]);
        out.push('\n');
        for l in &lines[range] {
            out.push_str(l);
            out.push('\n');
        }
        out
    };
    let (train, holdout) = (dir.join("train.csv"), dir.join("holdout.csv"));
    std::fs::write(&train, part(1..701)).unwrap();
    std::fs::write(&holdout, part(701..1001)).unwrap();
    (train, holdout)
}

fn train(dir: &Path, extra: &[&str]) -> (PathBuf, std::process::Output) {
    let (data, _) = german(dir);
    let model = dir.join("model.json");
    let mut args = vec![
        "train",
        "--data",
        s(&data),
        "--target",
        "creditability",
        "--bad-values",
        "bad",
        "--out",
        s(&model),
        "--force",
    ];
    args.extend_from_slice(extra);
    let out = microscore(&args);
    (model, out)
}

#[test]
fn a_model_trained_on_other_data_scores_its_own_schema_with_no_invented_limits() {
    let dir = scratch("policy-own-data");
    let (model, out) = train(&dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stdout);
    assert!(
        log.contains("loan sizing: off") && log.contains("thin-file rule: off"),
        "{log}"
    );
    let (_, holdout) = german(&dir);
    let scores = dir.join("scores.csv");
    let out = microscore(&[
        "score",
        "--model",
        s(&model),
        "--data",
        s(&holdout),
        "--out",
        s(&scores),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut rd = csv::Reader::from_path(&scores).unwrap();
    let h = rd.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|x| x == n).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 300);
    let decisions: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| &r[at("decision")]).collect();
    assert_eq!(
        decisions.len(),
        3,
        "approve, refer and decline all occur: {decisions:?}"
    );
    // No amount column mapped: limit and expected loss are empty, never invented.
    assert!(rows
        .iter()
        .all(|r| r[at("limit")].is_empty() && r[at("expected_loss")].is_empty()));
    // Approved at PD <= 5%, declined above 15%.
    for r in &rows {
        let pd: f64 = r[at("pd")].parse().unwrap();
        match &r[at("decision")] {
            "approve" => assert!(pd <= 0.05),
            "decline" => assert!(pd > 0.15),
            _ => assert!(pd > 0.049 && pd <= 0.151),
        }
    }
}

#[test]
fn a_policy_naming_an_absent_or_text_column_fails_at_train_time() {
    let dir = scratch("policy-checked");
    let (_, out) = train(&dir, &["--amount-column", "credit_amnt"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("policy.amount_column: column 'credit_amnt' is not in the training data (did you mean 'credit_amount'?)"),
        "{err}"
    );
    let policy = dir.join("policy.json");
    std::fs::write(&policy, r#"{"thin_file_column": "purpose"}"#).unwrap();
    let (_, out) = train(&dir, &["--policy", s(&policy)]);
    let err = text(&out.stderr);
    assert!(
        err.contains("policy.json: policy.thin_file_column: column 'purpose' holds text"),
        "{err}"
    );
    std::fs::write(&policy, r#"{"approve_pd": 0.05, "amount": "x"}"#).unwrap();
    let (_, out) = train(&dir, &["--policy", s(&policy)]);
    assert!(
        text(&out.stderr).contains("unknown field `amount`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn loan_sizing_where_mapped_and_invalid_amounts_rejected() {
    let dir = scratch("policy-sizing");
    let (model, out) = train(
        &dir,
        &["--amount-column", "credit_amount", "--approve-pd", "0.1"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("loan sizing: on"));
    let (_, holdout) = german(&dir);
    // Two applications with an unusable amount.
    let mut content = std::fs::read_to_string(&holdout).unwrap();
    let header: Vec<&str> = content.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "credit_amount").unwrap();
    let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
    for (line, value) in [(5, "-5000"), (9, "inf")] {
        let mut fields: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(lines[line].as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        fields[col] = value.into();
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(vec![]);
        w.write_record(&fields).unwrap();
        lines[line] = String::from_utf8(w.into_inner().unwrap())
            .unwrap()
            .trim_end()
            .to_string();
    }
    content = lines.join("\n") + "\n";
    std::fs::write(&holdout, content).unwrap();
    let (scores, rejects) = (dir.join("scores.csv"), dir.join("rejects.csv"));
    let out = microscore(&[
        "score",
        "--model",
        s(&model),
        "--data",
        s(&holdout),
        "--out",
        s(&scores),
        "--rejects",
        s(&rejects),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let r = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        r.contains("6,credit_amount,-5000,an amount cannot be negative"),
        "{r}"
    );
    assert!(
        r.contains("10,credit_amount,inf,an amount must be a finite number"),
        "{r}"
    );
    let mut rd = csv::Reader::from_path(&scores).unwrap();
    let h = rd.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|x| x == n).unwrap();
    for rec in rd.records().map(Result::unwrap) {
        let limit: f64 = rec[at("limit")].parse().unwrap();
        match &rec[at("decision")] {
            "decline" => assert_eq!(limit, 0.0),
            _ => assert!(limit > 0.0),
        }
    }
}

#[test]
fn strategy_sets_the_cut_offs_and_writes_a_policy_for_train_and_score() {
    let dir = scratch("policy-strategy");
    let (model, _) = train(&dir, &[]);
    let (train_csv, holdout) = german(&dir);
    let policy = dir.join("policy.json");
    let out = microscore(&[
        "strategy",
        "--model",
        s(&model),
        "--data",
        s(&holdout),
        "--approve-rate",
        "0.6",
        "--refer-band",
        "15",
        "--out",
        s(&policy),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("marginal") && table.contains("chosen: approve at score >="),
        "{table}"
    );
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&policy).unwrap()).unwrap();
    let approve = spec["approve_min_score"].as_f64().unwrap();
    let decline = spec["decline_below_score"].as_f64().unwrap();
    assert!(
        (approve - decline - 15.0).abs() < 0.011,
        "{approve} {decline}"
    );
    // score --policy applies it: at least 60% approved on the same file.
    let summary = dir.join("summary.json");
    let out = microscore(&[
        "score",
        "--model",
        s(&model),
        "--policy",
        s(&policy),
        "--data",
        s(&holdout),
        "--out",
        s(&dir.join("s.csv")),
        "--summary-json",
        s(&summary),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sum: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert!(
        sum["decisions"][0].as_f64().unwrap() >= 0.6 * 300.0,
        "{sum}"
    );
    // train --policy records it.
    let again = dir.join("again.json");
    let out = microscore(&[
        "train",
        "--data",
        s(&train_csv),
        "--target",
        "creditability",
        "--bad-values",
        "bad",
        "--policy",
        s(&policy),
        "--out",
        s(&again),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert_eq!(m["policy"]["approve_min_score"].as_f64(), Some(approve));
    // --out needs a target; unlabelled data gives the approval side, and no bad-rate target.
    let out = microscore(&[
        "strategy",
        "--model",
        s(&model),
        "--data",
        s(&holdout),
        "--out",
        s(&policy),
    ]);
    assert!(text(&out.stderr).contains("give --approve-rate or --max-bad-rate"));
}

#[test]
fn absent_columns_are_errors_with_did_you_mean_unless_opted_in() {
    let dir = scratch("policy-absent");
    let (model, _) = train(&dir, &[]);
    let (_, holdout) = german(&dir);
    let renamed = dir.join("renamed.csv");
    let content = std::fs::read_to_string(&holdout).unwrap();
    std::fs::write(
        &renamed,
        content.replacen("duration_in_month", "Duration In Month", 1),
    )
    .unwrap();
    let out_path = dir.join("s.csv");
    let out = microscore(&[
        "score",
        "--model",
        s(&model),
        "--data",
        s(&renamed),
        "--out",
        s(&out_path),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("column(s) missing from the header: duration_in_month (did you mean 'Duration In Month'?)"),
        "{err}"
    );
    assert!(!out_path.exists());
    let summary = dir.join("summary.json");
    let out = microscore(&[
        "score",
        "--model",
        s(&model),
        "--data",
        s(&renamed),
        "--out",
        s(&out_path),
        "--allow-missing-columns",
        "--summary-json",
        s(&summary),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: absent column(s) scored as missing"));
    let scores = std::fs::read_to_string(&out_path).unwrap();
    assert!(scores.lines().skip(1).all(|l| l.contains("absent_column")));
    let sum: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(sum["absent_columns"][0], "duration_in_month");
    // evaluate names it too.
    let out = microscore(&[
        "evaluate",
        "--model",
        s(&model),
        "--data",
        s(&renamed),
        "--json",
        s(&dir.join("e.json")),
    ]);
    assert!(
        text(&out.stderr).contains("did you mean 'Duration In Month'?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_json_lines_key_no_record_has_is_an_error() {
    let dir = scratch("policy-jsonl");
    let apps = dir.join("apps.jsonl");
    let out = microscore(&["synth", "--rows", "50", "--no-label", "--out", s(&apps)]);
    assert!(out.status.success());
    let content = std::fs::read_to_string(&apps)
        .unwrap()
        .replace("\"monthly_revenue\"", "\"Monthly_Revenue\"");
    std::fs::write(&apps, content).unwrap();
    let scores = dir.join("s.jsonl");
    let out = microscore(&["score", "--data", s(&apps), "--out", s(&scores)]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("monthly_revenue") && err.contains("did you mean 'Monthly_Revenue'?"),
        "{err}"
    );
    assert!(!scores.exists(), "nothing written");
}
