"""The deadline sweep (SPEC §7): the escalation ladder once per rung, catching up after
downtime, notifications per audience, closing after the notice period, and sweeps that
run side by side without repeating each other's work."""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from models.engine import make_engine
from models.tables import Clock, Escalation, History, Item, Notification, table
from states import sweep as states_sweep
from states.audit import verify
from states.calendar import end_of_day
from states.editing import update_item
from states.service import Fired, fire
from states.sweep import sweep
from tests.conftest import AT
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data, state_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK, ESC, HISTORY = table(Clock), table(Escalation), table(History)
ITEM, NOTE = table(Item), table(Notification)
LADDER = ("warning", "supervision_letter", "interview", "referral")
# SPEC §7: who hears of each rung.
AUDIENCES = {
    "warning": {"person_in_charge"},
    "supervision_letter": {"lead_unit", "supervising_unit"},
    "interview": {"unit_head"},
    "referral": {"discipline"},
}
ACTOR = {
    "operator": "李四",
    "coordinator": "督改办",
    "acceptance_group": "验收组",
    "review_group": "复核组",
}


def sh(y: int, m: int, d: int, hour: int = 9) -> datetime:
    """An instant in Asia/Shanghai."""
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def _fire(engine: Engine, ref: str, event: str, role: str, at: datetime, data: Any = None) -> Fired:
    return fire(engine, ref, event, actor=ACTOR[role], role=role, at=at, data=data)


def to_rectified(engine: Engine, ref: str, at: datetime) -> None:
    _fire(engine, ref, "acknowledge", "operator", at)
    update_item(engine, ref, actor="李四", role="operator", at=at, data=RESOLVED_CASE)
    _fire(engine, ref, "request_acceptance", "operator", at)


def to_reviewed(engine: Engine, ref: str, at: datetime) -> None:
    to_rectified(engine, ref, at)
    opinion = acceptance(ref, accepted_on=at.astimezone(SHANGHAI).date().isoformat())
    _fire(engine, ref, "accept", "acceptance_group", at, opinion)
    _fire(engine, ref, "request_review", "coordinator", at)
    _fire(engine, ref, "review", "review_group", at, {"signoffs": SIGNOFFS})


def to_published(engine: Engine, ref: str, at: datetime, **notice: str) -> None:
    to_reviewed(engine, ref, at)
    _fire(engine, ref, "publish", "coordinator", at, notice or None)


def escalations(engine: Engine, ref: str | None = None) -> list[tuple[str, str]]:
    """(clock kind, level) of every escalation, in the order they were written."""
    q = (
        select(CLOCK.c.kind, ESC.c.level)
        .join(CLOCK, CLOCK.c.id == ESC.c.clock_id)
        .join(ITEM, ITEM.c.id == ESC.c.item_id)
        .order_by(ESC.c.id)
    )
    if ref is not None:
        q = q.where(ITEM.c.ref == ref)
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(q)]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (ESC, HISTORY, NOTE, ITEM, CLOCK)
        }


def last_history(engine: Engine, ref: str) -> Any:
    with engine.connect() as conn:
        item_id = conn.execute(select(ITEM.c.id).where(ITEM.c.ref == ref)).scalar_one()
        return (
            conn.execute(
                select(HISTORY).where(HISTORY.c.item_id == item_id).order_by(HISTORY.c.seq.desc())
            )
            .mappings()
            .first()
        )


# --- the ladder ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_due", "last_day"),
    [
        ("2024-09-30", "2024-09-30"),  # a Monday
        ("2024-10-01", "2024-10-08"),  # National Day: the next working day
        ("2024-09-07", "2024-09-09"),  # a Saturday: the Monday
        ("2024-09-28", "2024-09-29"),  # a Saturday before a 调休 Sunday working day
    ],
    ids=["working_day", "national_day", "saturday", "saturday_before_adjusted_sunday"],
)
def test_each_rung_escalates_once_at_its_threshold(
    engine: Engine, given_due: str, last_day: str
) -> None:
    add(engine, case_data(rectification_due=given_due), at=AT)
    due_at = end_of_day(date.fromisoformat(last_day))
    assert due_at == datetime.fromisoformat(last_day).replace(tzinfo=SHANGHAI) + timedelta(days=1)
    thresholds = {
        "warning": due_at - timedelta(days=1),
        "supervision_letter": due_at,
        "interview": due_at + timedelta(days=3),
        "referral": due_at + timedelta(days=7),
    }
    applied: list[str] = []
    for level in LADDER:
        just_before = thresholds[level] - timedelta(microseconds=1)
        assert sweep(engine, just_before).escalations == []
        assert [lvl for _, lvl in escalations(engine)] == applied
        result = sweep(engine, thresholds[level])
        assert result.escalations == [{"ref": "D2100001", "clock": "rectification", "level": level}]
        applied.append(level)
        assert escalations(engine) == [("rectification", lvl) for lvl in applied]
        before = counts(engine)
        again = sweep(engine, thresholds[level])
        assert (again.escalations, again.closed, again.notifications) == ([], [], 0)
        assert counts(engine) == before
    later = sweep(engine, thresholds["referral"] + timedelta(days=30))
    assert later.escalations == []
    assert verify(engine).ok


def test_sweep_after_a_week_of_downtime_applies_every_missing_rung_in_order(
    engine: Engine,
) -> None:
    add(engine, case_data(), at=AT)
    due_at = end_of_day(date(2024, 9, 30))
    now = due_at + timedelta(days=7, hours=5)
    result = sweep(engine, now)
    assert [e["level"] for e in result.escalations] == list(LADDER)
    assert escalations(engine) == [("rectification", lvl) for lvl in LADDER]
    with engine.connect() as conn:
        rows = conn.execute(
            select(HISTORY.c.seq, HISTORY.c.event, HISTORY.c.actor, HISTORY.c.data)
            .where(HISTORY.c.event == "escalate")
            .order_by(HISTORY.c.seq)
        ).all()
        clock = conn.execute(select(CLOCK)).mappings().one()
    assert [r.data["level"] for r in rows] == list(LADDER)
    assert [r.seq for r in rows] == [2, 3, 4, 5]
    assert {r.actor for r in rows} == {"system"}
    assert rows[-1].data["days_overdue"] == 7
    assert clock["next_level"] == len(LADDER)
    assert clock["next_escalation_at"] is None
    before = counts(engine)
    assert sweep(engine, now).escalations == []
    assert counts(engine) == before
    assert verify(engine).ok


def test_one_notification_per_audience_per_escalation_without_personal_data(
    engine: Engine,
) -> None:
    add(engine, case_data(), at=AT)
    result = sweep(engine, end_of_day(date(2024, 9, 30)) + timedelta(days=8))
    assert result.notifications == sum(len(a) for a in AUDIENCES.values())
    with engine.connect() as conn:
        notes = list(conn.execute(select(NOTE).order_by(NOTE.c.id)).mappings())
        history = list(conn.execute(select(HISTORY.c.data)).scalars())
        esc_ids = dict(conn.execute(select(ESC.c.level, ESC.c.clock_id)).all())
    per_level: dict[str, list[str]] = {}
    for n in notes:
        per_level.setdefault(n["template"], []).append(n["audience"])
        assert n["dedupe_key"].startswith(f"esc:{esc_ids[n['template']]}:{n['template']}:")
        assert n["status"] == "pending"
    assert {k: sorted(v) for k, v in per_level.items()} == {
        k: sorted(v) for k, v in AUDIENCES.items()
    }
    text = json.dumps([n["payload"] for n in notes] + history, ensure_ascii=False)
    assert "张三" not in text
    assert "13800001111" not in text
    assert notes[0]["payload"]["ref"] == "D2100001"


def test_acceptance_clock_of_seven_days_escalates_too(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    to_rectified(engine, "D2100001", sh(2024, 9, 10))
    # 7 days from 2024-09-10 is 09-17, the Mid-Autumn holiday: due 09-18 24:00.
    due_at = end_of_day(date(2024, 9, 18))
    with engine.connect() as conn:
        running = conn.execute(select(CLOCK).where(CLOCK.c.stopped_at.is_(None))).mappings().one()
    assert (running["kind"], running["due_date"]) == ("acceptance", date(2024, 9, 18))
    assert sweep(engine, due_at - timedelta(days=1, microseconds=1)).escalations == []
    result = sweep(engine, due_at + timedelta(days=7))
    assert [(e["clock"], e["level"]) for e in result.escalations] == [
        ("acceptance", lvl) for lvl in LADDER
    ]
    # The rectification clock stopped at request_acceptance: long overdue, never escalated.
    assert sweep(engine, sh(2024, 12, 31)).escalations == []
    assert escalations(engine) == [("acceptance", lvl) for lvl in LADDER]


def test_items_whose_clocks_stopped_are_never_escalated(engine: Engine) -> None:
    add(engine, case_data("R1", rectification_due="2024-09-10"), at=AT)  # will be reviewed
    add(engine, case_data("M1", rectification_due="2024-09-10"), at=AT)  # merged duplicate
    add(engine, case_data("O1", rectification_due="2024-09-10"), at=AT)  # left open
    to_reviewed(engine, "R1", sh(2024, 9, 5))
    _fire(engine, "M1", "merge_duplicate", "coordinator", sh(2024, 9, 5), {"original": "O1"})
    result = sweep(engine, sh(2024, 12, 31))
    assert {e["ref"] for e in result.escalations} == {"O1"}
    assert escalations(engine, "R1") == []
    assert escalations(engine, "M1") == []
    assert escalations(engine, "O1") == [("rectification", lvl) for lvl in LADDER]


def test_escalations_pause_while_stopped_and_resume_after_rework(engine: Engine) -> None:
    add(engine, case_data(rectification_due="2024-09-10"), at=AT)
    due_at = end_of_day(date(2024, 9, 10))
    assert [e["level"] for e in sweep(engine, due_at).escalations] == list(LADDER[:2])
    to_rectified(engine, "D2100001", due_at + timedelta(hours=1))
    returned = due_at + timedelta(days=2)
    reason = {"reason": "油烟仍在"}
    _fire(engine, "D2100001", "return_for_rework", "acceptance_group", returned, reason)
    # Back in work, the same rectification clock runs on: the rungs applied stay applied,
    # the missing ones follow when their time comes.
    assert sweep(engine, due_at + timedelta(days=3) - timedelta(seconds=1)).escalations == []
    result = sweep(engine, due_at + timedelta(days=8))
    assert [(e["clock"], e["level"]) for e in result.escalations] == [
        ("rectification", "interview"),
        ("rectification", "referral"),
    ]
    assert [lvl for kind, lvl in escalations(engine) if kind == "rectification"] == list(LADDER)
    assert verify(engine).ok


# --- closing after the notice period -------------------------------------------------------


def test_closes_by_itself_after_the_notice_period_as_system(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    published = sh(2024, 9, 23)
    to_published(engine, "D2100001", published)
    end = end_of_day(date(2024, 9, 27))  # 5 days from the day of publication, inclusive
    assert sweep(engine, end - timedelta(microseconds=1)).closed == []
    assert state_of(engine, "D2100001") == "published"
    result = sweep(engine, end)
    assert result.closed == ["D2100001"]
    assert result.escalations == []
    assert state_of(engine, "D2100001") == "closed"
    row = last_history(engine, "D2100001")
    assert (row["event"], row["actor"], row["role"]) == ("close", "system", "system")
    assert (row["from_state"], row["to_state"]) == ("published", "closed")
    before = counts(engine)
    assert sweep(engine, end + timedelta(days=1)).closed == []
    assert counts(engine) == before
    assert verify(engine).ok


def test_a_sweep_that_lost_the_race_to_close_does_not_report_the_close_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(engine, case_data(), at=AT)
    to_published(engine, "D2100001", sh(2024, 9, 23))
    end = end_of_day(date(2024, 9, 27))
    stale = list(states_sweep._notices_over(engine, end))  # what a sweep beside it read
    assert sweep(engine, end).closed == ["D2100001"]
    before = counts(engine)
    monkeypatch.setattr(states_sweep, "_notices_over", lambda *_: stale)
    late = sweep(engine, end)
    assert late.closed == [] and late.skipped == []
    assert counts(engine) == before


def test_not_closed_while_an_objection_is_pending(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    to_published(engine, "D2100001", sh(2024, 9, 23))
    objection = {"text": "仍有油烟"}
    _fire(engine, "D2100001", "record_objection", "coordinator", sh(2024, 9, 25), objection)
    after_end = end_of_day(date(2024, 9, 27)) + timedelta(days=2)
    result = sweep(engine, after_end)
    assert result.closed == []
    assert state_of(engine, "D2100001") == "published"
    _fire(
        engine,
        "D2100001",
        "dismiss_objection",
        "coordinator",
        after_end,
        {"reason": "经核实已整改到位"},
    )
    assert sweep(engine, after_end + timedelta(hours=1)).closed == ["D2100001"]
    assert state_of(engine, "D2100001") == "closed"
    assert last_history(engine, "D2100001")["actor"] == "system"


def test_reopened_item_republished_with_the_same_range_closes_again(engine: Engine) -> None:
    add(engine, case_data(), at=AT)
    notice = {"notice_start": "2024-09-23", "notice_end": "2024-09-27"}
    to_published(engine, "D2100001", sh(2024, 9, 23), **notice)
    first = sh(2024, 9, 28)
    assert sweep(engine, first).closed == ["D2100001"]
    reason = {"cause": "repeat_complaint", "reason": "群众再次举报油烟"}
    _fire(engine, "D2100001", "reopen", "coordinator", first, reason)
    # Reworked the same day; the coordinator prints the notice with the same range.
    again = first + timedelta(hours=1)
    _fire(engine, "D2100001", "request_acceptance", "operator", again)
    opinion = acceptance(accepted_on="2024-09-28")
    _fire(engine, "D2100001", "accept", "acceptance_group", again, opinion)
    _fire(engine, "D2100001", "request_review", "coordinator", again)
    signoffs = {"signoffs": SIGNOFFS}
    _fire(engine, "D2100001", "review", "review_group", again, signoffs)
    _fire(engine, "D2100001", "publish", "coordinator", again, notice)
    result = sweep(engine, again + timedelta(hours=1))
    assert state_of(engine, "D2100001") == "closed", result


# --- sweeps side by side -------------------------------------------------------------------

OVERDUE_CASES = 12
SIDE_BY_SIDE_NOW = end_of_day(date(2024, 9, 30)) + timedelta(days=8)


def _overdue_cases(engine: Engine) -> None:
    for i in range(OVERDUE_CASES):
        add(engine, case_data(f"P{i:03d}"), at=AT)


def _check_each_escalation_once(engine: Engine, reported: list[dict[str, Any]]) -> None:
    with engine.connect() as conn:
        rows = conn.execute(select(ESC.c.clock_id, ESC.c.level)).all()
        notes = conn.execute(select(func.count()).select_from(NOTE)).scalar_one()
        escalate_rows = conn.execute(
            select(func.count()).select_from(HISTORY).where(HISTORY.c.event == "escalate")
        ).scalar_one()
    per_clock = Counter(r.clock_id for r in rows)
    assert len(rows) == len(set(rows)) == OVERDUE_CASES * len(LADDER)
    assert set(per_clock.values()) == {len(LADDER)}
    assert escalate_rows == len(rows)
    assert notes == OVERDUE_CASES * sum(len(a) for a in AUDIENCES.values())
    done = Counter((e["ref"], e["level"]) for e in reported)
    assert len(done) == OVERDUE_CASES * len(LADDER)
    assert set(done.values()) == {1}, "two sweeps reported the same escalation"
    assert verify(engine).ok


def test_two_sweeps_in_threads_escalate_each_rung_once(db_url: str, engine: Engine) -> None:
    _overdue_cases(engine)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        own = make_engine(db_url)
        try:
            barrier.wait()
            results[i] = sweep(own, SIDE_BY_SIDE_NOW, batch=3)
        except BaseException as e:  # reported to the main thread
            errors.append(e)
        finally:
            own.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    _check_each_escalation_once(engine, results[0].escalations + results[1].escalations)


def _sweep_in_process(url: str, now_iso: str, go: Any, out: str) -> None:
    engine = make_engine(url)
    try:
        go.wait(60)
        result = sweep(engine, datetime.fromisoformat(now_iso), batch=3)
        Path(out).write_text(json.dumps(result.escalations), encoding="utf-8")
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_sweeps_in_processes_escalate_each_rung_once(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _overdue_cases(engine)
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    now_iso = SIDE_BY_SIDE_NOW.astimezone(UTC).isoformat()
    outs = [tmp_path / f"sweep{i}.json" for i in range(2)]
    procs = [
        ctx.Process(target=_sweep_in_process, args=(db_url, now_iso, go, str(out))) for out in outs
    ]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    reported = [e for out in outs for e in json.loads(out.read_text(encoding="utf-8"))]
    _check_each_escalation_once(engine, reported)


def test_a_sweep_for_an_earlier_time_leaves_items_recorded_after_it(engine: Engine) -> None:
    """History stays in time order: a sweep run with ``now`` before an item's newest record
    neither escalates nor closes it, and the next sweep at a later time does."""
    add(engine, case_data("D2100001", rectification_due="2024-09-30"), at=AT)
    add(engine, case_data("D2100002"), at=AT)
    _fire(engine, "D2100001", "acknowledge", "operator", sh(2024, 10, 20))
    to_published(engine, "D2100002", sh(2024, 9, 23))
    record = {"archive": [{"kind": "site_record", "title": "公示照片", "has_photos": True}]}
    update_item(engine, "D2100002", actor="李四", role="operator", at=sh(2024, 10, 20), data=record)
    earlier = end_of_day(date(2024, 10, 8))  # rungs due, notice over, both before the records
    result = sweep(engine, earlier)
    assert result.escalations == [] and result.closed == []
    assert [s["ref"] for s in result.skipped] == ["D2100002"]
    assert "earlier than the item's last record" in result.skipped[0]["reason"]
    assert escalations(engine) == []
    assert state_of(engine, "D2100002") == "published"
    later = sweep(engine, sh(2024, 10, 21))
    assert [e["level"] for e in later.escalations] == list(LADDER)
    assert later.closed == ["D2100002"]
    assert verify(engine).ok


def test_a_skipped_closure_leaves_the_sweeps_connection_fit_to_close_the_next(
    engine: Engine,
) -> None:
    """The sweep closes items one by one on one connection: a closure refused and rolled
    back does not stop the next item from closing."""
    add(engine, case_data("D2100001"), at=AT)
    add(engine, case_data("D2100002"), at=AT)
    to_published(engine, "D2100001", sh(2024, 9, 23))
    to_published(engine, "D2100002", sh(2024, 9, 23))
    record = {"archive": [{"kind": "site_record", "title": "公示照片", "has_photos": True}]}
    update_item(engine, "D2100001", actor="李四", role="operator", at=sh(2024, 10, 20), data=record)
    result = sweep(engine, end_of_day(date(2024, 10, 8)))
    assert [s["ref"] for s in result.skipped] == ["D2100001"]
    assert result.closed == ["D2100002"]
    assert state_of(engine, "D2100001") == "published"
    assert state_of(engine, "D2100002") == "closed"
