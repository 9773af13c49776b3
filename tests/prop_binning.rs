//! Property tests of binning (invariant 1): bins partition the line, missing and special values
//! go where the binning says, counts add up, constrained WoE is monotone, every bin is big enough.

mod common;

use common::strategies::trend;
use microscore::model::bins::two_proportion_z;
use microscore::model::Counts;
use microscore::model::{BinKind, BinRule, BinningParams, Trend};
use microscore::train::binning::{bin_categorical, bin_numeric};
use proptest::prelude::*;

/// Values (NaN for missing, some on a grid so that ties are common), labels, special values.
fn numeric_column() -> impl Strategy<Value = (Vec<f64>, Vec<bool>, Vec<f64>)> {
    (50usize..600, any::<u64>()).prop_flat_map(|(n, _)| {
        (
            prop::collection::vec(
                prop_oneof![
                    6 => -1.0e6f64..1.0e6,
                    4 => (-20i32..20).prop_map(f64::from),
                    1 => Just(f64::NAN),
                    1 => Just(-999.0),
                ],
                n,
            ),
            prop::collection::vec(prop::bool::weighted(0.25), n),
            prop::sample::select(vec![vec![], vec![-999.0], vec![-999.0, 0.0]]),
        )
    })
}

fn params() -> impl Strategy<Value = BinningParams> {
    (
        2usize..30,
        0.0f64..0.2,
        0.0f64..5.0,
        0.0f64..5.0,
        1usize..10,
        trend(),
        (prop::sample::select(vec![0.0, 10.0, 50.0]), any::<bool>()),
    )
        .prop_map(
            |(prebins, share, goods, bads, max_bins, trend, (count, detect))| BinningParams {
                max_prebins: prebins,
                min_bin_share: share,
                min_bin_goods: goods,
                min_bin_bads: bads,
                max_bins,
                trend,
                min_bin_count: count,
                detect_specials: detect,
                ..BinningParams::default()
            },
        )
}

fn close(a: Counts, b: Counts) -> bool {
    (a.goods - b.goods).abs() < 1e-9 && (a.bads - b.bads).abs() < 1e-9
}

fn sum(counts: impl Iterator<Item = Counts>) -> Counts {
    counts.fold(Counts::default(), |mut acc, c| {
        acc.goods += c.goods;
        acc.bads += c.bads;
        acc
    })
}

proptest! {
    #![proptest_config(common::strategies::config(256, "prop_binning"))]

    #[test]
    fn numeric_bins_partition_the_line((values, bad, specials) in numeric_column(), p in params()) {
        let binning = match bin_numeric(&values, &bad, None, &specials, &p, None) {
            Ok(b) => b,
            // One class only is a legitimate refusal, named as such.
            Err(e) => {
                prop_assert!(bad.iter().all(|&b| b) || bad.iter().all(|&b| !b), "{e}");
                return Ok(());
            }
        };
        let BinRule::Numeric { edges, specials: routes, .. } = &binning.rule else {
            panic!("numeric binning expected");
        };
        prop_assert!(edges.iter().all(|e| e.is_finite()));
        prop_assert!(edges.windows(2).all(|w| w[0] < w[1]), "edges not increasing: {edges:?}");
        let n_regular = binning.n_regular();
        prop_assert_eq!(n_regular, edges.len() + 1);
        prop_assert!(n_regular <= p.max_bins);
        // Every value lands in exactly one place, and that place holds it.
        let mut tally = vec![Counts::default(); binning.bins.len()];
        for (&x, &b) in values.iter().zip(&bad) {
            let bin = binning.numeric_bin(x).unwrap();
            prop_assert!(bin < binning.bins.len());
            if x.is_nan() {
                prop_assert_eq!(bin, binning.missing.bin);
            } else if let Some(r) = routes.iter().find(|r| r.value == x) {
                prop_assert_eq!(bin, r.route.bin);
            } else {
                let holds: Vec<usize> = binning.bins.iter().enumerate().filter(|(_, b)| match b.kind {
                    BinKind::Interval { lower, upper } => lower.is_none_or(|l| l <= x) && upper.is_none_or(|u| x < u),
                    _ => false,
                }).map(|(i, _)| i).collect();
                prop_assert_eq!(holds, vec![bin], "value {} ", x);
            }
            tally[bin].add(b, 1.0);
        }
        // Counts add up: own bins plus groups routed into other bins are the whole column.
        let total = sum(values.iter().zip(&bad).map(|(_, &b)| {
            let mut c = Counts::default();
            c.add(b, 1.0);
            c
        }));
        let routed = sum(
            std::iter::once(&binning.missing)
                .chain(routes.iter().map(|r| &r.route))
                .filter(|r| !r.own_bin)
                .map(|r| r.counts),
        );
        prop_assert!(close(sum(binning.bins.iter().map(|b| b.counts).chain([routed])), total));
        for (i, b) in binning.bins.iter().enumerate() {
            prop_assert!(close(tally[i], sum([b.counts].into_iter().chain(
                std::iter::once(&binning.missing).chain(routes.iter().map(|r| &r.route))
                    .filter(|r| !r.own_bin && r.bin == i).map(|r| r.counts)))), "bin {i}");
        }
        // The constrained trend holds over the regular bins.
        let woe: Vec<f64> = binning.bins[..n_regular].iter().map(|b| b.woe).collect();
        match binning.trend {
            Trend::Ascending => prop_assert!(woe.windows(2).all(|w| w[0] <= w[1]), "{woe:?}"),
            Trend::Descending => prop_assert!(woe.windows(2).all(|w| w[0] >= w[1]), "{woe:?}"),
            _ => {}
        }
        if matches!(p.trend, Trend::Ascending | Trend::Descending) {
            prop_assert_eq!(binning.trend, p.trend);
        }
        // Every regular bin meets the size rules when there is more than one: at least the
        // share, or at least min_bin_count rows and significantly different from each
        // neighbour.
        let regular_total: f64 = binning.bins[..n_regular].iter().map(|b| b.counts.total()).sum();
        if n_regular > 1 {
            let bins = &binning.bins[..n_regular];
            for (k, b) in bins.iter().enumerate() {
                let full = b.counts.total() >= p.min_bin_share * regular_total - 1e-9;
                let small_ok = b.counts.total() >= p.min_bin_count
                    && p.min_bin_count > 0.0
                    && (k == 0 || two_proportion_z(bins[k - 1].counts, b.counts) >= p.small_bin_z)
                    && (k + 1 == n_regular || two_proportion_z(bins[k + 1].counts, b.counts) >= p.small_bin_z);
                prop_assert!(full || small_ok, "{} below share and not a distinct small bin", b.label);
                prop_assert!(b.counts.goods >= p.min_bin_goods - 1e-9 && b.counts.bads >= p.min_bin_bads - 1e-9, "{} too small", b.label);
            }
        }
        prop_assert!(binning.iv.is_finite() && binning.iv >= 0.0, "iv {} of {:?}", binning.iv, binning.bins.iter().map(|b| (b.counts, b.iv)).collect::<Vec<_>>());
    }

    #[test]
    fn categories_fall_in_exactly_one_bin(
        codes in prop::collection::vec(prop_oneof![8 => 0u32..12, 1 => Just(u32::MAX)], 40..500),
        bad in prop::collection::vec(prop::bool::weighted(0.3), 500),
        p in params(),
    ) {
        let levels: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
        let values: Vec<Option<&str>> = codes.iter().map(|&c| (c != u32::MAX).then(|| levels[c as usize].as_str())).collect();
        let bad = &bad[..values.len()];
        let binning = match bin_categorical(&codes, &levels, bad, None, &p) {
            Ok(b) => b,
            Err(e) => {
                prop_assert!(bad.iter().all(|&b| b) || bad.iter().all(|&b| !b), "{e}");
                return Ok(());
            }
        };
        for v in values.iter().flatten() {
            let bin = binning.category_bin(Some(v)).unwrap();
            let holders: Vec<usize> = binning.bins.iter().enumerate().filter(|(_, b)| match &b.kind {
                BinKind::Categories { categories } => categories.iter().any(|c| c == v),
                _ => false,
            }).map(|(i, _)| i).collect();
            prop_assert!(holders.len() <= 1, "{v} in bins {holders:?}");
            if let Some(&h) = holders.first() {
                prop_assert_eq!(h, bin);
            }
        }
        prop_assert_eq!(binning.category_bin(None).unwrap(), binning.missing.bin);
        let unseen = binning.category_bin(Some("never seen")).unwrap();
        prop_assert!(unseen < binning.bins.len());
        let total = values.len() as f64;
        let routed: f64 = [&binning.missing].iter().filter(|r| !r.own_bin).map(|r| r.counts.total()).sum();
        let counted: f64 = binning.bins.iter().map(|b| b.counts.total()).sum::<f64>() + routed;
        prop_assert!((counted - total).abs() < 1e-9, "{counted} != {total}");
    }
}
