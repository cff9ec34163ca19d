"""A throwaway local Prefect server serving Rectiflow's deployments, as ``rectiflow up`` does.

Used by the end-to-end tests and the latency benchmark: a free loopback port, a
PREFECT_HOME of its own (so the server's database is a fresh one), a Rectiflow database
given by URL, the server started by ``rectiflow.up.start_server`` and a second process,
``rectiflow up --no-demo`` with PREFECT_API_URL set, serving every deployment against it.
Both run in their own process groups and are stopped as groups: nothing is left behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rectiflow.up import start_server, stop_group

SERVE_TIMEOUT = 120.0  # seconds for the serving process to register its deployments
BUSY_RETRIES = 6  # tries again after a 503, waiting 0.5 s, 1 s, … (10.5 s in all)


@dataclass(frozen=True)
class LocalPrefect:
    """A running local server and the process serving Rectiflow's deployments on it."""

    api: str  # http://127.0.0.1:PORT/api
    env: dict[str, str]  # the environment for `prefect …` and `rectiflow …` against it
    workdir: Path  # PREFECT_HOME and the two processes' logs
    server: subprocess.Popen[bytes]
    serving: subprocess.Popen[bytes]

    @property
    def ui(self) -> str:
        """The address of the Prefect UI."""
        return self.api.removesuffix("/api")

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call to the server's REST API; the decoded JSON answer."""
        return api_request(self.api, method, path, body)

    def logs(self) -> str:
        """The tail of the server's and the serving process's output, for failure messages."""
        parts = []
        for name in ("server.log", "serve.log"):
            path = self.workdir / name
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {name} (last 3000 characters) ---\n{text[-3000:]}")
        return "\n".join(parts)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_request(api: str, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
    """``method`` ``api + path`` with a JSON body; the decoded JSON answer (None if empty).

    A 503 (the server's SQLite database busy under load) is retried for a few seconds.
    """
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{api}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    for attempt in range(BUSY_RETRIES + 1):
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
            return json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            if err.code != 503 or attempt == BUSY_RETRIES:
                raise
            err.close()
            time.sleep(0.5 * (attempt + 1))


def prefect_env(
    home: Path, database_url: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of the server, the serving process and every command against them."""
    env = dict(os.environ if base is None else base)
    env.pop("PREFECT_API_URL", None)  # start_server sets it to the new server
    env.pop("PREFECT_PROFILES_PATH", None)
    return env | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
        "RECTIFLOW_DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }


def wait_for_deployments(
    api: str, names: Sequence[str], serving: subprocess.Popen[bytes], timeout: float
) -> None:
    """Wait until every ``flow/deployment`` in ``names`` is registered on the server."""
    deadline = time.monotonic() + timeout
    missing = list(names)
    while missing:
        if serving.poll() is not None:
            raise RuntimeError(f"the serving process exited with code {serving.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"deployments not served within {timeout:.0f} s: {missing}")
        try:
            api_request(api, "GET", f"/deployments/name/{missing[0]}", timeout=5)
            missing.pop(0)
            continue
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)


@contextmanager
def local_prefect(
    workdir: Path,
    database_url: str,
    *,
    expect: Sequence[str] = ("transition/transition",),
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[LocalPrefect]:
    """Start a server and ``rectiflow up --no-demo`` against it; stop both on exit.

    ``database_url`` must name a migrated Rectiflow database; ``expect`` lists the
    deployments to wait for before handing over.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = prefect_env(workdir / "prefect-home", database_url) | dict(extra_env or {})
    with ExitStack() as stack:
        server_log = stack.enter_context((workdir / "server.log").open("wb"))
        server, api = start_server(free_port(), env=env, output=server_log)
        stack.callback(stop_group, server)
        env["PREFECT_API_URL"] = api
        serve_log = stack.enter_context((workdir / "serve.log").open("wb"))
        serving = subprocess.Popen(
            [sys.executable, "-m", "rectiflow", "up", "--no-demo"],
            env=env,
            stdout=serve_log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        stack.callback(stop_group, serving)
        wait_for_deployments(api, expect, serving, SERVE_TIMEOUT)
        yield LocalPrefect(api, env, workdir, server, serving)
