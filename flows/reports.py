"""Scheduled reports (SPEC §9): the daily dispatch, the weekly and the monthly report.

Each flow opens the configured database, asks ``reports`` for the figures, and leaves
them in the Prefect UI as a Markdown artifact (the report as it is sent) and table
artifacts (the figures per unit or district). Schedules run in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import Field

from models.engine import reading
from rectiflow.settings import settings
from reports import daily_dispatch as build_dispatch
from reports import dispatch_markdown, report, report_markdown
from reports.markdown import dispatch_item_rows, dispatch_unit_rows, share_rows, state_rows
from reports.periodic import Report

DAILY_CRON = "0 8 * * *"  # 每日 08:00
WEEKLY_CRON = "0 8 * * 1"  # 每周一 08:00
MONTHLY_CRON = "0 8 1 * *"  # 每月1日 08:00
TABLE_ROWS = 1000  # a table artifact is for reading, not for export


@flow(name="daily-dispatch", log_prints=False)
def daily_dispatch(
    now: datetime | None = Field(default=None, description="报告时刻（默认：现在） — report at"),
    within_days: int = Field(default=3, ge=0, description="临期天数 — due within days"),
) -> dict[str, Any]:
    """按日调度: items due or overdue, per responsible unit."""
    at = now or datetime.now(UTC)
    engine = settings().engine()
    try:
        with reading(engine) as conn:
            d = build_dispatch(conn, at, within_days=within_days, ladder=settings().rules().ladder)
    finally:
        engine.dispose()
    create_markdown_artifact(
        key="daily-dispatch", markdown=dispatch_markdown(d), description="按日调度"
    )
    create_table_artifact(
        key="daily-dispatch-units", table=dispatch_unit_rows(d), description="按日调度：各责任单位"
    )
    create_table_artifact(
        key="daily-dispatch-items",
        table=dispatch_item_rows(d)[:TABLE_ROWS],
        description="按日调度：到期及超期事项",
    )
    get_run_logger().info("dispatch: %d overdue, %d due soon", d.overdue, d.due_soon)
    return {
        "today": d.today.isoformat(),
        "overdue": d.overdue,
        "due_soon": d.due_soon,
        "units": len(d.units),
    }


def _periodic(name: str, now: datetime | None) -> dict[str, Any]:
    at = now or datetime.now(UTC)
    engine = settings().engine()
    try:
        with reading(engine) as conn:
            r = report(conn, name, at, ladder=settings().rules().ladder)
    finally:
        engine.dispose()
    _artifacts(r)
    get_run_logger().info("%s: %s", r.title, "; ".join(s.sentences[0] for s in r.sections))
    return r.to_dict()


def _artifacts(r: Report) -> None:
    key = f"{r.name}-report"
    create_markdown_artifact(key=key, markdown=report_markdown(r), description=r.title)
    for s in r.sections:
        create_table_artifact(
            key=f"{key}-{s.kind}-districts",
            table=share_rows(s.districts)[:TABLE_ROWS],
            description=f"{r.title}：按地区（{s.kind}）",
        )
        create_table_artifact(
            key=f"{key}-{s.kind}-units",
            table=share_rows(s.units, "责任单位")[:TABLE_ROWS],
            description=f"{r.title}：按责任单位（{s.kind}）",
        )
        create_table_artifact(
            key=f"{key}-{s.kind}-states",
            table=state_rows(s),
            description=f"{r.title}：按状态（{s.kind}）",
        )


@flow(name="weekly-report", log_prints=False)
def weekly_report(
    now: datetime | None = Field(default=None, description="报告时刻（默认：现在） — report at"),
) -> dict[str, Any]:
    """按周上报、通报: the last full week, Monday to Sunday."""
    return _periodic("weekly", now)


@flow(name="monthly-report", log_prints=False)
def monthly_report(
    now: datetime | None = Field(default=None, description="报告时刻（默认：现在） — report at"),
) -> dict[str, Any]:
    """每月向市委、市政府报告: the last calendar month."""
    return _periodic("monthly", now)
