"""The standards items are measured against (SPEC §4–§6), as data.

Each criterion is a key with its Chinese text; a payload answers each key with a bool.
"""

from __future__ import annotations

from collections.abc import Mapping

# 验收类别标准 (SPEC §5): every criterion must be met for ``accept``.
CATEGORY_CRITERIA: Mapping[str, Mapping[str, str]] = {
    "身边问题": {
        "measures_in_place": "整改措施落实到位",
        "pollution_gone": "污染问题已消除",
        "long_term_mechanism": "已建立长效机制",
        "not_temporary_fix": "非临时性整改",
    },
    "公共利益": {
        "in_government_plan": "已纳入政府工作计划",
        "standard_met_or_on_schedule": "污染已消除并达到国家标准，或整改按进度推进",
    },
    "规划政策": {
        "handled_per_compliance": (
            "合规的已从严管理、解释说明、依法补偿；不合规的已制定方案、消除问题"
        ),
        "public_understanding_or_mechanism": "群众理解或已建立长效机制",
    },
    "邻避效应": {
        "responded": "已回应群众诉求",
        "communicated": "已沟通解释",
        "compensation_where_allowed": "依法依规予以补偿（如适用）",
        "public_acceptance": "群众认可",
    },
    "利益纠纷": {
        "environmental_part_handled": "涉及生态环境部分已处理",
        "legal_channels_guided": "已引导通过法律途径解决",
        "understanding_reached": "已取得理解",
        "no_escalation": "未引发矛盾升级",
    },
}

# 整改标准 for task measures (SPEC §4), by measure type.
MEASURE_CRITERIA: Mapping[str, Mapping[str, str]] = {
    "政策措施": {"issued": "文件已印发", "in_force": "文件已生效实施"},
    "工程措施": {"works_complete": "工程已完工", "accepted_on_completion": "已通过竣工验收"},
    "关停搬迁": {"done": "关停搬迁已完成", "removed_where_required": "按要求拆除建筑或设备"},
    "案件查处": {
        "penalty_decided": "处罚已决定",
        "penalty_executed": "处罚已执行",
        "violation_corrected": "违法行为已纠正",
    },
    "追责问责": {"accountability_done": "问责已落实"},
}

# 签字背书 (SPEC §6): review point → bodies that must each sign it.
SIGNOFF_BODIES: Mapping[str, tuple[str, ...]] = {
    "characterisation": ("review_group",),
    "rectification": ("ecology_bureau", "industry_department"),
    "penalties": ("justice_bureau", "ecology_bureau", "industry_department"),
    "satisfaction": ("ecology_bureau", "industry_department", "local_government"),
    "accountability": ("discipline_commission", "supervision_office", "city_office"),
    "untrue_part": ("ecology_bureau", "industry_department"),
}

SIGNOFF_POINT_ZH: Mapping[str, str] = {
    "characterisation": "案件定性",
    "rectification": "整改情况",
    "penalties": "处罚情况",
    "satisfaction": "群众满意情况",
    "accountability": "追责问责情况",
    "untrue_part": "不属实部分",
}

BODY_ZH: Mapping[str, str] = {
    "review_group": "市级复核工作组",
    "ecology_bureau": "市生态环境局",
    "industry_department": "行业主管部门",
    "justice_bureau": "市司法局",
    "local_government": "属地政府",
    "discipline_commission": "市纪委监委",
    "supervision_office": "市政府督查室",
    "city_office": "市督改办",
}

# A task's review: the rectification point (the SPEC's sign-off table is written for cases).
TASK_SIGNOFF_POINTS = ("rectification",)


def required_signoffs(kind: str, verdict: str | None) -> dict[str, tuple[str, ...]]:
    """The review points and their bodies that an item needs signed before ``review``."""
    if kind == "task":
        return {point: SIGNOFF_BODIES[point] for point in TASK_SIGNOFF_POINTS}
    points = dict(SIGNOFF_BODIES)
    if verdict not in ("不属实", "部分属实"):
        del points["untrue_part"]
    return points
