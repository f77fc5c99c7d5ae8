"""Disinfection (消杀): routine schedules per area, and terminal disinfection created when a
case is confirmed in a building (zones calls `after_case`); assigned to the disinfection
team; signed off with the time, the area covered and the agent. One done after its due time
stays late once signed off (`Disinfection.late_minutes`: the page, the API, the .xlsx)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid
from fangkong.core.when import short_time
from fangkong.registry.models import Place

from .. import access, checks
from ..models import Disinfection

PAST_GRACE = datetime.timedelta(minutes=5)  # "now", typed a minute ago


def schedule(actor, place: Place, *, due_at, team=None, kind=Disinfection.Kind.ROUTINE,
             allow_past=False) -> Disinfection:
    """A due time already past is refused (found on the services evening: 01:00 typed at
    03:00 was overdue at once, and nobody said so); `allow_past` records one done late on
    purpose (the demo's, the tests' overdue rows)."""
    access.require(actor, access.RUN, place)
    due = checks.when(due_at, "due_at")
    if due is None:
        raise Invalid(fields={"due_at": [_("Enter a date and time.")]})
    if not allow_past and due < timezone.now() - PAST_GRACE:
        raise Invalid(fields={"due_at": [
            _("%(time)s has already passed: choose a time still to come.")
            % {"time": short_time(due)}]})
    d = Disinfection(place=place, kind=checks.choice(kind, "kind", Disinfection.Kind.choices), due_at=due,
                     team=team)
    d.copy_levels(place)
    with transaction.atomic():
        d.save()
        record(actor, "services.disinfection.schedule", place, {"id": d.id, "kind": d.kind})
    return d


def after_case(actor, case, *, hours=4) -> Disinfection | None:
    """Terminal disinfection of the case's building (its unit if there is no building),
    due within `hours`; once per case and place. Called by the action that recorded the case,
    which has checked its own permission."""
    pid = case.building_id or case.unit_id
    if pid is None:
        return None
    place = Place.objects.get(pk=pid)
    found = Disinfection.objects.filter(case=case, place=place).first()
    if found is not None:
        return found
    d = Disinfection(place=place, kind=Disinfection.Kind.TERMINAL, case=case,
                     due_at=case.confirmed_at + timezone.timedelta(hours=hours))
    d.copy_levels(place)
    try:
        with transaction.atomic():
            d.save()
            record(actor, "services.disinfection.terminal", place, {"id": d.id, "case": case.id})
    except IntegrityError:
        return Disinfection.objects.get(case=case, place=place)
    return d


def clean_sign_off(area: str, agent: str, done_at=None) -> tuple[str, str, datetime.datetime]:
    """A sign-off's area, disinfectant and time, checked (the page checks before it asks)."""
    area = checks.text(area, "area", max_length=200)
    agent = checks.text(agent, "agent", max_length=80)
    when = checks.when(done_at, "done_at") or timezone.now()
    if when > timezone.now() + timezone.timedelta(minutes=5):
        raise Invalid(fields={"done_at": [_("This time is in the future.")]})
    return area, agent, when


def sign_off(actor, d: Disinfection, *, area: str, agent: str, done_at=None) -> Disinfection:
    access.require(actor, access.RUN, d)
    if d.done_at is not None:
        return d
    area, agent, when = clean_sign_off(area, agent, done_at)
    with transaction.atomic():
        n = Disinfection.objects.filter(pk=d.pk, done_at=None).update(done_at=when, area=area, agent=agent,
                                                                      done_by=actor.user)
        if n:
            d.done_at = when  # done late (after its due time): how late stays on the record
            late = d.late_minutes()
            record(actor, "services.disinfection.done", d, {"id": d.id, "area": area, "agent": agent,
                                                            **({"late_minutes": late} if late else {})})
    d.refresh_from_db()
    return d
