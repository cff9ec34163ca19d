"""The migrated schema: the same as the models, upgraded idempotently, searchable in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select, text
from sqlmodel import SQLModel

from models.engine import make_engine, reading, writing
from models.schema import current_revision, head_revision, upgrade
from models.search import is_search_object, matches, matching_ids
from models.tables import Item, table
from tests.conftest import AT
from tests.support import add, case_data


def _not_search(name: str | None, type_: str, _parents: Any) -> bool:
    return type_ not in {"table", "index"} or not is_search_object(name)


def _found(engine: Engine, needle: str) -> set[int]:
    with reading(engine) as conn:
        return set(conn.scalars(matching_ids(conn, needle)))


@pytest.fixture
def cases(engine: Engine) -> tuple[int, int]:
    """Two cases with nothing in common but the district: (油烟 case, 粉尘 case)."""
    smoke = add(
        engine,
        case_data(
            "D1",
            summary="饭店油烟扰民",
            content="某小区楼下饭店油烟直排，噪声扰民，多次反映未解决。",
            address="海城市海州街道幸福小区",
        ),
        at=AT,
    )
    dust = add(
        engine,
        case_data(
            "D2",
            summary="搅拌站扬尘",
            content="混凝土搅拌站露天作业，粉尘大，夜间施工。",
            address="海城市腾鳌镇工业园",
        ),
        at=AT,
    )
    return smoke, dust


def test_migrated_schema_equals_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": _not_search, "compare_type": True}
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_fresh_database_has_no_revision_until_upgraded(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "needle",
    ["油烟", "油烟直排", "饭店油烟扰民", "海州", "海州街道幸福"],
    ids=["content-2", "content-4", "summary-6", "address-2", "address-6"],
)
def test_search_finds_a_chinese_substring(
    engine: Engine, cases: tuple[int, int], needle: str
) -> None:
    smoke, _dust = cases
    assert _found(engine, needle) == {smoke}


@pytest.mark.parametrize("needle", ["烟尘", "建筑工地噪声", "100%", "_", '油烟" OR "粉尘', "油烟*"])
def test_search_ignores_what_no_item_contains(
    engine: Engine, cases: tuple[int, int], needle: str
) -> None:
    assert _found(engine, needle) == set()


def test_search_finds_an_edited_item_by_its_new_text(
    engine: Engine, cases: tuple[int, int]
) -> None:
    smoke, dust = cases
    with writing(engine) as conn:
        conn.execute(
            text("UPDATE item SET content = :content WHERE id = :id"),
            {"content": "砂石厂露天堆放，扬尘污染严重。", "id": smoke},
        )
    assert _found(engine, "砂石") == {smoke}
    assert _found(engine, "砂石厂露天") == {smoke}
    assert _found(engine, "油烟直排") == set()
    assert _found(engine, "扬尘") == {smoke, dust}


@pytest.mark.usefixtures("cases")
def test_search_condition_selects_items(engine: Engine) -> None:
    item = table(Item)
    with reading(engine) as conn:
        refs = conn.scalars(select(item.c.ref).where(matches(conn, " 幸福小区 "))).all()
    assert refs == ["D1"]


@pytest.mark.parametrize("needle", ["", "   ", "\u3000"])
def test_search_refuses_empty_text(engine: Engine, needle: str) -> None:
    with reading(engine) as conn, pytest.raises(ValueError, match="empty"):
        matching_ids(conn, needle)


def test_sqlite_connections_are_durable_wal_with_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
