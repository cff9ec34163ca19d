"""Hot statements sent straight to the SQLite driver, typed as SQLAlchemy would type them.

A durable transition spends more time in SQLAlchemy's execution machinery than in
SQLite. For the few statements on that path (read one item, update it, append a
history row) this module builds the SQL text once per shape and passes each value
through its column type's own bind and result processors, exactly as SQLAlchemy would,
then runs it on the connection's DBAPI cursor inside the same open transaction.

Everything else goes the ordinary way: PostgreSQL, and any connection with cursor
events listening (``echo``, instrumentation, tests that interleave writers), uses
cached Core statements, so that nothing is hidden from a listener. Listeners are looked
for when a write transaction begins: one added, or ``echo`` switched on, while it is
open sees the statements of the next transaction. Driver errors are wrapped into
SQLAlchemy's exceptions as ``Connection.execute`` would wrap them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar, Token
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any] | None

# The connection whose write transaction ``models.engine.write_transaction`` opened on
# the driver, and that driver: its statements skip the listener checks of ``driver``,
# which were made when the transaction began.
_Opened = tuple[Connection, sqlite3.Connection] | None
_OPEN: ContextVar[_Opened] = ContextVar("rectiflow_driver_transaction", default=None)


def enter_driver_transaction(conn: Connection, raw: sqlite3.Connection) -> Token[_Opened]:
    """Mark ``raw`` as the driver of ``conn``'s open write transaction, until ``leave``."""
    return _OPEN.set((conn, raw))


def leave_driver_transaction(token: Token[_Opened]) -> None:
    """End the mark ``enter_driver_transaction`` made."""
    _OPEN.reset(token)


def driver(conn: Connection, *, beginning: bool = False) -> sqlite3.Connection | None:
    """The DBAPI connection to send statements to directly, or None to go through Core.

    Only inside a transaction open on the driver (``beginning``: the statement that opens
    it), since outside one Core would begin a transaction first (autobegin) and the
    driver would not. Inside the write transaction ``write_transaction`` opened on the
    driver, the answer made at its BEGIN stands until it ends.
    """
    opened = _OPEN.get()
    if opened is not None and opened[0] is conn:
        return opened[1] if opened[1].in_transaction else None
    if conn.dialect.name != "sqlite":
        return None
    dispatch = conn.dispatch
    if dispatch.before_cursor_execute or dispatch.after_cursor_execute or conn.engine.echo:
        return None
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection) or not (beginning or raw.in_transaction):
        return None
    return raw


def in_driver_transaction(conn: Connection) -> sqlite3.Connection | None:
    """The SQLite DBAPI connection under ``conn`` if a transaction is open on it."""
    if conn.closed or conn.invalidated:
        return None
    raw = conn.connection.driver_connection
    return raw if isinstance(raw, sqlite3.Connection) and raw.in_transaction else None


@cache
def bind_processors(table: Table, columns: tuple[str, ...], dialect: Any) -> tuple[Processor, ...]:
    """Each column's bind processor for ``dialect`` (None where values pass as they are)."""
    return tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in columns)


@cache
def row_reader(table: Table, dialect: Any) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A function turning a driver row of all ``table``'s columns, in order, into the dict
    SQLAlchemy would give: each value through its column's result processor for
    ``dialect``, None left as None.

    Generated once per table as one dict display, since a loop over the columns cost
    more than the conversions.
    """
    procs: dict[str, Callable[[Any], Any]] = {}
    entries = []
    for i, c in enumerate(table.columns):
        proc = c.type.dialect_impl(dialect).result_processor(dialect, None)
        if proc is None:
            entries.append(f"{c.name!r}: r[{i}]")
        else:
            procs[f"p{i}"] = proc
            entries.append(f"{c.name!r}: None if (v{i} := r[{i}]) is None else p{i}(v{i})")
    body = ",\n        ".join(entries)
    source = f"def read(r):\n    return {{\n        {body},\n    }}\n"
    scope: dict[str, Any] = dict(procs)
    exec(compile(source, f"<row_reader {table.name}>", "exec"), scope)  # noqa: S102
    read: Callable[[Sequence[Any]], dict[str, Any]] = scope["read"]
    return read


def bound(procs: Sequence[Processor], values: Sequence[Any]) -> list[Any]:
    """``values`` as the driver receives them."""
    return [
        p(v) if p is not None and v is not None else v for p, v in zip(procs, values, strict=True)
    ]


def run(
    conn: Connection, raw: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> sqlite3.Cursor:
    """Execute on the driver; a driver error raised as SQLAlchemy's wrapped exception."""
    try:
        return raw.execute(sql, params)
    except sqlite3.Error as err:
        raise DBAPIError.instance(sql, params, err, sqlite3.Error, dialect=conn.dialect) from err


@cache
def _select_sql(table: Table, where: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    cond = " AND ".join(f'"{w}" = ?' for w in where)
    return f'SELECT {names} FROM "{table.name}" WHERE {cond}'


@cache
def _select_stmt(table: Table, where: tuple[str, ...]) -> Any:
    return select(table).where(*(table.c[w] == bindparam(f"w_{w}") for w in where))


def rows_where(conn: Connection, table: Table, where: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every row of ``table`` whose columns equal ``where``, as plain typed dicts."""
    keys = tuple(where)
    raw = driver(conn)
    if raw is None:
        params = {f"w_{k}": v for k, v in where.items()}
        return [dict(r) for r in conn.execute(_select_stmt(table, keys), params).mappings()]
    read = row_reader(table, conn.dialect)
    values = bound(bind_processors(table, keys, conn.dialect), list(where.values()))
    return [read(row) for row in run(conn, raw, _select_sql(table, keys), values).fetchall()]


@cache
def _update_sql(table: Table, columns: tuple[str, ...], where: tuple[str, ...]) -> str:
    sets = ", ".join(f'"{c}" = ?' for c in columns)
    cond = " AND ".join(f'"{w}" = ?' for w in where)
    return f'UPDATE "{table.name}" SET {sets} WHERE {cond}'


@cache
def _update_stmt(table: Table, columns: tuple[str, ...], where: tuple[str, ...]) -> Any:
    return (
        update(table)
        .where(*(table.c[w] == bindparam(f"w_{w}") for w in where))
        .values({c: bindparam(c) for c in columns})
    )


def update_where(
    conn: Connection, table: Table, values: Mapping[str, Any], where: Mapping[str, Any]
) -> int:
    """Set ``values`` on the rows of ``table`` whose columns equal ``where``; rows changed."""
    columns, keys = tuple(values), tuple(where)
    raw = driver(conn)
    if raw is None:
        params = dict(values) | {f"w_{k}": v for k, v in where.items()}
        return conn.execute(_update_stmt(table, columns, keys), params).rowcount
    procs = bind_processors(table, columns + keys, conn.dialect)
    sent = bound(procs, [*values.values(), *where.values()])
    return run(conn, raw, _update_sql(table, columns, keys), sent).rowcount
