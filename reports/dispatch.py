"""按日调度 (SPEC §9): the items due or overdue, per responsible unit.

An item is listed when the clock it runs now (rectification, acceptance, review
application or review) is past due, or falls due within ``within_days`` days of today.
Counts per unit are one ``GROUP BY`` over the running clocks' ``(kind, due_at)`` index;
the item list is capped at ``limit`` rows, most overdue first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, literal, select

from models.tables import Clock, District, Item, Unit, table
from reports.figures import ACTING, count_where
from states.calendar import end_of_day, local_date
from states.clocks import KIND_ZH
from states.errors import BadInput
from states.lifecycle import STATE_ZH, State
from states.rules import DEFAULT_LADDER, Rung

ITEM, CLOCK, UNIT, DISTRICT = table(Item), table(Clock), table(Unit), table(District)
ROW_LIMIT = 500


@dataclass(frozen=True)
class UnitLoad:
    """One unit's count of overdue items and of items falling due soon."""

    unit: str
    overdue: int  # 已超期
    due_soon: int  # 临期

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon


@dataclass(frozen=True)
class DueItem:
    """One listed item: its public facts and the clock that is due."""

    unit: str
    ref: str
    kind: str
    summary: str
    district: str | None
    state_zh: str
    clock_zh: str
    due_date: date
    provisional: bool  # 暂定: the due date's year was not yet in the official calendar
    overdue_days: int  # 0: not yet overdue
    level_zh: str | None  # the last rung of the ladder applied (预警, 督办函, …)


@dataclass(frozen=True)
class Dispatch:
    """The day's dispatch: counts per unit and the items, capped."""

    now: datetime
    today: date
    horizon: date  # items due on or before this day are listed
    units: list[UnitLoad]
    items: list[DueItem]

    @property
    def overdue(self) -> int:
        return sum(u.overdue for u in self.units)

    @property
    def due_soon(self) -> int:
        return sum(u.due_soon for u in self.units)

    @property
    def truncated(self) -> bool:
        """Whether more items are due than the list holds."""
        return len(self.items) < self.overdue + self.due_soon


def daily_dispatch(
    conn: Connection,
    now: datetime,
    *,
    within_days: int = 3,
    kind: str | None = None,
    limit: int = ROW_LIMIT,
    ladder: Sequence[Rung] = DEFAULT_LADDER,
) -> Dispatch:
    """The items due by the end of ``today + within_days`` or overdue at ``now``, per unit."""
    if within_days < 0:
        raise BadInput("临期天数不能为负数", "within_days must not be negative")
    if limit < 0:
        raise BadInput("条数上限不能为负数", "limit must not be negative")
    if kind is not None and kind not in ("case", "task"):
        raise BadInput(f"未知事项类型 {kind!r}", f"unknown kind {kind!r}; one of case, task")
    today = local_date(now)
    horizon = today + timedelta(days=within_days)
    where: list[Any] = [
        CLOCK.c.stopped_at.is_(None),
        CLOCK.c.kind.in_(ACTING),
        CLOCK.c.due_at <= end_of_day(horizon),  # due_at is 24:00 of the last day
    ]
    if kind is not None:
        where.append(ITEM.c.kind == kind)
    unit = func.coalesce(UNIT.c.name, literal("未指定单位"))
    joined = CLOCK.join(ITEM, ITEM.c.id == CLOCK.c.item_id).outerjoin(
        UNIT, UNIT.c.id == ITEM.c.lead_unit_id
    )
    counts = conn.execute(
        select(
            unit.label("unit"),
            count_where(CLOCK.c.due_at < now).label("overdue"),
            count_where(CLOCK.c.due_at >= now).label("due_soon"),
        )
        .select_from(joined)
        .where(*where)
        .group_by(unit)
    )
    units = sorted(
        (UnitLoad(r.unit, int(r.overdue), int(r.due_soon)) for r in counts),
        key=lambda u: (-u.overdue, -u.due_soon, u.unit),
    )
    rows = conn.execute(
        select(
            unit.label("unit"),
            ITEM.c.ref,
            ITEM.c.kind,
            ITEM.c.summary,
            ITEM.c.state,
            DISTRICT.c.name.label("district"),
            CLOCK.c.kind.label("clock"),
            CLOCK.c.due_date,
            CLOCK.c.provisional,
            CLOCK.c.next_level,
        )
        .select_from(joined.outerjoin(DISTRICT, DISTRICT.c.id == ITEM.c.district_id))
        .where(*where)
        .order_by(CLOCK.c.due_at, ITEM.c.ref)
        .limit(limit)
    )
    items = [
        DueItem(
            unit=r.unit,
            ref=r.ref,
            kind=r.kind,
            summary=r.summary,
            district=r.district,
            state_zh=STATE_ZH[State(r.state)],
            clock_zh=KIND_ZH[r.clock],
            due_date=r.due_date,
            provisional=bool(r.provisional),
            overdue_days=max(0, (today - r.due_date).days),
            level_zh=ladder[r.next_level - 1].zh if 0 < r.next_level <= len(ladder) else None,
        )
        for r in rows
    ]
    # Listed unit by unit, in the order of the unit counts, most overdue first within each.
    rank = {u.unit: n for n, u in enumerate(units)}
    items.sort(key=lambda i: (rank.get(i.unit, len(rank)), -i.overdue_days, i.due_date, i.ref))
    return Dispatch(now=now, today=today, horizon=horizon, units=units, items=items)
