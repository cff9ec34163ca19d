"""Every deployment, each under its own name (``FLOW/FLOW``), with its schedule.

``rectiflow up`` serves them from one process; ``prefect.yaml`` deploys the same flows to
a process work pool (``tests/integration/flows/test_deployments.py`` keeps both in step).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from prefect.deployments.runner import RunnerDeployment
from prefect.flows import Flow
from prefect.schedules import Cron, Interval
from prefect.types.entrypoint import EntrypointType

from flows.actions import FLOWS, flow_name
from flows.batches import import_batch_file, revisit_sampling
from flows.lifecycle import deadline_sweep, transition
from flows.notify import dispatch_notifications
from flows.reports import (
    DAILY_CRON,
    MONTHLY_CRON,
    WEEKLY_CRON,
    daily_dispatch,
    monthly_report,
    weekly_report,
)
from states.calendar import SHANGHAI

TIMEZONE = "Asia/Shanghai"
# Interval runs fall on round times (…:00, …:10, …) counted from this instant.
ANCHOR = datetime(2024, 1, 1, tzinfo=SHANGHAI)
REVISIT_CRON = "0 9 1 * *"  # 09:00 on the 1st of each month, Asia/Shanghai


def _deploy(flow: Flow[..., Any], description: str | None = None, **kw: Any) -> RunnerDeployment:
    made = flow.to_deployment(
        name=flow.name,
        description=description or flow.description,
        entrypoint_type=EntrypointType.MODULE_PATH,
        **kw,
    )
    # to_deployment is sync-compatible: called from sync code it returns the deployment.
    return cast(RunnerDeployment, made)


def operator_flows() -> dict[str, Flow[..., Any]]:
    """The flows an operator fires and waits for, by name: ``transition`` and one per event."""
    return {f.name: f for f in (transition, *FLOWS.values())}


def deployments(sweep_minutes: int = 10) -> list[RunnerDeployment]:
    """Every deployment with its schedule."""
    made = [
        _deploy(transition, "对事项执行一个事件 — fire one event on one item"),
        *(_deploy(f) for f in FLOWS.values()),
        _deploy(
            deadline_sweep,
            "期限巡检：预警、督办、约谈、移送，公示期满自动销号",
            schedule=Interval(
                timedelta(minutes=sweep_minutes), anchor_date=ANCHOR, timezone=TIMEZONE
            ),
        ),
        _deploy(
            dispatch_notifications,
            "发送通知：投递待发通知（发件箱）",
            schedule=Interval(timedelta(minutes=1), anchor_date=ANCHOR, timezone=TIMEZONE),
        ),
        _deploy(
            revisit_sampling,
            "复查回访抽样：每月 1 日 09:00 抽取上月前已销号案件的 10%",
            schedule=Cron(REVISIT_CRON, timezone=TIMEZONE),
        ),
        _deploy(import_batch_file, "批次导入：JSON 行文件 → 事项，全部成功或全部不导入"),
        _deploy(
            daily_dispatch,
            "按日调度：每日 08:00 列出到期及超期事项，按责任单位",
            schedule=Cron(DAILY_CRON, timezone=TIMEZONE),
        ),
        _deploy(
            weekly_report,
            "周报：每周一 08:00，上周（周一至周日）的整改情况",
            schedule=Cron(WEEKLY_CRON, timezone=TIMEZONE),
        ),
        _deploy(
            monthly_report,
            "月报：每月1日 08:00，上月的整改情况",
            schedule=Cron(MONTHLY_CRON, timezone=TIMEZONE),
        ),
    ]
    return made


def deployment_names() -> list[str]:
    """``FLOW/DEPLOYMENT`` of every deployment."""
    fixed = ["transition", "deadline-sweep", "dispatch-notifications", "revisit-sampling"]
    fixed += ["daily-dispatch", "weekly-report", "monthly-report"]
    return [f"{n}/{n}" for n in [*fixed, "import-batch", *(flow_name(e) for e in FLOWS)]]
