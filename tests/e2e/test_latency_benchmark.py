"""The latency benchmark's measurements, checked on the session's server (two runs, not 20)."""

from __future__ import annotations

import pytest

from benchmarks.prefect_latency import PARTS, cli_fire, prefect_run, register_cases, summary
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_benchmark_times_a_deployment_run_in_parts_and_a_cli_fire(stack: Stack) -> None:
    via_prefect, via_cli = register_cases(stack.database_url, 2)

    run = prefect_run(stack.prefect, via_prefect)

    assert set(run) == {"to_completed", "wall", "created_to_completed", *PARTS}
    assert all(run[part] >= 0 for part in PARTS), run
    # The parts, read off the server's timestamps, add up to the command's wall time.
    assert sum(run[part] for part in PARTS) == pytest.approx(run["wall"], abs=0.2)
    assert run["to_completed"] == pytest.approx(run["cli_to_created"] + run["created_to_completed"])
    assert 0 < run["to_completed"] < run["wall"]
    assert stack.state(via_prefect) == "investigating"

    assert cli_fire(stack.prefect.env, via_cli) > 0
    assert stack.state(via_cli) == "investigating"


def test_summary_gives_median_and_inclusive_p95() -> None:
    figures = summary([float(n) for n in range(1, 21)])  # 1 … 20 s
    assert figures["median"] == 10.5
    assert figures["p95"] == pytest.approx(19.05)
    assert (figures["min"], figures["max"], figures["n"]) == (1.0, 20.0, 20)
