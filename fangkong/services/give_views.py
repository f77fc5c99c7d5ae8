"""Giving a request or a run to a team or a person, on its page: what the select offers
(each team with how many of it may go out now, the community's volunteers who may), the
step asked first when nobody of the team may go out, and the words after it — how many
were told (`requests.assign`'s and `handoff.assign_run`'s `told`: the same count the API
returns), or that nobody was."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.errors import Invalid
from fangkong.core.views import confirm_step, confirmed

from . import access, queries
from .actions import requests


def choices(r) -> dict:
    """The request page's "交给队伍" and "交给个人": the teams of its community, each with
    `reach` (how many of it may go out now: `access.team_reach`, as `team_user_ids` counts), and the community's
    volunteers who may go out (`access.going_out`), by name."""
    teams = teams_with_reach(r.community_id)
    people = list(access.going_out().filter(community_id=r.community_id).order_by("name", "id")
                  .values("user_id", "name")[:200])
    return {"teams": teams, "people": people}


def teams_with_reach(community_id) -> list:
    """A community's teams by name, each with `reach`: how many of it may go out now
    (`access.team_reach`, as `team_user_ids` counts) — the request page's and the
    disinfection list's "交给队伍"."""
    from fangkong.volunteers.models import Team

    teams = list(Team.objects.filter(community_id=community_id).order_by("name")[:50])
    reach = access.team_reach(t.id for t in teams)  # one query, not one a team
    for t in teams:
        t.reach = reach.get(t.id, 0)
    return teams


def nobody_words(team_name: str) -> str:
    return _("Nobody of %(team)s may go out now, so nobody will be told: give it to another team "
             "or to a person.") % {"team": team_name}


def said(request, told: int, *, team=None, person=None) -> None:
    """The words after giving: to a team, how many of it were told, or (none) a warning that
    nobody was; to a person, that they were told."""
    if person is not None:
        name = person.display_name or person.username
        if told:
            messages.success(request, _("Given to %(who)s: they are told.") % {"who": name})
        else:
            messages.success(request, _("Given to %(who)s.") % {"who": name})
    elif told:
        messages.success(request, ngettext("Given to %(team)s: %(n)d volunteer is told.",
                                           "Given to %(team)s: %(n)d volunteers are told.", told)
                         % {"team": team.name, "n": told})
    else:
        messages.warning(request, nobody_words(team.name))


def give_request(request, actor, r):
    """The request page's step `assign`: to a team (`team`) or a person (`assignee`, one of
    the community's volunteers who may go out, or whoever the API may give it to). A team
    nobody of which may go out is asked first, saying so. `requests.assign`, the API's action."""
    from fangkong.accounts.models import User

    team = person = None
    if request.POST.get("assignee"):
        pk = request.POST.get("assignee", "")
        person = User.objects.filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 12 else None
        if person is None:
            raise Invalid(fields={"assignee": [requests.refused_assignee()]})
    else:
        team = queries.run_team(r, request.POST.get("team"))  # a team of its community (as the API)
        if team is None:
            raise Invalid(fields={"team": [_("No such team here.")]})
        if not confirmed(request) and not access.team_user_ids(team.id):
            return confirm_step(request, title=_("Give this request to %(team)s?") % {"team": team.name},
                                lines=[r.message], warn=nobody_words(team.name),
                                yes=_("Yes, give it to %(team)s") % {"team": team.name},
                                back=request.get_full_path())
    r = requests.assign(actor, r, assignee=person, team=team)
    said(request, r.told, team=team, person=person)
    return None


def give_run(request, run, team):
    """After the run page's "交给这个队" (asked first): `handoff.assign_run`, then how many
    were told. Back on the run's page."""
    from django.urls import reverse

    from fangkong.core.actor import actor_of
    from fangkong.core.errors import Conflict
    from fangkong.core.views import flash_error

    from .actions import handoff

    here = reverse("services_run", args=[run.pk])
    try:
        run = handoff.assign_run(actor_of(request), run, team=team)
    except (Invalid, Conflict) as e:
        flash_error(request, e)
        return redirect(here)
    said(request, run.told, team=team)
    return redirect(here)
