"""Creating and upgrading the schema (``rectiflow db upgrade``), through Alembic."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from models.engine import writing

# Any fixed number: concurrent upgrades of one PostgreSQL database queue on it.
_UPGRADE_LOCK = 0x7265637469  # "recti"


def _config() -> Config:
    # Found by name, not imported: the migrations import models, never the reverse.
    config = Config()
    config.set_main_option("script_location", str(resources.files("migrations")))
    return config


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision, in one transaction."""
    config = _config()
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first upgrade."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision of the migrations."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migrations directory has no revisions")
    return head
