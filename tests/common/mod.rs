//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod fuzz_checks;
pub mod strategies;

use std::path::{Path, PathBuf};

use microscore::input::table::{read_table, Column, ColumnData, ReadOptions, Table};

/// Path of a dataset under `../shared/data` (beside the project root).
pub fn shared_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// Whether `../shared/data` is there. Without it a test that needs it prints one line saying
/// it is skipped (never a silent pass), and under `CI=true` it fails instead: CI has the
/// shared data, so its absence there is an error.
pub fn shared_present(test: &str) -> bool {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: ../shared/data is not present, and CI=true requires it");
    }
    eprintln!("skipped: {test}: ../shared not present");
    false
}

/// A fresh scratch folder for one test, removed when the test ends. A failing test keeps its
/// folder (the path is printed) so that its files can be read.
pub fn scratch(name: &str) -> Scratch {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("microscore-test-{}-{n}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A scratch folder that removes itself on drop unless the test is failing.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the failing test's files are kept in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// German credit (Statlog) with `creditability` recoded as a 0/1 `bad` column, from the copy in
/// `tests/data/german_credit/` (CC BY 4.0; the same bytes as the one in `../shared/data`), so
/// that the tests on it run on a bare clone.
pub fn german_credit() -> Table {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/german_credit/german_credit.csv");
    let mut table = read_table(&path, &ReadOptions::default()).expect("German credit is readable");
    let label = table.take_column("creditability").expect("label column");
    let bad: Vec<f64> = match label.data {
        ColumnData::Categorical { codes, levels } => codes
            .iter()
            .map(|&c| f64::from(u8::from(levels[c as usize] == "bad")))
            .collect(),
        ColumnData::Numeric(_) => panic!("creditability is text"),
    };
    let mut columns = table.columns().to_vec();
    columns.push(Column {
        name: "bad".into(),
        data: ColumnData::Numeric(bad),
    });
    Table::new(columns)
}

/// 0/1 labels of a numeric column.
pub fn labels(table: &Table, column: &str) -> Vec<bool> {
    match &table.column(column).expect("label column").data {
        ColumnData::Numeric(v) => v.iter().map(|&x| x == 1.0).collect(),
        ColumnData::Categorical { .. } => panic!("label is not numeric"),
    }
}

/// Deterministic stratified k-fold assignment: the fold of every row.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut keyed: Vec<(bool, u64, usize)> = labels
        .iter()
        .enumerate()
        .map(|(i, &b)| (b, next(), i))
        .collect();
    keyed.sort();
    let mut folds = vec![0; labels.len()];
    for (rank, &(_, _, i)) in keyed.iter().enumerate() {
        folds[i] = rank % k;
    }
    folds
}

/// `rows` synthetic applications with `seed`, written to CSV and read back the way the CLI
/// reads a training file (id and gender not read).
pub fn synthetic_table(rows: u64, seed: u64) -> Table {
    let dir = scratch(&format!("synthetic-{rows}-{seed}"));
    let path = dir.join("apps.csv");
    let file = std::fs::File::create(&path).unwrap();
    microscore::synth::write_applications(
        std::io::BufWriter::new(file),
        rows,
        seed,
        microscore::FileFormat::Csv,
        |_| {},
    )
    .unwrap();
    let options = ReadOptions {
        skip: vec!["application_id".into(), "gender".into()],
        ..ReadOptions::default()
    };
    let table = read_table(&path, &options).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    table
}

/// Run the real `microscore` binary.
pub fn microscore(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_microscore"))
        .args(args)
        .output()
        .expect("the microscore binary runs")
}

/// Lossy UTF-8 text of command output.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
