//! The synthetic data generator holds to its documented schema and process.

use std::collections::HashMap;

use microscore::metrics::auc;
use microscore::synth::{
    application, csv_header, observable_log_odds, write_applications, ColumnKind, COLUMNS,
};
use microscore::FileFormat;

fn generate(rows: u64, seed: u64, format: FileFormat) -> Vec<u8> {
    let mut out = Vec::new();
    write_applications(&mut out, rows, seed, format, |_| {}).expect("writing to memory");
    out
}

fn records(bytes: &[u8]) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().expect("header").clone();
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("valid csv");
    (header, rows)
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    for format in [FileFormat::Csv, FileFormat::Jsonl] {
        let a = one.install(|| generate(20_000, 11, format));
        let b = three.install(|| generate(20_000, 11, format));
        assert_eq!(a, b, "{format} output depends on the thread count");
        assert_ne!(a, generate(20_000, 12, format), "the seed has no effect");
    }
}

#[test]
fn a_prefix_of_a_longer_file_is_the_shorter_file() {
    let short = generate(1_000, 5, FileFormat::Csv);
    let long = generate(30_000, 5, FileFormat::Csv);
    assert!(long.starts_with(&short));
}

#[test]
fn writes_exactly_the_requested_rows() {
    for rows in [0u64, 1, 8_191, 8_192, 8_193, 25_000] {
        let (header, records) = records(&generate(rows, 1, FileFormat::Csv));
        assert_eq!(header.iter().collect::<Vec<_>>().join(","), csv_header());
        assert_eq!(records.len() as u64, rows);
        let jsonl = generate(rows, 1, FileFormat::Jsonl);
        assert_eq!(jsonl.iter().filter(|&&b| b == b'\n').count() as u64, rows);
    }
}

#[test]
fn every_value_is_within_its_documented_range() {
    let rows = 100_000;
    let (header, records) = records(&generate(rows, 2026, FileFormat::Csv));
    assert_eq!(header.len(), COLUMNS.len());
    let mut missing = vec![0u64; COLUMNS.len()];
    let mut ids = std::collections::HashSet::new();
    for (line, record) in records.iter().enumerate() {
        for (c, column) in COLUMNS.iter().enumerate() {
            let value = &record[c];
            let at = format!("row {} column {} value {value:?}", line + 1, column.name);
            if value.is_empty() {
                assert!(
                    column.missing_when.is_some(),
                    "{at}: missing in a complete column"
                );
                missing[c] += 1;
                continue;
            }
            match column.kind {
                ColumnKind::Id => assert!(ids.insert(value.to_string()), "{at}: duplicate id"),
                ColumnKind::Label => assert!(value == "0" || value == "1", "{at}"),
                ColumnKind::Protected(levels) | ColumnKind::Categorical(levels) => {
                    assert!(levels.contains(&value), "{at}: unknown level")
                }
                ColumnKind::Integer { min, max } => {
                    let v: i64 = value
                        .parse()
                        .unwrap_or_else(|_| panic!("{at}: not an integer"));
                    assert!((min..=max).contains(&v), "{at}: outside [{min}, {max}]");
                }
                ColumnKind::Real { min, max, decimals } => {
                    let v: f64 = value
                        .parse()
                        .unwrap_or_else(|_| panic!("{at}: not a number"));
                    assert!(v.is_finite() && v >= min && v <= max, "{at}: outside range");
                    let places = value.split('.').nth(1).map_or(0, str::len);
                    assert!(
                        places <= decimals as usize,
                        "{at}: more than {decimals} decimals"
                    );
                }
            }
        }
    }
    // Missing where documented, at the documented rates.
    let rate = |name: &str| {
        let c = COLUMNS.iter().position(|c| c.name == name).unwrap();
        missing[c] as f64 / rows as f64
    };
    assert!(
        (0.05..0.11).contains(&rate("monthly_revenue")),
        "{}",
        rate("monthly_revenue")
    );
    assert_eq!(rate("monthly_revenue"), rate("debt_to_income"));
    assert_eq!(rate("monthly_revenue"), rate("revenue_volatility"));
    assert!(
        (0.30..0.45).contains(&rate("worst_dpd_12m")),
        "{}",
        rate("worst_dpd_12m")
    );
    assert!(rate("online_store_rating") > 0.5);

    // Internal consistency: thin file <=> no DPD, no history, no loans; startups are common.
    let col = |name: &str| COLUMNS.iter().position(|c| c.name == name).unwrap();
    let mut startups = 0;
    for r in &records {
        let thin = &r[col("has_credit_history")] == "0";
        assert_eq!(thin, r[col("worst_dpd_12m")].is_empty());
        if thin {
            assert_eq!(&r[col("credit_history_months")], "0");
            assert_eq!(&r[col("existing_loans")], "0");
        }
        if r[col("business_type")] == *"ecommerce_shop" {
            assert!(
                !r[col("online_store_rating")].is_empty(),
                "e-commerce without a store"
            );
        }
        let months: u32 = r[col("business_age_months")].parse().unwrap();
        startups += u32::from(months < 24);
    }
    let startup_share = f64::from(startups) / rows as f64;
    assert!(
        (0.35..0.55).contains(&startup_share),
        "startups {startup_share}"
    );
}

#[test]
fn bad_rate_is_within_the_documented_band() {
    for seed in [1, 2, 3] {
        let n = 100_000;
        let bads: u64 = (0..n)
            .map(|i| u64::from(application(seed, i).default_12m))
            .sum();
        let rate = bads as f64 / n as f64;
        assert!(
            (0.05..=0.08).contains(&rate),
            "seed {seed}: bad rate {rate}"
        );
    }
}

/// The columns carry signal, but not so much that the problem is trivial: the best score any
/// model of the written columns could learn (the observable part of the log-odds) separates
/// defaults with an AUC in a realistic band.
#[test]
fn observable_signal_gives_a_realistic_auc() {
    let apps: Vec<_> = (0..100_000).map(|i| application(9, i)).collect();
    let risk: Vec<f64> = apps.iter().map(|a| observable_log_odds(&a.risk)).collect();
    let bad: Vec<bool> = apps.iter().map(|a| a.default_12m).collect();
    let oracle = auc(&risk, &bad, None).unwrap();
    assert!((0.77..0.86).contains(&oracle), "oracle AUC {oracle}");
    // Knowing the latent traits as well would do better: they matter.
    let full: Vec<f64> = apps
        .iter()
        .map(|a| microscore::synth::log_odds(&a.risk))
        .collect();
    assert!(auc(&full, &bad, None).unwrap() > oracle + 0.03);
}

/// Gender shapes the business type, never default: within each business type, bad rates of
/// women and men agree up to sampling noise.
#[test]
fn gender_has_no_direct_effect_on_default() {
    let mut cells: HashMap<(&str, &str), (u64, u64)> = HashMap::new();
    for i in 0..300_000 {
        let app = application(77, i);
        let cell = cells
            .entry((app.risk.business_type.as_str(), app.gender.as_str()))
            .or_default();
        cell.0 += 1;
        cell.1 += u64::from(app.default_12m);
    }
    for business in microscore::synth::BusinessType::ALL {
        let (nf, bf) = cells[&(business.as_str(), "female")];
        let (nm, bm) = cells[&(business.as_str(), "male")];
        let (pf, pm) = (bf as f64 / nf as f64, bm as f64 / nm as f64);
        let pooled = (bf + bm) as f64 / (nf + nm) as f64;
        let se = (pooled * (1.0 - pooled) * (1.0 / nf as f64 + 1.0 / nm as f64)).sqrt();
        let z = (pf - pm) / se;
        assert!(
            z.abs() < 4.0,
            "{}: female {pf:.4} vs male {pm:.4} (z = {z:.2})",
            business.as_str()
        );
    }
}
