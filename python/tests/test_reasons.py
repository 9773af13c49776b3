"""Reason statements and adverse-action notices from Python: the same statements and notice
records as the CLI (``score --reason-text``, ``--adverse-action``) and the C library, a
lender's reasons given as a file or as rows, and their faults as clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import microscore
from microscore import InputError, ParameterError

from conftest import ROOT, run_cli

APPS = ROOT / "examples" / "applications.csv"


def test_the_built_in_model_has_english_and_chinese_statements() -> None:
    card = microscore.default_model()
    assert card.languages == ["en", "zh"]
    zh = card.reason_statements("zh")
    assert zh["WORST_DPD_12M"] == "近12个月的还款记录"
    assert card.reason_statements("en")["DEBT_TO_INCOME"] == "Debt compared with income"
    with pytest.raises(ParameterError, match="no reason statements in 'fr'"):
        card.reason_statements("fr")


def test_explain_gives_each_reason_its_statement() -> None:
    card = microscore.default_model()
    df = pd.read_csv(APPS).head(200)
    e = card.explain(df, top_k=3, language="zh")
    zh = card.reason_statements("zh")
    for j in (1, 2, 3):
        for code, said in zip(e[f"reason_{j}"], e[f"reason_{j}_text"]):
            assert said == (None if code is None else zh[code])
    assert "reason_1_text" not in card.explain(df, top_k=3).columns


def test_notices_and_reason_text_equal_the_clis(tmp_path: Path) -> None:
    card = microscore.default_model()
    notices = tmp_path / "cli.jsonl"
    scores = tmp_path / "cli.csv"
    run_cli(
        "score", "--data", APPS, "--out", scores, "--reason-text", "--language", "zh",
        "--adverse-action", notices, "--notice-date", "2026-12-01", "--quiet",
    )
    cli = [json.loads(line) for line in notices.read_text().splitlines()]
    df = pd.read_csv(APPS)
    got = card.adverse_action(df, language="zh", date="2026-12-01")
    assert len(got) == len(cli) > 0
    for g, c in zip(got, cli):
        # The CLI counts a record by its line (the header is line 1), Python by its row.
        assert g["record"] + 1 == c["record"]
        g.pop("record"), c.pop("record")
        assert g == c
    # score_file writes the CLI's bytes.
    out, py_notices = tmp_path / "py.csv", tmp_path / "py.jsonl"
    summary = microscore.score_file(
        card, APPS, out, reason_text=True, language="zh", adverse_action=py_notices,
        notice_date="2026-12-01",
    )
    assert out.read_bytes() == scores.read_bytes()
    assert py_notices.read_bytes() == notices.read_bytes()
    assert summary["notices_written"] == len(cli)


def test_a_lenders_statements_as_rows_or_a_file(tmp_path: Path) -> None:
    card = microscore.default_model()
    codes = list(card.reason_statements("en"))
    rows = [{"code": c, "language": "pt-BR", "statement": f"Fator {c.lower()}"} for c in codes]
    mine = card.with_reason_statements(rows)
    assert mine.languages == ["en", "pt-BR", "zh"]
    assert mine.reason_statements("pt-BR")["MONTHLY_REVENUE"] == "Fator monthly_revenue"
    assert mine._model().checksum != card._model().checksum
    path = tmp_path / "model.json"
    mine.save(path)
    assert microscore.load(path).reason_statements("pt-BR") == mine.reason_statements("pt-BR")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,language,statement\nGENDER,en,Gender\n")
    with pytest.raises(InputError, match="line 2: 'GENDER' is a protected attribute"):
        card.with_reason_statements(bad)
    with pytest.raises(InputError, match="has no statement for"):
        card.with_reason_statements(rows[:3])
    with pytest.raises(ParameterError, match="not a date"):
        card.adverse_action(pd.read_csv(APPS).head(5), date="01/12/2026")
