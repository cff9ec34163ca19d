"""The configurable numbers of the rulebook: clock lengths, escalation thresholds, roles.

The shell builds one ``Rules`` from the ``RECTIFLOW_*`` settings; the rules themselves
never read the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from states.calendar import Counting, OfficialCalendar
from states.lifecycle import Role, Rule


@dataclass(frozen=True)
class Rung:
    """One step of the escalation ladder, due ``offset_days`` after the clock's due time."""

    level: str
    offset_days: int
    zh: str

    def threshold(self, due_at: datetime) -> datetime:
        return due_at + timedelta(days=self.offset_days)


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung("warning", -1, "预警"),
    Rung("supervision_letter", 0, "督办函"),
    Rung("interview", 3, "约谈"),
    Rung("referral", 7, "移送问题线索"),
)


@dataclass(frozen=True)
class Rules:
    """Clock lengths in days (SPEC §5–§7), the counting mode, the ladder and the calendar."""

    acceptance_days: int = 7
    review_application_days: int = 3
    review_days: int = 5
    notice_days: int = 5
    counting: Counting = "calendar"
    ladder: tuple[Rung, ...] = DEFAULT_LADDER
    calendar: OfficialCalendar = field(default_factory=OfficialCalendar)
    # A deployment may widen who fires what: event -> extra roles.
    extra_roles: Mapping[str, frozenset[Role]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("acceptance_days", "review_application_days", "review_days", "notice_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 day")
        levels = [r.level for r in self.ladder]
        if len(set(levels)) != len(levels):
            raise ValueError("escalation levels must be distinct")
        offsets = [r.offset_days for r in self.ladder]
        if offsets != sorted(offsets):
            raise ValueError("escalation thresholds must be in increasing order")

    def may_fire(self, rule: Rule, role: Role) -> bool:
        """Whether ``role`` may fire ``rule``'s event, counting the deployment's widening."""
        return role in rule.roles or role in self.extra_roles.get(rule.event, frozenset())

    def length_of(self, kind: str) -> int:
        """The configured length in days of a counted clock."""
        return {
            "acceptance": self.acceptance_days,
            "review_application": self.review_application_days,
            "review": self.review_days,
        }[kind]
