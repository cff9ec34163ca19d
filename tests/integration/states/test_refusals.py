"""Every event refused: in a wrong state, for a wrong role, for each unmet guard, and for bad
input. Each refusal names the problem in Chinese and English and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, update

from models.engine import writing
from states.editing import update_item
from states.errors import BadInput, NotFound
from states.lifecycle import STATE_ZH, TABLE, State, rules_for
from states.service import fire
from tests.conftest import AT
from tests.integration.states.life import (
    EXTENSION,
    FILING,
    FINDINGS,
    ITEM,
    LATE,
    OBJECTION,
    REASON,
    REF,
    STEP_FOR_STATE,
    codes,
    every_row,
    go,
    new_case,
    refuse,
    says,
    sh,
)
from tests.support import SIGNOFFS, acceptance, add, task_data

# --- refusals: wrong state, wrong role, unmet guards --------------------------------------

VALID: dict[str, Any] = {
    "acknowledge": None,
    "request_acceptance": None,
    "accept": acceptance(),
    "request_review": None,
    "sign_off": {"signoffs": SIGNOFFS[:1]},
    "review": {"signoffs": SIGNOFFS},
    "return_for_rework": REASON,
    "publish": {},
    "record_objection": OBJECTION,
    "uphold_objection": REASON,
    "dismiss_objection": REASON,
    "close": None,
    "file": FILING,
    "request_extension": EXTENSION,
    "approve_extension": {},
    "reject_extension": REASON,
    "merge_duplicate": {"original": "D2100000"},
    "reopen": {"cause": "rebound", "reason": "复查发现反弹"},
    "record_revisit": {
        "done_on": "2024-11-05",
        "method": "电话",
        "finding": "无",
        "rebound": False,
    },
}
WRONG_STATE = {
    "acknowledge": State.investigating,
    "request_acceptance": State.assigned,
    "accept": State.investigating,
    "request_review": State.rectified,
    "sign_off": State.rectified,
    "review": State.reviewed,
    "return_for_rework": State.investigating,
    "publish": State.accepted,
    "record_objection": State.reviewed,
    "uphold_objection": State.closed,
    "dismiss_objection": State.reviewed,
    "close": State.reviewed,
    "file": State.published,
    "request_extension": State.rectified,
    "approve_extension": State.accepted,
    "reject_extension": State.closed,
    "merge_duplicate": State.rectified,
    "reopen": State.published,
    "record_revisit": State.published,
}


def test_every_event_has_a_wrong_state_case() -> None:
    assert set(WRONG_STATE) == {r.event for r in TABLE} == set(VALID)


@pytest.mark.parametrize(("event", "state"), list(WRONG_STATE.items()), ids=list(WRONG_STATE))
def test_event_refused_in_a_state_it_does_not_apply_to(
    engine: Engine, event: str, state: State
) -> None:
    new_case(engine, until=STEP_FOR_STATE[state])
    role = sorted(rules_for(event)[0].roles)[0]
    err = refuse(engine, event, role, LATE, VALID[event])
    assert codes(err) == ["wrong_state"]
    assert (err.detail.ref, err.detail.event, err.detail.state) == (REF, event, state.value)
    says(err, f"当前状态为{STATE_ZH[state]}", f"{event} applies only in")
    assert f"not {state.value}" in err.en


WRONG_ROLE = [
    ("acknowledge", "register", "acceptance_group"),
    ("request_acceptance", "update", "coordinator"),
    ("accept", "request_acceptance", "coordinator"),
    ("request_review", "accept", "review_group"),
    ("sign_off", "request_review", "coordinator"),
    ("review", "request_review", "acceptance_group"),
    ("return_for_rework", "request_acceptance", "review_group"),
    ("return_for_rework", "request_review", "acceptance_group"),
    ("publish", "review", "review_group"),
    ("record_objection", "publish", "operator"),
    ("uphold_objection", "publish", "operator"),
    ("dismiss_objection", "publish", "operator"),
    ("close", "publish", "operator"),
    ("file", "close", "system"),
    ("request_extension", "register", "coordinator"),
    ("approve_extension", "register", "operator"),
    ("reject_extension", "register", "operator"),
    ("merge_duplicate", "register", "operator"),
    ("reopen", "close", "system"),
    ("record_revisit", "close", "operator"),
]


@pytest.mark.parametrize(
    ("event", "step", "role"),
    WRONG_ROLE,
    ids=[f"{e}-after-{s}-by-{r}" for e, s, r in WRONG_ROLE],
)
def test_event_refused_for_a_role_not_allowed_to_fire_it(
    engine: Engine, event: str, step: str, role: str
) -> None:
    new_case(engine, until=step)
    err = refuse(engine, event, role, LATE, VALID[event])
    assert codes(err) == ["role_not_allowed"]
    says(err, f"角色 {role} 无权执行 {event}", f"role {role} may not fire {event}")


def test_every_event_has_a_wrong_role_case() -> None:
    assert {e for e, _, _ in WRONG_ROLE} == set(VALID)


def test_acknowledge_refused_without_a_lead_unit(engine: Engine) -> None:
    new_case(engine)
    with writing(engine) as conn:
        conn.execute(update(ITEM).where(ITEM.c.ref == REF).values(lead_unit_id=None))
    err = refuse(engine, "acknowledge", "coordinator", sh("2024-09-03T09:00"))
    assert codes(err) == ["lead_unit_missing"]
    says(err, "未确定牵头单位", "no responsible lead unit is set")


def test_request_acceptance_refused_lists_every_missing_finding(engine: Engine) -> None:
    new_case(engine, until="acknowledge")
    err = refuse(engine, "request_acceptance", "operator", sh("2024-09-24T09:00"))
    assert codes(err) == ["verdict_missing", "problems_missing", "satisfaction_missing"]
    says(err, "未记录调查结论", "no verdict")
    says(err, "未记录群众满意情况", "satisfaction not recorded")


def test_request_acceptance_refused_names_open_problems_and_unexecuted_penalties(
    engine: Engine,
) -> None:
    findings = FINDINGS | {
        "problems": [
            {"text": "油烟直排", "resolved": True},
            {"text": "夜间噪声", "resolved": False},
        ],
        "penalties": [{"filed": True, "decision": "海综执罚〔2024〕215号", "executed": False}],
    }
    new_case(engine, until="update", findings=findings)
    err = refuse(engine, "request_acceptance", "operator", sh("2024-09-24T09:00"))
    assert codes(err) == ["problems_unresolved", "penalty_not_executed"]
    says(err, "问题未解决：第2个", "problem(s) 2 not resolved")
    says(err, "行政处罚未执行到位：第1项", "filed penalty 1 not executed")


def test_untrue_case_may_request_acceptance_with_no_problem_resolved(engine: Engine) -> None:
    findings = FINDINGS | {"verdict": "不属实", "problems": [{"text": "夜间噪声"}]}
    new_case(engine, until="update", findings=findings)
    fired = go(engine, "request_acceptance", "operator", sh("2024-09-24T09:00"))
    assert fired.to_state == "rectified"


def test_task_request_acceptance_refused_until_each_measure_meets_its_standard(
    engine: Engine,
) -> None:
    add(engine, task_data(), kind="task", at=AT)
    ref = "200(19-3)"
    go(engine, "acknowledge", "operator", sh("2024-09-03T09:00"), ref=ref)
    err = refuse(engine, "request_acceptance", "operator", sh("2024-09-24T09:00"), ref=ref)
    assert codes(err) == ["measure_1_incomplete", "measure_1_no_evidence"]
    says(err, "措施1（政策措施）未达标准：文件已印发、文件已生效实施", "misses: issued, in_force")
    done = {
        "type": "政策措施",
        "text": "完善生态环保诉求管理系统",
        "criteria": {"issued": True, "in_force": True},
        "evidence": "印发通知及系统上线截图",
    }
    update_item(
        engine,
        ref,
        actor="经办人",
        role="operator",
        at=sh("2024-09-23T09:00"),
        data={"measures": [done]},
    )
    fired = go(engine, "request_acceptance", "operator", sh("2024-09-24T09:00"), ref=ref)
    assert fired.to_state == "rectified"


def test_accept_refused_lists_opinion_and_category_conditions_at_once(engine: Engine) -> None:
    findings = FINDINGS | {
        "accountability": [{"person": "陈某", "measure": "党内警告", "done": False}]
    }
    new_case(engine, until="request_acceptance", findings=findings)
    members = [
        {
            "name": "王五",
            "unit": "海城市政府",
            "title": "副市长",
            "phone": "0412-1",
            "signed": True,
        },
        {
            "name": "李四",
            "unit": "市生态环境局",
            "title": "科长",
            "phone": "0412-2",
            "signed": False,
        },
    ]
    opinion = acceptance(
        intake_no="D2100009",
        members=members,
        category_checks={"measures_in_place": True, "pollution_gone": True},
    )
    err = refuse(engine, "accept", "acceptance_group", sh("2024-09-25T15:00"), opinion)
    assert codes(err) == [
        "intake_no_mismatch",
        "members_unsigned",
        "category_standard_unmet",
        "accountability_undone",
    ]
    says(err, "验收组成员未签字：李四", "members not signed: 李四")
    says(err, "已建立长效机制、非临时性整改", "long_term_mechanism, not_temporary_fix")
    says(err, "问责未落实：陈某", "accountability not carried out for: 陈某")


def test_accept_refused_when_the_public_is_not_satisfied(engine: Engine) -> None:
    findings = FINDINGS | {"satisfaction": {"satisfied": False, "by": "neighbours"}}
    new_case(engine, until="request_acceptance", findings=findings)
    err = refuse(engine, "accept", "acceptance_group", sh("2024-09-25T15:00"), acceptance())
    assert codes(err) == ["not_satisfied"]
    says(err, "群众不满意或未表态", "the public is not satisfied")


def test_request_review_refused_when_already_applied(engine: Engine) -> None:
    new_case(engine, until="request_review")
    err = refuse(engine, "request_review", "coordinator", sh("2024-09-26T10:00"))
    assert codes(err) == ["review_already_applied"]
    says(err, "已申请复核", "review already applied for")


def test_sign_off_refused_before_the_review_application(engine: Engine) -> None:
    new_case(engine, until="accept")
    err = refuse(engine, "sign_off", "review_group", sh("2024-09-26T10:00"), VALID["sign_off"])
    assert codes(err) == ["review_not_applied"]
    says(err, "尚未申请复核", "no review application")


def test_review_refused_before_application_and_without_signoffs(engine: Engine) -> None:
    new_case(engine, until="accept")
    err = refuse(engine, "review", "review_group", sh("2024-09-27T09:00"), {})
    assert codes(err)[0] == "review_not_applied"
    assert len(codes(err)) == 6
    says(err, "整改情况缺少签字背书：市生态环境局、行业主管部门", "review point rectification")


def test_untrue_part_signoff_needed_for_a_partly_true_case(engine: Engine) -> None:
    new_case(engine, until="request_review", findings=FINDINGS | {"verdict": "部分属实"})
    err = refuse(engine, "review", "review_group", sh("2024-09-27T09:00"), VALID["review"])
    assert codes(err) == ["signoff_untrue_part_missing"]
    says(err, "不属实部分缺少签字背书", "review point untrue_part lacks sign-off")


@pytest.mark.parametrize("event", ["uphold_objection", "dismiss_objection"])
def test_objection_decision_refused_when_none_is_pending(engine: Engine, event: str) -> None:
    new_case(engine, until="publish")
    err = refuse(engine, event, "coordinator", sh("2024-10-10T09:00"), REASON)
    assert codes(err) == ["no_objection_pending"]
    says(err, "没有待处理的异议", "no objection is pending")


def test_close_refused_lists_running_notice_and_pending_objection(engine: Engine) -> None:
    new_case(engine, until="publish")
    go(engine, "record_objection", "coordinator", sh("2024-10-10T10:00"), OBJECTION)
    err = refuse(engine, "close", "coordinator", sh("2024-10-11T09:00"))
    assert codes(err) == ["notice_running", "objection_pending"]


def test_file_refused_when_already_filed(engine: Engine) -> None:
    new_case(engine, until="file")
    err = refuse(engine, "file", "coordinator", LATE, {"filing_no": "海督改备〔2024〕099号"})
    assert codes(err) == ["already_filed"]
    says(err, f"已备案（{FILING['filing_no']}）", "already filed")


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "event", "role", "actor", "data", "error", "zh", "en"),
    [
        (REF, "escalate", "coordinator", "a", None, BadInput, "未知事件", "unknown event"),
        ("D2199999", "acknowledge", "operator", "a", None, NotFound, "不存在", "no item"),
        (REF, "acknowledge", "inspector", "a", None, BadInput, "未知角色", "unknown role"),
        (REF, "acknowledge", "operator", "  ", None, BadInput, "未给出操作人", "no actor"),
        (REF, "acknowledge", "operator", "a", {"notes": "x"}, BadInput, "数据有误", "notes"),
        (REF, "return_for_rework", "acceptance_group", "a", {}, BadInput, "数据有误", "reason"),
        (
            REF,
            "publish",
            "coordinator",
            "a",
            {"notice_start": "2024-10-09"},
            BadInput,
            "数据有误",
            "give both notice_start and notice_end",
        ),
        (
            REF,
            "reopen",
            "coordinator",
            "a",
            {"cause": "whim", "reason": "x"},
            BadInput,
            "数据有误",
            "cause",
        ),
        (REF, "record_objection", "coordinator", "a", {"text": ""}, BadInput, "数据有误", "text"),
    ],
    ids=[
        "unknown-event",
        "unknown-ref",
        "unknown-role",
        "blank-actor",
        "misspelt-field",
        "rework-without-reason",
        "half-a-notice-range",
        "unknown-reopen-cause",
        "empty-objection",
    ],
)
def test_bad_input_is_named_and_changes_nothing(
    engine: Engine,
    ref: str,
    event: str,
    role: str,
    actor: str,
    data: Any,
    error: type[BadInput],
    zh: str,
    en: str,
) -> None:
    new_case(engine)
    before = every_row(engine)
    with pytest.raises(error) as info:
        fire(engine, ref, event, actor=actor, role=role, at=LATE, data=data)
    says(info.value, zh, en)
    assert every_row(engine) == before
