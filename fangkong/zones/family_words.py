"""What a family's zone means for them now and what comes next, in plain words — the
household panel (`panels.household_panel`) and the API's household zone answer (`GET
/zones/households/{pk}`: `means`, `next_steps`) say the same (walk "zone", defect 6: a sealed
family read "满足以下条件后即可解除：末轮核酸未应检尽检", and after the lift only the policy text).

`means_now` reads the zone type's rules (may leave home, may leave the area, services and
sampling at the door, the collection rule), never its name. `next_steps` reads the staff's
lifting recommendation (`lifting.recommend`, the same count and date) and names the zone the
household falls back to when its zone ends (`lifting.ends_in`, the rule the staff's advice
reads too): a sealed building lifted inside a controlled compound stays a 管控区 — "最早 12月9日
可能转为管控区（光明小区仍为管控区）", never "解除"."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.core.text import join_words
from fangkong.core.tree import ancestor_ids

from . import lifting
from .models import Designation, HouseholdZone, ZoneType

# a notice's stated time and its publication this close are the same to a family: no box
SMALL_GAP = datetime.timedelta(minutes=10)


def means_now(zone_type: ZoneType, place_name: str) -> str:
    """One sentence of what the zone asks of the family now, from its movement rules."""
    if not zone_type.may_leave_home:
        help_ = [w for on, w in ((zone_type.door_services, _("supplies are brought to your door")),
                                 (zone_type.home_sampling, _("you are sampled at home"))) if on]
        if help_:
            return _("Stay at home: please do not leave your flat; %(help)s.") % {"help": join_words(help_)}
        return _("Stay at home: please do not leave your flat.")
    if not zone_type.may_leave_area:
        collect = zone_type.collect_words
        if collect:
            return _("You may leave your flat but not %(area)s. Collecting goods: %(rule)s.") % {
                "area": place_name, "rule": collect}
        return _("You may leave your flat but not %(area)s.") % {"area": place_name}
    return _("You may leave %(area)s; avoid gatherings, and leave the city only if you must.") % {
        "area": place_name}


def _becomes(zone: ZoneType | None, above: Designation | None) -> str:
    if zone is None:
        return pgettext("a zone may …", "end")
    if above is not None:
        return _("become a %(zone)s (%(place)s is still a %(zone)s)") % {"zone": zone.name,
                                                                        "place": above.place.name}
    return _("become a %(zone)s") % {"zone": zone.name}


def _todo(rec: lifting.Recommendation) -> list[str]:
    """What is still missing, said as what the family can do (not the rule's words)."""
    codes = [getattr(u, "code", "") for u in rec.unmet]
    out = []
    if lifting.UNMET_UNTESTED in codes or lifting.UNMET_NO_ROUND in codes:
        out.append(_("What you can do: the whole family tests on time in the next round — everyone here "
                     "must be tested."))
    if lifting.UNMET_PENDING in codes:
        out.append(_("The last round's results are not all in yet."))
    if lifting.UNMET_POSITIVE in codes:
        out.append(_("The last round found a positive result: the community will tell you what comes next."))
    return out


def next_steps(hz: HouseholdZone, household) -> list[str]:
    """What comes next for the family in its zone now, in plain words ([] when its zone
    already has an end set)."""
    d = hz.designation
    if d.ends_at is not None:
        return []
    # the zone it falls back to when it ends: the staff's rule (`lifting.ends_in`), read at
    # the household's own levels
    rec = lifting.recommendations([d], over=set(ancestor_ids(household)) | {household.place_id})[0]
    rule = rec.rule
    if rule is None:
        return [_("There is no set day for this zone to end: it ends by a notice when the community "
                  "decides. You will be told here.")]
    becomes = _becomes(*rec.after)
    if rec.action != lifting.KEEP:
        return [_("It may now %(becomes)s: the community decides and publishes a notice. You will be "
                  "told here.") % {"becomes": becomes}]
    out = []
    left = rule.clean_days - rec.day
    if left > 0:
        out.append(ngettext("Day %(day)d of %(need)d without a new case: %(left)d more day to go.",
                            "Day %(day)d of %(need)d without a new case: %(left)d more days to go.", left)
                   % {"day": rec.day, "need": rule.clean_days, "left": left})
    else:
        out.append(ngettext("%(day)d day without a new case (%(need)d needed).",
                            "%(day)d days without a new case (%(need)d needed).", rec.day)
                   % {"day": rec.day, "need": rule.clean_days})
    if rec.earliest is not None:
        out.append(_("At the earliest on %(date)s it may %(becomes)s.") % {
            "date": date_format(rec.earliest, "MONTH_DAY_FORMAT"), "becomes": becomes})
        if rule.round_day is not None:
            out.append(_("What you can do: the whole family tests on time in every round; the round that "
                         "counts is on %(date)s or later.") % {
                "date": date_format(rec.counted_from + datetime.timedelta(days=rule.round_day), "MONTH_DAY_FORMAT")})
    else:
        out.extend(_todo(rec))
        out.append(_("It may %(becomes)s as soon as this is done.") % {"becomes": becomes})
    out.append(_("A new case here starts the count again."))
    return out


def _minute(at):
    return at.replace(second=0, microsecond=0)


def late_boxes(hz: HouseholdZone) -> None:
    """Mark the publication-after-the-notice boxes worth showing a family: only when the
    notice's stated time and the publication are SMALL_GAP or more apart (a minute is noise)."""
    d, n = hz.designation, hz.designation.notice if hz.designation.notice_id else None
    hz.start_late = (n is not None and _minute(hz.since) == _minute(d.starts_at)
                     and abs(d.starts_at - n.effective_at) >= SMALL_GAP)
    ended = getattr(hz, "ended", None)
    en = ended.ended_by.notice if ended is not None and ended.ended_by_id else None
    hz.lift_late = en is not None and abs(ended.ends_at - en.effective_at) >= SMALL_GAP
