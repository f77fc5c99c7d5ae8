"""A volunteer added to a team after work was given to it (found walking a sealed
building's day: the new member saw it only on her home) is told of the team's open work in
one message: its requests still waiting to be taken and its delivery runs still to carry —
if she may go out (`access.going_out`: none sealed in, kept home, or without the role), as
the team's members were told when it was given (`access.team_user_ids`). Called by the
volunteers app (`volunteers.signals.member_joined`) inside the adding transaction; written in
its own savepoint, so a failure never costs the membership."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import access
from ..models import Request, Run

logger = logging.getLogger("fangkong.services")
LISTED = 10  # the message names so many; the rest are counted


def open_work(team_id) -> tuple[list[Request], list[Run]]:
    """The team's requests given to it and not yet taken, and its runs still to carry."""
    reqs = list(Request.objects.filter(team_id=team_id, state=Request.State.NEW)
                .select_related("category", "household").order_by("priority", "due_at", "id"))
    runs = list(Run.objects.filter(team_id=team_id, state=Run.State.OPEN)
                .select_related("place", "batch__supplier").order_by("batch__due_at", "id"))
    return reqs, runs


def member_joined(sender, team, volunteer, actor, **kwargs) -> int:
    """Tell the new member of the team's open work, once for each joining; 0 when she may not
    go out or there is none."""
    try:
        with transaction.atomic():
            return _tell(actor, team, volunteer)
    except Exception:  # noqa: BLE001 - logged; the membership is what must not be lost
        logger.exception("services: new member %s of team %s not told of its work", volunteer.pk, team.pk)
        return 0


def _tell(actor, team, volunteer) -> int:
    from fangkong.core.when import short_time
    from fangkong.notify.actions import notify
    from fangkong.registry.queries import address_labels

    if not volunteer.user_id or not access.going_out().filter(pk=volunteer.pk).exists():
        return 0
    reqs, runs = open_work(team.id)
    if not reqs and not runs:
        return 0
    labels = address_labels([r.household for r in reqs])
    where = {r.id: f"{labels.get(r.household.place_id, '')} {r.household.door}".strip() for r in reqs}
    words = {"team": team.name}

    def body():  # in each reader's language
        lines = [_("Request, %(category)s: %(where)s, needed by %(time)s") % {
            "category": r.category.label, "where": where[r.id], "time": short_time(r.due_at)}
            for r in reqs[:LISTED]]
        lines += [_("Delivery run: %(place)s, %(supplier)s, at the gate at %(time)s") % {
            "place": run.place.name, "supplier": run.batch.supplier.name, "time": short_time(run.batch.due_at)}
            for run in runs[:LISTED]]
        more = max(0, len(reqs) - LISTED) + max(0, len(runs) - LISTED)
        if more:
            lines.append(ngettext("And %(n)d more piece of work on your home page.",
                                  "And %(n)d more pieces of work on your home page.", more) % {"n": more})
        return "\n".join(lines)

    url = (reverse("services_request", args=[reqs[0].id]) if len(reqs) == 1 and not runs
           else reverse("services_run", args=[runs[0].id]) if len(runs) == 1 and not reqs else reverse("home"))
    return notify(actor, {volunteer.user_id}, kind="services.team",
                  title=lambda: _("You joined %(team)s: its open work") % words, body=body, url=url,
                  place=team.community_place, key=f"services.team.{team.id}.joined.{volunteer.id}."
                  f"{max([r.id for r in reqs] or [0])}.{max([r.id for r in runs] or [0])}")
