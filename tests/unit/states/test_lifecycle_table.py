"""The transition table (states/lifecycle.py) against SPEC §3, pair by pair."""

from __future__ import annotations

import threading
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from transitions import MachineError

from states.guards import GUARDS
from states.lifecycle import (
    EVENTS,
    TABLE,
    Role,
    State,
    destination,
    machine,
    mermaid,
    rule_for,
    rules_for,
)
from states.rules import Rules

S = State
R = Role
OPEN = (S.assigned, S.investigating)

# SPEC §3, written out independently of the table: event -> {source: destination}.
# ``None`` is an internal event: the item stays where it is.
SPEC_MOVES: dict[str, dict[State, State | None]] = {
    "acknowledge": {S.assigned: S.investigating},
    "request_acceptance": {S.investigating: S.rectified},
    "accept": {S.rectified: S.accepted},
    "request_review": {S.accepted: None},
    "sign_off": {S.accepted: None},
    "review": {S.accepted: S.reviewed},
    "return_for_rework": {S.rectified: S.investigating, S.accepted: S.investigating},
    "publish": {S.reviewed: S.published},
    "record_objection": {S.published: None},
    "uphold_objection": {S.published: S.investigating},
    "dismiss_objection": {S.published: None},
    "close": {S.published: S.closed},
    "file": {S.closed: None},
    "request_extension": dict.fromkeys(OPEN),
    "approve_extension": dict.fromkeys(OPEN),
    "reject_extension": dict.fromkeys(OPEN),
    "merge_duplicate": dict.fromkeys(OPEN, S.closed),
    "reopen": {S.closed: S.investigating},
    "record_revisit": {S.closed: None},
}

# Who may fire what (SPEC §3), per event and source state.
_COORDINATOR_ONLY = [
    "request_review",
    "publish",
    "record_objection",
    "uphold_objection",
    "dismiss_objection",
    "file",
    "merge_duplicate",
    "reopen",
    "approve_extension",
    "reject_extension",
    "record_revisit",
]
SPEC_ROLES: dict[tuple[str, State], frozenset[Role]] = {
    **{(e, s): frozenset({R.coordinator}) for e in _COORDINATOR_ONLY for s in SPEC_MOVES[e]},
    ("acknowledge", S.assigned): frozenset({R.operator, R.coordinator}),
    ("request_acceptance", S.investigating): frozenset({R.operator}),
    ("request_extension", S.assigned): frozenset({R.operator}),
    ("request_extension", S.investigating): frozenset({R.operator}),
    ("accept", S.rectified): frozenset({R.acceptance_group}),
    ("return_for_rework", S.rectified): frozenset({R.acceptance_group}),
    ("sign_off", S.accepted): frozenset({R.review_group}),
    ("review", S.accepted): frozenset({R.review_group}),
    ("return_for_rework", S.accepted): frozenset({R.review_group}),
    ("close", S.published): frozenset({R.coordinator, R.system}),
}

PAIRS = [(e, s) for e in EVENTS for s in State]
ALLOWED = [pytest.param(e, s, id=f"{e}-from-{s}") for e, s in PAIRS if s in SPEC_MOVES[e]]
BANNED = [pytest.param(e, s, id=f"{e}-from-{s}") for e, s in PAIRS if s not in SPEC_MOVES[e]]


def test_table_holds_exactly_the_spec_transitions() -> None:
    table = {(r.event, s): r.dest for r in TABLE for s in r.sources}
    spec = {(e, s): d for e, moves in SPEC_MOVES.items() for s, d in moves.items()}
    assert table == spec
    assert set(EVENTS) == set(SPEC_MOVES)


def test_no_two_rows_share_an_event_and_a_source() -> None:
    pairs = [(r.event, s) for r in TABLE for s in r.sources]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(("event", "state"), ALLOWED)
def test_allowed_pair_leads_to_the_table_destination(event: str, state: State) -> None:
    rule = rule_for(event, state)
    assert rule is not None
    expected = SPEC_MOVES[event][state] or state
    assert destination(event, state) is expected
    assert (rule.dest or state) is expected


@pytest.mark.parametrize(("event", "state"), BANNED)
def test_banned_pair_raises_machine_error(event: str, state: State) -> None:
    assert rule_for(event, state) is None
    with pytest.raises(MachineError, match=event):
        destination(event, state)


def test_unknown_event_raises_machine_error() -> None:
    with pytest.raises(MachineError, match="close_all"):
        destination("close_all", S.published)


def test_machine_is_built_once_without_auto_transitions() -> None:
    assert machine() is machine()
    assert set(machine().events) == set(EVENTS)
    assert not any(name.startswith("to_") for name in machine().events)


@pytest.mark.parametrize(
    "name", sorted({g for r in TABLE for g in r.guards}), ids=lambda name: str(name)
)
def test_every_guard_named_in_the_table_exists(name: str) -> None:
    assert name in GUARDS
    assert GUARDS[name].name == name


@pytest.mark.parametrize(
    ("event", "state"), [pytest.param(e, s, id=f"{e}-from-{s}") for e, s in SPEC_ROLES]
)
def test_roles_follow_the_spec(event: str, state: State) -> None:
    rule = rule_for(event, state)
    assert rule is not None
    assert rule.roles == SPEC_ROLES[(event, state)]
    for role in Role:
        assert Rules().may_fire(rule, role) is (role in SPEC_ROLES[(event, state)])


def test_operator_fires_only_acknowledge_acceptance_request_and_extension_request() -> None:
    fired = {r.event for r in TABLE if R.operator in r.roles}
    assert fired == {"acknowledge", "request_acceptance", "request_extension"}


def test_system_fires_only_close() -> None:
    assert {r.event for r in TABLE if R.system in r.roles} == {"close"}


def test_discipline_fires_no_event() -> None:
    assert [r.event for r in TABLE if R.discipline in r.roles] == []


def test_return_for_rework_from_rectified_is_not_the_review_groups() -> None:
    from_rectified = rule_for("return_for_rework", S.rectified)
    from_accepted = rule_for("return_for_rework", S.accepted)
    assert from_rectified is not None and from_accepted is not None
    assert R.review_group not in from_rectified.roles
    assert R.acceptance_group not in from_accepted.roles


def test_deployment_may_widen_who_fires_an_event() -> None:
    rule = rule_for("accept", S.rectified)
    assert rule is not None
    wide = Rules(extra_roles={"accept": frozenset({R.coordinator})})
    assert wide.may_fire(rule, R.coordinator)
    assert not Rules().may_fire(rule, R.coordinator)
    assert not wide.may_fire(rule, R.operator)


@pytest.mark.parametrize("event", EVENTS)
def test_every_row_of_an_event_takes_one_payload_model(event: str) -> None:
    # fire validates the payload before it knows the state, with the first row's model.
    models = {r.payload for r in rules_for(event)}
    assert len(models) == 1
    (model,) = models
    assert issubclass(model, BaseModel)
    assert model.model_config.get("extra") == "forbid"


def test_every_state_is_reachable_from_assigned_and_every_state_reaches_closed() -> None:
    edges = {s: {r.dest for r in TABLE if s in r.sources and r.dest} for s in State}

    def reachable(start: State) -> set[State]:
        seen, todo = {start}, deque([start])
        while todo:
            for nxt in edges[todo.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert reachable(S.assigned) == set(State)
    assert [s for s in State if S.closed not in reachable(s)] == []


def test_mermaid_draws_every_transition_and_notes_every_internal_event() -> None:
    text = mermaid()
    assert text.startswith("stateDiagram-v2\n")
    notes = {
        line.split(":", 1)[0].removeprefix("    note right of "): line.split(": ", 1)[1].split(", ")
        for line in text.splitlines()
        if line.startswith("    note right of ")
    }
    for rule in TABLE:
        for source in rule.sources:
            if rule.dest is not None:
                assert f"    {source} --> {rule.dest}: {rule.event}\n" in text
            else:
                assert rule.event in notes[source.value]
    assert "    closed: closed 已销号\n" in text
    assert notes["published"] == ["record_objection", "dismiss_objection"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(EVENTS), max_size=40))
def test_any_event_sequence_follows_the_table(events: list[str]) -> None:
    state = S.assigned
    for event in events:
        rule = rule_for(event, state)
        if rule is None:
            with pytest.raises(MachineError):
                destination(event, state)
            continue
        state = destination(event, state)
        assert state is (rule.dest or state)


def test_destination_is_right_from_many_threads_at_once() -> None:
    expected = {(e, s): SPEC_MOVES[e][s] or s for e, s in PAIRS if s in SPEC_MOVES[e]}
    wrong: list[tuple[str, State, object]] = []

    def work(offset: int) -> None:
        for i in range(400):
            event, state = PAIRS[(offset * 37 + i * 11) % len(PAIRS)]
            try:
                got: object = destination(event, state)
            except MachineError:
                got = None
            if got != expected.get((event, state)):
                wrong.append((event, state, got))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
