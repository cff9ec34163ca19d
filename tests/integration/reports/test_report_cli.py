"""``rectiflow report daily|weekly|monthly``: the reports in a subprocess, Markdown or JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.cli import run_cli
from tests.integration.reports.conftest import PERSONAL


@pytest.fixture
def url(seeded: Engine) -> str:
    return seeded.url.render_as_string(hide_password=False)


def test_weekly_on_a_date_reports_as_of_eight_that_morning(url: str, tmp_path: Path) -> None:
    done = run_cli(url, tmp_path, "report", "weekly", "--date", "2024-09-23")
    assert done.code == 0, done.err
    assert done.out.startswith("# 督察整改工作周报（2024年9月16日至2024年9月22日）\n")
    assert "交办我市7件（海城市4件、台安县2件、市生态环境局1件），已整改销号3件" in done.out
    for personal in PERSONAL:
        assert personal not in done.out


def test_daily_json(url: str, tmp_path: Path) -> None:
    done = run_cli(url, tmp_path, "report", "daily", "--date", "2024-09-23", "--json")
    assert done.code == 0, done.err
    data = done.json()
    assert (data["today"], data["overdue"], data["due_soon"]) == ("2024-09-23", 2, 1)
    assert [i["ref"] for i in data["items"]] == ["G", "200(19-3)", "D"]


def test_monthly_json_sentences(url: str, tmp_path: Path) -> None:
    done = run_cli(url, tmp_path, "report", "monthly", "--date", "2024-10-01", "--json")
    assert done.code == 0, done.err
    case = done.json()["sections"][0]
    assert case["sentences"][1] == "7件共5个问题，其中重点案件2件"
    assert case["movement"]["escalations"]["referral"] == 1


def test_a_bad_date_exits_2_naming_it(url: str, tmp_path: Path) -> None:
    done = run_cli(url, tmp_path, "report", "weekly", "--date", "2024-13-01")
    assert done.code == 2
    assert "2024-13-01" in done.err
