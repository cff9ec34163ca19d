"""Full-text search (全文检索) over an item's summary, content and address, Chinese included.

Chinese has no spaces between words, so a word index would never find 油烟 inside
饭店油烟直排. Both backends index character trigrams instead and match substrings:

- SQLite: the FTS5 table ``item_fts`` with the trigram tokenizer, over ``item`` as its
  external content and kept in sync by the triggers ``item_ai``, ``item_ad``, ``item_au``;
- PostgreSQL: ``pg_trgm`` GIN indexes on the three columns, which serve ``ILIKE``.

Both are created by migration 0002. A trigram index cannot answer a query shorter than
three characters, and two-character words (油烟, 噪声, 粉尘) are common, so on SQLite those
fall back to ``LIKE`` over the item table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, Select, column, or_, select
from sqlalchemy import table as core_table

from models.tables import Item, table

SEARCHED_COLUMNS = ("summary", "content", "address")
FTS_TABLE = "item_fts"
TRIGRAM_INDEXES = tuple(f"ix_item_{name}_trgm" for name in SEARCHED_COLUMNS)

# The FTS5 table as SQLAlchemy sees it: its rowid is the item id, and its hidden column
# of the same name as the table is the left-hand side of MATCH.
_fts = core_table(FTS_TABLE, column("rowid", Integer), column(FTS_TABLE))
_TRIGRAM = 3


def is_search_object(name: str | None) -> bool:
    """Whether ``name`` is a search table, shadow table or index the models do not declare."""
    return name is not None and (name.startswith(FTS_TABLE) or name in TRIGRAM_INDEXES)


def matching_ids(conn: Connection, text: str) -> Select[Any]:
    """The ids of the items whose summary, content or address contains ``text``."""
    needle = text.strip()
    if not needle:
        raise ValueError("search text must not be empty or only whitespace")
    item = table(Item)
    if conn.dialect.name == "sqlite" and len(needle) >= _TRIGRAM:
        return select(_fts.c.rowid).where(_fts.c[FTS_TABLE].op("MATCH")(_phrase(needle)))
    pattern = "%" + _escape_like(needle) + "%"
    if conn.dialect.name == "postgresql":
        found = [item.c[name].ilike(pattern, escape="\\") for name in SEARCHED_COLUMNS]
    else:
        found = [item.c[name].like(pattern, escape="\\") for name in SEARCHED_COLUMNS]
    return select(item.c.id).where(or_(*found))


def matches(conn: Connection, text: str) -> ColumnElement[bool]:
    """A condition for ``select(item).where(...)``: the item contains ``text``."""
    return table(Item).c.id.in_(matching_ids(conn, text))  # type: ignore[no-any-return]


def _phrase(text: str) -> str:
    # One FTS5 string: quoted, so that AND, OR, NEAR, * and ^ are plain text.
    return '"' + text.replace('"', '""') + '"'


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
