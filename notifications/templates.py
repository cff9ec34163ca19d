"""The zh-CN notices (通知模板): Jinja2 templates, one per kind, each a subject and a body.

Each template extends ``base.j2``, defines ``subject`` and ``content`` blocks, and sees
only the public facts below: the outbox payload never holds the complainant's name or
phone, and the context is built from a fixed list of keys, so a template cannot reach
anything else. A deployment overrides any file, ``base.j2`` included, by putting one of
the same name in its own folder (``RECTIFLOW_TEMPLATES_DIR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from notifications.routing import AUDIENCE_ZH
from states.calendar import SHANGHAI
from states.clocks import KIND_ZH
from states.errors import BadInput
from states.lifecycle import STATE_ZH, State

DEFAULT_DIR = Path(__file__).parent / "templates"
TEMPLATES: Mapping[str, str] = {
    "warning": "预警",
    "supervision_letter": "督办函",
    "interview": "约谈通知",
    "referral": "问题线索移送函",
    "acceptance_requested": "验收申请",
    "review_requested": "复核申请",
    "notice_published": "公示",
    "objection_received": "公示异议",
    "revisit_due": "复查回访",
}
_STATES = {s.value for s in State}
KIND_NAME = {"case": ("信访案件", "受理编号"), "task": ("整改任务", "任务编号")}


@dataclass(frozen=True)
class Rendered:
    """A notice ready to send: one-line subject, plain-text body."""

    subject: str
    body: str


@dataclass(frozen=True)
class Names:
    """Unit and district names by id, for the facts an outbox row carries as ids."""

    units: Mapping[int, str]
    districts: Mapping[int, str]

    def unit(self, unit_id: Any) -> str | None:
        return self.units.get(unit_id) if unit_id is not None else None

    def district(self, district_id: Any) -> str | None:
        return self.districts.get(district_id) if district_id is not None else None


def due_text(due_at: str | None) -> str | None:
    """A due instant as read aloud: the end of a day is that day's 24:00 (Civil Code)."""
    if not due_at:
        return None
    local = datetime.fromisoformat(due_at).astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = (local - timedelta(days=1)).date()
        return f"{day.year}年{day.month}月{day.day}日24时"
    return f"{local.year}年{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def _day_text(iso: str | None) -> str | None:
    if not iso:
        return None
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def context(
    payload: Mapping[str, Any], names: Names, *, audience: str, idem_key: str
) -> dict[str, Any]:
    """The facts a template sees: the item's public facts, names resolved, times local."""
    kind_zh, ref_label = KIND_NAME.get(payload.get("kind", ""), ("事项", "编号"))
    state = payload.get("state")
    start, end = _day_text(payload.get("notice_start")), _day_text(payload.get("notice_end"))
    month = payload.get("month")
    return {
        "ref": payload.get("ref", ""),
        "ref_label": ref_label,
        "kind_zh": kind_zh,
        "summary": payload.get("summary", ""),
        "address": payload.get("address", ""),
        "district": names.district(payload.get("district_id")),
        "lead_unit": names.unit(payload.get("lead_unit_id")),
        "supervising_unit": names.unit(payload.get("supervising_unit_id")),
        "state_zh": STATE_ZH[State(state)]
        if isinstance(state, str) and state in _STATES
        else state,
        "clock_zh": KIND_ZH.get(payload.get("clock") or ""),
        "due_at": payload.get("due_at"),
        "due_text": due_text(payload.get("due_at")),
        "provisional": bool(payload.get("provisional")),
        "days_overdue": int(payload.get("days_overdue") or 0),
        "notice_range": f"{start}至{end}" if start and end else None,
        "month_zh": f"{month[:4]}年{int(month[5:7])}月" if month else "本月",
        "recipient_zh": AUDIENCE_ZH.get(audience, audience),
        "idem_key": idem_key,
    }


class Templates:
    """The template set: the deployment's folder first, then the built-in one."""

    def __init__(self, override: Path | None = None) -> None:
        if override is not None and not override.is_dir():
            raise BadInput(
                f"模板目录不存在：{override}", f"templates directory {override} does not exist"
            )
        folders = [str(override)] if override is not None else []
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([*folders, str(DEFAULT_DIR)]),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain-text mail and chat messages, not HTML
            keep_trailing_newline=False,
        )

    def render(self, template: str, ctx: Mapping[str, Any]) -> Rendered:
        """Render ``template`` with ``ctx``; BadInput for an unknown or broken template."""
        if template not in TEMPLATES:
            known = ", ".join(TEMPLATES)
            raise BadInput(
                f"未知的通知模板 {template!r}", f"unknown template {template!r}; one of {known}"
            )
        try:
            tmpl = self.env.get_template(f"{template}.j2")
            body = tmpl.render(ctx)
            if "subject" not in tmpl.blocks:
                raise BadInput(
                    f"模板 {template} 缺少 subject 块", f"template {template} has no subject block"
                )
            subject = "".join(tmpl.blocks["subject"](tmpl.new_context(dict(ctx))))
        except jinja2.TemplateError as e:
            raise BadInput(
                f"模板 {template} 有误：{e}", f"template {template} failed to render: {e}"
            ) from None
        return Rendered(" ".join(subject.split()), body.strip() + "\n")
