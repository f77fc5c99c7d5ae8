"""What a volunteer's role carried, ended with it (settings.FANGKONG_ROLE_ENDINGS; see
accounts.actions_endings): their teams — membership and leadership — and their places on
calls still to come. Once their record no longer counts (`access.counts`: the volunteer
role taken away, or the approval withdrawn) each ends through the action that ends it by
hand: `teams.remove_member` (a leader leaving leaves the team without one), `answers.cancel`
(the freed slot goes to the waitlist and the call's people are told, as any cancellation)."""

from functools import partial

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.actions_endings import Ending
from fangkong.core.errors import Conflict
from fangkong.core.when import short_time

from ..access import counts
from ..models import Assignment, Team, Volunteer
from .answers import cancel
from .teams import remove_member


def role_endings(user, scope, *, withdrawn=False) -> list[Ending]:
    v = Volunteer.objects.filter(user=user).first()
    if v is None or (not withdrawn and counts(scope, v)):
        return []
    out = []
    for t in (Team.objects.filter(Q(memberships__volunteer=v) | Q(leader=v)).distinct()
              .order_by("name", "id")):
        text = _("leader of %(team)s") if t.leader_id == v.id else _("member of %(team)s")
        out.append(Ending(text % {"team": t.name}, partial(_leave, t, v)))
    places = (Assignment.objects.filter(volunteer=v, ends_at__gt=timezone.now(), check_in_at=None)
              .exclude(status=Assignment.Status.CANCELLED).select_related("call", "volunteer")
              .order_by("starts_at", "id"))
    for a in places:
        out.append(Ending(_("a place on the call “%(call)s” (%(when)s)") % {
            "call": a.call.title, "when": short_time(a.starts_at)}, partial(_give_up, a)))
    return out


def _leave(team: Team, v: Volunteer, actor, reason=""):
    remove_member(actor, team, v)


def _give_up(a: Assignment, actor, reason=""):
    try:
        cancel(actor, a, reason)
    except Conflict:  # checked in, or the call ended meanwhile: nothing left to give up
        pass
