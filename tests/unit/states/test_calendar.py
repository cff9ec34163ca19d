"""Deadlines by Civil Code art. 201-203 on the official calendar (states/calendar.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.calendar import (
    SHANGHAI,
    Counting,
    DueDate,
    OfficialCalendar,
    YearDays,
    count_due,
    end_of_day,
    local_date,
    notice_range,
    parse_instant,
    roll_forward,
    to_local_iso,
)
from states.errors import BadInput

D = date.fromisoformat
PACKAGE = OfficialCalendar()

# A made-up 2027 for a deployment file: New Year Fri 1 Jan - Sun 3 Jan, Spring Festival
# Sat 6 Feb - Sun 14 Feb, with Sat 20 Feb an adjusted working day.
Y2027 = YearDays(
    holidays=frozenset(
        [D("2027-01-01"), D("2027-01-02"), D("2027-01-03")]
        + [D("2027-02-06") + timedelta(days=i) for i in range(9)]
    ),
    workdays=frozenset([D("2027-02-20")]),
)
WITH_2027 = OfficialCalendar({2027: Y2027}, source="file:calendar.json")
FILE_2027 = {
    "years": {
        "2027": {
            "holidays": ["2027-01-01..2027-01-03", "2027-02-06..2027-02-14"],
            "workdays": ["2027-02-20"],
        }
    }
}

FAST = settings(max_examples=200, deadline=None)
KNOWN_DATES = st.dates(D("2004-01-01"), D("2026-12-31"))
ANY_DATES = st.dates(D("2004-01-01"), D("2028-12-31"))
DAYS = st.integers(1, 60)
COUNTING: st.SearchStrategy[Counting] = st.sampled_from(["calendar", "working"])
CALENDARS = st.sampled_from([PACKAGE, WITH_2027])


def official_working(d: date) -> bool:
    """Independent oracle: the package itself, weekends alone outside its years."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5


def write(tmp_path: Path, content: object, name: str = "calendar.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def load_error(tmp_path: Path, content: object) -> BadInput:
    path = write(tmp_path, content)
    with pytest.raises(BadInput) as info:
        OfficialCalendar.from_file(path)
    assert str(path) in info.value.en and str(path) in info.value.zh
    return info.value


# --- the SPEC examples ------------------------------------------------------------------


def test_acceptance_due_moves_past_national_day() -> None:
    due = count_due(D("2024-09-24"), 7, "calendar", PACKAGE)
    assert due == DueDate(D("2024-10-08"), provisional=False)
    assert due.end_instant() == datetime(2024, 10, 8, 16, 0, tzinfo=UTC)
    assert due.end_instant() == datetime(2024, 10, 9, 0, 0, tzinfo=SHANGHAI)
    assert due.end_instant().tzinfo is UTC


def test_working_days_count_adjusted_saturday_as_last_day() -> None:
    assert count_due(D("2024-09-27"), 7, "working", PACKAGE) == DueDate(D("2024-10-12"), False)


def test_adjusted_working_sunday_counts_as_a_working_day() -> None:
    # Sun 2024-09-29 was 调休: one working day after Fri 27 Sep is that Sunday, not Monday.
    assert count_due(D("2024-09-27"), 1, "working", PACKAGE).last_day == D("2024-09-29")
    assert count_due(D("2024-09-27"), 2, "working", PACKAGE).last_day == D("2024-09-30")
    assert count_due(D("2024-09-27"), 3, "working", PACKAGE).last_day == D("2024-10-08")


def test_start_day_is_not_counted() -> None:
    assert count_due(D("2024-11-04"), 1, "calendar", PACKAGE).last_day == D("2024-11-05")
    assert count_due(D("2024-11-04"), 1, "working", PACKAGE).last_day == D("2024-11-05")


def test_plain_weekend_rolls_to_monday() -> None:
    assert count_due(D("2024-11-01"), 1, "calendar", PACKAGE).last_day == D("2024-11-04")
    assert roll_forward(D("2024-11-02"), PACKAGE) == DueDate(D("2024-11-04"), False)
    assert roll_forward(D("2024-11-03"), PACKAGE) == DueDate(D("2024-11-04"), False)


def test_adjusted_working_saturday_as_last_day_does_not_roll() -> None:
    assert roll_forward(D("2024-10-12"), PACKAGE) == DueDate(D("2024-10-12"), False)
    assert count_due(D("2024-10-05"), 7, "calendar", PACKAGE).last_day == D("2024-10-12")


def test_working_day_as_last_day_does_not_roll() -> None:
    assert roll_forward(D("2024-10-08"), PACKAGE) == DueDate(D("2024-10-08"), False)


def test_rectification_deadline_on_spring_festival_rolls_past_the_holiday() -> None:
    # 2025 Spring Festival: 28 Jan - 4 Feb off; Sat 8 Feb is 调休, so Wed 5 Feb is next.
    assert roll_forward(D("2025-01-29"), PACKAGE) == DueDate(D("2025-02-05"), False)


def test_notice_range_counts_publication_day() -> None:
    assert notice_range(D("2020-11-09"), 5) == (D("2020-11-09"), D("2020-11-13"))
    assert notice_range(D("2020-11-09"), 1) == (D("2020-11-09"), D("2020-11-09"))


def test_notice_range_does_not_roll_past_rest_days() -> None:
    assert notice_range(D("2024-09-27"), 5) == (D("2024-09-27"), D("2024-10-01"))


def test_notice_range_rejects_zero_days() -> None:
    with pytest.raises(ValueError, match="notice days"):
        notice_range(D("2020-11-09"), 0)


@pytest.mark.parametrize("days", [0, -3])
@pytest.mark.parametrize("counting", ["calendar", "working"])
def test_period_must_be_at_least_one_day(days: int, counting: Counting) -> None:
    with pytest.raises(ValueError, match="days must be"):
        count_due(D("2024-09-24"), days, counting, PACKAGE)


def test_unknown_counting_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown counting 'weekly'"):
        count_due(D("2024-09-24"), 3, "weekly", PACKAGE)  # type: ignore[arg-type]


# --- the calendar and its sources -------------------------------------------------------


def test_package_years_are_2004_to_2026() -> None:
    assert PACKAGE.known_years() == {y: "chinesecalendar" for y in range(2004, 2027)}
    assert PACKAGE.source_of(2024) == "chinesecalendar"
    assert PACKAGE.source_of(2027) is None
    assert PACKAGE.source_of(2003) is None


def test_rest_days_match_the_package_for_every_known_day() -> None:
    day, mismatches = D("2004-01-01"), []
    while day.year <= 2026:
        if PACKAGE.is_rest_day(day) != bool(chinese_calendar.is_holiday(day)):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


def test_national_day_is_rest_and_adjusted_sunday_is_working() -> None:
    assert PACKAGE.is_rest_day(D("2024-10-01"))
    assert not PACKAGE.is_working_day(D("2024-10-01"))
    assert PACKAGE.is_working_day(D("2024-09-29"))
    assert not PACKAGE.is_rest_day(D("2024-09-29"))


def test_unknown_year_is_weekends_only() -> None:
    assert not PACKAGE.is_known(D("2027-01-01"))
    assert PACKAGE.is_working_day(D("2027-01-01"))  # a Friday; no official holiday known
    assert PACKAGE.is_rest_day(D("2027-01-02"))
    assert PACKAGE.is_working_day(D("2003-10-01"))  # a Wednesday before the package's span


def test_unknown_year_without_file_is_provisional_and_weekends_only() -> None:
    assert roll_forward(D("2027-01-01"), PACKAGE) == DueDate(D("2027-01-01"), True)
    assert roll_forward(D("2027-01-02"), PACKAGE) == DueDate(D("2027-01-04"), True)
    assert count_due(D("2027-02-05"), 3, "working", PACKAGE) == DueDate(D("2027-02-10"), True)


def test_file_year_is_not_provisional_and_its_holidays_are_respected() -> None:
    assert WITH_2027.is_known(D("2027-06-01"))
    assert roll_forward(D("2027-01-01"), WITH_2027) == DueDate(D("2027-01-04"), False)
    assert count_due(D("2027-02-05"), 1, "calendar", WITH_2027) == DueDate(D("2027-02-15"), False)
    assert count_due(D("2027-02-05"), 3, "working", WITH_2027) == DueDate(D("2027-02-17"), False)


def test_file_adjusted_working_saturday_counts() -> None:
    assert roll_forward(D("2027-02-20"), WITH_2027) == DueDate(D("2027-02-20"), False)
    assert count_due(D("2027-02-19"), 1, "working", WITH_2027).last_day == D("2027-02-20")


def test_period_from_2026_into_unknown_2027_is_provisional() -> None:
    assert count_due(D("2026-12-28"), 7, "calendar", PACKAGE) == DueDate(D("2027-01-04"), True)
    assert count_due(D("2026-12-28"), 4, "working", PACKAGE) == DueDate(D("2027-01-01"), True)
    assert count_due(D("2026-12-28"), 7, "calendar", WITH_2027).provisional is False


def test_period_inside_2026_is_not_provisional() -> None:
    assert count_due(D("2026-12-21"), 3, "working", PACKAGE) == DueDate(D("2026-12-24"), False)


def test_roll_from_known_into_unknown_year_is_provisional() -> None:
    with_2025_ending_in_rest = OfficialCalendar(
        {2025: YearDays(holidays=frozenset([D("2025-12-31")]))}
    )
    cal = with_2025_ending_in_rest
    # 2026 is known from the package, so rolling into it stays official.
    # 2026-01-01..03 are official holidays and Sun 4 Jan is 调休.
    assert roll_forward(D("2025-12-31"), cal) == DueDate(D("2026-01-04"), False)
    rest_2026 = OfficialCalendar({2026: YearDays(holidays=frozenset([D("2026-12-31")]))})
    assert roll_forward(D("2026-12-31"), rest_2026) == DueDate(D("2027-01-01"), True)


def test_file_year_overrides_the_package_for_that_year() -> None:
    corrected = OfficialCalendar(
        {2024: YearDays(holidays=frozenset([D("2024-11-04")]))}, source="file:fix.json"
    )
    assert corrected.source_of(2024) == "file:fix.json"
    assert corrected.source_of(2023) == "chinesecalendar"
    assert corrected.is_rest_day(D("2024-11-04"))
    assert corrected.is_working_day(D("2024-10-01"))  # the file replaces the whole year


def test_known_years_are_sorted_with_their_sources() -> None:
    cal = OfficialCalendar({2028: YearDays(), 2027: YearDays(), 2003: YearDays()}, source="x")
    years = cal.known_years()
    assert list(years) == sorted(years)
    assert years[2003] == years[2027] == years[2028] == "x"
    assert years[2010] == "chinesecalendar"


def test_inconsistent_extra_year_is_refused() -> None:
    with pytest.raises(ValueError, match="2027-02-19 is a Friday"):
        OfficialCalendar({2027: YearDays(workdays=frozenset([D("2027-02-19")]))})
    with pytest.raises(ValueError, match="2026-12-31 is not in year 2027"):
        OfficialCalendar({2027: YearDays(holidays=frozenset([D("2026-12-31")]))})


# --- the deployment calendar file -------------------------------------------------------


def test_no_file_means_package_only() -> None:
    assert OfficialCalendar.from_file(None).known_years() == PACKAGE.known_years()


def test_file_years_load_with_ranges_and_source_name(tmp_path: Path) -> None:
    cal = OfficialCalendar.from_file(write(tmp_path, FILE_2027, "prc-2027.json"))
    assert cal.source_of(2027) == "file:prc-2027.json"
    assert cal.source_of(2026) == "chinesecalendar"
    day = D("2027-01-01")
    while day.year == 2027:
        assert cal.is_rest_day(day) == WITH_2027.is_rest_day(day), day
        day += timedelta(days=1)


def test_file_with_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(FILE_2027).encode())
    assert OfficialCalendar.from_file(path).source_of(2027) == "file:bom.json"


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(BadInput) as info:
        OfficialCalendar.from_file(path)
    assert str(path) in info.value.en and str(path) in info.value.zh
    assert "does not exist" in info.value.en


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    err = load_error(tmp_path, '{"years": {\n  "2027": {"holidays": [2027-01-01]}}}')
    assert err.problems == ["calendar.json: line 2, column 29: Expecting ',' delimiter"]


def test_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"years": {}, "year": {}})
    assert len(err.problems) == 1 and "unknown key 'year'" in err.problems[0]


def test_missing_years_key_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {})
    assert err.problems == ["calendar.json: 缺少 'years' / missing key 'years'"]


def test_unknown_year_key_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"years": {"2027": {"holiday": ["2027-01-01"]}}})
    assert len(err.problems) == 1
    assert err.problems[0].startswith("calendar.json: years.2027: ")
    assert "unknown key 'holiday'" in err.problems[0]


def test_bad_year_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"years": {"27": {"holidays": []}}})
    assert len(err.problems) == 1 and "year '27' is not a 4-digit year" in err.problems[0]


@pytest.mark.parametrize(
    "value", ["2027-02-30", "2027-2-5", "20270205", "2027-02-05..", "2027-02-05..feb", "today"]
)
def test_bad_date_is_named_with_its_key(tmp_path: Path, value: str) -> None:
    err = load_error(tmp_path, {"years": {"2027": {"holidays": ["2027-01-01", value]}}})
    assert len(err.problems) == 1
    assert err.problems[0].startswith("calendar.json: years.2027.holidays[1]: ")
    assert repr(value) in err.problems[0]


def test_non_string_date_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"years": {"2027": {"workdays": [20270220]}}})
    assert len(err.problems) == 1
    assert err.problems[0].startswith("calendar.json: years.2027.workdays[0]: ")
    assert "20270220 is not a string date" in err.problems[0]


def test_reversed_range_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"years": {"2027": {"holidays": ["2027-02-11..2027-02-05"]}}})
    assert len(err.problems) == 1 and "ends before it starts" in err.problems[0]


@pytest.mark.parametrize("value", ["2026-12-31", "2026-12-31..2027-01-03"])
def test_date_in_the_wrong_year_is_named(tmp_path: Path, value: str) -> None:
    err = load_error(tmp_path, {"years": {"2027": {"holidays": [value]}}})
    assert len(err.problems) == 1
    assert err.problems[0].startswith("calendar.json: years.2027.holidays[0]: ")
    assert f"{value!r} is not in year 2027" in err.problems[0]


def test_day_both_holiday_and_workday_is_named(tmp_path: Path) -> None:
    # The shape first sketched for 2027 lists Sun 7 Feb inside the holiday and as 调休.
    content = {
        "years": {
            "2027": {
                "holidays": ["2027-01-01", "2027-02-05..2027-02-11"],
                "workdays": ["2027-02-07"],
            }
        }
    }
    err = load_error(tmp_path, content)
    assert len(err.problems) == 1
    assert err.problems[0].startswith("calendar.json: years.2027: ")
    assert "2027-02-07 is both a holiday and a workday" in err.problems[0]


def test_workday_on_a_weekday_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, {"years": {"2027": {"workdays": ["2027-02-19"]}}})
    assert err.problems == [
        "calendar.json: years.2027.workdays: 2027-02-19 不是周末，无需调休 / "
        "2027-02-19 is a Friday, not a weekend day"
    ]


def test_duplicate_year_is_named(tmp_path: Path) -> None:
    err = load_error(tmp_path, '{"years": {"2027": {}, "2027": {"holidays": []}}}')
    assert len(err.problems) == 1 and "key '2027' appears twice" in err.problems[0]


def test_every_problem_in_a_file_is_listed_at_once(tmp_path: Path) -> None:
    content = {
        "extra": 1,
        "years": {"2027": {"holidays": ["2027-13-01"], "workdays": ["2027-02-19"]}},
    }
    assert len(load_error(tmp_path, content).problems) == 3


def test_wrong_shapes_are_named(tmp_path: Path) -> None:
    assert "top level must be an object" in load_error(tmp_path, "[]").problems[0]
    assert "'years' must be an object" in load_error(tmp_path, {"years": []}).problems[0]
    err = load_error(tmp_path, {"years": {"2027": ["2027-01-01"]}})
    assert "must be an object with holidays/workdays" in err.problems[0]
    err = load_error(tmp_path, {"years": {"2027": {"holidays": "2027-01-01"}}})
    assert "must be a list of dates" in err.problems[0]


# --- instants ---------------------------------------------------------------------------


def test_end_of_day_is_next_midnight_in_shanghai_as_utc() -> None:
    assert end_of_day(D("2024-10-08")) == datetime(2024, 10, 8, 16, 0, tzinfo=UTC)
    assert end_of_day(D("2024-10-08")).tzinfo is UTC


def test_local_date_uses_shanghai() -> None:
    assert local_date(datetime(2024, 10, 8, 15, 59, 59, tzinfo=UTC)) == D("2024-10-08")
    assert local_date(datetime(2024, 10, 8, 16, 0, tzinfo=UTC)) == D("2024-10-09")


def test_local_date_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2024, 10, 8, 12, 0))


def test_parse_instant_takes_naive_text_as_shanghai() -> None:
    assert parse_instant("2024-10-08T09:30:00") == datetime(2024, 10, 8, 1, 30, tzinfo=UTC)
    assert parse_instant("2024-10-08 09:30") == datetime(2024, 10, 8, 1, 30, tzinfo=UTC)


def test_parse_instant_keeps_an_explicit_offset() -> None:
    assert parse_instant("2024-10-08T16:00:00Z") == datetime(2024, 10, 8, 16, 0, tzinfo=UTC)
    assert parse_instant("2024-10-09T00:00:00+08:00") == datetime(2024, 10, 8, 16, tzinfo=UTC)
    assert parse_instant("2024-10-08T12:00-04:00") == datetime(2024, 10, 8, 16, tzinfo=UTC)
    assert parse_instant("2024-10-08T16:00:00Z").tzinfo is UTC


@pytest.mark.parametrize("text", ["", "yesterday", "2024-10-32T00:00", "2024-10-08T25:00"])
def test_parse_instant_names_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO-8601 instant") as info:
        parse_instant(text)
    assert repr(text) in str(info.value)


def test_parse_instant_refuses_a_bare_date() -> None:
    with pytest.raises(ValueError, match="'2024-10-08' is a date without a time"):
        parse_instant("2024-10-08")


def test_to_local_iso_is_shanghai_to_the_second() -> None:
    instant = datetime(2024, 10, 8, 16, 0, 0, 999_999, tzinfo=UTC)
    assert to_local_iso(instant) == "2024-10-09T00:00:00+08:00"
    assert to_local_iso(datetime(2024, 10, 8, 3, tzinfo=timezone(timedelta(hours=-5)))) == (
        "2024-10-08T16:00:00+08:00"
    )


def test_to_local_iso_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_local_iso(datetime(2024, 10, 8))


# --- properties -------------------------------------------------------------------------


@FAST
@given(start=ANY_DATES, days=DAYS, counting=COUNTING, cal=CALENDARS)
def test_last_day_is_after_start_and_a_working_day(
    start: date, days: int, counting: Counting, cal: OfficialCalendar
) -> None:
    due = count_due(start, days, counting, cal)
    assert due.last_day > start
    assert official_working(due.last_day) or cal is WITH_2027
    assert cal.is_working_day(due.last_day)


@FAST
@given(start=KNOWN_DATES, days=DAYS)
def test_calendar_mode_is_earliest_working_day_on_or_after_start_plus_days(
    start: date, days: int
) -> None:
    due = count_due(start, days, "calendar", PACKAGE)
    target = start + timedelta(days=days)
    assert due.last_day >= target
    assert official_working(due.last_day)
    between = [target + timedelta(days=i) for i in range((due.last_day - target).days)]
    assert not any(official_working(d) for d in between)


@FAST
@given(start=ANY_DATES, days=DAYS, cal=CALENDARS)
def test_working_mode_has_exactly_days_working_days_after_start(
    start: date, days: int, cal: OfficialCalendar
) -> None:
    due = count_due(start, days, "working", cal)
    span = [start + timedelta(days=i) for i in range(1, (due.last_day - start).days + 1)]
    assert sum(cal.is_working_day(d) for d in span) == days
    assert cal.is_working_day(due.last_day)
    if cal is PACKAGE:
        assert sum(official_working(d) for d in span) == days


@FAST
@given(start=ANY_DATES, days=DAYS, counting=COUNTING, cal=CALENDARS)
def test_provisional_exactly_when_an_examined_day_is_in_an_unknown_year(
    start: date, days: int, counting: Counting, cal: OfficialCalendar
) -> None:
    due = count_due(start, days, counting, cal)
    first = start + timedelta(days=days if counting == "calendar" else 1)
    examined = [first + timedelta(days=i) for i in range((due.last_day - first).days + 1)]
    assert due.provisional == any(d.year not in cal.known_years() for d in examined)


@FAST
@given(start=ANY_DATES, days=DAYS, counting=COUNTING, step=st.integers(1, 10))
def test_due_date_is_monotonic_in_start_and_days(
    start: date, days: int, counting: Counting, step: int
) -> None:
    def due(s: date, n: int) -> date:
        return count_due(s, n, counting, PACKAGE).last_day

    base = due(start, days)
    assert due(start + timedelta(days=step), days) >= base
    assert due(start, days + step) >= base
    if counting == "working":
        assert due(start, days + step) > base


@FAST
@given(day=ANY_DATES, cal=CALENDARS)
def test_roll_forward_is_identity_on_working_days_and_never_lands_on_rest(
    day: date, cal: OfficialCalendar
) -> None:
    due = roll_forward(day, cal)
    assert cal.is_working_day(due.last_day)
    assert (due.last_day == day) == cal.is_working_day(day)
    assert all(cal.is_rest_day(day + timedelta(days=i)) for i in range((due.last_day - day).days))


@FAST
@given(day=ANY_DATES)
def test_end_instant_is_next_day_midnight_in_shanghai(day: date) -> None:
    end = DueDate(day, provisional=False).end_instant()
    assert end.tzinfo is UTC
    assert end.astimezone(SHANGHAI).replace(tzinfo=None) == datetime.combine(
        day + timedelta(days=1), datetime.min.time()
    )
    assert end - timedelta(hours=16) == datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    assert local_date(end) == day + timedelta(days=1)
    assert local_date(end - timedelta(microseconds=1)) == day


@FAST
@given(
    instant=st.datetimes(datetime(2004, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)).map(
        lambda d: d.replace(microsecond=0)
    )
)
def test_parse_instant_and_to_local_iso_round_trip(instant: datetime) -> None:
    text = to_local_iso(instant)
    assert text.endswith("+08:00") and len(text) == len("2024-10-09T00:00:00+08:00")
    assert parse_instant(text) == instant
    assert parse_instant(text.removesuffix("+08:00")) == instant
    assert to_local_iso(parse_instant(text)) == text
