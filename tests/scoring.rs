//! The scoring core: exact sums, PD, reason codes, batch = one-by-one, unusual inputs.

use microscore::model::builtin::default_model;
use microscore::scoring::{flags, BatchOutput, Scorer, Value};
use microscore::synth::application;

fn scorer() -> Scorer {
    Scorer::new(default_model().expect("the built-in model loads"))
}

/// Row-major inputs for synthetic application `i`, in the scorer's input order.
fn matrix_row(scorer: &Scorer, seed: u64, i: u64) -> Vec<f64> {
    let mut csv = Vec::new();
    application(seed, i).write_csv(&mut csv);
    let text = String::from_utf8(csv).unwrap();
    let cells: Vec<&str> = text.trim_end().split(',').collect();
    let header = microscore::synth::csv_header();
    let names: Vec<&str> = header.split(',').collect();
    scorer
        .input_columns()
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let cell = names
                .iter()
                .position(|n| *n == c.name)
                .map_or("", |p| cells[p]);
            if cell.is_empty() {
                f64::NAN
            } else if c.categorical {
                scorer.category_index(j, cell).map_or(-1.0, f64::from)
            } else {
                cell.parse().unwrap()
            }
        })
        .collect()
}

/// The same inputs as values for the one-application API: categories by name.
fn values<'m>(scorer: &'m Scorer, row: &[f64]) -> Vec<Value<'m>> {
    row.iter()
        .enumerate()
        .map(
            |(j, &x)| match scorer.model().features().get(j).map(|f| &f.binning.rule) {
                Some(microscore::model::BinRule::Categorical { categories, .. }) => {
                    if x.is_nan() {
                        Value::Missing
                    } else if x < 0.0 {
                        Value::Text("(unseen)")
                    } else {
                        categories
                            .get(x as usize)
                            .map_or(Value::Text("(unseen)"), |c| Value::Text(&c.category))
                    }
                }
                _ => Value::Number(x),
            },
        )
        .collect()
}

#[test]
fn score_is_exactly_the_sum_of_points_and_pd_follows_the_scaling() {
    let s = scorer();
    let model = s.model();
    for i in 0..500 {
        let row = matrix_row(&s, 11, i);
        let r = s.score_values(&values(&s, &row), 4).unwrap();
        let sum = r.features.iter().fold(0.0, |acc, f| acc + f.points);
        assert_eq!(r.score.to_bits(), sum.to_bits());
        assert_eq!(r.pd.to_bits(), model.scaling().pd(r.score).to_bits());
        assert!(r.pd > 0.0 && r.pd < 1.0);
        assert!(r.score >= model.min_score() && r.score <= model.max_score());
        assert_eq!(
            r.grade,
            microscore::model::scaling::grade_of(model.grades(), r.score)
        );
    }
    // PD strictly decreases as the score rises, over the whole reachable range.
    let (lo, hi) = (model.min_score(), model.max_score());
    let mut last = f64::INFINITY;
    for step in 0..=1000 {
        let score = lo + (hi - lo) * f64::from(step) / 1000.0;
        let pd = model.scaling().pd(score);
        assert!(pd < last, "PD not decreasing at {score}");
        assert!((model.scaling().score(pd) - score).abs() < 1e-6);
        last = pd;
    }
}

#[test]
fn reasons_are_exactly_the_largest_shortfalls() {
    let s = scorer();
    for i in 0..500 {
        let row = matrix_row(&s, 12, i);
        for k in [0, 1, 4, 32] {
            let r = s.score_values(&values(&s, &row), k).unwrap();
            let mut expected: Vec<(f64, usize)> = r
                .features
                .iter()
                .enumerate()
                .map(|(j, f)| (f.max_points - f.points, j))
                .filter(|(lost, _)| *lost > 0.0)
                .collect();
            expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            expected.truncate(k);
            let got: Vec<(f64, usize)> = r
                .reasons
                .iter()
                .map(|x| (x.points_lost, x.feature))
                .collect();
            assert_eq!(got, expected, "row {i}, k {k}");
            for reason in &r.reasons {
                assert!(
                    reason.points_lost > 0.0,
                    "a feature at its maximum appeared"
                );
                assert_eq!(
                    reason.code,
                    s.model().features()[reason.feature].reason_code
                );
            }
        }
    }
}

#[test]
fn batch_equals_one_by_one_whatever_the_threads() {
    let s = scorer();
    let n = 40_000usize;
    let k = 4;
    let m = s.input_columns().len();
    let x: Vec<f64> = (0..n as u64).flat_map(|i| matrix_row(&s, 13, i)).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut score = vec![0.0; n];
        let mut pd = vec![0.0; n];
        let mut grade = vec![0u8; n];
        let mut decision = vec![0u8; n];
        let mut limit = vec![0.0; n];
        let mut fl = vec![0u32; n];
        let mut reasons = vec![0i32; n * k];
        pool.install(|| {
            s.score_matrix(
                &x,
                k,
                BatchOutput {
                    score: Some(&mut score),
                    pd: Some(&mut pd),
                    grade: Some(&mut grade),
                    decision: Some(&mut decision),
                    limit: Some(&mut limit),
                    flags: Some(&mut fl),
                    reasons: Some(&mut reasons),
                    ..BatchOutput::default()
                },
            )
        })
        .unwrap();
        (score, pd, grade, decision, limit, fl, reasons)
    };
    let one = run(1);
    assert_eq!(one, run(3), "results depend on the thread count");
    let (score, pd, grade, decision, limit, fl, reasons) = one;
    for i in (0..n).step_by(97) {
        let r = s
            .score_values(&values(&s, &x[i * m..(i + 1) * m]), k)
            .unwrap();
        assert_eq!(
            score[i].to_bits(),
            r.score.to_bits(),
            "row {i}: {:?} {:?} {:?}",
            &x[i * m..(i + 1) * m],
            r.features.iter().map(|f| f.bin).collect::<Vec<_>>(),
            r.flags
        );
        assert_eq!(pd[i].to_bits(), r.pd.to_bits());
        assert_eq!(s.model().grades()[grade[i] as usize].grade, r.grade);
        assert_eq!(decision[i], r.outcome.decision as u8);
        assert_eq!(limit[i].to_bits(), r.outcome.limit.to_bits());
        assert_eq!(fl[i], r.flags);
        let expected: Vec<i32> = (0..k)
            .map(|j| r.reasons.get(j).map_or(-1, |x| x.feature as i32))
            .collect();
        assert_eq!(&reasons[i * k..(i + 1) * k], expected.as_slice());
    }
}

#[test]
fn unusual_inputs_are_scored_by_the_recorded_routes_and_flagged() {
    // monthly_revenue is a feature and the policy's revenue column: with a policy that refers
    // invalid amounts, its unusual values are scored by the feature's routes (and referred).
    let base = scorer();
    let mut spec = microscore::model::policy::PolicySpec::of(base.model().policy());
    spec.invalid_amount = Some(microscore::model::policy::InvalidAmount::Refer);
    let s = Scorer::new(base.model().with_policy_spec(&spec).unwrap());
    let model = s.model();
    let fields = |overrides: &[(&'static str, Value<'static>)]| {
        let mut base: Vec<(&str, Value<'static>)> = vec![
            ("province", Value::Text("Henan")),
            ("business_type", Value::Text("village_retail")),
            ("education", Value::Text("college")),
            ("monthly_revenue", Value::Number(9000.0)),
            ("applicant_age", Value::Number(40.0)),
            ("worst_dpd_12m", Value::Number(0.0)),
            ("requested_amount", Value::Number(20000.0)),
        ];
        for (name, v) in overrides {
            base.retain(|(n, _)| n != name);
            base.push((name, *v));
        }
        base
    };
    let feature = |name: &str| {
        model
            .features()
            .iter()
            .position(|f| f.name == name)
            .unwrap()
    };
    let bin_of = |name: &str, over: &[(&'static str, Value<'static>)]| {
        let r = s.score_fields(&fields(over), 4).unwrap();
        let f = r.features[feature(name)];
        (f.bin, f.flags, r.flags)
    };
    let revenue = &model.features()[feature("monthly_revenue")].binning;
    // Missing and NaN: the missing route.
    for v in [
        Value::Missing,
        Value::Number(f64::NAN),
        Value::Text("NA"),
        Value::Text(""),
    ] {
        let (bin, f, _) = bin_of("monthly_revenue", &[("monthly_revenue", v)]);
        assert_eq!(bin, revenue.missing.bin);
        assert_eq!(f, flags::MISSING);
    }
    // Infinity: scored as missing, flagged as not finite.
    for x in [f64::INFINITY, f64::NEG_INFINITY] {
        let (bin, f, all) = bin_of("monthly_revenue", &[("monthly_revenue", Value::Number(x))]);
        assert_eq!(bin, revenue.missing.bin);
        assert_eq!(f, flags::NOT_FINITE);
        assert!(
            all & flags::INVALID_AMOUNT != 0,
            "an infinite revenue is no amount"
        );
    }
    // Text that is not a number in a numeric feature.
    let (bin, f, all) = bin_of(
        "monthly_revenue",
        &[("monthly_revenue", Value::Text("lots"))],
    );
    assert_eq!((bin, f), (revenue.missing.bin, flags::NOT_A_NUMBER));
    assert!(all & flags::INVALID_AMOUNT != 0);
    // With the built-in policy (reject), such an application is an error naming the column.
    let err = base
        .score_fields(&fields(&[("monthly_revenue", Value::Text("lots"))]), 4)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("monthly_revenue") && err.contains("\"lots\""),
        "{err}"
    );
    // A number as text is a number.
    let (bin, f, _) = bin_of(
        "monthly_revenue",
        &[("monthly_revenue", Value::Text(" 9000 "))],
    );
    assert_eq!((bin, f), (revenue.numeric_bin(9000.0).unwrap(), 0));
    // Outside the training range: the end bins, flagged.
    let (bin, f, _) = bin_of(
        "monthly_revenue",
        &[("monthly_revenue", Value::Number(1e12))],
    );
    assert_eq!((bin, f), (revenue.n_regular() - 1, flags::OUT_OF_RANGE));
    let (bin, f, _) = bin_of(
        "monthly_revenue",
        &[("monthly_revenue", Value::Number(-5.0))],
    );
    assert_eq!((bin, f), (0, flags::OUT_OF_RANGE));
    // Unseen category: the unseen route (the riskiest bin), flagged.
    let province = &model.features()[feature("province")].binning;
    let unseen = match &province.rule {
        microscore::model::BinRule::Categorical { unseen_bin, .. } => *unseen_bin,
        _ => unreachable!(),
    };
    let (bin, f, all) = bin_of("province", &[("province", Value::Text("Atlantis"))]);
    assert_eq!((bin, f), (unseen, flags::UNSEEN_CATEGORY));
    assert_ne!(all & flags::UNSEEN_CATEGORY, 0);
    let riskiest = (0..province.n_regular())
        .min_by(|&a, &b| province.bins[a].woe.total_cmp(&province.bins[b].woe))
        .unwrap();
    assert_eq!(unseen, riskiest);
}

#[test]
fn buffers_of_the_wrong_size_are_errors_and_nothing_panics() {
    let s = scorer();
    let m = s.input_columns().len();
    let x = vec![f64::NAN; 3 * m];
    let mut small = vec![0.0; 2];
    let err = s
        .score_matrix(
            &x,
            0,
            BatchOutput {
                score: Some(&mut small),
                ..BatchOutput::default()
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("'score' holds 2 values, 3 needed"),
        "{err}"
    );
    assert!(s
        .score_matrix(&x[..m + 1], 0, BatchOutput::default())
        .is_err());
    let mut r = vec![0i32; 3];
    assert!(s
        .score_matrix(
            &x,
            4,
            BatchOutput {
                reasons: Some(&mut r),
                ..BatchOutput::default()
            }
        )
        .is_err());
    assert!(s.score_values(&[Value::Missing], 4).is_err());
    assert!(s.score_values(&vec![Value::Missing; m], 33).is_err());
    // An all-missing application scores, within the card's range.
    let r = s.score_values(&vec![Value::Missing; m], 4).unwrap();
    assert!(r.score.is_finite() && r.flags & flags::MISSING != 0);
}

#[test]
fn thin_file_applicants_are_referred_not_declined_for_lacking_history_alone() {
    let s = scorer();
    let policy = s.model().policy();
    let mut seen_referral = false;
    for i in 0..20_000 {
        let row = matrix_row(&s, 14, i);
        let r = s.score_values(&values(&s, &row), 4).unwrap();
        if r.outcome.thin_file_referral {
            seen_referral = true;
            assert!(r.score < policy.decline_below_score);
            assert_eq!(
                r.outcome.decision,
                microscore::model::policy::Decision::Refer
            );
            assert_ne!(r.flags & flags::THIN_FILE_REFERRAL, 0);
        }
    }
    assert!(
        seen_referral,
        "the synthetic book has thin-file applicants near the cut-off"
    );
}

#[test]
fn columnar_batches_equal_row_major_batches() {
    let s = scorer();
    let n = 5_000usize;
    let m = s.input_columns().len();
    let x: Vec<f64> = (0..n as u64).flat_map(|i| matrix_row(&s, 15, i)).collect();
    let columns: Vec<Vec<f64>> = (0..m)
        .map(|j| (0..n).map(|i| x[i * m + j]).collect())
        .collect();
    let mut by_rows = vec![0.0; n];
    let mut by_cols = vec![0.0; n];
    let mut reasons_rows = vec![0i32; n * 4];
    let mut reasons_cols = vec![0i32; n * 4];
    s.score_matrix(
        &x,
        4,
        BatchOutput {
            score: Some(&mut by_rows),
            reasons: Some(&mut reasons_rows),
            ..BatchOutput::default()
        },
    )
    .unwrap();
    // The last input absent: it must count as missing in both layouts.
    let mut col_refs: Vec<Option<&[f64]>> = columns.iter().map(|c| Some(c.as_slice())).collect();
    s.score_columns(
        &col_refs,
        n,
        4,
        BatchOutput {
            score: Some(&mut by_cols),
            reasons: Some(&mut reasons_cols),
            ..BatchOutput::default()
        },
    )
    .unwrap();
    assert!(by_rows
        .iter()
        .zip(&by_cols)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(reasons_rows, reasons_cols);
    col_refs[m - 1] = None;
    let mut x_missing = x.clone();
    for i in 0..n {
        x_missing[i * m + m - 1] = f64::NAN;
    }
    s.score_matrix(
        &x_missing,
        0,
        BatchOutput {
            score: Some(&mut by_rows),
            ..BatchOutput::default()
        },
    )
    .unwrap();
    s.score_columns(
        &col_refs,
        n,
        0,
        BatchOutput {
            score: Some(&mut by_cols),
            ..BatchOutput::default()
        },
    )
    .unwrap();
    assert!(by_rows
        .iter()
        .zip(&by_cols)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn named_columns_with_text_categories_equal_row_major_batches_and_explain_every_point() {
    use microscore::scoring::{ColumnRef, NamedColumn, ScoreError};
    let s = scorer();
    let n = 3_000usize;
    let m = s.input_columns().len();
    let nf = s.model().features().len();
    let x: Vec<f64> = (0..n as u64).flat_map(|i| matrix_row(&s, 21, i)).collect();
    // Categorical inputs as (codes, levels) with levels named as in a file, in a different order
    // from the model's, plus an unseen level; numeric inputs as columns.
    let mut numeric: Vec<Vec<f64>> = Vec::new();
    let mut categorical: Vec<(Vec<u32>, Vec<String>)> = Vec::new();
    for (j, c) in s.input_columns().iter().enumerate() {
        let col: Vec<f64> = (0..n).map(|i| x[i * m + j]).collect();
        if c.categorical {
            let cats = match &s.model().features()[j].binning.rule {
                microscore::model::BinRule::Categorical { categories, .. } => categories,
                _ => unreachable!(),
            };
            let mut levels: Vec<String> = cats.iter().rev().map(|c| c.category.clone()).collect();
            levels.push("(unseen)".into());
            let codes = col
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        microscore::input::table::MISSING_CODE
                    } else if v < 0.0 {
                        (levels.len() - 1) as u32
                    } else {
                        (cats.len() - 1 - v as usize) as u32
                    }
                })
                .collect();
            categorical.push((codes, levels));
            numeric.push(Vec::new());
        } else {
            numeric.push(col);
        }
    }
    let mut cat_iter = categorical.iter();
    let columns: Vec<NamedColumn<'_>> = s
        .input_columns()
        .iter()
        .zip(&numeric)
        .map(|(c, num)| NamedColumn {
            name: &c.name,
            data: if c.categorical {
                let (codes, levels) = cat_iter.next().unwrap();
                ColumnRef::Categorical { codes, levels }
            } else {
                ColumnRef::Numeric(num)
            },
        })
        .collect();
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    let (mut ra, mut rb) = (vec![0i32; n * 3], vec![0i32; n * 3]);
    let mut points = vec![0.0; n * nf];
    let mut bins = vec![0u16; n * nf];
    let mut rate = vec![0.0; n];
    s.score_matrix(
        &x,
        3,
        BatchOutput {
            score: Some(&mut a),
            reasons: Some(&mut ra),
            ..BatchOutput::default()
        },
    )
    .unwrap();
    s.score_named_columns(
        &columns,
        n,
        3,
        BatchOutput {
            score: Some(&mut b),
            reasons: Some(&mut rb),
            points: Some(&mut points),
            bins: Some(&mut bins),
            annual_rate: Some(&mut rate),
            ..BatchOutput::default()
        },
    )
    .unwrap();
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    assert_eq!(ra, rb);
    for i in 0..n {
        // Points are the bins' points, and the score is exactly their sum in model order.
        let row = &points[i * nf..(i + 1) * nf];
        let mut sum = 0.0;
        for (f, (&p, &bin)) in s
            .model()
            .features()
            .iter()
            .zip(row.iter().zip(&bins[i * nf..(i + 1) * nf]))
        {
            assert_eq!(p.to_bits(), f.points[bin as usize].to_bits());
            sum += p;
        }
        assert_eq!(sum.to_bits(), b[i].to_bits());
        let one = s
            .score_values(&values(&s, &x[i * m..(i + 1) * m]), 0)
            .unwrap();
        assert_eq!(one.outcome.annual_rate.to_bits(), rate[i].to_bits());
    }

    // Ragged columns, codes past the levels, and text for a numeric feature are errors.
    let short = vec![1.0; n - 1];
    let mut bad = columns.clone();
    let numeric_feature = s
        .input_columns()
        .iter()
        .position(|c| !c.categorical)
        .unwrap();
    bad[numeric_feature].data = ColumnRef::Numeric(&short);
    let err = s
        .score_named_columns(&bad, n, 0, BatchOutput::default())
        .unwrap_err();
    assert!(
        matches!(err, ScoreError::ColumnLength { len, needed, .. } if len == n - 1 && needed == n)
    );
    let levels = vec!["a".to_string()];
    let codes = vec![5u32; n];
    let mut bad = columns.clone();
    bad[numeric_feature].data = ColumnRef::Categorical {
        codes: &codes,
        levels: &levels,
    };
    let err = s
        .score_named_columns(&bad, n, 0, BatchOutput::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            ScoreError::BadCode {
                code: 5,
                levels: 1,
                ..
            }
        ),
        "{err}"
    );
    let codes = vec![0u32; n];
    bad[numeric_feature].data = ColumnRef::Categorical {
        codes: &codes,
        levels: &levels,
    };
    let err = s
        .score_named_columns(&bad, n, 0, BatchOutput::default())
        .unwrap_err();
    assert!(err.to_string().contains("must be numeric"), "{err}");
}
