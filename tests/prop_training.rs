//! Property tests of training (invariant 2): binning is rank based, so a strictly increasing
//! transform of a numeric feature gives the same bins (in the transformed space) and the same
//! scores; the order of the rows does not matter.

mod common;

use common::strategies::{labelled_table, small_params, trend, try_train};
use microscore::input::table::{Column, ColumnData, Table};
use microscore::model::BinRule;
use microscore::scoring::score_table;
use proptest::prelude::*;

/// The table with `f` applied to the numeric column `name` (NaN and specials kept as they are).
fn transformed(table: &Table, name: &str, f: impl Fn(f64) -> f64) -> Table {
    Table::new(
        table
            .columns()
            .iter()
            .map(|c| match (&c.data, c.name == name) {
                (ColumnData::Numeric(v), true) => Column {
                    name: c.name.clone(),
                    data: ColumnData::Numeric(
                        v.iter()
                            .map(|&x| if x.is_nan() { x } else { f(x) })
                            .collect(),
                    ),
                },
                _ => c.clone(),
            })
            .collect(),
    )
}

proptest! {
    #![proptest_config(common::strategies::config(32, "prop_training"))]

    #[test]
    fn strictly_increasing_transforms_change_nothing_but_the_edges(
        seed in any::<u64>(),
        rows in 300usize..900,
        trend in trend(),
        max_bins in 2usize..8,
        which in 0usize..3,
    ) {
        let table = labelled_table(seed, rows);
        let params = small_params(trend, max_bins);
        let Some(model) = try_train(&table, &params) else { return Ok(()); };
        // Exact, strictly increasing maps on the generated values (integers and cents).
        let (name, f): (&str, fn(f64) -> f64) = match which {
            0 => ("tenure", |x| x * 8.0 + 1000.0),
            1 => ("age", |x| x * x * x),
            _ => ("tenure", |x| (x + 1.0).exp2()),
        };
        let moved = transformed(&table, name, f);
        let Some(again) = try_train(&moved, &params) else {
            prop_assert!(false, "the transform changed which features survive");
            unreachable!();
        };
        prop_assert_eq!(
            model.features().iter().map(|x| &x.name).collect::<Vec<_>>(),
            again.features().iter().map(|x| &x.name).collect::<Vec<_>>()
        );
        for (a, b) in model.features().iter().zip(again.features()) {
            prop_assert_eq!(&a.points, &b.points, "points of {}", a.name);
            prop_assert_eq!(a.binning.bins.len(), b.binning.bins.len());
            if let (BinRule::Numeric { edges: ea, .. }, BinRule::Numeric { edges: eb, .. }) = (&a.binning.rule, &b.binning.rule) {
                prop_assert_eq!(ea.len(), eb.len());
                if a.name == name {
                    // An edge lies between two neighbouring values, in either space.
                    let column = match &table.column(name).unwrap().data {
                        ColumnData::Numeric(v) => v.clone(),
                        ColumnData::Categorical { .. } => unreachable!(),
                    };
                    for (x, y) in ea.iter().zip(eb) {
                        let below = column.iter().filter(|&&v| v < *x).count();
                        let below_moved = column.iter().filter(|&&v| !v.is_nan() && f(v) < *y).count();
                        prop_assert_eq!(below, below_moved, "edge {} vs {}", x, y);
                    }
                } else {
                    prop_assert_eq!(ea, eb);
                }
            }
        }
        let s1 = score_table(&model, &table).unwrap();
        let s2 = score_table(&again, &moved).unwrap();
        prop_assert!(s1.iter().zip(&s2).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn row_order_does_not_matter(seed in any::<u64>(), rows in 300usize..900, trend in trend(), shuffle in any::<u64>()) {
        let table = labelled_table(seed, rows);
        let params = small_params(trend, 5);
        let Some(model) = try_train(&table, &params) else { return Ok(()); };
        let mut order: Vec<usize> = (0..rows).collect();
        let mut state = shuffle | 1;
        for i in (1..rows).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let shuffled = table.select_rows(&order);
        let again = try_train(&shuffled, &params).expect("the same rows train the same features");
        for (a, b) in model.features().iter().zip(again.features()) {
            prop_assert_eq!(&a.name, &b.name);
            prop_assert_eq!(&a.binning.rule, &b.binning.rule, "bins of {}", a.name);
            for (x, y) in a.points.iter().zip(&b.points) {
                prop_assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "points of {}: {} vs {}", a.name, x, y);
            }
        }
        let s1 = score_table(&model, &table).unwrap();
        let s2 = score_table(&again, &table).unwrap();
        prop_assert!(s1.iter().zip(&s2).all(|(a, b)| (a - b).abs() <= 1e-6 * a.abs().max(1.0)));
    }
}
