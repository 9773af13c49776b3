//! Reason statements and adverse-action notices through the real CLI: the built-in model's
//! English and Chinese statements, a lender's reasons file recorded at train time or later
//! (with its faults named by line), `score --reason-text` in CSV, JSON Lines and Parquet, and
//! `score --adverse-action` notices for exactly the declined and referred applications.

mod common;

use std::path::Path;

use common::{microscore, scratch, text};

const APPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/applications.csv");
const GERMAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/german_credit/german_credit.csv"
);

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn the_built_in_model_says_its_reasons_in_english_and_chinese() {
    let out = microscore(&["reasons"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert!(
        listing.starts_with("code,language,statement\n"),
        "{listing}"
    );
    assert!(listing.contains("WORST_DPD_12M,en,Repayment record over the last 12 months"));
    assert!(listing.contains("WORST_DPD_12M,zh,近12个月的还款记录"));
    assert_eq!(listing.lines().count(), 1 + 2 * 15);

    let dir = scratch("reasons-text");
    for (ext, language) in [("csv", "zh"), ("jsonl", "en"), ("parquet", "zh")] {
        let out_path = dir.join(format!("scores.{ext}"));
        let out = microscore(&[
            "score",
            "--data",
            APPS,
            "--out",
            s(&out_path),
            "--reason-text",
            "--language",
            language,
            "--reasons",
            "3",
            "--quiet",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        if ext == "csv" {
            let rows = csv_rows(&out_path);
            assert_eq!(rows.len(), 1000);
            let statements: std::collections::HashMap<String, String> = listing
                .lines()
                .skip(1)
                .filter(|l| l.split(',').nth(1) == Some(language))
                .map(|l| {
                    let mut p = l.splitn(3, ',');
                    (p.next().unwrap().to_string(), {
                        p.next();
                        p.next().unwrap().to_string()
                    })
                })
                .collect();
            for row in &rows {
                for j in 1..=3 {
                    let code = &row[&format!("reason_{j}")];
                    let said = &row[&format!("reason_{j}_text")];
                    if code.is_empty() {
                        assert!(said.is_empty());
                    } else {
                        assert_eq!(said, &statements[code], "{code}");
                    }
                }
            }
        } else if ext == "jsonl" {
            let body = std::fs::read_to_string(&out_path).unwrap();
            let first: serde_json::Value =
                serde_json::from_str(body.lines().next().unwrap()).unwrap();
            assert_eq!(
                first["reasons"].as_array().unwrap().len(),
                first["reason_texts"].as_array().unwrap().len()
            );
        } else {
            let f = std::fs::File::open(&out_path).unwrap();
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
            let schema = reader.schema().clone();
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            assert!(
                names.ends_with(&["reason_1_text", "reason_2_text", "reason_3_text", "flags"]),
                "{names:?}"
            );
        }
    }
    // A language the model lacks is an error naming what it has.
    let out = microscore(&[
        "score",
        "--data",
        APPS,
        "--out",
        s(&dir.join("fr.csv")),
        "--reason-text",
        "--language",
        "fr",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("no reason statements in 'fr'") && err.contains("en, zh"),
        "{err}"
    );
    assert!(!dir.join("fr.csv").exists());
}

#[test]
fn notices_go_to_exactly_the_declined_and_referred_applications() {
    let dir = scratch("reasons-notices");
    let scores = dir.join("scores.csv");
    let notices = dir.join("notices.jsonl");
    let summary = dir.join("summary.json");
    let out = microscore(&[
        "score",
        "--data",
        APPS,
        "--out",
        s(&scores),
        "--adverse-action",
        s(&notices),
        "--notice-date",
        "2026-12-01",
        "--language",
        "zh",
        "--reasons",
        "1",
        "--summary-json",
        s(&summary),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = csv_rows(&scores);
    let adverse: Vec<&std::collections::HashMap<String, String>> =
        rows.iter().filter(|r| r["decision"] != "approve").collect();
    let body = std::fs::read_to_string(&notices).unwrap();
    let records: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), adverse.len());
    assert!(!records.is_empty());
    for (n, row) in records.iter().zip(&adverse) {
        assert_eq!(n["id"].as_str().unwrap(), row["application_id"]);
        assert_eq!(n["decision"].as_str().unwrap(), row["decision"]);
        assert_eq!(n["score"].as_f64().unwrap().to_string(), row["score"]);
        assert_eq!(n["date"], "2026-12-01");
        assert_eq!(n["language"], "zh");
        let reasons = n["reasons"].as_array().unwrap();
        // Four principal reasons although the scores file asked for one, and the first is
        // the scores file's reason.
        assert!(reasons.len() <= 4 && !reasons.is_empty());
        assert_eq!(reasons[0]["code"].as_str().unwrap(), row["reason_1"]);
        let lost: Vec<f64> = reasons
            .iter()
            .map(|r| r["points_lost"].as_f64().unwrap())
            .collect();
        assert!(lost.windows(2).all(|w| w[0] >= w[1]) && lost.iter().all(|&l| l > 0.0));
        let range = &n["score_range"];
        let score = n["score"].as_f64().unwrap();
        assert!(range["min"].as_f64().unwrap() <= score && score <= range["max"].as_f64().unwrap());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(
        summary["notices_written"].as_u64().unwrap() as usize,
        records.len()
    );

    // A bad date, or a date without notices, is refused and nothing is written.
    let out = microscore(&[
        "score",
        "--data",
        APPS,
        "--out",
        s(&dir.join("x.csv")),
        "--adverse-action",
        s(&dir.join("x.jsonl")),
        "--notice-date",
        "2026-02-30",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a date"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("x.csv").exists() && !dir.join("x.jsonl").exists());
    let out = microscore(&[
        "score",
        "--data",
        APPS,
        "--out",
        s(&dir.join("x.csv")),
        "--notice-date",
        "2026-12-01",
    ]);
    assert!(!out.status.success());
    // The notices file cannot be the output.
    let out = microscore(&[
        "score",
        "--data",
        APPS,
        "--out",
        s(&dir.join("same.csv")),
        "--adverse-action",
        s(&dir.join("same.csv")),
    ]);
    assert!(!out.status.success());
}

#[test]
fn a_lenders_reasons_file_is_recorded_at_training_and_its_faults_named_by_line() {
    let dir = scratch("reasons-file");
    let train = |reasons: &Path, out: &Path| {
        microscore(&[
            "train",
            "--data",
            GERMAN,
            "--target",
            "creditability",
            "--bad-values",
            "bad",
            "--protected",
            "personal_status_and_sex",
            "--reasons-file",
            s(reasons),
            "--out",
            s(out),
            "--force",
            "--quiet",
        ])
    };
    // First the generated English statements, then a French set for every feature.
    let plain = dir.join("plain.json");
    let none = dir.join("none.csv");
    std::fs::write(
        &none,
        "code,language,statement\nDURATION_IN_MONTH,en,Loan duration\n",
    )
    .unwrap();
    let out = train(&none, &plain);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&microscore(&["reasons", "--model", s(&plain)]).stdout);
    assert!(
        listing.contains("DURATION_IN_MONTH,en,Loan duration"),
        "{listing}"
    );
    assert!(
        listing.contains("CREDIT_AMOUNT,en,Credit amount in a range that scores lower"),
        "{listing}"
    );
    let codes: Vec<String> = listing
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let mut french = String::from("code,language,statement\n");
    for c in &codes {
        french.push_str(&format!("{c},fr,\"Facteur {}\"\n", c.to_lowercase()));
    }
    let fr = dir.join("fr.csv");
    std::fs::write(&fr, &french).unwrap();
    let model = dir.join("fr.json");
    let out = microscore(&[
        "reasons",
        "--model",
        s(&plain),
        "--reasons-file",
        s(&fr),
        "--out",
        s(&model),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = microscore(&[
        "explain",
        "--model",
        s(&model),
        "--data",
        GERMAN,
        "--row",
        "2",
        "--language",
        "fr",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"Facteur "),
        "{}",
        text(&out.stdout)
    );

    // Faults, each named with the file and line.
    let cases: [(&str, &str); 6] = [
        (
            "code,language,statement\nPERSONAL_STATUS_AND_SEX,en,Status\n",
            "line 2: 'PERSONAL_STATUS_AND_SEX' is a protected attribute",
        ),
        (
            "code,language,statement\nCREDIT_AMOUNTS,en,Amount\n",
            "did you mean 'CREDIT_AMOUNT'",
        ),
        (
            "code,language,statement\nCREDIT_AMOUNT,en,A\nCREDIT_AMOUNT,en,B\n",
            "line 3: a second statement for CREDIT_AMOUNT in 'en' (the first is on line 2)",
        ),
        (
            "code,language,statement\nCREDIT_AMOUNT,de,Betrag\n",
            "language 'de' has no statement for",
        ),
        (
            "code,language,statement\nCREDIT_AMOUNT,english,Amount\n",
            "line 2: language 'english' is not a language tag",
        ),
        (
            "code,text\nCREDIT_AMOUNT,Amount\n",
            "code, language and statement",
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let file = dir.join(format!("bad{i}.csv"));
        std::fs::write(&file, body).unwrap();
        let out_model = dir.join(format!("bad{i}.json"));
        let out = train(&file, &out_model);
        assert!(!out.status.success(), "case {i}");
        let err = text(&out.stderr);
        assert!(
            err.contains(want) && err.contains(s(&file)),
            "case {i}: {err}"
        );
        assert!(!out_model.exists(), "case {i}");
    }
}
