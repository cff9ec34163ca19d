"""复查回访 (SPEC §8): the monthly 10% sample of closed cases, drawn so anyone can draw it
again, planned once, recorded (a rebound reopens the case), and the revisit rate."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from models.tables import Clock, History, Item, Notification, Revisit, table
from states import revisits
from states.audit import verify
from states.calendar import end_of_day
from states.editing import update_item
from states.errors import BadInput
from states.service import Fired, fire
from tests.conftest import AT
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data, state_of, task_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM, REVISIT, HISTORY = table(Item), table(Revisit), table(History)
CLOCK, NOTE = table(Clock), table(Notification)
MONTH = "2024-11"
MONTH_START = datetime(2024, 11, 1, tzinfo=SHANGHAI)
ELIGIBLE = 21  # closed cases, closed before MONTH began: a sample of ceil(2.1) = 3
ACTOR = {
    "operator": "李四",
    "coordinator": "督改办",
    "acceptance_group": "验收组",
    "review_group": "复核组",
}


def sh(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def _fire(engine: Engine, ref: str, event: str, role: str, at: datetime, data: Any = None) -> Fired:
    return fire(engine, ref, event, actor=ACTOR[role], role=role, at=at, data=data)


def close_case(engine: Engine, ref: str, at: datetime, *, task: bool = False) -> datetime:
    """Drive an item from assigned to closed, starting at ``at``; returns when it closed."""
    _fire(engine, ref, "acknowledge", "operator", at)
    if not task:
        update_item(engine, ref, actor="李四", role="operator", at=at, data=RESOLVED_CASE)
    _fire(engine, ref, "request_acceptance", "operator", at)
    opinion = acceptance(ref, accepted_on=at.astimezone(SHANGHAI).date().isoformat())
    if task:
        opinion["category_checks"] = {}
    _fire(engine, ref, "accept", "acceptance_group", at, opinion)
    _fire(engine, ref, "request_review", "coordinator", at)
    _fire(engine, ref, "review", "review_group", at, {"signoffs": SIGNOFFS})
    _fire(engine, ref, "publish", "coordinator", at)
    # The default notice runs 5 days from publication; it is over at 24:00 of the last.
    closed_at = end_of_day(at.astimezone(SHANGHAI).date() + timedelta(days=4))
    _fire(engine, ref, "close", "coordinator", closed_at)
    return closed_at


def ids_by_ref(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(ITEM.c.ref, ITEM.c.id)).all())


def revisit_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(REVISIT).order_by(REVISIT.c.id)).mappings())


@pytest.fixture
def closed(engine: Engine) -> list[str]:
    """21 cases closed in September/October, and five items that must never be drawn."""
    refs = [f"C{i:03d}" for i in range(ELIGIBLE)]
    for i, ref in enumerate(refs):
        add(engine, case_data(ref), at=AT)
        close_case(engine, ref, sh(2024, 9, 10) + timedelta(days=i % 30))
    add(engine, case_data("LATE"), at=AT)
    # Closed at the very instant the month begins: not "before" it.
    assert close_case(engine, "LATE", sh(2024, 10, 27)) == MONTH_START
    add(engine, case_data("OPEN"), at=AT)
    add(engine, case_data("DUP"), at=AT)
    _fire(engine, "DUP", "merge_duplicate", "coordinator", sh(2024, 9, 5), {"original": "C000"})
    add(engine, task_data(measures=[_complete_measure()]), kind="task", at=AT)
    close_case(engine, "200(19-3)", sh(2024, 9, 12), task=True)
    add(engine, case_data("REOPENED"), at=AT)
    close_case(engine, "REOPENED", sh(2024, 9, 12))
    reason = {"cause": "repeat_complaint", "reason": "群众再次举报"}
    _fire(engine, "REOPENED", "reopen", "coordinator", sh(2024, 10, 8), reason)
    return refs


def _complete_measure() -> dict[str, Any]:
    return {
        "type": "政策措施",
        "text": "完善生态环保诉求管理系统",
        "criteria": {"issued": True, "in_force": True},
        "evidence": "市政办发〔2024〕12号",
    }


# --- the draw ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 25, 100, 1417])
def test_sample_is_ten_percent_rounded_up(n: int) -> None:
    population = list(range(1, n + 1))
    sample = revisits.draw(population, MONTH)
    assert len(sample) == math.ceil(n * 0.1)
    assert len(set(sample)) == len(sample)
    assert set(sample) <= set(population)
    assert sample == sorted(sample)


def test_same_month_draws_the_same_sample_whatever_the_order() -> None:
    population = list(range(1000, 1300))
    shuffled = population[:]
    random.Random(7).shuffle(shuffled)
    assert revisits.draw(population, MONTH) == revisits.draw(shuffled, MONTH)
    assert revisits.draw(population, MONTH) == revisits.draw(tuple(population), MONTH)


def test_other_months_draw_other_samples() -> None:
    population = list(range(1, 301))
    months = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
    samples = {tuple(revisits.draw(population, m)) for m in months}
    assert len(samples) == len(months)


def test_month_must_be_yyyy_mm(engine: Engine) -> None:
    for bad in ("2024-13", "2024-1", "202411", "", "2024-11-01"):
        with pytest.raises(BadInput):
            revisits.plan(engine, bad, AT)


# --- planning ------------------------------------------------------------------------------


def test_plan_draws_only_cases_closed_before_the_month(engine: Engine, closed: list[str]) -> None:
    ids = ids_by_ref(engine)
    plan = revisits.plan(engine, MONTH, MONTH_START)
    assert plan["population"] == ELIGIBLE
    assert plan["seed"] == hex(revisits.seed_of(MONTH))
    expected = revisits.draw([ids[r] for r in closed], MONTH)
    by_id = {v: k for k, v in ids.items()}
    assert plan["sample"] == [by_id[i] for i in expected]
    assert len(plan["sample"]) == 3
    assert set(plan["sample"]) <= set(closed)
    assert plan["new"] == 3
    rows = revisit_rows(engine)
    assert [(r["item_id"], r["month"], r["planned"], r["done_on"]) for r in rows] == [
        (i, MONTH, True, None) for i in expected
    ]


def test_plan_twice_inserts_once(engine: Engine, closed: list[str]) -> None:
    first = revisits.plan(engine, MONTH, MONTH_START)
    with engine.connect() as conn:
        notes = conn.execute(select(func.count()).select_from(NOTE)).scalar_one()
    again = revisits.plan(engine, MONTH, MONTH_START + timedelta(days=1))
    assert again["sample"] == first["sample"]
    assert again["new"] == 0
    assert len(revisit_rows(engine)) == 3
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(NOTE)).scalar_one() == notes


def test_the_next_month_draws_from_its_own_population(engine: Engine, closed: list[str]) -> None:
    revisits.plan(engine, MONTH, MONTH_START)
    december = revisits.plan(engine, "2024-12", MONTH_START + timedelta(days=30))
    assert december["population"] == ELIGIBLE + 1  # LATE closed before December began
    assert len(revisit_rows(engine)) == 3 + len(december["sample"])


# --- recording revisits --------------------------------------------------------------------


def record(engine: Engine, ref: str, done_on: str, rebound: bool) -> Fired:
    data = {
        "done_on": done_on,
        "method": "电话回访",
        "finding": "油烟反弹，群众再次反映" if rebound else "整改效果稳定，群众满意",
        "rebound": rebound,
    }
    return _fire(engine, ref, "record_revisit", "coordinator", sh(2024, 11, 5), data)


def test_a_rebound_reopens_the_case(engine: Engine, closed: list[str]) -> None:
    plan = revisits.plan(engine, MONTH, MONTH_START)
    ref = plan["sample"][0]
    fired = record(engine, ref, "2024-11-05", rebound=True)
    assert (fired.from_state, fired.to_state) == ("closed", "investigating")
    assert state_of(engine, ref) == "investigating"
    row = next(r for r in revisit_rows(engine) if r["item_id"] == ids_by_ref(engine)[ref])
    assert (row["planned"], row["done_on"], row["method"], row["rebound"]) == (
        True,
        date(2024, 11, 5),
        "电话回访",
        True,
    )
    with engine.connect() as conn:
        item_id = ids_by_ref(engine)[ref]
        events = conn.execute(
            select(HISTORY.c.event, HISTORY.c.data)
            .where(HISTORY.c.item_id == item_id)
            .order_by(HISTORY.c.seq.desc())
            .limit(2)
        ).all()
        running = conn.execute(
            select(CLOCK.c.kind).where(CLOCK.c.item_id == item_id, CLOCK.c.stopped_at.is_(None))
        ).all()
    assert [e.event for e in events] == ["reopen", "record_revisit"]
    assert events[0].data["cause"] == "rebound"
    assert [r.kind for r in running] == ["rectification"]
    assert verify(engine).ok


def test_no_rebound_leaves_the_case_closed(engine: Engine, closed: list[str]) -> None:
    plan = revisits.plan(engine, MONTH, MONTH_START)
    ref = plan["sample"][1]
    fired = record(engine, ref, "2024-11-06", rebound=False)
    assert fired.to_state == "closed"
    assert state_of(engine, ref) == "closed"


def test_rate_is_done_over_planned_and_may_exceed_one(engine: Engine, closed: list[str]) -> None:
    assert revisits.rate(engine, MONTH) == {"planned": 0, "done": 0, "rate": None}
    plan = revisits.plan(engine, MONTH, MONTH_START)
    assert revisits.rate(engine, MONTH) == {"planned": 3, "done": 0, "rate": 0.0}
    record(engine, plan["sample"][0], "2024-11-05", rebound=False)
    assert revisits.rate(engine, MONTH) == {"planned": 3, "done": 1, "rate": 0.3333}
    # Units revisit more than the sample asks (one city reported 122%).
    extra = [r for r in closed if r not in plan["sample"]][:3]
    for ref in extra:
        record(engine, ref, "2024-11-07", rebound=False)
    assert revisits.rate(engine, MONTH) == {"planned": 3, "done": 4, "rate": 1.3333}
    assert revisits.rate(engine) == {"planned": 3, "done": 4, "rate": 1.3333}
    assert revisits.rate(engine, "2024-12") == {"planned": 0, "done": 0, "rate": None}
    adhoc = [r for r in revisit_rows(engine) if not r["planned"]]
    assert len(adhoc) == 3
    assert {r["month"] for r in adhoc} == {MONTH}
