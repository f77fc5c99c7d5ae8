"""The follow-up page: a round's held people (positive pools, positive antigen tests), the
single re-test recorded at the door — asked first, which tube on whom (walk_lab 5), or kept
on the phone while offline and sent when it is back (static/fangkong/followup.js, the
queue of queue.js, through `POST /api/v1/screening/followups/{id}/retest`) — and a re-test
tube recorded on the wrong person taken off her before the lab has it
(`followup.detach_retest`, the same action as `POST …/followups/{id}/retest/detach`)."""

import uuid

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.core.errors import FangkongError
from fangkong.core.views import act, actor_of, confirm_step, confirmed, flash_error, page
from fangkong.registry import queries as reg_queries

from . import access, checks, figures, queries, status
from .actions import followup
from .home_views import with_reach


@page
def followups(request, pk):
    """The held people of a round: all of theirs for staff and grid workers (whatever came of
    them); for a volunteer her task only (`access.followup_task_q`), while they wait."""
    actor = actor_of(request)
    rnd = queries.get_round_for_followups(actor, pk)
    if request.method == "POST":
        detach = request.POST.get("detach")  # the follow-up whose tube is taken off
        fu = queries.get_followup(actor, detach or request.POST.get("followup"))
        back = reverse("screening_followups", args=[rnd.id]) + f"#fu-r{fu.resident_id}"
        if detach:
            return _detach(request, actor, fu, back)
        if not confirmed(request):  # the tube and the person, asked first (walk_lab 5)
            return _retest_asked(request, fu, back)
        return act(request, lambda actor: followup.record_retest(actor, fu, request.POST.get("barcode"),
                                                                 client_id=request.POST.get("client_id") or None),
                   to=back, catch=(FangkongError,),
                   done=_("Re-test sample recorded for %(name)s.") % {"name": fu.resident.name})
    rows = queries.followups(actor, rnd)
    labels = reg_queries.address_labels([f.resident for f in rows])
    # a volunteer's rows are her task: whom to swab, not what came of anyone (no housemate's case)
    mine = [f for f in rows if request.scope.allows(Perm.SCREENING_RUN, f)]
    contacts = status.close_contacts(mine)  # living with a case: not released
    for f in rows:
        f.address = labels.get(f.resident.household.place_id, "")
        f.close_contact = f.resident_id in contacts
        # the household page (close contacts, what to do): a link only where it opens for them
        f.can_open = request.scope.allows(Perm.VIEW_REGISTRY, f.resident.household)
        f.state, f.state_label = status.followup_state(f, f.close_contact)  # as the API says it
        f.overdue_text = status.overdue_text(f, figures.hours_held(f)) if f.overdue else ""
        f.client_id = uuid.uuid4()  # the form's: a double tap, or "back" and again, records once
        f.can_detach = access.can_detach(actor, f)  # a tube on the wrong person, the lab without it
    # whom to call, the tags and the registry's notes; phones by the one rule of the
    # sampler's own list (`home_views.with_reach`: a visit given to them is in clear)
    with_reach(actor, [f.resident for f in rows], f"screening.followups:{rnd.id}",
               queries.visits_given_to(request.scope, rnd))
    runs = access.round_allows(request.scope, Perm.SCREENING_RUN, rnd)
    return render(request, "screening/followups.html", {
        "round": rnd, "rows": rows, "overdue": sum(1 for f in rows if f.overdue),
        "overdue_hours": settings.FANGKONG_HOLD_OVERDUE_HOURS,
        # a volunteer's list is her task: said so, and the team she works it for
        "task_only": not runs, "team": rnd.emergency_team if not runs and access.on_emergency_team(actor, rnd) else None,
        "round_link": access.round_allows(request.scope, Perm.SCREENING_VIEW, rnd) or access.can_sample(actor, rnd),
        "strings": queue_strings()})


def queue_strings() -> dict:
    """What followup.js says and shows (the re-test kept on the phone while offline), in the
    user's language."""
    return {
        "online": _("Online"), "offline": _("Offline: entries are kept on this phone"),
        "waiting": _("Waiting to be sent"), "error": _("Error"), "ack": _("Noted"),
        "ask": _("Record tube %(code)s as %(name)s's single re-test?"),
        "check": _("Check it is this person first: scan their sampling code or look at their ID card."),
        "yes": _("Yes, record it"),
        "queued": _("Saved on this phone, will be sent when the network is back."),
        "taken": _("Tube %(code)s is already recorded for %(name)s on this phone (waiting to be sent): "
                   "use another tube."),
        "sent": _("Re-test sample recorded for %(name)s."),
        "recorded": _("re-test tube"),
        "refused": _("Not saved: %s"),
        "login": _("Your session has ended: log in again, then the entries waiting here are sent."),
    }


def _retest_asked(request, fu, back):
    """Which tube goes to whom, asked before it is recorded (a tube on the wrong neighbour
    gives its result, release or case, to the wrong person): the barcode checked first."""
    try:
        code = checks.check_tube_barcode(request.POST.get("barcode"))
    except FangkongError as e:
        flash_error(request, e)
        return redirect(back)
    r = fu.resident
    return confirm_step(request, title=_("Record tube %(code)s as %(name)s's single re-test?") % {
        "code": code, "name": r.name}, lines=[_where(fu),
                                              _("Check it is this person first: scan their sampling code or "
                                                "look at their ID card."),
                                              _("The tube's result will be this person's result.")],
                        yes=_("Yes, record it"), back=back)


def _where(fu) -> str:
    r = fu.resident
    return f"{r.name} · {reg_queries.address_labels([r]).get(r.household.place_id, '')} {r.household.door}"


def _detach(request, actor, fu, back):
    """“Take the tube off” (a re-test tube recorded on the wrong person): who may, first
    (`access.require_detach`: anyone else is told the page is not found, before the form is
    read); then asked, with the reason to keep (`followup.detach_retest`)."""
    tube = fu.retest_tube if fu.retest_tube_id else None
    access.require_detach(actor, fu, tube)
    if not confirmed(request):
        if tube is None:
            return act(request, lambda actor: followup.detach_retest(actor, fu, ""), to=back,
                       catch=(FangkongError,))  # said why: no tube on her
        name = fu.resident.name
        return confirm_step(
            request, title=_("Take tube %(code)s off %(name)s?") % {"code": tube.barcode, "name": name},
            lines=[_where(fu), _("After this the person still needs the single re-test."),
                   _("The tube's barcode is then free to record on the right person.")],
            entry=("reason", _("Reason (for example: recorded on the wrong person)"),
                   request.POST.get("reason", "")),
            yes=_("Yes, take it off"), back=back)
    return act(request, lambda actor: followup.detach_retest(actor, fu, request.POST.get("reason"),
                                                             barcode=request.POST.get("tube") or None),
               to=back, catch=(FangkongError,),
               done=lambda off: _("Tube %(code)s taken off %(name)s, who waits for the single re-test again.")
               % {"code": off.barcode, "name": fu.resident.name})
