"""Figure 3: the deadline sweep over a million clocks, against set-based SQL.

``catch_up`` is the sweep that follows the import: it escalates the cases that arrived
already overdue (every rung of the ladder, reported for information). ``sweep`` is the
measured one, just after midnight, when exactly ``plan.sweep_clocks`` rectification
clocks (warned by the evening's sweep) have become overdue. The raw
baseline writes the same rows (escalations, history, notifications, clock and item
updates) with six INSERT … SELECT / UPDATE statements, and is rolled back so that the
product then finds the same due clocks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from benchmarks.console import say
from benchmarks.loading import connect
from models.types import utc_text
from states.rules import DEFAULT_LADDER
from states.service import DEFAULT_RULES
from states.sweep import sweep

_RUNGS = ", ".join(f"({i}, '{r.level}', {r.offset_days})" for i, r in enumerate(DEFAULT_LADDER))
_AUDIENCES = ", ".join(
    f"('{level}', '{who}')"
    for level, whos in {
        "warning": ("person_in_charge",),
        "supervision_letter": ("lead_unit", "supervising_unit"),
        "interview": ("unit_head",),
        "referral": ("discipline",),
    }.items()
    for who in whos
)
_DUE = f"""
CREATE TEMP TABLE due AS
WITH rung(idx, level, days) AS (VALUES {_RUNGS})
SELECT c.id AS clock_id, c.item_id, c.kind, c.due_at, r.idx, r.level,
       CAST(julianday(:now) - julianday(c.due_at) AS INTEGER) AS days_over
FROM clock AS c JOIN rung AS r
  ON r.idx >= c.next_level AND datetime(c.due_at, printf('%+d days', r.days)) <= :now
WHERE c.stopped_at IS NULL AND c.next_escalation_at <= :now_text
"""
_DUE_INDEXES = (
    "CREATE INDEX temp.due_clock ON due (clock_id, idx)",
    "CREATE INDEX temp.due_item ON due (item_id)",
)
_STATEMENTS = (
    """INSERT INTO escalation (clock_id, item_id, level, at)
       SELECT clock_id, item_id, level, :now_text FROM due""",
    """INSERT INTO history (item_id, seq, event, actor, role, at, from_state, to_state, data,
                            idem_key, prev_hash, hash)
       SELECT d.item_id,
              i.history_seq + row_number() OVER (PARTITION BY d.item_id ORDER BY d.clock_id, d.idx),
              'escalate', 'system', 'system', :now_text, i.state, i.state,
              json_object('clock', d.kind, 'level', d.level, 'due_at', d.due_at,
                          'days_overdue', d.days_over),
              NULL, i.history_head, lower(hex(randomblob(32)))
       FROM due AS d JOIN item AS i ON i.id = d.item_id""",
    f"""INSERT INTO notification (item_id, template, audience, unit_id, dedupe_key, payload,
                                 status, attempts, next_attempt_at, created_at)
       WITH audience(level, who) AS (VALUES {_AUDIENCES})
       SELECT d.item_id, d.level, a.who,
              CASE a.who WHEN 'supervising_unit' THEN i.supervising_unit_id
                         ELSE i.lead_unit_id END,
              'raw:' || d.clock_id || ':' || d.level || ':' || a.who,
              json_object('item_id', i.id, 'kind', i.kind, 'ref', i.ref, 'summary', i.summary,
                          'address', i.address, 'district_id', i.district_id,
                          'lead_unit_id', i.lead_unit_id,
                          'supervising_unit_id', i.supervising_unit_id, 'state', i.state,
                          'clock', d.kind, 'level', d.level, 'due_at', d.due_at,
                          'days_overdue', d.days_over),
              'pending', 0, :now_text, :now_text
       FROM due AS d JOIN audience AS a ON a.level = d.level JOIN item AS i ON i.id = d.item_id""",
    f"""UPDATE clock SET
         next_level = (SELECT max(idx) + 1 FROM due WHERE due.clock_id = clock.id),
         next_escalation_at = (
           WITH rung(idx, level, days) AS (VALUES {_RUNGS})
           SELECT strftime('%Y-%m-%d %H:%M:%f', clock.due_at, printf('%+d days', r.days))
           FROM rung AS r
           WHERE r.idx = (SELECT max(idx) + 1 FROM due WHERE due.clock_id = clock.id))
       WHERE id IN (SELECT clock_id FROM due)""",
    """UPDATE item SET
         version = version + 1,
         history_seq = history_seq + (SELECT count(*) FROM due WHERE due.item_id = item.id),
         history_head = lower(hex(randomblob(32))),
         updated_at = :now_text
       WHERE id IN (SELECT item_id FROM due)""",
)


@dataclass(frozen=True)
class Swept:
    """What one sweep did and how long it took."""

    seconds: float
    clocks: int
    escalations: int
    notifications: int


def product(engine: Engine, now: datetime, label: str) -> Swept:
    """``states.sweep.sweep(engine, now)``, timed."""
    say(f"[sweep] {label}: states.sweep.sweep(now={now.isoformat()}) …")
    t0 = time.perf_counter()
    result = sweep(engine, now, DEFAULT_RULES)
    seconds = time.perf_counter() - t0
    clocks = len({(e["ref"], e["clock"]) for e in result.escalations})
    swept = Swept(seconds, clocks, len(result.escalations), result.notifications)
    say(
        f"[sweep] {label}: {seconds:,.2f} s for {clocks:,} clocks, "
        f"{swept.escalations:,} escalations, {swept.notifications:,} notifications"
    )
    return swept


def raw(path: Path, now: datetime) -> Swept:
    """The same rows written by set-based SQL in one transaction, timed, then rolled back."""
    conn = connect(path, "FULL")
    now_text = utc_text(now)
    params = {"now": now_text[:19], "now_text": now_text}
    try:
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_DUE, params)
        for sql in _DUE_INDEXES:
            conn.execute(sql)
        rows, clocks = conn.execute("SELECT count(*), count(DISTINCT clock_id) FROM due").fetchone()
        notes = 0
        for n, sql in enumerate(_STATEMENTS):
            cursor = conn.execute(sql, params)
            notes = cursor.rowcount if n == 2 else notes
        seconds = time.perf_counter() - t0
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    say(f"[sweep] raw set-based SQL: {seconds:,.2f} s for {clocks:,} clocks, {rows:,} escalations")
    return Swept(seconds, clocks, rows, notes)
