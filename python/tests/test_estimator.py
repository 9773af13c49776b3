"""The scikit-learn estimator contract, pickling, the scorecard table and the model file."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import microscore

from conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def data(labelled_csv: Path) -> tuple[pd.DataFrame, pd.Series]:
    df = microscore.read_table(labelled_csv)
    y = df.pop("default_12m")
    return df, y


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, pd.Series]) -> microscore.Scorecard:
    X, y = data
    return microscore.Scorecard(solver="newton").fit(X, y)


def test_fit_predict_shapes(fitted: microscore.Scorecard, data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba[:, 1] > 0) & (proba[:, 1] < 1)).all()
    assert set(np.unique(fitted.predict(X))) <= {0, 1}
    logit = fitted.decision_function(X)
    assert np.allclose(1 / (1 + np.exp(-logit)), proba[:, 1])
    points = fitted.score_points(X)
    # A higher score is safer: the PD falls strictly as the score rises.
    order = np.argsort(points)
    assert (np.diff(proba[order, 1]) <= 0).all()
    assert 0.72 < fitted.score(X, y) < 0.9
    assert list(fitted.classes_) == [0, 1]
    assert fitted.n_features_in_ == X.shape[1]
    summary = fitted.training_summary
    assert summary["rows"] == len(X) and abs(summary["auc"] - fitted.score(X, y)) < 1e-12


def test_get_set_params_roundtrip() -> None:
    card = microscore.Scorecard(max_bins=7, trends={"applicant_age": "peak"})
    params = card.get_params()
    assert params["max_bins"] == 7 and params["trends"] == {"applicant_age": "peak"}
    again = microscore.Scorecard(**params)
    assert again.get_params() == params
    assert card.set_params(min_iv=0.05) is card and card.min_iv == 0.05
    with pytest.raises(microscore.ParameterError, match="unknown parameter 'max_bin'"):
        card.set_params(max_bin=3)
    assert "max_bins=7" in repr(card)


def test_sklearn_clone_pipeline_cross_val(data: tuple[pd.DataFrame, pd.Series]) -> None:
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = data
    card = microscore.Scorecard(solver="newton", max_bins=6)
    assert is_classifier(card)
    copy = clone(card)
    assert copy is not card and copy.get_params() == card.get_params()
    pipe = Pipeline([("identity", FunctionTransformer(validate=False)), ("card", card)])
    pipe.fit(X, y)
    assert np.array_equal(pipe.predict_proba(X), card.predict_proba(X))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    auc = cross_val_score(microscore.Scorecard(solver="newton"), X, y, cv=folds, scoring="roc_auc")
    assert auc.shape == (3,) and (auc > 0.7).all(), auc
    # Our own AUC hook agrees with scikit-learn's.
    from sklearn.metrics import roc_auc_score

    card.fit(X, y)
    assert abs(card.score(X, y) - roc_auc_score(y, card.predict_proba(X)[:, 1])) < 1e-12
    assert sklearn.__version__


def test_not_fitted() -> None:
    with pytest.raises(Exception, match="not fitted"):
        microscore.Scorecard().predict_proba({"a": np.zeros(2)})


def test_pickle_roundtrip(fitted: microscore.Scorecard, data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = data
    blob = pickle.dumps(fitted)
    again = pickle.loads(blob)
    assert again.model_.checksum == fitted.model_.checksum
    assert again.get_params() == fitted.get_params()
    assert again.score_points(X).tobytes() == fitted.score_points(X).tobytes()
    # Unfitted estimators pickle too.
    assert pickle.loads(pickle.dumps(microscore.Scorecard(max_bins=3))).max_bins == 3


def test_save_load(fitted: microscore.Scorecard, data: tuple[pd.DataFrame, pd.Series], tmp_path: Path) -> None:
    X, _ = data
    path = tmp_path / "model.json"
    fitted.save(path)
    loaded = microscore.Scorecard.load(path)
    assert loaded.model_.checksum == fitted.model_.checksum
    assert np.array_equal(loaded.score_points(X), fitted.score_points(X))
    assert microscore.load(str(path)).model_.to_json() == fitted.model_.to_json()


def test_table(fitted: microscore.Scorecard) -> None:
    table = fitted.table()
    assert list(table.columns) == ["feature", "bin", "count", "share", "bad_rate", "woe", "iv", "points"]
    assert set(table["feature"]) == set(fitted.model_.features)
    # Bin counts of each feature cover every training row.
    rows = fitted.training_summary["rows"]
    regular = table[~table["bin"].str.contains("scored in", regex=False)]
    for _, group in regular.groupby("feature"):
        assert abs(group["count"].sum() - rows) < 1e-6
    as_dict = fitted.table(as_frame=False)
    assert isinstance(as_dict, dict) and len(as_dict["points"]) == len(table)


def test_explain_reasons_are_largest_shortfalls(fitted: microscore.Scorecard, data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = data
    ex = fitted.explain(X.head(500), top_k=3)
    model = fitted.model_
    table = fitted.table()
    best = table.groupby("feature")["points"].max()
    points = np.column_stack([ex[f"points:{f}"] for f in model.features])
    assert np.allclose(points.sum(axis=1), ex["score"], rtol=0, atol=1e-9)
    shortfall = np.array([best[f] for f in model.features]) - points
    codes = dict(zip(model.reason_codes, range(len(model.features))))
    for i in range(len(ex)):
        got = [ex[f"reason_{j}"].iloc[i] for j in range(1, 4)]
        expected = [j for j in np.argsort(-shortfall[i], kind="stable") if shortfall[i, j] > 0][:3]
        assert [codes[c] for c in got if c is not None] == expected
    with pytest.raises(microscore.ParameterError):
        fitted.explain(X.head(2), top_k=99)


MICROLOAN_POLICY = Path(__file__).resolve().parents[2] / "examples" / "policies" / "microloan.json"


def test_decide(fitted: microscore.Scorecard, data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    # Without a policy: PD cut-offs only; no limit or expected loss is invented.
    d = fitted.decide(X)
    assert set(d["decision"]) == set(microscore.DECISIONS)
    assert d["limit"].isna().all() and d["expected_loss"].isna().all()
    assert set(d["grade"]) <= set(fitted.model_.grades)
    assert any("loan sizing: off" in line for line in fitted.policy_summary)
    pd_ = fitted.predict_proba(X)[:, 1]
    assert (pd_[d["decision"] == "approve"] <= 0.05).all() and (pd_[d["decision"] == "decline"] > 0.15).all()
    # With the microloan policy file: limits for approvals and referrals, 0 for declines.
    sized = microscore.Scorecard(solver="newton", policy=MICROLOAN_POLICY).fit(X, y)
    d = sized.decide(X)
    assert (d.loc[d["decision"] == "decline", "limit"] == 0).all()
    assert (d.loc[d["decision"] != "decline", "limit"] > 0).all()
    assert (d["expected_loss"] >= 0).all()
    assert sized.policy_["limit"]["requested_column"] == "requested_amount"


def test_policy_is_checked_against_the_training_data(data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    with pytest.raises(microscore.ParameterError, match=r"policy.amount_column: column 'loan' is not in the training data"):
        microscore.Scorecard(solver="newton", policy={"amount_column": "loan"}).fit(X, y)
    with pytest.raises(microscore.ParameterError, match=r"policy.thin_file_column: column 'province' holds text"):
        microscore.Scorecard(solver="newton", policy={"thin_file_column": "province"}).fit(X, y)
    with pytest.raises(microscore.ParameterError, match="approve_pd"):
        microscore.Scorecard(solver="newton", policy={"approve_pd": 2}).fit(X, y)


def test_invalid_amounts_are_never_approved_with_a_limit(data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    sized = microscore.Scorecard(solver="newton", policy=MICROLOAN_POLICY).fit(X, y)
    bad = X.head(20).copy()
    bad.loc[3, "requested_amount"] = -5000.0
    with pytest.raises(microscore.InputError, match=r"row 4, column 'requested_amount': value -5000: an amount cannot be negative"):
        sized.decide(bad)
    # Scores do not need the amount: no error there.
    assert np.isfinite(sized.score_points(bad)).all()
    spec = dict(sized.policy_)
    spec["invalid_amount"] = "refer"
    referring = microscore.Scorecard.from_model(sized.model_.with_policy(__import__("json").dumps(spec)))
    for value in (-5000.0, np.inf, -np.inf):
        bad.loc[3, "requested_amount"] = value
        d = referring.decide(bad)
        assert d["decision"][3] == "refer" and np.isnan(d["limit"][3])
        assert "invalid_amount" in d["flags"][3].split(";")


def test_absent_columns_are_errors_unless_opted_in(fitted: microscore.Scorecard, data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, _ = data
    renamed = X.rename(columns={"monthly_revenue": "Monthly Revenue"}).head(50)
    for method in (fitted.predict_proba, fitted.score_points, fitted.decide, fitted.explain):
        with pytest.raises(microscore.InputError, match=r"monthly_revenue \(did you mean 'Monthly Revenue'\?\)"):
            method(renamed)
    for kind in (lambda f: f, lambda f: f.to_dict(orient="series"), lambda f: __import__("pyarrow").Table.from_pandas(f)):
        with pytest.raises(microscore.InputError, match="monthly_revenue"):
            fitted.predict_proba(kind(renamed))
    as_missing = fitted.predict_proba(renamed, missing_columns="as_missing")[:, 1]
    missing = X.head(50).copy()
    missing["monthly_revenue"] = np.nan
    assert np.array_equal(as_missing, fitted.predict_proba(missing)[:, 1])
    flags = fitted.decide(renamed, missing_columns="as_missing")["flags"]
    assert all("absent_column" in f.split(";") for f in flags)
    with pytest.raises(microscore.ParameterError, match="missing_columns"):
        fitted.predict_proba(renamed, missing_columns="ignore")


def test_sample_weight_doubling_equals_repeating_rows(data: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = data
    X, y = X.head(2000).reset_index(drop=True), y.head(2000).reset_index(drop=True)
    w = np.where(np.arange(len(X)) % 2 == 0, 2.0, 1.0)
    weighted = microscore.Scorecard(solver="newton", min_bin_goods=0, min_bin_bads=0).fit(X, y, sample_weight=w)
    rep = np.repeat(np.arange(len(X)), w.astype(int))
    repeated = microscore.Scorecard(solver="newton", min_bin_goods=0, min_bin_bads=0).fit(
        X.iloc[rep].reset_index(drop=True), y.iloc[rep].reset_index(drop=True)
    )
    a, b = weighted.score_points(X), repeated.score_points(X)
    assert np.allclose(a, b, rtol=0, atol=1e-6)


def test_training_notes_match_the_cli_on_german_credit(tmp_path: Path) -> None:
    """The notes come from the model file alone: Python and the CLI's ``train`` print the
    same ones, and each names a kept feature."""
    data = ROOT / "tests" / "data" / "german_credit" / "german_credit.csv"
    out = tmp_path / "german.json"
    result = run_cli("train", "--data", str(data), "--target", "creditability", "--bad-values", "bad", "--out", str(out))
    card = microscore.load(out)
    notes = card.training_notes
    unstable = [n for n in notes if n["kind"] == "unstable_neighbours"]
    assert unstable, notes
    kept = set(card.model_.features)
    for n in notes:
        assert n["feature"] in kept and n["message"] in result.stdout, (n, result.stdout)
    assert all(0.2 < n["flip"] <= 0.5 for n in unstable)
