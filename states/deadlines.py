"""Keeping due dates honest when the official calendar grows (``rectiflow calendar …``).

A due date in a year neither the package nor the deployment's file knows is computed
on weekends alone and marked provisional. Once the year becomes known, ``refresh``
computes every provisional due date again and records each change in the item's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from models.engine import writing
from models.tables import Clock, History, Item, table
from states import clocks
from states.history import system_row
from states.rules import Rules

CLOCK, ITEM, HISTORY = table(Clock), table(Item), table(History)


@dataclass(frozen=True)
class DueChange:
    ref: str
    clock: str
    old_due: str
    new_due: str
    still_provisional: bool

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def provisional_count(engine: Engine) -> int:
    """How many clocks carry a provisional due date."""
    with engine.connect() as conn:
        q = select(func.count()).select_from(CLOCK).where(CLOCK.c.provisional.is_(True))
        return int(conn.execute(q).scalar_one())


def refresh(engine: Engine, at: datetime, rules: Rules) -> list[DueChange]:
    """Recompute every provisional due date with the calendar as it now stands."""
    changes: list[DueChange] = []
    with writing(engine) as conn:
        rows = list(
            conn.execute(
                select(
                    CLOCK,
                    ITEM.c.ref,
                    ITEM.c.state,
                    ITEM.c.version,
                    ITEM.c.history_seq,
                    ITEM.c.history_head,
                )
                .join(ITEM, ITEM.c.id == CLOCK.c.item_id)
                .where(CLOCK.c.provisional.is_(True))
                .order_by(CLOCK.c.item_id, CLOCK.c.id)
            ).mappings()
        )
        heads: dict[int, dict[str, Any]] = {}
        for row in rows:
            new = clocks.recompute(row, rules)
            if new.provisional:
                continue  # the year is still unknown: nothing to say yet
            item = heads.setdefault(
                row["item_id"],
                {"seq": row["history_seq"], "head": row["history_head"], "version": row["version"]},
            )
            values = clocks.due_change(row, new, at, "calendar_refresh", rules)
            conn.execute(update(CLOCK).where(CLOCK.c.id == row["id"]).values(**values))
            item["seq"] += 1
            data = {
                "clock": row["kind"],
                "old_due": row["due_date"].isoformat(),
                "new_due": new.last_day.isoformat(),
                "reason": "官方日历已发布，重新计算期限",
            }
            hist = system_row(
                item_id=row["item_id"],
                seq=item["seq"],
                event="recompute_due",
                state=row["state"],
                at=at,
                data=data,
                prev_hash=item["head"],
            )
            item["head"] = hist["hash"]
            conn.execute(insert(HISTORY).values(**hist))
            changes.append(
                DueChange(row["ref"], row["kind"], data["old_due"], data["new_due"], False)
            )
        for item_id, h in heads.items():
            conn.execute(
                update(ITEM)
                .where(ITEM.c.id == item_id)
                .values(
                    version=h["version"] + 1,
                    history_seq=h["seq"],
                    history_head=h["head"],
                    updated_at=at,
                )
            )
    return changes
