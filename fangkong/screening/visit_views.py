"""The home-sampling list (staff: list, give to a sampler, take off or put back) and what
happened at a visit's door (`door`: the sampler from their list, staff from the home list;
`actions.door.record_door`, what `POST /api/v1/screening/home-visits/{id}/door` calls)."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Invalid
from fangkong.core.views import actor_of, confirm_step, confirmed, flash_error, next_or, page
from fangkong.registry.contacts import with_contact_phones

from . import access, figures, queries
from .actions import followup, home_assign
from .actions.door import record_door
from .door import get_door_visit
from .models import HomeVisit
from .views import with_addresses


@page
def home_list(request, pk):
    rnd = queries.get_round(request.scope, pk, Perm.SCREENING_RUN)
    if request.method == "POST":
        if request.POST.get("generate"):
            n = followup.generate_home_list(actor_of(request), rnd)
            messages.success(request, ngettext(
                "%(n)d person added to the home list (registry tags, zones sampled at home).",
                "%(n)d people added to the home list (registry tags, zones sampled at home).", n) % {"n": n})
            if rnd.home_left_out:  # a case: transferred or isolated (`access.HELD_OUTCOMES`)
                messages.warning(request, followup.left_out_words(rnd.home_left_out))
        elif request.POST.get("assign"):
            try:
                sampler = home_assign.round_sampler(rnd, request.POST.get("sampler"))
                done = home_assign.assign_home_visits(actor_of(request), rnd, request.POST.getlist("visits"),
                                                      sampler)
                who = str(sampler.user) if sampler else ""
                messages.success(request, (ngettext(
                    "%(n)d home visit given to %(who)s.", "%(n)d home visits given to %(who)s.", len(done))
                    if sampler else ngettext("%(n)d home visit given to nobody.",
                                             "%(n)d home visits given to nobody.", len(done)))
                    % {"n": len(done), "who": who})
            except Invalid as e:
                flash_error(request, e)
        elif request.POST.get("visit"):
            hv = queries.get_home_visit(request.scope, request.POST["visit"])
            status = request.POST.get("status", "")
            name = hv.resident.name
            if status == "cancelled" and not confirmed(request) and not hv.urgent:  # a re-test: refused
                return confirm_step(
                    request, title=_("Take %(name)s off the home-sampling list?") % {"name": name},
                    lines=[_("Only when %(name)s no longer needs sampling at home (can come to a "
                             "sampling point, is in hospital…). %(name)s stays on the missing "
                             "list until sampled; you can put the visit back below the list.")
                           % {"name": name}],
                    yes=_("Yes, take off the list"), back=reverse("screening_home_list", args=[rnd.id]))
            try:
                followup.set_home_visit(actor_of(request), hv, status)
                done = {"cancelled": _("%(name)s was taken off the home-sampling list."),
                        "open": _("%(name)s is back on the home-sampling list."),
                        "done": _("%(name)s: home visit done.")}
                messages.success(request, done.get(status, "%(name)s") % {"name": name})
            except Invalid as e:
                flash_error(request, e)
        return redirect("screening_home_list", pk=rnd.id)
    visits = figures.home_visits(request.scope, rnd)
    cancelled = figures.home_visits(request.scope, rnd, "cancelled")
    with_contact_phones(actor_of(request), [v.resident for v in visits + cancelled],
                        f"screening.home:{rnd.id}")
    samplers = list(rnd.samplers.select_related("user").order_by("id"))
    names = {s.user_id: str(s.user) for s in samplers}
    for v in visits:
        v.assignee_name = names.get(v.assignee_id, "") if v.assignee_id else ""
    return render(request, "screening/home_list.html", {"round": rnd, "visits": visits,
                                                        "cancelled": cancelled, "samplers": samplers})


# what each door outcome means, said under its choice in the confirm step
DOOR_HELP = {
    HomeVisit.Door.NO_ANSWER: gettext_lazy("Nobody opened the door or answered the phone."),
    HomeVisit.Door.REFUSED: gettext_lazy("The person or the family refused the swab."),
    HomeVisit.Door.NOT_HERE: gettext_lazy("The person does not live at this address now: staff check "
                                          "where they are."),
}


@require_POST
@page
def door(request, pk):
    """"上门未采到…" on a visit of the sampler's list (or the staff's home list): asks what
    happened (no answer, refused, not at this address) and a note, then records it
    (`actions.door.record_door`) and goes back to the list (`next`). The visit stays open."""
    actor = actor_of(request)
    hv = get_door_visit(actor, pk)
    mine = access.is_door_sampler(actor, hv)
    back = next_or(request, reverse("screening_my_home_visits") if mine
                   else reverse("screening_home_list", args=[hv.round_id]))
    r = hv.resident
    outcome = request.POST.get("outcome", "")
    if not confirmed(request) or outcome not in HomeVisit.Door.values:
        with_addresses([r])
        fields = [(k, v) for k, v in request.POST.items()
                  if k not in ("csrfmiddlewaretoken", "confirm", "outcome", "note", "client_id")]
        # one client id for the step: "yes" tapped twice records one attempt
        fields.append(("client_id", request.POST.get("client_id") or str(uuid.uuid4())))
        return confirm_step(
            request, title=_("What happened at %(name)s's door?") % {"name": r.name},
            lines=[_("%(name)s, %(address)s") % {"name": r.name, "address": r.address},
                   _("No swab was taken. The visit stays on the list for another attempt, and "
                     "%(name)s stays on the missing list.") % {"name": r.name}],
            choice=("outcome", _("What happened"), [(v, label, DOOR_HELP[v]) for v, label in HomeVisit.Door.choices],
                    outcome),
            entry=("note", _("Note (optional)"), request.POST.get("note", "")),
            fields=fields, yes=_("Record it"), back=back)
    try:
        hv = record_door(actor, hv, outcome, request.POST.get("note", ""),
                         client_id=request.POST.get("client_id"))
        messages.success(request, _("%(name)s: %(outcome)s, recorded. The visit stays on the list "
                                    "for another attempt.") % {"name": r.name, "outcome": hv.get_door_display()})
    except Invalid as e:
        flash_error(request, e)
    return redirect(back)
