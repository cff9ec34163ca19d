"""``fire``: one event on one item, in one transaction, all or nothing (ARCHITECTURE.md).

Reads and checks happen first, outside the write lock; the write then succeeds only
if the item's version is still the one that was checked (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine, insert, select, update

from models.bulk import insert_rows
from models.direct import rows_where, update_where
from models.engine import connected, write_transaction
from models.payloads import dump
from models.tables import Clock, History, Item, Notification, table
from states import clocks, outbox
from states.effects import COLUMNS, WRITES, Ctx, move_rectification_due
from states.errors import BadInput, Conflict, Refused, Unmet
from states.guards import needs_of, unmet
from states.history import new_row, public_data
from states.items import check_in_order, item_by_id, load_snapshot, resolve
from states.lifecycle import EVENTS, STATE_ZH, Role, Rule, State, destination, rule_for, rules_for
from states.rules import Rules

ITEM = table(Item)
HISTORY = table(History)
CLOCK = table(Clock)
NOTIFICATION = table(Notification)
DEFAULT_RULES = Rules()


# The machine is built once from the static table, so its answer for an (event, state)
# pair never changes: ask it once per pair (an error is not cached, it is raised again).
_destination = cache(destination)


@dataclass(frozen=True)
class Fired:
    """The result of a fire: where the item went, and whether this was a replay."""

    item_id: int
    ref: str
    event: str
    from_state: str
    to_state: str
    version: int
    seq: int
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Stale(Exception):
    """The version check failed inside the write; turned into Conflict after rollback."""


def validation_error(what: str, err: ValidationError) -> BadInput:
    """A BadInput that names every invalid field of a payload."""
    problems = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(payload)"
        problems.append(f"{loc}: {e['msg']}")
    joined = "; ".join(problems)
    return BadInput(f"{what} 数据有误：{joined}", f"invalid {what} data: {joined}", problems)


def parse_role(role: str) -> Role:
    """The role named, or BadInput listing the roles there are."""
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise BadInput(
            f"未知角色 {role!r}（可用：{known}）", f"unknown role {role!r}; one of {known}"
        ) from None


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise BadInput("未给出操作人", "no actor given")
    return actor


def parse_payload(event: str, data: Mapping[str, Any] | None) -> BaseModel:
    """The event's payload validated, or BadInput naming the event and each bad field."""
    rows = rules_for(event)
    if not rows:
        raise BadInput(
            f"未知事件 {event!r}（可用：{', '.join(EVENTS)}）",
            f"unknown event {event!r}; one of {', '.join(EVENTS)}",
        )
    if data is not None and not isinstance(data, Mapping):
        raise BadInput(f"{event} 的数据须为 JSON 对象", f"{event} data must be a JSON object")
    try:
        return rows[0].payload.model_validate(dict(data or {}))
    except ValidationError as err:
        raise validation_error(event, err) from None


def _refuse_state(item: Mapping[str, Any], event: str) -> Refused:
    state = State(item["state"])
    sources = sorted({s.value for r in rules_for(event) for s in r.sources})
    return Refused(
        item["ref"],
        event,
        state.value,
        [
            Unmet(
                "wrong_state",
                f"当前状态为{STATE_ZH[state]}，{event} 仅适用于：{'、'.join(sources)}",
                f"{event} applies only in {', '.join(sources)}, not {state.value}",
            )
        ],
    )


def _refuse_role(item: Mapping[str, Any], rule: Rule, role: Role) -> Refused:
    roles = ", ".join(sorted(r.value for r in rule.roles))
    return Refused(
        item["ref"],
        rule.event,
        item["state"],
        [
            Unmet(
                "role_not_allowed",
                f"角色 {role.value} 无权执行 {rule.event}（允许：{roles}）",
                f"role {role.value} may not fire {rule.event}; allowed: {roles}",
            )
        ],
    )


def _prior(conn: Connection, item_id: int, key: str) -> Mapping[str, Any] | None:
    rows = rows_where(conn, HISTORY, {"item_id": item_id, "idem_key": key})
    return rows[0] if rows else None


def _followup_key(key: str | None, n: int) -> str | None:
    """The key of a follow-up an event caused, so that a replay can find where it ended."""
    return f"{key}#then-{n}" if key else None


def _replay(
    conn: Connection, item: Mapping[str, Any], prior: Mapping[str, Any], event: str
) -> Fired:
    if prior["event"] != event:
        raise BadInput(
            f"幂等键已用于事件 {prior['event']}，不能用于 {event}",
            f"idempotency key already used for {prior['event']}, not {event}",
        )
    last = prior
    for n in range(1, 4):
        then = _prior(conn, item["id"], _followup_key(prior["idem_key"], n) or "")
        if then is None:
            break
        last = then
    return Fired(
        item["id"],
        item["ref"],
        event,
        prior["from_state"] or "",
        last["to_state"],
        item["version"],
        prior["seq"],
        replayed=True,
    )


def check(
    conn: Connection,
    item: Mapping[str, Any],
    event: str,
    role: Role,
    payload: BaseModel,
    at: datetime,
    rules: Rules,
) -> Rule:
    """The applicable rule if ``event`` may be fired now; else Refused naming why."""
    rule = rule_for(event, State(item["state"]))
    if rule is None:
        raise _refuse_state(item, event)
    if not rules.may_fire(rule, role):
        raise _refuse_role(item, rule, role)
    snap = load_snapshot(conn, item, needs_of(rule.guards), payload)
    found = unmet(rule.guards, snap, payload, at)
    if found:
        raise Refused(item["ref"], event, item["state"], found)
    return rule


def fire(
    db: Engine | Connection,
    ref: str,
    event: str,
    *,
    actor: str,
    role: str,
    at: datetime,
    data: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    expected_version: int | None = None,
    kind: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> Fired:
    """Fire ``event`` on the item ``ref``; returns what happened, or raises and writes nothing.

    ``db``: the engine, or a connection outside any transaction that the caller holds
    for many fires (``models.engine.connected``).
    """
    payload = parse_payload(event, data)
    role_ = parse_role(role)
    actor = _check_actor(actor)
    key = idempotency_key.strip() if idempotency_key else None
    with connected(db) as conn:
        try:
            # One write transaction from read to write: on SQLite the lock is held throughout,
            # on PostgreSQL the version check in the UPDATE catches a commit in between.
            with write_transaction(conn):
                item = resolve(conn, ref, kind)
                if key and (prior := _prior(conn, item["id"], key)) is not None:
                    return _replay(conn, item, prior, event)
                if expected_version is not None and item["version"] != expected_version:
                    raise Conflict(item["ref"], event, expected_version)
                check_in_order(item, event, at)
                rule = check(conn, item, event, role_, payload, at, rules)
                return _apply(conn, dict(item), rule, payload, actor, role_, at, key, rules)
        except _Stale:
            pass
        with conn.begin():
            if key and (prior := _prior(conn, item["id"], key)) is not None:
                # Another fire with this key won the race: report the item as it now is.
                return _replay(conn, item_by_id(conn, item["id"]), prior, event)
        raise Conflict(item["ref"], event, item["version"])


def _apply(
    conn: Connection,
    item: dict[str, Any],
    rule: Rule,
    payload: BaseModel,
    actor: str,
    role: Role,
    at: datetime,
    key: str | None,
    rules: Rules,
) -> Fired:
    """Write one checked event (and any follow-up it causes) inside the open transaction."""
    after, followups = _write_event(conn, item, rule, payload, actor, role, at, key, rules)
    fired = Fired(
        after["id"],
        after["ref"],
        rule.event,
        item["state"],
        after["state"],
        after["version"],
        after["history_seq"],
    )
    if not followups:
        return fired
    for n, (event, follow) in enumerate(followups, 1):
        nxt = rule_for(event, State(after["state"]))
        assert nxt is not None, f"follow-up {event} must be allowed from {after['state']}"
        then_key = _followup_key(key, n)
        after, _ = _write_event(conn, after, nxt, follow, actor, role, at, then_key, rules)
    return replace(fired, to_state=after["state"], version=after["version"])


def _write_event(
    conn: Connection,
    item: dict[str, Any],
    rule: Rule,
    payload: BaseModel,
    actor: str,
    role: Role,
    at: datetime,
    key: str | None,
    rules: Rules,
) -> tuple[dict[str, Any], list[tuple[str, BaseModel]]]:
    from_state = State(item["state"])
    dest = _destination(rule.event, from_state)
    seq = item["history_seq"] + 1
    ctx = Ctx(conn, item, rule.event, payload, actor, at, seq, rules)
    columns = COLUMNS[rule.event](ctx) if rule.event in COLUMNS else {}
    hist = new_row(
        item_id=item["id"],
        seq=seq,
        event=rule.event,
        actor=actor,
        role=role.value,
        at=at,
        from_state=from_state.value,
        to_state=dest.value,
        data=public_data(dump(payload)),
        idem_key=key,
        prev_hash=item["history_head"],
        encoded=True,
    )
    version = item["version"] + 1
    moved = {
        "state": dest.value,
        "version": version,
        "history_seq": seq,
        "history_head": hist["hash"],
        "updated_at": at,
    }
    changed = update_where(
        conn, ITEM, moved | columns, {"id": item["id"], "version": item["version"]}
    )
    if changed != 1:
        raise _Stale
    insert_rows(conn, HISTORY, [hist])
    after = item | columns | moved
    if rule.event in WRITES:
        WRITES[rule.event](ctx)
    switch_clocks(conn, item, after, at, rule.event, rules)
    if rule.event in outbox.EVENT_NOTICES:
        template, audiences = outbox.EVENT_NOTICES[rule.event]
        notes = outbox.rows(
            item=after,
            template=template,
            audiences=audiences,
            cause=f"h:{item['id']}:{seq}",
            at=at,
            extra=outbox.clock_facts(conn, item["id"], at),
        )
        insert_rows(conn, NOTIFICATION, notes)
    return after, ctx.followups


def switch_clocks(
    conn: Connection,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    at: datetime,
    reason: str,
    rules: Rules,
) -> None:
    """Stop the clock the old state ran and start the one the new state runs."""
    was = clocks.running_kind(State(before["state"]), before["review_applied_at"] is not None)
    now = clocks.running_kind(State(after["state"]), after["review_applied_at"] is not None)
    item_id = after["id"]
    if was == now:
        return
    conn.execute(
        update(CLOCK)
        .where(CLOCK.c.item_id == item_id, CLOCK.c.stopped_at.is_(None))
        .values(stopped_at=at, stop_reason=reason, next_escalation_at=None)
    )
    if now is None:
        return
    if now == clocks.RECTIFICATION:
        _resume_rectification(conn, after, at, reason, rules)
        return
    due = (
        clocks.fixed(after["notice_end"])
        if now == clocks.NOTICE
        else clocks.counted(now, at, rules)
    )
    conn.execute(insert(CLOCK).values(**clocks.new_clock(item_id, now, at, due, rules)))


def _resume_rectification(
    conn: Connection, item: Mapping[str, Any], at: datetime, reason: str, rules: Rules
) -> None:
    """The rectification deadline belongs to the item: back in work, its clock runs on,
    keeping the escalations already applied."""
    last = (
        conn.execute(
            select(CLOCK)
            .where(CLOCK.c.item_id == item["id"], CLOCK.c.kind == clocks.RECTIFICATION)
            .order_by(CLOCK.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if last is None:
        due = clocks.given(item["rectification_due"], rules)
        conn.execute(
            insert(CLOCK).values(
                **clocks.new_clock(item["id"], clocks.RECTIFICATION, at, due, rules)
            )
        )
        return
    conn.execute(
        update(CLOCK)
        .where(CLOCK.c.id == last["id"])
        .values(
            stopped_at=None,
            stop_reason=None,
            next_escalation_at=clocks.next_escalation(
                clocks.RECTIFICATION, last["due_at"], last["next_level"], rules
            ),
        )
    )
    if item["rectification_due"] != last["basis_date"]:
        move_rectification_due(conn, item["id"], item["rectification_due"], at, reason, rules)
