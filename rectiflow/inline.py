"""Operator events run inside the serving process (操作事件在服务进程内执行).

Prefect's runner starts every run of a served flow in a fresh Python process, which
costs about two seconds of imports before a transition that itself takes milliseconds,
while an operator waits for it. The flows operators fire (``transition`` and the
per-event flows) do nothing but call ``states.service.fire``: one short transaction on a
connection of its own, safe on many threads at once. ``rectiflow up`` therefore runs
them on a thread of its own process, through Prefect's own flow engine, so that each is
still a flow run with its states, logs, name and tags in the UI. Every other flow
(sweeps, dispatch, reports, imports) keeps a process of its own.

``serve`` registers those flows with Prefect's runner as flow objects
(``Runner.add_flow``), which the runner starts through ``prefect.runner._starter_direct.
run_flow_in_subprocess``, a seam that module keeps for replacing; ``install`` replaces it
with a starter that runs the flows named on a thread and hands any other to the
original. A thread cannot be killed as a process can: cancelling one of these runs only
marks it, and the run, a few milliseconds long, ends on its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import prefect.runner._starter_direct as starter
from prefect.client.schemas.objects import FlowRun
from prefect.context import SettingsContext, get_settings_context
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import TerminationSignal
from prefect.flow_engine import run_flow
from prefect.flows import Flow
from prefect.runner import Runner
from prefect.settings import get_current_settings
from prefect.types.entrypoint import EntrypointType

log = logging.getLogger("rectiflow.inline")


class ThreadRun:
    """A flow run on a thread, shaped as the runner expects a started process to be:
    ``join`` waits for it, ``exitcode`` is 0 when the flow returned, 1 when it raised
    (as the process would have exited), and there is no ``pid`` to signal."""

    pid = None

    def __init__(self, flow: Flow[..., Any], flow_run: FlowRun) -> None:
        self.exitcode: int | None = None
        context = get_settings_context()  # the runner's settings: its API URL above all
        settings = get_current_settings()
        # Heartbeats tell the server that a run's process is still alive; a run on a thread
        # of this process lasts milliseconds, and stopping its heartbeat thread takes 1 s.
        flows = settings.flows.model_copy(update={"heartbeat_frequency": None})
        self._settings = (context.profile, settings.model_copy(update={"flows": flows}))
        self._flow, self._flow_run = flow, flow_run
        self._thread = threading.Thread(
            target=self._run, name=f"flow-run-{flow_run.name}", daemon=True
        )

    def start(self) -> ThreadRun:
        self._thread.start()
        return self

    def _run(self) -> None:
        profile, settings = self._settings
        try:
            with SettingsContext(profile=profile, settings=settings):
                run_flow(self._flow, flow_run=self._flow_run)
        except Exception:  # the engine has recorded the Failed state and logged why
            self.exitcode = 1
        except BaseException:  # noqa: BLE001 - as a dying process would, report a crash
            log.exception("flow run %s stopped abnormally", self._flow_run.id)
            self.exitcode = 1
        else:
            self.exitcode = 0

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()


SEAM = "run_flow_in_subprocess"  # how the runner starts a flow object's run
_original: Callable[..., Any] | None = None


def install(names: Iterable[str]) -> None:
    """Run the flows called ``names`` on threads of this process from now on."""
    global _original
    inline = frozenset(names)
    original = _original or getattr(starter, SEAM)

    def start(flow: Flow[..., Any], flow_run: FlowRun | None = None, **kw: Any) -> Any:
        if flow.name in inline and flow_run is not None and not kw.get("parameters"):
            return ThreadRun(flow, flow_run).start()
        return original(flow, flow_run=flow_run, **kw)

    _original = original
    setattr(starter, SEAM, start)


def uninstall() -> None:
    """Every flow in a process of its own again."""
    global _original
    if _original is not None:
        setattr(starter, SEAM, _original)
        _original = None


def serve(
    deployments: Sequence[RunnerDeployment],
    inline: Mapping[str, Flow[..., Any]],
    query_seconds: float | None = None,
) -> None:
    """Serve ``deployments`` from this process until interrupted, as ``prefect.serve``
    does, running the flows of ``inline`` (by deployment name) on threads."""
    runner = Runner(query_seconds=query_seconds)
    register(runner, deployments, inline)
    install(inline)
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal) as exc:
        log.info("%s received, shutting down", type(exc).__name__)
    finally:
        uninstall()


def register(
    runner: Any, deployments: Sequence[RunnerDeployment], inline: Mapping[str, Flow[..., Any]]
) -> None:
    """Register every deployment with ``runner``; those of ``inline`` together with their
    flow objects (``Runner.add_flow``, which builds the deployment again from the flow),
    passing on every setting of ours so that the served deployment is the same one."""
    for deployment in deployments:
        flow = inline.get(deployment.name)
        if flow is None:
            runner.add_deployment(deployment)
            continue
        if deployment.schedules:
            raise ValueError(
                f"{deployment.name} runs on a thread when an operator fires it; "
                "it cannot also have a schedule"
            )
        runner.add_flow(
            flow,
            name=deployment.name,
            description=deployment.description,
            tags=deployment.tags,
            parameters=deployment.parameters,
            version=deployment.version,
            enforce_parameter_schema=deployment.enforce_parameter_schema,
            concurrency_limit=deployment.concurrency_limit,
            triggers=deployment.triggers,
            paused=deployment.paused,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
