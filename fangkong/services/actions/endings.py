"""What a role carried in services, ended with it (settings.FANGKONG_ROLE_ENDINGS; see
accounts.actions_endings): open delivery runs given to the person by name (their team, if
any, keeps the run), open requests given to them (`requests.give_back`: new again, the
household's responders told) and feedings not yet done (back to staff's list of feedings
nobody has). What their team carries stops being theirs when they leave the team (the
volunteers' endings). Each ends only once its person holds no role over it any more
(`access.given_to`)."""

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.actions_endings import Ending
from fangkong.audit.actions import record

from .. import access
from ..models import Feeding, Request, Run
from .requests import give_back


def role_endings(user, scope, *, withdrawn=False) -> list[Ending]:
    out = []
    for run in Run.objects.filter(carrier=user, state=Run.State.OPEN).select_related("place").order_by("id"):
        if not access.given_to(scope, run, user.id):
            out.append(Ending(_("carrying the delivery run to %(building)s") % {"building": run.place.name},
                              partial(_drop_carrier, run)))
    for req in (Request.objects.filter(assignee=user, state__in=Request.OPEN)
                .select_related("category", "household").order_by("id")):
        if not access.given_to(scope, req, user.id):
            out.append(Ending(_("the request “%(category)s” of household %(door)s") % {
                "category": req.category.label, "door": req.household.door}, partial(_give_back, req)))
    for f in (Feeding.objects.filter(volunteer=user, done_at=None, stopped=False,
                                     day__gte=timezone.localdate()).select_related("pet").order_by("day", "id")):
        if not access.given_to(scope, f, user.id):
            out.append(Ending(_("feeding %(pet)s") % {"pet": f.pet.name}, partial(_drop_feeding, f)))
    return out


def _drop_carrier(run: Run, actor, reason=""):
    with transaction.atomic():
        if Run.objects.filter(pk=run.pk, carrier_id=run.carrier_id).update(carrier=None):
            record(actor, "services.run.assign", run, {"team": run.team_id, "carrier": None,
                                                       "was": run.carrier_id, "role_ended": True},
                   levels_from=run)


def _give_back(req: Request, actor, reason=""):
    give_back(actor, req)


def _drop_feeding(f: Feeding, actor, reason=""):
    with transaction.atomic():
        if Feeding.objects.filter(pk=f.pk, volunteer_id=f.volunteer_id, done_at=None).update(volunteer=None):
            record(actor, "services.feeding.assign", f, {"pet": f.pet_id, "volunteer": None,
                                                         "was": f.volunteer_id, "role_ended": True})
