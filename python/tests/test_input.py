"""The input layer from Python: data frames through the Arrow PyCapsule interface (polars,
DuckDB, pyarrow) give what pandas gives, bit for bit, for scoring and training; files in other
dialects (semicolon, decimal comma, tab, quoted line breaks, Parquet, no extension) are read
by ``read_table``, ``score_file`` and ``evaluate`` as the CLI reads them; a UTF-16 file is an
``InputError`` that names its encoding."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import microscore

from conftest import run_cli

pl = pytest.importorskip("polars")


def test_polars_frames_score_and_train_as_pandas_frames(labelled_csv: Path, tmp_path: Path) -> None:
    df = pd.read_csv(labelled_csv, keep_default_na=True)
    lf = pl.read_csv(labelled_csv)
    card = microscore.default_model()
    a = card.score_points(df)
    b = card.score_points(lf)
    assert np.array_equal(a, b, equal_nan=True)
    assert card.decide(df)["decision"].tolist() == list(card.decide(lf)["decision"])
    # Training: the same model from either frame.
    y = df["default_12m"].to_numpy()
    X = df.drop(columns=["default_12m", "application_id"])
    Xl = lf.drop(["default_12m", "application_id"])
    m1 = microscore.Scorecard().fit(X, y)
    m2 = microscore.Scorecard().fit(Xl, y)
    m1.save(tmp_path / "pandas.json")
    m2.save(tmp_path / "polars.json")
    assert (tmp_path / "pandas.json").read_bytes() == (tmp_path / "polars.json").read_bytes()
    assert np.array_equal(m1.predict_proba(X), m2.predict_proba(Xl))


def test_duckdb_and_pyarrow_results_are_read_through_the_capsule(applications_csv: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    pa = pytest.importorskip("pyarrow")
    card = microscore.default_model()
    df = pd.read_csv(applications_csv)
    want = card.score_points(df)
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_csv_auto('{applications_csv}')")
    assert np.array_equal(card.score_points(rel), want, equal_nan=True)
    # A pyarrow Table (its own path) and a RecordBatchReader (the capsule) agree.
    table = pa.Table.from_pandas(df)
    assert np.array_equal(card.score_points(table), want, equal_nan=True)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=500))
    assert np.array_equal(card.score_points(reader), want, equal_nan=True)


def test_an_unsupported_arrow_type_names_its_column(applications_csv: Path) -> None:
    card = microscore.default_model()
    lf = pl.read_csv(applications_csv).with_columns(pl.lit([1, 2]).alias("province"))
    with pytest.raises(microscore.InputError, match="province"):
        card.score_points(lf)


def _dialects(src: Path, dir: Path) -> list[tuple[str, Path, dict[str, object]]]:
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    rows[0].append("officer_note")
    for i, r in enumerate(rows[1:]):
        r.append("line one\nline two, \"quoted\"" if i % 3 == 0 else "")
    out = []
    for name, delim, comma in [("semicolon", ";", False), ("tab", "\t", False), ("euro", ";", True)]:
        path = dir / f"{name}.{'tsv' if delim == chr(9) else 'csv'}"
        with open(path, "w", newline="") as f:
            w = csv.writer(f, delimiter=delim)
            w.writerow(rows[0])
            for r in rows[1:]:
                w.writerow(
                    [v.replace(".", ",") if comma and _is_number(v) else v for v in r]
                )
        out.append((name, path, {"decimal_comma": True} if comma else {}))
    return out


def _is_number(v: str) -> bool:
    try:
        float(v)
        return v != ""
    except ValueError:
        return False


def test_files_in_every_dialect_read_as_the_cli_reads_them(
    labelled_csv: Path, tmp_path: Path
) -> None:
    base = microscore.read_table(labelled_csv)
    base_out = tmp_path / "base.csv"
    microscore.score_file(microscore.default_model(), labelled_csv, base_out)
    base_eval = microscore.evaluate(microscore.default_model(), labelled_csv)
    for name, path, opts in _dialects(labelled_csv, tmp_path):
        t = microscore.read_table(path, **opts)
        for c in base.columns if hasattr(base, "columns") else base:
            assert np.array_equal(
                np.asarray(t[c]).astype(str), np.asarray(base[c]).astype(str)
            ), f"{name}: {c}"
        out = tmp_path / f"{name}.out.csv"
        summary = microscore.score_file(microscore.default_model(), path, out, **opts)
        assert summary["rows_read"] == 5000 and summary["rows_rejected"] == 0, summary
        assert "csv (" in summary["read_as"]
        assert out.read_bytes() == base_out.read_bytes(), name
        e = microscore.evaluate(microscore.default_model(), path, **opts)
        assert e["discrimination"] == base_eval["discrimination"], name
    # Parquet, also without an extension.
    pq = tmp_path / "labelled.parquet"
    run_cli("synth", "--rows", "5000", "--seed", "11", "--out", pq)
    bare = tmp_path / "export_without_extension"
    bare.write_bytes(pq.read_bytes())
    for p in (pq, bare):
        out = tmp_path / "pq.out.csv"
        microscore.score_file(microscore.default_model(), p, out, force=True)
        assert out.read_bytes() == base_out.read_bytes()
        e = microscore.evaluate(microscore.default_model(), p)
        assert e["discrimination"] == base_eval["discrimination"]
        t = microscore.read_table(p)
        assert np.allclose(
            np.asarray(t["monthly_revenue"], dtype=float),
            np.asarray(base["monthly_revenue"], dtype=float),
            equal_nan=True,
        )


def test_utf16_is_named_and_bad_delimiters_refused(applications_csv: Path, tmp_path: Path) -> None:
    u16 = tmp_path / "unicode.csv"
    u16.write_bytes(applications_csv.read_text().encode("utf-16"))
    with pytest.raises(microscore.InputError, match="UTF-16"):
        microscore.read_table(u16)
    with pytest.raises(microscore.InputError, match="UTF-16"):
        microscore.score_file(microscore.default_model(), u16, tmp_path / "o.csv")
    with pytest.raises(microscore.InputError, match="UTF-16"):
        microscore.evaluate(microscore.default_model(), u16)
    with pytest.raises(microscore.ParameterError, match="delimiter"):
        microscore.read_table(applications_csv, delimiter=":")
    summary = json.dumps(
        microscore.score_file(
            microscore.default_model(), applications_csv, tmp_path / "o2.csv", delimiter=","
        )
    )
    assert "comma" in summary
