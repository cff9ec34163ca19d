"""The zh-CN notices: each template renders the item's public facts, times in Asia/Shanghai,
never personal data; a deployment's folder overrides any template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notifications.dispatcher import Policy
from notifications.templates import TEMPLATES, Names, Templates, context, due_text
from states.errors import BadInput

NAMES = Names({1: "海城市人民政府", 2: "市生态环境局"}, {1: "海城市"})
PAYLOAD: dict[str, Any] = {
    "item_id": 7,
    "kind": "case",
    "ref": "D2100001",
    "summary": "饭店油烟扰民",
    "address": "海城市海州街道某小区",
    "district_id": 1,
    "lead_unit_id": 1,
    "supervising_unit_id": 2,
    "state": "investigating",
    "notice_start": "2024-11-09",
    "notice_end": "2024-11-13",
    "clock": "rectification",
    "level": "referral",
    "due_at": "2024-10-01T00:00:00+08:00",
    "days_overdue": 8,
    "month": "2024-11",
    # Fields an outbox row never has; here to show a template cannot reach them.
    "complainant_name": "张三",
    "complainant_phone": "13800001111",
}


def render(template: str, payload: dict[str, Any] = PAYLOAD, folder: Path | None = None) -> Any:
    ctx = context(payload, NAMES, audience="lead_unit", idem_key="rectiflow-1-abc")
    return Templates(folder).render(template, ctx)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_each_template_carries_the_public_facts_and_no_personal_data(template: str) -> None:
    out = render(template)
    assert out.subject and "\n" not in out.subject and "D2100001" in out.subject
    for fact in (
        "D2100001",
        "饭店油烟扰民",
        "海城市海州街道某小区",
        "海城市人民政府",
        "通知编号：rectiflow-1-abc",
    ):
        assert fact in out.body, (template, fact)
    assert "2024年9月30日24时" in out.body and "已超期：8 天" in out.body
    for secret in ("张三", "13800001111"):
        assert secret not in out.body and secret not in out.subject


def test_notice_shows_its_range_and_revisit_its_month() -> None:
    assert "2024年11月9日至2024年11月13日" in render("notice_published").body
    assert "列入2024年11月复查回访计划" in render("revisit_due").body


@pytest.mark.parametrize(
    ("due_at", "text"),
    [
        ("2024-10-01T00:00:00+08:00", "2024年9月30日24时"),  # the end of a day is its 24:00
        ("2024-09-30T16:00:00+00:00", "2024年9月30日24时"),  # stored in UTC, shown in Shanghai
        ("2024-10-08T16:30:00+08:00", "2024年10月8日16时30分"),
        (None, None),
    ],
)
def test_due_time_is_read_in_asia_shanghai(due_at: str | None, text: str | None) -> None:
    assert due_text(due_at) == text


def test_a_deployment_folder_overrides_one_template_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "warning.j2").write_text(
        '{% extends "base.j2" %}{% block subject %}提醒：{{ ref }}{% endblock %}'
        "{% block content %}请于{{ due_text }}前办结。{% endblock %}",
        encoding="utf-8",
    )
    out = render("warning", folder=tmp_path)
    assert out.subject == "提醒：D2100001"
    assert (
        out.body.startswith("请于2024年9月30日24时前办结。") and "海城市海州街道某小区" in out.body
    )
    assert render("referral", folder=tmp_path).subject.startswith("【问题线索移送函】")


def test_a_deployment_folder_can_replace_the_shared_layout(tmp_path: Path) -> None:
    (tmp_path / "base.j2").write_text(
        "{% block content %}{% endblock %}\n— 鞍山市督改办", encoding="utf-8"
    )
    body = render("interview", folder=tmp_path).body
    assert body.rstrip().endswith("— 鞍山市督改办") and "约 谈 通 知" in body


def test_a_broken_override_or_unknown_template_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "warning.j2").write_text("{% block subject %}{{ nope }}{% endblock %}x")
    with pytest.raises(BadInput, match="warning"):
        render("warning", folder=tmp_path)
    with pytest.raises(BadInput, match="unknown template"):
        render("birthday")
    with pytest.raises(BadInput, match="does not exist"):
        Templates(tmp_path / "missing")


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    policy = Policy(backoff_seconds=30, backoff_max_seconds=300)
    waits = [policy.backoff(n).total_seconds() for n in range(1, 7)]
    assert waits == [30, 60, 120, 240, 300, 300]
