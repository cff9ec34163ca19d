"""``rectiflow up``: the product on its embedded default, SQLite and a local Prefect server."""

from __future__ import annotations

import contextvars
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import IO, Any

from rich.console import Console

console = Console(stderr=True)
POLL_SECONDS = 0.5  # how often the served deployments look for runs to start


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_server(
    port: int,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``prefect server start`` on 127.0.0.1:``port`` and wait until it answers.

    ``env`` replaces this process's environment (e.g. with a PREFECT_HOME of its own);
    ``output`` receives the server's stdout and stderr (default: this process's).
    """
    api = f"http://127.0.0.1:{port}/api"
    if _healthy(api):
        raise RuntimeError(f"port {port} already serves a Prefect API; set PREFECT_API_URL={api}")
    env = dict(os.environ if env is None else env) | {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": api,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
        start_new_session=True,  # one process group: Ctrl-C stops the server and its children
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with code {proc.returncode}")
            if _healthy(api):
                return proc, api
            time.sleep(0.5)
    except BaseException:  # Ctrl-C or SIGTERM while waiting: no server left behind
        stop_group(proc)
        raise
    stop_group(proc)
    raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s")


def stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 20) -> None:
    """Stop ``proc``'s whole process group (a server, a serving process and their
    children): ``sig`` first, then SIGKILL for whatever lingers, leaving no orphan behind.

    SIGTERM, not SIGINT: a process started in the background by a shell ignores SIGINT,
    and Prefect's server and runner shut down gracefully on SIGTERM.
    """
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # children still in the group, if any
    except ProcessLookupError:
        pass
    proc.wait()


def wait_healthy(api: str, timeout: float = 60.0) -> None:
    """Wait until the Prefect API at ``api`` answers its health check."""
    deadline = time.monotonic() + timeout
    while not _healthy(api):
        if time.monotonic() > deadline:
            raise RuntimeError(f"PREFECT_API_URL={api} does not answer /health")
        time.sleep(0.5)


def catch_up(deployment: str = "deadline-sweep/deadline-sweep", timeout: float = 120.0) -> None:
    """Start one sweep as soon as its deployment is served, so that a restart after downtime
    catches every clock up at once instead of at the next interval."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            try:
                found = client.read_deployment_by_name(deployment)
            except Exception:  # not registered yet
                time.sleep(1)
                continue
            client.create_flow_run_from_deployment(found.id, tags=["catch-up"])
            return


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def up(port: int, load_demo: bool, demo_loader: Any, sweep_minutes: int = 10) -> None:
    """Start (or reuse) the Prefect server, prepare the database, serve every deployment."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.deployments import deployments, operator_flows
    from rectiflow import inline

    # SIGTERM stops everything as Ctrl-C does, until Prefect's runner takes the signal
    # over (it shuts down, then exits through the same ``finally``).
    signal.signal(signal.SIGTERM, _interrupt)
    proc = None
    api = os.environ.get("PREFECT_API_URL")
    if api:
        wait_healthy(api)
    else:
        console.print(f"starting a local Prefect server on 127.0.0.1:{port} …")
        proc, api = start_server(port)
    # Flows that run in child processes (all but the operator flows) find the server here.
    os.environ["PREFECT_API_URL"] = api
    try:
        demo_loader(load_demo)
        ui = api.removesuffix("/api")
        console.print(f"[bold green]Prefect UI: {ui}[/]  (Ctrl-C stops everything)")
        print(f"Prefect UI: {ui}", flush=True)
        with temporary_settings({PREFECT_API_URL: api}):
            served = deployments(sweep_minutes)
            # The settings live in a context variable: the thread runs in a copy of it.
            ctx = contextvars.copy_context()
            threading.Thread(target=ctx.run, args=(_quietly, catch_up), daemon=True).start()
            # Prefect's runner polls every 10 s by default, which adds 5 s on average to
            # every run started from the UI or the CLI; polling every 0.5 s costs two small
            # local queries a second.
            poll = None if "PREFECT_RUNNER_POLL_FREQUENCY" in os.environ else POLL_SECONDS
            # Operator events run on threads of this process, every other flow in its own.
            inline.serve(served, operator_flows(), query_seconds=poll)
    except KeyboardInterrupt:
        console.print("stopping …")
    finally:
        if proc is not None:
            stop_group(proc)


def _quietly(fn: Any) -> None:
    try:
        fn()
    except Exception as err:  # the scheduled sweep follows anyway
        console.print(f"catch-up sweep not started: {err}")
