"""The lifecycle as BPMN 2.0 XML, generated from the transition table (``lifecycle.TABLE``).

The state machine is drawn the way BPMN draws one: each state is an exclusive gateway
whose outgoing flows are the events allowed from it (``event == "accept"``); each event
is one user task, leading to the gateway of its destination (an internal event leads
back, through a small router gateway when it is allowed from several states).

Each deadline clock (SPEC §7) is a boundary timer on the user task that stops it:
the rectification deadline on ``request_acceptance`` (a date of the item, so a
``timeDate``), acceptance 7 days on ``accept``, review application 3 days on
``request_review``, review 5 days on ``review`` (``timeDuration`` ``P7D`` …), and the
notice period on ``close`` (its end, after which the system closes the item). The
timers before and at the due time are non-interrupting and start the escalation path:
预警 before the deadline, then 督办函, 约谈 and 移送问题线索 spaced as the ladder says.

Timer expressions are written as SpiffWorkflow evaluates them (Python expressions):
a duration is the quoted ISO-8601 string ``"P7D"``, a date the name of an item field
holding an ISO-8601 instant (``rectification_due_at``). The durations are the nominal
lengths; the due instants themselves follow the Civil Code counting of
``states.calendar`` (a last day on a rest day moves to the next working day).

Diagram interchange (BPMNDiagram, BPMNShape with dc:Bounds, BPMNEdge with di:waypoint)
is included, so that a BPMN modeller opens the process laid out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from xml.etree import ElementTree as ET

from states import clocks
from states.lifecycle import STATE_ZH, TABLE, Role, State
from states.rules import Rules, Rung

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PROCESS_ID = "rectification_lifecycle"
# The clock each user task stops (its boundary timers run while the task waits).
HOSTS: dict[str, str] = {
    clocks.RECTIFICATION: "request_acceptance",
    clocks.ACCEPTANCE: "accept",
    clocks.REVIEW_APPLICATION: "request_review",
    clocks.REVIEW: "review",
    clocks.NOTICE: "close",
}
# Item fields holding the instants of the clocks whose length is not a number of days.
DATE_FIELDS = {clocks.RECTIFICATION: "rectification", clocks.NOTICE: "notice_end"}

# Layout, in pixels.
COLUMN, ROW, MAIN_Y, LEFT = 300, 150, 640, 200
TASK_W, TASK_H, GATEWAY, EVENT = 120, 80, 50, 36

for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)


@dataclass
class _Node:
    id: str
    tag: str  # BPMN element name: userTask, exclusiveGateway, boundaryEvent …
    name: str
    x: int
    y: int
    w: int
    h: int
    attrs: dict[str, str] = field(default_factory=dict)
    doc: str = ""
    timer: tuple[str, str] | None = None  # (timeDate | timeDuration, expression)

    def centre(self) -> tuple[int, int]:
        return self.x + self.w // 2, self.y + self.h // 2


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""


@dataclass
class _Process:
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)

    def add(self, node: _Node) -> _Node:
        self.nodes[node.id] = node
        return node

    def flow(self, source: str, target: str, condition: str | None = None, name: str = "") -> str:
        flow_id = f"Flow_{len(self.flows) + 1}"
        self.flows.append(_Flow(flow_id, source, target, condition, name))
        return flow_id


def _gateway_id(state: State) -> str:
    return f"Gateway_{state.value}"


def _task_id(event: str) -> str:
    return f"Task_{event}"


def _human(roles: frozenset[Role]) -> bool:
    return any(r is not Role.system for r in roles)


def human_events() -> list[str]:
    """The events a person fires (every event but the system's own), in table order."""
    return list(dict.fromkeys(r.event for r in TABLE if _human(r.roles)))


def _events() -> dict[str, tuple[list[State], State | None, set[Role], list[str], str]]:
    """Per event: its sources, destination, roles, guards and label, rows merged."""
    out: dict[str, tuple[list[State], State | None, set[Role], list[str], str]] = {}
    for r in TABLE:
        sources, dest, roles, guards, zh = out.get(r.event, ([], r.dest, set(), [], r.zh))
        sources += [s for s in r.sources if s not in sources]
        roles |= set(r.roles)
        guards += [g for g in r.guards if g not in guards]
        out[r.event] = (sources, dest, roles, guards, zh)
    return out


def _place_states(p: _Process) -> None:
    p.add(
        _Node(
            "Start_assigned", "startEvent", "交办 register", 80, MAIN_Y - EVENT // 2, EVENT, EVENT
        )
    )
    for i, state in enumerate(State):
        x = LEFT + COLUMN * i
        name = f"{STATE_ZH[state]} {state.value}"
        p.add(
            _Node(
                _gateway_id(state),
                "exclusiveGateway",
                name,
                x,
                MAIN_Y - GATEWAY // 2,
                GATEWAY,
                GATEWAY,
            )
        )
    p.flow("Start_assigned", _gateway_id(State.assigned))


def _place_tasks(p: _Process) -> None:
    order = list(State)
    rows_used: dict[State, list[int]] = {s: [] for s in State}
    for event, (sources, dest, roles, guards, zh) in _events().items():
        home = sources[0]
        forward = dest is not None and order.index(dest) == order.index(home) + 1
        used = rows_used[home]
        if forward:
            row = 0
        elif dest is None:
            row = -1 - sum(1 for r in used if r < 0)
        else:
            row = 1 + sum(1 for r in used if r > 0)
        used.append(row)
        x = LEFT + COLUMN * order.index(home) + 100
        y = MAIN_Y - TASK_H // 2 + row * ROW
        doc = (
            f"roles: {', '.join(sorted(r.value for r in roles))}; "
            f"guards: {', '.join(guards) or '—'}; from: {', '.join(s.value for s in sources)}"
        )
        tag = "userTask" if _human(frozenset(roles)) else "serviceTask"
        p.add(_Node(_task_id(event), tag, f"{zh} {event}", x, y, TASK_W, TASK_H, doc=doc))
        for s in sources:
            p.flow(_gateway_id(s), _task_id(event), f'event == "{event}"', event)
        if dest is not None:
            p.flow(_task_id(event), _gateway_id(dest))
        elif len(sources) == 1:
            p.flow(_task_id(event), _gateway_id(sources[0]))
        else:
            router = p.add(
                _Node(
                    f"Gateway_after_{event}",
                    "exclusiveGateway",
                    "",
                    x + TASK_W + 30,
                    y + 15,
                    GATEWAY,
                    GATEWAY,
                )
            )
            p.flow(_task_id(event), router.id)
            for s in sources:
                p.flow(router.id, _gateway_id(s), f'state == "{s.value}"', s.value)


def _duration(days: int) -> str:
    return f'"P{max(days, 0)}D"'


def _timer(kind: str, offset: int, level: str, rules: Rules) -> tuple[str, str]:
    """The timer definition of ``kind``'s clock shifted by ``offset`` days (the rung ``level``)."""
    if kind in DATE_FIELDS:
        base = DATE_FIELDS[kind]
        return "timeDate", f"{base}_at" if offset == 0 else f"{base}_{level}_at"
    return "timeDuration", _duration(rules.length_of(kind) + offset)


def _boundary(
    p: _Process,
    host: _Node,
    n: int,
    node_id: str,
    name: str,
    timer: tuple[str, str],
    interrupting: bool,
) -> _Node:
    attrs = {"attachedToRef": host.id}
    if not interrupting:
        attrs["cancelActivity"] = "false"
    x = host.x + 4 + n * (EVENT + 6)
    return p.add(
        _Node(
            node_id,
            "boundaryEvent",
            name,
            x,
            host.y + host.h - EVENT // 2,
            EVENT,
            EVENT,
            attrs,
            timer=timer,
        )
    )


def _escalation_path(p: _Process, ladder: tuple[Rung, ...]) -> tuple[dict[str, str], str]:
    """Service tasks for the rungs: warnings on their own, the rest chained by timers.
    Returns the task of each warning rung and the entry of the chain."""
    y = MAIN_Y + 4 * ROW
    before = [r for r in ladder if r.offset_days < 0]
    after = [r for r in ladder if r.offset_days >= 0]
    warnings: dict[str, str] = {}
    for i, rung in enumerate(before):
        task = p.add(
            _Node(
                f"Task_{rung.level}",
                "serviceTask",
                f"{rung.zh} {rung.level}",
                LEFT + 100 + i * 2 * COLUMN,
                y + ROW,
                TASK_W,
                TASK_H,
                doc="system: the deadline sweep",
            )
        )
        end = p.add(
            _Node(
                f"End_{rung.level}",
                "endEvent",
                f"已{rung.zh}",
                task.x + TASK_W + 60,
                y + ROW + 22,
                EVENT,
                EVENT,
            )
        )
        p.flow(task.id, end.id)
        warnings[rung.level] = task.id
    x, chain, offset = LEFT + 100, [], 0
    for rung in after:
        if rung.offset_days > offset:
            days = rung.offset_days - offset
            wait = _Node(
                f"Wait_{rung.level}",
                "intermediateCatchEvent",
                f"{days}日后",
                x,
                y + 22,
                EVENT,
                EVENT,
                timer=("timeDuration", _duration(days)),
            )
            chain.append(p.add(wait).id)
            x += EVENT + 80
        task = _Node(
            f"Task_{rung.level}",
            "serviceTask",
            f"{rung.zh} {rung.level}",
            x,
            y,
            TASK_W,
            TASK_H,
            doc="system: the deadline sweep",
        )
        chain.append(p.add(task).id)
        offset, x = rung.offset_days, x + TASK_W + 80
    end = _Node("End_escalated", "endEvent", "已移送 escalated", x, y + 22, EVENT, EVENT)
    chain.append(p.add(end).id)
    for source, target in pairwise(chain):
        p.flow(source, target)
    return warnings, chain[0]


def _place_clocks(p: _Process, rules: Rules) -> None:
    warnings, escalation = _escalation_path(p, rules.ladder)
    for kind, event in HOSTS.items():
        host = p.nodes[_task_id(event)]
        if kind not in clocks.ESCALATING:
            continue
        n = 0
        for rung in rules.ladder:
            if rung.offset_days < 0:
                timer = _boundary(
                    p,
                    host,
                    n,
                    f"Timer_{kind}_{rung.level}",
                    f"{clocks.KIND_ZH[kind]}{rung.zh}",
                    _timer(kind, rung.offset_days, rung.level, rules),
                    False,
                )
                p.flow(timer.id, warnings[rung.level])
                n += 1
        due = _boundary(
            p,
            host,
            n,
            f"Timer_{kind}_due",
            _due_name(kind, rules),
            _timer(kind, 0, "due", rules),
            False,
        )
        p.flow(due.id, escalation)
    close = p.nodes[_task_id(HOSTS[clocks.NOTICE])]
    timer = _boundary(
        p,
        close,
        0,
        f"Timer_{clocks.NOTICE}_due",
        "公示期满",
        _timer(clocks.NOTICE, 0, "due", rules),
        True,
    )
    auto = p.add(
        _Node(
            "Task_auto_close",
            "serviceTask",
            "公示期满自动销号 close (system)",
            close.x,
            close.y + 2 * ROW,
            TASK_W,
            TASK_H,
            doc="system: no objection pending",
        )
    )
    p.flow(timer.id, auto.id)
    p.flow(auto.id, _gateway_id(State.closed))


def _due_name(kind: str, rules: Rules) -> str:
    if kind in DATE_FIELDS:
        return clocks.KIND_ZH[kind]
    return f"{clocks.KIND_ZH[kind]} {rules.length_of(kind)}日"


def _place_end(p: _Process) -> None:
    gateway = p.nodes[_gateway_id(State.closed)]
    end = p.add(
        _Node(
            "End_closed",
            "endEvent",
            "已销号 closed",
            gateway.x + 140,
            MAIN_Y - EVENT // 2,
            EVENT,
            EVENT,
        )
    )
    flow = p.flow(gateway.id, end.id)
    gateway.attrs["default"] = flow


def build(rules: Rules | None = None) -> _Process:
    """The process: nodes with their bounds, and flows."""
    rules = rules or Rules()
    p = _Process()
    _place_states(p)
    _place_tasks(p)
    _place_clocks(p, rules)
    _place_end(p)
    return p


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _process_xml(parent: ET.Element, p: _Process) -> None:
    proc = ET.SubElement(
        parent, _q(BPMN, "process"), id=PROCESS_ID, name="督察整改事项生命周期", isExecutable="true"
    )
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for f in p.flows:
        outgoing.setdefault(f.source, []).append(f.id)
        incoming.setdefault(f.target, []).append(f.id)
    for node in p.nodes.values():
        el = ET.SubElement(
            proc, _q(BPMN, node.tag), {"id": node.id, "name": node.name} | node.attrs
        )
        if node.doc:
            ET.SubElement(el, _q(BPMN, "documentation")).text = node.doc
        for flow_id in incoming.get(node.id, []):
            ET.SubElement(el, _q(BPMN, "incoming")).text = flow_id
        for flow_id in outgoing.get(node.id, []):
            ET.SubElement(el, _q(BPMN, "outgoing")).text = flow_id
        if node.timer is not None:
            definition = ET.SubElement(el, _q(BPMN, "timerEventDefinition"))
            kind, expression = node.timer
            timer = ET.SubElement(
                definition, _q(BPMN, kind), {_q(XSI, "type"): "bpmn:tFormalExpression"}
            )
            timer.text = expression
    for f in p.flows:
        el = ET.SubElement(
            proc, _q(BPMN, "sequenceFlow"), id=f.id, sourceRef=f.source, targetRef=f.target
        )
        if f.name:
            el.set("name", f.name)
        if f.condition is not None:
            cond = ET.SubElement(
                el, _q(BPMN, "conditionExpression"), {_q(XSI, "type"): "bpmn:tFormalExpression"}
            )
            cond.text = f.condition


def _waypoints(src: _Node, dst: _Node) -> list[tuple[int, int]]:
    """An orthogonal route: rightwards when the target lies to the right, else below both."""
    (sx, sy), (tx, ty) = src.centre(), dst.centre()
    if src.tag == "boundaryEvent":
        start = (sx, src.y + src.h)
        return (
            [start, (start[0], ty), (dst.x, ty)]
            if dst.x > sx
            else [start, (start[0], dst.y - 20), (tx, dst.y - 20), (tx, dst.y)]
        )
    if dst.x > src.x + src.w:
        start, end = (src.x + src.w, sy), (dst.x, ty)
        mid = (start[0] + end[0]) // 2
        return [start, (mid, sy), (mid, ty), end] if sy != ty else [start, end]
    below = max(src.y + src.h, dst.y + dst.h) + 30
    return [(sx, src.y + src.h), (sx, below), (tx, below), (tx, dst.y + dst.h)]


def _diagram_xml(parent: ET.Element, p: _Process) -> None:
    diagram = ET.SubElement(parent, _q(BPMNDI, "BPMNDiagram"), id="Diagram_lifecycle")
    plane = ET.SubElement(
        diagram, _q(BPMNDI, "BPMNPlane"), id="Plane_lifecycle", bpmnElement=PROCESS_ID
    )
    for node in p.nodes.values():
        attrs = {"id": f"{node.id}_di", "bpmnElement": node.id}
        if node.tag == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, _q(BPMNDI, "BPMNShape"), attrs)
        ET.SubElement(
            shape,
            _q(DC, "Bounds"),
            x=str(node.x),
            y=str(node.y),
            width=str(node.w),
            height=str(node.h),
        )
    for f in p.flows:
        edge = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=f"{f.id}_di", bpmnElement=f.id)
        for x, y in _waypoints(p.nodes[f.source], p.nodes[f.target]):
            ET.SubElement(edge, _q(DI, "waypoint"), x=str(x), y=str(y))


def bpmn(rules: Rules | None = None) -> str:
    """The lifecycle as a BPMN 2.0 XML document, with its diagram."""
    p = build(rules)
    root = ET.Element(
        _q(BPMN, "definitions"),
        id="Definitions_rectiflow",
        targetNamespace="urn:rectiflow:lifecycle",
        exporter="rectiflow",
    )
    _process_xml(root, p)
    _diagram_xml(root, p)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
