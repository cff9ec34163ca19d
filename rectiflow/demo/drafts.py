"""Drafts of demo items: what ``case add``/``task add`` would take, before their lives."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from rectiflow.demo.texts import (
    BATCHES,
    BY_KEY,
    CASES,
    CITY_OFFICE,
    CITY_SUPERVISING,
    DEPARTMENTS,
    DUPLICATES,
    ESTATES,
    FEEDBACK_DAYS,
    GIVEN,
    GOVERNMENT,
    LADDER,
    PLACES,
    PROFILES,
    REGULAR,
    RIVERS,
    ROADS,
    ROUND,
    SPAN_DAYS,
    SURNAMES,
    TARGETS,
    TASKS,
    URBAN,
    VERDICTS,
    VILLAGES,
    Data,
    TaskDef,
    Template,
)
from states.calendar import SHANGHAI


@dataclass(frozen=True)
class Todo:
    """A step not yet placed in time.

    ``days`` counts from the previous step's day (0: later that day); for ``close`` it
    counts from the day after the notice period ends.
    """

    days: int
    event: str  # an event, or "update" for an edit
    actor: str
    role: str
    data: Data
    night: bool = False  # the sweep's hour, just after midnight
    on: date | None = None  # a fixed day instead (or the previous step's, if later)


@dataclass(frozen=True)
class Step:
    """A step of an item's life, placed in time."""

    at: datetime
    event: str
    actor: str
    role: str
    data: dict[str, Any]
    key: str | None = None


@dataclass
class Draft:
    """One demo item: what ``case add``/``task add`` would take, and its life."""

    kind: str
    district: str | None
    batch: int
    assigned: datetime
    due: date
    data: dict[str, Any]
    lead: str
    tpl: Template | None = None
    task: TaskDef | None = None
    text: dict[str, str] = field(default_factory=dict)
    verdict: str | None = None
    problems: list[str] = field(default_factory=list)
    fine: int = 0
    named: bool = True
    key_case: bool = False
    original: Draft | None = None
    target: str = "assigned"
    flags: set[str] = field(default_factory=set)
    people: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return str(self.data["intake_no"] if self.kind == "case" else self.data["number"])


# --- drafting -------------------------------------------------------------------------


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


def office_phone(rng: random.Random) -> str:
    return f"0412-{rng.randrange(2200000, 8899999)}"


def _address(rng: random.Random, district: str) -> tuple[str, str]:
    """An address in ``district`` (city units: somewhere in town), and its place name."""
    where = district if district in PLACES else rng.choice(URBAN)
    place = rng.choice(PLACES[where])
    if place.endswith("镇"):
        return f"{where}{place}{rng.choice(VILLAGES)}村", place
    if place.endswith(("景区", "园", "片区")):
        return f"{where}{place}", place
    if rng.random() < 0.6:
        return f"{where}{place}{rng.choice(ESTATES)}小区{rng.randint(1, 28)}号楼", place
    return f"{where}{place}{rng.choice(ROADS)}{rng.randint(1, 300)}号", place


def _batch_time(today: date, batch: int) -> datetime:
    day = today - timedelta(days=SPAN_DAYS - 3 * (batch - 1))
    return datetime.combine(day, time(9, 0), SHANGHAI)


def draft_cases(rng: random.Random, today: date) -> list[Draft]:
    weights = [BATCHES + 12 - k for k in range(BATCHES)]  # the first batches are the largest
    drafts: list[Draft] = []
    for district, count in CASES.items():
        own = [
            _case(rng, district, rng.choices(range(1, BATCHES + 1), weights)[0], today)
            for _ in range(count - DUPLICATES.get(district, 0))
        ]
        for _ in range(DUPLICATES.get(district, 0)):
            original = rng.choice([d for d in own if d.batch <= BATCHES - 8 and not d.original])
            own.append(_duplicate(rng, original, today))
        drafts += own
    drafts.sort(key=lambda d: d.batch)
    seq: dict[date, int] = {}
    for d in drafts:  # intake numbers: channel (来电/来信), round, province, date, sequence
        received = d.assigned.date() - timedelta(days=rng.randint(1, 2))
        seq[received] = seq.get(received, 0) + 1
        channel = "X" if rng.random() < 0.25 else "D"
        d.data = {"intake_no": f"{channel}2LN{received:%Y%m%d}{seq[received]:04d}"} | d.data
    return drafts


def _case(rng: random.Random, district: str, batch: int, today: date) -> Draft:
    profile = PROFILES[district]
    tpl = BY_KEY[rng.choices(list(profile), list(profile.values()))[0]]
    address, place = _address(rng, district)
    river_home = district if district in RIVERS else rng.choice(URBAN)
    subject = rng.choice(RIVERS[river_home]) if tpl.key == "河流" else rng.choice(tpl.subjects)
    fields = {"subject": subject, "addr": address, "place": place}
    fields |= {"tons": str(rng.choice((30, 50, 80, 120, 200, 500))), "n": str(rng.randint(2, 6))}
    verdict = rng.choices(VERDICTS, tpl.verdicts)[0]
    problems = [p for p in tpl.problems if rng.random() < 0.7] or [tpl.problems[0]]
    if verdict == "部分属实" and len(problems) > 1:
        problems.pop()
    key_case = rng.random() < (0.3 if tpl.category == "公共利益" else 0.04)
    if district in CITY_SUPERVISING:
        lead, supervising = district, CITY_SUPERVISING[district]
    else:
        supervising = tpl.supervising
        dept = tpl.dept if district in REGULAR and rng.random() < 0.45 else None
        lead = f"{district}{DEPARTMENTS[dept]}" if dept else GOVERNMENT[district]
    assigned = _batch_time(today, batch)
    due = assigned.date() + timedelta(days=rng.randint(*tpl.due) + (30 if key_case else 0))
    roll = rng.random()
    complainant: dict[str, str] | None = None  # about one in six is anonymous
    if roll > 0.17:
        complainant = {"name": person_name(rng), "phone": _mobile(rng)}
    elif roll > 0.12:
        complainant = {"phone": _mobile(rng) if rng.random() < 0.5 else office_phone(rng)}
    data: dict[str, Any] = {
        "round": ROUND,
        "batch_no": f"第{batch}批",
        "assigned_at": assigned.isoformat(),
        "district": district,
        "lead_unit": lead,
        "supervising_unit": supervising,
        "summary": tpl.summary.format_map(fields),
        "content": rng.choice(tpl.contents).format_map(fields),
        "address": address,
        "pollution_types": list(tpl.pollution),
        "category": tpl.category,
        "key_case": key_case,
        "complainant": complainant,
        "rectification_due": due.isoformat(),
    }
    text = {k: getattr(tpl, k).format_map(fields) for k in ("findings", "measures", "done")}
    fined = tpl.fine[1] and rng.random() < tpl.penalty
    roles = ("operator", "leader", "head", "in_charge", "subject_leader", "acceptance")
    return Draft(
        kind="case",
        district=district,
        batch=batch,
        assigned=assigned,
        due=due,
        data=data,
        lead=lead,
        tpl=tpl,
        text=text | {"subject": subject},
        verdict=verdict,
        problems=problems if verdict != "不属实" else [],
        fine=rng.randrange(*tpl.fine, 1000) if fined else 0,
        named=bool(complainant and complainant.get("name")),
        key_case=key_case,
        people={r: person_name(rng) for r in roles},
    )


def _duplicate(rng: random.Random, original: Draft, today: date) -> Draft:
    """A repeat complaint about the same problem (重复访), assigned a few batches later."""
    dup = _case(rng, original.district or "", original.batch + rng.randint(2, 6), today)
    same = ("lead_unit", "supervising_unit", "summary", "address", "pollution_types", "category")
    dup.data |= {k: original.data[k] for k in same}
    dup.data["content"] = "再次" + str(original.data["content"])
    dup.original, dup.lead, dup.tpl, dup.text = original, original.lead, original.tpl, original.text
    return dup


def draft_tasks(rng: random.Random, today: date) -> list[Draft]:
    feedback = datetime.combine(today - timedelta(days=FEEDBACK_DAYS), time(10, 0), SHANGHAI)
    drafts = []
    for t in TASKS:
        # One task was split off a common issue only last week: still 已交办.
        assigned = feedback if t.target != "assigned" else feedback + timedelta(days=70)
        due = assigned.date() + timedelta(days=t.due_days)
        data = {
            "number": t.number,
            "round": ROUND,
            "assigned_at": assigned.isoformat(),
            "issue": t.issue,
            "common": t.common,
            "goal": t.goal,
            "lead_unit": t.lead,
            "supervising_unit": CITY_OFFICE,
            "leader": f"分管副市长{person_name(rng)}",
            "rectification_due": due.isoformat(),
            "measures": [{"type": m[0], "text": m[1]} for m in t.measures],
        }
        people = {"operator": person_name(rng), "acceptance": person_name(rng)}
        drafts.append(
            Draft(
                "task", None, 0, assigned, due, data, t.lead, task=t, target=t.target, people=people
            )
        )
    return drafts


def choose_targets(rng: random.Random, drafts: Sequence[Draft], today: date) -> None:
    """Where each case is at ``at``, and the few that take the rarer paths."""
    cases = [d for d in drafts if d.kind == "case"]
    for d in cases:
        old = (today - d.assigned.date()).days
        weights = next(w for limit, w in TARGETS if old <= limit)
        d.target = rng.choices(list(weights), list(weights.values()))[0]
        if d.tpl and d.tpl.category == "公共利益" and d.target in LADDER[1:] and rng.random() < 0.5:
            # Long-term work moves slower: one step behind, or still in work.
            d.target = (
                "investigating" if d.target == "closed" else LADDER[LADDER.index(d.target) - 1]
            )
        if d.original:
            d.target = "merged"

    def pick(n: int, flag: str, ok: Callable[[Draft], bool]) -> list[Draft]:
        pool = [d for d in cases if not d.flags and not d.original and ok(d)]
        chosen = rng.sample(pool, min(n, len(pool)))
        for d in chosen:
            d.flags.add(flag)
        return chosen

    def age(d: Draft) -> int:
        return (today - d.assigned.date()).days

    def due_in(d: Draft) -> int:
        return (d.due - today).days

    def working(d: Draft) -> bool:
        return d.target == "investigating"

    for d in pick(3, "stuck", lambda d: working(d) and age(d) >= 35):
        d.target = "assigned"  # never acknowledged: the ladder runs up to referral
    pick(3, "ext_pending", lambda d: working(d) and -4 <= due_in(d) <= 12 and age(d) >= 10)
    pick(3, "ext_approved", lambda d: working(d) and -20 <= due_in(d) <= 3)
    pick(1, "ext_rejected", lambda d: working(d) and -15 <= due_in(d) <= 3)
    pick(3, "notice_over", lambda d: d.target == "published")
    pick(2, "objection_dismissed", lambda d: d.target == "closed" and age(d) >= 45)
    for d in pick(1, "objection_upheld", lambda d: d.target == "closed" and age(d) >= 50):
        d.target = "upheld"
    pick(len(cases) // 12, "rework_acceptance", lambda d: d.target in LADDER[2:])
    pick(len(cases) // 40, "rework_review", lambda d: d.target in LADDER[3:])
    pick(len(cases) // 12, "revisit", lambda d: d.target == "closed" and age(d) >= 60)
    pick(2, "rebound", lambda d: d.target == "closed" and age(d) >= 70)
