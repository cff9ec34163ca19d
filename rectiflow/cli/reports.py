"""``rectiflow report daily|weekly|monthly``: the reports of SPEC §9 on the command line.

Markdown (zh-CN) on stdout, or JSON with ``--json``; ``--date`` makes the report as it
would have been made at 08:00 Asia/Shanghai on that day, when its schedule runs.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date, datetime, time
from typing import Any

import typer

from models.engine import reading
from rectiflow.cli.common import JSON_OPT, engine_ctx, handled, now_or, print_json
from rectiflow.settings import settings
from reports import daily_dispatch, dispatch_markdown, report, report_markdown
from reports.dispatch import Dispatch
from states.calendar import SHANGHAI
from states.errors import BadInput

report_app = typer.Typer(
    help="Reports (报告): daily dispatch, weekly and monthly.", no_args_is_help=True
)
SCHEDULED = time(8)  # the reports' schedules run at 08:00
DATE_OPT = typer.Option(
    None, "--date", help="YYYY-MM-DD: the report as made at 08:00 that day (default: now)."
)


def _at(day: str | None) -> datetime:
    if day is None:
        return now_or(None)
    try:
        return datetime.combine(date.fromisoformat(day), SCHEDULED, SHANGHAI)
    except ValueError:
        raise BadInput(
            f"日期格式应为 YYYY-MM-DD：{day!r}", f"date must be YYYY-MM-DD, not {day!r}"
        ) from None


def _dispatch_dict(d: Dispatch) -> dict[str, Any]:
    return {
        "today": d.today.isoformat(),
        "horizon": d.horizon.isoformat(),
        "overdue": d.overdue,
        "due_soon": d.due_soon,
        "truncated": d.truncated,
        "units": [asdict(u) for u in d.units],
        "items": [asdict(i) for i in d.items],
    }


@report_app.command("daily")
@handled
def daily(
    day: str = DATE_OPT,
    within: int = typer.Option(3, "--within", help="List items due within this many days."),
    json_: bool = JSON_OPT,
) -> None:
    """按日调度: items due or overdue, per responsible unit."""
    at = _at(day)
    with engine_ctx() as engine, reading(engine) as conn:
        d = daily_dispatch(conn, at, within_days=within, ladder=settings().rules().ladder)
    if json_:
        print_json(_dispatch_dict(d))
    else:
        sys.stdout.write(dispatch_markdown(d))


def _periodic(name: str, day: str | None, json_: bool) -> None:
    at = _at(day)
    with engine_ctx() as engine, reading(engine) as conn:
        r = report(conn, name, at, ladder=settings().rules().ladder)
    if json_:
        print_json(r.to_dict())
    else:
        sys.stdout.write(report_markdown(r))


@report_app.command("weekly")
@handled
def weekly(day: str = DATE_OPT, json_: bool = JSON_OPT) -> None:
    """周报: the last full week (Monday to Sunday) before the day."""
    _periodic("weekly", day, json_)


@report_app.command("monthly")
@handled
def monthly(day: str = DATE_OPT, json_: bool = JSON_OPT) -> None:
    """月报: the calendar month before the day."""
    _periodic("monthly", day, json_)
