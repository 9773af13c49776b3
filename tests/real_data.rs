//! The main flow on every real labelled dataset in `../shared/data`, whatever its schema: train
//! on 70% of it with no policy file and no flag but the target (and `--bad-values` where the
//! label is not 1 = default), then run `score`, `explain`, `evaluate`, `monitor`, `inspect` and
//! `strategy` on the other 30% through the real CLI. Every row is scored or rejected with a
//! reason, and the policy that `strategy` writes scores the file as it said it would.
//!
//! The datasets and their labels are listed in `tests/data/real_datasets.json` (from each
//! folder's PROVENANCE.md). `cargo test --test real_data -- --nocapture` prints, per dataset,
//! the rows, the features kept and the test AUC.

mod common;

use std::path::{Path, PathBuf};

use common::{microscore, text};

#[derive(serde::Deserialize)]
struct Dataset {
    name: String,
    file: String,
    target: String,
    bad_values: Vec<String>,
    drop: Vec<String>,
}

fn datasets() -> Vec<Dataset> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real_datasets.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The rows of a CSV file (optionally .gz): header and records.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let file = std::fs::File::open(path).unwrap();
    let input: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = csv::Reader::from_reader(input);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn write_csv(path: &Path, header: &[String], rows: &[&Vec<String>], keep: &[usize]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(keep.iter().map(|&j| &header[j])).unwrap();
    for r in rows {
        w.write_record(keep.iter().map(|&j| &r[j])).unwrap();
    }
    w.flush().unwrap();
}

/// A fixed 70/30 split: a seeded shuffle of the rows (the same on every machine).
fn split(n: usize) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        idx.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let cut = n * 7 / 10;
    let (mut train, mut test) = (idx[..cut].to_vec(), idx[cut..].to_vec());
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

fn run_ok(args: &[&str]) -> String {
    let out = microscore(args);
    assert!(
        out.status.success(),
        "microscore {}: {}{}",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_real_dataset_trains_and_scores_end_to_end_through_the_cli() {
    if !common::shared_present("every_real_dataset_trains_and_scores_end_to_end_through_the_cli") {
        return;
    }
    let mut table = Vec::new();
    for d in datasets() {
        let source: PathBuf = common::shared_data(&d.file);
        let dir = common::scratch(&format!("real-{}", d.name));
        let (header, rows) = read_csv(&source);
        let target = header.iter().position(|h| h == &d.target).unwrap();
        let labelled: Vec<usize> = (0..header.len())
            .filter(|&j| !d.drop.contains(&header[j]))
            .collect();
        let unlabelled: Vec<usize> = labelled.iter().copied().filter(|&j| j != target).collect();
        let (train_rows, test_rows) = split(rows.len());
        let pick = |ix: &[usize]| ix.iter().map(|&i| &rows[i]).collect::<Vec<_>>();
        let (train, test, apps) = (
            dir.join("train.csv"),
            dir.join("test.csv"),
            dir.join("apps.csv"),
        );
        write_csv(&train, &header, &pick(&train_rows), &labelled);
        write_csv(&test, &header, &pick(&test_rows), &labelled);
        write_csv(&apps, &header, &pick(&test_rows), &unlabelled);
        let model = dir.join("model.json");

        // Train: the target, and the values meaning "default" where they are not 1.
        let bad_values = d.bad_values.join(",");
        let mut args = vec![
            "train",
            "--data",
            s(&train),
            "--target",
            &d.target,
            "--out",
            s(&model),
        ];
        if !d.bad_values.is_empty() {
            args.extend(["--bad-values", &bad_values]);
        }
        let log = run_ok(&args);
        assert!(log.contains("loan sizing: off"), "{}: {log}", d.name);

        // Score the applications with the model alone.
        let (scores, rejects, summary) = (
            dir.join("scores.csv"),
            dir.join("rejects.csv"),
            dir.join("summary.json"),
        );
        let out = microscore(&[
            "score",
            "--model",
            s(&model),
            "--data",
            s(&apps),
            "--out",
            s(&scores),
            "--rejects",
            s(&rejects),
            "--summary-json",
            s(&summary),
            "--quiet",
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{}: {}",
            d.name,
            text(&out.stderr)
        );
        let sum = json(&summary);
        let (read, scored, rejected) = (
            sum["rows_read"].as_u64().unwrap(),
            sum["rows_scored"].as_u64().unwrap(),
            sum["rows_rejected"].as_u64().unwrap(),
        );
        assert_eq!(read, test_rows.len() as u64, "{}", d.name);
        assert_eq!(read, scored + rejected, "{}", d.name);
        let (_, scored_rows) = read_csv(&scores);
        assert_eq!(scored_rows.len() as u64, scored, "{}", d.name);
        let (_, rejected_rows) = read_csv(&rejects);
        assert_eq!(rejected_rows.len() as u64, rejected, "{}", d.name);
        assert!(
            rejected_rows.iter().all(|r| !r[3].is_empty()),
            "{}: every reject has a reason",
            d.name
        );
        let decisions: u64 = sum["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .sum();
        assert_eq!(decisions, scored, "{}", d.name);

        // Explain one application, inspect the model.
        let explained = run_ok(&[
            "explain",
            "--model",
            s(&model),
            "--data",
            s(&apps),
            "--row",
            "1",
        ]);
        assert!(explained.contains("decision policy"), "{}", d.name);
        let inspected = run_ok(&["inspect", s(&model)]);
        assert!(inspected.contains("cut-offs"), "{}", d.name);

        // Validate on the labelled test part; monitor it against the training part.
        let ev = dir.join("evaluate.json");
        run_ok(&[
            "evaluate",
            "--model",
            s(&model),
            "--data",
            s(&test),
            "--json",
            s(&ev),
            "--out",
            s(&dir.join("evaluate.html")),
        ]);
        let ev = json(&ev);
        let auc = ev["discrimination"]["auc"].as_f64().unwrap();
        assert!(auc > 0.5 && auc <= 1.0, "{}: AUC {auc}", d.name);
        assert_eq!(
            ev["data"]["rows_scored"].as_u64().unwrap()
                + ev["data"]["rows_rejected"].as_u64().unwrap(),
            test_rows.len() as u64,
            "{}",
            d.name
        );
        let mon = dir.join("monitor.json");
        run_ok(&[
            "monitor",
            "--model",
            s(&model),
            "--baseline",
            s(&train),
            "--current",
            s(&test),
            "--json",
            s(&mon),
        ]);
        assert!(json(&mon)["score"]["psi"].as_f64().is_some(), "{}", d.name);

        // A strategy for 70% approvals; the policy it writes scores the file as it said.
        let policy = dir.join("policy.json");
        let table_csv = dir.join("strategy.csv");
        run_ok(&[
            "strategy",
            "--model",
            s(&model),
            "--data",
            s(&test),
            "--approve-rate",
            "0.7",
            "--out",
            s(&policy),
            "--table",
            s(&table_csv),
        ]);
        let rescored = dir.join("rescored.csv");
        let resummary = dir.join("resummary.json");
        let out = microscore(&[
            "score",
            "--model",
            s(&model),
            "--policy",
            s(&policy),
            "--data",
            s(&test),
            "--out",
            s(&rescored),
            "--summary-json",
            s(&resummary),
            "--quiet",
        ]);
        assert!(matches!(out.status.code(), Some(0 | 3)), "{}", d.name);
        let re = json(&resummary);
        let approved = re["decisions"][0].as_u64().unwrap() as f64;
        let scored = re["rows_scored"].as_u64().unwrap() as f64;
        assert!(
            approved / scored >= 0.7 - 1e-9,
            "{}: {approved} of {scored} approved",
            d.name
        );

        let m = json(&model);
        table.push(format!(
            "| {} | {} | {} | {} of {} | {:.4} | {:.4} |",
            d.name,
            rows.len(),
            train_rows.len(),
            m["features"].as_array().unwrap().len(),
            m["training"]["candidates"].as_array().unwrap().len(),
            auc,
            ev["discrimination"]["ks"].as_f64().unwrap()
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
    println!("| dataset | rows | train rows | features kept | test AUC | test KS |");
    println!("|---|---:|---:|---:|---:|---:|");
    for line in table {
        println!("{line}");
    }
}
