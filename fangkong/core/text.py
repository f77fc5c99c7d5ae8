"""Name search keys: pinyin and pinyin initials (张三 → "zhangsan", "zs"); lists joined as
the reader's language writes them ("、" in Chinese, ", " in English)."""

import functools
import re

from django.utils.translation import pgettext

# Surnames whose reading differs from the character's common reading.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha",
    "区": "ou", "秘": "bi", "盖": "ge", "乐": "yue", "缪": "miao", "覃": "qin",
    "种": "chong", "繁": "po", "员": "yun", "翟": "zhai", "万": "wan", "尉": "yu",
}

# Compound (two-character) surnames and their readings, syllable by syllable (万俟 is "moqi",
# 单于 "chanyu", 长孙 "zhangsun", 尉迟 "yuchi"): the given name starts after both characters.
COMPOUND_SURNAMES = {
    "欧阳": ("ou", "yang"), "司马": ("si", "ma"), "上官": ("shang", "guan"), "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"), "皇甫": ("huang", "fu"), "尉迟": ("yu", "chi"), "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"), "长孙": ("zhang", "sun"), "宇文": ("yu", "wen"), "司徒": ("si", "tu"),
    "司空": ("si", "kong"), "夏侯": ("xia", "hou"), "令狐": ("ling", "hu"), "端木": ("duan", "mu"),
    "独孤": ("du", "gu"), "南宫": ("nan", "gong"), "西门": ("xi", "men"), "百里": ("bai", "li"),
    "呼延": ("hu", "yan"), "澹台": ("tan", "tai"), "公羊": ("gong", "yang"), "轩辕": ("xuan", "yuan"),
    "万俟": ("mo", "qi"), "单于": ("chan", "yu"), "闻人": ("wen", "ren"), "赫连": ("he", "lian"),
    "申屠": ("shen", "tu"), "钟离": ("zhong", "li"), "太史": ("tai", "shi"), "淳于": ("chun", "yu"),
    "濮阳": ("pu", "yang"), "左丘": ("zuo", "qiu"), "东郭": ("dong", "guo"), "拓跋": ("tuo", "ba"),
}


@functools.lru_cache(maxsize=20_000)
def _syllable(char: str) -> str:
    # Imported on first use: pypinyin's dictionaries cost every process that starts (servers,
    # workers, manage.py commands) ~0.2 s, and most never compute a name's pinyin.
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].replace("ü", "v").lower()


def _surname_chars(name: str) -> int:
    """How many characters the surname of a Chinese name takes: 2 for a compound surname
    (欧阳娜娜, 司马光) followed by a given name, else 1."""
    return 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1


def _words(name: str) -> list[str]:
    """A name's syllables (CJK characters) and Latin words, lower-case."""
    name = (name or "").strip()
    compound = COMPOUND_SURNAMES.get(name[:2]) if _surname_chars(name) == 2 else None
    words: list[str] = []
    latin = ""
    for i, ch in enumerate(name):
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            if latin:
                words.append(latin)
                latin = ""
            if compound and i < 2:
                words.append(compound[i])
                continue
            words.append(SURNAME_READINGS[ch] if i == 0 and ch in SURNAME_READINGS else _syllable(ch))
        elif ch.isascii() and ch.isalnum():
            latin += ch.lower()
        elif latin:
            words.append(latin)
            latin = ""
    if latin:
        words.append(latin)
    return words


@functools.lru_cache(maxsize=100_000)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case, no spaces, ü written v (吕 → "lv"). Latin words
    pass through as words.

    Character by character (cached), which is ~50x faster than phrase look-up and right
    for names; common surname readings are corrected.
    """
    words = _words(name)
    return "".join(words)[:200], "".join(w[0] for w in words)[:50]


@functools.lru_cache(maxsize=100_000)
def given_key(name: str) -> str:
    """The pinyin in given-family order: 吕保国 → "baoguolv", 欧阳娜娜 → "nanaouyang" (a
    compound surname is both its characters). Stored beside `name_keys`, so that "baoguo"
    (the given name alone) and "Baoguo Wang" (the order of a passport or an English form)
    are prefix look-ups on an index too. "" for a single word."""
    words = _words(name)
    n = _surname_chars((name or "").strip()) if len(words) > 2 else 1
    return "".join(words[n:] + words[:n])[:200] if len(words) > 1 else ""


def _v_forms(word: str) -> list[str]:
    """The spellings of a typed pinyin word that may mean ü after l or n: "lyu" (passport
    spelling) is "lv"; "lu", "nu" are either themselves (卢, 怒) or "lv", "nv" (吕, 女) typed
    without the ü. At most 8 forms."""
    word = re.sub(r"([ln])yu", r"\1v", word)
    spots = [m.start() + 1 for m in re.finditer(r"[ln]u", word)][:3]
    out = [word]
    for i in spots:
        out += [f[:i] + "v" + f[i + 1:] for f in out]
    return out


def search_keys(query: str) -> list[str] | None:
    """The pinyin keys a typed name may mean, to look up as prefixes of `name_keys` (full
    pinyin) and `given_key`; None when the query is not pinyin. Tone marks are dropped and ü
    written v by pypinyin ("zhāng" → "zhang", "Lǚ" → "lv"); "lyu" and "lu" also mean "lv";
    words typed apart are joined ("Lü Baoguo" → "lvbaoguo", "Baoguo Wang" → "baoguowang",
    found by `given_key`)."""
    from pypinyin.contrib.tone_convert import to_normal

    if re.search(r"\d", query or ""):  # pypinyin would read digits as tone numbers
        return None
    plain = to_normal((query or "").lower(), v_to_u=False)  # ü folds only lower-case
    if not re.fullmatch(r"[a-z\s'’·.-]*[a-z][a-z\s'’·.-]*", plain):
        return None
    word = re.sub(r"[^a-z]", "", plain)
    return list(dict.fromkeys(_v_forms(word)))


def join_words(items) -> str:
    """Items of a list in running text, joined as the active language writes a list:
    独居老人、行动不便 in Chinese, "Sealed area, Controlled area" in English. Never for
    text a file must read back (a roster's tags stay joined with "、" for the importer)."""
    return pgettext("list separator", ", ").join(str(i) for i in items)
