"""Small builders for tests: realistic case data and a way to add it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from models.engine import writing
from models.tables import Item, table
from states.registry import parse_new, register
from states.rules import Rules
from states.service import DEFAULT_RULES


def case_data(intake_no: str = "D2100001", **overrides: Any) -> dict[str, Any]:
    """A complaint case as the inspection team assigns it (SPEC §2)."""
    data: dict[str, Any] = {
        "intake_no": intake_no,
        "round": "第二轮中央生态环境保护督察",
        "batch_no": "第1批",
        "assigned_at": "2024-09-02T09:00:00+08:00",
        "district": "海城市",
        "lead_unit": "海城市人民政府",
        "supervising_unit": "市生态环境局",
        "summary": "饭店油烟扰民",
        "content": "海城市某小区楼下饭店油烟直排，噪声扰民，多次反映未解决。",
        "address": "海城市海州街道某小区",
        "pollution_types": ["大气", "噪声"],
        "category": "身边问题",
        "key_case": False,
        "complainant": {"name": "张三", "phone": "13800001111"},
        "rectification_due": "2024-09-30",
    }
    data.update(overrides)
    return data


def task_data(number: str = "200(19-3)", **overrides: Any) -> dict[str, Any]:
    """A rectification task from the inspection feedback."""
    data: dict[str, Any] = {
        "number": number,
        "round": "第二轮中央生态环境保护督察",
        "assigned_at": "2024-09-02",
        "issue": "对群众反映的突出问题重视不够",
        "common": True,
        "goal": "减少信访数量，提高办案质量，对群众信访案件逐一销号",
        "lead_unit": "市生态环境局",
        "rectification_due": "2024-12-31",
        "measures": [{"type": "政策措施", "text": "完善生态环保诉求管理系统"}],
    }
    data.update(overrides)
    return data


def add(
    engine: Engine,
    data: dict[str, Any],
    *,
    kind: str = "case",
    at: datetime,
    rules: Rules = DEFAULT_RULES,
) -> int:
    """Register one item and return its id."""
    with writing(engine) as conn:
        (item_id,) = register(
            conn, [parse_new(kind, data)], actor="督改办", role="coordinator", at=at, rules=rules
        )
    return item_id


def state_of(engine: Engine, ref: str) -> str:
    """The lifecycle state of the item ``ref``, read from the database."""
    item = table(Item)
    with engine.connect() as conn:
        return str(conn.execute(select(item.c.state).where(item.c.ref == ref)).scalar_one())


# Payloads that satisfy each guard, for driving an item through its life.
RESOLVED_CASE = {
    "verdict": "属实",
    "findings": "经现场核查，反映问题属实。",
    "problems": [{"text": "油烟直排", "resolved": True}],
    "satisfaction": {"satisfied": True, "by": "complainant", "signed": True},
}

NEARBY_CHECKS = {
    "measures_in_place": True,
    "pollution_gone": True,
    "long_term_mechanism": True,
    "not_temporary_fix": True,
}


def acceptance(intake_no: str = "D2100001", **overrides: Any) -> dict[str, Any]:
    """A complete acceptance opinion (验收意见) for a 身边问题 case."""
    data: dict[str, Any] = {
        "accepted_on": "2024-09-25",
        "intake_no": intake_no,
        "group_leader": "王五",
        "opinion_rectification": "油烟净化设施已安装并正常运行",
        "opinion_penalties": "无",
        "opinion_satisfaction": "信访人满意并签字",
        "opinion_accountability": "无",
        "members": [
            {
                "name": "王五",
                "unit": "海城市政府",
                "title": "副市长",
                "phone": "0412-1234567",
                "signed": True,
            },
        ],
        "category_checks": NEARBY_CHECKS,
    }
    data.update(overrides)
    return data


SIGNOFFS = [
    {"point": p, "body": b, "signer": "复核人"}
    for p, bodies in {
        "characterisation": ["review_group"],
        "rectification": ["ecology_bureau", "industry_department"],
        "penalties": ["justice_bureau", "ecology_bureau", "industry_department"],
        "satisfaction": ["ecology_bureau", "industry_department", "local_government"],
        "accountability": ["discipline_commission", "supervision_office", "city_office"],
    }.items()
    for b in bodies
]
