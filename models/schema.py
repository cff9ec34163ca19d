"""Creating and upgrading the schema (``rectiflow db upgrade``), through Alembic."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on the metadata)


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision."""
    SQLModel.metadata.create_all(engine)
