"""``rectiflow up`` (what ``make up`` runs once installed): the UI within two minutes.

On a fresh database and a fresh PREFECT_HOME, as on a fresh clone: the command starts its
own server, loads the demo data, serves the deployments and prints the UI's address. On
SIGTERM it stops, and its server with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.engine import make_engine
from models.tables import Item, table
from rectiflow.localserver import free_port, prefect_env, wait_for_deployments

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

UI_WITHIN = 120.0  # seconds from the command to the UI's address, the product's promise
DEMO_ITEMS = 534 + 12  # Anshan's cases and tasks (rectiflow/demo)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def test_rectiflow_up_shows_the_ui_within_two_minutes_and_stops_with_its_server(
    tmp_path: Path,
) -> None:
    port, db = free_port(), tmp_path / "rectiflow.db"
    env = prefect_env(tmp_path / "prefect-home", f"sqlite:///{db}")
    lines: list[str] = []
    seen = threading.Event()

    started = time.monotonic()
    with (tmp_path / "up.err").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rectiflow", "up", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )

    def drain() -> None:  # reads every line, so the pipe never fills
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").strip()
            lines.append(line)
            if line.startswith("Prefect UI:"):
                seen.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        shown = seen.wait(UI_WITHIN)
        elapsed = time.monotonic() - started
        log = "\n".join(lines) + (tmp_path / "up.err").read_text(errors="replace")[-3000:]
        assert shown, f"no 'Prefect UI:' line within {UI_WITHIN:.0f} s:\n{log}"
        ui = f"http://127.0.0.1:{port}"
        assert f"Prefect UI: {ui}" in lines
        assert elapsed < UI_WITHIN
        assert _answers(ui), f"{ui} does not answer"
        wait_for_deployments(f"{ui}/api", ["transition/transition"], proc, 60)
        engine = make_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            items = conn.execute(select(func.count()).select_from(table(Item))).scalar_one()
        engine.dispose()
        assert items == DEMO_ITEMS
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0
    # The server ran in a process group of its own; it went down with the command.
    assert not _answers(f"http://127.0.0.1:{port}/api/health")
