"""The main flow on every real labelled dataset in ``../shared/data`` through Python and C:
train on 70% with the CLI and with ``Scorecard.fit`` (the same model file, byte for byte),
then ``predict_proba``, ``decide`` and ``explain`` on the other 30% give the CLI's scores,
decisions and reasons bit for bit, and so does the C example program linked against the
shared library. Large sets are sampled to keep the test command fast.

Without ``../shared`` the tests are skipped with a message (and fail under ``CI=true``).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import microscore

from conftest import ROOT, read_csv_rows, run_cli

SHARED = ROOT.parent / "shared" / "data"
DATASETS: list[dict[str, Any]] = json.loads((ROOT / "tests" / "data" / "real_datasets.json").read_text())
C_SCORE = ROOT / "target" / "examples" / "score"
#: Rows per dataset at most (the larger sets are sampled).
MAX_ROWS = 8000


def _require_shared() -> None:
    if SHARED.is_dir():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("../shared/data is not present, and CI=true requires it")
    pytest.skip("skipped: ../shared not present")


def _split(d: dict[str, Any], dir: Path) -> tuple[Path, Path, int]:
    """train.csv (with a 0/1 `bad` column for the label) and apps.csv (no label)."""
    path = SHARED / d["file"]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    rng = random.Random(20261201)
    if len(body) > MAX_ROWS:
        body = rng.sample(body, MAX_ROWS)
    rng.shuffle(body)
    t = header.index(d["target"])
    bad_values = {v.lower() for v in d["bad_values"]}

    def is_bad(v: str) -> int:
        v = v.strip()
        if bad_values:
            return int(v.lower() in bad_values or (_number(v) is not None and _number(v) in {_number(b) for b in bad_values}))
        return int(float(v) == 1.0)

    keep = [j for j, c in enumerate(header) if j != t and c not in d["drop"]]
    cut = len(body) * 7 // 10
    train, apps = dir / "train.csv", dir / "apps.csv"
    with open(train, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([header[j] for j in keep] + ["bad"])
        for r in body[:cut]:
            w.writerow([r[j] for j in keep] + [is_bad(r[t])])
    with open(apps, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([header[j] for j in keep])
        for r in body[cut:]:
            w.writerow([r[j] for j in keep])
    return train, apps, len(body) - cut


def _number(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _floats(rows: list[dict[str, str]], col: str) -> np.ndarray:
    return np.array([float(r[col]) if r[col] != "" else np.nan for r in rows])


@pytest.mark.parametrize("d", DATASETS, ids=[d["name"] for d in DATASETS])
def test_python_and_c_equal_the_cli_on_real_data(d: dict[str, Any], tmp_path: Path) -> None:
    _require_shared()
    train, apps, n_test = _split(d, tmp_path)
    model_path = tmp_path / "model.json"
    run_cli("train", "--data", train, "--target", "bad", "--solver", "newton", "--out", model_path, "--quiet")

    # Scorecard.fit on the CLI's reading of the same file gives the same model file.
    X = microscore.read_table(train)
    y = X.pop("bad")
    card = microscore.Scorecard(solver="newton").fit(X, y)
    assert json.loads(card.model_.to_json()) == json.loads(model_path.read_text()), d["name"]

    # The CLI scores the applications; every row is scored or rejected with a reason.
    scores, rejects = tmp_path / "scores.csv", tmp_path / "rejects.csv"
    summary = tmp_path / "summary.json"
    out = subprocess.run(
        [str(ROOT / "target" / "release" / "microscore"), "score", "--model", str(model_path), "--data", str(apps),
         "--out", str(scores), "--rejects", str(rejects), "--summary-json", str(summary), "--quiet"],
        capture_output=True, text=True,
    )
    assert out.returncode in (0, 3), out.stderr
    s = json.loads(summary.read_text())
    assert s["rows_read"] == n_test == s["rows_scored"] + s["rows_rejected"]
    cli = read_csv_rows(scores)
    if s["rows_rejected"]:
        pytest.skip(f"{d['name']}: {s['rows_rejected']} rows rejected by the CLI; parity is checked on clean files")

    # Python: the same PDs, decisions and reasons, bit for bit.
    A = microscore.read_table(apps)
    loaded = microscore.load(model_path)
    pd_ = loaded.predict_proba(A)[:, 1]
    assert pd_.tobytes() == _floats(cli, "pd").tobytes(), d["name"]
    decided = loaded.decide(A, as_frame=False)
    assert decided["score"].tobytes() == _floats(cli, "score").tobytes()
    assert list(decided["decision"]) == [r["decision"] for r in cli]
    assert list(decided["grade"]) == [r["grade"] for r in cli]
    assert np.isnan(decided["limit"]).all(), "no loan sizing without a policy"
    k = min(4, len(loaded.model_.features))
    explained = loaded.explain(A, top_k=4, as_frame=False)
    for j in range(1, k + 1):
        assert [c or "" for c in explained[f"reason_{j}"]] == [r[f"reason_{j}"] for r in cli]

    # C: the example program over the shared library gives the same numbers.
    if not C_SCORE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{C_SCORE} is not built (make -C examples)")
        pytest.skip(f"skipped: {C_SCORE} not built (make -C examples)")
    c_out = subprocess.run([str(C_SCORE), str(apps), str(model_path)], capture_output=True, text=True, check=True)
    c_rows = list(csv.reader(c_out.stdout.splitlines()))
    assert c_rows[0][1:5] == ["score", "pd", "grade", "decision"], c_rows[0]
    c_rows = c_rows[1:]
    assert len(c_rows) == len(cli)
    for c, r in zip(c_rows, cli):
        assert float(c[1]) == float(r["score"]) and float(c[2]) == float(r["pd"])
        assert c[3] == r["grade"] and c[4] == r["decision"]
        assert c[5 : 5 + k] == [r[f"reason_{j}"] for j in range(1, k + 1)]


def test_a_suppressor_is_kept_against_its_woe_on_islr() -> None:
    """ISLR's ``income`` is riskier alone and safer at equal balance: the sign check's
    likelihood-ratio test refuses its drop, so the card keeps it against its WoE and says so;
    with ``sign_significance=0`` every wrong-signed feature is dropped, as before."""
    _require_shared()
    import pandas as pd

    df = pd.read_csv(SHARED / "islr_default_simulated" / "islr_default_simulated.csv")
    y = (df.pop("default") == "Yes").astype(int)
    card = microscore.Scorecard().fit(df, y)
    assert card.get_params()["sign_significance"] == 0.01
    against = [n for n in card.training_notes if n["kind"] == "against_woe"]
    assert [n["feature"] for n in against] == ["income"], card.training_notes
    assert against[0]["coefficient"] > 0
    assert "income" in against[0]["message"]
    assert "income" in card.model_.features
    plain = microscore.Scorecard(sign_significance=0).fit(df, y)
    assert not [n for n in plain.training_notes if n["kind"] == "against_woe"]
    assert "income" not in plain.model_.features
    # The suppressor ranks the applicants better (in sample, on the same rows).
    assert card.training_summary["auc"] > plain.training_summary["auc"]
    assert card.training_summary["settings"]["sign_significance"] == 0.01
    assert "sign_significance" not in plain.training_summary["settings"]
