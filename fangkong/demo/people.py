"""The demo's people: surnames with realistic frequencies, era-typical given names, region
codes for well-formed (made-up) ID numbers, mobile numbers distinct by construction,
household sizes and the make-up of a family. Pure functions of a random generator: the
same seed gives the same people."""

import datetime

from django.utils import timezone

from fangkong.registry.models import Relation

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
REGION_INDEX = {code: i for i, code in enumerate(REGIONS)}
EPOCH = datetime.date(1900, 1, 1).toordinal()

# Mobile prefixes of the three carriers (137 is left out: the demo accounts use it).
MOBILE_PREFIXES = ("134 135 136 138 139 147 150 151 152 157 158 159 178 182 183 184 187 188 "
                   "198 130 131 132 155 156 166 175 176 185 186 133 153 173 177 180 181 189 "
                   "191 199").split()
PHONE_A = 73_939_133  # coprime with 10: i → (A·i + C) mod 10^8 is a bijection


def default_as_of() -> datetime.date:
    """The reference date for ages: 1 January of the current year (a build is the same all year)."""
    return datetime.date(timezone.localdate().year, 1, 1)


def tri(rng, lo, hi, mode):
    return int(rng.triangular(lo, hi, mode))


def pick_region(rng, home: str, born: int) -> str:
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
            age = tri(rng, 62, 97, 81) if rng.random() < 0.92 else tri(rng, 45, 62, 58)
        else:
            r = rng.random()
            age = (tri(rng, 20, 40, 28) if r < 0.3 else tri(rng, 40, 60, 50) if r < 0.55
                   else tri(rng, 60, 97, 74))
        sex = "F" if rng.random() < (0.63 if age >= 60 else 0.45) else "M"
        return [(Relation.HEAD, sex, age, surname(rng))]
    options = COMPOSITIONS[profile][min(size, 7)]
    comp = rng.choices([c for c, _w in options], [w for _c, w in options])[0]
    if "G" in comp:
        head_age = tri(rng, 70, 94, 80) if elderly else tri(rng, 52, 86, 62)
    elif "P" in comp:
        head_age = tri(rng, 30, 62, 45)
    elif "C" in comp:
        head_age = tri(rng, 66, 94, 79) if elderly else tri(rng, 27, 72, 42)
    else:
        head_age = tri(rng, 66, 94, 78) if elderly else tri(rng, 23, 90, 62)
    couple = "S" in comp
    head_sex = "M" if rng.random() < (0.78 if couple else 0.4) else "F"
    head_surname = surname(rng)
    out = [(Relation.HEAD, head_sex, head_age, head_surname)]
    mother_age = head_age if head_sex == "F" else None
    family_name = head_surname if head_sex == "M" or not couple else None
    if couple:
        spouse_sex = "F" if head_sex == "M" else "M"
        gap = tri(rng, -2, 7, 2)
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
                age = max(0, mother_age - tri(rng, 21, 38, 27))
            else:
                age = max(0, last_child_age - tri(rng, 1, 9, 3))
            last_child_age = age
            sex = "M" if rng.random() < 0.515 else "F"
            name = family_name if rng.random() < 0.92 else surname(rng)
            out.append((Relation.CHILD, sex, age, name))
            child = child or (sex, age, name)
        elif role == "P":
            age = min(100, head_age + tri(rng, 21, 36, 27))
            sex = "F" if rng.random() < 0.6 else "M"
            if any(r == Relation.PARENT and s == sex for r, s, _a, _n in out):
                sex = "M" if sex == "F" else "F"
            out.append((Relation.PARENT, sex, age, head_surname if sex == "M" else surname(rng)))
        elif role == "O":  # the child's spouse
            csex, cage, _cn = child
            out.append((Relation.OTHER, "F" if csex == "M" else "M",
                        max(20, cage + tri(rng, -4, 4, -1 if csex == "M" else 1)), surname(rng)))
        elif role == "G":
            csex, cage, cname = child
            in_law = next((m for m in out if m[0] == Relation.OTHER), None)
            mum = cage if csex == "F" else (in_law[2] if in_law else cage)
            age = max(0, mum - tri(rng, 22, 36, 28))
            if any(m[0] == Relation.GRANDCHILD for m in out):
                age = max(0, age - tri(rng, 1, 8, 3))
            name = cname if csex == "M" else (in_law[3] if in_law else surname(rng))
            out.append((Relation.GRANDCHILD, "M" if rng.random() < 0.515 else "F", age, name))
    return out
