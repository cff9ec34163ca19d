"""Realistic complaint cases (信访案件) for the benchmarks, deterministic batch by batch.

The cases are Anshan's (鞍山): its ten districts, their governments and the city bureaus,
the pollution complaints a northern industrial city actually receives (菱镁粉尘, 油烟,
搅拌站扬尘, 养殖场粪污 …). Every batch is built from its own seed, so the product run and
the raw baseline see exactly the same data without holding a million dicts in memory.

The timeline the benchmark needs is fixed here (all Asia/Shanghai):

- cases are assigned between March and May 2026 and registered at ``REGISTERED``;
- a share of them (5 % by default) arrives already overdue: their rectification
  deadline passed before registration, all rungs of the escalation ladder are due by
  ``CATCH_UP`` (the sweep that follows the import);
- exactly ``sweep_clocks`` cases are due on Monday 15 June: the sweep the evening before
  midnight (``WARNED``) warns them, and the measured sweep just after midnight
  (``SWEEP_NOW``) finds them overdue and sends each its supervision letter: the steady
  state of a sweep that runs every few minutes, one rung per clock;
- all others are due after ``SWEEP_NOW`` + 2 days, so no rung of theirs is due.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from states.calendar import SHANGHAI

ROUND = "第三轮中央生态环境保护督察"
BATCH_SIZE = 10_000
REGISTERED = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)  # a Monday
CATCH_UP = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)
WARNED = datetime(2026, 6, 15, 23, 55, tzinfo=SHANGHAI)
SWEEP_NOW = datetime(2026, 6, 16, 0, 5, tzinfo=SHANGHAI)
FIRED_AT = datetime(2026, 6, 2, 10, 0, tzinfo=SHANGHAI)

DISTRICTS = (
    "海城市",
    "台安县",
    "岫岩县",
    "铁东区",
    "铁西区",
    "立山区",
    "千山区",
    "高新区",
    "经开区",
    "千山风景区",
)
TOWNS = {
    "海城市": ("海州街道", "腾鳌镇", "牛庄镇", "西柳镇", "八里镇", "析木镇"),
    "台安县": ("八角台街道", "新开河镇", "桑林镇", "高力房镇"),
    "岫岩县": ("雅河街道", "哨子河乡", "大营子镇", "偏岭镇"),
    "铁东区": ("站前街道", "胜利街道", "山南街道", "解放街道"),
    "铁西区": ("永乐街道", "兴盛街道", "大陆街道", "繁荣街道"),
    "立山区": ("灵山街道", "曙光街道", "深沟寺街道", "双山街道"),
    "千山区": ("汤岗子街道", "大屯镇", "甘泉镇", "东鞍山镇"),
    "高新区": ("千山路街道", "鞍千路街道", "齐大山镇"),
    "经开区": ("达道湾街道", "宁远街道", "沙河镇"),
    "千山风景区": ("千山镇", "旅游区管理处"),
}
PLACES = ("小区", "村", "工业园", "社区", "屯", "家园", "花园", "新城")
BUREAUS = (
    "鞍山市生态环境局",
    "鞍山市住房和城乡建设局",
    "鞍山市城市管理综合行政执法局",
    "鞍山市自然资源局",
    "鞍山市水务局",
    "鞍山市农业农村局",
    "鞍山市工业和信息化局",
    "鞍山市公安局",
)
SUPERVISORS = ("鞍山市生态环境局", "鞍山市督察整改工作领导小组办公室")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰凤春梅国庆德福志刚淑珍"

# (summary, content template, pollution types, category)
COMPLAINTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "菱镁企业粉尘污染",
        "{place}附近菱镁加工企业生产时粉尘很大，周边房顶和农田落满白色粉尘，"
        "村民开窗就是一屋灰，多次反映未解决。",
        ("大气",),
        "身边问题",
    ),
    (
        "饭店油烟扰民",
        "{place}楼下饭店油烟直排，未安装油烟净化设施，夜间排风机噪声大，影响居民休息。",
        ("大气", "噪声"),
        "身边问题",
    ),
    (
        "搅拌站扬尘",
        "{place}混凝土搅拌站露天作业，砂石料堆未苫盖，运输车辆带泥上路，扬尘严重。",
        ("大气",),
        "身边问题",
    ),
    (
        "养殖场粪污直排",
        "{place}养猪场粪污未经处理直接排入河沟，夏季臭味刺鼻，河水发黑。",
        ("水", "大气"),
        "身边问题",
    ),
    (
        "企业夜间偷排废水",
        "{place}一家选矿企业夜间通过暗管向河道排放废水，河水浑浊，鱼类死亡。",
        ("水",),
        "公共利益",
    ),
    (
        "非法采石破坏山体",
        "{place}后山有人非法开采石料，山体裸露，爆破震裂房屋，粉尘和噪声扰民。",
        ("生态", "噪声", "大气"),
        "公共利益",
    ),
    (
        "垃圾露天焚烧",
        "{place}村边垃圾堆放点长期露天焚烧生活垃圾，烟雾弥漫，气味难闻。",
        ("大气", "固废"),
        "身边问题",
    ),
    (
        "河道倾倒建筑垃圾",
        "{place}附近河道两岸被倾倒大量建筑垃圾和工业固废，堵塞河道，汛期存在隐患。",
        ("固废", "水"),
        "公共利益",
    ),
    (
        "燃煤锅炉冒黑烟",
        "{place}供暖燃煤锅炉冬季冒黑烟，脱硫除尘设施不正常运行，居民晾晒衣物变黑。",
        ("大气",),
        "身边问题",
    ),
    (
        "娱乐场所噪声扰民",
        "{place}临街KTV营业至凌晨，音响声音很大，严重影响周边居民休息。",
        ("噪声",),
        "身边问题",
    ),
    (
        "规划建设垃圾中转站",
        "{place}旁拟建垃圾中转站，距离居民楼太近，居民担心臭味和污水影响，要求另行选址。",
        ("固废",),
        "邻避效应",
    ),
    (
        "企业与村民补偿纠纷",
        "{place}周边矿山企业粉尘影响农作物生长，村民要求赔偿，企业拒不协商。",
        ("大气", "土壤"),
        "利益纠纷",
    ),
)


@dataclass(frozen=True)
class Plan:
    """Which item indexes (0-based) are overdue at intake and which fall due for the sweep."""

    items: int
    backlog: int  # overdue when registered; fully escalated by the catch-up sweep
    sweep_clocks: int  # due between the catch-up sweep and SWEEP_NOW

    @classmethod
    def of(cls, items: int, sweep_clocks: int, overdue_share: float) -> Plan:
        backlog = round(items * overdue_share)
        if backlog + sweep_clocks > items:
            raise ValueError(
                f"{backlog} overdue + {sweep_clocks} sweep clocks exceed {items} items"
            )
        return cls(items, backlog, sweep_clocks)

    def group(self, index: int) -> str:
        """``backlog``, ``sweep`` or ``future``, spread evenly over the id range."""
        # A multiplicative hash spreads both groups over the whole table, as real due
        # dates are, instead of putting them at one end of the index.
        slot = (index * 2654435761) % self.items
        if slot < self.backlog:
            return "backlog"
        if slot < self.backlog + self.sweep_clocks:
            return "sweep"
        return "future"

    def batches(self, size: int = BATCH_SIZE) -> list[tuple[int, int]]:
        """(start, stop) index ranges of the loading transactions."""
        return [(s, min(s + size, self.items)) for s in range(0, self.items, size)]


def intake_no(index: int) -> str:
    """The 受理编号 of item ``index``: varied prefixes as the teams' numbering is."""
    prefix = ("D", "X", "DH")[index % 3]
    return f"{prefix}3{index + 1:07d}"


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _dates(rng: random.Random, group: str) -> tuple[date, date]:
    """(assigned on, rectification due) for an item of ``group``."""
    if group == "backlog":
        # Due by 20 May: even rolled past the weekend, every rung is due by 1 June.
        assigned = _day(rng, date(2026, 3, 2), date(2026, 4, 30))
        return assigned, _day(rng, date(2026, 5, 6), date(2026, 5, 20))
    if group == "sweep":
        # Due Monday 15 June, a working day: warned on the 15th, overdue from midnight.
        assigned = _day(rng, date(2026, 3, 2), date(2026, 5, 29))
        return assigned, date(2026, 6, 15)
    assigned = _day(rng, date(2026, 3, 2), date(2026, 5, 29))
    return assigned, _day(rng, date(2026, 6, 22), date(2026, 12, 31))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def case(index: int, group: str, rng: random.Random) -> dict[str, Any]:
    """One case as the inspection team hands it over (the ``case add`` JSON)."""
    district = DISTRICTS[index % len(DISTRICTS)]
    town = rng.choice(TOWNS[district])
    place = f"{town}{rng.choice(SURNAMES)}{rng.choice('家新东西南北')}{rng.choice(PLACES)}"
    summary, content, types, category = rng.choice(COMPLAINTS)
    assigned, due = _dates(rng, group)
    data: dict[str, Any] = {
        "intake_no": intake_no(index),
        "round": ROUND,
        "batch_no": f"第{index // 2_000 + 1}批",
        "assigned_at": f"{assigned.isoformat()}T{rng.choice(('09', '10', '14', '16'))}:00:00+08:00",
        "district": district,
        "lead_unit": f"{district}人民政府" if rng.random() < 0.7 else rng.choice(BUREAUS),
        "supervising_unit": rng.choice(SUPERVISORS),
        "summary": summary,
        "content": content.format(place=f"{district}{place}"),
        "address": f"鞍山市{district}{place}",
        "pollution_types": list(types),
        "category": category,
        "key_case": rng.random() < 0.05,
        "rectification_due": due.isoformat(),
    }
    if rng.random() < 0.3:
        data["other_units"] = rng.sample(BUREAUS, rng.choice((1, 2)))
    if rng.random() < 0.6:
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        data["complainant"] = {"name": _name(rng), "phone": phone}
    return data


def batch(plan: Plan, start: int, stop: int, seed: int = 2026) -> list[dict[str, Any]]:
    """The cases of items ``start`` … ``stop - 1``, the same on every call."""
    rng = random.Random(seed * 1_000_003 + start)
    return [case(i, plan.group(i), rng) for i in range(start, stop)]
