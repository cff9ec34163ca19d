"""Flows that drive the lifecycle: an operator's transition and the deadline sweep.

No rule lives here: each flow opens the configured database, asks ``states`` to act,
and describes the result for the Prefect UI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import Field

from rectiflow.settings import settings
from states.errors import RectiflowError
from states.service import fire
from states.sweep import sweep


class TransitionRefused(Exception):
    """The rules refused the event; the run fails with their reason, in Chinese and English."""


@flow(name="transition", flow_run_name="{ref}·{event}", log_prints=False)
def transition(
    ref: str = Field(description="事项编号（受理编号或 #id） — item reference"),
    event: str = Field(description="事件，如 acknowledge — the event to fire"),
    actor: str = Field(description="操作人 — who fires it"),
    role: str = Field(description="角色：operator / coordinator / acceptance_group / review_group"),
    data: dict[str, Any] | None = Field(default=None, description="事件数据（JSON 对象）"),
    key: str | None = Field(default=None, description="幂等键：重试不会重复执行"),
) -> dict[str, Any]:
    """Fire one event on one item through ``states.service.fire``."""
    logger = get_run_logger()
    engine = settings().engine()
    try:
        done = fire(
            engine,
            ref,
            event,
            actor=actor,
            role=role,
            at=datetime.now(UTC),
            data=data,
            idempotency_key=key,
            rules=settings().rules(),
        )
    except RectiflowError as err:
        raise TransitionRefused(f"{err.zh} — {err.en}") from None
    finally:
        engine.dispose()
    logger.info("%s: %s %s → %s", done.ref, event, done.from_state, done.to_state)
    return done.to_dict()


@flow(name="deadline-sweep", log_prints=False)
def deadline_sweep(now: datetime | None = None) -> dict[str, Any]:
    """Apply the escalation ladder and close items whose notice period is over."""
    engine = settings().engine()
    try:
        result = sweep(engine, now or datetime.now(UTC), settings().rules())
    finally:
        engine.dispose()
    if result.escalations:
        create_table_artifact(
            key="deadline-sweep-escalations",
            table=result.escalations[:1000],
            description=f"{len(result.escalations)} escalation(s) 督办升级",
        )
    create_markdown_artifact(
        key="deadline-sweep",
        markdown=(
            f"## 期限巡检 Deadline sweep\n\n- escalations 督办升级: {len(result.escalations)}\n"
            f"- closed 自动销号: {len(result.closed)}\n"
            f"- notifications queued 待发通知: {result.notifications}\n"
        ),
    )
    return {
        "escalations": len(result.escalations),
        "closed": len(result.closed),
        "notifications": result.notifications,
    }
