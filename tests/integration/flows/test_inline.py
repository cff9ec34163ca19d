"""Operator events on a thread of the serving process: a real flow run, recorded by the
server as any other, and the runner's starter replaced only for the flows named."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import prefect.runner._starter_direct as starter
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.states import Pending
from sqlalchemy import Engine

from flows.deployments import deployments, operator_flows
from flows.lifecycle import deadline_sweep, transition
from rectiflow import inline
from tests.conftest import AT
from tests.support import add, case_data, state_of

pytestmark = pytest.mark.usefixtures("prefect_server")


def _pending(**parameters: Any) -> FlowRun:
    """A run of ``transition`` as the runner hands one over: created, then Pending."""
    with get_client(sync_client=True) as client:
        return client.create_flow_run(transition, parameters=parameters, state=Pending())


def _read(run: FlowRun) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run.id)


@pytest.fixture
def installed() -> Iterator[None]:
    inline.install(operator_flows())
    yield
    inline.uninstall()


def test_a_thread_run_completes_the_flow_run_and_moves_the_item(
    flow_db: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="prefect.flow_runs")
    ref = f"D21{uuid.uuid4().hex[:8].upper()}"
    add(flow_db, case_data(ref), at=AT)
    run = _pending(ref=ref, event="acknowledge", actor="刘洋", role="operator")
    started = inline.ThreadRun(transition, run).start()
    started.join(60)
    assert started.exitcode == 0 and not started.is_alive()
    assert not [t for t in threading.enumerate() if t.name.startswith("flow-run-")]
    done = _read(run)
    assert done.state is not None and done.state.is_completed(), done.state
    assert done.name == f"{ref}·acknowledge"
    assert f"item:{ref}" in done.tags
    assert state_of(flow_db, ref) == "investigating"
    said = [r.getMessage() for r in caplog.records if r.name == "prefect.flow_runs"]
    assert any("Beginning flow run" in m for m in said)
    assert not any("heartbeat" in m for m in said)  # none for a run of milliseconds


def test_a_refused_event_fails_the_run_and_exits_1_as_its_process_would(
    flow_db: Engine,
) -> None:
    ref = f"D21{uuid.uuid4().hex[:8].upper()}"
    add(flow_db, case_data(ref), at=AT)
    run = _pending(ref=ref, event="request_acceptance", actor="刘洋", role="operator")
    started = inline.ThreadRun(transition, run).start()
    started.join(60)
    assert started.exitcode == 1
    done = _read(run)
    assert done.state is not None and done.state.is_failed()
    assert "当前状态为已交办" in (done.state.message or "")
    assert state_of(flow_db, ref) == "assigned"


def test_install_starts_only_the_operator_flows_on_threads(
    installed: None, monkeypatch: pytest.MonkeyPatch, flow_db: Engine
) -> None:
    ref = f"D21{uuid.uuid4().hex[:8].upper()}"
    add(flow_db, case_data(ref), at=AT)
    run = _pending(ref=ref, event="acknowledge", actor="刘洋", role="operator")
    sent: list[str] = []
    monkeypatch.setattr(inline, "_original", lambda flow, **kw: sent.append(flow.name))
    inline.install(operator_flows())  # again, over the replaced original
    handle = starter.run_flow_in_subprocess(transition, flow_run=run, env=None)
    assert isinstance(handle, inline.ThreadRun)
    handle.join(60)
    assert handle.exitcode == 0 and state_of(flow_db, ref) == "investigating"
    starter.run_flow_in_subprocess(deadline_sweep, flow_run=run, env=None)
    assert sent == ["deadline-sweep"]  # every other flow goes the runner's own way


def test_uninstall_restores_the_runners_own_starter() -> None:
    original = starter.run_flow_in_subprocess
    inline.install(["transition"])
    assert starter.run_flow_in_subprocess is not original
    inline.uninstall()
    assert starter.run_flow_in_subprocess is original


class _Runner:
    """Records what is registered with it, as Prefect's runner would receive it."""

    def __init__(self) -> None:
        self.deployments: list[str] = []
        self.flows: dict[str, tuple[Any, dict[str, Any]]] = {}

    def add_deployment(self, deployment: Any) -> None:
        self.deployments.append(deployment.name)

    def add_flow(self, flow: Any, *, name: str, **settings: Any) -> None:
        self.flows[name] = (flow, settings)


def test_every_deployment_is_registered_once_the_operator_ones_with_their_flow() -> None:
    served, inline_flows = deployments(), operator_flows()
    runner = _Runner()
    inline.register(runner, served, inline_flows)
    assert sorted(runner.deployments + list(runner.flows)) == sorted(d.name for d in served)
    assert set(runner.flows) == set(inline_flows) and "deadline-sweep" in runner.deployments
    for d in served:
        if d.name in runner.flows:
            flow, settings = runner.flows[d.name]
            assert flow is inline_flows[d.name]
            assert settings["description"] == d.description and settings["tags"] == d.tags
            assert settings["parameters"] == d.parameters and settings["version"] == d.version


def test_an_operator_flow_with_a_schedule_is_refused_by_name() -> None:
    scheduled = {d.name: d for d in deployments()}["deadline-sweep"]
    with pytest.raises(ValueError, match="deadline-sweep .* cannot also have a schedule"):
        inline.register(_Runner(), [scheduled], {"deadline-sweep": deadline_sweep})
