"""Attendance on a call's page and after it: a leader or staff confirming someone in or out
(asked first, naming the person and, for a check-out, the hours), a check-in undone within
minutes, the volunteer's own check-out from the call's page (asked first, as the QR page
asks), and the staff's "to settle" list (待核定) with its settling. Thin: read through
`queries`, write through `actions.attendance` and `actions.settle`."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.core.views import act, actor_of, confirm_step, confirmed, flash_error, next_or, page

from . import access, queries
from .actions import attendance, settle
from .models import Assignment, tenths

hm = attendance.hm


def _hours(minutes) -> float:
    return tenths(minutes) / 10


# --- a leader or staff on the roster -------------------------------------------------

@require_POST
@page
def attend(request, pk):
    """确认签到 / 确认签退 on a roster row: asked first — the arrival naming the person and
    the time, the check-out with the hours it credits (and why, when cut at the shift's
    end or a check-in elsewhere, or longer than the shift) —, then done. "Out now" is the
    minute of the "yes", not of the page (a phone left open on the call page would
    otherwise check people out when it was drawn), and never past the shift's end; a time
    typed in "left at" is taken as given."""
    a = queries.get_assignment(request.scope, pk)
    back = reverse("volunteers_call", args=[a.call_id]) + "#confirmed"
    tin = request.POST.get("check_in_at") or None
    tout = request.POST.get("check_out_at") or None
    out_now = request.POST.get("out") == "now" and tout is None
    try:
        if not confirmed(request):
            plan = attendance.plan_attendance(actor_of(request), a, tin, tout, out_now=out_now)
            if plan.check_in is not None or plan.leaving is not None:
                return _ask(request, plan, back)
        a = attendance.confirm_attendance(actor_of(request), a, tin, tout, confirm=True, out_now=out_now)
    except Forbidden as e:  # their own place: said on the call's page; any other refusal is a 403
        if e.code != "own_attendance":
            raise
        flash_error(request, e)
    except (Conflict, Invalid) as e:
        flash_error(request, e)
    else:
        _said(request, a, bool(tout or out_now))
    return redirect("volunteers_call", pk=a.call_id)


def _said(request, a, out):
    if out and a.check_out_at:  # the check-out, not the arrival, is what was confirmed
        messages.success(request, _("Check-out confirmed (%(t)s): %(h)s h credited.") % {
            "t": hm(a.check_out_at), "h": a.hours})
        return
    messages.success(request, _("Attendance confirmed."))
    if attendance.undoable(a):
        m = int(attendance.UNDO_CHECK_IN.total_seconds() // 60)
        messages.info(request, ngettext(
            "A wrong row? Undo it on its row within %(m)d minute.",
            "A wrong row? Undo it on its row within %(m)d minutes.", m) % {"m": m})


def _ask(request, plan, back):
    a, name = plan.a, plan.a.volunteer.name
    if plan.leaving is None:  # an arrival
        late = max(0, int((plan.check_in - a.due_at).total_seconds() // 60))
        lines = [_("Arrived at %(t)s.") % {"t": hm(plan.check_in)}]
        if late > getattr(settings, "FANGKONG_VOLUNTEER_LATE_MINUTES", 10):
            lines.append(ngettext("%(m)d minute late.", "%(m)d minutes late.", late) % {"m": late})
        return confirm_step(request, title=_("Confirm that %(name)s has arrived?") % {"name": name},
                            lines=lines, yes=_("Yes, %(name)s is here") % {"name": name}, back=back)
    leaving = plan.leaving
    soon = attendance.soon_after_check_in(plan.start, leaving.at)
    warns = leaving.notes(a, plan.start) + [attendance.long_words(a, plan.start, leaving)]
    lines = [_("In %(i)s, out %(o)s: %(h)s h will be credited.") % {
        "i": hm(plan.start), "o": hm(leaving.at), "h": _hours(leaving.minutes)}]
    if plan.check_in is not None:
        lines.insert(0, _("Arrived at %(t)s.") % {"t": hm(plan.check_in)})
    if soon is not None:
        warns.insert(0, ngettext("Checked in only %(m)d minute ago (at %(at)s). Check out now anyway?",
                                 "Checked in only %(m)d minutes ago (at %(at)s). Check out now anyway?", soon)
                     % {"m": soon, "at": hm(plan.start)} if soon else
                     _("Checked in less than a minute ago (at %(at)s). Check out now anyway?") % {"at": hm(plan.start)})
    title = (_("Check %(name)s out already?") if soon is not None else _("Check %(name)s out?")) % {"name": name}
    return confirm_step(request, title=title, lines=lines, warn=warns, yes=_("Yes, check out"), back=back)


@require_POST
@page
def undo_check_in(request, pk):
    """A check-in confirmed on the wrong row, taken back within minutes (audited)."""
    a = queries.get_assignment(request.scope, pk)
    return act(request, lambda actor: attendance.undo_check_in(actor, a),
               to=reverse("volunteers_call", args=[a.call_id]) + "#confirmed",
               done=_("The check-in of %(name)s is undone.") % {"name": a.volunteer.name}, catch=(Conflict,))


# --- the volunteer's own check-out on the call's page --------------------------------

def check_out_question(request, a, back, fields=None):
    """"Check out now?" with the hours it credits (`attendance.departure`: to now, or to a
    check-in on another call if that came first) and why, in red when a moment after the
    check-in or longer than the shift: the QR page and the call's page ask alike."""
    now = timezone.now()
    leaving = attendance.departure(a, a.check_in_at, now, given=True)
    soon = attendance.soon_after_check_in(a.check_in_at, now)
    warns = [] if soon is None else [
        _("You checked in less than a minute ago. If you are still working, go back.") if soon == 0 else
        ngettext("You checked in only %(m)d minute ago. If you are still working, go back.",
                 "You checked in only %(m)d minutes ago. If you are still working, go back.", soon) % {"m": soon}]
    warns += leaving.notes(a, a.check_in_at) + [attendance.long_words(a, a.check_in_at, leaving)]
    return confirm_step(
        request, title=_("Check out now?"),
        lines=[_("In %(i)s, out %(o)s: %(h)s hours will be credited.") % {
            "i": hm(a.check_in_at), "o": hm(leaving.at), "h": _hours(leaving.minutes)}],
        warn=warns, yes=_("Yes, check out"), back=back, fields=fields)


@require_POST
@page
def call_check_out(request, pk):
    """The volunteer checks out of their own place from the call's page (someone leaving
    early, away from the printed QR): asked first, as the QR page asks."""
    call = queries.get_call(request.scope, pk)
    me = queries.me(request.scope)
    a = (Assignment.objects.filter(call=call, volunteer=me).select_related("call", "volunteer").first()
         if me else None)
    if a is None:
        raise NotFound()
    back = reverse("volunteers_call", args=[call.id])
    if not confirmed(request) and a.check_in_at and not a.check_out_at:
        return check_out_question(request, a, back, fields={})
    try:
        a = attendance.check_out(actor_of(request), call.token, confirm=True)
        messages.success(request, _("In %(i)s, out %(o)s: %(h)s hours credited. Thank you!") % {
            "i": hm(a.check_in_at), "o": hm(a.check_out_at), "h": a.hours})
    except (Conflict, Forbidden) as e:
        flash_error(request, e)
    return redirect(back)


# --- after the shift: the "to settle" list (待核定) ------------------------------------

@page
def unsettled(request, pk):
    """A community's places to settle after their shift (`queries.unsettled`): nobody
    checked in, never checked out, longer than the shift; each settled here with a time,
    or marked as not come. Staff who only read see the list without its forms."""
    from fangkong.audit.disclosure import phones_shown

    c = queries.get_community(request.scope, pk)
    call = None
    if request.GET.get("call"):
        call = queries.get_call(request.scope, request.GET["call"])
        if call.community_id != c.id:
            raise NotFound()
    rows = queries.unsettled(request.scope, c, call=call)
    people = {a.volunteer_id: a.volunteer for a in rows}
    seen = set(queries.volunteers(request.scope).filter(pk__in=list(people)).values_list("id", flat=True))
    ctx = {"community": c, "can_manage": access.can_manage(request.scope, c)}  # as `views.community_ctx`
    ctx.update({"rows": rows, "call": call, "phones": phones_shown(
        actor_of(request), list(people.values()), lambda v: v.id in seen, f"unsettled:{c.id}",
        "volunteer.view_phones", "volunteers")})
    return render(request, "volunteers/unsettled.html", ctx)


@require_POST
@page
def settle_one(request, pk):
    """Settle one place of the list: with the time they left (and came), asked first with
    the hours it credits; or as not come (`op=absent`), asked first."""
    a = queries.get_assignment(request.scope, pk)
    back = next_or(request, reverse("volunteers_unsettled", args=[a.community_id]))
    name = a.volunteer.name
    if request.POST.get("op") == "absent":
        if not confirmed(request):
            access.require(actor_of(request), access.MANAGE, a)  # who may not is refused, not asked
            return confirm_step(
                request, title=_("Mark %(name)s as not come to “%(call)s”?") % {"name": name, "call": a.call.title},
                lines=[_("No hours are credited; their own page says they did not come.")],
                yes=_("Yes, did not come"), back=back)
        return act(request, lambda actor: settle.mark_absent(actor, a), to=back,
                   done=_("%(name)s is marked as not come.") % {"name": name}, catch=(Conflict,))
    tin = request.POST.get("check_in_at") or None
    tout = request.POST.get("check_out_at") or None
    if not confirmed(request):
        try:
            a2, new_in, leaving = settle.plan_settle(actor_of(request), a, tin, tout)
        except (Conflict, Invalid) as e:
            flash_error(request, e)
            return redirect(back)
        start = new_in or a2.check_in_at
        lines = [_("In %(i)s, out %(o)s: %(h)s h will be credited.") % {
            "i": hm(start), "o": hm(leaving.at), "h": _hours(leaving.minutes)}]
        if a2.check_out_at and a2.check_out_at != leaving.at:
            lines.append(_("The check-out recorded (%(t)s, %(h)s h) is replaced.") % {
                "t": hm(a2.check_out_at), "h": a2.hours})
        return confirm_step(request, title=_("Settle the hours of %(name)s?") % {"name": name}, lines=lines,
                            warn=leaving.notes(a2, start) + [attendance.long_words(a2, start, leaving)],
                            yes=_("Yes, settle them"), back=back)
    return act(request, lambda actor: settle.settle(actor, a, tin, tout, confirm=True), to=back,
               done=lambda r: _("Settled: %(name)s, %(h)s h.") % {"name": name, "h": r.hours},
               catch=(Conflict, Invalid))


# --- the call's page: its roster's attendance -----------------------------------------

def roster_extras(request, call, ctx) -> None:
    """What the call's page adds to a roster it shows (`call_views._call_ctx`): for those
    who confirm attendance (staff, leaders), from when check-in opens, `arrivals`
    (`queries.arrivals` of the rows shown: "已到 16 / 应到 20 · 未到 4"), each row's `undo`
    (`attendance.undoable`); a team leader's phones of her rows (`access.roster_phone_seen`,
    audited like staff's); for staff who run the call, once it is over, `unsettled` (how
    many of its places wait to be settled)."""
    from fangkong.audit.disclosure import phones_shown

    roster = ctx["roster"]
    if not ctx["confirms"]:
        return
    now = ctx["now"]
    if now >= call.starts_at - attendance.CHECK_IN_EARLY:  # from when check-in opens
        ctx["arrivals"] = queries.arrivals(roster["confirmed"])
    for a in roster["confirmed"]:
        a.undo = attendance.undoable(a, now)
    ctx["departures_open"] = any(a.check_in_at and not a.check_out_at and not a.corrected
                                 for a in roster["confirmed"])
    if not ctx["phones"] and (ctx["leads"] or ctx["team_part"]) and not ctx["can_manage"]:
        people = {a.volunteer_id: a.volunteer for key in ("confirmed", "waitlisted") for a in roster[key]}
        ctx["phones"] = phones_shown(actor_of(request), list(people.values()),
                                     access.roster_phone_seen(request.scope, call), f"call:{call.id}",
                                     "volunteer.view_phones", "volunteers")
    if ctx["can_manage"] and call.ends_at <= now:
        ctx["unsettled"] = len(queries.unsettled(request.scope, call.community_place, call=call, now=now))
