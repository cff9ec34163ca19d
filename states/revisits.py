"""复查回访 (SPEC §8): the monthly 10% sample of closed cases, drawn reproducibly.

The seed is derived from the month alone, and the population is every case closed
(and not merged as a duplicate) before the month began, taken in id order; so anyone
with the data can draw the same sample again, and nobody can pick the cases by hand.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine, func, insert, select

from models.engine import writing
from models.tables import Item, Notification, Revisit, table
from states import outbox
from states.calendar import SHANGHAI
from states.errors import BadInput

ITEM, REVISIT, NOTIFICATION = table(Item), table(Revisit), table(Notification)
RATE = 0.10
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_start(month: str) -> datetime:
    """00:00 Asia/Shanghai on the first day of ``YYYY-MM``; BadInput for anything else."""
    match = _MONTH.match(month or "")
    if not match:
        raise BadInput(f"月份格式应为 YYYY-MM：{month!r}", f"month must be YYYY-MM, not {month!r}")
    return datetime.combine(date(int(match[1]), int(match[2]), 1), time(), SHANGHAI)


def seed_of(month: str) -> int:
    """The sampling seed of a month: anyone can compute it."""
    return int(hashlib.sha256(f"rectiflow/revisit/{month}".encode()).hexdigest(), 16)


def draw(population: Sequence[int], month: str, rate: float = RATE) -> list[int]:
    """The sample: ceil(rate × population) ids, drawn with the month's seed, in id order."""
    ids = sorted(population)
    size = math.ceil(len(ids) * rate)
    return sorted(random.Random(seed_of(month)).sample(ids, size))


def plan(engine: Engine, month: str, at: datetime) -> dict[str, Any]:
    """Draw the month's sample and record each as a planned revisit (once)."""
    start = month_start(month)
    with writing(engine) as conn:
        population = [
            r[0]
            for r in conn.execute(
                select(ITEM.c.id).where(
                    ITEM.c.kind == "case",
                    ITEM.c.state == "closed",
                    ITEM.c.closure_reason == "rectified",
                    ITEM.c.closed_at < start,
                )
            )
        ]
        sample = draw(population, month)
        have = {
            r[0] for r in conn.execute(select(REVISIT.c.item_id).where(REVISIT.c.month == month))
        }
        new = [i for i in sample if i not in have]
        if new:
            conn.execute(
                insert(REVISIT), [{"item_id": i, "month": month, "planned": True} for i in new]
            )
            items = conn.execute(select(ITEM).where(ITEM.c.id.in_(new))).mappings()
            notes = []
            for item in items:
                notes += outbox.rows(
                    item=dict(item),
                    template="revisit_due",
                    audiences=("lead_unit",),
                    cause=f"revisit:{month}:{item['id']}",
                    at=at,
                    extra={"month": month},
                )
            conn.execute(insert(NOTIFICATION), notes)
        refs: dict[int, str] = {
            r.id: r.ref
            for r in conn.execute(select(ITEM.c.id, ITEM.c.ref).where(ITEM.c.id.in_(sample)))
        }
    return {
        "month": month,
        "seed": hex(seed_of(month)),
        "population": len(population),
        "sample": [refs[i] for i in sample],
        "new": len(new),
    }


def rate(engine: Engine, month: str | None = None) -> dict[str, Any]:
    """Revisits done ÷ revisits planned (it can exceed 100%: ad hoc revisits count as done)."""
    with engine.connect() as conn:
        q_planned = select(func.count()).select_from(REVISIT).where(REVISIT.c.planned.is_(True))
        q_done = select(func.count()).select_from(REVISIT).where(REVISIT.c.done_on.is_not(None))
        if month:
            q_planned = q_planned.where(REVISIT.c.month == month)
            q_done = q_done.where(REVISIT.c.month == month)
        planned = int(conn.execute(q_planned).scalar_one())
        done = int(conn.execute(q_done).scalar_one())
    return {"planned": planned, "done": done, "rate": round(done / planned, 4) if planned else None}
