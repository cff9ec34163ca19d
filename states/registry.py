"""Registering new items (交办), one or a million, with set-based statements.

Each new item gets its ``register`` history row (the head of its hash chain) and its
rectification clock in the same transaction. Units, districts and rounds named for
the first time are created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from models.bulk import insert_rows, paused_gc
from models.payloads import CaseNew, TaskNew, dump
from models.tables import (
    Clock,
    District,
    History,
    InspectionRound,
    Item,
    ItemUnit,
    Measure,
    Responsibility,
    Unit,
    table,
)
from states import clocks
from states.calendar import SHANGHAI
from states.errors import BadInput
from states.history import new_row, public_data
from states.rules import Rules
from states.service import validation_error

ITEM = table(Item)
NewItem = CaseNew | TaskNew


def parse_new(kind: str, data: Any, where: str = "") -> NewItem:
    """A ``case add`` / ``task add`` object validated, or BadInput naming each bad field."""
    model = CaseNew if kind == "case" else TaskNew
    if not isinstance(data, Mapping):
        raise BadInput(f"{where}数据须为 JSON 对象", f"{where}data must be a JSON object")
    try:
        return model.model_validate(dict(data))
    except ValidationError as err:
        raise validation_error(f"{where}{kind}", err) from None


def _instant(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return datetime.combine(value, time(), SHANGHAI)


def _names(conn: Connection, model: Any, names: Iterable[str]) -> dict[str, int]:
    """Ids of the named rows of a name-keyed table, creating the missing ones."""
    t = table(model)
    wanted = sorted({n for n in names if n})
    found: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found |= {
            r.name: r.id for r in conn.execute(select(t.c.name, t.c.id).where(t.c.name.in_(chunk)))
        }
    missing = [n for n in wanted if n not in found]
    if missing:
        if model is InspectionRound:
            rows: list[dict[str, Any]] = [
                {
                    "name": n,
                    "level": "central" if "中央" in n else "provincial",
                    "look_back": "回头看" in n,
                }
                for n in missing
            ]
        else:
            rows = [{"name": n} for n in missing]
        # Another registration may create the same name meanwhile: keep whichever came first.
        conn.execute(_insert_ignoring_duplicates(conn, t), rows)
        found |= {
            r.name: r.id
            for r in conn.execute(select(t.c.name, t.c.id).where(t.c.name.in_(missing)))
        }
    return found


def _insert_ignoring_duplicates(conn: Connection, t: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return pg_insert(t).on_conflict_do_nothing(index_elements=["name"])
    return sqlite_insert(t).on_conflict_do_nothing(index_elements=["name"])


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    """``n`` fresh item ids, so that history hashes can be computed before inserting."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('item', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": n},
        )
        return [r[0] for r in rows]
    # SQLite: the write lock (BEGIN IMMEDIATE) is held, so no one else can take these.
    top = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM item")).scalar_one()
    return list(range(top + 1, top + 1 + n))


def _check_unique(conn: Connection, kind: str, keys: Sequence[tuple[int, str]]) -> None:
    seen: set[tuple[int, str]] = set()
    dupes = [ref for rid, ref in keys if (rid, ref) in seen or seen.add((rid, ref))]  # type: ignore[func-returns-value]
    if dupes:
        raise BadInput(
            f"批次内编号重复：{', '.join(dupes[:10])}",
            f"numbers repeated within the batch: {', '.join(dupes[:10])}",
        )
    by_round: dict[int, list[str]] = {}
    for rid, ref in keys:
        by_round.setdefault(rid, []).append(ref)
    existing: list[str] = []
    for rid, refs in by_round.items():
        # One round at a time, so that the lookup is a walk of the unique index.
        for i in range(0, len(refs), 500):
            q = select(ITEM.c.ref).where(
                ITEM.c.kind == kind, ITEM.c.round_id == rid, ITEM.c.ref.in_(refs[i : i + 500])
            )
            existing += [r[0] for r in conn.execute(q)]
    if existing:
        raise BadInput(
            f"编号已存在：{', '.join(existing[:10])}",
            f"already registered in this round: {', '.join(existing[:10])}",
        )


@paused_gc()
def register(
    conn: Connection,
    items: Sequence[NewItem],
    *,
    actor: str,
    role: str,
    at: datetime,
    rules: Rules,
) -> list[int]:
    """Register validated new items inside the caller's write transaction; their ids."""
    if not items:
        return []
    kind = "case" if isinstance(items[0], CaseNew) else "task"
    if any(isinstance(x, CaseNew) != (kind == "case") for x in items):
        raise BadInput("一个批次只能包含同一类事项", "a batch holds one kind of item")
    for x in items:
        if x.rectification_due < _instant(x.assigned_at).astimezone(SHANGHAI).date():
            raise BadInput(
                f"{_ref(x)}：整改时限早于交办日期",
                f"{_ref(x)}: rectification_due is before the assignment date",
            )
    rounds = _names(conn, InspectionRound, (x.round for x in items))
    districts = _names(conn, District, (x.district or "" for x in items))
    unit_names: list[str] = []
    for x in items:
        unit_names += [x.lead_unit, x.supervising_unit or ""]
        if isinstance(x, CaseNew):
            unit_names += x.other_units
    units = _names(conn, Unit, unit_names)
    _check_unique(conn, kind, [(rounds[x.round], _ref(x)) for x in items])

    ids = _allocate_ids(conn, len(items))
    item_rows, history_rows, clock_rows, links, measures, people = [], [], [], [], [], []
    clock_memo: dict[date, dict[str, Any]] = {}
    for item_id, x in zip(ids, items, strict=True):
        row = _item_row(item_id, x, rounds, districts, units, at)
        hist = new_row(
            item_id=item_id,
            seq=1,
            event="register",
            actor=actor,
            role=role,
            at=at,
            from_state=None,
            to_state="assigned",
            data=public_data(dump(x)),
            idem_key=None,
            prev_hash="",
            encoded=True,
        )
        row["history_seq"], row["history_head"] = 1, hist["hash"]
        item_rows.append(row)
        history_rows.append(hist)
        clock_rows.append(_clock(clock_memo, item_id, x.rectification_due, at, rules))
        if isinstance(x, CaseNew):
            links += [
                {"item_id": item_id, "unit_id": units[u]}
                for u in dict.fromkeys(x.other_units)
                if u != x.lead_unit
            ]
        else:
            measures += [
                {"item_id": item_id, "seq": i, **m.model_dump(mode="json")}
                for i, m in enumerate(x.measures, 1)
            ]
            if x.leader:
                people.append(
                    {
                        "item_id": item_id,
                        "side": "territorial",
                        "role": "case_leader",
                        "name": x.leader,
                    }
                )
    try:
        insert_rows(conn, ITEM, item_rows)
    except IntegrityError as err:
        if "uq_item_ref" not in str(err.orig) and "item.kind, item.round_id, item.ref" not in str(
            err.orig
        ):
            raise
        # Checked above; this is a registration of the same number committed meanwhile.
        raise BadInput(
            "编号已被同时登记，请刷新后重试",
            f"already registered (meanwhile, by another registration): {err.orig}",
        ) from None
    insert_rows(conn, table(History), history_rows)
    insert_rows(conn, table(Clock), clock_rows)
    for model, rows in ((ItemUnit, links), (Measure, measures), (Responsibility, people)):
        insert_rows(conn, table(model), rows)
    return ids


def _clock(
    memo: dict[date, dict[str, Any]], item_id: int, due: date, at: datetime, rules: Rules
) -> dict[str, Any]:
    """The rectification clock row of a new item; a batch shares few due dates, so each
    date's deadline (rolled past rest days) is worked out once."""
    if due not in memo:
        memo[due] = clocks.new_clock(0, clocks.RECTIFICATION, at, clocks.given(due, rules), rules)
    return memo[due] | {"item_id": item_id, "due_history": []}


def _ref(x: NewItem) -> str:
    return x.intake_no if isinstance(x, CaseNew) else x.number


def _item_row(
    item_id: int,
    x: NewItem,
    rounds: Mapping[str, int],
    districts: Mapping[str, int],
    units: Mapping[str, int],
    at: datetime,
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "id": item_id,
        "round_id": rounds[x.round],
        "assigned_at": _instant(x.assigned_at),
        "district_id": districts.get(x.district or ""),
        "lead_unit_id": units[x.lead_unit],
        "supervising_unit_id": units.get(x.supervising_unit or ""),
        "rectification_due": x.rectification_due,
        "state": "assigned",
        "version": 1,
        "review_cycle": 1,
        "created_at": at,
        "updated_at": at,
    }
    if isinstance(x, CaseNew):
        person = x.complainant
        return common | {
            "kind": "case",
            "ref": x.intake_no,
            "batch_no": x.batch_no,
            "summary": x.summary,
            "content": x.content,
            "address": x.address,
            "pollution_types": [t.value for t in x.pollution_types],
            "category": x.category.value,
            "key_case": x.key_case,
            "complainant_name": person.name if person else None,
            "complainant_phone": person.phone if person else None,
        }
    return common | {
        "kind": "task",
        "ref": x.number,
        "summary": x.issue[:200],
        "content": x.issue,
        "address": "",
        "goal": x.goal,
        "common": x.common,
    }
