"""Deadlines by the PRC Civil Code, articles 201-203, on the official working calendar.

- art. 201: the day a clock starts is not counted; counting begins the next day.
- art. 203: a period ends at 24:00 of its last day; if the last day is a rest day
  (weekend or public holiday, but not an adjusted working day 调休), the period ends
  on the next working day.

The official calendar comes from the ``chinesecalendar`` package (2004-2026 in 1.11.0)
and from an optional deployment calendar file for other years; the file wins for every
year it lists. A year neither source knows is computed on weekends alone and the result
is marked provisional, so no guess is ever passed off as an official date.

Everything here is pure: no clock, and no I/O except ``OfficialCalendar.from_file``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped, unused-ignore]  # ships no py.typed

from states.errors import BadInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
Counting = Literal["calendar", "working"]
PACKAGE_SOURCE = "chinesecalendar"

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
# date.fromisoformat also takes 20270101 and 2027-W01-5; the file format promises only
# YYYY-MM-DD so that what a person reads in the file is exactly the day used.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_KEY = re.compile(r"\d{4}")
_FILE_KEYS = frozenset({"years"})
_YEAR_KEYS = frozenset({"holidays", "workdays"})


def _is_weekend(d: date) -> bool:
    return d.weekday() >= _SATURDAY


@dataclass(frozen=True)
class YearDays:
    """One year's official exceptions to the plain Monday-Friday week.

    ``holidays`` are rest days (weekend days inside a holiday may be listed or not);
    ``workdays`` are the adjusted working weekend days (调休).
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


def _year_problems(year: int, days: YearDays, where: str) -> list[str]:
    """What makes ``days`` an impossible calendar for ``year``, one line per offending day."""
    problems: list[str] = []
    for kind, chosen in (("holidays", days.holidays), ("workdays", days.workdays)):
        for d in sorted(chosen):
            if d.year != year:
                problems.append(
                    f"{where}{year}.{kind}: {d.isoformat()} 不在 {year} 年内 / "
                    f"{d.isoformat()} is not in year {year}"
                )
    for d in sorted(days.holidays & days.workdays):
        problems.append(
            f"{where}{year}: {d.isoformat()} 同时是假日和调休工作日 / "
            f"{d.isoformat()} is both a holiday and a workday"
        )
    for d in sorted(days.workdays):
        if not _is_weekend(d):
            problems.append(
                f"{where}{year}.workdays: {d.isoformat()} 不是周末，无需调休 / "
                f"{d.isoformat()} is a {d.strftime('%A')}, not a weekend day"
            )
    return problems


def _package_years() -> dict[int, YearDays]:
    # The package ships no type information; pin the shapes it documents.
    holidays: Mapping[date, str] = chinese_calendar.holidays
    workdays: Mapping[date, str] = chinese_calendar.workdays
    # The same span the package itself accepts before raising NotImplementedError.
    first, last = min(holidays).year, max(holidays).year
    rest: dict[int, set[date]] = {y: set() for y in range(first, last + 1)}
    work: dict[int, set[date]] = {y: set() for y in range(first, last + 1)}
    for d in holidays:
        rest[d.year].add(d)
    for d in workdays:
        work[d.year].add(d)
    return {y: YearDays(frozenset(rest[y]), frozenset(work[y])) for y in rest}


_PACKAGE_YEARS = _package_years()


@dataclass(frozen=True)
class DueDate:
    """The last day of a period, and whether any day it depends on is in an unknown year."""

    last_day: date
    provisional: bool

    def end_instant(self) -> datetime:
        """24:00 Asia/Shanghai of ``last_day`` (art. 203), as a UTC-aware datetime."""
        return end_of_day(self.last_day)


class OfficialCalendar:
    """The official rest and working days: the package's years plus deployment years."""

    def __init__(
        self, extra_years: Mapping[int, YearDays] | None = None, *, source: str = "extra"
    ) -> None:
        """Build from the package, overridden year by year by ``extra_years``.

        ``source`` labels the extra years in ``source_of``; ``from_file`` passes
        ``file:<name>``. Raises ValueError if an extra year is inconsistent.
        """
        years = {y: (days, PACKAGE_SOURCE) for y, days in _PACKAGE_YEARS.items()}
        problems: list[str] = []
        for year, days in (extra_years or {}).items():
            problems.extend(_year_problems(year, days, ""))
            years[year] = (days, source)
        if problems:
            raise ValueError("; ".join(problems))
        self._years: dict[int, tuple[YearDays, str]] = dict(sorted(years.items()))

    @classmethod
    def from_file(cls, path: Path | None) -> OfficialCalendar:
        """The package calendar, plus the years in the deployment calendar file at ``path``.

        ``None`` means no file. Raises BadInput naming the file and every problem in it.
        """
        if path is None:
            return cls()
        return cls(_read_calendar_file(path), source=f"file:{path.name}")

    def source_of(self, year: int) -> str | None:
        """Where ``year`` is known from: ``chinesecalendar``, ``file:<name>``, or None."""
        entry = self._years.get(year)
        return None if entry is None else entry[1]

    def known_years(self) -> dict[int, str]:
        """Every known year and its source, in year order."""
        return {year: source for year, (_, source) in self._years.items()}

    def is_known(self, d: date) -> bool:
        """Whether the official calendar covers the year of ``d``."""
        return d.year in self._years

    def is_rest_day(self, d: date) -> bool:
        """Official answer in a known year; in an unknown year, Saturday or Sunday."""
        entry = self._years.get(d.year)
        if entry is None:
            return _is_weekend(d)
        days = entry[0]
        # Workdays first, as the package does: an adjusted working day is never a rest day.
        if d in days.workdays:
            return False
        return d in days.holidays or _is_weekend(d)

    def is_working_day(self, d: date) -> bool:
        """The opposite of ``is_rest_day``."""
        return not self.is_rest_day(d)


def roll_forward(d: date, cal: OfficialCalendar) -> DueDate:
    """Civil Code art. 203 for a last day given directly: a rest day moves to the next
    working day. Provisional if any day examined lies in an unknown year."""
    provisional = False
    day = d
    while True:
        provisional = provisional or not cal.is_known(day)
        if cal.is_working_day(day):
            return DueDate(day, provisional)
        day += _ONE_DAY


def count_due(start: date, days: int, counting: Counting, cal: OfficialCalendar) -> DueDate:
    """The last day of a period of ``days`` days that starts on ``start`` (not counted).

    ``calendar``: ``start + days``, rolled forward past rest days (art. 203).
    ``working``: the ``days``-th working day after ``start``; adjusted working weekend
    days count. Raises ValueError if ``days < 1`` or ``counting`` is unknown.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"期限天数必须是正整数 / days must be an integer >= 1, got {days!r}")
    if counting not in get_args(Counting):
        raise ValueError(
            f"未知的计日方式 / unknown counting {counting!r}, expected 'calendar' or 'working'"
        )
    if counting == "calendar":
        # Only the last day and any roll past it matter; the days between cannot move it.
        return roll_forward(start + timedelta(days=days), cal)
    provisional = False
    day = start
    remaining = days
    while remaining:
        day += _ONE_DAY
        provisional = provisional or not cal.is_known(day)
        if cal.is_working_day(day):
            remaining -= 1
    return DueDate(day, provisional)


def notice_range(published_on: date, days: int) -> tuple[date, date]:
    """The default notice period: ``days`` days inclusive from the day of publication.

    Unlike a deadline it counts the publication day and is not rolled past rest days.
    Raises ValueError if ``days < 1``.
    """
    if days < 1:
        raise ValueError(f"公示天数必须 >= 1 / notice days must be >= 1, got {days!r}")
    return published_on, published_on + timedelta(days=days - 1)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"时刻缺少时区 / naive datetime {instant.isoformat()!r}: a timezone is required"
        )


def local_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of a tz-aware instant; ValueError if naive."""
    _require_aware(instant)
    return instant.astimezone(SHANGHAI).date()


def end_of_day(d: date) -> datetime:
    """24:00 Asia/Shanghai of ``d`` (00:00 of the next day), as a UTC-aware datetime."""
    return datetime.combine(d + _ONE_DAY, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 date and time; a value without offset is Asia/Shanghai time.

    Returns a UTC-aware datetime. A bare date is refused rather than read as midnight,
    since for a deadline that would silently be a day early. Raises ValueError naming
    ``text``.
    """
    stripped = text.strip()
    hint = "expected e.g. 2024-10-08T16:00:00+08:00"
    try:
        date.fromisoformat(stripped)
    except ValueError:
        pass
    else:
        raise ValueError(f"只有日期没有时间 / {text!r} is a date without a time of day; {hint}")
    try:
        parsed = datetime.fromisoformat(stripped)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=SHANGHAI)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(
            f"不是有效的 ISO-8601 时刻 / {text!r} is not an ISO-8601 instant; {hint}"
        ) from exc


def to_local_iso(instant: datetime) -> str:
    """ISO-8601 in Asia/Shanghai with its +08:00 offset, to the second; ValueError if naive."""
    _require_aware(instant)
    return instant.astimezone(SHANGHAI).isoformat(timespec="seconds")


# --- deployment calendar file -------------------------------------------------------


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # json keeps the last of two equal keys silently; two entries for one year in a
    # hand-edited file is a mistake worth naming, not a choice to make for the user.
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _bad_file(path: Path, problems: list[str]) -> BadInput:
    return BadInput(
        f"日历文件 {path} 有误，未使用",
        f"calendar file {path} is malformed and was not used",
        problems=problems,
    )


def _read_calendar_file(path: Path) -> dict[int, YearDays]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate the BOM Windows editors add
    except FileNotFoundError as exc:
        raise BadInput(
            f"日历文件 {path} 不存在",
            f"calendar file {path} does not exist",
            problems=[f"{path}: not found"],
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"无法读取日历文件 {path}",
            f"cannot read calendar file {path}",
            problems=[f"{path}: {exc}"],
        ) from exc
    try:
        data: object = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise _bad_file(
            path, [f"{path.name}: line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        ) from exc
    except _DuplicateKey as exc:
        raise _bad_file(
            path, [f"{path.name}: 键 {exc.key!r} 重复 / key {exc.key!r} appears twice"]
        ) from exc
    problems: list[str] = []
    years = _parse_file(data, path.name, problems)
    for year, days in years.items():
        problems.extend(_year_problems(year, days, f"{path.name}: years."))
    if problems:
        raise _bad_file(path, problems)
    return years


def _parse_file(data: object, name: str, problems: list[str]) -> dict[int, YearDays]:
    if not isinstance(data, dict):
        problems.append(f"{name}: 顶层须为对象 / top level must be an object with 'years'")
        return {}
    for key in sorted(set(data) - _FILE_KEYS):
        problems.append(f"{name}: 未知的键 {key!r} / unknown key {key!r}, expected 'years'")
    if "years" not in data:
        problems.append(f"{name}: 缺少 'years' / missing key 'years'")
        return {}
    raw_years = data["years"]
    if not isinstance(raw_years, dict):
        problems.append(f"{name}: years 须为对象 / 'years' must be an object of year -> days")
        return {}
    years: dict[int, YearDays] = {}
    for key, body in raw_years.items():
        where = f"{name}: years.{key}"
        if not _YEAR_KEY.fullmatch(key) or int(key) < 1:
            problems.append(f"{where}: 年份须为四位数字 / year {key!r} is not a 4-digit year")
            continue
        if not isinstance(body, dict):
            problems.append(f"{where}: 须为对象 / must be an object with holidays/workdays")
            continue
        for extra in sorted(set(body) - _YEAR_KEYS):
            problems.append(
                f"{where}: 未知的键 {extra!r} / unknown key {extra!r}, "
                "expected 'holidays' or 'workdays'"
            )
        year = int(key)
        holidays = _parse_days(body.get("holidays", []), year, f"{where}.holidays", problems)
        workdays = _parse_days(body.get("workdays", []), year, f"{where}.workdays", problems)
        years[year] = YearDays(holidays, workdays)
    return years


def _parse_days(raw: object, year: int, where: str, problems: list[str]) -> frozenset[date]:
    if not isinstance(raw, list):
        problems.append(f"{where}: 须为日期列表 / must be a list of dates, got {raw!r}")
        return frozenset()
    days: set[date] = set()
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, str):
            problems.append(f"{at}: 须为字符串 / {item!r} is not a string date")
            continue
        first_text, sep, last_text = item.partition("..")
        first = _parse_day(first_text)
        last = _parse_day(last_text) if sep else first
        if first is None or last is None:
            problems.append(
                f"{at}: 日期无效 / {item!r} is not a date YYYY-MM-DD "
                "or a range YYYY-MM-DD..YYYY-MM-DD"
            )
            continue
        if last < first:
            problems.append(f"{at}: 区间颠倒 / range {item!r} ends before it starts")
            continue
        if first.year != year or last.year != year:
            problems.append(f"{at}: {item!r} 不在 {year} 年内 / {item!r} is not in year {year}")
            continue
        day = first
        while day <= last:
            days.add(day)
            day += _ONE_DAY
    return frozenset(days)


def _parse_day(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
