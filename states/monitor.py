"""Is the scheduled work keeping up? What ``rectiflow status`` reports (SPEC §7).

The sweep and the dispatcher record each run (``sweep_run``, ``dispatch_run``); the clocks
say what is waiting. Late work is then a question a database can answer: when did the
sweep last complete, and which clocks are past a rung of the ladder with no escalation yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from models.tables import (
    Clock,
    DispatchRun,
    District,
    Item,
    Notification,
    SweepRun,
    Unit,
    table,
)
from states import clocks
from states.calendar import to_local_iso
from states.items import resolve
from states.rules import Rules

CLOCK, ITEM, NOTIFICATION = table(Clock), table(Item), table(Notification)
SWEEP_RUN, DISPATCH_RUN = table(SweepRun), table(DispatchRun)
DISTRICT, UNIT = table(District), table(Unit)
LATE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class Status:
    """The state of the scheduled work at ``now``."""

    now: datetime
    sweep_interval: timedelta
    sweep_last_finished_at: datetime | None
    sweep_covered_until: datetime | None  # the instant the last completed sweep swept at
    sweep_last_counts: dict[str, int] | None
    sweep_running_since: datetime | None
    dispatch_last_finished_at: datetime | None
    waiting_by_level: dict[str, int] = field(default_factory=dict)
    notices_over: int = 0
    notifications_pending: int = 0
    notifications_dead: int = 0
    oldest_pending_at: datetime | None = None

    @property
    def clocks_waiting(self) -> int:
        """Clocks past a rung of the ladder with no escalation recorded yet."""
        return sum(self.waiting_by_level.values())

    @property
    def sweep_late_by(self) -> timedelta | None:
        """How far the last completed sweep lies behind ``now`` (None: never completed)."""
        if self.sweep_covered_until is None:
            return None
        return max(timedelta(0), self.now - self.sweep_covered_until)

    @property
    def sweep_late(self) -> bool:
        """No sweep completed within the last three intervals (or none ever did)."""
        behind = self.sweep_late_by
        return behind is None or behind > LATE_AFTER_INTERVALS * self.sweep_interval

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, instants in Asia/Shanghai."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = to_local_iso(value)
        behind = self.sweep_late_by
        data["sweep_interval"] = int(self.sweep_interval.total_seconds())
        data["sweep_late_by_seconds"] = int(behind.total_seconds()) if behind is not None else None
        data["sweep_late"] = self.sweep_late
        data["clocks_waiting"] = self.clocks_waiting
        return data


def status(engine: Engine, now: datetime, sweep_interval: timedelta, rules: Rules) -> Status:
    """What the sweep and the dispatcher have done, and what is waiting for them, at ``now``."""
    with engine.connect() as conn, conn.begin():
        last = (
            conn.execute(
                select(SWEEP_RUN)
                .where(SWEEP_RUN.c.finished_at.is_not(None))
                .order_by(SWEEP_RUN.c.finished_at.desc(), SWEEP_RUN.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        running = conn.execute(
            select(func.min(SWEEP_RUN.c.started_at)).where(SWEEP_RUN.c.finished_at.is_(None))
        ).scalar_one()
        dispatched = conn.execute(select(func.max(DISPATCH_RUN.c.finished_at))).scalar_one()
        waiting = _waiting(conn, now, rules)
        notices = conn.execute(
            select(func.count())
            .select_from(CLOCK)
            .where(
                CLOCK.c.stopped_at.is_(None),
                CLOCK.c.kind == clocks.NOTICE,
                CLOCK.c.due_at <= now,
            )
        ).scalar_one()
        notes: dict[str, int] = {
            str(row[0]): int(row[1])
            for row in conn.execute(
                select(NOTIFICATION.c.status, func.count())
                .where(NOTIFICATION.c.status.in_(("pending", "dead")))
                .group_by(NOTIFICATION.c.status)
            )
        }
        oldest = conn.execute(
            select(func.min(NOTIFICATION.c.created_at)).where(NOTIFICATION.c.status == "pending")
        ).scalar_one()
    covered = None
    counts = None
    if last is not None:
        # A sweep given a later instant than the wall clock covers only up to its finish.
        covered = min(last["now"], last["finished_at"])
        counts = {k: int(last[k]) for k in ("escalations", "closed", "notifications")}
    return Status(
        now=now,
        sweep_interval=sweep_interval,
        sweep_last_finished_at=last["finished_at"] if last is not None else None,
        sweep_covered_until=covered,
        sweep_last_counts=counts,
        sweep_running_since=running,
        dispatch_last_finished_at=dispatched,
        waiting_by_level=waiting,
        notices_over=int(notices),
        notifications_pending=int(notes.get("pending", 0)),
        notifications_dead=int(notes.get("dead", 0)),
        oldest_pending_at=oldest,
    )


def _waiting(conn: Connection, now: datetime, rules: Rules) -> dict[str, int]:
    """Running clocks whose next rung's time has passed, by that rung (the sweep's backlog)."""
    rows = conn.execute(
        select(CLOCK.c.next_level, func.count())
        .where(CLOCK.c.stopped_at.is_(None), CLOCK.c.next_escalation_at <= now)
        .group_by(CLOCK.c.next_level)
    ).all()
    out: dict[str, int] = {}
    for level, n in rows:
        name = rules.ladder[level].level if 0 <= level < len(rules.ladder) else f"level-{level}"
        out[name] = out.get(name, 0) + int(n)
    return out


def item_labels(conn: Connection, refs: Iterable[str]) -> dict[str, dict[str, str | None]]:
    """District (属地) and lead unit (牵头单位) names of the items named, by reference."""
    wanted = sorted(set(refs))
    out: dict[str, dict[str, str | None]] = {}
    for i in range(0, len(wanted), 500):
        rows = conn.execute(
            select(ITEM.c.ref, DISTRICT.c.name.label("district"), UNIT.c.name.label("lead_unit"))
            .outerjoin(DISTRICT, DISTRICT.c.id == ITEM.c.district_id)
            .outerjoin(UNIT, UNIT.c.id == ITEM.c.lead_unit_id)
            .where(ITEM.c.ref.in_(wanted[i : i + 500]))
        ).mappings()
        for r in rows:
            out[r["ref"]] = {"district": r["district"], "lead_unit": r["lead_unit"]}
    return out


def item_label(conn: Connection, ref: str) -> dict[str, Any]:
    """The item named by ``ref`` (number or ``#id``): its id, number, district and lead unit."""
    item = resolve(conn, ref)
    names = (
        conn.execute(
            select(DISTRICT.c.name.label("district"), UNIT.c.name.label("lead_unit"))
            .select_from(ITEM)
            .outerjoin(DISTRICT, DISTRICT.c.id == ITEM.c.district_id)
            .outerjoin(UNIT, UNIT.c.id == ITEM.c.lead_unit_id)
            .where(ITEM.c.id == item["id"])
        )
        .mappings()
        .one()
    )
    return {"item_id": item["id"], "ref": item["ref"], "kind": item["kind"], **names}
