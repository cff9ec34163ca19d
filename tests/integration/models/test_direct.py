"""Statements sent straight to the driver behave as Core's: same values, same errors,
same transactions, and listeners still see every statement."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date, Engine, Integer, event, select, update
from sqlalchemy.exc import IntegrityError

from models import direct
from models.bulk import insert_rows
from models.direct import driver, in_driver_transaction, rows_where, update_where
from models.engine import connected, reading, write_transaction, writing
from models.tables import Clock, History, Item, table
from models.types import UTCDateTime
from tests.conftest import AT
from tests.support import add, case_data

ITEM, HISTORY, CLOCK = table(Item), table(History), table(Clock)


def test_rows_read_directly_equal_the_rows_core_reads(engine: Engine) -> None:
    item_id = add(engine, case_data("D7", rectification_due="2024-09-30"), at=AT)
    with reading(engine) as conn:
        (direct,) = rows_where(conn, ITEM, {"id": item_id})
        core = dict(conn.execute(select(ITEM).where(ITEM.c.id == item_id)).mappings().one())
        clocks = rows_where(conn, CLOCK, {"item_id": item_id})
    assert direct == core
    assert direct["assigned_at"].tzinfo is not None and direct["key_case"] is False
    assert direct["rectification_due"] == date(2024, 9, 30)
    assert direct["pollution_types"] == core["pollution_types"] != []
    assert clocks[0]["due_history"] == [] and clocks[0]["started_at"] == AT


def _filled(column: Any, item_id: int) -> Any:
    """A value for a column left empty, of the column's own type."""
    if column.name == "duplicate_of_id":
        return item_id
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return datetime(2024, 9, 5, 1, 2, 3, 456789, tzinfo=UTC)
    if isinstance(kind, JSON):
        return ["甲", "乙"]  # the JSON columns hold lists of names
    if isinstance(kind, Date):
        return date(2024, 10, 31)
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 7
    return f"{column.name} 的值"


def test_every_column_read_directly_equals_cores_reading(engine: Engine) -> None:
    # Each column is typed by its own position in the generated reader: a row with every
    # column set to a value of its type catches a column read from the wrong place.
    item_id = add(engine, case_data("D16"), at=AT)
    with reading(engine) as conn:
        (before,) = rows_where(conn, ITEM, {"id": item_id})
    values = {
        c.name: _filled(c, item_id)
        for c in ITEM.columns
        if before[c.name] is None and not (c.foreign_keys and c.name != "duplicate_of_id")
    }
    assert {"review_applied_at", "notice_end", "satisfied", "filing_no"} <= set(values)
    with writing(engine) as conn:
        conn.execute(update(ITEM).where(ITEM.c.id == item_id).values(values))
    with reading(engine) as conn:
        (direct,) = rows_where(conn, ITEM, {"id": item_id})
        core = dict(conn.execute(select(ITEM).where(ITEM.c.id == item_id)).mappings().one())
    assert direct == core
    assert {k: direct[k] for k in values} == values


def test_an_update_outside_a_transaction_is_rolled_back_like_cores(engine: Engine) -> None:
    item_id = add(engine, case_data("D8"), at=AT)
    later = datetime(2024, 9, 3, tzinfo=UTC)
    with engine.connect() as conn:
        changed = update_where(conn, ITEM, {"updated_at": later}, {"id": item_id, "version": 1})
        assert changed == 1
        conn.rollback()
    with reading(engine) as conn:
        assert rows_where(conn, ITEM, {"id": item_id})[0]["updated_at"] == AT


def test_a_driver_error_is_raised_as_sqlalchemys_and_writes_nothing(engine: Engine) -> None:
    item_id = add(engine, case_data("D9"), at=AT)
    with reading(engine) as conn:
        (first,) = rows_where(conn, HISTORY, {"item_id": item_id})
    again = {k: v for k, v in first.items() if k != "id"}
    with pytest.raises(IntegrityError), writing(engine) as conn:
        update_where(conn, ITEM, {"summary": "改"}, {"id": item_id})
        insert_rows(conn, HISTORY, [again])  # the same (item_id, seq): unique
    with reading(engine) as conn:
        assert rows_where(conn, ITEM, {"id": item_id})[0]["summary"] != "改"


def test_rows_of_different_shapes_keep_every_value(engine: Engine) -> None:
    item_id = add(engine, case_data("D10"), at=AT)
    base = {"item_id": item_id, "kind": "acceptance", "started_at": AT, "basis_date": AT.date()}
    base |= {"length_days": 7, "counting": "working", "due_date": date(2024, 9, 11)}
    base |= {"due_at": AT, "provisional": False, "next_level": 0, "due_history": []}
    stopped = base | {"stopped_at": AT, "stop_reason": "测试"}
    with writing(engine) as conn:
        insert_rows(conn, CLOCK, [stopped, base | {"kind": "review"}])
    with reading(engine) as conn:
        rows = {r["kind"]: r for r in rows_where(conn, CLOCK, {"item_id": item_id})}
    assert rows["acceptance"]["stop_reason"] == "测试" and rows["acceptance"]["stopped_at"] == AT
    assert rows["review"]["stopped_at"] is None


def test_cursor_listeners_see_the_statements(engine: Engine) -> None:
    item_id = add(engine, case_data("D11"), at=AT)
    seen: list[str] = []

    def listen(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        with writing(engine) as conn:
            update_where(conn, ITEM, {"updated_at": AT}, {"id": item_id})
            rows_where(conn, ITEM, {"id": item_id})
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert any(s.lstrip().upper().startswith("UPDATE ITEM") for s in seen)
    assert any("FROM item" in s for s in seen)


def test_a_core_statement_joins_the_drivers_write_transaction(engine: Engine) -> None:
    item_id = add(engine, case_data("D12"), at=AT)
    with engine.connect() as conn:
        with write_transaction(conn):
            update_where(conn, ITEM, {"summary": "直写"}, {"id": item_id})
            conn.execute(update(ITEM).where(ITEM.c.id == item_id).values(address="经 Core"))
        assert not conn.in_transaction()
    with reading(engine) as conn:
        (row,) = rows_where(conn, ITEM, {"id": item_id})
    assert (row["summary"], row["address"]) == ("直写", "经 Core")


@pytest.mark.parametrize("core", [False, True], ids=["driver only", "with a Core statement"])
def test_an_error_in_a_write_transaction_undoes_every_statement(engine: Engine, core: bool) -> None:
    item_id = add(engine, case_data("D13"), at=AT)
    with engine.connect() as conn:
        with pytest.raises(RuntimeError, match="boom"), write_transaction(conn):
            update_where(conn, ITEM, {"summary": "撤销"}, {"id": item_id})
            if core:
                conn.execute(update(ITEM).where(ITEM.c.id == item_id).values(address="撤销"))
            raise RuntimeError("boom")
        assert not conn.in_transaction()
        assert direct._OPEN.get() is None  # the driver's mark ended with the block
        # The connection is usable again: no transaction was left open on it.
        with write_transaction(conn):
            update_where(conn, ITEM, {"category": "一般"}, {"id": item_id})
    with reading(engine) as conn:
        (row,) = rows_where(conn, ITEM, {"id": item_id})
    assert row["summary"] != "撤销" and row["address"] != "撤销" and row["category"] == "一般"


def test_a_write_transaction_holds_the_write_lock_from_its_start(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: BEGIN IMMEDIATE takes the write lock up front")
    add(engine, case_data("D14"), at=AT)
    with engine.connect() as conn, write_transaction(conn):
        other = sqlite3.connect(engine.url.database or "", timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_a_transaction_ended_inside_the_block_is_reported(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: elsewhere write_transaction is SQLAlchemy's own")
    item_id = add(engine, case_data("D15"), at=AT)
    with engine.connect() as conn:
        with pytest.raises(RuntimeError, match="ended inside the block"):
            with write_transaction(conn):
                update_where(conn, ITEM, {"summary": "提前提交"}, {"id": item_id})
                conn.connection.driver_connection.execute("COMMIT")  # type: ignore[union-attr]
        assert not conn.in_transaction()


def test_the_driver_of_a_write_transaction_serves_only_its_own_connection(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: elsewhere every statement goes through Core")
    item_id = add(engine, case_data("D17"), at=AT)
    with engine.connect() as conn, engine.connect() as other:
        with write_transaction(conn):
            assert driver(conn) is conn.connection.driver_connection
            # Another connection in the same thread is not in a transaction: Core serves it.
            assert driver(other) is None
            update_where(conn, ITEM, {"summary": "本连接"}, {"id": item_id})
        assert driver(conn) is None  # the transaction ended
        assert rows_where(other, ITEM, {"id": item_id})[0]["summary"] == "本连接"
        other.rollback()


def test_connected_lends_the_callers_connection_and_closes_only_its_own(engine: Engine) -> None:
    with connected(engine) as own:
        assert not own.closed
    assert own.closed
    with engine.connect() as held:
        with connected(held) as lent:
            assert lent is held
        assert not held.closed


def test_connected_refuses_a_connection_inside_a_transaction(engine: Engine) -> None:
    item_id = add(engine, case_data("D18"), at=AT)
    with engine.connect() as conn:
        with write_transaction(conn):
            update_where(conn, ITEM, {"summary": "未提交"}, {"id": item_id})
            with pytest.raises(RuntimeError, match="outside any transaction"):
                with connected(conn):
                    pass
            # The refusal left the transaction open, and its write commits with it.
            assert conn.in_transaction() or in_driver_transaction(conn) is not None
    with reading(engine) as conn:
        assert rows_where(conn, ITEM, {"id": item_id})[0]["summary"] == "未提交"


def test_a_write_transaction_inside_another_is_refused_and_both_undone(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: elsewhere SQLAlchemy refuses a second begin itself")
    item_id = add(engine, case_data("D20"), at=AT)
    with engine.connect() as conn:
        with pytest.raises(RuntimeError, match="already open on this connection"):
            with write_transaction(conn):
                update_where(conn, ITEM, {"summary": "外层"}, {"id": item_id})
                with write_transaction(conn):
                    update_where(conn, ITEM, {"address": "内层"}, {"id": item_id})
        assert not conn.in_transaction() and in_driver_transaction(conn) is None
    with reading(engine) as conn:
        (row,) = rows_where(conn, ITEM, {"id": item_id})
    assert row["summary"] != "外层" and row["address"] != "内层"


def test_a_held_connection_is_left_as_it_was_by_a_write_through_core(engine: Engine) -> None:
    # With a cursor listener, writes go through Core with the write option set on the
    # connection itself; the caller's later transactions must not inherit it.
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: the write option chooses BEGIN IMMEDIATE")
    item_id = add(engine, case_data("D19"), at=AT)
    begins: list[str] = []

    def listen(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        with engine.connect() as conn:
            with write_transaction(conn):
                update_where(conn, ITEM, {"summary": "经 Core 写"}, {"id": item_id})
            with conn.begin():
                rows_where(conn, ITEM, {"id": item_id})
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]
