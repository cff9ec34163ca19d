"""Retries and races: idempotency keys and optimistic versions (SPEC §3, ARCHITECTURE)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from states.errors import BadInput, Conflict
from tests.integration.states.life import (
    EXTENSION,
    every_row,
    go,
    history,
    item,
    new_case,
    says,
    sh,
)

# --- idempotency and concurrency -------------------------------------------------------------


def test_same_idempotency_key_fires_once(engine: Engine) -> None:
    new_case(engine)
    first = go(engine, "acknowledge", "operator", sh("2024-09-03T09:00"), idempotency_key="ack-1")
    before = every_row(engine)
    again = go(engine, "acknowledge", "operator", sh("2024-09-03T09:05"), idempotency_key="ack-1")
    assert every_row(engine) == before
    assert (again.replayed, first.replayed) == (True, False)
    assert (again.item_id, again.event, again.from_state, again.to_state) == (
        first.item_id,
        "acknowledge",
        "assigned",
        "investigating",
    )
    assert (again.version, again.seq) == (first.version, first.seq)
    assert [h["event"] for h in history(engine)] == ["register", "acknowledge"]
    assert history(engine)[-1]["idem_key"] == "ack-1"


def test_same_idempotency_key_with_another_event_is_bad_input(engine: Engine) -> None:
    new_case(engine)
    go(engine, "acknowledge", "operator", sh("2024-09-03T09:00"), idempotency_key="k-7")
    before = every_row(engine)
    with pytest.raises(BadInput) as info:
        go(
            engine,
            "request_extension",
            "operator",
            sh("2024-09-04T09:00"),
            EXTENSION,
            idempotency_key="k-7",
        )
    says(info.value, "幂等键已用于事件 acknowledge", "idempotency key already used for acknowledge")
    assert every_row(engine) == before


def test_stale_expected_version_is_a_conflict_and_changes_nothing(engine: Engine) -> None:
    new_case(engine, until="acknowledge")
    assert item(engine)["version"] == 2
    before = every_row(engine)
    with pytest.raises(Conflict) as info:
        go(
            engine,
            "request_extension",
            "operator",
            sh("2024-09-20T09:00"),
            EXTENSION,
            expected_version=1,
        )
    says(info.value, "版本 1 已过期", "changed since version 1")
    assert every_row(engine) == before
    fired = go(
        engine,
        "request_extension",
        "operator",
        sh("2024-09-20T09:00"),
        EXTENSION,
        expected_version=2,
    )
    assert fired.version == 3


def test_replayed_rebound_revisit_reports_where_the_first_fire_left_the_case(
    engine: Engine,
) -> None:
    new_case(engine, until="file")
    visit = {
        "done_on": "2024-11-05",
        "method": "现场回访",
        "finding": "油烟再次直排",
        "rebound": True,
    }
    at = sh("2024-11-05T16:00")
    first = go(engine, "record_revisit", "coordinator", at, visit, idempotency_key="rv-1")
    before = every_row(engine)
    again = go(engine, "record_revisit", "coordinator", at, visit, idempotency_key="rv-1")
    assert every_row(engine) == before
    assert again.replayed
    assert (again.to_state, again.version, again.seq) == (
        first.to_state,
        first.version,
        first.seq,
    )
