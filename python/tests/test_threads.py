"""Scoring from many Python threads, and in a forked child, gives the serial results."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import microscore


@pytest.fixture(scope="module")
def big(applications_csv: Path) -> pd.DataFrame:
    df = pd.read_csv(applications_csv)
    # 60,000 rows: several of the core's parallel chunks.
    return pd.concat([df] * 20, ignore_index=True)


def test_thread_parallel_equals_serial(big: pd.DataFrame) -> None:
    card = microscore.default_model()
    serial = card.explain(big, top_k=4, as_frame=False)
    parts = np.array_split(np.arange(len(big)), 8)

    def work(idx: np.ndarray) -> dict[str, np.ndarray]:
        return card.explain(big.iloc[idx].reset_index(drop=True), top_k=4, as_frame=False)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, parts))
    for key in ("score", "pd"):
        joined = np.concatenate([r[key] for r in results])
        assert joined.tobytes() == serial[key].tobytes()
    for key in ("reason_1", "reason_4", "grade", "flags"):
        assert list(np.concatenate([r[key] for r in results])) == list(serial[key])


def test_batch_split_does_not_matter(big: pd.DataFrame) -> None:
    card = microscore.default_model()
    whole = card.score_points(big)
    pieces = np.concatenate([card.score_points(big.iloc[i : i + 777]) for i in range(0, len(big), 777)])
    assert whole.tobytes() == pieces.tobytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_scoring_in_forked_child_after_parallel_use(big: pd.DataFrame) -> None:
    card = microscore.default_model()
    expected = card.score_points(big)  # the parent has used the worker pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the parent's worker threads do not exist here
        try:
            got = card.score_points(big)
            os.write(write, b"ok" if got.tobytes() == expected.tobytes() else b"different")
        finally:
            os._exit(0)
    os.close(write)
    # A child stuck on the parent's dead worker threads would hang: give up after a minute.
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("scoring in a forked child hung (the worker pool did not survive the fork)")
        time.sleep(0.05)
    assert os.read(read, 16) == b"ok"
    assert os.waitstatus_to_exitcode(status) == 0
