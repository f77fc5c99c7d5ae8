"""Morning calls still not made at the day's deadline (settings.FANGKONG_CHECK_IN_BY, 10:00
by default; `check_ins.deadline`): found on the vulnerable walk, an open check-in never
became late and nobody was told — "还有 12 人待问询" at noon, with no time.

`tell_open_check_ins` (the worker's pass, `tasks.recover_services`): from the deadline, the
day's check-ins still open are claimed once (`core.once.claim` on `CheckIn.late_told_at`, so
retries and two workers at once never tell twice) and sent as one list per grid — each
person, door and whom to call ("10:00 仍未问询 3 人" / "杨存枝 1号楼1单元502 15665858461") —
to the grid's workers and the community's staff (`access.answerers_of`), in each reader's
language; audited `services.check_ins.late` (the people named, the phones said). A call made
after the deadline (someone watched over since: `care.check_ins_today`) is marked at once and
is on no list that day."""

from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.once import claim

from .. import access
from ..check_ins import deadline
from ..models import CheckIn

AT_ONCE = 2000  # check-ins claimed a pass (the rest on the next, as their grids' lists)


def tell_open_check_ins(now=None) -> int:
    """(the worker's pass) From today's deadline, the open check-ins nobody was told of: one
    message per grid. Returns how many check-ins were listed."""
    from fangkong.core.actor import Actor
    from fangkong.registry.models import Place, Resident
    from fangkong.registry.queries import address_labels, contact_phones

    now = now or timezone.now()
    day = timezone.localdate(now)
    by = deadline(day)
    if now < by:
        return 0
    system = Actor.system(via="task")
    qs = CheckIn.objects.filter(day=day, result=CheckIn.Result.OPEN)
    with transaction.atomic():
        rows = claim(qs, "late_told_at", now, order=("grid_id", "building_id", "household_id", "id"),
                     limit=AT_ONCE)
        if not rows:
            return 0
        people = {r.id: r for r in Resident.objects.filter(pk__in=[c.resident_id for c in rows])
                  .select_related("household")}
        labels = address_labels([p.household for p in people.values()])
        others = contact_phones([p for p in people.values() if not p.phone])
        grids = defaultdict(list)
        for c in rows:
            grids[(c.grid_id, c.community_id)].append(c)
        places = Place.objects.in_bulk([g or cm for g, cm in grids])
        for (grid_id, community_id), calls in grids.items():
            lines = [_line(people[c.resident_id], labels, others) for c in calls]
            users = access.answerers_of([(grid_id, community_id)], staff=True)
            place = places.get(grid_id or community_id)
            record(system, "services.check_ins.late", place,
                   {"day": day.isoformat(), "residents": [c.resident_id for c in calls],
                    "households": sorted({c.household_id for c in calls})})
            if not users:
                continue
            from fangkong.notify.actions import notify

            words = {"n": len(calls), "time": timezone.localtime(by).strftime("%H:%M")}
            notify(system, users, kind="services.request",
                   title=lambda words=words: ngettext(
                       "%(time)s: %(n)d person still not called", "%(time)s: %(n)d people still not called",
                       words["n"]) % words,
                   body=lambda lines=lines: "\n".join(line() for line in lines) + "\n" + _(
                       "Call each of them now, or go to the door; record each call on the check-in page."),
                   url=reverse("services_place", args=[place.id]) + "#check-in-count" if place else "",
                   place=place, key=f"services.check_ins.late.{day.isoformat()}.{grid_id or community_id}")
    return len(rows)


def _line(person, labels, others):
    """One person of the list: name, door, whom to call (their own phone, else the
    household's or a housemate's, saying whose; else "visit in person")."""
    door = f"{labels.get(person.household.place_id, '')} {person.household.door}".strip()
    other = others.get(person.id)

    def line():
        if person.phone:
            phone = person.phone
        elif other and other["name"]:
            phone = _("%(phone)s (%(name)s's, same household)") % other
        elif other:
            phone = _("%(phone)s (household phone)") % other
        else:
            phone = _("No phone: visit in person")
        return f"{person.name} {door} {phone}"
    return line
