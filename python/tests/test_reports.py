"""The validation and monitoring reports from Python: the same figures as the CLI's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import microscore
from conftest import run_cli


def test_evaluate_equals_the_cli(labelled_csv: Path, tmp_path: Path) -> None:
    cli_json = tmp_path / "cli.json"
    run_cli("evaluate", "--data", labelled_csv, "--protected", "gender", "--json", cli_json)
    html = tmp_path / "report.html"
    got = microscore.evaluate(microscore.default_model(), labelled_csv, protected=["gender"], html=html)
    expected = json.loads(cli_json.read_text())
    for key in ("data", "decisions", "discrimination", "calibration", "gains", "cutoffs", "fairness"):
        assert got[key] == expected[key], key
    assert got["data"]["rows_read"] == 5000
    assert html.read_text().startswith("<!DOCTYPE html>")
    d = got["discrimination"]
    assert d["auc_ci95"][0] < d["auc"] < d["auc_ci95"][1]


def test_monitor_and_errors(labelled_csv: Path, applications_csv: Path, tmp_path: Path) -> None:
    md = tmp_path / "monitor.md"
    m = microscore.monitor(microscore.default_model(), labelled_csv, applications_csv, markdown=md)
    assert m["score"]["band"] in ("stable", "moderate shift", "major shift")
    assert len(m["characteristics"]) == len(microscore.default_model().model_.features)
    assert md.read_text().startswith("# Scorecard monitoring report")
    with pytest.raises(microscore.InputError, match="outcome column 'default_12m' is not in the header"):
        microscore.evaluate(microscore.default_model(), applications_csv)
    with pytest.raises(FileNotFoundError):
        microscore.evaluate(microscore.default_model(), tmp_path / "nope.csv")
