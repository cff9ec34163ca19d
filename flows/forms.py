"""Chinese labels for the Prefect UI's run forms of the event flows.

The payload models (``models.payloads``) carry the titles; the descriptions a form shows
under each field, in Chinese, live here, beside the field they describe.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic.fields import FieldInfo

# field name → description, for every field of every event payload.
DESCRIPTIONS: dict[str, str] = {
    "note": "备注（可选），记入事项历史",
    "reason": "理由或说明，记入事项历史",
    "accepted_on": "验收组完成验收的日期",
    "intake_no": "验收意见上的受理编号，须与本案件一致",
    "group_leader": "验收组组长姓名",
    "opinion_rectification": "对整改情况的验收意见",
    "opinion_penalties": "对行政处罚情况的验收意见（无处罚的填“无”）",
    "opinion_satisfaction": "对群众满意情况的验收意见",
    "opinion_accountability": "对追责问责情况的验收意见（无问责的填“无”）",
    "members": "验收组成员名单，每人一行，均须签字",
    "category_checks": (
        "本案验收类别标准的各项条件是否达到，键为条件代码、值为 true/false，"
        "如 身边问题：measures_in_place、pollution_gone、long_term_mechanism、not_temporary_fix"
    ),
    "signoffs": "复核签字背书，每个复核事项、每个签字单位一行",
    "notice_start": "公示第一天；不填则自公示当日起按默认天数公示",
    "notice_end": "公示最后一天（含当日）；须与开始日期同时填写",
    "office": "受理异议的单位",
    "phone": "受理异议的联系电话",
    "address": "受理异议的通讯地址",
    "text": "异议内容（来信或来电所述）",
    "filing_no": "备案编号",
    "proposed_due": "申请延期至的日期，须晚于当前整改时限",
    "new_due": "批准的新整改时限；不填则按申请的日期",
    "original": "原案件的受理编号或 #id",
    "cause": "重新整改的原因：rebound 问题反弹，repeat_complaint 重复举报",
    "rectification_due": "新的整改时限（可选）",
    "done_on": "回访的日期",
    "method": "回访方式，如 电话回访、现场走访",
    "finding": "回访发现的情况",
    "rebound": "问题是否反弹；反弹的案件将重新整改",
    "month": "对应的抽查月份，格式 YYYY-MM（可选）",
}

# (model, field) → description where one field name means different things.
OVERRIDES: dict[tuple[str, str], str] = {
    ("ReviewIn", "note"): "复核意见（可选）",
    ("ReviewIn", "signoffs"): "复核时一并登记的签字背书（可选），每个复核事项、每个签字单位一行",
    ("ExtensionIn", "reason"): "申请延期的理由",
    ("ReopenIn", "reason"): "重新整改的说明",
    ("MergeIn", "note"): "合并说明（可选）",
}

# Nested models shown inside a list: their title and each field's description.
NESTED: dict[str, tuple[str, dict[str, str]]] = {
    "Member": (
        "验收组成员",
        {
            "name": "成员姓名",
            "unit": "所在单位",
            "title": "职务",
            "phone": "联系电话",
            "signed": "是否已在验收意见上签字",
        },
    ),
    "SignoffIn": (
        "签字背书",
        {
            "point": (
                "复核事项：characterisation 案件定性，rectification 整改，penalties 处罚，"
                "satisfaction 群众满意，accountability 追责问责，untrue_part 不实部分"
            ),
            "body": (
                "签字单位：review_group 复核工作组，ecology_bureau 生态环境局，"
                "industry_department 行业主管部门，justice_bureau 司法局，"
                "local_government 属地政府，discipline_commission 纪委监委，"
                "supervision_office 督查室，city_office 市督改办"
            ),
            "signer": "签字人姓名",
        },
    ),
}


def field_description(model: str, name: str, info: FieldInfo) -> str:
    """The Chinese description of one payload field (KeyError if none is written yet)."""
    if (model, name) in OVERRIDES:
        return OVERRIDES[(model, name)]
    return DESCRIPTIONS[name]


def describe_nested(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref``s inlined and every nested field described in Chinese."""
    defs = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(x) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            model = node["$ref"].rsplit("/", 1)[-1]
            target = inline(copy.deepcopy(defs[model]))
            title, fields = NESTED[model]
            target["title"] = title
            for key, prop in target.get("properties", {}).items():
                prop["description"] = fields[key]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return target | rest
        return {k: inline(v) for k, v in node.items() if k != "$defs"}

    out: dict[str, Any] = inline(schema)
    return out
