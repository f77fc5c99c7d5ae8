"""What the checkpoint asks beyond the health code, the temperature and the household's zone
(`actions.gate.refusal` decides; these read and word):

- **Kept in whatever their code and zone** (`holds`): a confirmed case still open
  (`ZoneCase`, confirmed in the last `CASE_OPEN_DAYS`, by hand or by a re-test), anyone of
  the same household (a close contact), and someone held now by a positive pooled tube or
  antigen test awaiting the re-test — screening's fact, read through
  settings.FANGKONG_GATE_HOLD (zones import no screening). Never waits for an escalation to
  be published: a case in a building still only controlled, or in no zone, is kept in alike.
- **A controlled area's collector** (`exit_terms`, `outside_hours`): at a gate inside the
  area the exit is only to collect goods — where (the zone type's `collect_place`, else the
  gate's own collection point), without leaving the area, back by the end of the
  collection hours (`collect_from`–`collect_until`, "HH:MM"; both empty: any hour). An exit
  outside those hours is refused, saying when collecting opens again.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fangkong.core.tree import is_under
from fangkong.core.when import short_time

from .models import CASE_OPEN_DAYS, ZoneCase, ZoneType

# `holds`' codes, worst first; stored on the gate's event (`CheckpointEvent.hold`)
HOLDS = ("case", "contact", "held", "held_antigen")
CASES_READ = 20  # cases of one household read at once (any one is enough)


def holds(resident, at) -> str:
    """Why `resident` may not go out whatever their code and zone (`HOLDS`), or "". One
    query for the household's open cases (its household index), and one more (screening's
    hold, by the follow-ups' resident index) only when there is none."""
    since = at - datetime.timedelta(days=CASE_OPEN_DAYS)
    cases = set(ZoneCase.objects.filter(household_id=resident.household_id, confirmed_at__gt=since)
                .values_list("resident_id", flat=True)[:CASES_READ])
    if resident.id in cases:
        return "case"
    if cases:
        return "contact"
    path = getattr(settings, "FANGKONG_GATE_HOLD", "")
    code = import_string(path)(resident.id) if path else ""
    return code if code in HOLDS else ""


def hold_words(code: str) -> str:
    """The guard's reason for a hold, in the reader's language: not let out, why, what next."""
    if code == "case":
        return _("Not let out: this person is a confirmed case. Keep them at home and call the community.")
    if code == "contact":
        return _("Not let out: there is a confirmed case in this household (a close contact, to stay "
                 "at home). Call the community.")
    if code == "held":
        return _("Not let out: pooled PCR test positive, awaiting a single re-test. Keep them at home: "
                 "the re-test is taken at the door.")
    if code == "held_antigen":
        return _("Not let out: antigen test positive, awaiting a PCR re-test. Keep them at home: the "
                 "re-test is taken at the door.")
    return ""


def hold_label(code: str) -> str:
    """A hold in a few words, for the staff's message."""
    return {"case": _("a confirmed case"), "contact": _("lives with a confirmed case"),
            "held": _("pooled test positive, awaiting a single re-test"),
            "held_antigen": _("antigen test positive, awaiting a PCR re-test")}.get(code, "")


# --- a controlled area's collector ----------------------------------------------------------

def inside(household_zone, gate) -> bool:
    """Is the gate inside the household's zone (the designation's place holds it)? Then
    going out through it is going to the area's collection point, not leaving the area."""
    return is_under(gate, household_zone.designation.place)


def _hm(value: str) -> datetime.time | None:
    try:
        h, m = (int(x) for x in (value or "").split(":"))
        return datetime.time(h, m)
    except (TypeError, ValueError):
        return None


def hours(zone_type) -> tuple[datetime.time, datetime.time] | None:
    """The collection hours of `zone_type` (from, until), or None: any hour."""
    start, end = _hm(zone_type.collect_from), _hm(zone_type.collect_until)
    return (start, end) if start is not None and end is not None and start < end else None


def next_open(zone_type, at) -> datetime.datetime:
    """The first moment at or after `at` within the collection hours (`at` itself with none)."""
    span = hours(zone_type)
    if span is None:
        return at
    local = timezone.localtime(at)
    start = local.replace(hour=span[0].hour, minute=span[0].minute, second=0, microsecond=0)
    if local.time() < span[0]:
        return start
    if local.time() < span[1]:
        return local
    return start + datetime.timedelta(days=1)


def _clock(at, now) -> str:
    """A moment as the guard reads it: "18:00" today, with its day otherwise."""
    local = timezone.localtime(at)
    return f"{local:%H:%M}" if local.date() == timezone.localtime(now).date() else short_time(local)


def outside_hours(household_zone, at) -> str:
    """The refusal of a collector's exit outside the collection hours, or ""."""
    zt = household_zone.zone_type
    span = hours(zt)
    if span is None or next_open(zt, at) == timezone.localtime(at):
        return ""
    return _("%(zone)s: goods are collected %(start)s–%(end)s only; it is outside those hours now. "
             "Collecting opens again at %(next)s.") % {
        "zone": zt.name, "start": f"{span[0]:%H:%M}", "end": f"{span[1]:%H:%M}",
        "next": _clock(next_open(zt, at), at)}


def exit_terms(household_zone, gate, at) -> str:
    """What a controlled area's collector let out at a gate inside the area may do, for the
    guard to say: "仅限到东门取物点取物，不得离开光明小区，18:00 前返回"."""
    zt = household_zone.zone_type
    place = zt.collect_place or _("the collection point at %(gate)s") % {"gate": gate.name}
    words = {"place": place, "area": household_zone.designation.place.name}
    span = hours(zt)
    if span is None:
        return _("Only to collect goods at %(place)s; may not leave %(area)s; come straight back.") % words
    return _("Only to collect goods at %(place)s; may not leave %(area)s; back by %(until)s.") % {
        **words, "until": f"{span[1]:%H:%M}"}



def collect_types() -> list[ZoneType]:
    """The active policy's zone types with a collection rule (their `collect_words`), for the
    checkpoint page: where and when a controlled area's collector may go. One query."""
    return list(ZoneType.objects.filter(policy__is_active=True, may_leave_area=False, may_leave_home=True,
                                        collect_every_days__isnull=False).order_by("-severity"))
