"""A fictional community roster in the import template's columns, for import benchmarks and
tests (drawn like the demo's people, never colliding with them)."""

import datetime
import random

from .layout import city_community_spec
from .people import default_as_of, family
from .registry import Builder

ROSTER_HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
                 "与户主关系", "人员状态", "重点人群", "备注", "智能手机"]


def roster(residents: int, *, seed: int = 1, as_of: datetime.date | None = None):
    """Rows of a fictional community roster of exactly `residents` people, in the columns
    of the import template (ROSTER_HEADER), for import benchmarks and tests.

    The people are drawn like the demo's, and their ID numbers use sequence numbers the
    demo leaves free, so a roster never collides with demo residents (up to 300 demo
    people of one sex born on one day in one region).
    """
    from fangkong.registry.checks import PRESENCE_WORDS, RELATION_WORDS, TAG_WORDS

    rng = random.Random(f"fangkong-roster:{seed}:{residents}")  # demo data, not a secret  # nosec B311
    b = Builder(seed, as_of or default_as_of(), None, id_offset=300)
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
