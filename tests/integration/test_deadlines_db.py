"""Due dates through the database (SPEC §7): rolled past rest days, provisional for years
the official calendar does not know and recomputed once it does, working-day counting,
and extensions that move the deadline but keep what already happened."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from models.tables import Clock, Escalation, Extension, History, Item, table
from states import deadlines, views
from states.audit import verify
from states.calendar import OfficialCalendar, YearDays, end_of_day
from states.editing import update_item
from states.errors import Refused
from states.rules import Rules
from states.service import DEFAULT_RULES, fire
from states.sweep import sweep
from tests.conftest import AT
from tests.support import RESOLVED_CASE, add, case_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK, ESC, HISTORY, ITEM = table(Clock), table(Escalation), table(History), table(Item)
EXTENSION = table(Extension)
REF = "D2100001"


def _days(first: str, last: str) -> frozenset[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return frozenset(start + timedelta(days=i) for i in range((end - start).days + 1))


# As a deployment's calendar file would give 2027 once the State Council publishes it.
RULES_2027 = Rules(
    calendar=OfficialCalendar(
        extra_years={
            2027: YearDays(
                holidays=_days("2027-10-01", "2027-10-07"),
                workdays=frozenset({date(2027, 9, 26), date(2027, 10, 9)}),
            )
        }
    )
)


def sh(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def clocks_of(engine: Engine, ref: str = REF) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return views.show(conn, ref)["clocks"]


def running(engine: Engine, ref: str = REF) -> Any:
    with engine.connect() as conn:
        return (
            conn.execute(
                select(CLOCK)
                .join(ITEM, ITEM.c.id == CLOCK.c.item_id)
                .where(ITEM.c.ref == ref, CLOCK.c.stopped_at.is_(None))
            )
            .mappings()
            .one()
        )


def history_events(engine: Engine, ref: str = REF) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(HISTORY)
                .join(ITEM, ITEM.c.id == HISTORY.c.item_id)
                .where(ITEM.c.ref == ref)
                .order_by(HISTORY.c.seq)
            ).mappings()
        )


def levels(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(ESC.c.level).order_by(ESC.c.id)).scalars())


# --- rolled past rest days -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "due"),
    [
        ("2024-09-06", "2024-09-06"),  # a Friday stays
        ("2024-09-07", "2024-09-09"),  # Saturday → Monday
        ("2024-09-08", "2024-09-09"),  # Sunday → Monday
        ("2024-10-01", "2024-10-08"),  # National Day → the first working day after
        ("2024-10-12", "2024-10-12"),  # a 调休 Saturday is a working day
    ],
    ids=["friday", "saturday", "sunday", "national_day", "adjusted_saturday"],
)
def test_rectification_due_rolls_past_rest_days(engine: Engine, given: str, due: str) -> None:
    add(engine, case_data(rectification_due=given), at=AT)
    (clock,) = clocks_of(engine)
    assert (clock["kind"], clock["due_date"], clock["provisional"]) == ("rectification", due, False)
    assert clock["due_at"] == f"{date.fromisoformat(due) + timedelta(days=1)}T00:00:00+08:00"
    with engine.connect() as conn:
        assert views.show(conn, REF)["rectification_due"] == given  # as given, printed as given


def _to_rectified(engine: Engine, at: datetime, rules: Rules) -> None:
    fire(engine, REF, "acknowledge", actor="李四", role="operator", at=at, rules=rules)
    update_item(engine, REF, actor="李四", role="operator", at=at, data=RESOLVED_CASE)
    fire(engine, REF, "request_acceptance", actor="李四", role="operator", at=at, rules=rules)


def test_acceptance_due_moves_past_national_day(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    _to_rectified(engine, sh(2024, 9, 24), DEFAULT_RULES)
    clock = running(engine)
    assert (clock["kind"], clock["counting"], clock["length_days"]) == ("acceptance", "calendar", 7)
    assert clock["due_date"] == date(2024, 10, 8)
    assert clock["due_at"] == end_of_day(date(2024, 10, 8))


def test_working_day_counting_lands_on_an_adjusted_saturday(engine: Engine) -> None:
    working = Rules(counting="working")
    add(engine, case_data(), at=AT, rules=working)
    _to_rectified(engine, sh(2024, 9, 27, 16), working)
    clock = running(engine)
    assert (clock["kind"], clock["counting"]) == ("acceptance", "working")
    assert clock["basis_date"] == date(2024, 9, 27)
    assert clock["due_date"] == date(2024, 10, 12)  # the 7th working day: a 调休 Saturday
    assert not clock["provisional"]


# --- provisional due dates -----------------------------------------------------------------


def test_due_in_an_unknown_year_is_provisional_until_the_year_is_known(engine: Engine) -> None:
    # 2027-10-02 is a Saturday; chinesecalendar 1.11.0 ends with 2026.
    add(engine, case_data(rectification_due="2027-10-02"), at=AT)
    (clock,) = clocks_of(engine)
    assert clock["provisional"] is True
    assert clock["due_date"] == "2027-10-04"  # weekends alone: the Monday
    assert deadlines.provisional_count(engine) == 1
    with engine.connect() as conn:
        (listed,) = views.listing(conn, kind="case", now=AT)
    assert listed["provisional"] is True

    # Nothing known yet: nothing to say, nothing written.
    assert deadlines.refresh(engine, AT, DEFAULT_RULES) == []
    assert len(history_events(engine)) == 1

    at = sh(2026, 12, 10)
    changes = deadlines.refresh(engine, at, RULES_2027)
    assert [c.to_dict() for c in changes] == [
        {
            "ref": REF,
            "clock": "rectification",
            "old_due": "2027-10-04",
            "new_due": "2027-10-08",
            "still_provisional": False,
        }
    ]
    (clock,) = clocks_of(engine)
    assert clock["provisional"] is False
    assert clock["due_date"] == "2027-10-08"
    assert clock["due_at"] == "2027-10-09T00:00:00+08:00"
    assert [(h["due_date"], h["provisional"], h["reason"]) for h in clock["due_history"]] == [
        ("2027-10-04", True, "calendar_refresh")
    ]
    last = history_events(engine)[-1]
    assert (last["event"], last["actor"], last["from_state"], last["to_state"]) == (
        "recompute_due",
        "system",
        "assigned",
        "assigned",
    )
    assert (last["data"]["old_due"], last["data"]["new_due"]) == ("2027-10-04", "2027-10-08")
    assert deadlines.provisional_count(engine) == 0
    assert verify(engine).ok

    rows = len(history_events(engine))
    assert deadlines.refresh(engine, at + timedelta(days=1), RULES_2027) == []
    assert len(history_events(engine)) == rows
    assert clocks_of(engine)[0]["due_history"] == clock["due_history"]


def test_recomputed_due_moves_the_escalation_ladder(engine: Engine) -> None:
    add(engine, case_data(rectification_due="2027-10-02"), at=AT)
    deadlines.refresh(engine, sh(2026, 12, 10), RULES_2027)
    # The provisional date's warning time is gone; the official one's is honoured.
    old_warning = end_of_day(date(2027, 10, 4)) - timedelta(days=1)
    assert sweep(engine, old_warning, RULES_2027).escalations == []
    new_warning = end_of_day(date(2027, 10, 8)) - timedelta(days=1)
    assert [e["level"] for e in sweep(engine, new_warning, RULES_2027).escalations] == ["warning"]


# --- extensions ----------------------------------------------------------------------------


def _extend(engine: Engine, proposed: str, at: datetime, **approval: str) -> None:
    fire(
        engine,
        REF,
        "request_extension",
        actor="李四",
        role="operator",
        at=at,
        data={"reason": "设备采购周期长", "proposed_due": proposed},
    )
    fire(
        engine,
        REF,
        "approve_extension",
        actor="督改办",
        role="coordinator",
        at=at,
        data=approval or None,
    )


def test_approved_extension_moves_the_due_date_and_keeps_what_happened(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    warning = end_of_day(date(2024, 9, 30)) - timedelta(days=1)
    assert [e["level"] for e in sweep(engine, warning).escalations] == ["warning"]
    _extend(engine, "2024-10-31", warning + timedelta(hours=2))

    clock = running(engine)
    assert clock["due_date"] == date(2024, 10, 31)
    assert clock["due_at"] == end_of_day(date(2024, 10, 31))
    assert [(h["due_date"], h["reason"]) for h in clock["due_history"]] == [
        ("2024-09-30", "extension")
    ]
    with engine.connect() as conn:
        item = conn.execute(select(ITEM).where(ITEM.c.ref == REF)).mappings().one()
        ext = conn.execute(select(EXTENSION)).mappings().one()
    assert item["rectification_due"] == date(2024, 10, 31)
    assert (ext["status"], ext["approved_due"]) == ("approved", date(2024, 10, 31))
    events = [h["event"] for h in history_events(engine)]
    assert events == ["register", "escalate", "request_extension", "approve_extension"]

    # The old due time passes quietly; the warning already sent is not sent again.
    assert sweep(engine, end_of_day(date(2024, 9, 30)) + timedelta(days=1)).escalations == []
    result = sweep(engine, end_of_day(date(2024, 10, 31)))
    assert [e["level"] for e in result.escalations] == ["supervision_letter"]
    assert levels(engine) == ["warning", "supervision_letter"]
    assert verify(engine).ok


def test_coordinator_may_approve_another_date_rolled_past_rest_days(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    _extend(engine, "2024-10-31", sh(2024, 9, 20), new_due="2024-10-05")
    clock = running(engine)
    assert clock["due_date"] == date(2024, 10, 8)  # 10-05 is in the National Day holiday
    with engine.connect() as conn:
        assert views.show(conn, REF)["rectification_due"] == "2024-10-05"


def test_rejected_or_too_early_extension_leaves_the_due_date(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    at = sh(2024, 9, 20)
    with pytest.raises(Refused) as refused:
        fire(
            engine,
            REF,
            "request_extension",
            actor="李四",
            role="operator",
            at=at,
            data={"reason": "来不及", "proposed_due": "2024-09-30"},
        )
    assert [u.code for u in refused.value.unmet] == ["extension_not_later"]
    fire(
        engine,
        REF,
        "request_extension",
        actor="李四",
        role="operator",
        at=at,
        data={"reason": "设备采购周期长", "proposed_due": "2024-11-30"},
    )
    fire(
        engine,
        REF,
        "reject_extension",
        actor="督改办",
        role="coordinator",
        at=at,
        data={"reason": "理由不充分"},
    )
    clock = running(engine)
    assert clock["due_date"] == date(2024, 9, 30)
    assert clock["due_history"] == []
