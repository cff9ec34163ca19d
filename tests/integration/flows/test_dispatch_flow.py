"""The ``dispatch-notifications`` flow under a real Prefect server: it delivers the outbox,
records its run for ``rectiflow status`` and leaves what it did in the UI."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy import Engine, func, select

from flows.notify import dispatch_notifications
from models.tables import DispatchRun, Notification, table
from rectiflow.settings import settings
from tests.integration.notifications.life import live_every_notice, write_routing
from tests.integration.notifications.servers import Receiver

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_dispatch_flow_delivers_the_outbox_and_records_its_run(
    flow_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_every_notice(flow_db)
    receiver = Receiver().start()
    try:
        path = write_routing(tmp_path / "n.yaml", smtp_port=None, webhook=receiver.url())
        monkeypatch.setenv("RECTIFLOW_NOTIFICATIONS_FILE", str(path))
        settings.cache_clear()
        state = dispatch_notifications(return_state=True)
        assert state.is_completed(), state
        result = state.result()
    finally:
        receiver.stop()
    with flow_db.connect() as conn:
        pending = conn.execute(
            select(func.count())
            .select_from(table(Notification))
            .where(table(Notification).c.status == "pending")
        ).scalar_one()
        runs = conn.execute(select(table(DispatchRun))).mappings().all()
    assert result["sent"] > 0 and result["sent"] == len(receiver.posts)
    assert pending == 0
    assert len(runs) == 1 and runs[0]["finished_at"] is not None
    assert runs[0]["sent"] == result["sent"]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        artifacts = client.read_artifacts()
    assert run.name and run.state_name == "Completed"
    mine = [a for a in artifacts if a.flow_run_id == run.id]
    assert {a.key for a in mine} >= {"dispatch-notifications", "dispatch-notifications-attempts"}
