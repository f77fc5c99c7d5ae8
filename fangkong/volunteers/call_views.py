"""The pages of urgent calls (召集): a community's calls, a new call and its publishing (asked
first, with a warning when its places cannot be filled), a call's page (answers, the
waitlist, assigning someone, slots, closing) and its QR for check-in. Thin: read through
`queries`, write through `actions.calls` and `actions.answers`."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.core.qr import qr_svg
from fangkong.core.views import (
    act,
    actor_of,
    confirm_step,
    confirmed,
    flash_error,
    is_htmx,
    page,
)
from fangkong.core.when import short_span, short_time
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Kind, Place

from . import access, queries, views
from .actions import answers, call_news, calls
from .models import Assignment, Audience, Call, Skill, Task, Volunteer

MANAGE, VIEW = access.MANAGE, access.VIEW


# --- calls -----------------------------------------------------------------------

@page
def call_list(request, pk):
    c = queries.get_community(request.scope, pk)
    ctx = views.community_ctx(request, c)
    ctx["calls"] = list(queries.calls(request.scope, c)[:200])
    return render(request, "volunteers/calls.html", ctx)


def _call_form_data(post):
    data = {k: post.get(k, "") for k in ("task", "title", "place", "starts_at", "ends_at", "slots",
                                          "briefing", "deadline", "audience", "team",
                                          "audience_skill", "audience_place", "client_id")}
    data["skills"] = post.getlist("skills")
    return data


@page
def call_new(request, pk):
    c = queries.get_community(request.scope, pk)
    access.require(actor_of(request), MANAGE, c)
    errors = {}
    # an urgent call's defaults: from the next half hour, no place and no head count chosen
    # for the organiser (a tired one publishing only a task must not call 20 people to a grid)
    start = next_half_hour(timezone.localtime())
    values = {"audience": Audience.COMMUNITY, "skills": [], "slots": "", "client_id": str(uuid.uuid4()),
              "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
              "ends_at": (start + timezone.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")}
    if request.method == "POST":
        values = _call_form_data(request.POST)
        try:  # "no, go back" from the question (`edit`): the form again, as typed
            if not request.POST.get("edit"):
                return _publish_call(request, c, values)
        except Invalid as e:
            errors = e.fields
    ctx = views.community_ctx(request, c)
    ctx.update({"errors": errors, "values": values, "tasks": Task.choices, "skills": Skill.choices,
                "audiences": Audience.choices, "places": call_places(c),
                "buildings": reg_queries.labelled(Place.objects.filter(
                    community_id=c.id, kind__in=[Kind.BUILDING, Kind.COMPOUND, Kind.GRID]).order_by("depth", "sort_key")[:300]),
                "teams": list(queries.teams(request.scope, c))})
    return render(request, "volunteers/call_form.html", ctx)


def next_half_hour(now):
    """The first :00 or :30 after `now` (06:05 → 06:30, 06:30 → 07:00)."""
    base = now.replace(second=0, microsecond=0, minute=0)
    return base + timezone.timedelta(minutes=30 if now.minute < 30 else 60)


def call_places(c) -> list:
    """The places a call can be at: sampling points first (where urgent calls go), then the
    community, then its grids, compounds and buildings. None is chosen for the organiser."""
    places = views.area_choices(c)
    points = [p for p in places if p.kind == Kind.SAMPLING_POINT]
    return points + reg_queries.labelled([c]) + [p for p in places if p.kind != Kind.SAMPLING_POINT]


def _publish_call(request, c, values):
    """Publishing texts people at once and cannot be taken back: the page asks first, saying
    whom it reaches; "yes" publishes it."""
    if not confirmed(request):
        draft, n = calls.preview(actor_of(request), c, values)
        at = short_span(draft.starts_at, draft.ends_at)
        # where, when and how many: the three things to check, first and large (the alarm box)
        return confirm_step(
            request, title=_("Publish “%(title)s”?") % {"title": draft.title},
            alarm=(_("Check where, when and how many:"), [
                _("Place: %(place)s") % {"place": draft.place.name},
                _("Time: %(at)s") % {"at": at},
                ngettext("People needed: %(n)d person", "People needed: %(n)d people", draft.slots)
                % {"n": draft.slots}]),
            lines=[ngettext("It goes at once to %(n)d volunteer (messages and texts); a text sent cannot "
                         "be taken back.",
                         "It goes at once to %(n)d volunteers (messages and texts); a text sent cannot "
                         "be taken back.", n) % {"n": n}],
            warn=_short_warning(draft, n),
            yes=_("Yes, publish it now"), back=request.get_full_path(), back_post=True)
    call = calls.create_call(actor_of(request), c, values)
    messages.success(request, ngettext("Call published to %(n)d volunteer.", "Call published to %(n)d volunteers.",
                                       call.notified) % {"n": call.notified})
    return redirect("volunteers_call", pk=call.id)


def _short_warning(draft, n) -> list:
    """The publish question's red lines: a place inside a sealed area (the call page's red
    mark, `sealed_mark`, said before the texts go), nobody told, or fewer told than places
    needed (it cannot fill), with the ways the form widens who is called."""
    from fangkong.zones.queries import sealed_over

    sealed = []
    d = sealed_over(draft.place)
    if d is not None:
        sealed = [_("%(zone)s: %(warning)s") % {"zone": d.zone_type.name, "warning": _(
            "This place is inside %(place)s (%(rule)s): go only to the gate or the door as briefed, "
            "with protective equipment.") % {"place": d.place.name, "rule": d.zone_type.movement}}]
    if not n:
        return [*sealed, _("No volunteer matches who this call is for: nobody would be told.")]
    if n >= draft.slots:
        return sealed
    warns = [*sealed, ngettext("Only %(n)d volunteer matches, fewer than the %(slots)d needed.",
                      "Only %(n)d volunteers match, fewer than the %(slots)d needed.", n)
             % {"n": n, "slots": draft.slots}]
    if draft.audience != Audience.COMMUNITY or draft.skill_list:
        warns.append(_("To reach more, go back and call the whole community, or require fewer "
                       "skills."))
    return warns


def _call_ctx(request, call):
    scope = request.scope
    can_manage = access.can_manage(scope, call)
    leads = access.leads_call(scope, call)
    me = queries.me(scope)
    mine = Assignment.objects.filter(call=call, volunteer=me).first() if me else None
    roster, team_part = queries.roster_for(scope, call)
    # confirms: attendance buttons on the rows shown (a leader of another team sees only
    # their own members' rows, each one theirs to confirm: access.led_q)
    ctx = {"call": call, "can_manage": can_manage, "leads": leads, "me": me, "mine": mine,
           "outside": getattr(call, "outside", ""),
           "now": timezone.now(), "hx": is_htmx(request), "roster": roster, "team_part": team_part,
           "confirms": can_manage or leads or team_part,
           # sees the call but does not run it (street or district command): told so, no controls
           "follows": not (can_manage or leads or me),
           # nobody confirms their own attendance: their row says who does
           "my_user_id": getattr(request.user, "id", None), "seen": set(), "phones": {},
           "arrivals_open": bool(roster) and any(a.check_in_at is None for a in roster["confirmed"])}
    if mine is not None and mine.status == Assignment.Status.WAITLISTED:
        ctx["waiting"] = _waiting_words(call, mine, me, ctx["now"])
    elif me is not None and mine is None and call.accepting:  # before she answers: what it costs
        ctx["skips"] = _skipped_words(waits_overlapping(me, call, ctx["now"]))
    if roster and call.status != Call.Status.CANCELLED and ctx["now"] < call.ends_at:
        _passed_over(call, roster["waitlisted"], ctx["now"])
    if roster and not team_part and scope.allows(VIEW, call):
        # staff reading the whole roster: each person they see (a lent one too, while lent:
        # access.seen_q) linked to their page, with the phone to call them (audited)
        ctx["seen"], ctx["phones"] = _roster_phones(request, call, roster)
    if roster:  # arrived / due / not arrived, undo, a leader's phones, what is left to settle
        from .attend_views import roster_extras

        roster_extras(request, call, ctx)
    if roster and call.skill_list:
        # assigned knowingly without the call's required skills: marked, and counted beside
        # the places taken for those who read the whole roster ("12/12, of whom 9 are without…")
        for a in roster["confirmed"]:
            a.lacks = calls.skill_words(call.lacks(a.volunteer))
        if not team_part:
            ctx["untrained"] = sum(1 for a in roster["confirmed"] if a.lacks)
            ctx["required"] = calls.skill_words(call.skill_list)
    if can_manage:  # a message form's id: sent twice (a double tap, a retry), told once
        ctx["message_id"] = str(uuid.uuid4())
        ctx["places"] = views.area_choices(call.community_place) + reg_queries.labelled([call.community_place])
    if can_manage or leads:
        held = {a.volunteer_id for rows in ctx["roster"].values() for a in rows
                if a.status != Assignment.Status.CANCELLED}
        from fangkong.zones.queries import kept_home

        pool = (queries.volunteer_list(scope, call.community_place, status="approved") if can_manage
                else queries.team_members(call.team).filter(status=Volunteer.Status.APPROVED))
        # not those their zone or health code keeps home: the server refuses them (found
        # walking the demo: a sealed building's volunteer was offered, then refused)
        # nor a lent one whose home zone keeps its people inside their area (管控区 人不出区)
        people = [v for v in pool.exclude(kept_home()).exclude(
            access.kept_in_area(call.community_id))[:500] if v.id not in held]
        # who is free for the call first, the busy ones marked with what holds them (assigning
        # them is refused): the assign list of `_call_refill.html`
        from .refill_views import assign_choices

        ctx["assign_free"], ctx["assign_busy"] = assign_choices(call, people, ctx["now"])
    return ctx


def waits_overlapping(v, call, now) -> list[Assignment]:
    """`v`'s places on the waitlists of other calls (not over, not cancelled) overlapping
    `call`: while she holds a place on `call`, their promotion passes her over (`find_clash`
    over `clash_q`)."""
    return list(Assignment.objects.filter(
        volunteer=v, status=Assignment.Status.WAITLISTED, call__starts_at__lt=call.ends_at,
        call__ends_at__gt=max(call.starts_at, now)).exclude(call_id=call.pk)
        .exclude(call__status=Call.Status.CANCELLED).select_related("call").order_by("call__starts_at")[:10])


def _skipped_words(waits) -> str:
    """What taking a place costs a person waiting on overlapping calls ("" for none)."""
    if not waits:
        return ""
    from fangkong.core.text import join_words

    return _("You are on the waitlist of %(calls)s, which overlaps this call: while you hold a place "
             "here, you are passed over there when a place comes free.") % {
        "calls": join_words([f"“{w.call.title}”" for w in waits])}


def _passed_over(call, waitlisted, now) -> None:
    """Each waiting row of the roster gets `passed_over`: why promotion skips the person
    while it holds (`slots.find_clash`, in `slots.clash_error`'s words naming them), or ""."""
    from .actions.slots import clash_error, find_clash

    for a in waitlisted[:100]:
        other = find_clash(a.volunteer, call, now)
        a.passed_over = "" if other is None else _("Passed over while this holds: %(why)s") % {
            "why": clash_error(other, a.volunteer.name).message}


def _waiting_words(call, mine, me, now) -> dict | None:
    """What the call's page tells a person on its waitlist ({"said", "blocked"}): while
    another place of theirs or a sampling table overlaps the call, that promotion passes
    them over and what to do (`slots.find_clash`, said as `slots.clash_error` says it to
    them); once the call is over, that no place came; once sign-up has closed or the call
    has started, that a place comes only if someone gives theirs up; otherwise their number
    and that they move up when someone cancels. Nothing for a cancelled call (its page
    says why)."""
    from .actions.slots import clash_error, find_clash

    if call.status == Call.Status.CANCELLED:
        return None
    if now >= call.ends_at:
        return {"said": _("This call is over; no place came free for you."), "blocked": False}
    other = find_clash(me, call, now)
    if other is not None:
        return {"blocked": True, "said": _(
            "You are on the waitlist, but you are not moved up while this holds: %(why)s Until then, "
            "a place that comes free goes to the next person.") % {"why": clash_error(other).message}}
    n = queries.waitlist_rank(mine)
    if not call.accepting or now >= call.starts_at:
        return {"blocked": False, "said": _(
            "You are number %(n)d on the waitlist. Sign-up is closed or the call has begun: you get a "
            "place only if someone gives theirs up before it ends, and you are told if so; do not come "
            "until then.") % {"n": n}}
    return {"blocked": False, "said": _(
        "You are number %(n)d on the waitlist; you move up automatically when someone cancels, and "
        "you are told.") % {"n": n}}


def _roster_phones(request, call, roster) -> tuple[set, dict]:
    """(ids of the roster's people the user sees, {id: phone} shown) for the roster of a
    call: its confirmed and waiting people, one audit event naming whose phones."""
    from fangkong.audit.disclosure import phones_shown

    people = {a.volunteer_id: a.volunteer for key in ("confirmed", "waitlisted") for a in roster[key]}
    seen = set(queries.volunteers(request.scope).filter(pk__in=list(people)).values_list("id", flat=True))
    phones = phones_shown(actor_of(request), list(people.values()), lambda v: v.id in seen,
                          f"call:{call.id}", "volunteer.view_phones", "volunteers")
    return seen, phones


@page
def call_detail(request, pk):
    # a volunteer of the community outside the call's audience sees it, told why they
    # cannot answer (a forwarded link); outside the community it is missing
    call = queries.get_call_to_read(request.scope, pk)
    ctx = _call_ctx(request, call)
    if is_htmx(request):
        return render(request, "volunteers/call.html#answer", ctx)
    return render(request, "volunteers/call.html", ctx)


def _after(request, call, partial="answer"):
    if is_htmx(request):
        call = queries.get_call(request.scope, call.id)  # the counts as they are now
        return render(request, f"volunteers/call.html#{partial}", _call_ctx(request, call))
    return redirect("volunteers_call", pk=call.id)


@require_POST
@page
def call_sign_up(request, pk):
    call = queries.get_call(request.scope, pk)
    try:
        a = answers.sign_up(actor_of(request), call)
        if a.status == Assignment.Status.CONFIRMED:
            messages.success(request, _("You have a place. Thank you!"))
            skips = _skipped_words(waits_overlapping(a.volunteer, call, timezone.now()))
            if skips:
                messages.warning(request, skips)
        else:
            messages.success(request, _("All places are taken: you are number %(n)d on the waitlist.")
                             % {"n": queries.waitlist_rank(a)})
    except (Conflict, Forbidden, Invalid) as e:
        flash_error(request, e)
    return _after(request, call)


@require_POST
@page
def call_cancel(request, pk):
    call = queries.get_call(request.scope, pk)
    me = queries.me(request.scope)
    a = Assignment.objects.filter(call=call, volunteer=me).first() if me else None
    if a is None:
        raise NotFound()
    if a.status == Assignment.Status.CONFIRMED and not confirmed(request):
        # the first one waiting takes the place at once: it may not come back
        return confirm_step(
            request, title=_("Give up your place on %(title)s?") % {"title": call.title},
            lines=[_("%(when)s. Someone waiting takes your place at once; you may not get it "
                     "back.") % {"when": short_time(call.starts_at)}],
            yes=_("Yes, give up my place"), back=reverse("volunteers_call", args=[call.id]))
    waiting = a.status == Assignment.Status.WAITLISTED
    if waiting and not confirmed(request):
        # their turn in the queue is lost: joining again puts them at its end
        return confirm_step(
            request, title=_("Leave the waitlist?"),
            lines=[_("You are number %(n)d on the waitlist now. If you join again later, you go "
                     "to the end.") % {"n": queries.waitlist_rank(a)}],
            yes=_("Yes, leave the waitlist"), back=reverse("volunteers_call", args=[call.id]))
    try:
        answers.cancel(actor_of(request), a)
        messages.success(request, _("You have left the waitlist.") if waiting else _("Your place is cancelled."))
    except Conflict as e:
        flash_error(request, e)
    return _after(request, call)


@require_POST
@page
def assignment_cancel(request, pk):
    a = queries.get_assignment(request.scope, pk)
    if not confirmed(request) and access.can_manage(request.scope, a):
        return confirm_step(
            request, title=_("Remove %(name)s from this call?") % {"name": a.volunteer.name},
            lines=[_("They lose their place; the first person on the waitlist moves up.")],
            yes=_("Yes, remove"), back=reverse("volunteers_call", args=[a.call_id]) + "#confirmed")
    return act(request, lambda actor: answers.cancel(actor, a, request.POST.get("reason", "")),
               to=reverse("volunteers_call", args=[a.call_id]), done=_("Cancelled."), catch=(Conflict,))


@require_POST
@page
def call_assign(request, pk):
    call = queries.get_call(request.scope, pk)
    if not request.POST.get("volunteer") and (access.can_manage(request.scope, call)
                                              or access.leads_call(request.scope, call)):
        # nothing chosen (the list starts empty): say so, nobody is assigned
        messages.error(request, _("Choose a volunteer to assign."))
        return redirect("volunteers_call", pk=call.id)
    v = queries.get_assignable(request.scope, call, request.POST.get("volunteer"))
    back = reverse("volunteers_call", args=[call.id])
    try:
        calls.assign(actor_of(request), call, v, confirm=confirmed(request))
    except Forbidden as e:
        return _refused(request, e)
    except Conflict as e:
        if e.code == "untrained":  # without the call's required skill: only if the organiser says so
            return confirm_step(request, title=_("Assign %(name)s?") % {"name": v.name},
                                lines=[str(e.message)], yes=_("Yes, assign anyway"), back=back)
        flash_error(request, e)
        return redirect(back)
    except Invalid as e:
        flash_error(request, e)
        return redirect(back)
    messages.success(request, _("%(name)s is assigned.") % {"name": v.name})
    return redirect(back)


@require_POST
@page
def call_slots(request, pk):
    call = queries.get_call(request.scope, pk)
    def done(result):
        for why in getattr(result, "skipped", []):  # passed over on the waitlist: say who and why
            messages.warning(request, _("Not moved up from the waitlist: %(why)s") % {"why": why})
        if result.confirmed < result.slots and not result.accepting:  # more places, sign-up closed
            messages.warning(request, _("Sign-up is closed: nobody can take the free places and nobody "
                                        "was told. To call more people, use “Call more people”."))
        return _("Saved.")

    try:
        return act(request, lambda actor: calls.set_slots(actor, call, request.POST.get("slots")),
                   to=reverse("volunteers_call", args=[call.id]), done=done)
    except Forbidden as e:
        return _refused(request, e)


def _refused(request, e):
    """A 403 that says who may (`calls.require_run`), not only "not allowed"."""
    return render(request, "error.html", {"title": _("Not allowed"), "message": e.message}, status=403)


@require_POST
@page
def call_close(request, pk):
    call = queries.get_call(request.scope, pk)
    if not confirmed(request) and access.can_manage(request.scope, call):
        return confirm_step(
            request, title=_("Close sign-up for %(title)s?") % {"title": call.title},
            lines=[ngettext("%(n)d of %(slots)d place is taken. Nobody else can sign up or join the "
                            "waitlist, and it cannot be opened again.",
                            "%(n)d of %(slots)d places are taken. Nobody else can sign up or join the "
                            "waitlist, and it cannot be opened again.", call.slots) % {"n": call.confirmed,
                                                                                       "slots": call.slots}],
            yes=_("Yes, close sign-up"), back=reverse("volunteers_call", args=[call.id]))
    def done(result):
        if not result.told:
            return _("The call is closed.")
        return ngettext("The call is closed; %(n)d person waiting is told.",
                        "The call is closed; %(n)d people waiting are told.", result.told) % {"n": result.told}

    return act(request, lambda actor: calls.close_call(actor, call),
               to=reverse("volunteers_call", args=[call.id]), done=done, catch=())


@require_POST
@page
def call_cancel_call(request, pk):
    """Call the call off: asked first (with the reason, and how many are told), then
    everyone who answered is told why."""
    call = queries.get_call(request.scope, pk)
    back = reverse("volunteers_call", args=[call.id])
    if not confirmed(request) and access.can_manage(request.scope, call):
        if not request.POST.get("reason", "").strip():
            messages.error(request, _("Say why the call is cancelled: the people who answered are told."))
            return redirect(back + "#call-off")
        waiting = call.assignments.filter(status=Assignment.Status.WAITLISTED).count()
        return confirm_step(
            request, title=_("Cancel “%(title)s”?") % {"title": call.title},
            lines=[ngettext("%(n)d confirmed volunteer and %(w)s are told at once (message and text): "
                            "“%(reason)s”.",
                            "%(n)d confirmed volunteers and %(w)s are told at once (message and text): "
                            "“%(reason)s”.", call.confirmed) % {
                "n": call.confirmed, "reason": request.POST.get("reason", "").strip(),
                "w": ngettext("%(n)d person waiting", "%(n)d people waiting", waiting) % {"n": waiting}},
                _("Their places are cancelled; nobody can answer it any more. It cannot be undone.")],
            yes=_("Yes, cancel the call"), back=back)
    return act(request, lambda actor: call_news.cancel_call(actor, call, request.POST.get("reason", "")),
               to=back, done=_("The call is cancelled and the people who answered are told."),
               catch=(Conflict, Invalid))


@require_POST
@page
def call_change(request, pk):
    """Move the call (start, end, place, deadline): asked first, saying who is told."""
    call = queries.get_call(request.scope, pk)
    back = reverse("volunteers_call", args=[call.id])
    data = {k: request.POST.get(k, "") for k in ("starts_at", "ends_at", "place", "deadline")}
    if not confirmed(request) and access.can_manage(request.scope, call):
        try:
            rows = call_news.preview_change(actor_of(request), call, data)
            released = call_news.preview_released(actor_of(request), call, data) if rows else []
        except (Conflict, Invalid) as e:
            flash_error(request, e)
            return redirect(back + "#change")
        if not rows:  # nothing to ask about, nobody to tell
            messages.info(request, _("Nothing changed; nobody was told."))
            return redirect(back + "#change")
        names = {"place": _("Place"), "starts_at": _("Starts"), "ends_at": _("Ends"),
                 "deadline": _("Sign-up deadline")}
        n = len(call_news.answered_users(call))
        moved = any(what != "deadline" for what, _was, _now in rows)
        return confirm_step(
            request, title=_("Move “%(title)s”?") % {"title": call.title},
            alarm=(_("Check what changes:"), [
                _("%(what)s: %(was)s → %(now)s") % {"what": names[what], "was": was, "now": now}
                for what, was, now in rows]),
            lines=[ngettext("%(n)d person who answered is told at once (message and text).",
                            "%(n)d people who answered are told at once (message and text).", n) % {"n": n}
                   if moved else _("Only the sign-up deadline changes: nobody is told.")],
            warn=released, yes=_("Yes, move the call"), back=back)

    def done(r):
        for why in r[0].released:  # back on the waitlist, told why
            messages.warning(request, _("Moved to the waitlist: %(why)s") % {"why": why})
        for why in r[0].skipped:
            messages.warning(request, _("Not moved up from the waitlist: %(why)s") % {"why": why})
        return ngettext("Saved; %(n)d person told.", "Saved; %(n)d people told.", r[1]) % {"n": r[1]}

    return act(request, lambda actor: call_news.change_call(actor, call, data, confirm=confirmed(request)),
               to=back + "#change", done=done, catch=(Conflict, Invalid))


@require_POST
@page
def call_message(request, pk):
    """A message to everyone who answered the call (confirmed and waiting): asked first, with
    the text and how many get it (a text sent cannot be taken back). Nothing to send (no
    text, nobody answered, the call cancelled) goes straight to the action, which says why."""
    call = queries.get_call(request.scope, pk)
    back = reverse("volunteers_call", args=[call.id])
    text = request.POST.get("text", "").strip()
    if request.POST.get("edit") and access.can_manage(request.scope, call):
        # "no, go back" from the question: the call's page with the message as typed (and its
        # id, so that sending it then is still one message)
        ctx = _call_ctx(request, call)
        ctx["message_text"] = request.POST.get("text", "")
        ctx["message_id"] = request.POST.get("client_id") or ctx["message_id"]
        return render(request, "volunteers/call.html", ctx)
    if (not confirmed(request) and text and call.status != Call.Status.CANCELLED
            and access.can_manage(request.scope, call)):
        n, waiting = call_news.answered_counts(call)
        if n + waiting:
            return confirm_step(
                request, title=_("Send this message to everyone who answered “%(title)s”?") % {
                    "title": call.title},
                lines=[_("Message: “%(text)s”") % {"text": text},
                       ngettext("%(n)d confirmed and %(w)s get it at once (message and text); a text "
                                "sent cannot be taken back.",
                                "%(n)d confirmed and %(w)s get it at once (message and text); a text "
                                "sent cannot be taken back.", n) % {
                           "n": n, "w": ngettext("%(n)d person waiting", "%(n)d people waiting",
                                                 waiting) % {"n": waiting}}],
                yes=_("Yes, send it"), back=back + "#message", back_post=True)
    try:
        n = call_news.message_call(actor_of(request), call, request.POST.get("text", ""),
                                   request.POST.get("client_id"))
    except (Conflict, Invalid) as e:
        flash_error(request, e)
        return redirect(back + "#message")
    if n:
        messages.success(request, ngettext("Message sent to %(n)d volunteer.", "Message sent to %(n)d volunteers.",
                                           n) % {"n": n})
    else:
        messages.success(request, _("This message was already sent."))
    return redirect(back)


@page
def call_qr(request, pk):
    """The printable check-in QR of a call, to put up at the place."""
    call = queries.get_call(request.scope, pk)
    if not (access.can_manage(request.scope, call) or access.leads_call(request.scope, call)):
        raise NotFound()
    url = request.build_absolute_uri(reverse("volunteers_scan", args=[call.token]))
    return render(request, "volunteers/call_qr.html", {"call": call, "url": url, "qr": qr_svg(url, 10)})
