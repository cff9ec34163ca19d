"""What the outbox holds and what became of it: list, retry, preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from models.engine import reading, writing
from models.tables import DeliveryAttempt, Item, Notification, NotificationDelivery, table
from notifications.dispatcher import load_names
from notifications.routing import Routing
from notifications.templates import TEMPLATES, Rendered, Templates, context
from states import outbox
from states.errors import BadInput
from states.items import resolve

NOTE, DELIVERY, ATTEMPT = table(Notification), table(NotificationDelivery), table(DeliveryAttempt)
ITEM = table(Item)
STATUSES = ("pending", "sent", "dead")


def list_notifications(
    engine: Engine, status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """One row per delivery (a notification not routed yet: one row without a recipient),
    newest first; ``status`` filters on the delivery's status, else the notification's."""
    if status is not None and status not in STATUSES:
        raise BadInput(
            f"状态应为 {' | '.join(STATUSES)}：{status!r}",
            f"status must be one of {', '.join(STATUSES)}, not {status!r}",
        )
    effective = DELIVERY.c.status.label("d_status")
    query = (
        select(
            NOTE.c.id,
            ITEM.c.ref,
            NOTE.c.template,
            NOTE.c.audience,
            NOTE.c.status,
            NOTE.c.attempts,
            NOTE.c.last_error,
            NOTE.c.created_at,
            DELIVERY.c.id.label("delivery_id"),
            DELIVERY.c.channel,
            DELIVERY.c.recipient,
            effective,
            DELIVERY.c.attempts.label("d_attempts"),
            DELIVERY.c.last_error.label("d_error"),
            DELIVERY.c.idem_key,
            DELIVERY.c.sent_at,
        )
        .join(ITEM, ITEM.c.id == NOTE.c.item_id)
        .outerjoin(DELIVERY, DELIVERY.c.notification_id == NOTE.c.id)
        .order_by(NOTE.c.id.desc(), DELIVERY.c.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(
            (DELIVERY.c.status == status) | (DELIVERY.c.id.is_(None) & (NOTE.c.status == status))
        )
    with reading(engine) as conn:
        rows = list(conn.execute(query))
    out = []
    for r in rows:
        routed = r.delivery_id is not None
        out.append(
            {
                "id": r.id,
                "ref": r.ref,
                "template": r.template,
                "audience": r.audience,
                "channel": r.channel if routed else None,
                "recipient": r.recipient if routed else None,
                "status": r.d_status if routed else r.status,
                "attempts": r.d_attempts if routed else r.attempts,
                "last_error": r.d_error if routed else r.last_error,
                "idempotency_key": r.idem_key,
                "sent_at": r.sent_at.isoformat() if routed and r.sent_at else None,
            }
        )
    return out


def attempts_of(engine: Engine, notification_id: int) -> list[dict[str, Any]]:
    """Every attempt at every delivery of a notification, oldest first."""
    with reading(engine) as conn:
        rows = conn.execute(
            select(ATTEMPT, DELIVERY.c.recipient)
            .join(DELIVERY, DELIVERY.c.id == ATTEMPT.c.delivery_id)
            .where(DELIVERY.c.notification_id == notification_id)
            .order_by(ATTEMPT.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def retry(engine: Engine, ids: list[int], now: datetime) -> list[int]:
    """Give dead notifications (or dead deliveries of them) a fresh set of attempts now.

    BadInput naming every id that does not exist or is not dead; nothing changes then.
    """
    with writing(engine) as conn:
        query = select(NOTE.c.id, NOTE.c.status).where(NOTE.c.id.in_(ids))
        found: dict[int, str] = {r.id: r.status for r in conn.execute(query)}
        problems = [f"#{i}: 不存在 / no such notification" for i in ids if i not in found]
        problems += [
            f"#{i}: 状态为 {found[i]}，不是 dead / is {found[i]}, not dead"
            for i in ids
            if i in found and found[i] != "dead"
        ]
        if problems:
            raise BadInput("无法重试", "cannot retry", problems)
        conn.execute(
            update(DELIVERY)
            .where(DELIVERY.c.notification_id.in_(ids), DELIVERY.c.status == "dead")
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=now,
                claimed_until=None,
                last_error=None,
            )
        )
        # A notification nobody was configured for is routed again from the current file.
        conn.execute(
            update(NOTE)
            .where(NOTE.c.id.in_(ids))
            .values(status="pending", next_attempt_at=now, last_error=None)
        )
    return ids


def preview(
    engine: Engine,
    template: str,
    ref: str,
    now: datetime,
    templates: Templates,
    routing: Routing | None = None,
    audience: str | None = None,
) -> dict[str, Any]:
    """Render ``template`` for item ``ref`` as it stands at ``now``, without sending."""
    if template not in TEMPLATES:
        known = ", ".join(TEMPLATES)
        raise BadInput(f"未知的通知模板 {template!r}", f"unknown template {template!r}; {known}")
    with reading(engine) as conn:
        item = resolve(conn, ref)
        facts = outbox.item_facts(dict(item)) | outbox.clock_facts(conn, item["id"], now)
        facts |= {"level": template, "month": now.strftime("%Y-%m")}
        names, chains = load_names(conn)
    who = audience or _audience_of(template)
    rendered: Rendered = templates.render(
        template, context(facts, names, audience=who, idem_key="rectiflow-preview")
    )
    unit = item["supervising_unit_id"] if who == "supervising_unit" else item["lead_unit_id"]
    recipients = [r.label for r in routing.recipients(chains.get(unit, []), who)] if routing else []
    return {
        "template": template,
        "ref": item["ref"],
        "audience": who,
        "recipients": recipients,
        "subject": rendered.subject,
        "body": rendered.body,
    }


def _audience_of(template: str) -> str:
    if template in outbox.ESCALATION_AUDIENCES:
        return outbox.ESCALATION_AUDIENCES[template][0]
    for name, audiences in outbox.EVENT_NOTICES.values():
        if name == template:
            return audiences[0]
    return "lead_unit"
