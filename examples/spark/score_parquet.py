"""Score a partitioned Parquet dataset of generated applications on Spark, and time it.

    cargo build --release                       # the generator (microscore synth)
    pip install ./python "pyspark>=4.0"         # microscore with its native module, and Spark
    python examples/spark/score_parquet.py --rows 20000000 --dir target/spark-demo

Steps (each timed):
1. `microscore synth` writes the applications as one Parquet file (skipped when present);
2. Spark rewrites them as a dataset partitioned by province (Hive-style folders; skipped when
   present): the layout a lender's data lake would have;
3. `microscore.spark.score` scores the dataset with the built-in model on the executors and
   writes the scored rows and the rejects as Parquet, then the counts are checked:
   read = scored + rejected = rows generated.

On a cluster the same script runs under spark-submit, with microscore installed in the
executors' Python (for example a packed virtualenv shipped with --archives):

    spark-submit --master yarn --deploy-mode cluster \\
      --archives microscore-env.tar.gz#env \\
      --conf spark.pyspark.python=./env/bin/python \\
      examples/spark/score_parquet.py --dir hdfs:///lending/demo --master ""
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import microscore
import microscore.spark as ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--dir", default="target/spark-demo")
    parser.add_argument("--master", default="local[*]", help='Spark master ("" = from spark-submit)')
    parser.add_argument("--memory", default="4g", help="driver memory in local mode")
    parser.add_argument("--microscore", default="target/release/microscore", help="the CLI (for synth)")
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    base = args.dir.rstrip("/")
    local = "://" not in base
    flat = f"{base}/applications-{args.rows}.parquet"
    dataset = f"{base}/applications-{args.rows}-by-province"
    timings: dict[str, float] = {}

    if local and not Path(flat).exists() and not Path(dataset).exists():
        Path(base).mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        subprocess.run(
            [args.microscore, "synth", "--rows", str(args.rows), "--seed", "20", "--no-label", "--out", flat, "--quiet"],
            check=True,
        )
        timings["synth (one Parquet file)"] = time.perf_counter() - t

    builder = SparkSession.builder.appName("microscore-score-parquet")
    if args.master:
        # Local mode: the Python workers run this interpreter (which has microscore).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.master(args.master).config("spark.driver.memory", args.memory)
    spark = builder.config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")

    if not local or not Path(dataset).exists():
        t = time.perf_counter()
        spark.read.parquet(flat).write.partitionBy("province").mode("overwrite").parquet(dataset)
        timings["Spark: partition by province"] = time.perf_counter() - t

    df = spark.read.parquet(dataset)
    partitions = df.rdd.getNumPartitions()
    t = time.perf_counter()
    scored = ms.score(df, microscore.default_model(), keep=["province"])
    counts = scored.write(f"{base}/scored.parquet", f"{base}/rejects.parquet", mode="overwrite")
    timings["Spark: score and write scored + rejects"] = time.perf_counter() - t

    assert counts["read"] == counts["scored"] + counts["rejected"], counts
    if local:
        assert counts["read"] == args.rows, counts
    report = {
        "rows": counts["read"],
        "counts": counts,
        "input_partitions": partitions,
        "master": spark.sparkContext.master,
        "cores": os.cpu_count(),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "rows_per_second_scoring": round(counts["read"] / timings["Spark: score and write scored + rejects"]),
    }
    print(json.dumps(report, indent=2))
    spark.stop()


if __name__ == "__main__":
    main()
