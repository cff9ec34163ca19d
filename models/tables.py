"""The tables: work items and everything recorded about them (SPEC §2).

One-to-one facts of an item (verdict, plan, satisfaction, notice, closure, filing) are
columns of ``item``; everything that comes in numbers (problems, penalties, measures,
acceptance opinions, sign-offs, objections, revisits, clocks, history) has its own
table keyed by ``item_id``. Personal data (complainant name and phone) lives only in
``item.complainant_name`` and ``item.complainant_phone``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


def _instant(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any = None) -> Any:
    return Field(default=default, sa_column=Column(JSON, nullable=True))


class District(SQLModel, table=True):
    """A district (属地: 县/市/区) of the deployment's city."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Unit(SQLModel, table=True):
    """A responsible unit (承办/牵头/督导单位); units form a tree city → district → unit."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    district_id: int | None = Field(default=None, foreign_key="district.id")


class InspectionRound(SQLModel, table=True):
    """An inspection round (督察轮次), e.g. 第二轮中央生态环境保护督察."""

    __tablename__ = "inspection_round"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    level: str  # central | provincial
    look_back: bool = False  # 回头看


class Item(SQLModel, table=True):
    """A work item: a complaint case (信访案件) or a rectification task (整改任务)."""

    __table_args__ = (
        UniqueConstraint("kind", "round_id", "ref", name="uq_item_ref"),
        Index("ix_item_state_district", "state", "district_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # case | task
    round_id: int = Field(foreign_key="inspection_round.id")
    ref: str = Field(index=True)  # 受理编号 or task number such as 200(19-3)
    batch_no: str | None = None  # 交办批次
    assigned_at: datetime = _instant(nullable=False)
    district_id: int | None = Field(default=None, foreign_key="district.id")
    lead_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    supervising_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    summary: str = ""
    content: str = ""  # complaint text or the feedback issue text
    address: str = ""
    pollution_types: list[str] | None = _json()
    category: str | None = None  # 验收类别
    key_case: bool = False  # 重点案件
    common: bool | None = None  # task: 共性 (True) / 个性 (False)
    goal: str | None = None  # task: 整改目标
    complainant_name: str | None = None  # personal data
    complainant_phone: str | None = None  # personal data
    verdict: str | None = None  # 属实 | 部分属实 | 不属实
    findings: str | None = None
    rectification_due: date | None = None  # 整改时限 as last set
    plan_department: str | None = None
    plan_measures: str | None = None
    plan_time_nodes: str | None = None
    plan_funding: str | None = None
    plan_approved: bool = False
    plan_approved_by: str | None = None
    satisfied: bool | None = None  # 群众满意
    satisfaction_by: str | None = None  # complainant | neighbours
    satisfaction_signed: bool = False
    satisfaction_note: str | None = None
    state: str = Field(default="assigned")
    version: int = 1
    history_seq: int = 0
    history_head: str = ""
    review_cycle: int = 1  # bumped by every return for rework; sign-offs count per cycle
    review_applied_at: datetime | None = _instant()
    notice_start: date | None = None
    notice_end: date | None = None
    notice_office: str | None = None
    notice_phone: str | None = None
    notice_address: str | None = None
    published_at: datetime | None = _instant()
    closed_at: datetime | None = _instant()
    closure_reason: str | None = None  # rectified | duplicate
    duplicate_of_id: int | None = Field(default=None, foreign_key="item.id")
    filed_at: datetime | None = _instant()
    filing_no: str | None = None  # 备案编号
    created_at: datetime = _instant(nullable=False)
    updated_at: datetime = _instant(nullable=False)


class ItemUnit(SQLModel, table=True):
    """Other responsible units of an item besides the lead unit."""

    __tablename__ = "item_unit"
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class Responsibility(SQLModel, table=True):
    """包案: who answers for the item, territorial (属地) or subject-side (属事)."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    side: str  # territorial | subject
    role: str  # case_leader | unit_head | person_in_charge | subject_leader
    name: str
    level: str | None = None  # 主要领导 | 分管领导
    subject: str | None = None  # the complained-about unit or company


class Problem(SQLModel, table=True):
    """One problem (问题) of a case; a case holds one or more."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    seq: int
    text: str
    resolved: bool = False


class Penalty(SQLModel, table=True):
    """An administrative penalty (行政处罚)."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    filed: bool = True  # 立案
    decision: str | None = None
    fine_yuan: int | None = None
    executed: bool = False  # 执行到位


class Accountability(SQLModel, table=True):
    """A person held accountable (追责问责) and how."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    person: str
    measure: str
    done: bool = True


class ArchiveItem(SQLModel, table=True):
    """An archive attachment (档案): catalogue, assignment note, unit material, site record."""

    __tablename__ = "archive_item"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    kind: str  # catalogue | assignment_note | unit_material | site_record
    title: str
    unit: str | None = None
    uri: str | None = None
    has_photos: bool = False


class Measure(SQLModel, table=True):
    """A rectification measure (整改措施) of a task, with its standard's criteria."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    seq: int
    type: str  # 政策措施 | 工程措施 | 关停搬迁 | 案件查处 | 追责问责
    text: str
    criteria: dict[str, bool] | None = _json()
    evidence: str | None = None


class AcceptanceOpinion(SQLModel, table=True):
    """验收意见, recorded by ``accept``."""

    __tablename__ = "acceptance_opinion"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    history_seq: int
    accepted_on: date
    intake_no: str
    group_leader: str
    opinion_rectification: str
    opinion_penalties: str
    opinion_satisfaction: str
    opinion_accountability: str
    category_checks: dict[str, bool] | None = _json()


class AcceptanceMember(SQLModel, table=True):
    """A member of the acceptance group, as signed on the opinion."""

    __tablename__ = "acceptance_member"
    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="acceptance_opinion.id", index=True)
    name: str
    unit: str
    title: str
    phone: str
    signed: bool


class ReviewSignoff(SQLModel, table=True):
    """签字背书: one review point signed by one body, in one review cycle."""

    __tablename__ = "review_signoff"
    __table_args__ = (UniqueConstraint("item_id", "cycle", "point", "body"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    cycle: int
    point: str
    body: str
    signer: str
    signed_at: datetime = _instant(nullable=False)


class Objection(SQLModel, table=True):
    """An objection (异议) received during the notice period."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    received_at: datetime = _instant(nullable=False)
    text: str
    status: str = "pending"  # pending | upheld | dismissed
    resolution: str | None = None
    resolved_at: datetime | None = _instant()


class Extension(SQLModel, table=True):
    """延期申请 of the rectification deadline."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    requested_at: datetime = _instant(nullable=False)
    requested_by: str
    reason: str
    proposed_due: date
    status: str = "pending"  # pending | approved | rejected
    decided_at: datetime | None = _instant()
    decided_by: str | None = None
    decision_reason: str | None = None
    approved_due: date | None = None


class Revisit(SQLModel, table=True):
    """复查回访: planned by the monthly sample, or recorded ad hoc."""

    __table_args__ = (UniqueConstraint("item_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    month: str  # YYYY-MM of the sample
    planned: bool = True
    done_on: date | None = None
    method: str | None = None
    finding: str | None = None
    rebound: bool | None = None


class DuplicateLink(SQLModel, table=True):
    """重复访: an item merged into the original it repeats."""

    __tablename__ = "duplicate_link"
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    original_id: int = Field(foreign_key="item.id", index=True)
    linked_at: datetime = _instant(nullable=False)


class Clock(SQLModel, table=True):
    """A deadline clock of an item; the sweep reads ``next_escalation_at``."""

    __table_args__ = (
        Index(
            "ix_clock_next_escalation",
            "next_escalation_at",
            sqlite_where=text("stopped_at IS NULL"),
            postgresql_where=text("stopped_at IS NULL"),
        ),
        Index(
            "ix_clock_running_due",
            "kind",
            "due_at",
            sqlite_where=text("stopped_at IS NULL"),
            postgresql_where=text("stopped_at IS NULL"),
        ),
        Index(
            "uq_clock_running",
            "item_id",
            "kind",
            unique=True,
            sqlite_where=text("stopped_at IS NULL"),
            postgresql_where=text("stopped_at IS NULL"),
        ),
        Index("ix_clock_provisional", "provisional"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    kind: str  # rectification | acceptance | review_application | review | notice
    started_at: datetime = _instant(nullable=False)
    basis_date: date  # the day counting starts from (not counted), or the given last day
    length_days: int  # 0 for a given last day
    counting: str  # calendar | working | given | fixed
    due_date: date
    due_at: datetime = _instant(nullable=False)
    provisional: bool = False
    stopped_at: datetime | None = _instant()
    stop_reason: str | None = None
    next_level: int = 0  # index into the escalation ladder of the next level to apply
    next_escalation_at: datetime | None = _instant()
    due_history: list[dict[str, Any]] | None = _json()


class Escalation(SQLModel, table=True):
    """One rung of the escalation ladder applied to one clock; at most once."""

    __table_args__ = (UniqueConstraint("clock_id", "level", name="uq_escalation_once"),)
    id: int | None = Field(default=None, primary_key=True)
    clock_id: int = Field(foreign_key="clock.id")
    item_id: int = Field(foreign_key="item.id", index=True)
    level: str  # warning | supervision_letter | interview | referral
    at: datetime = _instant(nullable=False)


class History(SQLModel, table=True):
    """The append-only history; each row carries the hash of the item's previous row."""

    __table_args__ = (
        UniqueConstraint("item_id", "seq", name="uq_history_seq"),
        Index(
            "uq_history_key",
            "item_id",
            "idem_key",
            unique=True,
            sqlite_where=text("idem_key IS NOT NULL"),
            postgresql_where=text("idem_key IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    seq: int
    event: str
    actor: str
    role: str
    at: datetime = _instant(nullable=False)
    from_state: str | None = None
    to_state: str
    data: dict[str, Any] | None = _json()
    idem_key: str | None = None
    prev_hash: str
    hash: str


class Notification(SQLModel, table=True):
    """The outbox: written in the transaction that causes it, delivered afterwards."""

    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    template: str  # warning | supervision_letter | interview | referral | acceptance_requested …
    audience: str  # who, as a routing key: person_in_charge, unit_head, discipline …
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    dedupe_key: str = Field(unique=True)
    payload: dict[str, Any] | None = _json()
    status: str = "pending"  # pending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = _instant(nullable=False)
    last_error: str | None = None
    created_at: datetime = _instant(nullable=False)
    sent_at: datetime | None = _instant()


class SweepRun(SQLModel, table=True):
    """One run of the deadline sweep, for ``rectiflow status``."""

    __tablename__ = "sweep_run"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = _instant(nullable=False)
    finished_at: datetime | None = _instant()
    now: datetime = _instant(nullable=False)
    escalations: int = 0
    closed: int = 0
    notifications: int = 0


def table(model: type[SQLModel]) -> Any:
    """The Core table of a model, for set-based statements on the hot paths."""
    return model.__table__  # type: ignore[attr-defined]


class DispatchRun(SQLModel, table=True):
    """One run of the notification dispatcher, for ``rectiflow status``."""

    __tablename__ = "dispatch_run"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = _instant(nullable=False)
    finished_at: datetime | None = _instant()
    sent: int = 0
    failed: int = 0
    dead: int = 0


class NotificationDelivery(SQLModel, table=True):
    """One notification to one recipient (送达): sent once, with a stable idempotency key.

    A notification names an audience; the recipients are resolved from the routing file
    when it is first dispatched, one row each. ``claimed_until`` is a lease: a dispatcher
    that dies mid-send leaves it behind, and the row comes back when it runs out.
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "recipient", name="uq_delivery_recipient"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id")
    recipient: str  # a label that names one recipient without its secrets
    channel: str  # email | webhook | dingtalk | wecom | feishu
    idem_key: str = Field(unique=True)  # SMTP Message-ID, HTTP Idempotency-Key
    status: str = "pending"  # pending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = _instant(nullable=False)
    claimed_until: datetime | None = _instant()
    claimed_by: str | None = None
    last_error: str | None = None
    created_at: datetime = _instant(nullable=False)
    sent_at: datetime | None = _instant()


class DeliveryAttempt(SQLModel, table=True):
    """Every attempt at a delivery: written when claimed, completed with its outcome."""

    __tablename__ = "delivery_attempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="notification_delivery.id", index=True)
    number: int  # 1 for the first attempt of the delivery
    worker: str
    started_at: datetime = _instant(nullable=False)
    finished_at: datetime | None = _instant()
    outcome: str | None = None  # sent | failed | interrupted; None while in flight
    error: str | None = None
