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
    assert stack.state(ref) == "investigating"
    completed = wait_for(
        lambda: events(
            stack,
            event={"name": ["prefect.flow-run.Completed"]},
            resource={"id": [f"prefect.flow-run.{run['id']}"]},
        ),
        EVENT_TIMEOUT,
        "prefect.flow-run.Completed in the event store",
    )
    assert len(completed) == 1


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
    assert stack.state(ref) == "investigating"  # nothing changed
