"""``rectiflow demo``: Anshan's 534 cases and a dozen tasks, items in every state, loaded
through the product's own rules (rectiflow/demo.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from models.tables import (
    Clock,
    District,
    DuplicateLink,
    Extension,
    History,
    Item,
    Notification,
    Objection,
    table,
)
from rectiflow.demo import CASES, plan
from rectiflow.demo import load as load_demo
from states.audit import verify
from states.lifecycle import State
from states.rules import Rules
from states.sweep import sweep
from states.views import counts_by_state

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 11:00 Asia/Shanghai
RULES = Rules()
ITEM = table(Item)

pytestmark = pytest.mark.slow


def _count(engine: Engine, model: type, *where: object) -> int:
    t = table(model)
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t).where(*where)).scalar_one())


def _statuses(engine: Engine, model: type) -> dict[str, int]:
    t = table(model)
    with engine.connect() as conn:
        return dict(conn.execute(select(t.c.status, func.count()).group_by(t.c.status)).all())


def test_demo_loads_every_state_escalates_and_loads_once(sqlite_engine: Engine) -> None:
    summary = load_demo(sqlite_engine, AT, RULES)
    assert "534 cases" in summary and "12 tasks" in summary

    with sqlite_engine.connect() as conn:
        states = counts_by_state(conn)
    assert {s.value for s in State if not states.get(s.value)} == set(), states
    assert _count(sqlite_engine, Item, ITEM.c.kind == "task") == 12
    assert _count(sqlite_engine, Item, ITEM.c.kind == "case") == sum(CASES.values()) == 534
    assert _count(sqlite_engine, DuplicateLink) >= 3
    assert _count(sqlite_engine, Item, ITEM.c.filing_no.is_not(None)) > 0
    assert {"pending", "approved"} <= set(_statuses(sqlite_engine, Extension))
    assert "pending" in _statuses(sqlite_engine, Objection)
    assert _count(sqlite_engine, Item, ITEM.c.complainant_name.is_(None)) > 0  # anonymous ones
    assert verify(sqlite_engine).ok

    # The notice's figures, district by district (海城市162件、台安县34件、…).
    with sqlite_engine.connect() as conn:
        d = table(District)
        per_district = dict(
            conn.execute(
                select(d.c.name, func.count())
                .join(ITEM, ITEM.c.district_id == d.c.id)
                .where(ITEM.c.kind == "case")
                .group_by(d.c.name)
            ).all()
        )
    assert per_district == dict(CASES)

    models = (Item, History, Clock, Notification)
    before = [_count(sqlite_engine, m) for m in models]
    again = load_demo(sqlite_engine, AT, RULES)
    assert "already" in again
    assert [_count(sqlite_engine, m) for m in models] == before

    swept = sweep(sqlite_engine, AT, RULES)
    assert swept.escalations, "some demo items must be overdue at the demo's own instant"
    assert swept.notifications > 0
    assert verify(sqlite_engine).ok


def test_demo_history_holds_no_personal_data(sqlite_engine: Engine) -> None:
    load_demo(sqlite_engine, AT, RULES)
    h = table(History)
    with sqlite_engine.connect() as conn:
        q = select(ITEM.c.complainant_phone).where(ITEM.c.complainant_phone.is_not(None))
        phones = list(conn.execute(q).scalars())
        rows = conn.execute(select(h.c.event, h.c.data)).all()
    assert phones
    text = "\n".join(json.dumps(data, ensure_ascii=False) for _, data in rows)
    assert [p for p in phones if p in text] == []
    registered = [data.get("complainant") for event, data in rows if event == "register"]
    assert set(registered) <= {"***", None} and "***" in registered


def test_demo_plan_is_deterministic_and_ends_before_its_instant() -> None:
    first, second = plan(AT, RULES), plan(AT, RULES)
    assert [(d.ref, d.data, [(s.at, s.event, s.data) for s in d.steps]) for d in first] == [
        (d.ref, d.data, [(s.at, s.event, s.data) for s in d.steps]) for d in second
    ]
    for d in first:
        times = [d.assigned, *(s.at for s in d.steps)]
        assert times == sorted(times) and times[-1] < AT, d.ref
