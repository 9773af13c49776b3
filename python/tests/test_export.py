"""Exports give the scorer's numbers: the SQL of `microscore export` run in SQLite, DuckDB and
PostgreSQL (a real server, from the `pgserver` package), and the PMML run by JPMML (the
`jpmml_evaluator` package on the installed Java), on generated applications, on German credit
(tests/data) and on HMEQ (../shared/data, which has missing values), each with every awkward
value (missing, NaN, +-inf, edges exactly and one ulp either side, specials, padded, re-cased
and unseen categories, missing tokens, invalid amounts). Scores, PDs, limits and expected losses
equal to 1e-9, the same grades, decisions, reason codes in order and rejects. Spark SQL is
checked in test_spark.py with the same tables."""

from __future__ import annotations

import os
import re
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import microscore
from microscore import ParameterError

from conftest import run_cli
from export_parity import REASONS, Case, compare, order_by_id


def _required(module: str) -> Any:
    """The engines are part of the test command: under CI=true a missing one is a failure."""
    if os.environ.get("CI") == "true":
        return __import__(module)
    return pytest.importorskip(module)


def _check(case: Case, got: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    counts = compare(order_by_id(got, case.id_column), case.want, REASONS, **kw)
    assert counts["rows"] > 0 and counts["numbers"] > 0
    return counts


# -- SQL ---------------------------------------------------------------------------------------


def test_sqlite_gives_the_scorers_numbers(export_cases: list[Case]) -> None:
    for case in export_cases:
        sql = case.model.to_sql("sqlite", "applications", REASONS)
        con = sqlite3.connect(":memory:")
        names = case.table.column_names
        decl = ", ".join(
            f'"{n}" ' + ("REAL" if pa.types.is_floating(case.table.schema.field(n).type) else "TEXT")
            for n in names
        )
        con.execute(f"CREATE TABLE applications ({decl})")
        con.executemany(
            f"INSERT INTO applications VALUES ({', '.join('?' * len(names))})",
            [tuple(r[n] for n in names) for r in case.table.to_pylist()],
        )
        cur = con.execute(sql)
        cols = [c[0] for c in cur.description]
        got = [dict(zip(cols, r)) for r in cur.fetchall()]
        print(case.name, "sqlite", _check(case, got))


def test_duckdb_gives_the_scorers_numbers(export_cases: list[Case]) -> None:
    duckdb = _required("duckdb")
    for case in export_cases:
        con = duckdb.connect()
        con.register("applications", case.table)
        got = con.sql(case.model.to_sql("duckdb", "applications", REASONS)).to_arrow_table().to_pylist()
        print(case.name, "duckdb", _check(case, got))


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # pgserver asks platformdirs for a runtime folder, which warns when XDG_RUNTIME_DIR is
    # unset (as in CI containers); the warning is about pgserver's setup, not about microscore.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        pgserver = _required("pgserver")
        psycopg = _required("psycopg")
        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as con:
        yield con


def test_postgres_gives_the_scorers_numbers(export_cases: list[Case], postgres: Any) -> None:
    for case in export_cases:
        names = case.table.column_names
        decl = ", ".join(
            f'"{n}" '
            + ("DOUBLE PRECISION" if pa.types.is_floating(case.table.schema.field(n).type) else "TEXT")
            for n in names
        )
        postgres.execute("DROP TABLE IF EXISTS applications")
        postgres.execute(f"CREATE TABLE applications ({decl})")
        with postgres.cursor() as cur:
            with cur.copy(f"COPY applications ({', '.join(chr(34) + n + chr(34) for n in names)}) FROM STDIN") as copy:
                for r in case.table.to_pylist():
                    copy.write_row(tuple(r[n] for n in names))
            cur.execute(case.model.to_sql("postgres", "applications", REASONS))
            cols = [c.name for c in cur.description]
            got = [dict(zip(cols, r)) for r in cur.fetchall()]
        print(case.name, "postgres", _check(case, got))


def test_sql_header_names_the_model_and_every_dialect_quotes_names() -> None:
    card = microscore.default_model()
    model = card._model()
    for dialect in ("postgres", "duckdb", "sqlite", "spark"):
        sql = card.to_sql(dialect, "loans.applications", 2)
        assert sql.splitlines()[0].startswith(f"-- microscore scorecard {model.checksum}")
        assert "FROM loans.applications" in sql
        assert "reason_2" in sql and "reason_3" not in sql
        quote = "`" if dialect == "spark" else '"'
        assert f"{quote}monthly_revenue{quote}" in sql
    with pytest.raises(ParameterError, match="dialect"):
        card.to_sql("oracle")
    with pytest.raises(ParameterError, match="reasons"):
        card.to_sql("duckdb", "t", 1000)
    with pytest.raises(ParameterError, match="table"):
        card.to_sql("duckdb", "t; DROP TABLE t", 2)


def test_cli_export_writes_the_same_sql_and_pmml(tmp_path: Path) -> None:
    card = microscore.default_model()
    out = tmp_path / "q.sql"
    run_cli("export", "--format", "sql", "--dialect", "sqlite", "--reasons", "3", "--out", out)
    assert out.read_text() == card.to_sql("sqlite", "applications", 3)
    run_cli("export", "--format", "pmml", "--out", tmp_path / "m.pmml")
    assert (tmp_path / "m.pmml").read_text() == card.to_pmml(4)


# -- PMML --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jpmml() -> Any:
    return _required("jpmml_evaluator")


def _pmml_rows(jpmml: Any, pmml: str, table: pa.Table, tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "model.pmml"
    path.write_text(pmml)
    evaluator = jpmml.make_evaluator(str(path), backend="jpype").verify()
    frame = table.to_pandas()
    # The evaluator takes None for missing; NaN and +-inf stay numbers (the PMML makes them
    # missing, as the scorer does).
    frame = frame.astype(object).where(frame.notna() | frame.map(lambda v: isinstance(v, float)), None)
    out = evaluator.evaluateAll(frame)
    rows: list[dict[str, Any]] = out.to_dict("records")
    for r, id_ in zip(rows, table.column(0).to_pylist()):
        r["__id"] = id_
    return rows


def test_pmml_gives_the_scorers_scores_pds_grades_and_reasons(
    export_cases: list[Case], jpmml: Any, tmp_path: Path
) -> None:
    for case in export_cases:
        pmml = case.model.to_pmml(REASONS)
        got = _pmml_rows(jpmml, pmml, case.table, tmp_path)
        for r in got:
            r[case.id_column] = r.pop("__id")
        keys = ["score", "pd", "grade"] + [f"reason_{j}" for j in range(1, REASONS + 1)]
        print(case.name, "pmml", _check(case, got, columns=keys, scored_only=True))


def test_pmml_is_a_pmml_4_4_scorecard_with_reason_codes() -> None:
    pmml = microscore.default_model().to_pmml(4)
    assert '<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">' in pmml
    assert re.search(r'<Scorecard [^>]*useReasonCodes="true"[^>]*reasonCodeAlgorithm="pointsBelow"', pmml)
    assert pmml.count("baselineScore=") == len(microscore.default_model()._model().features)
    assert 'name="pd"' in pmml and 'name="grade"' in pmml and 'rank="4"' in pmml
