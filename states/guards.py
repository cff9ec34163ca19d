"""Guards: small named checks of an item snapshot and a payload (SPEC §3–§6).

Each returns the unmet conditions, empty when the guard holds, so that a refusal can
name all of them at once. A guard declares the facts it needs so that ``fire`` loads
only those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from models import payloads as p
from states.calendar import end_of_day, local_date
from states.errors import Unmet
from states.standards import (
    BODY_ZH,
    CATEGORY_CRITERIA,
    MEASURE_CRITERIA,
    SIGNOFF_POINT_ZH,
    required_signoffs,
)

Row = Mapping[str, Any]


@dataclass
class Snapshot:
    """What the guards see of an item: its row and the facts they asked for."""

    item: Row
    facts: dict[str, Any] = field(default_factory=dict)

    def rows(self, name: str) -> Sequence[Row]:
        """A loaded collection (problems, penalties, …)."""
        value = self.facts[name]
        assert isinstance(value, Sequence)
        return value


Check = Callable[[Snapshot, BaseModel, datetime], list[Unmet]]


@dataclass(frozen=True)
class Guard:
    name: str
    needs: frozenset[str]
    check: Check


GUARDS: dict[str, Guard] = {}


def _guard(name: str, needs: Sequence[str] = ()) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        GUARDS[name] = Guard(name, frozenset(needs), fn)
        return fn

    return register


def needs_of(names: Sequence[str]) -> frozenset[str]:
    """Every fact the named guards need."""
    out: frozenset[str] = frozenset()
    for n in names:
        out |= GUARDS[n].needs
    return out


def unmet(names: Sequence[str], snap: Snapshot, payload: BaseModel, at: datetime) -> list[Unmet]:
    """Run the named guards; every unmet condition, in table order."""
    found: list[Unmet] = []
    for n in names:
        found.extend(GUARDS[n].check(snap, payload, at))
    return found


def _u(code: str, zh: str, en: str) -> list[Unmet]:
    return [Unmet(code, zh, en)]


@_guard("lead_unit_set")
def _lead_unit_set(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if s.item["lead_unit_id"] is None:
        return _u("lead_unit_missing", "未确定牵头单位", "no responsible lead unit is set")
    return []


@_guard("rectification_complete", needs=["problems", "penalties", "measures"])
def _rectification_complete(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if s.item["kind"] == "task":
        return _measures_complete(s.rows("measures"))
    out: list[Unmet] = []
    verdict = s.item["verdict"]
    if verdict is None:
        out += _u("verdict_missing", "未记录调查结论", "no verdict (调查结论) recorded")
    problems = s.rows("problems")
    if verdict != "不属实":
        if not problems:
            out += _u("problems_missing", "未登记问题", "no problem recorded for the case")
        open_ = [str(r["seq"]) for r in problems if not r["resolved"]]
        if open_:
            out += _u(
                "problems_unresolved",
                f"问题未解决：第{'、'.join(open_)}个",
                f"problem(s) {', '.join(open_)} not resolved",
            )
    unexecuted = [
        i + 1 for i, r in enumerate(s.rows("penalties")) if r["filed"] and not r["executed"]
    ]
    if unexecuted:
        nums = ", ".join(map(str, unexecuted))
        out += _u(
            "penalty_not_executed",
            f"行政处罚未执行到位：第{nums}项",
            f"filed penalty {nums} not executed",
        )
    if s.item["satisfied"] is None:
        out += _u("satisfaction_missing", "未记录群众满意情况", "satisfaction not recorded")
    return out


def _measures_complete(measures: Sequence[Row]) -> list[Unmet]:
    if not measures:
        return _u("measures_missing", "未登记整改措施", "the task has no measure")
    out: list[Unmet] = []
    for m in measures:
        criteria = MEASURE_CRITERIA[m["type"]]
        given = m["criteria"] or {}
        missing = [k for k in criteria if not given.get(k)]
        if missing:
            out += _u(
                f"measure_{m['seq']}_incomplete",
                f"措施{m['seq']}（{m['type']}）未达标准：{'、'.join(criteria[k] for k in missing)}",
                f"measure {m['seq']} ({m['type']}) misses: {', '.join(missing)}",
            )
        if not m["evidence"]:
            out += _u(
                f"measure_{m['seq']}_no_evidence",
                f"措施{m['seq']}缺少完成佐证",
                f"measure {m['seq']} has no completion evidence",
            )
    return out


@_guard("acceptance_opinion_complete")
def _acceptance_complete(s: Snapshot, payload: BaseModel, at: datetime) -> list[Unmet]:
    assert isinstance(payload, p.AcceptanceIn)
    out: list[Unmet] = []
    if payload.intake_no != s.item["ref"]:
        out += _u(
            "intake_no_mismatch",
            f"验收意见编号 {payload.intake_no} 与事项编号不符",
            f"opinion intake_no {payload.intake_no!r} is not the item's {s.item['ref']!r}",
        )
    unsigned = [m.name for m in payload.members if not m.signed]
    if unsigned:
        out += _u(
            "members_unsigned",
            f"验收组成员未签字：{'、'.join(unsigned)}",
            f"members not signed: {', '.join(unsigned)}",
        )
    if payload.accepted_on > local_date(at):
        out += _u("accepted_in_future", "验收日期晚于当前日期", "accepted_on is in the future")
    return out


@_guard("category_standard_met", needs=["accountability"])
def _category_standard(s: Snapshot, payload: BaseModel, _: datetime) -> list[Unmet]:
    assert isinstance(payload, p.AcceptanceIn)
    out: list[Unmet] = []
    if s.item["kind"] == "case" and s.item["category"] not in CATEGORY_CRITERIA:
        out += _u(
            "category_missing", "未确定验收类别", "the case has no acceptance category (验收类别)"
        )
    elif s.item["kind"] == "case":
        criteria = CATEGORY_CRITERIA[s.item["category"]]
        missing = [k for k in criteria if not payload.category_checks.get(k)]
        if missing:
            out += _u(
                "category_standard_unmet",
                f"未达到{s.item['category']}验收标准：{'、'.join(criteria[k] for k in missing)}",
                f"category {s.item['category']} standard not met: {', '.join(missing)}",
            )
        unknown = sorted(set(payload.category_checks) - set(criteria))
        if unknown:
            out += _u(
                "category_check_unknown",
                f"未知的验收标准项：{'、'.join(unknown)}",
                f"unknown criteria for {s.item['category']}: {', '.join(unknown)}",
            )
    if s.item["kind"] == "case" and s.item["satisfied"] is not True:
        out += _u("not_satisfied", "群众不满意或未表态", "the public is not satisfied")
    undone = [r["person"] for r in s.rows("accountability") if not r["done"]]
    if undone:
        out += _u(
            "accountability_undone",
            f"问责未落实：{'、'.join(undone)}",
            f"accountability not carried out for: {', '.join(undone)}",
        )
    return out


@_guard("review_not_applied")
def _review_not_applied(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if s.item["review_applied_at"] is not None:
        return _u("review_already_applied", "已申请复核", "review already applied for")
    return []


@_guard("review_applied")
def _review_applied(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if s.item["review_applied_at"] is None:
        return _u("review_not_applied", "尚未申请复核", "no review application (request_review)")
    return []


@_guard("signoffs_complete", needs=["signoffs"])
def _signoffs_complete(s: Snapshot, payload: BaseModel, _: datetime) -> list[Unmet]:
    assert isinstance(payload, p.ReviewIn)
    have = {(r["point"], r["body"]) for r in s.rows("signoffs")}
    have |= {(x.point, x.body) for x in payload.signoffs}
    out: list[Unmet] = []
    for point, bodies in required_signoffs(s.item["kind"], s.item["verdict"]).items():
        missing = [b for b in bodies if (point, b) not in have]
        if missing:
            out += _u(
                f"signoff_{point}_missing",
                f"{SIGNOFF_POINT_ZH[point]}缺少签字背书：{'、'.join(BODY_ZH[b] for b in missing)}",
                f"review point {point} lacks sign-off by: {', '.join(missing)}",
            )
    return out


@_guard("objection_pending", needs=["objections"])
def _objection_pending(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if not any(r["status"] == "pending" for r in s.rows("objections")):
        return _u("no_objection_pending", "没有待处理的异议", "no objection is pending")
    return []


@_guard("no_objection_pending", needs=["objections"])
def _no_objection_pending(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if any(r["status"] == "pending" for r in s.rows("objections")):
        return _u("objection_pending", "有待处理的异议", "an objection is pending")
    return []


@_guard("notice_over")
def _notice_over(s: Snapshot, _: BaseModel, at: datetime) -> list[Unmet]:
    end = s.item["notice_end"]
    if end is None or at < end_of_day(end):
        return _u("notice_running", f"公示期未满（至{end}）", f"the notice period runs until {end}")
    return []


@_guard("not_filed")
def _not_filed(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if s.item["filing_no"]:
        return _u("already_filed", f"已备案（{s.item['filing_no']}）", "already filed")
    return []


def _pending_extension(s: Snapshot) -> Row | None:
    return next((r for r in s.rows("extensions") if r["status"] == "pending"), None)


@_guard("no_extension_pending", needs=["extensions"])
def _no_extension_pending(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if _pending_extension(s) is not None:
        return _u("extension_pending", "已有待审批的延期申请", "an extension is already pending")
    return []


@_guard("extension_pending", needs=["extensions"])
def _extension_pending(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if _pending_extension(s) is None:
        return _u("no_extension_pending", "没有待审批的延期申请", "no extension is pending")
    return []


@_guard("extension_later")
def _extension_later(s: Snapshot, payload: BaseModel, __: datetime) -> list[Unmet]:
    assert isinstance(payload, p.ExtensionIn)
    due = s.item["rectification_due"]
    if due is not None and payload.proposed_due <= due:
        return _u(
            "extension_not_later",
            f"申请日期须晚于现整改时限{due}",
            f"proposed_due {payload.proposed_due} is not after the current deadline {due}",
        )
    return []


@_guard("approved_due_later", needs=["extensions"])
def _approved_due_later(s: Snapshot, payload: BaseModel, __: datetime) -> list[Unmet]:
    assert isinstance(payload, p.ApproveExtensionIn)
    pending = _pending_extension(s)
    due = s.item["rectification_due"]
    new_due = payload.new_due or (pending["proposed_due"] if pending else None)
    if due is not None and new_due is not None and new_due <= due:
        return _u(
            "extension_not_later",
            f"批准日期须晚于现整改时限{due}",
            f"new_due {new_due} is not after the current deadline {due}",
        )
    return []


@_guard("original_exists", needs=["original"])
def _original_exists(s: Snapshot, payload: BaseModel, __: datetime) -> list[Unmet]:
    assert isinstance(payload, p.MergeIn)
    original = s.facts["original"]
    if original is None:
        return _u(
            "original_missing",
            f"原案件 {payload.original} 不存在",
            f"original item {payload.original!r} does not exist",
        )
    if original == s.item["id"]:
        return _u("original_is_self", "不能与自身合并", "an item cannot duplicate itself")
    return []


@_guard("is_case")
def _is_case(s: Snapshot, _: BaseModel, __: datetime) -> list[Unmet]:
    if s.item["kind"] != "case":
        return _u(
            "not_a_case", "复查回访仅适用于信访案件", "revisits apply to complaint cases only"
        )
    return []
