"""The ``dispatch-notifications`` flow: deliver the outbox, leave what happened in the UI.

No rule lives here: the flow opens the configured database, runs the dispatcher (which
records its own ``dispatch_run`` row), and describes the result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from notifications.dispatcher import from_settings
from rectiflow.settings import settings


@flow(name="dispatch-notifications", log_prints=False)
def dispatch_notifications(now: datetime | None = None, limit: int = 500) -> dict[str, Any]:
    """Route new notifications and attempt up to ``limit`` due deliveries."""
    logger = get_run_logger()
    engine = settings().engine()
    try:
        result = from_settings(engine, settings()).run(now, limit)
    finally:
        engine.dispose()
    logger.info(
        "sent %d, failed %d, dead %d, routed %d, without recipients %d",
        result.sent,
        result.failed,
        result.dead,
        result.routed,
        result.unrouted,
    )
    if result.log:
        create_table_artifact(
            key="dispatch-notifications-attempts",
            table=result.log[:1000],
            description=f"{len(result.log)} attempt(s) 投递记录",
        )
    create_markdown_artifact(
        key="dispatch-notifications",
        markdown=(
            "## 通知投递 Notification dispatch\n\n"
            f"- sent 已送达: {result.sent}\n- failed 失败待重试: {result.failed}\n"
            f"- dead 已放弃: {result.dead}\n- routed 已分派: {result.routed}\n"
            f"- without recipients 无接收人: {result.unrouted}\n"
        ),
    )
    return result.to_dict()
