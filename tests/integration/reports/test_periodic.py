"""The weekly and monthly report (SPEC §9): every figure of a known data set, exactly, and
the summary sentences as the cities publish them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event

from models.engine import make_engine, reading
from reports import Period, report, report_markdown
from reports.figures import Share, Totals
from reports.periodic import Report, section
from reports.periods import month_before, week_before
from reports.sentences import closure, net_of_duplicates, per_district, problems, rate
from states.errors import BadInput
from tests.conftest import _drop_pg, _pg_database
from tests.integration.reports.conftest import NOW, PERSONAL, SHANGHAI

MONTHLY_NOW = datetime(2024, 10, 1, 8, tzinfo=SHANGHAI)  # the 1st, 08:00


def weekly(engine: Engine, now: datetime = NOW) -> Report:
    with reading(engine) as conn:
        return report(conn, "weekly", now)


def cases(r: Report) -> Any:
    (section,) = [s for s in r.sections if s.kind == "case"]
    return section


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "first", "last"),
    [
        (datetime(2024, 9, 23, 8, tzinfo=SHANGHAI), date(2024, 9, 16), date(2024, 9, 22)),
        (datetime(2024, 9, 29, 23, tzinfo=SHANGHAI), date(2024, 9, 16), date(2024, 9, 22)),
        # Monday 00:30 in Shanghai is still Sunday in UTC: the local date counts.
        (datetime(2024, 9, 23, 0, 30, tzinfo=SHANGHAI), date(2024, 9, 16), date(2024, 9, 22)),
    ],
)
def test_weekly_period_is_the_last_full_week_monday_to_sunday(
    now: datetime, first: date, last: date
) -> None:
    assert week_before(now) == Period(first, last)


@pytest.mark.parametrize(
    ("now", "first", "last"),
    [
        (datetime(2024, 10, 1, 8, tzinfo=SHANGHAI), date(2024, 9, 1), date(2024, 9, 30)),
        (datetime(2024, 3, 1, 8, tzinfo=SHANGHAI), date(2024, 2, 1), date(2024, 2, 29)),
        (datetime(2025, 1, 1, 8, tzinfo=SHANGHAI), date(2024, 12, 1), date(2024, 12, 31)),
    ],
)
def test_monthly_period_is_the_last_calendar_month(now: datetime, first: date, last: date) -> None:
    assert month_before(now) == Period(first, last)


def test_period_runs_from_midnight_to_midnight_shanghai() -> None:
    p = Period(date(2024, 9, 16), date(2024, 9, 22))
    assert p.start.isoformat() == "2024-09-16T00:00:00+08:00"
    assert p.end.astimezone(SHANGHAI).isoformat() == "2024-09-23T00:00:00+08:00"
    assert p.zh == "2024年9月16日至2024年9月22日"


def test_period_ending_before_it_begins_is_bad_input() -> None:
    with pytest.raises(BadInput, match="早于开始日期"):
        Period(date(2024, 9, 22), date(2024, 9, 16))


# --- the sentences, with the cities' own figures --------------------------------------------


def _totals(kind: str = "case", **given: int) -> Totals:
    zero = dict.fromkeys(
        (
            "assigned closed duplicates untrue done closed_rectified closed_on_time disclosed "
            "key_cases key_open problems problems_resolved"
        ).split(),
        0,
    )
    return Totals(kind=kind, **(zero | given))


def test_closure_sentence_reads_as_yantai_published_it() -> None:
    assert (
        closure(_totals(assigned=881, closed=873))
        == "交办我市881件，已整改销号873件，未整改销号8件"
    )


def test_problem_sentence_reads_as_panjin_published_it() -> None:
    t = _totals(assigned=91, problems=100, key_cases=21)
    assert problems(t) == "91件共100个问题，其中重点案件21件"


def test_net_sentence_deducts_duplicates_and_untrue_cases() -> None:
    t = _totals(assigned=70, duplicates=6, untrue=3, done=53)
    assert (
        net_of_duplicates(t) == "扣除重复访和不实，应完成整改61项，实际完成53项，还有8项正在整改中"
    )


def test_district_breakdown_reads_as_the_anshan_notice() -> None:
    shares = [
        Share(name, True, n, n, 0, 0)
        for name, n in (("海城市", 162), ("台安县", 34), ("岫岩县", 96))
    ]
    assert per_district(shares) == "（海城市162件、台安县34件、岫岩县96件）"


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [(873, 881, "99.1%"), (1, 2, "50%"), (1417, 1161, "122%"), (2, 2, "100%"), (0, 0, "—")],
)
def test_rates_print_one_decimal_and_drop_a_trailing_zero(part: int, whole: int, text: str) -> None:
    assert rate(part, whole) == text


# --- the weekly report of the known data set ------------------------------------------------


def test_weekly_summary_sentences(seeded: Engine) -> None:
    assert cases(weekly(seeded)).sentences == [
        "交办我市7件（海城市4件、台安县2件、市生态环境局1件），已整改销号3件，未整改销号4件",
        "7件共5个问题，其中重点案件2件",
        "扣除重复访和不实，应完成整改5项，实际完成2项，还有3项正在整改中",
        "已整改销号2件，其中按期办结1件，按期办结率50%",
        "经公示后销号2件，公示率100%",
    ]


def test_weekly_cumulative_figures(seeded: Engine) -> None:
    t = cases(weekly(seeded)).totals
    assert (t.assigned, t.closed, t.open) == (7, 3, 4)
    assert (t.duplicates, t.untrue, t.due, t.done, t.in_progress) == (1, 1, 5, 2, 3)
    assert (t.closed_rectified, t.closed_on_time, t.disclosed) == (2, 1, 2)
    assert (t.key_cases, t.key_open, t.problems, t.problems_resolved) == (2, 1, 5, 3)


def test_weekly_counts_by_state_list_every_state(seeded: Engine) -> None:
    assert cases(weekly(seeded)).states == {
        "assigned": 1,
        "investigating": 3,
        "rectified": 0,
        "accepted": 0,
        "reviewed": 0,
        "published": 0,
        "closed": 3,
    }


def test_weekly_counts_by_district_and_unit(seeded: Engine) -> None:
    s = cases(weekly(seeded))
    by_district = [
        (d.name, d.assigned, d.closed, d.open, d.overdue, d.key_cases) for d in s.districts
    ]
    assert by_district == [
        ("海城市", 4, 2, 2, 1, 1),
        ("台安县", 2, 1, 1, 0, 1),
        ("市生态环境局", 1, 0, 1, 1, 0),
    ]
    assert [(u.name, u.assigned, u.overdue) for u in s.units] == [
        ("海城市人民政府", 4, 1),
        ("台安县人民政府", 2, 0),
        ("市生态环境局", 1, 1),
    ]


def test_weekly_period_figures_count_only_what_happened_in_the_week(seeded: Engine) -> None:
    s = cases(weekly(seeded))
    mv = s.movement
    # A, B closed 09-16 (B late); F merged 09-17; all cases were assigned the week of 09-02.
    assert (mv.assigned, mv.closed, mv.closed_on_time, mv.merged) == (0, 2, 1, 1)
    # The sweep of 09-20: D all four rungs, G its warning.
    assert mv.escalations == {
        "warning": 2,
        "supervision_letter": 1,
        "interview": 1,
        "referral": 1,
    }
    assert (mv.revisits, mv.rebounds) == (2, 1)
    assert s.overdue == {"rectification": 2, "acceptance": 0, "review_application": 0, "review": 0}


def test_weekly_lists_open_key_cases_only(seeded: Engine) -> None:
    (key,) = cases(weekly(seeded)).key_cases
    assert (key.ref, key.state, key.district, key.rectification_due, key.overdue) == (
        "E",
        "assigned",
        "台安县",
        "2024-10-31",
        False,
    )


def test_tasks_are_reported_in_their_own_section_in_items(seeded: Engine) -> None:
    (task,) = [s for s in weekly(seeded).sections if s.kind == "task"]
    assert task.sentences == [
        "交办我市整改任务1项（市生态环境局1项），已整改销号0项，未整改销号1项"
    ]
    assert task.key_cases == []


# --- the monthly report --------------------------------------------------------------------


def test_monthly_report_covers_the_calendar_month_before(seeded: Engine) -> None:
    with reading(seeded) as conn:
        r = report(conn, "monthly", MONTHLY_NOW)
    assert r.title == "督察整改工作月报（2024年9月1日至2024年9月30日）"
    s = cases(r)
    mv = s.movement
    assert (mv.assigned, mv.closed, mv.closed_on_time, mv.merged) == (7, 2, 1, 1)
    assert (mv.revisits, mv.rebounds) == (2, 1)
    # At 10-01 08:00, C (reopened, due 09-30) is overdue too.
    assert s.overdue["rectification"] == 3
    assert [(d.name, d.overdue) for d in s.districts] == [
        ("海城市", 2),
        ("台安县", 0),
        ("市生态环境局", 1),
    ]


def test_the_same_now_gives_the_same_report(seeded: Engine) -> None:
    assert weekly(seeded).to_dict() == weekly(seeded).to_dict()


def test_an_explicit_period_is_used_as_given(seeded: Engine) -> None:
    with reading(seeded) as conn:
        r = report(conn, "weekly", NOW, Period(date(2024, 9, 17), date(2024, 9, 17)))
    assert cases(r).movement.merged == 1
    assert cases(r).movement.closed == 0


def test_a_period_that_has_not_begun_is_bad_input(seeded: Engine) -> None:
    with reading(seeded) as conn, pytest.raises(BadInput, match="尚未开始"):
        report(conn, "weekly", NOW, Period(date(2024, 9, 24), date(2024, 9, 30)))


def test_unknown_report_name_is_bad_input(seeded: Engine) -> None:
    with reading(seeded) as conn, pytest.raises(BadInput, match="未知报告"):
        report(conn, "yearly", NOW)


# --- output --------------------------------------------------------------------------------


def test_markdown_is_chinese_and_carries_the_sentences_and_tables(seeded: Engine) -> None:
    md = report_markdown(weekly(seeded))
    assert md.startswith("# 督察整改工作周报（2024年9月16日至2024年9月22日）\n")
    assert "数据截至2024年9月23日 08:00" in md
    assert (
        "交办我市7件（海城市4件、台安县2件、市生态环境局1件），已整改销号3件，未整改销号4件。" in md
    )
    assert "| 海城市 | 4 | 2 | 2 | 1 | 1 |" in md
    assert "| 本期移送问题线索 | 1次 |" in md
    assert "| E | 饭店油烟扰民 | 台安县 | 台安县人民政府 | 已交办 | 2024-10-31 | 否 |" in md


def test_no_personal_data_in_any_output(seeded: Engine) -> None:
    r = weekly(seeded)
    text = report_markdown(r) + repr(r.to_dict())
    for personal in PERSONAL:
        assert personal not in text


def _statements(engine: Engine) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with reading(engine) as conn:
            section(conn, "case", NOW, week_before(NOW))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.fixture
def empty(seeded: Engine, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A freshly migrated, empty database of the same backend as ``seeded``."""
    if seeded.dialect.name == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
        return
    name, url = _pg_database(request.getfixturevalue("pg_template"))
    eng = make_engine(url)
    yield eng
    eng.dispose()
    _drop_pg(name)


def test_report_is_set_based_its_statements_do_not_grow_with_the_data(
    seeded: Engine, empty: Engine
) -> None:
    """As many statements for the data set as for an empty database: no query per item."""
    assert _statements(seeded) == _statements(empty)
