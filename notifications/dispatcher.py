"""The outbox dispatcher (通知投递): outbox rows → one delivery per recipient → channels.

A run does three things, each in short transactions of its own:

1. *route*: pending notifications without deliveries get one ``notification_delivery``
   row per recipient the routing file names for their unit and audience (unique per
   notification and recipient, so routing twice adds nothing). Nobody configured: the
   notification is dead at once, with the gap named, since waiting would not help.
2. *claim*: due deliveries are leased (``claimed_until``) and an attempt row is written
   for each, before anything is sent. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
   several dispatchers share the work; on SQLite the write lock queues them. A dispatcher
   that dies leaves its leases behind; they run out and the rows are claimed again.
3. *send*: each claimed delivery is sent and its outcome committed before the next is
   sent, so a crash can repeat at most the one delivery in flight, and that one carries
   the same idempotency key. Failures back off exponentially; after ``max_attempts`` the
   delivery is dead.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.engine import writing
from models.tables import (
    DeliveryAttempt,
    DispatchRun,
    District,
    Notification,
    NotificationDelivery,
    Unit,
    table,
)
from notifications.routing import Routing
from notifications.templates import Names, Templates, context
from notifications.transports import DeliveryFailed, Message, Transport

NOTE, DELIVERY, ATTEMPT = table(Notification), table(NotificationDelivery), table(DeliveryAttempt)
UNIT, DISTRICT, DISPATCH_RUN = table(Unit), table(District), table(DispatchRun)
_ROUTE_BATCH = 500
_ERROR_CHARS = 500
_INTERRUPTED = "最后一次投递中断 / the last attempt was cut short"


@dataclass(frozen=True)
class Policy:
    """Retries and leases; every number comes from the settings."""

    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    batch: int = 20

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: 1×, 2×, 4×… the base, capped."""
        seconds = self.backoff_seconds * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))


@dataclass
class DispatchResult:
    """What one run did; ``log`` holds one row per attempt, for the run's artifact."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    routed: int = 0
    unrouted: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "log"}


def idempotency_key(notification_id: int, dedupe_key: str, recipient: str) -> str:
    """A stable key for one notification to one recipient; the same on every retry."""
    digest = hashlib.sha256(f"{dedupe_key}|{recipient}".encode()).hexdigest()[:12]
    return f"rectiflow-{notification_id}-{digest}"


def load_names(conn: Connection) -> tuple[Names, dict[int, list[str]]]:
    """Unit and district names, and each unit's chain of names (itself, then its parents)."""
    units = {r.id: (r.name, r.parent_id) for r in conn.execute(select(UNIT))}
    districts = {r.id: r.name for r in conn.execute(select(DISTRICT.c.id, DISTRICT.c.name))}
    chains: dict[int, list[str]] = {}
    for unit_id in units:
        chain, seen, at = [], set(), unit_id
        while at is not None and at in units and at not in seen:
            seen.add(at)
            chain.append(units[at][0])
            at = units[at][1]
        chains[unit_id] = chain
    return Names({k: v[0] for k, v in units.items()}, districts), chains


class Dispatcher:
    """Delivers the outbox through the configured channels."""

    def __init__(
        self,
        engine: Engine,
        routing: Routing,
        templates: Templates,
        transports: Mapping[str, Transport],
        policy: Policy | None = None,
        worker: str | None = None,
    ) -> None:
        self.engine = engine
        self.routing = routing
        self.templates = templates
        self.transports = transports
        self.policy = policy or Policy()
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def run(self, now: datetime | None = None, limit: int = 500) -> DispatchResult:
        """Route new notifications, then attempt up to ``limit`` due deliveries.

        ``now`` fixes the time for the whole run (tests, replays); without it each step
        reads the clock, so leases stay honest during a long run.
        """
        clock: Callable[[], datetime] = (lambda: now) if now else (lambda: datetime.now(UTC))
        result = DispatchResult()
        started = datetime.now(UTC)
        with writing(self.engine) as conn:
            names, chains = load_names(conn)
        self._route_all(clock, chains, result)
        while (left := limit - result.sent - result.failed) > 0:
            claimed = self._claim(clock(), min(self.policy.batch, left))
            if not claimed:
                break
            if "spent" in claimed[0]:  # only deliveries whose last attempt was cut short
                result.dead += claimed[0]["spent"]
                continue
            for row in claimed:
                self._deliver(row, names, chains, clock, result)
        with writing(self.engine) as conn:
            conn.execute(
                insert(DISPATCH_RUN).values(
                    started_at=started,
                    finished_at=datetime.now(UTC),
                    sent=result.sent,
                    failed=result.failed,
                    dead=result.dead,
                )
            )
        return result

    # --- route -------------------------------------------------------------------

    def _route_all(
        self, clock: Callable[[], datetime], chains: dict[int, list[str]], result: DispatchResult
    ) -> None:
        while True:
            with writing(self.engine) as conn:
                done = self._route_batch(conn, clock(), chains, result)
            if done < _ROUTE_BATCH:
                return

    def _route_batch(
        self, conn: Connection, now: datetime, chains: dict[int, list[str]], result: DispatchResult
    ) -> int:
        routed = exists().where(DELIVERY.c.notification_id == NOTE.c.id)
        query = (
            select(NOTE.c.id, NOTE.c.audience, NOTE.c.unit_id, NOTE.c.dedupe_key)
            .where(NOTE.c.status == "pending", NOTE.c.next_attempt_at <= now, ~routed)
            .order_by(NOTE.c.id)
            .limit(_ROUTE_BATCH)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=NOTE)
        notes = list(conn.execute(query))
        rows, nobody = [], []
        for n in notes:
            chain = chains.get(n.unit_id, []) if n.unit_id is not None else []
            recipients = self.routing.recipients(chain, n.audience)
            if not recipients:
                nobody.append(n)
                continue
            for r in recipients:
                rows.append(
                    {
                        "notification_id": n.id,
                        "recipient": r.label,
                        "channel": r.channel,
                        "idem_key": idempotency_key(n.id, n.dedupe_key, r.label),
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
        if rows:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(DELIVERY).on_conflict_do_nothing(), rows)
        for n in nobody:
            where = " → ".join(chains.get(n.unit_id, [])) or "（无单位）"
            conn.execute(
                update(NOTE)
                .where(NOTE.c.id == n.id)
                .values(
                    status="dead",
                    last_error=f"未配置接收人 / no recipient configured: {where} · {n.audience}",
                )
            )
        result.routed += len(notes) - len(nobody)
        result.unrouted += len(nobody)
        result.dead += len(nobody)
        return len(notes)

    # --- claim -------------------------------------------------------------------

    def _claim(self, now: datetime, n: int) -> list[dict[str, Any]]:
        with writing(self.engine) as conn:
            query = (
                select(DELIVERY.c.id, DELIVERY.c.attempts)
                .where(
                    DELIVERY.c.status == "pending",
                    DELIVERY.c.next_attempt_at <= now,
                    or_(DELIVERY.c.claimed_until.is_(None), DELIVERY.c.claimed_until <= now),
                )
                .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
                .limit(n)
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            due = list(conn.execute(query))
            if not due:
                return []
            ids = [d.id for d in due]
            # Attempts left open by a dispatcher that died while sending them.
            conn.execute(
                update(ATTEMPT)
                .where(ATTEMPT.c.delivery_id.in_(ids), ATTEMPT.c.outcome.is_(None))
                .values(outcome="interrupted", finished_at=now, error="dispatcher stopped")
            )
            spent = [d.id for d in due if d.attempts >= self.policy.max_attempts]
            for delivery_id in spent:
                self._settle(conn, delivery_id, "dead", now, _INTERRUPTED)
            live = [d for d in due if d.attempts < self.policy.max_attempts]
            if not live:
                return [{"spent": len(spent)}]
            until = now + timedelta(seconds=self.policy.lease_seconds)
            conn.execute(
                update(DELIVERY)
                .where(DELIVERY.c.id.in_([d.id for d in live]))
                .values(
                    attempts=DELIVERY.c.attempts + 1, claimed_until=until, claimed_by=self.worker
                )
            )
            conn.execute(
                insert(ATTEMPT),
                [
                    {
                        "delivery_id": d.id,
                        "number": d.attempts + 1,
                        "worker": self.worker,
                        "started_at": now,
                    }
                    for d in live
                ],
            )
            rows = conn.execute(
                select(
                    DELIVERY.c.id,
                    DELIVERY.c.notification_id,
                    DELIVERY.c.recipient,
                    DELIVERY.c.channel,
                    DELIVERY.c.idem_key,
                    DELIVERY.c.attempts,
                    NOTE.c.template,
                    NOTE.c.audience,
                    NOTE.c.unit_id,
                    NOTE.c.payload,
                )
                .join(NOTE, NOTE.c.id == DELIVERY.c.notification_id)
                .where(DELIVERY.c.id.in_([d.id for d in live]))
                .order_by(DELIVERY.c.next_attempt_at, DELIVERY.c.id)
            )
            return [dict(r._mapping) for r in rows]

    # --- send --------------------------------------------------------------------

    def _deliver(
        self,
        row: dict[str, Any],
        names: Names,
        chains: dict[int, list[str]],
        clock: Callable[[], datetime],
        result: DispatchResult,
    ) -> None:
        error = None
        try:
            self._send(row, names, chains)
        except DeliveryFailed as e:
            error = e.reason[:_ERROR_CHARS]
        except Exception as e:  # a broken template or transport must not stop the run
            error = f"{type(e).__name__}: {e}"[:_ERROR_CHARS]
        now = clock()
        with writing(self.engine) as conn:
            outcome = self._record(conn, row, error, now)
        result.sent += error is None
        result.failed += error is not None
        result.dead += outcome == "dead"
        result.log.append(
            {
                "notification": row["notification_id"],
                "template": row["template"],
                "channel": row["channel"],
                "recipient": row["recipient"],
                "attempt": row["attempts"],
                "outcome": outcome,
                "error": error or "",
            }
        )

    def _send(self, row: dict[str, Any], names: Names, chains: dict[int, list[str]]) -> None:
        chain = chains.get(row["unit_id"], []) if row["unit_id"] is not None else []
        recipient = self.routing.find(chain, row["audience"], row["recipient"])
        if recipient is None:
            raise DeliveryFailed(
                f"接收人已不在配置中 / recipient {row['recipient']} is no longer configured"
            )
        transport = self.transports.get(recipient.channel)
        if transport is None:
            raise DeliveryFailed(f"通道未启用 / no transport for channel {recipient.channel}")
        ctx = context(
            row["payload"] or {}, names, audience=row["audience"], idem_key=row["idem_key"]
        )
        rendered = self.templates.render(row["template"], ctx)
        transport.send(Message(recipient, rendered.subject, rendered.body, row["idem_key"]))

    def _record(
        self, conn: Connection, row: dict[str, Any], error: str | None, now: datetime
    ) -> str:
        conn.execute(
            update(ATTEMPT)
            .where(
                ATTEMPT.c.delivery_id == row["id"],
                ATTEMPT.c.number == row["attempts"],
                ATTEMPT.c.worker == self.worker,
            )
            .values(finished_at=now, outcome="sent" if error is None else "failed", error=error)
        )
        if error is None:
            status = "sent"
        elif row["attempts"] >= self.policy.max_attempts:
            status = "dead"
        else:
            status = "pending"
        return self._settle(
            conn, row["id"], status, now, error, row["attempts"], row["notification_id"]
        )

    def _settle(
        self,
        conn: Connection,
        delivery_id: int,
        status: str,
        now: datetime,
        error: str | None,
        attempts: int = 0,
        note_id: int | None = None,
    ) -> str:
        values: dict[str, Any] = {"status": status, "claimed_until": None, "last_error": error}
        if status == "sent":
            values["sent_at"] = now
        if status == "pending":
            values["next_attempt_at"] = now + self.policy.backoff(attempts)
        # Only a delivery still pending: a slow dispatcher whose lease ran out must not
        # undo what the one that took over has recorded.
        conn.execute(
            update(DELIVERY)
            .where(DELIVERY.c.id == delivery_id, DELIVERY.c.status == "pending")
            .values(**values)
        )
        if note_id is None:
            note_id = conn.execute(
                select(DELIVERY.c.notification_id).where(DELIVERY.c.id == delivery_id)
            ).scalar_one()
        settle_notification(conn, note_id, now, error)
        return status


def settle_notification(conn: Connection, note_id: int, now: datetime, error: str | None) -> None:
    """A notification's status from its deliveries: pending while any is, then dead if any
    died, else sent; its attempts are the sum of theirs."""
    pending, dead, attempts = conn.execute(
        select(
            func.count().filter(DELIVERY.c.status == "pending"),
            func.count().filter(DELIVERY.c.status == "dead"),
            func.coalesce(func.sum(DELIVERY.c.attempts), 0),
        ).where(DELIVERY.c.notification_id == note_id)
    ).one()
    status = "pending" if pending else "dead" if dead else "sent"
    values: dict[str, Any] = {"status": status, "attempts": int(attempts)}
    if error is not None:
        values["last_error"] = error
    if status == "sent":
        values["sent_at"] = now
    conn.execute(update(NOTE).where(NOTE.c.id == note_id).values(**values))


def from_settings(
    engine: Engine, settings: Any, transports: Mapping[str, Transport] | None = None
) -> Dispatcher:
    """A dispatcher configured from the deployment's settings (``RECTIFLOW_*``).

    Reads and checks the routing file first, so a bad file stops the start, naming
    each problem with its line.
    """
    from notifications.routing import load
    from notifications.transports import default_transports

    policy = Policy(
        max_attempts=settings.notify_max_attempts,
        backoff_seconds=settings.notify_backoff_seconds,
        backoff_max_seconds=settings.notify_backoff_max_seconds,
        lease_seconds=settings.notify_lease_seconds,
        batch=settings.notify_batch,
    )
    return Dispatcher(
        engine,
        load(settings.notifications_file),
        Templates(settings.templates_dir),
        transports if transports is not None else default_transports(),
        policy,
    )
