"""Shared fixtures: the real `microscore` CLI and files it generates."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli_path() -> Path:
    path = Path(os.environ.get("MICROSCORE_BIN", ROOT / "target" / "release" / "microscore"))
    if not path.exists():
        raise RuntimeError(
            f"{path} not found: build the CLI first (cargo build --release) or set MICROSCORE_BIN"
        )
    return path


def run_cli(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli_path()), *map(str, args)], check=True, capture_output=True, text=True
    )


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def labelled_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5,000 generated applications with the 0/1 outcome `default_12m`."""
    path = tmp_path_factory.mktemp("data") / "labelled.csv"
    run_cli("synth", "--rows", "5000", "--seed", "11", "--out", path)
    return path


@pytest.fixture(scope="session")
def applications_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 generated applications without the outcome."""
    path = tmp_path_factory.mktemp("data") / "applications.csv"
    run_cli("synth", "--rows", "3000", "--seed", "12", "--no-label", "--out", path)
    return path


@pytest.fixture(scope="session")
def default_cli_scores(applications_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """The CLI's output for `applications_csv` with the built-in model."""
    out = tmp_path_factory.mktemp("cli") / "scores.csv"
    run_cli("score", "--data", applications_csv, "--out", out, "--reasons", "4", "--quiet")
    return read_csv_rows(out)


@pytest.fixture(scope="session")
def export_cases(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """Models and awkward tables for the export parity tests (export_parity.build_cases)."""
    from export_parity import build_cases

    return list(build_cases(tmp_path_factory.mktemp("export")))
