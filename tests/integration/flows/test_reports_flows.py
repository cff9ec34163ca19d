"""The report flows on a real (ephemeral) Prefect server: each leaves its Markdown and table
artifacts, and the deployments run at 08:00 Asia/Shanghai."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.schedules import CronSchedule
from prefect.testing.utilities import prefect_test_harness

from flows.deployments import deployments
from flows.reports import daily_dispatch, monthly_report, weekly_report
from models.engine import make_engine
from rectiflow.settings import settings
from tests.integration.reports.conftest import NOW, PERSONAL, seed

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def database(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The known data set of the report tests, as the configured database."""
    path = tmp_path / "rectiflow.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    seed(engine)
    engine.dispose()
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", f"sqlite:///{path}")
    settings.cache_clear()
    yield
    settings.cache_clear()


def artifacts(*keys: str) -> dict[str, Any]:
    """The latest artifact of each key, by key."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys)))
        )
    return {a.key: a for a in found}


@pytest.mark.slow
def test_daily_dispatch_flow_leaves_markdown_and_tables(harness: None, database: None) -> None:
    assert daily_dispatch(now=NOW) == {
        "today": "2024-09-23",
        "overdue": 2,
        "due_soon": 1,
        "units": 2,
    }
    found = artifacts("daily-dispatch", "daily-dispatch-units", "daily-dispatch-items")
    assert set(found) == {"daily-dispatch", "daily-dispatch-units", "daily-dispatch-items"}
    md = found["daily-dispatch"].data
    assert md.startswith("# 督察整改按日调度（2024年9月23日）")
    assert "已超期2件" in md
    assert json.loads(found["daily-dispatch-units"].data) == [
        {"责任单位": "市生态环境局", "已超期": 1, "临期": 1, "合计": 2},
        {"责任单位": "海城市人民政府", "已超期": 1, "临期": 0, "合计": 1},
    ]
    items = json.loads(found["daily-dispatch-items"].data)
    assert [i["编号"] for i in items] == ["G", "200(19-3)", "D"]
    for personal in PERSONAL:
        assert personal not in md + json.dumps(items, ensure_ascii=False)


@pytest.mark.slow
def test_weekly_report_flow_leaves_the_report(harness: None, database: None) -> None:
    result = weekly_report(now=NOW)
    assert result["title"] == "督察整改工作周报（2024年9月16日至2024年9月22日）"
    found = artifacts("weekly-report", "weekly-report-case-districts", "weekly-report-task-units")
    assert set(found) == {
        "weekly-report",
        "weekly-report-case-districts",
        "weekly-report-task-units",
    }
    assert "交办我市7件（海城市4件、台安县2件、市生态环境局1件）" in found["weekly-report"].data
    districts = json.loads(found["weekly-report-case-districts"].data)
    assert [(d["地区"], d["交办"]) for d in districts] == [
        ("海城市", 4),
        ("台安县", 2),
        ("市生态环境局", 1),
    ]


@pytest.mark.slow
def test_monthly_report_flow_reports_the_month_before(harness: None, database: None) -> None:
    result = monthly_report(now=datetime(2024, 10, 1, 8, tzinfo=SHANGHAI))
    assert result["period"] == {"first": "2024-09-01", "last": "2024-09-30"}
    assert "monthly-report" in artifacts("monthly-report")


@pytest.mark.parametrize(
    ("name", "cron"),
    [
        ("daily-dispatch", "0 8 * * *"),
        ("weekly-report", "0 8 * * 1"),
        ("monthly-report", "0 8 1 * *"),
    ],
)
def test_report_deployments_run_at_eight_shanghai_time(name: str, cron: str) -> None:
    (deployment,) = [d for d in deployments() if d.name == name]
    (schedule,) = deployment.schedules or []
    assert isinstance(schedule.schedule, CronSchedule)
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (cron, "Asia/Shanghai")
