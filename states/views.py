"""Read-side views of items: what ``show``, ``list``, ``events`` and ``history`` print.

Instants are given in Asia/Shanghai with their +08:00 offset; personal data is masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from models.tables import (
    Clock,
    District,
    Escalation,
    History,
    InspectionRound,
    Item,
    Problem,
    Unit,
    table,
)
from states.calendar import to_local_iso
from states.errors import BadInput
from states.guards import needs_of, unmet
from states.items import load_snapshot, resolve
from states.lifecycle import EVENTS, STATE_ZH, State, rule_for
from states.rules import Rules

ITEM, CLOCK, ESC, HISTORY = table(Item), table(Clock), table(Escalation), table(History)
UNIT, DISTRICT, ROUND = table(Unit), table(District), table(InspectionRound)


def _iso(value: datetime | None) -> str | None:
    return to_local_iso(value) if value is not None else None


def mask_name(name: str | None) -> str | None:
    """张三 → 张*: enough to recognise a record, not to identify a person."""
    return None if not name else name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """13800001111 → 138****1111."""
    if not phone:
        return None
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def _names(conn: Connection, t: Any, ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {r.id: r.name for r in conn.execute(select(t.c.id, t.c.name).where(t.c.id.in_(wanted)))}


def clock_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "started_at": _iso(row["started_at"]),
        "due_date": row["due_date"].isoformat(),
        "due_at": _iso(row["due_at"]),
        "stopped_at": _iso(row["stopped_at"]),
        "provisional": bool(row["provisional"]),
        "due_history": row["due_history"] or [],
    }


def show(conn: Connection, ref: str, kind: str | None = None) -> dict[str, Any]:
    """Everything about one item, as JSON-ready data."""
    item = resolve(conn, ref, kind)
    units = _names(conn, UNIT, [item["lead_unit_id"], item["supervising_unit_id"]])
    district = _names(conn, DISTRICT, [item["district_id"]])
    round_ = _names(conn, ROUND, [item["round_id"]])
    clocks = conn.execute(
        select(CLOCK).where(CLOCK.c.item_id == item["id"]).order_by(CLOCK.c.id)
    ).mappings()
    escalations = conn.execute(
        select(ESC.c.level, ESC.c.at, CLOCK.c.kind)
        .join(CLOCK, CLOCK.c.id == ESC.c.clock_id)
        .where(ESC.c.item_id == item["id"])
        .order_by(ESC.c.id)
    ).mappings()
    problems = conn.execute(
        select(table(Problem)).where(table(Problem).c.item_id == item["id"]).order_by("seq")
    ).mappings()
    number_key = "intake_no" if item["kind"] == "case" else "number"
    return {
        "id": item["id"],
        "kind": item["kind"],
        number_key: item["ref"],
        "intake_no": item["ref"],
        "round": round_.get(item["round_id"]),
        "batch_no": item["batch_no"],
        "state": item["state"],
        "state_zh": STATE_ZH[State(item["state"])],
        "version": item["version"],
        "assigned_at": _iso(item["assigned_at"]),
        "district": district.get(item["district_id"] or 0),
        "lead_unit": units.get(item["lead_unit_id"] or 0),
        "supervising_unit": units.get(item["supervising_unit_id"] or 0),
        "summary": item["summary"],
        "content": item["content"],
        "address": item["address"],
        "pollution_types": item["pollution_types"] or [],
        "category": item["category"],
        "key_case": bool(item["key_case"]),
        "complainant": {
            "name": mask_name(item["complainant_name"]),
            "phone": mask_phone(item["complainant_phone"]),
        },
        "verdict": item["verdict"],
        "problems": [
            {"seq": p["seq"], "text": p["text"], "resolved": p["resolved"]} for p in problems
        ],
        "satisfied": item["satisfied"],
        "rectification_due": item["rectification_due"].isoformat()
        if item["rectification_due"]
        else None,
        "review_applied_at": _iso(item["review_applied_at"]),
        "notice": {"start": str(item["notice_start"]), "end": str(item["notice_end"])}
        if item["notice_start"]
        else None,
        "closed_at": _iso(item["closed_at"]),
        "closure_reason": item["closure_reason"],
        "filing_no": item["filing_no"],
        "clocks": [clock_view(dict(c)) for c in clocks],
        "escalations": [
            {"clock": e["kind"], "level": e["level"], "at": _iso(e["at"])} for e in escalations
        ],
    }


def history(conn: Connection, ref: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The item's history, oldest first."""
    item = resolve(conn, ref, kind)
    rows = conn.execute(
        select(HISTORY).where(HISTORY.c.item_id == item["id"]).order_by(HISTORY.c.seq)
    ).mappings()
    return [
        {
            "seq": r["seq"],
            "at": _iso(r["at"]),
            "event": r["event"],
            "actor": r["actor"],
            "role": r["role"],
            "from": r["from_state"],
            "to": r["to_state"],
            "data": r["data"],
            "key": r["idem_key"],
            "hash": r["hash"],
        }
        for r in rows
    ]


def events(
    conn: Connection, ref: str, at: datetime, rules: Rules, kind: str | None = None
) -> list[dict[str, Any]]:
    """The events allowed from the item's state now, each with its unmet guards.

    Guards that judge the event's own data (an acceptance opinion, say) are checked with
    that data left empty where the event allows it, and otherwise listed as ``input``.
    """
    item = resolve(conn, ref, kind)
    state = State(item["state"])
    out = []
    for event in EVENTS:
        rule = rule_for(event, state)
        if rule is None:
            continue
        needed: list[str] = []
        try:
            payload = rule.payload.model_validate({})
        except ValidationError as err:
            payload = None
            needed = [".".join(str(x) for x in e["loc"]) for e in err.errors()]
        found: list[dict[str, str]] = []
        if payload is not None:
            snap = load_snapshot(conn, item, needs_of(rule.guards), payload)
            try:
                found = [u.__dict__ for u in unmet(rule.guards, snap, payload, at)]
            except BadInput:
                found = []
        out.append(
            {
                "event": event,
                "label": rule.zh,
                "to": rule.dest.value if rule.dest else state.value,
                "roles": sorted(r.value for r in rule.roles | rules.extra_roles.get(event, set())),
                "guards": list(rule.guards),
                "unmet": found,
                "input": needed,
            }
        )
    return out


def listing(
    conn: Connection,
    *,
    kind: str | None,
    now: datetime,
    state: str | None = None,
    district: str | None = None,
    overdue: bool = False,
    search: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Items matching the filters, newest assignment first, with their running clock."""
    if state is not None and state not in State.__members__:
        raise BadInput(f"未知状态 {state!r}", f"unknown state {state!r}; one of {', '.join(State)}")
    if limit < 1:
        raise BadInput("limit 须为正数", "limit must be positive")
    run = aliased(CLOCK)
    q = (
        select(
            ITEM.c.id,
            ITEM.c.kind,
            ITEM.c.ref,
            ITEM.c.state,
            ITEM.c.summary,
            ITEM.c.key_case,
            DISTRICT.c.name.label("district"),
            UNIT.c.name.label("lead_unit"),
            run.c.kind.label("clock"),
            run.c.due_at,
            run.c.provisional,
        )
        .outerjoin(DISTRICT, DISTRICT.c.id == ITEM.c.district_id)
        .outerjoin(UNIT, UNIT.c.id == ITEM.c.lead_unit_id)
        .outerjoin(run, and_(run.c.item_id == ITEM.c.id, run.c.stopped_at.is_(None)))
        .order_by(ITEM.c.assigned_at.desc(), ITEM.c.id.desc())
        .limit(limit)
    )
    if kind:
        q = q.where(ITEM.c.kind == kind)
    if state:
        q = q.where(ITEM.c.state == state)
    if district:
        q = q.where(DISTRICT.c.name == district)
    if overdue:
        q = q.where(run.c.due_at < now, run.c.kind != "notice")
    if search is not None:
        from models.search import matching_ids

        try:
            q = q.where(ITEM.c.id.in_(matching_ids(conn, search)))
        except ValueError as err:
            raise BadInput(f"搜索内容无效：{err}", f"invalid search: {err}") from None
    rows = conn.execute(q).mappings()
    out = []
    for r in rows:
        due = r["due_at"]
        out.append(
            {
                "id": r["id"],
                "kind": r["kind"],
                "ref": r["ref"],
                "state": r["state"],
                "summary": r["summary"],
                "key_case": bool(r["key_case"]),
                "district": r["district"],
                "lead_unit": r["lead_unit"],
                "clock": r["clock"],
                "due_at": _iso(due),
                "provisional": bool(r["provisional"]) if due else None,
                "overdue_days": max(0, (now - due).days) if due and due < now else 0,
            }
        )
    return out


def counts_by_state(conn: Connection) -> dict[str, int]:
    """How many items are in each state."""
    query = select(ITEM.c.state, func.count().label("n")).group_by(ITEM.c.state)
    return {r.state: int(r.n) for r in conn.execute(query)}
