"""Finding items and reading what the guards need of them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from models.direct import rows_where
from models.tables import (
    Accountability,
    Extension,
    Item,
    Measure,
    Objection,
    Penalty,
    Problem,
    ReviewSignoff,
    table,
)
from states.calendar import SHANGHAI
from states.errors import BadInput, NotFound, OutOfOrder
from states.guards import Snapshot

ITEM = table(Item)
_ID_REF = re.compile(r"^#?(\d+)$")
Row = dict[str, Any]


def resolve(conn: Connection, ref: str, kind: str | None = None) -> Row:
    """The item row named by ``ref``: its intake/task number, or ``#id`` / a bare id."""
    ref = (ref or "").strip()
    if not ref:
        raise BadInput("未给出事项编号", "no item reference given")
    match = _ID_REF.match(ref)
    if match and ref.startswith("#"):
        return _by_id(conn, int(match.group(1)), kind, ref)
    where = {"ref": ref} if kind is None else {"ref": ref, "kind": kind}
    rows = rows_where(conn, ITEM, where)
    if len(rows) > 1:
        ids = ", ".join(f"#{r['id']}" for r in rows)
        raise BadInput(
            f"编号 {ref} 对应多个事项（{ids}），请用 #id 指定",
            f"reference {ref!r} names several items ({ids}); use #id",
        )
    if rows:
        return rows[0]
    if match:
        return _by_id(conn, int(match.group(1)), kind, ref)
    raise _not_found(ref, kind)


def _by_id(conn: Connection, item_id: int, kind: str | None, ref: str) -> Row:
    where: dict[str, Any] = {"id": item_id} if kind is None else {"id": item_id, "kind": kind}
    rows = rows_where(conn, ITEM, where)
    if not rows:
        raise _not_found(ref, kind)
    return rows[0]


def _not_found(ref: str, kind: str | None) -> NotFound:
    what = {"case": "案件", "task": "整改任务"}.get(kind or "", "事项")
    return NotFound(f"{what} {ref} 不存在", f"no {kind or 'item'} with reference {ref!r}")


def check_in_order(item: Mapping[str, Any], event: str, at: datetime) -> None:
    """Refuse an event dated before the item's newest history row.

    Every row that writes history also sets ``updated_at`` to its own time, so the
    history stays in time order: the clocks, escalations and replays that read it
    depend on that. A paper record entered late is dated at or after the last record.
    """
    last = item["updated_at"]
    if at < last:
        shown = last.astimezone(SHANGHAI).isoformat(timespec="seconds")
        given = at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        raise OutOfOrder(
            f"{item['ref']}：{event} 的时间 {given} 早于该事项最近一条记录的时间 {shown}",
            f"{item['ref']}: {event} at {given} is earlier than the item's last record, at {shown}",
            [f"at: earlier than {shown}"],
        )


def item_by_id(conn: Connection, item_id: int) -> Row:
    """The item row with ``item_id``."""
    rows = rows_where(conn, ITEM, {"id": item_id})
    if not rows:
        raise NotFound(f"事项 #{item_id} 不存在", f"no item #{item_id}")
    return rows[0]


def _rows(conn: Connection, model: Any, item_id: int, order: str = "id") -> list[RowMapping]:
    t = table(model)
    query = select(t).where(t.c.item_id == item_id).order_by(t.c[order])
    return list(conn.execute(query).mappings())


def load_snapshot(
    conn: Connection, item: Mapping[str, Any], needs: Iterable[str], payload: Any = None
) -> Snapshot:
    """The item and the facts the guards of one event need, and no more."""
    snap = Snapshot(dict(item))
    item_id = item["id"]
    for need in needs:
        if need == "problems":
            snap.facts[need] = _rows(conn, Problem, item_id, "seq")
        elif need == "penalties":
            snap.facts[need] = _rows(conn, Penalty, item_id)
        elif need == "measures":
            snap.facts[need] = _rows(conn, Measure, item_id, "seq")
        elif need == "accountability":
            snap.facts[need] = _rows(conn, Accountability, item_id)
        elif need == "objections":
            snap.facts[need] = _rows(conn, Objection, item_id)
        elif need == "extensions":
            snap.facts[need] = _rows(conn, Extension, item_id)
        elif need == "signoffs":
            t = table(ReviewSignoff)
            q = select(t).where(t.c.item_id == item_id, t.c.cycle == item["review_cycle"])
            snap.facts[need] = list(conn.execute(q).mappings())
        elif need == "original":
            snap.facts[need] = _original_id(conn, payload.original if payload else "")
        else:
            raise KeyError(f"no loader for guard fact {need!r}")
    return snap


def _original_id(conn: Connection, ref: str) -> int | None:
    try:
        return int(resolve(conn, ref)["id"])
    except NotFound:
        return None


def count_items(conn: Connection) -> int:
    """How many items there are."""
    return int(conn.execute(select(func.count()).select_from(ITEM)).scalar_one())
