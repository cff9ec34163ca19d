"""Extensions of the rectification deadline (延期, SPEC §3, §7) through ``fire``."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from models.tables import Extension
from tests.integration.states.life import (
    EXTENSION,
    D,
    clock,
    codes,
    go,
    item,
    new_case,
    refuse,
    rows,
    running,
    says,
    sh,
)


def test_approved_extension_moves_the_deadline_and_keeps_the_old_one(engine: Engine) -> None:
    new_case(engine, until="acknowledge")
    go(engine, "request_extension", "operator", sh("2024-09-20T09:00"), EXTENSION)
    (ext,) = rows(engine, Extension, item_id=item(engine)["id"])
    assert (ext["status"], ext["proposed_due"]) == ("pending", D("2024-10-31"))
    assert running(engine) == [("rectification", D("2024-09-30"))]

    go(engine, "approve_extension", "coordinator", sh("2024-09-21T09:00"), {"note": "同意"})
    (ext,) = rows(engine, Extension, item_id=item(engine)["id"])
    assert (ext["status"], ext["approved_due"], ext["decided_by"]) == (
        "approved",
        D("2024-10-31"),
        "coordinator-user",
    )
    assert item(engine)["rectification_due"] == D("2024-10-31")
    assert running(engine) == [("rectification", D("2024-10-31"))]
    c = clock(engine, "rectification")
    assert c["due_at"] == sh("2024-11-01T00:00")
    assert c["due_history"] == [
        {
            "due_date": "2024-09-30",
            "provisional": False,
            "changed_at": "2024-09-21T09:00:00+08:00",
            "reason": "extension",
        }
    ]


def test_approved_extension_may_grant_another_date_rolled_past_the_holiday(
    engine: Engine,
) -> None:
    new_case(engine, until="acknowledge")
    go(engine, "request_extension", "operator", sh("2024-09-20T09:00"), EXTENSION)
    go(
        engine,
        "approve_extension",
        "coordinator",
        sh("2024-09-21T09:00"),
        {"new_due": "2024-10-05"},
    )
    assert item(engine)["rectification_due"] == D("2024-10-05")
    assert running(engine) == [("rectification", D("2024-10-08"))]


def test_rejected_extension_keeps_the_deadline_and_allows_a_new_request(engine: Engine) -> None:
    new_case(engine)
    go(engine, "request_extension", "operator", sh("2024-09-20T09:00"), EXTENSION)
    go(engine, "reject_extension", "coordinator", sh("2024-09-21T09:00"), {"reason": "理由不充分"})
    (ext,) = rows(engine, Extension, item_id=item(engine)["id"])
    assert (ext["status"], ext["decision_reason"]) == ("rejected", "理由不充分")
    assert item(engine)["rectification_due"] == D("2024-09-30")
    assert clock(engine, "rectification")["due_history"] == []
    go(engine, "request_extension", "operator", sh("2024-09-22T09:00"), EXTENSION)
    assert [e["status"] for e in rows(engine, Extension, item_id=item(engine)["id"])] == [
        "rejected",
        "pending",
    ]


def test_second_extension_request_refused_while_one_is_pending(engine: Engine) -> None:
    new_case(engine)
    go(engine, "request_extension", "operator", sh("2024-09-20T09:00"), EXTENSION)
    later = EXTENSION | {"proposed_due": "2024-11-30"}
    err = refuse(engine, "request_extension", "operator", sh("2024-09-21T09:00"), later)
    assert codes(err) == ["extension_pending"]
    says(err, "已有待审批的延期申请", "an extension is already pending")


@pytest.mark.parametrize("proposed", ["2024-09-30", "2024-09-15"], ids=["same-day", "earlier"])
def test_extension_refused_unless_the_proposed_date_is_later(engine: Engine, proposed: str) -> None:
    new_case(engine)
    data = EXTENSION | {"proposed_due": proposed}
    err = refuse(engine, "request_extension", "operator", sh("2024-09-20T09:00"), data)
    assert codes(err) == ["extension_not_later"]
    says(err, "申请日期须晚于现整改时限2024-09-30", f"proposed_due {proposed} is not after")


@pytest.mark.parametrize(
    ("event", "data"),
    [("approve_extension", {}), ("reject_extension", {"reason": "无"})],
    ids=["approve", "reject"],
)
def test_extension_decision_refused_when_none_is_pending(
    engine: Engine, event: str, data: dict[str, Any]
) -> None:
    new_case(engine)
    err = refuse(engine, event, "coordinator", sh("2024-09-20T09:00"), data)
    assert codes(err) == ["no_extension_pending"]
    says(err, "没有待审批的延期申请", "no extension is pending")


def test_extension_approval_refused_for_a_date_not_later(engine: Engine) -> None:
    new_case(engine)
    go(engine, "request_extension", "operator", sh("2024-09-20T09:00"), EXTENSION)
    err = refuse(
        engine,
        "approve_extension",
        "coordinator",
        sh("2024-09-21T09:00"),
        {"new_due": "2024-09-30"},
    )
    assert codes(err) == ["extension_not_later"]
    says(err, "批准日期须晚于现整改时限2024-09-30", "new_due 2024-09-30 is not after")
