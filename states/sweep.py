"""The deadline sweep (SPEC §7): the escalation ladder, and closing after the notice period.

Each rung is applied at most once per clock (a unique constraint makes sure), in order,
and all rungs whose time has passed are applied in one pass, so a sweep after downtime
catches up. Clocks are taken in batches, locked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the single write lock on SQLite), so sweeps running side by side share the
work instead of repeating it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, exists, insert, select, update

from models.engine import writing
from models.tables import Clock, Escalation, History, Item, Notification, Objection, SweepRun, table
from states import clocks, outbox
from states.calendar import to_local_iso
from states.errors import Conflict, OutOfOrder, Refused
from states.history import SYSTEM_ACTOR, system_row
from states.rules import Rules
from states.service import DEFAULT_RULES, fire

CLOCK, ITEM, HISTORY = table(Clock), table(Item), table(History)
ESCALATION, NOTIFICATION, OBJECTION = table(Escalation), table(Notification), table(Objection)
SWEEP_RUN = table(SweepRun)


@dataclass
class SweepResult:
    """What one sweep did."""

    now: datetime
    escalations: list[dict[str, Any]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    notifications: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": to_local_iso(self.now),
            "escalations": self.escalations,
            "closed": self.closed,
            "notifications": self.notifications,
            "skipped": self.skipped,
        }


def sweep(
    engine: Engine, now: datetime, rules: Rules = DEFAULT_RULES, batch: int = 2000
) -> SweepResult:
    """Apply every escalation due at ``now`` and close every item whose notice period is over."""
    started = datetime.now(now.tzinfo)
    with writing(engine) as conn:
        run_id = conn.execute(
            insert(SWEEP_RUN).values(started_at=started, now=now).returning(SWEEP_RUN.c.id)
        ).scalar_one()
    result = SweepResult(now)
    while True:
        with writing(engine) as conn:
            done = _escalate_batch(conn, now, rules, batch, result)
        if done == 0:
            break
    with engine.connect() as conn:  # one connection for every closure, not one each
        for item_id, ref, clock_id in _notices_over(engine, now):
            try:
                closing = fire(
                    conn,
                    f"#{item_id}",
                    "close",
                    actor=SYSTEM_ACTOR,
                    role="system",
                    at=now,
                    data={"note": "公示期满无异议，自动销号"},
                    # Keyed by the notice clock: a republished item has a new one and closes
                    # again.
                    idempotency_key=f"auto-close:{clock_id}",
                    rules=rules,
                )
                if not closing.replayed:  # a sweep beside this one closed it: not ours
                    result.closed.append(ref)
            except (Refused, Conflict, OutOfOrder) as err:
                # An objection or an operator got there first, or the item was recorded
                # after ``now``; the next sweep looks again.
                result.skipped.append({"ref": ref, "reason": err.en})
    with writing(engine) as conn:
        conn.execute(
            update(SWEEP_RUN)
            .where(SWEEP_RUN.c.id == run_id)
            .values(
                finished_at=datetime.now(now.tzinfo),
                escalations=len(result.escalations),
                closed=len(result.closed),
                notifications=result.notifications,
            )
        )
    return result


def _due_clocks(conn: Connection, now: datetime, batch: int) -> list[Any]:
    query = (
        select(
            CLOCK.c.id,
            CLOCK.c.item_id,
            CLOCK.c.kind,
            CLOCK.c.due_at,
            CLOCK.c.next_level,
            ITEM.c.ref,
            ITEM.c.kind.label("item_kind"),
            ITEM.c.state,
            ITEM.c.version,
            ITEM.c.history_seq,
            ITEM.c.history_head,
            ITEM.c.summary,
            ITEM.c.address,
            ITEM.c.district_id,
            ITEM.c.lead_unit_id,
            ITEM.c.supervising_unit_id,
        )
        .join(ITEM, ITEM.c.id == CLOCK.c.item_id)
        .where(CLOCK.c.stopped_at.is_(None), CLOCK.c.next_escalation_at <= now)
        # An item recorded after ``now`` (a sweep run for an earlier time) keeps its history
        # in time order: its rungs are applied by the next sweep at or after that record.
        .where(ITEM.c.updated_at <= now)
        .order_by(CLOCK.c.next_escalation_at, CLOCK.c.id)
        .limit(batch)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(conn.execute(query).mappings())


def _escalate_batch(
    conn: Connection, now: datetime, rules: Rules, batch: int, result: SweepResult
) -> int:
    rows = _due_clocks(conn, now, batch)
    if not rows:
        return 0
    escalations, histories, notes, clock_moves = [], [], [], []
    heads: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = heads.setdefault(
            row["item_id"],
            {
                "id": row["item_id"],
                "version": row["version"],
                "seq": row["history_seq"],
                "head": row["history_head"],
                "old_version": row["version"],
                "old_seq": row["history_seq"],
            },
        )
        levels = clocks.levels_due(row["due_at"], row["next_level"], now, rules)
        for level_index in levels:
            rung = rules.ladder[level_index]
            days_over = max(0, (now - row["due_at"]).days)
            facts = {
                "clock": row["kind"],
                "level": rung.level,
                "due_at": to_local_iso(row["due_at"]),
                "days_overdue": days_over,
            }
            item["seq"] += 1
            hist = system_row(
                item_id=row["item_id"],
                seq=item["seq"],
                event="escalate",
                state=row["state"],
                at=now,
                data=facts,
                prev_hash=item["head"],
            )
            item["head"] = hist["hash"]
            histories.append(hist)
            escalations.append(
                {"clock_id": row["id"], "item_id": row["item_id"], "level": rung.level, "at": now}
            )
            item_view = {
                "id": row["item_id"],
                "kind": row["item_kind"],
                "ref": row["ref"],
                "summary": row["summary"],
                "address": row["address"],
                "district_id": row["district_id"],
                "lead_unit_id": row["lead_unit_id"],
                "supervising_unit_id": row["supervising_unit_id"],
                "state": row["state"],
            }
            notes += outbox.rows(
                item=item_view,
                template=rung.level,
                audiences=outbox.ESCALATION_AUDIENCES.get(rung.level, ("lead_unit",)),
                cause=f"esc:{row['id']}:{rung.level}",
                at=now,
                extra=facts,
            )
            result.escalations.append(
                {"ref": row["ref"], "clock": row["kind"], "level": rung.level}
            )
        next_level = row["next_level"] + len(levels)
        clock_moves.append(
            {
                "b_id": row["id"],
                "b_level": next_level,
                "b_next": clocks.next_escalation(row["kind"], row["due_at"], next_level, rules),
            }
        )
    _write_batch(conn, escalations, histories, notes, clock_moves, heads, now)
    result.notifications += len(notes)
    return len(rows)


def _write_batch(
    conn: Connection,
    escalations: list[dict[str, Any]],
    histories: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    clock_moves: list[dict[str, Any]],
    heads: dict[int, dict[str, Any]],
    now: datetime,
) -> None:
    conn.execute(
        update(CLOCK)
        .where(CLOCK.c.id == bindparam("b_id"))
        .values(next_level=bindparam("b_level"), next_escalation_at=bindparam("b_next")),
        clock_moves,
    )
    if not escalations:
        return
    conn.execute(insert(ESCALATION), escalations)
    conn.execute(insert(HISTORY), histories)
    conn.execute(insert(NOTIFICATION), notes)
    changed = [h for h in heads.values() if h["seq"] != h["old_seq"]]
    moved = conn.execute(
        update(ITEM)
        .where(ITEM.c.id == bindparam("b_id"), ITEM.c.version == bindparam("b_old"))
        .values(
            version=bindparam("b_version"),
            history_seq=bindparam("b_seq"),
            history_head=bindparam("b_head"),
            updated_at=now,
        ),
        [
            {
                "b_id": h["id"],
                "b_old": h["old_version"],
                "b_version": h["old_version"] + 1,
                "b_seq": h["seq"],
                "b_head": h["head"],
            }
            for h in changed
        ],
    )
    if moved.rowcount != len(changed):
        # Rows were read under the write lock (or FOR UPDATE), so this means a bug.
        raise RuntimeError("item versions moved under the sweep's lock; batch rolled back")


def _notices_over(engine: Engine, now: datetime) -> Iterator[tuple[int, str, int]]:
    pending = exists().where(
        and_(OBJECTION.c.item_id == ITEM.c.id, OBJECTION.c.status == "pending")
    )
    query = (
        select(ITEM.c.id, ITEM.c.ref, CLOCK.c.id)
        .join(CLOCK, CLOCK.c.item_id == ITEM.c.id)
        .where(
            CLOCK.c.kind == clocks.NOTICE,
            CLOCK.c.stopped_at.is_(None),
            CLOCK.c.due_at <= now,
            ITEM.c.state == "published",
            ~pending,
        )
        .order_by(ITEM.c.id)
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    for row in rows:
        yield row[0], row[1], row[2]
