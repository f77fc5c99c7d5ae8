"""Demo data: a realistic, deterministic district to try Fangkong on, and city-scale data
for benchmarks.

The standard demo is one district (迎泽区, 140106) with two street offices and four
communities, laid out after the April 2022 newspaper story in `docs/` and DOMAIN.md:

- 光明社区: one compound, 光明小区 (a power-plant staff compound), 308 households whose
  residents average over 70 — many living alone, bedridden, with limited mobility, on
  dialysis, without smartphones;
- 惠泽苑社区: 4 grids, 11 compounds, 962 households, 3,046 residents;
- 双塔社区 and 青年路社区: two smaller, ordinary communities;

plus one demo account for every role (password `DEMO_PASSWORD`). `build(residents=N)`
adds generated communities of about 2,000 residents in further streets and districts
until the total is N (1,000,000 → about 500 communities), for benchmarks.

Determinism: the same seed and the same reference date (`as_of`, by default 1 January of
the current year, so a build is the same all year) give the same rows, byte for byte,
except where the design forbids it: `id_enc` (Fernet encryption uses a random IV),
`id_hash` (keyed by the install's FANGKONG_HASH_KEY), the created/updated timestamps
(the build time) and primary keys (they continue the database's sequences). `digest()`
summarises everything else.

People are fictional: names drawn with realistic surname frequencies (Shanxi-flavoured)
and era-typical given names; ID numbers are well formed (real region codes, the birth
date, a sequence whose parity is the sex, a valid check digit) but made up; mobile numbers
are distinct by construction.

Administrative places (district, street, community, grid) and the demo accounts are made
through the actions, one by one and audited; the physical layout (compounds, buildings,
units), households and residents are written in bulk, with every derived field set exactly
as `actions.apply_resident_fields` sets it (it is called on each unsaved resident).
"""

import base64
import datetime
import hashlib
import math
import random
import sys
import time
from array import array
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.actor import Actor
from fangkong.core.pii import make_id_number

from . import actions
from .models import (
    LEVEL_FIELDS,
    Household,
    Kind,
    Place,
    Presence,
    Relation,
    Resident,
    Tag,
    natural_key,
)

DEMO_PASSWORD = "fangkong-demo"  # demo data or a column name, not a secret  # nosec B105
CHUNK = 5000  # residents written per batch
BIG_LOAD = 100_000  # generated residents from which PostgreSQL indexes are built at the end

# --- names -------------------------------------------------------------------

# Surname frequencies (per mille, rounded): the national top 100 with Shanxi's own
# common names (郭, 武, 贾, 郝, 闫, 薛, 乔, 牛, 霍, 冀…) weighted up.
SURNAMES = (
    "王80 李74 张70 刘58 杨33 郭30 赵26 陈24 武16 贾15 梁15 高15 郝13 田12 韩12 孙12 马11 "
    "闫11 任10 吴9 史9 薛9 乔8 段8 牛8 宋8 程8 白8 范7 冯7 周7 徐7 胡7 朱6 秦6 侯6 温6 董6 "
    "申5 霍5 曹5 苏5 吕5 魏5 崔5 石5 孟5 卫4 冀4 阎4 姚4 康4 常4 于4 黄4 杜4 耿3 路3 何3 罗3 "
    "郑3 许3 袁3 付3 贺3 卢3 姜3 丁3 林2 谢2 唐2 邓2 彭2 肖2 潘2 蒋2 蔡2 金2 夏2 尹2 雷2 "
    "毛2 孔2 解2 翟2 曾1 叶1 沈1 钟1 陆1 廖1 方1 邹1 熊1 邱1 龚1 邵1 万1 钱1 严1 单1 赫1"
).split()
_SURNAME_CHARS = [s[0] for s in SURNAMES]
_SURNAME_CUM = []
_total = 0
for _s in SURNAMES:
    _total += int(_s[1:])
    _SURNAME_CUM.append(_total)

# Given names by birth era and sex: whole names, one-character names, and characters to
# compose two-character names from. (era starts at the year given)
_GIVEN = {
    (0, "M"): ("建国 建华 国庆 国华 国强 志强 志明 德福 德胜 德明 长海 长青 福生 保国 宝山 玉山 "
               "振华 永祥 文斌 明亮 跃进 卫东 树林 金山 满仓 根生 来福 学文 世杰 殿龙 新民",
               "明 刚 勇 斌 忠 林 山 宏 军 华 平 福 海 成 祥",
               "建 国 志 德 长 福 保 宝 玉 振 永 文 明 跃 卫 树 金 根 来 学 世 殿 新 增 培",
               "国 华 强 明 福 胜 海 青 生 山 祥 斌 亮 进 东 林 仓 旺 龙 民 杰 堂 义 贵 才"),
    (0, "F"): ("桂英 秀英 玉兰 秀兰 桂兰 凤英 淑珍 淑英 玉珍 玉梅 秀珍 秀芳 翠花 桂芳 秀梅 凤兰 "
               "兰英 美兰 爱玲 爱敏 春燕 素珍 桂香 金凤 爱莲 巧珍 引弟 改英 存英",
               "兰 英 珍 华 芳 梅 琴 凤 霞 莲",
               "桂 秀 玉 凤 淑 翠 兰 美 爱 春 素 金 巧 改 存 月 丽 彩",
               "英 兰 珍 梅 芳 花 香 凤 莲 琴 娥 霞 枝 仙 荣"),
    (1960, "M"): ("建军 建伟 志刚 晓东 晓明 红军 卫国 海军 永强 立新 利军 新勇 俊峰 海涛 文杰 "
                  "海峰 宏伟 建平 军平 小平",
                  "伟 勇 军 磊 涛 强 斌 波 辉 刚 鹏 健 峰 超 杰",
                  "建 志 晓 红 卫 海 永 立 利 新 俊 文 宏 军 小 向 国 爱",
                  "军 伟 刚 东 明 国 强 新 峰 涛 杰 平 勇 斌 华"),
    (1960, "F"): ("丽娜 晓燕 海燕 丽华 红梅 秀丽 春梅 艳红 晓红 建英 丽萍 雪梅 瑞芳 爱华 小红 "
                  "卫红 彩霞 文娟",
                  "丽 静 敏 燕 艳 红 霞 娟 芳 萍 玲 慧 洁 娜 英",
                  "丽 晓 海 红 秀 春 艳 建 雪 瑞 爱 小 卫 彩 文 美",
                  "娜 燕 华 梅 丽 红 英 萍 芳 霞 娟 玲 琴 敏"),
    (1980, "M"): ("鹏飞 晓军 建强 志勇 俊杰 亚军 晓峰 文龙 伟强 海波 少华 永刚",
                  "浩 鑫 杰 宇 鹏 超 亮 凯 帅 磊 旭 晨 昊 龙 斌",
                  "鹏 晓 建 志 俊 亚 文 伟 海 国 宏 少 永 嘉",
                  "飞 军 强 勇 杰 峰 龙 伟 波 鹏 涛 宇 斌 辉"),
    (1980, "F"): ("婷婷 丽娜 晓丽 雅琴 晓霞 丽君 亚楠 文静 晓燕 芳芳 娟娟 艳霞",
                  "婷 静 倩 娜 洁 琳 颖 丹 璐 蕾 佳 瑶 雪 敏",
                  "晓 丽 雅 亚 文 婷 佳 思 雪 海 艳 春",
                  "丽 琴 霞 君 楠 静 燕 芳 婷 娟 洁 颖"),
    (1995, "M"): ("浩然 子豪 俊杰 宇航 家豪 博文 志远 天宇 明轩 嘉伟 泽宇 一鸣 浩宇 思远 文博 "
                  "振宇 宇轩",
                  "浩 鑫 杰 宇 旭 晨 昊 凯 帅 博 航 轩",
                  "浩 子 俊 宇 家 博 志 天 明 嘉 泽 一 思 文 振 梓",
                  "然 豪 杰 航 文 远 宇 轩 伟 鸣 博 涛 阳"),
    (1995, "F"): ("雨涵 思雨 梦琪 诗琪 佳琪 晓雪 雅婷 欣怡 佳怡 心怡 可欣 紫萱 雨欣",
                  "雪 佳 琳 欣 颖 倩 悦 璐 丹 蕊 瑶 萌",
                  "雨 思 梦 诗 佳 晓 雅 欣 心 可 紫 梓 婉",
                  "涵 雨 琪 雪 婷 怡 欣 萱 瑶 彤 然"),
    (2010, "M"): ("子轩 浩宇 宇轩 梓睿 一诺 沐宸 皓轩 俊熙 子墨 奕辰 宇泽 梓豪 锦程 博宇 晨阳",
                  "睿 铭 泽 煜 辰 轩 宸 航",
                  "子 浩 宇 梓 一 沐 皓 俊 奕 锦 博 晨 铭",
                  "轩 宇 睿 诺 宸 熙 墨 辰 泽 豪 程 阳"),
    (2010, "F"): ("梓涵 一诺 欣怡 子涵 语桐 雨桐 若汐 梓萱 诗涵 可馨 依诺 芷若 沐晴 语汐 安琪 "
                  "思彤 梦瑶 欣妍",
                  "悦 萱 涵 琪 彤 瑶",
                  "梓 一 欣 子 语 雨 若 诗 可 依 芷 沐 安 思 梦",
                  "涵 诺 怡 桐 汐 萱 馨 若 晴 琪 彤 瑶 妍"),
}
_GIVEN = {k: tuple(part.split() for part in v) for k, v in _GIVEN.items()}
_ERAS = sorted({era for era, _sex in _GIVEN}, reverse=True)
# Share of one-character given names by era (high in the 1960s–80s, rare today).
_SINGLE = {0: 0.18, 1960: 0.30, 1980: 0.28, 1995: 0.12, 2010: 0.06}

# --- region codes for ID numbers ----------------------------------------------

TAIYUAN = ["140105", "140106", "140107", "140108", "140109", "140110", "140121", "140122",
           "140123", "140181"]
# Taiyuan's urban districts before 1997 (people issued an ID then keep it).
TAIYUAN_OLD = {"140106": "140102", "140107": "140103", "140109": "140104", "140105": "140112",
               "140108": "140113"}
SHANXI = ["140202", "140302", "140402", "140502", "140602", "140702", "140802", "140902",
          "141002", "141102"]
ELSEWHERE = ["130102", "150102", "370102", "410102", "610102", "110105", "120101"]
REGIONS = TAIYUAN + sorted(set(TAIYUAN_OLD.values())) + SHANXI + ELSEWHERE
_REGION_INDEX = {code: i for i, code in enumerate(REGIONS)}
_EPOCH = datetime.date(1900, 1, 1).toordinal()

# Mobile prefixes of the three carriers (137 is left out: the demo accounts use it).
MOBILE_PREFIXES = ("134 135 136 138 139 147 150 151 152 157 158 159 178 182 183 184 187 188 "
                   "198 130 131 132 155 156 166 175 176 185 186 133 153 173 177 180 181 189 "
                   "191 199").split()
_PHONE_A = 73_939_133  # coprime with 10: i → (A·i + C) mod 10^8 is a bijection

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

# Demo accounts: (username, role, where, display name). "where" names a place by its path
# below the district ("" is the district); the resident's household is found in build().
DEMO_USERS = [
    ("command_yingze", Role.COMMAND, "", "王建华"),
    ("command_qiaodong", Role.COMMAND, "桥东街道", "李志刚"),
    ("staff_guangming", Role.STAFF, "桥东街道/光明社区", "赵静"),
    ("staff_shuangta", Role.STAFF, "桥东街道/双塔社区", "刘丽萍"),
    ("staff_huize", Role.STAFF, "迎泽街道/惠泽苑社区", "孙海燕"),
    ("staff_qingnian", Role.STAFF, "迎泽街道/青年路社区", "杨帆"),
    ("grid_guangming", Role.GRID, "桥东街道/光明社区/第一网格", "郭晓东"),
    ("grid_huize_1", Role.GRID, "迎泽街道/惠泽苑社区/第一网格", "张伟"),
    ("grid_huize_2", Role.GRID, "迎泽街道/惠泽苑社区/第二网格", "武丽娜"),
    ("grid_huize_3", Role.GRID, "迎泽街道/惠泽苑社区/第三网格", "贾鹏飞"),
    ("grid_huize_4", Role.GRID, "迎泽街道/惠泽苑社区/第四网格", "郝文静"),
    ("leader_guangming", Role.LEADER, "桥东街道/光明社区/第一网格/光明小区/3号楼", "梁建军"),
    ("volunteer_demo", Role.VOLUNTEER, "桥东街道/光明社区", "田晓燕"),
    ("lab_demo", Role.LAB, "", "韩磊"),
    ("supplier_demo", Role.SUPPLIER, "迎泽街道/惠泽苑社区", "美特好超市"),
    ("resident_demo", Role.RESIDENT, "桥东街道/光明社区/第一网格/光明小区/3号楼", ""),
]
DEMO_USERNAMES = [u[0] for u in DEMO_USERS]

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


# --- the generator ------------------------------------------------------------------


@dataclass
class Summary:
    seed: int
    as_of: datetime.date
    districts: int = 0
    streets: int = 0
    communities: int = 0
    grids: int = 0
    places: int = 0
    households: int = 0
    residents: int = 0
    users: int = 0
    seconds: float = 0.0


def _token(rng) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()


def _tri(rng, lo, hi, mode):
    return int(rng.triangular(lo, hi, mode))


def _levels_of(place) -> tuple:
    return tuple(getattr(place, f) for f in LEVEL_FIELDS)


@dataclass
class _Flat:
    holder_id: int
    levels: tuple
    door: str


@dataclass
class _Build:
    seed: int
    as_of: datetime.date
    progress: object
    loader: bulk.Loader = None
    id_offset: int = 0  # first sequence number of ID numbers per region, day and sex
    now: datetime.datetime = field(default_factory=timezone.now)
    phone_no: int = 0
    summary: Summary = None

    def __post_init__(self):
        self.actor = Actor.system(via="cli")
        self.summary = Summary(self.seed, self.as_of)
        self.n_days = self.as_of.toordinal() - _EPOCH + 1
        # Per (region, birth day, sex): how many ID numbers are taken (keeps them unique).
        self.id_counts = array("H", bytes(2 * len(REGIONS) * self.n_days * 2))
        self.phone_c = random.Random(f"fangkong-demo:{self.seed}:phones").randrange(10**8) | 1  # demo data, not a secret  # nosec B311
        self.new_place = bulk.prototype(Place, created_at=self.now)
        self.new_household = bulk.prototype(Household, place_id=0, created_at=self.now,
                                            updated_at=self.now)
        self.new_resident = bulk.prototype(Resident, household_id=0, token="",
                                           created_at=self.now, updated_at=self.now)  # an empty token on a row prototype, replaced before saving  # nosec B106
        self.households: list[Household] = []
        self.residents: list[Resident] = []

    # --- identifiers ----------------------------------------------------------
    def id_number(self, region: str, birth: datetime.date, male: bool) -> tuple[str, datetime.date]:
        r = _REGION_INDEX[region]
        while True:
            day = birth.toordinal() - _EPOCH
            slot = (r * self.n_days + day) * 2 + male
            k = self.id_counts[slot] + self.id_offset
            if k < 500:
                self.id_counts[slot] += 1
                seq = ((day * 131 + r * 17 + k) % 500) * 2 + male
                return make_id_number(region, birth, seq), birth
            birth -= datetime.timedelta(days=1)  # 500 people of one sex born that day here

    def mobile(self) -> str:
        i = self.phone_no
        self.phone_no += 1
        body = (_PHONE_A * i + self.phone_c) % 10**8
        return f"{MOBILE_PREFIXES[(i * 7 + body) % len(MOBILE_PREFIXES)]}{body:08d}"

    # --- places -----------------------------------------------------------------
    def place(self, parent, kind, name, **kw):
        p = actions.create_place(self.actor, parent, kind, name, **kw)
        self.summary.places += 1
        return p

    def layout(self, community, grids: list[tuple[Place, list[Compound]]]) -> list[_Flat]:
        """Write compounds, buildings and units in bulk; return every flat in order."""
        count = 0
        for _grid, compounds in grids:
            for c in compounds:
                count += 1
                for b in c.buildings:
                    count += 1 + b.units
        ids = iter(bulk.allocate_ids(Place, count))
        rows, flats = [], []

        def add(parent_levels, parent_id, depth, kind, name):
            p = self.new_place()
            p.id = next(ids)
            p.kind, p.name, p.depth, p.sort_key = kind, name, depth, natural_key(name)
            levels = list(parent_levels)
            levels[LEVEL_FIELDS.index(f"{kind}_id")] = p.id
            # Foreign keys straight into __dict__ (the FK descriptors cost ~10 µs a set here).
            p.__dict__["parent_id"] = parent_id
            p.__dict__.update(zip(LEVEL_FIELDS, levels, strict=True))
            rows.append(p)
            return p, tuple(levels)

        extras = []
        for grid, compounds in grids:
            for c in compounds:
                comp, comp_lv = add(_levels_of(grid), grid.id, grid.depth + 1, Kind.COMPOUND, c.name)
                extras += [(comp, kind, name) for kind, name in c.extras]
                for b in c.buildings:
                    bld, bld_lv = add(comp_lv, comp.id, comp.depth + 1, Kind.BUILDING, b.name)
                    holders = [(bld.id, bld_lv)]
                    if b.units:
                        holders = []
                        for u in range(1, b.units + 1):
                            unit, unit_lv = add(bld_lv, bld.id, bld.depth + 1, Kind.UNIT, f"{u}单元")
                            holders.append((unit.id, unit_lv))
                    for holder_id, lv in holders:
                        for floor in range(1, b.floors + 1):
                            for d in range(1, b.doors + 1):
                                flats.append(_Flat(holder_id, lv, f"{floor}{d:02d}"))
        self.loader.put(Place, rows)
        self.summary.places += len(rows)
        for parent, kind, name in extras:
            self.place(parent, kind, name)
        return flats

    # --- people -------------------------------------------------------------------
    def community(self, spec: CommunitySpec, street: Place, rng=None):
        rng = rng or random.Random(f"fangkong-demo:{self.seed}:{spec.key}:{spec.name}")  # demo data, not a secret  # nosec B311
        community = self.place(street, Kind.COMMUNITY, spec.name)
        self.summary.communities += 1
        for kind, name in spec.extras:
            self.place(community, kind, name)
        grids = []
        for grid_name, compounds in spec.grids:
            grid = self.place(community, Kind.GRID, grid_name) if grid_name else community
            self.summary.grids += bool(grid_name)
            grids.append((grid, compounds))
        flats = self.layout(community, grids)
        occupied = sorted(rng.sample(range(len(flats)), spec.households))
        sizes = spec.sizes or household_sizes(rng, spec.households, spec.residents, spec.profile)
        hh_ids = bulk.allocate_ids(Household, len(occupied))
        for flat_no, size, hh_id in zip(occupied, sizes, hh_ids, strict=True):
            self.household(rng, flats[flat_no], hh_id, size, spec)
        self.flush_rows()
        return community

    def household(self, rng, flat: _Flat, hh_id: int, size: int, spec: CommunitySpec):
        hh = self.new_household()
        hh.id, hh.door, hh.sort_key = hh_id, flat.door, natural_key(flat.door)
        levels = dict(zip(LEVEL_FIELDS, flat.levels, strict=True))
        hh.__dict__["place_id"] = flat.holder_id
        hh.__dict__.update(levels)  # = copy_levels(place)
        members = family(rng, size, spec.profile)
        oldest = max(m[2] for m in members)
        if oldest >= 60 and rng.random() < 0.35:
            hh.phone = f"0351{rng.randint(2, 8)}{rng.randrange(10**6):06d}"
        self.households.append(hh)
        for relation, sex, age, surname in members:
            self.residents.append(self.person(rng, hh, levels, relation, sex, age, surname, size,
                                              spec.region))
        if len(self.residents) >= CHUNK:
            self.flush_rows()

    def person(self, rng, hh, levels, relation, sex, age, surname, hh_size, region) -> Resident:
        facts = self.facts(rng, relation, sex, age, surname, hh_size, region)
        res = self.new_resident()
        res.token = _token(rng)
        res.__dict__["household_id"] = hh.id
        res.__dict__.update(levels)  # = copy_levels(hh)
        actions.apply_resident_fields(res, facts)
        return res

    def facts(self, rng, relation, sex, age, surname, hh_size, region) -> dict:
        """One person's registry fields, cleaned (as checks.check_resident returns them)."""
        birth = datetime.date.fromordinal(
            max(_EPOCH, self.as_of.toordinal() - int((age + rng.random()) * 365.2425)))
        idn, birth = self.id_number(_pick_region(rng, region, birth.year), birth, sex == "M")
        name = surname + given_name(rng, birth.year, sex)
        tags = []
        if age >= 60 and hh_size == 1:
            tags.append(Tag.ELDERLY_ALONE)
        if age < 3:
            tags.append(Tag.INFANT)
        roll = rng.random
        band = 0 if age >= 80 else 1 if age >= 70 else 2 if age >= 60 else 3
        if roll() < (0.25, 0.09, 0.03, 0.004)[band]:
            tags.append(Tag.LIMITED_MOBILITY)
        bedridden = roll() < (0.06, 0.02, 0.006, 0.0005)[band]
        if bedridden:
            tags.append(Tag.BEDRIDDEN)
        dialysis = roll() < (0.005 if age >= 60 else 0.0006 if age >= 30 else 0)
        if dialysis:
            tags.append(Tag.DIALYSIS)
        if roll() < (0.32 if age >= 60 else 0.10 if age >= 40 else 0.01):
            tags.append(Tag.CHRONIC)
        if sex == "F" and 20 <= age <= 42 and relation != Relation.CHILD and roll() < 0.04:
            tags.append(Tag.PREGNANT)
        if roll() < (0.08 if age >= 60 else 0.025):
            tags.append(Tag.DISABILITY)

        if age >= 16:
            has_phone = roll() < (0.75 if age >= 80 else 0.9 if age >= 70 else 0.97)
        else:
            has_phone = age >= 10 and roll() < 0.4
        phone = self.mobile() if has_phone else ""
        smart = has_phone and roll() < (0.98 if age < 55 else 0.88 if age < 65 else
                                        0.65 if age < 75 else 0.40 if age < 85 else 0.20)
        r = roll()
        p_away = 0.07 if 18 <= age <= 45 else 0.01 if age >= 80 else 0.03
        p_hosp = 0.004 + (0.04 if bedridden or dialysis else 0) + (0.01 if age >= 80 else 0)
        if r < 0.01:
            presence = Presence.MOVED_OUT
        elif r < 0.022:
            presence = Presence.QUARANTINE
        elif r < 0.022 + p_hosp:
            presence = Presence.HOSPITAL
        elif r < 0.022 + p_hosp + p_away:
            presence = Presence.AWAY
        else:
            presence = Presence.HOME
        notes = ""
        if bedridden:
            notes = "需上门采样"
        elif dialysis:
            notes = rng.choice(("每周一、三、五血透", "每周二、四、六血透"))
        elif Tag.ELDERLY_ALONE in tags and not phone:
            notes = "无手机，联系子女"

        return {"name": name, "id_number": idn, "sex": sex, "birth_date": birth, "phone": phone,
                "relation": relation, "presence": presence, "has_smartphone": smart,
                "tags": [str(t) for t in tags], "notes": notes}

    def flush_rows(self):
        if self.households:
            self.loader.put(Household, self.households)
            self.summary.households += len(self.households)
        if self.residents:
            self.loader.put(Resident, self.residents)
            self.summary.residents += len(self.residents)
            if self.progress is not None:
                self.progress.update(len(self.residents))
        self.households, self.residents = [], []


def _pick_region(rng, home: str, born: int) -> str:
    r = rng.random()
    if r < 0.72:
        code = home
        if born < 1982 and home in TAIYUAN_OLD and rng.random() < 0.5:
            code = TAIYUAN_OLD[home]  # issued before 1997 under the old district
        return code
    if r < 0.86:
        return rng.choice(TAIYUAN)
    if r < 0.97:
        return rng.choice(SHANXI)
    return rng.choice(ELSEWHERE)


def given_name(rng, born: int, sex: str) -> str:
    era = next(e for e in _ERAS if born >= e)
    whole, single, first, second = _GIVEN[(era, sex)]
    r = rng.random()
    if r < _SINGLE[era]:
        return rng.choice(single)
    if r < _SINGLE[era] + 0.45:
        return rng.choice(whole)
    return rng.choice(first) + rng.choice(second)


def surname(rng) -> str:
    return rng.choices(_SURNAME_CHARS, cum_weights=_SURNAME_CUM)[0]


# Household sizes: urban Shanxi averages about 2.5; the 光明小区 story is of old people,
# most alone or in couples.
SIZE_WEIGHTS = {
    "general": ([1, 2, 3, 4, 5, 6], [24, 31, 26, 12, 5, 2]),
    "elderly": ([1, 2, 3, 4], [44, 44, 8, 4]),
}


def household_sizes(rng, n: int, total: int | None, profile: str) -> list[int]:
    """`n` household sizes with the profile's distribution, summing to `total` if given."""
    values, weights = SIZE_WEIGHTS[profile]
    sizes = rng.choices(values, weights, k=n)
    if total is not None:
        if not n <= total <= n * 7:
            raise ValueError(f"cannot seat {total} residents in {n} households")
        diff = total - sum(sizes)
        while diff:
            i = rng.randrange(n)
            if diff > 0 and sizes[i] < 7:
                sizes[i] += 1
                diff -= 1
            elif diff < 0 and sizes[i] > 1:
                sizes[i] -= 1
                diff += 1
    return sizes


def sizes_for_residents(rng, total: int, profile="general") -> list[int]:
    """Household sizes that add up to exactly `total` residents."""
    values, weights = SIZE_WEIGHTS[profile]
    sizes, n = [], 0
    while n < total:
        s = min(rng.choices(values, weights)[0], total - n)
        sizes.append(s)
        n += s
    return sizes


# Who lives together: H head, S spouse, C child, P parent of the head, O the child's
# spouse, G grandchild. By profile and size: (composition, weight).
COMPOSITIONS = {
    "general": {
        2: [("HS", 75), ("HC", 25)],
        3: [("HSC", 70), ("HSP", 15), ("HCG", 5), ("HSC", 10)],
        4: [("HSCC", 40), ("HSCP", 30), ("HSCG", 30)],
        5: [("HSCCP", 40), ("HSCOG", 40), ("HSCPP", 20)],
        6: [("HSCOGG", 60), ("HSCCPP", 40)],
        7: [("HSCOGGP", 100)],
    },
    "elderly": {
        2: [("HS", 85), ("HC", 15)],
        3: [("HSC", 60), ("HCG", 40)],
        4: [("HSCG", 100)],
        5: [("HSCOG", 100)],
        6: [("HSCOGG", 100)],
        7: [("HSCOGGG", 100)],
    },
}


def family(rng, size: int, profile: str) -> list[tuple[str, str, int, str]]:
    """Members of one household: [(relation, sex, age, surname)], the head first."""
    elderly = profile == "elderly"
    if size == 1:
        if elderly:
            age = _tri(rng, 62, 97, 81) if rng.random() < 0.92 else _tri(rng, 45, 62, 58)
        else:
            r = rng.random()
            age = (_tri(rng, 20, 40, 28) if r < 0.3 else _tri(rng, 40, 60, 50) if r < 0.55
                   else _tri(rng, 60, 97, 74))
        sex = "F" if rng.random() < (0.63 if age >= 60 else 0.45) else "M"
        return [(Relation.HEAD, sex, age, surname(rng))]
    options = COMPOSITIONS[profile][min(size, 7)]
    comp = rng.choices([c for c, _w in options], [w for _c, w in options])[0]
    if "G" in comp:
        head_age = _tri(rng, 70, 94, 80) if elderly else _tri(rng, 52, 86, 62)
    elif "P" in comp:
        head_age = _tri(rng, 30, 62, 45)
    elif "C" in comp:
        head_age = _tri(rng, 66, 94, 79) if elderly else _tri(rng, 27, 72, 42)
    else:
        head_age = _tri(rng, 66, 94, 78) if elderly else _tri(rng, 23, 90, 62)
    couple = "S" in comp
    head_sex = "M" if rng.random() < (0.78 if couple else 0.4) else "F"
    head_surname = surname(rng)
    out = [(Relation.HEAD, head_sex, head_age, head_surname)]
    mother_age = head_age if head_sex == "F" else None
    family_name = head_surname if head_sex == "M" or not couple else None
    if couple:
        spouse_sex = "F" if head_sex == "M" else "M"
        gap = _tri(rng, -2, 7, 2)
        spouse_age = max(18, head_age - gap if head_sex == "M" else head_age + gap)
        spouse_surname = surname(rng)
        out.append((Relation.SPOUSE, spouse_sex, spouse_age, spouse_surname))
        if spouse_sex == "F":
            mother_age = spouse_age
        else:
            family_name = spouse_surname
    if mother_age is None:
        mother_age = head_age
    family_name = family_name or (head_surname if rng.random() < 0.3 else surname(rng))
    child = None
    last_child_age = None
    for role in comp[1:]:
        if role == "C":
            if last_child_age is None:
                age = max(0, mother_age - _tri(rng, 21, 38, 27))
            else:
                age = max(0, last_child_age - _tri(rng, 1, 9, 3))
            last_child_age = age
            sex = "M" if rng.random() < 0.515 else "F"
            name = family_name if rng.random() < 0.92 else surname(rng)
            out.append((Relation.CHILD, sex, age, name))
            child = child or (sex, age, name)
        elif role == "P":
            age = min(100, head_age + _tri(rng, 21, 36, 27))
            sex = "F" if rng.random() < 0.6 else "M"
            if any(r == Relation.PARENT and s == sex for r, s, _a, _n in out):
                sex = "M" if sex == "F" else "F"
            out.append((Relation.PARENT, sex, age, head_surname if sex == "M" else surname(rng)))
        elif role == "O":  # the child's spouse
            csex, cage, _cn = child
            out.append((Relation.OTHER, "F" if csex == "M" else "M",
                        max(20, cage + _tri(rng, -4, 4, -1 if csex == "M" else 1)), surname(rng)))
        elif role == "G":
            csex, cage, cname = child
            in_law = next((m for m in out if m[0] == Relation.OTHER), None)
            mum = cage if csex == "F" else (in_law[2] if in_law else cage)
            age = max(0, mum - _tri(rng, 22, 36, 28))
            if any(m[0] == Relation.GRANDCHILD for m in out):
                age = max(0, age - _tri(rng, 1, 8, 3))
            name = cname if csex == "M" else (in_law[3] if in_law else surname(rng))
            out.append((Relation.GRANDCHILD, "M" if rng.random() < 0.515 else "F", age, name))
    return out


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


def _city_names(rng, count: int) -> list[str]:
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


# --- entry points ---------------------------------------------------------------


def data_version(seed: int = 1, as_of: datetime.date | None = None) -> str:
    """A short hash of what the generator makes for this seed: the standard layout and
    accounts, a sample community's layout, a sample of people with their derived fields.
    Caches of generated data (bench/) compare it to know when to rebuild."""
    h = hashlib.sha256()
    h.update(repr((DISTRICT, STANDARD, DEMO_USERS, CITY_DISTRICTS, STREET_NAMES)).encode())
    rng = random.Random(f"fangkong-demo:{seed}:version")  # demo data, not a secret  # nosec B311
    h.update(repr(city_community_spec(rng, 0, "样本", 2000, DISTRICT[1])).encode())
    b = _Build(seed, as_of or default_as_of(), None)
    for size in [1, 2, 3, 4, 5, 6] * 20:
        for relation, sex, age, name in family(rng, size, "general"):
            r = b.new_resident()
            actions.apply_resident_fields(r, b.facts(rng, relation, sex, age, name, size, "140106"))
            h.update(repr([getattr(r, f) for f in (
                "name", "pinyin", "initials", "sex", "birth_date", "phone", "phone_tail",
                "id_head", "id_tail", "relation", "presence", "has_smartphone", "tags",
                "notes")]).encode())
    for row in roster(200, seed=seed, as_of=as_of):
        h.update(repr(row).encode())
    return h.hexdigest()[:16]


def default_as_of() -> datetime.date:
    return datetime.date(timezone.localdate().year, 1, 1)


def build(*, seed: int = 1, residents: int | None = None, as_of: datetime.date | None = None,
          progress: bool = False, out=None) -> Summary:
    """Build the demo (in one transaction). `residents`: fill up to that many with
    generated communities of ~2,000 (city scale)."""
    from tqdm import tqdm

    started = time.perf_counter()
    as_of = as_of or default_as_of()
    estimate = max(residents or 0, 4600)
    tqdm.monitor_interval = 0  # no monitor thread
    bar = tqdm(total=estimate, unit=" residents", unit_scale=True, disable=not progress,
               file=out or sys.stderr, mininterval=0.5, smoothing=0.1)
    b = _Build(seed, as_of, bar)
    s = b.summary
    with bar, transaction.atomic(), bulk.Loader() as b.loader:
        district = b.place(None, Kind.DISTRICT, DISTRICT[0], code=DISTRICT[1])
        s.districts += 1
        for kind, name in DISTRICT_EXTRAS:
            b.place(district, kind, name)
        for street_name, specs in STANDARD.items():
            street = b.place(district, Kind.STREET, street_name)
            s.streets += 1
            for spec in specs:
                b.community(spec, street)
        if residents and residents > s.residents:
            bar.total = residents
            big = residents - s.residents >= BIG_LOAD
            with bulk.indexes_deferred(Household, Resident) if big else nullcontext():
                _build_city(b, district, residents - s.residents)
                b.loader.wait()
        b.loader.wait()
        s.users = _demo_users(b, district)
        from fangkong.volunteers.demo import build as volunteers_demo

        volunteers_demo(district)  # volunteers, a team and open calls in 光明社区
        from fangkong.screening.demo import build as screening_demo

        screening_demo(district)  # a PCR round in progress in 光明社区
        record(b.actor, "demo.build", None, {"seed": seed, "as_of": as_of.isoformat(),
                                             "residents": s.residents,
                                             "households": s.households},
               label="demo")
        bar.total = s.residents
        bar.refresh()
    analyze()
    s.seconds = time.perf_counter() - started
    return s


def _build_city(b: _Build, home_district: Place, residents: int, per_community=2000):
    """Generated communities of ~per_community residents, ~17 to a street, ~6 streets to a
    district (迎泽区 first, then Taiyuan's other districts and counties)."""
    rng = random.Random(f"fangkong-demo:{b.seed}:city")  # demo data, not a secret  # nosec B311
    n = max(1, round(residents / per_community))
    sizes = [residents // n + (1 if i < residents % n else 0) for i in range(n)]
    names = _city_names(rng, n)
    district, district_code = home_district, DISTRICT[1]
    district_no = -1
    street_pool = STREET_NAMES[DISTRICT[0]].split()
    streets_left = len(street_pool)
    street, left_in_street = None, 0
    for i, size in enumerate(sizes):
        if left_in_street == 0:
            if streets_left == 0:
                district_no += 1
                if district_no < len(CITY_DISTRICTS):
                    dname, district_code = CITY_DISTRICTS[district_no]
                else:
                    dname = f"新区{district_no - len(CITY_DISTRICTS) + 1}"
                    district_code = TAIYUAN[district_no % len(TAIYUAN)]
                district = b.place(None, Kind.DISTRICT, dname, code=district_code)
                b.summary.districts += 1
                street_pool = STREET_NAMES.get(dname, "").split() or [
                    f"第{k}" for k in range(1, 7)]
                streets_left = min(len(street_pool), rng.randint(4, 8))
                rng.shuffle(street_pool)
            street = b.place(district, Kind.STREET, street_pool.pop() + "街道")
            b.summary.streets += 1
            streets_left -= 1
            left_in_street = rng.randint(12, 22)
        left_in_street -= 1
        crng = random.Random(f"fangkong-demo:{b.seed}:city:{i}")  # demo data, not a secret  # nosec B311
        spec = city_community_spec(crng, i, names[i], size, district_code)
        b.community(spec, street, crng)


ROSTER_HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
                 "与户主关系", "人员状态", "重点人群", "备注", "智能手机"]


def roster(residents: int, *, seed: int = 1, as_of: datetime.date | None = None):
    """Rows of a fictional community roster of exactly `residents` people, in the columns
    of the import template (ROSTER_HEADER), for import benchmarks and tests.

    The people are drawn like the demo's, and their ID numbers use sequence numbers the
    demo leaves free, so a roster never collides with demo residents (up to 300 demo
    people of one sex born on one day in one region).
    """
    from .checks import PRESENCE_WORDS, RELATION_WORDS, TAG_WORDS

    rng = random.Random(f"fangkong-roster:{seed}:{residents}")  # demo data, not a secret  # nosec B311
    b = _Build(seed, as_of or default_as_of(), None, id_offset=300)
    b.phone_c = rng.randrange(10**8) | 1
    spec = city_community_spec(rng, 0, "花名册", residents, "140106")
    flats = []
    for _grid, compounds in spec.grids:
        for c in compounds:
            for bld in c.buildings:
                units = [f"{u}单元" for u in range(1, bld.units + 1)] or [""]
                for unit in units:
                    for floor in range(1, bld.floors + 1):
                        for d in range(1, bld.doors + 1):
                            flats.append((c.name, bld.name, unit, f"{floor}{d:02d}"))
    occupied = sorted(rng.sample(range(len(flats)), spec.households))
    n = 0
    for flat_no, size in zip(occupied, spec.sizes, strict=True):
        compound, building, unit, door = flats[flat_no]
        for relation, sex, age, surname in family(rng, size, spec.profile):
            f = b.facts(rng, relation, sex, age, surname, size, spec.region)
            n += 1
            yield [n, f["name"], "男" if sex == "M" else "女", f["id_number"], f["phone"],
                   compound, building, unit, door, RELATION_WORDS[f["relation"]][0],
                   PRESENCE_WORDS[f["presence"]][0],
                   "、".join(TAG_WORDS[t][0] for t in f["tags"]), f["notes"],
                   "有" if f["has_smartphone"] else "无"]


def _find(district: Place, path: str) -> Place:
    place = district
    for name in filter(None, path.split("/")):
        place = Place.objects.get(parent=place, name=name)
    return place


def _demo_users(b: _Build, district: Place) -> int:
    password_hash = make_password(DEMO_PASSWORD)  # once: Argon2 is slow on purpose
    created = []
    for n, (username, role, path, display) in enumerate(DEMO_USERS, 1):
        place = _find(district, path)
        household = None
        phone = f"1370351{n:04d}"
        if role == Role.RESIDENT:
            household, head = _resident_household(place)
            display, phone = head.name, head.phone or phone
        # No password here (hashing ~18 times would take seconds); the shared hash below.
        user = account_actions.create_user(b.actor, username, None, display_name=display,
                                           phone=phone, check_password=False)
        account_actions.grant(b.actor, user, role, place, household=household)
        created.append(user.pk)
    User.objects.filter(pk__in=created).update(password=password_hash)
    return len(created)


def _resident_household(building: Place):
    """The demo resident's home: the first household of at least two in the building whose
    head has a mobile phone."""
    for hh in Household.objects.filter(building_id=building.id).order_by("unit_id", "sort_key", "id"):
        people = list(hh.residents.order_by("id"))
        head = next((r for r in people if r.relation == Relation.HEAD), None)
        if len(people) >= 2 and head and head.phone.startswith("1"):
            return hh, head
    hh = Household.objects.filter(building_id=building.id).order_by("id").first()
    return hh, hh.residents.order_by("id").first()


def analyze():
    """Refresh the planner's statistics after a bulk load (PostgreSQL and SQLite)."""
    tables = [m._meta.db_table for m in (Place, Household, Resident)]
    with connection.cursor() as cur:
        for t in tables:
            cur.execute(f"ANALYZE {connection.ops.quote_name(t)}")


def _registry_models():
    """Place and every model that references it (or them), with or without a database
    constraint (registrations have none, for speed) and with or without a reverse name:
    what a demo reset empties. The audit trail stays."""
    seen, todo = [], [Place]
    while todo:
        model = todo.pop()
        if model in seen or model._meta.label in _KEPT_ON_RESET:
            continue
        seen.append(model)
        for rel in model._meta.get_fields(include_hidden=True):  # related_name="+" too
            if rel.auto_created and not rel.concrete and not rel.many_to_many:
                todo.append(rel.related_model)
    return seen


_KEPT_ON_RESET = {"audit.AuditEvent"}


def flush():
    """Delete every place, household and resident (and what hangs on them), and the demo
    accounts. Audit events stay."""
    models = _registry_models()
    tables = [m._meta.db_table for m in models]
    qn = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                # TRUNCATE refuses while deferred FK checks of this transaction are pending.
                connection.check_constraints()
                cur.execute(f"TRUNCATE {', '.join(qn(t) for t in tables)} RESTART IDENTITY CASCADE")
            else:
                for t in tables:
                    cur.execute(f"DELETE FROM {qn(t)}")  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
                if connection.vendor == "sqlite":
                    marks = ", ".join(["%s"] * len(tables))
                    cur.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)  # identifiers from the models' metadata or code constants; every value is a bound parameter  # nosec B608
        User.objects.filter(username__in=DEMO_USERNAMES).delete()


def digest() -> str:
    """SHA-256 over the registry's content, ids replaced by their rank (see the module
    docstring for what determinism leaves out)."""
    h = hashlib.sha256()
    place_rank = {pk: i for i, pk in enumerate(Place.objects.order_by("id").values_list("id", flat=True))}
    hh_rank = {pk: i for i, pk in enumerate(Household.objects.order_by("id").values_list("id", flat=True))}

    def rank(v, table):
        return None if v is None else table.get(v, -1)

    def feed(row):
        h.update(repr(row).encode())

    for row in Place.objects.order_by("id").values_list("kind", "name", "parent_id", "depth",
                                                         "sort_key", "code", "address",
                                                         *LEVEL_FIELDS):
        feed(row[:2] + (rank(row[2], place_rank),) + row[3:7]
             + tuple(rank(v, place_rank) for v in row[7:]))
    for row in Household.objects.order_by("id").values_list("place_id", "door", "sort_key",
                                                             "phone", "notes", *LEVEL_FIELDS):
        feed((rank(row[0], place_rank),) + row[1:5] + tuple(rank(v, place_rank) for v in row[5:]))
    cols = ["household_id", "name", "pinyin", "initials", "sex", "birth_date", "phone",
            "phone_tail", "id_hash", "id_head", "id_tail", "relation", "presence",
            "has_smartphone", "tags", "notes", "unverified", "token"]
    for row in Resident.objects.order_by("id").values_list(*cols, *LEVEL_FIELDS).iterator(
            chunk_size=10000):
        feed((rank(row[0], hh_rank),) + row[1:len(cols)]
             + tuple(rank(v, place_rank) for v in row[len(cols):]))
    return h.hexdigest()


def demo_accounts():
    """[(user, membership)] of the demo accounts that exist, in the order of DEMO_USERS."""
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)
             .prefetch_related("memberships__place")}
    out = []
    for username in DEMO_USERNAMES:
        user = users.get(username)
        if user is not None:
            m = next(iter(user.memberships.all()), None)
            out.append((user, m))
    return out
