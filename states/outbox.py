"""Outbox rows: notifications written in the same transaction as their cause.

Who an audience is (an address, a channel) is decided at delivery; here a row only
names the template, the audience and the unit, and carries the item's public facts.
A unique ``dedupe_key`` makes each notification exist once, however often its cause
is retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

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
