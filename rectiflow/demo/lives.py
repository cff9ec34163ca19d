"""Each demo item's life: the events its users fire, at plausible times."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from rectiflow.demo.drafts import (
    Draft,
    Step,
    Todo,
    choose_targets,
    draft_cases,
    draft_tasks,
    office_phone,
    person_name,
)
from rectiflow.demo.texts import (
    CITY_OFFICE,
    DAY,
    GOVERNMENT,
    LADDER,
    REVIEWERS,
    SEED,
    SURNAMES,
    Data,
)
from states.calendar import SHANGHAI, local_date
from states.history import SYSTEM_ACTOR
from states.rules import Rules
from states.standards import CATEGORY_CRITERIA, MEASURE_CRITERIA, required_signoffs

# --- lives ----------------------------------------------------------------------------


class _Life:
    """Builds each item's steps: the events its users fire, at plausible times."""

    def __init__(self, at: datetime, rules: Rules) -> None:
        self.at, self.rules = at, rules
        self.last_day = local_date(at) - DAY  # targeted steps end by yesterday
        self.rng = random.Random(SEED)

    def steps(self, d: Draft) -> list[Step]:
        """The item's life: each item draws from its own generator."""
        self.rng = random.Random(f"{SEED}/{d.kind}/{d.ref}")
        if d.target == "merged":
            assert d.original is not None
            ref, batch = d.original.ref, d.original.data["batch_no"]
            note = f"与{batch}受理编号{ref}反映问题相同，按重复件合并办理"
            data = {"original": ref, "note": note}
            merge = self.todo(self.rng.randint(0, 3), "merge_duplicate", self.office(d), data)
            return self.place(d.assigned, [merge])
        if d.target == "assigned":
            return []
        front = [self.ack(d), self.findings(d)]
        target = d.target
        while target != "investigating":
            if (found := self.fit(d, target, front)) is not None:
                return found
            # Too young for its target: a case that cannot have closed is still in work.
            closed = self.rng.choice(("investigating", "rectified"))
            target = {"closed": closed, "upheld": "published"}.get(target) or LADDER[
                LADDER.index(target) - 1
            ]
        return self.place(d.assigned, front + self.investigating(d, front))

    def fit(self, d: Draft, target: str, front: list[Todo]) -> list[Step] | None:
        """Front, the rectification work, then the tail, ending where the target wants:
        the latest end of the work for which every step up to the target's lands in time."""
        rng, tail = self.rng, self.tail(d, target)
        last = (
            next(i for i, t in enumerate(tail) if t.event == "close") if target == "closed" else -1
        )
        need = len(front) + 1 + (last % len(tail)) + 1
        start = d.assigned.date()
        goal: date | None = None
        floor = -999  # how far before the goal the last step may land
        if target == "closed":
            span = (d.due - start).days
            work = round(
                span * (rng.uniform(1.05, 1.35) if rng.random() < 0.1 else rng.uniform(0.45, 0.95))
            )
        else:
            goal = self.last_day - timedelta(days=self.pin(d, target))
            if target == "published" and "notice_over" not in d.flags:
                # Still in its notice period at ``at`` (published no earlier than that).
                floor = (self.last_day - goal).days - self.rules.notice_days + 2
            work = (goal - start).days - sum(t.days for t in tail)
        done = Todo(0, "update", self.operator(d), "operator", self.completion(d))
        mid = work - sum(t.days for t in front)
        state = rng.getstate()
        while mid >= 2:
            rng.setstate(state)
            todos = [*front, replace(done, days=mid), *tail]
            steps = self.place(d.assigned, todos)
            if len(steps) < len(front):
                return None
            if len(steps) >= need:
                over = 0 if goal is None else (local_date(steps[need - 1].at) - goal).days
                if over <= 0:
                    return steps if over >= floor else None
            else:
                missing = todos[len(steps) : need]
                closing = self.rules.notice_days if any(t.event == "close" for t in missing) else 0
                end = local_date(steps[-1].at) + timedelta(sum(t.days for t in missing) + closing)
                over = (end - (goal or self.last_day)).days
            mid -= max(1, over // 2)  # rest days stretch the steps: close in gently
        return None

    def pin(self, d: Draft, target: str) -> int:
        """Days before yesterday on which the target's last step falls."""
        r, late = self.rng.randint, self.rng.random() < 0.15  # late: that clock is overdue
        if "notice_over" in d.flags:  # the sweep at ``at`` closes these
            return self.rules.notice_days + r(0, 2)
        return {
            "rectified": r(8, 13) if late else r(0, 5),
            "accepted": r(4, 7) if late else r(0, 2),
            "reviewed": r(0, 5),
            "published": r(0, 2),
            "upheld": r(1, 6),
        }[target]

    def _time(self, day: date, after: datetime, night: bool) -> datetime:
        """A time on ``day``, or the first day after it that works, later than ``after``:
        office hours on a working day, or just after midnight for the sweep."""
        after_local = after.astimezone(SHANGHAI)
        day = max(day, after_local.date())
        while True:
            while not night and not self.rules.calendar.is_working_day(day):
                day += DAY
            lo, hi = (5, 55) if night else (8 * 60 + 30, 17 * 60 + 50)
            if day == after_local.date():
                lo = max(lo, after_local.hour * 60 + after_local.minute + 5)
            if lo < hi:
                break
            day += DAY
        m = self.rng.randrange(lo, hi)
        return datetime.combine(day, time(m // 60, m % 60), SHANGHAI)

    def place(self, after: datetime, todos: Sequence[Todo]) -> list[Step]:
        """The todos placed in time after ``after``; from the first falling after ``at`` on,
        dropped."""
        steps: list[Step] = []
        notice_end: date | None = None
        for todo in todos:
            day = local_date(after) + timedelta(days=todo.days)
            if todo.on is not None:
                day = max(todo.on, local_date(after))
            if todo.event == "close" and notice_end is not None:
                day = notice_end + timedelta(days=1 + todo.days)
            when = self._time(day, after, todo.night)
            if when >= self.at:
                break
            data, key = todo.data(when), None
            if todo.event == "publish":
                default_end = local_date(when) + timedelta(days=self.rules.notice_days - 1)
                notice_end = date.fromisoformat(data.get("notice_end", default_end.isoformat()))
            if todo.event == "close" and todo.role == "system":
                key = f"auto-close:demo:{notice_end}"  # a system close, idempotent like the sweep's
            steps.append(Step(when, todo.event, todo.actor, todo.role, data, key))
            after = when
        return steps

    def tail(self, d: Draft, target: str) -> list[Todo]:
        """The steps from the request for acceptance to the target's last one."""
        rng, office = self.rng, self.office(d)
        t = [self.todo(rng.choice((0, 0, 1)), "request_acceptance", self.operator(d),
                       {"note": "整改完成，申请验收"}, "operator")]  # fmt: skip
        if target == "rectified":
            return t
        if "rework_acceptance" in d.flags:
            t += self.rework(d, "acceptance_group")
        t.append(self.accept(rng.randint(1, 5), d))
        if target == "accepted" and rng.random() < 0.5:
            return t
        t.append(self.todo(rng.randint(1, 2), "request_review", office,
                           {"note": "验收合格，申请市级复核"}))  # fmt: skip
        points = list(required_signoffs(d.kind, d.verdict))
        split = rng.randint(1, len(points) - 1) if len(points) > 1 and rng.random() < 0.5 else 0
        if target == "accepted":
            return t + (
                [self.sign(rng.randint(1, 2), "sign_off", d, points[:split])] if split else []
            )
        if "rework_review" in d.flags:
            t += self.rework(d, "review_group") + [self.accept(rng.randint(1, 3), d)]
            t.append(
                self.todo(1, "request_review", office, {"note": "重新整改后验收合格，再次申请复核"})
            )
            split = 0
        if split:
            t.append(self.sign(rng.randint(1, 2), "sign_off", d, points[:split]))
            t.append(self.sign(rng.randint(0, 2), "review", d, points[split:]))
        else:
            t.append(self.sign(rng.randint(1, 4), "review", d, points))
        if target == "reviewed":
            return t
        t.append(Todo(rng.randint(1, 3), "publish", CITY_OFFICE, "coordinator", self.publish()))
        objection = {"text": "来电反映该处整改后问题仍然存在，对整改结果有异议"}
        if target == "published":
            return t
        if {"objection_upheld", "objection_dismissed"} & d.flags:
            t.append(self.todo(rng.randint(1, 2), "record_objection", CITY_OFFICE, objection))
        if "objection_upheld" in d.flags:
            reason = "经现场复核，问题确有反弹，异议成立，退回重新整改"
            t.append(self.todo(1, "uphold_objection", CITY_OFFICE, {"reason": reason}))
            return t + [
                Todo(rng.randint(1, 3), "update", self.operator(d), "operator", self.reopened(d))
            ]
        if "objection_dismissed" in d.flags:
            reason = "经现场复核，整改措施落实到位，异议不成立，已向异议人解释说明"
            t.append(self.todo(1, "dismiss_objection", CITY_OFFICE, {"reason": reason}))
        if rng.random() < 0.7:  # most close by themselves in the night's sweep
            note = {"note": "公示期满无异议，自动销号"}
            t.append(self.todo(0, "close", SYSTEM_ACTOR, note, "system", night=True))
        else:
            note = {"note": "公示期满无异议，予以销号"}
            t.append(self.todo(rng.randint(0, 1), "close", CITY_OFFICE, note))
        if rng.random() < 0.65:
            t.append(self.todo(rng.randint(3, 20), "file", CITY_OFFICE, {"filing_no": "…"}))
        return t

    def investigating(self, d: Draft, front: list[Todo]) -> list[Todo]:
        """What happens to an item still in work: progress, and perhaps an extension."""
        rng = self.rng
        found = d.assigned.date() + timedelta(days=sum(t.days for t in front))
        room = (self.last_day - found).days
        for flag in ("ext_pending", "ext_approved", "ext_rejected"):
            if flag not in d.flags:
                continue
            if flag == "ext_pending":
                ask = self.workday(self.last_day - timedelta(days=rng.randint(0, 2)))
            else:
                latest = self.last_day - timedelta(days=4)
                ask = self.workday(min(d.due - timedelta(days=rng.randint(2, 6)), latest))
            if ask > found + DAY:
                return self.extension(d, ask, flag)
        if room > 6 and (d.task or d.problems) and rng.random() < 0.7:
            progress = self.task_progress(d) if d.task else self.progress(d)
            return [
                Todo(rng.randint(3, room - 1), "update", self.operator(d), "operator", progress)
            ]
        return []

    def workday(self, day: date) -> date:
        """``day``, or the last working day before it."""
        while not self.rules.calendar.is_working_day(day):
            day -= DAY
        return day

    def extension(self, d: Draft, ask: date, flag: str) -> list[Todo]:
        """延期申请 on ``ask``, decided (or not yet) a working day or two later."""
        proposed = d.due + timedelta(days=self.rng.choice((15, 30, 45)))
        data = {"reason": "涉及管网改造和施工季节，资金需协调，申请延长整改时限"}
        data["proposed_due"] = proposed.isoformat()
        request = self.todo(0, "request_extension", self.operator(d), data, "operator")
        out = [replace(request, on=ask)]
        decide = self.rng.randint(1, 2)
        if flag == "ext_approved":
            note = {"note": "理由充分，同意延期"}
            out.append(self.todo(decide, "approve_extension", self.office(d), note))
        elif flag == "ext_rejected":
            reason = {"reason": "整改工作量不大，延期理由不充分，请按原时限完成整改"}
            out.append(self.todo(decide, "reject_extension", self.office(d), reason))
        return out

    def rework(self, d: Draft, by: str) -> list[Todo]:
        """Returned for rework (整改不到位不放过), reworked, and sent for acceptance again."""
        rng = self.rng
        if by == "acceptance_group":
            actor, days = self.acceptor(d), rng.randint(1, 4)
            reason = "验收组现场检查发现整改措施未完全落实，存在临时性整改问题，退回重新整改"
        else:
            actor, days = REVIEWERS, rng.randint(1, 3)
            reason = "复核发现处罚执行和群众满意度签字材料不全，整改不到位不放过，退回重新整改"
        again = {"note": "已按意见重新整改，再次申请验收"}
        return [
            self.todo(days, "return_for_rework", actor, {"reason": reason}, by),
            Todo(rng.randint(2, 8), "update", self.operator(d), "operator", self.completion(d)),
            self.todo(rng.randint(0, 1), "request_acceptance", self.operator(d), again, "operator"),
        ]

    def objections(self, drafts: Sequence[Draft], n: int) -> None:
        """Objections (异议) by phone to ``n`` notices still running, pending at ``at``."""
        rng = self.rng = random.Random(f"{SEED}/objections")
        running = [
            d
            for d in drafts
            if d.kind == "case" and d.steps and d.steps[-1].event == "publish"
            if "notice_over" not in d.flags
        ]
        text = {"text": "来电反映该处整改后问题仍然存在，对整改结果有异议"}
        for d in rng.sample(running, len(running)):
            todo = self.todo(rng.randint(0, 1), "record_objection", CITY_OFFICE, text)
            if n and (placed := self.place(d.steps[-1].at, [todo])):
                d.steps += placed
                n -= 1

    def revisit(self, d: Draft) -> None:
        """A revisit (复查回访) of a closed case, some finding the problem back (反弹)."""
        if not ({"revisit", "rebound"} & d.flags) or not d.steps:
            return
        if d.steps[-1].event not in ("close", "file"):
            return
        self.rng = rng = random.Random(f"{SEED}/revisit/{d.ref}")
        room = (self.last_day - local_date(d.steps[-1].at)).days
        if room < 8:
            return
        rebound = "rebound" in d.flags
        data = {
            "method": rng.choice(("电话回访", "现场回访", "入户走访")),
            "finding": "回访发现问题出现反弹，群众再次反映"
            if rebound
            else "回访群众表示问题已解决，未发现反弹",
            "rebound": rebound,
        }

        def visit(when: datetime) -> dict[str, Any]:
            return data | {"done_on": local_date(when).isoformat()}

        todo = Todo(rng.randint(7, room), "record_revisit", self.office(d), "coordinator", visit)
        d.steps += self.place(d.steps[-1].at, [todo])

    # actors

    def operator(self, d: Draft) -> str:
        return f"{d.people['operator']}（{d.lead}）"

    def office(self, d: Draft) -> str:
        return f"{d.district}督改办" if d.district in GOVERNMENT else CITY_OFFICE

    def acceptor(self, d: Draft) -> str:
        return f"{d.district}验收组" if d.district in GOVERNMENT else f"{d.lead}党组验收组"

    # payloads

    @staticmethod
    def todo(
        days: int,
        event: str,
        actor: str,
        data: dict[str, Any],
        role: str = "coordinator",
        night: bool = False,
    ) -> Todo:
        return Todo(days, event, actor, role, lambda _: dict(data), night)

    def ack(self, d: Draft) -> Todo:
        note = "已签收，转承办科室现场核查" if d.kind == "case" else "已签收，制定整改方案"
        days = self.rng.choice((0, 0, 1, 2))
        return self.todo(days, "acknowledge", self.operator(d), {"note": note}, "operator")

    def findings(self, d: Draft) -> Todo:
        data = self.task_plan(d) if d.task else self.case_findings(d)
        return Todo(self.rng.randint(1, 4), "update", self.operator(d), "operator", data)

    def case_findings(self, d: Draft) -> Data:
        rng, p = self.rng, d.people
        text = d.text["findings"]
        if d.verdict == "部分属实":
            text += "群众反映的其他情况经核查不存在，反映问题部分属实。"
        elif d.verdict == "不属实":
            text = "经现场核查和监测，未发现群众反映的问题，反映问题不属实，已向信访人解释说明。"
        else:
            text += "反映问题属实。"
        levels = ("主要领导", "分管领导")
        data: dict[str, Any] = {
            "verdict": d.verdict,
            "findings": text,
            "problems": [{"text": x, "resolved": False} for x in d.problems],
            "responsibility": [
                {"side": "territorial", "role": "case_leader", "name": p["leader"],
                 "level": rng.choice(levels)},
                {"side": "territorial", "role": "unit_head", "name": p["head"],
                 "level": rng.choice(levels)},
                {"side": "territorial", "role": "person_in_charge", "name": p["in_charge"]},
                {"side": "subject", "role": "subject_leader", "name": p["subject_leader"],
                 "level": "主要领导", "subject": d.text["subject"]},
            ],
            "plan": {
                "department": d.lead,
                "measures": d.text["measures"],
                "time_nodes": f"{d.due - 7 * DAY:%m月%d日}前完成整改，{d.due:%m月%d日}前申请验收",
                "funding": rng.choice((None, "企业自筹", "区财政专项资金")),
                "approved": True,
                "approved_by": d.data["supervising_unit"],
            },
        }  # fmt: skip
        if d.fine:
            data["penalties"] = [{"filed": True, "executed": False}]
        return lambda _: data

    def progress(self, d: Draft) -> Data:
        problems = [{"text": x, "resolved": i == 0} for i, x in enumerate(d.problems)]
        return lambda _: {"problems": problems}

    def reopened(self, d: Draft) -> Data:
        problems = [{"text": x, "resolved": True} for x in d.problems]
        problems.append({"text": "公示期间群众反映问题反弹", "resolved": False})
        return lambda _: {"problems": problems}

    def completion(self, d: Draft) -> Data:
        if d.task:
            return self.task_done(d)
        rng = self.rng
        who = "信访人" if d.named else "周边群众"
        data: dict[str, Any] = {
            "problems": [{"text": x, "resolved": True} for x in d.problems],
            "satisfaction": {"satisfied": True, "by": "complainant" if d.named else "neighbours",
                             "signed": True, "note": f"{who}对整改结果表示满意并签字确认"},
            "archive": [
                {"kind": "catalogue", "title": "案件档案目录"},
                {"kind": "assignment_note", "title": "交办说明"},
                {"kind": "unit_material", "title": "调查处理情况报告", "unit": d.lead},
                {"kind": "site_record", "title": "现场勘察笔录及图片", "unit": d.lead,
                 "has_photos": True},
            ],
        }  # fmt: skip
        if d.key_case and d.verdict != "不属实":
            how = rng.choice(("诫勉谈话", "通报批评", "党内警告处分", "责令作出书面检查"))
            person = f"{rng.choice(SURNAMES)}某（{d.lead}）"
            data["accountability"] = [{"person": person, "measure": how, "done": True}]
        number = rng.randint(10, 999)

        def build(when: datetime) -> dict[str, Any]:
            if not d.fine:
                return data
            decision = f"鞍环罚〔{when.year}〕{number}号：责令改正违法行为，并处罚款{d.fine}元"
            penalty = {"filed": True, "decision": decision, "fine_yuan": d.fine, "executed": True}
            return data | {"penalties": [penalty]}

        return build

    def accept(self, days: int, d: Draft) -> Todo:
        """验收: the acceptance group's opinion (SPEC §5)."""
        rng = self.rng
        checks: dict[str, bool] = {}
        if d.task is None:
            checks = dict.fromkeys(CATEGORY_CRITERIA[d.data["category"]], True)
        who = "信访人" if d.named else "周边群众"
        supervising = d.data["supervising_unit"] or d.lead
        members = [
            (d.people["acceptance"], d.lead, "副职领导"),
            (person_name(rng), "市生态环境局", "科长"),
            (person_name(rng), supervising, "副科长"),
        ]
        data = {
            "intake_no": d.ref,
            "group_leader": d.people["acceptance"],
            "opinion_rectification": d.text.get("done", "整改措施已全部完成并达到整改标准"),
            "opinion_penalties": "行政处罚已执行到位" if d.fine else "不涉及行政处罚",
            "opinion_satisfaction": "不适用" if d.task else f"{who}对整改结果满意并签字",
            "opinion_accountability": "问责已落实" if d.key_case else "不涉及追责问责",
            "members": [
                {"name": n, "unit": u, "title": t, "phone": office_phone(rng), "signed": True}
                for n, u, t in members
            ],
            "category_checks": checks,
        }
        role, actor = "acceptance_group", self.acceptor(d)
        return Todo(
            days, "accept", actor, role, lambda w: data | {"accepted_on": f"{local_date(w)}"}
        )

    def sign(self, days: int, event: str, d: Draft, points: Sequence[str]) -> Todo:
        """签字背书 of the review points by their bodies (SPEC §6)."""
        bodies = required_signoffs(d.kind, d.verdict)
        signoffs = [
            {"point": p, "body": b, "signer": person_name(self.rng)}
            for p in points
            for b in bodies[p]
        ]
        data: dict[str, Any] = {"signoffs": signoffs}
        if event == "review":
            data["note"] = "经复核，整改到位，同意销号"
        return self.todo(days, event, REVIEWERS, data, "review_group")

    def publish(self) -> Data:
        """公示: most with the range printed on the notice, some with the default."""
        explicit = self.rng.random() < 0.6
        office = {
            "office": "鞍山市生态环境保护督察整改工作领导小组办公室",
            "phone": "0412-5521345",
            "address": "鞍山市铁东区南胜利路",
        }

        def build(when: datetime) -> dict[str, Any]:
            if not explicit:
                return dict(office)
            start = local_date(when)
            end = start + timedelta(days=self.rules.notice_days - 1)
            return office | {"notice_start": start.isoformat(), "notice_end": end.isoformat()}

        return build

    # tasks

    def task_plan(self, d: Draft) -> Data:
        assert d.task is not None
        t = d.task
        data = {
            "measures": [{"type": m[0], "text": m[1]} for m in t.measures],
            "plan": {
                "department": t.lead,
                "measures": "；".join(m[1] for m in t.measures),
                "time_nodes": f"{d.due:%Y年%m月%d日}前完成全部整改措施",
                "funding": "市、县两级财政专项资金",
                "approved": True,
                "approved_by": CITY_OFFICE,
            },
        }
        return lambda _: data

    def task_progress(self, d: Draft) -> Data:
        """The first measure done, the others under way."""
        assert d.task is not None
        measures = [
            {"type": k, "text": text, "criteria": dict.fromkeys(MEASURE_CRITERIA[k], i == 0)}
            | ({"evidence": evidence} if i == 0 else {})
            for i, (k, text, evidence) in enumerate(d.task.measures)
        ]
        return lambda _: {"measures": measures}

    def task_done(self, d: Draft) -> Data:
        """Every measure complete by its type's standard (SPEC §4), with its evidence."""
        assert d.task is not None
        measures = [
            {"type": k, "text": text, "criteria": dict.fromkeys(MEASURE_CRITERIA[k], True)}
            | {"evidence": evidence}
            for k, text, evidence in d.task.measures
        ]
        data: dict[str, Any] = {"measures": measures}
        if any(k == "追责问责" for k, _, _ in d.task.measures):
            person = f"{self.rng.choice(SURNAMES)}某（{d.lead}）"
            data["accountability"] = [{"person": person, "measure": "诫勉谈话"}]
        return lambda _: data


def plan(at: datetime, rules: Rules) -> list[Draft]:
    """Every demo item with its life up to ``at``; pure and deterministic."""
    rng = random.Random(SEED)
    today = local_date(at)
    drafts = draft_cases(rng, today) + draft_tasks(rng, today)
    choose_targets(rng, drafts, today)
    life = _Life(at, rules)
    for d in drafts:
        d.steps = life.steps(d)
        life.revisit(d)
    life.objections(drafts, 2)
    filings = sorted((s.at, s) for d in drafts for s in d.steps if s.event == "file")
    for n, (when, s) in enumerate(filings, 1):
        s.data["filing_no"] = f"鞍督改备〔{when.year}〕{n:04d}号"
    return drafts
