"""Bulk inserts for loading many rows at once (registration, the demo, imports).

On SQLite, many rows go into one ``INSERT … VALUES (…), (…)`` statement, so that the
full-text trigger indexes a statement's rows together; the SQL text is built once per
shape and each value goes through its column type's own bind processor, exactly as
SQLAlchemy would send it. Other databases use SQLAlchemy's executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, insert

# SQLite's default limit on bound parameters is 32,766 since 3.32.
_SQLITE_PARAMS = 30_000


@cache
def _processors(table: Table, columns: tuple[str, ...], dialect: Any) -> list[Any]:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


@cache
def _defaults(table: Table, given: tuple[str, ...]) -> dict[str, Any]:
    """Scalar column defaults for the columns a row leaves out (SQLAlchemy fills them too)."""
    out: dict[str, Any] = {}
    for col in table.columns:
        default = col.default
        if col.name not in given and default is not None and default.is_scalar:
            out[col.name] = default.arg  # type: ignore[attr-defined]
    return out


@cache
def _sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([one] * rows)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` inside the open transaction."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    given = tuple(rows[0])
    defaults = _defaults(table, given)
    columns = given + tuple(defaults)
    procs: list[Callable[[Any], Any] | None] = _processors(table, columns, conn.dialect)
    per = max(1, _SQLITE_PARAMS // len(columns))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        params: list[Any] = []
        for row in chunk:
            for name, proc in zip(columns, procs, strict=True):
                value = row[name] if name in row else defaults[name]
                params.append(proc(value) if proc is not None and value is not None else value)
        conn.exec_driver_sql(_sql(table.name, columns, len(chunk)), tuple(params))
