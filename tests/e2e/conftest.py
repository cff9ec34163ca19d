"""One real Prefect server for the whole session, serving Rectiflow's deployments.

``prefect_local`` starts ``prefect server start`` on a free loopback port with a
PREFECT_HOME of its own, and ``rectiflow up --no-demo`` against it (PREFECT_API_URL set,
so it reuses that server and serves every deployment), over a temporary SQLite database
holding a few cases at known steps of their life. Every test of this folder shares it;
both processes are stopped as process groups when the session ends.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from models.engine import make_engine
from models.schema import upgrade
from rectiflow.localserver import LocalPrefect, local_prefect
from states.editing import update_item
from states.service import fire
from tests.conftest import AT
from tests.support import RESOLVED_CASE, add, case_data, state_of

RUN_TIMEOUT = 120.0  # seconds for one triggered run to finish
EVENT_TIMEOUT = 30.0  # seconds for an event to reach the server's event store

# The cases of the session, each at the step of its life its test starts from.
CASES: dict[str, str] = {
    "D2190001": "register",  # assigned: acknowledged through the CLI
    "D2190003": "acknowledge",  # investigating, nothing recorded: request_acceptance refused
    "D2190002": "register",  # assigned: acknowledged by a run the UI then finds by name
    "D2190004": "request_acceptance",  # rectified: accepted through the UI's accept form
}
STEPS = ("register", "acknowledge", "update", "request_acceptance")


def _new_case(engine: Engine, ref: str, until: str) -> None:
    """Register a case and take it through its first steps, up to and including ``until``."""
    add(engine, case_data(ref), at=AT)
    steps = STEPS[1 : STEPS.index(until) + 1]
    for n, step in enumerate(steps, 1):
        at = AT + timedelta(days=n)
        if step == "update":
            update_item(engine, ref, actor="经办人李明", role="operator", at=at, data=RESOLVED_CASE)
        else:
            fire(engine, ref, step, actor="经办人李明", role="operator", at=at, data=None)


@dataclass(frozen=True)
class Stack:
    """The running server, its serving process and the Rectiflow database behind them."""

    prefect: LocalPrefect
    database_url: str

    def state(self, ref: str) -> str:
        """The item's lifecycle state, read from the database."""
        engine = make_engine(self.database_url)
        try:
            return state_of(engine, ref)
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The session's server and serving process, over a database with ``CASES``."""
    work = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{work / 'rectiflow.db'}"
    engine = make_engine(url)
    upgrade(engine)
    for ref, until in CASES.items():
        _new_case(engine, ref, until)
    engine.dispose()
    with local_prefect(work / "prefect", url) as prefect:
        yield Stack(prefect, url)


@dataclass(frozen=True)
class Triggered:
    """What ``prefect deployment run … --watch`` printed, and the run as the server has it."""

    code: int
    out: str
    run: dict[str, Any]


def trigger(stack: Stack, deployment: str, **params: str) -> Triggered:
    """Run ``prefect deployment run DEPLOYMENT --param k=v … --watch``, the real CLI."""
    cmd = [sys.executable, "-m", "prefect", "deployment", "run", deployment, "--watch"]
    for key, value in params.items():
        cmd += ["--param", f"{key}={value}"]
    cmd += ["--watch-timeout", str(int(RUN_TIMEOUT))]
    done = subprocess.run(
        cmd, env=stack.prefect.env, capture_output=True, text=True, timeout=RUN_TIMEOUT + 30
    )
    out = done.stdout + done.stderr
    if "UUID:" not in out:
        raise AssertionError(f"no run created by {cmd}:\n{out}\n{stack.prefect.logs()}")
    run_id = out.split("UUID:", 1)[1].split()[0]
    return Triggered(done.returncode, out, stack.prefect.request("GET", f"/flow_runs/{run_id}"))


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Call ``check`` until it returns something truthy; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except urllib.error.HTTPError:
            raise  # a request the server refused: a bug here, not a wait
        except urllib.error.URLError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:.0f} s")
        time.sleep(interval)


def events(stack: Stack, **filters: Any) -> list[dict[str, Any]]:
    """Events from the server's event store (``POST /api/events/filter``)."""
    body = {"filter": {**filters, "order": "ASC"}, "limit": 50}
    return list(stack.prefect.request("POST", "/events/filter", body)["events"])
