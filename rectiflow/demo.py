"""The demo data set (演示数据): Anshan (鞍山) in the second central inspection round.

``load`` registers the 534 complaint cases of the Anshan notice, district by district
(SPEC §11), and a dozen rectification tasks, in bulk in one transaction; it then plays
each item's life through ``fire`` and ``update_item`` as its users would, so that the
history chains, clocks and outbox rows are the product's own. Everything is drawn from
seeded generators and placed relative to ``at`` (assignments over the previous 90 days,
office hours on working days): the same ``at`` gives the same data, and a sweep at ``at``
finds overdue items to escalate and ended notice periods to close.

The texts are invented but modelled on the Anshan notice and the kinds of complaint the
inspection teams hand over; names and phone numbers are random, not real people's.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from models.engine import make_engine, writing
from models.tables import District, History, Item, Unit, table
from states.calendar import SHANGHAI, local_date, to_local_iso
from states.editing import update_item
from states.history import SYSTEM_ACTOR
from states.lifecycle import State
from states.registry import parse_new, register
from states.rules import Rules
from states.service import fire
from states.standards import CATEGORY_CRITERIA, MEASURE_CRITERIA, required_signoffs

SEED = 20201109  # the day the Anshan notice was published
ROUND = "第二轮中央生态环境保护督察"
DEMO_ACTOR = "鞍山市督改办（演示数据）"  # registers every demo item: how a second load knows
CITY, CITY_OFFICE, REVIEWERS = "鞍山市人民政府", "鞍山市督改办", "市级复核工作组"
BATCHES, SPAN_DAYS, FEEDBACK_DAYS = 30, 90, 75
DAY = timedelta(days=1)
Data = Callable[[datetime], dict[str, Any]]

# The notice's own sentence: ten districts, then five city units that answered for their
# own cases. It adds up to 534 (the notice says 511); the demo keeps every figure.
NOTICE_COUNTS = (
    "海城市162件、台安县34件、岫岩县96件、铁东区49件、铁西区39件、立山区39件、千山区31件、"
    "高新区25件、经开区15件、千山风景区5件、市生态环境局30件、市住建局4件、市民政局1件、"
    "国网鞍山供电公司1件、市水务集团3件"
)
CASES: Mapping[str, int] = {
    m[1]: int(m[2]) for m in re.finditer(r"(\D+?)(\d+)件、?", NOTICE_COUNTS)
}
DUPLICATES: Mapping[str, int] = {"海城市": 2, "岫岩县": 1, "铁东区": 1, "铁西区": 1, "立山区": 1}
GOVERNMENT: Mapping[str, str] = {
    **{d: f"{d}人民政府" for d in ("海城市", "台安县", "岫岩县", "铁东区", "铁西区", "立山区")},
    "千山区": "千山区人民政府",
    "高新区": "高新区管委会",
    "经开区": "经开区管委会",
    "千山风景区": "千山风景区管理局",
}
REGULAR = ("海城市", "台安县", "岫岩县", "铁东区", "铁西区", "立山区", "千山区")
DEPARTMENTS: Mapping[str, str] = {
    "eco": "生态环境分局",
    "cg": "城管执法局",
    "zj": "住房和城乡建设局",
    "sl": "水利局",
    "ny": "农业农村局",
}
CITY_DEPARTMENTS = tuple(
    "市生态环境局 市住建局 市城管局 市水务局 市自然资源局 市农业农村局 市工信局 市民政局".split()
)
# The five city units of the notice lead their own cases; these departments supervise them.
CITY_SUPERVISING: Mapping[str, str] = {
    "市生态环境局": "市工信局",
    "市住建局": "市城管局",
    "市民政局": "市生态环境局",
    "国网鞍山供电公司": "市生态环境局",
    "市水务集团": "市水务局",
}
PLACES: Mapping[str, tuple[str, ...]] = {
    d: tuple(places.split())
    for d, places in {
        "铁东区": "站前街道 解放街道 山南街道 园林街道 胜利街道 东长甸街道",
        "铁西区": "人民路街道 兴盛街道 八家子街道 永乐街道 大陆街道 繁荣街道",
        "立山区": "曙光街道 深沟寺街道 友好街道 灵山街道 齐大山镇 沙河镇",
        "千山区": "千山镇 大屯镇 东鞍山镇 宁远镇 唐家房镇 汤岗子镇",
        "高新区": "激光产业园 千山路片区 越岭路片区 科技路片区",
        "经开区": "达道湾工业园 经开区工业园 腾鳌工业园",
        "千山风景区": "北沟景区 仙人台景区 大安寺景区 龙泉寺景区",
        "海城市": "海州管理区 兴海管理区 响堂管理区 腾鳌镇 牌楼镇 南台镇 析木镇 马风镇 八里镇 "
        "感王镇 西柳镇 耿庄镇 英落镇 孤山镇",
        "台安县": "台安镇 新开河镇 桑林镇 高力房镇 黄沙坨镇 富家镇 西佛镇",
        "岫岩县": "岫岩镇 偏岭镇 哈达碑镇 洋河镇 黄花甸镇 石庙子镇 前营镇",
    }.items()
}
URBAN = ("铁东区", "铁西区", "立山区", "高新区")
RIVERS: Mapping[str, tuple[str, ...]] = {
    "铁东区": ("南沙河",),
    "铁西区": ("运粮河",),
    "立山区": ("运粮河", "南沙河", "万水河"),
    "千山区": ("杨柳河",),
    "高新区": ("万水河",),
    "经开区": ("杨柳河",),
    "千山风景区": ("南沙河",),
    "海城市": ("海城河", "五道河"),
    "台安县": ("辽河", "绕阳河"),
    "岫岩县": ("大洋河", "哨子河"),
}
ESTATES = "和平花园 阳光丽景 锦绣家园 福泽园 惠民小区 明珠新城 滨河湾 幸福里".split()
ROADS = "胜利路 建国路 二一九路 园林大道 人民路 永乐路 鞍千路 光明街".split()
VILLAGES = "王家堡 前营子 后三台子 大房身 小孤山 高家岭 马家店 东沟 西岔".split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭林何高梁郑罗宋谢唐韩曹许邓冯曾程蔡彭潘袁于董苏叶吕魏"
GIVEN = (
    "伟 芳 静 磊 军 勇 杰 涛 明 超 刚 宇 浩 丹 桂兰 淑珍 凤英 玉梅 秀云 建国 志刚 海涛 春生 立新 "
    "振华 德胜 长海 宝山 淑华 红梅 晓东 丽娜"
).split()


@dataclass(frozen=True)
class Template:
    """One kind of complaint: its texts, standard, units and usual deadline."""

    key: str
    category: str
    pollution: tuple[str, ...]
    dept: str | None  # the district department that may lead instead of the government
    supervising: str
    subjects: tuple[str, ...]
    summary: str
    contents: tuple[str, ...]
    problems: tuple[str, ...]
    findings: str
    measures: str
    done: str
    penalty: float  # chance that a penalty is filed
    fine: tuple[int, int]
    due: tuple[int, int]  # days from assignment to the rectification deadline
    verdicts: tuple[float, float, float] = (0.74, 0.18, 0.08)  # 属实, 部分属实, 不属实


T = Template
TEMPLATES: tuple[Template, ...] = (
    T(
        "油烟", "身边问题", ("大气",), "cg", "市城管局",
        ("烧烤店", "铁锅炖饭店", "川菜馆", "麻辣烫店", "烤肉店"),
        "{subject}油烟直排扰民",
        (
            "反映{addr}一楼{subject}未安装油烟净化设施，油烟从后窗直排，"
            "楼上住户常年不敢开窗，夏天尤其严重，多次向社区反映未解决。",
            "反映{addr}{subject}的排烟管道贴着居民楼外墙铺设，油烟和异味进入居民家中，"
            "店家经营到后半夜，风机噪声也很大。",
        ),
        ("未安装油烟净化设施，油烟直排", "排烟管道沿居民楼外墙敷设", "风机夜间运行噪声扰民"),
        "经现场核查，该{subject}未安装油烟净化设施，排烟口设在居民楼窗下。",
        "责令商户安装油烟净化设施并定期清洗，排烟管道改至楼顶高空排放；纳入网格化日常巡查。",
        "油烟净化设施已安装并正常运行，排烟口已改至楼顶，回访居民反映油烟问题已消除。",
        0.3, (2000, 10000), (15, 30),
    ),
    T(
        "施工噪声", "身边问题", ("噪声",), "zj", "市住建局",
        ("住宅项目工地", "道路改造工地", "管网施工工地", "商业综合体工地"),
        "{subject}夜间施工噪声扰民",
        (
            "反映{addr}附近{subject}长期夜间施工，打桩机、渣土车作业到凌晨两三点，"
            "周边居民无法休息，希望尽快解决。",
            "反映{addr}旁{subject}未办理夜间施工许可，每晚十点后仍在浇筑混凝土，"
            "噪声很大，投诉多次仍不整改。",
        ),
        ("夜间违规施工", "未办理夜间施工许可", "高噪声设备未采取降噪措施"),
        "经调取施工日志并夜间巡查，该{subject}存在夜间超时施工行为。",
        "责令施工单位停止夜间违规施工，高噪声设备加装隔声棚；列入重点监管清单，夜间不定期抽查。",
        "工地已停止夜间施工，隔声设施已设置，经夜间监测噪声达标。",
        0.4, (10000, 50000), (10, 25),
    ),
    T(
        "设备噪声", "身边问题", ("噪声",), "eco", "市生态环境局",
        ("冷库", "洗浴中心", "KTV", "木材加工厂"),
        "{subject}设备噪声扰民",
        (
            "反映{addr}{subject}的冷却塔和风机昼夜运行，噪声很大，紧挨居民楼，晚上根本睡不着觉。",
            "反映{addr}的{subject}夜间经营噪声扰民，空调外机和音响声持续到凌晨。",
        ),
        ("冷却塔、风机噪声超标", "夜间经营噪声扰民"),
        "经夜间监测，{subject}边界噪声超过排放标准限值。",
        "责令{subject}对冷却塔、风机等设备移位并加装隔声减振装置，限定夜间经营时段。",
        "设备已移位并加装隔声罩，复测噪声达标，周边居民表示满意。",
        0.2, (5000, 20000), (15, 30),
    ),
    T(
        "扬尘", "身边问题", ("大气",), "zj", "市住建局",
        ("拆迁工地", "住宅项目工地", "砂石料场", "混凝土搅拌站"),
        "{subject}扬尘污染",
        (
            "反映{addr}{subject}裸土和物料未苫盖，出入车辆不冲洗，道路遗撒严重，"
            "一刮风尘土飞扬，附近居民不敢开窗。",
            "反映{addr}附近{subject}露天堆放砂石，装卸作业没有降尘措施，周边道路和居民家中落满灰尘。",
        ),
        ("裸土、物料未苫盖", "出入车辆未冲洗", "装卸作业无降尘措施"),
        "经现场检查，{subject}防尘网覆盖不全，车辆冲洗设施未使用。",
        "落实“六个百分之百”扬尘防控措施，裸土全部苫盖，安装车辆冲洗平台、喷淋降尘和在线监测设施。",
        "裸土物料已全部苫盖，冲洗平台和喷淋设施运行正常，道路遗撒已清理。",
        0.45, (10000, 100000), (10, 30),
    ),
    T(
        "异味", "身边问题", ("大气",), "eco", "市生态环境局",
        ("化工厂", "橡胶制品厂", "沥青搅拌站", "饲料厂", "塑料颗粒加工厂"),
        "{subject}排放刺鼻异味",
        (
            "反映{addr}附近{subject}夜间偷排废气，散发刺鼻气味，周边居民头晕恶心，晚上不敢开窗。",
            "反映{addr}的{subject}生产时气味很大，废气处理设施形同虚设，附近学校也闻得到。",
        ),
        ("废气收集处理设施未正常运行", "无组织排放异味", "环评手续不全"),
        "经现场检查和监测，{subject}废气处理设施未正常运行，厂界臭气浓度超标。",
        "责令企业停产整改，升级改造废气收集处理设施并安装在线监控，整改完成前不得恢复生产。",
        "企业已完成废气治理设施升级，监测显示厂界臭气浓度达标，周边居民反映异味明显减轻。",
        0.55, (50000, 300000), (20, 45),
    ),
    T(
        "养殖", "身边问题", ("大气", "水"), "ny", "市农业农村局",
        ("养猪场", "养牛场", "养鸡场"),
        "{subject}粪污异味扰民",
        (
            "反映{addr}{subject}粪污露天堆放，臭味很大，粪水顺着边沟流进农田和小河，夏天苍蝇成群。",
            "反映{addr}附近{subject}离村民住房不到一百米，粪便随意堆在路边，雨天粪水横流。",
        ),
        ("粪污露天堆放", "粪水外溢", "未建设粪污处理设施"),
        "经现场核查，{subject}粪污贮存设施容量不足，存在粪污露天堆放现象。",
        "督促养殖户建设防渗漏粪污贮存设施，粪污堆沤腐熟后还田利用；畜牧部门定期巡查。",
        "粪污贮存设施已建成投用，露天堆放粪污已清运，周边环境明显改善。",
        0.2, (5000, 30000), (30, 60),
    ),
    T(
        "污水", "身边问题", ("水",), "zj", "市水务局",
        ("化粪池", "洗车场", "农家乐", "小区污水管网"),
        "{subject}污水外溢直排",
        (
            "反映{addr}{subject}污水外溢，顺着路边流进雨水井，臭气熏天，多次找物业无人处理。",
            "反映{addr}附近{subject}污水未经处理直接排入边沟，最终流进河里。",
        ),
        ("污水外溢", "污水未接入市政管网", "雨污混流"),
        "经现场核查，{subject}存在污水外溢、雨污混流问题。",
        "清掏疏通化粪池和管网，实施雨污分流改造，污水接入市政污水管网。",
        "管网已疏通并完成雨污分流改造，污水接入市政管网，外溢问题已解决。",
        0.15, (5000, 20000), (20, 45),
    ),
    T(
        "垃圾", "身边问题", ("固废",), "cg", "市城管局",
        ("生活垃圾", "建筑垃圾", "废旧轮胎"),
        "{subject}长期堆放未清运",
        (
            "反映{addr}附近空地长期堆放{subject}，无人清运，夏季蚊蝇滋生，还有人晚上焚烧，烟味呛人。",
            "反映{addr}路边沟渠被倾倒大量{subject}，堆了好几年，雨后污水横流。",
        ),
        ("垃圾长期堆放未清运", "存在露天焚烧垃圾现象", "垃圾收运体系不健全"),
        "经现场核查，该处堆放{subject}约{tons}吨。",
        "组织清运堆存垃圾，设置围挡和监控，建立保洁员日常巡查和定期清运制度。",
        "堆存垃圾已全部清运，场地已平整绿化，保洁制度已落实。",
        0.1, (1000, 5000), (10, 30),
    ),
    T(
        "小作坊", "身边问题", ("大气", "水"), "eco", "市生态环境局",
        ("喷漆作坊", "废旧塑料加工作坊", "玉石加工作坊", "小铸造厂", "废机油炼油点"),
        "无手续{subject}污染环境",
        (
            "反映{addr}一处无名{subject}没有任何手续，生产废气直排，废水倒进沟里，晚上偷偷开工。",
            "反映{addr}有人私建{subject}，属于“散乱污”企业，气味刺鼻，附近村民反映多次未取缔。",
        ),
        ("未办理环评等审批手续", "废气未经处理直排", "废水随意排放"),
        "经现场检查，该{subject}无营业执照和环评手续，属“散乱污”企业。",
        "依法取缔，断水断电，清除原料、产品和生产设备；纳入“散乱污”动态清零台账。",
        "该作坊已取缔，生产设备已拆除，原料产品已清运，实现“两断三清”。",
        0.6, (20000, 100000), (10, 30),
    ),
    T(
        "违建", "身边问题", ("生态",), "cg", "市城管局",
        ("彩钢房", "农家乐", "养殖棚舍", "临建厂房"),
        "违建{subject}侵占绿地",
        (
            "反映{addr}有人私自在公共绿地上搭建{subject}，毁坏绿化树木，物业和社区管不了。",
            "反映{addr}附近违规建设{subject}，占用林地，砍伐树木，破坏生态。",
        ),
        ("违法建设侵占绿地（林地）", "毁坏绿化植被"),
        "经核查，该{subject}未取得规划许可，属违法建设。",
        "依法拆除违法建筑，恢复绿化植被；建立违建巡查发现、快速处置机制。",
        "违建{subject}已拆除，场地已补植绿化。",
        0.2, (5000, 50000), (20, 45),
    ),
    T(
        "河流", "公共利益", ("水",), "sl", "市水务局",
        (),
        "{subject}{place}段水体黑臭",
        (
            "反映{subject}流经{addr}的河段河水发黑发臭，沿岸有多个排污口向河内排污，"
            "河道里垃圾漂浮，附近居民意见很大。",
            "反映{subject}{addr}段河道两岸乱堆乱倒，雨季污水溢流入河，水质越来越差，鱼都死了。",
        ),
        ("沿河排污口未整治", "雨污混流溢流入河", "河道垃圾未清理"),
        "经现场排查和水质监测，该河段有{n}处排口存在污水入河，水质为劣Ⅴ类。",
        "开展入河排污口排查整治，实施截污纳管和雨污分流工程，清理河道垃圾，落实河长制日常巡河。",
        "排污口已封堵或截污纳管，河道垃圾已清理，近三个月监测水质达到考核目标。",
        0.2, (100000, 500000), (60, 180),
    ),
    T(
        "菱镁", "公共利益", ("大气",), "eco", "市生态环境局",
        ("菱镁加工企业", "轻烧镁窑", "镁砂厂"),
        "{subject}粉尘污染",
        (
            "反映{addr}周边多家{subject}窑炉烟尘未经处理直排，矿石、镁砂露天堆放，"
            "运输车辆扬尘严重，村民房顶、庄稼上落满白灰。",
        ),
        ("窑炉烟气除尘设施不达标", "物料露天堆放", "运输道路扬尘"),
        "经检查，{subject}除尘设施运行不正常，物料堆场未封闭。",
        "督促企业完成除尘设施提标改造和物料堆场全封闭，落后反射窑依法关停，硬化并定时清扫运输道路。",
        "涉事企业已完成除尘改造和堆场封闭，落后窑炉已拆除，周边降尘量明显下降。",
        0.6, (100000, 500000), (60, 150),
    ),
    T(
        "工业废气", "公共利益", ("大气",), "eco", "市生态环境局",
        ("钢铁企业烧结机", "焦化厂", "耐火材料厂", "铸造厂"),
        "{subject}烟粉尘超标排放",
        (
            "反映{addr}附近{subject}夜间冒黄烟、黑烟，周边粉尘很大，怀疑在线监测数据造假。",
            "反映{addr}的{subject}无组织排放严重，焦油味、硫磺味很重，附近居民咳嗽不止。",
        ),
        ("无组织排放管控不到位", "部分时段颗粒物超标排放", "超低排放改造进度滞后"),
        "经现场检查和监测数据比对，{subject}存在无组织排放和部分时段超标问题。",
        "督促企业完成超低排放改造，物料全封闭储存和输送，加密执法检查与监督性监测。",
        "企业已完成无组织排放治理，监督性监测达标，超低排放改造按计划推进。",
        0.6, (200000, 1000000), (60, 180), (0.5, 0.4, 0.1),
    ),
    T(
        "土壤", "公共利益", ("土壤", "固废"), "eco", "市生态环境局",
        ("工业废渣", "尾矿砂", "废油桶"),
        "非法倾倒{subject}污染土壤",
        (
            "反映{addr}附近废弃矿坑内有人夜间倾倒{subject}，渗出的黑水流进农田，担心污染地下水。",
            "反映{addr}有企业将{subject}填埋在耕地里，地里庄稼长不好。",
        ),
        ("非法倾倒固体废物", "倾倒点土壤受到污染", "属地监管不到位"),
        "经现场勘查和取样检测，倾倒点堆存{subject}约{tons}吨，周边土壤部分指标超过风险筛选值。",
        "查明倾倒责任人并移送公安机关，清运处置倾倒物，对受污染土壤开展风险评估和治理修复。",
        "倾倒物已全部清运并依法处置，土壤治理修复完成，经检测达到农用地风险筛选值。",
        0.5, (100000, 500000), (60, 180),
    ),
    T(
        "矿山", "公共利益", ("生态",), None, "市自然资源局",
        ("玉石矿", "菱镁矿", "采石场", "滑石矿"),
        "{subject}开采破坏山体植被",
        (
            "反映{addr}{subject}越界开采，山体被挖得千疮百孔，废石乱堆，开采后没有进行生态修复，"
            "雨季容易发生滑坡。",
        ),
        ("越界开采", "废石无序堆放", "矿山生态修复滞后"),
        "经自然资源部门测量，{subject}存在越界开采和废石乱堆问题，生态修复未按方案实施。",
        "依法查处越界开采行为，清理整治废石堆，按矿山地质环境保护与土地复垦方案实施生态修复。",
        "越界开采已查处，废石已清理，修复区域已完成削坡、覆土和植树绿化。",
        0.6, (100000, 800000), (90, 180),
    ),
    T(
        "禁养区", "规划政策", ("水", "大气"), "ny", "市农业农村局",
        ("养猪场", "养鸭场", "奶牛场"),
        "{subject}关停后补偿不到位",
        (
            "反映{addr}的{subject}因划入禁养区被要求关停，但补偿标准不明确，至今未落实，"
            "养殖户生活困难。",
        ),
        ("禁养区政策宣传解释不到位", "关闭补偿资金未落实"),
        "经核查，该{subject}位于依法划定的禁养区内，关闭要求符合规定，补偿资金落实滞后。",
        "向养殖户解释禁养区划定政策，按标准落实关闭补偿资金，协助符合条件的养殖户异地建场。",
        "补偿资金已足额发放，养殖户表示理解，已在适养区选址重建。",
        0.0, (0, 0), (30, 90), (0.3, 0.6, 0.1),
    ),
    T(
        "规划选址", "规划政策", ("大气", "噪声"), "zj", "市住建局",
        ("燃煤锅炉房", "沥青搅拌站", "物流园"),
        "规划建设{subject}距离居民区过近",
        (
            "反映{addr}附近正在建设的{subject}距离居民区不到两百米，担心建成后污染扰民，"
            "质疑规划审批手续。",
        ),
        ("项目防护距离不足", "项目信息公开不充分"),
        "经核查规划和环评审批手续，{subject}选址符合规划，但防护措施和信息公开存在不足。",
        "合规的加强监管、公开解释；不合规的停止建设依法处理；增设隔声和除尘设施，公开环评信息。",
        "项目已补充防护措施并公开环评信息，组织居民座谈，居民表示理解。",
        0.0, (0, 0), (30, 90), (0.3, 0.5, 0.2),
    ),
    T(
        "变电站", "邻避效应", ("辐射", "噪声"), None, "市生态环境局",
        ("220千伏变电站", "66千伏变电站", "高压输电线路"),
        "{subject}距离住宅过近担心辐射",
        (
            "反映{addr}小区旁新建的{subject}离住宅楼不到三十米，担心电磁辐射影响健康，"
            "设备运行时嗡嗡声很大。",
        ),
        ("变电站运行噪声偏高", "周边居民对电磁辐射存在担忧"),
        "经有资质单位监测，{subject}周边工频电场、磁场强度均低于国家标准限值，夜间噪声略有超标。",
        "对主变压器加装隔声屏障，公开电磁环境监测报告，组织居民代表参观并解释说明。",
        "隔声屏障已建成，噪声复测达标；监测报告已公开，居民代表表示认可。",
        0.0, (0, 0), (30, 60), (0.2, 0.7, 0.1),
    ),
    T(
        "污水厂", "邻避效应", ("大气",), None, "市水务局",
        ("污水处理厂", "污水泵站"),
        "{subject}恶臭影响周边小区",
        ("反映{addr}{subject}臭味很大，夏天和阴天尤其明显，周边几个小区都受影响，要求加盖除臭。",),
        ("生化池、污泥间未加盖密闭", "除臭设施处理能力不足"),
        "经监测，{subject}厂界臭气浓度在部分时段超标。",
        "对生化池、污泥脱水间加盖密闭，新建生物除臭装置，污泥日产日清。",
        "加盖和除臭工程已完工，厂界臭气浓度监测达标，居民表示认可。",
        0.0, (0, 0), (60, 150),
    ),
    T(
        "殡仪馆", "邻避效应", ("大气",), None, "市民政局",
        ("殡仪馆",),
        "{subject}火化烟气异味扰民",
        ("反映{addr}{subject}火化炉和祭品焚烧炉冒黑烟，异味很大，周边居民意见很大。",),
        ("火化烟气处理设施老化", "祭品焚烧炉无烟气处理设施"),
        "经监测，{subject}祭品焚烧炉无烟气净化设施，火化机尾气处理设备老化。",
        "更新火化机尾气处理设备，祭品焚烧改用环保焚烧炉，倡导文明祭扫。",
        "尾气处理设备已更新，监测达标，祭品焚烧炉已加装净化装置。",
        0.0, (0, 0), (30, 90),
    ),
    T(
        "纠纷", "利益纠纷", ("大气", "噪声"), "eco", "市生态环境局",
        ("采石场", "砖厂", "选矿厂"),
        "{subject}影响村民生产生活要求赔偿",
        ("反映{addr}{subject}爆破震裂村民房屋，粉尘影响庄稼收成，多次找企业协商赔偿未果。",),
        ("生产粉尘影响周边农田", "爆破作业管理不规范"),
        "经核查，{subject}存在粉尘无组织排放问题；房屋裂缝与爆破的因果关系需经专业鉴定。",
        "督促企业落实降尘措施、规范爆破作业；赔偿诉求引导村民通过鉴定和法律途径解决，镇政府组织调解。",
        "企业已落实降尘措施，镇政府组织调解达成初步赔偿协议，其余诉求已引导走法律途径。",
        0.3, (20000, 100000), (30, 90), (0.2, 0.7, 0.1),
    ),
)  # fmt: skip
BY_KEY: Mapping[str, Template] = {t.key: t for t in TEMPLATES}
_URBAN_MIX = {"油烟": 5, "施工噪声": 3, "设备噪声": 2, "扬尘": 3, "异味": 2, "污水": 2, "垃圾": 2}
PROFILES: Mapping[str, Mapping[str, int]] = {
    "铁东区": _URBAN_MIX | {"违建": 2, "河流": 2, "规划选址": 1},
    "铁西区": _URBAN_MIX | {"小作坊": 1, "违建": 1, "河流": 2, "工业废气": 1},
    "立山区": _URBAN_MIX | {"小作坊": 1, "河流": 2, "工业废气": 2},
    "高新区": {"油烟": 2, "施工噪声": 3, "扬尘": 3, "异味": 2, "污水": 1, "规划选址": 1},
    "经开区": {"异味": 3, "工业废气": 2, "扬尘": 2, "设备噪声": 2, "小作坊": 2, "河流": 1},
    "千山区": {"扬尘": 2, "异味": 2, "垃圾": 2, "小作坊": 2, "违建": 2, "河流": 1, "土壤": 2}
    | {"养殖": 2, "矿山": 1, "纠纷": 1, "油烟": 1},
    "海城市": {"菱镁": 5, "矿山": 2, "扬尘": 3, "养殖": 3, "小作坊": 3, "油烟": 2, "污水": 2}
    | {"垃圾": 2, "河流": 2, "土壤": 1, "禁养区": 1, "纠纷": 2, "设备噪声": 1},
    "台安县": {"养殖": 4, "垃圾": 3, "污水": 2, "河流": 2, "小作坊": 2, "油烟": 1, "扬尘": 1}
    | {"禁养区": 2, "纠纷": 1, "土壤": 1},
    "岫岩县": {"矿山": 4, "小作坊": 3, "河流": 2, "养殖": 2, "垃圾": 2, "土壤": 2, "纠纷": 2}
    | {"污水": 1, "油烟": 1},
    "千山风景区": {"违建": 3, "污水": 2, "垃圾": 2},
    "市生态环境局": {"工业废气": 4, "异味": 3, "土壤": 2},
    "市住建局": {"扬尘": 1, "施工噪声": 1},
    "市民政局": {"殡仪馆": 1},
    "国网鞍山供电公司": {"变电站": 1},
    "市水务集团": {"污水厂": 2, "污水": 1},
}
VERDICTS = ("属实", "部分属实", "不属实")
# Target state by age in days since assignment (before feasibility and scenarios).
TARGETS: Sequence[tuple[int, Mapping[str, float]]] = (
    (6, {"assigned": 0.45, "investigating": 0.55}),
    (15, {"investigating": 0.68, "rectified": 0.17, "accepted": 0.1, "reviewed": 0.05}),
    (30, {"investigating": 0.42, "rectified": 0.12, "accepted": 0.1, "reviewed": 0.05}
     | {"published": 0.07, "closed": 0.24}),
    (60, {"investigating": 0.22, "rectified": 0.06, "accepted": 0.06, "reviewed": 0.04}
     | {"published": 0.06, "closed": 0.56}),
    (999, {"investigating": 0.1, "rectified": 0.03, "accepted": 0.03, "reviewed": 0.02}
     | {"published": 0.04, "closed": 0.78}),
)  # fmt: skip
LADDER = ("investigating", "rectified", "accepted", "reviewed", "published", "closed")


@dataclass(frozen=True)
class TaskDef:
    """A rectification task of the feedback (反馈意见) and where the demo takes it."""

    number: str
    issue: str
    goal: str
    lead: str
    target: str
    due_days: int
    measures: tuple[tuple[str, str, str], ...]  # type, measure, completion evidence
    common: bool = True


TASKS: tuple[TaskDef, ...] = (
    TaskDef(
        "200(19-3)",
        "对群众反映的突出问题重视不够。一些地方和部门对群众环境权益重视不够，在解决群众环境诉求"
        "方面不愿作为，敷衍搪塞，导致一些群众身边的环境问题长期得不到有效解决。",
        "减少信访数量，提高办案质量，对群众信访案件逐一销号。",
        "市生态环境局", "closed", 45,
        (
            ("政策措施", "出台《鞍山市群众诉求办理条例》，规范诉求受理、转办、查办、督办",
             "条例已经市人大常委会审议通过并公布施行"),
            ("工程措施", "完善生态环保诉求管理系统，实现受理、转办、查办、督办一条龙管理",
             "系统已上线运行并通过竣工验收"),
            ("追责问责", "对履职不到位，不敢为、不愿为、乱作为的严肃问责",
             "移交市纪委监委问题线索已办结，问责结果已通报"),
        ),
    ),
    TaskDef(
        "201(19-4)",
        "海城市菱镁行业粗放发展，部分企业环保设施简陋，矿区及周边粉尘污染问题突出。",
        "淘汰落后产能，完成菱镁行业整合提升，矿区及周边环境空气质量明显改善。",
        "海城市人民政府", "investigating", 240,
        (
            ("关停搬迁", "依法关停淘汰反射窑等落后产能", "已关停反射窑并拆除主体设备"),
            ("工程措施", "企业除尘设施提标改造、物料堆场全封闭", "改造工程已完工并通过验收"),
            ("案件查处", "严厉查处超标排放、无组织排放等违法行为", "处罚已执行，违法行为已纠正"),
        ),
        False,
    ),
    TaskDef(
        "87(8-2)",
        "城镇污水处理设施建设滞后，部分区域管网不配套、雨污合流，运粮河、南沙河存在污水直排问题。",
        "完成建成区截污纳管和雨污分流改造，消除污水直排口。",
        "市水务局", "investigating", 65,
        (
            ("工程措施", "实施运粮河、南沙河截污纳管工程", "截污纳管工程已完工并通过竣工验收"),
            ("政策措施", "制定城市黑臭水体治理长效管护办法", "管护办法已印发施行"),
        ),
    ),
    TaskDef(
        "126(12-1)",
        "岫岩县部分玉石、滑石矿山无证开采、越界开采，矿山生态修复严重滞后。",
        "关闭无证矿山，完成历史遗留矿山生态修复任务。",
        "岫岩县人民政府", "rectified", 60,
        (
            ("关停搬迁", "依法关闭无证矿山", "无证矿山已全部关闭，设备设施已拆除"),
            ("工程措施", "实施矿山地质环境治理和植被恢复工程", "修复工程已完工并通过验收"),
            ("案件查处", "查处无证开采、越界开采案件", "处罚已执行到位，违法开采已停止"),
        ),
        False,
    ),
    TaskDef(
        "143(14-2)",
        "畜禽养殖污染治理不到位，禁养区内仍有规模养殖场，粪污资源化利用率偏低。",
        "禁养区内规模养殖场全部关闭搬迁，粪污综合利用率达到考核要求。",
        "台安县人民政府", "investigating", 150,
        (
            ("政策措施", "修订畜禽养殖禁养区划定方案", "方案已经县政府批准并公布"),
            ("关停搬迁", "关闭搬迁禁养区内规模养殖场", "已完成关闭搬迁并拆除棚舍"),
            ("工程措施", "建设粪污集中处理中心", "处理中心已建成并通过验收"),
        ),
    ),
    TaskDef(
        "58(6-1)",
        "钢铁行业超低排放改造进度滞后，无组织排放问题突出。",
        "按期完成钢铁企业超低排放改造和评估监测。",
        "市工信局", "accepted", 50,
        (
            ("工程措施", "实施烧结、球团工序超低排放改造", "改造完成并通过评估监测"),
            ("案件查处", "查处无组织排放违法行为", "处罚已执行，问题已整改"),
        ),
    ),
    TaskDef(
        "160(15-3)",
        "生活垃圾填埋场渗滤液处理能力不足，渗滤液积存量大，存在环境风险。",
        "渗滤液处理能力满足需要，积存渗滤液全部处理达标。",
        "市城管局", "reviewed", 50,
        (
            ("工程措施", "扩建渗滤液处理站", "扩建工程已完工并通过竣工验收"),
            ("工程措施", "实施填埋区封场覆盖", "封场工程已完工并通过验收"),
        ),
    ),
    TaskDef(
        "176(17-1)",
        "千山风景名胜区内违规建设农家乐、别墅等问题整改不彻底。",
        "违规建筑全部拆除，完成植被恢复。",
        "千山风景区管理局", "investigating", 200,
        (
            ("关停搬迁", "拆除景区内违规建筑", "违规建筑已拆除，建筑垃圾已清运"),
            ("工程措施", "实施拆除区域植被恢复", "植被恢复工程已完工并验收"),
            ("追责问责", "对违规审批、监管失职人员追责问责", "问责决定已作出并执行"),
        ),
        False,
    ),
    TaskDef(
        "188(18-2)",
        "部分企业危险废物规范化管理不到位，非法转移倾倒风险突出。",
        "危险废物全过程监管体系健全，非法转移倾倒案件全部查处到位。",
        "市生态环境局", "closed", 40,
        (
            ("政策措施", "制定危险废物全过程监管办法", "办法已印发施行"),
            ("案件查处", "开展危险废物专项执法", "立案查处案件已全部执行到位"),
        ),
    ),
    TaskDef(
        "195(18-9)",
        "城市建筑施工和道路扬尘管控不严，降尘量居高不下。",
        "建筑工地扬尘防控措施全面落实，城市降尘量明显下降。",
        "市住建局", "published", 45,
        (
            ("政策措施", "出台建筑工地扬尘污染防治管理规定", "规定已印发施行"),
            ("案件查处", "查处未落实扬尘防控措施的工地", "处罚已执行，工地已整改"),
        ),
    ),
    TaskDef(
        "203(19-6)",
        "一些地方和部门生态环境保护责任落实不到位，存在表面整改、敷衍整改问题。",
        "压实生态环境保护责任，杜绝表面整改、敷衍整改。",
        CITY_OFFICE, "investigating", 120,
        (
            ("追责问责", "对表面整改、敷衍整改问题严肃追责", "问责已落实并通报"),
            ("政策措施", "建立督察整改销号验收和复核工作制度", "制度已印发施行"),
        ),
    ),
    TaskDef(
        "91(8-6)",
        "杨柳河千山区段存在黑臭水体，沿河排污口整治不彻底。",
        "消除杨柳河千山区段黑臭水体，水质达到考核目标。",
        "千山区人民政府", "assigned", 150,
        (
            ("工程措施", "实施杨柳河沿河截污和清淤工程", "工程已完工并通过竣工验收"),
            ("案件查处", "查处沿河企业违法排污行为", "处罚已执行，排污口已封堵"),
        ),
        False,
    ),
)  # fmt: skip


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


# --- loading --------------------------------------------------------------------------


def load(engine: Engine, at: datetime, rules: Rules) -> str:
    """Load the demo data; returns a one-line summary (or says it was loaded before)."""
    with engine.connect() as conn:
        if _loaded(conn):
            return _already(conn)
    drafts = plan(at, rules)
    with writing(engine) as conn:
        if _loaded(conn):  # another load got there first
            return _already(conn)
        _units(conn)
        ids = _register(conn, drafts, rules)
    replay = _replay_engine(engine)
    try:
        _replay(replay, drafts, ids, rules)
    finally:
        if replay is not engine:
            replay.dispose()
    item = table(Item)
    with engine.connect() as conn:
        q = select(item.c.state, func.count()).where(item.c.id.in_(list(ids.values())))
        states: dict[str, int] = {r[0]: r[1] for r in conn.execute(q.group_by(item.c.state))}
    cases = sum(1 for d in drafts if d.kind == "case")
    spread = ", ".join(f"{s.value} {states.get(s.value, 0)}" for s in State)
    return (
        f"演示数据已载入 / demo loaded at {to_local_iso(at)}: {cases} cases and "
        f"{len(drafts) - cases} tasks of {ROUND} in Anshan ({spread}); "
        "`rectiflow sweep` now escalates the overdue ones"
    )


def _loaded(conn: Connection) -> bool:
    h = table(History)
    q = select(h.c.id).where(h.c.event == "register", h.c.actor == DEMO_ACTOR).limit(1)
    return conn.execute(q).first() is not None


def _already(conn: Connection) -> str:
    h = table(History)
    q = select(func.count()).where(h.c.event == "register", h.c.actor == DEMO_ACTOR)
    n = conn.execute(q).scalar_one()
    return f"演示数据此前已载入，未重复载入 / the demo is already loaded ({n} items); nothing added"


def _units(conn: Connection) -> None:
    """Anshan's districts and the unit tree city → district → unit, where not there yet."""
    dt, ut = table(District), table(Unit)
    have = set(conn.execute(select(dt.c.name)).scalars())
    if missing := [{"name": n} for n in CASES if n not in have]:
        conn.execute(insert(dt), missing)
    districts: dict[str, int] = {r[0]: r[1] for r in conn.execute(select(dt.c.name, dt.c.id))}
    units: dict[str, int] = {r[0]: r[1] for r in conn.execute(select(ut.c.name, ut.c.id))}

    def add(name: str, parent: str | None, district: str | None) -> None:
        if name not in units:
            row = {"name": name, "parent_id": units.get(parent or "")}
            row["district_id"] = districts.get(district or "")
            units[name] = conn.execute(insert(ut).values(**row)).inserted_primary_key[0]  # type: ignore[index]

    add(CITY, None, None)
    for name in CITY_SUPERVISING:
        add(name, CITY, name)
    for name in (*CITY_DEPARTMENTS, CITY_OFFICE):
        add(name, CITY, None)
    for district, government in GOVERNMENT.items():
        add(government, CITY, district)
        for dept in DEPARTMENTS.values() if district in REGULAR else ():
            add(f"{district}{dept}", government, district)


def _register(
    conn: Connection, drafts: Sequence[Draft], rules: Rules
) -> dict[tuple[str, str], int]:
    """Register every draft, one ``register`` per assignment (交办) instant."""
    ids: dict[tuple[str, str], int] = {}
    groups: dict[tuple[datetime, str], list[Draft]] = {}
    for d in drafts:
        groups.setdefault((d.assigned, d.kind), []).append(d)
    for (when, kind), group in sorted(groups.items(), key=lambda g: g[0]):
        items = [parse_new(kind, d.data) for d in group]
        new = register(conn, items, actor=DEMO_ACTOR, role="coordinator", at=when, rules=rules)
        ids |= {(d.ref, kind): i for d, i in zip(group, new, strict=True)}
    return ids


def _replay_engine(engine: Engine) -> Engine:
    """The engine the lives are played on.

    Thousands of small transactions: on a SQLite file they are written with
    ``synchronous=NORMAL``, which in WAL mode may lose the last ones on a power cut but
    never corrupts the database, instead of waiting for the disk after every one.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return engine
    return make_engine(url.render_as_string(hide_password=False), synchronous="NORMAL")


def _replay(
    engine: Engine, drafts: Sequence[Draft], ids: Mapping[tuple[str, str], int], rules: Rules
) -> None:
    """Fire every step of every item, as its users would."""
    for d in drafts:
        ref = f"#{ids[d.ref, d.kind]}"
        for s in d.steps:
            if s.event == "update":
                update_item(
                    engine, ref, actor=s.actor, role=s.role, at=s.at, data=s.data, kind=d.kind
                )
            else:
                fire(
                    engine,
                    ref,
                    s.event,
                    actor=s.actor,
                    role=s.role,
                    at=s.at,
                    data=s.data,
                    idempotency_key=s.key,
                    kind=d.kind,
                    rules=rules,
                )


# --- drafting -------------------------------------------------------------------------


def plan(at: datetime, rules: Rules) -> list[Draft]:
    """Every demo item with its life up to ``at``; pure and deterministic."""
    rng = random.Random(SEED)
    today = local_date(at)
    drafts = _cases(rng, today) + _tasks(rng, today)
    _targets(rng, drafts, today)
    life = _Life(at, rules)
    for d in drafts:
        d.steps = life.steps(d)
        life.revisit(d)
    life.objections(drafts, 2)
    filings = sorted((s.at, s) for d in drafts for s in d.steps if s.event == "file")
    for n, (when, s) in enumerate(filings, 1):
        s.data["filing_no"] = f"鞍督改备〔{when.year}〕{n:04d}号"
    return drafts


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


def _office_phone(rng: random.Random) -> str:
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


def _cases(rng: random.Random, today: date) -> list[Draft]:
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
        complainant = {"name": _person(rng), "phone": _mobile(rng)}
    elif roll > 0.12:
        complainant = {"phone": _mobile(rng) if rng.random() < 0.5 else _office_phone(rng)}
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
        people={r: _person(rng) for r in roles},
    )


def _duplicate(rng: random.Random, original: Draft, today: date) -> Draft:
    """A repeat complaint about the same problem (重复访), assigned a few batches later."""
    dup = _case(rng, original.district or "", original.batch + rng.randint(2, 6), today)
    same = ("lead_unit", "supervising_unit", "summary", "address", "pollution_types", "category")
    dup.data |= {k: original.data[k] for k in same}
    dup.data["content"] = "再次" + str(original.data["content"])
    dup.original, dup.lead, dup.tpl, dup.text = original, original.lead, original.tpl, original.text
    return dup


def _tasks(rng: random.Random, today: date) -> list[Draft]:
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
            "leader": f"分管副市长{_person(rng)}",
            "rectification_due": due.isoformat(),
            "measures": [{"type": m[0], "text": m[1]} for m in t.measures],
        }
        people = {"operator": _person(rng), "acceptance": _person(rng)}
        drafts.append(
            Draft(
                "task", None, 0, assigned, due, data, t.lead, task=t, target=t.target, people=people
            )
        )
    return drafts


def _targets(rng: random.Random, drafts: Sequence[Draft], today: date) -> None:
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
            (_person(rng), "市生态环境局", "科长"),
            (_person(rng), supervising, "副科长"),
        ]
        data = {
            "intake_no": d.ref,
            "group_leader": d.people["acceptance"],
            "opinion_rectification": d.text.get("done", "整改措施已全部完成并达到整改标准"),
            "opinion_penalties": "行政处罚已执行到位" if d.fine else "不涉及行政处罚",
            "opinion_satisfaction": "不适用" if d.task else f"{who}对整改结果满意并签字",
            "opinion_accountability": "问责已落实" if d.key_case else "不涉及追责问责",
            "members": [
                {"name": n, "unit": u, "title": t, "phone": _office_phone(rng), "signed": True}
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
            {"point": p, "body": b, "signer": _person(self.rng)} for p in points for b in bodies[p]
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
