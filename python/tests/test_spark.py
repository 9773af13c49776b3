"""microscore.spark on a real local Spark (local[2]): scoring equals the CLI bit for bit, bad rows
are rejected with the file scorer's reasons and counted, and training on partitions equals
training on one machine with the same pre-bin edges."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import microscore

from conftest import read_csv_rows, run_cli

if os.environ.get("CI") and not os.environ.get("MICROSCORE_SKIP_SPARK"):
    import pyspark  # noqa: F401  (CI must run these tests: fail loudly if pyspark is missing)
else:
    pytest.importorskip("pyspark")

import microscore.spark as ms  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    # The Python workers run this interpreter (with microscore and pyarrow), not the first
    # `python3` on the PATH (PySpark reads PYSPARK_PYTHON when the context starts).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("microscore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _bits(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and x != x) else float(x)


def test_scores_equal_the_cli_bit_for_bit(
    spark: SparkSession, applications_csv: Path, default_cli_scores: list[dict[str, str]]
) -> None:
    df = spark.read.csv(str(applications_csv), header=True, inferSchema=True).repartition(3)
    scored = ms.score(df, microscore.default_model(), keep=["province"])
    rows = {r["application_id"]: r for r in scored.all.collect()}
    assert len(rows) == len(default_cli_scores)
    for cli in default_cli_scores:
        r = rows[cli["application_id"]]
        assert r["reject_reason"] is None
        assert r["province"] is not None
        # The CLI writes shortest round-trip decimals: parsing them back gives the same f64.
        assert r["score"] == float(cli["score"]) and r["pd"] == float(cli["pd"])
        assert r["grade"] == cli["grade"] and r["decision"] == cli["decision"]
        assert _bits(r["limit"]) == _bits(float(cli["limit"]) if cli["limit"] else None)
        assert [r[f"reason_{k}"] or "" for k in range(1, 5)] == [cli[f"reason_{k}"] for k in range(1, 5)]
        assert (r["flags"] or "") == cli["flags"]
    assert scored.counts() == {"read": len(rows), "scored": len(rows), "rejected": 0}


def test_bad_rows_are_rejected_like_the_file_scorer(
    spark: SparkSession, applications_csv: Path, tmp_path: Path
) -> None:
    # Faults: text in a numeric column, an empty required amount, an infinite revenue.
    frame = pd.read_csv(applications_csv, dtype=str, keep_default_na=False)
    frame.loc[3, "monthly_revenue"] = "lots"
    frame.loc[10, "requested_amount"] = ""
    frame.loc[20, "debt_to_income"] = "abc"
    faulty = tmp_path / "faulty.csv"
    frame.to_csv(faulty, index=False)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    try:
        run_cli("score", "--data", faulty, "--out", out, "--rejects", rejects, "--quiet")
    except Exception:
        pass  # exit code 2: some rows rejected
    cli_rejects = sorted((r["column"], r["value"], r["reason"]) for r in read_csv_rows(rejects))
    assert len(cli_rejects) == 3

    # Every column as text, as a CSV read without a schema gives it.
    df = spark.read.csv(str(faulty), header=True).repartition(2)
    scored = ms.score(df, microscore.default_model())
    got = sorted(
        (r["reject_column"], r["reject_value"], r["reject_reason"]) for r in scored.rejects.collect()
    )
    assert got == cli_rejects
    counts = scored.counts()
    assert counts == {"read": len(frame), "scored": len(frame) - 3, "rejected": 3}
    # The scored rows are the CLI's.
    cli_scores = {r["application_id"]: float(r["score"]) for r in read_csv_rows(out)}
    spark_scores = {r["application_id"]: r["score"] for r in scored.scored.collect()}
    assert spark_scores == cli_scores

    # Written out: both parts, counted once more.
    written = scored.write(str(tmp_path / "scored.parquet"), str(tmp_path / "rejects.parquet"))
    assert written == counts
    assert spark.read.parquet(str(tmp_path / "rejects.parquet")).count() == 3
    assert spark.read.parquet(str(tmp_path / "scored.parquet")).count() == len(frame) - 3


def test_missing_columns_fail_before_any_job(spark: SparkSession, applications_csv: Path) -> None:
    df = spark.read.csv(str(applications_csv), header=True, inferSchema=True)
    with pytest.raises(microscore.InputError, match="monthly_revenue"):
        ms.score(df.drop("monthly_revenue"), microscore.default_model())
    with pytest.raises(microscore.InputError, match="nope"):
        ms.score(df, microscore.default_model(), keep=["nope"])


def test_training_on_partitions_equals_one_machine(spark: SparkSession, labelled_csv: Path) -> None:
    df = spark.read.csv(str(labelled_csv), header=True, inferSchema=True).repartition(4)
    card = ms.train(df, "default_12m", protected=["gender"], specials={"existing_loans": [0]})
    edges = card.training_summary["settings"]["prebin_edges"]
    assert "monthly_revenue" in edges and "province" not in edges

    local = pd.read_csv(labelled_csv)
    y = local.pop("default_12m")
    single = microscore.Scorecard(
        solver="newton", protected=["gender"], specials={"existing_loans": [0]}, prebin_edges=edges
    ).fit(local, y)
    spark_model = json.loads(card.model_.to_json())
    single_model = json.loads(single.model_.to_json())
    assert [f["name"] for f in spark_model["features"]] == [f["name"] for f in single_model["features"]]
    for a, b in zip(spark_model["features"], single_model["features"]):
        assert a["binning"] == b["binning"], a["name"]
        assert abs(a["coefficient"] - b["coefficient"]) < 1e-6
    assert abs(spark_model["intercept"] - single_model["intercept"]) < 1e-6
    assert spark_model["training"]["rows"] == single_model["training"]["rows"] == len(local)

    # The Spark-trained model scores on Spark exactly as on one machine.
    scored = ms.score(df, card).all.select("application_id", "score").collect()
    mine = dict(zip(local["application_id"], card.score_points(local)))
    assert {r["application_id"]: r["score"] for r in scored} == mine


def test_training_rejects_what_it_cannot_use(spark: SparkSession, labelled_csv: Path) -> None:
    df = spark.read.csv(str(labelled_csv), header=True, inferSchema=True)
    with pytest.raises(microscore.ParameterError, match="newton"):
        ms.train(df, "default_12m", solver="lbfgs")
    with pytest.raises(microscore.InputError, match="'nope'"):
        ms.train(df, "nope")
    dated = df.withColumn("applied_on", F.current_date())
    with pytest.raises(microscore.InputError, match="applied_on"):
        ms.train(dated, "default_12m")
    # A target value that is not 0/1 fails the job with the column named.
    broken = df.withColumn("default_12m", F.when(F.col("applicant_age") == 30, 2).otherwise(F.col("default_12m")))
    with pytest.raises(Exception, match="default_12m"):
        ms.train(broken, "default_12m")


def test_executors_are_checked_once(spark: SparkSession) -> None:
    interpreter, version, _ = ms.check_executors(spark)
    assert interpreter == sys.executable and version == microscore.__version__
    assert ms.check_executors(spark) == (interpreter, version, _)


def test_executors_without_microscore_say_what_to_set(tmp_path: Path) -> None:
    """A Spark whose workers run an interpreter without microscore: a clear error, not a task
    failure deep in a job (run in a fresh process: the interpreter is fixed per context)."""
    import shutil
    import subprocess

    bare = shutil.which("python3")
    if bare is None or subprocess.run([bare, "-c", "import microscore"], capture_output=True).returncode == 0:
        pytest.skip("no python3 without microscore on the PATH")
    script = tmp_path / "probe.py"
    script.write_text(
        "import os, sys\n"
        f"os.environ['PYSPARK_PYTHON'] = {bare!r}\n"
        "from pyspark.sql import SparkSession\n"
        "import microscore, microscore.spark as ms\n"
        "s = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate()\n"
        "s.sparkContext.setLogLevel('OFF')\n"
        "try:\n"
        "    ms.check_executors(s)\n"
        "except microscore.MicroscoreError as e:\n"
        "    print('ERROR', e)\n"
        "s.stop()\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert "ERROR Spark's executors cannot import" in out.stdout, out.stdout + out.stderr[-2000:]
    assert "PYSPARK_PYTHON=" in out.stdout and "spark.pyspark.python" in out.stdout


def test_spark_sql_export_gives_the_scorers_numbers(spark: SparkSession, export_cases: list[Any]) -> None:
    """The SQL of `microscore export --dialect spark` in Spark SQL, on the awkward tables of
    test_export.py: the scorer's scores, PDs, grades, decisions, limits, reasons and rejects."""
    import pyarrow as pa
    from pyspark.sql import types as T

    from export_parity import REASONS, compare, order_by_id

    for case in export_cases:
        fields = [
            T.StructField(f.name, T.DoubleType() if pa.types.is_floating(f.type) else T.StringType())
            for f in case.table.schema
        ]
        rows = [tuple(r[f.name] for f in case.table.schema) for r in case.table.to_pylist()]
        df = spark.createDataFrame(rows, T.StructType(fields)).repartition(3)
        df.createOrReplaceTempView("applications")
        got = [r.asDict() for r in spark.sql(case.model.to_sql("spark", "applications", REASONS)).collect()]
        counts = compare(order_by_id(got, case.id_column), case.want, REASONS)
        assert counts["numbers"] > 0
        print(case.name, "spark", counts)
