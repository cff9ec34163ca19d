"""A small data set whose every figure is known, built once per backend and only read.

Seven cases and one task of one round, assigned 2024-09-02 (a Monday), reported on at
2024-09-23 08:00 (the Monday after), so that the weekly period is 09-16..09-22:

| case | 属地 | what happens | at the report |
| --- | --- | --- | --- |
| A | 海城市 (key) | rectified 09-10 (due 09-30), closed 09-16; revisited 09-18 | closed, on time |
| B | 海城市 | rectified 09-10 (due 09-05), closed 09-16 | closed, late |
| C | 海城市 | closed 09-16; revisit 09-19 finds a rebound: reopened | investigating, due 09-30 |
| D | 海城市 | acknowledged, due 09-06; the 09-20 sweep applies all four rungs | overdue 17 d |
| E | 台安县 (key) | two unresolved problems, due 10-31 | assigned |
| F | 台安县 | merged into E on 09-17 (重复访) | closed as duplicate |
| G | 市生态环境局 (as 属地) | verdict 不属实, due 09-20; the 09-20 sweep warns | overdue 3 d |
| task 200(19-3) | — (市生态环境局) | due 09-25 | assigned, due soon |
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from models.engine import make_engine
from states.calendar import end_of_day
from states.editing import update_item
from states.service import Fired, fire
from states.sweep import sweep
from tests.conftest import AT, PG_SKIP, PG_URL, _drop_pg, _pg_database
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data, task_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 9, 23, 8, tzinfo=SHANGHAI)  # Monday 08:00, when the weekly report runs
ACTOR = {
    "operator": "李四",
    "coordinator": "督改办",
    "acceptance_group": "验收组",
    "review_group": "复核组",
}
PERSONAL = ("张三", "13800001111")  # the complainant of every case in tests.support


def sh(m: int, d: int, hour: int = 9) -> datetime:
    return datetime(2024, m, d, hour, tzinfo=SHANGHAI)


def _fire(engine: Engine, ref: str, event: str, role: str, at: datetime, data: Any = None) -> Fired:
    return fire(engine, ref, event, actor=ACTOR[role], role=role, at=at, data=data)


def _close(engine: Engine, ref: str, at: datetime) -> None:
    """From assigned to closed: rectified, accepted, reviewed and published at ``at``, closed
    at 09:00 on the second day after its five-day notice."""
    _fire(engine, ref, "acknowledge", "operator", at)
    update_item(engine, ref, actor="李四", role="operator", at=at, data=RESOLVED_CASE)
    _fire(engine, ref, "request_acceptance", "operator", at)
    opinion = acceptance(ref, accepted_on=at.astimezone(SHANGHAI).date().isoformat())
    _fire(engine, ref, "accept", "acceptance_group", at, opinion)
    _fire(engine, ref, "request_review", "coordinator", at)
    _fire(engine, ref, "review", "review_group", at, {"signoffs": SIGNOFFS})
    _fire(engine, ref, "publish", "coordinator", at)
    notice_over = end_of_day(at.astimezone(SHANGHAI).date() + timedelta(days=4))
    _fire(engine, ref, "close", "coordinator", notice_over + timedelta(days=1, hours=1))


def seed(engine: Engine) -> None:
    """Build the data set of this module's docstring."""
    haicheng = {"district": "海城市", "lead_unit": "海城市人民政府"}
    taian = {"district": "台安县", "lead_unit": "台安县人民政府"}
    city = {"district": "市生态环境局", "lead_unit": "市生态环境局"}
    add(engine, case_data("A", key_case=True, rectification_due="2024-09-30", **haicheng), at=AT)
    add(engine, case_data("B", rectification_due="2024-09-05", **haicheng), at=AT)
    add(engine, case_data("C", rectification_due="2024-09-30", **haicheng), at=AT)
    add(engine, case_data("D", rectification_due="2024-09-06", **haicheng), at=AT)
    add(engine, case_data("E", key_case=True, rectification_due="2024-10-31", **taian), at=AT)
    add(engine, case_data("F", rectification_due="2024-10-31", **taian), at=AT)
    add(engine, case_data("G", rectification_due="2024-09-20", **city), at=AT)
    add(engine, task_data(rectification_due="2024-09-25"), kind="task", at=AT)

    for ref in ("A", "B", "C"):
        _close(engine, ref, sh(9, 10))
    _fire(engine, "D", "acknowledge", "operator", sh(9, 3))
    problems = [{"text": "油烟直排", "resolved": False}, {"text": "噪声扰民", "resolved": False}]
    update_item(
        engine, "E", actor="李四", role="operator", at=sh(9, 4), data={"problems": problems}
    )
    _fire(engine, "F", "merge_duplicate", "coordinator", sh(9, 17), {"original": "E"})
    _fire(engine, "G", "acknowledge", "operator", sh(9, 3))
    untrue = {"verdict": "不属实", "findings": "经现场核查，反映问题不属实。"}
    update_item(engine, "G", actor="李四", role="operator", at=sh(9, 5), data=untrue)
    revisit = {"done_on": "2024-09-18", "method": "现场回访", "finding": "未反弹", "rebound": False}
    _fire(engine, "A", "record_revisit", "coordinator", sh(9, 18), revisit)
    rebound = {"done_on": "2024-09-19", "method": "现场回访", "finding": "油烟再次直排"}
    _fire(engine, "C", "record_revisit", "coordinator", sh(9, 19), rebound | {"rebound": True})
    sweep(engine, sh(9, 20))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The data set on a fresh database of each backend, shared by the module's tests."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("reports") / "rectiflow.db"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}")
        seed(engine)
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name, url = _pg_database(request.getfixturevalue("pg_template"))
    engine = make_engine(url)
    seed(engine)
    yield engine
    engine.dispose()
    _drop_pg(name)
