"""Scoring and training on Apache Spark (``pip install microscore[spark]``).

Both run on the executors through ``DataFrame.mapInArrow``: Arrow record batches go to the same
Rust functions the command line, the C ABI and the rest of this package call; there is no
per-row Python.

- :func:`score` scores a DataFrame with a model shipped once to the executors (a broadcast of the
  model JSON). Every input row gives one output row: scored, or rejected with the column, the
  value and the reason, as the file scorer does. Nothing is dropped and no bad value fails the
  job; :meth:`Scored.counts` reconciles.
- :func:`train` fits a scorecard without collecting rows to the driver: pre-bin edges from
  Spark's ``approxQuantile``, exact per-partition counts merged on the driver, the optimal
  binning solved there, and Newton steps from per-partition gradient and Hessian sums. The
  model file is the same as everywhere else, and records the pre-bin edges, so that
  ``Scorecard(prebin_edges=...)`` reproduces the bins on one machine.

The executors need ``microscore`` (and ``pyarrow``) installed in the Python they run: point
``PYSPARK_PYTHON`` (or, with spark-submit, ``spark.pyspark.python``) at it before the Spark
context starts. In local mode that is the driver's own interpreter, ``sys.executable``;
otherwise Spark starts the first ``python3`` on the PATH.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from . import Scorecard, _microscore, _native_model
from ._errors import InputError, MicroscoreError, ParameterError
from ._microscore import Model

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["Scored", "check_executors", "quantile_edges", "score", "train"]

#: Columns a rejected row has (null on scored rows).
REJECT_COLUMNS = ("reject_column", "reject_value", "reject_reason")

# Models parsed on an executor, by checksum: a Python worker parses the broadcast model once.
_MODELS: dict[str, Model] = {}


def _ipc(batch: pa.RecordBatch) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def _batches(data: bytes) -> list[pa.RecordBatch]:
    return list(pa.ipc.open_stream(data))


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch with the declared Arrow types (Spark may use large string types)."""
    if batch.schema.equals(schema):
        return batch
    arrays = [batch.column(i).cast(field.type) for i, field in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


@dataclass(frozen=True)
class Scored:
    """The result of :func:`score`: lazy DataFrames over one scoring of the input.

    ``all`` has one row per input row, in input order within each partition: the id column
    (when the model names one and the data has it), the kept columns, ``score``, ``pd``,
    ``grade``, ``decision``, ``limit``, ``annual_rate``, ``expected_loss``, ``reason_1`` ...,
    ``flags``, and ``reject_column``, ``reject_value``, ``reject_reason`` (null on scored rows).
    """

    all: DataFrame
    passed: tuple[str, ...]

    @property
    def scored(self) -> DataFrame:
        """The scored rows, without the reject columns."""
        from pyspark.sql import functions as F

        return self.all.where(F.col("reject_reason").isNull()).drop(*REJECT_COLUMNS)

    @property
    def rejects(self) -> DataFrame:
        """The rejected rows: the id and kept columns, and the column, value and reason."""
        from pyspark.sql import functions as F

        return self.all.where(F.col("reject_reason").isNotNull()).select(*self.passed, *REJECT_COLUMNS)

    def counts(self) -> dict[str, int]:
        """Rows read, scored and rejected (one Spark job); ``read == scored + rejected``."""
        from pyspark.sql import functions as F

        row = self.all.agg(
            F.count(F.lit(1)).alias("read"),
            F.count(F.when(F.col("reject_reason").isNull(), 1)).alias("scored"),
            F.count(F.col("reject_reason")).alias("rejected"),
        ).collect()[0]
        return {"read": int(row["read"]), "scored": int(row["scored"]), "rejected": int(row["rejected"])}

    def write(
        self,
        scored_path: str,
        rejects_path: str,
        *,
        format: str = "parquet",
        mode: str = "errorifexists",
    ) -> dict[str, int]:
        """Write the scored rows and the rejects (scoring once: the result is persisted while
        both are written) and return :meth:`counts`."""
        from pyspark import StorageLevel

        self.all.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            self.scored.write.format(format).mode(mode).save(scored_path)
            self.rejects.write.format(format).mode(mode).save(rejects_path)
            return self.counts()
        finally:
            self.all.unpersist()


def _probe(_: Any) -> tuple[str, str, str]:
    """On an executor: the interpreter and the versions of microscore and pyarrow it imports."""
    import sys

    import pyarrow as executor_pyarrow

    import microscore as executor_microscore

    return sys.executable, executor_microscore.__version__, executor_pyarrow.__version__


def check_executors(spark: Any) -> tuple[str, str, str]:
    """Check, once per Spark context, with a one-task job, that the executors' Python can import
    ``microscore`` (the same version as the driver's) and ``pyarrow``; returns the executors'
    interpreter and versions. Otherwise raise :class:`MicroscoreError` saying what to set.
    :func:`score` and :func:`train` call it before their first job."""
    sc = spark.sparkContext if hasattr(spark, "sparkContext") else spark
    checked = getattr(sc, "_microscore_checked", None)
    if checked is not None:
        return checked  # type: ignore[no-any-return]
    import sys

    try:
        found = sc.parallelize([0], 1).map(_probe).collect()[0]
    except Exception as e:  # noqa: BLE001 - the job's failure is the message
        text = str(e)
        missing = "microscore" if "microscore" in text else "pyarrow" if "pyarrow" in text else None
        what = f"cannot import {missing}" if missing else "failed to run a Python task"
        raise MicroscoreError(
            f"Spark's executors {what}: their Python is not the one with microscore and pyarrow "
            f"installed. Point it at one before the Spark context starts: "
            f"PYSPARK_PYTHON={sys.executable} (or .config('spark.pyspark.python', ...)); on a "
            f"cluster ship an environment with spark-submit --archives env.tar.gz#env "
            f"--conf spark.pyspark.python=./env/bin/python (docs/spark.md). "
            f"The executor said: {text.strip().splitlines()[-1] if text.strip() else text}"
        ) from None
    version = found[1]
    if version != _microscore.VERSION:
        raise MicroscoreError(
            f"Spark's executors run microscore {version} ({found[0]}), the driver {_microscore.VERSION}: "
            f"install the same version on both"
        )
    sc._microscore_checked = found
    return found  # type: ignore[no-any-return]


def score(
    df: DataFrame,
    model: Scorecard | Model | str | os.PathLike[str],
    *,
    keep: Sequence[str] = (),
    reasons: int = 4,
) -> Scored:
    """Score a Spark DataFrame on the executors; see :class:`Scored`.

    ``model`` is a fitted :class:`~microscore.Scorecard`, a :class:`~microscore.Model` or a
    model file path (read on the driver). ``keep`` are input columns passed through (with their
    types). Columns the model needs but the DataFrame lacks raise :class:`InputError` here, before
    any job runs; bad values never fail the job.
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    check_executors(df.sparkSession)
    native = _native_model(model)
    keep = [str(k) for k in keep]
    input_schema = to_arrow_schema(df.schema)
    # The output schema, and every missing column named, from an empty batch on the driver.
    empty = pa.RecordBatch.from_pylist([], schema=input_schema)
    out_schema = pa.ipc.open_stream(_microscore.score_arrow(native, _ipc(empty), keep, reasons)).schema
    spark_schema = from_arrow_schema(out_schema)
    # The id and kept columns come first, the results from "score" on.
    passed = tuple(out_schema.names[: out_schema.names.index("score")])
    shipped = df.sparkSession.sparkContext.broadcast(native.to_json())
    checksum = native.checksum

    def score_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        executor_model = _MODELS.get(checksum)
        if executor_model is None:
            executor_model = _MODELS.setdefault(checksum, _microscore.Model.from_json(shipped.value))
        for batch in batches:
            result = _microscore.score_arrow(executor_model, _ipc(batch), keep, reasons)
            for out in _batches(result):
                yield _conform(out, out_schema)

    return Scored(all=df.mapInArrow(score_partition, spark_schema), passed=passed)


def _kinds(df: DataFrame, categorical: Sequence[str]) -> list[tuple[str, str]]:
    from pyspark.sql import types as T

    kinds = []
    for field in df.schema.fields:
        t = field.dataType
        if field.name in categorical or isinstance(t, T.StringType):
            kinds.append((field.name, "categorical"))
        elif isinstance(t, (T.NumericType, T.BooleanType)):
            kinds.append((field.name, "numeric"))
        else:
            kinds.append((field.name, f"unsupported type {t.simpleString()}"))
    return kinds


def quantile_edges(
    df: DataFrame,
    columns: Sequence[str],
    *,
    prebins: int | None = None,
    specials: Mapping[str, Sequence[float]] | None = None,
    relative_error: float = 1e-4,
) -> dict[str, list[float]]:
    """Pre-bin edges of numeric columns: their ``k / prebins`` quantiles from Spark's
    ``approxQuantile`` (one pass over the data for every column), missing and special values
    left out, duplicates removed. ``prebins`` defaults to the scorecard's default."""
    from pyspark.sql import functions as F

    if prebins is None:
        prebins = int(json.loads(_microscore.TRAIN_DEFAULTS)["prebins"])
    if not columns:
        return {}
    specials = specials or {}
    probabilities = [k / prebins for k in range(1, prebins)]
    values = []
    for c in columns:
        x = F.col(c).cast("double")
        if specials.get(c):
            x = F.when(x.isin([float(s) for s in specials[c]]), F.lit(None)).otherwise(x)
        values.append(x.alias(c))
    quantiles = df.select(*values).approxQuantile(list(columns), probabilities, relative_error)
    return {c: sorted(set(float(q) for q in qs)) for c, qs in zip(columns, quantiles)}


def train(
    df: DataFrame,
    target: str,
    *,
    weight_column: str | None = None,
    prebin_edges: Mapping[str, Sequence[float]] | None = None,
    relative_error: float = 1e-4,
    **settings: Any,
) -> Scorecard:
    """Train a scorecard on a Spark DataFrame without collecting its rows; returns a fitted
    :class:`~microscore.Scorecard`.

    ``target`` is the 0/1 default column; ``settings`` are :class:`~microscore.Scorecard`'s
    parameters (``id_column`` defaults to ``application_id`` when present). The fit is Newton's
    (``solver="newton"``, exact; L-BFGS needs the rows in one place). Numeric candidates get
    pre-bin edges from :func:`quantile_edges` unless ``prebin_edges`` gives them. String columns
    are categorical, numeric and boolean ones numeric; ``categorical`` lists numeric columns to
    read as categories (cast to text).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    if settings.get("solver", "newton") != "newton":
        raise ParameterError("training on Spark uses the newton solver (solver='newton')")
    settings["solver"] = "newton"
    if "feature_names" in settings:
        raise ParameterError("feature_names is for 2-D arrays; a DataFrame has column names")
    check_executors(df.sparkSession)
    card = Scorecard(**settings)
    names = df.columns
    if card.id_column is None and "application_id" in names:
        card.id_column = "application_id"
    for c in [target, *([weight_column] if weight_column else [])]:
        if c not in names:
            raise InputError(f"column '{c}' is not in the DataFrame")
    categorical = [str(c) for c in (card.categorical or [])]
    missing = [c for c in categorical if c not in names]
    if missing:
        raise InputError(f"categorical column(s) not in the DataFrame: {', '.join(missing)}")
    for c in categorical:
        df = df.withColumn(c, F.col(c).cast("string"))
    reserved = {target, weight_column, card.id_column, *(card.protected or []), *(card.exclude or [])}
    kinds = [(c, k) for c, k in _kinds(df, categorical) if c not in reserved or c in (target, weight_column)]
    bad = [f"'{c}' ({k})" for c, k in kinds if k not in ("numeric", "categorical") and c not in reserved]
    if bad:
        raise InputError(
            f"column(s) {', '.join(bad)} cannot be features: cast them, or list them in exclude"
        )
    numeric = [c for c, k in kinds if k == "numeric" and c not in reserved]
    edges = {str(k): [float(x) for x in v] for k, v in (prebin_edges or {}).items()}
    todo = [c for c in numeric if c not in edges]
    edges.update(
        quantile_edges(df, todo, prebins=card.prebins, specials=card.specials, relative_error=relative_error)
    )
    card.prebin_edges = edges
    used = [c for c, _ in kinds]
    data = df.select(*used).persist(StorageLevel.MEMORY_AND_DISK)
    out_schema = pa.schema([("partial", pa.string())])

    def run(request: str) -> list[str]:
        def fold(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            stats = _microscore.PartialStats(request)
            for batch in batches:
                stats.add(_ipc(batch))
            yield pa.RecordBatch.from_pydict({"partial": [stats.finish()]}, schema=out_schema)

        return [row["partial"] for row in data.mapInArrow(fold, "partial string").collect()]

    try:
        model = _microscore.train_partitioned(target, kinds, card._config(weight_column, card.id_column), run)
    finally:
        data.unpersist()
    return Scorecard.from_model(model).set_params(**card.get_params())
