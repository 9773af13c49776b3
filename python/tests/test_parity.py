"""Python gives the same numbers as the CLI, bit for bit, whatever the input type.

The C examples are held to the same CLI output by `make -C examples test`, so Python = CLI = C.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest

import microscore
from conftest import read_csv_rows, run_cli

OUTPUT_COLUMNS = ["score", "pd", "limit", "annual_rate", "expected_loss"]


def assert_same_as_cli(card: microscore.Scorecard, data: object, cli: list[dict[str, str]]) -> None:
    decided = card.decide(data, as_frame=False)
    explained = card.explain(data, top_k=4, as_frame=False)
    assert len(decided["score"]) == len(cli)
    for col in OUTPUT_COLUMNS:
        # An empty cell (no limit without loan sizing) is NaN.
        expected = np.array([float(r[col]) if r[col] != "" else np.nan for r in cli])
        got = decided[col]
        # Bit-identical: the CLI writes the shortest text that round-trips to the same double.
        assert np.array_equal(got, expected, equal_nan=True), col
        assert got.tobytes() == expected.tobytes(), col
    assert list(decided["grade"]) == [r["grade"] for r in cli]
    assert list(decided["decision"]) == [r["decision"] for r in cli]
    assert list(decided["flags"]) == [r["flags"] for r in cli]
    for j in range(1, 5):
        assert [c or "" for c in explained[f"reason_{j}"]] == [r[f"reason_{j}"] for r in cli]
    assert np.array_equal(explained["score"], decided["score"])


def test_default_model_pandas_read_csv(applications_csv: Path, default_cli_scores: list[dict[str, str]]) -> None:
    df = pd.read_csv(applications_csv)
    assert_same_as_cli(microscore.default_model(), df, default_cli_scores)


def test_default_model_microscore_reader(applications_csv: Path, default_cli_scores: list[dict[str, str]]) -> None:
    df = microscore.read_table(applications_csv)
    assert isinstance(df["province"].dtype, pd.CategoricalDtype)
    assert_same_as_cli(microscore.default_model(), df, default_cli_scores)
    as_dict = microscore.read_table(applications_csv, as_frame=False)
    assert isinstance(as_dict, dict)
    assert_same_as_cli(microscore.default_model(), as_dict, default_cli_scores)


def test_default_model_arrow(applications_csv: Path, default_cli_scores: list[dict[str, str]]) -> None:
    table = pacsv.read_csv(applications_csv)
    assert_same_as_cli(microscore.default_model(), table, default_cli_scores)


def test_default_model_numpy_2d(applications_csv: Path, default_cli_scores: list[dict[str, str]]) -> None:
    df = pd.read_csv(applications_csv)
    numeric = df.select_dtypes("number")
    card = microscore.default_model()
    # The numeric columns as one float matrix, named by feature_names: the same scores as the
    # same columns in a frame (text columns are then absent in both, scored as missing only
    # with the opt-in).
    named = microscore.Scorecard.from_model(card.model_).set_params(feature_names=list(numeric.columns))
    assert np.array_equal(
        named.score_points(numeric.to_numpy(), missing_columns="as_missing"),
        card.score_points(numeric, missing_columns="as_missing"),
    )
    with pytest.raises(microscore.InputError, match="province"):
        named.score_points(numeric.to_numpy())
    with pytest.raises(microscore.InputError, match="feature_names"):
        microscore.Scorecard().fit(np.zeros((2, 3)), [0, 1])


def test_dict_of_arrays(applications_csv: Path, default_cli_scores: list[dict[str, str]]) -> None:
    df = pd.read_csv(applications_csv)
    data = {c: (df[c].to_numpy(dtype=object) if df[c].dtype == object else df[c].to_numpy()) for c in df}
    assert_same_as_cli(microscore.default_model(), data, default_cli_scores)


def test_score_file_matches_cli_bytes(applications_csv: Path, tmp_path: Path) -> None:
    cli_out = tmp_path / "cli.csv"
    py_out = tmp_path / "py.csv"
    run_cli("score", "--data", applications_csv, "--out", cli_out, "--quiet")
    summary = microscore.score_file(microscore.default_model(), applications_csv, py_out)
    assert summary["rows_read"] == 3000 == summary["rows_scored"] + summary["rows_rejected"]
    assert py_out.read_bytes() == cli_out.read_bytes()


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_training_equals_cli(labelled_csv: Path, tmp_path: Path, solver: str) -> None:
    model_path = tmp_path / "cli.json"
    run_cli("train", "--data", labelled_csv, "--target", "default_12m", "--solver", solver,
            "--max-bins", "8", "--out", model_path, "--quiet")
    df = microscore.read_table(labelled_csv)
    y = df.pop("default_12m")
    card = microscore.Scorecard(solver=solver, max_bins=8).fit(df, y)
    assert json.loads(card.model_.to_json()) == json.loads(model_path.read_text())
    assert card.model_.checksum == json.loads(model_path.read_text())["checksum"]

    # And the two score the same file identically.
    out = tmp_path / "cli_scores.csv"
    run_cli("score", "--model", model_path, "--data", labelled_csv, "--out", out, "--quiet")
    assert_same_as_cli(card, df, read_csv_rows(out))
