"""The engine factory: SQLite by default, any SQLAlchemy URL otherwise.

SQLite runs in WAL with foreign keys on, a busy timeout and durable commits
(``synchronous=FULL`` unless told otherwise). Writers take the lock up front with
``BEGIN IMMEDIATE``, so two writers queue instead of failing half-way through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from models.direct import (
    driver,
    enter_driver_transaction,
    in_driver_transaction,
    leave_driver_transaction,
    run,
)

DEFAULT_URL = "sqlite:///rectiflow.db"
_WRITE = "rectiflow_write"


# One encoder for every JSON column value: json.dumps would build a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def make_engine(
    url: str = DEFAULT_URL,
    *,
    synchronous: str = "FULL",
    busy_timeout_ms: int = 30_000,
    echo: bool = False,
) -> Engine:
    """An engine for ``url`` with the project's connection settings applied."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(url, json_serializer=_dumps, echo=echo, pool_pre_ping=True)
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
    engine = create_engine(
        url,
        json_serializer=_dumps,
        echo=echo,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control so that writers can BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if in_driver_transaction(conn) is not None:
            return  # opened by write_transaction: Core's autobegin joins it
        write = conn.get_execution_options().get(_WRITE, False)
        sql = "BEGIN IMMEDIATE" if write else "BEGIN"
        raw = driver(conn, beginning=True)
        if raw is None:
            conn.exec_driver_sql(sql)
        else:
            run(conn, raw, sql, ())

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any error."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def write_transaction(conn: Connection) -> Iterator[Connection]:
    """A write transaction on ``conn``: committed on success, rolled back on any error.

    For the single-item writers (``fire``, ``update``). On SQLite (with no cursor
    listeners), BEGIN IMMEDIATE, COMMIT and ROLLBACK go straight to the driver: a
    durable transition spent more time in SQLAlchemy's transaction bookkeeping than in
    its own statements. A Core statement run inside still works: its autobegin finds
    the driver's transaction open and joins it, and the end then goes through
    SQLAlchemy, so that its bookkeeping ends too. Nothing inside may begin or end a
    transaction of its own (Alembic does: migrations use ``writing``); a block that
    does is reported as an error at its end.
    """
    raw = driver(conn, beginning=True)
    if raw is not None and raw.in_transaction:
        # Joining it would commit the caller's writes with these, half-way through theirs.
        raise RuntimeError(
            "write_transaction: a transaction is already open on this connection; "
            "it must begin outside any transaction, since it commits its own"
        )
    if raw is None:
        # execution_options changes the connection itself, which may be the caller's:
        # put the option back, so that its later reads do not take the write lock.
        was = conn.get_execution_options().get(_WRITE, False)
        conn.execution_options(**{_WRITE: True})
        try:
            with conn.begin():
                yield conn
        finally:
            conn.execution_options(**{_WRITE: was})
        return
    run(conn, raw, "BEGIN IMMEDIATE", ())
    token = enter_driver_transaction(conn, raw)
    try:
        try:
            yield conn
        finally:
            leave_driver_transaction(token)
        if conn.in_transaction():
            conn.commit()
        elif raw.in_transaction:
            run(conn, raw, "COMMIT", ())
        else:
            raise RuntimeError(
                "write_transaction: the transaction was ended inside the block "
                "(something there committed or rolled back), so its writes are not one unit"
            )
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        elif raw.in_transaction:
            run(conn, raw, "ROLLBACK", ())
        raise


class connected:  # noqa: N801 - used as a function: ``with connected(db) as conn``
    """A connection for a writer that runs its own transactions: a new one from the
    engine's pool, closed at the end, or the caller's own, left open.

    A caller that writes many items one by one (the sweep's closures, the demo) holds
    one connection for all of them, as it would a file handle, instead of taking one
    from the pool for each. The caller's connection must not be in a transaction, since
    the writer commits its own.
    """

    __slots__ = ("_db", "_own")

    def __init__(self, db: Engine | Connection) -> None:
        self._db = db
        self._own: Connection | None = None

    def __enter__(self) -> Connection:
        db = self._db
        if isinstance(db, Engine):
            self._own = db.connect()
            return self._own
        if db.in_transaction() or in_driver_transaction(db) is not None:
            raise RuntimeError(
                "this writer commits its own transaction: pass a connection outside any "
                "transaction, or the engine"
            )
        return db

    def __exit__(self, *exc: object) -> None:
        if self._own is not None:
            self._own.close()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction with a consistent snapshot."""
    with engine.connect() as conn, conn.begin():
        yield conn


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether the database is SQLite (one writer) rather than PostgreSQL."""
    return engine.dialect.name == "sqlite"
