"""Two writers on one item: exactly one wins, the other is told so, nothing is lost.

The races run the real command line in separate processes held at a start line
(``tests/integration/cli.py``), on SQLite and PostgreSQL. Whatever the interleaving, the
outcome asserted is the same, so the tests are deterministic; the in-process tests below
force the one interleaving that matters (the other writer commits between the check and
the write) to show that path is taken and safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

import states.editing as editing
import states.service as service
from models.engine import make_engine
from models.tables import District, History, Item, Unit, table
from states.audit import verify
from states.editing import update_item
from states.errors import BadInput, Conflict, Refused
from states.service import Fired, fire
from tests.conftest import AT
from tests.integration.cli import Result, race, write_json
from tests.support import RESOLVED_CASE, add, case_data

ITEM, HISTORY = table(Item), table(History)
WHEN = "2024-09-02T10:00:00+08:00"
LATER = AT + timedelta(hours=2)
CONFLICT = ("conflict", "已被他人修改")


def _item(engine: Engine, item_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(ITEM).where(ITEM.c.id == item_id)).mappings().one()
        rows = conn.execute(
            select(func.count()).select_from(HISTORY).where(HISTORY.c.item_id == item_id)
        ).scalar_one()
    return {"version": row["version"], "state": row["state"], "history": rows}


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table(model))).scalar_one())


def _last_actor(engine: Engine, item_id: int) -> str:
    with engine.connect() as conn:
        q = (
            select(HISTORY.c.actor)
            .where(HISTORY.c.item_id == item_id)
            .order_by(HISTORY.c.seq.desc())
            .limit(1)
        )
        return str(conn.execute(q).scalar_one())


def _in_work(engine: Engine, ref: str) -> int:
    """A case acknowledged and with its findings recorded: ready for request_acceptance."""
    item_id = add(engine, case_data(ref), at=AT)
    fire(engine, ref, "acknowledge", actor="经办人", role="operator", at=AT)
    update_item(engine, ref, actor="经办人", role="operator", at=AT, data=RESOLVED_CASE)
    return item_id


def _acknowledge(engine: Engine, ref: str, actor: str, key: str | None = None) -> Fired:
    return fire(
        engine, ref, "acknowledge", actor=actor, role="operator", at=AT, idempotency_key=key
    )


def _fire_args(ref: str, event_: str, actor: str, role: str, *extra: str) -> list[str]:
    return ["case", "fire", ref, event_, "--actor", actor, "--role", role, "--at", WHEN, *extra]


def _says_conflict(r: Result) -> bool:
    return all(word in r.err for word in CONFLICT)


def _assert_chain_intact(engine: Engine) -> None:
    report = verify(engine)
    assert report.ok, report.breaches


def test_same_version_race_has_one_winner_and_one_conflict(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    for n in range(5):
        ref = f"R{n}"
        item_id = add(engine, case_data(ref), at=AT)
        before = _item(engine, item_id)
        seen = str(before["version"])
        a, b = race(
            db_url,
            tmp_path,
            [
                _fire_args(ref, "acknowledge", "经办人甲", "operator", "--if-version", seen),
                _fire_args(ref, "acknowledge", "经办人乙", "operator", "--if-version", seen),
            ],
        )
        assert sorted([a.code, b.code]) == [0, 3], (n, a, b)
        winner, loser = (a, b) if a.code == 0 else (b, a)
        assert _says_conflict(loser) and ref in loser.err and "acknowledge" in loser.err, loser
        after = _item(engine, item_id)
        assert after == {
            "version": before["version"] + 1,
            "state": "investigating",
            "history": before["history"] + 1,
        }
        assert _last_actor(engine, item_id) == ("经办人甲" if winner is a else "经办人乙")
    _assert_chain_intact(engine)


@pytest.mark.parametrize(
    "contest",
    [
        pytest.param("acknowledge_twice", id="acknowledge-by-two-operators"),
        pytest.param("request_acceptance_or_merge", id="request-acceptance-vs-merge-duplicate"),
    ],
)
def test_two_events_from_one_state_apply_once_without_if_version(
    engine: Engine, db_url: str, tmp_path: Path, contest: str
) -> None:
    merge = ["--data-file", write_json(tmp_path / "m.json", {"original": "ORIG"}).name]
    if contest == "request_acceptance_or_merge":
        add(engine, case_data("ORIG"), at=AT)
    for n in range(2):
        ref = f"E{n}"
        if contest == "acknowledge_twice":
            item_id = add(engine, case_data(ref), at=AT)
            commands = [
                _fire_args(ref, "acknowledge", "经办人甲", "operator"),
                _fire_args(ref, "acknowledge", "经办人乙", "operator"),
            ]
            outcomes = {"investigating"}
        else:
            item_id = _in_work(engine, ref)
            commands = [
                _fire_args(ref, "request_acceptance", "经办人", "operator"),
                _fire_args(ref, "merge_duplicate", "协调组", "coordinator", *merge),
            ]
            outcomes = {"rectified", "closed"}
        before = _item(engine, item_id)
        a, b = race(db_url, tmp_path, commands)
        assert sorted([a.code, b.code]) == [0, 3], (n, a, b)
        loser = b if a.code == 0 else a
        assert _says_conflict(loser) or "refuses" in loser.err, loser.err
        after = _item(engine, item_id)
        # No lost update: one event applied, one history row, one version step.
        assert after["version"] == before["version"] + 1
        assert after["history"] == before["history"] + 1
        assert after["state"] in outcomes
    _assert_chain_intact(engine)


def test_same_idempotency_key_race_fires_once(engine: Engine, db_url: str, tmp_path: Path) -> None:
    for n in range(3):
        ref = f"K{n}"
        item_id = add(engine, case_data(ref), at=AT)
        before = _item(engine, item_id)
        command = _fire_args(ref, "acknowledge", "经办人", "operator", "--key", f"k-{n}", "--json")
        results = race(db_url, tmp_path, [command, command])
        codes = sorted(r.code for r in results)
        assert codes in ([0, 0], [0, 3]), results
        applied = [r.json() for r in results if r.code == 0]
        assert [d["replayed"] for d in applied].count(False) == 1, applied
        for r in results:
            if r.code == 3:
                assert _says_conflict(r), r.err
        after = _item(engine, item_id)
        assert after["history"] == before["history"] + 1
        assert after["version"] == before["version"] + 1
    _assert_chain_intact(engine)


def _threads(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``n`` threads released together; each result or the error raised."""
    start = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # the test sorts out what was raised
            results[i] = e

    workers = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return results


@pytest.mark.parametrize("if_version", [True, False], ids=["with-if-version", "without"])
def test_eight_threads_fire_once(engine: Engine, if_version: bool) -> None:
    for n in range(3):
        ref = f"T{n}"
        item_id = add(engine, case_data(ref), at=AT)
        before = _item(engine, item_id)
        seen = before["version"] if if_version else None
        results = _threads(
            8,
            lambda i, ref=ref, seen=seen: fire(
                engine,
                ref,
                "acknowledge",
                actor=f"经办人{i}",
                role="operator",
                at=LATER,
                expected_version=seen,
            ),
        )
        fired = [r for r in results if isinstance(r, Fired)]
        lost = [r for r in results if not isinstance(r, Fired)]
        assert len(fired) == 1, results
        allowed = (Conflict,) if if_version else (Conflict, Refused)
        assert all(isinstance(r, allowed) for r in lost), lost
        assert len(lost) == 7
        after = _item(engine, item_id)
        assert after["version"] == before["version"] + 1 == fired[0].version
        assert after["history"] == before["history"] + 1
    _assert_chain_intact(engine)


@pytest.fixture
def meanwhile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``meanwhile(module, name, act)``: the first call of ``module.name`` runs ``act`` first,
    so that another writer commits while the caller is between its check and its write."""

    def arrange(module: Any, name: str, act: Callable[[], object]) -> None:
        original = getattr(module, name)
        done: list[object] = []

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if not done:
                done.append(True)  # before acting: the other writer calls this too
                act()
            return result

        monkeypatch.setattr(module, name, wrapped)

    yield arrange


def test_fire_checked_then_overtaken_is_a_conflict_and_writes_nothing(
    engine: Engine, meanwhile: Callable[..., None]
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip(
            "SQLite: fire holds the write lock from its read to its write, so no one can "
            "commit in between; the other writer waits its turn"
        )
    item_id = add(engine, case_data("M1"), at=AT)
    meanwhile(service, "check", lambda: _acknowledge(engine, "M1", "经办人甲"))
    with pytest.raises(Conflict) as caught:
        fire(engine, "M1", "acknowledge", actor="经办人乙", role="operator", at=LATER)
    assert "已被他人修改" in caught.value.zh and "conflict" in caught.value.en
    assert _item(engine, item_id) == {"version": 2, "state": "investigating", "history": 2}
    assert _last_actor(engine, item_id) == "经办人甲"


def test_update_checked_then_overtaken_is_a_conflict_and_writes_nothing(
    engine: Engine, meanwhile: Callable[..., None]
) -> None:
    item_id = add(engine, case_data("M2"), at=AT)
    units = _count(engine, Unit)
    meanwhile(editing, "editable", lambda: _acknowledge(engine, "M2", "经办人甲"))
    with pytest.raises(Conflict):
        update_item(
            engine,
            "M2",
            actor="经办人乙",
            role="operator",
            at=LATER,
            data={"summary": "改过的摘要", "lead_unit": "新的牵头单位"},
        )
    assert _item(engine, item_id) == {"version": 2, "state": "investigating", "history": 2}
    assert _count(engine, Unit) == units  # the unit named by the lost edit was rolled back


def test_key_replay_after_losing_the_race_reports_the_current_version(
    engine: Engine, meanwhile: Callable[..., None]
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip(
            "SQLite: fire holds the write lock from its read to its write, so no one can "
            "commit in between; the other writer waits its turn"
        )
    add(engine, case_data("M3"), at=AT)
    first: list[Fired] = []
    meanwhile(service, "check", lambda: first.append(_acknowledge(engine, "M3", "经办人", "k")))
    again = _acknowledge(engine, "M3", "经办人", "k")
    assert again.replayed and not first[0].replayed
    assert again.seq == first[0].seq
    assert again.version == first[0].version == 2


@pytest.mark.parametrize(
    "clash",
    [
        pytest.param("item", id="same-intake-number"),
        pytest.param("district", id="same-new-district"),
    ],
)
def test_registration_overtaken_between_check_and_insert(
    request: pytest.FixtureRequest, engine: Engine, db_url: str, clash: str
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite registers under one write lock (BEGIN IMMEDIATE): no interleaving")
    add(engine, case_data("D0"), at=AT)  # the round and units exist; the new district does not
    if clash == "item":
        mine, theirs = case_data("N1"), case_data("N1")
    else:
        mine, theirs = case_data("N1", district="新区"), case_data("N2", district="新区")
    other = make_engine(db_url)
    done: list[int] = []

    def overtake(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not done and statement.lstrip().upper().startswith(f"INSERT INTO {clash.upper()} "):
            done.append(add(other, theirs, at=AT))

    event.listen(engine, "before_cursor_execute", overtake)
    try:
        if clash == "item":
            with pytest.raises(BadInput, match="already registered"):
                add(engine, mine, at=AT)
        else:
            add(engine, mine, at=AT)
            assert _count(engine, District) == 2
    finally:
        event.remove(engine, "before_cursor_execute", overtake)
        other.dispose()
    assert done, "the other registration did not run"
