"""Rows to check that are not errors: a file older than the record it changes, and a
独居老人 tag that does not fit the person.

An old export imported again had put back a phone number corrected since and moved a woman
who had come home "out" again, the preview saying only "信息变更 2 人: 手机号; 人员状态".
So, beside the joins (`joining`):

- a row that would change a person whose record was changed after the file was made (the
  time its title row names, `rows.made_at`: the roster export writes it) is not imported:
  the record is kept as it is now, and the row is a row to check listing what the file
  would have changed, old → new (`keeps`, `kept_rows`). To put the file's values in, the
  person is edited, or a new export is changed and imported;
- a person tagged 独居老人 (elderly living alone) by the file who is under 60, or who lives
  with others once the import is written, is a row to check: that list is who gets a
  daily call or visit, and a 54-year-old in a family of three at its top sends the visits
  to the wrong door.

Each warning is (row, column key, value, message, household) as `joining` keeps them: the
import goes ahead if confirmed, and the preview lists them above the button.
"""

import copy
import datetime

from django.utils import timezone

from fangkong.core.said import said

from ..actions import apply_resident_fields
from ..models import Presence, Tag
from .messages import ALONE_NOT_ALONE, ALONE_TOO_YOUNG, CHANGED_AFTER_FILE

ELDERLY_AGE = 60
SAME_MINUTE = datetime.timedelta(minutes=1)  # the title says the minute, not the second


def keeps(plan, row, r, existing_hh, hh) -> bool:
    """True when the row is about a person whose record was changed after the file was made
    and the file would change them (a field, or their household): the row is not imported —
    the record is kept as it is now and the row is said (`kept_rows`, a row to check). The
    person is then as if the file did not name them."""
    made = plan.parsed.made_at
    if made is None or not r.updated_at or r.updated_at < made + SAME_MINUTE:
        return False
    would = apply_resident_fields(copy.copy(r), row.clean)
    if existing_hh is None or r.household_id != existing_hh["id"]:
        would["household"] = [r.household_id, ""]
    if not would:
        return False
    plan.kept_newer.append((row, r, hh, would))
    return True


def kept_rows(plan, most: int = 200) -> list[dict]:
    """The rows `keeps` left out, as the preview lists them: what the file would have
    changed, old → new (identifiers masked)."""
    return [{"row": row.row, "name": r.name, "address": plan.where(hh), "fields": sorted(would),
             "diff": diff(would)} for row, r, hh, would in plan.kept_newer[:most]]


def look(plan):
    """Add the rows to check described above to `plan.warnings` (after `joining.look`)."""
    made = plan.parsed.made_at
    for row, r, hh, _would in plan.kept_newer:
        plan.warnings.append((row, "name", r.name, said(
            CHANGED_AFTER_FILE, name=r.name, made=_minute(made), changed=_minute(r.updated_at)), hh))
    tagged = {id(r) for r, c in plan.updates if Tag.ELDERLY_ALONE in _added_tags(c)}
    tagged |= {id(r) for r, _hh in plan.creates if _alone(r)}
    if not tagged:
        return
    living = _household_sizes(plan)
    for row, r, hh, _made in plan.placed:
        if id(r) not in tagged or r.presence == Presence.MOVED_OUT:
            continue
        age = r.age
        if age is not None and age < ELDERLY_AGE:
            plan.warnings.append((row, "tags", r.name, said(ALONE_TOO_YOUNG, name=r.name, age=age), hh))
        elif living.get(_key(hh), 0) > 1 and not any(w[0] is row for w in plan.warnings):
            plan.warnings.append((row, "tags", r.name, said(
                ALONE_NOT_ALONE, name=r.name, n=living[_key(hh)]), hh))


def _minute(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _alone(r) -> bool:
    return f",{Tag.ELDERLY_ALONE}," in (r.tags or "")


def _added_tags(changes) -> set:
    if "tags" not in changes:
        return set()
    before, after = changes["tags"]
    return set(after or ()) - set(before or ())


def _key(hh):
    return ("new", id(hh)) if not isinstance(hh, dict) else hh["id"]


def _household_sizes(plan) -> dict:
    """{household key: people living there once the import is written}."""
    in_file = {r.pk for _row, r, _hh, _made in plan.placed if r.pk}
    out: dict[object, int] = {}
    for (household_id, _name), people in plan.by_household_name.items():
        for r in people:
            if r.presence != Presence.MOVED_OUT and r.pk not in in_file:
                out[household_id] = out.get(household_id, 0) + 1
    for _row, r, hh, _made in plan.placed:
        if r.presence != Presence.MOVED_OUT:
            out[_key(hh)] = out.get(_key(hh), 0) + 1
    return out


def diff(changes) -> dict:
    """{field: [before, after]} as stored on the job (JSON; identifiers already masked),
    without the household move (said by its own words)."""
    def plain(v):
        if v is None or isinstance(v, (str, int, float, bool, list)):
            return v
        return str(v)
    return {f: [plain(a), plain(b)] for f, (a, b) in changes.items() if f != "household"}
