"""Editing findings (``update_item``): what may change in which state, by whom; and the
complainant's personal data never reaching the history (SPEC §2, §3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, String, cast, func, select

from states.editing import update_item
from states.errors import Refused
from states.lifecycle import STATE_ZH, State
from tests.integration.states.life import (
    FINDINGS,
    HISTORY,
    LATE,
    LIFE,
    REF,
    codes,
    every_row,
    history,
    item,
    new_case,
    run,
    says,
    sh,
)

# --- editing findings -----------------------------------------------------------------------


def test_update_records_findings_as_a_history_event(engine: Engine) -> None:
    new_case(engine, until="acknowledge")
    fired = update_item(
        engine, REF, actor="经办人李明", role="operator", at=sh("2024-09-10T09:00"), data=FINDINGS
    )
    assert (fired.event, fired.to_state, fired.version) == ("update", "investigating", 3)
    row = item(engine)
    assert (row["verdict"], row["plan_department"]) == ("属实", "海城市综合行政执法局")
    assert history(engine)[-1]["event"] == "update"


@pytest.mark.parametrize(
    ("step", "data", "state"),
    [
        ("request_acceptance", {"verdict": "不属实"}, "rectified"),
        ("accept", {"problems": [{"text": "油烟直排", "resolved": True}]}, "accepted"),
        ("close", {"satisfaction": {"satisfied": False, "by": "complainant"}}, "closed"),
        ("file", {"archive": [{"kind": "catalogue", "title": "案卷目录（补）"}]}, "closed"),
    ],
    ids=[
        "verdict-once-rectified",
        "problems-once-accepted",
        "satisfaction-once-closed",
        "archive-once-filed",
    ],
)
def test_update_of_a_field_not_editable_in_the_state_is_refused(
    engine: Engine, step: str, data: dict[str, Any], state: str
) -> None:
    new_case(engine, until=step)
    before = every_row(engine)
    with pytest.raises(Refused) as info:
        update_item(engine, REF, actor="经办人", role="operator", at=LATE, data=data)
    assert codes(info.value) == ["not_editable"]
    field = next(iter(data))
    says(
        info.value,
        f"{STATE_ZH[State(state)]}状态下不可修改：{field}",
        f"not editable in state {state}: {field}",
    )
    assert every_row(engine) == before


def test_archive_stays_editable_until_filing(engine: Engine) -> None:
    new_case(engine, until="close")
    data = {"archive": [{"kind": "unit_material", "title": "整改材料", "unit": "海城市政府"}]}
    fired = update_item(engine, REF, actor="督改办", role="coordinator", at=LATE, data=data)
    assert (fired.to_state, fired.version) == ("closed", item(engine)["version"])


def test_update_refused_for_a_role_that_does_not_edit(engine: Engine) -> None:
    new_case(engine, until="acknowledge")
    before = every_row(engine)
    with pytest.raises(Refused) as info:
        update_item(
            engine, REF, actor="验收组", role="acceptance_group", at=LATE, data={"verdict": "属实"}
        )
    assert codes(info.value) == ["role_not_allowed"]
    says(info.value, "角色 acceptance_group 无权修改事项", "may not edit items")
    assert every_row(engine) == before


# --- personal data (SPEC §2, ARCHITECTURE "Personal data") ----------------------------------


def test_complainant_name_and_phone_never_reach_the_history(engine: Engine) -> None:
    new_case(engine, until="update")
    update_item(
        engine,
        REF,
        actor="经办人",
        role="operator",
        at=sh("2024-09-11T09:00"),
        data={"complainant": {"name": "李四", "phone": "139 0000 2222"}},
    )
    for step, role, at, data in LIFE[2:]:
        run(engine, step, role, at, data)
    row = item(engine)
    assert (row["complainant_name"], row["complainant_phone"]) == ("李四", "139 0000 2222")

    secrets = ["张三", "13800001111", "李四", "139 0000 2222"]
    hist = history(engine)
    assert len(hist) == 11
    texts = [json.dumps(h["data"], ensure_ascii=False) for h in hist]
    with engine.connect() as conn:
        texts += list(conn.execute(select(cast(HISTORY.c.data, String))).scalars())
        texts += list(
            conn.execute(select(func.coalesce(HISTORY.c.actor, "") + HISTORY.c.event)).scalars()
        )
    leaks = [(s, t) for t in texts for s in secrets if s in t]
    assert leaks == []
    assert hist[0]["data"]["complainant"] == "***" and hist[3]["data"]["complainant"] == "***"


def test_discipline_records_accountability_in_any_state_but_nothing_else(engine: Engine) -> None:
    new_case(engine, until="accept")
    done = {"accountability": [{"person": "某街道办主任", "measure": "诫勉谈话", "done": True}]}
    fired = update_item(
        engine, REF, actor="市纪委监委", role="discipline", at=sh("2024-09-26T09:00"), data=done
    )
    assert (fired.event, fired.to_state) == ("update", "accepted")
    with pytest.raises(Refused) as refused:
        update_item(
            engine, REF, actor="市纪委监委", role="discipline", at=sh("2024-09-26T10:00"),
            data={"verdict": "不属实"},
        )  # fmt: skip
    assert codes(refused.value) == ["role_not_allowed"]
    assert "verdict" in refused.value.en
