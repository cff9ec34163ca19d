"""Notifications (通知): routing, zh-CN templates, channels and the outbox dispatcher.

Rows are written to the outbox by ``states`` in the transaction that causes them; this
package only reads them, works out who receives each, and delivers it once per
recipient.
"""

from __future__ import annotations

from notifications.dispatcher import Dispatcher, DispatchResult, Policy, idempotency_key
from notifications.ledger import attempts_of, list_notifications, preview, retry
from notifications.routing import AUDIENCES, CHANNELS, Recipient, Routing, load
from notifications.templates import TEMPLATES, Rendered, Templates
from notifications.transports import (
    IDEMPOTENCY_HEADER,
    AppriseTransport,
    DeliveryFailed,
    MemoryTransport,
    Message,
    SmtpTransport,
    Transport,
    default_transports,
    message_id,
)

__all__ = [
    "AUDIENCES",
    "CHANNELS",
    "IDEMPOTENCY_HEADER",
    "TEMPLATES",
    "AppriseTransport",
    "DeliveryFailed",
    "DispatchResult",
    "Dispatcher",
    "MemoryTransport",
    "Message",
    "Policy",
    "Recipient",
    "Rendered",
    "Routing",
    "SmtpTransport",
    "Templates",
    "Transport",
    "attempts_of",
    "default_transports",
    "idempotency_key",
    "list_notifications",
    "load",
    "message_id",
    "preview",
    "retry",
]
