"""The walkthrough in examples/lifecycle, run through the real command line as the
README tells a reader to: a new complaint case from 已交办 to 已销号 (SPEC §3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from states.lifecycle import State, rule_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "lifecycle"
CASE_FILE = EXAMPLES / "00-case.json"
STEP_FILES = sorted(p for p in EXAMPLES.glob("[0-9][0-9]-*.json") if p != CASE_FILE)
STEP_KEYS = {"actor", "role", "data", "at"}

pytestmark = pytest.mark.slow


def _event(path: Path) -> str:
    return path.stem.split("-", 1)[1]


@pytest.fixture
def cli(tmp_path: Path) -> Any:
    """Run ``python -m rectiflow …`` on a fresh SQLite file; deployment settings left out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFLOW_")}
    env["RECTIFLOW_DATABASE_URL"] = f"sqlite:///{tmp_path / 'r.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rectiflow", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    return run


def _ok(result: subprocess.CompletedProcess[str], what: str) -> str:
    assert result.returncode == 0, f"{what}: exit {result.returncode}\n{result.stderr}"
    return result.stdout


def test_the_files_are_a_walkthrough_that_ends_with_close() -> None:
    assert STEP_FILES, "no examples/lifecycle/NN-EVENT.json files"
    assert _event(STEP_FILES[-1]) == "close"
    instants = []
    for path in STEP_FILES:
        step = json.loads(path.read_text(encoding="utf-8"))
        assert {"actor", "role", "data"} <= set(step) <= STEP_KEYS, path.name
        instants.append(step.get("at", ""))
    assert instants == sorted(instants), "the steps' instants must follow the file order"


def test_walkthrough_takes_a_new_case_from_assigned_to_closed(cli: Any, tmp_path: Path) -> None:
    case = json.loads(CASE_FILE.read_text(encoding="utf-8"))
    ref = case["intake_no"]
    _ok(cli("db", "upgrade"), "db upgrade")
    added = _ok(
        cli("case", "add", "--data-file", str(CASE_FILE), "--at", case["assigned_at"], "--json"),
        "case add",
    )
    state = "assigned"
    assert json.loads(added)["state"] == state

    for path in STEP_FILES:
        event, step = _event(path), json.loads(path.read_text(encoding="utf-8"))
        data_file = tmp_path / f"{path.stem}.data.json"
        data_file.write_text(json.dumps(step["data"], ensure_ascii=False), encoding="utf-8")
        who = ["--actor", step["actor"], "--role", step["role"], "--data-file", str(data_file)]
        when = ["--at", step["at"]] if "at" in step else []
        if event == "update":
            args, expected = ["case", "update", ref], state
        else:
            rule = rule_for(event, State(state))
            assert rule is not None, f"{path.name}: {event} is not allowed from {state}"
            args, expected = ["case", "fire", ref, event], (rule.dest or State(state)).value
        done = json.loads(_ok(cli(*args, *who, *when, "--json"), path.name))
        assert (done["from_state"], done["to_state"]) == (state, expected), path.name
        state = expected

    assert state == "closed"
    assert "0 breach(es)" in _ok(cli("audit", "verify"), "audit verify")
    history = _ok(cli("case", "history", ref, "--json"), "case history")
    shown = _ok(cli("case", "show", ref, "--json"), "case show")
    assert json.loads(shown)["state"] == "closed"
    assert len(json.loads(history)) == len(STEP_FILES) + 1
    for personal in (case["complainant"]["name"], case["complainant"]["phone"]):
        assert personal not in history
        assert personal not in shown
