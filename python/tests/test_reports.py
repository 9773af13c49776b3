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


def test_strategy_equals_the_cli_and_writes_the_policy(labelled_csv: Path, applications_csv: Path, tmp_path: Path) -> None:
    cli_table = tmp_path / "cli.csv"
    cli_policy = tmp_path / "cli-policy.json"
    run_cli("strategy", "--data", labelled_csv, "--approve-rate", "0.7", "--out", cli_policy, "--table", cli_table)
    py_policy = tmp_path / "py-policy.json"
    table = microscore.strategy(microscore.default_model(), labelled_csv, approve_rate=0.7, out=py_policy)
    assert py_policy.read_text() == cli_policy.read_text()
    import csv

    with open(cli_table, newline="") as f:
        cli_rows = list(csv.DictReader(f))
    assert [float(r["cutoff"]) for r in cli_rows] == list(table["cutoff"])
    assert [float(r["approval_rate"]) for r in cli_rows] == list(table["approval_rate"])
    assert (table["approved"].diff().dropna() >= 0).all(), "lower cut-offs approve more"
    assert table.attrs["chosen"]["at_approval"]["approval_rate"] >= 0.7
    spec = table.attrs["policy"]
    card = microscore.Scorecard.from_model(microscore.default_model().model_.with_policy(json.dumps(spec)))
    decided = card.decide(microscore.read_table(labelled_csv))
    assert (decided["decision"] == "approve").mean() >= 0.7
    # Unlabelled data: the approval side only; a bad-rate target needs outcomes.
    unlabelled = microscore.strategy(microscore.default_model(), applications_csv)
    assert unlabelled["bad_rate"].isna().all() and unlabelled["expected_bad_rate"].notna().any()
    with pytest.raises(microscore.InputError, match="needs outcomes"):
        microscore.strategy(microscore.default_model(), applications_csv, max_bad_rate=0.03)
    with pytest.raises(microscore.MicroscoreFileExistsError):
        microscore.strategy(microscore.default_model(), labelled_csv, approve_rate=0.7, out=py_policy)
