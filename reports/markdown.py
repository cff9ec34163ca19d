"""The reports as zh-CN Markdown and as table rows (for Prefect table artifacts and exports).

Pure functions of the report data; nothing here reads the database or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from reports.dispatch import Dispatch
from reports.figures import Share
from reports.periodic import KIND_ZH, Report, Section
from reports.periods import zh_instant
from reports.sentences import MEASURE, rate
from states.clocks import KIND_ZH as CLOCK_ZH
from states.lifecycle import STATE_ZH, State
from states.rules import DEFAULT_LADDER

LEVEL_ZH = {r.level: r.zh for r in DEFAULT_LADDER}


def _cell(value: Any) -> str:
    # A pipe or a line break inside a cell would break the Markdown table.
    return str(value if value is not None else "").replace("|", "｜").replace("\n", " ")


def table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of ``rows`` (their keys are the columns); "（无）" when empty."""
    if not rows:
        return "（无）\n"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def share_rows(shares: Iterable[Share], label: str = "地区") -> list[dict[str, Any]]:
    """One row per district or unit: 交办, 已销号, 未销号, 超期, 重点案件."""
    return [
        {
            label: s.name,
            "交办": s.assigned,
            "已销号": s.closed,
            "未销号": s.open,
            "超期": s.overdue,
            "重点案件": s.key_cases,
        }
        for s in shares
    ]


def dispatch_unit_rows(d: Dispatch) -> list[dict[str, Any]]:
    """One row per unit: 已超期, 临期, 合计."""
    return [
        {"责任单位": u.unit, "已超期": u.overdue, "临期": u.due_soon, "合计": u.total}
        for u in d.units
    ]


def dispatch_item_rows(d: Dispatch) -> list[dict[str, Any]]:
    """One row per listed item, without personal data."""
    return [
        {
            "责任单位": i.unit,
            "编号": i.ref,
            "事项": i.summary,
            "属地": i.district or "",
            "状态": i.state_zh,
            "时限": i.clock_zh,
            "到期日": i.due_date.isoformat() + ("（暂定）" if i.provisional else ""),
            "超期天数": i.overdue_days,
            "已督办": i.level_zh or "",
        }
        for i in d.items
    ]


def dispatch_markdown(d: Dispatch) -> str:
    """按日调度 as Markdown."""
    out = [
        f"# 督察整改按日调度（{d.today.year}年{d.today.month}月{d.today.day}日）\n",
        f"截至{zh_instant(d.now)}，已超期{d.overdue}件，{(d.horizon - d.today).days}日内"
        f"（至{d.horizon.month}月{d.horizon.day}日）到期{d.due_soon}件，"
        f"涉及责任单位{len(d.units)}个。\n",
        "## 各责任单位\n",
        table(dispatch_unit_rows(d)),
        "## 到期及超期事项\n",
        table(dispatch_item_rows(d)),
    ]
    if d.truncated:
        out.append(f"\n仅列出前{len(d.items)}件。\n")
    return "\n".join(out)


def state_rows(section: Section) -> list[dict[str, Any]]:
    """One row per state, in lifecycle order."""
    return [{"状态": STATE_ZH[State(s)], "数量": n} for s, n in section.states.items()]


def _figures(s: Section) -> list[dict[str, Any]]:
    t, mv, m = s.totals, s.movement, MEASURE[s.kind]
    rows: list[tuple[str, Any]] = [
        ("交办", f"{t.assigned}{m}"),
        ("已整改销号", f"{t.closed}{m}"),
        ("未整改销号", f"{t.open}{m}"),
        ("按期办结率", rate(t.closed_on_time, t.closed_rectified)),
        ("公示率", rate(t.disclosed, t.closed_rectified)),
        ("当前超期", f"{s.overdue_total}{m}"),
        ("本期交办", f"{mv.assigned}{m}"),
        ("本期销号", f"{mv.closed}{m}（按期{mv.closed_on_time}{m}）"),
        ("本期重复件合并", f"{mv.merged}{m}"),
    ]
    rows += [(f"本期{LEVEL_ZH.get(k, k)}", f"{n}次") for k, n in mv.escalations.items()]
    if s.kind == "case":
        rows += [
            ("重点案件", f"{t.key_cases}件（未销号{t.key_open}件）"),
            ("问题", f"{t.problems}个（已解决{t.problems_resolved}个）"),
            ("本期复查回访", f"{mv.revisits}件次"),
            ("本期发现反弹", f"{mv.rebounds}件"),
        ]
    return [{"指标": k, "数值": v} for k, v in rows]


def section_markdown(s: Section) -> str:
    """One kind's part of a report."""
    out = [
        f"## {KIND_ZH[s.kind]}\n",
        "".join(f"{line}。" for line in s.sentences) + "\n",
        "### 主要指标\n",
        table(_figures(s)),
        "### 按状态\n",
        table(state_rows(s)),
        "### 超期（按时限）\n",
        table([{"时限": CLOCK_ZH[k], "超期": n} for k, n in s.overdue.items()]),
        "### 按地区\n",
        table(share_rows(s.districts)),
        "### 按责任单位\n",
        table(share_rows(s.units, "责任单位")),
    ]
    if s.kind == "case":
        out += [
            "### 未销号重点案件\n",
            table(
                [
                    {
                        "编号": k.ref,
                        "事项": k.summary,
                        "属地": k.district or "",
                        "责任单位": k.lead_unit or "",
                        "状态": STATE_ZH[State(k.state)],
                        "整改时限": k.rectification_due or "",
                        "超期": "是" if k.overdue else "否",
                    }
                    for k in s.key_cases
                ]
            ),
        ]
    return "\n".join(out)


def report_markdown(r: Report) -> str:
    """A weekly or monthly report as Markdown."""
    head = [f"# {r.title}\n", f"数据截至{zh_instant(r.now)}；本期指{r.period.zh}。\n"]
    return "\n".join(head + [section_markdown(s) for s in r.sections])
