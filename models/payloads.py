"""Pydantic payloads: what each event and each command accepts, validated field by field.

Every model forbids unknown keys so that a misspelt field is named, not ignored. Titles
are the Chinese labels the forms show; descriptions say what the field means.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
_PHONE = re.compile(r"^[0-9+\-() ]{3,30}$")


class Payload(BaseModel):
    """Base of every payload: unknown keys are errors, strings are stripped, NUL refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store U+0000 in text; refuse it everywhere alike.
        if isinstance(value, str):
            nul = "\x00" in value
        elif isinstance(value, list):
            nul = any(isinstance(t, str) and "\x00" in t for t in value)
        else:
            return value
        if nul:
            raise ValueError("text must not contain the NUL character (U+0000)")
        return value


class PollutionType(StrEnum):
    air = "大气"
    water = "水"
    soil = "土壤"
    noise = "噪声"
    solid_waste = "固废"
    ecology = "生态"
    radiation = "辐射"
    other = "其他"


class Category(StrEnum):
    """验收类别 (SPEC §5)."""

    nearby = "身边问题"
    public_interest = "公共利益"
    planning_policy = "规划政策"
    nimby = "邻避效应"
    dispute = "利益纠纷"


class Verdict(StrEnum):
    true = "属实"
    partly_true = "部分属实"
    untrue = "不属实"


class MeasureType(StrEnum):
    policy = "政策措施"
    works = "工程措施"
    closure = "关停搬迁"
    enforcement = "案件查处"
    accountability = "追责问责"


class LeaderLevel(StrEnum):
    principal = "主要领导"
    deputy = "分管领导"


class Complainant(Payload):
    """信访人 — personal data: never shown in public output, masked in exports."""

    name: str | None = Field(default=None, max_length=100, title="信访人姓名")
    phone: str | None = Field(default=None, title="信访人电话")

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not _PHONE.match(v):
            raise ValueError("phone must be 3-30 digits, spaces, +, - or brackets")
        return v


class CaseNew(Payload):
    """A complaint case (信访案件) as assigned by the inspection team."""

    intake_no: Name = Field(title="受理编号")
    round: Name = Field(title="督察轮次", description="e.g. 第二轮中央生态环境保护督察")
    batch_no: str | None = Field(default=None, title="交办批次")
    assigned_at: datetime | date = Field(title="交办时间")
    district: Name = Field(title="属地")
    lead_unit: Name = Field(title="牵头单位")
    supervising_unit: str | None = Field(default=None, title="督导责任单位")
    other_units: list[Name] = Field(default_factory=list, title="其他责任单位")
    summary: Text = Field(title="案件摘要")
    content: Text = Field(title="举报内容")
    address: str = Field(default="", max_length=500, title="地点")
    pollution_types: list[PollutionType] = Field(min_length=1, title="污染类型")
    category: Category = Field(title="验收类别")
    key_case: bool = Field(default=False, title="重点案件")
    complainant: Complainant | None = Field(default=None, title="信访人")
    rectification_due: date = Field(title="整改时限")


class TaskMeasureIn(Payload):
    type: MeasureType = Field(title="措施类型")
    text: Text = Field(title="整改措施")
    criteria: dict[str, bool] = Field(default_factory=dict, title="完成标准")
    evidence: str | None = Field(default=None, title="完成佐证")


class TaskNew(Payload):
    """A rectification task (整改任务) from the inspection feedback."""

    number: Name = Field(title="任务编号", description="e.g. 200(19-3)")
    round: Name = Field(title="督察轮次")
    assigned_at: datetime | date = Field(title="交办时间")
    issue: Text = Field(title="问题")
    common: bool = Field(default=True, title="共性问题")
    goal: Text = Field(title="整改目标")
    district: str | None = Field(default=None, title="属地")
    lead_unit: Name = Field(title="牵头单位")
    supervising_unit: str | None = Field(default=None, title="督导责任单位")
    leader: str | None = Field(default=None, title="责任领导")
    rectification_due: date = Field(title="整改时限")
    measures: list[TaskMeasureIn] = Field(default_factory=list, title="整改措施")


class ResponsibilityIn(Payload):
    side: Literal["territorial", "subject"] = Field(title="属地/属事")
    role: Literal["case_leader", "unit_head", "person_in_charge", "subject_leader"]
    name: Name = Field(title="姓名")
    level: LeaderLevel | None = Field(default=None, title="领导级别")
    subject: str | None = Field(default=None, title="被举报单位")


class ProblemIn(Payload):
    text: Text = Field(title="问题")
    resolved: bool = Field(default=False, title="已解决")


class PlanIn(Payload):
    department: str | None = Field(default=None, title="办理部门")
    measures: str | None = Field(default=None, title="方案或措施")
    time_nodes: str | None = Field(default=None, title="时间节点")
    funding: str | None = Field(default=None, title="资金保障")
    approved: bool = Field(default=False, title="牵头部门已审核")
    approved_by: str | None = Field(default=None, title="审核部门")


class PenaltyIn(Payload):
    filed: bool = Field(default=True, title="已立案")
    decision: str | None = Field(default=None, title="处罚决定")
    fine_yuan: int | None = Field(default=None, ge=0, le=2**31 - 1, title="罚款（元）")
    executed: bool = Field(default=False, title="执行到位")


class AccountabilityIn(Payload):
    person: Name = Field(title="被问责人")
    measure: Text = Field(title="问责方式")
    done: bool = Field(default=True, title="已落实")


class SatisfactionIn(Payload):
    satisfied: bool = Field(title="群众满意")
    by: Literal["complainant", "neighbours"] = Field(title="评价人", description="信访人或周边群众")
    signed: bool = Field(default=False, title="已签字")
    note: str | None = Field(default=None, title="说明")


class ArchiveItemIn(Payload):
    kind: Literal["catalogue", "assignment_note", "unit_material", "site_record"]
    title: Name = Field(title="材料名称")
    unit: str | None = Field(default=None, title="单位")
    uri: str | None = Field(default=None, title="附件地址")
    has_photos: bool = Field(default=False, title="含照片")


class ItemUpdate(Payload):
    """Fields an operator or coordinator may edit (``case update``); absent keys stay."""

    lead_unit: Name | None = Field(default=None, title="牵头单位")
    supervising_unit: Name | None = Field(default=None, title="督导责任单位")
    other_units: list[Name] | None = Field(default=None, title="其他责任单位")
    summary: Text | None = None
    content: Text | None = None
    address: str | None = None
    pollution_types: list[PollutionType] | None = None
    category: Category | None = None
    key_case: bool | None = None
    complainant: Complainant | None = None
    responsibility: list[ResponsibilityIn] | None = Field(default=None, title="包案责任")
    verdict: Verdict | None = Field(default=None, title="调查结论")
    findings: Text | None = Field(default=None, title="调查情况")
    problems: list[ProblemIn] | None = Field(default=None, title="问题")
    plan: PlanIn | None = Field(default=None, title="整改方案")
    penalties: list[PenaltyIn] | None = Field(default=None, title="行政处罚")
    accountability: list[AccountabilityIn] | None = Field(default=None, title="追责问责")
    satisfaction: SatisfactionIn | None = Field(default=None, title="群众满意")
    archive: list[ArchiveItemIn] | None = Field(default=None, title="档案材料")
    goal: Text | None = Field(default=None, title="整改目标")
    measures: list[TaskMeasureIn] | None = Field(default=None, title="整改措施")

    @model_validator(mode="after")
    def _not_empty(self) -> ItemUpdate:
        if not self.model_fields_set:
            raise ValueError("no field to update was given")
        return self


# --- event payloads -------------------------------------------------------------------


class Note(Payload):
    """An event that needs nothing but an optional note."""

    note: str | None = Field(default=None, max_length=2000, title="备注")


class Reason(Payload):
    reason: Text = Field(title="理由")


class Member(Payload):
    name: Name = Field(title="姓名")
    unit: Name = Field(title="单位")
    title: Name = Field(title="职务")
    phone: str = Field(title="电话")
    signed: bool = Field(title="已签字")


class AcceptanceIn(Payload):
    """验收意见 (SPEC §5)."""

    accepted_on: date = Field(title="验收日期")
    intake_no: Name = Field(title="受理编号")
    group_leader: Name = Field(title="验收组组长")
    opinion_rectification: Text = Field(title="整改情况意见")
    opinion_penalties: Text = Field(title="处罚情况意见")
    opinion_satisfaction: Text = Field(title="群众满意情况意见")
    opinion_accountability: Text = Field(title="追责问责情况意见")
    members: list[Member] = Field(min_length=1, title="验收组成员")
    category_checks: dict[str, bool] = Field(
        default_factory=dict,
        title="验收类别标准",
        description="each criterion of the item's category standard, met or not",
    )


class SignoffIn(Payload):
    point: Literal[
        "characterisation",
        "rectification",
        "penalties",
        "satisfaction",
        "accountability",
        "untrue_part",
    ] = Field(title="复核事项")
    body: Literal[
        "review_group",
        "ecology_bureau",
        "industry_department",
        "justice_bureau",
        "local_government",
        "discipline_commission",
        "supervision_office",
        "city_office",
    ] = Field(title="签字单位")
    signer: Name = Field(title="签字人")


class SignoffsIn(Payload):
    signoffs: list[SignoffIn] = Field(min_length=1, title="签字背书")


class ReviewIn(Payload):
    signoffs: list[SignoffIn] = Field(default_factory=list, title="签字背书")
    note: str | None = Field(default=None, title="复核意见")


class PublishIn(Payload):
    """公示: the range is printed as given; by default 5 days from publication."""

    notice_start: date | None = Field(default=None, title="公示开始日期")
    notice_end: date | None = Field(default=None, title="公示结束日期")
    office: str | None = Field(default=None, title="异议受理单位")
    phone: str | None = Field(default=None, title="联系电话")
    address: str | None = Field(default=None, title="通讯地址")

    @model_validator(mode="after")
    def _range(self) -> PublishIn:
        if (self.notice_start is None) != (self.notice_end is None):
            raise ValueError("give both notice_start and notice_end, or neither")
        if self.notice_start and self.notice_end and self.notice_end < self.notice_start:
            raise ValueError("notice_end is before notice_start")
        return self


class ObjectionIn(Payload):
    text: Text = Field(title="异议内容")


class FileIn(Payload):
    filing_no: Name = Field(title="备案编号")


class ExtensionIn(Payload):
    reason: Text = Field(title="延期理由")
    proposed_due: date = Field(title="申请延期至")


class ApproveExtensionIn(Payload):
    new_due: date | None = Field(default=None, title="批准延期至", description="默认为申请日期")
    note: str | None = Field(default=None, title="备注")


class MergeIn(Payload):
    original: Name = Field(title="原案件编号", description="intake number or #id of the original")
    note: str | None = Field(default=None, title="备注")


class ReopenIn(Payload):
    cause: Literal["rebound", "repeat_complaint"] = Field(
        title="原因", description="反弹或重复举报"
    )
    reason: Text = Field(title="说明")
    rectification_due: date | None = Field(default=None, title="新整改时限")


class RevisitIn(Payload):
    done_on: date = Field(title="回访日期")
    method: Name = Field(title="回访方式")
    finding: Text = Field(title="回访情况")
    rebound: bool = Field(title="问题反弹")
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", title="抽查月份")


def dump(payload: BaseModel) -> dict[str, Any]:
    """The payload as JSON-ready data, only the keys that were given."""
    return payload.model_dump(mode="json", exclude_unset=True)
