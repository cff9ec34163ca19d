"""The summary sentences, worded as the cities publish them (SPEC §9), from the figures.

Pure functions: each takes figures and returns one zh-CN sentence, e.g.
"交办我市881件，已整改销号873件，未整改销号8件" (Yantai) or
"91件共100个问题，其中重点案件21件" (Panjin).
"""

from __future__ import annotations

from collections.abc import Sequence

from reports.figures import Share, Totals

# Cases are counted in 件, feedback tasks in 项.
MEASURE = {"case": "件", "task": "项"}


def rate(part: int, whole: int) -> str:
    """A percentage as reports print it: 99.1%, 100%, 122%; "—" when there is nothing to divide."""
    if whole == 0:
        return "—"
    text = f"{100 * part / whole:.1f}".removesuffix(".0")
    return f"{text}%"


def closure(t: Totals, whom: str = "我市", breakdown: str = "") -> str:
    """交办我市881件，已整改销号873件，未整改销号8件; ``breakdown`` (per district) goes right
    after the total, where the Anshan notice puts it."""
    m = MEASURE[t.kind]
    noun = "" if t.kind == "case" else "整改任务"
    return (
        f"交办{whom}{noun}{t.assigned}{m}{breakdown}，"
        f"已整改销号{t.closed}{m}，未整改销号{t.open}{m}"
    )


def problems(t: Totals) -> str:
    """91件共100个问题，其中重点案件21件."""
    return f"{t.assigned}件共{t.problems}个问题，其中重点案件{t.key_cases}件"


def net_of_duplicates(t: Totals) -> str:
    """扣除重复访和不实，应完成整改61项，实际完成53项，还有8项正在整改中."""
    return (
        f"扣除重复访和不实，应完成整改{t.due}项，实际完成{t.done}项，"
        f"还有{t.in_progress}项正在整改中"
    )


def per_district(shares: Sequence[Share], kind: str = "case") -> str:
    """(海城市162件、台安县34件、…), with full-width brackets as printed in Chinese text."""
    m = MEASURE[kind]
    return "（" + "、".join(f"{s.name}{s.assigned}{m}" for s in shares) + "）"


def on_time(t: Totals) -> str:
    """已整改销号510件，其中按期办结505件，按期办结率99%."""
    m = MEASURE[t.kind]
    return (
        f"已整改销号{t.closed_rectified}{m}，其中按期办结{t.closed_on_time}{m}，"
        f"按期办结率{rate(t.closed_on_time, t.closed_rectified)}"
    )


def disclosure(t: Totals) -> str:
    """经公示后销号510件，公示率100%."""
    m = MEASURE[t.kind]
    return f"经公示后销号{t.disclosed}{m}，公示率{rate(t.disclosed, t.closed_rectified)}"


def summary(t: Totals, shares: Sequence[Share], whom: str = "我市") -> list[str]:
    """Every summary sentence of one kind, in the order a report prints them."""
    lines = [closure(t, whom, per_district(shares, t.kind) if shares else "")]
    if t.kind == "case":
        lines += [problems(t), net_of_duplicates(t)]
    if t.closed_rectified:
        lines += [on_time(t), disclosure(t)]
    return lines
