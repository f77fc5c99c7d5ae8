"""Adjustment pages: draft → add places → see the difference and conflicts → attach the
notice → publish now or at a set time (every irreversible step asks first). A lift needing
the level above (`approval`): submit → the street's command approves or returns it, each
asked first."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.clean import in_utc
from fangkong.core.errors import Conflict, FangkongError, Invalid, NotFound
from fangkong.core.text import join_words
from fangkong.core.views import act, confirm_step, confirmed, page
from fangkong.registry.models import Place

from . import access, approval, engine, lift_flaws, lifting, overlaps, place_picker, queries
from .actions import approval as approval_actions
from .actions import publish as pub
from .models import Adjustment, ZoneType
from .views import actor, flash_error, get_place


@page
@require_POST
def new(request, pk):
    p = get_place(request, pk, access.MANAGE)
    try:
        adj = pub.draft(actor(request), p, request.POST.get("title") or _("Zone adjustment"))
    except Invalid as e:
        flash_error(request, e)
        return redirect("zones_place", pk=p.id)
    return redirect("zones_adjustment", pk=adj.id)


@page
def detail(request, pk):
    adj = queries.get_adjustment(request.scope, pk)
    return render(request, "zones/adjustment.html", _detail_ctx(request, adj))


def _to_attach(scope, adj) -> list:
    """The notices the draft may be filed under, each with `used_titles`: the other changes
    already under it (the dropdown names them; none is chosen for the user)."""
    notices = queries.notices_to_attach(scope, adj)
    used = queries.notice_used([n.id for n in notices], but=adj)
    for n in notices:
        n.used_titles = [a.title for a in used.get(n.id, [])]
    return notices


def used_warning(adj) -> str:
    """The publish and schedule steps' warning when the draft's notice already carries
    another scheduled or published change ("19号 is already the notice of '解除3号楼封控'"),
    else ""."""
    if not adj.notice_id:
        return ""
    others = queries.notice_used([adj.notice_id], but=adj).get(adj.notice_id, [])
    if not others:
        return ""
    return _("Notice %(number)s (%(title)s) is already the notice of %(others)s: this change will be "
             "listed under it too. Is it the notice of this change?") % {
        "number": adj.notice.number, "title": adj.notice.title,
        "others": join_words([f"“{a.title}”" for a in others])}


def _detail_ctx(request, adj) -> dict:
    items = queries.items(adj)
    can_manage = request.scope.allows(access.MANAGE, adj)
    from . import engine as _engine

    current = {d.place_id: d for d in _engine.in_force([it.place_id for it in items])}
    needing = approval.needing(adj, items)
    may_approve = approval.may_approve(request.scope, adj)
    ctx = {"adj": adj, "items": items, "can_manage": can_manage and adj.state == Adjustment.State.DRAFT,
           "may_act": can_manage, "current": current,
           # a lift needing the level above: submit it, or (the level above) approve or return it
           "needs_approval": bool(needing), "approval_what": approval.what(needing) if needing else "",
           "must_submit": bool(needing) and adj.approved_at is None and not may_approve,
           "may_approve": may_approve and adj.state == Adjustment.State.AWAITING,
           "approval_state": approval.state_words(adj),
           # the lifting rule, checked on the page itself (not only on the confirm step): the
           # community sees it before submitting, the street's command before approving
           "rule_now": _against(adj) if needing and adj.is_open else None,
           "flaws": lift_flaws.said(adj),  # a lift on wrong facts; an escalation that re-seals it
           "types": queries.zone_types(), "ops": pub.Op.choices,
           "conflicts": overlaps.overlaps(adj), "zone_rule": overlaps.rule(),
           # published against its lifting rule: each place and what was unmet, said now
           "against": [lifting.said_again(row) for row in adj.against_rule or []],
           "notices": _to_attach(request.scope, adj) if can_manage else [],
           "late_notice": adj.is_open and adj.notice_id and adj.notice.effective_at < timezone.now(),
           "now": timezone.now(), "soon": (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0,
                                                                               microsecond=0)}
    if ctx["can_manage"]:
        # grouped by compound in the tree's order; a list too long says so (`place_picker`)
        within = place_picker.get_within(adj.place, request.GET.get("within"))
        ctx["picker"] = place_picker.picker(adj.place, within)
    return ctx


def _said_if_unapproved(request, adj, was_approved: bool):
    """A change to an approved draft (a place added or taken out, another notice) takes its
    approval away (`actions.publish._unapprove`): said at once, not only by the buttons."""
    if was_approved and adj.approved_at is None:
        messages.warning(request, _("Changed: the street's approval no longer holds. Submit it for "
                                    "approval again before publishing."))


@page
def diff(request, pk):
    adj = queries.get_adjustment(request.scope, pk)
    return render(request, "zones/_diff.html", {"adj": adj, "diff": queries.diff(adj)})


@page
@require_POST
def add_item(request, pk):
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    was_approved = adj.approved_at is not None
    try:
        place = Place.objects.filter(pk=int(request.POST.get("place") or 0)).first()
        if place is None:
            raise Invalid(fields={"place": [_("Choose a place.")]})
        raw = request.POST.get("zone_type") or ""
        lift = raw == "lift"  # chosen by name: the menu has no default that lifts a zone
        zt = None if lift else ZoneType.objects.filter(pk=int(raw or 0)).select_related("policy").first()
        if zt is None and not lift:
            raise Invalid(fields={"zone_type": [_("Choose a zone type, or “Lift (no zone)”.")]})
        op = request.POST.get("op") or pub.Op.CREATE
        if op == pub.Op.CREATE and engine.in_force([place.id]):
            op = pub.Op.CHANGE if zt is not None else pub.Op.LIFT
        if op == pub.Op.CREATE and zt is None:
            raise Invalid(fields={"zone_type": [_("Nothing to lift here: choose a zone type.")]})
        pub.add_item(actor(request), adj, op, place, zt)
        messages.success(request, _("%(place)s added.") % {"place": place.name})
        _said_if_unapproved(request, adj, was_approved)
        for c in overlaps.overlaps(adj):  # what this place will not be as drafted, said at once
            if c["place"] == place.id and c.get("code"):
                messages.warning(request, c["sentence"])
    except ValueError:
        messages.error(request, _("Choose a place."))
    except (Invalid, Conflict, NotFound) as e:
        flash_error(request, e)
    # back to the list the place was chosen from (`place_picker`: one compound's places)
    within = place_picker.get_within(adj.place, request.POST.get("within"))
    return redirect(reverse("zones_adjustment", args=[adj.id]) + (f"?within={within.id}" if within else "")
                    + "#items")


@page
@require_POST
def remove_item(request, pk, item):
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    was_approved = adj.approved_at is not None
    try:
        pub.remove_item(actor(request), adj, item)
        _said_if_unapproved(request, adj, was_approved)
    except (Conflict, NotFound) as e:
        flash_error(request, e)
    return redirect(reverse("zones_adjustment", args=[adj.id]) + "#items")


@page
@require_POST
def attach(request, pk):
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    was_approved = adj.approved_at is not None
    try:
        if request.POST.get("notice"):
            n = queries.get_notice(request.scope, request.POST["notice"], access.MANAGE)
        else:
            n = pub.create_notice(actor(request), adj.place, request.POST)
        pub.set_notice(actor(request), adj, n)
        messages.success(request, _("Notice %(number)s attached.") % {"number": n.number})
        _said_if_unapproved(request, adj, was_approved)
        used = used_warning(adj)
        if used:
            messages.warning(request, used)
    except Invalid as e:
        if not e.fields:
            flash_error(request, e)
            return redirect(reverse("zones_adjustment", args=[adj.id]) + "#notice")
        # the new notice comes back as it was typed, each error under its field
        ctx = _detail_ctx(request, adj) | {"typed": request.POST, "notice_errors": e.fields}
        return render(request, "zones/adjustment.html", ctx, status=400)
    except Conflict as e:
        flash_error(request, e)
    return redirect(reverse("zones_adjustment", args=[adj.id]) + "#notice")


def _counts(households: int, people: int) -> dict:
    """"1 household", "3 people": each count with its own noun, singular or plural (the
    same messages as the pages' _diff.html)."""
    return {"hh": ngettext("%(n)s household", "%(n)s households", households) % {"n": households},
            "people": ngettext("%(n)s person", "%(n)s people", people) % {"n": people}}


def _summary(adj):
    d = queries.diff(adj)
    lines = [_("%(hh)s, %(people)s change zone.") % _counts(d["households"], d["people"])]
    for t in d["transitions"]:
        lines.append(_("%(from)s → %(to)s: %(hh)s, %(people)s") % {
            "from": t["from"].name if t["from"] else _("no zone"), "to": t["to"].name if t["to"] else _("no zone"),
            **_counts(t["households"], t["people"])})
    return lines


def _when(at) -> str:
    return date_format(timezone.localtime(at), "DATETIME_FORMAT")


def _from_choice(adj, now):
    """The confirm step's two ways to count a notice whose minute has passed: from the
    notice's minute, or from now — each saying what it means for the history and the lifting
    count (the day the count starts from)."""
    at = adj.notice.effective_at
    days = (timezone.localdate(now) - timezone.localdate(at)).days
    return ("from", _("From when does it count?"), [
        ("notice", _("Count from the notice's time, %(at)s") % {"at": _when(at)},
         _("In force from %(at)s, as the notice says: the households' zone history starts then, and "
           "the lifting count starts on that day (today is day %(day)d).") % {"at": _when(at), "day": days}),
        ("now", _("Count from now"),
         ngettext("In force from the minute it is published (%(now)s): the households' zone history starts "
                  "now, and the lifting count starts today (day 0), %(days)d day after the notice's date.",
                  "In force from the minute it is published (%(now)s): the households' zone history starts "
                  "now, and the lifting count starts today (day 0), %(days)d days after the notice's date.",
                  days) % {"now": _when(now), "days": days} if days else
         _("In force from the minute it is published (%(now)s): the households' zone history starts now, "
           "and the lifting count starts today (day 0), the notice's own date.") % {"now": _when(now)}),
    ])


def _against(adj, today=None) -> tuple | None:
    """The confirm step's alarm, first under its title, when the adjustment lifts or steps
    down a zone while its lifting rule is not met: "规则未满足，确定仍要解除？", one line per
    place ("3号楼（封控区）：规则未满足：无新增第0/14天、末轮核酸未完成"), then that it may still be
    published (the officials decide; the record says it went against the rule). None when
    every rule is met."""
    against = lifting.against_rule(queries.items(adj), today)
    if not against:
        return None
    return (_("The lifting rule is not met. Lift anyway?"),
            [*(a.sentence for a in against),
             _("It can still be published; the record will say it was published against the lifting rule.")])


@page
@require_POST
def publish(request, pk):
    """Publish now, asked first. A notice whose minute has passed (entered late) is offered
    both ways to count, from its minute or from now, when it may count from its minute
    (`pub.from_notice_refusal`); else the step says why it counts from now."""
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    try:
        pub.check_ready(adj)  # nothing to confirm yet: say what is missing
        _approved_first(request, adj)
    except (Invalid, Conflict) as e:
        flash_error(request, e)
        return redirect("zones_adjustment", pk=adj.id)
    now = timezone.now()
    late = adj.notice.effective_at < now
    refusal = pub.from_notice_refusal(adj, now) if late else None
    offer = late and refusal is None
    chosen = request.POST.get("from")
    if not confirmed(request) or (offer and chosen not in ("notice", "now")):
        warn = []
        if confirmed(request):
            warn.append(_("Choose from when it counts."))
        clashes = overlaps.overlaps(adj)  # only what the draft will not do as it says
        if clashes:
            warn += [overlaps.rule(), *(c["sentence"] for c in clashes)]
        if adj.notice.effective_at > now:
            warn.append(_("The notice says it takes effect at %(at)s; publishing now puts it in force now. "
                          "To follow the notice, schedule it for that time.") % {
                "at": _when(adj.notice.effective_at)})
        if refusal is not None:
            warn.append(str(refusal.message))
        used = used_warning(adj)
        if used:
            warn.append(used)
        return confirm_step(request, title=_("Publish %(title)s now?") % {"title": adj.title},
                            lines=[_("Notice: %(n)s") % {"n": adj.notice or "—"}, *_summary(adj)],
                            warn=warn, alarm=_against(adj), yes=_("Yes, publish now"),
                            back=reverse("zones_adjustment", args=[adj.id]),
                            choice=_from_choice(adj, now) if offer else None)
    try:
        # said once: the page's header says it was published, from when and how many changed zone
        pub.publish(actor(request), adj, from_notice=chosen == "notice")
    except FangkongError as e:
        flash_error(request, e)
    return redirect("zones_adjustment", pk=adj.id)


@page
@require_POST
def schedule(request, pk):
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    when = (request.POST.get("at") or "").replace("T", " ")
    if not confirmed(request):
        try:
            at = datetime.datetime.fromisoformat(when)
            at = in_utc(at)
        except ValueError:
            messages.error(request, _("Enter a date and time, e.g. 2022-04-18 05:00."))
            return redirect("zones_adjustment", pk=adj.id)
        try:
            pub.check_ready(adj)
            _approved_first(request, adj)
        except (Invalid, Conflict) as e:
            flash_error(request, e)
            return redirect("zones_adjustment", pk=adj.id)
        warn = []
        if adj.notice and abs((adj.notice.effective_at - at).total_seconds()) >= 60:
            warn.append(_("The notice says it takes effect at %(at)s, not at the time chosen here.") % {
                "at": date_format(timezone.localtime(adj.notice.effective_at), "DATETIME_FORMAT")})
        clashes = overlaps.overlaps(adj)  # as the publish step: what the draft will not do as it says
        if clashes:
            warn += [overlaps.rule(), *(c["sentence"] for c in clashes)]
        used = used_warning(adj)
        if used:
            warn.append(used)
        return confirm_step(request, title=_("Publish %(title)s at %(at)s?") % {
            "title": adj.title, "at": date_format(timezone.localtime(at), "DATETIME_FORMAT")},
            lines=[_("Notice: %(n)s") % {"n": adj.notice or "—"},
                   _("It is published by itself at that minute, even if nobody is awake."), *_summary(adj)],
            warn=warn, alarm=_against(adj, timezone.localdate(at)), yes=_("Yes, schedule it"),
            back=reverse("zones_adjustment", args=[adj.id]))
    try:
        pub.schedule(actor(request), adj, when)
        messages.success(request, _("Scheduled."))
    except FangkongError as e:
        flash_error(request, e)
    return redirect("zones_adjustment", pk=adj.id)


@page
@require_POST
def cancel(request, pk):
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    undo = request.POST.get("undo") == "schedule"
    if not confirmed(request):
        return confirm_step(
            request, title=_("Stop the scheduled publication?") if undo else _("Cancel this adjustment?"),
            lines=[_("It goes back to being a draft.") if undo else _("It will never be published.")],
            yes=_("Yes, stop it") if undo else _("Yes, cancel it"), back=reverse("zones_adjustment", args=[adj.id]))
    try:
        (pub.unschedule if undo else pub.cancel)(actor(request), adj)
        messages.success(request, _("Done."))
    except FangkongError as e:
        flash_error(request, e)
    return redirect("zones_adjustment", pk=adj.id)


def _approved_first(request, adj):
    """A lift needing the level above, not approved, by a user who is not it: refused before
    any confirm step (`approval.required`: submit it first)."""
    needing = approval.needing(adj)
    if needing and adj.approved_at is None and not approval.may_approve(request.scope, adj):
        raise approval.required(needing)


def _approval_step(request, adj, action, done):
    """The confirmed approval step (submit, approve, return): the action with the request's
    actor, its message, and back to the draft; a refusal said there (`core.views.act`)."""
    return act(request, lambda by: action(by, adj), to=reverse("zones_adjustment", args=[adj.id]), done=done,
               catch=(FangkongError,))


def _awaiting(request, pk):
    """The draft awaiting approval the street's command approves or returns (`access.APPROVE`),
    or (None, the redirect that says only such a draft can be)."""
    adj = queries.get_adjustment(request.scope, pk, access.APPROVE)
    if adj.state != Adjustment.State.AWAITING:
        messages.error(request, _("Only a draft awaiting approval can be approved or returned."))
        return adj, redirect("zones_adjustment", pk=adj.id)
    return adj, None


@page
@require_POST
def submit(request, pk):
    """Submit a lift to the street's command, asked first: what needs its approval, and that
    the draft cannot be changed while it waits."""
    adj = queries.get_adjustment(request.scope, pk, access.MANAGE)
    if not confirmed(request):
        try:
            pub.check_ready(adj)
            needing = approval.needing(adj)
            if not needing:
                raise Conflict(_("This draft needs no approval: publish it."), code="no_approval_needed")
        except (Invalid, Conflict) as e:
            flash_error(request, e)
            return redirect("zones_adjustment", pk=adj.id)
        return confirm_step(request, title=_("Submit %(title)s for approval?") % {"title": adj.title},
                            lines=[_("Notice: %(n)s") % {"n": adj.notice}, *_summary(adj),
                                   _("The street's command is told at once; it approves it or returns it with "
                                     "a reason. The draft cannot be changed while it waits.")],
                            warn=_("Lifting or stepping down %(what)s needs the approval of the street's "
                                   "command.") % {"what": approval.what(needing)},
                            alarm=_against(adj), yes=_("Yes, submit it for approval"),
                            back=reverse("zones_adjustment", args=[adj.id]))
    return _approval_step(request, adj, approval_actions.submit, _("Submitted: the street's command is told."))


@page
@require_POST
def approve(request, pk):
    """The street's command approves a lift, asked first: what it lifts, what changes, and
    whether its lifting rule is met; then the staff may publish it."""
    adj, refused = _awaiting(request, pk)
    if refused is not None:
        return refused
    if not confirmed(request):
        return confirm_step(request, title=_("Approve %(title)s?") % {"title": adj.title},
                            lines=[_("Notice: %(n)s") % {"n": adj.notice or "—"}, *_summary(adj),
                                   _("Approved, it can be published or scheduled by the community; it is "
                                     "recorded under your name.")],
                            alarm=_against(adj), yes=_("Yes, approve it"),
                            back=reverse("zones_adjustment", args=[adj.id]))
    return _approval_step(request, adj, approval_actions.approve, _("Approved: the community is told."))


@page
@require_POST
def return_(request, pk):
    """The street's command returns a lift with a reason, asked first (the reason typed on the
    confirm step, kept as typed)."""
    adj, refused = _awaiting(request, pk)
    if refused is not None:
        return refused
    reason = (request.POST.get("reason") or "").strip()
    if not confirmed(request) or not reason:
        return confirm_step(request, title=_("Return %(title)s?") % {"title": adj.title},
                            lines=[_("It goes back to the community as a draft, with your reason; it cannot "
                                     "be published until it is submitted and approved again.")],
                            warn=_("Say why it is returned: the staff read it on the draft.")
                            if confirmed(request) else "",
                            entry=("reason", _("Why it is returned"), reason), yes=_("Yes, return it"),
                            back=reverse("zones_adjustment", args=[adj.id]))
    return _approval_step(request, adj, lambda by, a: approval_actions.return_(by, a, reason),
                          _("Returned: the community is told."))
