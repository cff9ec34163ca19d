"""``paused_gc``: the collector is off inside, and left as it was found afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from models.bulk import paused_gc


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_restarted_after_even_on_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), paused_gc():
        assert not gc.isenabled()
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused() -> None:
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_as_a_decorator_each_call_pauses_and_restarts() -> None:
    @paused_gc()
    def inside() -> bool:
        return gc.isenabled()

    gc.enable()
    assert [inside(), gc.isenabled(), inside(), gc.isenabled()] == [False, True, False, True]
