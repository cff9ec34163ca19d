"""``rectiflow status``: is the scheduled work keeping up? For people and for monitors."""

from __future__ import annotations

from datetime import timedelta

import typer

from rectiflow.cli.common import JSON_OPT, engine_ctx, handled, now_or, out, print_json
from rectiflow.settings import settings
from states.calendar import to_local_iso
from states.monitor import LATE_AFTER_INTERVALS, Status, status


def _when(value: object) -> str:
    return to_local_iso(value) if value is not None else "never 从未"  # type: ignore[arg-type]


def _print(s: Status) -> None:
    late_by = s.sweep_late_by
    out.print(
        f"deadline sweep 期限巡检: last completed {_when(s.sweep_last_finished_at)}"
        + (f", swept at {_when(s.sweep_covered_until)}" if s.sweep_covered_until else "")
        + (f"; running since {_when(s.sweep_running_since)}" if s.sweep_running_since else ""),
        highlight=False,
    )
    if s.sweep_last_counts:
        c = s.sweep_last_counts
        out.print(
            f"  last run: {c['escalations']} escalation(s), {c['closed']} closed, "
            f"{c['notifications']} notification(s)",
            highlight=False,
        )
    out.print(
        f"dispatcher 通知发送: last completed {_when(s.dispatch_last_finished_at)}",
        highlight=False,
    )
    levels = ", ".join(f"{k} {v}" for k, v in sorted(s.waiting_by_level.items())) or "none"
    out.print(
        f"clocks past a threshold, not yet escalated 待升级: {s.clocks_waiting} ({levels}); "
        f"notice periods over, not yet closed 待销号: {s.notices_over}",
        highlight=False,
    )
    out.print(
        f"notifications 通知: {s.notifications_pending} pending 待发"
        + (f" (oldest {_when(s.oldest_pending_at)})" if s.oldest_pending_at else "")
        + f", {s.notifications_dead} dead 失败",
        highlight=False,
    )
    limit = int((LATE_AFTER_INTERVALS * s.sweep_interval).total_seconds() // 60)
    if s.sweep_late:
        behind = "no sweep has completed" if late_by is None else f"the sweep is {late_by} behind"
        out.print(
            f"[bold red]LATE 巡检滞后[/]: {behind} (alarm after {limit} min)",
            highlight=False,
        )
    else:
        out.print(f"OK: the sweep is on time (alarm after {limit} min)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``status`` to the command line."""

    @app.command("status")
    @handled
    def status_(
        now: str = typer.Option(None, help="ISO-8601 instant to judge at (default: now)."),
        json_: bool = JSON_OPT,
    ) -> None:
        """When the sweep and the dispatcher last completed, and what waits for them.

        Exits 1 when no sweep has completed within three sweep intervals
        (RECTIFLOW_SWEEP_MINUTES, 10 by default), so that a monitor can alarm.
        """
        conf = settings()
        with engine_ctx() as engine:
            s = status(engine, now_or(now), timedelta(minutes=conf.sweep_minutes), conf.rules())
        if json_:
            print_json(s.to_dict())
        else:
            _print(s)
        if s.sweep_late:
            raise typer.Exit(1)
