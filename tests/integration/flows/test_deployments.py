"""The deployments: each under its own name, per-event run forms with Chinese fields, the
schedules, and prefect.yaml deploying the same flows to a work pool."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint

from flows.actions import FLOWS, flow_name
from flows.deployments import deployment_names, deployments
from states.lifecycle import EVENTS

ROOT = Path(__file__).resolve().parents[3]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property of a run form, nested ones included, with its path."""
    out = []
    for name, prop in schema.get("properties", {}).items():
        out.append((f"{path}{name}", prop))
        out += _fields(prop, f"{path}{name}.")
        if isinstance(prop.get("items"), dict):
            out += _fields(prop["items"], f"{path}{name}[].")
    return out


def test_every_deployment_is_named_after_its_flow() -> None:
    made = deployments()
    assert sorted(f"{d.flow_name}/{d.name}" for d in made) == sorted(deployment_names())
    names = {d.name for d in made}
    assert {"transition", "acknowledge", "accept", "request-acceptance", "deadline-sweep"} <= names
    assert {"dispatch-notifications", "revisit-sampling", "import-batch"} <= names
    assert {flow_name(e) for e in EVENTS} <= names


@pytest.mark.parametrize("event", EVENTS)
def test_event_form_has_a_chinese_title_and_description_on_every_field(event: str) -> None:
    schema = FLOWS[event].parameters.model_dump_for_openapi()
    assert list(schema["properties"])[:3] == ["ref", "actor", "role"]
    assert "$ref" not in str(schema), "nested models are inlined so the form shows their fields"
    for path, prop in _fields(schema):
        assert CJK.search(prop.get("title", "")), f"{event}: {path} has no Chinese title"
        assert CJK.search(prop.get("description", "")), f"{event}: {path} has no description"


def test_acceptance_form_shows_dates_lists_and_a_role_drop_down() -> None:
    props = FLOWS["accept"].parameters.model_dump_for_openapi()["properties"]
    assert props["accepted_on"]["format"] == "date" and props["accepted_on"]["title"] == "验收日期"
    assert props["members"]["type"] == "array"
    assert props["members"]["items"]["properties"]["signed"]["type"] == "boolean"
    assert props["role"]["default"] == "acceptance_group" and "operator" in props["role"]["enum"]


def test_transition_form_describes_each_parameter() -> None:
    schema = deployments()[0]._parameter_openapi_schema.model_dump_for_openapi()
    assert list(schema["properties"]) == ["ref", "event", "actor", "role", "data", "key"]
    for path, prop in _fields(schema):
        assert CJK.search(prop["title"]) and CJK.search(prop["description"]), path


def test_schedules_sweep_every_ten_minutes_dispatch_every_minute_sample_monthly() -> None:
    by_name = {d.name: d for d in deployments(sweep_minutes=10)}
    sweep = by_name["deadline-sweep"].schedules[0].schedule
    assert sweep.interval == timedelta(minutes=10)
    assert by_name["dispatch-notifications"].schedules[0].schedule.interval == (
        timedelta(minutes=1)
    )
    cron = by_name["revisit-sampling"].schedules[0].schedule
    assert cron.cron == "0 9 1 * *" and cron.timezone == "Asia/Shanghai"
    five = {d.name: d for d in deployments(sweep_minutes=5)}["deadline-sweep"]
    assert five.schedules[0].schedule.interval == timedelta(minutes=5)


def test_prefect_yaml_deploys_the_same_flows_to_the_process_pool() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    served = {d.name: d for d in deployments()}
    listed = {d["name"]: d for d in config["deployments"]}
    assert listed.keys() == served.keys()
    for name, entry in listed.items():
        assert entry["entrypoint"] == served[name].entrypoint
        assert entry["work_pool"]["name"] == "rectiflow"
        assert load_flow_from_entrypoint(entry["entrypoint"]).name == served[name].flow_name
        assert bool(entry.get("schedules")) == bool(served[name].schedules), name
