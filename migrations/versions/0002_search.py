"""Chinese full-text search over item summary, content and address (see models.search).

SQLite: an FTS5 table with the trigram tokenizer over ``item`` as external content, kept
in sync by triggers; the same shape as sqlite-utils' ``enable_fts(..., tokenize="trigram",
create_triggers=True)``, so its ``detect_fts`` and ``search`` work on it. The SQL is
written out because sqlite-utils runs it through ``executescript``, which commits the
migration's transaction half-way. The update trigger fires only when a searched column
changes, not on every version bump of a transition.

PostgreSQL: ``pg_trgm`` GIN indexes, which serve ``ILIKE '%…%'``.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("summary", "content", "address")
_cols = ", ".join(f"[{c}]" for c in COLUMNS)
_old = ", ".join(f"old.[{c}]" for c in COLUMNS)
_new = ", ".join(f"new.[{c}]" for c in COLUMNS)

SQLITE_UP = (
    f"CREATE VIRTUAL TABLE [item_fts] USING FTS5 ({_cols}, tokenize='trigram', content=[item])",
    f"INSERT INTO [item_fts] (rowid, {_cols}) SELECT rowid, {_cols} FROM [item]",
    f"""CREATE TRIGGER [item_ai] AFTER INSERT ON [item] BEGIN
  INSERT INTO [item_fts] (rowid, {_cols}) VALUES (new.rowid, {_new});
END""",
    f"""CREATE TRIGGER [item_ad] AFTER DELETE ON [item] BEGIN
  INSERT INTO [item_fts] ([item_fts], rowid, {_cols}) VALUES ('delete', old.rowid, {_old});
END""",
    f"""CREATE TRIGGER [item_au] AFTER UPDATE OF {_cols} ON [item] BEGIN
  INSERT INTO [item_fts] ([item_fts], rowid, {_cols}) VALUES ('delete', old.rowid, {_old});
  INSERT INTO [item_fts] (rowid, {_cols}) VALUES (new.rowid, {_new});
END""",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS [item_au]",
    "DROP TRIGGER IF EXISTS [item_ad]",
    "DROP TRIGGER IF EXISTS [item_ai]",
    "DROP TABLE IF EXISTS [item_fts]",
)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in COLUMNS:
            op.create_index(
                f"ix_item_{column}_trgm",
                "item",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif dialect == "postgresql":
        for column in reversed(COLUMNS):
            op.drop_index(f"ix_item_{column}_trgm", table_name="item")
