"""Properties of the whole lifecycle (SPEC §3, §7), as a hypothesis state machine.

Random events with random roles and random (sometimes valid, sometimes empty or
invalid) data, random edits, a clock that moves by random amounts and a sweep now and
then, on a few items; after every step:

- the item's state is the replay of its history, a chain from ``register``;
- ``audit verify`` finds nothing;
- clocks run only in their states: the one running clock has the kind the state runs;
- a refused or invalid event, or a replayed one, leaves no trace at all;
- escalations are never repeated, and come in ladder order per clock;
- no personal data reaches history or notifications.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from models.engine import make_engine
from models.tables import Clock, Escalation, History, Item, Notification, Objection, table
from states.audit import verify
from states.calendar import local_date
from states.clocks import running_kind
from states.editing import update_item
from states.errors import BadInput, Refused
from states.lifecycle import EVENTS, TABLE, Role, State, rule_for
from states.rules import DEFAULT_LADDER
from states.service import Fired, fire
from states.sweep import sweep
from tests.conftest import AT
from tests.support import RESOLVED_CASE, SIGNOFFS, acceptance, add, case_data, task_data

SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM, HISTORY, CLOCK = table(Item), table(History), table(Clock)
ESC, NOTE, OBJECTION = table(Escalation), table(Notification), table(Objection)
LEVELS = [r.level for r in DEFAULT_LADDER]
ROLES = [r.value for r in Role]
PERSONAL = ("张三", "13800001111", "王二", "13900002222")

CASES = {"D1": "2024-09-30", "D2": "2024-09-10", "D3": "2024-10-01"}
TASK = "200(19-3)"
REFS = [*CASES, TASK]
COMPLETE_MEASURE = {
    "type": "政策措施",
    "text": "完善生态环保诉求管理系统",
    "criteria": {"issued": True, "in_force": True},
    "evidence": "市政办发〔2024〕12号",
}
EDITS: list[Any] = [
    RESOLVED_CASE,
    RESOLVED_CASE,
    {"problems": [{"text": "油烟直排", "resolved": False}]},
    {"verdict": "不属实", "findings": "经核查，反映问题不属实。", "problems": []},
    {"satisfaction": {"satisfied": False, "by": "neighbours"}},
    {"penalties": [{"filed": True, "decision": "罚款", "fine_yuan": 20000, "executed": False}]},
    {"penalties": [{"filed": True, "executed": True}]},
    {"accountability": [{"person": "赵六", "measure": "诫勉谈话", "done": False}]},
    {"archive": [{"kind": "site_record", "title": "勘察笔录", "has_photos": True}]},
    {"complainant": {"name": "王二", "phone": "13900002222"}},
    {"lead_unit": "海城市生态环境分局", "summary": "饭店油烟"},
    {"measures": [COMPLETE_MEASURE]},
    {"measures": [{"type": "工程措施", "text": "建设污水管网"}]},
    {"goal": "全部完成"},
    {},
    {"bogus": 1},
    {"verdict": "也许"},
    {"complainant": {"phone": "call me"}},
    "not an object",
]
JUNK: list[Any] = [None, {}, {"bogus": True}, {"reason": ""}, {"note": 5}, ["list"]]
# The natural next steps from each state ("update": the edit that resolves the item), so
# that examples reach the deep states; their data is valid, their guards may still refuse.
NEXT: dict[State, list[tuple[str, str]]] = {
    State.assigned: [("acknowledge", "operator"), ("acknowledge", "coordinator")],
    State.investigating: [("update", "operator"), ("request_acceptance", "operator")],
    State.rectified: [("accept", "acceptance_group")] * 3
    + [("return_for_rework", "acceptance_group")],
    State.accepted: [("request_review", "coordinator"), ("review", "review_group")] * 2
    + [("return_for_rework", "review_group")],
    State.reviewed: [("publish", "coordinator")],
    State.published: [("close", "coordinator")] * 3
    + [
        ("record_objection", "coordinator"),
        ("dismiss_objection", "coordinator"),
        ("uphold_objection", "coordinator"),
    ],
    State.closed: [("record_revisit", "coordinator"), ("file", "coordinator")],
}


def allowed_roles(event: str) -> list[str]:
    return sorted({r.value for rule_ in TABLE if rule_.event == event for r in rule_.roles})


def payloads(
    event: str, ref: str, kind: str, today: date, *, junk: bool = True
) -> st.SearchStrategy[Any]:
    """Plausible data for ``event`` on ``ref`` today: mostly valid, sometimes not."""
    day = st.integers(-10, 60).map(lambda n: (today + timedelta(days=n)).isoformat())
    reason = st.sampled_from(["整改不到位", "群众仍有意见"]).map(lambda r: {"reason": r})
    note = st.sampled_from([None, {}, {"note": "按期办理"}])
    opinion = acceptance(ref, accepted_on=today.isoformat())
    if kind == "task":
        opinion["category_checks"] = {}
    unsigned = opinion | {"members": [opinion["members"][0] | {"signed": False}]}
    valid: dict[str, st.SearchStrategy[Any]] = {
        "acknowledge": note,
        "request_acceptance": note,
        "request_review": note,
        "close": note,
        "accept": st.sampled_from([opinion, opinion, unsigned, acceptance("OTHER")])
        if junk
        else st.just(opinion),
        "sign_off": st.integers(1, len(SIGNOFFS)).map(lambda n: {"signoffs": SIGNOFFS[:n]}),
        "review": st.sampled_from([{"signoffs": SIGNOFFS}, {}, {"signoffs": SIGNOFFS[:4]}])
        if junk
        else st.just({"signoffs": SIGNOFFS}),
        "return_for_rework": reason,
        "uphold_objection": reason,
        "dismiss_objection": reason,
        "reject_extension": reason,
        "publish": st.one_of(
            st.just({}),
            st.integers(-8, 3).map(
                lambda n: {
                    "notice_start": (today + timedelta(days=n)).isoformat(),
                    "notice_end": (today + timedelta(days=n + 4)).isoformat(),
                    "office": "市督改办",
                }
            ),
        ),
        "record_objection": st.just({"text": "油烟仍然扰民"}),
        "file": st.sampled_from([{"filing_no": "BA-2024-001"}, {"filing_no": "BA-2024-002"}]),
        "request_extension": day.map(lambda d: {"reason": "设备采购周期长", "proposed_due": d}),
        "approve_extension": st.one_of(st.just({}), day.map(lambda d: {"new_due": d})),
        "merge_duplicate": st.sampled_from([*REFS, "NOPE"]).map(lambda r: {"original": r}),
        "reopen": st.fixed_dictionaries(
            {
                "cause": st.sampled_from(["rebound", "repeat_complaint"]),
                "reason": st.just("问题反弹"),
            },
            optional={"rectification_due": day},
        ),
        "record_revisit": st.booleans().map(
            lambda rebound: {
                "done_on": today.isoformat(),
                "method": "电话回访",
                "finding": "回访情况",
                "rebound": rebound,
            }
        ),
    }
    if not junk:
        return valid[event]
    return st.one_of(valid[event], valid[event], valid[event], st.sampled_from(JUNK))


def may_edit(role: str, state: State, fields: set[str], filed: bool) -> bool:
    """Who may edit what, when: operators and coordinators the findings while the item is
    in work and its archive until filing; the discipline commission accountability."""
    if role == "discipline":
        return fields <= {"accountability"} and not filed
    if role not in ("operator", "coordinator"):
        return False
    return state in (State.assigned, State.investigating) or (fields <= {"archive"} and not filed)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order."""
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in SQLModel.metadata.sorted_tables
        }


class Lifecycle(RuleBasedStateMachine):
    """Three cases and a task in one fresh database per example."""

    template: Path
    workdir: Path

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(dir=self.workdir))
        path = self.dir / "rectiflow.db"
        shutil.copy(self.template, path)
        self.engine = make_engine(f"sqlite:///{path}", synchronous="OFF")
        self.now = AT
        for ref, due in CASES.items():
            add(self.engine, case_data(ref, rectification_due=due), at=AT)
        add(self.engine, task_data(measures=[COMPLETE_MEASURE]), kind="task", at=AT)
        self.kinds = {**dict.fromkeys(CASES, "case"), TASK: "task"}

    def teardown(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------

    def item(self, ref: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(ITEM).where(ITEM.c.ref == ref)).mappings().one()

    def today(self) -> date:
        return local_date(self.now)

    def fire_checked(self, ref: str, event: str, role: str, data: Any, key: str | None) -> None:
        before = snapshot(self.engine)
        item = self.item(ref)
        state = State(item["state"])
        try:
            fired = fire(
                self.engine,
                ref,
                event,
                actor="测试员",
                role=role,
                at=self.now,
                data=data,
                idempotency_key=key,
            )
        except (BadInput, Refused):
            assert snapshot(self.engine) == before, f"{event} raised but wrote"
            return
        if fired.replayed:
            assert snapshot(self.engine) == before, f"replayed {event} wrote"
            return
        self.check_fired(item, state, event, role, data, fired, before)

    def check_fired(
        self,
        item: Any,
        state: State,
        event: str,
        role: str,
        data: Any,
        fired: Fired,
        before: dict[str, list[tuple[Any, ...]]],
    ) -> None:
        rule_ = rule_for(event, state)
        assert rule_ is not None, f"{event} fired from {state}"
        assert Role(role) in rule_.roles, f"{role} fired {event}"
        rebound = event == "record_revisit" and data["rebound"]
        dest = State.investigating if rebound else (rule_.dest or state)
        assert (fired.from_state, fired.to_state) == (state.value, dest.value)
        after = self.item(item["ref"])
        steps = 2 if rebound else 1
        assert after["state"] == dest.value
        assert after["version"] == item["version"] + steps == fired.version
        assert after["history_seq"] == item["history_seq"] + steps
        assert fired.seq == item["history_seq"] + 1
        assert len(snapshot(self.engine)["history"]) == len(before["history"]) + steps

    # --- rules -----------------------------------------------------------------------------

    @rule(
        ref=st.sampled_from(REFS),
        event=st.sampled_from([*EVENTS, "fly_away"]),
        data=st.data(),
        key=st.sampled_from([None, None, None, "k1", "k2"]),
    )
    def any_event(self, ref: str, event: str, data: st.DataObject, key: str | None) -> None:
        if event in EVENTS:
            role = data.draw(
                st.sampled_from(allowed_roles(event)) | st.sampled_from([*ROLES, "nobody"])
            )
            body = data.draw(payloads(event, ref, self.kinds[ref], self.today()))
        else:
            role, body = "coordinator", {}
        self.fire_checked(ref, event, role, body, key)

    @rule(ref=st.sampled_from(REFS), steps=st.integers(1, 6), data=st.data())
    def next_steps(self, ref: str, steps: int, data: st.DataObject) -> None:
        for _ in range(steps):
            state = State(self.item(ref)["state"])
            event, role = data.draw(st.sampled_from(NEXT[state]))
            kind = self.kinds[ref]
            if event == "update":
                resolved = {"measures": [COMPLETE_MEASURE]} if kind == "task" else RESOLVED_CASE
                self.edit_checked(ref, resolved, role)
            else:
                body = data.draw(payloads(event, ref, kind, self.today(), junk=False))
                self.fire_checked(ref, event, role, body, None)

    @rule(
        ref=st.sampled_from(REFS),
        edit=st.sampled_from(EDITS),
        role=st.sampled_from(["operator", "operator", "coordinator", *ROLES, "nobody"]),
    )
    def edit(self, ref: str, edit: Any, role: str) -> None:
        self.edit_checked(ref, edit, role)

    def edit_checked(self, ref: str, edit: Any, role: str) -> None:
        before = snapshot(self.engine)
        item = self.item(ref)
        try:
            fired = update_item(self.engine, ref, actor="李四", role=role, at=self.now, data=edit)
        except (BadInput, Refused):
            assert snapshot(self.engine) == before, "a refused edit wrote"
            return
        state = State(item["state"])
        assert may_edit(role, state, set(edit), bool(item["filing_no"])), (role, state, edit)
        after = self.item(ref)
        assert (fired.from_state, fired.to_state, after["state"]) == (state,) * 3
        assert after["version"] == item["version"] + 1 == fired.version

    @rule(
        days=st.integers(0, 12),
        seconds=st.integers(0, 86_399),
        micros=st.integers(0, 999_999),
    )
    def advance(self, days: int, seconds: int, micros: int) -> None:
        self.now += timedelta(days=days, seconds=seconds, microseconds=micros)

    @rule()
    def run_sweep(self) -> None:
        result = sweep(self.engine, self.now)
        done = [(e["ref"], e["clock"], e["level"]) for e in result.escalations]
        assert len(done) == len(set(done))
        with self.engine.connect() as conn:
            behind = conn.execute(
                select(func.count())
                .select_from(CLOCK)
                .where(CLOCK.c.stopped_at.is_(None), CLOCK.c.next_escalation_at <= self.now)
            ).scalar_one()
        assert behind == 0, "a sweep left a due rung behind"
        again = sweep(self.engine, self.now)
        assert again.escalations == []

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def state_is_the_replay_of_history(self) -> None:
        with self.engine.connect() as conn:
            items = list(conn.execute(select(ITEM)).mappings())
            rows = list(conn.execute(select(HISTORY).order_by(HISTORY.c.seq)).mappings())
        for item in items:
            chain = [r for r in rows if r["item_id"] == item["id"]]
            assert [r["seq"] for r in chain] == list(range(1, len(chain) + 1))
            assert (chain[0]["event"], chain[0]["from_state"]) == ("register", None)
            assert chain[0]["to_state"] == "assigned"
            for prev, row in zip(chain, chain[1:], strict=False):
                assert row["from_state"] == prev["to_state"], (item["ref"], row["seq"])
                assert row["prev_hash"] == prev["hash"]
            assert item["state"] == chain[-1]["to_state"]
            assert (item["history_seq"], item["history_head"]) == (len(chain), chain[-1]["hash"])

    @invariant()
    def audit_finds_nothing(self) -> None:
        report = verify(self.engine)
        assert report.ok, report.breaches

    @invariant()
    def clocks_run_only_in_their_states(self) -> None:
        with self.engine.connect() as conn:
            items = list(conn.execute(select(ITEM)).mappings())
            clocks = list(conn.execute(select(CLOCK)).mappings())
        for item in items:
            mine = [c for c in clocks if c["item_id"] == item["id"]]
            running = [c["kind"] for c in mine if c["stopped_at"] is None]
            kind = running_kind(State(item["state"]), item["review_applied_at"] is not None)
            assert running == ([] if kind is None else [kind]), (item["ref"], item["state"])
            # The rectification deadline belongs to the item: one clock, resumed on rework.
            assert [c["kind"] for c in mine].count("rectification") == 1
            # Back in work or at acceptance, no review application is left over.
            if item["state"] in ("assigned", "investigating", "rectified"):
                assert item["review_applied_at"] is None, (item["ref"], item["state"])

    @invariant()
    def escalations_once_and_in_ladder_order(self) -> None:
        with self.engine.connect() as conn:
            escs = list(conn.execute(select(ESC).order_by(ESC.c.id)).mappings())
            clocks = {c["id"]: c for c in conn.execute(select(CLOCK)).mappings()}
            escalate_rows = conn.execute(
                select(func.count()).select_from(HISTORY).where(HISTORY.c.event == "escalate")
            ).scalar_one()
        assert escalate_rows == len(escs)
        per_clock: dict[int, list[str]] = {}
        for e in escs:
            assert e["item_id"] == clocks[e["clock_id"]]["item_id"]
            per_clock.setdefault(e["clock_id"], []).append(e["level"])
        for clock_id, clock in clocks.items():
            levels = per_clock.get(clock_id, [])
            assert levels == LEVELS[: len(levels)], (clock["kind"], levels)
            assert clock["next_level"] == len(levels)
            if clock["kind"] == "notice":
                assert levels == []

    @invariant()
    def item_columns_agree_with_the_state(self) -> None:
        with self.engine.connect() as conn:
            items = list(conn.execute(select(ITEM)).mappings())
            pending = set(
                conn.execute(
                    select(OBJECTION.c.item_id).where(OBJECTION.c.status == "pending")
                ).scalars()
            )
        for item in items:
            closed = item["state"] == "closed"
            assert (item["closed_at"] is not None) == closed, item["ref"]
            assert item["filing_no"] is None or closed, item["ref"]
            assert item["id"] not in pending or item["state"] == "published", item["ref"]
            if item["state"] in ("published", "closed") and item["closure_reason"] != "duplicate":
                assert item["notice_start"] is not None and item["notice_end"] is not None

    @invariant()
    def no_personal_data_in_history_or_notifications(self) -> None:
        with self.engine.connect() as conn:
            data = list(conn.execute(select(HISTORY.c.data)).scalars())
            data += list(conn.execute(select(NOTE.c.payload)).scalars())
        text = json.dumps(data, ensure_ascii=False)
        assert not [p for p in PERSONAL if p in text]


MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@pytest.mark.timeout(900)  # room for hypothesis to shrink a failure (it stops at 5 minutes)
def test_lifecycle_properties(sqlite_template: Path, tmp_path: Path) -> None:
    Lifecycle.template = sqlite_template
    Lifecycle.workdir = tmp_path
    run_state_machine_as_test(Lifecycle, settings=MACHINE_SETTINGS)


# --- a regression the machine would otherwise only find by luck ---------------------------


def test_upheld_objection_starts_a_new_review_cycle(sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "db")
    engine = make_engine(f"sqlite:///{tmp_path / 'db'}")
    at = datetime(2024, 9, 25, 9, tzinfo=SHANGHAI)

    def go(event: str, role: str, data: Any = None) -> Fired:
        return fire(engine, "D1", event, actor="测试员", role=role, at=at, data=data)

    try:
        add(engine, case_data("D1"), at=AT)
        go("acknowledge", "operator")
        update_item(engine, "D1", actor="李四", role="operator", at=at, data=RESOLVED_CASE)
        go("request_acceptance", "operator")
        go("accept", "acceptance_group", acceptance("D1", accepted_on="2024-09-25"))
        go("request_review", "coordinator")
        go("review", "review_group", {"signoffs": SIGNOFFS})
        go("publish", "coordinator")
        go("record_objection", "coordinator", {"text": "油烟仍然扰民"})
        go("uphold_objection", "coordinator", {"reason": "异议属实"})
        go("request_acceptance", "operator")
        go("accept", "acceptance_group", acceptance("D1", accepted_on="2024-09-25"))
        with engine.connect() as conn:
            item = conn.execute(select(ITEM).where(ITEM.c.ref == "D1")).mappings().one()
        # As after return_for_rework or reopen: a fresh review application and cycle.
        assert item["review_applied_at"] is None
        assert item["review_cycle"] == 2
        go("request_review", "coordinator")
        with pytest.raises(Refused):
            go("review", "review_group", {})  # the first cycle's sign-offs no longer count
    finally:
        engine.dispose()
