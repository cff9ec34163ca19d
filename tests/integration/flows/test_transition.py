"""The transition flows under a real Prefect server: run names, tags, refusals shown in the
UI, idempotent retries, and the item's events in the event feed."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from sqlalchemy import Engine, func, select

from flows import feed
from flows.actions import FLOWS
from flows.lifecycle import transition
from models.tables import History, table
from tests.conftest import AT
from tests.integration.cli import cli_env
from tests.support import RESOLVED_CASE, acceptance, add, case_data

pytestmark = pytest.mark.usefixtures("prefect_server")
HISTORY = table(History)


def _run(flow: Any, **params: Any) -> FlowRun:
    """Run a flow, returning its flow run as the server recorded it (failed or not)."""
    state = flow(**params, return_state=True)
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id)


def _events(name: str, resource: str, want: int = 1, wait: float = 30.0) -> list[Any]:
    """The server's events named ``name`` about ``resource``, waiting for them to arrive."""
    flt = EventFilter(
        event=EventNameFilter(name=[name]), resource=EventResourceFilter(id=[resource])
    )
    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:
            found = client.read_events(filter=flt, limit=50).events
            if len(found) >= want or time.monotonic() > deadline:
                return found
            time.sleep(0.5)


def _history(engine: Engine, item_id: int, event: str) -> int:
    with engine.connect() as conn:
        q = select(func.count()).where(HISTORY.c.item_id == item_id, HISTORY.c.event == event)
        return int(conn.execute(q).scalar_one())


def _ref() -> str:
    return f"D21{uuid.uuid4().hex[:8].upper()}"


def test_transition_run_is_named_ref_event_and_tagged_with_item_district_event(
    flow_db: Engine,
) -> None:
    ref = _ref()
    add(flow_db, case_data(ref), at=AT)
    run = _run(transition, ref=ref, event="acknowledge", actor="刘洋", role="operator")
    assert run.state is not None and run.state.is_completed(), run.state
    assert run.name == f"{ref}·acknowledge"
    assert {f"item:{ref}", "district:海城市", "event:acknowledge"} <= set(run.tags)


def test_refused_event_fails_the_run_with_the_reason_in_chinese_and_english(
    flow_db: Engine,
) -> None:
    ref = _ref()
    add(flow_db, case_data(ref), at=AT)
    run = _run(transition, ref=ref, event="request_acceptance", actor="刘洋", role="operator")
    assert run.state is not None and run.state.is_failed()
    message = run.state.message or ""
    assert "不能执行 request_acceptance" in message, message
    assert "refuses request_acceptance" in message, message
    assert {f"item:{ref}", "district:海城市", "event:request_acceptance"} <= set(run.tags)


def test_bad_input_fails_the_run_naming_the_field(flow_db: Engine) -> None:
    ref = _ref()
    add(flow_db, case_data(ref), at=AT)
    run = _run(
        transition, ref=ref, event="acknowledge", actor="刘洋", role="operator", data={"x": 1}
    )
    assert run.state is not None and run.state.is_failed()
    assert "x: Extra inputs are not permitted" in (run.state.message or "")


def test_retry_with_the_same_key_fires_nothing_twice(flow_db: Engine) -> None:
    ref = _ref()
    item_id = add(flow_db, case_data(ref), at=AT)
    params = {"ref": ref, "event": "acknowledge", "actor": "刘洋", "role": "operator"}
    first = transition(**params, key="ack-1")
    again = transition(**params, key="ack-1")
    assert first["replayed"] is False and again["replayed"] is True
    assert again["to_state"] == "investigating"
    assert _history(flow_db, item_id, "acknowledge") == 1


def test_successful_transition_emits_an_item_event_with_district_and_lead_unit(
    flow_db: Engine,
) -> None:
    ref = _ref()
    add(flow_db, case_data(ref), at=AT)
    transition(ref=ref, event="acknowledge", actor="刘洋", role="operator")
    events = _events("rectiflow.item.acknowledge", f"rectiflow.item.{ref}")
    assert len(events) == 1
    related = {r.id: r.role for r in events[0].related}
    assert related["rectiflow.district.海城市"] == "district"
    assert related["rectiflow.unit.海城市人民政府"] == "lead-unit"
    assert events[0].payload["to_state"] == "investigating"


def test_a_failing_event_feed_neither_blocks_nor_undoes_the_transition(
    flow_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("event feed unreachable")

    monkeypatch.setattr(feed, "emit_event", broken)
    ref = _ref()
    item_id = add(flow_db, case_data(ref), at=AT)
    run = _run(transition, ref=ref, event="acknowledge", actor="刘洋", role="operator")
    assert run.state is not None and run.state.is_completed()
    assert _history(flow_db, item_id, "acknowledge") == 1


def test_per_event_flows_take_the_payload_fields_and_go_the_same_way(flow_db: Engine) -> None:
    from states.editing import update_item

    ref = _ref()
    item_id = add(flow_db, case_data(ref), at=AT)
    run = _run(FLOWS["acknowledge"], ref=ref, actor="刘洋", role="operator", note="已签收")
    assert run.state is not None and run.state.is_completed()
    assert run.name == f"{ref}·acknowledge" and f"item:{ref}" in run.tags
    # The flows fire at the current time; the edit comes after.
    now = datetime.now(UTC)
    update_item(flow_db, ref, actor="刘洋", role="operator", at=now, data=RESOLVED_CASE)
    FLOWS["request_acceptance"](ref=ref, actor="刘洋", role="operator")
    opinion = acceptance(ref, accepted_on="2024-09-25")
    run = _run(FLOWS["accept"], ref=ref, actor="王五", role="acceptance_group", **opinion)
    assert run.state is not None and run.state.is_completed(), run.state
    assert run.name == f"{ref}·accept"
    assert _history(flow_db, item_id, "accept") == 1
    with flow_db.connect() as conn:
        data = conn.execute(
            select(HISTORY.c.data).where(HISTORY.c.item_id == item_id, HISTORY.c.event == "accept")
        ).scalar_one()
    assert data["accepted_on"] == "2024-09-25" and data["members"][0]["name"] == "王五"


def test_per_event_flow_rejects_a_bad_field_before_firing(flow_db: Engine) -> None:
    ref = _ref()
    item_id = add(flow_db, case_data(ref), at=AT)
    run = _run(
        FLOWS["request_extension"],
        ref=ref,
        actor="刘洋",
        role="operator",
        reason="施工",
        proposed_due="明年",
    )
    assert run.state is not None and run.state.is_failed()
    assert "proposed_due" in (run.state.message or "")
    assert _history(flow_db, item_id, "request_extension") == 0


def test_cli_fire_emits_the_item_event_when_a_prefect_api_is_configured(
    flow_db: Engine, db_url: str, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    ref = _ref()
    add(flow_db, case_data(ref), at=AT)
    env = cli_env(db_url) | {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
    done = subprocess.run(
        [sys.executable, "-m", "rectiflow", "case", "fire", ref, "acknowledge"]
        + ["--actor", "刘洋", "--role", "operator"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    events = _events("rectiflow.item.acknowledge", f"rectiflow.item.{ref}")
    assert len(events) == 1
    assert events[0].payload["actor"] == "刘洋"
    assert {r.id for r in events[0].related} >= {"rectiflow.district.海城市"}
