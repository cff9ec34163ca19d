"""The command line's refusals: the right exit code, a reason naming the problem, no write.

Each command runs the real ``rectiflow`` in a subprocess against a database holding one
case just assigned (D2100001) and one waiting for acceptance (D2100002); a dump of every
table's row count and every item's version must be the same before and after.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select, table

from states.editing import update_item
from states.service import fire
from tests.conftest import AT
from tests.integration.cli import run_cli, write_json
from tests.support import RESOLVED_CASE, add, case_data

ASSIGNED, RECTIFIED = "D2100001", "D2100002"
WHEN = "2024-09-02T10:00:00+08:00"
CJK = re.compile(r"[\u4e00-\u9fff]")


def db_state(engine: Engine) -> dict[str, Any]:
    """Row counts of every table, and every item's version, state and history head."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        counts = {
            name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in names
        }
        items = conn.exec_driver_sql(
            "SELECT id, version, state, history_seq, history_head FROM item ORDER BY id"
        ).all()
    return {"counts": counts, "items": [tuple(row) for row in items]}


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Path:
    """Two cases and the data files the commands below name; the directory they run in."""
    add(engine, case_data(ASSIGNED), at=AT)
    add(engine, case_data(RECTIFIED), at=AT)
    fire(engine, RECTIFIED, "acknowledge", actor="经办人", role="operator", at=AT)
    update_item(engine, RECTIFIED, actor="经办人", role="operator", at=AT, data=RESOLVED_CASE)
    fire(engine, RECTIFIED, "request_acceptance", actor="经办人", role="operator", at=AT)
    (tmp_path / "malformed.json").write_text('{\n  "note": }\n', encoding="utf-8")
    write_json(tmp_path / "array.json", [{"note": "一"}, {"note": "二"}])
    missing = case_data("D2100009")
    del missing["district"]
    write_json(tmp_path / "missing-field.json", missing)
    write_json(
        tmp_path / "wrong-types.json",
        case_data("D2100009", key_case="maybe", rectification_due="soon"),
    )
    write_json(tmp_path / "update-wrong-type.json", {"key_case": "maybe"})
    write_json(tmp_path / "extra-field.json", case_data("D2100009", colour="红"))
    write_json(tmp_path / "note-extra-field.json", {"note": "签收", "colour": "红"})
    write_json(tmp_path / "summary.json", {"summary": "验收前改摘要"})
    write_json(tmp_path / "duplicate.json", case_data(ASSIGNED))
    (tmp_path / "not-utf8.json").write_bytes(b'\xff\xfe{"note": "\xc7\xa9\xca\xd5"}')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    write_json(tmp_path / "huge-fine.json", {"penalties": [{"fine_yuan": 10**30}]})
    write_json(tmp_path / "nul.json", case_data("D2100009", summary="饭店油烟\u0000扰民"))
    return tmp_path


def _fire(ref: str, event: str, role: str = "operator", *extra: str) -> list[str]:
    return ["case", "fire", ref, event, "--actor", "经办人", "--role", role, "--at", WHEN, *extra]


def _update(ref: str, data_file: str, role: str = "operator") -> list[str]:
    return ["case", "update", ref, "--actor", "经办人", "--role", role, "--data-file", data_file]


# id, command, exit code, words stderr must hold (case-insensitive), bilingual reason
ERRORS: list[tuple[str, list[str], int, list[str], bool]] = [
    ("unknown-ref-show", ["case", "show", "D9999999"], 2, ["D9999999", "no case"], True),
    ("unknown-ref-fire", _fire("D9999999", "acknowledge"), 2, ["D9999999", "no case"], True),
    ("unknown-event", _fire(ASSIGNED, "teleport"), 2, ["teleport", "unknown event"], True),
    (
        "malformed-json",
        _fire(ASSIGNED, "acknowledge", "operator", "--data-file", "malformed.json"),
        2,
        ["malformed.json", "line 2", "column 11"],
        True,
    ),
    (
        "json-array-event",
        _fire(ASSIGNED, "acknowledge", "operator", "--data-file", "array.json"),
        2,
        ["JSON object"],
        True,
    ),
    ("json-array-add", ["case", "add", "--data-file", "array.json"], 2, ["JSON object"], True),
    (
        "missing-field",
        ["case", "add", "--data-file", "missing-field.json"],
        2,
        ["district", "required"],
        True,
    ),
    (
        "wrong-types",
        ["case", "add", "--data-file", "wrong-types.json"],
        2,
        ["key_case", "boolean", "rectification_due", "date"],
        True,
    ),
    (
        "wrong-type-update",
        _update(ASSIGNED, "update-wrong-type.json"),
        2,
        ["key_case", "boolean"],
        True,
    ),
    (
        "extra-field-add",
        ["case", "add", "--data-file", "extra-field.json"],
        2,
        ["colour", "extra"],
        True,
    ),
    (
        "extra-field-event",
        _fire(ASSIGNED, "acknowledge", "operator", "--data-file", "note-extra-field.json"),
        2,
        ["colour", "extra"],
        True,
    ),
    ("unknown-role", _fire(ASSIGNED, "acknowledge", "janitor"), 2, ["janitor", "role"], True),
    (
        "role-not-allowed",
        _fire(ASSIGNED, "acknowledge", "acceptance_group"),
        3,
        ["acceptance_group", "may not fire acknowledge"],
        True,
    ),
    (
        "event-not-allowed-in-state",
        _fire(ASSIGNED, "request_acceptance"),
        3,
        ["request_acceptance", "applies only in investigating", "not assigned"],
        True,
    ),
    (
        "field-not-editable-in-state",
        _update(RECTIFIED, "summary.json"),
        3,
        ["summary", "not editable", "rectified"],
        True,
    ),
    (
        "stale-if-version",
        _fire(ASSIGNED, "acknowledge", "operator", "--if-version", "7"),
        3,
        ["conflict", "已被他人修改"],
        True,
    ),
    (
        "data-file-not-found",
        _fire(ASSIGNED, "acknowledge", "operator", "--data-file", "nowhere.json"),
        2,
        ["nowhere.json", "cannot read"],
        True,
    ),
    ("data-file-not-given", ["case", "add"], 2, ["--data-file"], False),
    ("bad-at", _fire(ASSIGNED, "acknowledge") + ["--at", "yesterday"], 2, ["yesterday"], True),
    (
        # Registered at 09:00 on 2 September: an event cannot be dated before that record.
        "at-before-the-last-record",
        _fire(ASSIGNED, "acknowledge") + ["--at", "2024-09-02T08:59:59+08:00"],
        2,
        ["earlier than the item's last record", "2024-09-02T09:00:00+08:00"],
        True,
    ),
    (
        "update-at-before-the-last-record",
        _update(ASSIGNED, "summary.json") + ["--at", "2024-09-01T12:00:00+08:00"],
        2,
        ["update at 2024-09-01T12:00:00+08:00 is earlier", "2024-09-02T09:00:00+08:00"],
        True,
    ),
    (
        "duplicate-intake-number",
        ["case", "add", "--data-file", "duplicate.json"],
        2,
        [ASSIGNED, "already registered"],
        True,
    ),
    (
        "unknown-state-in-list",
        ["case", "list", "--state", "nonsense"],
        2,
        ["nonsense", "unknown state"],
        True,
    ),
]


@pytest.mark.parametrize(
    ("command", "code", "words", "bilingual"),
    [pytest.param(*case[1:], id=case[0]) for case in ERRORS],
)
def test_refusal_exits_with_its_code_names_the_problem_and_writes_nothing(
    engine: Engine,
    db_url: str,
    world: Path,
    command: list[str],
    code: int,
    words: list[str],
    bilingual: bool,
) -> None:
    before = db_state(engine)
    result = run_cli(db_url, world, *command)
    assert result.code == code, result
    assert "Traceback" not in result.err
    for word in words:
        assert word.lower() in result.err.lower(), (word, result.err)
    if bilingual:
        assert CJK.search(result.err), result.err
    assert db_state(engine) == before


# Input the rules cannot use must end in exit 2 with the problem named, never a traceback.
CRASHES = [
    pytest.param(
        _fire(ASSIGNED, "acknowledge", "operator", "--data-file", "not-utf8.json"),
        ["not-utf8.json"],
        id="data-file-not-utf8",
    ),
    pytest.param(
        _fire(ASSIGNED, "acknowledge", "operator", "--data-file", "deep.json"),
        ["deep.json"],
        id="data-file-nested-too-deep",
    ),
    pytest.param(
        _update(ASSIGNED, "huge-fine.json"),
        ["fine_yuan"],
        id="fine-too-large-for-the-column",
    ),
    pytest.param(
        ["case", "add", "--data-file", "nul.json"],
        ["summary"],
        id="nul-character-in-text",
    ),
]


@pytest.mark.parametrize(("command", "words"), CRASHES)
def test_unusable_input_is_bad_input_not_a_crash(
    engine: Engine, db_url: str, world: Path, command: list[str], words: list[str]
) -> None:
    before = db_state(engine)
    result = run_cli(db_url, world, *command)
    assert result.code == 2, result
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err, (word, result.err)
    assert db_state(engine) == before


def _local(value: str) -> datetime:
    assert value.endswith("+08:00"), value
    return datetime.fromisoformat(value)


def test_case_show_json_has_clocks_and_escalations_in_the_order_applied(
    engine: Engine, db_url: str, world: Path
) -> None:
    fire(engine, ASSIGNED, "acknowledge", actor="经办人", role="operator", at=AT)
    # Rectification due 2024-09-30: the warning falls due a day before, the letter at the
    # deadline, the interview 3 days and the referral 7 days after it.
    first, second = "2024-09-30T12:00:00+08:00", "2024-10-09T12:00:00+08:00"
    for now in (first, second):
        assert run_cli(db_url, world, "sweep", "--now", now).code == 0
    edited = datetime.fromisoformat("2024-10-10T09:00:00+08:00")  # after the sweeps' records
    update_item(engine, ASSIGNED, actor="经办人", role="operator", at=edited, data=RESOLVED_CASE)
    stopped = datetime.fromisoformat("2024-10-10T09:30:00+08:00")
    fire(engine, ASSIGNED, "request_acceptance", actor="经办人", role="operator", at=stopped)

    shown = run_cli(db_url, world, "case", "show", ASSIGNED, "--json")
    assert shown.code == 0, shown
    data = shown.json()
    assert data["intake_no"] == ASSIGNED
    assert data["state"] == "rectified"
    assert data["version"] == 6  # register, acknowledge, two sweeps, update, request
    assert [c["kind"] for c in data["clocks"]] == ["rectification", "acceptance"]
    for c in data["clocks"]:
        assert {"kind", "started_at", "due_at", "stopped_at", "provisional"} <= c.keys()
        assert isinstance(c["provisional"], bool)
        assert _local(c["started_at"]) <= _local(c["due_at"])
    rectification, acceptance = data["clocks"]
    assert _local(rectification["due_at"]) == datetime.fromisoformat("2024-10-01T00:00:00+08:00")
    assert _local(rectification["stopped_at"]) == stopped
    assert _local(acceptance["started_at"]) == stopped
    assert acceptance["stopped_at"] is None
    assert data["escalations"] == [
        {"clock": "rectification", "level": "warning", "at": first},
        {"clock": "rectification", "level": "supervision_letter", "at": second},
        {"clock": "rectification", "level": "interview", "at": second},
        {"clock": "rectification", "level": "referral", "at": second},
    ]
