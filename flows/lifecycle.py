"""Flows that drive the lifecycle: an operator's transition and the deadline sweep.

No rule lives here: each flow opens the configured database, asks ``states`` to act,
and describes the result for the Prefect UI (run name, tags, events, artifacts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.context import FlowRunContext
from pydantic import Field

from flows import feed
from rectiflow.settings import settings
from states.errors import RectiflowError
from states.monitor import item_label, item_labels
from states.service import fire
from states.sweep import sweep

# The roles a person may act in; the sweep alone acts as ``system``.
PersonRole = Literal["operator", "coordinator", "acceptance_group", "review_group", "discipline"]
ROLE_HELP = (
    "operator 承办单位经办人 / coordinator 督改办 / acceptance_group 验收组 / "
    "review_group 市级复核工作组 / discipline 纪委监委"
)


class TransitionRefused(Exception):
    """The rules refused the event or its input; the run fails with their reason (zh — en)."""


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except Exception:  # called outside a run (tests of the helpers)
        return logging.getLogger("rectiflow.flows")


def run_key(key: str | None) -> str | None:
    """The idempotency key: the one given, else this flow run's own id, so that retrying
    the run (Prefect's Retry) fires nothing twice."""
    if key and key.strip():
        return key.strip()
    ctx = FlowRunContext.get()
    if ctx is not None and ctx.flow_run is not None:
        return f"prefect-flow-run:{ctx.flow_run.id}"
    return None


def tag_run(tags: list[str]) -> None:
    """Add ``tags`` to the current flow run (best effort: tags help find runs, nothing more)."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return
    try:
        from prefect.client.orchestration import get_client

        merged = sorted(set(ctx.flow_run.tags) | set(tags))
        with get_client(sync_client=True) as client:
            client.update_flow_run(ctx.flow_run.id, tags=merged)
        ctx.flow_run.tags = merged
    except Exception:
        _logger().warning("could not tag the flow run with %s", tags, exc_info=True)


def fire_event(
    ref: str,
    event: str,
    *,
    actor: str,
    role: str,
    data: dict[str, Any] | None,
    key: str | None,
) -> dict[str, Any]:
    """The one path of every transition flow: tag the run, fire, then tell the event feed."""
    logger = _logger()
    conf = settings()
    engine = conf.engine()
    try:
        labels: dict[str, Any] | None = None
        try:
            with engine.connect() as conn:
                labels = item_label(conn, ref)
        except RectiflowError:
            pass  # fire names the problem below
        tags = [f"item:{labels['ref'] if labels else ref}", f"event:{event}"]
        if labels and labels.get("district"):
            tags.append(f"district:{labels['district']}")
        tag_run(tags)
        try:
            done = fire(
                engine,
                ref,
                event,
                actor=actor,
                role=role,
                at=datetime.now(UTC),
                data=data,
                idempotency_key=run_key(key),
                rules=conf.rules(),
            )
        except RectiflowError as err:
            logger.error("%s %s refused: %s — %s", ref, event, err.zh, err.en)
            raise TransitionRefused(f"{err.zh} — {err.en}") from None
    finally:
        engine.dispose()
    result = done.to_dict()
    if done.replayed:
        logger.info("%s: %s already applied (same key); nothing fired again", done.ref, event)
        return result
    logger.info("%s: %s %s → %s", done.ref, event, done.from_state, done.to_state)
    feed.emit_transition(result | {"actor": actor, "role": role}, labels)  # after commit
    return result


@flow(name="transition", flow_run_name="{ref}·{event}", log_prints=False)
def transition(
    ref: str = Field(
        description="事项编号：受理编号、任务编号或 #id — item reference",
        json_schema_extra={"title": "事项编号"},
    ),
    event: str = Field(
        description="事件，如 acknowledge、request_acceptance — the event to fire",
        json_schema_extra={"title": "事件"},
    ),
    actor: str = Field(
        description="操作人姓名及单位，记入历史 — who fires it",
        json_schema_extra={"title": "操作人"},
    ),
    role: PersonRole = Field(description=f"角色：{ROLE_HELP}", json_schema_extra={"title": "角色"}),
    data: dict[str, Any] | None = Field(
        default=None,
        description="事件数据（JSON 对象），各事件的字段见同名部署 — the event's payload",
        json_schema_extra={"title": "事件数据"},
    ),
    key: str | None = Field(
        default=None,
        description="幂等键：同一键重试不会重复执行；不填则以本次运行为键 — idempotency key",
        json_schema_extra={"title": "幂等键"},
    ),
) -> dict[str, Any]:
    """Fire one event on one item through ``states.service.fire``."""
    return fire_event(ref, event, actor=actor, role=role, data=data, key=key)


@flow(name="deadline-sweep", log_prints=False)
def deadline_sweep(
    now: datetime | None = Field(
        default=None,
        description="巡检时刻，不填为当前时间 — the instant to sweep at (default: now)",
        json_schema_extra={"title": "巡检时刻"},
    ),
) -> dict[str, Any]:
    """期限巡检: apply the escalation ladder and close items whose notice period is over."""
    conf = settings()
    engine = conf.engine()
    try:
        result = sweep(engine, now or datetime.now(UTC), conf.rules())
        refs = [e["ref"] for e in result.escalations] + result.closed
        with engine.connect() as conn:
            labels = item_labels(conn, refs[: feed.MAX_EVENTS_PER_CALL])
    finally:
        engine.dispose()
    feed.emit_sweep(result.escalations, result.closed, labels)
    rows: list[dict[str, Any]] = [
        {"ref": e["ref"], "clock": e["clock"], "action": e["level"], "note": ""}
        for e in result.escalations
    ]
    rows += [
        {"ref": r, "clock": "notice", "action": "closed 自动销号", "note": ""}
        for r in result.closed
    ]
    rows += [
        {"ref": s["ref"], "clock": "notice", "action": "skipped 暂缓", "note": s["reason"]}
        for s in result.skipped
    ]
    if not rows:
        rows = [{"ref": "", "clock": "", "action": "nothing due 无到期事项", "note": ""}]
    create_table_artifact(
        key="deadline-sweep",
        table=rows[:1000],
        description=(
            f"期限巡检 Deadline sweep: {len(result.escalations)} escalation(s) 督办升级, "
            f"{len(result.closed)} closed 自动销号, {result.notifications} notification(s) 待发通知"
            + (f" (first 1000 of {len(rows)} rows)" if len(rows) > 1000 else "")
        ),
    )
    create_markdown_artifact(
        key="deadline-sweep-summary",
        markdown=(
            f"## 期限巡检 Deadline sweep\n\n- escalations 督办升级: {len(result.escalations)}\n"
            f"- closed 自动销号: {len(result.closed)}\n"
            f"- skipped 暂缓: {len(result.skipped)}\n"
            f"- notifications queued 待发通知: {result.notifications}\n"
        ),
    )
    return {
        "escalations": len(result.escalations),
        "closed": len(result.closed),
        "skipped": len(result.skipped),
        "notifications": result.notifications,
    }
