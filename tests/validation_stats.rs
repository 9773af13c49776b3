//! The validation statistics against values computed independently with scikit-learn and SciPy
//! (`tests/data/stats/make_fixtures.py` wrote `fixtures.json`).

use microscore::metrics::{auc, auc_variance_delong, ks, sorted_groups};
use microscore::report::validation::{hosmer_lemeshow, jeffreys, psi, HlGroup};
use serde_json::Value;

fn fixtures() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stats/fixtures.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300) || (a - b).abs() < 1e-15
}

#[test]
fn auc_ks_and_delong_with_ties_match_scikit_learn_and_scipy() {
    let f = fixtures();
    let risk: Vec<f64> = f["risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let bad: Vec<bool> = f["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64() == Some(1))
        .collect();
    let a = auc(&risk, &bad, None).unwrap();
    assert!(close(a, f["auc"].as_f64().unwrap(), 1e-12), "{a}");
    let k = ks(&risk, &bad, None).unwrap();
    assert!(
        close(k.statistic, f["ks"].as_f64().unwrap(), 1e-12),
        "{}",
        k.statistic
    );
    let v = auc_variance_delong(&sorted_groups(&risk, &bad, None).unwrap()).unwrap();
    assert!(
        close(v, f["delong_variance"].as_f64().unwrap(), 1e-10),
        "{v}"
    );
}

#[test]
fn jeffreys_tests_match_scipy_beta() {
    for case in fixtures()["jeffreys"].as_array().unwrap() {
        let g = |k: &str| case[k].as_f64().unwrap();
        let j = jeffreys(g("n"), g("d"), g("pd")).unwrap();
        assert!(close(j.p_value, g("p"), 1e-9), "{case}: p {}", j.p_value);
        assert!(
            close(j.lower, g("lower"), 1e-7),
            "{case}: lower {}",
            j.lower
        );
        assert!(
            close(j.upper, g("upper"), 1e-7),
            "{case}: upper {}",
            j.upper
        );
    }
}

#[test]
fn hosmer_lemeshow_matches_scipy_chi2() {
    let f = fixtures();
    let hl = &f["hosmer_lemeshow"];
    let groups: Vec<HlGroup> = hl["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| HlGroup {
            n: g[0].as_f64().unwrap(),
            observed: g[1].as_f64().unwrap(),
            expected: g[2].as_f64().unwrap(),
        })
        .collect();
    let r = hosmer_lemeshow(&groups).unwrap();
    assert!(close(r.statistic, hl["statistic"].as_f64().unwrap(), 1e-12));
    assert!(
        close(r.p_value, hl["p"].as_f64().unwrap(), 1e-9),
        "{}",
        r.p_value
    );
    assert_eq!(r.df, 3.0);
}

#[test]
fn psi_with_empty_bins_matches_the_smoothed_formula() {
    let f = fixtures();
    let p = &f["psi"];
    let v = |k: &str| -> Vec<f64> {
        p[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let got = psi(&v("baseline"), &v("current"));
    assert!(close(got, p["value"].as_f64().unwrap(), 1e-12), "{got}");
}
