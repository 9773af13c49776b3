//! Property tests of the scoring invariants, on models trained from generated data and on the
//! built-in model, with applications full of NaN, infinities, extreme magnitudes, empty strings
//! and unseen categories.

mod common;

use common::strategies::{application, awkward_cell, model, Cell};
use microscore::model::Model;
use microscore::model::{BinRule, Trend};
use microscore::scoring::{BatchOutput, ColumnRef, NamedColumn, Scorer, Value};
use proptest::prelude::*;

fn model_and_apps(count: usize) -> impl Strategy<Value = (Model, Vec<Vec<Cell>>)> {
    model().prop_flat_map(move |m| {
        let s = Scorer::new(m.clone());
        (Just(m), prop::collection::vec(application(&s), 1..count))
    })
}

fn values(app: &[Cell]) -> Vec<Value<'_>> {
    app.iter().map(Cell::value).collect()
}

proptest! {
    #![proptest_config(common::strategies::config(64, "prop_scoring"))]

    /// 3 and 4: for any input whatsoever the score is finite, within the card's range, exactly
    /// the sum of the feature points; the PD is in (0, 1) and follows the scaling.
    #[test]
    fn score_is_bounded_and_exactly_the_sum_of_points((m, apps) in model_and_apps(20)) {
        let s = Scorer::new(m.clone());
        for app in &apps {
            let r = s.score_values(&values(app), 4).unwrap();
            prop_assert!(r.score.is_finite());
            prop_assert!(m.min_score() <= r.score && r.score <= m.max_score(),
                "{} outside [{}, {}]", r.score, m.min_score(), m.max_score());
            let mut sum = 0.0;
            for f in &r.features {
                sum += f.points;
            }
            prop_assert_eq!(sum.to_bits(), r.score.to_bits());
            prop_assert!(r.pd > 0.0 && r.pd < 1.0);
            prop_assert_eq!(r.pd.to_bits(), m.scaling().pd_map().pd(r.score).to_bits());
        }
    }

    /// 4: the PD strictly decreases as the score rises, and score -> PD -> score round-trips.
    #[test]
    fn pd_strictly_decreases_and_round_trips(m in model(), a in 0.0f64..1.0, b in 0.0f64..1.0) {
        let (lo, hi) = (m.min_score(), m.max_score());
        let s1 = lo + (hi - lo) * a.min(b);
        let s2 = lo + (hi - lo) * a.max(b);
        let scaling = m.scaling();
        if s2 - s1 > 1e-9 * s2.abs().max(1.0) {
            prop_assert!(scaling.pd(s1) > scaling.pd(s2), "pd({s1}) <= pd({s2})");
        }
        for s in [s1, s2] {
            let back = scaling.score(scaling.pd(s));
            prop_assert!((back - s).abs() <= 1e-7 * s.abs().max(1.0), "{s} -> {back}");
        }
    }

    /// 5: raising a feature with an ascending (descending) trend, the rest fixed, never lowers
    /// (raises) the score.
    #[test]
    fn monotone_features_move_the_score_one_way(
        (m, apps) in model_and_apps(6),
        v1 in -100.0f64..200.0,
        v2 in -100.0f64..200.0,
    ) {
        let s = Scorer::new(m.clone());
        let (lo, hi) = (v1.min(v2), v1.max(v2));
        for (j, f) in m.features().iter().enumerate() {
            let specials: Vec<f64> = match &f.binning.rule {
                BinRule::Numeric { specials, .. } => specials.iter().map(|sp| sp.value).collect(),
                BinRule::Categorical { .. } => continue,
            };
            if specials.contains(&lo) || specials.contains(&hi) {
                continue;
            }
            for app in &apps {
                let mut vals = values(app);
                vals[j] = Value::Number(lo);
                let low = s.score_values(&vals, 0).unwrap().score;
                vals[j] = Value::Number(hi);
                let high = s.score_values(&vals, 0).unwrap().score;
                match f.binning.trend {
                    Trend::Ascending => prop_assert!(high >= low, "{}: {lo} -> {low}, {hi} -> {high}", f.name),
                    Trend::Descending => prop_assert!(high <= low, "{}: {lo} -> {low}, {hi} -> {high}", f.name),
                    _ => {}
                }
            }
        }
    }

    /// 6: the reasons are exactly the features with the largest shortfall from their maximum,
    /// in order (ties: model order); a feature at its maximum never appears; the same input
    /// gives the same reasons.
    #[test]
    fn reasons_are_the_largest_shortfalls((m, apps) in model_and_apps(20), k in 0usize..6) {
        let s = Scorer::new(m.clone());
        for app in &apps {
            let r = s.score_values(&values(app), k).unwrap();
            let mut lost: Vec<(usize, f64)> = r
                .features
                .iter()
                .enumerate()
                .map(|(i, f)| (i, f.max_points - f.points))
                .filter(|&(_, l)| l > 0.0)
                .collect();
            lost.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let expected: Vec<usize> = lost.iter().take(k).map(|&(i, _)| i).collect();
            let got: Vec<usize> = r.reasons.iter().map(|x| x.feature).collect();
            prop_assert_eq!(&got, &expected);
            for x in &r.reasons {
                prop_assert!(x.points_lost > 0.0);
                prop_assert_eq!(x.code, m.features()[x.feature].reason_code.as_str());
            }
            let again = s.score_values(&values(app), k).unwrap();
            prop_assert_eq!(r, again);
        }
    }

    /// 7: a batch equals one-by-one scoring, whatever the thread count and the batch split;
    /// save, load and score is bit-identical.
    #[test]
    fn batch_equals_one_by_one_any_threads_any_split(
        (m, apps) in model_and_apps(60),
        threads in 1usize..4,
        split in 1usize..60,
    ) {
        let s = Scorer::new(m.clone());
        let n = apps.len();
        let k = 3;
        // Columns as a data frame holds them: numbers, or texts as (codes, levels).
        let mut numeric: Vec<Vec<f64>> = Vec::new();
        let mut cats: Vec<(Vec<u32>, Vec<String>)> = Vec::new();
        for (j, c) in s.input_columns().iter().enumerate() {
            if c.categorical {
                let mut levels: Vec<String> = Vec::new();
                let codes = apps.iter().map(|a| match &a[j] {
                    Cell::Text(t) => {
                        let i = levels.iter().position(|l| l == t).unwrap_or_else(|| {
                            levels.push(t.clone());
                            levels.len() - 1
                        });
                        i as u32
                    }
                    _ => microscore::input::table::MISSING_CODE,
                }).collect();
                cats.push((codes, levels));
                numeric.push(Vec::new());
            } else {
                cats.push((Vec::new(), Vec::new()));
                numeric.push(apps.iter().map(|a| match &a[j] {
                    Cell::Number(x) => *x,
                    _ => f64::NAN,
                }).collect());
            }
        }
        let columns: Vec<NamedColumn<'_>> = s.input_columns().iter().enumerate().map(|(j, c)| NamedColumn {
            name: &c.name,
            data: if c.categorical {
                ColumnRef::Categorical { codes: &cats[j].0, levels: &cats[j].1 }
            } else {
                ColumnRef::Numeric(&numeric[j])
            },
        }).collect();
        // One by one, with the same inputs (text in numeric columns is missing in the frame).
        let one: Vec<(f64, Vec<usize>)> = apps.iter().map(|a| {
            let vals: Vec<Value<'_>> = a.iter().zip(s.input_columns()).map(|(c, ic)| match (c, ic.categorical) {
                (Cell::Text(t), true) => Value::Text(t),
                (Cell::Number(x), false) => Value::Number(*x),
                _ => Value::Missing,
            }).collect();
            let r = s.score_values(&vals, k).unwrap();
            (r.score, r.reasons.iter().map(|x| x.feature).collect())
        }).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut score = vec![0.0; n];
        let mut reasons = vec![0i32; n * k];
        pool.install(|| s.score_named_columns(&columns, n, k, BatchOutput {
            score: Some(&mut score),
            reasons: Some(&mut reasons),
            ..BatchOutput::default()
        })).unwrap();
        for i in 0..n {
            prop_assert_eq!(score[i].to_bits(), one[i].0.to_bits());
            let got: Vec<usize> = reasons[i * k..(i + 1) * k].iter().filter(|&&x| x >= 0).map(|&x| x as usize).collect();
            prop_assert_eq!(&got, &one[i].1);
        }
        // Any split of the batch gives the same scores.
        let mut pieces = Vec::new();
        for start in (0..n).step_by(split) {
            let end = (start + split).min(n);
            let part: Vec<NamedColumn<'_>> = columns.iter().map(|c| NamedColumn {
                name: c.name,
                data: match c.data {
                    ColumnRef::Numeric(v) => ColumnRef::Numeric(&v[start..end]),
                    ColumnRef::Categorical { codes, levels } => ColumnRef::Categorical { codes: &codes[start..end], levels },
                },
            }).collect();
            let mut out = vec![0.0; end - start];
            s.score_named_columns(&part, end - start, 0, BatchOutput { score: Some(&mut out), ..BatchOutput::default() }).unwrap();
            pieces.extend(out);
        }
        prop_assert!(pieces.iter().zip(&score).all(|(a, b)| a.to_bits() == b.to_bits()));
        // Through the model file and back.
        let loaded = Scorer::new(Model::from_json(&m.to_json().unwrap()).unwrap());
        for (app, (expected, _)) in apps.iter().zip(&one) {
            let vals: Vec<Value<'_>> = app.iter().zip(s.input_columns()).map(|(c, ic)| match (c, ic.categorical) {
                (Cell::Text(t), true) => Value::Text(t),
                (Cell::Number(x), false) => Value::Number(*x),
                _ => Value::Missing,
            }).collect();
            prop_assert_eq!(loaded.score_values(&vals, 0).unwrap().score.to_bits(), expected.to_bits());
        }
    }
}

proptest! {
    #![proptest_config(common::strategies::config(256, "prop_scoring"))]

    /// 3, on the built-in model: any cell in any column gives a finite score in range, and a
    /// finite limit >= 0; 5: an application whose requested amount or revenue is invalid
    /// (negative, infinite, text) is never approved with a positive limit: the policy rejects
    /// it (an error naming the column), or, set to refer, refers it flagged without a limit.
    #[test]
    fn built_in_model_scores_anything(cells in prop::collection::vec(awkward_cell(), 17..18)) {
        let model = microscore::model::builtin::default_model().unwrap();
        let mut refer_policy = microscore::model::policy::PolicySpec::of(model.policy());
        refer_policy.invalid_amount = Some(microscore::model::policy::InvalidAmount::Refer);
        let referring = Scorer::new(model.with_policy_spec(&refer_policy).unwrap());
        let s = Scorer::new(model);
        let mut vals: Vec<Value<'_>> = cells.iter().map(Cell::value).collect();
        vals.resize(s.input_columns().len(), Value::Missing);
        let at = |name: &str| s.input_columns().iter().position(|c| c.name == name).unwrap();
        let invalid = [at("requested_amount"), at("monthly_revenue")].iter().any(|&j| match vals[j] {
            Value::Number(x) => x < 0.0 || x.is_infinite(),
            Value::Text(t) if microscore::input::table::is_missing_token(t) => false,
            Value::Text(t) => microscore::input::table::parse_number(t).is_none_or(|x| x < 0.0 || x.is_infinite()),
            Value::Missing => false,
        });
        match s.score_values(&vals, 4) {
            Ok(r) => {
                prop_assert!(!invalid, "an invalid amount was scored: {:?}", r.outcome);
                prop_assert!(r.score.is_finite());
                prop_assert!(s.model().min_score() <= r.score && r.score <= s.model().max_score());
                prop_assert!(r.pd > 0.0 && r.pd < 1.0);
                prop_assert!(r.outcome.limit.is_finite() && r.outcome.limit >= 0.0);
            }
            Err(microscore::scoring::ScoreError::InvalidAmount { column, .. }) => {
                prop_assert!(invalid);
                prop_assert!(column == "requested_amount" || column == "monthly_revenue");
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
        let r = referring.score_values(&vals, 4).unwrap();
        prop_assert_eq!(r.outcome.invalid_amount, invalid);
        if invalid {
            prop_assert_eq!(r.outcome.decision, microscore::model::policy::Decision::Refer);
            prop_assert!(r.outcome.limit.is_nan());
            prop_assert!(r.flags & microscore::scoring::flags::INVALID_AMOUNT != 0);
        }
        prop_assert!(!(r.outcome.decision == microscore::model::policy::Decision::Approve && invalid));
    }
}
