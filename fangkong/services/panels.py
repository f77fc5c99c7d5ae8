"""The services panel on a place's page (FANGKONG_PLACE_PANELS): one tap to the place's
sealed-area services — its overview, the request queue, pets, disinfection, a building's
group orders — with what needs someone now (batches signed at the gate waiting to be split
into runs, with how long each has waited; open exceptions, overdue requests, overdue
disinfection, feedings nobody was found for) and, for a district's command, the request
categories they set. Shown to whoever may see services there."""

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.registry.models import LEVELS

from . import access, batch_queries, check_ins, queries, report_queries
from .models import Request
from .order_changes import with_arriving

SHOWN = 5  # batches waiting to be split, listed one a row (the count says how many in all)


def place_panel(request, place):
    """On the pages of the upper levels (the registry shows panels there)."""
    return _panel(request, place)


def building_alert(request, place):
    """A compound's or building's page shows no panels (registry.views.PANEL_KINDS): the
    same card, its links only, comes at its top through FANGKONG_PLACE_ALERTS — a building
    leader's home, where their group orders start. The counts are on the services pages."""
    return _panel(request, place, counts=False) if place.kind in ("compound", "building") else None


def _panel(request, place, counts=True):
    """`counts`: with what is overdue or unassigned (four counts); without, the links
    alone (no query: a building's page keeps its query budget)."""
    scope = request.scope
    if place.kind not in LEVELS or place.kind == "unit" or not scope.allows(access.VIEW, place):
        return None
    if not counts:
        return render_to_string("services/_place_panel.html", {
            "place": place, "may_run": scope.allows(access.RUN, place),
            "sets_policy": access.sets_policy(scope)}, request=request)
    now = timezone.now()
    under = {f"{place.kind}_id": place.id}
    overdue = Request.objects.filter(access.requests_q(scope), **under, state__in=Request.OPEN) \
        .filter(Q(overdue=True) | Q(due_at__lt=now)).count()
    may_run = scope.allows(access.RUN, place)
    # batches signed at the gate and not split: households wait for them (RUN here: may split each)
    to_split = list(batch_queries.to_split(scope, place=place)[:SHOWN]) if may_run else []
    for b in to_split:
        b.waited = waited(b.checked_at, now)
    return render_to_string("services/_place_panel.html", {
        "place": place, "overdue": overdue, "may_run": may_run, "to_split": to_split,
        "to_split_n": len(to_split) if len(to_split) < SHOWN else batch_queries.to_split(scope, place=place).count(),
        "sets_policy": access.sets_policy(scope),
        "problems": queries.problems(scope, place=place).count(),
        "unassigned": queries.unassigned_feedings(scope, place=place).count(),
        "disinfection": queries.overdue_disinfections(scope, place).count(),
        # today's morning calls, the one figure (`check_ins.tally`: the page's and the dashboard's)
        "check_ins": check_ins.tally(queries.check_ins(scope, place=place)),
        "check_ins_late": check_ins.past_deadline(now),
        # sealed households with nothing coming (a newly sealed building: found on a lockdown day)
        "sealed": report_queries.sealed_without_orders(scope, place, limit=0)}, request=request)


def waited(since, now=None) -> str:
    """How long since `since`, in hours and minutes ("1 小时 20 分钟"; under a minute: 1)."""
    if since is None:
        return ""
    minutes = max(1, int(((now or timezone.now()) - since).total_seconds() // 60))
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}


def household_panel(request, household):
    """At the top of a household's page (FANGKONG_HOUSEHOLD_PANELS), for staff who see
    services there: what is still to do for it (`queries.open_work`, as the API says it) —
    its open requests (老人探视, 买药…) with their state, who has each and a link, those done
    and waiting for its confirmation, and its orders still to come with where each is
    (found walking a sealed family's day: "Open service requests 2" left out the medicine
    request waiting for the family and the pharmacy order still placed). None for the
    household's own login (its 订购物资与求助 page lists them) and when there is none."""
    scope = request.scope
    if household.id in access.own_households(scope) or not scope.allows(access.VIEW, household):
        return None
    work = queries.open_work(scope, household)
    if not work["count"]:
        return None
    # its orders as they will reach the door, and what the gate found (found on the gate walk:
    # the lines as ordered, while the manifest and the gate had changed them)
    with_arriving(queries.with_gate_notes(work["orders"]))
    return render_to_string("services/_household_panel.html", {"work": work, "rows": work["requests"],
                                                               "hh": household}, request=request)


def open_requests(scope, household_ids) -> dict[int, int]:
    """{household id: its open requests the user sees} (FANGKONG_OPEN_REQUESTS: the
    vulnerability list and its export count them per person, one query)."""
    ids = list(set(household_ids))
    if not ids:
        return {}
    return dict(Request.objects.filter(access.requests_q(scope), household_id__in=ids, state__in=Request.OPEN)
                .values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
