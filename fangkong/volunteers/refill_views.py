"""Calling more people for a call short of them, on its page (`volunteers/_call_refill.html`,
included by call.html): 补充召集 N 人 (staff; asked first, saying how many places, until
when sign-up opens and how many volunteers are told), and the assign list with the people
free for the call first and the busy ones marked with what holds them. Thin: the write is
`actions.calls.refill` (the API's `POST /volunteers/calls/{id}/refill` calls it too)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.errors import Conflict, Invalid
from fangkong.core.views import act, actor_of, confirm_step, confirmed, flash_error, page
from fangkong.core.when import short_end, short_span, short_time

from . import access, queries
from .actions import calls
from .actions.slots import busy_for


@require_POST
@page
def call_refill(request, pk):
    call = queries.get_call(request.scope, pk)
    back = reverse("volunteers_call", args=[call.id])
    add, seen = request.POST.get("add", ""), request.POST.get("from_slots", "")
    if not confirmed(request) and access.can_manage(request.scope, call):
        try:
            p = calls.refill_preview(actor_of(request), call, add)
        except (Conflict, Invalid) as e:
            flash_error(request, e)
            return redirect(back + "#refill")
        return confirm_step(request, **_question(call, p), back=back + "#refill")

    def done(c):
        if c.repeated:  # a second tap: done already, nobody told twice
            return ngettext("Already done: %(n)d person needed, sign-up open until %(until)s.",
                            "Already done: %(n)d people needed, sign-up open until %(until)s.", c.slots) % {
                "n": c.slots, "until": short_time(c.deadline)}
        for why in c.skipped:  # passed over on the waitlist: who and why
            messages.warning(request, _("Not moved up from the waitlist: %(why)s") % {"why": why})
        return ngettext("Now %(slots)d needed, sign-up open until %(until)s; %(n)d volunteer told.",
                        "Now %(slots)d needed, sign-up open until %(until)s; %(n)d volunteers told.",
                        c.told) % {"slots": c.slots, "until": short_time(c.deadline), "n": c.told}

    return act(request, lambda actor: calls.refill(actor, call, add, from_slots=seen), to=back,
               done=done, refused=back + "#refill", catch=(Conflict, Invalid))


def _question(call, p) -> dict:
    """The refill's question: what changes first and large, then who is told."""
    lines = []
    if p["waiting"]:
        lines.append(ngettext("%(n)d person on the waitlist moves up first and is told.",
                              "%(n)d people on the waitlist move up first and are told.",
                              p["waiting"]) % {"n": p["waiting"]})
    left = p["add"] - p["waiting"]
    if left > 0:
        lines.append(ngettext(
            "Then %(n)d volunteer who has not answered and is free at that time is told at once "
            "(message and text); a text sent cannot be taken back.",
            "Then %(n)d volunteers who have not answered and are free at that time are told at once "
            "(message and text); a text sent cannot be taken back.", p["reach"]) % {"n": p["reach"]})
    warn = ""
    if left > 0 and not p["reach"]:
        warn = _("Nobody who has not answered is free for it: nobody is told. Assign people below, "
                 "or look for them in another community.")
    return {
        "title": ngettext("Call %(n)d more person for “%(title)s”?", "Call %(n)d more people for “%(title)s”?",
                          p["add"]) % {"n": p["add"], "title": call.title},
        "alarm": (_("Check what changes:"), [
            _("People needed: %(was)d → %(now)d") % {"was": call.slots, "now": p["slots"]},
            _("Sign-up open until %(until)s") % {"until": short_time(p["deadline"])}]),
        "lines": lines, "warn": warn, "yes": _("Yes, call more people")}


# --- the assign list -----------------------------------------------------------------

def assign_choices(call, pool, now=None) -> tuple[list, list]:
    """(free, busy) of the people offered under 指派: those free for the call first, in the
    pool's order; then the busy ones, each with `busy` — what holds them during the call
    (`slots.busy_for`: a place on another call, a sampling table), in short words — since
    assigning them is refused (`slots.clash_error`)."""
    now = now or timezone.now()
    held = busy_for(call, pool, now)
    free, busy = [], []
    for v in pool:
        other = held.get(v.pk)
        if other is None:
            free.append(v)
        else:
            v.busy = busy_words(other)
            busy.append(v)
    return free, busy


def busy_words(other) -> str:
    """What holds a person during a call, short (an option of the assign list)."""
    from .models import Assignment

    if not isinstance(other, Assignment):  # a sampling table
        r = other.round
        return _("sampling: %(point)s, table %(table)d, %(when)s") % {
            "point": other.point.place.name, "table": other.table,
            "when": short_span(r.starts_at, r.ends_at)}
    if other.check_in_at and not other.check_out_at:
        return _("on shift: “%(title)s”, until %(end)s") % {
            "title": other.call.title, "end": short_end(other.starts_at, other.ends_at)}
    return _("has a place: “%(title)s”, %(when)s") % {
        "title": other.call.title, "when": short_span(other.starts_at, other.ends_at)}
