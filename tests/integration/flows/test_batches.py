"""import-batch (all or nothing, every bad line named) and revisit-sampling under Prefect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from sqlalchemy import Engine, func, select

from flows.batches import import_batch_file, revisit_sampling
from models.tables import Item, Revisit, table
from tests.conftest import AT
from tests.support import add, case_data

pytestmark = pytest.mark.usefixtures("prefect_server")
ITEM, REVISIT = table(Item), table(Revisit)


def _batch(tmp_path: Path, lines: list[Any]) -> str:
    path = tmp_path / "batch.jsonl"
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return str(path)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ITEM)).scalar_one())


def _table(run_id: Any, key: str) -> list[dict[str, Any]]:
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    (art,) = [a for a in arts if a.key == key]
    data: Any = art.data
    return json.loads(data) if isinstance(data, str) else data


def test_import_batch_registers_every_line_in_one_go(flow_db: Engine, tmp_path: Path) -> None:
    path = _batch(tmp_path, [case_data(f"D21B{i:03d}") for i in range(5)])
    result = import_batch_file(path=path)
    assert result["imported"] == 5 and result["refs"][0] == "D21B000"
    assert _count(flow_db) == 5


def test_import_batch_lists_every_bad_line_and_imports_nothing(
    flow_db: Engine, tmp_path: Path
) -> None:
    add(flow_db, case_data("D21B900"), at=AT)
    path = _batch(
        tmp_path,
        [
            case_data("D21B001"),
            "{not json",
            case_data("D21B002", pollution_types=[]),
            case_data("D21B001"),
            case_data("D21B900"),
            case_data("D21B003", rectification_due="2024-08-01"),
            case_data("D21B004"),
        ],
    )
    state = import_batch_file(path=path, return_state=True)
    assert state.is_failed()
    assert "5 bad line(s)" in (state.message or "") and "未导入" in (state.message or "")
    rows = _table(state.state_details.flow_run_id, "import-batch-rejected")
    assert [r["line"] for r in rows] == [2, 3, 4, 5, 6]
    reasons = {r["line"]: r["reason"] for r in rows}
    assert "pollution_types" in reasons[3] and "repeats line 1" in reasons[4]
    assert "already registered" in reasons[5] and "rectification_due" in reasons[6]
    assert _count(flow_db) == 1  # only the case registered before


def test_revisit_sampling_draws_a_tenth_of_the_closed_cases(flow_db: Engine) -> None:
    from sqlalchemy import update

    ids = [add(flow_db, case_data(f"D21R{i:03d}"), at=AT) for i in range(12)]
    with flow_db.begin() as conn:  # closed before the month, as the sweep would leave them
        conn.execute(
            update(ITEM)
            .where(ITEM.c.id.in_(ids))
            .values(state="closed", closure_reason="rectified", closed_at=AT)
        )
    first = revisit_sampling(month="2024-10")
    again = revisit_sampling(month="2024-10")
    assert len(first["sample"]) == 2 and first["new"] == 2  # ceil(12 × 10%)
    assert again["sample"] == first["sample"] and again["new"] == 0
    with flow_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(REVISIT)).scalar_one() == 2
