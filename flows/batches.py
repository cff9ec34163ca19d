"""Scheduled and batch work besides the sweep: the monthly revisit sample and batch imports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from pydantic import Field

from flows.lifecycle import TransitionRefused
from rectiflow.settings import settings
from states import revisits
from states.calendar import SHANGHAI
from states.errors import BadInput
from states.imports import BatchRejected, import_batch


@flow(name="revisit-sampling", log_prints=False)
def revisit_sampling(
    month: str | None = Field(
        default=None,
        description="抽查月份 YYYY-MM；不填为本月（上海时间） — the month to draw",
        json_schema_extra={"title": "抽查月份"},
    ),
    at: datetime | None = Field(
        default=None,
        description="登记时刻，不填为当前时间 — when the plan is recorded",
        json_schema_extra={"title": "登记时刻"},
    ),
) -> dict[str, Any]:
    """复查回访抽样: draw the month's reproducible 10% sample of closed cases (SPEC §8)."""
    when = at or datetime.now(UTC)
    month = month or when.astimezone(SHANGHAI).strftime("%Y-%m")
    engine = settings().engine()
    try:
        plan = revisits.plan(engine, month, when)
    except BadInput as err:
        raise TransitionRefused(f"{err.zh} — {err.en}") from None
    finally:
        engine.dispose()
    get_run_logger().info(
        "%s: %d of %d closed case(s) drawn, %d new",
        month,
        len(plan["sample"]),
        plan["population"],
        plan["new"],
    )
    create_table_artifact(
        key="revisit-sampling",
        table=[{"month": month, "ref": ref} for ref in plan["sample"]]
        or [{"month": month, "ref": "（无已销号案件）"}],
        description=(
            f"复查回访抽样 {month}: {len(plan['sample'])} / {plan['population']} closed case(s), "
            f"seed {plan['seed'][:18]}…"
        ),
    )
    return plan


@flow(name="import-batch", log_prints=False)
def import_batch_file(
    path: str = Field(
        description="批次文件路径（运行本流程的机器上），每行一个 JSON 对象，格式同 case add",
        json_schema_extra={"title": "批次文件"},
    ),
    kind: Literal["case", "task"] = Field(
        default="case",
        description="事项类型：case 信访案件，task 整改任务",
        json_schema_extra={"title": "事项类型"},
    ),
    actor: str = Field(
        default="督改办", description="登记人，记入历史", json_schema_extra={"title": "登记人"}
    ),
) -> dict[str, Any]:
    """批次导入: all lines become items in one transaction, or none does (bad lines listed)."""
    logger = get_run_logger()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise TransitionRefused(
            f"无法读取批次文件 {path}：{e.strerror} — cannot read {path}: {e.strerror}"
        ) from None
    except UnicodeDecodeError as e:
        raise TransitionRefused(
            f"批次文件不是 UTF-8 编码（第 {e.start} 字节） — {path} is not UTF-8"
        ) from None
    engine = settings().engine()
    try:
        done = import_batch(
            engine,
            text.splitlines(),
            kind=kind,
            actor=actor,
            at=datetime.now(UTC),
            rules=settings().rules(),
        )
    except BatchRejected as err:
        create_table_artifact(
            key="import-batch-rejected",
            table=[{"line": b.line, "reason 原因": b.zh, "reason": b.en} for b in err.bad],
            description=f"{len(err.bad)} bad line(s) 行有误; nothing imported 未导入",
        )
        raise TransitionRefused(f"{err.zh} — {err.en}") from None
    except BadInput as err:
        raise TransitionRefused(f"{err.zh} — {err.en}") from None
    finally:
        engine.dispose()
    logger.info("imported %d %s(s) from %s", len(done.ids), kind, path)
    create_table_artifact(
        key="import-batch",
        table=[{"id": i, "ref": r} for i, r in zip(done.ids, done.refs, strict=True)][:1000],
        description=f"imported 已导入 {len(done.ids)} {kind}(s)",
    )
    return {"imported": len(done.ids), "refs": done.refs}
