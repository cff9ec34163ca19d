"""Delivery of the notification outbox (placeholder until the channels are wired in).

It records each run in ``dispatch_run`` so that ``rectiflow status`` can tell when the
dispatcher last completed; it delivers nothing yet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow
from sqlalchemy import func, insert, select

from models.engine import writing
from models.tables import DispatchRun, Notification, table

DISPATCH_RUN, NOTIFICATION = table(DispatchRun), table(Notification)


@flow(name="dispatch-notifications", log_prints=False)
def dispatch_notifications(now: datetime | None = None, limit: int = 500) -> dict[str, Any]:
    """发送通知: deliver due outbox rows (none yet) and record the run."""
    from rectiflow.settings import settings

    started = datetime.now(UTC)
    engine = settings().engine()
    try:
        with writing(engine) as conn:
            pending = conn.execute(
                select(func.count())
                .select_from(NOTIFICATION)
                .where(NOTIFICATION.c.status == "pending")
            ).scalar_one()
            conn.execute(
                insert(DISPATCH_RUN).values(
                    started_at=started, finished_at=datetime.now(UTC), sent=0, failed=0, dead=0
                )
            )
    finally:
        engine.dispose()
    return {"sent": 0, "failed": 0, "dead": 0, "pending": int(pending)}
