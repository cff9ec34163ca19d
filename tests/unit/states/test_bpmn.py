"""``rectiflow diagram --format bpmn``: BPMN 2.0 generated from the transition table, read
back by a third-party parser (SpiffWorkflow) and checked against the table and the clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from typer.testing import CliRunner

from rectiflow.cli import app
from states import clocks
from states.bpmn import BPMN, BPMNDI, DC, DI, PROCESS_ID, bpmn, build, human_events
from states.lifecycle import EVENTS, TABLE, Role, State, mermaid
from states.rules import Rules

NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}


def spec_of(xml: str) -> Any:
    """The process spec as SpiffWorkflow parses it, after validating against the BPMN XSD."""
    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_str(xml.encode("utf-8"))
    return parser.get_spec(PROCESS_ID)


@pytest.fixture(scope="module")
def xml() -> str:
    return bpmn()


@pytest.fixture(scope="module")
def spec(xml: str) -> Any:
    return spec_of(xml)


def of_type(spec: Any, name: str) -> dict[str, Any]:
    return {k: t for k, t in spec.task_specs.items() if type(t).__name__ == name}


def nexts(task: Any) -> list[str]:
    """What a task leads to, seen through SpiffWorkflow's wrapping of a task with boundary
    events (``X.BoundaryEventSplit`` before it, ``X.BoundaryEventJoin`` after it)."""
    out: list[str] = []
    for o in task.outputs:
        if o.name.endswith(".BoundaryEventSplit"):
            out += [x.name for x in o.outputs]
        elif not o.name.endswith(".BoundaryEventJoin"):
            out.append(o.name)
    return out


def host_of(timer: Any) -> str:
    """The task a boundary event is attached to."""
    (split,) = timer.inputs
    return str(split.name.removesuffix(".BoundaryEventSplit"))


def timers(spec: Any) -> dict[str, Any]:
    """Boundary timer events by id."""
    return {
        k: t
        for k, t in of_type(spec, "BoundaryEvent").items()
        if isinstance(t.event_definition, TimerEventDefinition)
    }


def test_the_xml_is_valid_bpmn_2_and_spiffworkflow_parses_it(spec: Any) -> None:
    assert spec.name == PROCESS_ID
    assert "Start_assigned" in spec.task_specs


def test_one_user_task_per_human_event_of_the_table(spec: Any) -> None:
    human = {r.event for r in TABLE if any(role is not Role.system for role in r.roles)}
    assert human == set(EVENTS)  # the system only ever closes or escalates alongside people
    tasks = of_type(spec, "UserTask")
    assert sorted(t.bpmn_name.split()[-1] for t in tasks.values()) == sorted(human)
    assert sorted(tasks) == sorted(f"Task_{e}" for e in human_events())
    labels = {r.event: r.zh for r in TABLE}
    for event in human:
        assert tasks[f"Task_{event}"].bpmn_name == f"{labels[event]} {event}"


def test_every_row_of_the_table_is_a_path_from_its_state_to_its_destination(spec: Any) -> None:
    for rule in TABLE:
        task = spec.task_specs[f"Task_{rule.event}"]
        for source in rule.sources:
            gateway = spec.task_specs[f"Gateway_{source.value}"]
            assert task.name in nexts(gateway), (rule.event, source)
            ahead = nexts(task)
            if rule.dest is not None:
                assert ahead == [f"Gateway_{rule.dest.value}"]
            else:
                # Back to the state it came from, directly or through a router on the state.
                via = {n for a in ahead for n in [a, *nexts(spec.task_specs[a])]}
                assert f"Gateway_{source.value}" in via


@pytest.mark.parametrize(
    ("kind", "host", "duration"),
    [
        (clocks.ACCEPTANCE, "accept", "P7D"),
        (clocks.REVIEW_APPLICATION, "request_review", "P3D"),
        (clocks.REVIEW, "review", "P5D"),
    ],
)
def test_counted_clocks_are_boundary_timers_of_their_iso_duration(
    spec: Any, kind: str, host: str, duration: str
) -> None:
    due = timers(spec)[f"Timer_{kind}_due"]
    assert isinstance(due.event_definition, DurationTimerEventDefinition)
    assert due.event_definition.expression == f'"{duration}"'
    assert TimerEventDefinition.parse_iso_duration(duration) == {"days": int(duration[1:-1])}
    assert host_of(due) == f"Task_{host}"
    assert due.cancel_activity is False  # the ladder runs alongside; the task stays open
    warning = timers(spec)[f"Timer_{kind}_warning"]
    assert warning.event_definition.expression == f'"P{int(duration[1:-1]) - 1}D"'


def test_rectification_deadline_is_a_date_timer_from_the_item(spec: Any) -> None:
    due = timers(spec)["Timer_rectification_due"]
    assert isinstance(due.event_definition, TimeDateEventDefinition)
    assert due.event_definition.expression == "rectification_at"
    assert host_of(due) == "Task_request_acceptance"


def test_notice_period_end_closes_the_item_by_the_system(spec: Any) -> None:
    end = timers(spec)["Timer_notice_due"]
    assert isinstance(end.event_definition, TimeDateEventDefinition)
    assert end.cancel_activity is True
    assert host_of(end) == "Task_close"
    assert nexts(end) == ["Task_auto_close"]
    assert nexts(spec.task_specs["Task_auto_close"]) == ["Gateway_closed"]


def test_one_due_timer_per_clock_and_a_warning_per_escalating_clock(spec: Any) -> None:
    assert sorted(timers(spec)) == sorted(
        [f"Timer_{k}_due" for k in clocks.KINDS]
        + [f"Timer_{k}_warning" for k in clocks.KINDS if k in clocks.ESCALATING]
    )


def test_escalation_path_follows_the_ladder(spec: Any) -> None:
    tasks = spec.task_specs
    for kind in clocks.ESCALATING:
        assert nexts(tasks[f"Timer_{kind}_due"]) == ["Task_supervision_letter"]
        assert nexts(tasks[f"Timer_{kind}_warning"]) == ["Task_warning"]
    path, node = [], tasks["Task_supervision_letter"]
    while type(node).__name__ != "EndEvent":
        path.append(node.name)
        (name,) = nexts(node)
        node = tasks[name]
    path.append(node.name)
    assert path == [
        "Task_supervision_letter",
        "Wait_interview",  # overdue ≥ 3 days
        "Task_interview",
        "Wait_referral",  # overdue ≥ 7 days: 4 days after the interview
        "Task_referral",
        "End_escalated",
    ]
    assert tasks["Wait_interview"].event_definition.expression == '"P3D"'
    assert tasks["Wait_referral"].event_definition.expression == '"P4D"'


def test_objection_and_reopen_paths(spec: Any) -> None:
    tasks = spec.task_specs
    assert nexts(tasks["Task_uphold_objection"]) == ["Gateway_investigating"]
    assert nexts(tasks["Task_reopen"]) == ["Gateway_investigating"]
    assert nexts(tasks["Task_record_objection"]) == ["Gateway_published"]
    assert nexts(tasks["Task_dismiss_objection"]) == ["Gateway_published"]
    assert {"Task_record_objection", "Task_uphold_objection"} <= set(
        nexts(tasks["Gateway_published"])
    )
    assert "Task_reopen" in nexts(tasks["Gateway_closed"])


def test_configured_lengths_are_the_timer_durations() -> None:
    spec = spec_of(bpmn(Rules(acceptance_days=10, review_days=2)))
    assert timers(spec)["Timer_acceptance_due"].event_definition.expression == '"P10D"'
    assert timers(spec)["Timer_review_due"].event_definition.expression == '"P2D"'


def test_every_sequence_flow_connects_existing_nodes(xml: str) -> None:
    process = ET.fromstring(xml).find("bpmn:process", NS)
    assert process is not None
    ids = {el.get("id") for el in process if el.tag != f"{{{BPMN}}}sequenceFlow"}
    flows = process.findall("bpmn:sequenceFlow", NS)
    assert len(flows) > len(TABLE)
    for f in flows:
        assert f.get("sourceRef") in ids and f.get("targetRef") in ids, f.get("id")
    referenced = {f.get(k) for f in flows for k in ("sourceRef", "targetRef")}
    assert ids - referenced == set()  # nothing left unconnected


def test_every_node_and_flow_is_laid_out(xml: str) -> None:
    root = ET.fromstring(xml)
    process = root.find("bpmn:process", NS)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert process is not None and plane is not None
    assert plane.get("bpmnElement") == PROCESS_ID
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    nodes = [el.get("id") for el in process if el.tag != f"{{{BPMN}}}sequenceFlow"]
    flows = [el.get("id") for el in process.findall("bpmn:sequenceFlow", NS)]
    assert sorted(shapes) == sorted(nodes)
    assert sorted(edges) == sorted(flows)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for node_id, shape in shapes.items():
        b = shape.find("dc:Bounds", NS)
        assert b is not None
        boxes[str(node_id)] = tuple(float(b.get(k, "nan")) for k in ("x", "y", "width", "height"))  # type: ignore[assignment]
    for edge in edges.values():
        assert len(edge.findall("di:waypoint", NS)) >= 2
    # Laid out, not piled up: no two shapes overlap, except a boundary event on its task.
    attached = {
        el.get("id"): el.get("attachedToRef") for el in process.findall("bpmn:boundaryEvent", NS)
    }
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if attached.get(a) == b or attached.get(b) == a:
                continue
            ax, ay, aw, ah = boxes[a]
            bx, by, bw, bh = boxes[b]
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (a, b)


def _complete(workflow: BpmnWorkflow, task_name: str, next_event: str) -> None:
    """Complete the one ready user task, choosing the event the actor fires next."""
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.name == task_name
    task.data["event"] = next_event
    task.run()
    workflow.do_engine_steps()
    workflow.refresh_timers()


def _waiting(workflow: BpmnWorkflow) -> dict[str, datetime]:
    return {e.name: datetime.fromisoformat(e.value) for e in workflow.waiting_events()}


def test_spiffworkflow_runs_the_clocks_it_reads(spec: Any) -> None:
    """Driven by SpiffWorkflow: the rectification timers wait for the item's own instants,
    and after 申请验收 the acceptance timers wait 6 days (预警) and 7 days."""
    workflow = BpmnWorkflow(spec)
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    warning = due - timedelta(days=1)
    item = {"rectification_at": due.isoformat(), "rectification_warning_at": warning.isoformat()}
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(item, event="acknowledge")
    workflow.do_engine_steps()
    _complete(workflow, "Task_acknowledge", "request_acceptance")
    assert _waiting(workflow) == {"整改时限": due, "整改时限预警": warning}
    started = datetime.now(UTC)
    _complete(workflow, "Task_request_acceptance", "accept")
    waits = {name: at - started for name, at in _waiting(workflow).items()}
    assert waits.keys() == {"验收时限 7日", "验收时限预警"}
    assert timedelta(days=7) <= waits["验收时限 7日"] < timedelta(days=7, minutes=1)
    assert timedelta(days=6) <= waits["验收时限预警"] < timedelta(days=6, minutes=1)


def test_states_are_gateways_laid_out_in_lifecycle_order() -> None:
    p = build()
    xs = [p.nodes[f"Gateway_{state.value}"].x for state in State]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_cli_writes_bpmn_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "lifecycle.bpmn"
    done = CliRunner().invoke(app, ["diagram", "--format", "bpmn", "--output", str(target)])
    assert done.exit_code == 0, done.output
    assert target.read_text(encoding="utf-8") == bpmn()
    assert spec_of(target.read_text(encoding="utf-8")).name == PROCESS_ID


def test_cli_default_is_still_the_mermaid_diagram() -> None:
    done = CliRunner().invoke(app, ["diagram"])
    assert done.exit_code == 0
    assert done.stdout == mermaid()


def test_cli_refuses_an_unknown_format() -> None:
    done = CliRunner().invoke(app, ["diagram", "--format", "svg"])
    assert done.exit_code == 2
