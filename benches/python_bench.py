"""Python bindings benchmark: fit on 100k rows and score a 2-million-row DataFrame in memory,
against optbinning's Scorecard on the same data when optbinning is importable.

microscore must be installed (`pip install ./python`); optbinning only ever in a throwaway
virtualenv:

    python3 -m venv /tmp/bench && /tmp/bench/bin/pip install ./python pandas optbinning
    cargo build --release
    /tmp/bench/bin/python benches/python_bench.py            # [--rows 2000000] [--repeat 5]

Steps timed (median of --repeat runs; the machine is noisy, so read ratios, not absolutes):
- fit: Scorecard(solver=...).fit on 100k generated rows (seed 1), holdout AUC on 100k (seed 2);
- score: score_points on an N-row DataFrame (categoricals as pandas categoricals, the way
  microscore.read_table gives them), against the native call alone on the same already
  converted columns (what the Rust batch API itself costs), and against optbinning's
  Scorecard.score on the same frame.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import microscore
from microscore._columns import to_columns

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "target" / "release" / "microscore"
TARGET = "default_12m"
CATEGORICAL = ["province", "business_type", "education"]


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="microscore-pybench-"))
    for name, rows, seed in (("train", 100_000, 1), ("holdout", 100_000, 2), ("big", args.rows, 3)):
        subprocess.run([CLI, "synth", "--rows", str(rows), "--seed", str(seed), "--out", tmp / f"{name}.csv"],
                       check=True, capture_output=True)
    train = microscore.read_table(tmp / "train.csv")
    holdout = microscore.read_table(tmp / "holdout.csv")
    y, y_hold = train.pop(TARGET), holdout.pop(TARGET)
    train = train.drop(columns=["gender"])
    print(f"microscore {microscore.__version__}, {args.rows:,} rows to score, median of {args.repeat}")

    for solver in ("newton", "lbfgs"):
        t, card = median_time(lambda: microscore.Scorecard(solver=solver).fit(train, y), args.repeat)
        auc = card.score(holdout, y_hold)
        print(f"fit 100k rows ({solver}): {t * 1000:.0f} ms, holdout AUC {auc:.4f}")

    big = microscore.read_table(tmp / "big.csv")
    big.pop(TARGET)
    card = microscore.Scorecard(solver="newton").fit(train, y)
    t_py, scores = median_time(lambda: card.score_points(big), args.repeat)
    cols, n = to_columns(big, only={c for c, _ in card.model_.input_columns})
    t_native, _ = median_time(lambda: card.model_.score(cols, n, ["score"]), args.repeat)
    t_explain, _ = median_time(lambda: card.model_.score(cols, n, ["score", "pd", "grade", "decision", "reasons"], 4), args.repeat)
    print(f"score_points on a {n:,}-row DataFrame: {t_py * 1000:.0f} ms ({n / t_py / 1e6:.1f} M rows/s); "
          f"native call alone {t_native * 1000:.0f} ms: the Python layer adds {(t_py - t_native) * 1000:.0f} ms")
    print(f"native call with PD, grade, decision and 4 reasons: {t_explain * 1000:.0f} ms")
    assert np.isfinite(scores).all()

    try:
        import pandas as pd
        from optbinning import BinningProcess
        from optbinning import Scorecard as OptScorecard
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("optbinning not installed: peer comparison skipped")
        return
    tr = pd.read_csv(tmp / "train.csv")
    features = [c for c in tr.columns if c not in ("application_id", "gender", TARGET)]

    def fit_peer():
        binning = BinningProcess(features, categorical_variables=CATEGORICAL)
        peer = OptScorecard(binning_process=binning, estimator=LogisticRegression(), scaling_method="pdo_odds",
                            scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600})
        return peer.fit(tr[features], tr[TARGET])

    t_peer_fit, peer = median_time(fit_peer, min(args.repeat, 3))
    big_pd = pd.read_csv(tmp / "big.csv")
    t_peer_score, _ = median_time(lambda: peer.score(big_pd[features]), min(args.repeat, 3))
    print(f"optbinning {__import__('optbinning').__version__}: fit 100k rows {t_peer_fit * 1000:.0f} ms; "
          f"score {n:,} rows {t_peer_score * 1000:.0f} ms "
          f"({t_peer_score / t_py:.0f}x microscore's score_points)")


if __name__ == "__main__":
    main()
