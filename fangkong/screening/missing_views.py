"""What a worker does on a missing-list row after calling (walk of 2026-12): "不在本地…" or
"住院…" (the person is away or in hospital: their presence, the registry's one home for it,
set by `registry.actions.update_resident` — what `PATCH /api/v1/residents/{id}` calls) or "免检…"
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
from .views import with_addresses

# the row's presence steps (`do`: "away", "hospital"): the exemption reasons refused for
# being a presence (checks.BY_PRESENCE, pointing here), each setting its presence
PRESENCE_STEPS = {str(reason): presence for reason, presence in checks.BY_PRESENCE.items()}
EXEMPT = "exempt"


def _presence_words(presence, name) -> tuple[str, str, str]:
    """(the question, its "yes", the message once done) of a presence step."""
    if presence == Presence.HOSPITAL:
        return (_("Is %(name)s in hospital?") % {"name": name}, _("Yes, in hospital"),
                _("%(name)s is in hospital: not counted as missing.") % {"name": name})
    return (_("Is %(name)s away?") % {"name": name}, _("Yes, away"),
            _("%(name)s is away: not counted as missing.") % {"name": name})


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
    if do not in PRESENCE_STEPS and do != EXEMPT:
        return redirect(back)
    with_addresses([r])
    who = _("%(name)s, %(address)s") % {"name": r.name, "address": r.address}
    try:
        if do in PRESENCE_STEPS:
            presence = PRESENCE_STEPS[do]
            title, yes, done = _presence_words(presence, r.name)
            if not confirmed(request):
                return confirm_step(
                    request, title=title,
                    lines=[who, _("Presence: %(presence)s") % {"presence": presence.label},
                           _("%(name)s will not be counted as missing in this round or the next ones "
                             "until their presence is set back to At home on the resident's page.")
                           % {"name": r.name}],
                    yes=yes, back=back)
            reg_actions.update_resident(actor, r, {"presence": presence})
            messages.success(request, done)
        else:
            reason = request.POST.get("reason")
            if not confirmed(request) or not reason:
                return confirm_step(
                    request, title=_("Exempt %(name)s from this round?") % {"name": r.name},
                    lines=[who, _("%(name)s will not be counted as missing in this round.") % {"name": r.name},
                           _("Away from the area or in hospital? Go back and tap “Away…” or “In "
                             "hospital…” instead: it is their presence.")],
                    choice=("reason", _("Reason"), [(v, label, "") for v, label in checks.reasons_offered()]),
                    yes=_("Yes, exempt"), back=back)
            planning.add_exemption(actor, rnd, r, reason, request.POST.get("note", ""))
            messages.success(request, _("%(name)s is exempt from this round.") % {"name": r.name})
    except Invalid as e:
        flash_error(request, e)
    return redirect(back)
