"""Report periods (报告期): a day, the week before, the month before, in Asia/Shanghai.

A period is a range of local dates, both ends included; its instants run from 00:00 of
the first day to 24:00 of the last. Every function is given ``now``; none reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from states.calendar import SHANGHAI, end_of_day, local_date
from states.errors import BadInput


@dataclass(frozen=True)
class Period:
    """Local dates ``first``..``last`` inclusive."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadInput(
                f"报告期结束日期 {self.last} 早于开始日期 {self.first}",
                f"period ends ({self.last}) before it begins ({self.first})",
            )

    @property
    def start(self) -> datetime:
        """00:00 Asia/Shanghai of the first day (included)."""
        return datetime.combine(self.first, time(), SHANGHAI)

    @property
    def end(self) -> datetime:
        """24:00 Asia/Shanghai of the last day (excluded)."""
        return end_of_day(self.last)

    @property
    def zh(self) -> str:
        """The period as a Chinese heading: 2024年9月2日至2024年9月8日."""
        if self.first == self.last:
            return _zh_date(self.first)
        return f"{_zh_date(self.first)}至{_zh_date(self.last)}"


def _zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def day_of(now: datetime) -> Period:
    """The local day ``now`` falls on."""
    today = local_date(now)
    return Period(today, today)


def week_before(now: datetime) -> Period:
    """The last full week (Monday to Sunday) before the week ``now`` falls in."""
    monday = local_date(now) - timedelta(days=local_date(now).weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1))


def month_before(now: datetime) -> Period:
    """The last full calendar month before the month ``now`` falls in."""
    first_this = local_date(now).replace(day=1)
    last_prev = first_this - timedelta(days=1)
    return Period(last_prev.replace(day=1), last_prev)


def zh_instant(instant: datetime) -> str:
    """An instant as people read it in a report: 2024年9月9日 08:00."""
    local = instant.astimezone(SHANGHAI)
    return f"{_zh_date(local.date())} {local:%H:%M}"
