"""``rectiflow status``: when the sweep and the dispatcher last completed, what waits for
them, and a non-zero exit once the sweep is more than three intervals late."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from models.tables import DispatchRun, Notification, table
from states.sweep import sweep
from tests.conftest import AT
from tests.integration.cli import Result, cli_env, run_cli
from tests.support import add, case_data

NOTIFICATION, DISPATCH_RUN = table(Notification), table(DispatchRun)


def _status(db_url: str, cwd: Path, now: datetime, **env: str) -> Result:
    done = subprocess.run(
        [sys.executable, "-m", "rectiflow", "status", "--json", "--now", now.isoformat()],
        cwd=cwd,
        env=cli_env(db_url) | env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def test_status_is_late_when_no_sweep_ever_completed(db_url: str, tmp_path: Path) -> None:
    result = run_cli(db_url, tmp_path, "status", "--now", AT.isoformat())
    assert result.code == 1
    assert "no sweep has completed" in result.out


def test_status_alarms_only_after_three_sweep_intervals(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    sweep(engine, AT)
    assert _status(db_url, tmp_path, AT + timedelta(minutes=30)).code == 0
    late = _status(db_url, tmp_path, AT + timedelta(minutes=31))
    assert late.code == 1 and late.json()["sweep_late_by_seconds"] == 31 * 60
    hourly = _status(db_url, tmp_path, AT + timedelta(minutes=31), RECTIFLOW_SWEEP_MINUTES="60")
    assert hourly.code == 0 and hourly.json()["sweep_interval"] == 3600


def test_status_counts_waiting_clocks_and_pending_and_dead_notifications(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    item_id = add(engine, case_data("D2100001", rectification_due="2024-09-30"), at=AT)
    add(engine, case_data("D2100002", rectification_due="2024-12-31"), at=AT)
    now = datetime(2024, 10, 2, 1, tzinfo=UTC)  # past the warning and the letter of the first
    with engine.begin() as conn:
        conn.execute(
            insert(NOTIFICATION),
            [
                {
                    "item_id": item_id,
                    "template": "warning",
                    "audience": "person_in_charge",
                    "dedupe_key": f"test:{status}:{i}",
                    "status": status,
                    "next_attempt_at": AT,
                    "created_at": AT,
                }
                for i, status in enumerate(["pending", "pending", "dead", "sent"])
            ],
        )
        conn.execute(insert(DISPATCH_RUN).values(started_at=now, finished_at=now))
    report = _status(db_url, tmp_path, now).json()
    assert report["clocks_waiting"] == 1 and report["waiting_by_level"] == {"warning": 1}
    assert report["notifications_pending"] == 2 and report["notifications_dead"] == 1
    assert report["dispatch_last_finished_at"] == "2024-10-02T09:00:00+08:00"
    assert report["sweep_last_finished_at"] is None and report["sweep_late"] is True
