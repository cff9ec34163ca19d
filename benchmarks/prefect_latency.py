"""``python -m benchmarks.prefect_latency``: an operator's event through Prefect, and without.

On a local Prefect server (started here, as ``rectiflow up`` starts one, with a
PREFECT_HOME and a SQLite database of its own), each run is one real command,

    prefect deployment run transition/transition --param ref=… --param event=acknowledge
        --param actor=… --param role=operator --watch

timed from the command's start to the run's Completed state (the server's timestamp), and
to the command's exit (``--watch`` waits 3 s more for stray logs), on a fresh case each
time. Beside it, the same event on other cases by ``rectiflow case fire`` (the
command, no Prefect) and by ``states.service.fire`` in this process (the database work
alone). The server's own timestamps split each Prefect run into its parts: the CLI until
the run exists, the runner's poll until it takes the run, the flow's start (on a thread
of the serving process), the flow itself, and the CLI's watch until it exits.

Prints median and p95 (and min/max) of each; ``--json`` prints one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import cases
from benchmarks.console import machine, say
from models.engine import make_engine, writing
from models.schema import upgrade
from rectiflow.localserver import LocalPrefect, local_prefect
from states.registry import parse_new, register
from states.rules import Rules
from states.service import fire

TARGET_MEDIAN = 2.0  # seconds, command to Completed
EVENT, ROLE, ACTOR = "acknowledge", "operator", "海城市人民政府经办人"
HEADLINE = "prefect deployment run → run Completed"
PARTS = ("cli_to_created", "created_to_pending", "pending_to_running", "flow", "completed_to_exit")


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.prefect_latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each kind")
    parser.add_argument("--dir", type=Path, help="where the databases and logs go (kept)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs must be at least 2")
    return args


def register_cases(database_url: str, n: int) -> list[str]:
    """Register ``n`` fresh cases (state assigned); their intake numbers."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        rng = random.Random(2026)
        data = [cases.case(i, "regular", rng) for i in range(n)]
        with writing(engine) as conn:
            register(
                conn,
                [parse_new("case", d) for d in data],
                actor="鞍山市督改办",
                role="coordinator",
                at=datetime.now(UTC),
                rules=Rules(),
            )
    finally:
        engine.dispose()
    return [str(d["intake_no"]) for d in data]


def _when(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def prefect_run(lp: LocalPrefect, ref: str) -> dict[str, float]:
    """One ``prefect deployment run … --watch``: its wall time and the parts of it."""
    cmd = [sys.executable, "-m", "prefect", "deployment", "run", "transition/transition"]
    for key, value in (("ref", ref), ("event", EVENT), ("actor", ACTOR), ("role", ROLE)):
        cmd += ["--param", f"{key}={value}"]
    started, t0 = time.time(), time.perf_counter()
    done = subprocess.run(cmd + ["--watch"], env=lp.env, capture_output=True, text=True)
    wall, ended = time.perf_counter() - t0, time.time()
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    run_id = done.stdout.split("UUID:", 1)[1].split()[0]
    run = lp.request("GET", f"/flow_runs/{run_id}")
    if run["state_type"] != "COMPLETED":
        raise RuntimeError(f"run {run_id} ended {run['state_type']}")
    states = lp.request("GET", f"/flow_run_states/?flow_run_id={run_id}")
    at: dict[str, float] = {}
    for state in sorted(states, key=lambda s: _when(s["timestamp"])):
        at.setdefault(state["type"], _when(state["timestamp"]))  # the first of each type
    created = _when(run["created"])
    return {
        "to_completed": at["COMPLETED"] - started,
        "wall": wall,
        "created_to_completed": at["COMPLETED"] - created,
        "cli_to_created": created - started,
        "created_to_pending": at["PENDING"] - created,
        "pending_to_running": at["RUNNING"] - at["PENDING"],
        "flow": at["COMPLETED"] - at["RUNNING"],
        "completed_to_exit": ended - at["COMPLETED"],
    }


def cli_fire(env: dict[str, str], ref: str) -> float:
    """One ``rectiflow case fire``: its wall time."""
    cmd = [sys.executable, "-m", "rectiflow", "case", "fire", ref, EVENT]
    t0 = time.perf_counter()
    done = subprocess.run(
        cmd + ["--actor", ACTOR, "--role", ROLE], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return wall


def inprocess_fire(database_url: str, refs: Sequence[str]) -> list[float]:
    """``states.service.fire`` called directly: the database work alone."""
    engine = make_engine(database_url)
    rules, out = Rules(), []
    try:
        for ref in refs:
            t0 = time.perf_counter()
            fire(engine, ref, EVENT, actor=ACTOR, role=ROLE, at=datetime.now(UTC), rules=rules)
            out.append(time.perf_counter() - t0)
    finally:
        engine.dispose()
    return out


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median, p95 (inclusive method), min and max, in seconds."""
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18]
    return {
        "median": statistics.median(samples),
        "p95": p95,
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


def measure(workdir: Path, runs: int) -> dict[str, Any]:
    """Every figure of one benchmark run, with one warm-up run of each kind first."""
    url = f"sqlite:///{workdir / 'rectiflow.db'}"
    refs = register_cases(url, 3 * (runs + 1))
    via_prefect, via_cli, in_process = refs[: runs + 1], refs[runs + 1 : 2 * runs + 2], refs[-runs:]
    t0 = time.perf_counter()
    with local_prefect(workdir / "prefect", url) as lp:
        started = time.perf_counter() - t0
        say(f"server and serving process up in {started:.1f} s at {lp.ui}")
        prefect_run(lp, via_prefect[0])  # warm-up: first imports, first DB pages
        prefect_runs = []
        for i, ref in enumerate(via_prefect[1:], 1):
            prefect_runs.append(prefect_run(lp, ref))
            say(f"prefect run {i}/{runs}: {prefect_runs[-1]['wall']:.2f} s")
        cli_fire(lp.env, via_cli[0])
        cli = [cli_fire(lp.env, ref) for ref in via_cli[1:]]
        say(f"rectiflow case fire ×{runs}: median {statistics.median(cli):.2f} s")
    direct = inprocess_fire(url, in_process)
    figures = {
        HEADLINE: [r["to_completed"] for r in prefect_runs],
        "prefect deployment run … --watch (command to exit)": [r["wall"] for r in prefect_runs],
        "  run created → Completed (server timestamps)": [
            r["created_to_completed"] for r in prefect_runs
        ],
        **{f"    {p}": [r[p] for r in prefect_runs] for p in PARTS},
        "rectiflow case fire (command)": cli,
        "states.service.fire (in process)": direct,
    }
    return {
        "runs": runs,
        "startup_s": started,
        "figures": {name: summary(v) for name, v in figures.items()},
        "target_median_s": TARGET_MEDIAN,
        "machine": machine(workdir),
    }


def render(result: dict[str, Any]) -> str:
    """The figures as an aligned table, in seconds."""
    head = f"{'figure':<55}{'median':>9}{'p95':>9}{'min':>9}{'max':>9}"
    lines = [head, "-" * len(head)]
    for name, s in result["figures"].items():
        lines.append(
            f"{name:<55}{s['median']:>9.3f}{s['p95']:>9.3f}{s['min']:>9.3f}{s['max']:>9.3f}"
        )
    wall = result["figures"][HEADLINE]["median"]
    verdict = "PASS" if wall < result["target_median_s"] else "FAIL"
    m = result["machine"]
    lines += [
        "",
        f"target: median {HEADLINE} under {result['target_median_s']:.0f} s: "
        f"{verdict} ({wall:.2f} s over {result['runs']} runs)",
        f"server + serving process started in {result['startup_s']:.1f} s",
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table (or JSON)."""
    args = _args(argv)
    # Stopped by SIGTERM, it still stops the server and serving process it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        result = measure(args.dir.resolve(), args.runs)
    else:
        with tempfile.TemporaryDirectory(prefix="rectiflow-latency-") as tmp:
            result = measure(Path(tmp), args.runs)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
