"""What each event records besides the state change.

``COLUMNS`` are pure: the item columns an event sets, computed before anything is
written. ``WRITES`` run inside the transaction after the version check has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, delete, insert, select, update

from models import payloads as p
from models.tables import (
    AcceptanceMember,
    AcceptanceOpinion,
    Clock,
    DuplicateLink,
    Extension,
    Objection,
    ReviewSignoff,
    Revisit,
    table,
)
from states import clocks
from states.calendar import local_date, notice_range
from states.rules import Rules


@dataclass
class Ctx:
    """One event being applied to one item."""

    conn: Connection
    item: dict[str, Any]
    event: str
    payload: BaseModel
    actor: str
    at: datetime
    seq: int
    rules: Rules
    followups: list[tuple[str, BaseModel]] = field(default_factory=list)


Columns = Callable[[Ctx], dict[str, Any]]
Write = Callable[[Ctx], None]
COLUMNS: dict[str, Columns] = {}
WRITES: dict[str, Write] = {}


def _columns(event: str) -> Callable[[Columns], Columns]:
    def register(fn: Columns) -> Columns:
        COLUMNS[event] = fn
        return fn

    return register


def _writes(event: str) -> Callable[[Write], Write]:
    def register(fn: Write) -> Write:
        WRITES[event] = fn
        return fn

    return register


def _pay(ctx: Ctx, kind: type[Any]) -> Any:
    assert isinstance(ctx.payload, kind)
    return ctx.payload


@_columns("request_review")
def _request_review(ctx: Ctx) -> dict[str, Any]:
    return {"review_applied_at": ctx.at}


@_columns("return_for_rework")
@_columns("uphold_objection")
def _rework(ctx: Ctx) -> dict[str, Any]:
    # A new review cycle: sign-offs given before the rework no longer count.
    return {"review_applied_at": None, "review_cycle": ctx.item["review_cycle"] + 1}


@_columns("publish")
def _publish(ctx: Ctx) -> dict[str, Any]:
    pay: p.PublishIn = _pay(ctx, p.PublishIn)
    start, end = pay.notice_start, pay.notice_end
    if start is None or end is None:
        start, end = notice_range(local_date(ctx.at), ctx.rules.notice_days)
    return {
        "notice_start": start,
        "notice_end": end,
        "notice_office": pay.office,
        "notice_phone": pay.phone,
        "notice_address": pay.address,
        "published_at": ctx.at,
    }


@_columns("close")
def _close(ctx: Ctx) -> dict[str, Any]:
    return {"closed_at": ctx.at, "closure_reason": "rectified"}


@_columns("file")
def _file(ctx: Ctx) -> dict[str, Any]:
    return {"filing_no": _pay(ctx, p.FileIn).filing_no, "filed_at": ctx.at}


@_columns("merge_duplicate")
def _merge(ctx: Ctx) -> dict[str, Any]:
    return {
        "closed_at": ctx.at,
        "closure_reason": "duplicate",
        "duplicate_of_id": _original_id(ctx),
    }


def _original_id(ctx: Ctx) -> int:
    from states.items import resolve  # items imports guards; keep this module light

    return int(resolve(ctx.conn, _pay(ctx, p.MergeIn).original)["id"])


@_columns("reopen")
def _reopen(ctx: Ctx) -> dict[str, Any]:
    pay: p.ReopenIn = _pay(ctx, p.ReopenIn)
    cols: dict[str, Any] = {
        "closed_at": None,
        "closure_reason": None,
        "filing_no": None,
        "filed_at": None,
        "review_applied_at": None,
        "review_cycle": ctx.item["review_cycle"] + 1,
        "duplicate_of_id": None,
    }
    if pay.rectification_due is not None:
        cols["rectification_due"] = pay.rectification_due
    return cols


@_columns("approve_extension")
def _approve_columns(ctx: Ctx) -> dict[str, Any]:
    return {"rectification_due": _approved_due(ctx)}


def _pending_extension(ctx: Ctx) -> Any:
    t = table(Extension)
    q = select(t).where(t.c.item_id == ctx.item["id"], t.c.status == "pending")
    return ctx.conn.execute(q).mappings().one()


def _approved_due(ctx: Ctx) -> Any:
    pay: p.ApproveExtensionIn = _pay(ctx, p.ApproveExtensionIn)
    return pay.new_due or _pending_extension(ctx)["proposed_due"]


@_writes("accept")
def _accept(ctx: Ctx) -> None:
    pay: p.AcceptanceIn = _pay(ctx, p.AcceptanceIn)
    values = pay.model_dump(exclude={"members"})
    opinion_id = ctx.conn.execute(
        insert(table(AcceptanceOpinion)).values(
            item_id=ctx.item["id"], history_seq=ctx.seq, **values
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    members = [m.model_dump() | {"opinion_id": opinion_id} for m in pay.members]
    ctx.conn.execute(insert(table(AcceptanceMember)), members)


def _record_signoffs(ctx: Ctx, signoffs: list[p.SignoffIn]) -> None:
    t = table(ReviewSignoff)
    cycle = ctx.item["review_cycle"]
    have = {
        (r.point, r.body)
        for r in ctx.conn.execute(
            select(t.c.point, t.c.body).where(t.c.item_id == ctx.item["id"], t.c.cycle == cycle)
        )
    }
    rows, seen = [], set(have)
    for s in signoffs:
        if (s.point, s.body) in seen:
            continue  # signing the same point twice is a retry, not a new fact
        seen.add((s.point, s.body))
        rows.append(
            {
                "item_id": ctx.item["id"],
                "cycle": cycle,
                "point": s.point,
                "body": s.body,
                "signer": s.signer,
                "signed_at": ctx.at,
            }
        )
    if rows:
        ctx.conn.execute(insert(t), rows)


@_writes("sign_off")
def _sign_off(ctx: Ctx) -> None:
    _record_signoffs(ctx, _pay(ctx, p.SignoffsIn).signoffs)


@_writes("review")
def _review(ctx: Ctx) -> None:
    _record_signoffs(ctx, _pay(ctx, p.ReviewIn).signoffs)


@_writes("record_objection")
def _objection(ctx: Ctx) -> None:
    text = _pay(ctx, p.ObjectionIn).text
    ctx.conn.execute(
        insert(table(Objection)).values(item_id=ctx.item["id"], received_at=ctx.at, text=text)
    )


def _resolve_objections(ctx: Ctx, status: str) -> None:
    t = table(Objection)
    ctx.conn.execute(
        update(t)
        .where(t.c.item_id == ctx.item["id"], t.c.status == "pending")
        .values(status=status, resolution=_pay(ctx, p.Reason).reason, resolved_at=ctx.at)
    )


@_writes("uphold_objection")
def _uphold(ctx: Ctx) -> None:
    _resolve_objections(ctx, "upheld")


@_writes("dismiss_objection")
def _dismiss(ctx: Ctx) -> None:
    _resolve_objections(ctx, "dismissed")


@_writes("request_extension")
def _request_extension(ctx: Ctx) -> None:
    pay: p.ExtensionIn = _pay(ctx, p.ExtensionIn)
    ctx.conn.execute(
        insert(table(Extension)).values(
            item_id=ctx.item["id"],
            requested_at=ctx.at,
            requested_by=ctx.actor,
            reason=pay.reason,
            proposed_due=pay.proposed_due,
        )
    )


def _decide_extension(ctx: Ctx, status: str, reason: str | None, due: Any = None) -> None:
    t = table(Extension)
    ctx.conn.execute(
        update(t)
        .where(t.c.item_id == ctx.item["id"], t.c.status == "pending")
        .values(
            status=status,
            decided_at=ctx.at,
            decided_by=ctx.actor,
            decision_reason=reason,
            approved_due=due,
        )
    )


@_writes("approve_extension")
def _approve_extension(ctx: Ctx) -> None:
    due = _approved_due(ctx)
    _decide_extension(ctx, "approved", _pay(ctx, p.ApproveExtensionIn).note, due)
    move_rectification_due(ctx.conn, ctx.item["id"], due, ctx.at, "extension", ctx.rules)


@_writes("reject_extension")
def _reject_extension(ctx: Ctx) -> None:
    _decide_extension(ctx, "rejected", _pay(ctx, p.Reason).reason)


@_writes("merge_duplicate")
def _merge_writes(ctx: Ctx) -> None:
    ctx.conn.execute(
        insert(table(DuplicateLink)).values(
            item_id=ctx.item["id"], original_id=_original_id(ctx), linked_at=ctx.at
        )
    )


@_writes("reopen")
def _reopen_writes(ctx: Ctx) -> None:
    # A reopened duplicate is an item in its own right again.
    t = table(DuplicateLink)
    ctx.conn.execute(delete(t).where(t.c.item_id == ctx.item["id"]))


@_writes("record_revisit")
def _revisit(ctx: Ctx) -> None:
    pay: p.RevisitIn = _pay(ctx, p.RevisitIn)
    month = pay.month or pay.done_on.strftime("%Y-%m")
    t = table(Revisit)
    values = {
        "done_on": pay.done_on,
        "method": pay.method,
        "finding": pay.finding,
        "rebound": pay.rebound,
    }
    done = ctx.conn.execute(
        update(t).where(t.c.item_id == ctx.item["id"], t.c.month == month).values(**values)
    )
    if done.rowcount == 0:
        ctx.conn.execute(
            insert(t).values(item_id=ctx.item["id"], month=month, planned=False, **values)
        )
    if pay.rebound:
        reason = f"复查回访发现问题反弹：{pay.finding}"
        ctx.followups.append(("reopen", p.ReopenIn(cause="rebound", reason=reason)))


def move_rectification_due(
    conn: Connection, item_id: int, due: Any, at: datetime, reason: str, rules: Rules
) -> None:
    """Move the item's rectification clock (running or last) to a new deadline."""
    t = table(Clock)
    row = (
        conn.execute(
            select(t)
            .where(t.c.item_id == item_id, t.c.kind == clocks.RECTIFICATION)
            .order_by(t.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return
    values = clocks.due_change(row, clocks.given(due, rules), at, reason, rules)
    conn.execute(update(t).where(t.c.id == row["id"]).values(**values))
