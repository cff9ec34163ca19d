"""Payload validation that every event and command shares."""

from __future__ import annotations

from typing import Any

import pytest

from states.errors import BadInput
from states.registry import parse_new
from tests.support import case_data


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", "油烟\x00直排"),
        ("other_units", ["市城管局", "市\x00住建局"]),
        ("complainant", {"name": "张\x00三", "phone": "13800001111"}),
    ],
)
def test_nul_is_refused_in_every_text_and_the_field_is_named(field: str, value: Any) -> None:
    with pytest.raises(BadInput) as err:
        parse_new("case", case_data(**{field: value}))
    assert field in err.value.en and "NUL" in err.value.en
    assert "张" not in err.value.en  # the complainant's data is not echoed back


def test_text_without_nul_passes_unchanged() -> None:
    new = parse_new("case", case_data(other_units=["市城管局", "市住建局"]))
    assert new.other_units == ["市城管局", "市住建局"]
