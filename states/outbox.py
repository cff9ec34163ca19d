"""Outbox rows: notifications written in the same transaction as their cause.

Who an audience is (an address, a channel) is decided at delivery; here a row only
names the template, the audience and the unit, and carries the item's public facts.
A unique ``dedupe_key`` makes each notification exist once, however often its cause
is retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from models.tables import Clock, table
from states.calendar import to_local_iso

CLOCK = table(Clock)

# Event → (template, audiences) for the steps that hand work to someone else.
EVENT_NOTICES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "request_acceptance": ("acceptance_requested", ("acceptance_group",)),
    "request_review": ("review_requested", ("review_group",)),
    "publish": ("notice_published", ("coordinator",)),
    "record_objection": ("objection_received", ("coordinator", "lead_unit")),
}

# Escalation level → audiences (SPEC §7).
ESCALATION_AUDIENCES: Mapping[str, tuple[str, ...]] = {
    "warning": ("person_in_charge",),
    "supervision_letter": ("lead_unit", "supervising_unit"),
    "interview": ("unit_head",),
    "referral": ("discipline",),
}


def item_facts(item: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of an item a notification may carry: never personal data."""
    return {
        "item_id": item["id"],
        "kind": item["kind"],
        "ref": item["ref"],
        "summary": item["summary"],
        "address": item["address"],
        "district_id": item["district_id"],
        "lead_unit_id": item["lead_unit_id"],
        "supervising_unit_id": item["supervising_unit_id"],
        "state": item["state"],
        "notice_start": _day(item.get("notice_start")),
        "notice_end": _day(item.get("notice_end")),
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def clock_facts(conn: Connection, item_id: int, at: datetime) -> dict[str, Any]:
    """The clock running on an item at ``at`` (kind, due time, days overdue), or nothing.

    Called inside the transaction that writes the notification, after the clocks were
    switched, so a notice says by when the work it hands over is due.
    """
    row = conn.execute(
        select(CLOCK.c.kind, CLOCK.c.due_at, CLOCK.c.provisional)
        .where(CLOCK.c.item_id == item_id, CLOCK.c.stopped_at.is_(None))
        .order_by(CLOCK.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return {}
    due_at: datetime = row.due_at
    return {
        "clock": row.kind,
        "due_at": to_local_iso(due_at),
        "days_overdue": max(0, (at - due_at).days),
        "provisional": bool(row.provisional),
    }


def rows(
    *,
    item: Mapping[str, Any],
    template: str,
    audiences: Iterable[str],
    cause: str,
    at: datetime,
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One outbox row per audience; ``cause`` identifies what caused it, once."""
    facts = item_facts(item) | dict(extra or {})
    out = []
    for audience in audiences:
        unit = (
            item["supervising_unit_id"] if audience == "supervising_unit" else item["lead_unit_id"]
        )
        out.append(
            {
                "item_id": item["id"],
                "template": template,
                "audience": audience,
                "unit_id": unit,
                "dedupe_key": f"{cause}:{template}:{audience}",
                "payload": facts,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
        )
    return out
