"""Prefect events about items, so that the UI's event feed shows an item's life.

Everything here runs after the database has committed, and is best effort: a failure
to emit is logged and never reaches the caller, so it cannot block or undo a transition.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from prefect.events import emit_event

logger = logging.getLogger("rectiflow.feed")
# A sweep after long downtime may escalate thousands of clocks; the feed gets the first ones.
MAX_EVENTS_PER_CALL = 5000


def item_resource(ref: str, item_id: int | None = None) -> dict[str, str]:
    """The Prefect resource of one item: ``rectiflow.item.<ref>``."""
    resource = {"prefect.resource.id": f"rectiflow.item.{ref}", "prefect.resource.name": ref}
    if item_id is not None:
        resource["rectiflow.item-id"] = str(item_id)
    return resource


def related(labels: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The item's district (属地) and lead unit (牵头单位) as related resources."""
    out: list[dict[str, str]] = []
    if not labels:
        return out
    if labels.get("district"):
        name = str(labels["district"])
        out.append(
            {
                "prefect.resource.id": f"rectiflow.district.{name}",
                "prefect.resource.role": "district",
                "prefect.resource.name": name,
            }
        )
    if labels.get("lead_unit"):
        name = str(labels["lead_unit"])
        out.append(
            {
                "prefect.resource.id": f"rectiflow.unit.{name}",
                "prefect.resource.role": "lead-unit",
                "prefect.resource.name": name,
            }
        )
    return out


def emit_transition(fired: Mapping[str, Any], labels: Mapping[str, Any] | None) -> bool:
    """``rectiflow.item.<event>`` for one committed transition; False if it could not be sent."""
    return _emit(
        f"rectiflow.item.{fired['event']}",
        item_resource(str(fired["ref"]), fired.get("item_id")),
        related(labels),
        {
            "from_state": fired.get("from_state"),
            "to_state": fired.get("to_state"),
            "version": fired.get("version"),
            "actor": fired.get("actor"),
            "role": fired.get("role"),
        },
    )


def emit_sweep(
    escalations: Iterable[Mapping[str, Any]],
    closed: Iterable[str],
    labels: Mapping[str, Mapping[str, Any]],
) -> int:
    """``rectiflow.escalation.<level>`` per escalation and ``rectiflow.item.close`` per
    auto-close; how many were handed to Prefect."""
    sent = 0
    for n, esc in enumerate(escalations):
        if n >= MAX_EVENTS_PER_CALL:
            logger.warning("feed: only the first %d escalations were emitted", n)
            break
        ref = str(esc["ref"])
        payload = {"clock": esc.get("clock"), "level": esc.get("level")}
        resource = item_resource(ref)
        sent += _emit(
            f"rectiflow.escalation.{esc['level']}", resource, related(labels.get(ref)), payload
        )
    for ref in closed:
        payload = {"to_state": "closed", "actor": "system", "role": "system"}
        sent += _emit("rectiflow.item.close", item_resource(ref), related(labels.get(ref)), payload)
    return sent


def _emit(
    event: str, resource: dict[str, str], related_: list[dict[str, str]], payload: dict[str, Any]
) -> bool:
    try:
        return emit_event(event, resource=resource, related=related_, payload=payload) is not None
    except Exception:  # best effort by design: the transition has already committed
        logger.warning("could not emit Prefect event %s", event, exc_info=True)
        return False
