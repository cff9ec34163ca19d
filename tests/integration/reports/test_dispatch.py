"""按日调度 (SPEC §9): items due or overdue, per unit, from the running clocks."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine

from models.engine import reading
from reports import Dispatch, daily_dispatch, dispatch_markdown
from reports.markdown import dispatch_item_rows, dispatch_unit_rows
from states.errors import BadInput
from tests.integration.reports.conftest import NOW, PERSONAL, SHANGHAI


def dispatch(engine: Engine, now: datetime = NOW, **options: int) -> Dispatch:
    with reading(engine) as conn:
        return daily_dispatch(conn, now, **options)  # type: ignore[arg-type]


def test_dispatch_counts_overdue_and_due_soon_per_unit(seeded: Engine) -> None:
    d = dispatch(seeded)
    assert (d.today, d.horizon) == (date(2024, 9, 23), date(2024, 9, 26))
    # D (海城市人民政府, due 09-06) and G (市生态环境局, due 09-20) are overdue; the task
    # (市生态环境局, due 09-25) falls due within three days; C (due 09-30) and E do not.
    assert dispatch_unit_rows(d) == [
        {"责任单位": "市生态环境局", "已超期": 1, "临期": 1, "合计": 2},
        {"责任单位": "海城市人民政府", "已超期": 1, "临期": 0, "合计": 1},
    ]
    assert (d.overdue, d.due_soon, d.truncated) == (1 + 1, 1, False)


def test_dispatch_lists_each_item_with_its_clock_and_the_last_rung_applied(seeded: Engine) -> None:
    rows = dispatch_item_rows(dispatch(seeded))
    assert [(r["编号"], r["时限"], r["到期日"], r["超期天数"], r["已督办"]) for r in rows] == [
        ("G", "整改时限", "2024-09-20", 3, "预警"),
        ("200(19-3)", "整改时限", "2024-09-25", 0, ""),
        ("D", "整改时限", "2024-09-06", 17, "移送问题线索"),
    ]
    assert rows[2]["责任单位"] == "海城市人民政府" and rows[2]["属地"] == "海城市"


def test_a_longer_horizon_lists_more(seeded: Engine) -> None:
    d = dispatch(seeded, within_days=7)  # to 09-30: C comes in
    # One overdue and one due soon each: the tie goes by name.
    assert [(u.unit, u.overdue, u.due_soon) for u in d.units] == [
        ("市生态环境局", 1, 1),
        ("海城市人民政府", 1, 1),
    ]
    assert (d.overdue, d.due_soon) == (2, 2)


def test_zero_horizon_lists_only_what_is_due_today_or_overdue(seeded: Engine) -> None:
    d = dispatch(seeded, within_days=0)
    assert (d.overdue, d.due_soon) == (2, 0)


def test_dispatch_by_kind(seeded: Engine) -> None:
    with reading(seeded) as conn:
        d = daily_dispatch(conn, NOW, kind="task")
    assert [(i.ref, i.kind) for i in d.items] == [("200(19-3)", "task")]


def test_the_list_is_capped_but_the_counts_are_not(seeded: Engine) -> None:
    d = dispatch(seeded, limit=1)
    assert len(d.items) == 1 and d.truncated
    assert (d.overdue, d.due_soon) == (2, 1)
    assert "仅列出前1件" in dispatch_markdown(d)


def test_later_the_same_items_are_more_overdue(seeded: Engine) -> None:
    d = dispatch(seeded, datetime(2024, 9, 26, 8, tzinfo=SHANGHAI), within_days=0)
    assert {i.ref: i.overdue_days for i in d.items} == {"D": 20, "G": 6, "200(19-3)": 1}


@pytest.mark.parametrize(
    ("options", "message"),
    [({"within_days": -1}, "临期天数"), ({"limit": -5}, "条数上限"), ({"kind": "x"}, "事项类型")],
)
def test_bad_options_are_refused(seeded: Engine, options: dict[str, object], message: str) -> None:
    with reading(seeded) as conn, pytest.raises(BadInput, match=message):
        daily_dispatch(conn, NOW, **options)  # type: ignore[arg-type]


def test_dispatch_markdown(seeded: Engine) -> None:
    md = dispatch_markdown(dispatch(seeded))
    assert md.startswith("# 督察整改按日调度（2024年9月23日）\n")
    assert "截至2024年9月23日 08:00，已超期2件，3日内（至9月26日）到期1件，涉及责任单位2个。" in md
    assert (
        "| 海城市人民政府 | D | 饭店油烟扰民 | 海城市 | 调查处理中 | 整改时限 | 2024-09-06 | 17 "
        "| 移送问题线索 |" in md
    )
    for personal in PERSONAL:
        assert personal not in md


def test_an_item_due_today_is_due_not_overdue(seeded: Engine) -> None:
    d = dispatch(seeded, datetime(2024, 9, 25, 8, tzinfo=SHANGHAI), within_days=0)
    assert [(i.ref, i.overdue_days) for i in d.items if i.ref == "200(19-3)"] == [("200(19-3)", 0)]
    assert (d.overdue, d.due_soon) == (2, 1)
