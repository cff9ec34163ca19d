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

from models.bulk import JsonText

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
    head = [item_id, seq, event, actor, role, _instant(at), from_state, to_state]
    return _hash(head, canonical(data), [idem_key, prev_hash])


def _instant(at: datetime) -> str:
    """The row's time as the hash sees it: UTC, to the microsecond."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _hash(head: list[Any], data_text: str, tail: list[Any]) -> str:
    """The hash over ``canonical([*head, data, *tail])``, given the data's own canonical
    text: a list's text is its members' texts joined by commas, so it is built from them."""
    text = f"{canonical(head)[:-1]},{data_text},{canonical(tail)[1:]}"
    return hashlib.sha256(text.encode()).hexdigest()


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
    encoded: bool = False,
) -> dict[str, Any]:
    """A history row, hashed; ``data`` must already be free of personal data.

    ``encoded``: the row's ``data`` is its canonical JSON text, as a ``JsonText`` that
    ``models.bulk.insert_rows`` sends unchanged (registration's bulk path).
    """
    # Microseconds are what both databases keep; the hash must see what is stored.
    at = at.astimezone(UTC)
    value = dict(data) if data is not None else None
    data_text = canonical(value)
    head = [item_id, seq, event, actor, role, _instant(at), from_state, to_state]
    return {
        "item_id": item_id,
        "seq": seq,
        "event": event,
        "actor": actor,
        "role": role,
        "at": at,
        "from_state": from_state,
        "to_state": to_state,
        "data": JsonText(data_text) if encoded and value is not None else value,
        "idem_key": idem_key,
        "prev_hash": prev_hash,
        "hash": _hash(head, data_text, [idem_key, prev_hash]),
    }


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
