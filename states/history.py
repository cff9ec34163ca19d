"""The append-only history and its hash chain.

Each row's hash covers the row's content and the previous row's hash, and the item keeps
the newest hash and sequence number, so that an edited, inserted or deleted row anywhere
in an item's history breaks the chain where it happened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SYSTEM_ACTOR = "system"
MASK = "***"
PERSONAL_KEYS = frozenset({"complainant", "complainant_name", "complainant_phone"})


def public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without personal data: what may be written to history, logs and notices."""
    return {k: (MASK if k in PERSONAL_KEYS and v is not None else v) for k, v in data.items()}


# Built once: json.dumps with options would build a new encoder on every call.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical(value: Any) -> str:
    """The one JSON text of a value that the hash is taken over."""
    return _CANONICAL.encode(value)


def row_hash(
    *,
    item_id: int,
    seq: int,
    event: str,
    actor: str,
    role: str,
    at: datetime,
    from_state: str | None,
    to_state: str,
    data: Mapping[str, Any] | None,
    idem_key: str | None,
    prev_hash: str,
) -> str:
    """The SHA-256 of one history row, chained to the previous row's hash."""
    body = [
        item_id,
        seq,
        event,
        actor,
        role,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        from_state,
        to_state,
        data,
        idem_key,
        prev_hash,
    ]
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def new_row(
    *,
    item_id: int,
    seq: int,
    event: str,
    actor: str,
    role: str,
    at: datetime,
    from_state: str | None,
    to_state: str,
    data: Mapping[str, Any] | None,
    idem_key: str | None,
    prev_hash: str,
) -> dict[str, Any]:
    """A history row, hashed; ``data`` must already be free of personal data."""
    # Microseconds are what both databases keep; the hash must see what is stored.
    at = at.astimezone(UTC)
    fields: dict[str, Any] = dict(
        item_id=item_id,
        seq=seq,
        event=event,
        actor=actor,
        role=role,
        at=at,
        from_state=from_state,
        to_state=to_state,
        data=dict(data) if data is not None else None,
        idem_key=idem_key,
        prev_hash=prev_hash,
    )
    fields["hash"] = row_hash(**fields)
    return fields


def system_row(
    *,
    item_id: int,
    seq: int,
    event: str,
    state: str,
    at: datetime,
    data: Mapping[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """A history row the system writes about an item without moving it (an escalation, a
    recomputed due date)."""
    return new_row(
        item_id=item_id,
        seq=seq,
        event=event,
        actor=SYSTEM_ACTOR,
        role="system",
        at=at,
        from_state=state,
        to_state=state,
        data=data,
        idem_key=None,
        prev_hash=prev_hash,
    )
