"""A Prefect test server for the whole session, and the flows pointed at a fresh database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from models.engine import make_engine
from rectiflow.settings import settings


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """``prefect_test_harness``: a temporary Prefect server, started once (it is slow)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The flows' configured database (``RECTIFLOW_DATABASE_URL``) is a fresh test database."""
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", db_url)
    settings.cache_clear()
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
    settings.cache_clear()
    assert os.environ.get("RECTIFLOW_DATABASE_URL") == db_url
