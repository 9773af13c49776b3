"""Shared pieces of the export parity tests (test_export.py, test_spark.py): tables of awkward
applications built from a model's own bins, the Rust scorer's results for them (the reference),
and the comparison every target must pass: scores, PDs, limits and expected losses equal to
1e-9 (relative), and the same grades, decisions, reason codes in the same order and reject
reasons."""

from __future__ import annotations

import csv
import json
import math
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

import microscore
from microscore import _microscore

from conftest import ROOT, run_cli

REASONS = 4
SHARED = ROOT.parent / "shared" / "data"
GERMAN = ROOT / "tests" / "data" / "german_credit" / "german_credit.csv"

#: The result columns compared, by kind.
NUMBERS = ["score", "pd", "limit", "annual_rate", "expected_loss"]
TEXTS = ["grade", "decision", "reject_column", "reject_reason"]
#: Relative tolerance of a number (the issue's 1e-9; most values are bit-identical).
TOLERANCE = 1e-9

_MISSING_TEXT = [None, "", "  ", "NA", " n/a\t", "NuLl", "nan", "N/A"]
_WHITE = [" ", "\t", "\u00a0", "\u3000", "\u2003"]


def _awkward_values(feature: dict[str, Any]) -> list[Any]:
    """Every value whose route is easy to get wrong: edges exactly and one ulp either side,
    specials, NaN, None, +-inf, beyond the training range; each category, padded with white
    space, changed in case, unseen, and the missing tokens."""
    rule = feature["binning"]["rule"]
    if rule["type"] == "numeric":
        values: list[Any] = [None, math.nan, math.inf, -math.inf, 0.0, -0.0, -1e300, 1e300]
        for e in rule["edges"]:
            values += [e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf)]
        for s in rule["specials"]:
            values += [s["value"]] * 3
        if rule.get("min") is not None:
            values += [rule["min"] - 1.0, rule["max"] + 1.0]
        return values
    cats = [c["category"] for c in rule["categories"]]
    values = list(cats)
    for i, c in enumerate(cats):
        w = _WHITE[i % len(_WHITE)]
        values += [f"{w}{c}", f"{c}{w}", c.upper(), c.swapcase()]
    return values + _MISSING_TEXT + ["zz_unseen", "Ω", "O'Brien \"x\"", "back\\slash"]


def _policy_values() -> list[Any]:
    return [None, math.nan, 0.0, 1000.0, 25_000.5, 1e9, -5.0, -0.0, math.inf, -math.inf]


def awkward_table(model: Any, base: pa.Table, seed: int, id_column: str | None) -> pa.Table:
    """`base` (the model's input columns, numbers as float64 and categories as text) with, in
    about half its cells, an awkward value for that column; plus one row per awkward value of
    each feature with the other columns taken from the base. An id column is (re)numbered."""
    spec = json.loads(model.to_json())
    features = {f["name"]: f for f in spec["features"]}
    rng = random.Random(seed)
    base_rows = base.to_pylist()
    columns = [name for name, _ in model.input_columns]
    required = spec["policy"].get("required", [])
    for r in required:
        if r not in columns:
            columns.append(r)
    awkward = {
        name: _awkward_values(features[name]) if name in features else _policy_values()
        for name in columns
    }
    rows: list[dict[str, Any]] = []
    for b in base_rows:
        rows.append(
            {c: (rng.choice(awkward[c]) if rng.random() < 0.5 else b.get(c)) for c in columns}
        )
    for name in columns:
        for v in awkward[name]:
            b = dict(rng.choice(base_rows))
            row = {c: b.get(c) for c in columns}
            row[name] = v
            rows.append(row)
    categorical = dict(model.input_columns)
    arrays: dict[str, pa.Array] = {}
    if id_column is not None:
        arrays[id_column] = pa.array([f"r{i:06d}" for i in range(len(rows))], pa.string())
    for c in columns:
        values = [r[c] for r in rows]
        if categorical.get(c, False):
            arrays[c] = pa.array([None if v is None else str(v) for v in values], pa.string())
        else:
            arrays[c] = pa.array(values, pa.float64())
    return pa.table(arrays)


def typed(table: pa.Table) -> pa.Table:
    """Numbers as float64, everything else as text (how a warehouse table holds the data)."""
    cols = {}
    for name in table.column_names:
        c = table.column(name)
        if pa.types.is_integer(c.type) or pa.types.is_floating(c.type):
            c = c.cast(pa.float64())
        elif not pa.types.is_string(c.type):
            c = c.cast(pa.string())
        cols[name] = c
    return pa.table(cols)


def reference(model: Any, table: pa.Table, reasons: int) -> list[dict[str, Any]]:
    """The Rust scorer's results (the record-batch path that microscore.spark and the CLI
    share), one dict per input row."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        for b in table.to_batches():
            w.write_batch(b)
    out = _microscore.score_arrow(model, sink.getvalue().to_pybytes(), [], reasons, "table")
    rows: list[dict[str, Any]] = pa.ipc.open_stream(out).read_all().to_pylist()
    return rows


def _null(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def compare(
    got: list[dict[str, Any]],
    want: list[dict[str, Any]],
    reasons: int,
    *,
    columns: list[str] | None = None,
    scored_only: bool = False,
) -> dict[str, Any]:
    """Compare a target's rows with the reference, row by row; raise AssertionError listing
    the first differences. Returns counts (rows, numbers compared, numbers bit-identical)."""
    assert len(got) == len(want), f"{len(got)} rows, the scorer gives {len(want)}"
    keys = columns or NUMBERS + TEXTS + [f"reason_{j}" for j in range(1, reasons + 1)]
    problems: list[str] = []
    numbers = identical = compared_rows = 0
    inexact: dict[str, int] = {}
    for i, (g, w) in enumerate(zip(got, want)):
        if scored_only and _null(w.get("score")):
            continue
        compared_rows += 1
        for k in keys:
            x, y = g.get(k), w.get(k)
            if k in NUMBERS:
                if _null(x) and _null(y):
                    continue
                if _null(x) or _null(y):
                    problems.append(f"row {i} {k}: {x!r}, the scorer gives {y!r}")
                    continue
                numbers += 1
                x, y = float(x), float(y)
                if x == y:
                    identical += 1
                else:
                    inexact[k] = inexact.get(k, 0) + 1
                if x == y:
                    pass
                elif not abs(x - y) <= TOLERANCE * max(abs(y), 1e-300):
                    problems.append(f"row {i} {k}: {x!r}, the scorer gives {y!r}")
            else:
                if (_null(x) or x == "") and (_null(y) or y == ""):
                    continue
                if x != y:
                    problems.append(f"row {i} {k}: {x!r}, the scorer gives {y!r}")
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:25])
    counts: dict[str, Any] = {"rows": compared_rows, "numbers": numbers, "identical": identical}
    if inexact:
        counts["not bit-identical"] = inexact
    return counts


def order_by_id(rows: list[dict[str, Any]], id_column: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: str(r[id_column]))


def as_python(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_base(path: Path, model: Any, limit: int | None = None) -> pa.Table:
    """A CSV as the model reads it: its categorical inputs as text, numbers as float64."""
    cat = {name for name, categorical in model.input_columns if categorical}
    table = pcsv.read_csv(
        path, convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in cat})
    )
    if limit is not None:
        table = table.slice(0, limit)
    cols = {}
    for name in table.column_names:
        c = table.column(name)
        if name not in cat and (pa.types.is_integer(c.type) or pa.types.is_floating(c.type)):
            c = c.cast(pa.float64())
        cols[name] = c
    return pa.table(cols)


def _with_row_id(src: Path, dst: Path, target: str | None = None, rows: int | None = None) -> None:
    with open(src, newline="") as f, open(dst, "w", newline="") as g:
        r = csv.reader(f)
        w = csv.writer(g)
        header = next(r)
        w.writerow(["row_id", *header])
        for i, row in enumerate(r):
            if rows is not None and i >= rows:
                break
            w.writerow([f"r{i:06d}", *row])


class Case:
    """A model and an awkward table (with its id column) for the parity tests."""

    def __init__(self, name: str, model: Any, table: pa.Table, id_column: str) -> None:
        self.name = name
        self.model = model
        self.table = table
        self.id_column = id_column
        self.want = order_by_id(reference(model, table, REASONS), id_column)


def _generated(tmp: Path) -> Case:
    model = microscore.default_model()._model()
    apps = tmp / "generated.csv"
    run_cli("synth", "--rows", "1500", "--seed", "21", "--no-label", "--out", apps)
    base = read_base(apps, model)
    return Case("generated", model, awkward_table(model, base, 1, "application_id"), "application_id")


def _german(tmp: Path, rounded: bool = False) -> Case:
    """German credit with a loan amount, a special value and (`rounded`) whole points, where
    two features often lose the same points: reason ties, broken in feature order."""
    train = tmp / "german.csv"
    _with_row_id(GERMAN, train)
    path = tmp / f"german{'-rounded' if rounded else ''}.json"
    run_cli(
        "train", "--data", train, "--target", "creditability", "--bad-values", "bad",
        "--id", "row_id", "--amount-column", "credit_amount",
        "--special", "duration_in_month=24", "--out", path, "--force",
        *(["--round-points"] if rounded else []),
    )
    model = microscore.load(path)._model()
    base = read_base(train, model)
    name = "german, whole points" if rounded else "german"
    return Case(name, model, awkward_table(model, base, 2, "row_id"), "row_id")


def _hmeq(tmp: Path) -> Case:
    src = SHARED / "hmeq_home_equity" / "hmeq_home_equity.csv"
    train = tmp / "hmeq.csv"
    _with_row_id(src, train, rows=3000)
    path = tmp / "hmeq.json"
    run_cli(
        "train", "--data", train, "--target", "BAD", "--id", "row_id",
        "--amount-column", "LOAN", "--out", path,
    )
    model = microscore.load(path)._model()
    base = read_base(train, model)
    return Case("hmeq", model, awkward_table(model, base, 3, "row_id"), "row_id")


def build_cases(tmp: Path) -> list[Case]:
    """The parity cases: generated applications (built-in model), German credit (twice: with
    and without whole points) and, when ../shared is present (required under CI=true), HMEQ."""
    out = [_generated(tmp), _german(tmp), _german(tmp, rounded=True)]
    if SHARED.is_dir():
        out.append(_hmeq(tmp))
    elif os.environ.get("CI") == "true":
        raise RuntimeError("../shared/data is not present, and CI=true requires it")
    else:
        print("skipped: ../shared not present (HMEQ parity case)")
    return out
