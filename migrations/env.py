"""Alembic environment: migrates the connection the application passes in, or its own.

``models.schema.upgrade`` passes its connection in ``config.attributes["connection"]``
inside one write transaction; the alembic command line gets an engine built from
``RECTIFLOW_DATABASE_URL`` instead. Logging is left as the caller configured it.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import models.tables  # noqa: F401  (registers the tables on the metadata)
from models.engine import DEFAULT_URL, make_engine, writing
from models.search import is_search_object
from models.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def _include_name(name: str | None, type_: str, _parents: Any) -> bool:
    # The search tables and trigram indexes are made by hand in 0002; autogenerate
    # must neither drop them nor report them as differences.
    if type_ in {"table", "index"}:
        return not is_search_object(name)
    return True


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | Literal[False]:
    # Plain SQLAlchemy types in revisions, so that they never import sqlmodel or models.
    if type_ == "type" and isinstance(obj, AutoString):
        return "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_name=_include_name,
        render_item=_render_item,
        compare_type=True,
        **kwargs,
    )


def _run(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    _configure(
        url=os.environ.get("RECTIFLOW_DATABASE_URL", DEFAULT_URL),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate the given connection, or a new engine's, in one transaction."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(os.environ.get("RECTIFLOW_DATABASE_URL", DEFAULT_URL))
    try:
        with writing(engine) as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
