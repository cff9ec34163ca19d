"""Figure 2: durable transitions per second, ``fire`` against the raw sqlite3 bound.

Each side acknowledges (签收) its own distinct items, all in state ``assigned``, on the
same database file, one transaction per item. The raw bound writes exactly what
``fire`` writes for ``acknowledge`` — the item's state, version and hash-chain head,
and one hashed history row — but with the rows computed beforehand, so it measures
only SQLite: BEGIN IMMEDIATE, one UPDATE, one INSERT, COMMIT.

The raw side holds one connection for all its transactions, and so does the measured
``fire`` (``fire(conn, …)``, as the sweep's closures and the demo call it). ``fire`` given
the engine, taking a connection from the pool for each call as a one-off caller does,
is measured beside them.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from benchmarks import cases
from benchmarks.console import Progress
from benchmarks.loading import Params, connect
from models.engine import make_engine
from models.types import utc_text
from states.history import new_row
from states.service import fire

OPERATOR = "海城市人民政府经办人"
EVENT = "acknowledge"
WARM_UP = 20


@dataclass(frozen=True)
class Targets:
    """Disjoint sets of item indexes, one per measured run, plus warm-up items."""

    fire: dict[str, list[int]]
    pooled: dict[str, list[int]]
    raw: dict[str, list[int]]
    warm: dict[str, list[int]]

    @classmethod
    def pick(cls, plan: cases.Plan, fires: int, modes: tuple[str, ...]) -> Targets:
        """Items not due for the sweep, spread at random over the table."""
        candidates = [i for i in range(plan.items) if plan.group(i) == "future"]
        warm = min(WARM_UP, max(2, fires // 10))
        need = len(modes) * (3 * fires + warm)
        if need > len(candidates):
            raise ValueError(f"{need} items needed for the transitions, {len(candidates)} free")
        chosen = random.Random(7).sample(candidates, need)
        out: dict[str, dict[str, list[int]]] = {"fire": {}, "pooled": {}, "raw": {}, "warm": {}}
        for mode in modes:
            for side in ("fire", "pooled", "raw"):
                out[side][mode], chosen = chosen[:fires], chosen[fires:]
            out["warm"][mode], chosen = chosen[:warm], chosen[warm:]
        return cls(out["fire"], out["pooled"], out["raw"], out["warm"])


@dataclass(frozen=True)
class Pace:
    """``ops`` transitions in ``seconds``."""

    ops: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.ops / self.seconds


def checkpoint(path: Path) -> None:
    """Fold the WAL into the database so that every run starts from an empty WAL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _raw_ops(conn: sqlite3.Connection, indexes: list[int]) -> list[tuple[Params, Params]]:
    """The (UPDATE, INSERT) parameters of each item's acknowledge, hashes included."""
    refs = [cases.intake_no(i) for i in indexes]
    found: dict[str, tuple[int, int, int, str]] = {}
    for k in range(0, len(refs), 500):
        chunk = refs[k : k + 500]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT ref, id, version, history_seq, history_head FROM item WHERE ref IN ({marks})"
        for ref, item_id, version, seq, head in conn.execute(sql, chunk):
            found[ref] = (item_id, version, seq, head)
    at = utc_text(cases.FIRED_AT)
    ops: list[tuple[Params, Params]] = []
    for ref in refs:
        item_id, version, seq, head = found[ref]
        hist = new_row(
            item_id=item_id,
            seq=seq + 1,
            event=EVENT,
            actor=OPERATOR,
            role="operator",
            at=cases.FIRED_AT,
            from_state="assigned",
            to_state="investigating",
            data={},
            idem_key=None,
            prev_hash=head,
        )
        update = ("investigating", version + 1, seq + 1, hist["hash"], at, item_id, version)
        data = json.dumps(hist["data"])
        insert = (item_id, seq + 1, EVENT, OPERATOR, "operator", at, "assigned", "investigating")
        ops.append((update, (*insert, data, None, head, hist["hash"])))
    return ops


RAW_UPDATE = (
    "UPDATE item SET state = ?, version = ?, history_seq = ?, history_head = ?, updated_at = ? "
    "WHERE id = ? AND version = ?"
)
RAW_INSERT = (
    "INSERT INTO history (item_id, seq, event, actor, role, at, from_state, to_state, data, "
    "idem_key, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class Paces:
    """One synchronous mode's three measurements."""

    fire: Pace  # fire(conn, …) on one held connection, as the raw side holds its own
    pooled: Pace  # fire(engine, …): a connection from the pool for each call
    raw: Pace


def measure(path: Path, mode: str, targets: Targets, block: int = 100) -> Paces:
    """``fire`` (on a held connection, and given the engine) and the raw bound at
    ``synchronous=mode``, in alternating blocks of ``block`` operations, so that a slow
    spell of the disk hits every side alike."""
    fires, pooled, raws = targets.fire[mode], targets.pooled[mode], targets.raw[mode]
    engine = make_engine(f"sqlite:///{path}", synchronous=mode)
    conn = connect(path, mode)
    held: Connection | None = None
    try:
        held = engine.connect()
        # Warm both fire sides: the engine's first call opens the pool's second connection.
        for n, i in enumerate(targets.warm[mode]):
            _fire(held if n % 2 else engine, i)
        ops = _raw_ops(conn, raws)
        checkpoint(path)
        total = len(fires) + len(pooled) + len(ops)
        progress = Progress(f"[fire] fire vs raw, synchronous={mode}", total, "ops")
        fire_s = pooled_s = raw_s = 0.0
        for k in range(0, max(len(fires), len(pooled), len(ops)), block):
            t0 = time.perf_counter()
            for i in fires[k : k + block]:
                _fire(held, i)
            t1 = time.perf_counter()
            for i in pooled[k : k + block]:
                _fire(engine, i)
            t2 = time.perf_counter()
            for update, insert in ops[k : k + block]:
                conn.execute("BEGIN IMMEDIATE")
                if conn.execute(RAW_UPDATE, update).rowcount != 1:
                    raise RuntimeError(f"item #{update[5]} was not at version {update[6]}")
                conn.execute(RAW_INSERT, insert)
                conn.execute("COMMIT")
            t3 = time.perf_counter()
            fire_s, pooled_s, raw_s = fire_s + t1 - t0, pooled_s + t2 - t1, raw_s + t3 - t2
            progress.update(sum(min(k + block, len(side)) for side in (fires, pooled, ops)))
        paces = Paces(Pace(len(fires), fire_s), Pace(len(pooled), pooled_s), Pace(len(ops), raw_s))
        progress.done(
            f"fire {paces.fire.per_s:,.0f}/s (given the engine {paces.pooled.per_s:,.0f}/s), "
            f"raw {paces.raw.per_s:,.0f}/s"
        )
    finally:
        if held is not None:
            held.close()
        conn.close()
        engine.dispose()
    return paces


def _fire(db: Engine | Connection, index: int) -> None:
    fired = fire(
        db, cases.intake_no(index), EVENT, actor=OPERATOR, role="operator", at=cases.FIRED_AT
    )
    if fired.to_state != "investigating":
        raise RuntimeError(f"{fired.ref} went to {fired.to_state}, not investigating")
