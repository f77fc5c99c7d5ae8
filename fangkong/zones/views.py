"""Zone pages: a place's zones (figures, zones in force with their lifting recommendation,
open adjustments, notices), the policy, a household's zone history. Thin: read through
`queries`, write through `actions`, render. Adjustments: adjust_views.py; the checkpoint and
the map: gate_views.py."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.core.actor import actor_of
from fangkong.core.errors import FangkongError, Invalid, NotFound
from fangkong.core.text import join_words
from fangkong.core.views import confirm_step, confirmed, flash_error, page
from fangkong.registry import queries as registry_queries
from fangkong.registry.models import Household, Place

from . import above as above_q
from . import access, lift_flaws, queries, rule_values, rule_words, rules_later
from . import cadence as testing
from .actions import lift as lift_actions
from .actions import notices as notice_actions
from .actions import policy as policy_actions
from .actions import publish as pub
from .models import ESCALATE_SCOPES, Adjustment, Policy, ZoneType


def actor(request):
    return actor_of(request)


def get_place(request, pk, perm=access.VIEW) -> Place:
    try:
        place = Place.objects.get(pk=int(pk))
    except (ValueError, Place.DoesNotExist):
        raise NotFound() from None
    access.require(request.scope, perm, place)
    return place


@page
def home(request):
    roots = request.scope.roots(access.VIEW)
    if not roots:
        raise NotFound()
    return redirect("zones_place", pk=roots[0].id)


@page
def place(request, pk):
    p = get_place(request, pk)
    scope = request.scope
    recs = above_q.recommendations(scope, p)
    days = testing.cadence(p)
    may_plan = access.may_plan_rounds(scope, p)  # the hint about "Plan" only beside its buttons
    if may_plan:  # "plan this round": the planning form, prefilled
        from urllib.parse import urlencode

        base = reverse("screening_home")
        for c in days:  # each with the rounds of its kind already planned that day over its zones
            c["plans"] = [(kind, f"{base}?{urlencode(testing.round_proposal(p, c['day'], kind, types))}#plan",
                           [r.name for r in testing.covered_by(p, c["day"], kind, types)])
                          for kind, types in (("pcr", c["pcr"]), ("antigen", c["antigen"])) if types]
    ctx = {"place": p, "figures": queries.figures(p), "recs": recs, "cadence": days, "may_plan": may_plan,
           # an urgent escalation (a place lifted on wrong facts) first, and the lifts awaiting approval
           "drafts": list(queries.adjustments(scope, [Adjustment.State.DRAFT, Adjustment.State.SCHEDULED,
                                                      Adjustment.State.AWAITING])
                          .filter(queries.for_place_q(p)).order_by("-urgent", "-created_at")[:50]),
           "published": queries.published_for(scope, p),
           "can_manage": scope.allows(access.MANAGE, p), "can_gate": scope.allows(access.GATE, p),
           "policy": queries.active_policy(), "crumbs": registry_queries.crumbs(request.scope, p)}
    return render(request, "zones/place.html", ctx)


@page
def policy(request):
    access.require_any(request.scope, access.VIEW)
    can_edit = True
    try:
        access.require_policy(actor(request))
    except FangkongError:
        can_edit = False
    if request.method == "POST":
        if not can_edit:
            raise NotFound()
        chosen = Policy.objects.filter(code=request.POST.get("policy", "")).first()
        if chosen is None:
            messages.error(request, _("Choose one of the policies."))
        elif not confirmed(request):
            return confirm_step(request, title=_("Make %(name)s the zone policy?") % {"name": chosen.name},
                                lines=[_("Every zone then follows its rules: movement, testing, pool sizes, "
                                         "escalation and lifting. Zones in force keep their type's name in "
                                         "the old policy until they are changed.")],
                                yes=_("Yes, use this policy"), back=reverse("zones_policy"))
        else:
            policy_actions.activate(actor(request), chosen)
            messages.success(request, _("%(name)s is now the zone policy.") % {"name": chosen.name})
        return redirect("zones_policy")
    active = queries.active_policy()
    types = queries.zone_types(active)
    rules_later.later(types)  # "12月10日 05:00起：…" under a rule a scheduled change alters
    return render(request, "zones/policy.html", {
        "active": active, "types": types, "policies": list(Policy.objects.all()), "can_edit": can_edit})


@page
def zone_type(request, pk):
    access.require_any(request.scope, access.VIEW)
    zt = ZoneType.objects.filter(pk=pk).select_related("policy").first()
    if zt is None:
        raise NotFound()
    errors, values = {}, {}
    if request.method == "POST" and request.POST.get("cancel"):
        from .models import RuleChange

        ch = RuleChange.objects.filter(pk=request.POST.get("cancel") if request.POST.get("cancel", "").isdigit()
                                       else None, zone_type=zt).first()
        if ch is None:
            raise NotFound()
        try:
            policy_actions.cancel_change(actor(request), ch)
            messages.success(request, _("The scheduled change is withdrawn."))
        except Invalid as e:
            messages.error(request, e.message)
        return redirect("zones_type", pk=zt.pk)
    if request.method == "POST":
        access.require_policy(actor(request))
        values = {k: request.POST.get(k, "") for k in policy_actions.EDITABLE if k in request.POST}
        for flag in ("door_services", "home_sampling", "may_leave_home", "may_leave_area", "called_out", "lift_approval"):
            values[flag] = request.POST.get(flag) == "on"
        if values.get("collect_every_days") == "":
            values["collect_every_days"] = None
        try:
            when = request.POST.get("effective_from", "").strip()
            ch = policy_actions.change_rules(actor(request), zt, values, effective_from=when or None)
            if ch is None:
                messages.info(request, _("Nothing changed."))
            elif ch.state == ch.State.SCHEDULED:
                at = date_format(timezone.localtime(ch.effective_from), "SHORT_DATETIME_FORMAT")
                messages.success(request, _("Saved. The change takes effect at %(when)s and is in the audit "
                                            "log.") % {"when": at})
            else:
                messages.success(request, _("Saved. The change applies from now and is in the audit log."))
            return redirect("zones_type", pk=zt.pk)
        except Invalid as e:
            errors = e.fields
    can_edit = True
    try:
        access.require_policy(actor(request))
    except FangkongError:
        can_edit = False
    labels = rule_words.rule_labels()
    names = {t.code: t.name for t in queries.zone_types(zt.policy)}
    changes = list(queries.rule_changes(zt)[:20])
    for ch in changes:  # each changed rule by its form's label, its values in words
        ch.lines = [(labels.get(k, k), rule_values.rule_value(k, a, names), rule_values.rule_value(k, b, names))
                    for k, (a, b) in ch.changes.items()]
    # the form shows what was typed when it was refused (each error by its field), else the rules
    form = {**zt.rule_values(), **values}
    n = len(errors)  # the fields to correct
    return render(request, "zones/zone_type.html", {
        "zt": zt, "errors": errors, "changes": changes, "can_edit": can_edit, "v": form, "labels": labels,
        "lift": zt.lift_rule(), "others": queries.zone_types(zt.policy),
        "summary": ngettext("Not saved: correct the %(n)d item marked in red below.",
                           "Not saved: correct the %(n)d items marked in red below.", n) % {"n": n},
        "error_list": [(k, labels.get(k, k), m) for k, ms in errors.items() for m in ms],
        "when": request.POST.get("effective_from", "") if errors else "",
        "scopes": [(c, ZoneType(escalate_scope=c).escalate_scope_label) for c in ESCALATE_SCOPES]},
        status=400 if errors else 200)


@page
def notices(request, pk):
    p = get_place(request, pk)
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        try:
            n = pub.create_notice(actor(request), p, values)
            messages.success(request, _("Notice %(number)s saved.") % {"number": n.number})
            return redirect("zones_notices", pk=p.id)
        except Invalid as e:
            errors = e.fields
    rows = queries.notices(request.scope, p)
    return render(request, "zones/notices.html", {
        "place": p, "notices": list(rows[:100]), "errors": errors, "values": values,
        "can_manage": request.scope.allows(access.MANAGE, p), "can_gate": request.scope.allows(access.GATE, p)})


@page
def notice(request, pk):
    """A notice's own page: its words, and what it says for the reader — the places it
    zones in their area or above it (a street's notice read by a community, a family's
    building). Readable by everyone it zones (`access.notice_q`), missing for anyone else."""
    n = queries.get_notice(request.scope, pk)
    roots = request.scope.roots(access.VIEW)
    may = request.scope.allows(access.MANAGE, n) and n.withdrawn_at is None
    items = queries.notice_items(request.scope, n)
    lifts = {a.id: a for a in (it.adjustment for it in items) if a.lift_flaws}  # lifted on wrong facts
    return render(request, "zones/notice.html", {
        "notice": n, "items": items, "flaws": [x for a in lifts.values() for x in lift_flaws.said(a)],
        "may_withdraw": may, "replacements": queries.notices_to_replace(request.scope, n) if may else [],
        "back": reverse("zones_notices", args=[roots[0].id]) if roots else reverse("home")})


@page
@require_POST
def notice_withdraw(request, pk):
    """Withdraw a notice, or mark it replaced by a correcting one, asked first: the step
    says that what it published stays in force (naming the places) until another notice
    lifts it (`actions.notices.withdraw`)."""
    n = queries.get_notice(request.scope, pk, access.MANAGE)
    by = request.POST.get("replaced_by") or None
    by = queries.get_notice(request.scope, by, access.MANAGE) if by else None
    if not confirmed(request):
        kept = notice_actions.still_in_force(n)
        lines = [_("It stays on the notices list and its page, marked “corrected by %(by)s”, and %(by)s is "
                   "marked “corrects %(n)s”.") % {"n": n.number, "by": by.number} if by else
                 _("It stays on the notices list and its page, marked withdrawn.")]
        lines.append(ngettext(
            "It lifts nothing: the zone it published stays in force (%(places)s) until an adjustment under "
            "another notice lifts or changes it.",
            "It lifts nothing: the %(n)d zones it published stay in force (%(places)s) until an adjustment "
            "under another notice lifts or changes them.", len(kept)) % {
            "n": len(kept), "places": join_words(f"{d.place.name} {d.zone_type.name}" for d in kept)}
            if kept else _("It zones nothing now: nothing it published is in force."))
        lines.append(_("No draft can be attached to it any more."))
        pending = notice_actions.open_under(n)
        return confirm_step(request, title=_("Withdraw %(n)s %(title)s?") % {"n": n.number, "title": n.title},
                            lines=lines, yes=_("Yes, withdraw the notice"), back=reverse("zones_notice", args=[n.id]),
                            warn=_("“%(title)s” is still filed under it: attach it to the correcting notice "
                                   "or cancel it first.") % {"title": pending[0].title} if pending else "")
    try:
        notice_actions.withdraw(actor(request), n, by)
        messages.success(request, _("%(n)s withdrawn.") % {"n": n.number})
    except FangkongError as e:
        flash_error(request, e)
    return redirect("zones_notice", pk=n.id)


@page
def lifting_page(request, pk):
    p = get_place(request, pk)
    recs = above_q.recommendations(request.scope, p)
    return render(request, "zones/lifting.html", {"place": p, "recs": recs,
                                                  "can_manage": request.scope.allows(access.MANAGE, p),
                                                  "can_gate": request.scope.allows(access.GATE, p)})


@page
@require_POST
def draft_lift(request, pk):
    d = queries.get_designation(request.scope, pk, access.MANAGE)
    try:
        adj = lift_actions.draft_from(actor(request), d)
    except Invalid as e:
        flash_error(request, e)
        return redirect("zones_lifting", pk=d.community_id or d.place_id)
    messages.success(request, _("Draft made: check the change, attach the notice and publish."))
    return redirect("zones_adjustment", pk=adj.id)


@page
def household(request, pk):
    hh = Household.objects.filter(pk=pk).select_related("place").first()
    if hh is None or not request.scope.allows(access.VIEW, hh):
        raise NotFound()
    return render(request, "zones/household.html", {
        "household": hh, "now": queries.household_zone(hh.id), "history": queries.history(request.scope, hh),
        "address": f"{registry_queries.address_labels([hh]).get(hh.place_id, '')} {hh.door}"})
