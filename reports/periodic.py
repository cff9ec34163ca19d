"""按周上报、通报 and 每月向市委、市政府报告 (SPEC §9): the weekly and monthly report.

A report holds, for each kind of item present (cases, then tasks), the cumulative
figures as of ``now``, what happened inside the period, and the summary sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from models.tables import Item, table
from reports import figures, sentences
from reports.figures import KeyCase, Movement, Share, Totals
from reports.periods import Period, month_before, week_before
from states.calendar import to_local_iso
from states.errors import BadInput
from states.rules import DEFAULT_LADDER, Rung

ITEM = table(Item)
NAMES = {"weekly": "周报", "monthly": "月报"}
KIND_ZH = {"case": "群众信访举报案件", "task": "督察反馈问题整改任务"}


@dataclass(frozen=True)
class Section:
    """The figures of one kind of item."""

    kind: str
    totals: Totals
    states: dict[str, int]
    districts: list[Share]
    units: list[Share]
    overdue: dict[str, int]
    movement: Movement
    key_cases: list[KeyCase]
    sentences: list[str]

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue.values())


@dataclass(frozen=True)
class Report:
    """A weekly or monthly report."""

    name: str  # weekly | monthly
    now: datetime
    period: Period
    sections: list[Section]

    @property
    def title(self) -> str:
        """督察整改工作周报（2024年9月2日至2024年9月8日）."""
        return f"督察整改工作{NAMES[self.name]}（{self.period.zh}）"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, derived figures included."""
        return {
            "name": self.name,
            "title": self.title,
            "now": to_local_iso(self.now),
            "period": {
                "first": self.period.first.isoformat(),
                "last": self.period.last.isoformat(),
            },
            "sections": [_section_dict(s) for s in self.sections],
        }


def _section_dict(s: Section) -> dict[str, Any]:
    t = s.totals
    return asdict(s) | {
        "totals": asdict(t) | {"open": t.open, "due": t.due, "in_progress": t.in_progress},
        "districts": [asdict(d) | {"open": d.open} for d in s.districts],
        "units": [asdict(u) | {"open": u.open} for u in s.units],
        "overdue_total": s.overdue_total,
    }


def _kinds_present(conn: Connection) -> list[str]:
    present = {
        k
        for k in figures.KINDS
        if conn.execute(select(ITEM.c.id).where(ITEM.c.kind == k).limit(1)).first() is not None
    }
    return [k for k in figures.KINDS if k in present] or ["case"]


def section(
    conn: Connection,
    kind: str,
    now: datetime,
    period: Period,
    *,
    whom: str = "我市",
    ladder: Sequence[Rung] = DEFAULT_LADDER,
) -> Section:
    """Every figure of one kind for the report of ``period`` made at ``now``."""
    totals = figures.totals(conn, kind)
    districts = figures.shares(conn, kind, now, per="district")
    return Section(
        kind=kind,
        totals=totals,
        states=figures.by_state(conn, kind),
        districts=districts,
        units=figures.shares(conn, kind, now, per="unit"),
        overdue=figures.overdue(conn, kind, now),
        movement=figures.movement(conn, kind, period, tuple(r.level for r in ladder)),
        key_cases=figures.open_key_cases(conn, kind, now) if kind == "case" else [],
        sentences=sentences.summary(totals, districts, whom),
    )


def report(
    conn: Connection,
    name: str,
    now: datetime,
    period: Period | None = None,
    *,
    whom: str = "我市",
    ladder: Sequence[Rung] = DEFAULT_LADDER,
) -> Report:
    """The ``weekly`` or ``monthly`` report made at ``now``; the period defaults to the last
    full week (Monday to Sunday) or calendar month before ``now``."""
    if name not in NAMES:
        raise BadInput(f"未知报告 {name!r}", f"unknown report {name!r}; weekly or monthly")
    if period is None:
        period = week_before(now) if name == "weekly" else month_before(now)
    if period.start > now:
        raise BadInput(
            f"报告期 {period.zh} 尚未开始", f"the period {period.first} has not begun at {now}"
        )
    sections = [
        section(conn, kind, now, period, whom=whom, ladder=ladder) for kind in _kinds_present(conn)
    ]
    return Report(name=name, now=now, period=period, sections=sections)
