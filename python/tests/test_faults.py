"""Faults from Python: no input passes silently as something else, no panic surfaces as a
PanicException, and outputs written from several threads never collide."""

from __future__ import annotations

import decimal
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import microscore


@pytest.fixture(scope="module")
def card() -> microscore.Scorecard:
    return microscore.default_model()


def _apps(applications_csv: Path) -> pd.DataFrame:
    return microscore.read_table(applications_csv).head(50)


def test_complex_numbers_are_refused(card: microscore.Scorecard, applications_csv: Path) -> None:
    X = _apps(applications_csv)
    X["monthly_revenue"] = X["monthly_revenue"].astype(complex) + 1j
    with pytest.raises(microscore.InputError, match="complex"):
        card.score_points(X)
    objects = _apps(applications_csv)
    objects["monthly_revenue"] = np.array([complex(1, 2)] * len(objects), dtype=object)
    with pytest.raises(microscore.InputError, match=r"column 'monthly_revenue', row 1: value \(1\+2j\) is a complex number"):
        card.score_points(objects)


def test_decimal_columns_are_numbers(card: microscore.Scorecard, applications_csv: Path) -> None:
    X = _apps(applications_csv)
    as_decimal = X.copy()
    as_decimal["monthly_revenue"] = [decimal.Decimal(str(v)) if v == v else None for v in X["monthly_revenue"]]
    assert np.array_equal(card.score_points(as_decimal), card.score_points(X))


def test_top_k_must_be_a_whole_number(card: microscore.Scorecard, applications_csv: Path) -> None:
    X = _apps(applications_csv)
    for bad in (None, 2.5, "4", True):
        with pytest.raises(microscore.ParameterError, match="top_k"):
            card.explain(X, top_k=bad)  # type: ignore[arg-type]


def test_threads_writing_one_target_never_collide(applications_csv: Path, tmp_path: Path) -> None:
    model = microscore.default_model()
    reference = tmp_path / "reference.csv"
    microscore.score_file(model, applications_csv, reference)
    target = tmp_path / "target.csv"
    errors: list[BaseException] = []

    def write(force: bool) -> None:
        try:
            microscore.score_file(model, applications_csv, target, force=force)
        except BaseException as e:  # noqa: BLE001 - collected and checked below
            errors.append(e)

    # Without force: one thread writes the file, the others are told it exists.
    threads = [threading.Thread(target=write, args=(False,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 3 and all(isinstance(e, FileExistsError) for e in errors), errors
    assert target.read_bytes() == reference.read_bytes()
    # With force: every commit is a whole file.
    errors.clear()
    threads = [threading.Thread(target=write, args=(True,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert target.read_bytes() == reference.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary left"


def test_a_corrupt_parquet_file_is_an_error_not_a_panic(tmp_path: Path) -> None:
    import random

    good = tmp_path / "good.parquet"
    from conftest import run_cli

    run_cli("synth", "--rows", "2000", "--out", good)
    data = good.read_bytes()
    rng = random.Random(7)
    for _ in range(40):
        b = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            b[len(b) - 1 - rng.randrange(min(2000, len(b)))] = rng.randrange(256)
        bad = tmp_path / "bad.parquet"
        bad.write_bytes(bytes(b))
        try:
            summary = microscore.score_file(microscore.default_model(), bad, tmp_path / "s.csv", force=True)
        except microscore.MicroscoreError as e:
            assert "bad.parquet" in str(e)
        else:
            assert summary["rows_read"] == summary["rows_scored"] + summary["rows_rejected"]
