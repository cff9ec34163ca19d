"""One case's life through ``fire`` on a real database: the happy path, the clocks each
state runs, rework, objections, closing, duplicates, reopening and revisits (SPEC §3–§8)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine

from models.tables import (
    AcceptanceOpinion,
    Clock,
    DuplicateLink,
    Notification,
    Objection,
    ReviewSignoff,
    Revisit,
)
from states.editing import update_item
from tests.conftest import AT
from tests.integration.states.life import (
    AT_STEP,
    FILING,
    LATE,
    LIFE,
    OBJECTION,
    REASON,
    REF,
    STEPS,
    D,
    clock,
    codes,
    go,
    history,
    item,
    new_case,
    refuse,
    rows,
    running,
    says,
    sh,
)
from tests.support import SIGNOFFS, acceptance, add, case_data, task_data

# --- the whole life -----------------------------------------------------------------------


def test_case_runs_from_assignment_to_closed_and_filed(engine: Engine) -> None:
    fired = new_case(engine, until="file")

    assert [(f.event, f.from_state, f.to_state) for f in fired] == [
        ("acknowledge", "assigned", "investigating"),
        ("update", "investigating", "investigating"),
        ("request_acceptance", "investigating", "rectified"),
        ("accept", "rectified", "accepted"),
        ("request_review", "accepted", "accepted"),
        ("review", "accepted", "reviewed"),
        ("publish", "reviewed", "published"),
        ("close", "published", "closed"),
        ("file", "closed", "closed"),
    ]
    assert [(f.version, f.seq) for f in fired] == [(n, n) for n in range(2, 11)]
    assert not any(f.replayed for f in fired)

    row = item(engine)
    assert row["state"] == "closed" and row["version"] == 10
    assert row["closure_reason"] == "rectified"
    assert row["closed_at"] == AT_STEP["close"]
    assert (row["filing_no"], row["filed_at"]) == (FILING["filing_no"], AT_STEP["file"])
    assert row["review_applied_at"] == AT_STEP["request_review"]
    # Default notice: 5 days from the day of publication, inclusive.
    assert (row["notice_start"], row["notice_end"]) == (D("2024-10-09"), D("2024-10-13"))
    assert row["notice_office"] == "海城市督改办"
    assert row["verdict"] == "属实" and row["satisfied"] is True and row["plan_approved"]

    hist = history(engine)
    assert [h["event"] for h in hist] == ["register"] + [s[0] for s in LIFE]
    assert [(h["from_state"], h["to_state"]) for h in hist[:2]] == [
        (None, "assigned"),
        ("assigned", "investigating"),
    ]
    assert [(h["actor"], h["role"]) for h in hist[3:5]] == [
        ("operator-user", "operator"),
        ("acceptance_group-user", "acceptance_group"),
    ]
    assert hist[4]["at"] == AT_STEP["accept"]
    assert hist[4]["data"]["group_leader"] == "王五"
    # The chain: each row carries the previous row's hash; the item keeps the last one.
    assert [h["prev_hash"] for h in hist] == [""] + [h["hash"] for h in hist[:-1]]
    assert (row["history_seq"], row["history_head"]) == (10, hist[-1]["hash"])

    (opinion,) = rows(engine, AcceptanceOpinion, item_id=row["id"])
    assert (opinion["accepted_on"], opinion["history_seq"]) == (D("2024-09-25"), 5)
    signoffs = rows(engine, ReviewSignoff, item_id=row["id"])
    assert len(signoffs) == len(SIGNOFFS) and {s["cycle"] for s in signoffs} == {1}
    notes = rows(engine, Notification, item_id=row["id"])
    assert [(n["template"], n["audience"]) for n in notes] == [
        ("acceptance_requested", "acceptance_group"),
        ("review_requested", "review_group"),
        ("notice_published", "coordinator"),
    ]
    kinds = [(c["kind"], c["stop_reason"]) for c in rows(engine, Clock, item_id=row["id"])]
    assert kinds == [
        ("rectification", "request_acceptance"),
        ("acceptance", "accept"),
        ("review_application", "request_review"),
        ("review", "review"),
        ("notice", "close"),
    ]
    assert running(engine) == []


def test_task_needs_only_the_rectification_signoffs_to_be_reviewed(engine: Engine) -> None:
    measures = [
        {
            "type": "政策措施",
            "text": "完善生态环保诉求管理系统",
            "criteria": {"issued": True, "in_force": True},
            "evidence": "市政府办公室关于印发管理办法的通知",
        }
    ]
    add(engine, task_data(), kind="task", at=AT)
    ref = "200(19-3)"
    go(engine, "acknowledge", "operator", sh("2024-09-03T09:00"), ref=ref)
    update_item(
        engine,
        ref,
        actor="经办人",
        role="operator",
        at=sh("2024-09-04T09:00"),
        data={"measures": measures},
    )
    go(engine, "request_acceptance", "operator", sh("2024-09-24T09:00"), ref=ref)
    opinion = acceptance(ref, category_checks={})
    go(engine, "accept", "acceptance_group", sh("2024-09-25T15:00"), opinion, ref=ref)
    go(engine, "request_review", "coordinator", sh("2024-09-26T09:00"), ref=ref)
    err = refuse(engine, "review", "review_group", sh("2024-09-27T09:00"), {}, ref=ref)
    assert codes(err) == ["signoff_rectification_missing"]
    rect = [s for s in SIGNOFFS if s["point"] == "rectification"]
    fired = go(
        engine, "review", "review_group", sh("2024-09-27T09:00"), {"signoffs": rect}, ref=ref
    )
    assert fired.to_state == "reviewed"


# --- clocks (SPEC §5–§7) -------------------------------------------------------------------

RUNNING_AFTER = {
    "register": [("rectification", D("2024-09-30"))],
    "acknowledge": [("rectification", D("2024-09-30"))],
    "update": [("rectification", D("2024-09-30"))],
    "request_acceptance": [("acceptance", D("2024-10-08"))],
    # 3 days from 25 Sep is Sat 28 Sep, a rest day: Sun 29 Sep is an adjusted working day.
    "accept": [("review_application", D("2024-09-29"))],
    "request_review": [("review", D("2024-10-08"))],
    "review": [],
    "publish": [("notice", D("2024-10-13"))],
    "close": [],
    "file": [],
}


@pytest.mark.parametrize("step", STEPS)
def test_each_state_runs_exactly_its_clock(engine: Engine, step: str) -> None:
    new_case(engine, until=step)
    assert running(engine) == RUNNING_AFTER[step]


def test_acceptance_due_2024_10_08_end_of_day_when_requested_2024_09_24(engine: Engine) -> None:
    new_case(engine, until="request_acceptance")
    c = clock(engine, "acceptance")
    assert c["started_at"] == AT_STEP["request_acceptance"]
    assert (c["basis_date"], c["length_days"], c["counting"]) == (D("2024-09-24"), 7, "calendar")
    assert c["due_date"] == D("2024-10-08") and c["provisional"] is False
    assert c["due_at"] == sh("2024-10-09T00:00")
    assert c["stopped_at"] is None
    rect = clock(engine, "rectification")
    assert (rect["stopped_at"], rect["stop_reason"]) == (
        AT_STEP["request_acceptance"],
        "request_acceptance",
    )


# --- return for rework (整改不到位不放过) ----------------------------------------------------


def test_return_for_rework_from_rectified_resumes_the_rectification_clock(engine: Engine) -> None:
    new_case(engine, until="request_acceptance")
    first_rect = clock(engine, "rectification")["id"]
    fired = go(engine, "return_for_rework", "acceptance_group", sh("2024-09-26T10:00"), REASON)
    assert (fired.from_state, fired.to_state) == ("rectified", "investigating")
    row = item(engine)
    assert (row["state"], row["review_cycle"]) == ("investigating", 2)
    assert running(engine) == [("rectification", D("2024-09-30"))]
    assert clock(engine, "rectification")["id"] == first_rect
    assert clock(engine, "acceptance")["stop_reason"] == "return_for_rework"
    assert history(engine)[-1]["data"] == REASON
    go(engine, "request_acceptance", "operator", sh("2024-09-29T10:00"))
    assert running(engine) == [("acceptance", D("2024-10-08"))]


def test_return_for_rework_from_accepted_voids_the_earlier_signoffs(engine: Engine) -> None:
    new_case(engine, until="request_review")
    go(engine, "sign_off", "review_group", sh("2024-09-26T15:00"), {"signoffs": SIGNOFFS})
    fired = go(engine, "return_for_rework", "review_group", sh("2024-09-27T09:00"), REASON)
    assert (fired.from_state, fired.to_state) == ("accepted", "investigating")
    row = item(engine)
    assert (row["review_applied_at"], row["review_cycle"]) == (None, 2)
    assert running(engine) == [("rectification", D("2024-09-30"))]

    go(engine, "request_acceptance", "operator", sh("2024-09-30T09:00"))
    opinion = acceptance(accepted_on="2024-10-08")
    go(engine, "accept", "acceptance_group", sh("2024-10-08T15:00"), opinion)
    assert running(engine) == [("review_application", D("2024-10-11"))]
    go(engine, "request_review", "coordinator", sh("2024-10-09T09:00"))
    err = refuse(engine, "review", "review_group", sh("2024-10-10T09:00"), {})
    assert codes(err) == [
        "signoff_characterisation_missing",
        "signoff_rectification_missing",
        "signoff_penalties_missing",
        "signoff_satisfaction_missing",
        "signoff_accountability_missing",
    ]
    says(err, "案件定性缺少签字背书：市级复核工作组", "lacks sign-off by: review_group")
    go(engine, "review", "review_group", sh("2024-10-10T09:00"), {"signoffs": SIGNOFFS})
    cycles = [s["cycle"] for s in rows(engine, ReviewSignoff, item_id=row["id"])]
    assert cycles == [1] * len(SIGNOFFS) + [2] * len(SIGNOFFS)


def test_signoffs_given_before_the_review_count_for_it(engine: Engine) -> None:
    new_case(engine, until="request_review")
    go(engine, "sign_off", "review_group", sh("2024-09-26T15:00"), {"signoffs": SIGNOFFS[:6]})
    go(engine, "sign_off", "review_group", sh("2024-09-26T16:00"), {"signoffs": SIGNOFFS[:6]})
    fired = go(engine, "review", "review_group", sh("2024-09-27T09:00"), {"signoffs": SIGNOFFS[6:]})
    assert fired.to_state == "reviewed"
    assert len(rows(engine, ReviewSignoff, item_id=fired.item_id)) == len(SIGNOFFS)


# --- objections and closing (SPEC §3, §7) ------------------------------------------------


def test_objection_holds_the_closing_until_it_is_dismissed(engine: Engine) -> None:
    new_case(engine, until="publish")
    fired = go(engine, "record_objection", "coordinator", sh("2024-10-10T10:00"), OBJECTION)
    assert fired.to_state == "published"
    (obj,) = rows(engine, Objection, item_id=fired.item_id)
    assert (obj["status"], obj["text"]) == ("pending", OBJECTION["text"])
    notes = rows(engine, Notification, item_id=fired.item_id, template="objection_received")
    assert [n["audience"] for n in notes] == ["coordinator", "lead_unit"]
    assert running(engine) == [("notice", D("2024-10-13"))]

    after_notice = sh("2024-10-14T09:00")
    err = refuse(engine, "close", "system", after_notice)
    assert codes(err) == ["objection_pending"]
    says(err, "有待处理的异议", "an objection is pending")

    go(engine, "dismiss_objection", "coordinator", after_notice, {"reason": "经核查油烟达标排放"})
    (obj,) = rows(engine, Objection, item_id=fired.item_id)
    assert (obj["status"], obj["resolution"]) == ("dismissed", "经核查油烟达标排放")
    assert item(engine)["state"] == "published"
    assert go(engine, "close", "system", after_notice).to_state == "closed"


def test_upheld_objection_sends_the_case_back_to_work(engine: Engine) -> None:
    new_case(engine, until="publish")
    go(engine, "record_objection", "coordinator", sh("2024-10-10T10:00"), OBJECTION)
    fired = go(engine, "uphold_objection", "coordinator", sh("2024-10-11T10:00"), REASON)
    assert (fired.from_state, fired.to_state) == ("published", "investigating")
    (obj,) = rows(engine, Objection, item_id=fired.item_id)
    assert (obj["status"], obj["resolution"]) == ("upheld", REASON["reason"])
    assert running(engine) == [("rectification", D("2024-09-30"))]
    assert clock(engine, "notice")["stop_reason"] == "uphold_objection"


def test_upheld_objection_starts_a_new_review_cycle(engine: Engine) -> None:
    new_case(engine, until="publish")
    go(engine, "record_objection", "coordinator", sh("2024-10-10T10:00"), OBJECTION)
    go(engine, "uphold_objection", "coordinator", sh("2024-10-11T10:00"), REASON)
    go(engine, "request_acceptance", "operator", sh("2024-10-21T09:00"))
    go(
        engine,
        "accept",
        "acceptance_group",
        sh("2024-10-22T15:00"),
        acceptance(accepted_on="2024-10-22"),
    )
    assert running(engine) == [("review_application", D("2024-10-25"))]
    go(engine, "request_review", "coordinator", sh("2024-10-23T09:00"))
    err = refuse(engine, "review", "review_group", sh("2024-10-24T09:00"), {})
    assert "signoff_characterisation_missing" in codes(err)


@pytest.mark.parametrize(
    ("at", "role", "closes"),
    [
        pytest.param(
            sh("2024-10-13T23:59:59.999999"), "coordinator", False, id="coordinator-before-24:00"
        ),
        pytest.param(sh("2024-10-13T23:59:59.999999"), "system", False, id="system-before-24:00"),
        pytest.param(sh("2024-10-14T00:00"), "coordinator", True, id="coordinator-at-24:00"),
        pytest.param(sh("2024-10-14T00:00"), "system", True, id="system-at-24:00"),
    ],
)
def test_close_only_after_the_notice_period(
    engine: Engine, at: datetime, role: str, closes: bool
) -> None:
    new_case(engine, until="publish")
    if not closes:
        err = refuse(engine, "close", role, at)
        assert codes(err) == ["notice_running"]
        says(err, "公示期未满（至2024-10-13）", "the notice period runs until 2024-10-13")
        return
    fired = go(engine, "close", role, at)
    assert (fired.from_state, fired.to_state) == ("published", "closed")
    row = item(engine)
    assert (row["closed_at"], row["closure_reason"]) == (at, "rectified")
    assert history(engine)[-1]["role"] == role
    assert running(engine) == []


def test_publish_prints_the_notice_range_as_given(engine: Engine) -> None:
    new_case(engine, until="review")
    given = {"notice_start": "2024-10-10", "notice_end": "2024-10-16", "phone": "0412-3222222"}
    go(engine, "publish", "coordinator", sh("2024-10-09T09:00"), given)
    row = item(engine)
    assert (row["notice_start"], row["notice_end"]) == (D("2024-10-10"), D("2024-10-16"))
    c = clock(engine, "notice")
    assert (c["due_date"], c["counting"], c["due_at"]) == (
        D("2024-10-16"),
        "fixed",
        sh("2024-10-17T00:00"),
    )


# --- duplicates, reopening, revisits -----------------------------------------------------


def test_merge_duplicate_closes_the_item_as_a_duplicate_of_the_original(engine: Engine) -> None:
    new_case(engine)
    add(engine, case_data("D2100002"), at=AT)
    go(engine, "acknowledge", "coordinator", sh("2024-09-03T09:00"), ref="D2100002")
    fired = go(
        engine,
        "merge_duplicate",
        "coordinator",
        sh("2024-09-04T09:00"),
        {"original": REF},
        ref="D2100002",
    )
    assert (fired.from_state, fired.to_state) == ("investigating", "closed")
    row = item(engine, "D2100002")
    original = item(engine)["id"]
    assert (row["closure_reason"], row["duplicate_of_id"]) == ("duplicate", original)
    (link,) = rows(engine, DuplicateLink, item_id=row["id"])
    assert link["original_id"] == original
    assert running(engine, "D2100002") == []
    assert running(engine) == [("rectification", D("2024-09-30"))]


@pytest.mark.parametrize(
    ("original", "code", "zh", "en"),
    [
        ("D2199999", "original_missing", "原案件 D2199999 不存在", "'D2199999' does not exist"),
        ("D2100002", "original_is_self", "不能与自身合并", "cannot duplicate itself"),
        ("#2", "original_is_self", "不能与自身合并", "cannot duplicate itself"),
    ],
    ids=["missing", "itself-by-number", "itself-by-id"],
)
def test_merge_duplicate_needs_an_existing_original_other_than_itself(
    engine: Engine, original: str, code: str, zh: str, en: str
) -> None:
    new_case(engine)
    add(engine, case_data("D2100002"), at=AT)
    assert item(engine, "D2100002")["id"] == 2
    err = refuse(
        engine,
        "merge_duplicate",
        "coordinator",
        sh("2024-09-04T09:00"),
        {"original": original},
        ref="D2100002",
    )
    assert codes(err) == [code]
    says(err, zh, en)


def test_reopen_returns_a_filed_case_to_work_with_a_new_deadline(engine: Engine) -> None:
    new_case(engine, until="file")
    data = {
        "cause": "repeat_complaint",
        "reason": "群众再次举报油烟扰民",
        "rectification_due": "2024-12-31",
    }
    fired = go(engine, "reopen", "coordinator", sh("2024-11-05T09:00"), data)
    assert (fired.from_state, fired.to_state) == ("closed", "investigating")
    row = item(engine)
    assert row["filing_no"] is None and row["closed_at"] is None and row["review_cycle"] == 2
    assert row["review_applied_at"] is None and row["rectification_due"] == D("2024-12-31")
    assert running(engine) == [("rectification", D("2024-12-31"))]
    c = clock(engine, "rectification")
    assert [(h["due_date"], h["reason"]) for h in c["due_history"]] == [("2024-09-30", "reopen")]


def test_revisit_finding_a_rebound_reopens_the_case(engine: Engine) -> None:
    new_case(engine, until="file")
    before = len(history(engine))
    visit = {
        "done_on": "2024-11-05",
        "method": "现场回访",
        "finding": "油烟再次直排",
        "rebound": True,
    }
    fired = go(engine, "record_revisit", "coordinator", sh("2024-11-05T16:00"), visit)
    assert (fired.event, fired.from_state, fired.to_state) == (
        "record_revisit",
        "closed",
        "investigating",
    )
    assert item(engine)["state"] == "investigating"
    hist = history(engine)
    assert len(hist) == before + 2
    assert [(h["event"], h["from_state"], h["to_state"]) for h in hist[-2:]] == [
        ("record_revisit", "closed", "closed"),
        ("reopen", "closed", "investigating"),
    ]
    assert hist[-1]["data"]["cause"] == "rebound"
    (revisit,) = rows(engine, Revisit, item_id=fired.item_id)
    assert (revisit["month"], revisit["rebound"], revisit["planned"]) == ("2024-11", True, False)
    assert running(engine) == [("rectification", D("2024-09-30"))]


def test_revisit_without_rebound_leaves_the_case_closed(engine: Engine) -> None:
    new_case(engine, until="file")
    before = len(history(engine))
    visit = {"done_on": "2024-11-05", "method": "电话回访", "finding": "群众满意", "rebound": False}
    fired = go(engine, "record_revisit", "coordinator", sh("2024-11-05T16:00"), visit)
    assert fired.to_state == "closed"
    assert len(history(engine)) == before + 1
    assert item(engine)["filing_no"] == FILING["filing_no"]


def test_revisit_applies_to_cases_only(engine: Engine) -> None:
    add(engine, task_data(), kind="task", at=AT)
    add(engine, task_data("200(19-4)"), kind="task", at=AT)
    go(
        engine,
        "merge_duplicate",
        "coordinator",
        sh("2024-09-03T09:00"),
        {"original": "200(19-3)"},
        ref="200(19-4)",
    )
    visit = {"done_on": "2024-11-05", "method": "电话回访", "finding": "无", "rebound": False}
    err = refuse(engine, "record_revisit", "coordinator", LATE, visit, ref="200(19-4)")
    assert codes(err) == ["not_a_case"]
    says(err, "复查回访仅适用于信访案件", "revisits apply to complaint cases only")
