"""Deadline clocks (SPEC §7): which clock runs in which state, and when it is due.

A clock is a row with a due instant; nothing here keeps a timer. The sweep compares
``next_escalation_at`` with the time it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from states.calendar import DueDate, count_due, local_date, roll_forward
from states.lifecycle import State
from states.rules import Rules

RECTIFICATION = "rectification"  # 整改时限
ACCEPTANCE = "acceptance"  # 验收 7 日
REVIEW_APPLICATION = "review_application"  # 申请复核 3 日
REVIEW = "review"  # 复核 5 日
NOTICE = "notice"  # 公示期

KINDS = (RECTIFICATION, ACCEPTANCE, REVIEW_APPLICATION, REVIEW, NOTICE)
ESCALATING = frozenset({RECTIFICATION, ACCEPTANCE, REVIEW_APPLICATION, REVIEW})
KIND_ZH = {
    RECTIFICATION: "整改时限",
    ACCEPTANCE: "验收时限",
    REVIEW_APPLICATION: "申请复核时限",
    REVIEW: "复核时限",
    NOTICE: "公示期",
}


def running_kind(state: State, review_applied: bool) -> str | None:
    """The one clock that runs while an item is in ``state`` (None: no clock runs)."""
    if state in (State.assigned, State.investigating):
        return RECTIFICATION
    if state is State.rectified:
        return ACCEPTANCE
    if state is State.accepted:
        return REVIEW if review_applied else REVIEW_APPLICATION
    if state is State.published:
        return NOTICE
    return None


@dataclass(frozen=True)
class Due:
    """How a clock's due date was computed, so that it can be recomputed."""

    basis_date: date
    length_days: int
    counting: str  # calendar | working | given | fixed
    due: DueDate


def counted(kind: str, started_at: datetime, rules: Rules) -> Due:
    """A counted clock (acceptance, review application, review) started at ``started_at``."""
    start = local_date(started_at)
    days = rules.length_of(kind)
    return Due(start, days, rules.counting, count_due(start, days, rules.counting, rules.calendar))


def given(last_day: date, rules: Rules) -> Due:
    """A deadline given as a last day (整改时限), moved past rest days (Civil Code art. 203)."""
    return Due(last_day, 0, "given", roll_forward(last_day, rules.calendar))


def fixed(last_day: date) -> Due:
    """A range printed as given (the notice period): never moved, never provisional."""
    return Due(last_day, 0, "fixed", DueDate(last_day, False))


def recompute(row: Any, rules: Rules) -> DueDate:
    """A clock's due date computed again from its stored basis (after a calendar update)."""
    if row["counting"] == "fixed":
        return DueDate(row["due_date"], False)
    if row["counting"] == "given":
        return roll_forward(row["basis_date"], rules.calendar)
    return count_due(row["basis_date"], row["length_days"], row["counting"], rules.calendar)


def next_escalation(kind: str, due_at: datetime, next_level: int, rules: Rules) -> datetime | None:
    """When the next rung of the ladder falls due, or None past the last rung."""
    if kind not in ESCALATING or next_level >= len(rules.ladder):
        return None
    return rules.ladder[next_level].threshold(due_at)


def levels_due(due_at: datetime, next_level: int, now: datetime, rules: Rules) -> list[int]:
    """The ladder indexes whose threshold has passed at ``now``, in order, from ``next_level``."""
    out = []
    for i in range(next_level, len(rules.ladder)):
        if rules.ladder[i].threshold(due_at) > now:
            break
        out.append(i)
    return out


def new_clock(item_id: int, kind: str, at: datetime, due: Due, rules: Rules) -> dict[str, Any]:
    """The row of a clock started at ``at``."""
    due_at = due.due.end_instant()
    return {
        "item_id": item_id,
        "kind": kind,
        "started_at": at,
        "basis_date": due.basis_date,
        "length_days": due.length_days,
        "counting": due.counting,
        "due_date": due.due.last_day,
        "due_at": due_at,
        "provisional": due.due.provisional,
        "next_level": 0,
        "next_escalation_at": next_escalation(kind, due_at, 0, rules),
        "due_history": [],
    }


def due_change(
    row: Any, new: Due | DueDate, at: datetime, reason: str, rules: Rules
) -> dict[str, Any]:
    """Column values that move a clock to a new due date, keeping the old one in its history."""
    due = new.due if isinstance(new, Due) else new
    due_at = due.end_instant()
    history = list(row["due_history"] or [])
    history.append(
        {
            "due_date": row["due_date"].isoformat(),
            "provisional": bool(row["provisional"]),
            "changed_at": at.isoformat(),
            "reason": reason,
        }
    )
    values: dict[str, Any] = {
        "due_date": due.last_day,
        "due_at": due_at,
        "provisional": due.provisional,
        "next_escalation_at": next_escalation(row["kind"], due_at, row["next_level"], rules),
        "due_history": history,
    }
    if isinstance(new, Due):
        values |= {
            "basis_date": new.basis_date,
            "length_days": new.length_days,
            "counting": new.counting,
        }
    return values
