"""The deadline-sweep flow under a real Prefect server, with an injected clock: each rung
once, nothing on a second pass, two sweeps at once sharing the work, and one sweep catching
a week of downtime up after ``rectiflow status`` has reported the lateness."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from sqlalchemy import Engine, select

from flows.lifecycle import deadline_sweep
from models.tables import Escalation, table
from tests.integration.cli import run_cli
from tests.support import add, case_data

pytestmark = pytest.mark.usefixtures("prefect_server")
SHANGHAI = ZoneInfo("Asia/Shanghai")
ESC = table(Escalation)
LADDER = ["warning", "supervision_letter", "interview", "referral"]


def sh(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=SHANGHAI)


def _cases(engine: Engine, n: int, prefix: str = "D21SW") -> list[str]:
    refs = [f"{prefix}{i:04d}" for i in range(n)]
    for ref in refs:
        # Due Monday 2024-09-30 24:00: warning 09-30 00:00, letter 10-01, interview 10-04,
        # referral 10-08 (SPEC §7 defaults).
        add(engine, case_data(ref, rectification_due="2024-09-30"), at=sh(9, 2))
    return refs


def _levels(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(r[0] for r in conn.execute(select(ESC.c.level)))


def test_sweep_escalates_each_rung_once_and_nothing_on_a_second_pass(flow_db: Engine) -> None:
    _cases(flow_db, 3)
    for when, level in zip(
        [sh(9, 30, 1), sh(10, 1, 1), sh(10, 4, 1), sh(10, 8, 1)], LADDER, strict=True
    ):
        first = deadline_sweep(now=when)
        again = deadline_sweep(now=when)
        assert first["escalations"] == 3, (level, first)
        assert again["escalations"] == 0, (level, again)
        assert _levels(flow_db)[level] == 3
    assert _levels(flow_db) == Counter({lvl: 3 for lvl in LADDER})


def test_sweep_leaves_a_table_artifact_of_what_it_did(flow_db: Engine) -> None:
    refs = _cases(flow_db, 2)
    state = deadline_sweep(now=sh(10, 1, 1), return_state=True)
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    tables = [a for a in arts if a.type == "table"]
    assert len(tables) == 1 and tables[0].key == "deadline-sweep"
    rows: Any = tables[0].data
    if isinstance(rows, str):
        import json

        rows = json.loads(rows)
    assert sorted((r["ref"], r["action"]) for r in rows) == sorted(
        (ref, level) for ref in refs for level in ("warning", "supervision_letter")
    )


def test_two_sweeps_at_once_create_each_escalation_exactly_once(flow_db: Engine) -> None:
    _cases(flow_db, 40)
    start = threading.Barrier(2)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            start.wait()
            results.append(deadline_sweep(now=sh(10, 8, 1)))
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(r["escalations"] for r in results) == 40 * 4
    assert _levels(flow_db) == Counter({lvl: 40 for lvl in LADDER})


def test_after_a_week_of_downtime_status_reports_lateness_and_one_sweep_catches_up(
    flow_db: Engine, db_url: str, tmp_path: Path
) -> None:
    _cases(flow_db, 5)
    assert deadline_sweep(now=sh(9, 29, 23))["escalations"] == 0  # the last sweep before
    on_time = run_cli(db_url, tmp_path, "status", "--json", "--now", "2024-09-29T23:10:00+08:00")
    assert on_time.code == 0, on_time.err
    assert on_time.json()["sweep_late"] is False

    back = sh(10, 8, 1)  # a week and more later
    late = run_cli(db_url, tmp_path, "status", "--json", "--now", back.isoformat())
    assert late.code == 1
    report = late.json()
    assert report["sweep_late"] is True and report["clocks_waiting"] == 5
    assert report["waiting_by_level"] == {"warning": 5}
    assert report["sweep_late_by_seconds"] > 7 * 86400
    text = run_cli(db_url, tmp_path, "status", "--now", back.isoformat())
    assert text.code == 1 and "LATE" in text.out

    caught_up = deadline_sweep(now=back)
    assert caught_up["escalations"] == 5 * 4
    assert _levels(flow_db) == Counter({lvl: 5 for lvl in LADDER})
    after = run_cli(db_url, tmp_path, "status", "--json", "--now", back.isoformat())
    assert after.code == 0
    assert after.json()["clocks_waiting"] == 0 and after.json()["sweep_late"] is False
