"""One case lived so that every kind of notification is written by its real cause, and a
routing file that sends each audience to a mailbox and a webhook of its own."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from models.engine import writing
from models.tables import Notification, table
from notifications import Dispatcher, Policy, Templates, default_transports, load
from notifications.routing import AUDIENCES
from states import revisits
from states.calendar import SHANGHAI
from states.editing import update_item
from states.registry import parse_new, register
from states.service import DEFAULT_RULES, fire
from states.sweep import sweep
from tests.conftest import AT
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data

NOTE = table(Notification)
REF = "D2100001"
SENDER = "rectiflow@ducha.example.cn"
COMPLAINANT = ("张三", "13800001111")  # from tests.support.case_data
ACTOR = {
    "operator": "李四",
    "coordinator": "督改办",
    "acceptance_group": "验收组",
    "review_group": "复核组",
}
# What each template's subject starts with, and who receives it (SPEC §7, states/outbox.py).
SUBJECTS = {
    "warning": ("【预警】", {"person_in_charge"}),
    "supervision_letter": ("【督办函】", {"lead_unit", "supervising_unit"}),
    "interview": ("【约谈通知】", {"unit_head"}),
    "referral": ("【问题线索移送函】", {"discipline"}),
    "acceptance_requested": ("【验收申请】", {"acceptance_group"}),
    "review_requested": ("【复核申请】", {"review_group"}),
    "notice_published": ("【公示】", {"coordinator"}),
    "objection_received": ("【公示异议】", {"coordinator", "lead_unit"}),
    "revisit_due": ("【复查回访】", {"lead_unit"}),
}


def sh(y: int, m: int, d: int, hour: int = 9) -> datetime:
    """An instant in Asia/Shanghai."""
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def mailbox(audience: str) -> str:
    return f"{audience.replace('_', '-')}@example.cn"


def write_routing(
    path: Path, *, smtp_port: int | None, webhook: str | None, audiences: Any = AUDIENCES
) -> Path:
    """A routing file: every audience of the city gets its mailbox and/or its webhook path."""
    lines = []
    if smtp_port is not None:
        lines.append(f'email: "mailto://127.0.0.1:{smtp_port}?from={SENDER}&mode=insecure"')
    lines.append("defaults:")
    for audience in sorted(audiences):
        lines.append(f"  {audience}:")
        if smtp_port is not None:
            lines.append(f"    - {mailbox(audience)}")
        if webhook is not None:
            lines.append(f"    - {{name: {audience}-hook, url: '{webhook}/{audience}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dispatcher(engine: Engine, path: Path, **policy: Any) -> Dispatcher:
    """The real dispatcher with the real channels and the built-in templates."""
    return Dispatcher(engine, load(path), Templates(), default_transports(), Policy(**policy))


def _fire(engine: Engine, event: str, role: str, at: datetime, data: Any = None) -> None:
    fire(engine, REF, event, actor=ACTOR[role], role=role, at=at, data=data)


def live_every_notice(engine: Engine) -> None:
    """Register a case (due 2024-09-10), let it run 10 days late (every rung of the ladder),
    then take it through acceptance, review, notice, an objection, closing and a revisit."""
    add(engine, case_data(REF, rectification_due="2024-09-10"), at=AT)
    sweep(engine, sh(2024, 9, 20))
    _fire(engine, "acknowledge", "operator", sh(2024, 9, 21))
    update_item(engine, REF, actor="李四", role="operator", at=sh(2024, 9, 21), data=RESOLVED_CASE)
    _fire(engine, "request_acceptance", "operator", sh(2024, 9, 21))
    _fire(
        engine,
        "accept",
        "acceptance_group",
        sh(2024, 9, 23),
        acceptance(REF, accepted_on="2024-09-23"),
    )
    _fire(engine, "request_review", "coordinator", sh(2024, 9, 24))
    _fire(engine, "review", "review_group", sh(2024, 9, 25), {"signoffs": SIGNOFFS})
    _fire(engine, "publish", "coordinator", sh(2024, 9, 26), {"office": "海城市督改办"})
    _fire(engine, "record_objection", "coordinator", sh(2024, 9, 27), {"text": "仍有油烟"})
    _fire(engine, "dismiss_objection", "coordinator", sh(2024, 9, 28), {"reason": "经复查已整改"})
    sweep(engine, sh(2024, 10, 2))
    revisits.plan(engine, "2024-11", sh(2024, 11, 1))


def outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(NOTE).order_by(NOTE.c.id)).mappings()]


def many_warnings(engine: Engine, n: int, at: datetime | None = None) -> int:
    """Register ``n`` cases due 2024-09-30 and sweep on its eve: ``n`` warnings (预警) to
    their person in charge, one notification each. Returns how many were queued."""
    items = [parse_new("case", case_data(f"D3{i:06d}")) for i in range(n)]
    for start in range(0, n, 2000):
        with writing(engine) as conn:
            register(
                conn,
                items[start : start + 2000],
                actor="督改办",
                role="coordinator",
                at=AT,
                rules=DEFAULT_RULES,
            )
    return sweep(engine, at or sh(2024, 9, 30)).notifications
