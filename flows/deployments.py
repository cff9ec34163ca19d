"""The deployments ``rectiflow up`` serves, each under its own name."""

from __future__ import annotations

from typing import cast

from prefect.deployments.runner import RunnerDeployment

from flows.lifecycle import deadline_sweep, transition


def deployments(sweep_minutes: int = 10) -> list[RunnerDeployment]:
    """Every deployment with its schedule."""
    made = [
        transition.to_deployment(
            name="transition", description="对事项执行一个事件 — fire one event on one item"
        ),
        deadline_sweep.to_deployment(
            name="deadline-sweep",
            interval=sweep_minutes * 60,
            description="期限巡检：预警、督办、约谈、移送，公示期满自动销号",
        ),
    ]
    # to_deployment is sync-compatible: called from sync code it returns the deployment.
    return [cast(RunnerDeployment, d) for d in made]
