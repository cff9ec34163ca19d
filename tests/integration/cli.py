"""The real ``rectiflow`` command line in subprocesses: one at a time, or several racing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMEOUT = 120.0

# Imports the CLI first (the slow part), says it is ready, waits for the start file, then
# runs the command: processes started together then act within a millisecond of each other.
_AT_THE_LINE = """
import sys, time
from pathlib import Path
from rectiflow.cli import main
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.0005)
sys.argv = ["rectiflow", *sys.argv[3:]]
main()
"""


@dataclass(frozen=True)
class Result:
    """What one command did: its exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def cli_env(db_url: str) -> dict[str, str]:
    """The environment of a command run against ``db_url``, no other RECTIFLOW_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFLOW_")}
    env |= {
        "RECTIFLOW_DATABASE_URL": db_url,
        "PYTHONIOENCODING": "utf-8",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "200",
    }
    return env


def run_cli(db_url: str, cwd: Path, *args: str) -> Result:
    """Run ``rectiflow ARGS`` in ``cwd`` (no ``.env`` there) and wait for it."""
    done = subprocess.run(
        [sys.executable, "-m", "rectiflow", *args],
        cwd=cwd,
        env=cli_env(db_url),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def race(db_url: str, cwd: Path, commands: Sequence[Sequence[str]]) -> list[Result]:
    """Run the commands at once: each is started, imported and held until all are ready."""
    line = cwd / f"race-{time.monotonic_ns()}"
    line.mkdir()
    go = line / "go"
    ready = [line / f"ready-{i}" for i in range(len(commands))]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _AT_THE_LINE, str(r), str(go), *args],
            cwd=cwd,
            env=cli_env(db_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for r, args in zip(ready, commands, strict=True)
    ]
    try:
        deadline = time.monotonic() + TIMEOUT
        while not all(r.exists() for r in ready):
            for p in procs:
                if p.poll() is not None:
                    _, err = p.communicate()
                    raise AssertionError(f"a racer exited before the start: {err}")
            if time.monotonic() > deadline:
                raise AssertionError("the racers did not all reach the start line in time")
            time.sleep(0.01)
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            results.append(Result(p.returncode, out, err))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def write_json(path: Path, value: Any) -> Path:
    """``value`` as a UTF-8 JSON file at ``path``."""
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path
