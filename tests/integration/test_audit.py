"""The tamper-evident history (ARCHITECTURE.md, ``rectiflow audit verify``): every edit,
deletion or insertion made behind the rules' back is found and named by item and row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, insert, select, update

from models.engine import make_engine
from models.tables import History, Item, table
from states.audit import Breach, verify
from states.editing import update_item
from states.history import new_row
from states.service import Fired, fire
from tests.conftest import AT
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data

HISTORY, ITEM = table(History), table(Item)
REF = "D2100001"
T = AT + timedelta(days=20, microseconds=123_456)  # 2024-09-22: microseconds survive storage


@pytest.fixture
def items(engine: Engine) -> Engine:
    """D2100001 with six history rows (register … accept), and an untouched D2100002."""
    add(engine, case_data(REF), at=AT)
    add(engine, case_data("D2100002"), at=AT)
    fire(engine, REF, "acknowledge", actor="李四", role="operator", at=T)
    update_item(engine, REF, actor="李四", role="operator", at=T, data=RESOLVED_CASE)
    fire(engine, REF, "request_acceptance", actor="李四", role="operator", at=T)
    opinion = acceptance(accepted_on="2024-09-22")
    fire(engine, REF, "accept", actor="王五", role="acceptance_group", at=T, data=opinion)
    fire(engine, REF, "request_review", actor="督改办", role="coordinator", at=T)
    return engine


def rows_of(engine: Engine, ref: str = REF) -> list[Any]:
    with engine.connect() as conn:
        item_id = conn.execute(select(ITEM.c.id).where(ITEM.c.ref == ref)).scalar_one()
        return list(
            conn.execute(
                select(HISTORY).where(HISTORY.c.item_id == item_id).order_by(HISTORY.c.seq)
            ).mappings()
        )


def tamper(engine: Engine, statement: Any) -> None:
    with engine.begin() as conn:
        conn.execute(statement)


def codes(breaches: list[Breach]) -> set[str]:
    return {b.code for b in breaches}


def only(breaches: list[Breach], code: str) -> Breach:
    found = [b for b in breaches if b.code == code]
    assert len(found) == 1, breaches
    return found[0]


def assert_names_the_row(b: Breach, seq: int, history_id: int | None) -> None:
    assert b.ref == REF
    assert REF in b.en and REF in b.zh
    assert f"seq {seq}" in b.en
    if history_id is not None:
        assert b.history_id == history_id
        assert f"#{history_id}" in b.en


def _append_forged_row(engine: Engine) -> None:
    last = rows_of(engine)[-1]
    forged = new_row(
        item_id=last["item_id"],
        seq=last["seq"] + 1,
        event="review",
        actor="复核组",
        role="review_group",
        at=T,
        from_state="accepted",
        to_state="reviewed",
        data={},
        idem_key=None,
        prev_hash=last["hash"],
    )
    tamper(engine, insert(HISTORY).values(**forged))


def _change_state(engine: Engine) -> None:
    tamper(engine, update(ITEM).where(ITEM.c.ref == REF).values(state="closed"))


def test_intact_history_verifies(items: Engine) -> None:
    report = verify(items)
    assert report.ok, report.breaches
    assert (report.items, report.rows) == (2, 7)
    assert [r["event"] for r in rows_of(items)] == [
        "register",
        "acknowledge",
        "update",
        "request_acceptance",
        "accept",
        "request_review",
    ]


def test_edited_row_data_is_found(items: Engine) -> None:
    row = rows_of(items)[2]  # the update with the findings
    forged = dict(row["data"]) | {"verdict": "不属实"}
    tamper(items, update(HISTORY).where(HISTORY.c.id == row["id"]).values(data=forged))
    report = verify(items)
    assert not report.ok
    b = only(report.breaches, "edited")
    assert (b.item_id, b.seq) == (row["item_id"], 3)
    assert_names_the_row(b, 3, row["id"])
    assert codes(report.breaches) == {"edited"}


def test_edited_actor_is_found(items: Engine) -> None:
    row = rows_of(items)[1]
    tamper(items, update(HISTORY).where(HISTORY.c.id == row["id"]).values(actor="别人"))
    assert codes(verify(items).breaches) == {"edited"}


def test_deleted_middle_row_is_found(items: Engine) -> None:
    rows = rows_of(items)
    tamper(items, delete(HISTORY).where(HISTORY.c.id == rows[2]["id"]))
    report = verify(items)
    gap = only(report.breaches, "gap")
    # Named at the row after the hole, and the missing number said out loud.
    assert gap.seq == 4 and gap.history_id == rows[3]["id"]
    assert "seq 3 missing" in gap.en
    assert REF in gap.zh and "第3条" in gap.zh
    assert "chain_broken" in codes(report.breaches)
    assert {b.ref for b in report.breaches} == {REF}


def test_deleted_newest_row_is_found(items: Engine) -> None:
    rows = rows_of(items)
    tamper(items, delete(HISTORY).where(HISTORY.c.id == rows[-1]["id"]))
    report = verify(items)
    b = only(report.breaches, "tail_deleted")
    assert b.ref == REF and REF in b.en
    assert "after seq 5" in b.en and "expects 6" in b.en


def test_forged_row_appended_at_the_end_is_found(items: Engine) -> None:
    # A careful forger: correct seq, prev_hash and hash; only the item was left alone.
    _append_forged_row(items)
    report = verify(items)
    b = only(report.breaches, "head_mismatch")
    assert (b.ref, b.seq, b.history_id) == (REF, 7, rows_of(items)[-1]["id"])
    assert REF in b.en and REF in b.zh
    assert "state_mismatch" in codes(report.breaches)


def test_forged_row_reusing_a_prev_hash_is_found(items: Engine) -> None:
    rows = rows_of(items)
    last = rows[-1]
    # A replacement for the newest row, hung on the same predecessor, the item updated too.
    forged = new_row(
        item_id=last["item_id"],
        seq=last["seq"] + 1,
        event="request_review",
        actor="伪造者",
        role="coordinator",
        at=T,
        from_state="accepted",
        to_state="accepted",
        data={"note": "forged"},
        idem_key=None,
        prev_hash=last["prev_hash"],
    )
    tamper(items, insert(HISTORY).values(**forged))
    item = ITEM.c
    tamper(
        items,
        update(ITEM)
        .where(item.id == last["item_id"])
        .values(history_seq=forged["seq"], history_head=forged["hash"]),
    )
    report = verify(items)
    b = only(report.breaches, "chain_broken")
    assert_names_the_row(b, 7, rows_of(items)[-1]["id"])
    assert codes(report.breaches) == {"chain_broken"}


def test_state_changed_behind_the_rules_back_is_found(items: Engine) -> None:
    tamper(items, update(ITEM).where(ITEM.c.ref == REF).values(state="closed"))
    report = verify(items)
    b = only(report.breaches, "state_mismatch")
    assert b.ref == REF and "closed" in b.en and "accepted" in b.en
    assert (b.seq, b.history_id) == (6, rows_of(items)[-1]["id"])
    assert codes(report.breaches) == {"state_mismatch"}


@pytest.mark.parametrize(
    ("code", "forge"),
    [("head_mismatch", _append_forged_row), ("state_mismatch", _change_state)],
    ids=["head_mismatch", "state_mismatch"],
)
def test_every_breach_message_names_the_row(items: Engine, code: str, forge: Any) -> None:
    forge(items)
    b = only(verify(items).breaches, code)
    assert b.seq is not None and b.history_id is not None
    assert_names_the_row(b, b.seq, b.history_id)
    assert f"第{b.seq}条" in b.zh or f"#{b.history_id}" in b.zh


def test_events_committed_during_verify_are_not_breaches(items: Engine, db_url: str) -> None:
    other = make_engine(db_url)
    fired: list[Fired] = []

    def someone_works(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        # Deterministically, the window a real deployment leaves open while verify runs.
        if not fired and "FROM history" in statement:
            opinion = {"signoffs": SIGNOFFS}
            fired.append(
                fire(other, REF, "review", actor="复核组", role="review_group", at=T, data=opinion)
            )

    event.listen(items, "after_cursor_execute", someone_works)
    try:
        report = verify(items)
    finally:
        event.remove(items, "after_cursor_execute", someone_works)
        other.dispose()
    assert fired and fired[0].to_state == "reviewed"
    assert verify(items).ok
    assert report.ok, report.breaches


# --- the command line ----------------------------------------------------------------------


def run_verify(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFLOW_")}
    env["RECTIFLOW_DATABASE_URL"] = db_url
    env["PYTHONIOENCODING"] = "utf-8"
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "rectiflow", "audit", "verify", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.mark.slow
def test_cli_exits_0_when_intact_and_1_naming_the_breach(
    items: Engine, db_url: str, tmp_path: Path
) -> None:
    ok = run_verify(db_url, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "2 items, 7 history rows, 0 breach(es)" in ok.stdout
    row = rows_of(items)[3]
    tamper(items, update(HISTORY).where(HISTORY.c.id == row["id"]).values(role="coordinator"))
    bad = run_verify(db_url, tmp_path)
    assert bad.returncode == 1
    assert "BREACH edited" in bad.stderr
    assert f"history row #{row['id']} (item {REF}, seq 4)" in bad.stderr
    assert "1 breach(es)" in bad.stdout
    as_json = run_verify(db_url, tmp_path, "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert [(b["code"], b["ref"], b["seq"], b["history_id"]) for b in report["breaches"]] == [
        ("edited", REF, 4, row["id"])
    ]
