"""``rectiflow audit verify``: walk every item's hash chain and name each break.

A row whose content was edited no longer matches its hash; a deleted row leaves a gap
in the sequence (or, if it was the newest, a head the item no longer matches); an
inserted row breaks the chain of ``prev_hash`` or the sequence. The walk streams the
history in item order, so memory stays flat however long it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from models.tables import History, Item, table
from states.history import row_hash

ITEM, HISTORY = table(Item), table(History)


@dataclass(frozen=True)
class Breach:
    """One break in the chain, naming the item and the row."""

    item_id: int
    ref: str
    seq: int | None
    history_id: int | None
    code: str
    zh: str
    en: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class AuditReport:
    items: int = 0
    rows: int = 0
    breaches: list[Breach] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "items": self.items,
            "rows": self.rows,
            "breaches": [b.to_dict() for b in self.breaches],
        }


def verify(engine: Engine) -> AuditReport:
    """Check every item's history chain; an empty ``breaches`` list means it is intact."""
    report = AuditReport()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # One snapshot for both reads, so that events committed meanwhile are not breaks.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():  # on SQLite (WAL) one read transaction is one snapshot
            items = conn.execution_options(yield_per=5000).execute(
                select(ITEM.c.id, ITEM.c.ref, ITEM.c.state, ITEM.c.history_seq,
                       ITEM.c.history_head).order_by(ITEM.c.id)
            ).mappings()  # fmt: skip
            rows = (
                conn.execution_options(yield_per=5000)
                .execute(select(HISTORY).order_by(HISTORY.c.item_id, HISTORY.c.seq))
                .mappings()
            )
            _walk(report, iter(items), iter(rows))
    return report


def _walk(report: AuditReport, items: Iterator[Any], rows: Iterator[Any]) -> None:
    pending = next(rows, None)
    for item in items:
        report.items += 1
        chain: list[Any] = []
        while pending is not None and pending["item_id"] < item["id"]:
            report.breaches.append(_orphan(pending))
            pending = next(rows, None)
        while pending is not None and pending["item_id"] == item["id"]:
            chain.append(pending)
            pending = next(rows, None)
        report.rows += len(chain)
        report.breaches += check_chain(item, chain)
    while pending is not None:
        report.breaches.append(_orphan(pending))
        pending = next(rows, None)


def _orphan(row: Any) -> Breach:
    return Breach(
        row["item_id"],
        f"#{row['item_id']}",
        row["seq"],
        row["id"],
        "orphan_row",
        f"历史记录 #{row['id']} 所属事项不存在",
        f"history row #{row['id']} belongs to no item",
    )


def _row_of(chain: list[Any]) -> str:
    """' seq N (#id)' of the newest row, for messages about the chain's end."""
    return f" seq {chain[-1]['seq']} (#{chain[-1]['id']})" if chain else ""


def check_chain(item: Any, chain: list[Any]) -> list[Breach]:
    """The breaks in one item's history rows (given in sequence order)."""
    out: list[Breach] = []
    ref = item["ref"]

    def breach(row: Any, code: str, zh: str, en: str) -> None:
        seq = row["seq"] if row is not None else None
        hid = row["id"] if row is not None else None
        out.append(Breach(item["id"], ref, seq, hid, code, zh, en))

    prev_hash, prev_state, expected = "", None, 1
    for row in chain:
        where = f"history row #{row['id']} (item {ref}, seq {row['seq']})"
        where_zh = f"事项 {ref} 第{row['seq']}条历史记录（#{row['id']}）"
        if row["seq"] != expected:
            missing = ", ".join(str(s) for s in range(expected, row["seq"])) or str(expected)
            breach(
                row,
                "gap",
                f"事项 {ref} 缺少第{missing}条历史记录（已被删除）",
                f"item {ref}: history seq {missing} missing before {where} (deleted)",
            )
        recomputed = row_hash(
            item_id=row["item_id"],
            seq=row["seq"],
            event=row["event"],
            actor=row["actor"],
            role=row["role"],
            at=row["at"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            data=row["data"],
            idem_key=row["idem_key"],
            prev_hash=row["prev_hash"],
        )
        if recomputed != row["hash"]:
            breach(
                row,
                "edited",
                f"{where_zh}内容与哈希不符（已被修改）",
                f"{where}: content does not match its hash (edited)",
            )
        if row["prev_hash"] != prev_hash:
            breach(
                row,
                "chain_broken",
                f"{where_zh}与前一条记录不衔接（插入或替换）",
                f"{where}: prev_hash does not match the previous row (inserted or replaced)",
            )
        if prev_state is not None and row["from_state"] != prev_state:
            breach(
                row,
                "state_jump",
                f"{where_zh}起始状态与前一条记录的结果状态不符",
                f"{where}: from_state {row['from_state']} is not the previous "
                f"to_state {prev_state}",
            )
        prev_hash, prev_state, expected = row["hash"], row["to_state"], row["seq"] + 1
    if len(chain) and chain[-1]["seq"] < item["history_seq"] or not chain and item["history_seq"]:
        breach(
            None,
            "tail_deleted",
            f"事项 {ref} 最新的历史记录已被删除",
            f"item {ref}: newest history rows after seq {expected - 1} deleted "
            f"(item expects {item['history_seq']})",
        )
    elif prev_hash != item["history_head"]:
        breach(
            chain[-1] if chain else None,
            "head_mismatch",
            f"事项 {ref} 的链头与最新记录{_row_of(chain)}不符",
            f"item {ref}: the item's head hash is not the hash of its newest row{_row_of(chain)}",
        )
    if prev_state is not None and prev_state != item["state"]:
        breach(
            chain[-1],
            "state_mismatch",
            f"事项 {ref} 当前状态与历史回放结果（至{_row_of(chain)}）不符",
            f"item {ref}: state {item['state']} is not the replay of its history "
            f"({prev_state} at{_row_of(chain)})",
        )
    return out
