"""Editing an item's findings (``case update``): which fields, in which states, by whom.

An edit is an ``update`` event in the history like any other, under the same version
check; a collection given (problems, penalties, …) replaces the one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, insert, update

from models.engine import connected, write_transaction
from models.payloads import ItemUpdate, dump
from models.tables import (
    Accountability,
    ArchiveItem,
    History,
    Item,
    ItemUnit,
    Measure,
    Penalty,
    Problem,
    Responsibility,
    table,
)
from states.errors import BadInput, Conflict, Refused, Unmet
from states.history import new_row, public_data
from states.items import check_in_order, resolve
from states.lifecycle import STATE_ZH, Role, State
from states.registry import _names
from states.service import Fired, parse_role, validation_error

ITEM = table(Item)
EDITORS = frozenset({Role.operator, Role.coordinator})
# The discipline commission records accountability (SPEC §1), and nothing else.
DISCIPLINE_FIELDS = frozenset({"accountability"})
OPEN_STATES = frozenset({State.assigned, State.investigating})
# Archive material is gathered up to filing (备案); everything else only while in work.
LATE_FIELDS = frozenset({"archive"})
CASE_ONLY = frozenset(
    {
        "verdict",
        "problems",
        "penalties",
        "satisfaction",
        "category",
        "complainant",
        "pollution_types",
        "other_units",
    }
)
TASK_ONLY = frozenset({"goal", "measures"})
COLLECTIONS: Mapping[str, Any] = {
    "problems": Problem,
    "penalties": Penalty,
    "accountability": Accountability,
    "archive": ArchiveItem,
    "measures": Measure,
    "responsibility": Responsibility,
}


def editable(state: State, filed: bool) -> frozenset[str] | None:
    """The fields editable in ``state`` (None: all of them)."""
    if state in OPEN_STATES:
        return None
    return frozenset() if filed else LATE_FIELDS


def parse_update(data: Any) -> ItemUpdate:
    """An update payload validated, or BadInput naming each bad field."""
    if not isinstance(data, Mapping):
        raise BadInput("更新数据须为 JSON 对象", "update data must be a JSON object")
    try:
        return ItemUpdate.model_validate(dict(data))
    except ValidationError as err:
        raise validation_error("update", err) from None


def update_item(
    db: Engine | Connection,
    ref: str,
    *,
    actor: str,
    role: str,
    at: datetime,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    kind: str | None = None,
) -> Fired:
    """Apply an edit to the item ``ref``; BadInput/Refused/Conflict change nothing.

    ``db``: the engine, or a connection outside any transaction (as for ``fire``).
    """
    payload = parse_update(data)
    role_ = parse_role(role)
    if not (actor or "").strip():
        raise BadInput("未给出操作人", "no actor given")
    fields = set(payload.model_fields_set)
    with connected(db) as conn:
        with conn.begin():
            item = resolve(conn, ref, kind)
        state = State(item["state"])
        wrong_kind = fields & (TASK_ONLY if item["kind"] == "case" else CASE_ONLY)
        if wrong_kind:
            names = ", ".join(sorted(wrong_kind))
            raise BadInput(
                f"字段不适用于{'案件' if item['kind'] == 'case' else '整改任务'}：{names}",
                f"field(s) not applicable to a {item['kind']}: {names}",
            )
        problems = []
        if role_ is Role.discipline:
            if fields - DISCIPLINE_FIELDS:
                names = ", ".join(sorted(fields - DISCIPLINE_FIELDS))
                problems.append(
                    Unmet(
                        "role_not_allowed",
                        f"纪委监委仅可登记追责问责，不可修改：{names}",
                        f"the discipline role records accountability only, not: {names}",
                    )
                )
        elif role_ not in EDITORS:
            problems.append(
                Unmet(
                    "role_not_allowed",
                    f"角色 {role_.value} 无权修改事项",
                    f"role {role_.value} may not edit items (operator, coordinator)",
                )
            )
        allowed = editable(state, bool(item["filing_no"]))
        if role_ is Role.discipline:  # accountability may follow a referral, in any state
            allowed = frozenset() if item["filing_no"] else DISCIPLINE_FIELDS
        if allowed is not None and fields - allowed and not problems:
            names = ", ".join(sorted(fields - allowed))
            problems.append(
                Unmet(
                    "not_editable",
                    f"{STATE_ZH[state]}状态下不可修改：{names}",
                    f"not editable in state {state.value}: {names}",
                )
            )
        if problems:
            raise Refused(item["ref"], "update", state.value, problems)
        if expected_version is not None and expected_version != item["version"]:
            raise Conflict(item["ref"], "update", expected_version)
        check_in_order(item, "update", at)
        with write_transaction(conn):
            columns = _columns(conn, payload)
            seq = item["history_seq"] + 1
            hist = new_row(
                item_id=item["id"],
                seq=seq,
                event="update",
                actor=actor.strip(),
                role=role_.value,
                at=at,
                from_state=state.value,
                to_state=state.value,
                data=public_data(dump(payload)),
                idem_key=None,
                prev_hash=item["history_head"],
            )
            changed = conn.execute(
                update(ITEM)
                .where(ITEM.c.id == item["id"], ITEM.c.version == item["version"])
                .values(
                    version=item["version"] + 1,
                    history_seq=seq,
                    history_head=hist["hash"],
                    updated_at=at,
                    **columns,
                )
            )
            if changed.rowcount != 1:
                raise Conflict(item["ref"], "update", item["version"])
            conn.execute(insert(table(History)).values(**hist))
            _replace_collections(conn, item["id"], payload)
    return Fired(
        item["id"], item["ref"], "update", state.value, state.value, item["version"] + 1, seq
    )


def _columns(conn: Connection, payload: ItemUpdate) -> dict[str, Any]:
    given = payload.model_fields_set
    cols: dict[str, Any] = {}
    for name in ("summary", "content", "address", "key_case", "findings", "goal"):
        if name in given:
            cols[name] = getattr(payload, name)
    for name in ("verdict", "category"):
        if name in given:
            value = getattr(payload, name)
            cols[name] = value.value if value is not None else None
    if "pollution_types" in given:
        cols["pollution_types"] = [t.value for t in payload.pollution_types or []]
    if "complainant" in given:
        person = payload.complainant
        cols["complainant_name"] = person.name if person else None
        cols["complainant_phone"] = person.phone if person else None
    if "plan" in given:
        plan = payload.plan
        for f in ("department", "measures", "time_nodes", "funding", "approved_by"):
            cols[f"plan_{f}"] = getattr(plan, f) if plan else None
        cols["plan_approved"] = bool(plan and plan.approved)
    if "satisfaction" in given:
        s = payload.satisfaction
        cols |= {
            "satisfied": s.satisfied if s else None,
            "satisfaction_by": s.by if s else None,
            "satisfaction_signed": bool(s and s.signed),
            "satisfaction_note": s.note if s else None,
        }
    units = [n for n in (payload.lead_unit, payload.supervising_unit) if n]
    if units:
        from models.tables import Unit

        ids = _names(conn, Unit, units)
        if payload.lead_unit:
            cols["lead_unit_id"] = ids[payload.lead_unit]
        if payload.supervising_unit:
            cols["supervising_unit_id"] = ids[payload.supervising_unit]
    return cols


def _replace_collections(conn: Connection, item_id: int, payload: ItemUpdate) -> None:
    given = payload.model_fields_set
    for name, model in COLLECTIONS.items():
        if name not in given:
            continue
        t = table(model)
        conn.execute(delete(t).where(t.c.item_id == item_id))
        rows = [x.model_dump(mode="json") for x in getattr(payload, name) or []]
        if name in ("problems", "measures"):
            rows = [r | {"seq": i} for i, r in enumerate(rows, 1)]
        if rows:
            conn.execute(insert(t), [r | {"item_id": item_id} for r in rows])
    if "other_units" in given:
        from models.tables import Unit

        t = table(ItemUnit)
        conn.execute(delete(t).where(t.c.item_id == item_id))
        ids = _names(conn, Unit, payload.other_units or [])
        if ids:
            conn.execute(insert(t), [{"item_id": item_id, "unit_id": i} for i in ids.values()])
