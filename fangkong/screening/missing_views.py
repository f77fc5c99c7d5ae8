"""What a worker does on a missing-list row after calling (walk of 2026-12): "不在本地" (the
person is away: their presence, the registry's one home for it, set by
`registry.actions.update_resident` — what `PATCH /api/v1/residents/{id}` calls) or "免检…"
(an exemption in this round with a reason, `planning.add_exemption` — what
`POST /api/v1/screening/rounds/{id}/exemptions` calls). Each asks first, naming the person,
then goes back to the same place in the list (`#m-<id>` of the row that followed), with its
figures recounted. Plain forms: no script needed."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.errors import Invalid
from fangkong.core.views import actor_of, confirm_step, confirmed, flash_error, page
from fangkong.registry import actions as reg_actions
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Presence

from . import access, checks, queries
from .actions import planning
from .models import ExemptReason
from .views import with_addresses

AWAY = "away"
EXEMPT = "exempt"


def row_reasons():
    """The reasons an exemption may be given (someone away is not one: their presence is)."""
    return [(v, label) for v, label in ExemptReason.choices if v not in checks.BY_PRESENCE]


def _back(rnd, node, post) -> str:
    """The missing list as it was (place, invalid-only), at the row that followed."""
    url = f"{reverse('screening_missing', args=[rnd.id])}?place={node.id}"
    if post.get("resample") == "1":
        url += "&resample=1"
    at = post.get("at", "")
    return f"{url}#m-{int(at)}" if at.isdigit() else url


@require_POST
@page
def missing_row(request, pk, resident):
    actor = actor_of(request)
    rnd = queries.get_round(request.scope, pk)
    r = reg_queries.get_resident(request.scope, resident)
    access.require_run_person(actor, rnd, r)  # a grid worker: their grid's people, else as missing
    node = queries.round_node(request.scope, rnd, request.POST.get("place"))
    back = _back(rnd, node, request.POST)
    do = request.POST.get("do")
    if do not in (AWAY, EXEMPT):
        return redirect(back)
    with_addresses([r])
    who = _("%(name)s, %(address)s") % {"name": r.name, "address": r.address}
    try:
        if do == AWAY:
            if not confirmed(request):
                return confirm_step(
                    request, title=_("Is %(name)s away?") % {"name": r.name},
                    lines=[who, _("Presence: %(presence)s") % {"presence": Presence.AWAY.label},
                           _("%(name)s will not be counted as missing in this round or the next ones "
                             "until their presence is set back to At home on the resident's page.")
                           % {"name": r.name}],
                    yes=_("Yes, away"), back=back)
            reg_actions.update_resident(actor, r, {"presence": Presence.AWAY})
            messages.success(request, _("%(name)s is away: not counted as missing.") % {"name": r.name})
        else:
            reason = request.POST.get("reason")
            if not confirmed(request) or not reason:
                return confirm_step(
                    request, title=_("Exempt %(name)s from this round?") % {"name": r.name},
                    lines=[who, _("%(name)s will not be counted as missing in this round.") % {"name": r.name},
                           _("Away from the area? Go back and tap “Away…” instead: it is their presence.")],
                    choice=("reason", _("Reason"), [(v, label, "") for v, label in row_reasons()]),
                    yes=_("Yes, exempt"), back=back)
            planning.add_exemption(actor, rnd, r, reason, request.POST.get("note", ""))
            messages.success(request, _("%(name)s is exempt from this round.") % {"name": r.name})
    except Invalid as e:
        flash_error(request, e)
    return redirect(back)
