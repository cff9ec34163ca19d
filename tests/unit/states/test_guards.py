"""Each guard (states/guards.py) called directly on snapshots: when it holds, and each
condition it reports, with its code, in Chinese and English (SPEC §3–§6)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from models import payloads as p
from states.errors import Unmet
from states.guards import GUARDS, Snapshot, needs_of, unmet
from states.standards import CATEGORY_CRITERIA, MEASURE_CRITERIA
from tests.support import SIGNOFFS, acceptance

D = date.fromisoformat
AT = datetime(2024, 9, 25, 1, 0, tzinfo=UTC)  # 2024-09-25 09:00 Asia/Shanghai
NOTE = p.Note()
CJK = re.compile(r"[\u4e00-\u9fff]")


def case(**overrides: Any) -> dict[str, Any]:
    """The item row of a resolved 身边问题 case, as the guards see it."""
    row: dict[str, Any] = {
        "id": 1,
        "kind": "case",
        "ref": "D2100001",
        "lead_unit_id": 7,
        "category": "身边问题",
        "verdict": "属实",
        "satisfied": True,
        "review_applied_at": None,
        "notice_end": None,
        "filing_no": None,
        "rectification_due": D("2024-09-30"),
    }
    return row | overrides


def task(**overrides: Any) -> dict[str, Any]:
    """The item row of a rectification task: no verdict, category or satisfaction."""
    row = case(kind="task", ref="200(19-3)", category=None, verdict=None, satisfied=None)
    return row | overrides


def check(
    name: str, item: dict[str, Any], payload: BaseModel = NOTE, at: datetime = AT, **facts: Any
) -> list[Unmet]:
    """Run one guard on a snapshot holding only the facts the guard declares it needs."""
    assert set(facts) <= GUARDS[name].needs, f"{name} does not declare {set(facts)}"
    found = GUARDS[name].check(Snapshot(item, facts), payload, at)
    for u in found:
        assert CJK.search(u.zh), f"{u.code}: no Chinese text: {u.zh!r}"
        assert re.search("[a-z]{3}", u.en) and u.en != u.zh, f"{u.code}: no English: {u.en!r}"
    return found


def codes(found: list[Unmet]) -> list[str]:
    return [u.code for u in found]


def problem(seq: int, resolved: bool) -> dict[str, Any]:
    return {"seq": seq, "text": f"问题{seq}", "resolved": resolved}


def penalty(filed: bool, executed: bool) -> dict[str, Any]:
    return {"filed": filed, "executed": executed, "decision": None, "fine_yuan": None}


RESOLVED = {"problems": [problem(1, True)], "penalties": [], "measures": []}


def opinion(**overrides: Any) -> p.AcceptanceIn:
    return p.AcceptanceIn.model_validate(acceptance(**overrides))


def member(name: str, signed: bool) -> dict[str, Any]:
    return {
        "name": name,
        "unit": "海城市政府",
        "title": "科员",
        "phone": "0412-1",
        "signed": signed,
    }


# --- lead_unit_set ----------------------------------------------------------------------


def test_acknowledge_needs_a_lead_unit() -> None:
    assert check("lead_unit_set", case()) == []
    found = check("lead_unit_set", case(lead_unit_id=None))
    assert codes(found) == ["lead_unit_missing"]
    assert "牵头单位" in found[0].zh and "lead unit" in found[0].en


# --- rectification_complete: a case ------------------------------------------------------


def test_rectification_complete_holds_for_a_resolved_satisfied_case() -> None:
    assert check("rectification_complete", case(), **RESOLVED) == []


def test_rectification_complete_needs_a_verdict() -> None:
    found = check("rectification_complete", case(verdict=None), **RESOLVED)
    assert codes(found) == ["verdict_missing"]
    assert "调查结论" in found[0].zh and "verdict" in found[0].en


def test_rectification_complete_names_each_unresolved_problem() -> None:
    problems = [problem(1, True), problem(2, False), problem(3, False)]
    found = check("rectification_complete", case(), problems=problems, penalties=[], measures=[])
    assert codes(found) == ["problems_unresolved"]
    assert found[0].zh == "问题未解决：第2、3个"
    assert found[0].en == "problem(s) 2, 3 not resolved"


@pytest.mark.parametrize("verdict", ["属实", "部分属实"])
def test_rectification_complete_needs_every_problem_resolved_unless_untrue(verdict: str) -> None:
    found = check(
        "rectification_complete",
        case(verdict=verdict),
        problems=[problem(1, False)],
        penalties=[],
        measures=[],
    )
    assert codes(found) == ["problems_unresolved"]


@pytest.mark.parametrize("verdict", ["属实", "部分属实"])
def test_rectification_complete_needs_at_least_one_problem_unless_untrue(verdict: str) -> None:
    found = check(
        "rectification_complete", case(verdict=verdict), problems=[], penalties=[], measures=[]
    )
    assert codes(found) == ["problems_missing"]


@pytest.mark.parametrize(
    "problems",
    [[], [problem(1, False)], [problem(1, True), problem(2, False)]],
    ids=["no-problem", "one-unresolved", "one-of-two-unresolved"],
)
def test_untrue_verdict_needs_no_resolved_problem(problems: list[dict[str, Any]]) -> None:
    found = check(
        "rectification_complete",
        case(verdict="不属实"),
        problems=problems,
        penalties=[],
        measures=[],
    )
    assert found == []


def test_rectification_complete_names_each_filed_penalty_not_executed() -> None:
    penalties = [penalty(True, True), penalty(True, False), penalty(False, False)]
    found = check(
        "rectification_complete",
        case(),
        problems=RESOLVED["problems"],
        penalties=penalties,
        measures=[],
    )
    assert codes(found) == ["penalty_not_executed"]
    assert found[0].zh == "行政处罚未执行到位：第2项"
    assert found[0].en == "filed penalty 2 not executed"


def test_unfiled_penalty_needs_no_execution() -> None:
    found = check(
        "rectification_complete",
        case(),
        problems=RESOLVED["problems"],
        penalties=[penalty(False, False)],
        measures=[],
    )
    assert found == []


def test_untrue_verdict_still_needs_filed_penalties_executed() -> None:
    found = check(
        "rectification_complete",
        case(verdict="不属实"),
        problems=[],
        penalties=[penalty(True, False)],
        measures=[],
    )
    assert codes(found) == ["penalty_not_executed"]


def test_rectification_complete_needs_satisfaction_recorded() -> None:
    found = check("rectification_complete", case(satisfied=None), **RESOLVED)
    assert codes(found) == ["satisfaction_missing"]
    assert "满意" in found[0].zh and "satisfaction" in found[0].en


def test_recorded_dissatisfaction_counts_as_recorded_for_the_request() -> None:
    # SPEC §3: "satisfaction recorded"; dissatisfaction stops the acceptance instead.
    assert check("rectification_complete", case(satisfied=False), **RESOLVED) == []


def test_rectification_complete_lists_every_unmet_condition_of_a_case_at_once() -> None:
    found = check(
        "rectification_complete",
        case(verdict=None, satisfied=None),
        problems=[problem(1, False)],
        penalties=[penalty(True, False)],
        measures=[],
    )
    assert codes(found) == [
        "verdict_missing",
        "problems_unresolved",
        "penalty_not_executed",
        "satisfaction_missing",
    ]


def test_rectification_complete_of_an_empty_case_lists_verdict_problems_and_satisfaction() -> None:
    found = check(
        "rectification_complete",
        case(verdict=None, satisfied=None),
        problems=[],
        penalties=[],
        measures=[],
    )
    assert codes(found) == ["verdict_missing", "problems_missing", "satisfaction_missing"]


# --- rectification_complete: a task, by measure type (SPEC §4) ---------------------------


def measure(seq: int, type_: str, criteria: dict[str, bool] | None, evidence: str | None) -> Any:
    return {"seq": seq, "type": type_, "text": "措施", "criteria": criteria, "evidence": evidence}


def complete(seq: int, type_: str) -> dict[str, Any]:
    return measure(seq, type_, dict.fromkeys(MEASURE_CRITERIA[type_], True), "文件及照片.pdf")


def task_check(*measures: dict[str, Any]) -> list[Unmet]:
    return check(
        "rectification_complete", task(), problems=[], penalties=[], measures=list(measures)
    )


@pytest.mark.parametrize("type_", list(MEASURE_CRITERIA))
def test_measure_complete_by_its_type_standard_with_evidence(type_: str) -> None:
    assert task_check(complete(1, type_)) == []


@pytest.mark.parametrize(
    ("type_", "criterion"),
    [
        pytest.param(t, k, id=f"{t}-{k}")
        for t, criteria in MEASURE_CRITERIA.items()
        for k in criteria
    ],
)
def test_measure_missing_one_criterion_of_its_type_is_incomplete(
    type_: str, criterion: str
) -> None:
    m = complete(1, type_)
    m["criteria"] = m["criteria"] | {criterion: False}
    found = task_check(m)
    assert codes(found) == ["measure_1_incomplete"]
    zh_text = MEASURE_CRITERIA[type_][criterion]
    assert found[0].zh == f"措施1（{type_}）未达标准：{zh_text}"
    assert found[0].en == f"measure 1 ({type_}) misses: {criterion}"


def test_case_handling_measure_needs_decision_execution_and_correction() -> None:
    found = task_check(measure(1, "案件查处", {"penalty_decided": True}, "处罚决定书"))
    assert codes(found) == ["measure_1_incomplete"]
    assert found[0].zh == "措施1（案件查处）未达标准：处罚已执行、违法行为已纠正"


def test_measure_without_recorded_criteria_misses_all_of_them() -> None:
    found = task_check(measure(1, "工程措施", None, "竣工验收报告"))
    assert found[0].en == "measure 1 (工程措施) misses: works_complete, accepted_on_completion"


@pytest.mark.parametrize("evidence", [None, ""], ids=["none", "empty"])
def test_measure_needs_completion_evidence(evidence: str | None) -> None:
    m = complete(1, "关停搬迁") | {"evidence": evidence}
    found = task_check(m)
    assert codes(found) == ["measure_1_no_evidence"]
    assert "佐证" in found[0].zh and "evidence" in found[0].en


def test_task_needs_at_least_one_measure() -> None:
    found = task_check()
    assert codes(found) == ["measures_missing"]


def test_task_refusal_lists_every_measure_at_once() -> None:
    found = task_check(
        complete(1, "政策措施"),
        measure(2, "工程措施", {"works_complete": True}, None),
        measure(3, "追责问责", {}, "问责决定"),
    )
    assert codes(found) == ["measure_2_incomplete", "measure_2_no_evidence", "measure_3_incomplete"]


def test_task_is_not_judged_by_case_findings() -> None:
    # A task has no verdict, problems or satisfaction; only its measures count.
    assert task_check(complete(1, "追责问责")) == []


# --- acceptance_opinion_complete (SPEC §5) ----------------------------------------------


def test_acceptance_opinion_complete_holds_for_a_signed_opinion_of_the_item() -> None:
    assert check("acceptance_opinion_complete", case(), opinion()) == []


def test_acceptance_opinion_must_carry_the_items_intake_number() -> None:
    found = check("acceptance_opinion_complete", case(), opinion(intake_no="D2100009"))
    assert codes(found) == ["intake_no_mismatch"]
    assert "D2100009" in found[0].zh and "'D2100001'" in found[0].en


def test_accept_refused_when_a_member_has_not_signed() -> None:
    members = [member("王五", True), member("李四", False), member("赵六", False)]
    found = check("acceptance_opinion_complete", case(), opinion(members=members))
    assert codes(found) == ["members_unsigned"]
    assert found[0].zh == "验收组成员未签字：李四、赵六"
    assert found[0].en == "members not signed: 李四, 赵六"


LAST_SECOND = datetime(2024, 9, 25, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Shanghai


@pytest.mark.parametrize(
    ("at", "in_future"),
    [
        pytest.param(LAST_SECOND, True, id="23:59:59-the-day-before"),
        pytest.param(LAST_SECOND + timedelta(seconds=1), False, id="00:00-that-day"),
    ],
)
def test_acceptance_date_may_not_be_later_than_today_in_shanghai(
    at: datetime, in_future: bool
) -> None:
    found = check("acceptance_opinion_complete", case(), opinion(accepted_on="2024-09-26"), at)
    assert codes(found) == (["accepted_in_future"] if in_future else [])


def test_acceptance_opinion_lists_every_unmet_condition_at_once() -> None:
    bad = opinion(intake_no="X1", members=[member("李四", False)], accepted_on="2024-12-01")
    found = check("acceptance_opinion_complete", case(), bad)
    assert codes(found) == ["intake_no_mismatch", "members_unsigned", "accepted_in_future"]


# --- category_standard_met (SPEC §5) ------------------------------------------------------


def all_met(category: str) -> dict[str, bool]:
    return dict.fromkeys(CATEGORY_CRITERIA[category], True)


def category_check(
    item: dict[str, Any],
    checks: dict[str, bool],
    accountability: list[dict[str, Any]] | None = None,
) -> list[Unmet]:
    return check(
        "category_standard_met",
        item,
        opinion(category_checks=checks),
        accountability=accountability or [],
    )


def test_the_five_categories_of_the_spec_have_standards() -> None:
    assert set(CATEGORY_CRITERIA) == {"身边问题", "公共利益", "规划政策", "邻避效应", "利益纠纷"}
    assert set(CATEGORY_CRITERIA) == {c.value for c in p.Category}


@pytest.mark.parametrize("category", list(CATEGORY_CRITERIA))
def test_case_passes_its_category_standard_when_every_criterion_is_met(category: str) -> None:
    assert category_check(case(category=category), all_met(category)) == []


@pytest.mark.parametrize(
    ("category", "criterion"),
    [
        pytest.param(c, k, id=f"{c}-{k}")
        for c, criteria in CATEGORY_CRITERIA.items()
        for k in criteria
    ],
)
@pytest.mark.parametrize("how", ["absent", "false"])
def test_case_fails_its_category_standard_when_one_criterion_is_not_met(
    category: str, criterion: str, how: str
) -> None:
    checks = all_met(category)
    if how == "absent":
        del checks[criterion]
    else:
        checks[criterion] = False
    found = category_check(case(category=category), checks)
    assert codes(found) == ["category_standard_unmet"]
    assert found[0].zh == f"未达到{category}验收标准：{CATEGORY_CRITERIA[category][criterion]}"
    assert found[0].en == f"category {category} standard not met: {criterion}"


def test_nearby_problem_temporary_fix_never_counts() -> None:
    checks = all_met("身边问题") | {"not_temporary_fix": False}
    found = category_check(case(), checks)
    assert "非临时性整改" in found[0].zh


def test_criteria_of_another_category_are_unknown_and_do_not_count() -> None:
    found = category_check(case(category="公共利益"), all_met("身边问题"))
    assert codes(found) == ["category_standard_unmet", "category_check_unknown"]
    assert "long_term_mechanism" in found[1].en and "measures_in_place" in found[1].zh


@pytest.mark.parametrize("satisfied", [False, None], ids=["unsatisfied", "unrecorded"])
def test_case_passes_acceptance_only_when_the_public_is_satisfied(satisfied: bool | None) -> None:
    found = category_check(case(satisfied=satisfied), all_met("身边问题"))
    assert codes(found) == ["not_satisfied"]


def test_accept_refused_while_accountability_is_not_carried_out() -> None:
    people = [
        {"person": "刘某", "measure": "诫勉谈话", "done": True},
        {"person": "陈某", "measure": "党内警告", "done": False},
    ]
    found = category_check(case(), all_met("身边问题"), people)
    assert codes(found) == ["accountability_undone"]
    assert found[0].zh == "问责未落实：陈某"
    assert found[0].en == "accountability not carried out for: 陈某"


def test_category_standard_lists_every_unmet_condition_at_once() -> None:
    people = [{"person": "陈某", "measure": "党内警告", "done": False}]
    found = category_check(case(satisfied=False), {"bogus": True}, people)
    assert codes(found) == [
        "category_standard_unmet",
        "category_check_unknown",
        "not_satisfied",
        "accountability_undone",
    ]


def test_task_has_no_category_standard_but_needs_accountability_done() -> None:
    assert category_check(task(), {}) == []
    people = [{"person": "陈某", "measure": "党内警告", "done": False}]
    assert codes(category_check(task(), {}, people)) == ["accountability_undone"]


def test_case_without_a_category_cannot_pass_a_category_standard() -> None:
    assert "category_missing" in codes(category_check(case(category=None), {}))


# --- review (SPEC §6) -----------------------------------------------------------------


def test_review_may_be_applied_for_once() -> None:
    assert check("review_not_applied", case()) == []
    found = check("review_not_applied", case(review_applied_at=AT))
    assert codes(found) == ["review_already_applied"]


def test_review_needs_an_application_first() -> None:
    assert check("review_applied", case(review_applied_at=AT)) == []
    found = check("review_applied", case())
    assert codes(found) == ["review_not_applied"]
    assert "request_review" in found[0].en


def signoff_rows(signoffs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"point": s["point"], "body": s["body"], "signer": s["signer"]} for s in signoffs]


def review_in(signoffs: list[dict[str, Any]]) -> p.ReviewIn:
    return p.ReviewIn.model_validate({"signoffs": signoffs})


UNTRUE_PART = [
    {"point": "untrue_part", "body": b, "signer": "复核人"}
    for b in ("ecology_bureau", "industry_department")
]


def test_signoffs_complete_for_a_true_case_needs_five_points_not_the_untrue_part() -> None:
    found = check("signoffs_complete", case(), review_in([]), signoffs=signoff_rows(SIGNOFFS))
    assert found == []


def test_signoffs_given_with_the_review_count_with_those_signed_before() -> None:
    half = len(SIGNOFFS) // 2
    found = check(
        "signoffs_complete",
        case(),
        review_in(SIGNOFFS[half:]),
        signoffs=signoff_rows(SIGNOFFS[:half]),
    )
    assert found == []


@pytest.mark.parametrize("verdict", ["不属实", "部分属实"])
def test_untrue_part_signoff_is_required_for_untrue_and_partly_true_verdicts(verdict: str) -> None:
    item = case(verdict=verdict)
    found = check("signoffs_complete", item, review_in([]), signoffs=signoff_rows(SIGNOFFS))
    assert codes(found) == ["signoff_untrue_part_missing"]
    assert found[0].zh == "不属实部分缺少签字背书：市生态环境局、行业主管部门"
    assert (
        found[0].en
        == "review point untrue_part lacks sign-off by: ecology_bureau, industry_department"
    )
    rows = signoff_rows(SIGNOFFS + UNTRUE_PART)
    assert check("signoffs_complete", item, review_in([]), signoffs=rows) == []


def test_signoffs_missing_lists_every_point_and_body_at_once() -> None:
    found = check("signoffs_complete", case(), review_in([]), signoffs=[])
    assert codes(found) == [
        "signoff_characterisation_missing",
        "signoff_rectification_missing",
        "signoff_penalties_missing",
        "signoff_satisfaction_missing",
        "signoff_accountability_missing",
    ]
    assert found[2].zh == "处罚情况缺少签字背书：市司法局、市生态环境局、行业主管部门"
    assert found[4].en == (
        "review point accountability lacks sign-off by: "
        "discipline_commission, supervision_office, city_office"
    )


def test_signoff_by_a_body_not_required_for_the_point_does_not_count() -> None:
    rows = [s for s in signoff_rows(SIGNOFFS) if s["point"] != "characterisation"]
    rows.append({"point": "characterisation", "body": "ecology_bureau", "signer": "复核人"})
    found = check("signoffs_complete", case(), review_in([]), signoffs=rows)
    assert codes(found) == ["signoff_characterisation_missing"]
    assert found[0].zh == "案件定性缺少签字背书：市级复核工作组"


def test_task_review_needs_only_the_rectification_signoffs() -> None:
    found = check("signoffs_complete", task(), review_in([]), signoffs=[])
    assert codes(found) == ["signoff_rectification_missing"]
    rows = [s for s in signoff_rows(SIGNOFFS) if s["point"] == "rectification"]
    assert check("signoffs_complete", task(), review_in([]), signoffs=rows) == []


# --- objections and the notice period (SPEC §3, §7) -------------------------------------


def objection(status: str) -> dict[str, Any]:
    return {"status": status, "text": "油烟仍有"}


@pytest.mark.parametrize(
    ("statuses", "pending"),
    [
        ([], False),
        (["upheld"], False),
        (["dismissed", "upheld"], False),
        (["dismissed", "pending"], True),
    ],
    ids=["none", "upheld", "all-resolved", "one-pending"],
)
def test_objection_guards_see_only_pending_objections(statuses: list[str], pending: bool) -> None:
    rows = [objection(s) for s in statuses]
    uphold = check("objection_pending", case(), objections=rows)
    close = check("no_objection_pending", case(), objections=rows)
    assert codes(uphold) == ([] if pending else ["no_objection_pending"])
    assert codes(close) == (["objection_pending"] if pending else [])


# The Anshan notice: 公示时间 2020年11月9日至2020年11月13日.
MIDNIGHT = datetime(2020, 11, 13, 16, 0, tzinfo=UTC)  # 2020-11-13 24:00 Asia/Shanghai


@pytest.mark.parametrize(
    ("at", "over"),
    [
        pytest.param(datetime(2020, 11, 13, 4, 0, tzinfo=UTC), False, id="noon-of-the-last-day"),
        pytest.param(MIDNIGHT - timedelta(microseconds=1), False, id="a-microsecond-before-24:00"),
        pytest.param(MIDNIGHT, True, id="exactly-24:00-of-the-last-day"),
        pytest.param(MIDNIGHT + timedelta(hours=9), True, id="the-next-morning"),
    ],
)
def test_notice_is_over_at_exactly_24_00_of_its_last_day(at: datetime, over: bool) -> None:
    found = check("notice_over", case(notice_end=D("2020-11-13")), at=at)
    assert codes(found) == ([] if over else ["notice_running"])
    if found:
        assert found[0].zh == "公示期未满（至2020-11-13）"
        assert "2020-11-13" in found[0].en


def test_notice_not_over_when_no_notice_was_published() -> None:
    assert codes(check("notice_over", case(notice_end=None))) == ["notice_running"]


def test_item_is_filed_once() -> None:
    assert check("not_filed", case()) == []
    found = check("not_filed", case(filing_no="鞍督改备〔2024〕12号"))
    assert codes(found) == ["already_filed"]
    assert "鞍督改备〔2024〕12号" in found[0].zh


# --- extensions (SPEC §3, §7) ----------------------------------------------------------


def extension(status: str, proposed: str = "2024-10-31") -> dict[str, Any]:
    return {"status": status, "proposed_due": D(proposed), "reason": "工程量大"}


@pytest.mark.parametrize(
    ("statuses", "pending"),
    [([], False), (["approved", "rejected"], False), (["rejected", "pending"], True)],
    ids=["none", "decided", "one-pending"],
)
def test_extension_guards_see_only_the_pending_request(statuses: list[str], pending: bool) -> None:
    rows = [extension(s) for s in statuses]
    request = check("no_extension_pending", case(), extensions=rows)
    decide = check("extension_pending", case(), extensions=rows)
    assert codes(request) == (["extension_pending"] if pending else [])
    assert codes(decide) == ([] if pending else ["no_extension_pending"])


@pytest.mark.parametrize(
    ("proposed", "later"),
    [("2024-10-01", True), ("2024-09-30", False), ("2024-09-01", False)],
    ids=["a-day-later", "same-day", "earlier"],
)
def test_extension_proposed_date_must_be_later_than_the_deadline(
    proposed: str, later: bool
) -> None:
    payload = p.ExtensionIn(reason="设备采购周期长", proposed_due=D(proposed))
    found = check("extension_later", case(), payload)
    assert codes(found) == ([] if later else ["extension_not_later"])
    if found:
        assert "2024-09-30" in found[0].zh and proposed in found[0].en


@pytest.mark.parametrize(
    ("new_due", "proposed", "later"),
    [
        (None, "2024-10-31", True),
        ("2024-10-15", "2024-10-31", True),
        ("2024-09-30", "2024-10-31", False),
        (None, "2024-09-30", False),
    ],
    ids=["the-proposed-date", "an-earlier-later-date", "the-current-date", "proposal-not-later"],
)
def test_approved_deadline_must_be_later_than_the_current_one(
    new_due: str | None, proposed: str, later: bool
) -> None:
    payload = p.ApproveExtensionIn(new_due=D(new_due) if new_due else None)
    found = check(
        "approved_due_later", case(), payload, extensions=[extension("pending", proposed)]
    )
    assert codes(found) == ([] if later else ["extension_not_later"])


# --- merge_duplicate, revisits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "expected"),
    [(None, ["original_missing"]), (1, ["original_is_self"]), (2, [])],
    ids=["missing", "itself", "another-item"],
)
def test_duplicate_needs_an_existing_original_other_than_itself(
    original: int | None, expected: list[str]
) -> None:
    found = check("original_exists", case(), p.MergeIn(original="D2100000"), original=original)
    assert codes(found) == expected
    if original is None:
        assert "D2100000" in found[0].zh and "'D2100000'" in found[0].en


def test_revisits_apply_to_cases_only() -> None:
    assert check("is_case", case()) == []
    assert codes(check("is_case", task())) == ["not_a_case"]


# --- running several guards -------------------------------------------------------------


def test_unmet_runs_every_named_guard_and_keeps_table_order() -> None:
    item = case(notice_end=D("2020-11-13"))
    snap = Snapshot(item, {"objections": [objection("pending")]})
    found = unmet(["notice_over", "no_objection_pending"], snap, NOTE, MIDNIGHT - timedelta(1))
    assert codes(found) == ["notice_running", "objection_pending"]
    assert unmet(["notice_over"], snap, NOTE, MIDNIGHT) == []


def test_needs_of_is_the_union_of_the_guards_needs() -> None:
    assert needs_of(["rectification_complete", "lead_unit_set"]) == {
        "problems",
        "penalties",
        "measures",
    }
    assert needs_of(["notice_over", "no_objection_pending"]) == {"objections"}
    assert needs_of([]) == frozenset()
