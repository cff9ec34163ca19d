"""``fire`` and ``update_item`` on a connection the caller holds for many writes, as the
sweep's closures and the demo do: each write still its own transaction, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update

from models.tables import Item, table
from states.audit import verify
from states.errors import Refused
from tests.integration.states.life import LIFE, REF, every_row, history, item, new_case, run, sh

ITEM = table(Item)


def test_a_whole_life_on_one_held_connection(engine: Engine) -> None:
    new_case(engine)
    with engine.connect() as conn:
        for step, role, at, data in LIFE:
            run(conn, step, role, at, data)
            assert not conn.in_transaction()
    assert item(engine)["state"] == "closed"
    assert item(engine)["filing_no"]
    assert [h["event"] for h in history(engine)] == ["register"] + [s[0] for s in LIFE]
    assert verify(engine).ok


def test_a_refusal_on_a_held_connection_changes_nothing_and_leaves_it_usable(
    engine: Engine,
) -> None:
    new_case(engine)
    before = every_row(engine)
    with engine.connect() as conn:
        with pytest.raises(Refused):
            run(conn, "request_acceptance", "operator", sh("2024-09-04T09:00"), None)
        assert not conn.in_transaction()
        assert every_row(engine) == before
        fired = run(conn, "acknowledge", "operator", sh("2024-09-04T09:00"), None)
    assert (fired.from_state, fired.to_state) == ("assigned", "investigating")
    assert item(engine)["state"] == "investigating"


def test_a_connection_inside_a_transaction_is_refused_and_nothing_written(engine: Engine) -> None:
    new_case(engine)
    before = every_row(engine)
    with engine.connect() as conn:
        conn.execute(update(ITEM).where(ITEM.c.ref == REF).values(summary="调用方的事务"))
        with pytest.raises(RuntimeError, match="outside any transaction"):
            run(conn, "acknowledge", "operator", sh("2024-09-04T09:00"), None)
        conn.rollback()
    assert every_row(engine) == before
