"""People an import puts into households that already had residents, said aloud.

An import that adds 120 people mostly into occupied flats had said only "新增居民 120 人":
nobody saw that 1号楼1单元401, where 闫桂兰 lived alone, now held 史芳 too, both tagged
独居老人 — and the list of elderly people living alone (who get a call or a visit each day)
could no longer be trusted. So the plan finds:

- `joins`: each row that adds a person (new, or moved in from another household) to a
  household that already had someone living there (not moved out) before the import;
- warnings: each row that adds a person to a household that will then hold two or more
  people while one of them is tagged 独居老人 — the person added (tagged, but joining
  others) or someone already there. A warning is not an error: the import goes ahead, the
  warning is kept on the job with its row and household, and the report links to it.
"""

from collections import defaultdict

from fangkong.core.said import said
from fangkong.core.text import join_words

from ..models import Presence, Tag
from .columns import COLUMN, cell_error
from .messages import ALONE_JOINS, JOINS_ALONE

ALONE = f",{Tag.ELDERLY_ALONE},"


def _lives_there(r) -> bool:
    return r.presence != Presence.MOVED_OUT


def _alone(r) -> bool:
    return ALONE in (r.tags or "")


def look(plan):
    """Fill `plan.joins` [(row, resident, household)] and `plan.warnings` [(row, column key,
    value, message, household)], the household an existing one (a dict of its columns) or
    a `_NewHousehold`."""
    def key(hh):
        return ("new", id(hh)) if not isinstance(hh, dict) else hh["id"]

    in_file = {r.pk for _row, r, _hh, _made in plan.placed if r.pk}
    before: dict[object, list] = defaultdict(list)  # who lived there before the import
    after: dict[object, list] = defaultdict(list)  # who lives there once it is written
    for (household_id, _name), people in plan.by_household_name.items():
        for r in people:
            if _lives_there(r):
                before[household_id].append(r)
                if r.pk not in in_file:
                    after[household_id].append(r)
    for _row, r, hh, _made in plan.placed:
        if _lives_there(r):
            after[key(hh)].append(r)
    plan.joins, plan.warnings = [], []
    for row, r, hh, _made in plan.placed:
        adds = r.pk is None or r.pk in plan.moves
        if not adds or not _lives_there(r):
            continue
        k = key(hh)
        if isinstance(hh, dict) and any(o is not r for o in before.get(k, ())):
            plan.joins.append((row, r, hh))
        others = [o for o in after[k] if o is not r]
        if not others:
            continue
        if _alone(r):
            plan.warnings.append((row, "tags", join_words(r.tag_labels()),
                                  said(ALONE_JOINS, name=r.name, others=[o.name for o in others]), hh))
        else:
            alone = [o.name for o in others if _alone(o)]
            if alone:
                plan.warnings.append((row, "name", r.name, said(JOINS_ALONE, name=r.name, alone=alone), hh))


def stored_warnings(plan, labels, address) -> list[dict]:
    """The warnings as kept on the job: each an error row (`cell_error`) with the household's
    id (None before a new one is written) and address (`address(household)`: `Plan.where`),
    in row order."""
    out = []
    for row, column, value, message, hh in sorted(plan.warnings, key=lambda w: w[0].row):
        cols = hh if isinstance(hh, dict) else hh.row  # None: a household not written yet
        w = cell_error(row.row, labels.get(column, COLUMN[column].header), value, message)
        w["household"], w["address"] = (cols["id"] if cols else None), address(hh)
        out.append(w)
    return out
