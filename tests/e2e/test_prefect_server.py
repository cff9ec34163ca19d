"""An operator's event through a real Prefect server: the CLI triggers, the served flow acts."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import EVENT_TIMEOUT, Stack, events, trigger, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPERATOR = "海城市人民政府经办人"


def test_transition_run_completes_moves_the_item_and_is_in_the_event_store(stack: Stack) -> None:
    ref = "D2190001"
    assert stack.state(ref) == "assigned"

    done = trigger(
        stack,
        "transition/transition",
        ref=ref,
        event="acknowledge",
        actor=OPERATOR,
        role="operator",
    )

    assert done.code == 0, done.out
    run = done.run
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["name"] == f"{ref}·acknowledge"  # the flow's run name, set when it ran
    assert run["parameters"] == {
        "ref": ref,
        "event": "acknowledge",
        "actor": OPERATOR,
        "role": "operator",
    }
    assert {f"item:{ref}", "district:海城市", "event:acknowledge"} <= set(run["tags"])
    assert stack.state(ref) == "investigating"
    # The item's own event, about the item as a resource, in the server's event store.
    found = wait_for(
        lambda: events(
            stack,
            event={"name": ["rectiflow.item.acknowledge"]},
            resource={"id": [f"rectiflow.item.{ref}"]},
        ),
        EVENT_TIMEOUT,
        f"rectiflow.item.acknowledge about rectiflow.item.{ref} in the event store",
    )
    assert len(found) == 1
    event = found[0]
    assert event["payload"]["from_state"] == "assigned"
    assert event["payload"]["to_state"] == "investigating"
    assert event["payload"]["actor"] == OPERATOR
    related = {r["prefect.resource.id"] for r in event["related"]}
    assert "rectiflow.district.海城市" in related


def test_refused_event_gives_a_failed_run_naming_the_unmet_guard(stack: Stack) -> None:
    ref = "D2190003"  # acknowledged, but no verdict, problems or satisfaction recorded
    assert stack.state(ref) == "investigating"

    done = trigger(
        stack,
        "transition/transition",
        ref=ref,
        event="request_acceptance",
        actor=OPERATOR,
        role="operator",
    )

    assert done.code == 1, done.out
    run = done.run
    assert run["state_type"] == "FAILED", run["state"]
    assert run["name"] == f"{ref}·request_acceptance"
    message = run["state"]["message"]
    # rectification_complete, the unmet guard, named in Chinese and English.
    assert "未记录调查结论" in message and "no verdict" in message, message
    assert "未记录群众满意情况" in message and "satisfaction not recorded" in message, message
    assert {f"item:{ref}", "event:request_acceptance"} <= set(run["tags"])
    assert stack.state(ref) == "investigating"  # nothing changed
    # The run's own Failed event is stored; no item event was emitted for the refusal.
    wait_for(
        lambda: events(
            stack,
            event={"name": ["prefect.flow-run.Failed"]},
            resource={"id": [f"prefect.flow-run.{run['id']}"]},
        ),
        EVENT_TIMEOUT,
        "prefect.flow-run.Failed in the event store",
    )
    about = {"id": [f"rectiflow.item.{ref}"]}
    assert events(stack, event={"prefix": ["rectiflow.item."]}, resource=about) == []
