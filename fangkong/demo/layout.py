"""Where the demo's people live: the standard district (迎泽区, after the April 2022 story:
two street offices, four communities with their grids, compounds and buildings) and the
layout rules of generated city-scale communities."""

import math
from dataclasses import dataclass

from fangkong.registry.models import Kind

from .people import sizes_for_residents

# --- the standard layout ----------------------------------------------------------


@dataclass
class Building:
    name: str
    units: int  # 0: households hang on the building itself
    floors: int
    doors: int  # per floor, per unit


@dataclass
class Compound:
    name: str
    buildings: list[Building]
    extras: tuple = ()  # non-residential places under the compound: (kind, name)


@dataclass
class CommunitySpec:
    key: str  # short latin name, used in usernames
    name: str
    grids: list[tuple[str, list[Compound]]]
    households: int  # occupied flats
    residents: int | None = None  # exact total, or as the household sizes fall
    profile: str = "general"  # or "elderly"
    region: str = "140106"  # the usual region code of the ID numbers of people here
    extras: tuple = ()  # non-residential places under the community
    sizes: list[int] | None = None  # household sizes, if decided already


def _blocks(n, units, floors, doors, start=1):
    return [Building(f"{i}号楼", units, floors, doors) for i in range(start, start + n)]


DISTRICT = ("迎泽区", "140106")
STANDARD = {
    "桥东街道": [
        CommunitySpec(
            "guangming", "光明社区",
            [("第一网格", [Compound(
                "光明小区",
                # Walk-ups of the 1980s: no lifts, which is why so many cannot go down.
                _blocks(4, 3, 5, 2) + _blocks(6, 3, 6, 2, start=5),
                extras=((Kind.SAMPLING_POINT, "光明小区核酸采样点"),
                        (Kind.CHECKPOINT, "光明小区东门卡口")))])],
            households=308, profile="elderly"),
        CommunitySpec(
            "shuangta", "双塔社区",
            [("第一网格", [Compound("双塔西苑", _blocks(4, 2, 6, 2))]),
             ("第二网格", [Compound("双塔东苑", _blocks(3, 2, 6, 2)),
                           Compound("文化宫宿舍", _blocks(1, 0, 5, 3))])],
            households=168),
    ],
    "迎泽街道": [
        CommunitySpec(
            "huize", "惠泽苑社区",
            [("第一网格", [Compound("惠泽苑小区", _blocks(8, 2, 6, 2),
                                   extras=((Kind.SAMPLING_POINT, "惠泽苑小区核酸采样点"),)),
                           Compound("康乐苑", _blocks(3, 2, 6, 2))]),
             ("第二网格", [Compound("金兴小区", _blocks(6, 2, 6, 2)),
                           Compound("供销宿舍", _blocks(2, 0, 5, 4)),
                           Compound("粮食局宿舍", _blocks(2, 2, 5, 2))]),
             ("第三网格", [Compound("建设里小区", _blocks(5, 3, 6, 2)),
                           Compound("电业宿舍", _blocks(3, 2, 6, 2))]),
             ("第四网格", [Compound("新华苑", _blocks(4, 2, 6, 2)),
                           Compound("水利宿舍", _blocks(2, 2, 6, 2)),
                           Compound("和平小区", _blocks(4, 2, 6, 2)),
                           Compound("税务宿舍", _blocks(1, 3, 6, 2))])],
            households=962, residents=3046,
            extras=((Kind.SHOP, "美特好超市惠泽苑店"), (Kind.CHECKPOINT, "惠泽苑北门卡口"))),
        CommunitySpec(
            "qingnian", "青年路社区",
            [("第一网格", [Compound("青年苑", _blocks(5, 2, 6, 2))]),
             ("第二网格", [Compound("铁路宿舍", _blocks(2, 3, 5, 2)),
                           Compound("邮电宿舍", _blocks(1, 2, 6, 2))])],
            households=188),
    ],
}
DISTRICT_EXTRAS = ((Kind.QUARANTINE_SITE, "迎泽区集中隔离点"),)


# --- city scale -----------------------------------------------------------------

CITY_DISTRICTS = [("小店区", "140105"), ("杏花岭区", "140107"), ("尖草坪区", "140108"),
                  ("万柏林区", "140109"), ("晋源区", "140110"), ("清徐县", "140121"),
                  ("阳曲县", "140122"), ("娄烦县", "140123"), ("古交市", "140181")]
STREET_NAMES = {
    "迎泽区": "柳巷 文庙 庙前 老军营 郝庄 杨家堡",
    "小店区": "坞城 营盘 北营 平阳路 黄陵 亲贤 龙城 小店 学府 人民南路",
    "杏花岭区": "巨轮 三桥 鼓楼 杏花岭 坝陵桥 大东关 职工新村 敦化坊 涧河 杨家峪",
    "尖草坪区": "古城 光社 上兰 汇丰 尖草坪 迎新街 新城 均安",
    "万柏林区": "千峰 下元 和平 万柏林 兴华 西铭 白家庄 杜儿坪 南寒 东社 化客头 小井峪",
    "晋源区": "义井 罗城 晋源 金胜 晋祠 姚村",
    "清徐县": "清源 徐沟 东于 孟封",
    "阳曲县": "黄寨 大盂 东黄水",
    "娄烦县": "娄烦 静游 杜交曲",
    "古交市": "东曲 西曲 桃园 屯兰 河口",
}
PLACE_STEMS = ("东风 新华 和平 建设 胜利 解放 朝阳 前进 红旗 光华 文化 育才 康宁 长风 平阳 滨河 "
               "龙城 晋阳 汾东 汾西 锦绣 幸福 团结 友谊 丰收 阳光 绿洲 金桥 银河 春晖 万象 "
               "云路 柳溪 桃园 梨园 枣园 槐树 杨柳 桑园 松涛 柏林 翠竹 兰亭 菊香 雅苑 安居 "
               "乐业 丽华 东城 西城 南关 北关 新村 铁路 电力 煤炭 纺织 机械 化工 钢城").split()
COMPOUND_SUFFIXES = "小区 苑 花园 家园 新村 宿舍 公寓 里".split()


# --- city-scale layout ------------------------------------------------------------

def city_community_spec(rng, index: int, name: str, residents: int, region: str) -> CommunitySpec:
    """An ordinary community of `residents` people: grids of ~320 households, walk-ups,
    some mid-rises and towers."""
    sizes = sizes_for_residents(rng, residents)
    n = len(sizes)
    need = math.ceil(n / rng.uniform(0.88, 0.97))
    kinds = [((2, 6, 2), 30), ((3, 6, 2), 20), ((4, 6, 2), 8), ((2, 5, 2), 15),
             ((2, 11, 2), 12), ((1, 18, 4), 10), ((2, 18, 2), 5)]
    shapes, cap = [], 0
    while cap < need:
        units, floors, doors = rng.choices([k for k, _w in kinds], [w for _k, w in kinds])[0]
        shapes.append((units, floors, doors))
        cap += units * floors * doors
    n_grids = max(1, round(n / 320))
    n_compounds = min(len(shapes), max(n_grids, n_grids * rng.randint(1, 3)))
    stems = rng.sample(PLACE_STEMS, min(n_compounds, len(PLACE_STEMS)))
    compounds = []
    per = len(shapes) / n_compounds
    for c in range(n_compounds):
        part = shapes[round(c * per):round((c + 1) * per)]
        stem = stems[c % len(stems)] + ("" if c < len(stems) else str(c // len(stems) + 1))
        compounds.append(Compound(stem + rng.choice(COMPOUND_SUFFIXES),
                                  [Building(f"{i}号楼", *s) for i, s in enumerate(part, 1)]))
    for i, c in enumerate(compounds):  # names unique within the community
        if any(o.name == c.name for o in compounds[:i]):
            c.name = f"{c.name}{i + 1}"
    grids = []
    per_grid = n_compounds / n_grids
    for g in range(n_grids):
        grids.append((f"第{'一二三四五六七八九十'[g] if g < 10 else g + 1}网格",
                      compounds[round(g * per_grid):round((g + 1) * per_grid)]))
    return CommunitySpec(f"city{index}", name, grids, households=n, region=region, sizes=sizes)


def city_names(rng, count: int) -> list[str]:
    names = []
    mods = ["", "东", "西", "南", "北", "新", "前", "后", "中"]
    for m in mods:
        for s in PLACE_STEMS:
            names.append(f"{s}{m}社区" if m else f"{s}社区")
    rng.shuffle(names)
    out = names[:count]
    i = len(out)
    while len(out) < count:
        out.append(f"{names[i % len(names)][:-2]}{i // len(names) + 1}社区")
        i += 1
    return out
