//! Baseline for the batch benchmark: the time to merely parse a CSV file with the `csv` crate
//! (reused `ByteRecord`, one thread), which `microscore score` should add little to.
//! `cargo run --release --example csv_parse_only -- FILE.csv`
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: csv_parse_only FILE.csv")?;
    let start = Instant::now();
    let mut reader = csv::Reader::from_path(&path)?;
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut fields) = (0u64, 0u64);
    while reader.read_byte_record(&mut record)? {
        rows += 1;
        fields += record.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parsed {rows} rows ({fields} fields) in {secs:.2} s: {:.0} rows/s",
        rows as f64 / secs
    );
    Ok(())
}
