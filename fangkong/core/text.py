"""Name search keys: pinyin and pinyin initials (张三 → "zhangsan", "zs"); lists joined as
the reader's language writes them ("、" in Chinese, ", " in English)."""

import functools

from django.utils.translation import pgettext

# Surnames whose reading differs from the character's common reading.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha",
    "区": "ou", "秘": "bi", "盖": "ge", "乐": "yue", "缪": "miao", "覃": "qin",
    "种": "chong", "繁": "po", "员": "yun", "翟": "zhai", "万": "wan", "尉": "yu",
}


@functools.lru_cache(maxsize=20_000)
def _syllable(char: str) -> str:
    # Imported on first use: pypinyin's dictionaries cost every process that starts (servers,
    # workers, manage.py commands) ~0.2 s, and most never compute a name's pinyin.
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].replace("ü", "v").lower()


@functools.lru_cache(maxsize=100_000)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case, no spaces. Latin words pass through as words.

    Character by character (cached), which is ~50x faster than phrase look-up and right
    for names; common surname readings are corrected.
    """
    name = (name or "").strip()
    words: list[str] = []
    latin = ""
    for i, ch in enumerate(name):
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            if latin:
                words.append(latin)
                latin = ""
            words.append(SURNAME_READINGS[ch] if i == 0 and ch in SURNAME_READINGS else _syllable(ch))
        elif ch.isascii() and ch.isalnum():
            latin += ch.lower()
        elif latin:
            words.append(latin)
            latin = ""
    if latin:
        words.append(latin)
    return "".join(words)[:200], "".join(w[0] for w in words)[:50]


def join_words(items) -> str:
    """Items of a list in running text, joined as the active language writes a list:
    独居老人、行动不便 in Chinese, "Sealed area, Controlled area" in English. Never for
    text a file must read back (a roster's tags stay joined with "、" for the importer)."""
    return pgettext("list separator", ", ").join(str(i) for i in items)
