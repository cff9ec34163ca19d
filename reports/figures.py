"""The figures of the weekly and monthly reports (SPEC §9), each one SQL aggregate.

Every count is a ``GROUP BY`` or a conditional sum in the database; no item is loaded
into Python except the short list of open key cases. Stock figures (states, open,
overdue) are as of ``now``; flow figures (assigned, closed, escalations, revisits) are
those whose instant or date falls inside the period. Nothing personal is selected.

Definitions, as the cities count them:

- 交办 assigned: every item of the kind; 已整改销号 closed: state ``closed`` (duplicates
  merged into their original count as closed, 重复件合并销号);
- 应完成整改 due: assigned less duplicates (重复访) and 不属实 cases; 实际完成 done: those
  of them closed;
- 按期办结 closed on time: closed as rectified, and the rectification clock stopped (the
  unit asked for acceptance) no later than its deadline, extensions counted;
- 公示 disclosed: closed as rectified after a public notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, literal, select
from sqlalchemy.sql import ColumnElement

from models.tables import (
    Clock,
    District,
    Escalation,
    Item,
    Problem,
    Revisit,
    Unit,
    table,
)
from reports.periods import Period
from states import clocks
from states.errors import BadInput
from states.lifecycle import State

ITEM, CLOCK, ESC, PROBLEM = table(Item), table(Clock), table(Escalation), table(Problem)
REVISIT, UNIT, DISTRICT = table(Revisit), table(Unit), table(District)
KINDS = ("case", "task")
# The clocks somebody has to act on; the notice period only waits.
ACTING = tuple(k for k in clocks.KINDS if k in clocks.ESCALATING)
KEY_CASE_LIMIT = 50


def check_kind(kind: str) -> None:
    """BadInput unless ``kind`` is case or task."""
    if kind not in KINDS:
        raise BadInput(f"未知事项类型 {kind!r}", f"unknown kind {kind!r}; one of case, task")


def count_where(condition: ColumnElement[bool]) -> Any:
    """How many rows meet ``condition``, as a conditional sum both backends understand."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _late() -> ColumnElement[bool]:
    """The item's rectification was finished after its deadline (or is still running late)."""
    return exists().where(
        CLOCK.c.item_id == ITEM.c.id,
        CLOCK.c.kind == clocks.RECTIFICATION,
        CLOCK.c.stopped_at > CLOCK.c.due_at,
    )


@dataclass(frozen=True)
class Totals:
    """Cumulative figures of one kind of item, as of ``now``."""

    kind: str
    assigned: int  # 交办
    closed: int  # 已整改销号 (duplicates included)
    duplicates: int  # 重复访, merged
    untrue: int  # 不属实 (not merged)
    done: int  # 实际完成: closed, neither duplicate nor 不属实
    closed_rectified: int  # closed after rectification (not merged)
    closed_on_time: int  # 按期办结
    disclosed: int  # 公示后销号
    key_cases: int  # 重点案件
    key_open: int
    problems: int  # 问题
    problems_resolved: int

    @property
    def open(self) -> int:
        """未整改销号."""
        return self.assigned - self.closed

    @property
    def due(self) -> int:
        """应完成整改: less duplicates and 不属实."""
        return self.assigned - self.duplicates - self.untrue

    @property
    def in_progress(self) -> int:
        """正在整改中."""
        return self.due - self.done


def totals(conn: Connection, kind: str) -> Totals:
    """The cumulative figures of ``kind`` (case or task)."""
    check_kind(kind)
    closed = ITEM.c.state == State.closed.value
    duplicate = ITEM.c.closure_reason == "duplicate"
    rectified = and_(closed, ITEM.c.closure_reason == "rectified")
    untrue = and_(ITEM.c.verdict == "不属实", ITEM.c.closure_reason.is_distinct_from("duplicate"))
    row = conn.execute(
        select(
            func.count().label("assigned"),
            count_where(closed).label("closed"),
            count_where(and_(closed, duplicate)).label("duplicates"),
            count_where(untrue).label("untrue"),
            count_where(and_(rectified, ITEM.c.verdict.is_distinct_from("不属实"))).label("done"),
            count_where(rectified).label("closed_rectified"),
            count_where(and_(rectified, ~_late())).label("closed_on_time"),
            count_where(and_(rectified, ITEM.c.published_at.is_not(None))).label("disclosed"),
            count_where(ITEM.c.key_case.is_(True)).label("key_cases"),
            count_where(and_(ITEM.c.key_case.is_(True), ~closed)).label("key_open"),
        ).where(ITEM.c.kind == kind)
    ).one()
    problems = conn.execute(
        select(func.count(), count_where(PROBLEM.c.resolved.is_(True)))
        .select_from(PROBLEM.join(ITEM, ITEM.c.id == PROBLEM.c.item_id))
        .where(ITEM.c.kind == kind)
    ).one()
    return Totals(
        kind=kind,
        **{k: int(v) for k, v in row._mapping.items()},
        problems=int(problems[0]),
        problems_resolved=int(problems[1]),
    )


def by_state(conn: Connection, kind: str) -> dict[str, int]:
    """How many items of ``kind`` are in each state, every state listed, in lifecycle order."""
    check_kind(kind)
    q = select(ITEM.c.state, func.count()).where(ITEM.c.kind == kind).group_by(ITEM.c.state)
    found = {state: int(n) for state, n in conn.execute(q)}
    return {s.value: found.get(s.value, 0) for s in State}


@dataclass(frozen=True)
class Share:
    """One district's (or, for items without one, one city unit's) or one unit's share."""

    name: str
    is_district: bool
    assigned: int
    closed: int
    overdue: int
    key_cases: int

    @property
    def open(self) -> int:
        return self.assigned - self.closed


def _running_late(now: datetime) -> Any:
    """Items with an acting clock past its due instant at ``now``, one row per item."""
    return (
        select(CLOCK.c.item_id)
        .where(CLOCK.c.stopped_at.is_(None), CLOCK.c.kind.in_(ACTING), CLOCK.c.due_at < now)
        .subquery()
    )


def shares(conn: Connection, kind: str, now: datetime, per: str = "district") -> list[Share]:
    """Each district's share (``per="district"``; items without a district count under their
    lead unit, as the Anshan notice lists 市生态环境局30件) or each lead unit's (``"unit"``).

    Districts first, then units; each by descending count, then name.
    """
    check_kind(kind)
    if per not in ("district", "unit"):
        raise BadInput(f"未知分组 {per!r}", f"unknown grouping {per!r}; district or unit")
    late = _running_late(now)
    if per == "district":
        name: Any = func.coalesce(DISTRICT.c.name, UNIT.c.name, literal("未指定"))
        is_district: Any = DISTRICT.c.name.is_not(None)
    else:
        name = func.coalesce(UNIT.c.name, literal("未指定"))
        is_district = literal(False)
    q = (
        select(
            name.label("name"),
            is_district.label("is_district"),
            func.count().label("assigned"),
            count_where(ITEM.c.state == State.closed.value).label("closed"),
            count_where(late.c.item_id.is_not(None)).label("overdue"),
            count_where(ITEM.c.key_case.is_(True)).label("key_cases"),
        )
        .select_from(
            ITEM.outerjoin(DISTRICT, DISTRICT.c.id == ITEM.c.district_id)
            .outerjoin(UNIT, UNIT.c.id == ITEM.c.lead_unit_id)
            .outerjoin(late, late.c.item_id == ITEM.c.id)
        )
        .where(ITEM.c.kind == kind)
        .group_by(name, is_district)
    )
    rows = [
        Share(
            name=r.name,
            is_district=bool(r.is_district),
            assigned=int(r.assigned),
            closed=int(r.closed),
            overdue=int(r.overdue),
            key_cases=int(r.key_cases),
        )
        for r in conn.execute(q)
    ]
    return sorted(rows, key=lambda s: (not s.is_district, -s.assigned, s.name))


def overdue(conn: Connection, kind: str, now: datetime) -> dict[str, int]:
    """Running clocks past due at ``now``, per clock kind (整改时限, 验收时限, …)."""
    check_kind(kind)
    q = (
        select(CLOCK.c.kind, func.count())
        .select_from(CLOCK.join(ITEM, ITEM.c.id == CLOCK.c.item_id))
        .where(
            CLOCK.c.stopped_at.is_(None),
            CLOCK.c.kind.in_(ACTING),
            CLOCK.c.due_at < now,
            ITEM.c.kind == kind,
        )
        .group_by(CLOCK.c.kind)
    )
    found = {k: int(n) for k, n in conn.execute(q)}
    return {k: found.get(k, 0) for k in ACTING}


@dataclass(frozen=True)
class Movement:
    """What happened to items of one kind within the period."""

    assigned: int  # 本期交办
    closed: int  # 本期销号 (as rectified)
    closed_on_time: int
    merged: int  # 本期重复件合并销号
    escalations: dict[str, int] = field(default_factory=dict)  # 预警, 督办函, 约谈, 移送
    revisits: int = 0  # 本期复查回访
    rebounds: int = 0  # 其中发现反弹


def movement(conn: Connection, kind: str, period: Period, levels: tuple[str, ...] = ()) -> Movement:
    """Assignments, closures, escalations, revisits and rebounds inside ``period``."""
    check_kind(kind)
    start, end = period.start, period.end
    closed_in = and_(ITEM.c.closed_at >= start, ITEM.c.closed_at < end)
    rectified = and_(closed_in, ITEM.c.closure_reason == "rectified")
    row = conn.execute(
        select(
            count_where(and_(ITEM.c.assigned_at >= start, ITEM.c.assigned_at < end)).label(
                "assigned"
            ),
            count_where(rectified).label("closed"),
            count_where(and_(rectified, ~_late())).label("closed_on_time"),
            count_where(and_(closed_in, ITEM.c.closure_reason == "duplicate")).label("merged"),
        ).where(ITEM.c.kind == kind)
    ).one()
    esc = conn.execute(
        select(ESC.c.level, func.count())
        .select_from(ESC.join(ITEM, ITEM.c.id == ESC.c.item_id))
        .where(ESC.c.at >= start, ESC.c.at < end, ITEM.c.kind == kind)
        .group_by(ESC.c.level)
    )
    found = {level: int(n) for level, n in esc}
    revisits = conn.execute(
        select(func.count(), count_where(REVISIT.c.rebound.is_(True)))
        .select_from(REVISIT.join(ITEM, ITEM.c.id == REVISIT.c.item_id))
        .where(
            REVISIT.c.done_on >= period.first,
            REVISIT.c.done_on <= period.last,
            ITEM.c.kind == kind,
        )
    ).one()
    return Movement(
        assigned=int(row.assigned),
        closed=int(row.closed),
        closed_on_time=int(row.closed_on_time),
        merged=int(row.merged),
        escalations={lv: found.get(lv, 0) for lv in dict.fromkeys((*levels, *found))},
        revisits=int(revisits[0]),
        rebounds=int(revisits[1]),
    )


@dataclass(frozen=True)
class KeyCase:
    """An open key case (重点案件), as a report lists it: no personal data."""

    ref: str
    summary: str
    district: str | None
    lead_unit: str | None
    state: str
    rectification_due: str | None
    overdue: bool


def open_key_cases(
    conn: Connection, kind: str, now: datetime, limit: int = KEY_CASE_LIMIT
) -> list[KeyCase]:
    """The open key cases, soonest deadline first, at most ``limit``."""
    check_kind(kind)
    late = _running_late(now)
    q = (
        select(
            ITEM.c.ref,
            ITEM.c.summary,
            ITEM.c.state,
            ITEM.c.rectification_due,
            DISTRICT.c.name.label("district"),
            UNIT.c.name.label("lead_unit"),
            late.c.item_id.label("late"),
        )
        .select_from(
            ITEM.outerjoin(DISTRICT, DISTRICT.c.id == ITEM.c.district_id)
            .outerjoin(UNIT, UNIT.c.id == ITEM.c.lead_unit_id)
            .outerjoin(late, late.c.item_id == ITEM.c.id)
        )
        .where(
            ITEM.c.kind == kind,
            ITEM.c.key_case.is_(True),
            ITEM.c.state != State.closed.value,
        )
        .order_by(ITEM.c.rectification_due, ITEM.c.ref)
        .limit(limit)
    )
    return [
        KeyCase(
            ref=r.ref,
            summary=r.summary,
            district=r.district,
            lead_unit=r.lead_unit,
            state=r.state,
            rectification_due=r.rectification_due.isoformat() if r.rectification_due else None,
            overdue=r.late is not None,
        )
        for r in conn.execute(q)
    ]
