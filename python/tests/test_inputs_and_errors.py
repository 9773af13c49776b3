"""Every input type, missing values, and bad inputs raising the right exception with a clear
message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import microscore


@pytest.fixture(scope="module")
def card() -> microscore.Scorecard:
    return microscore.default_model()


@pytest.fixture(scope="module")
def frame(applications_csv: Path) -> pd.DataFrame:
    return pd.read_csv(applications_csv).head(400)


def test_pandas_categoricals_and_strings_agree(card: microscore.Scorecard, frame: pd.DataFrame) -> None:
    base = card.score_points(frame)
    cat = frame.copy()
    for c in ("province", "business_type", "education", "gender"):
        cat[c] = cat[c].astype("category")
    assert np.array_equal(card.score_points(cat), base)
    strings = frame.copy()
    for c in ("province", "business_type", "education"):
        strings[c] = strings[c].astype("string")
    assert np.array_equal(card.score_points(strings), base)
    arrow_dict = pa.Table.from_pandas(cat, preserve_index=False)
    assert pa.types.is_dictionary(arrow_dict.schema.field("province").type)
    assert np.array_equal(card.score_points(arrow_dict), base)


def test_nullable_and_integer_dtypes(card: microscore.Scorecard, frame: pd.DataFrame) -> None:
    base = card.score_points(frame)
    nullable = frame.copy()
    for c in frame.select_dtypes("number").columns:
        nullable[c] = nullable[c].astype("Float64")
    assert np.array_equal(card.score_points(nullable), base)
    as_objects = {c: frame[c].astype(object).where(frame[c].notna(), None).to_numpy() for c in frame}
    assert np.array_equal(card.score_points(as_objects), base)


def test_missing_values_none_and_nan(card: microscore.Scorecard) -> None:
    row_nan = {"monthly_revenue": np.array([np.nan]), "province": np.array([None], dtype=object)}
    row_none = {"monthly_revenue": np.array([None], dtype=object), "province": np.array([np.nan], dtype=object)}
    empty: dict[str, np.ndarray] = {"unrelated": np.array([1.0])}
    # Only two of the model's columns: scoring the rest as missing needs the explicit opt-in.
    a, b, c = (card.decide(r, as_frame=False, missing_columns="as_missing") for r in (row_nan, row_none, empty))
    assert a["score"][0] == b["score"][0] == c["score"][0]
    assert "missing" in a["flags"][0] and "absent_column" in a["flags"][0]
    with pytest.raises(microscore.InputError, match="column\\(s\\) missing from the header: county_remoteness"):
        card.decide(row_nan)


def test_unseen_category_is_flagged(card: microscore.Scorecard) -> None:
    out = card.decide({"province": np.array(["Atlantis"], dtype=object)}, as_frame=False, missing_columns="as_missing")
    assert "unseen_category" in out["flags"][0]


def test_numeric_column_forced_categorical_matches_file_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 4000
    region = rng.integers(1, 5, n)
    y = (rng.random(n) < np.array([0.02, 0.05, 0.1, 0.2])[region - 1]).astype(float)
    X = pd.DataFrame({"region": region, "noise": rng.normal(size=n)})
    card = microscore.Scorecard(categorical=["region"], min_iv=0.0).fit(X, y)
    rows = [r for r in card.table()["bin"] if r.startswith("{")]
    assert rows and all(not any(ch == "." for ch in r) for r in rows), rows
    # Float codes give the same levels as integer codes (3.0 is "3", as a file writes it).
    assert np.array_equal(card.score_points(X.astype({"region": float})), card.score_points(X))


def test_wrong_dtype_text_in_numeric_feature(card: microscore.Scorecard) -> None:
    with pytest.raises(microscore.InputError, match="'monthly_revenue' must be numeric") as e:
        card.score_points({"monthly_revenue": np.array(["lots", "some"], dtype=object)}, missing_columns="as_missing")
    assert isinstance(e.value, ValueError)


def test_unsupported_dtype(card: microscore.Scorecard) -> None:
    dates = np.array(["2026-01-01", "2026-02-01"], dtype="datetime64[D]")
    with pytest.raises(microscore.InputError, match="column 'monthly_revenue': dtype datetime64"):
        card.score_points({"monthly_revenue": dates}, missing_columns="as_missing")
    # Columns the model does not use are not converted, whatever they hold.
    assert len(card.score_points({"when": dates}, missing_columns="as_missing")) == 2
    with pytest.raises(microscore.InputError, match="column 'when': dtype datetime64"):
        microscore.Scorecard().fit({"when": dates}, [0, 1])


def test_ragged_arrays(card: microscore.Scorecard) -> None:
    with pytest.raises(microscore.InputError, match="column 'applicant_age' has 2 values, but there are 3 rows"):
        card.score_points({"monthly_revenue": np.ones(3), "applicant_age": np.ones(2)}, missing_columns="as_missing")
    with pytest.raises(microscore.InputError, match="all columns must have the same length"):
        microscore.Scorecard().fit({"a": np.ones(3), "b": np.ones(2)}, [0, 1, 0])


def test_nan_target_names_the_row() -> None:
    X = {"a": np.arange(6.0)}
    with pytest.raises(microscore.InputError, match=r"target column 'default', data row 3: value \(missing\) is not 0 or 1"):
        microscore.Scorecard().fit(X, [0, 1, np.nan, 0, 1, 0])
    with pytest.raises(microscore.InputError, match="value 2 is not 0 or 1"):
        microscore.Scorecard().fit(X, [0, 1, 2, 0, 1, 0])
    with pytest.raises(microscore.InputError, match="y has 2 values, but X has 6 rows"):
        microscore.Scorecard().fit(X, [0, 1])


def test_unknown_columns_in_settings_are_named() -> None:
    X = {"a": np.arange(4.0)}
    with pytest.raises(microscore.InputError, match="categorical column\\(s\\) not in the data: region"):
        microscore.Scorecard(categorical=["region"]).fit(X, [0, 1, 0, 1])
    with pytest.raises(microscore.InputError, match="'sample_weight'"):
        microscore.Scorecard().fit({"sample_weight": np.ones(4)}, [0, 1, 0, 1], sample_weight=np.ones(4))


def test_bad_weight() -> None:
    X = {"a": np.arange(4.0)}
    with pytest.raises(microscore.InputError, match="weight column 'sample_weight', data row 2"):
        microscore.Scorecard().fit(X, [0, 1, 0, 1], sample_weight=[1.0, -1.0, 1.0, 1.0])


def test_bad_settings_are_value_errors() -> None:
    X = {"a": np.arange(4.0)}
    with pytest.raises(microscore.ParameterError, match="max_bins must be at least 1") as e:
        microscore.Scorecard(max_bins=0).fit(X, [0, 1, 0, 1])
    assert isinstance(e.value, ValueError)
    with pytest.raises(microscore.ParameterError, match="unknown solver 'sgd'"):
        microscore.Scorecard(solver="sgd").fit(X, [0, 1, 0, 1])
    with pytest.raises(microscore.ParameterError, match="unknown trend 'wavy'"):
        microscore.Scorecard(trends={"a": "wavy"}).fit(X, [0, 1, 0, 1])


def test_no_feature_survives() -> None:
    X = {"a": np.zeros(200)}
    y = np.tile([0.0, 1.0], 100)
    with pytest.raises(microscore.TrainingError, match="no feature survived"):
        microscore.Scorecard().fit(X, y)


def test_missing_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError, match="nope.json") as e:
        microscore.Scorecard.load(missing)
    assert isinstance(e.value, microscore.MicroscoreError)
    with pytest.raises(FileNotFoundError):
        microscore.read_table(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError):
        microscore.score_file(microscore.default_model(), tmp_path / "nope.csv", tmp_path / "out.csv")


def test_tampered_model_file(tmp_path: Path) -> None:
    text = microscore.default_model().model_.to_json()
    doc = json.loads(text)
    doc["intercept"] = doc["intercept"] + 1.0
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(microscore.ModelFileError, match="checksum mismatch"):
        microscore.Scorecard.load(path)
    with pytest.raises(microscore.ModelFileError, match="not a valid scorecard"):
        microscore.Model.from_json("{")


def test_score_file_rejects_and_counts(applications_csv: Path, tmp_path: Path) -> None:
    lines = applications_csv.read_text().splitlines()
    header, body = lines[0], lines[1:101]
    broken = list(body)
    broken[5] = broken[5] + ",extra"
    broken[9] = broken[9].split(",", 1)[0]
    src = tmp_path / "broken.csv"
    src.write_text("\n".join([header, *broken]) + "\n")
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    summary = microscore.score_file(microscore.default_model(), src, out, rejects=rejects)
    assert summary["rows_read"] == 100
    assert summary["rows_rejected"] == 2 and summary["rows_scored"] == 98
    assert len(rejects.read_text().splitlines()) == 3
    with pytest.raises(FileExistsError, match="exists"):
        microscore.score_file(microscore.default_model(), src, out)
    with pytest.raises(microscore.InputError, match="line 7"):
        microscore.score_file(microscore.default_model(), src, tmp_path / "strict.csv", strict=True)
    assert not (tmp_path / "strict.csv").exists()


def test_score_is_the_cores_auc_and_names_bad_targets() -> None:
    """``Scorecard.score`` is the core's weighted AUC (ties one half), as scikit-learn computes
    it; a target that is not 0/1 is an InputError naming the row."""
    from sklearn.metrics import roc_auc_score

    from microscore import _microscore

    rng = np.random.default_rng(3)
    y = (rng.random(500) < 0.3).astype(np.float64)
    risk = np.round(rng.random(500) + 0.3 * y, 1)  # rounded: many ties
    w = rng.random(500) * 3
    assert abs(_microscore.auc(y, risk) - roc_auc_score(y, risk)) < 1e-12
    assert abs(_microscore.auc(y, risk, w) - roc_auc_score(y, risk, sample_weight=w)) < 1e-12
    y[7] = 2.0
    with pytest.raises(microscore.InputError, match=r"row 8 holds 2"):
        _microscore.auc(y, risk)
    with pytest.raises(microscore.InputError, match="both defaults and non-defaults"):
        _microscore.auc(np.zeros(5), np.arange(5.0))
    bits = np.array([0, 1, 1 << 7 | 1, 0], dtype=np.uint32)
    assert _microscore.flag_text(bits) == ["", "missing", "missing;absent_column", ""]
