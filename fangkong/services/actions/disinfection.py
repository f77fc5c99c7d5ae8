"""Disinfection (消杀): routine schedules per area, and terminal disinfection created when a
case is confirmed in a building (zones calls `after_case`); assigned to the disinfection
team (`terminal_team`: the team of the place's routine, else the team last given a
disinfection in the community, else a team with a member trained in disinfection — the
first of them with someone who may go out; its members who may go out are told, and the
case message says by when and who, or that nobody can go out: `case_words`); signed off with the time, the area covered and the agent. One done after its due time
stays late once signed off (`Disinfection.late_minutes`: the page, the API, the .xlsx)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid
from fangkong.core.when import short_time
from fangkong.registry.models import LEVEL_FIELDS, Place

from .. import access, checks
from ..models import Disinfection, DisinfectionRoutine

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
    team, told = terminal_team(place)
    d = Disinfection(place=place, kind=Disinfection.Kind.TERMINAL, case=case, team=team,
                     due_at=case.confirmed_at + timezone.timedelta(hours=hours))
    d.copy_levels(place)
    try:
        with transaction.atomic():
            d.save()
            record(actor, "services.disinfection.terminal", place,
                   {"id": d.id, "case": case.id, "team": getattr(team, "id", None), "told": len(told)})
            _tell_team(actor, d, told)
    except IntegrityError:
        return Disinfection.objects.get(case=case, place=place)
    d.told = len(told)
    return d


def terminal_team(place: Place):
    """Who does the terminal disinfection of `place` (the one rule): the candidates, in order,
    are the team of a running routine disinfection of the place or of a place above it (the
    nearest first), the teams last given a disinfection in the community (newest first), and
    the community's teams with a member trained in disinfection (the nearest area first);
    the first of them with a member who may go out (`access.team_user_ids`) does it.
    Returns (team or None, the accounts told); (None, empty) when none can go out: the case
    message says so to the staff (`case_words`)."""
    from fangkong.volunteers.models import Skill, Team

    ids = [getattr(place, f) for f in LEVEL_FIELDS] + [place.id]
    depth = {pid: n for n, pid in enumerate(ids) if pid}
    community = place.community_id or place.id
    routines = sorted(DisinfectionRoutine.objects.filter(state=DisinfectionRoutine.State.ACTIVE,
                                                         place_id__in=list(depth), team__isnull=False)
                      .values_list("place_id", "created_at", "team_id"),
                      key=lambda r: (-depth[r[0]], -r[1].timestamp()))
    last = (Disinfection.objects.filter(community_id=community, team__isnull=False)
            .order_by("-created_at", "-id").values_list("team_id", flat=True)[:50])
    skilled = sorted(Team.objects.filter(community_place_id=community,
                                         memberships__volunteer__skills__contains=f",{Skill.DISINFECTION},")
                     .distinct().values_list("id", "area_id"),
                     key=lambda t: (-depth.get(t[1], -1), t[0]))
    order = list(dict.fromkeys([r[2] for r in routines] + list(last) + [t[0] for t in skilled]))
    teams = Team.objects.in_bulk(order)
    order = [t for t in order if t in teams and teams[t].community_place_id == community]
    reach = access.team_reach(order)
    for t in order:
        if reach.get(t):
            return teams[t], access.team_user_ids(t)
    return None, set()


def give_team(actor, d: Disinfection, team) -> tuple[Disinfection, set[int]]:
    """Staff give a team to a disinfection not yet done (one after a case with no team, or
    another team): a team of the same community; its members who may go out are told
    (`access.team_user_ids`). Returns (the disinfection, the accounts told)."""
    access.require(actor, access.RUN, d)
    if d.done_at is not None:
        raise Invalid(_("This disinfection is already done: its team can no longer be changed."))
    if team is None or team.community_place_id != (d.place.community_id or d.place_id):
        raise Invalid(fields={"team": [_("Choose one of this community's teams.")]})
    told = access.team_user_ids(team.id)
    with transaction.atomic():
        d.team = team
        d.save(update_fields=["team"])
        record(actor, "services.disinfection.team", d, {"id": d.id, "team": team.id, "told": len(told)})
        _tell_team(actor, d, told, key=f"services.disinfection.{d.id}.team.{team.id}")
    return d, told


def _tell_team(actor, d: Disinfection, users, key=None) -> None:
    """The members of its team who may go out, told where and by when (once)."""
    from fangkong.notify.actions import notify

    if not users:
        return
    words = {"place": d.place.name, "time": date_format(timezone.localtime(d.due_at), "H:i"),
             "team": d.team.name}
    if d.kind == Disinfection.Kind.TERMINAL:
        title = lambda: _("Terminal disinfection of %(place)s by %(time)s") % words  # noqa: E731
        body = lambda: _("A case was confirmed in %(place)s: its terminal disinfection is due by %(time)s "  # noqa: E731
                         "and is given to your team %(team)s. The community staff sign it off with the "
                         "area covered and the disinfectant.") % words
    else:  # a routine one (or one scheduled by hand), given to the team later
        title = lambda: _("Disinfection of %(place)s by %(time)s") % words  # noqa: E731
        body = lambda: _("The disinfection of %(place)s is due by %(time)s and is given to your team "  # noqa: E731
                         "%(team)s. The community staff sign it off with the area covered and the "
                         "disinfectant.") % words
    notify(actor, users, kind="services.disinfection", title=title, body=body,
           place=d.place, key=key or f"services.disinfection.{d.id}.team")


def case_words(d: Disinfection | None):
    """What the case message says of the terminal disinfection, in each reader's language: by
    when and which team does it, or that no team can go out for it (staff arrange it)."""
    if d is None:
        return None
    words = {"place": d.place.name, "time": date_format(timezone.localtime(d.due_at), "H:i"),
             "team": d.team.name if d.team_id else ""}
    if d.team_id:
        return lambda: _("Terminal disinfection of %(place)s is due by %(time)s, done by %(team)s "
                         "(its members who may go out are told).") % words
    return lambda: _("Terminal disinfection of %(place)s is due by %(time)s, and no disinfection team can go "
                     "out for it now (none set, or all sealed in or kept home): arrange it yourselves.") % words


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
