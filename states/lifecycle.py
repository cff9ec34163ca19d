"""The lifecycle of a work item (SPEC §3), declared once as a table.

The ``transitions`` machine, the Mermaid diagram, the CLI's help and the guard checks
are all derived from ``TABLE``. One machine is built for the whole process; a fire
asks it for the destination through a per-thread carrier whose state is set per call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from pydantic import BaseModel
from transitions import Machine, MachineError

from models import payloads as p


class State(StrEnum):
    assigned = "assigned"  # 已交办
    investigating = "investigating"  # 调查处理中
    rectified = "rectified"  # 已整改待验收
    accepted = "accepted"  # 已验收
    reviewed = "reviewed"  # 已复核
    published = "published"  # 公示中
    closed = "closed"  # 已销号


STATE_ZH: dict[State, str] = {
    State.assigned: "已交办",
    State.investigating: "调查处理中",
    State.rectified: "已整改待验收",
    State.accepted: "已验收",
    State.reviewed: "已复核",
    State.published: "公示中",
    State.closed: "已销号",
}


class Role(StrEnum):
    coordinator = "coordinator"  # 督改办 / 协调组
    operator = "operator"  # 承办单位经办人
    acceptance_group = "acceptance_group"  # 验收组
    review_group = "review_group"  # 市级复核工作组
    discipline = "discipline"  # 纪委监委
    system = "system"  # the scheduled sweep


@dataclass(frozen=True)
class Rule:
    """One row of the transition table."""

    event: str
    sources: tuple[State, ...]
    dest: State | None  # None: an internal event, the state stays
    roles: frozenset[Role]
    guards: tuple[str, ...]
    payload: type[BaseModel]
    zh: str

    def allows(self, state: State) -> bool:
        """Whether this row applies to an item in ``state``."""
        return state in self.sources


S = State
R = Role
_OPEN = (S.assigned, S.investigating)


def _rule(
    event: str,
    sources: Iterable[State],
    dest: State | None,
    roles: Iterable[Role],
    guards: Iterable[str],
    payload: type[BaseModel],
    zh: str,
) -> Rule:
    return Rule(event, tuple(sources), dest, frozenset(roles), tuple(guards), payload, zh)


TABLE: tuple[Rule, ...] = (
    _rule(
        "acknowledge",
        [S.assigned],
        S.investigating,
        [R.operator, R.coordinator],
        ["lead_unit_set"],
        p.Note,
        "签收",
    ),
    _rule(
        "request_acceptance",
        [S.investigating],
        S.rectified,
        [R.operator],
        ["rectification_complete"],
        p.Note,
        "申请验收",
    ),
    _rule(
        "accept",
        [S.rectified],
        S.accepted,
        [R.acceptance_group],
        ["acceptance_opinion_complete", "category_standard_met"],
        p.AcceptanceIn,
        "验收通过",
    ),
    _rule(
        "request_review",
        [S.accepted],
        None,
        [R.coordinator],
        ["review_not_applied"],
        p.Note,
        "申请复核",
    ),
    _rule(
        "sign_off",
        [S.accepted],
        None,
        [R.review_group],
        ["review_applied"],
        p.SignoffsIn,
        "签字背书",
    ),
    _rule(
        "review",
        [S.accepted],
        S.reviewed,
        [R.review_group],
        ["review_applied", "signoffs_complete"],
        p.ReviewIn,
        "复核通过",
    ),
    _rule(
        "return_for_rework",
        [S.rectified],
        S.investigating,
        [R.acceptance_group],
        [],
        p.Reason,
        "退回重新整改",
    ),
    _rule(
        "return_for_rework",
        [S.accepted],
        S.investigating,
        [R.review_group],
        [],
        p.Reason,
        "退回重新整改",
    ),
    _rule("publish", [S.reviewed], S.published, [R.coordinator], [], p.PublishIn, "公示"),
    _rule("record_objection", [S.published], None, [R.coordinator], [], p.ObjectionIn, "登记异议"),
    _rule(
        "uphold_objection",
        [S.published],
        S.investigating,
        [R.coordinator],
        ["objection_pending"],
        p.Reason,
        "异议成立",
    ),
    _rule(
        "dismiss_objection",
        [S.published],
        None,
        [R.coordinator],
        ["objection_pending"],
        p.Reason,
        "异议不成立",
    ),
    _rule(
        "close",
        [S.published],
        S.closed,
        [R.coordinator, R.system],
        ["notice_over", "no_objection_pending"],
        p.Note,
        "销号",
    ),
    _rule("file", [S.closed], None, [R.coordinator], ["not_filed"], p.FileIn, "备案"),
    _rule(
        "request_extension",
        _OPEN,
        None,
        [R.operator],
        ["no_extension_pending", "extension_later"],
        p.ExtensionIn,
        "延期申请",
    ),
    _rule(
        "approve_extension",
        _OPEN,
        None,
        [R.coordinator],
        ["extension_pending", "approved_due_later"],
        p.ApproveExtensionIn,
        "批准延期",
    ),
    _rule(
        "reject_extension",
        _OPEN,
        None,
        [R.coordinator],
        ["extension_pending"],
        p.Reason,
        "驳回延期",
    ),
    _rule(
        "merge_duplicate",
        _OPEN,
        S.closed,
        [R.coordinator],
        ["original_exists"],
        p.MergeIn,
        "重复件合并销号",
    ),
    _rule("reopen", [S.closed], S.investigating, [R.coordinator], [], p.ReopenIn, "重新整改"),
    _rule(
        "record_revisit", [S.closed], None, [R.coordinator], ["is_case"], p.RevisitIn, "复查回访"
    ),
)

EVENTS: tuple[str, ...] = tuple(dict.fromkeys(r.event for r in TABLE))


def rules_for(event: str) -> tuple[Rule, ...]:
    """Every row of ``event`` (``return_for_rework`` has one per source)."""
    return _BY_EVENT.get(event, ())


def rule_for(event: str, state: State) -> Rule | None:
    """The row that applies to ``event`` from ``state``, if any."""
    return _BY_EVENT_STATE.get((event, state))


_BY_EVENT: dict[str, tuple[Rule, ...]] = {
    e: tuple(r for r in TABLE if r.event == e) for e in EVENTS
}
_BY_EVENT_STATE: dict[tuple[str, State], Rule] = {(r.event, s): r for r in TABLE for s in r.sources}


def machine_transitions() -> list[dict[str, object]]:
    """The table in ``transitions``' own form."""
    return [
        {
            "trigger": r.event,
            "source": [s.value for s in r.sources],
            "dest": r.dest.value if r.dest else None,
        }
        for r in TABLE
    ]


@cache
def machine() -> Machine:
    """The one machine of the process, built from the table."""
    return Machine(
        model=None,
        states=[s.value for s in State],
        transitions=machine_transitions(),
        auto_transitions=False,
        initial=None,
    )


class _Carrier:
    state: str


_local = threading.local()


def destination(event: str, state: State) -> State:
    """The state ``event`` leads to from ``state``; MachineError if the machine has no such
    transition."""
    carrier: _Carrier | None = getattr(_local, "carrier", None)
    if carrier is None:
        carrier = _Carrier()
        machine().add_model(carrier, initial=state.value)
        _local.carrier = carrier
    machine().set_state(state.value, carrier)
    if event not in machine().events:
        raise MachineError(f"unknown event {event!r}")
    carrier.trigger(event)  # type: ignore[attr-defined]
    return State(carrier.state)


def mermaid() -> str:
    """The machine as a Mermaid state diagram, generated from the machine's own events."""
    m = machine()
    lines = ["stateDiagram-v2", "    direction LR", "    [*] --> assigned"]
    for s in State:
        lines.append(f"    {s.value}: {s.value} {STATE_ZH[s]}")
    internal: dict[str, list[str]] = {}
    for name, ev in m.events.items():
        for source, trans in ev.transitions.items():
            for t in trans:
                if t.dest is None:
                    internal.setdefault(source, []).append(name)
                else:
                    lines.append(f"    {source} --> {t.dest}: {name}")
    for source, names in internal.items():
        lines.append(f"    note right of {source}: {', '.join(names)}")
    lines.append("    closed --> [*]")
    return "\n".join(lines) + "\n"
