"""The life of one case through ``fire`` and ``update_item``, for the lifecycle tests.

``new_case`` registers the case and drives it to any step of its life with realistic
data; ``refuse`` fires and checks that the refusal left every table as it was.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select
from sqlmodel import SQLModel

from models.tables import Clock, History, Item, table
from states.calendar import SHANGHAI
from states.editing import update_item
from states.errors import Refused
from states.lifecycle import State
from states.service import Fired, fire
from tests.conftest import AT
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data

ITEM, HISTORY, CLOCK = table(Item), table(History), table(Clock)
REF = "D2100001"
D = date.fromisoformat


def sh(text: str) -> datetime:
    """An instant given as Asia/Shanghai wall time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


FINDINGS: dict[str, Any] = RESOLVED_CASE | {
    "findings": "经现场核查，该饭店未安装油烟净化设施，油烟直排，反映问题属实。",
    "plan": {
        "department": "海城市综合行政执法局",
        "measures": "责令安装油烟净化设施并定期清洗，规范排烟管道",
        "time_nodes": "9月15日前安装到位，9月20日前复查",
        "funding": "经营者自筹",
        "approved": True,
        "approved_by": "海城市人民政府",
    },
    "penalties": [
        {"filed": True, "decision": "海综执罚〔2024〕215号", "fine_yuan": 5000, "executed": True}
    ],
    "accountability": [{"person": "刘某", "measure": "诫勉谈话", "done": True}],
    "responsibility": [
        {"side": "territorial", "role": "case_leader", "name": "赵某", "level": "分管领导"},
        {"side": "territorial", "role": "person_in_charge", "name": "钱某"},
    ],
    "archive": [
        {"kind": "catalogue", "title": "案卷目录"},
        {"kind": "site_record", "title": "现场勘察笔录", "has_photos": True},
    ],
}
REASON = {"reason": "油烟净化设施未正常运行，整改不到位不放过"}
OBJECTION = {"text": "饭店晚间仍有油烟直排，请再次核查"}
FILING = {"filing_no": "海督改备〔2024〕031号"}
LATE = sh("2024-11-01T09:00")
EXTENSION = {"reason": "油烟净化设备采购周期长", "proposed_due": "2024-10-31"}

# The life of REF: (step, role, at, data). "update" records the findings.
LIFE: list[tuple[str, str, datetime, dict[str, Any] | None]] = [
    ("acknowledge", "operator", sh("2024-09-03T09:00"), None),
    ("update", "operator", sh("2024-09-10T09:00"), FINDINGS),
    ("request_acceptance", "operator", sh("2024-09-24T09:00"), {"note": "已整改完毕"}),
    ("accept", "acceptance_group", sh("2024-09-25T15:00"), acceptance()),
    ("request_review", "coordinator", sh("2024-09-26T09:00"), None),
    ("review", "review_group", sh("2024-09-27T09:00"), {"signoffs": SIGNOFFS}),
    ("publish", "coordinator", sh("2024-10-09T09:00"), {"office": "海城市督改办"}),
    ("close", "coordinator", sh("2024-10-14T09:00"), None),
    ("file", "coordinator", sh("2024-10-15T09:00"), FILING),
]
STEPS = ["register"] + [s[0] for s in LIFE]
AT_STEP = {s[0]: s[2] for s in LIFE}
STEP_FOR_STATE = {
    State.assigned: "register",
    State.investigating: "update",
    State.rectified: "request_acceptance",
    State.accepted: "request_review",
    State.reviewed: "review",
    State.published: "publish",
    State.closed: "close",
}


def run(
    db: Engine | Connection, step: str, role: str, at: datetime, data: Any, ref: str = REF
) -> Fired:
    if step == "update":
        return update_item(db, ref, actor="经办人李明", role=role, at=at, data=data)
    return fire(db, ref, step, actor=f"{role}-user", role=role, at=at, data=data)


def new_case(
    engine: Engine,
    until: str = "register",
    *,
    ref: str = REF,
    findings: dict[str, Any] | None = None,
) -> list[Fired]:
    """Register a case and run its life up to and including the step ``until``."""
    add(engine, case_data(ref), at=AT)
    fired = []
    for step, role, at, data in LIFE[: STEPS.index(until)]:
        if step == "update" and findings is not None:
            data = findings
        if step == "accept":
            data = acceptance(ref)
        fired.append(run(engine, step, role, at, data, ref))
    return fired


def go(engine: Engine, event: str, role: str, at: datetime, data: Any = None, **kw: Any) -> Fired:
    return fire(
        engine, kw.pop("ref", REF), event, actor=f"{role}-user", role=role, at=at, data=data, **kw
    )


# --- reading the database ---------------------------------------------------------------


def every_row(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, as text: two equal results mean nothing changed."""
    with engine.connect() as conn:
        return {
            t.name: sorted(repr(tuple(r)) for r in conn.execute(select(t)))
            for t in SQLModel.metadata.sorted_tables
        }


def item(engine: Engine, ref: str = REF) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(ITEM).where(ITEM.c.ref == ref)).mappings().one()


def rows(engine: Engine, model: Any, **where: Any) -> list[Any]:
    t = table(model)
    q = (
        select(t)
        .where(*(t.c[k] == v for k, v in where.items()))
        .order_by(t.c[t.primary_key.columns.keys()[0]])
    )
    with engine.connect() as conn:
        return list(conn.execute(q).mappings())


def history(engine: Engine, ref: str = REF) -> list[Any]:
    with engine.connect() as conn:
        item_id = conn.execute(select(ITEM.c.id).where(ITEM.c.ref == ref)).scalar_one()
        q = select(HISTORY).where(HISTORY.c.item_id == item_id).order_by(HISTORY.c.seq)
        return list(conn.execute(q).mappings())


def running(engine: Engine, ref: str = REF) -> list[tuple[str, date]]:
    """The clocks running on the item: kind and due date."""
    with engine.connect() as conn:
        q = (
            select(CLOCK.c.kind, CLOCK.c.due_date)
            .join(ITEM, ITEM.c.id == CLOCK.c.item_id)
            .where(ITEM.c.ref == ref, CLOCK.c.stopped_at.is_(None))
            .order_by(CLOCK.c.id)
        )
        return [(r.kind, r.due_date) for r in conn.execute(q)]


def clock(engine: Engine, kind: str, ref: str = REF) -> Any:
    """The newest clock of ``kind`` on the item."""
    item_id = item(engine, ref)["id"]
    return rows(engine, Clock, item_id=item_id, kind=kind)[-1]


def refuse(
    engine: Engine, event: str, role: str, at: datetime, data: Any = None, **kw: Any
) -> Refused:
    """Fire and expect a refusal that changed nothing."""
    before = every_row(engine)
    with pytest.raises(Refused) as info:
        go(engine, event, role, at, data, **kw)
    assert every_row(engine) == before
    return info.value


def codes(err: Refused) -> list[str]:
    return [u.code for u in err.unmet]


def says(err: Exception, zh: str, en: str) -> None:
    """The message names the problem in Chinese and in English."""
    assert zh in str(err) and en in str(err), str(err)
