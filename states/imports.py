"""Importing a batch file (交办批次): JSON lines of ``case add`` (or ``task add``) objects.

All or nothing: every line is checked first and every bad line is named with its reason;
if any is bad, nothing is imported. Otherwise the whole batch is registered in one
transaction (``states.registry.register``), which checks again under the write lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from models.bulk import paused_gc
from models.engine import writing
from models.payloads import CaseNew
from models.tables import InspectionRound, Item, table
from states.calendar import SHANGHAI
from states.errors import BadInput
from states.registry import NewItem, parse_new, register
from states.rules import Rules

ITEM, ROUND = table(Item), table(InspectionRound)


@dataclass(frozen=True)
class BadLine:
    """One line of a batch that cannot be imported, and why."""

    line: int
    zh: str
    en: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.en}"


class BatchRejected(BadInput):
    """A batch with bad lines: nothing was imported."""

    def __init__(self, bad: list[BadLine]) -> None:
        self.bad = bad
        first = "；".join(f"第 {b.line} 行：{b.zh}" for b in bad[:3])
        super().__init__(
            f"批次中有 {len(bad)} 行有误，未导入任何事项：{first}",
            f"{len(bad)} bad line(s) in the batch; nothing was imported",
            [str(b) for b in bad],
        )


@dataclass(frozen=True)
class Imported:
    """A batch that was imported: its items' ids and numbers, in file order."""

    ids: list[int]
    refs: list[str]


def _ref(item: NewItem) -> str:
    return item.intake_no if isinstance(item, CaseNew) else item.number


@paused_gc()
def parse_lines(lines: Iterable[str], kind: str) -> tuple[list[tuple[int, NewItem]], list[BadLine]]:
    """Each non-blank line validated as a new item; the good ones and every bad one."""
    good: list[tuple[int, NewItem]] = []
    bad: list[BadLine] = []
    seen: dict[tuple[str, str], int] = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
        except RecursionError:
            bad.append(BadLine(n, "JSON 嵌套过深", "JSON nested too deeply"))
            continue
        except json.JSONDecodeError as e:
            bad.append(BadLine(n, f"JSON 格式有误（第 {e.colno} 列）：{e.msg}", f"bad JSON: {e}"))
            continue
        try:
            item = parse_new(kind, data)
        except BadInput as e:
            bad.append(BadLine(n, "；".join(e.problems) or e.zh, e.en))
            continue
        assigned = item.assigned_at
        day = assigned.astimezone(SHANGHAI).date() if isinstance(assigned, datetime) else assigned
        if item.rectification_due < day:
            bad.append(
                BadLine(
                    n, "整改时限早于交办日期", "rectification_due is before the assignment date"
                )
            )
            continue
        key = (item.round, _ref(item))
        if key in seen:
            bad.append(
                BadLine(
                    n,
                    f"编号 {key[1]} 与第 {seen[key]} 行重复",
                    f"number {key[1]} repeats line {seen[key]}",
                )
            )
            continue
        seen[key] = n
        good.append((n, item))
    return good, bad


def _registered(conn: Connection, kind: str, items: list[tuple[int, NewItem]]) -> list[BadLine]:
    """Lines whose number is already registered in their round."""
    by_key = {(x.round, _ref(x)): n for n, x in items}
    refs = sorted({ref for _, ref in by_key})
    bad: list[BadLine] = []
    for i in range(0, len(refs), 500):
        rows = conn.execute(
            select(ROUND.c.name, ITEM.c.ref)
            .join(ROUND, ROUND.c.id == ITEM.c.round_id)
            .where(ITEM.c.kind == kind, ITEM.c.ref.in_(refs[i : i + 500]))
        )
        for round_name, ref in rows:
            if (round_name, ref) in by_key:
                bad.append(
                    BadLine(
                        by_key[(round_name, ref)],
                        f"编号 {ref} 已在{round_name}登记",
                        f"{ref} is already registered in {round_name}",
                    )
                )
    return bad


def import_batch(
    engine: Engine,
    lines: Iterable[str],
    *,
    kind: str,
    actor: str,
    at: datetime,
    rules: Rules,
) -> Imported:
    """Register every item of the batch in one transaction, or raise BatchRejected."""
    if kind not in ("case", "task"):
        raise BadInput(f"未知事项类型 {kind!r}", f"kind must be case or task, not {kind!r}")
    good, bad = parse_lines(lines, kind)
    if not good and not bad:
        raise BadInput("批次文件为空", "the batch holds no item")
    with writing(engine) as conn:
        bad = sorted(bad + _registered(conn, kind, good), key=lambda b: b.line)
        if bad:
            raise BatchRejected(bad)
        items = [x for _, x in good]
        ids = register(conn, items, actor=actor, role="coordinator", at=at, rules=rules)
    return Imported(ids, [_ref(x) for x in items])
