"""Routine disinfection (例行消杀) on a fixed rhythm: staff set, for a place (a building, a
compound or the community), the times of day (08:00, 16:00), the team, and how long — until
an end date, while the place is sealed (its seal lifted: the routine ends), or until they end
it. The worker's pass (`make_all`, from `tasks.recover_services`) makes today's and
tomorrow's `Disinfection` rows ahead of time, in the site's local time; once per routine and
time (the unique `svc_routine_slot_once`: a retry or two workers at once never make a row
twice). Pausing or ending takes away the routine's rows still to come and not signed off;
those already due stay (overdue if nobody did them). The seal is read through the zones'
own query (`zones.queries.sealed_over`)."""

import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid
from fangkong.registry.models import Place

from .. import access
from ..models import Disinfection, DisinfectionRoutine

R = DisinfectionRoutine
PLACE_KINDS = ("community", "compound", "building")
MAX_TIMES = 12
DAYS_AHEAD = 1  # today's rows and tomorrow's
TIME = re.compile(r"([01]?\d|2[0-3])[:：]([0-5]\d)")


def parse_times(value) -> list[str]:
    """"08:00 16:00", "8:00，16:00", ["08:00", "16:00"] → ["08:00", "16:00"] (sorted, once
    each); anything else is refused, saying how to write it."""
    parts = value if isinstance(value, list | tuple) else re.split(r"[\s,，、;；]+", str(value or ""))
    out = set()
    for p in parts:
        p = str(p).strip()
        if not p:
            continue
        m = TIME.fullmatch(p)
        if m is None:
            raise Invalid(fields={"times": [_("Write the times of day like 08:00 16:00.")]})
        out.add(f"{int(m.group(1)):02d}:{m.group(2)}")
    if not out:
        raise Invalid(fields={"times": [_("Write the times of day like 08:00 16:00.")]})
    if len(out) > MAX_TIMES:
        raise Invalid(fields={"times": [ngettext("At most %(n)d time a day.", "At most %(n)d times a day.",
                                                     MAX_TIMES) % {"n": MAX_TIMES}]})
    return sorted(out)


def _day(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(fields={"ends_on": [_("Enter a date.")]}) from None


def _team(place: Place, team):
    """A team of the place's community (any other, as a missing one: refused alike)."""
    if team in (None, ""):
        return None
    from fangkong.volunteers.models import Team

    community = place.community_id or place.id
    found = team if isinstance(team, Team) else Team.objects.filter(pk=int(team)).first() \
        if str(team).isdigit() else None
    if found is None or found.community_place_id != community:
        raise Invalid(fields={"team": [_("No such team here.")]})
    return found


def sealed(place: Place):
    """The designation keeping people home over `place` (its own or above it), or None."""
    from fangkong.zones.queries import sealed_over

    return sealed_over(place)


def create(actor, place: Place, *, times, team=None, while_sealed=False, ends_on=None) -> R:
    """A routine from now on; its rows still to come today and tomorrow are made at once.
    Refused when the place has a routine running or paused at one of these times (`_not_twice`)."""
    access.require(actor, access.RUN, place)
    if place.kind not in PLACE_KINDS:
        raise Invalid(fields={"place": [_("Choose a building, a compound or the community.")]})
    slots = parse_times(times)
    last = _day(ends_on)
    if last is not None and last < timezone.localdate(timezone.now(), timezone.get_default_timezone()):
        raise Invalid(fields={"ends_on": [_("The last day has already passed.")]})
    t = _team(place, team)
    if while_sealed and sealed(place) is None:
        raise Invalid(fields={"while_sealed": [_("%(place)s is not sealed.") % {"place": place.name}]})
    r = R(place=place, times=",".join(slots), team=t, while_sealed=bool(while_sealed), ends_on=last,
          created_by=actor.user if actor.user and actor.user.is_authenticated else None)
    r.copy_levels(place)
    with transaction.atomic():
        Place.objects.select_for_update().filter(pk=place.pk).first()  # two taps at once: one routine
        _not_twice(place, slots)
        r.save()
        record(actor, "services.routine.create", place, {
            "id": r.id, "times": r.times, "while_sealed": r.while_sealed, **({"team": t.id} if t else {}),
            **({"ends_on": last.isoformat()} if last else {})})
        make_rows([r])
    return r


def _not_twice(place: Place, slots: list[str]) -> None:
    """A place's routine not set twice (found on the gate walk: 3号楼's 08:00 16:00 set again
    made two identical rows, and pausing one left the other spraying): a routine running or
    paused there at any of these times is named, to change that one instead."""
    for other in R.objects.filter(place=place, state__in=(R.State.ACTIVE, R.State.PAUSED)).order_by("id"):
        shared = [t for t in other.time_list() if t in slots]
        if shared:
            raise Invalid(fields={"times": [
                _("%(place)s already has a routine disinfection at %(times)s (%(state)s, every day at "
                  "%(all)s): change or end that one instead.")
                % {"place": place.name, "times": " ".join(shared), "state": other.get_state_display(),
                   "all": " ".join(other.time_list())}]})


def _drop_coming(r: R, now) -> int:
    """The routine's rows still to come and not signed off, taken away."""
    n, _kinds = Disinfection.objects.filter(routine=r, done_at=None, due_at__gt=now).delete()
    return n


def _set_state(actor, r: R, frm, to, action, *, why="", now=None) -> R:
    """One conditional UPDATE (staff and the worker at once: one of them does it, once)."""
    now = now or timezone.now()
    with transaction.atomic():
        fields = {"state": to}
        if to == R.State.ENDED:
            fields.update(ended_at=now, ended_why=why)
        n = R.objects.filter(pk=r.pk, state__in=frm).update(**fields)
        if n:
            dropped = _drop_coming(r, now) if to != R.State.ACTIVE else 0
            r.refresh_from_db()
            if to == R.State.ACTIVE:
                make_rows([r], now)
            record(actor, action, r.place, {"id": r.id, **({"why": why} if why else {}),
                                            **({"dropped": dropped} if dropped else {})},
                   levels_from=r)
    r.refresh_from_db()
    return r


def pause(actor, r: R) -> R:
    access.require(actor, access.RUN, r)
    return _set_state(actor, r, [R.State.ACTIVE], R.State.PAUSED, "services.routine.pause")


def resume(actor, r: R) -> R:
    access.require(actor, access.RUN, r)
    if r.state == R.State.PAUSED and r.while_sealed and sealed(r.place) is None:
        return end(actor, r, why=R.Why.LIFTED, checked=True)
    return _set_state(actor, r, [R.State.PAUSED], R.State.ACTIVE, "services.routine.resume")


def end(actor, r: R, *, why=R.Why.STAFF, checked=False) -> R:
    """Ended for good (staff are asked first); by the worker when the seal is lifted or the
    last day has passed (`checked`: the caller is the system)."""
    if not checked:
        access.require(actor, access.RUN, r)
    return _set_state(actor, r, [R.State.ACTIVE, R.State.PAUSED], R.State.ENDED, "services.routine.end",
                      why=why)


def slots(r: R, now, *, starts=None) -> list[datetime.datetime]:
    """The routine's moments still to come today and tomorrow (local time), up to its last
    day and from `starts` (the seal's start) on."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate(now, zone)
    out = []
    for n in range(DAYS_AHEAD + 1):
        day = today + datetime.timedelta(days=n)
        if r.ends_on is not None and day > r.ends_on:
            break
        for t in r.time_list():
            h, m = (int(x) for x in t.split(":"))
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)), zone)
            if at >= now and (starts is None or at >= starts):
                out.append(at)
    return out


def sealed_many(routines) -> dict:
    """{place id: `sealed`} of the while-sealed routines' places, in one query."""
    from fangkong.zones.queries import sealed_over_many

    return sealed_over_many({r.place_id: r.place for r in routines if r.while_sealed}.values())


def make_rows(routines, now=None, seals=None) -> int:
    """The rows of these running routines still missing for today and tomorrow; rows made
    already (by this pass, another worker, a retry) are left alone. Returns how many made.
    `seals`: `sealed_many` of them, read already (else read here, in one query)."""
    now = now or timezone.now()
    routines = [r for r in routines if r.state == R.State.ACTIVE]
    if seals is None:
        seals = sealed_many(routines)
    want = []
    for r in routines:
        starts = None
        if r.while_sealed:
            d = seals.get(r.place_id)
            starts = d.starts_at if d is not None else None
        want += [(r, at) for at in slots(r, now, starts=starts)]
    if not want:
        return 0
    have = set(Disinfection.objects.filter(routine__in={r.id for r, _at in want}, due_at__gte=now)
               .values_list("routine_id", "due_at"))
    rows = []
    for r, at in want:
        if (r.id, at) in have:
            continue
        d = Disinfection(place_id=r.place_id, kind=Disinfection.Kind.ROUTINE, due_at=at, team_id=r.team_id,
                         routine=r)
        d.copy_levels(r)
        rows.append(d)
    # the unique (routine, due_at) keeps a row made by another worker meanwhile from doubling
    Disinfection.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


CHUNK = 500  # routines read (and their places' seals) per query of the worker's pass


def make_all(now=None) -> dict:
    """(the worker's pass, every few minutes; safe to run twice or on two workers at once)
    Routines whose last day has passed or whose place's seal was lifted end (paused ones
    too: nothing to resume into); the others get their rows for today and tomorrow. Every
    routine, in keyset chunks of `CHUNK`, each chunk's seals read in one query."""
    from fangkong.core.actor import Actor

    now = now or timezone.now()
    today = timezone.localdate(now, timezone.get_default_timezone())
    system = Actor.system(via="task")
    ended = made = 0
    last = 0
    while True:
        chunk = list(R.objects.filter(state__in=[R.State.ACTIVE, R.State.PAUSED], id__gt=last)
                     .select_related("place").order_by("id")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1].id
        seals = sealed_many(chunk)
        running = []
        for r in chunk:
            if r.ends_on is not None and r.ends_on < today:
                end(system, r, why=R.Why.DATE, checked=True)
                ended += 1
            elif r.while_sealed and seals.get(r.place_id) is None:
                end(system, r, why=R.Why.LIFTED, checked=True)
                ended += 1
            elif r.state == R.State.ACTIVE:
                running.append(r)
        made += make_rows(running, now, seals=seals)
    # a pass that read a routine as running just before staff paused or ended it made its
    # rows after they were taken away: take them away again
    Disinfection.objects.filter(routine__state__in=[R.State.PAUSED, R.State.ENDED], done_at=None,
                                due_at__gt=now).delete()
    return {"disinfection_rows": made, "disinfection_routines_ended": ended}
