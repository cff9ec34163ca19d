"""Figure 1: registering a million cases (交办), against plain sqlite3 inserts of item rows.

The product path is what ``rectiflow case import`` does: validate each payload, then
``register`` a batch inside one ``writing`` transaction (item, history head, clock and
unit links, the FTS index through its trigger). The raw baseline inserts the same
number of rows, built from the same data, into the same ``item`` table (its indexes,
foreign keys and, in one of the two variants, the FTS trigger) in a database file of
its own, with the same PRAGMAs and the same transaction size. It sends them as
``register`` does, in multi-row ``INSERT … VALUES (…), (…)`` statements, which let the
FTS trigger index a statement's rows together: with the trigger, ``executemany`` of one
row per statement is 2.5 times slower (without it, about 20 % faster).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from benchmarks import cases
from benchmarks.console import Progress
from models.bulk import paused_gc
from models.engine import writing
from models.types import utc_text
from states.registry import NewItem, parse_new, register
from states.service import DEFAULT_RULES

ACTOR = "鞍山市督察整改办"
RAW_COLUMNS = (
    "id",
    "kind",
    "round_id",
    "ref",
    "batch_no",
    "assigned_at",
    "district_id",
    "lead_unit_id",
    "supervising_unit_id",
    "summary",
    "content",
    "address",
    "pollution_types",
    "category",
    "key_case",
    "complainant_name",
    "complainant_phone",
    "rectification_due",
    "plan_approved",
    "satisfaction_signed",
    "state",
    "version",
    "history_seq",
    "history_head",
    "review_cycle",
    "created_at",
    "updated_at",
)
NAME_TABLES = ("inspection_round", "district", "unit")
RAW_PARAMS = 30_000  # bound parameters per statement, under SQLite's limit of 32,766
Params = tuple[Any, ...]  # the parameters of one statement


@dataclass(frozen=True)
class Loaded:
    """How long the product took to validate and to register ``items`` cases."""

    items: int
    validate_s: float
    register_s: float
    batch_rates: tuple[float, ...]  # items/s of each transaction, in order

    @property
    def first_per_s(self) -> float:
        """The rate over the first tenth of the batches: the table still small."""
        return _mean(self.batch_rates[: max(1, len(self.batch_rates) // 10)])

    @property
    def last_per_s(self) -> float:
        """The rate over the last tenth of the batches: the table nearly full."""
        return _mean(self.batch_rates[-max(1, len(self.batch_rates) // 10) :])

    @property
    def per_s(self) -> float:
        return self.items / self.register_s

    @property
    def end_to_end_per_s(self) -> float:
        return self.items / (self.validate_s + self.register_s)


@dataclass(frozen=True)
class RawLoaded:
    """How long plain multi-row inserts took: of item rows built from the same data, with
    and without FTS; and of every row ``register`` wrote (the floor of registration)."""

    items: int
    fts_s: float
    plain_s: float
    written_s: float


def load(engine: Engine, plan: cases.Plan, batch: int = cases.BATCH_SIZE) -> Loaded:
    """Register every case of ``plan``, one transaction per batch."""
    progress = Progress("[load] states.registry.register", plan.items)
    validate_s = register_s = 0.0
    done = 0
    rates = []
    for n, (start, stop) in enumerate(plan.batches(batch)):
        data = cases.batch(plan, start, stop)
        t0 = time.perf_counter()
        with paused_gc():  # as states.imports.parse_lines validates a batch file
            items: list[NewItem] = [parse_new("case", d) for d in data]
        t1 = time.perf_counter()
        with writing(engine) as conn:
            register(
                conn,
                items,
                actor=ACTOR,
                role="coordinator",
                at=cases.REGISTERED + timedelta(seconds=n),
                rules=DEFAULT_RULES,
            )
        t2 = time.perf_counter()
        validate_s += t1 - t0
        register_s += t2 - t1
        rates.append((stop - start) / (t2 - t1))
        done = stop
        progress.update(done)
    progress.done(f"{done / register_s:,.0f} items/s in register")
    return Loaded(done, validate_s, register_s, tuple(rates))


def _mean(rates: tuple[float, ...]) -> float:
    # Items over seconds, not the average of rates, so that a slow batch weighs its time.
    return len(rates) / sum(1 / r for r in rates)


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """A plain sqlite3 connection with the product's PRAGMAs; transactions are explicit."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def copy_schema(source: Path, target: Path, *, fts: bool) -> None:
    """Create ``source``'s tables, indexes (and FTS, if ``fts``) in a new file ``target``,
    with the rows of the small name tables the item rows refer to."""
    src = sqlite3.connect(source)
    statements = src.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    names = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in NAME_TABLES}
    src.close()
    dst = connect(target, "FULL")
    dst.execute("BEGIN IMMEDIATE")
    for kind, name, sql in statements:
        if name.startswith("item_fts_") or name == "alembic_version":
            continue  # FTS5 makes its shadow tables itself
        if not fts and (name == "item_fts" or kind == "trigger"):
            continue
        dst.execute(sql)
    for t, rows in names.items():
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            dst.executemany(f"INSERT INTO {t} VALUES ({marks})", rows)
    dst.execute("COMMIT")
    dst.close()


def _ids(path: Path, t: str) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {name: id_ for id_, name in conn.execute(f"SELECT id, name FROM {t}")}
    finally:
        conn.close()


def _raw_row(index: int, d: dict[str, Any], ids: dict[str, dict[str, int]], at: str) -> Params:
    person = d.get("complainant") or {}
    return (
        index + 1,
        "case",
        ids["inspection_round"][d["round"]],
        d["intake_no"],
        d["batch_no"],
        utc_text(datetime.fromisoformat(d["assigned_at"])),
        ids["district"][d["district"]],
        ids["unit"][d["lead_unit"]],
        ids["unit"][d["supervising_unit"]],
        d["summary"],
        d["content"],
        d["address"],
        json.dumps(d["pollution_types"], ensure_ascii=False, separators=(",", ":")),
        d["category"],
        int(d["key_case"]),
        person.get("name"),
        person.get("phone"),
        d["rectification_due"],
        0,
        0,
        "assigned",
        1,
        1,
        f"{index:064x}",
        1,
        at,
        at,
    )


def raw_load(
    product: Path, directory: Path, plan: cases.Plan, batch: int = cases.BATCH_SIZE
) -> RawLoaded:
    """Insert ``plan.items`` item rows into two fresh files: the item table with its FTS
    trigger, and without; and, into a third, every row ``register`` wrote to ``product``
    (item, history, clock, unit links), read back from it. Each timed per batch
    transaction; reading the product's rows is not timed."""
    paths = {
        "fts": directory / "raw-load-fts.db",
        "plain": directory / "raw-load-plain.db",
        "written": directory / "raw-load-written.db",
    }
    for key, path in paths.items():
        remove_database(path)
        copy_schema(product, path, fts=key != "plain")
    ids = {t: _ids(product, t) for t in NAME_TABLES}
    conns = {key: connect(path, "FULL") for key, path in paths.items()}
    source = sqlite3.connect(f"file:{product}?mode=ro", uri=True)
    spent = dict.fromkeys(paths, 0.0)
    progress = Progress(
        "[load] raw multi-row inserts: item rows with and without FTS; every row register wrote",
        plan.items,
    )
    try:
        for n, (start, stop) in enumerate(plan.batches(batch)):
            at = utc_text(cases.REGISTERED + timedelta(seconds=n))
            data = cases.batch(plan, start, stop)
            built = _multi_row(
                "item", RAW_COLUMNS, [_raw_row(start + i, d, ids, at) for i, d in enumerate(data)]
            )
            batches = {"fts": built, "plain": built, "written": _written(source, start, stop)}
            for key, conn in conns.items():
                t0 = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                for sql, params in batches[key]:
                    conn.execute(sql, params)
                conn.execute("COMMIT")
                spent[key] += time.perf_counter() - t0
            progress.update(stop)
    finally:
        source.close()
        for conn in conns.values():
            conn.close()
        for path in paths.values():
            remove_database(path)
    progress.done(
        f"{plan.items / spent['fts']:,.0f} rows/s with FTS, "
        f"{plan.items / spent['plain']:,.0f} rows/s without; "
        f"every row register wrote: {plan.items / spent['written']:,.0f} items/s"
    )
    return RawLoaded(plan.items, spent["fts"], spent["plain"], spent["written"])


WRITTEN_TABLES = ("item", "history", "clock", "item_unit")  # in register's order


def _written(source: sqlite3.Connection, start: int, stop: int) -> list[tuple[str, list[Any]]]:
    """The INSERT statements of every row ``register`` wrote for the items of one batch
    (ids ``start + 1`` to ``stop``: a fresh database numbers them from 1), as it sent them."""
    out = []
    for t in WRITTEN_TABLES:
        key = "id" if t == "item" else "item_id"
        cur = source.execute(f"SELECT * FROM {t} WHERE {key} > ? AND {key} <= ?", (start, stop))
        columns = tuple(c[0] for c in cur.description)
        rows = cur.fetchall()
        if t == "item" and len(rows) != stop - start:
            raise RuntimeError(
                f"items {start + 1}..{stop}: {len(rows)} found in the product's file"
            )
        out += _multi_row(t, columns, rows)
    return out


def _multi_row(
    table: str, columns: tuple[str, ...], rows: list[Params]
) -> list[tuple[str, list[Any]]]:
    """``rows`` as INSERT statements of as many rows as SQLite's parameter limit allows."""
    per = RAW_PARAMS // len(columns)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    out = []
    for k in range(0, len(rows), per):
        chunk = rows[k : k + per]
        out.append((head + ", ".join([one] * len(chunk)), [v for row in chunk for v in row]))
    return out


def remove_database(path: Path) -> None:
    """Delete an SQLite file and its WAL and shared-memory files, if there."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
