"""The history hash: one canonical JSON text per row, however it is put together."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from models.bulk import JsonText
from states.history import canonical, new_row, row_hash

SHANGHAI = timezone(timedelta(hours=8))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
rows = st.fixed_dictionaries(
    {
        "item_id": st.integers(1, 10**9),
        "seq": st.integers(1, 10**6),
        "event": st.sampled_from(["register", "acknowledge", "accept", "close"]),
        "actor": st.text(min_size=1),
        "role": st.sampled_from(["operator", "coordinator", "system"]),
        "at": st.datetimes(
            min_value=datetime(2004, 1, 1),
            max_value=datetime(2030, 1, 1),
            timezones=st.just(SHANGHAI),
        ),
        "from_state": st.none() | st.sampled_from(["assigned", "investigating"]),
        "to_state": st.sampled_from(["assigned", "investigating", "closed"]),
        "data": st.none() | st.dictionaries(st.text(), json_values, max_size=6),
        "idem_key": st.none() | st.text(),
        "prev_hash": st.text(alphabet="0123456789abcdef", max_size=64),
    }
)


def whole_body_hash(row: dict[str, Any]) -> str:
    """The definition: SHA-256 over the canonical JSON of the row as one list."""
    body = [
        row["item_id"],
        row["seq"],
        row["event"],
        row["actor"],
        row["role"],
        row["at"].astimezone(UTC).isoformat(timespec="microseconds"),
        row["from_state"],
        row["to_state"],
        row["data"],
        row["idem_key"],
        row["prev_hash"],
    ]
    return hashlib.sha256(canonical(body).encode()).hexdigest()


@given(rows)
def test_the_hash_is_that_of_the_whole_row_as_one_canonical_text(row: dict[str, Any]) -> None:
    expected = whole_body_hash(row)
    assert row_hash(**row) == expected
    assert new_row(**row)["hash"] == expected
    assert new_row(**row, encoded=True)["hash"] == expected


@given(rows)
def test_an_encoded_row_carries_its_data_as_that_text(row: dict[str, Any]) -> None:
    data = new_row(**row, encoded=True)["data"]
    if row["data"] is None:
        assert data is None
    else:
        assert type(data) is JsonText and json.loads(data) == row["data"]
        assert data == canonical(row["data"])
