"""``python -m benchmarks`` runs end to end on a small database and reports every figure."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "load_items_per_s",
    "load_with_validation_items_per_s",
    "load_raw_items_per_s",
    "load_raw_no_fts_items_per_s",
    "load_raw_written_items_per_s",
    "fire_full_per_s",
    "raw_full_per_s",
    "fire_full_ratio",
    "fire_full_pooled_per_s",
    "fire_full_pooled_ratio",
    "fire_normal_per_s",
    "raw_normal_per_s",
    "fire_normal_ratio",
    "sweep_seconds",
    "sweep_clocks",
    "sweep_escalations",
    "sweep_notifications",
    "sweep_raw_seconds",
    "sweep_raw_escalations",
    "catch_up_seconds",
    "catch_up_clocks",
    "catch_up_escalations",
)


@pytest.mark.slow
def test_benchmarks_report_every_figure_as_a_positive_number(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--items", "3000", "--fires", "200"]
        + ["--sweep-clocks", "300", "--json", "--dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    figures = report["figures"]
    missing = [name for name in FIGURES if name not in figures]
    assert not missing, f"figures missing from the report: {missing}"
    bad = {
        name: value
        for name, value in figures.items()
        if isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    }
    assert not bad, f"figures that are not positive numbers: {bad}"
    assert set(report["targets"]) == {"load", "fire_full", "sweep"}
    assert report["machine"]["cores"] >= 1 and report["machine"]["sqlite"]


@pytest.mark.slow
def test_the_sweep_finds_exactly_the_clocks_the_data_made_due(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--items", "1000", "--fires", "20"]
        + ["--sweep-clocks", "100", "--json", "--dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["checks"] == {"sweep_clocks_as_planned": True, "raw_sweep_same_rows": True}
    assert report["figures"]["sweep_clocks"] == 100
    assert report["figures"]["catch_up_clocks"] == 50
